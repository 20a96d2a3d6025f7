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
 * pattern, then after a NUL byte a subject, whose NUL bytes in turn
 * separate the arguments of a command.  Oracle: compiling never fails
 * without a one-line reason; what compiles keeps its source and
 * matches the subject (if it is UTF-8), a few canonical strings and
 * the two forms of the command (guardiand's canonical string and
 * cloister's, raw newlines, controls and U+FFFD for bytes that are not
 * UTF-8) with an answer (match, no match, or a limit hit), never a
 * matcher error; and the pattern as an approval decides only if it
 * matches both forms, as a deny pattern if it matches either
 * (ruleset.c).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "config.h"
#include "fuzz.h"
#include "pattern.h"
#include "ruleset.h"

#define MAXARGS	64

static const char *const subjects[] = {
	"",
	"git push origin main",
	"rm -rf /",
	"printf $'a\\nb' 'x y'",
	"echo 'caf\xc3\xa9' $'\\u202e'",
	/* cloister's forms: raw inside the quotes */
	"docker ps 'a\nb'",
	"printf 'a\tb\r\x1b[0m' '\xe2\x80\xae\xc2\x85'",
	"echo '\xef\xbf\xbd' 'it'\\''s'",
};

static int
match(const struct pattern *pat, const char *s, size_t len)
{
	int	 r;

	r = pattern_match(pat, s, len);
	FUZZ_CHECK(r == PATTERN_MATCH || r == PATTERN_NOMATCH ||
	    r == PATTERN_LIMIT);
	return (r);
}

/*
 * The command whose arguments the subject's NUL bytes separate, in
 * both forms, against src alone as an approval and as a deny pattern.
 */
static void
check_forms(const struct pattern *pat, const char *src, const char *subject,
    size_t slen)
{
	struct verdict_result	 res;
	struct ruleset		*rs;
	char			*argv[MAXARGS + 1], *canon, *clform;
	const char		*nul;
	size_t			 off, n;
	int			 argc = 0, k, mc, mcl, matched;

	for (off = 0; argc < MAXARGS; ) {
		nul = memchr(subject + off, '\0', slen - off);
		n = nul != NULL ? (size_t)(nul - (subject + off)) : slen - off;
		if ((argv[argc++] = strndup(subject + off, n)) == NULL)
			abort();
		off += n;
		if (nul == NULL)
			break;
		off++;
	}
	argv[argc] = NULL;
	if ((canon = canon_argv(argc, argv)) == NULL ||
	    (clform = canon_cloister_argv(argc, argv)) == NULL)
		abort();
	/* cloister's form is always UTF-8: never a matcher error. */
	FUZZ_CHECK(utf8_valid(clform, strlen(clform)));
	mc = match(pat, canon, strlen(canon));
	mcl = match(pat, clform, strlen(clform));
	for (k = PAT_DENY; k <= PAT_AUTO; k++) {
		if ((rs = ruleset_new()) == NULL)
			abort();
		FUZZ_CHECK(ruleset_add(rs, NULL, k, src, "f", 1, NULL) == 0);
		ruleset_check(rs, NULL, canon, strlen(canon), clform,
		    strlen(clform), 0, &res);
		matched = res.pattern != NULL;
		if (k == PAT_DENY)
			FUZZ_CHECK(matched == (mc != PATTERN_NOMATCH ||
			    mcl != PATTERN_NOMATCH));
		else
			FUZZ_CHECK(matched == (mc == PATTERN_MATCH &&
			    mcl == PATTERN_MATCH));
		FUZZ_CHECK(res.verdict == (matched && k == PAT_AUTO ?
		    VERDICT_AUTO : VERDICT_DENY));
		ruleset_free(rs);
	}
	while (argc > 0)
		free(argv[--argc]);
	free(canon);
	free(clform);
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
		(void)match(pat, subject, slen);
	if (subject != NULL)
		check_forms(pat, src, subject, slen);
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		(void)match(pat, subjects[i], strlen(subjects[i]));
	pattern_free(pat);
	free(src);
	return (0);
}
