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
 * The canonical command string (DESIGN section 4).  libc only: this
 * file may be linked into the static hostexec client.
 *
 * Forms, chosen per argument:
 *   word      non-empty, only A-Za-z0-9 and -_./:@+=
 *   ''        the empty argument
 *   '...'     valid UTF-8 without a hidden character (below);
 *             each ' is written '\''
 *   $'...'    everything else, in bash ANSI-C quoting: \n \t \\ \',
 *             \xHH (always two lower-case digits, as bash reads up to
 *             two) for other C0 bytes, DEL and every byte that is not
 *             part of valid UTF-8, \uHHHH (always four digits) for the
 *             other hidden characters up to U+FFFF and \UHHHHHHHH
 *             (always eight) above; other valid UTF-8 stays raw.
 *
 * Hidden: the general categories Cc (C0, DEL, C1), Cf (invisible and
 * bidi formatting), Zl and Zp, U+00AD, the Hangul fillers U+115F,
 * U+1160, U+3164, U+FFA0 and the tag block U+E0000-U+E007F, which
 * all render as nothing, as blank or reorder the text around them.
 * The table is generated from UnicodeData.txt (uniformat.h).
 *
 * C1 controls (U+0080-U+009F) are valid code points, so they get
 * \uHHHH rather than \xc2\xHH: in a UTF-8 locale bash turns $'\u0085'
 * back into c2 85 (checked by regress/unit/test_canon.c with bash
 * 5.2 and LC_ALL=C.UTF-8).  Reading \uHHHH back needs a UTF-8 locale;
 * \xHH needs none: bash 5.2 turns $'\x80' into the raw byte 0x80.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "uniformat.h"

/* snprintf-style sink: counts everything, stores what fits. */
struct sink {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static void	sink_putc(struct sink *, char);
static void	sink_puts(struct sink *, const char *);
static void	sink_hex(struct sink *, const char *, uint32_t, int);
static int	is_word(const unsigned char *, size_t);
static int	is_printable(const unsigned char *, size_t);
static void	put_squoted(struct sink *, const unsigned char *, size_t);
static void	put_ansi(struct sink *, const unsigned char *, size_t);

static void
sink_putc(struct sink *s, char c)
{
	if (s->size > 0 && s->len < s->size - 1)
		s->buf[s->len] = c;
	s->len++;
}

static void
sink_puts(struct sink *s, const char *str)
{
	while (*str != '\0')
		sink_putc(s, *str++);
}

/* prefix, then v as exactly ndigits lower-case hex digits. */
static void
sink_hex(struct sink *s, const char *prefix, uint32_t v, int ndigits)
{
	static const char	 hex[] = "0123456789abcdef";
	int			 i;

	sink_puts(s, prefix);
	for (i = ndigits - 1; i >= 0; i--)
		sink_putc(s, hex[(v >> (4 * i)) & 0xf]);
}

/*
 * Length of the valid UTF-8 sequence at s[0..len), storing its code
 * point in *cp; 0 if s[0] does not start one.  Strict: shortest form
 * only, no surrogates, nothing above U+10FFFF, no truncation.
 */
size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	uint32_t	 c;
	size_t		 n, i;

	if (len == 0)
		return (0);
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return (1);
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
		c &= 0x07;
	} else
		return (0);	/* continuation, 0xc0, 0xc1, 0xf5-0xff */
	if (len < n)
		return (0);
	if (s[1] < lo || s[1] > hi)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return (n);
}

int
utf8_valid(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	uint32_t		 cp;
	size_t			 i, n;

	for (i = 0; i < len; i += n)
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return (0);
	return (1);
}

/* Bytes that need no quoting at all. */
static int
is_word(const unsigned char *s, size_t len)
{
	static const char	 punct[] = "-_./:@+=";
	size_t			 i;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (memchr(punct, s[i], sizeof(punct) - 1) == NULL)
			return (0);
	}
	return (1);
}

/* Binary search of the generated table. */
int
canon_hidden(uint32_t cp)
{
	size_t	 lo = 0, hi = sizeof(uniformat) / sizeof(uniformat[0]), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < uniformat[mid].lo)
			hi = mid;
		else if (cp > uniformat[mid].hi)
			lo = mid + 1;
		else
			return (1);
	}
	return (0);
}

/* Valid UTF-8 with nothing hidden: safe inside plain single quotes. */
static int
is_printable(const unsigned char *s, size_t len)
{
	uint32_t	 cp;
	size_t		 i, n;

	for (i = 0; i < len; i += n)
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0 ||
		    canon_hidden(cp))
			return (0);
	return (1);
}

static void
put_squoted(struct sink *k, const unsigned char *s, size_t len)
{
	size_t	 i;

	sink_putc(k, '\'');
	for (i = 0; i < len; i++) {
		if (s[i] == '\'')
			sink_puts(k, "'\\''");
		else
			sink_putc(k, s[i]);
	}
	sink_putc(k, '\'');
}

static void
put_ansi(struct sink *k, const unsigned char *s, size_t len)
{
	uint32_t	 cp;
	size_t		 i, j, n;

	sink_puts(k, "$'");
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			/* Not UTF-8: escape this byte, resync on the next. */
			sink_hex(k, "\\x", s[i], 2);
			n = 1;
		} else if (cp == '\n')
			sink_puts(k, "\\n");
		else if (cp == '\t')
			sink_puts(k, "\\t");
		else if (cp == '\\')
			sink_puts(k, "\\\\");
		else if (cp == '\'')
			sink_puts(k, "\\'");
		else if (cp < 0x20 || cp == 0x7f)
			sink_hex(k, "\\x", cp, 2);
		else if (canon_hidden(cp) && cp <= 0xffff)
			sink_hex(k, "\\u", cp, 4);
		else if (canon_hidden(cp))
			sink_hex(k, "\\U", cp, 8);
		else
			for (j = 0; j < n; j++)
				sink_putc(k, s[i + j]);
	}
	sink_putc(k, '\'');
}

size_t
canon_arg(char *out, size_t outsz, const char *arg, size_t len)
{
	const unsigned char	*s = (const unsigned char *)arg;
	struct sink		 k = { out, outsz, 0 };
	size_t			 i;

	if (len == 0)
		sink_puts(&k, "''");
	else if (is_word(s, len)) {
		for (i = 0; i < len; i++)
			sink_putc(&k, s[i]);
	} else if (is_printable(s, len))
		put_squoted(&k, s, len);
	else
		put_ansi(&k, s, len);
	if (outsz > 0)
		out[k.len < outsz ? k.len : outsz - 1] = '\0';
	return (k.len);
}

/*
 * cloister's canonical form of one argument, as its shellQuote()
 * builds it from Go's runes: a word as is, anything else in '...'
 * with each ' written '\'' and every other character raw, a byte
 * that is not part of valid UTF-8 as U+FFFD (Go's range loop yields
 * RuneError for it, one byte at a time, which WriteRune encodes).
 * Never $'...': the result is what cloister matches its patterns
 * against, raw newlines and all.
 */
size_t
canon_cloister_arg(char *out, size_t outsz, const char *arg, size_t len)
{
	const unsigned char	*s = (const unsigned char *)arg;
	struct sink		 k = { out, outsz, 0 };
	uint32_t		 cp;
	size_t			 i, j, n;

	if (len == 0)
		sink_puts(&k, "''");
	else if (is_word(s, len)) {
		for (i = 0; i < len; i++)
			sink_putc(&k, s[i]);
	} else {
		sink_putc(&k, '\'');
		for (i = 0; i < len; i += n) {
			if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
				sink_puts(&k, "\xef\xbf\xbd");
				n = 1;
			} else if (cp == '\'')
				sink_puts(&k, "'\\''");
			else
				for (j = 0; j < n; j++)
					sink_putc(&k, s[i + j]);
		}
		sink_putc(&k, '\'');
	}
	if (outsz > 0)
		out[k.len < outsz ? k.len : outsz - 1] = '\0';
	return (k.len);
}

/* The arguments rendered by fn, joined by single spaces, malloc'd. */
static char *
join(int argc, char *const *argv, size_t (*fn)(char *, size_t,
    const char *, size_t))
{
	size_t	 total = 1, n, off;
	char	*out;
	int	 i;

	if (argc < 0) {
		errno = EINVAL;
		return (NULL);
	}
	/* Size first, so the result is exact and never truncated. */
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL) {
			errno = EINVAL;
			return (NULL);
		}
		n = fn(NULL, 0, argv[i], strlen(argv[i]));
		if (n > SIZE_MAX - total - 1) {
			errno = ENOMEM;
			return (NULL);
		}
		total += n + (i > 0);
	}
	if ((out = malloc(total)) == NULL)
		return (NULL);
	out[0] = '\0';
	for (i = 0, off = 0; i < argc; i++) {
		if (i > 0)
			out[off++] = ' ';
		off += fn(out + off, total - off, argv[i], strlen(argv[i]));
	}
	return (out);
}

char *
canon_argv(int argc, char *const *argv)
{
	return (join(argc, argv, canon_arg));
}

char *
canon_cloister_argv(int argc, char *const *argv)
{
	return (join(argc, argv, canon_cloister_arg));
}
