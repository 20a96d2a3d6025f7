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
 * Canonical command string (DESIGN section 4): the rendering table,
 * strict UTF-8, snprintf semantics, and the round trip through
 * /bin/bash that the design promises.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "canon.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define S(s)		s, sizeof(s) - 1

struct ctab {
	const char	*arg;
	size_t		 len;
	const char	*want;
};

/* One argument each; C string literals split where \x would run on. */
static const struct ctab table[] = {
	/* as is */
	{ S("git"), "git" },
	{ S("-rf"), "-rf" },
	{ S("--force-with-lease"), "--force-with-lease" },
	{ S("a=b"), "a=b" },
	{ S("user@host:/src/x_y.z+1"), "user@host:/src/x_y.z+1" },
	{ S("AZaz09"), "AZaz09" },
	{ S("="), "=" },
	{ S("-"), "-" },
	/* empty */
	{ S(""), "''" },
	/* single-quoted */
	{ S("hello world"), "'hello world'" },
	{ S("it's"), "'it'\\''s'" },
	{ S("'"), "''\\'''" },
	{ S("''"), "''\\'''\\'''" },
	{ S("\""), "'\"'" },
	{ S("a\\b"), "'a\\b'" },
	{ S("\\"), "'\\'" },
	{ S("$HOME"), "'$HOME'" },
	{ S("$(id)"), "'$(id)'" },
	{ S("`id`"), "'`id`'" },
	{ S("!"), "'!'" },
	{ S("!!"), "'!!'" },
	{ S("*.c"), "'*.c'" },
	{ S("?"), "'?'" },
	{ S("[ab]"), "'[ab]'" },
	{ S("{a,b}"), "'{a,b}'" },
	{ S("~"), "'~'" },
	{ S("~/x"), "'~/x'" },
	{ S("a~"), "'a~'" },
	{ S("x=~/y"), "'x=~/y'" },
	{ S("a;b"), "'a;b'" },
	{ S("a|b&c"), "'a|b&c'" },
	{ S("<>"), "'<>'" },
	{ S("#"), "'#'" },
	{ S("a,b"), "'a,b'" },
	{ S("%s"), "'%s'" },
	{ S("^git push$"), "'^git push$'" },
	{ S(" "), "' '" },
	{ S("caf\xc3\xa9"), "'caf\xc3\xa9'" },
	{ S("\xe6\x97\xa5\xe6\x9c\xac"), "'\xe6\x97\xa5\xe6\x9c\xac'" },
	{ S("\xf0\x9f\x98\x80"), "'\xf0\x9f\x98\x80'" },
	{ S("\xc2\xa0"), "'\xc2\xa0'" },		/* NBSP: not listed */
	{ S("\xe2\x80\x90"), "'\xe2\x80\x90'" },	/* U+2010 */
	{ S("\xe2\x80\xa9"), "'\xe2\x80\xa9'" },	/* U+2029 */
	{ S("\xe2\x81\xa5"), "'\xe2\x81\xa5'" },	/* U+2065 */
	{ S("\xe2\x81\xaa"), "'\xe2\x81\xaa'" },	/* U+206A */
	{ S("\xef\xbb\xbe"), "'\xef\xbb\xbe'" },	/* U+FEFE */
	{ S("\xf4\x8f\xbf\xbf"), "'\xf4\x8f\xbf\xbf'" },	/* U+10FFFF */
	/* $'...': named escapes */
	{ S("a\nb"), "$'a\\nb'" },
	{ S("\n"), "$'\\n'" },
	{ S("a\tb"), "$'a\\tb'" },
	{ S("a\\b\n"), "$'a\\\\b\\n'" },
	{ S("it's\n"), "$'it\\'s\\n'" },
	{ S("ok\n$"), "$'ok\\n$'" },
	{ S("\"\n`"), "$'\"\\n`'" },
	/* other C0 and DEL */
	{ S("\x01"), "$'\\x01'" },
	{ S("\r"), "$'\\x0d'" },
	{ S("\x1f"), "$'\\x1f'" },
	{ S("\x7f"), "$'\\x7f'" },
	{ S("\x1b[31mred\x1b[0m"), "$'\\x1b[31mred\\x1b[0m'" },
	{ S("\x1b" "]0;title\x07"), "$'\\x1b]0;title\\x07'" },
	{ S("\x01" "0"), "$'\\x010'" },
	{ S("\x7f" "ff"), "$'\\x7fff'" },
	/* not UTF-8 */
	{ S("\x80"), "$'\\x80'" },
	{ S("\xff"), "$'\\xff'" },
	{ S("\xfe\xff"), "$'\\xfe\\xff'" },
	{ S("\xe2\x82"), "$'\\xe2\\x82'" },
	{ S("\xe2\x82" "a"), "$'\\xe2\\x82a'" },
	{ S("\xe2\x82\xe2\x82\xac"), "$'\\xe2\\x82\xe2\x82\xac'" },
	{ S("\xc0\x80"), "$'\\xc0\\x80'" },
	{ S("\xc1\xbf"), "$'\\xc1\\xbf'" },
	{ S("\xe0\x80\xaf"), "$'\\xe0\\x80\\xaf'" },
	{ S("\xed\xa0\x80"), "$'\\xed\\xa0\\x80'" },
	{ S("\xed\xbf\xbf"), "$'\\xed\\xbf\\xbf'" },
	{ S("\xf4\x90\x80\x80"), "$'\\xf4\\x90\\x80\\x80'" },
	{ S("\xf5\x80\x80\x80"), "$'\\xf5\\x80\\x80\\x80'" },
	{ S("\xf0\x9f\x98"), "$'\\xf0\\x9f\\x98'" },
	{ S("\x80" "0"), "$'\\x800'" },
	{ S("caf\xe9"), "$'caf\\xe9'" },		/* Latin-1 */
	{ S("caf\xc3\xa9\xff"), "$'caf\xc3\xa9\\xff'" },
	{ S("it's\xff"), "$'it\\'s\\xff'" },
	{ S("a b\x80"), "$'a b\\x80'" },
	/* C1 controls */
	{ S("\xc2\x80"), "$'\\u0080'" },
	{ S("\xc2\x85"), "$'\\u0085'" },
	{ S("\xc2\x9b" "31m"), "$'\\u009b31m'" },
	{ S("\xc2\x9f"), "$'\\u009f'" },
	/* invisible and bidi formatting */
	{ S("a\xe2\x80\x8b" "b"), "$'a\\u200bb'" },
	{ S("\xe2\x80\x8f"), "$'\\u200f'" },
	{ S("\xe2\x80\xaa"), "$'\\u202a'" },
	{ S("x\xe2\x80\xaetxt.exe"), "$'x\\u202etxt.exe'" },
	{ S("\xe2\x81\xa6"), "$'\\u2066'" },
	{ S("\xe2\x81\xa9"), "$'\\u2069'" },
	{ S("\xef\xbb\xbfgit"), "$'\\ufeffgit'" },
	{ S("\xe2\x80\x8b" "0000"), "$'\\u200b0000'" },
	{ S("\xe6\x97\xa5\xe2\x80\x8b\n"), "$'\xe6\x97\xa5\\u200b\\n'" },
};

/*
 * Independent strict UTF-8 decoder for the tests: decode by the
 * leading bits, then reject by value.  Returns the sequence length,
 * or 0 if s does not start with a valid sequence.
 */
static size_t
ref_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	static const uint32_t	 min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t		 c;
	size_t			 n, i;

	if (len == 0)
		return (0);
	if ((s[0] & 0x80) == 0)
		n = 1, c = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07;
	else
		return (0);
	if (n > len)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (n);
}

static int
ref_valid(const unsigned char *s, size_t len)
{
	uint32_t	 cp;
	size_t		 i, n;

	for (i = 0; i < len; i += n)
		if ((n = ref_decode(s + i, len - i, &cp)) == 0)
			return (0);
	return (1);
}

static int
ref_hidden(uint32_t cp)
{
	return (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff);
}

/* The design's promise about the output, checked independently. */
static void
assert_clean(const char *canon)
{
	const unsigned char	*s = (const unsigned char *)canon;
	size_t			 len = strlen(canon), i, n;
	uint32_t		 cp;

	for (i = 0; i < len; i += n) {
		n = ref_decode(s + i, len - i, &cp);
		if (n == 0)
			fail_msg("invalid UTF-8 at %zu in canonical string", i);
		if (ref_hidden(cp))
			fail_msg("raw U+%04X at %zu in canonical string",
			    (unsigned)cp, i);
	}
}

static char *
render(const char *arg, size_t len)
{
	size_t	 need;
	char	*out;

	need = canon_arg(NULL, 0, arg, len);
	out = malloc(need + 1);
	assert_non_null(out);
	assert_int_equal(canon_arg(out, need + 1, arg, len), need);
	assert_int_equal(strlen(out), need);
	return (out);
}

static void
test_table(void **state)
{
	size_t	 i;
	char	*got;

	for (i = 0; i < NITEMS(table); i++) {
		got = render(table[i].arg, table[i].len);
		if (strcmp(got, table[i].want) != 0)
			fail_msg("table[%zu]: got <%s>, want <%s>", i, got,
			    table[i].want);
		assert_clean(got);
		free(got);
	}
}

static void
test_argv(void **state)
{
	static char *const	 v1[] = { "git", "push", "origin", "main" };
	static char *const	 v2[] = { "sh", "-c", "echo $HOME; rm -rf /" };
	static char *const	 v3[] = { "printf", "a\nb", "", "it's" };
	static char *const	 v4[] = { "", "" };
	static char *const	 v5[] = { "x\xe2\x80\xae", "\xff" };
	char			*s;

	s = canon_argv(NITEMS(v1), v1);
	assert_string_equal(s, "git push origin main");
	free(s);
	s = canon_argv(NITEMS(v2), v2);
	assert_string_equal(s, "sh -c 'echo $HOME; rm -rf /'");
	free(s);
	s = canon_argv(NITEMS(v3), v3);
	assert_string_equal(s, "printf $'a\\nb' '' 'it'\\''s'");
	free(s);
	s = canon_argv(NITEMS(v4), v4);
	assert_string_equal(s, "'' ''");
	free(s);
	s = canon_argv(NITEMS(v5), v5);
	assert_string_equal(s, "$'x\\u202e' $'\\xff'");
	free(s);
	s = canon_argv(0, NULL);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	errno = 0;
	assert_null(canon_argv(-1, NULL));
	assert_int_equal(errno, EINVAL);
}

/* snprintf semantics at every buffer size around the needed one. */
static void
check_snprintf(const char *arg, size_t len)
{
	char	*full, *buf;
	size_t	 need, sz, keep, i;

	full = render(arg, len);
	need = strlen(full);
	assert_int_equal(canon_arg(NULL, 0, arg, len), need);
	buf = malloc(need + 16);
	assert_non_null(buf);
	for (sz = 0; sz <= need + 2; sz++) {
		memset(buf, 0xa5, need + 16);
		assert_int_equal(canon_arg(buf, sz, arg, len), need);
		if (sz > 0) {
			keep = need < sz - 1 ? need : sz - 1;
			assert_memory_equal(buf, full, keep);
			assert_int_equal(buf[keep], '\0');
		}
		for (i = sz; i < need + 16; i++)
			assert_int_equal((unsigned char)buf[i], 0xa5);
	}
	free(buf);
	free(full);
}

static void
test_snprintf(void **state)
{
	char	 small[4];
	size_t	 i;

	for (i = 0; i < NITEMS(table); i++)
		check_snprintf(table[i].arg, table[i].len);

	/* Truncation may cut an escape or a UTF-8 sequence: still NUL. */
	assert_int_equal(canon_arg(small, sizeof(small), S("\n")), 5);
	assert_string_equal(small, "$'\\");
	assert_int_equal(canon_arg(small, 1, S("abc")), 3);
	assert_string_equal(small, "");
	/* The exact fit and one short of it. */
	assert_int_equal(canon_arg(small, 4, S("abc")), 3);
	assert_string_equal(small, "abc");
	assert_int_equal(canon_arg(small, 3, S("abc")), 3);
	assert_string_equal(small, "ab");
}

struct utab {
	const char	*s;
	size_t		 len;
	int		 valid;
};

static void
test_utf8_valid(void **state)
{
	static const struct utab	 t[] = {
		{ S(""), 1 },
		{ S("abc"), 1 },
		{ S("a\0b"), 1 },
		{ S("\x7f"), 1 },
		{ S("\xc2\x80"), 1 },
		{ S("\xdf\xbf"), 1 },
		{ S("\xe0\xa0\x80"), 1 },
		{ S("\xed\x9f\xbf"), 1 },		/* U+D7FF */
		{ S("\xee\x80\x80"), 1 },		/* U+E000 */
		{ S("\xef\xbf\xbf"), 1 },
		{ S("\xf0\x90\x80\x80"), 1 },
		{ S("\xf4\x8f\xbf\xbf"), 1 },		/* U+10FFFF */
		{ S("\x80"), 0 },
		{ S("\xbf"), 0 },
		{ S("\xc0\x80"), 0 },			/* overlong NUL */
		{ S("\xc1\xbf"), 0 },
		{ S("\xe0\x80\x80"), 0 },
		{ S("\xe0\x9f\xbf"), 0 },
		{ S("\xed\xa0\x80"), 0 },		/* U+D800 */
		{ S("\xed\xbf\xbf"), 0 },		/* U+DFFF */
		{ S("\xf0\x80\x80\x80"), 0 },
		{ S("\xf0\x8f\xbf\xbf"), 0 },
		{ S("\xf4\x90\x80\x80"), 0 },		/* U+110000 */
		{ S("\xf5\x80\x80\x80"), 0 },
		{ S("\xf8\x88\x80\x80\x80"), 0 },
		{ S("\xfe"), 0 },
		{ S("\xff"), 0 },
		{ S("\xc2"), 0 },
		{ S("\xe2\x82"), 0 },
		{ S("\xf0\x9f\x98"), 0 },
		{ S("\xc2\x41"), 0 },
		{ S("\xe2\x28\xa1"), 0 },
		{ S("\xf0\x90\x28\xbc"), 0 },
		{ S("ok\xe2\x82\xac\x80"), 0 },
	};
	size_t				 i;

	for (i = 0; i < NITEMS(t); i++)
		if (utf8_valid(t[i].s, t[i].len) != t[i].valid)
			fail_msg("utf8_valid case %zu: want %d", i, t[i].valid);
	/* The length bounds the scan, not a NUL. */
	assert_int_equal(utf8_valid("\xe2\x82\xac", 2), 0);
	assert_int_equal(utf8_valid("\xff", 0), 1);
}

/* Every string of 1 to 3 bytes against the reference decoder. */
static void
test_utf8_exhaustive(void **state)
{
	unsigned char	 b[3];
	unsigned long	 v, nvalid = 0;
	size_t		 n;

	for (n = 1; n <= 3; n++) {
		for (v = 0; v < 1UL << (8 * n); v++) {
			b[0] = v & 0xff;
			b[1] = (v >> 8) & 0xff;
			b[2] = (v >> 16) & 0xff;
			if (utf8_valid((char *)b, n) != ref_valid(b, n))
				fail_msg("utf8_valid disagrees on %zu bytes "
				    "%02x %02x %02x", n, b[0], b[1], b[2]);
			nvalid += ref_valid(b, n);
		}
	}
	/* 128 + 128^2 + 1920 + 128^3 + 2*128*1920 + 61440, by hand. */
	assert_int_equal(nvalid, 128UL + 16384 + 1920 + 2097152 + 491520 +
	    61440);
}

/*
 * The round trip: bash must read every canonical string back into
 * the original arguments, byte for byte.
 */

struct arg {
	char	*s;
	size_t	 len;
};

struct vec {
	struct arg	*args;
	int		 argc;
};

struct vecs {
	struct vec	*v;
	size_t		 n, cap;
	size_t		 nargs;
};

static uint64_t	 rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: fixed seed, same vectors on every run. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static struct vec *
vecs_new(struct vecs *vs, int argc)
{
	struct vec	*v;

	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 256;
		vs->v = realloc(vs->v, vs->cap * sizeof(*vs->v));
		assert_non_null(vs->v);
	}
	v = &vs->v[vs->n++];
	v->argc = argc;
	v->args = calloc(argc, sizeof(*v->args));
	assert_non_null(v->args);
	vs->nargs += argc;
	return (v);
}

static void
arg_set(struct arg *a, const char *s, size_t len)
{
	a->s = malloc(len + 1);
	assert_non_null(a->s);
	memcpy(a->s, s, len);
	a->s[len] = '\0';
	a->len = len;
}

static void
vecs_free(struct vecs *vs)
{
	size_t	 i;
	int	 j;

	for (i = 0; i < vs->n; i++) {
		for (j = 0; j < vs->v[i].argc; j++)
			free(vs->v[i].args[j].s);
		free(vs->v[i].args);
	}
	free(vs->v);
}

/* Pieces for the mixed vectors: escapes next to hex digits, etc. */
static const char *const pieces[] = {
	"a", "Z", "0", "7", "f", "F", "ff", "0000", " ", "'", "''", "\\",
	"\\x41", "\\u0041", "\"", "$", "$'", "`", "!", "*", "?", "[", "]",
	"{a,b}", "~", "=", "-", "#", ";", "&", "|", "<", ">", "(", ")",
	"%s", "%", "\n", "\t", "\r", "\x01", "\x1b", "\x1f", "\x7f",
	"\xc2\x80", "\xc2\x85", "\xc2\x9f", "\xc2\xa0", "\xc3\xa9",
	"\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
	"\xe2\x80\x8b", "\xe2\x80\x8f", "\xe2\x80\xaa", "\xe2\x80\xae",
	"\xe2\x81\xa6", "\xe2\x81\xa9", "\xef\xbb\xbf", "\xe2\x80\xa8",
	"\x80", "\xbf", "\xc0", "\xc1\xbf", "\xe2\x82", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\xf0\x9f\x98", "\xfe", "\xff", "\xf5",
};

static void
gen_vectors(struct vecs *vs)
{
	static const char	 alpha[] = "'\\\n\t $`\"!a0fF\x80\xc2"
				    "\x85\xe2\x80\x8b\xae\xff\x7f\x1b";
	char			 buf[64];
	struct vec		*v;
	size_t			 i, len, k;
	int			 j, argc;

	/* The table, one argument per vector, then all of it at once. */
	for (i = 0; i < NITEMS(table); i++) {
		v = vecs_new(vs, 1);
		arg_set(&v->args[0], table[i].arg, table[i].len);
	}
	v = vecs_new(vs, NITEMS(table));
	for (i = 0; i < NITEMS(table); i++)
		arg_set(&v->args[i], table[i].arg, table[i].len);

	/* Random bytes without NUL. */
	for (i = 0; i < 1500; i++) {
		argc = 1 + rng() % 4;
		v = vecs_new(vs, argc);
		for (j = 0; j < argc; j++) {
			len = rng() % 24;
			for (k = 0; k < len; k++)
				buf[k] = 1 + rng() % 255;
			arg_set(&v->args[j], buf, len);
		}
	}
	/* Random bytes from a small, nasty alphabet. */
	for (i = 0; i < 1000; i++) {
		argc = 1 + rng() % 4;
		v = vecs_new(vs, argc);
		for (j = 0; j < argc; j++) {
			len = rng() % 16;
			for (k = 0; k < len; k++)
				buf[k] = alpha[rng() % (sizeof(alpha) - 1)];
			arg_set(&v->args[j], buf, len);
		}
	}
	/* Random mixes of interesting pieces. */
	for (i = 0; i < 1500; i++) {
		argc = 1 + rng() % 4;
		v = vecs_new(vs, argc);
		for (j = 0; j < argc; j++) {
			len = 0;
			for (k = rng() % 8; k > 0; k--) {
				const char *p = pieces[rng() % NITEMS(pieces)];

				memcpy(buf + len, p, strlen(p));
				len += strlen(p);
			}
			arg_set(&v->args[j], buf, len);
		}
	}
}

/* Canonical string of a vector, via canon_argv, checked for form. */
static char *
vec_canon(const struct vec *v)
{
	char	**argv, *s, *one, *joined;
	size_t	 off = 0, total = 1;
	int	 j;

	argv = calloc(v->argc, sizeof(*argv));
	assert_non_null(argv);
	for (j = 0; j < v->argc; j++)
		argv[j] = v->args[j].s;
	s = canon_argv(v->argc, argv);
	assert_non_null(s);
	free(argv);
	assert_clean(s);

	/* canon_argv is canon_arg joined by single spaces. */
	for (j = 0; j < v->argc; j++)
		total += canon_arg(NULL, 0, v->args[j].s, v->args[j].len) + 1;
	joined = malloc(total);
	assert_non_null(joined);
	for (j = 0; j < v->argc; j++) {
		one = render(v->args[j].s, v->args[j].len);
		if (j > 0)
			joined[off++] = ' ';
		memcpy(joined + off, one, strlen(one));
		off += strlen(one);
		free(one);
	}
	joined[off] = '\0';
	assert_string_equal(s, joined);
	free(joined);
	return (s);
}

/*
 * Run /bin/bash on script in a UTF-8 locale; return its stdout.
 */
static char *
run_bash(const char *script, size_t scriptlen, size_t *outlen)
{
	char			 path[] = "/tmp/test_canon.XXXXXX";
	char			*argv[] = { "/bin/bash", "--norc",
				    "--noprofile", path, NULL };
	char			*envp[] = { "LC_ALL=C.UTF-8",
				    "PATH=/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	char			*out = NULL;
	size_t			 len = 0, cap = 0;
	ssize_t			 r;
	pid_t			 pid;
	int			 fd, p[2], status;

	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, script, scriptlen), (ssize_t)scriptlen);
	close(fd);
	assert_int_equal(pipe(p), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, envp),
	    0);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		r = read(p[0], out + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		assert_true(r >= 0);
		if (r == 0)
			break;
		len += r;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1)
		assert_int_equal(errno, EINTR);
	unlink(path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	*outlen = len;
	return (out);
}

/* Next NUL-terminated field of bash's output. */
static const char *
next_field(const char *out, size_t outlen, size_t *off, size_t *flen)
{
	const char	*f, *nul;

	if (*off >= outlen)
		fail_msg("bash output ended early at byte %zu", *off);
	f = out + *off;
	nul = memchr(f, '\0', outlen - *off);
	if (nul == NULL)
		fail_msg("bash output not NUL-terminated");
	*flen = nul - f;
	*off += *flen + 1;
	return (f);
}

/*
 * One bash run per batch: each vector becomes printf '%s\0' MARK
 * CANONICAL, so a quoting slip shifts every later field and the
 * marker check catches it.
 */
static void
roundtrip(const struct vecs *vs, size_t first, size_t n)
{
	char		*script = NULL, *canon, *out, mark[32];
	size_t		 len = 0, cap = 0, need, i, off = 0, flen;
	const char	*f;
	int		 j;

	for (i = first; i < first + n; i++) {
		canon = vec_canon(&vs->v[i]);
		need = strlen(canon) + 64;
		if (cap - len < need) {
			cap = (cap + need) * 2;
			script = realloc(script, cap);
			assert_non_null(script);
		}
		len += snprintf(script + len, cap - len,
		    "printf '%%s\\0' @%zu@ %s\n", i, canon);
		free(canon);
	}
	if (cap - len < 64) {
		cap += 64;
		script = realloc(script, cap);
		assert_non_null(script);
	}
	len += snprintf(script + len, cap - len, "printf '%%s\\0' @end@\n");

	out = run_bash(script, len, &flen);
	need = flen;
	for (i = first; i < first + n; i++) {
		snprintf(mark, sizeof(mark), "@%zu@", i);
		f = next_field(out, need, &off, &flen);
		if (flen != strlen(mark) || memcmp(f, mark, flen) != 0)
			fail_msg("vector %zu: marker out of step", i);
		for (j = 0; j < vs->v[i].argc; j++) {
			f = next_field(out, need, &off, &flen);
			if (flen != vs->v[i].args[j].len ||
			    memcmp(f, vs->v[i].args[j].s, flen) != 0)
				fail_msg("vector %zu arg %d: bash read back "
				    "%zu bytes, want %zu", i, j, flen,
				    vs->v[i].args[j].len);
		}
	}
	f = next_field(out, need, &off, &flen);
	assert_int_equal(flen, 5);
	assert_memory_equal(f, "@end@", 5);
	assert_int_equal(off, need);
	free(out);
	free(script);
}

static void
test_roundtrip(void **state)
{
	struct vecs	 vs = { NULL, 0, 0, 0 };
	size_t		 i, n;

	gen_vectors(&vs);
	for (i = 0; i < vs.n; i += n) {
		n = vs.n - i < 1000 ? vs.n - i : 1000;
		roundtrip(&vs, i, n);
	}
	printf("# bash round trip count: %zu vectors, %zu arguments agree\n",
	    vs.n, vs.nargs);
	fflush(stdout);
	vecs_free(&vs);
}

/* Every random argument gets the form the rules prescribe. */
static void
test_forms(void **state)
{
	struct vecs	 vs = { NULL, 0, 0, 0 };
	const struct arg *a;
	size_t		 i, k, n;
	uint32_t	 cp;
	int		 j, word, plain;
	char		*s;

	gen_vectors(&vs);
	for (i = 0; i < vs.n; i++) {
		for (j = 0; j < vs.v[i].argc; j++) {
			a = &vs.v[i].args[j];
			word = a->len > 0;
			for (k = 0; k < a->len; k++)
				if (strchr("-_./:@+=", a->s[k]) == NULL &&
				    !((a->s[k] >= 'a' && a->s[k] <= 'z') ||
				    (a->s[k] >= 'A' && a->s[k] <= 'Z') ||
				    (a->s[k] >= '0' && a->s[k] <= '9')))
					word = 0;
			plain = 1;
			for (k = 0; k < a->len; k += n) {
				n = ref_decode((unsigned char *)a->s + k,
				    a->len - k, &cp);
				if (n == 0 || ref_hidden(cp)) {
					plain = 0;
					break;
				}
			}
			s = render(a->s, a->len);
			if (a->len == 0)
				assert_string_equal(s, "''");
			else if (word)
				assert_string_equal(s, a->s);
			else if (plain)
				assert_true(s[0] == '\'' &&
				    s[strlen(s) - 1] == '\'');
			else
				assert_true(strncmp(s, "$'", 2) == 0 &&
				    s[strlen(s) - 1] == '\'');
			free(s);
		}
	}
	vecs_free(&vs);
}

/* The bash behaviour the quoting relies on. */
static void
test_bash_assumptions(void **state)
{
	static const char	 script[] =
	    "printf '%s\\0' $'\\x80\\xff\\xc0' $'\\u0085' $'\\u009f' "
	    "$'\\u200b0000' $'\\ufeff' $'\\x410' $'\\'\\\\'\n";
	static const char	 want[] =
	    "\x80\xff\xc0\0\xc2\x85\0\xc2\x9f\0\xe2\x80\x8b" "0000\0"
	    "\xef\xbb\xbf\0" "A0\0'\\";
	char			*out;
	size_t			 len;

	out = run_bash(script, sizeof(script) - 1, &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_snprintf),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_exhaustive),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_bash_assumptions),
		cmocka_unit_test(test_roundtrip),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
