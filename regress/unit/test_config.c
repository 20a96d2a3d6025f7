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
 * The configuration loader (DESIGN 6.6): files are written into a
 * mkdtemp(3) directory and loaded.  Every error is checked with its
 * exact "file:line: message" and, where one error is expected, that
 * it is the only one.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "testutil.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define S(s)		s, sizeof(s) - 1
#define HOME		"/home/tester"

static char	 tmproot[PATH_MAX];
static int	 ndirs;

/*
 * Helpers.
 */

/* A fresh directory for one configuration (projects/ lives beside). */
static char *
newdir(void)
{
	char	*d;

	d = xasprintf("%s/t%d", tmproot, ++ndirs);
	assert_int_equal(mkdir(d, 0700), 0);
	return (d);
}

static char *
wfilen(const char *dir, const char *name, const char *data, size_t len,
    mode_t mode)
{
	char	*p;

	p = xasprintf("%s/%s", dir, name);
	writefilen(p, data, len, mode);
	return (p);
}

static char *
wfile(const char *dir, const char *name, const char *data)
{
	return (wfilen(dir, name, data, strlen(data), 0644));
}

static struct config *
load_ok(const char *path)
{
	struct config	*conf;
	char		*errs = (char *)1;

	conf = config_load(path, &errs);
	if (conf == NULL) {
		print_message("unexpected errors:\n%s", errs);
		free(errs);
		fail();
	}
	assert_null(errs);
	return (conf);
}

static char *
load_bad(const char *path)
{
	struct config	*conf;
	char		*errs = NULL;

	conf = config_load(path, &errs);
	assert_null(conf);
	assert_non_null(errs);
	return (errs);
}

static int
nlines(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return (n);
}

/* errs holds "file:line: msg" (or "file: msg" if line is 0) as a line. */
static void
check_err(const char *errs, const char *file, int line, const char *msg)
{
	char		*want;
	const char	*p;
	size_t		 len;

	/* ":COL: ..." for the errors that name a column too. */
	if (line > 0 && *msg == ':')
		want = xasprintf("%s:%d%s\n", file, line, msg);
	else if (line > 0)
		want = xasprintf("%s:%d: %s\n", file, line, msg);
	else
		want = xasprintf("%s: %s\n", file, msg);
	len = strlen(want);
	for (p = errs; p != NULL && *p != '\0'; ) {
		if (strncmp(p, want, len) == 0) {
			free(want);
			return;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	print_message("want: %sgot:\n%s", want, errs);
	free(want);
	fail();
}

/* The least cloister's file can say: an empty one is refused. */
#define MINIMAL_CONF	"hostexec: {}\n"

/* Exactly one error, this one. */
static void
one_err(const char *yaml, int line, const char *msg)
{
	char	*dir, *path, *errs;

	dir = newdir();
	path = wfile(dir, "config.yaml", yaml);
	errs = load_bad(path);
	check_err(errs, path, line, msg);
	if (nlines(errs) != 1) {
		print_message("want only: %s\ngot:\n%s", msg, errs);
		fail();
	}
	free(errs);
	free(path);
	free(dir);
}

/* Exactly one error, this one, in guardiand.yaml beside an empty file. */
static void
one_gerr(const char *gyaml, int line, const char *msg)
{
	char	*dir, *path, *gpath, *errs;

	dir = newdir();
	path = wfile(dir, "config.yaml", MINIMAL_CONF);
	gpath = wfile(dir, "guardiand.yaml", gyaml);
	errs = load_bad(path);
	check_err(errs, gpath, line, msg);
	if (nlines(errs) != 1) {
		print_message("want only: %s\ngot:\n%s", msg, errs);
		fail();
	}
	free(errs);
	free(gpath);
	free(path);
	free(dir);
}

struct errcase {
	const char	*yaml;
	int		 line;
	const char	*msg;
};

static void
err_table(const struct errcase *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		one_err(t[i].yaml, t[i].line, t[i].msg);
}

static void
gerr_table(const struct errcase *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		one_gerr(t[i].yaml, t[i].line, t[i].msg);
}

/* config.yaml and, unless NULL, guardiand.yaml in dir; config.yaml's path. */
static char *
wconf(const char *dir, const char *yaml, const char *gyaml)
{
	if (gyaml != NULL)
		free(wfile(dir, "guardiand.yaml", gyaml));
	return (wfile(dir, "config.yaml", yaml));
}

/* 1-based line of the first occurrence of needle in text. */
static int
line_of(const char *text, const char *needle)
{
	const char	*p, *q;
	int		 line = 1;

	p = strstr(text, needle);
	assert_non_null(p);
	for (q = text; q < p; q++)
		if (*q == '\n')
			line++;
	return (line);
}

static int
npatterns(const struct pattern_list *pl)
{
	struct pattern_src	*ps;
	int			 n = 0;

	TAILQ_FOREACH(ps, pl, entry)
		n++;
	return (n);
}

static struct pattern_src *
nth_pattern(const struct pattern_list *pl, int i)
{
	struct pattern_src	*ps;

	TAILQ_FOREACH(ps, pl, entry)
		if (i-- == 0)
			return (ps);
	fail_msg("no pattern %d", i);
	return (NULL);
}

static void
check_pattern(const struct pattern_list *pl, int i, const char *re,
    const char *file, int line)
{
	struct pattern_src	*ps = nth_pattern(pl, i);

	assert_string_equal(ps->re, re);
	assert_string_equal(ps->file, file);
	assert_int_equal(ps->line, line);
}

static int
nlisten(const struct listen_list *ll)
{
	struct listen_addr	*la;
	int			 n = 0;

	TAILQ_FOREACH(la, ll, entry)
		n++;
	return (n);
}

/*
 * Durations and sizes.
 */

static void
test_duration_ok(void **state)
{
	static const struct {
		const char	*s;
		uint64_t	 ms;
	} t[] = {
		{ "5m", 300000 },
		{ "1h30m", 5400000 },
		{ "300ms", 300 },
		{ "1.5h", 5400000 },
		{ "0", 0 },
		{ "+0", 0 },
		{ "0s", 0 },
		{ "0.0h", 0 },
		{ "+5s", 5000 },
		{ "30s", 30000 },
		{ "2h45m30.5s", 9930500 },
		{ ".5s", 500 },
		{ "1.s", 1000 },
		{ "1m1m", 120000 },
		{ "1s500ms", 1500 },
		/* below a millisecond: rounded up, never to 0 */
		{ "1ns", 1 },
		{ "1us", 1 },
		{ "999999ns", 1 },
		{ "1000000ns", 1 },
		{ "1000001ns", 2 },
		{ "1500us", 2 },
		{ "1\xc2\xb5s", 1 },		/* U+00B5 */
		{ "2000\xce\xbcs", 2 },		/* U+03BC */
		{ "0.0000001s", 1 },
		/* fractions as Go computes them, in float64 */
		{ "1.0000001s", 1001 },
		{ "1.0000000001s", 1000 },	/* 0.1ns: dropped, as in Go */
		{ "0.1h", 360000 },
		/* Go's largest duration, and digits past its precision */
		{ "2562047h47m16.854775807s", 9223372036855ULL },
		{ "9223372036854775807ns", 9223372036855ULL },
		{ "1.00000000000000000000000000001s", 1000 },
	};
	const char	*errstr;
	uint64_t	 ms;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		errstr = NULL;
		ms = 12345;
		if (parse_duration(t[i].s, &ms, &errstr) != 0)
			fail_msg("%s: %s", t[i].s, errstr);
		if (ms != t[i].ms)
			fail_msg("%s: %llu, want %llu", t[i].s,
			    (unsigned long long)ms,
			    (unsigned long long)t[i].ms);
	}
}

static void
test_duration_bad(void **state)
{
	static const struct {
		const char	*s;
		const char	*err;
	} t[] = {
		{ "5", "missing unit in duration" },
		{ "00", "missing unit in duration" },
		{ "1.5.5h", "missing unit in duration" },
		{ "1x", "unknown unit in duration" },
		{ "1 s", "unknown unit in duration" },
		{ "1S", "unknown unit in duration" },
		{ "1sec", "unknown unit in duration" },
		{ "5m ", "unknown unit in duration" },
		{ "-1s", "negative duration" },
		{ "-0", "negative duration" },
		{ "", "empty duration" },
		{ "+", "empty duration" },
		{ "s", "invalid duration" },
		{ ".s", "invalid duration" },
		{ " 5m", "invalid duration" },
		{ "-", "negative duration" },
		/* Go reads "h-" as the unit, too */
		{ "1h-5m", "unknown unit in duration" },
		{ "1h+5m", "unknown unit in duration" },
		{ "1h 5m", "unknown unit in duration" },
		{ "2562047h47m16.854775808s", "duration out of range" },
		{ "9223372036854775808ns", "duration out of range" },
		{ "2562048h", "duration out of range" },
		{ "99999999999999999999h", "duration out of range" },
		{ "2562047h2562047h", "duration out of range" },
	};
	const char	*errstr;
	uint64_t	 ms;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		errstr = NULL;
		ms = 777;
		if (parse_duration(t[i].s, &ms, &errstr) != -1)
			fail_msg("\"%s\" accepted as %llu", t[i].s,
			    (unsigned long long)ms);
		if (errstr == NULL || strcmp(errstr, t[i].err) != 0)
			fail_msg("\"%s\": \"%s\", want \"%s\"", t[i].s,
			    errstr ? errstr : "(null)", t[i].err);
		assert_int_equal(ms, 777);
	}
}

static void
test_size_ok(void **state)
{
	static const struct {
		const char	*s;
		uint64_t	 n;
	} t[] = {
		{ "0", 0 },
		{ "1048576", 1048576 },
		{ "16MiB", 16777216 },
		{ "16mib", 16777216 },
		{ "16Mi", 16777216 },
		{ "16 MiB", 16777216 },
		{ "16M", 16000000 },
		{ "16MB", 16000000 },
		{ "16mb", 16000000 },
		{ "64k", 64000 },
		{ "64K", 64000 },
		{ "64KB", 64000 },
		{ "64kB", 64000 },
		{ "64KiB", 65536 },
		{ "64ki", 65536 },
		{ "1G", 1000000000 },
		{ "1GB", 1000000000 },
		{ "1GiB", 1073741824 },
		{ "1.5GB", 1500000000 },
		{ "1.5GiB", 1610612736 },
		{ "0.5KiB", 512 },
		{ ".5k", 500 },
		{ "1.0001k", 1000 },	/* rounded down to whole bytes */
		{ "1TiB", 1099511627776ULL },
		{ "2TB", 2000000000000ULL },
		{ "10b", 10 },
		{ "10B", 10 },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215TiB", 16777215ULL << 40 },
	};
	const char	*errstr;
	uint64_t	 n;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		errstr = NULL;
		n = 12345;
		if (parse_size(t[i].s, &n, &errstr) != 0)
			fail_msg("%s: %s", t[i].s, errstr);
		if (n != t[i].n)
			fail_msg("%s: %llu, want %llu", t[i].s,
			    (unsigned long long)n, (unsigned long long)t[i].n);
	}
}

static void
test_size_bad(void **state)
{
	static const struct {
		const char	*s;
		const char	*err;
	} t[] = {
		{ "", "invalid size" },
		{ "MiB", "invalid size" },
		{ ".", "invalid size" },
		{ "-1", "invalid size" },
		{ "+1", "invalid size" },
		{ " 1", "invalid size" },
		{ "16XB", "unknown unit in size" },
		{ "16MiBs", "unknown unit in size" },
		{ "16 M iB", "unknown unit in size" },
		{ "1.5.5", "unknown unit in size" },
		{ "1e6", "unknown unit in size" },
		{ "18446744073709551616", "size out of range" },
		{ "99999999999999999999999", "size out of range" },
		{ "16777216TiB", "size out of range" },
		{ "18446744073709551615k", "size out of range" },
		{ "18446744073709551615.9Ki", "size out of range" },
	};
	const char	*errstr;
	uint64_t	 n;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		errstr = NULL;
		n = 777;
		if (parse_size(t[i].s, &n, &errstr) != -1)
			fail_msg("\"%s\" accepted as %llu", t[i].s,
			    (unsigned long long)n);
		if (errstr == NULL || strcmp(errstr, t[i].err) != 0)
			fail_msg("\"%s\": \"%s\", want \"%s\"", t[i].s,
			    errstr ? errstr : "(null)", t[i].err);
		assert_int_equal(n, 777);
	}
}

/*
 * Paths, names, tokens, addresses.
 */

static void
check_expand(const char *in, const char *want)
{
	char	*p;

	p = expand_home(in);
	assert_non_null(p);
	assert_string_equal(p, want);
	free(p);
}

static void
test_expand_home(void **state)
{
	check_expand("~", HOME);
	check_expand("~/", HOME "/");
	check_expand("~/src/x", HOME "/src/x");
	check_expand("/abs/~/x", "/abs/~/x");
	check_expand("rel", "rel");
	check_expand("", "");
	errno = 0;
	assert_null(expand_home("~bob/x"));
	assert_int_equal(errno, EINVAL);
	assert_null(expand_home("~~"));

	setenv("HOME", "/home/slash//", 1);
	check_expand("~/x", "/home/slash/x");
	check_expand("~", "/home/slash");
	setenv("HOME", "/", 1);
	check_expand("~/x", "/x");
	check_expand("~", "/");
	setenv("HOME", HOME, 1);
}

static void
test_default_path(void **state)
{
	char	*p;

	setenv("XDG_CONFIG_HOME", "/xdg/conf", 1);
	p = config_default_path();
	assert_string_equal(p, "/xdg/conf/cloister/config.yaml");
	free(p);

	/* A relative XDG_CONFIG_HOME is ignored, as the spec says. */
	setenv("XDG_CONFIG_HOME", "relative", 1);
	p = config_default_path();
	assert_string_equal(p, HOME "/.config/cloister/config.yaml");
	free(p);

	unsetenv("XDG_CONFIG_HOME");
	p = config_default_path();
	assert_string_equal(p, HOME "/.config/cloister/config.yaml");
	free(p);
}

static void
test_valid_names(void **state)
{
	static const char *good[] = {
		"a", "my-api", "My_Api.2", "0abc", "a-",
		"a123456789012345678901234567890123456789012345678901234567890"
		"123",
	};
	static const char *bad[] = {
		"", "-a", ".a", "_a", "a b", "a/b", "a:b", "é", "a\n",
		"a1234567890123456789012345678901234567890123456789012345678901"
		"234",
	};
	size_t	 i;

	assert_int_equal(strlen(good[NITEMS(good) - 1]), 64);
	assert_int_equal(strlen(bad[NITEMS(bad) - 1]), 65);
	for (i = 0; i < NITEMS(good); i++)
		if (!config_valid_name(good[i]))
			fail_msg("\"%s\" refused", good[i]);
	for (i = 0; i < NITEMS(bad); i++)
		if (config_valid_name(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);

	assert_true(config_valid_token("0123456789abcdef"));
	assert_true(config_valid_token("!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"));
	assert_false(config_valid_token("0123456789abcde"));
	assert_false(config_valid_token("0123456789 abcdef"));
	assert_false(config_valid_token("0123456789abcdef\t"));
	assert_false(config_valid_token("0123456789abcdef\x7f"));
	assert_false(config_valid_token("0123456789abcdef\xc3\xa9"));

	assert_true(config_valid_envname("PATH"));
	assert_true(config_valid_envname("_x9"));
	assert_false(config_valid_envname(""));
	assert_false(config_valid_envname("9X"));
	assert_false(config_valid_envname("A-B"));
	assert_false(config_valid_envname("A=B"));
}

static void
test_listen_parse(void **state)
{
	static const struct {
		const char	*spec;
		int		 is_unix;
		const char	*host_or_path;
		const char	*port;
	} ok[] = {
		{ "127.0.0.1:9998", 0, "127.0.0.1", "9998" },
		{ ":9998", 0, "", "9998" },
		{ "[::1]:80", 0, "::1", "80" },
		{ "[fe80::1:2]:65535", 0, "fe80::1:2", "65535" },
		{ "localhost:1", 0, "localhost", "1" },
		{ "host-1.example_x.org:443", 0, "host-1.example_x.org",
		    "443" },
		{ "unix:/run/g/request.sock", 1, "/run/g/request.sock", NULL },
		{ "unix:~/r.sock", 1, HOME "/r.sock", NULL },
	};
	static const struct {
		const char	*spec;
		const char	*err;
	} bad[] = {
		{ "", "empty address" },
		{ "9998", "missing port" },
		{ "localhost", "missing port" },
		{ "h:", "missing port" },
		{ "[::1]", "missing port" },
		{ "[::1]80", "missing port" },
		{ "[::1:80", "missing ] after IPv6 address" },
		{ "::1:80", "IPv6 address must be in brackets" },
		{ "[]:80", "empty host" },
		{ "[1.2.3.4]:80", "bad IPv6 address" },
		{ "[zz]:80", "bad IPv6 address" },
		{ "a b:80", "bad host name" },
		{ "a/b:80", "bad host name" },
		{ "h:http", "port must be a number" },
		{ "h:-1", "port must be a number" },
		{ "h:+1", "port must be a number" },
		{ "h: 1", "port must be a number" },
		{ "h:0", "port out of range (1-65535)" },
		{ "h:65536", "port out of range (1-65535)" },
		{ "h:000080", "port out of range (1-65535)" },
		{ "h:99999999999999999999", "port out of range (1-65535)" },
		{ "unix:", "empty unix socket path" },
		{ "unix:rel.sock", "unix socket path must be absolute" },
		{ "unix:~bob/x", "cannot expand ~ in unix socket path" },
	};
	struct listen_addr	*la;
	const char		*errstr;
	char			 longpath[200];
	size_t			 i;

	for (i = 0; i < NITEMS(ok); i++) {
		errstr = NULL;
		la = listen_addr_parse(ok[i].spec, &errstr);
		if (la == NULL)
			fail_msg("%s: %s", ok[i].spec, errstr);
		assert_string_equal(la->spec, ok[i].spec);
		assert_int_equal(la->is_unix, ok[i].is_unix);
		assert_int_equal(la->fd, -1);
		if (ok[i].is_unix) {
			assert_string_equal(la->path, ok[i].host_or_path);
			assert_null(la->host);
		} else {
			assert_string_equal(la->host, ok[i].host_or_path);
			assert_string_equal(la->port, ok[i].port);
			assert_null(la->path);
		}
		listen_addr_free(la);
	}
	for (i = 0; i < NITEMS(bad); i++) {
		errstr = NULL;
		la = listen_addr_parse(bad[i].spec, &errstr);
		if (la != NULL)
			fail_msg("\"%s\" accepted", bad[i].spec);
		if (errstr == NULL || strcmp(errstr, bad[i].err) != 0)
			fail_msg("\"%s\": \"%s\", want \"%s\"", bad[i].spec,
			    errstr ? errstr : "(null)", bad[i].err);
	}
	/* sun_path holds 107 bytes and the NUL. */
	memset(longpath, 'x', sizeof(longpath));
	memcpy(longpath, "unix:/", 6);
	longpath[5 + 107] = '\0';
	la = listen_addr_parse(longpath, &errstr);
	assert_non_null(la);
	assert_int_equal(strlen(la->path), 107);
	listen_addr_free(la);
	longpath[5 + 107] = 'x';
	longpath[5 + 108] = '\0';
	assert_null(listen_addr_parse(longpath, &errstr));
	assert_string_equal(errstr, "unix socket path too long");
	listen_addr_free(NULL);
}

/*
 * Loading good files.
 */

/* cloister's documented global configuration, plus things it allows. */
static const char cloister_yaml[] =
	"# ~/.config/cloister/config.yaml\n"
	"proxy:\n"
	"  listen: \":3128\"\n"
	"  allow:\n"
	"    - domain: \"golang.org\"\n"
	"    - domain: \"api.anthropic.com\"\n"
	"    - pattern: \"*.example.com\"\n"
	"  deny:\n"
	"    - domain: \"evil.example\"\n"
	"  unlisted_domain_behavior: \"request_approval\"\n"
	"  approval_timeout: \"60s\"\n"
	"  rate_limit: 120\n"
	"  max_request_bytes: 10485760  # 10MB\n"
	"\n"
	"request:\n"
	"  listen: \":9998\"  # on cloister-net\n"
	"  timeout: \"5m\"\n"
	"\n"
	"hostexec:\n"
	"  listen: \"127.0.0.1:9999\"\n"
	"  auto_approve:\n"
	"    - pattern: \"^docker compose ps$\"\n"
	"    - pattern: \"^docker compose logs.*$\"\n"
	"  manual_approve:\n"
	"    - pattern: \"^docker compose (up|down|restart|build).*$\"\n"
	"    - pattern: \"^gh .+$\"\n"
	"    - pattern: '^curl .+$'\n"
	"    - pattern: ^wget .+$\n"
	"\n"
	"devcontainer:\n"
	"  enabled: true\n"
	"  features:\n"
	"    allow:\n"
	"      - \"ghcr.io/devcontainers/features/*\"\n"
	"  blocked_mounts:\n"
	"    - \"~/.ssh\"\n"
	"    - \"/var/run/docker.sock\"\n"
	"\n"
	"agents:\n"
	"  claude:\n"
	"    command: \"claude\"\n"
	"    env:\n"
	"      - \"ANTHROPIC_*\"\n"
	"      - \"<other env vars from the docs>\"\n"
	"    skip_permissions: true\n"
	"  codex:\n"
	"    command: \"codex\"\n"
	"    env: [\"OPENAI_API_KEY\"]\n"
	"\n"
	"defaults:\n"
	"  image: \"cloister:latest\"\n"
	"  shell: \"/bin/bash\"\n"
	"  user: \"cloister\"\n"
	"  agent: \"claude\"\n"
	"\n"
	"log:\n"
	"  file: \"~/.local/share/cloister/audit.log\"\n"
	"  stdout: true\n"
	"  level: \"info\"\n"
	"  per_cloister: true\n"
	"  per_cloister_dir: \"~/.local/share/cloister/logs/\"\n";

static void
test_cloister_config(void **state)
{
	struct config		*conf;
	struct listen_addr	*la;
	struct pattern_list	*auto_, *man;
	char			*dir, *path;

	dir = newdir();
	path = wfile(dir, "config.yaml", cloister_yaml);
	conf = load_ok(path);

	assert_string_equal(conf->path, path);
	assert_string_equal(conf->dir, dir);

	/* request.listen ":9998": every address. */
	assert_int_equal(conf->request_listen_default, 0);
	assert_int_equal(nlisten(&conf->request_listen), 1);
	la = TAILQ_FIRST(&conf->request_listen);
	assert_string_equal(la->spec, ":9998");
	assert_false(la->is_unix);
	assert_string_equal(la->host, "");
	assert_string_equal(la->port, "9998");
	assert_string_equal(la->file, path);
	assert_int_equal(la->line, line_of(cloister_yaml, "\":9998\""));
	assert_int_equal(la->fd, -1);

	assert_int_equal(nlisten(&conf->ui_listen), 1);
	la = TAILQ_FIRST(&conf->ui_listen);
	assert_string_equal(la->host, "127.0.0.1");
	assert_string_equal(la->port, "9999");
	assert_int_equal(la->line, line_of(cloister_yaml, "127.0.0.1:9999"));

	assert_int_equal(conf->approval_timeout, 5 * 60 * 1000);

	auto_ = &conf->global.kind[PAT_AUTO];
	man = &conf->global.kind[PAT_MANUAL];
	assert_int_equal(npatterns(auto_), 2);
	check_pattern(auto_, 0, "^docker compose ps$", path,
	    line_of(cloister_yaml, "^docker compose ps$"));
	check_pattern(auto_, 1, "^docker compose logs.*$", path,
	    line_of(cloister_yaml, "^docker compose logs"));
	assert_int_equal(npatterns(man), 4);
	check_pattern(man, 0, "^docker compose (up|down|restart|build).*$",
	    path, line_of(cloister_yaml, "(up|down"));
	check_pattern(man, 1, "^gh .+$", path, line_of(cloister_yaml, "^gh"));
	check_pattern(man, 2, "^curl .+$", path,
	    line_of(cloister_yaml, "^curl"));
	check_pattern(man, 3, "^wget .+$", path,
	    line_of(cloister_yaml, "^wget"));
	assert_int_equal(npatterns(&conf->global.kind[PAT_DENY]), 0);

	/* Nothing else was set: the guardian defaults hold. */
	assert_int_equal(conf->exec_timeout, 30 * 60 * 1000);
	assert_null(conf->audit_file);
	assert_true(TAILQ_EMPTY(&conf->cloisters));
	assert_true(RB_EMPTY(&conf->projects));
	config_free(conf);
	free(path);
	free(dir);
}

/*
 * guardiand's keys of old in cloister's file: refused, as cloister
 * refuses them, saying where they go now.
 */
static void
test_migration(void **state)
{
	static const char old[] =
	    "request:\n"
	    "  listen: [\"127.0.0.1:9998\", \"unix:/run/g/request.sock\"]\n"
	    "hostexec:\n"
	    "  listen: [\"127.0.0.1:9999\"]\n"
	    "  deny:\n"
	    "    - pattern: \"^rm\"\n"
	    "approval:\n"
	    "  auto_approve: []\n"
	    "guardian:\n"
	    "  default: deny\n";
	char	*dir, *path, *errs, *want;

	dir = newdir();
	path = wfile(dir, "config.yaml", old);
	errs = load_bad(path);
	want = xasprintf("a list in `request.listen` is guardiand's, which "
	    "cloister refuses: give one address here, or move the list to "
	    "%s/guardiand.yaml as `guardian.request_listen`", dir);
	check_err(errs, path, 2, want);
	free(want);
	want = xasprintf("a list in `hostexec.listen` is guardiand's, which "
	    "cloister refuses: give one address here, or move the list to "
	    "%s/guardiand.yaml as `guardian.ui_listen`", dir);
	check_err(errs, path, 4, want);
	free(want);
	want = xasprintf("`hostexec.deny` is guardiand's, which cloister "
	    "refuses: move it to %s/guardiand.yaml as `guardian.deny`", dir);
	check_err(errs, path, 5, want);
	free(want);
	want = xasprintf("`approval` is guardiand's old name for `hostexec`, "
	    "which cloister refuses: rename it `hostexec`, and move a `deny` "
	    "list in it to %s/guardiand.yaml as `guardian.deny`", dir);
	check_err(errs, path, 7, want);
	free(want);
	want = xasprintf("`guardian` is guardiand's own section, which "
	    "cloister refuses: move it to %s/guardiand.yaml", dir);
	check_err(errs, path, 9, want);
	free(want);
	assert_int_equal(nlines(errs), 5);
	free(errs);
	free(path);

	/* A unix socket in cloister's one address. */
	path = wfile(dir, "config.yaml", "request:\n  listen: unix:/r/s\n");
	errs = load_bad(path);
	want = xasprintf("a unix socket in `request.listen` is guardiand's, "
	    "where cloister cannot listen: move it to %s/guardiand.yaml as "
	    "`guardian.request_listen`", dir);
	check_err(errs, path, 2, want);
	assert_int_equal(nlines(errs), 1);
	free(want);
	free(errs);
	free(path);

	/* Near misses: cloister's keys, and ours. */
	path = wfile(dir, "config.yaml", "guardain:\n  env: {pass: []}\n"
	    "Hostexec:\n  auto_approve: []\nhostexec:\n  dney: []\n");
	errs = load_bad(path);
	want = xasprintf("unknown key `guardain` at the top level, which "
	    "cloister refuses; did you mean `guardian`? It is guardiand's, "
	    "and goes in %s/guardiand.yaml", dir);
	check_err(errs, path, 1, want);
	free(want);
	check_err(errs, path, 3, "unknown key `Hostexec` at the top level, "
	    "which cloister refuses; did you mean `hostexec`?");
	want = xasprintf("unknown key `dney` in section `hostexec`, which "
	    "cloister refuses; did you mean `deny`? It is guardiand's, and "
	    "goes in %s/guardiand.yaml as `guardian.deny`", dir);
	check_err(errs, path, 6, want);
	free(want);
	assert_int_equal(nlines(errs), 3);
	free(errs);
	free(path);
	free(dir);

	/* In guardiand's file: its own typos, and cloister's sections. */
	one_gerr("guardain:\n  default: deny\n", 1, "unknown key `guardain` "
	    "at the top level: guardiand's file holds only `guardian`; did "
	    "you mean `guardian`?");
	one_gerr("guardian:\n  dfault: deny\n", 2, "unknown key `dfault` in "
	    "section `guardian`; did you mean `default`?");
	dir = newdir();
	path = wfile(dir, "config.yaml", MINIMAL_CONF);
	free(wfile(dir, "guardiand.yaml", "hostexec:\n  auto_approve: []\n"));
	errs = load_bad(path);
	want = xasprintf("%s/guardiand.yaml:1: `hostexec` is cloister's "
	    "section: it belongs in %s\n", dir, path);
	assert_string_equal(errs, want);
	free(want);
	free(errs);
	free(path);
	free(dir);
}

/* guardiand.yaml's listeners replace config.yaml's; lists, unix. */
static void
test_listen_precedence(void **state)
{
	struct config	*conf;
	char		*dir, *path, *gpath;

	dir = newdir();
	path = wconf(dir, "request:\n  listen: \":9998\"\n"
	    "hostexec:\n  listen: \"127.0.0.1:9000\"\n",
	    "guardian:\n  request_listen: [\"127.0.0.1:1\", "
	    "\"unix:/r/request.sock\"]\n");
	gpath = xasprintf("%s/guardiand.yaml", dir);
	conf = load_ok(path);
	assert_int_equal(conf->request_listen_default, 0);
	assert_int_equal(nlisten(&conf->request_listen), 2);
	assert_string_equal(TAILQ_FIRST(&conf->request_listen)->port, "1");
	assert_string_equal(TAILQ_FIRST(&conf->request_listen)->file, gpath);
	assert_true(TAILQ_LAST(&conf->request_listen, listen_list)->is_unix);
	/* hostexec.listen stays: nothing replaces it. */
	assert_int_equal(nlisten(&conf->ui_listen), 1);
	assert_string_equal(TAILQ_FIRST(&conf->ui_listen)->port, "9000");
	assert_string_equal(TAILQ_FIRST(&conf->ui_listen)->file, path);
	config_free(conf);
	free(path);

	path = wconf(dir, "hostexec:\n  listen: \"127.0.0.1:9000\"\n",
	    "guardian:\n  ui_listen: [\"127.0.0.1:9001\", \"[::1]:9001\"]\n");
	conf = load_ok(path);
	assert_int_equal(conf->request_listen_default, 1);
	assert_int_equal(nlisten(&conf->ui_listen), 2);
	assert_string_equal(TAILQ_FIRST(&conf->ui_listen)->port, "9001");
	assert_string_equal(TAILQ_LAST(&conf->ui_listen, listen_list)->host,
	    "::1");
	config_free(conf);
	free(path);
	free(gpath);
	free(dir);
}

static void
check_defaults(struct config *conf)
{
	struct listen_addr	*la;

	assert_int_equal(conf->request_listen_default, 1);
	assert_int_equal(nlisten(&conf->request_listen), 1);
	la = TAILQ_FIRST(&conf->request_listen);
	assert_string_equal(la->spec, "127.0.0.1:9998");
	assert_string_equal(la->host, "127.0.0.1");
	assert_string_equal(la->port, "9998");
	assert_int_equal(la->line, 0);
	assert_string_equal(la->file, conf->path);
	assert_int_equal(la->fd, -1);
	assert_int_equal(nlisten(&conf->ui_listen), 1);
	la = TAILQ_FIRST(&conf->ui_listen);
	assert_string_equal(la->spec, "127.0.0.1:9999");
	assert_int_equal(conf->ui_allow_remote, 0);
	assert_int_equal(conf->approval_timeout, 300000);
	assert_int_equal(conf->default_manual, 0);
	assert_int_equal(conf->exec_timeout, 1800000);
	assert_int_equal(conf->max_output, 16 * 1024 * 1024);
	assert_int_equal(conf->env_pass_all, 1);
	assert_int_equal(conf->trusted_path_set, 0);
	assert_true(TAILQ_EMPTY(&conf->trusted_path));
	assert_true(TAILQ_EMPTY(&conf->env_pass));
	assert_true(TAILQ_EMPTY(&conf->env_set));
	assert_int_equal(conf->audit_facility, LOG_AUTHPRIV);
	assert_null(conf->audit_file);
	assert_null(conf->control_path);
	assert_null(conf->state_dir);
	assert_null(conf->user);
	assert_int_equal(conf->limits.pending_per_cloister, 32);
	assert_int_equal(conf->limits.pending, 256);
	assert_int_equal(conf->limits.running, 64);
	assert_int_equal(conf->limits.connections, 512);
	assert_int_equal(conf->limits.connections_per_peer, 128);
	assert_int_equal(conf->limits.ui_connections, 1024);
	assert_int_equal(conf->limits.ui_connections_per_peer, 256);
	assert_int_equal(conf->limits.args, 4096);
	assert_int_equal(conf->limits.body, 1024 * 1024);
	assert_int_equal(conf->limits.headers, 16 * 1024);
	assert_int_equal(conf->limits.read_timeout, 30000);
	assert_int_equal(conf->limits.idle_timeout, 60000);
	assert_true(TAILQ_EMPTY(&conf->cloisters));
	assert_true(TAILQ_EMPTY(&conf->global.kind[PAT_DENY]));
	assert_true(TAILQ_EMPTY(&conf->global.kind[PAT_AUTO]));
	assert_true(TAILQ_EMPTY(&conf->global.kind[PAT_MANUAL]));
	assert_true(RB_EMPTY(&conf->projects));
}

static void
test_defaults(void **state)
{
	static const struct {
		const char	*yaml, *gyaml;
	} files[] = {
		{ MINIMAL_CONF, NULL },
		{ "\xef\xbb\xbf# a UTF-8 byte order mark\n" MINIMAL_CONF,
		  NULL },
		{ "proxy:\n  listen: \":3128\"\n", "guardian:\n" },
		/* Empty sections and null values mean "not given". */
		{ "request:\n"
		  "  listen:\n"
		  "  timeout: ~\n"
		  "hostexec:\n"
		  "proxy: null\n"
		  "agents: {claude: ~}\n",
		  "guardian:\n"
		  "  env:\n"
		  "  audit: {}\n"
		  "  limits: {pending: ~}\n"
		  "  cloisters:\n"
		  "  deny:\n"
		  "  request_listen: ~\n" },
	};
	struct config	*conf;
	char		*dir, *path;
	size_t		 i;

	for (i = 0; i < NITEMS(files); i++) {
		dir = newdir();
		path = wconf(dir, files[i].yaml, files[i].gyaml);
		conf = load_ok(path);
		check_defaults(conf);
		assert_null(conf->warnings);
		config_free(conf);
		free(path);
		free(dir);
	}
}

/*
 * An empty file, or one that says nothing, is refused: a truncated
 * file must never pass for the defaults.
 */
static void
test_err_empty(void **state)
{
	static const char *const empty[] = {
		"", "# nothing but a comment\n", "---\n", "~\n",
		"\xef\xbb\xbf# a UTF-8 byte order mark\n",
	};
	size_t	 i;

	for (i = 0; i < NITEMS(empty); i++) {
		one_err(empty[i], 1, "the file is empty: an empty or "
		    "half-written file is never taken for the defaults");
		one_gerr(empty[i], 1, "the file is empty: an empty or "
		    "half-written file is never taken for the defaults");
	}
}

static void
test_guardian_section(void **state)
{
	static const char yaml[] =
	    "request:\n"
	    "  timeout: 90s\n"
	    "hostexec:\n"
	    "  listen: \"[::1]:9999\"\n";
	static const char gyaml[] =
	    "guardian:\n"
	    "  request_listen:\n"
	    "    - \"127.0.0.1:9998\"\n"
	    "    - \"unix:~/.run/request.sock\"\n"
	    "  deny:\n"
	    "    - pattern: \"^rm -rf /\"\n"
	    "    - pattern: 42\n"
	    "    - pattern: \"^caf\xc3\xa9 \\u00e9\\t$\"\n"
	    "  default: manual\n"
	    "  exec_timeout: 0\n"
	    "  max_output: 64KiB\n"
	    "  env:\n"
	    "    pass: [PATH, HOME, SSH_AUTH_SOCK]\n"
	    "    set: {LANG: C.UTF-8, EMPTY: , QUOTED: \"a b\"}\n"
	    "  audit: {syslog: local3, file: ~/.local/share/audit.log}\n"
	    "  limits:\n"
	    "    pending_per_cloister: 2\n"
	    "    pending: 3\n"
	    "    running: 4\n"
	    "    connections: 5\n"
	    "    connections_per_peer: 7\n"
	    "    ui_connections: 9\n"
	    "    ui_connections_per_peer: 10\n"
	    "    args: 6\n"
	    "    body: 2MiB\n"
	    "    headers: 8k\n"
	    "    read_timeout: 1s\n"
	    "    idle_timeout: 1m30s\n"
	    "  control: /run/guardiand/control.sock\n"
	    "  state_dir: ~/.local/state/guardiand\n"
	    "  user: _guardiand\n"
	    "  ui_allow_remote: true\n"
	    "  trusted_path: [/nonexistent-dir-x, ~/bin]\n";
	struct config		*conf;
	struct listen_addr	*la;
	struct strent		*se;
	struct env_var		*ev;
	char			*dir, *path, *gpath;

	dir = newdir();
	path = wconf(dir, yaml, gyaml);
	gpath = xasprintf("%s/guardiand.yaml", dir);
	conf = load_ok(path);
	assert_string_equal(conf->gpath, gpath);

	assert_int_equal(conf->request_listen_default, 0);
	assert_int_equal(nlisten(&conf->request_listen), 2);
	la = TAILQ_FIRST(&conf->request_listen);
	assert_string_equal(la->host, "127.0.0.1");
	assert_string_equal(la->file, gpath);
	assert_int_equal(la->line, 3);
	la = TAILQ_NEXT(la, entry);
	assert_true(la->is_unix);
	assert_string_equal(la->path, HOME "/.run/request.sock");
	assert_string_equal(la->spec, "unix:~/.run/request.sock");
	assert_int_equal(la->line, 4);
	assert_string_equal(TAILQ_FIRST(&conf->ui_listen)->host, "::1");
	assert_int_equal(conf->approval_timeout, 90000);

	check_pattern(&conf->global.kind[PAT_DENY], 0, "^rm -rf /", gpath, 6);
	check_pattern(&conf->global.kind[PAT_DENY], 1, "42", gpath, 7);
	check_pattern(&conf->global.kind[PAT_DENY], 2,
	    "^caf\xc3\xa9 \xc3\xa9\t$", gpath, 8);

	assert_int_equal(conf->default_manual, 1);
	assert_int_equal(conf->trusted_path_set, 1);
	se = TAILQ_FIRST(&conf->trusted_path);
	assert_string_equal(se->s, "/nonexistent-dir-x");
	assert_string_equal(TAILQ_NEXT(se, entry)->s, HOME "/bin");
	assert_int_equal(conf->exec_timeout, 0);
	assert_int_equal(conf->max_output, 65536);
	assert_int_equal(conf->env_pass_all, 0);
	se = TAILQ_FIRST(&conf->env_pass);
	assert_string_equal(se->s, "PATH");
	se = TAILQ_NEXT(se, entry);
	assert_string_equal(se->s, "HOME");
	se = TAILQ_NEXT(se, entry);
	assert_string_equal(se->s, "SSH_AUTH_SOCK");
	assert_null(TAILQ_NEXT(se, entry));
	ev = TAILQ_FIRST(&conf->env_set);
	assert_string_equal(ev->name, "LANG");
	assert_string_equal(ev->value, "C.UTF-8");
	ev = TAILQ_NEXT(ev, entry);
	assert_string_equal(ev->name, "EMPTY");
	assert_string_equal(ev->value, "");
	ev = TAILQ_NEXT(ev, entry);
	assert_string_equal(ev->name, "QUOTED");
	assert_string_equal(ev->value, "a b");
	assert_null(TAILQ_NEXT(ev, entry));
	assert_int_equal(conf->audit_facility, LOG_LOCAL3);
	assert_string_equal(conf->audit_file, HOME "/.local/share/audit.log");
	assert_int_equal(conf->limits.pending_per_cloister, 2);
	assert_int_equal(conf->limits.pending, 3);
	assert_int_equal(conf->limits.running, 4);
	assert_int_equal(conf->limits.connections, 5);
	assert_int_equal(conf->limits.connections_per_peer, 7);
	assert_int_equal(conf->limits.ui_connections, 9);
	assert_int_equal(conf->limits.ui_connections_per_peer, 10);
	assert_int_equal(conf->limits.args, 6);
	assert_int_equal(conf->limits.body, 2 * 1024 * 1024);
	assert_int_equal(conf->limits.headers, 8000);
	assert_int_equal(conf->limits.read_timeout, 1000);
	assert_int_equal(conf->limits.idle_timeout, 90000);
	assert_string_equal(conf->control_path, "/run/guardiand/control.sock");
	assert_string_equal(conf->state_dir, HOME "/.local/state/guardiand");
	assert_string_equal(conf->user, "_guardiand");
	assert_int_equal(conf->ui_allow_remote, 1);
	config_free(conf);
	free(gpath);
	free(path);
	free(dir);
}

static void
test_facilities(void **state)
{
	static const struct {
		const char	*name;
		int		 fac;
	} t[] = {
		{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
		{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local7", LOG_LOCAL7 },
	};
	struct config	*conf;
	char		*dir, *path, *yaml;
	size_t		 i;

	dir = newdir();
	for (i = 0; i < NITEMS(t); i++) {
		yaml = xasprintf("guardian:\n  audit:\n    syslog: %s\n",
		    t[i].name);
		path = wconf(dir, MINIMAL_CONF, yaml);
		conf = load_ok(path);
		assert_int_equal(conf->audit_facility, t[i].fac);
		config_free(conf);
		free(path);
		free(yaml);
	}
	free(dir);
}

static void
test_cloisters(void **state)
{
	struct config		*conf;
	struct cloister_conf	*c;
	char			*dir, *path, *tok1, *tok2, *yaml;

	dir = newdir();
	/* First line only, trailing blanks and CR dropped. */
	tok1 = wfilen(dir, "tok1", S("tok1-0123456789abcdef \t\r\nline 2\n"),
	    0600);
	/* No newline at all; read-only for the owner is fine. */
	tok2 = wfilen(dir, "tok2", S("tok2-0123456789abcdef"), 0400);
	yaml = xasprintf(
	    "guardian:\n"
	    "  cloisters:\n"
	    "    - name: my-api\n"
	    "      worktree: ~/src/my-api\n"
	    "      token_file: %s\n"
	    "    - {name: web.2, project: web, worktree: /src/web,"
	    " token_file: \"%s\"}\n"
	    "    - name: Inline_1\n"
	    "      project: my-api\n"
	    "      worktree: /src/inline\n"
	    "      token: \"inline-token-0123456789\"\n"
	    "    - {name: wide, project: \"my pr\xc3\xb8j++\", worktree: /w,"
	    " token: wide-token-0123456789}\n",
	    tok1, tok2);
	path = wconf(dir, MINIMAL_CONF, yaml);
	conf = load_ok(path);

	c = TAILQ_FIRST(&conf->cloisters);
	assert_string_equal(c->name, "my-api");
	assert_string_equal(c->project, "my-api");
	assert_string_equal(c->worktree, HOME "/src/my-api");
	assert_string_equal(c->token, "tok1-0123456789abcdef");
	assert_string_equal(c->token_file, tok1);
	assert_string_equal(c->file, conf->gpath);
	assert_int_equal(c->line, 3);
	c = TAILQ_NEXT(c, entry);
	assert_string_equal(c->name, "web.2");
	assert_string_equal(c->project, "web");
	assert_string_equal(c->worktree, "/src/web");
	assert_string_equal(c->token, "tok2-0123456789abcdef");
	assert_int_equal(c->line, 6);
	c = TAILQ_NEXT(c, entry);
	assert_string_equal(c->name, "Inline_1");
	assert_string_equal(c->project, "my-api");
	assert_string_equal(c->token, "inline-token-0123456789");
	assert_null(c->token_file);
	assert_int_equal(c->line, 7);
	/* Any name a project file can have. */
	c = TAILQ_NEXT(c, entry);
	assert_string_equal(c->project, "my pr\xc3\xb8j++");
	assert_null(TAILQ_NEXT(c, entry));
	config_free(conf);
	free(path);
	free(yaml);
	free(tok1);
	free(tok2);
	free(dir);
}

static void
test_projects(void **state)
{
	static const char proj_api[] =
	    "# cloister's project file\n"
	    "remote: \"git@github.com:x/my-api.git\"\n"
	    "root: \"~/repos/my-api\"\n"
	    "refs:\n"
	    "  - \"~/repos/shared-lib\"\n"
	    "proxy:\n"
	    "  allow:\n"
	    "    - domain: \"internal-docs.company.com\"\n"
	    "hostexec:\n"
	    "  auto_approve:\n"
	    "    - pattern: \"^make test$\"\n"
	    "    - pattern: \"^./scripts/lint\\\\.sh$\"\n";
	static const char proj_web[] =
	    "hostexec:\n"
	    "  manual_approve:\n"
	    "    - pattern: \"^npm publish\"\n"
	    "  auto_approve:\n"
	    "    - pattern: \"^npm test$\"\n";
	static const char deny_web[] =
	    "guardian:\n"
	    "  deny:\n"
	    "    - pattern: \"^git push --force\"\n";
	struct config		*conf;
	struct project_conf	*pc;
	char			*dir, *pdir, *gdir, *path, *p1, *p2, *g2, *g3;
	char			*other, *lock;

	dir = newdir();
	pdir = xasprintf("%s/projects", dir);
	gdir = xasprintf("%s/guardiand.d", dir);
	assert_int_equal(mkdir(pdir, 0700), 0);
	assert_int_equal(mkdir(gdir, 0700), 0);
	path = wfile(dir, "config.yaml",
	    "hostexec:\n  auto_approve: [{pattern: \"^ls$\"}]\n");
	p1 = wfile(pdir, "my-api.yaml", proj_api);
	p2 = wfile(pdir, "web.yaml", proj_web);
	g2 = wfile(gdir, "web.yaml", deny_web);
	/* guardiand's deny list alone makes a project too. */
	g3 = wfile(gdir, "ops.yaml", deny_web);
	other = wfile(pdir, "README", "not yaml: [\n");
	free(wfile(pdir, "notes.yml", "not: [loaded\n"));
	free(wfile(pdir, "empty.yaml", ""));
	free(wfile(gdir, "notes.txt", "not: [loaded\n"));
	/* emacs leaves dangling links like this one */
	lock = xasprintf("%s/.#web.yaml", pdir);
	assert_int_equal(symlink("user@host.1234:5678", lock), 0);

	conf = load_ok(path);
	assert_null(conf->warnings);
	check_pattern(&conf->global.kind[PAT_AUTO], 0, "^ls$", path, 2);

	pc = config_project(conf, "my-api");
	assert_non_null(pc);
	assert_string_equal(pc->name, "my-api");
	assert_string_equal(pc->file, p1);
	assert_null(pc->gfile);
	assert_int_equal(pc->ignored, 0);
	assert_int_equal(npatterns(&pc->pats.kind[PAT_AUTO]), 2);
	check_pattern(&pc->pats.kind[PAT_AUTO], 0, "^make test$", p1, 11);
	check_pattern(&pc->pats.kind[PAT_AUTO], 1, "^./scripts/lint\\.sh$",
	    p1, 12);
	assert_true(TAILQ_EMPTY(&pc->pats.kind[PAT_MANUAL]));
	assert_true(TAILQ_EMPTY(&pc->pats.kind[PAT_DENY]));

	pc = config_project(conf, "web");
	assert_non_null(pc);
	assert_string_equal(pc->gfile, g2);
	check_pattern(&pc->pats.kind[PAT_MANUAL], 0, "^npm publish", p2, 3);
	check_pattern(&pc->pats.kind[PAT_AUTO], 0, "^npm test$", p2, 5);
	check_pattern(&pc->pats.kind[PAT_DENY], 0, "^git push --force", g2,
	    3);

	pc = config_project(conf, "ops");
	assert_non_null(pc);
	assert_null(pc->file);
	check_pattern(&pc->pats.kind[PAT_DENY], 0, "^git push --force", g3,
	    3);

	pc = config_project(conf, "empty");
	assert_non_null(pc);
	assert_true(TAILQ_EMPTY(&pc->pats.kind[PAT_AUTO]));

	assert_null(config_project(conf, "notes"));
	assert_null(config_project(conf, "README"));
	assert_null(config_project(conf, "nope"));
	assert_null(config_project(conf, ".#web"));

	/* The tree is ordered by name. */
	pc = RB_MIN(project_tree, &conf->projects);
	assert_string_equal(pc->name, "empty");
	pc = RB_NEXT(project_tree, &conf->projects, pc);
	assert_string_equal(pc->name, "my-api");
	pc = RB_NEXT(project_tree, &conf->projects, pc);
	assert_string_equal(pc->name, "ops");
	pc = RB_NEXT(project_tree, &conf->projects, pc);
	assert_string_equal(pc->name, "web");
	assert_null(RB_NEXT(project_tree, &conf->projects, pc));
	config_free(conf);
	free(path);
	free(p1);
	free(p2);
	free(g2);
	free(g3);
	free(other);
	free(lock);
	free(gdir);
	free(pdir);
	free(dir);
}

/* Every name a file in projects/ can have, as cloister takes it. */
static void
test_project_names(void **state)
{
	static const char *const good[] = {
		"my proj", "c++lib", "pr\xc3\xb8ject", "_proj", "a", "-x",
		"caf\xc3\xa9 \xe2\x82\xac", "x.y.z", "UPPER", "\xf0\x9f\x90\x99",
	};
	struct config		*conf;
	struct project_conf	*pc;
	char			*dir, *pdir, *path, *fname, longname[251];
	const char		*w;
	size_t			 i;

	dir = newdir();
	pdir = xasprintf("%s/projects", dir);
	assert_int_equal(mkdir(pdir, 0700), 0);
	path = wfile(dir, "config.yaml", MINIMAL_CONF);
	for (i = 0; i < NITEMS(good); i++) {
		fname = xasprintf("%s.yaml", good[i]);
		free(wfile(pdir, fname, "hostexec:\n  auto_approve: "
		    "[{pattern: \"^x$\"}]\n"));
		free(fname);
	}
	/* 250 bytes and ".yaml": the longest a file name can be. */
	memset(longname, 'n', 250);
	longname[250] = '\0';
	fname = xasprintf("%s.yaml", longname);
	free(wfile(pdir, fname, "hostexec:\n  auto_approve: "
	    "[{pattern: \"^x$\"}]\n"));
	free(fname);
	/* Not names: a control character, invalid UTF-8. */
	free(wfile(pdir, "tab\there.yaml", "hostexec: {}\n"));
	free(wfile(pdir, "bad\xff.yaml", "hostexec: {}\n"));

	conf = load_ok(path);
	for (i = 0; i < NITEMS(good); i++) {
		pc = config_project(conf, good[i]);
		if (pc == NULL)
			fail_msg("project \"%s\" not loaded", good[i]);
		assert_int_equal(npatterns(&pc->pats.kind[PAT_AUTO]), 1);
	}
	assert_non_null(config_project(conf, longname));
	assert_null(config_project(conf, "tab\there"));
	assert_non_null(w = conf->warnings);
	assert_non_null(strstr(w, "/projects/tab\there.yaml: warning: "
	    "ignored: \"tab\\there\" is not a project name (1 to 250 bytes "
	    "of UTF-8 without control characters or '/', not beginning "
	    "with '.')\n"));
	assert_non_null(strstr(w, "/projects/bad\xff.yaml: warning: "
	    "ignored: \"bad\\377\" is not a project name"));
	assert_int_equal(nlines(w), 2);
	config_free(conf);

	for (i = 0; i < NITEMS(good); i++)
		assert_true(config_valid_project(good[i]));
	assert_true(config_valid_project(longname));
	assert_false(config_valid_project(""));
	assert_false(config_valid_project(".hidden"));
	assert_false(config_valid_project("a/b"));
	assert_false(config_valid_project("a\x7f"));
	assert_false(config_valid_project("a\xc2\x85"));	/* C1 NEL */
	assert_false(config_valid_project("a\xc0\xaf"));	/* overlong */
	longname[249] = '\xc3';				/* cut */
	assert_false(config_valid_project(longname));
	free(path);
	free(pdir);
	free(dir);
}

/*
 * A project file cloister would ignore with a warning is ignored with a
 * warning: its project gets the global patterns only; guardiand's deny
 * list for it still applies.  guardiand's keys in it are errors: they
 * would be lost with the file.
 */
static void
test_project_ignored(void **state)
{
	static const struct {
		const char	*yaml;
		int		 line;
		const char	*msg;
	} t[] = {
		{ "hostexec:\n  auto_approve: [{pattern: \"^x$\"}]\n"
		  "  bogus: 1\n", 3,
		  "unknown key `bogus` in section `hostexec`, which cloister "
		  "refuses" },
		{ "hostexec:\n  auto_approve: [{pattern: \"(?=x)\"}]\n", 2,
		  "invalid or unsupported Perl syntax: `(?=`" },
		{ "hostexec:\n  auto_approve: [{pattern: \"^x$\"}]\n"
		  "refs: x\n", 3,
		  "`refs` must be a list of strings, not \"x\"" },
		{ "hostexec:\n  auto_approve: [{pattern: \"^x$\"}]\n"
		  "  listen: \":1\"\n", 3,
		  "unknown key `listen` in section `hostexec`, which cloister "
		  "refuses" },
		{ "commands:\n  auto_approve: [{pattern: \"^x$\"}]\n", 1,
		  "`commands` is not cloister's, which ignores this file for "
		  "it: rename it `hostexec`" },
		{ "hostexec:\n  auto_approve: [{pattern: \"\"}]\n", 2,
		  "empty pattern in `hostexec.auto_approve`" },
		{ "hostexec:\n  auto_approve: [\n", 3,
		  ":1: syntax error: did not find expected node content: a "
		  "value is missing, or a [ or { was left open" },
		{ "- a\n", 1,
		  "the top level must be a mapping of sections, not a list" },
	};
	struct config		*conf;
	struct project_conf	*pc;
	char			*dir, *pdir, *gdir, *path, *p, *want, *errs;
	const char		*col;
	size_t			 i;

	for (i = 0; i < NITEMS(t); i++) {
		dir = newdir();
		pdir = xasprintf("%s/projects", dir);
		gdir = xasprintf("%s/guardiand.d", dir);
		assert_int_equal(mkdir(pdir, 0700), 0);
		assert_int_equal(mkdir(gdir, 0700), 0);
		path = wfile(dir, "config.yaml",
		    "hostexec:\n  manual_approve: [{pattern: \"^g$\"}]\n");
		p = wfile(pdir, "p.yaml", t[i].yaml);
		free(wfile(gdir, "p.yaml", "guardian:\n  deny: "
		    "[{pattern: \"^rm\"}]\n"));
		conf = load_ok(path);
		/* ":COL: ..." for the errors that name a column too. */
		col = *t[i].msg == ':' ? strchr(t[i].msg + 1, ':') : t[i].msg;
		want = xasprintf("%s:%d%.*s: warning: %s\n"
		    "%s: warning: ignored, as cloister ignores it: project "
		    "`p` gets the global patterns only\n", p, t[i].line,
		    (int)(col - t[i].msg), t[i].msg,
		    col == t[i].msg ? col : col + 2, p);
		if (conf->warnings == NULL ||
		    strcmp(conf->warnings, want) != 0) {
			print_message("want:\n%sgot:\n%s", want,
			    conf->warnings ? conf->warnings : "(none)\n");
			fail();
		}
		pc = config_project(conf, "p");
		assert_non_null(pc);
		assert_int_equal(pc->ignored, 1);
		assert_true(TAILQ_EMPTY(&pc->pats.kind[PAT_AUTO]));
		assert_true(TAILQ_EMPTY(&pc->pats.kind[PAT_MANUAL]));
		assert_int_equal(npatterns(&pc->pats.kind[PAT_DENY]), 1);
		config_free(conf);
		free(want);
		free(p);
		free(path);
		free(gdir);
		free(pdir);
		free(dir);
	}

	/* guardiand's deny lists in cloister's project file: errors. */
	dir = newdir();
	pdir = xasprintf("%s/projects", dir);
	assert_int_equal(mkdir(pdir, 0700), 0);
	path = wfile(dir, "config.yaml", MINIMAL_CONF);
	p = wfile(pdir, "web.yaml", "hostexec:\n  deny: [{pattern: x}]\n"
	    "commands:\n  deny: [{pattern: y}]\n");
	errs = load_bad(path);
	want = xasprintf("`hostexec.deny` is guardiand's, which cloister "
	    "refuses: move it to %s/guardiand.d/web.yaml as `guardian.deny`",
	    dir);
	check_err(errs, p, 2, want);
	free(want);
	want = xasprintf("`commands.deny` is guardiand's, which cloister "
	    "refuses: move it to %s/guardiand.d/web.yaml as `guardian.deny`",
	    dir);
	check_err(errs, p, 4, want);
	free(want);
	assert_int_equal(nlines(errs), 2);
	free(errs);
	free(p);
	free(path);
	free(pdir);
	free(dir);
}

/* A relative -f: messages name files as they were given. */
static void
test_relative_path(void **state)
{
	char	*dir, *pdir, *errs, cwd[PATH_MAX];

	dir = newdir();
	pdir = xasprintf("%s/guardiand.d", dir);
	assert_int_equal(mkdir(pdir, 0700), 0);
	free(wfile(dir, "config.yaml", "request:\n  timeout: 5\n"));
	free(wfile(dir, "guardiand.yaml", "guardian:\n  default: x\n"));
	free(wfile(pdir, "p.yaml", "guardian:\n  deny: [{pattern: \"\"}]\n"));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	errs = load_bad("config.yaml");
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(errs,
	    "config.yaml:2: `request.timeout`: missing unit in duration "
	    "\"5\"\n"
	    "./guardiand.yaml:2: `guardian.default` must be deny or manual, "
	    "not \"x\"\n"
	    "./guardiand.d/p.yaml:2: empty pattern in `guardian.deny`\n");
	free(errs);
	free(pdir);
	free(dir);
}

/*
 * Aliases are copies of their anchor, as yaml.v3 reads them; "billion
 * laughs" stops at the node limit.
 */
static void
test_aliases(void **state)
{
	static const char yaml[] =
	    "proxy:\n"
	    "  allow: &docs\n"
	    "    - domain: golang.org\n"
	    "    - domain: go.dev\n"
	    "  deny: *docs\n"
	    "hostexec:\n"
	    "  auto_approve:\n"
	    "    - pattern: &ok \"^ok$\"\n"
	    "  manual_approve:\n"
	    "    - pattern: *ok\n"
	    "agents:\n"
	    "  a: &agent {command: a, env: [X]}\n"
	    "  b: *agent\n";
	static const char laughs[] =
	    "proxy:\n"
	    "  allow: &a [{domain: lol},{domain: lol},{domain: lol}]\n"
	    "  deny: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "devcontainer:\n"
	    "  blocked_mounts: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "  features: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "defaults: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "log: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "agents: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
	struct config	*conf;
	char		*dir, *path, *errs;

	dir = newdir();
	path = wfile(dir, "config.yaml", yaml);
	conf = load_ok(path);
	check_pattern(&conf->global.kind[PAT_AUTO], 0, "^ok$", path, 8);
	/* The copy's line is the alias's. */
	check_pattern(&conf->global.kind[PAT_MANUAL], 0, "^ok$", path, 10);
	config_free(conf);
	free(path);

	path = wfile(dir, "config.yaml", laughs);
	errs = load_bad(path);
	check_err(errs, path, 7, "more than 100000 YAML nodes");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	free(dir);

	one_err("hostexec:\n  auto_approve: *nope\n", 2,
	    "unknown anchor (*nope)");
	one_err("proxy: &p\n  allow: *p\n", 2,
	    "alias inside its own anchor (*p)");
	one_err("agents:\n  a: &x {command: a}\n  b: {<<: *x}\n", 3,
	    "merge keys (<<) are not supported");
	/* guardiand's file too; what is in a copy is where it was written. */
	one_gerr("guardian:\n  env:\n    pass: &p [PATH]\n"
	    "  deny: *p\n", 3, "`guardian.deny` entries must be mappings "
	    "like {pattern: \"...\"}, not a scalar");
}

/* Exactly 1 MiB is allowed; a byte more is not (test_err_size). */
static void
test_size_limit_ok(void **state)
{
	struct config	*conf;
	char		*dir, *path, *buf;
	size_t		 len = 1024 * 1024, i;

	buf = malloc(len);
	assert_non_null(buf);
	for (i = 0; i < len; i++)
		buf[i] = (i % 64 == 63) ? '\n' : (i % 64 == 0) ? '#' : 'x';
	memcpy(buf, "request: {timeout: 7m}\n#", 24);
	dir = newdir();
	path = wfilen(dir, "config.yaml", buf, len, 0644);
	conf = load_ok(path);
	assert_int_equal(conf->approval_timeout, 7 * 60 * 1000);
	config_free(conf);
	free(path);
	free(dir);
	free(buf);
}

/* CRLF files count lines as libyaml does. */
static void
test_crlf(void **state)
{
	struct config	*conf;
	char		*dir, *path, *errs;

	dir = newdir();
	path = wfile(dir, "config.yaml", "# crlf\r\nhostexec:\r\n"
	    "  auto_approve:\r\n    - pattern: \"^x$\"\r\n");
	conf = load_ok(path);
	check_pattern(&conf->global.kind[PAT_AUTO], 0, "^x$", path, 4);
	config_free(conf);
	free(path);
	path = wfile(dir, "config.yaml", "# crlf\r\nhostexec:\r\n"
	    "  auto_approve:\r\n    - pattern: \"\"\r\nx: \xff\r\n");
	errs = load_bad(path);
	check_err(errs, path, 5, "invalid UTF-8");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	path = wfile(dir, "config.yaml", "# crlf\r\nhostexec:\r\n"
	    "  auto_approve:\r\n    - pattern: \"\"\r\n");
	errs = load_bad(path);
	check_err(errs, path, 4, "empty pattern in `hostexec.auto_approve`");
	free(errs);
	free(path);
	free(dir);
}

/*
 * Errors.
 */

/* At most 100000 nodes a file, in whichever section. */
static void
test_err_nodes(void **state)
{
	struct config	*conf;
	char		*dir, *path, *errs, *yaml, *p;
	size_t		 i, n = 100001;

	yaml = p = malloc(64 + 2 * n);
	assert_non_null(yaml);
	p += sprintf(p, "log: {}\ndevcontainer:\n  blocked_mounts: [");
	for (i = 0; i < n; i++) {
		*p++ = 'A';
		*p++ = i + 1 < n ? ',' : ']';
	}
	*p++ = '\n';
	*p = '\0';
	dir = newdir();
	path = wfile(dir, "config.yaml", yaml);
	errs = load_bad(path);
	check_err(errs, path, 3, "more than 100000 YAML nodes");
	assert_int_equal(nlines(errs), 1);
	free(errs);

	/* 99990 are fine. */
	yaml[strlen(yaml) - 24] = ']';
	yaml[strlen(yaml) - 23] = '\0';
	free(wfile(dir, "config.yaml", yaml));
	conf = load_ok(path);
	config_free(conf);
	free(path);
	free(yaml);
	free(dir);
}

static void
test_err_missing(void **state)
{
	char	*dir, *path, *errs;

	dir = newdir();
	path = xasprintf("%s/nope.yaml", dir);
	errs = load_bad(path);
	check_err(errs, path, 0, "No such file or directory");
	assert_int_equal(nlines(errs), 1);
	free(errs);

	/* errs may be NULL. */
	assert_null(config_load(path, NULL));
	free(path);

	/* A directory is not a configuration. */
	errs = load_bad(dir);
	check_err(errs, dir, 0, "not a regular file");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(dir);
}

static void
test_err_size(void **state)
{
	char	*dir, *path, *errs, *buf;
	size_t	 len = 1024 * 1024 + 1;

	buf = malloc(len);
	assert_non_null(buf);
	memset(buf, '#', len);
	dir = newdir();
	path = wfilen(dir, "config.yaml", buf, len, 0644);
	errs = load_bad(path);
	check_err(errs, path, 0, "file too large (more than 1048576 bytes)");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	free(dir);
	free(buf);
}

static void
test_err_syntax(void **state)
{
	static const struct errcase t[] = {
		{ "request:\n  listen: [a\n", 3, ":1: syntax error: did not "
		    "find expected ',' or ']': a [ list left open" },
		{ "a: b: c\n", 1, ":5: syntax error: mapping values are not "
		    "allowed in this context: a value holds \": \" (quote "
		    "it), or a line is indented too far" },
		{ "request:\n\tlisten: x\n", 2, ":1: syntax error: found "
		    "character that cannot start any token: a tab; YAML "
		    "indents with spaces only" },
		{ "a: 1\nb: \"x\n", 3, ":1: syntax error: found unexpected "
		    "end of stream: a quote left open" },
		{ "a: 1\nb: \"\x01\"\n", 2, "syntax error: control "
		    "characters are not allowed" },
		{ "a: 1\n---\nb: 2\n", 2, "only one YAML document is "
		    "allowed" },
		{ "- a\n", 1, "the top level must be a mapping of sections, "
		    "not a list" },
		{ "just a string\n", 1, "the top level must be a mapping of "
		    "sections, not a scalar" },
		{ "proxy: {}\n? [a, b]\n: c\n", 2, "keys must be strings" },
		{ "proxy:\n  ? {a: 1}\n  : b\n", 2, "keys must be strings" },
	};

	err_table(t, NITEMS(t));
	one_gerr("guardian:\n  ? {a: 1}\n  : b\n", 2, "keys must be strings");
}

static void
test_err_encoding(void **state)
{
	static const struct {
		const char	*data;
		size_t		 len;
		int		 line;
		const char	*msg;
	} t[] = {
		{ S("a: 1\nb: x\0y\n"), 2, "NUL byte in file" },
		{ S("\0"), 1, "NUL byte in file" },
		{ S("a: 1\n\nc: \xff\n"), 3, "invalid UTF-8" },
		{ S("a: \xc0\xaf\n"), 1, "invalid UTF-8" },	/* overlong */
		{ S("a: \xe0\x80\xaf\n"), 1, "invalid UTF-8" },
		{ S("a: \xed\xa0\x80\n"), 1, "invalid UTF-8" },	/* surrogate */
		{ S("a: \xf4\x90\x80\x80\n"), 1, "invalid UTF-8" },
		{ S("a: \xf8\x88\x80\x80\x80\n"), 1, "invalid UTF-8" },
		{ S("a: \x80\n"), 1, "invalid UTF-8" },
		{ S("a: x\n# \xe2\x82"), 2, "invalid UTF-8" },	/* cut */
	};
	char	*dir, *path, *errs;
	size_t	 i;

	dir = newdir();
	for (i = 0; i < NITEMS(t); i++) {
		path = wfilen(dir, "config.yaml", t[i].data, t[i].len, 0644);
		errs = load_bad(path);
		check_err(errs, path, t[i].line, t[i].msg);
		assert_int_equal(nlines(errs), 1);
		free(errs);
		free(path);
	}

	/* One error a line, every bad line. */
	path = wfilen(dir, "config.yaml", S("a: \xff\xff\0\nb: 1\nc: \0\n"),
	    0644);
	errs = load_bad(path);
	check_err(errs, path, 1, "invalid UTF-8");
	check_err(errs, path, 3, "NUL byte in file");
	assert_int_equal(nlines(errs), 2);
	free(errs);
	free(path);

	/* Ten bad lines are enough to tell. */
	path = wfile(dir, "config.yaml", "a: \xff\nb: \xff\nc: \xff\n"
	    "d: \xff\ne: \xff\nf: \xff\ng: \xff\nh: \xff\ni: \xff\n"
	    "j: \xff\nk: \xff\nl: \xff\n");
	errs = load_bad(path);
	check_err(errs, path, 1, "invalid UTF-8");
	check_err(errs, path, 10, "invalid UTF-8");
	check_err(errs, path, 0, "too many encoding errors");
	assert_int_equal(nlines(errs), 11);
	free(errs);
	free(path);
	free(dir);

	/* NULs smuggled in by escapes are caught where they land. */
	one_err("hostexec:\n  auto_approve:\n    - pattern: \"a\\0b\"\n", 3,
	    "`hostexec.auto_approve.pattern` contains a NUL byte");
	one_err("proxy:\n  \"lis\\0ten\": x\n", 2, "NUL byte in key");
	one_gerr("guardian:\n  user: \"a\\x00\"\n", 2,
	    "`guardian.user` contains a NUL byte");
	one_gerr("guardian:\n  \"def\\0ault\": deny\n", 2, "NUL byte in key");
	one_gerr("guardian:\n  env:\n    pass: [\"A\\0B\"]\n", 3,
	    "`guardian.env.pass`: bad variable name \"A\\0B\"");
}

static void
test_err_types(void **state)
{
	static const struct errcase t[] = {
		{ "request: [a]\n", 1,
		    "`request` must be a mapping, not a list" },
		{ "request: x\n", 1,
		    "`request` must be a mapping, not \"x\"" },
		{ "hostexec: [x]\n", 1,
		    "`hostexec` must be a mapping, not a list" },
		{ "request:\n  timeout: {a: 1}\n", 2,
		    "`request.timeout` must be a string, not a mapping" },
		{ "request:\n  listen: {a: 1}\n", 2,
		    "`request.listen` must be a string, not a mapping" },
		{ "hostexec:\n  listen: {a: b}\n", 2,
		    "`hostexec.listen` must be a string, not a mapping" },
		{ "hostexec:\n  auto_approve: {pattern: x}\n", 2,
		    "`hostexec.auto_approve` must be a list, not a mapping" },
		{ "hostexec:\n  manual_approve: x\n", 2,
		    "`hostexec.manual_approve` must be a list, not \"x\"" },
		{ "proxy:\n  rate_limit: \"5\"\n", 2, "`proxy.rate_limit` must "
		    "be an integer, not \"5\" (quoted, or tagged)" },
		{ "proxy:\n  max_request_bytes: 10MB\n", 2,
		    "`proxy.max_request_bytes` must be an integer, not "
		    "\"10MB\"" },
		{ "proxy:\n  rate_limit: 1e19\n", 2, "`proxy.rate_limit` must "
		    "be an integer, not \"1e19\"" },
		{ "proxy:\n  rate_limit: 0x8000000000000000\n", 2,
		    "`proxy.rate_limit` must be an integer, not "
		    "\"0x8000000000000000\"" },
		{ "proxy:\n  allow: [x]\n", 2,
		    "`proxy.allow` entries must be mappings, not a scalar" },
		{ "proxy:\n  allow:\n    - domain: [x]\n", 3,
		    "`proxy.allow.domain` must be a string, not a list" },
		{ "devcontainer:\n  enabled: maybe\n", 2,
		    "`devcontainer.enabled` must be true or false, not "
		    "\"maybe\"" },
		{ "devcontainer:\n  enabled: \"true\"\n", 2,
		    "`devcontainer.enabled` must be true or false, not "
		    "\"true\" (quoted, or tagged)" },
		{ "devcontainer:\n  enabled: 1\n", 2,
		    "`devcontainer.enabled` must be true or false, not \"1\"" },
		{ "devcontainer:\n  features: {allow: x}\n", 2,
		    "`devcontainer.features.allow` must be a list of strings, "
		    "not \"x\"" },
		{ "devcontainer:\n  blocked_mounts: [[a]]\n", 2,
		    "`devcontainer.blocked_mounts` entries must be strings, "
		    "not a list" },
		{ "agents: [claude]\n", 1,
		    "`agents` must be a mapping, not a list" },
		{ "agents:\n  claude: x\n", 2,
		    "`agents.claude` must be a mapping, not \"x\"" },
		{ "agents:\n  claude: {skip_permissions: 2}\n", 2,
		    "`agents.claude.skip_permissions` must be true or false, "
		    "not \"2\"" },
		{ "log:\n  per_cloister: [true]\n", 2,
		    "`log.per_cloister` must be true or false, not a list" },
		{ "defaults:\n  image: {a: 1}\n", 2,
		    "`defaults.image` must be a string, not a mapping" },
	};
	static const struct errcase g[] = {
		{ "guardian: [x]\n", 1,
		    "`guardian` must be a mapping, not a list" },
		{ "guardian:\n  default: [deny]\n", 2,
		    "`guardian.default` must be a string, not a list" },
		{ "guardian:\n  exec_timeout: [1s]\n", 2,
		    "`guardian.exec_timeout` must be a string, not a list" },
		{ "guardian:\n  max_output: {a: 1}\n", 2,
		    "`guardian.max_output` must be a string, not a mapping" },
		{ "guardian:\n  env: [PATH]\n", 2,
		    "`guardian.env` must be a mapping, not a list" },
		{ "guardian:\n  env: {pass: PATH}\n", 2,
		    "`guardian.env.pass` must be a list, not a scalar" },
		{ "guardian:\n  trusted_path: /usr/bin\n", 2,
		    "`guardian.trusted_path` must be a list, not a scalar" },
		{ "guardian:\n  trusted_path:\n    - /usr/bin\n    - bin\n",
		    4, "`guardian.trusted_path` must be an absolute path" },
		{ "guardian:\n  env:\n    pass:\n      - [A]\n", 4,
		    "`guardian.env.pass` entries must be strings, not a "
		    "list" },
		{ "guardian:\n  env: {set: [A]}\n", 2,
		    "`guardian.env.set` must be a mapping, not a list" },
		{ "guardian:\n  env:\n    set: {A: [1]}\n", 3,
		    "`guardian.env.set` must be a string, not a list" },
		{ "guardian:\n  audit: authpriv\n", 2,
		    "`guardian.audit` must be a mapping, not a scalar" },
		{ "guardian:\n  audit: {file: [a]}\n", 2,
		    "`guardian.audit.file` must be a string, not a list" },
		{ "guardian:\n  limits: [1]\n", 2,
		    "`guardian.limits` must be a mapping, not a list" },
		{ "guardian:\n  limits: {pending: [1]}\n", 2,
		    "`guardian.limits.pending` must be a string, not a list" },
		{ "guardian:\n  cloisters: {name: a}\n", 2,
		    "`guardian.cloisters` must be a list, not a mapping" },
		{ "guardian:\n  cloisters: [a]\n", 2, "`guardian.cloisters` "
		    "entries must be mappings, not a scalar" },
		{ "guardian:\n  control: {a: 1}\n", 2,
		    "`guardian.control` must be a string, not a mapping" },
		{ "guardian:\n  state_dir: [a]\n", 2,
		    "`guardian.state_dir` must be a string, not a list" },
		{ "guardian:\n  user: [a]\n", 2,
		    "`guardian.user` must be a string, not a list" },
		{ "guardian:\n  ui_allow_remote: [true]\n", 2,
		    "`guardian.ui_allow_remote` must be a string, not a list" },
		{ "guardian:\n  deny: x\n", 2,
		    "`guardian.deny` must be a list, not a scalar" },
		{ "guardian:\n  request_listen: {a: 1}\n", 2,
		    "`guardian.request_listen` must be a string or a list of "
		    "strings, not a mapping" },
		{ "guardian:\n  request_listen: [[a]]\n", 2,
		    "`guardian.request_listen` entries must be strings" },
		{ "guardian:\n  request_listen: [\":1\", ~]\n", 2,
		    "`guardian.request_listen` entries must be strings" },
		{ "guardian:\n  ui_listen: []\n", 2,
		    "`guardian.ui_listen` is an empty list" },
	};

	err_table(t, NITEMS(t));
	gerr_table(g, NITEMS(g));
}

/* What yaml.v3 takes for cloister's ints and bools, guardiand takes. */
static void
test_cloister_values(void **state)
{
	static const char *const ints[] = {
		"0", "120", "-5", "+5", "1_000", "0x1F", "0X1f", "0o17",
		"0b101", "017", "089", "1.5", ".5", "1e3", "-1.5e2",
		"9223372036854775807", "-9223372036854775808",
		"0x7fffffffffffffff", "~", "",
	};
	static const char *const bools[] = {
		"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
		"YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"y", "Y", "n", "N", "\"yes\"", "'off'", "~",
	};
	struct config	*conf;
	char		*dir, *path, *yaml;
	size_t		 i;

	dir = newdir();
	for (i = 0; i < NITEMS(ints); i++) {
		yaml = xasprintf("proxy:\n  rate_limit: %s\n", ints[i]);
		path = wfile(dir, "config.yaml", yaml);
		conf = load_ok(path);
		config_free(conf);
		free(path);
		free(yaml);
	}
	for (i = 0; i < NITEMS(bools); i++) {
		yaml = xasprintf("log:\n  stdout: %s\n", bools[i]);
		path = wfile(dir, "config.yaml", yaml);
		conf = load_ok(path);
		config_free(conf);
		free(path);
		free(yaml);
	}
	/* Any scalar is a string to Go. */
	path = wfile(dir, "config.yaml", "defaults:\n  image: 5\n"
	    "  shell: true\n  user: ~\n  agent: 2001-01-01\n"
	    "proxy:\n  listen: !!str 7\n");
	conf = load_ok(path);
	config_free(conf);
	free(path);
	free(dir);
}

static void
test_err_unknown_keys(void **state)
{
	static const struct errcase t[] = {
		{ "request:\n  listen: \":1\"\n  timeot: 5m\n", 3,
		    "unknown key `timeot` in section `request`, which cloister "
		    "refuses; did you mean `timeout`?" },
		{ "request:\n  bogus:\n", 2,
		    "unknown key `bogus` in section `request`, which cloister "
		    "refuses" },
		{ "hostexec:\n  auto_aprove: []\n", 2,
		    "unknown key `auto_aprove` in section `hostexec`, which "
		    "cloister refuses; did you mean `auto_approve`?" },
		{ "hostexec:\n  auto_approve:\n    - patern: x\n", 3,
		    "unknown key `patern` in a `hostexec.auto_approve` entry, "
		    "which cloister refuses; did you mean `pattern`?" },
		{ "hostexec:\n  manual_approve:\n    - {pattern: x, reason: y}\n",
		    3, "unknown key `reason` in a `hostexec.manual_approve` "
		    "entry, which cloister refuses" },
		{ "request:\n  \"a\\nb\": 1\n", 2,
		    "unknown key `a\\nb` in section `request`, which cloister "
		    "refuses" },
		{ "future: {}\n", 1, "unknown key `future` at the top level, "
		    "which cloister refuses" },
		{ "remote: x\n", 1, "unknown key `remote` at the top level, "
		    "which cloister refuses" },
		{ "proxy:\n  alow: []\n", 2, "unknown key `alow` in section "
		    "`proxy`, which cloister refuses; did you mean `allow`?" },
		{ "agents:\n  claude:\n    skip_permission: true\n", 3,
		    "unknown key `skip_permission` in `agents.claude`, which "
		    "cloister refuses; did you mean `skip_permissions`?" },
		{ "devcontainer:\n  features:\n    deny: []\n", 3,
		    "unknown key `deny` in section `devcontainer.features`, "
		    "which cloister refuses" },
		{ "Log: {}\n", 1, "unknown key `Log` at the top level, which "
		    "cloister refuses; did you mean `log`?" },
	};
	static const struct errcase g[] = {
		{ "guardian:\n  defualt: deny\n", 2,
		    "unknown key `defualt` in section `guardian`; did you mean "
		    "`default`?" },
		{ "guardian:\n  env: {keep: [A]}\n", 2,
		    "unknown key `keep` in section `guardian.env`" },
		{ "guardian:\n  audit: {facility: auth}\n", 2,
		    "unknown key `facility` in section `guardian.audit`" },
		{ "guardian:\n  limits:\n    pending: 1\n    runing: 2\n", 4,
		    "unknown key `runing` in section `guardian.limits`; did "
		    "you mean `running`?" },
		{ "guardian:\n  cloisters:\n    - name: a\n      worktree: /a\n"
		    "      token: 0123456789abcdef\n      tokenfile: /x\n", 6,
		    "unknown key `tokenfile` in a `guardian.cloisters` "
		    "entry; did you mean `token_file`?" },
		{ "guardian:\n  deny:\n    - {pattern: x, reason: y}\n", 3,
		    "unknown key `reason` in a `guardian.deny` entry" },
	};

	err_table(t, NITEMS(t));
	gerr_table(g, NITEMS(g));
}

static void
test_err_duplicates(void **state)
{
	static const struct errcase t[] = {
		{ "request: {}\nrequest: {}\n", 2,
		    "duplicate key `request` (first at line 1)" },
		{ "proxy: {}\nrequest: {}\nproxy: {}\n", 3,
		    "duplicate key `proxy` (first at line 1)" },
		{ "request:\n  timeout: 1s\n  listen: \":1\"\n  timeout: 2s\n",
		    4, "duplicate key `timeout` (first at line 2)" },
		{ "hostexec:\n  auto_approve:\n    - {pattern: a, pattern: b}\n",
		    3, "duplicate key `pattern` (first at line 3)" },
		/* yaml.v3 refuses them wherever they are. */
		{ "proxy: {listen: a, listen: b}\n", 1,
		    "duplicate key `listen` (first at line 1)" },
		{ "agents:\n  a: {}\n  a: {}\n", 3,
		    "duplicate key `a` (first at line 2)" },
		/* Same address twice, also against a default. */
		{ "request:\n  listen: \":80\"\nhostexec:\n"
		    "  listen: \":80\"\n", 4,
		    "listen address \":80\" is already used at line 2" },
		{ "hostexec:\n  listen: 127.0.0.1:9998\n", 2,
		    "listen address \"127.0.0.1:9998\" is already used by a "
		    "default listener" },
	};
	static const struct errcase g[] = {
		{ "guardian:\n  default: deny\n  default: manual\n", 3,
		    "duplicate key `default` (first at line 2)" },
		{ "guardian:\n  env:\n    set:\n      A: 1\n      A: 2\n", 5,
		    "duplicate key `A` (first at line 4)" },
		{ "guardian:\n  cloisters:\n    - name: a\n      worktree: /a\n"
		    "      name: b\n      token: 0123456789abcdef\n", 5,
		    "duplicate key `name` (first at line 3)" },
		{ "guardian:\n  env:\n    pass: [A, B, A]\n", 3,
		    "`guardian.env.pass`: A is listed twice" },
		{ "guardian:\n  request_listen:\n    - \":80\"\n    - \":80\"\n",
		    4, "listen address \":80\" is already used at line 3" },
		{ "guardian:\n  request_listen: \"unix:/r\"\n"
		    "  ui_listen: \"unix:/r\"\n", 3,
		    "listen address \"unix:/r\" is already used at line 2" },
	};
	static const char many[] =
	    "guardian:\n"
	    "  env:\n"
	    "    set:\n"
	    "      A: 1\n"
	    "      B: 1\n"
	    "      A: 2\n"
	    "      C: 1\n"
	    "      B: 2\n"
	    "      A: 3\n";
	char	*dir, *path, *gpath, *errs, *want;

	err_table(t, NITEMS(t));
	gerr_table(g, NITEMS(g));

	dir = newdir();
	path = wconf(dir, MINIMAL_CONF, many);
	gpath = xasprintf("%s/guardiand.yaml", dir);
	errs = load_bad(path);
	check_err(errs, gpath, 6, "duplicate key `A` (first at line 4)");
	check_err(errs, gpath, 8, "duplicate key `B` (first at line 5)");
	check_err(errs, gpath, 9, "duplicate key `A` (first at line 4)");
	assert_int_equal(nlines(errs), 3);
	free(errs);
	free(path);

	/* Across the two files. */
	path = wconf(dir, "hostexec:\n  listen: \":80\"\n",
	    "guardian:\n  request_listen: [\":80\"]\n");
	errs = load_bad(path);
	want = xasprintf("listen address \":80\" is already used at %s:2",
	    gpath);
	check_err(errs, path, 2, want);
	assert_int_equal(nlines(errs), 1);
	free(want);
	free(errs);
	free(path);
	free(gpath);
	free(dir);
}

static void
test_err_patterns(void **state)
{
	static const struct errcase t[] = {
		{ "hostexec:\n  auto_approve:\n    - \"^git status$\"\n", 3,
		    "`hostexec.auto_approve` entries must be mappings like "
		    "{pattern: \"...\"}, not a scalar" },
		{ "hostexec:\n  manual_approve:\n    - [a]\n", 3,
		    "`hostexec.manual_approve` entries must be mappings like "
		    "{pattern: \"...\"}, not a list" },
		{ "hostexec:\n  auto_approve:\n    - pattern: \"\"\n", 3,
		    "empty pattern in `hostexec.auto_approve`" },
		{ "hostexec:\n  auto_approve:\n    - pattern:\n", 3,
		    "empty pattern in `hostexec.auto_approve`" },
		{ "hostexec:\n  manual_approve:\n    - pattern: ~\n", 3,
		    "empty pattern in `hostexec.manual_approve`" },
		{ "hostexec:\n  manual_approve:\n    - {}\n", 3,
		    "`hostexec.manual_approve` entry without `pattern`" },
		{ "hostexec:\n  auto_approve:\n    - pattern: [a]\n", 3,
		    "`hostexec.auto_approve.pattern` must be a string, not a "
		    "list" },
		{ "hostexec:\n  auto_approve:\n    - pattern: {a: b}\n", 3,
		    "`hostexec.auto_approve.pattern` must be a string, not a "
		    "mapping" },
	};
	static const struct errcase g[] = {
		{ "guardian:\n  deny:\n    - pattern: \"\"\n", 3,
		    "empty pattern in `guardian.deny`" },
		{ "guardian:\n  deny:\n    - {}\n", 3,
		    "`guardian.deny` entry without `pattern`" },
		{ "guardian:\n  deny:\n    - x\n", 3,
		    "`guardian.deny` entries must be mappings like "
		    "{pattern: \"...\"}, not a scalar" },
	};

	err_table(t, NITEMS(t));
	gerr_table(g, NITEMS(g));
}

static char *
nested(const char *prefix, int n)
{
	char	*s;
	size_t	 len = strlen(prefix);

	s = malloc(len + 2 * n + 2);
	assert_non_null(s);
	memcpy(s, prefix, len);
	memset(s + len, '[', n);
	memset(s + len + n, ']', n);
	memcpy(s + len + 2 * n, "\n", 2);
	return (s);
}

static void
test_err_nesting(void **state)
{
	char	*dir, *path, *gpath, *errs, *yaml;

	/* 64 levels (the top mapping is one) are read... */
	dir = newdir();
	yaml = nested("proxy: ", 63);
	path = wfile(dir, "config.yaml", yaml);
	errs = load_bad(path);
	check_err(errs, path, 1, "`proxy` must be a mapping, not a list");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	free(yaml);

	/* ...65 are not, wherever they are. */
	yaml = nested("proxy: ", 64);
	path = wfile(dir, "config.yaml", yaml);
	errs = load_bad(path);
	check_err(errs, path, 1, "nested deeper than 64 levels");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	free(yaml);

	yaml = nested("guardian:\n  env: ", 63);
	path = wconf(dir, MINIMAL_CONF, yaml);
	gpath = xasprintf("%s/guardiand.yaml", dir);
	errs = load_bad(path);
	check_err(errs, gpath, 2, "nested deeper than 64 levels");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	unlink(gpath);
	free(gpath);
	free(path);
	free(yaml);

	/* An alias deepens what it copies. */
	yaml = nested("proxy: {allow: &a ", 61);
	yaml[strlen(yaml) - 1] = '\0';
	path = xasprintf("%s}\nlog: {file: [[[[*a]]]]}\n", yaml);
	free(yaml);
	yaml = path;
	path = wfile(dir, "config.yaml", yaml);
	errs = load_bad(path);
	check_err(errs, path, 2, "nested deeper than 64 levels");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	free(yaml);

	/* Unbalanced and 100000 deep: stops at once (libyaml is quadratic). */
	yaml = nested("proxy: ", 100000);
	yaml[7 + 100000] = '\0';
	path = wfile(dir, "config.yaml", yaml);
	errs = load_bad(path);
	check_err(errs, path, 1, "nested deeper than 64 levels");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	free(yaml);
	free(dir);
}

static void
test_err_values(void **state)
{
	static const struct errcase t[] = {
		{ "request:\n  timeout: \"5\"\n", 2,
		    "`request.timeout`: missing unit in duration \"5\"" },
		{ "request:\n  timeout: 0\n", 2,
		    "`request.timeout` must not be 0" },
		{ "request:\n  timeout: 0s\n", 2,
		    "`request.timeout` must not be 0" },
		{ "request:\n  listen: \"9998\"\n", 2,
		    "`request.listen`: bad address \"9998\": missing port" },
		{ "hostexec:\n  listen: \"::1:80\"\n", 2,
		    "`hostexec.listen`: bad address \"::1:80\": IPv6 address "
		    "must be in brackets" },
		{ "request:\n  timeout: \"1\\x1b[2J\"\n", 2,
		    "`request.timeout`: unknown unit in duration "
		    "\"1\\033[2J\"" },
	};
	static const struct errcase g[] = {
		{ "guardian:\n  exec_timeout: 1x\n", 2,
		    "`guardian.exec_timeout`: unknown unit in duration "
		    "\"1x\"" },
		{ "guardian:\n  exec_timeout: -1s\n", 2,
		    "`guardian.exec_timeout`: negative duration \"-1s\"" },
		{ "guardian:\n  exec_timeout: \"\"\n", 2,
		    "`guardian.exec_timeout`: empty duration \"\"" },
		{ "guardian:\n  limits: {read_timeout: 0}\n", 2,
		    "`guardian.limits.read_timeout` must not be 0" },
		{ "guardian:\n  limits: {idle_timeout: 3000000h}\n", 2,
		    "`guardian.limits.idle_timeout`: duration out of range "
		    "\"3000000h\"" },
		{ "guardian:\n  max_output: 16XB\n", 2,
		    "`guardian.max_output`: unknown unit in size \"16XB\"" },
		{ "guardian:\n  max_output: 0\n", 2,
		    "`guardian.max_output` must not be 0" },
		{ "guardian:\n  limits: {body: -1}\n", 2,
		    "`guardian.limits.body`: invalid size \"-1\"" },
		{ "guardian:\n  limits: {headers: 99999999999999999999}\n", 2,
		    "`guardian.limits.headers`: size out of range "
		    "\"99999999999999999999\"" },
		{ "guardian:\n  limits: {pending: 0}\n", 2,
		    "`guardian.limits.pending` must be a number from 1 to "
		    "1000000" },
		{ "guardian:\n  limits: {running: 1000001}\n", 2,
		    "`guardian.limits.running` must be a number from 1 to "
		    "1000000" },
		{ "guardian:\n  limits: {args: \"+5\"}\n", 2,
		    "`guardian.limits.args` must be a number from 1 to "
		    "1000000" },
		{ "guardian:\n  limits: {connections: 5x}\n", 2,
		    "`guardian.limits.connections` must be a number from 1 to "
		    "1000000" },
		{ "guardian:\n  limits: {connections_per_peer: 0}\n", 2,
		    "`guardian.limits.connections_per_peer` must be a number "
		    "from 1 to 1000000" },
		{ "guardian:\n  limits:\n    ui_connections: 10\n"
		    "    ui_connections_per_peer: many\n", 4,
		    "`guardian.limits.ui_connections_per_peer` must be a "
		    "number from 1 to 1000000" },
		{ "guardian:\n  limits: {pending_per_cloister: -3}\n", 2,
		    "`guardian.limits.pending_per_cloister` must be a number "
		    "from 1 to 1000000" },
		{ "guardian:\n  default: maybe\n", 2,
		    "`guardian.default` must be deny or manual, not "
		    "\"maybe\"" },
		{ "guardian:\n  default: Deny\n", 2,
		    "`guardian.default` must be deny or manual, not "
		    "\"Deny\"" },
		{ "guardian:\n  ui_allow_remote: yes\n", 2,
		    "`guardian.ui_allow_remote` must be true or false" },
		{ "guardian:\n  audit: {syslog: kern}\n", 2,
		    "`guardian.audit.syslog`: unknown facility \"kern\" "
		    "(auth, authpriv, daemon, user, local0-local7)" },
		{ "guardian:\n  audit: {file: rel/audit.log}\n", 2,
		    "`guardian.audit.file` must be an absolute path" },
		{ "guardian:\n  audit: {file: \"~bob/audit.log\"}\n", 2,
		    "`guardian.audit.file`: cannot expand \"~bob/audit.log\"" },
		{ "guardian:\n  control: control.sock\n", 2,
		    "`guardian.control` must be an absolute path" },
		{ "guardian:\n  state_dir: \"\"\n", 2,
		    "`guardian.state_dir` must be an absolute path" },
		{ "guardian:\n  user: \"a b\"\n", 2,
		    "`guardian.user`: bad user name \"a b\"" },
		{ "guardian:\n  user: \"-x\"\n", 2,
		    "`guardian.user`: bad user name \"-x\"" },
		{ "guardian:\n  env:\n    pass: [\"1X\"]\n", 3,
		    "`guardian.env.pass`: bad variable name \"1X\"" },
		{ "guardian:\n  env:\n    pass: [\"\"]\n", 3,
		    "`guardian.env.pass`: bad variable name \"\"" },
		{ "guardian:\n  env:\n    set: {\"A=B\": c}\n", 3,
		    "`guardian.env.set`: bad variable name \"A=B\"" },
		/* Messages never hold a raw control character. */
		{ "guardian:\n  default: \"a\\nb\\x1b\"\n", 2,
		    "`guardian.default` must be deny or manual, not "
		    "\"a\\nb\\033\"" },
		{ "guardian:\n  request_listen:\n    - \":1\"\n    - \"h:0\"\n",
		    4, "`guardian.request_listen`: bad address \"h:0\": port "
		    "out of range (1-65535)" },
		{ "guardian:\n  ui_listen: \"unix:sock\"\n", 2,
		    "`guardian.ui_listen`: bad address \"unix:sock\": unix "
		    "socket path must be absolute" },
	};

	err_table(t, NITEMS(t));
	gerr_table(g, NITEMS(g));
}

static void
test_err_cloisters(void **state)
{
	static const struct errcase t[] = {
		{ "guardian:\n  cloisters:\n    - {worktree: /a, token: "
		    "0123456789abcdef}\n", 3, "cloister without `name`" },
		{ "guardian:\n  cloisters:\n    - {name: -a, worktree: /a, "
		    "token: 0123456789abcdef}\n", 3, "bad cloister name "
		    "\"-a\": want [A-Za-z0-9][A-Za-z0-9._-]{0,63}" },
		{ "guardian:\n  cloisters:\n    - {name: \"a/b\", worktree: /a,"
		    " token: 0123456789abcdef}\n", 3, "bad cloister name "
		    "\"a/b\": want [A-Za-z0-9][A-Za-z0-9._-]{0,63}" },
		{ "guardian:\n  cloisters:\n    - {name: a, project: \"..\", "
		    "worktree: /a, token: 0123456789abcdef}\n", 3,
		    "cloister `a`: bad project name \"..\": want 1 to 250 "
		    "bytes of UTF-8 without control characters or '/', not "
		    "beginning with '.'" },
		{ "guardian:\n  cloisters:\n    - {name: a, project: \"a/b\", "
		    "worktree: /a, token: 0123456789abcdef}\n", 3,
		    "cloister `a`: bad project name \"a/b\": want 1 to 250 "
		    "bytes of UTF-8 without control characters or '/', not "
		    "beginning with '.'" },
		{ "guardian:\n  cloisters:\n    - {name: a, "
		    "token: 0123456789abcdef}\n", 3,
		    "cloister `a`: `worktree` is required" },
		{ "guardian:\n  cloisters:\n    - {name: a, worktree: src/a, "
		    "token: 0123456789abcdef}\n", 3,
		    "`guardian.cloisters.worktree` must be an absolute path" },
		{ "guardian:\n  cloisters:\n    - {name: a, worktree: /a}\n",
		    3, "cloister `a`: `token` or `token_file` is required" },
		{ "guardian:\n  cloisters:\n    - {name: a, worktree: /a, "
		    "token: 0123456789abcdef, token_file: /t}\n", 3,
		    "cloister `a`: `token` and `token_file` are mutually "
		    "exclusive" },
		{ "guardian:\n  cloisters:\n    - name: a\n      worktree: /a\n"
		    "      token: 0123456789abcde\n", 5,
		    "cloister `a`: the token must be 16 to 1024 printable "
		    "ASCII characters without blanks" },
		{ "guardian:\n  cloisters:\n    - name: a\n      worktree: /a\n"
		    "      token: \"0123456789 abcdef\"\n", 5,
		    "cloister `a`: the token must be 16 to 1024 printable "
		    "ASCII characters without blanks" },
		{ "guardian:\n  cloisters:\n    - name: a\n      worktree: /a\n"
		    "      token: 0123456789abcdef\n    - name: a\n"
		    "      worktree: /b\n      token: 0123456789abcdeg\n", 6,
		    "cloister `a` defined twice (first at line 3)" },
		{ "guardian:\n  cloisters:\n    - name: a\n      worktree: /a\n"
		    "      token: 0123456789abcdef\n    - name: b\n"
		    "      worktree: /b\n      token: 0123456789abcdef\n", 6,
		    "cloister `b` has the same token as cloister `a`" },
		{ "guardian:\n  cloisters:\n    - {name: a, worktree: /a, "
		    "token_file: rel/tok}\n", 3,
		    "`guardian.cloisters.token_file` must be an absolute "
		    "path" },
	};

	gerr_table(t, NITEMS(t));
}

static void
token_err(const char *dir, const char *tokpath, int line_of_tok,
    const char *why)
{
	char	*yaml, *path, *gpath, *errs, *want;

	yaml = xasprintf("guardian:\n  cloisters:\n    - name: c1\n"
	    "      worktree: /w\n      token_file: %s\n", tokpath);
	path = wconf(dir, MINIMAL_CONF, yaml);
	gpath = xasprintf("%s/guardiand.yaml", dir);
	errs = load_bad(path);
	want = xasprintf("cloister `c1`: token file %s%s", tokpath, why);
	check_err(errs, gpath, line_of_tok, want);
	free(gpath);
	assert_int_equal(nlines(errs), 1);
	free(want);
	free(errs);
	free(path);
	free(yaml);
}

static void
test_err_token_file(void **state)
{
	static const struct {
		mode_t	 mode;
	} modes[] = { { 0640 }, { 0604 }, { 0644 }, { 0620 }, { 0602 },
	    { 0610 }, { 0601 } };
	char	*dir, *tok, *why, *longtok;
	size_t	 i;

	dir = newdir();
	for (i = 0; i < NITEMS(modes); i++) {
		tok = wfilen(dir, "tok", "0123456789abcdef\n", 17,
		    modes[i].mode);
		why = xasprintf(" is accessible by group or others "
		    "(mode %04o): chmod 600 it", (unsigned int)modes[i].mode);
		token_err(dir, tok, 5, why);
		free(why);
		free(tok);
	}

	tok = wfilen(dir, "tok", "", 0, 0600);
	token_err(dir, tok, 5, ": the token must be 16 to 1024 printable "
	    "ASCII characters without blanks");
	free(tok);
	tok = wfilen(dir, "tok", "\n0123456789abcdef\n", 18, 0600);
	token_err(dir, tok, 5, ": the token must be 16 to 1024 printable "
	    "ASCII characters without blanks");
	free(tok);
	tok = wfilen(dir, "tok", " 0123456789abcdef\n", 18, 0600);
	token_err(dir, tok, 5, ": the token must be 16 to 1024 printable "
	    "ASCII characters without blanks");
	free(tok);
	longtok = malloc(2000);
	assert_non_null(longtok);
	memset(longtok, 'x', 2000);
	tok = wfilen(dir, "tok", longtok, 2000, 0600);
	token_err(dir, tok, 5, ": the token must be 16 to 1024 printable "
	    "ASCII characters without blanks");
	free(tok);
	free(longtok);

	tok = xasprintf("%s/missing", dir);
	token_err(dir, tok, 5, ": No such file or directory");
	free(tok);
	tok = xasprintf("%s/sub", dir);
	assert_int_equal(mkdir(tok, 0700), 0);
	token_err(dir, tok, 5, " is not a regular file");
	free(tok);
	free(dir);
}

/* 1024 characters is the most, with or without a newline after. */
static void
test_token_file_max(void **state)
{
	struct config	*conf;
	char		*dir, *tok, *yaml, *path, *errs, buf[1025];

	memset(buf, 'x', sizeof(buf));
	buf[1024] = '\n';
	dir = newdir();
	tok = xasprintf("%s/tok", dir);
	yaml = xasprintf("guardian:\n  cloisters:\n"
	    "    - {name: a, worktree: /w, token_file: %s}\n", tok);
	path = wconf(dir, MINIMAL_CONF, yaml);

	free(wfilen(dir, "tok", buf, 1025, 0600));
	conf = load_ok(path);
	assert_int_equal(strlen(TAILQ_FIRST(&conf->cloisters)->token), 1024);
	config_free(conf);

	free(wfilen(dir, "tok", buf, 1024, 0600));
	conf = load_ok(path);
	assert_int_equal(strlen(TAILQ_FIRST(&conf->cloisters)->token), 1024);
	config_free(conf);

	buf[1024] = 'x';
	free(wfilen(dir, "tok", buf, 1025, 0600));
	errs = load_bad(path);
	assert_int_equal(nlines(errs), 1);
	assert_non_null(strstr(errs, "the token must be 16 to 1024"));
	free(errs);
	free(path);
	free(tok);
	free(yaml);
	free(dir);
}

/* guardiand.d/NAME.yaml is guardiand's own: its errors are errors. */
static void
test_err_projects(void **state)
{
	char	*dir, *gdir, *path, *p1, *p2, *p3, *p4, *p5, *errs, *want;

	dir = newdir();
	gdir = xasprintf("%s/guardiand.d", dir);
	assert_int_equal(mkdir(gdir, 0700), 0);
	path = wfile(dir, "config.yaml", "hostexec: {}\n");
	p1 = wfile(gdir, ".bad.yaml.yaml", "guardian: {}\n");	/* skipped */
	free(p1);
	p1 = wfile(gdir, "tab\tname.yaml", "guardian: {}\n");
	p2 = wfile(gdir, "p2.yaml",
	    "guardian:\n"
	    "  deny: [{pattern: a}]\n"
	    "  auto_approve: []\n"
	    "hostexec:\n"
	    "  deny: [\"^rm\"]\n");
	p3 = wfile(gdir, "p3.yaml", "guardian:\n  deny: [\n");
	p4 = wfile(gdir, "p4.yaml", "- a\n");
	p5 = wfile(gdir, "p5.yaml", "guardian:\n  deny: [{pattern: \"\"}]\n");
	errs = load_bad(path);
	check_err(errs, p1, 0, "\"tab\\tname\" is not a project name (1 to "
	    "250 bytes of UTF-8 without control characters or '/', not "
	    "beginning with '.')");
	check_err(errs, p2, 3, "unknown key `auto_approve` in section "
	    "`guardian` of a project");
	want = xasprintf("`hostexec` is cloister's section: it belongs in "
	    "%s/projects/p2.yaml", dir);
	check_err(errs, p2, 4, want);
	free(want);
	check_err(errs, p3, 3, ":1: syntax error: did not find expected "
	    "node content: a value is missing, or a [ or { was left open");
	check_err(errs, p4, 1, "the top level must be a mapping of sections, "
	    "not a list");
	check_err(errs, p5, 2, "empty pattern in `guardian.deny`");
	assert_int_equal(nlines(errs), 6);
	free(errs);
	free(p1);
	free(p2);
	free(p3);
	free(p4);
	free(p5);
	free(path);
	free(gdir);
	free(dir);

	dir = newdir();
	path = wfile(dir, "config.yaml", MINIMAL_CONF);
	p1 = wfile(dir, "projects", "a file\n");
	errs = load_bad(path);
	check_err(errs, p1, 0, "Not a directory");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	free(p1);
	free(dir);
}

/* Every error is reported, in every file, not just the first. */
static void
test_multiple_errors(void **state)
{
	static const char yaml[] =
	    "proxy:\n"
	    "  listen: \":3128\"\n"
	    "request:\n"
	    "  listen: \"nope\"\n"
	    "  timeout: 5\n"
	    "hostexec:\n"
	    "  auto_approve:\n"
	    "    - pattern: \"\"\n"
	    "    - pattern: \"^ok$\"\n"
	    "    - \"^git\"\n";
	static const char gyaml[] =
	    "guardian:\n"
	    "  default: sometimes\n"
	    "  limits: {pending: 0, body: 1x}\n"
	    "  colour: blue\n";
	char	*dir, *gdir, *path, *gpath, *p1, *errs;

	dir = newdir();
	gdir = xasprintf("%s/guardiand.d", dir);
	assert_int_equal(mkdir(gdir, 0700), 0);
	path = wconf(dir, yaml, gyaml);
	gpath = xasprintf("%s/guardiand.yaml", dir);
	p1 = wfile(gdir, "x.yaml", "guardian:\n  deny: [{pattern: \"\"}]\n");
	errs = load_bad(path);
	check_err(errs, path, 4, "`request.listen`: bad address \"nope\": "
	    "missing port");
	check_err(errs, path, 5, "`request.timeout`: missing unit in duration "
	    "\"5\"");
	check_err(errs, path, 8, "empty pattern in `hostexec.auto_approve`");
	check_err(errs, path, 10, "`hostexec.auto_approve` entries must be "
	    "mappings like {pattern: \"...\"}, not a scalar");
	check_err(errs, gpath, 2, "`guardian.default` must be deny or manual, "
	    "not \"sometimes\"");
	check_err(errs, gpath, 3, "`guardian.limits.pending` must be a number "
	    "from 1 to 1000000");
	check_err(errs, gpath, 3, "`guardian.limits.body`: unknown unit in "
	    "size \"1x\"");
	check_err(errs, gpath, 4, "unknown key `colour` in section "
	    "`guardian`");
	check_err(errs, p1, 2, "empty pattern in `guardian.deny`");
	assert_int_equal(nlines(errs), 9);
	/* In file order. */
	assert_true(strstr(errs, ":4: ") < strstr(errs, ":5: "));
	assert_true(strstr(errs, path) < strstr(errs, gpath));
	assert_true(strstr(errs, gpath) < strstr(errs, p1));
	free(errs);
	free(p1);
	free(path);
	free(gpath);
	free(gdir);
	free(dir);
}

static void
test_too_many_errors(void **state)
{
	char	*dir, *path, *gpath, *errs, *yaml, *p;
	size_t	 i, len = 16 + 150 * 16;

	yaml = p = malloc(len);
	assert_non_null(yaml);
	p += snprintf(p, len, "guardian:\n");
	for (i = 0; i < 150; i++)
		p += snprintf(p, len - (p - yaml), "  k%03zu: 1\n", i);
	dir = newdir();
	path = wconf(dir, MINIMAL_CONF, yaml);
	gpath = xasprintf("%s/guardiand.yaml", dir);
	errs = load_bad(path);
	check_err(errs, gpath, 2, "unknown key `k000` in section `guardian`");
	check_err(errs, gpath, 101, "unknown key `k099` in section "
	    "`guardian`");
	check_err(errs, gpath, 0, "too many errors");
	assert_null(strstr(errs, "k100"));
	assert_int_equal(nlines(errs), 101);
	free(errs);
	free(path);
	free(gpath);
	free(yaml);
	free(dir);
}

/*
 * Setup.
 */

static int
group_setup(void **state)
{
	if (tmproot_make(tmproot, sizeof(tmproot), "test_config") == -1)
		return (-1);
	setenv("HOME", HOME, 1);
	unsetenv("XDG_CONFIG_HOME");
	umask(022);
	return (0);
}

static int
group_teardown(void **state)
{
	return (tmproot_remove(tmproot));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_ok),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_size_ok),
		cmocka_unit_test(test_size_bad),
		cmocka_unit_test(test_expand_home),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_valid_names),
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_cloister_config),
		cmocka_unit_test(test_migration),
		cmocka_unit_test(test_listen_precedence),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_err_empty),
		cmocka_unit_test(test_guardian_section),
		cmocka_unit_test(test_facilities),
		cmocka_unit_test(test_cloisters),
		cmocka_unit_test(test_projects),
		cmocka_unit_test(test_project_names),
		cmocka_unit_test(test_project_ignored),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_size_limit_ok),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_err_nodes),
		cmocka_unit_test(test_err_missing),
		cmocka_unit_test(test_err_size),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_encoding),
		cmocka_unit_test(test_err_types),
		cmocka_unit_test(test_cloister_values),
		cmocka_unit_test(test_err_unknown_keys),
		cmocka_unit_test(test_err_duplicates),
		cmocka_unit_test(test_err_patterns),
		cmocka_unit_test(test_err_nesting),
		cmocka_unit_test(test_err_values),
		cmocka_unit_test(test_err_cloisters),
		cmocka_unit_test(test_err_token_file),
		cmocka_unit_test(test_token_file_max),
		cmocka_unit_test(test_err_projects),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_too_many_errors),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
