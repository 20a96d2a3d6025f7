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

/* RB_GENERATE_STATIC marks the functions it does not need __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

#include <sys/queue.h>
#include <sys/tree.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "guardiand.h"
#include "pattern.h"
#include "ruleset.h"

struct rule {
	TAILQ_ENTRY(rule)	 entry;
	struct pattern		*pat;
};
TAILQ_HEAD(rule_list, rule);

struct rproject {
	RB_ENTRY(rproject)	 entry;
	char			*name;
	struct rule_list	 kind[PAT_NKINDS];
};
RB_HEAD(rproject_tree, rproject);

struct ruleset {
	struct rule_list	 global[PAT_NKINDS];
	struct rproject_tree	 projects;
};

static int
rproject_cmp(struct rproject *a, struct rproject *b)
{
	return (strcmp(a->name, b->name));
}

RB_GENERATE_STATIC(rproject_tree, rproject, entry, rproject_cmp)

/* Verdicts by kind, in checking order. */
static const enum verdict kind_verdict[PAT_NKINDS] = {
	[PAT_DENY] = VERDICT_DENY,
	[PAT_AUTO] = VERDICT_AUTO,
	[PAT_MANUAL] = VERDICT_MANUAL
};

struct ruleset *
ruleset_new(void)
{
	struct ruleset	*rs;
	int		 k;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return (NULL);
	for (k = 0; k < PAT_NKINDS; k++)
		TAILQ_INIT(&rs->global[k]);
	RB_INIT(&rs->projects);
	return (rs);
}

static void
rules_free(struct rule_list *rl)
{
	struct rule	*r;

	while ((r = TAILQ_FIRST(rl)) != NULL) {
		TAILQ_REMOVE(rl, r, entry);
		pattern_free(r->pat);
		free(r);
	}
}

void
ruleset_free(struct ruleset *rs)
{
	struct rproject	*rp;
	int		 k;

	if (rs == NULL)
		return;
	for (k = 0; k < PAT_NKINDS; k++)
		rules_free(&rs->global[k]);
	while ((rp = RB_ROOT(&rs->projects)) != NULL) {
		RB_REMOVE(rproject_tree, &rs->projects, rp);
		for (k = 0; k < PAT_NKINDS; k++)
			rules_free(&rp->kind[k]);
		free(rp->name);
		free(rp);
	}
	free(rs);
}

/* Append one formatted line to *errs; out of memory loses it. */
static void __attribute__((__format__(__printf__, 2, 3)))
errs_append(char **errs, const char *fmt, ...)
{
	va_list	 ap;
	char	*line, *n;
	size_t	 have;
	int	 len;

	if (errs == NULL)
		return;
	va_start(ap, fmt);
	len = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (len == -1)
		return;
	have = *errs != NULL ? strlen(*errs) : 0;
	if ((n = realloc(*errs, have + len + 1)) != NULL) {
		memcpy(n + have, line, len + 1);
		*errs = n;
	}
	free(line);
}

static struct rproject *
project_find(const struct ruleset *rs, const char *name)
{
	struct rproject	 key;

	key.name = (char *)name;
	return (RB_FIND(rproject_tree, (struct rproject_tree *)&rs->projects,
	    &key));
}

int
ruleset_add(struct ruleset *rs, const char *project, enum pat_kind kind,
    const char *re, const char *file, int line, char **errs)
{
	struct rule_list	*rl;
	struct rproject		*rp;
	struct rule		*r;
	char			 err[256];
	int			 k;

	if (file == NULL)
		file = "(pattern)";
	if ((int)kind < 0 || kind >= PAT_NKINDS) {
		errs_append(errs, "%s:%d: bad pattern kind\n", file, line);
		return (-1);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		errs_append(errs, "%s:%d: out of memory\n", file, line);
		return (-1);
	}
	if ((r->pat = pattern_compile(re, err, sizeof(err))) == NULL) {
		errs_append(errs, "%s:%d: %s\n", file, line, err);
		free(r);
		return (-1);
	}
	if (project == NULL || *project == '\0')
		rl = &rs->global[kind];
	else {
		if ((rp = project_find(rs, project)) == NULL) {
			if ((rp = calloc(1, sizeof(*rp))) == NULL ||
			    (rp->name = strdup(project)) == NULL) {
				free(rp);
				pattern_free(r->pat);
				free(r);
				errs_append(errs, "%s:%d: out of memory\n",
				    file, line);
				return (-1);
			}
			for (k = 0; k < PAT_NKINDS; k++)
				TAILQ_INIT(&rp->kind[k]);
			RB_INSERT(rproject_tree, &rs->projects, rp);
		}
		rl = &rp->kind[kind];
	}
	TAILQ_INSERT_TAIL(rl, r, entry);
	return (0);
}

/*
 * The first rule of rl that decides, or NULL.  A limit (or matcher
 * failure) decides for deny only.  Past the deadline (monotonic ms,
 * 0: none) nothing more is tried and *over is set.
 */
static const struct rule *
rules_match(const struct rule_list *rl, int kind, const char *canon,
    size_t len, int *limit_hit, int64_t deadline, int *over)
{
	const struct rule	*r;
	int			 rc;

	TAILQ_FOREACH(r, rl, entry) {
		if (deadline != 0 && mono_now_ms() > deadline) {
			*over = 1;
			return (NULL);
		}
		rc = pattern_match(r->pat, canon, len);
		if (rc == PATTERN_MATCH)
			return (r);
		if (rc != PATTERN_NOMATCH) {
			*limit_hit = 1;
			if (kind == PAT_DENY)
				return (r);
		}
	}
	return (NULL);
}

void
ruleset_check(const struct ruleset *rs, const char *project,
    const char *canon, size_t len, int default_manual,
    struct verdict_result *res)
{
	ruleset_check_until(rs, project, canon, len, default_manual, 0, res);
}

void
ruleset_check_until(const struct ruleset *rs, const char *project,
    const char *canon, size_t len, int default_manual, int64_t deadline,
    struct verdict_result *res)
{
	const struct rproject	*rp = NULL;
	const struct rule	*r;
	int			 k;

	res->verdict = default_manual ? VERDICT_MANUAL : VERDICT_DENY;
	res->pattern = NULL;
	res->limit_hit = 0;
	res->over_budget = 0;
	if (rs == NULL) {
		res->verdict = VERDICT_DENY;
		return;
	}
	if (project != NULL && *project != '\0')
		rp = project_find(rs, project);
	for (k = 0; k < PAT_NKINDS; k++) {
		r = rules_match(&rs->global[k], k, canon, len,
		    &res->limit_hit, deadline, &res->over_budget);
		if (r == NULL && rp != NULL && !res->over_budget)
			r = rules_match(&rp->kind[k], k, canon, len,
			    &res->limit_hit, deadline, &res->over_budget);
		if (res->over_budget) {
			/* Undecided: refused, whatever matched so far. */
			res->verdict = VERDICT_DENY;
			res->pattern = NULL;
			return;
		}
		if (r != NULL) {
			res->verdict = kind_verdict[k];
			res->pattern = pattern_source(r->pat);
			return;
		}
	}
}

const char *
verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_AUTO:
		return ("auto_approve");
	case VERDICT_MANUAL:
		return ("manual_approve");
	case VERDICT_DENY:
	default:
		return ("deny");
	}
}
