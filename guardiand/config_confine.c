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
 * guardian.confine in guardiand.yaml (guardiand.conf(5)): confinement
 * profiles, the one auto-approved commands get, and rules giving the
 * commands of one of cloister's patterns a profile of their own.  The
 * rules name patterns by their text: the policy child's answer names
 * the pattern that matched, and the parent, which runs no regular
 * expression, finds the rule by it (confine_for()).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"
#include "confine.h"

RB_GENERATE(confine_rules, confine_rule, entry, confine_rule_cmp);

int
confine_rule_cmp(struct confine_rule *a, struct confine_rule *b)
{
	return (strcmp(a->pattern, b->pattern));
}

/* The profile name "none": no confinement. */
#define PROFILE_NONE	"none"

static struct confine_profile *
profile_find(struct config *conf, const char *name)
{
	struct confine_profile	*p;

	TAILQ_FOREACH(p, &conf->confine_profiles, entry)
		if (strcmp(p->name, name) == 0)
			return (p);
	return (NULL);
}

static void
strlist_free(struct strlist *sl)
{
	struct strent	*se;

	while ((se = TAILQ_FIRST(sl)) != NULL) {
		TAILQ_REMOVE(sl, se, entry);
		free(se->s);
		free(se);
	}
}

/* A list of absolute paths (~ expanded), each once. */
static void
conf_paths(struct yfile *yf, struct ynode *v, const char *what,
    struct strlist *sl)
{
	struct ynode	*it;
	struct strent	*se;
	char		*p;
	size_t		 i;

	if (v->type != Y_SEQ) {
		yerr(yf->ld, yf->path, v->line, "`%s` must be a list of "
		    "paths, not a %s", what, tname(v));
		return;
	}
	for (i = 0; i < v->nkid; i++) {
		it = v->kid[i];
		if (it->type == Y_BAD)
			continue;
		if ((p = get_path(yf, it, what)) == NULL)
			continue;
		TAILQ_FOREACH(se, sl, entry)
			if (strcmp(se->s, p) == 0)
				break;
		if (se != NULL) {
			yerr(yf->ld, yf->path, it->line, "`%s`: %s is "
			    "listed twice", what, p);
			free(p);
			continue;
		}
		se = xcalloc(1, sizeof(*se));
		se->s = p;
		TAILQ_INSERT_TAIL(sl, se, entry);
	}
}

enum profile_key {
	PROF_READ,
	PROF_WRITE,
	PROF_NETWORK,
	PROF_NKEYS
};

static const char *const profile_keys[PROF_NKEYS + 1] = {
	[PROF_READ] = "read",
	[PROF_WRITE] = "write",
	[PROF_NETWORK] = "network",
	[PROF_NKEYS] = NULL
};

static void
conf_profile(struct yfile *yf, struct ynode *k, struct ynode *v)
{
	struct config		*conf = yf->ld->conf;
	struct confine_profile	*p;
	struct ynode		*val;
	char			 what[128], where[128], eb[ESCBUF];
	size_t			 i = 0;
	int			 key;

	if (!config_valid_name(k->s) || strcmp(k->s, PROFILE_NONE) == 0) {
		yerr(yf->ld, yf->path, k->line, "`guardian.confine.profiles`:"
		    " bad profile name \"%s\" (letters, digits, `.`, `_` and "
		    "`-`, up to 64, not `none`)", esc(k->s, k->len, eb));
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(k->s);
	TAILQ_INIT(&p->read);
	TAILQ_INIT(&p->write);
	p->file = xstrdup(yf->path);
	p->line = k->line;
	TAILQ_INSERT_TAIL(&conf->confine_profiles, p, entry);
	/* An empty profile is a valid one: the system, worktree, tmp. */
	if (v->type == Y_SCALAR && v->null)
		return;
	(void)snprintf(where, sizeof(where), "profile `%s`", p->name);
	if (!check_map(yf, v, where))
		return;
	while ((key = next_pair(yf, v, &i, where, profile_keys, 0,
	    &val)) != -1) {
		(void)snprintf(what, sizeof(what),
		    "guardian.confine.profiles.%s.%s", p->name,
		    profile_keys[key]);
		switch ((enum profile_key)key) {
		case PROF_READ:
			conf_paths(yf, val, what, &p->read);
			break;
		case PROF_WRITE:
			conf_paths(yf, val, what, &p->write);
			break;
		case PROF_NETWORK:
			get_bool(yf, val, what, &p->network);
			break;
		case PROF_NKEYS:
			break;
		}
	}
}

static void
conf_profiles(struct yfile *yf, struct ynode *v)
{
	size_t	 i;

	if (!check_map(yf, v, "guardian.confine.profiles"))
		return;
	for (i = 0; i + 1 < v->nkid; i += 2) {
		if (!check_key(yf, v->kid[i]) || v->kid[i + 1]->type == Y_BAD)
			continue;
		conf_profile(yf, v->kid[i], v->kid[i + 1]);
	}
}

/*
 * A profile named in default or in a rule: 0 with *pp (NULL for none),
 * -1 if reported.
 */
static int
profile_ref(struct yfile *yf, struct ynode *v, const char *what,
    struct confine_profile **pp)
{
	const char	*s;
	char		 eb[ESCBUF];

	if ((s = get_str(yf, v, what)) == NULL)
		return (-1);
	if (strcmp(s, PROFILE_NONE) == 0) {
		*pp = NULL;
		return (0);
	}
	if ((*pp = profile_find(yf->ld->conf, s)) == NULL) {
		yerr(yf->ld, yf->path, v->line, "`%s`: no profile \"%s\" in "
		    "guardian.confine.profiles (or `none`)", what,
		    esc(s, v->len, eb));
		return (-1);
	}
	return (0);
}

static const char *const rule_keys[] = { "pattern", "profile", NULL };

static void
conf_rule(struct yfile *yf, struct ynode *it)
{
	struct config		*conf = yf->ld->conf;
	struct confine_rule	*r, *old;
	struct confine_profile	*prof = NULL;
	struct ynode		*v, *pat = NULL, *pro = NULL;
	const char		*s;
	size_t			 i = 0;
	int			 k;

	if (it->type != Y_MAP) {
		yerr(yf->ld, yf->path, it->line, "`guardian.confine.rules` "
		    "entries must be mappings like {pattern: \"...\", "
		    "profile: NAME}, not a %s", tname(it));
		return;
	}
	if (!check_map(yf, it, "guardian.confine.rules"))
		return;
	while ((k = next_pair(yf, it, &i, "a `guardian.confine.rules` entry",
	    rule_keys, 0, &v)) != -1) {
		if (k == 0)
			pat = v;
		else
			pro = v;
	}
	if (pat == NULL || pro == NULL) {
		yerr(yf->ld, yf->path, it->line, "a `guardian.confine.rules` "
		    "entry needs both `pattern` and `profile`");
		return;
	}
	if ((s = get_str(yf, pat, "guardian.confine.rules.pattern")) == NULL ||
	    profile_ref(yf, pro, "guardian.confine.rules.profile",
	    &prof) == -1)
		return;
	r = xcalloc(1, sizeof(*r));
	r->pattern = xstrdup(s);
	r->profile = prof;
	r->file = xstrdup(yf->path);
	r->line = pat->line;
	if ((old = RB_INSERT(confine_rules, &conf->confine_rules, r)) !=
	    NULL) {
		yerr(yf->ld, yf->path, pat->line, "`guardian.confine.rules`: "
		    "the pattern already has a rule, at line %d", old->line);
		free(r->pattern);
		free(r->file);
		free(r);
	}
}

enum confine_key {
	CONF_PROFILES,
	CONF_DEFAULT,
	CONF_RULES,
	CONF_NKEYS
};

static const char *const confine_keys[CONF_NKEYS + 1] = {
	[CONF_PROFILES] = "profiles",
	[CONF_DEFAULT] = "default",
	[CONF_RULES] = "rules",
	[CONF_NKEYS] = NULL
};

/*
 * Profiles first, whatever the order in the file, since default and
 * the rules name them.
 */
void
conf_confine(struct yfile *yf, struct ynode *sec)
{
	struct config	*conf = yf->ld->conf;
	struct ynode	*v, *vals[CONF_NKEYS] = { NULL };
	size_t		 i = 0, j;
	int		 k;

	if (!check_map(yf, sec, "guardian.confine"))
		return;
	while ((k = next_pair(yf, sec, &i, "section `guardian.confine`",
	    confine_keys, 0, &v)) != -1)
		vals[k] = v;
	if (vals[CONF_PROFILES] != NULL)
		conf_profiles(yf, vals[CONF_PROFILES]);
	if (vals[CONF_DEFAULT] != NULL)
		(void)profile_ref(yf, vals[CONF_DEFAULT],
		    "guardian.confine.default", &conf->confine_default);
	if ((v = vals[CONF_RULES]) == NULL)
		return;
	if (v->type != Y_SEQ) {
		yerr(yf->ld, yf->path, v->line, "`guardian.confine.rules` "
		    "must be a list, not a %s", tname(v));
		return;
	}
	for (j = 0; j < v->nkid; j++)
		if (v->kid[j]->type != Y_BAD)
			conf_rule(yf, v->kid[j]);
}

static int
in_list(const struct pattern_list *pl, const char *re)
{
	struct pattern_src	*ps;

	TAILQ_FOREACH(ps, pl, entry)
		if (strcmp(ps->re, re) == 0)
			return (1);
	return (0);
}

static int
in_patterns(const struct patterns *pats, const char *re)
{
	return (in_list(&pats->kind[PAT_AUTO], re) ||
	    in_list(&pats->kind[PAT_MANUAL], re));
}

/*
 * A rule whose pattern is in none of cloister's lists would do
 * nothing, silently: most likely a typo, or a pattern changed in
 * config.yaml and not here, and a command meant to run confined would
 * run unconfined.  Only a project file that was ignored (its patterns
 * do not apply, so neither does the rule) makes it a warning.
 */
void
confine_check_rules(struct loader *ld)
{
	struct config		*conf = ld->conf;
	struct confine_rule	*r;
	struct project_conf	*pc;
	char			 eb[ESCBUF];
	int			 found, ignored = 0;

	RB_FOREACH(pc, project_tree, &conf->projects)
		ignored |= pc->ignored;
	RB_FOREACH(r, confine_rules, &conf->confine_rules) {
		found = in_patterns(&conf->global, r->pattern);
		RB_FOREACH(pc, project_tree, &conf->projects)
			found |= in_patterns(&pc->pats, r->pattern);
		if (found)
			continue;
		esc(r->pattern, strlen(r->pattern), eb);
		if (ignored)
			ywarn(ld, r->file, r->line, "`guardian.confine.rules`:"
			    " \"%s\" is in no auto_approve or manual_approve "
			    "list (perhaps in a project file that was "
			    "ignored)", eb);
		else
			yerr(ld, r->file, r->line, "`guardian.confine.rules`: "
			    "\"%s\" is in no auto_approve or manual_approve "
			    "list; a rule names a pattern exactly as written "
			    "there", eb);
	}
}

void
confine_conf_free(struct config *conf)
{
	struct confine_profile	*p;
	struct confine_rule	*r;

	while ((r = RB_MIN(confine_rules, &conf->confine_rules)) != NULL) {
		RB_REMOVE(confine_rules, &conf->confine_rules, r);
		free(r->pattern);
		free(r->file);
		free(r);
	}
	while ((p = TAILQ_FIRST(&conf->confine_profiles)) != NULL) {
		TAILQ_REMOVE(&conf->confine_profiles, p, entry);
		strlist_free(&p->read);
		strlist_free(&p->write);
		free(p->name);
		free(p->file);
		free(p);
	}
	conf->confine_default = NULL;
}

/*
 * A rule naming the pattern decides; otherwise auto-approved commands
 * get guardian.confine.default, and the others (approved by a human,
 * or let through by guardian.default: manual) none.
 */
const struct confine_profile *
confine_for(const struct config *conf, enum verdict verdict,
    const char *pattern)
{
	struct confine_rule	 key, *r;

	if (verdict == VERDICT_DENY)
		return (NULL);
	if (pattern != NULL && *pattern != '\0') {
		key.pattern = (char *)pattern;
		if ((r = RB_FIND(confine_rules,
		    (struct confine_rules *)&conf->confine_rules, &key)) !=
		    NULL)
			return (r->profile);
	}
	return (verdict == VERDICT_AUTO ? conf->confine_default : NULL);
}
