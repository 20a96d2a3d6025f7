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

#ifndef PATTERN_H
#define PATTERN_H

#include <stddef.h>

/*
 * Go (RE2) regular expressions on top of pcre2.  pattern_compile()
 * refuses what Go's regexp.Compile refuses, and everything pcre2 would
 * read differently from Go; what it accepts matches as Go's
 * regexp.MatchString: unanchored, leftmost-first, UTF-8.
 */

struct pattern;

#define PATTERN_MATCH		1
#define PATTERN_NOMATCH		0
#define PATTERN_LIMIT		(-1)	/* match or depth limit hit */
#define PATTERN_ERROR		(-2)	/* any other matcher failure */

/* NULL on error with a one-line reason in err (no file:line). */
struct pattern	*pattern_compile(const char *, char *, size_t);
/* Subject: len bytes, refused (PATTERN_ERROR) unless valid UTF-8. */
int		 pattern_match(const struct pattern *, const char *, size_t);
/* The same for a subject the caller found valid (utf8_valid()). */
int		 pattern_match_valid(const struct pattern *, const char *,
		    size_t);
/* The literal text every match starts with, its length (0: none). */
size_t		 pattern_prefix(const struct pattern *, char *, size_t);
const char	*pattern_source(const struct pattern *);
void		 pattern_free(struct pattern *);

#endif /* PATTERN_H */
