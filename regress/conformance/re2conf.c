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
 * re2conf: the RE2/Go conformance corpus against pattern.c.
 *
 *	re2conf [-v] -n name < corpus
 *
 * For every regexp and string of the corpus, pattern_match() must agree
 * with the "partial match, leftmost-first" result, which is Go's
 * regexp.MatchString.  Patterns using \C must be refused, as Go
 * refuses them.  Like Go's own test, \B cases on strings that are not
 * all ASCII are skipped (RE2 sees a non-boundary between the bytes of
 * a UTF-8 sequence, Go and pcre2 only between characters).
 */

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pattern.h"

#define MAX_REPORT	20

struct str {
	char	*s;
	size_t	 len;
	int	 ascii;		/* only bytes below 0x80 */
};

static struct {
	unsigned long	 cases;
	unsigned long	 agree;
	unsigned long	 patterns;
	unsigned long	 refused;	/* \C, refused as expected */
	unsigned long	 skipped;	/* \B on non-ASCII text */
	unsigned long	 limit;		/* hit a pcre2 limit */
	unsigned long	 failures;
} st;

static int	 verbose;

static void	 usage(void) __attribute__((__noreturn__));

static void
usage(void)
{
	fprintf(stderr, "usage: re2conf [-v] -n name < corpus\n");
	exit(2);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

static size_t
put_utf8(char *o, uint32_t r)
{
	if (r < 0x80) {
		o[0] = r;
		return (1);
	}
	if (r < 0x800) {
		o[0] = 0xc0 | (r >> 6);
		o[1] = 0x80 | (r & 0x3f);
		return (2);
	}
	if (r < 0x10000) {
		o[0] = 0xe0 | (r >> 12);
		o[1] = 0x80 | ((r >> 6) & 0x3f);
		o[2] = 0x80 | (r & 0x3f);
		return (3);
	}
	o[0] = 0xf0 | (r >> 18);
	o[1] = 0x80 | ((r >> 12) & 0x3f);
	o[2] = 0x80 | ((r >> 6) & 0x3f);
	o[3] = 0x80 | (r & 0x3f);
	return (4);
}

/*
 * A Go double-quoted string literal, as strconv.Unquote reads it.
 * Returns 0 and the bytes in *out (NUL-terminated, length in *lenp),
 * -1 if malformed.
 */
static int
unquote(const char *q, char **out, size_t *lenp)
{
	const char	*s = q;
	char		*o, *b;
	uint32_t	 r;
	int		 i, n, v;

	if (*s++ != '"')
		return (-1);
	if ((b = malloc(strlen(q) * 4 + 1)) == NULL)
		err(2, NULL);
	o = b;
	while (*s != '"') {
		if (*s == '\0')
			goto bad;
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'a': *o++ = '\a'; s++; break;
		case 'b': *o++ = '\b'; s++; break;
		case 'f': *o++ = '\f'; s++; break;
		case 'n': *o++ = '\n'; s++; break;
		case 'r': *o++ = '\r'; s++; break;
		case 't': *o++ = '\t'; s++; break;
		case 'v': *o++ = '\v'; s++; break;
		case '\\': *o++ = '\\'; s++; break;
		case '"': *o++ = '"'; s++; break;
		case '\'': *o++ = '\''; s++; break;
		case 'x':
			if ((n = hexval(s[1])) < 0 || (v = hexval(s[2])) < 0)
				goto bad;
			*o++ = n * 16 + v;
			s += 3;
			break;
		case 'u':
		case 'U':
			n = *s == 'u' ? 4 : 8;
			r = 0;
			for (i = 1; i <= n; i++) {
				if ((v = hexval(s[i])) < 0)
					goto bad;
				r = r * 16 + v;
			}
			if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
				goto bad;
			o += put_utf8(o, r);
			s += n + 1;
			break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			r = 0;
			for (i = 0; i < 3; i++) {
				if (s[i] < '0' || s[i] > '7')
					goto bad;
				r = r * 8 + (s[i] - '0');
			}
			if (r > 255)
				goto bad;
			*o++ = r;
			s += 3;
			break;
		default:
			goto bad;
		}
	}
	if (s[1] != '\0')
		goto bad;
	*o = '\0';
	*out = b;
	*lenp = o - b;
	return (0);
 bad:
	free(b);
	return (-1);
}

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t	 r;
	size_t		 len, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return (0);
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return (0);
	r = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		r = (r << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && r < 0x800) || (len == 4 && r < 0x10000) ||
	    r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return (0);
	return (len);
}

/* What Go sees: each byte that is not valid UTF-8 becomes U+FFFD. */
static void
to_text(const char *in, size_t n, struct str *out)
{
	const unsigned char	*s = (const unsigned char *)in;
	char			*o;
	size_t			 i, l;

	if ((out->s = malloc(n * 3 + 1)) == NULL)
		err(2, NULL);
	o = out->s;
	out->ascii = 1;
	for (i = 0; i < n; i += l) {
		if (s[i] >= 0x80)
			out->ascii = 0;
		if ((l = utf8_len(s + i, n - i)) == 0) {
			o += put_utf8(o, 0xfffd);
			l = 1;
		} else {
			memcpy(o, s + i, l);
			o += l;
		}
	}
	*o = '\0';
	out->len = o - out->s;
}

static void
mismatch(const char *re, const char *text, const char *want,
    const char *got)
{
	st.failures++;
	if (st.failures <= MAX_REPORT)
		printf("# mismatch: pattern %s string \"%s\" want %s got %s\n",
		    re, text, want, got);
}

int
main(int argc, char *argv[])
{
	struct pattern	*pat = NULL;
	struct str	*strs = NULL;
	const char	*name = NULL, *want;
	char		*line = NULL, *re = NULL, *raw, *semi, errbuf[256];
	size_t		 linecap = 0, nstrs = 0, capstrs = 0, rawlen;
	size_t		 next = 0, pending = 0;
	ssize_t		 len;
	unsigned long	 lineno = 0;
	int		 ch, in_strings = 0, has_c = 0, has_nb = 0, rc;

	while ((ch = getopt(argc, argv, "n:v")) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (name == NULL || optind != argc)
		usage();

	while ((len = getline(&line, &linecap, stdin)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#' ||
		    (line[0] >= 'A' && line[0] <= 'Z'))
			continue;
		if (strcmp(line, "strings") == 0) {
			if (next != pending)
				errx(2, "line %lu: out of sync", lineno);
			next = pending = 0;
			while (nstrs > 0)
				free(strs[--nstrs].s);
			in_strings = 1;
			continue;
		}
		if (strcmp(line, "regexps") == 0) {
			in_strings = 0;
			continue;
		}
		if (line[0] == '"') {
			if (unquote(line, &raw, &rawlen) == -1)
				errx(2, "line %lu: bad string %s", lineno,
				    line);
			if (in_strings) {
				if (nstrs == capstrs) {
					capstrs = capstrs ? capstrs * 2 : 64;
					strs = reallocarray(strs, capstrs,
					    sizeof(*strs));
					if (strs == NULL)
						err(2, NULL);
				}
				to_text(raw, rawlen, &strs[nstrs++]);
				free(raw);
				continue;
			}
			if (next != pending)
				errx(2, "line %lu: out of sync", lineno);
			pattern_free(pat);
			free(re);
			re = strdup(line);
			if (re == NULL)
				err(2, NULL);
			next = 0;
			pending = nstrs;
			st.patterns++;
			has_c = strstr(raw, "\\C") != NULL;
			has_nb = strstr(raw, "\\B") != NULL;
			if (strlen(raw) != rawlen) {
				mismatch(re, "", "compile", "NUL in pattern");
				pat = NULL;
			} else if ((pat = pattern_compile(raw, errbuf,
			    sizeof(errbuf))) == NULL) {
				if (has_c)
					st.refused++;
				else
					printf("# compile failed: pattern %s: "
					    "%s\n", re, errbuf), st.failures++;
			} else if (has_c && verbose)
				printf("# compiled despite \\C: %s\n", re);
			free(raw);
			continue;
		}
		if (line[0] == '-' || (line[0] >= '0' && line[0] <= '9')) {
			if (next >= pending)
				errx(2, "line %lu: no string left", lineno);
			next++;
			if (pat == NULL)
				continue;
			if (has_nb && !strs[next - 1].ascii) {
				st.skipped++;
				continue;
			}
			/* The second field: partial match, leftmost-first. */
			if ((semi = strchr(line, ';')) == NULL)
				errx(2, "line %lu: bad result", lineno);
			want = semi[1] == '-' ? "nomatch" : "match";
			st.cases++;
			rc = pattern_match(pat, strs[next - 1].s,
			    strs[next - 1].len);
			if (rc == PATTERN_LIMIT)
				st.limit++;
			if ((rc == PATTERN_MATCH) == (semi[1] != '-') &&
			    (rc == PATTERN_MATCH || rc == PATTERN_NOMATCH))
				st.agree++;
			else
				mismatch(re, strs[next - 1].s, want,
				    rc == PATTERN_MATCH ? "match" :
				    rc == PATTERN_NOMATCH ? "nomatch" :
				    rc == PATTERN_LIMIT ? "limit" : "error");
			continue;
		}
		errx(2, "line %lu: out of sync: %s", lineno, line);
	}
	pattern_free(pat);
	free(re);
	while (nstrs > 0)
		free(strs[--nstrs].s);
	free(strs);
	free(line);

	printf("%s - re2 %s: %lu cases agree, %lu patterns, %lu refused (\\C)"
	    "\n", st.failures == 0 && st.cases > 0 ? "ok" : "not ok", name,
	    st.agree, st.patterns, st.refused);
	printf("# re2 %s: count cases=%lu agree=%lu patterns=%lu "
	    "refused=%lu skipped=%lu limit=%lu failures=%lu\n", name,
	    st.cases, st.agree, st.patterns, st.refused, st.skipped,
	    st.limit, st.failures);
	return (st.failures == 0 && st.cases > 0 ? 0 : 1);
}
