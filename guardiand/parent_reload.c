/*
 * Copyright (c) 2026 The guardiand authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * What a reload changed, in the parent: one RELOAD audit record that
 * says it (patterns added and removed per list, projects and cloisters
 * added and removed, the audit's destinations, the limits and other
 * settings that changed), and the requests of cloisters that left the
 * configuration, which are denied as after guardianctl unregister.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "parent.h"

struct strvec {
	const char	**v;
	size_t		  n, cap;
};

static void
vec_add(struct strvec *sv, const char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 64;
		if ((sv->v = reallocarray(sv->v, sv->cap,
		    sizeof(*sv->v))) == NULL)
			fatal(NULL);
	}
	sv->v[sv->n++] = s;
}

static int
str_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* Every pattern of one kind, global and per project, "project\tre". */
static void
patterns_of(const struct config *conf, int k, struct strvec *sv)
{
	struct project_conf	*pc;
	struct pattern_src	*ps;
	char			*s;

	TAILQ_FOREACH(ps, &conf->global.kind[k], entry) {
		if (asprintf(&s, "\t%s", ps->re) == -1)
			fatal(NULL);
		vec_add(sv, s);
	}
	RB_FOREACH(pc, project_tree, (struct project_tree *)&conf->projects)
		TAILQ_FOREACH(ps, &pc->pats.kind[k], entry) {
			if (asprintf(&s, "%s\t%s", pc->name, ps->re) == -1)
				fatal(NULL);
			vec_add(sv, s);
		}
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), str_cmp);
}

static void
vec_free(struct strvec *sv)
{
	size_t	 i;

	for (i = 0; i < sv->n; i++)
		free((char *)sv->v[i]);
	free(sv->v);
}

/* How many of a are not in b, and of b not in a (multisets, sorted). */
static void
diff_counts(struct strvec *a, struct strvec *b, size_t *gone, size_t *added)
{
	size_t	 i = 0, j = 0;
	int	 c;

	*gone = *added = 0;
	while (i < a->n || j < b->n) {
		if (i == a->n)
			c = 1;
		else if (j == b->n)
			c = -1;
		else
			c = strcmp(a->v[i], b->v[j]);
		if (c < 0) {
			(*gone)++;
			i++;
		} else if (c > 0) {
			(*added)++;
			j++;
		} else {
			i++;
			j++;
		}
	}
}

/* Append " name" to a word list, within len bytes. */
static void
words_add(char *buf, size_t len, const char *name)
{
	if (*buf != '\0')
		strlcat(buf, " ", len);
	strlcat(buf, name, len);
}

static const struct cloister_conf *
cloister_in(const struct config *conf, const char *name)
{
	const struct cloister_conf	*cc;

	TAILQ_FOREACH(cc, &conf->cloisters, entry)
		if (strcmp(cc->name, name) == 0)
			return (cc);
	return (NULL);
}

static int
str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != b);
	return (strcmp(a, b) != 0);
}

void
reload_audit(const struct config *old, const struct config *new,
    const char *by)
{
	const struct cloister_conf	*cc;
	struct project_conf		*pc;
	struct strvec			 a, b;
	char				 pat[PAT_NKINDS][64], projects[64];
	char				 cl_added[1024], cl_removed[1024];
	char				 limits[256], settings[256], audit[1024];
	size_t				 gone, added, np_gone = 0, np_added = 0;
	int				 k;

	for (k = 0; k < PAT_NKINDS; k++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		patterns_of(old, k, &a);
		patterns_of(new, k, &b);
		diff_counts(&a, &b, &gone, &added);
		snprintf(pat[k], sizeof(pat[k]), "+%zu -%zu", added, gone);
		vec_free(&a);
		vec_free(&b);
	}
	RB_FOREACH(pc, project_tree, (struct project_tree *)&old->projects)
		if (config_project((struct config *)new, pc->name) == NULL)
			np_gone++;
	RB_FOREACH(pc, project_tree, (struct project_tree *)&new->projects)
		if (config_project((struct config *)old, pc->name) == NULL)
			np_added++;
	snprintf(projects, sizeof(projects), "+%zu -%zu", np_added, np_gone);

	cl_added[0] = cl_removed[0] = '\0';
	TAILQ_FOREACH(cc, &new->cloisters, entry)
		if (cloister_in(old, cc->name) == NULL)
			words_add(cl_added, sizeof(cl_added), cc->name);
	TAILQ_FOREACH(cc, &old->cloisters, entry)
		if (cloister_in(new, cc->name) == NULL)
			words_add(cl_removed, sizeof(cl_removed), cc->name);

	limits[0] = '\0';
#define LIMIT(f) \
	if (old->limits.f != new->limits.f) \
		words_add(limits, sizeof(limits), #f)
	LIMIT(pending_per_cloister);
	LIMIT(pending);
	LIMIT(running);
	LIMIT(connections);
	LIMIT(connections_per_peer);
	LIMIT(ui_connections);
	LIMIT(ui_connections_per_peer);
	LIMIT(args);
	LIMIT(body);
	LIMIT(headers);
	LIMIT(read_timeout);
	LIMIT(idle_timeout);
#undef LIMIT
	settings[0] = '\0';
	if (old->default_manual != new->default_manual)
		words_add(settings, sizeof(settings), "default");
	if (old->exec_timeout != new->exec_timeout)
		words_add(settings, sizeof(settings), "exec_timeout");
	if (old->max_output != new->max_output)
		words_add(settings, sizeof(settings), "max_output");
	if (old->ping_timeout != new->ping_timeout)
		words_add(settings, sizeof(settings), "ping_timeout");
	if (old->check_timeout != new->check_timeout)
		words_add(settings, sizeof(settings), "check_timeout");
	if (old->approval_timeout != new->approval_timeout)
		words_add(settings, sizeof(settings), "request.timeout");
	if (old->env_pass_all != new->env_pass_all)
		words_add(settings, sizeof(settings), "env");

	audit[0] = '\0';
	if (str_differ(old->audit_file, new->audit_file) ||
	    old->audit_facility != new->audit_facility)
		snprintf(audit, sizeof(audit), "file=%s facility=%d",
		    new->audit_file != NULL ? new->audit_file : "none",
		    new->audit_facility);

	audit_log("RELOAD", NULL, NULL, NULL, NULL, "by", by,
	    "deny", pat[PAT_DENY], "auto_approve", pat[PAT_AUTO],
	    "manual_approve", pat[PAT_MANUAL], "projects", projects,
	    "cloisters_added", cl_added, "cloisters_removed", cl_removed,
	    "limits", limits, "settings", settings, "audit", audit,
	    (char *)NULL);
}

/*
 * Cloisters the configuration no longer has (and no registration
 * of the same name replaces): their pending requests are denied.
 */
void
reload_gone(const struct config *old)
{
	const struct cloister_conf	*cc;

	TAILQ_FOREACH(cc, &old->cloisters, entry)
		if (registry_find(cc->name) == NULL) {
			req_cloister_gone(cc->name, "cloister removed from "
			    "the configuration");
			grant_cloister_gone(cc->name, "cloister removed from "
			    "the configuration");
		}
}
