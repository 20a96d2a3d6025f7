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
 * The canonical command string (common/canon.c, DESIGN 4).  The input
 * is the arguments, separated by NUL bytes.  Oracle: the string is
 * read back by a decoder of bash's quoting written here (plain words,
 * '...', \X, $'...' with the escapes canon.c may use) and must give
 * the arguments again; it must be valid UTF-8 without a raw hidden
 * character (controls, invisible and bidi formatting); a printable
 * argument is never $'...'-quoted (cloister's form); and canon_arg()
 * into a short buffer gives a prefix of the whole, like snprintf.
 * cloister's own form (canon_cloister_argv) is checked against one
 * written here from cloister's shellQuote(), Go's rune loop and all
 * (a byte that is not UTF-8 becomes U+FFFD): valid UTF-8, equal to
 * the canonical string when every argument is printable, a prefix
 * when cut short.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "fuzz.h"

#define MAXARGS	256

struct arg {
	const unsigned char	*p;
	size_t			 len;
};

/* Bytes of the UTF-8 form of cp, into out; 0 if it has none. */
static size_t
put_utf8(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return (0);
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	if (cp > 0x10ffff)
		return (0);
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return (4);
}

/*
 * The code point of the UTF-8 sequence at s (len > 0 bytes left) and
 * its length; 0 if it is not a valid one.  Written from RFC 3629's
 * table, independent of canon.c.
 */
static size_t
get_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t	 n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return (0);
	if (len < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond Unicode. */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000) || (c >= 0xd800 && c <= 0xdfff) ||
	    c > 0x10ffff)
		return (0);
	*cp = c;
	return (n);
}

static int
hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* bash reads up to max hex digits after \x, \u, \U: at least one. */
static uint32_t
get_hex(const char **sp, int max)
{
	const char	*s = *sp;
	uint32_t	 v = 0;
	int		 n, d;

	for (n = 0; n < max && (d = hexdigit(s[n])) != -1; n++)
		v = v << 4 | d;
	FUZZ_CHECK(n > 0);
	*sp = s + n;
	return (v);
}

static int
plain(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("-_./:@+=", c)));
}

/*
 * One word of s as bash reads it, up to a space or the end, into
 * out (big enough): its length.  Anything bash would expand, or
 * that canon.c never writes, fails.
 */
static size_t
read_word(const char **sp, unsigned char *out)
{
	const char	*s = *sp;
	size_t		 o = 0, n;
	uint32_t	 v;
	int		 parts = 0;

	while (*s != '\0' && *s != ' ') {
		parts++;
		if (*s == '\'') {
			for (s++; *s != '\''; s++) {
				FUZZ_CHECK(*s != '\0');
				out[o++] = *s;
			}
			s++;
		} else if (*s == '\\') {
			FUZZ_CHECK(s[1] != '\0');
			out[o++] = s[1];
			s += 2;
		} else if (s[0] == '$' && s[1] == '\'') {
			for (s += 2; *s != '\''; ) {
				FUZZ_CHECK(*s != '\0');
				if (*s != '\\') {
					out[o++] = *s++;
					continue;
				}
				switch (*++s) {
				case 'n':
					out[o++] = '\n';
					s++;
					break;
				case 't':
					out[o++] = '\t';
					s++;
					break;
				case '\\':
				case '\'':
					out[o++] = *s++;
					break;
				case 'x':
					s++;
					out[o++] = get_hex(&s, 2);
					break;
				case 'u':
				case 'U':
					v = *s++ == 'u' ? get_hex(&s, 4) :
					    get_hex(&s, 8);
					n = put_utf8(out + o, v);
					FUZZ_CHECK(n > 0);
					o += n;
					break;
				default:
					FUZZ_CHECK(!"escape canon.c never writes");
				}
			}
			s++;
		} else {
			FUZZ_CHECK(plain(*s));
			out[o++] = *s++;
		}
	}
	FUZZ_CHECK(parts > 0);
	*sp = s;
	return (o);
}

/* Valid UTF-8 without a hidden code point. */
static int
printable(const unsigned char *s, size_t len)
{
	uint32_t	 cp;
	size_t		 i, n;

	for (i = 0; i < len; i += n)
		if ((n = get_utf8(s + i, len - i, &cp)) == 0 ||
		    canon_hidden(cp))
			return (0);
	return (1);
}

/*
 * cloister's shellQuote() of one argument, appended at out: words as
 * they are, the rest in '...' rune by rune, ' as '\'', what Go's range
 * loop yields as RuneError (one byte that starts no valid sequence)
 * as U+FFFD.  Returns the bytes written.
 */
static size_t
go_quote(unsigned char *out, const unsigned char *s, size_t len)
{
	uint32_t	 cp;
	size_t		 o = 0, i, n;

	for (i = 0; i < len && plain(s[i]); i++)
		;
	if (len > 0 && i == len) {
		memcpy(out, s, len);
		return (len);
	}
	out[o++] = '\'';
	for (i = 0; i < len; i += n) {
		if ((n = get_utf8(s + i, len - i, &cp)) == 0) {
			o += put_utf8(out + o, 0xfffd);
			n = 1;
		} else if (cp == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
		}
	}
	out[o++] = '\'';
	return (o);
}

/* canon_cloister_argv() and canon_cloister_arg() against go_quote(). */
static void
check_cloister(const struct arg *args, char **argv, int argc,
    const char *canon, int allprintable, size_t cut)
{
	unsigned char	*want;
	char		*got, small[16];
	size_t		 total = 1, o = 0, n, i;
	uint32_t	 cp;

	for (i = 0; i < (size_t)argc; i++)
		total += 4 * args[i].len + 3;
	if ((want = malloc(total)) == NULL)
		abort();
	for (i = 0; i < (size_t)argc; i++) {
		if (i > 0)
			want[o++] = ' ';
		n = go_quote(want + o, args[i].p, args[i].len);
		/* Cut short like snprintf, whole size returned. */
		memset(small, 'X', sizeof(small));
		FUZZ_CHECK(canon_cloister_arg(small, cut, argv[i],
		    args[i].len) == n);
		if (cut > 0) {
			FUZZ_CHECK(strlen(small) == (n < cut ? n : cut - 1));
			FUZZ_CHECK(memcmp(small, want + o, strlen(small)) == 0);
		} else
			FUZZ_CHECK(small[0] == 'X');
		o += n;
	}
	want[o] = '\0';
	got = canon_cloister_argv(argc, argv);
	FUZZ_CHECK(got != NULL);
	FUZZ_CHECK(strlen(got) == o && memcmp(got, want, o) == 0);
	for (i = 0; i < o; i += n)
		FUZZ_CHECK((n = get_utf8((unsigned char *)got + i, o - i,
		    &cp)) > 0);
	if (allprintable)
		FUZZ_CHECK(strcmp(got, canon) == 0);
	free(got);
	free(want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arg	 args[MAXARGS];
	char		*argv[MAXARGS + 1], *canon, *one, small[16];
	const char	*s;
	unsigned char	*word;
	size_t		 i, n, len, off;
	int		 argc = 0;

	/* Arguments: the pieces between NUL bytes. */
	for (off = 0; argc < MAXARGS; ) {
		const uint8_t *nul = memchr(data + off, '\0', size - off);

		n = nul != NULL ? (size_t)(nul - (data + off)) : size - off;
		args[argc].p = data + off;
		args[argc].len = n;
		if ((argv[argc] = strndup((const char *)data + off, n)) ==
		    NULL)
			abort();
		argc++;
		off += n;
		if (nul == NULL)
			break;
		off++;
	}
	argv[argc] = NULL;

	canon = canon_argv(argc, argv);
	FUZZ_CHECK(canon != NULL);
	len = strlen(canon);
	/* One line, nothing hidden, readable in a UTF-8 terminal. */
	FUZZ_CHECK(printable((unsigned char *)canon, len));

	if ((word = malloc(len + 1)) == NULL)
		abort();
	s = canon;
	for (i = 0; i < (size_t)argc; i++) {
		if (i > 0) {
			FUZZ_CHECK(*s == ' ');
			s++;
		}
		n = read_word(&s, word);
		FUZZ_CHECK(n == args[i].len);
		FUZZ_CHECK(memcmp(word, args[i].p, n) == 0);
	}
	FUZZ_CHECK(*s == '\0');
	free(word);

	for (i = 0, n = 1; i < (size_t)argc; i++)
		n &= printable(args[i].p, args[i].len);
	check_cloister(args, argv, argc, canon, n,
	    size > 0 ? data[0] % 16 : 5);

	for (i = 0; i < (size_t)argc; i++) {
		/* Printable arguments keep cloister's form. */
		n = canon_arg(NULL, 0, argv[i], args[i].len);
		if ((one = malloc(n + 1)) == NULL)
			abort();
		FUZZ_CHECK(canon_arg(one, n + 1, argv[i], args[i].len) == n);
		FUZZ_CHECK(strlen(one) == n);
		if (printable(args[i].p, args[i].len))
			FUZZ_CHECK(strncmp(one, "$'", 2) != 0);
		/* Cut short like snprintf: a prefix, NUL-terminated. */
		off = size > 0 ? data[0] % sizeof(small) : 5;
		memset(small, 'X', sizeof(small));
		FUZZ_CHECK(canon_arg(small, off, argv[i], args[i].len) == n);
		if (off > 0) {
			FUZZ_CHECK(strlen(small) == (n < off ? n : off - 1));
			FUZZ_CHECK(strncmp(small, one, strlen(small)) == 0);
		} else
			FUZZ_CHECK(small[0] == 'X');
		free(one);
		free(argv[i]);
	}
	free(canon);
	return (0);
}
