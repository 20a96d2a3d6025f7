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
 * The Go-compatible pattern engine (DESIGN section 5) and the policy
 * order built on it (section 6.6): the sharp edges between Go's regexp
 * and pcre2, each checked both ways, the refusals with their messages,
 * the match limits and the ruleset's order and error format.
 */

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config.h"
#include "pattern.h"
#include "ruleset.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct mcase {
	const char	*re;
	const char	*s;
	size_t		 len;		/* 0: strlen(s) */
	int		 want;
};

#define M(re, s)	{ re, s, 0, PATTERN_MATCH }
#define N(re, s)	{ re, s, 0, PATTERN_NOMATCH }

static int
match(const char *re, const char *s, size_t len)
{
	struct pattern	*p;
	char		 err[256];
	int		 rc;

	p = pattern_compile(re, err, sizeof(err));
	if (p == NULL)
		fail_msg("compile %s: %s", re, err);
	rc = pattern_match(p, s, len);
	pattern_free(p);
	return (rc);
}

static void
run_cases(const struct mcase *c, size_t n)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < n; i++) {
		rc = match(c[i].re, c[i].s, c[i].len ? c[i].len :
		    strlen(c[i].s));
		if (rc != c[i].want)
			fail_msg("pattern %s on \"%s\": got %d, want %d",
			    c[i].re, c[i].s, rc, c[i].want);
	}
}

/* $ only at the very end, ^ only at the start, unless (?m). */
static void
test_anchors(void **state)
{
	static const struct mcase c[] = {
		M("a$", "a"), N("a$", "a\n"), N("a$", "a\nb"),
		M("^a", "a"), N("^b", "a\nb"),
		M("(?m)a$", "a\nb"), M("(?m)^b", "a\nb"),
		M("(?m)^\\z", "a\n"), N("^\\z", "a\n"),
		M("\\Aa\\z", "a"), N("\\Aa\\z", "ba"),
		M("(?m)$\\n", "a\n"), N("$\\n", "a\n"),
		M("(?m:a$)|x", "a\nb"), N("(?m:b)a$", "ba\n"),
		M("b", "abc"), M("", ""),
	};

	run_cases(c, NITEMS(c));
}

/* \w \d \s \b are ASCII-only as in Go; \s has no \v. */
static void
test_ascii_classes(void **state)
{
	static const struct mcase c[] = {
		M("\\w", "a"), N("\\w", "\xc3\xa9"), M("\\W", "\xc3\xa9"),
		M("\\d", "3"), N("\\d", "\xd9\xa3"), M("\\D", "\xd9\xa3"),
		M("\\s", " "), M("\\s", "\t"), M("\\s", "\n"),
		N("\\s", "\v"), M("\\S", "\v"), N("\\s", "\xc2\xa0"),
		M("a\\b", "a\xc3\xa9"), N("a\\B", "a\xc3\xa9"),
		N("\\b", "\xc3\xa9\xc3\xa9"),
		M("[[:alpha:]]", "z"), N("[[:alpha:]]", "\xc3\xa9"),
		M("[[:^alpha:]]", "1"), N("[[:^alpha:]]", "a"),
		M("[[:word:]]", "_"), N("[[:word:]]", "-"),
		M("[[:space:]]", "\v"), N("[[:blank:]]", "\n"),
		M("[^\\d\\s]", "x"), N("[^\\d\\s]", "7"),
		M("[\\D]", "x"), N("[^\\D]", "x"),
	};

	run_cases(c, NITEMS(c));
}

/* Go's \v is U+000B alone (pcre2's is a class of vertical space). */
static void
test_escapes(void **state)
{
	static const struct mcase c[] = {
		M("\\v", "\v"), N("\\v", "\n"), N("\\v", "\xe2\x80\xa8"),
		M("\\101", "A"), N("\\101", "101"), M("\\012", "\n"),
		{ "a\\0b", "a\0b", 3, PATTERN_MATCH },
		N("a\\0b", "a0b"),
		M("\\x41\\x{1F600}", "A\xf0\x9f\x98\x80"),
		M("\\a\\f\\t\\r", "\a\f\t\r"),
		M("\\.\\*\\_\\-", ".*_-"), N("\\.", "a"),
		M("\\Q.*+\\E", ".*+"), N("\\Q.*\\E", "ab"),
		M("^\\Qab\\E+$", "abbb"), N("^\\Qab\\E+$", "abab"),
		M("\\Qa.b", "a.b"), N("\\Qa.b", "axb"),
		M("x{", "x{"), M("x{,3}", "x{,3}"), N("x{,3}", "xxx"),
		M("a{01}", "a{01}"), M("a{2}", "aa"), N("^a{2}$", "a"),
		M("a*?b", "aab"), M("a+?b", "ab"), M("a??b", "b"),
		M("^a{2}?$", "aa"), M("a{2,}?", "aaa"),
		N("\\x{D800}", "\xef\xbf\xbd"),
	};

	run_cases(c, NITEMS(c));
}

static void
test_unicode_classes(void **state)
{
	static const struct mcase c[] = {
		M("\\pL", "\xc3\xa9"), N("\\pL", "1"),
		M("\\PL", "1"), N("\\PL", "\xc3\xa9"),
		M("\\p{Greek}", "\xce\xb1"), N("\\p{Greek}", "a"),
		M("\\P{Greek}", "a"), N("\\P{Greek}", "\xce\xb1"),
		M("\\p{^Greek}", "a"), N("\\p{^Greek}", "\xce\xb1"),
		M("\\P{^Greek}", "\xce\xb1"),
		/* U+0342: Greek by Script_Extensions only, as pcre2's
		 * plain \p{Greek} would read it. */
		N("\\p{Greek}", "\xcd\x82"),
		M("\\pN", "\xd9\xa3"), M("\\p{Nd}", "7"), N("\\pN", "x"),
		/* Go's C is Cc|Cf|Co|Cs: U+0378 (unassigned) is not in it. */
		M("\\pC", "\x01"), N("\\pC", "\xcd\xb8"),
		M("[\\p{Greek}\\d]", "5"), M("[^\\p{Greek}]", "a"),
		N("[^\\p{Greek}\\d]", "5"),
		M("\\p{Any}", "\n"), N("\\P{Any}", "a"),
		M("\\p{Han}+", "\xe6\xbc\xa2"),
		M("\\p{Lu}", "A"), N("\\p{Lu}", "a"),
		M("[\\p{Lu}\\d]", "7"),
		M("\\p{Uppercase_Letter}", "Q"),
	};

	run_cases(c, NITEMS(c));
}

/* (?i) folds as Go's simple folding, groups included. */
static void
test_case_folding(void **state)
{
	static const struct mcase c[] = {
		M("(?i)k", "K"), M("(?i)k", "\xe2\x84\xaa"), N("k", "K"),
		M("(?i)\\x{212A}", "k"), M("(?i)s", "\xc5\xbf"),
		M("(?i)\\w", "\xe2\x84\xaa"), N("\\w", "\xe2\x84\xaa"),
		N("(?i)\\W", "\xe2\x84\xaa"), N("(?i)\\W", "k"),
		M("(?i)[[:upper:]]", "\xc5\xbf"), M("(?i)[[:lower:]]", "Q"),
		N("(?i)[[:^lower:]]", "Q"), N("(?i)[^k]", "\xe2\x84\xaa"),
		M("(?i)[a-z]", "\xe2\x84\xaa"),
		M("(?i)\xcf\x83", "\xcf\x82"), M("(?i)\xc3\xa9", "\xc3\x89"),
		M("(?i)\\p{Greek}", "\xc2\xb5"), N("\\p{Greek}", "\xc2\xb5"),
		N("(?i)\\P{Greek}", "\xc2\xb5"), M("(?i)\\pL", "\xcd\x85"),
		M("(?i)\\p{ASCII}", "\xe2\x84\xaa"),
		/* Go adds what folds into the class; U+0138 folds to nothing */
		M("(?i)\\p{Lu}", "a"), N("\\p{Lu}", "a"),
		N("(?i)\\p{Lu}", "\xc4\xb8"), M("(?i)\\p{Ll}", "\xc7\x85"),
		N("(?i)\\P{Ll}", "A"), M("(?i)[^\\p{Lu}]", "\xc4\xb8"),
		N("(?i)[^\\p{Lu}]", "\xc3\x9f"),
		M("(?i:a)b", "Ab"), N("(?i:a)b", "AB"),
		M("a(?i)b", "aB"), N("a(?i)b", "AB"),
		M("(?i)a(?-i)b", "Ab"), N("(?i)a(?-i)b", "AB"),
		M("(?i:x|(?-i:y)z)", "yZ"), N("(?i:x|(?-i:y)z)", "Yz"),
	};

	run_cases(c, NITEMS(c));
}

static void
test_flags_and_groups(void **state)
{
	static const struct mcase c[] = {
		M("(?s).", "\n"), N(".", "\n"), M("(?s:.)x", "\nx"),
		N("[^a]", "a"), M("[^a]", "\n"),
		M("(?P<word>ab)+$", "abab"), M("(?<w>a)(b)", "ab"),
		M("(?P<x>a)(?P<x>b)", "ab"),
		M("(?U)a+b", "aab"), M("(?)a", "a"), M("(?i-i)a", "a"),
		M("(a|b|)c", "c"), M("(?:)", "x"), M("a||b", "x"),
		M("^*a", "a"), M("(?:$)*", ""), M("a\\Q\\E*", "aaa"),
		M("a*(?i)*", "aaa"),
		/* the canonical form of one argument "git status" */
		N("^git status$", "'git status'"), M("^git status$",
		    "git status"),
		M("^git (status|log)$", "git log"),
	};

	run_cases(c, NITEMS(c));
}

struct rcase {
	const char	*re;
	const char	*msg;
};

/* What Go refuses, and what pcre2 would read differently. */
static void
test_refused(void **state)
{
	static const struct rcase c[] = {
		{ "\\1", "invalid escape sequence: `\\1`" },
		{ "(a)\\1", "invalid escape sequence: `\\1`" },
		{ "\\8", "invalid escape sequence: `\\8`" },
		{ "\\9", "invalid escape sequence: `\\9`" },
		{ "a(?=b)", "invalid or unsupported Perl syntax: `(?=`" },
		{ "a(?!b)", "invalid or unsupported Perl syntax: `(?!`" },
		{ "(?<=a)b", "invalid named capture" },
		{ "(?<!a)b", "invalid named capture" },
		{ "(?>a)", "invalid or unsupported Perl syntax: `(?>`" },
		{ "a++", "invalid nested repetition operator: `++`" },
		{ "a*+", "invalid nested repetition operator: `*+`" },
		{ "a?+", "invalid nested repetition operator: `?+`" },
		{ "a{2}+", "invalid nested repetition operator: `{2}+`" },
		{ "a**", "invalid nested repetition operator: `**`" },
		{ "a{2}{3}", "invalid nested repetition operator: `{2}{3}`" },
		{ "a*??", "invalid nested repetition operator: `*??`" },
		{ "(?R)", "invalid or unsupported Perl syntax: `(?R`" },
		{ "(a)(?1)", "invalid or unsupported Perl syntax: `(?1`" },
		{ "(?(1)a|b)", "invalid or unsupported Perl syntax: `(?(`" },
		{ "(?P=n)", "invalid or unsupported Perl syntax: `(?P`" },
		{ "(?P>n)", "invalid or unsupported Perl syntax: `(?P`" },
		{ "(?'n'a)", "invalid or unsupported Perl syntax: `(?'`" },
		{ "(?|a)", "invalid or unsupported Perl syntax: `(?|`" },
		{ "a\\Z", "invalid escape sequence: `\\Z`" },
		{ "\\C", "invalid escape sequence: `\\C`" },
		{ "\\K", "invalid escape sequence: `\\K`" },
		{ "\\R", "invalid escape sequence: `\\R`" },
		{ "\\X", "invalid escape sequence: `\\X`" },
		{ "\\G", "invalid escape sequence: `\\G`" },
		{ "\\h", "invalid escape sequence: `\\h`" },
		{ "\\H", "invalid escape sequence: `\\H`" },
		{ "\\N", "invalid escape sequence: `\\N`" },
		{ "\\e", "invalid escape sequence: `\\e`" },
		{ "\\cA", "invalid escape sequence: `\\c`" },
		{ "\\o{101}", "invalid escape sequence: `\\o`" },
		{ "\\g1", "invalid escape sequence: `\\g`" },
		{ "\\k<n>", "invalid escape sequence: `\\k`" },
		{ "\\u0041", "invalid escape sequence: `\\u`" },
		{ "\\x{110000}", "invalid escape sequence" },
		{ "\\xZ1", "invalid escape sequence: `\\xZ1`" },
		{ "[\\b]", "invalid escape sequence: `\\b`" },
		{ "\\\xc3\xa9", "invalid escape sequence" },
		{ "(?x)a b", "invalid or unsupported Perl syntax: `(?x`" },
		{ "(?#comment)", "invalid or unsupported Perl syntax: `(?#`" },
		{ "(?-)a", "invalid or unsupported Perl syntax: `(?-)`" },
		{ "(?i-)a", "invalid or unsupported Perl syntax: `(?i-)`" },
		{ "(?--i)a", "invalid or unsupported Perl syntax: `(?--`" },
		{ "(*UTF)a", "missing argument to repetition operator: `*`" },
		{ "(*CR)a", "missing argument to repetition operator: `*`" },
		{ "*a", "missing argument to repetition operator: `*`" },
		{ "\\Q\\E*", "missing argument to repetition operator: `*`" },
		{ "(?P<x>a)(?P<y b)", "invalid named capture: `(?P<y b)`" },
		{ "(?P<>a)", "invalid named capture: `(?P<>`" },
		{ "(?P<n>a", "missing closing ): `(?P<n>a`" },
		{ "(ab", "missing closing ): `(ab`" },
		{ "ab)", "unexpected ): `ab)`" },
		{ "[z-a]", "invalid character class range: `z-a`" },
		{ "(?i)[a-Z]", "invalid character class range: `a-Z`" },
		{ "[a", "missing closing ]: `[a`" },
		{ "[]", "missing closing ]: `[]`" },
		{ "[[:foo:]]", "invalid character class range: `[:foo:]`" },
		{ "\\p{Foo}", "invalid character class range: `\\p{Foo}`" },
		{ "\\pX", "invalid character class range: `\\pX`" },
		{ "\\p{Greek", "invalid character class range: `\\p{Greek`" },
		{ "\\p", "invalid character class range: `\\p`" },
		{ "\\p{Cn}", "invalid character class range: `\\p{Cn}`" },
		{ "x{1001}", "invalid repeat count: `{1001}`" },
		{ "x{2,1}", "invalid repeat count: `{2,1}`" },
		{ "x{1,9876543210}", "invalid repeat count" },
		{ "(?:[a-z]{4}){0,251}", "invalid repeat count: `{0,251}`" },
		{ "a\\", "trailing backslash at end of expression" },
		{ "a\xff", "invalid UTF-8" },
		{ "\xed\xa0\x80", "invalid UTF-8" },
		{ "(?i)\\p{LC}", "case-insensitive match of this class not "
		    "supported: `\\p{LC}`" },
		{ "(?i)[\\p{Cased_Letter}]", "case-insensitive" },
	};
	struct pattern	*p;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < NITEMS(c); i++) {
		memset(err, 'x', sizeof(err));
		p = pattern_compile(c[i].re, err, sizeof(err));
		if (p != NULL) {
			pattern_free(p);
			fail_msg("pattern %s compiled, should be refused",
			    c[i].re);
		}
		if (strstr(err, c[i].msg) == NULL)
			fail_msg("pattern %s: message \"%s\", want \"%s\"",
			    c[i].re, err, c[i].msg);
		assert_null(strchr(err, '\n'));
	}
}

/* Whatever a pattern holds, a message stays on one line. */
static void
test_error_message(void **state)
{
	char	 err[256], small[8];

	assert_null(pattern_compile("a\nb)", err, sizeof(err)));
	assert_string_equal(err, "unexpected ): `a\\x0ab)`");
	assert_null(pattern_compile("\\Z", small, sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_null(pattern_compile("\\Z", NULL, 0));
}

static void
test_accepted(void **state)
{
	static const char *const ok[] = {
		"a*?", "a+?", "a??", "a{2}?", "a{2,}?", "a{0,1000}",
		"(?:[a-z]{4}){0,250}", "((a{10}){10}){10}", "x{,3}", "x{",
		"[]a]", "[^]a]", "[a-]", "[-a]", "[a-b-c]", "[\\d-z]",
		"\\_", "\\ ", "\\#", "(?i)(?m)(?s)(?U)a", "(?ims-U:a)",
		"(?P<n1>a)(?<n2>b)", "\\p{greek}", "\\p{Old_Italic}",
		"\\p{L}\\p{Letter}\\p{Lo}\\p{Zs}\\p{Assigned}",
		"\\p{ASCII}", "(?i)\\P{Greek}\\PL\\P{Lt}\\p{Common}",
		"[[:ascii:][:^cntrl:][:graph:][:print:][:punct:][:xdigit:]]",
	};
	struct pattern	*p;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < NITEMS(ok); i++) {
		if ((p = pattern_compile(ok[i], err, sizeof(err))) == NULL)
			fail_msg("pattern %s refused: %s", ok[i], err);
		assert_string_equal(pattern_source(p), ok[i]);
		pattern_free(p);
	}
}

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

/* Catastrophic backtracking stops at the match limit. */
static void
test_limit(void **state)
{
	struct pattern	*p;
	char		*s, err[256];
	size_t		 n = 100000;
	double		 t;
	int		 rc;

	assert_non_null(s = malloc(n + 2));
	memset(s, 'a', n);
	s[n] = 'b';
	s[n + 1] = '\0';
	assert_non_null(p = pattern_compile("^(a+)+$", err, sizeof(err)));
	t = now_ms();
	rc = pattern_match(p, s, n + 1);
	t = now_ms() - t;
	printf("# ^(a+)+$ on 'a'*%zu+'b': %s in %.1f ms\n", n,
	    rc == PATTERN_LIMIT ? "limit" : "no match", t);
	assert_true(rc == PATTERN_LIMIT || rc == PATTERN_NOMATCH);
	pattern_free(p);

	/* A long but ordinary subject still matches. */
	assert_non_null(p = pattern_compile("^(a+)+b$", err, sizeof(err)));
	assert_int_equal(pattern_match(p, s, n + 1), PATTERN_MATCH);
	pattern_free(p);
	free(s);
}

/* Subjects must be UTF-8; anything else is an error, not a match. */
static void
test_invalid_subject(void **state)
{
	assert_int_equal(match("a", "a\xff", 2), PATTERN_ERROR);
}

/* The ruleset. */

static struct ruleset *
rs_build(const char *const *spec)
{
	struct ruleset	*rs;
	char		*errs = NULL;
	enum pat_kind	 k;
	size_t		 i;

	assert_non_null(rs = ruleset_new());
	for (i = 0; spec[i] != NULL; i += 3) {
		k = spec[i][0] == 'd' ? PAT_DENY : spec[i][0] == 'a' ?
		    PAT_AUTO : PAT_MANUAL;
		if (ruleset_add(rs, spec[i + 1], k, spec[i + 2], "t.yaml",
		    (int)i, &errs) != 0)
			fail_msg("add %s: %s", spec[i + 2], errs);
	}
	assert_null(errs);
	return (rs);
}

static void
check(const struct ruleset *rs, const char *project, const char *cmd,
    int dm, enum verdict v, const char *pat)
{
	struct verdict_result	 res;

	ruleset_check(rs, project, cmd, strlen(cmd), NULL, 0, dm, &res);
	if (res.verdict != v)
		fail_msg("%s (project %s): %s, want %s", cmd,
		    project ? project : "-", verdict_name(res.verdict),
		    verdict_name(v));
	if (pat == NULL)
		assert_null(res.pattern);
	else {
		assert_non_null(res.pattern);
		assert_string_equal(res.pattern, pat);
	}
	assert_int_equal(res.limit_hit, 0);
}

static void
test_ruleset_order(void **state)
{
	static const char *const spec[] = {
		"manual", NULL, "^git push",
		"auto", NULL, "^git ",
		"deny", NULL, "--force",
		"manual", NULL, "^docker",
		"auto", "", "^ls$",
		NULL
	};
	struct ruleset	*rs = rs_build(spec);

	check(rs, NULL, "git push --force", 0, VERDICT_DENY, "--force");
	/* auto is checked before manual, whatever the order added */
	check(rs, NULL, "git push origin", 0, VERDICT_AUTO, "^git ");
	check(rs, NULL, "docker ps", 0, VERDICT_MANUAL, "^docker");
	check(rs, NULL, "ls", 0, VERDICT_AUTO, "^ls$");
	check(rs, NULL, "rm -rf /", 0, VERDICT_DENY, NULL);
	check(rs, NULL, "rm -rf /", 1, VERDICT_MANUAL, NULL);
	check(rs, "", "docker --force", 1, VERDICT_DENY, "--force");
	ruleset_free(rs);

	assert_string_equal(verdict_name(VERDICT_DENY), "deny");
	assert_string_equal(verdict_name(VERDICT_AUTO), "auto_approve");
	assert_string_equal(verdict_name(VERDICT_MANUAL),
	    "manual_approve");
}

static void
test_ruleset_projects(void **state)
{
	static const char *const spec[] = {
		"auto", "api", "^make test$",
		"auto", "api", "^git ",
		"deny", "web", "^make",
		"manual", NULL, "^make",
		"auto", NULL, "^git status$",
		NULL
	};
	struct ruleset	*rs = rs_build(spec);

	check(rs, "api", "make test", 0, VERDICT_AUTO, "^make test$");
	check(rs, "web", "make test", 0, VERDICT_DENY, "^make");
	check(rs, NULL, "make test", 0, VERDICT_MANUAL, "^make");
	check(rs, "other", "make test", 0, VERDICT_MANUAL, "^make");
	/* global before project within a kind */
	check(rs, "api", "git status", 0, VERDICT_AUTO, "^git status$");
	check(rs, "api", "git log", 0, VERDICT_AUTO, "^git ");
	check(rs, "web", "git log", 0, VERDICT_DENY, NULL);
	ruleset_free(rs);
}

/* A limit hit is a match for deny and no match for the others. */
static void
test_ruleset_limit(void **state)
{
	static const char *const deny[] = {
		"auto", NULL, "^a",
		"deny", NULL, "^(a+)+$",
		NULL
	};
	static const char *const autos[] = {
		"auto", "p", "^(a+)+$",
		"manual", "p", "b$",
		NULL
	};
	struct verdict_result	 res;
	struct ruleset		*rs;
	char			*s;
	size_t			 n = 100000;

	assert_non_null(s = malloc(n + 2));
	memset(s, 'a', n);
	s[n] = 'b';
	s[n + 1] = '\0';

	rs = rs_build(deny);
	ruleset_check(rs, NULL, s, n + 1, NULL, 0, 0, &res);
	if (res.limit_hit) {
		assert_int_equal(res.verdict, VERDICT_DENY);
		assert_string_equal(res.pattern, "^(a+)+$");
	} else
		assert_int_equal(res.verdict, VERDICT_AUTO);
	printf("# deny pattern on pathological input: limit_hit=%d %s\n",
	    res.limit_hit, verdict_name(res.verdict));
	ruleset_free(rs);

	rs = rs_build(autos);
	ruleset_check(rs, "p", s, n + 1, NULL, 0, 0, &res);
	assert_int_equal(res.verdict, VERDICT_MANUAL);
	assert_string_equal(res.pattern, "b$");
	ruleset_free(rs);
	free(s);
}

/* check2: as check, on guardiand's string and cloister's. */
static void
check2(const struct ruleset *rs, const char *canon, const char *clform,
    enum verdict v, const char *pat)
{
	struct verdict_result	 res;

	ruleset_check(rs, NULL, canon, strlen(canon), clform,
	    strlen(clform), 0, &res);
	if (res.verdict != v)
		fail_msg("%s / %s: %s, want %s", canon, clform,
		    verdict_name(res.verdict), verdict_name(v));
	if (pat == NULL)
		assert_null(res.pattern);
	else {
		assert_non_null(res.pattern);
		assert_string_equal(res.pattern, pat);
	}
}

/*
 * Two strings (DESIGN 5): auto_approve and manual_approve patterns
 * must match both, a deny pattern either; the first that decides
 * names itself.
 */
static void
test_ruleset_two_forms(void **state)
{
	static const char *const spec[] = {
		"deny", NULL, "\\x1b",
		"deny", NULL, "\\x{202e}",
		"auto", NULL, "^ls .*$",
		"auto", NULL, "^docker ps.*$",
		"manual", NULL, "\\t",
		"manual", NULL, "^docker ps ",
		NULL
	};
	static const char *const limit[] = {
		"auto", NULL, "^(a+)+$",
		NULL
	};
	struct ruleset		*rs = rs_build(spec);
	struct verdict_result	 res;
	char			*s;
	size_t			 n = 100000;

	/* .* refuses cloister's raw newline: no approval at all */
	check2(rs, "ls $'a\\nb'", "ls 'a\nb'", VERDICT_DENY, NULL);
	/* ... or the next kind's pattern that matches both decides */
	check2(rs, "docker ps $'a\\nb'", "docker ps 'a\nb'",
	    VERDICT_MANUAL, "^docker ps ");
	/* the same string twice is the same as one */
	check2(rs, "docker ps a", "docker ps a", VERDICT_AUTO,
	    "^docker ps.*$");
	/* . takes a raw tab: both match */
	check2(rs, "ls $'\\t'", "ls '\t'", VERDICT_AUTO, "^ls .*$");
	/* a pattern on the raw tab matches cloister's form alone */
	check2(rs, "echo $'\\t'", "echo '\t'", VERDICT_DENY, NULL);
	/* a deny pattern on a raw character, in cloister's form only */
	check2(rs, "docker ps $'\\x1b[0m'", "docker ps '\x1b[0m'",
	    VERDICT_DENY, "\\x1b");
	check2(rs, "ls $'\\u202e'", "ls '\xe2\x80\xae'", VERDICT_DENY,
	    "\\x{202e}");
	/* in the escaped form only: deny too */
	check2(rs, "ls '\x1b'", "ls 'x'", VERDICT_DENY, "\\x1b");
	ruleset_free(rs);

	/* A limit on either string: no approval. */
	assert_non_null(s = malloc(n + 2));
	memset(s, 'a', n);
	s[n] = 'b';
	s[n + 1] = '\0';
	rs = rs_build(limit);
	ruleset_check(rs, NULL, "aaa", 3, s, n + 1, 0, &res);
	assert_int_equal(res.verdict, VERDICT_DENY);
	assert_null(res.pattern);
	ruleset_check(rs, NULL, s, n + 1, "aaa", 3, 0, &res);
	assert_int_equal(res.verdict, VERDICT_DENY);
	ruleset_check(rs, NULL, "aaa", 3, "aa", 2, 0, &res);
	assert_int_equal(res.verdict, VERDICT_AUTO);
	assert_int_equal(res.limit_hit, 0);
	ruleset_free(rs);
	free(s);
}

static void
test_prefix(void **state)
{
	static const struct { const char *re, *want; } cases[] = {
		{ "^git push( |$)", "git push" },
		{ "^git\\.exe --", "git.exe --" },
		{ "^gitx?", "git" },
		{ "^gitx*y", "git" },
		{ "^gitx{0,2}", "git" },
		{ "^git+ hub", "git" },
		{ "^docker ps.*$", "docker ps" },
		{ "^ls$", "ls" },
		{ "^a|^b", "" },
		{ "^a(b|c)", "a" },
		{ "^ab[|]|c", "" },
		{ "^ab[|]c", "ab" },
		{ "^ab[]|]c", "ab" },
		{ "^ab[[:alpha:]|]c", "ab" },
		{ "^ab\\Q|\\Ec", "ab" },
		{ "^ab\\|c", "ab|c" },
		{ "^a(b)|c", "" },
		{ "^(git) status", "" },
		{ "^[g]it", "" },
		{ "git status", "" },
		{ "^\\d+", "" },
		{ "^\\x67it", "" },
		{ "^\u00e9t\u00e9", "" },
		{ "^", "" },
	};
	struct pattern	*p;
	char		 err[256], buf[64];
	size_t		 i, n;

	for (i = 0; i < NITEMS(cases); i++) {
		if ((p = pattern_compile(cases[i].re, err, sizeof(err))) ==
		    NULL)
			fail_msg("compile %s: %s", cases[i].re, err);
		n = pattern_prefix(p, buf, sizeof(buf));
		if (n != strlen(cases[i].want) ||
		    memcmp(buf, cases[i].want, n) != 0)
			fail_msg("prefix of %s: \"%.*s\", want \"%s\"",
			    cases[i].re, (int)n, buf, cases[i].want);
		pattern_free(p);
	}
}

/*
 * The prefix index changes nothing: many patterns, with and without a
 * literal prefix, give for every subject the verdict and pattern that
 * trying each in order gives, with one subject and with two.
 */
static void
test_ruleset_index(void **state)
{
	static const char *const pool[] = {
		"^git push( |$)", "^git push --force", "^gitx?", "^git+ hub",
		"^git status$", "^git", "^docker ps.*$", "^docker run ",
		"^ls$", "^ls -l", "^a|^git", "^(git|hg) log", "--force",
		"^[gh]it", "rm -rf", "^rm ", "^make( |$)", "^make test$",
		"^npm (ci|install)$", "^cat README$", "^echo ",
		"^echo 'a", "^e", "^\\.\\/deploy", "^./run",
		"^printf '%s'", "^git pu", "^git pushx", "^ ", "^$",
	};
	static const char *const subjects[] = {
		"git push", "git push --force", "git push origin main",
		"gitx", "gi", "git", "githhh hub", "git status",
		"git statuses", "hg log -p", "docker ps -a", "docker run x",
		"docker", "ls", "ls -l", "ls -la", "rm -rf /", "rm x",
		"make", "make test", "make tests", "npm ci", "npm install",
		"cat README", "echo hi", "echo 'a b'", "e", "./deploy",
		"./run", ".xrun", "printf '%s' x", "git pu", "git pushx",
		" x", "", "xyz", "git $'a\\nb'",
	};
	static const char *const kinds[] = { "deny", "auto", "manual" };
	const char	*spec[3 * NITEMS(pool) + 1], *want;
	struct pattern	*pats[NITEMS(pool)];
	struct verdict_result res;
	struct ruleset	*rs;
	char		 err[256], alt[128];
	size_t		 i, j, si, nspec = 0;
	int		 k, decided, m0, m1, two;
	enum verdict	 wantv;

	for (i = 0; i < NITEMS(pool); i++) {
		/* Deny gets a few, the rest alternate between the others. */
		k = i % 3 == 0 ? 0 : 1 + (int)(i % 2);
		spec[nspec++] = kinds[k];
		spec[nspec++] = NULL;
		spec[nspec++] = pool[i];
		if ((pats[i] = pattern_compile(pool[i], err, sizeof(err))) ==
		    NULL)
			fail_msg("compile %s: %s", pool[i], err);
	}
	spec[nspec] = NULL;
	rs = rs_build(spec);
	for (two = 0; two < 2; two++)
	for (si = 0; si < NITEMS(subjects); si++) {
		/* The second subject: the same, or one quoted otherwise. */
		snprintf(alt, sizeof(alt), two ? "%s'" : "%s",
		    subjects[si]);
		wantv = VERDICT_DENY;
		want = NULL;
		decided = 0;
		for (k = 0; k < 3 && !decided; k++) {
			for (i = 0; i < NITEMS(pool) && !decided; i++) {
				j = i % 3 == 0 ? 0 : 1 + (i % 2);
				if ((int)j != k)
					continue;
				m0 = pattern_match(pats[i], subjects[si],
				    strlen(subjects[si])) == PATTERN_MATCH;
				m1 = pattern_match(pats[i], alt,
				    strlen(alt)) == PATTERN_MATCH;
				if (k == 0 ? (m0 || m1) : (m0 && m1)) {
					decided = 1;
					want = pool[i];
					wantv = k == 0 ? VERDICT_DENY :
					    k == 1 ? VERDICT_AUTO :
					    VERDICT_MANUAL;
				}
			}
		}
		ruleset_check(rs, NULL, subjects[si], strlen(subjects[si]),
		    alt, strlen(alt), 0, &res);
		if (res.verdict != wantv || (want == NULL) !=
		    (res.pattern == NULL) || (want != NULL &&
		    strcmp(want, res.pattern) != 0))
			fail_msg("\"%s\" / \"%s\": %s %s, want %s %s",
			    subjects[si], alt, verdict_name(res.verdict),
			    res.pattern ? res.pattern : "-",
			    verdict_name(wantv), want ? want : "-");
	}
	ruleset_free(rs);
	for (i = 0; i < NITEMS(pool); i++)
		pattern_free(pats[i]);

	/* Order across buckets and the rules without a prefix. */
	{
		static const char *const ordered[] = {
			"auto", NULL, "^x1", "auto", NULL, "^x2",
			"auto", NULL, "^x3", "auto", NULL, "^x4",
			"auto", NULL, "^x5", "auto", NULL, "^x6",
			"auto", NULL, "^git push", "auto", NULL, "push",
			"auto", NULL, "^gi", "auto", NULL, "^x7",
			"manual", NULL, "status", "manual", NULL, "^x1",
			"manual", NULL, "^x2", "manual", NULL, "^x3",
			"manual", NULL, "^x4", "manual", NULL, "^x5",
			"manual", NULL, "^x6", "manual", NULL, "^g",
			NULL
		};

		rs = rs_build(ordered);
		check(rs, NULL, "git push", 0, VERDICT_AUTO, "^git push");
		check(rs, NULL, "git pull", 0, VERDICT_AUTO, "^gi");
		check(rs, NULL, "a push", 0, VERDICT_AUTO, "push");
		check(rs, NULL, "hg status", 0, VERDICT_MANUAL, "status");
		ruleset_free(rs);
	}
}

/*
 * A time budget: past the deadline nothing more is tried and the
 * verdict is deny, whatever would have matched; without one, or with
 * room left, the verdict is the usual one.
 */
static void
test_ruleset_budget(void **state)
{
	static const char	*spec[] = {
		"a", "", "^echo (a|aa)*x$",
		"a", "", "^echo ",
		"m", "", "^echo b",
		NULL
	};
	struct verdict_result	 res;
	struct ruleset		*rs;
	struct timespec		 ts;
	const char		*cmd = "echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaab";

	rs = rs_build(spec);
	ruleset_check_until(rs, NULL, cmd, strlen(cmd), NULL, 0, 0, 0, &res);
	assert_int_equal(res.over_budget, 0);
	assert_int_equal(res.verdict, VERDICT_AUTO);
	assert_string_equal(res.pattern, "^echo ");

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ruleset_check_until(rs, NULL, cmd, strlen(cmd), NULL, 0, 0,
	    (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 60000, &res);
	assert_int_equal(res.over_budget, 0);
	assert_int_equal(res.verdict, VERDICT_AUTO);

	/* Already past: undecided, so denied, and no pattern named. */
	ruleset_check_until(rs, NULL, cmd, strlen(cmd), NULL, 0, 1, 1,
	    &res);
	assert_int_equal(res.over_budget, 1);
	assert_int_equal(res.verdict, VERDICT_DENY);
	assert_null(res.pattern);
	ruleset_free(rs);
}

static void
test_ruleset_errors(void **state)
{
	struct ruleset	*rs;
	char		*errs = NULL;

	assert_non_null(rs = ruleset_new());
	assert_int_equal(ruleset_add(rs, NULL, PAT_AUTO, "^ok$", "c.yaml",
	    3, &errs), 0);
	assert_null(errs);
	assert_int_equal(ruleset_add(rs, NULL, PAT_DENY, "a\\Z", "c.yaml",
	    7, &errs), -1);
	assert_string_equal(errs,
	    "c.yaml:7: invalid escape sequence: `\\Z`\n");
	assert_int_equal(ruleset_add(rs, "p", PAT_MANUAL, "(?=x)",
	    "projects/p.yaml", 12, &errs), -1);
	assert_string_equal(errs,
	    "c.yaml:7: invalid escape sequence: `\\Z`\n"
	    "projects/p.yaml:12: invalid or unsupported Perl syntax: "
	    "`(?=`\n");
	free(errs);
	/* the refused patterns were not added */
	check(rs, "p", "x", 0, VERDICT_DENY, NULL);
	check(rs, NULL, "ok", 0, VERDICT_AUTO, "^ok$");
	ruleset_free(rs);
	ruleset_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_ascii_classes),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_unicode_classes),
		cmocka_unit_test(test_case_folding),
		cmocka_unit_test(test_flags_and_groups),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_invalid_subject),
		cmocka_unit_test(test_ruleset_order),
		cmocka_unit_test(test_ruleset_projects),
		cmocka_unit_test(test_ruleset_limit),
		cmocka_unit_test(test_ruleset_two_forms),
		cmocka_unit_test(test_ruleset_budget),
		cmocka_unit_test(test_ruleset_errors),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_ruleset_index),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
