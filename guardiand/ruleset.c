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

#include "canon.h"
#include "config.h"
#include "guardiand.h"
#include "pattern.h"
#include "ruleset.h"

/*
 * The cost of a check must not grow with the number of patterns
 * (DESIGN 5): each list indexes its rules by the literal text every
 * match must start with (pattern_prefix(): "git push" for
 * `^git push( |$)`), keyed by that text up to and including its first
 * space.  A check looks up only the keys the command itself starts
 * with, adds the rules without such a prefix, and tries the
 * candidates in their list order, so the first match is the same as
 * when every rule is tried.
 */
#define PREFIX_MAX	256
#define INDEX_MIN	8	/* shorter lists are simply walked */

struct rule {
	TAILQ_ENTRY(rule)	 entry;
	struct pattern		*pat;
	unsigned int		 seq;		/* order in its list */
	char			*prefix;	/* NULL: none known */
	size_t			 prefixlen;
};

struct rbucket {
	RB_ENTRY(rbucket)	 entry;
	char			*key;
	size_t			 keylen;
	const struct rule	**rules;	/* in list order */
	size_t			 n, cap;
};
RB_HEAD(rbucket_tree, rbucket);

struct rule_list {
	TAILQ_HEAD(, rule)	 all;
	unsigned int		 n;
	struct rbucket_tree	 index;
	struct rbucket		 open;		/* rules without a prefix */
};

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

static int
rbucket_cmp(struct rbucket *a, struct rbucket *b)
{
	size_t	 n = a->keylen < b->keylen ? a->keylen : b->keylen;
	int	 c;

	if ((c = memcmp(a->key, b->key, n)) != 0)
		return (c);
	return (a->keylen < b->keylen ? -1 : a->keylen > b->keylen);
}

RB_GENERATE_STATIC(rbucket_tree, rbucket, entry, rbucket_cmp)

static void
rules_init(struct rule_list *rl)
{
	memset(rl, 0, sizeof(*rl));
	TAILQ_INIT(&rl->all);
	RB_INIT(&rl->index);
}

static int
bucket_add(struct rbucket *b, const struct rule *r)
{
	const struct rule	**nr;
	size_t			  ncap;

	if (b->n == b->cap) {
		ncap = b->cap ? b->cap * 2 : 4;
		if ((nr = reallocarray(b->rules, ncap, sizeof(*nr))) == NULL)
			return (-1);
		b->rules = nr;
		b->cap = ncap;
	}
	b->rules[b->n++] = r;
	return (0);
}

/* A prefix's key: up to and including its first space. */
static size_t
prefix_keylen(const char *s, size_t len)
{
	const char	*sp;

	if ((sp = memchr(s, ' ', len)) != NULL)
		return (sp - s + 1);
	return (len);
}

static int
rules_index(struct rule_list *rl, struct rule *r)
{
	struct rbucket	 key, *b;
	char		 buf[PREFIX_MAX];
	size_t		 n;

	r->seq = rl->n++;
	if ((n = pattern_prefix(r->pat, buf, sizeof(buf))) == 0)
		return (bucket_add(&rl->open, r));
	if ((r->prefix = malloc(n)) == NULL)
		return (-1);
	memcpy(r->prefix, buf, n);
	r->prefixlen = n;
	key.key = r->prefix;
	key.keylen = prefix_keylen(r->prefix, n);
	if ((b = RB_FIND(rbucket_tree, &rl->index, &key)) == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL ||
		    (b->key = malloc(key.keylen)) == NULL) {
			free(b);
			return (-1);
		}
		memcpy(b->key, key.key, key.keylen);
		b->keylen = key.keylen;
		RB_INSERT(rbucket_tree, &rl->index, b);
	}
	return (bucket_add(b, r));
}

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
		rules_init(&rs->global[k]);
	RB_INIT(&rs->projects);
	return (rs);
}

static void
rules_free(struct rule_list *rl)
{
	struct rule	*r;
	struct rbucket	*b;

	while ((r = TAILQ_FIRST(&rl->all)) != NULL) {
		TAILQ_REMOVE(&rl->all, r, entry);
		pattern_free(r->pat);
		free(r->prefix);
		free(r);
	}
	while ((b = RB_ROOT(&rl->index)) != NULL) {
		RB_REMOVE(rbucket_tree, &rl->index, b);
		free(b->rules);
		free(b->key);
		free(b);
	}
	free(rl->open.rules);
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
				rules_init(&rp->kind[k]);
			RB_INSERT(rproject_tree, &rs->projects, rp);
		}
		rl = &rp->kind[kind];
	}
	if (rules_index(rl, r) == -1) {
		errs_append(errs, "%s:%d: out of memory\n", file, line);
		pattern_free(r->pat);
		free(r->prefix);
		free(r);
		return (-1);
	}
	TAILQ_INSERT_TAIL(&rl->all, r, entry);
	return (0);
}

/* What a command is matched against: one string, or two. */
struct subjects {
	const char	*s[2];
	size_t		 len[2];
	int		 valid[2];	/* UTF-8 checked once, here */
	int		 n;
};

/*
 * Whether r can match at all, by its prefix: a deny pattern if some
 * subject starts with it, the others if every one does.
 */
static int
rule_may(const struct rule *r, int kind, const struct subjects *sub)
{
	int	 i, starts;

	if (r->prefix == NULL)
		return (1);
	for (i = 0; i < sub->n; i++) {
		starts = sub->len[i] >= r->prefixlen &&
		    memcmp(sub->s[i], r->prefix, r->prefixlen) == 0;
		if (kind == PAT_DENY && starts)
			return (1);
		if (kind != PAT_DENY && !starts)
			return (0);
	}
	return (kind != PAT_DENY);
}

/*
 * Whether r decides for its kind: a deny pattern if it matches any
 * subject, the others only if they match every one.  A limit (or
 * matcher failure) counts as a match for deny only.
 */
static int
rule_decides(const struct rule *r, int kind, const struct subjects *sub,
    int *limit_hit)
{
	int	 i, rc;

	for (i = 0; i < sub->n; i++) {
		rc = sub->valid[i] ?
		    pattern_match_valid(r->pat, sub->s[i], sub->len[i]) :
		    pattern_match(r->pat, sub->s[i], sub->len[i]);
		if (rc != PATTERN_MATCH && rc != PATTERN_NOMATCH) {
			*limit_hit = 1;
			rc = kind == PAT_DENY ? PATTERN_MATCH : PATTERN_NOMATCH;
		}
		if (kind == PAT_DENY && rc == PATTERN_MATCH)
			return (1);
		if (kind != PAT_DENY && rc == PATTERN_NOMATCH)
			return (0);
	}
	return (kind != PAT_DENY);
}

static int
seq_cmp(const void *a, const void *b)
{
	const struct rule	*ra = *(const struct rule * const *)a;
	const struct rule	*rb = *(const struct rule * const *)b;

	return (ra->seq < rb->seq ? -1 : ra->seq > rb->seq);
}

/*
 * The candidates of a long list for these subjects, in list order, in
 * a buffer kept for the next check; NULL if out of memory.
 */
static const struct rule **
candidates(const struct rule_list *rl, const struct subjects *sub,
    size_t *np)
{
	static struct rbucket	 cand;
	struct rbucket		 key, *b;
	size_t			 i, j, n, l, max;

	cand.n = 0;
	for (j = 0; j < rl->open.n; j++)
		if (bucket_add(&cand, rl->open.rules[j]) == -1)
			return (NULL);
	for (i = 0; i < (size_t)sub->n; i++) {
		max = prefix_keylen(sub->s[i], sub->len[i]);
		for (l = 1; l <= max && l <= PREFIX_MAX; l++) {
			key.key = (char *)sub->s[i];
			key.keylen = l;
			b = RB_FIND(rbucket_tree,
			    (struct rbucket_tree *)&rl->index, &key);
			for (j = 0; b != NULL && j < b->n; j++)
				if (bucket_add(&cand, b->rules[j]) == -1)
					return (NULL);
		}
	}
	qsort(cand.rules, cand.n, sizeof(*cand.rules), seq_cmp);
	/* Both subjects may have found the same bucket. */
	for (i = n = 0; i < cand.n; i++)
		if (n == 0 || cand.rules[n - 1] != cand.rules[i])
			cand.rules[n++] = cand.rules[i];
	*np = n;
	return (cand.rules);
}

/*
 * Whether r decides, unless the deadline (monotonic ms, 0: none) has
 * passed: then nothing more is tried and *over is set.
 */
static int
rule_try(const struct rule *r, int kind, const struct subjects *sub,
    int *limit_hit, int64_t deadline, int *over)
{
	if (!rule_may(r, kind, sub))
		return (0);
	if (deadline != 0 && mono_now_ms() > deadline) {
		*over = 1;
		return (0);
	}
	return (rule_decides(r, kind, sub, limit_hit));
}

/* The first rule of rl that decides, or NULL. */
static const struct rule *
rules_match(const struct rule_list *rl, int kind,
    const struct subjects *sub, int *limit_hit, int64_t deadline, int *over)
{
	const struct rule	*r, **cand;
	size_t			 i, n;

	if (rl->n >= INDEX_MIN && (cand = candidates(rl, sub, &n)) != NULL) {
		for (i = 0; i < n && !*over; i++)
			if (rule_try(cand[i], kind, sub, limit_hit, deadline,
			    over))
				return (cand[i]);
		return (NULL);
	}
	/* Short, or no memory for the candidates: every rule, in order. */
	TAILQ_FOREACH(r, &rl->all, entry) {
		if (*over)
			break;
		if (rule_try(r, kind, sub, limit_hit, deadline, over))
			return (r);
	}
	return (NULL);
}

void
ruleset_check(const struct ruleset *rs, const char *project,
    const char *canon, size_t len, const char *clform, size_t cllen,
    int default_manual, struct verdict_result *res)
{
	ruleset_check_until(rs, project, canon, len, clform, cllen,
	    default_manual, 0, res);
}

void
ruleset_check_until(const struct ruleset *rs, const char *project,
    const char *canon, size_t len, const char *clform, size_t cllen,
    int default_manual, int64_t deadline, struct verdict_result *res)
{
	const struct rproject	*rp = NULL;
	const struct rule	*r;
	struct subjects		 sub;
	int			 k;

	res->verdict = default_manual ? VERDICT_MANUAL : VERDICT_DENY;
	res->pattern = NULL;
	res->limit_hit = 0;
	res->over_budget = 0;
	if (rs == NULL) {
		res->verdict = VERDICT_DENY;
		return;
	}
	sub.s[0] = canon;
	sub.len[0] = len;
	sub.s[1] = clform;
	sub.len[1] = cllen;
	/* Printable arguments: one string, matched once. */
	sub.n = clform == NULL || (cllen == len &&
	    memcmp(canon, clform, len) == 0) ? 1 : 2;
	sub.valid[0] = utf8_valid(canon, len);
	sub.valid[1] = sub.n == 2 && utf8_valid(clform, cllen);
	if (project != NULL && *project != '\0')
		rp = project_find(rs, project);
	for (k = 0; k < PAT_NKINDS; k++) {
		r = rules_match(&rs->global[k], k, &sub, &res->limit_hit,
		    deadline, &res->over_budget);
		if (r == NULL && rp != NULL && !res->over_budget)
			r = rules_match(&rp->kind[k], k, &sub,
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
