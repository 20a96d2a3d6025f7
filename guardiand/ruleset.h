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

#ifndef RULESET_H
#define RULESET_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * The policy (DESIGN sections 5 and 6.6), shared by the policy child
 * and guardiand -n.  Patterns are Go regular expressions compiled with
 * pattern.c; each belongs to the global set or to one project.
 *
 * ruleset_check() decides in this order: deny patterns, then
 * auto_approve, then manual_approve, then the default (deny, or
 * manual_approve if default_manual).  Within a kind the global patterns
 * come first, then the project's, each in the order added; the first
 * match decides.  A command is matched as two strings, guardiand's
 * canonical one and cloister's (ruleset_check()).  A match that hits a
 * pcre2 limit (or fails otherwise) counts as a match for deny and as
 * no match for the others (fail closed), and sets limit_hit so that
 * the caller can log it.
 */

enum verdict {
	VERDICT_DENY,
	VERDICT_AUTO,
	VERDICT_MANUAL
};

struct verdict_result {
	enum verdict	 verdict;
	const char	*pattern;	/* the one that decided, NULL if none;
					   valid while the ruleset lives */
	int		 limit_hit;	/* some match hit a pcre2 limit */
	int		 over_budget;	/* out of time first: deny */
};

struct ruleset;

/* NULL if out of memory. */
struct ruleset	*ruleset_new(void);
void		 ruleset_free(struct ruleset *);

/*
 * Add one pattern; project NULL or "" means global.  On a compile
 * error, appends "file:line: message\n" to *errs (malloc'd, grown; the
 * caller frees it) and returns -1.  0 on success.
 */
int		 ruleset_add(struct ruleset *, const char *, enum pat_kind,
		    const char *, const char *, int, char **);

/*
 * The verdict for a command of project, from its canonical string
 * canon (len bytes) and cloister's form of it, clform (cllen bytes;
 * canon_cloister_argv()), both valid UTF-8.  An auto_approve or
 * manual_approve pattern matches only if it matches both, a deny
 * pattern if it matches either (DESIGN section 5): no verdict is
 * more permissive than cloister's on its own string.  clform NULL:
 * canon alone.
 */
void		 ruleset_check(const struct ruleset *, const char *,
		    const char *, size_t, const char *, size_t, int,
		    struct verdict_result *);
/*
 * The same within a time budget: deadline is CLOCK_MONOTONIC in ms (0:
 * none), looked at before each pattern (one match is bounded by the
 * pcre2 limits).  Past it the check stops undecided: over_budget is
 * set and the verdict is deny.
 */
void		 ruleset_check_until(const struct ruleset *, const char *,
		    const char *, size_t, const char *, size_t, int, int64_t,
		    struct verdict_result *);

/* "deny", "auto_approve", "manual_approve". */
const char	*verdict_name(enum verdict);

#endif /* RULESET_H */
