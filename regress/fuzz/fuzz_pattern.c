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
 * Pattern translation (guardiand/pattern.c, DESIGN 5): Go's regular
 * expressions checked and turned into pcre2's.  The input is a
 * pattern, then after a NUL byte a subject.  Oracle: compiling never
 * fails without a one-line reason; what compiles keeps its source and
 * matches the subject (if it is UTF-8) and a few canonical strings
 * with an answer (match, no match, or a limit hit), never a matcher
 * error.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "fuzz.h"
#include "pattern.h"

static const char *const subjects[] = {
	"",
	"git push origin main",
	"rm -rf /",
	"printf $'a\\nb' 'x y'",
	"echo 'caf\xc3\xa9' $'\\u202e'",
};

static void
match(const struct pattern *pat, const char *s, size_t len)
{
	int	 r;

	r = pattern_match(pat, s, len);
	FUZZ_CHECK(r == PATTERN_MATCH || r == PATTERN_NOMATCH ||
	    r == PATTERN_LIMIT);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pattern	*pat;
	const uint8_t	*nul;
	char		*src, err[256];
	const char	*subject = NULL;
	size_t		 n, slen = 0, i;

	nul = memchr(data, '\0', size);
	n = nul != NULL ? (size_t)(nul - data) : size;
	if ((src = strndup((const char *)data, n)) == NULL)
		abort();
	if (nul != NULL) {
		subject = (const char *)nul + 1;
		slen = size - n - 1;
	}
	memset(err, 'X', sizeof(err));
	if ((pat = pattern_compile(src, err, sizeof(err))) == NULL) {
		/* Why, on one line. */
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(err[0] != '\0');
		for (i = 0; err[i] != '\0'; i++)
			FUZZ_CHECK((unsigned char)err[i] >= 0x20 &&
			    err[i] != 0x7f);
		free(src);
		return (0);
	}
	FUZZ_CHECK(strcmp(pattern_source(pat), src) == 0);
	if (subject != NULL && utf8_valid(subject, slen))
		match(pat, subject, slen);
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		match(pat, subjects[i], strlen(subjects[i]));
	pattern_free(pat);
	free(src);
	return (0);
}
