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

	if (line > 0)
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
	"  per_cloister_dir: \"~/.local/share/cloister/logs/\"\n"
	"\n"
	"# whatever later cloister versions add is skipped, however odd\n"
	"future:\n"
	"  base: &base {a: 1, a: 2}\n"
	"  derived: {<<: *base, ? [complex, key] : value}\n"
	"  deep: [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]\n"
	"remote: \"git@github.com:x/y.git\"\n";

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

/* cloister's older spelling, and both at once. */
static void
test_approval_spelling(void **state)
{
	static const char old[] =
	    "approval:\n"
	    "  listen: \"127.0.0.1:9000\"\n"
	    "  auto_approve:\n"
	    "    - pattern: \"^make test$\"\n"
	    "  manual_approve:\n"
	    "    - pattern: \"^git push\"\n";
	static const char both[] =
	    "hostexec:\n"
	    "  auto_approve:\n"
	    "    - pattern: \"^a$\"\n"
	    "  deny:\n"
	    "    - pattern: \"^rm -rf\"\n"
	    "approval:\n"
	    "  listen: [\"127.0.0.1:9000\", \"[::1]:9000\"]\n"
	    "  auto_approve:\n"
	    "    - pattern: \"^b$\"\n"
	    "  deny:\n"
	    "    - {pattern: \"^shutdown\"}\n";
	struct config	*conf;
	char		*dir, *path;

	dir = newdir();
	path = wfile(dir, "config.yaml", old);
	conf = load_ok(path);
	assert_string_equal(TAILQ_FIRST(&conf->ui_listen)->port, "9000");
	assert_int_equal(nlisten(&conf->ui_listen), 1);
	check_pattern(&conf->global.kind[PAT_AUTO], 0, "^make test$", path, 4);
	check_pattern(&conf->global.kind[PAT_MANUAL], 0, "^git push", path, 6);
	config_free(conf);
	free(path);

	path = wfile(dir, "config.yaml", both);
	conf = load_ok(path);
	assert_int_equal(nlisten(&conf->ui_listen), 2);
	assert_string_equal(TAILQ_LAST(&conf->ui_listen, listen_list)->host,
	    "::1");
	assert_int_equal(npatterns(&conf->global.kind[PAT_AUTO]), 2);
	check_pattern(&conf->global.kind[PAT_AUTO], 0, "^a$", path, 3);
	check_pattern(&conf->global.kind[PAT_AUTO], 1, "^b$", path, 9);
	assert_int_equal(npatterns(&conf->global.kind[PAT_DENY]), 2);
	check_pattern(&conf->global.kind[PAT_DENY], 0, "^rm -rf", path, 5);
	check_pattern(&conf->global.kind[PAT_DENY], 1, "^shutdown", path, 11);
	config_free(conf);
	free(path);
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
	static const char *files[] = {
		"",
		"# nothing but a comment\n",
		"---\n",
		"~\n",
		"\xef\xbb\xbf# a UTF-8 byte order mark\n",
		"proxy:\n  listen: \":3128\"\n",
		/* Empty sections and null values mean "not given". */
		"request:\n"
		"  listen:\n"
		"  timeout: ~\n"
		"hostexec:\n"
		"approval: null\n"
		"guardian:\n"
		"  env:\n"
		"  audit: {}\n"
		"  limits: {pending: ~}\n"
		"  cloisters:\n",
	};
	struct config	*conf;
	char		*dir, *path;
	size_t		 i;

	dir = newdir();
	for (i = 0; i < NITEMS(files); i++) {
		path = wfile(dir, "config.yaml", files[i]);
		conf = load_ok(path);
		check_defaults(conf);
		config_free(conf);
		free(path);
	}
	free(dir);
}

static void
test_guardian_section(void **state)
{
	static const char yaml[] =
	    "request:\n"
	    "  listen:\n"
	    "    - \"127.0.0.1:9998\"\n"
	    "    - \"unix:~/.run/request.sock\"\n"
	    "  timeout: 90s\n"
	    "hostexec:\n"
	    "  listen: \"[::1]:9999\"\n"
	    "  deny:\n"
	    "    - pattern: \"^rm -rf /\"\n"
	    "    - pattern: 42\n"
	    "    - pattern: \"^caf\xc3\xa9 \\u00e9\\t$\"\n"
	    "guardian:\n"
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
	    "    args: 6\n"
	    "    body: 2MiB\n"
	    "    headers: 8k\n"
	    "    read_timeout: 1s\n"
	    "    idle_timeout: 1m30s\n"
	    "  control: /run/guardiand/control.sock\n"
	    "  state_dir: ~/.local/state/guardiand\n"
	    "  user: _guardiand\n"
	    "  ui_allow_remote: true\n";
	struct config		*conf;
	struct listen_addr	*la;
	struct strent		*se;
	struct env_var		*ev;
	char			*dir, *path;

	dir = newdir();
	path = wfile(dir, "config.yaml", yaml);
	conf = load_ok(path);

	assert_int_equal(conf->request_listen_default, 0);
	assert_int_equal(nlisten(&conf->request_listen), 2);
	la = TAILQ_FIRST(&conf->request_listen);
	assert_string_equal(la->host, "127.0.0.1");
	assert_int_equal(la->line, 3);
	la = TAILQ_NEXT(la, entry);
	assert_true(la->is_unix);
	assert_string_equal(la->path, HOME "/.run/request.sock");
	assert_string_equal(la->spec, "unix:~/.run/request.sock");
	assert_int_equal(la->line, 4);
	assert_string_equal(TAILQ_FIRST(&conf->ui_listen)->host, "::1");
	assert_int_equal(conf->approval_timeout, 90000);

	check_pattern(&conf->global.kind[PAT_DENY], 0, "^rm -rf /", path, 9);
	check_pattern(&conf->global.kind[PAT_DENY], 1, "42", path, 10);
	check_pattern(&conf->global.kind[PAT_DENY], 2,
	    "^caf\xc3\xa9 \xc3\xa9\t$", path, 11);

	assert_int_equal(conf->default_manual, 1);
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
		path = wfile(dir, "config.yaml", yaml);
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
	    "      token: \"inline-token-0123456789\"\n",
	    tok1, tok2);
	path = wfile(dir, "config.yaml", yaml);
	conf = load_ok(path);

	c = TAILQ_FIRST(&conf->cloisters);
	assert_string_equal(c->name, "my-api");
	assert_string_equal(c->project, "my-api");
	assert_string_equal(c->worktree, HOME "/src/my-api");
	assert_string_equal(c->token, "tok1-0123456789abcdef");
	assert_string_equal(c->token_file, tok1);
	assert_string_equal(c->file, path);
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
	    "commands:\n"
	    "  auto_approve:\n"
	    "    - pattern: \"^make test$\"\n"
	    "    - pattern: \"^./scripts/lint\\\\.sh$\"\n";
	static const char proj_web[] =
	    "hostexec:\n"
	    "  manual_approve:\n"
	    "    - pattern: \"^npm publish\"\n"
	    "  deny:\n"
	    "    - pattern: \"^git push --force\"\n"
	    "approval:\n"
	    "  auto_approve:\n"
	    "    - pattern: \"^npm test$\"\n"
	    "whatever: {x: [1, 2]}\n";
	struct config		*conf;
	struct project_conf	*pc;
	char			*dir, *pdir, *path, *p1, *p2, *other, *lock;

	dir = newdir();
	pdir = xasprintf("%s/projects", dir);
	assert_int_equal(mkdir(pdir, 0700), 0);
	path = wfile(dir, "config.yaml",
	    "hostexec:\n  auto_approve: [{pattern: \"^ls$\"}]\n");
	p1 = wfile(pdir, "my-api.yaml", proj_api);
	p2 = wfile(pdir, "web.yaml", proj_web);
	other = wfile(pdir, "README", "not yaml: [\n");
	free(wfile(pdir, "notes.yml", "not: [loaded\n"));
	free(wfile(pdir, "empty.yaml", ""));
	/* emacs leaves dangling links like this one */
	lock = xasprintf("%s/.#web.yaml", pdir);
	assert_int_equal(symlink("user@host.1234:5678", lock), 0);

	conf = load_ok(path);
	check_pattern(&conf->global.kind[PAT_AUTO], 0, "^ls$", path, 2);

	pc = config_project(conf, "my-api");
	assert_non_null(pc);
	assert_string_equal(pc->name, "my-api");
	assert_string_equal(pc->file, p1);
	assert_int_equal(npatterns(&pc->pats.kind[PAT_AUTO]), 2);
	check_pattern(&pc->pats.kind[PAT_AUTO], 0, "^make test$", p1, 11);
	check_pattern(&pc->pats.kind[PAT_AUTO], 1, "^./scripts/lint\\.sh$",
	    p1, 12);
	assert_true(TAILQ_EMPTY(&pc->pats.kind[PAT_MANUAL]));
	assert_true(TAILQ_EMPTY(&pc->pats.kind[PAT_DENY]));

	pc = config_project(conf, "web");
	assert_non_null(pc);
	check_pattern(&pc->pats.kind[PAT_MANUAL], 0, "^npm publish", p2, 3);
	check_pattern(&pc->pats.kind[PAT_DENY], 0, "^git push --force", p2,
	    5);
	check_pattern(&pc->pats.kind[PAT_AUTO], 0, "^npm test$", p2, 8);

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
	assert_string_equal(pc->name, "web");
	assert_null(RB_NEXT(project_tree, &conf->projects, pc));
	config_free(conf);
	free(path);
	free(p1);
	free(p2);
	free(other);
	free(lock);
	free(pdir);
	free(dir);
}

/* A relative -f: messages name files as they were given. */
static void
test_relative_path(void **state)
{
	char	*dir, *pdir, *errs, cwd[PATH_MAX];

	dir = newdir();
	pdir = xasprintf("%s/projects", dir);
	assert_int_equal(mkdir(pdir, 0700), 0);
	free(wfile(dir, "config.yaml", "request:\n  timeout: 5\n"));
	free(wfile(pdir, "p.yaml", "commands:\n  deny: [{pattern: \"\"}]\n"));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	errs = load_bad("config.yaml");
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(errs,
	    "config.yaml:2: `request.timeout`: missing unit in duration "
	    "\"5\"\n"
	    "./projects/p.yaml:2: empty pattern in `commands.deny`\n");
	free(errs);
	free(pdir);
	free(dir);
}

/* Whatever the unimplemented sections hold costs nothing. */
static void
test_skipped_laughs(void **state)
{
	static const char yaml[] =
	    "lol1: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "lol2: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "lol3: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "lol4: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "lol5: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "lol6: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "lol7: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "lol8: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "lol9: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
	    "proxy: {allow: *i, <<: *i}\n"
	    "hostexec:\n"
	    "  auto_approve: [{pattern: ok}]\n";
	struct config	*conf;
	char		*dir, *path;

	dir = newdir();
	path = wfile(dir, "config.yaml", yaml);
	conf = load_ok(path);
	check_pattern(&conf->global.kind[PAT_AUTO], 0, "ok", path, 12);
	config_free(conf);
	free(path);
	free(dir);
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
	memcpy(buf, "guardian: {user: big}\n#", 23);
	dir = newdir();
	path = wfilen(dir, "config.yaml", buf, len, 0644);
	conf = load_ok(path);
	assert_string_equal(conf->user, "big");
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
	    "  deny:\r\n    - pattern: \"^x$\"\r\n");
	conf = load_ok(path);
	check_pattern(&conf->global.kind[PAT_DENY], 0, "^x$", path, 4);
	config_free(conf);
	free(path);
	path = wfile(dir, "config.yaml", "# crlf\r\nhostexec:\r\n"
	    "  deny:\r\n    - pattern: \"\"\r\nx: \xff\r\n");
	errs = load_bad(path);
	check_err(errs, path, 5, "invalid UTF-8");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	path = wfile(dir, "config.yaml", "# crlf\r\nhostexec:\r\n"
	    "  deny:\r\n    - pattern: \"\"\r\n");
	errs = load_bad(path);
	check_err(errs, path, 4, "empty pattern in `hostexec.deny`");
	free(errs);
	free(path);
	free(dir);
}

/*
 * Errors.
 */

/* At most 100000 nodes are built; skipped sections build none. */
static void
test_err_nodes(void **state)
{
	struct config	*conf;
	char		*dir, *path, *errs, *yaml, *p;
	size_t		 i, n = 100001;

	yaml = p = malloc(64 + 2 * n);
	assert_non_null(yaml);
	p += sprintf(p, "proxy: 1\nguardian:\n  env:\n    pass: [");
	for (i = 0; i < n; i++) {
		*p++ = 'A';
		*p++ = i + 1 < n ? ',' : ']';
	}
	*p++ = '\n';
	*p = '\0';
	dir = newdir();
	path = wfile(dir, "config.yaml", yaml);
	errs = load_bad(path);
	check_err(errs, path, 4, "more than 100000 YAML nodes");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);

	yaml[9] = 'x';		/* "xuardian": unknown, skipped */
	path = wfile(dir, "config.yaml", yaml);
	conf = load_ok(path);
	assert_int_equal(conf->env_pass_all, 1);
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
		{ "request:\n  listen: [a\n", 3, "syntax error: did not find "
		    "expected ',' or ']' (while parsing a flow sequence at "
		    "line 2)" },
		{ "a: b: c\n", 1, "syntax error: mapping values are not "
		    "allowed in this context" },
		{ "request:\n\tlisten: x\n", 2, "syntax error: found "
		    "character that cannot start any token (while scanning "
		    "for the next token at line 2)" },
		{ "a: 1\nb: \"x\n", 3, "syntax error: found unexpected end "
		    "of stream (while scanning a quoted scalar at line 2)" },
		{ "a: 1\nb: \"\x01\"\n", 2, "syntax error: control "
		    "characters are not allowed" },
		{ "a: 1\n---\nb: 2\n", 2, "only one YAML document is "
		    "allowed" },
		{ "- a\n", 1, "the top level must be a mapping of sections, "
		    "not a list" },
		{ "just a string\n", 1, "the top level must be a mapping of "
		    "sections, not a scalar" },
		{ "proxy: 1\n? [a, b]\n: c\n", 2, "keys must be strings" },
		{ "guardian:\n  ? {a: 1}\n  : b\n", 2,
		    "keys must be strings" },
	};

	err_table(t, NITEMS(t));
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
	one_err("hostexec:\n  deny:\n    - pattern: \"a\\0b\"\n", 3,
	    "`hostexec.deny.pattern` contains a NUL byte");
	one_err("guardian:\n  user: \"a\\x00\"\n", 2,
	    "`guardian.user` contains a NUL byte");
	one_err("guardian:\n  \"def\\0ault\": deny\n", 2, "NUL byte in key");
	one_err("guardian:\n  env:\n    pass: [\"A\\0B\"]\n", 3,
	    "`guardian.env.pass`: bad variable name \"A\\0B\"");
}

static void
test_err_types(void **state)
{
	static const struct errcase t[] = {
		{ "request: [a]\n", 1,
		    "`request` must be a mapping, not a list" },
		{ "request: x\n", 1,
		    "`request` must be a mapping, not a scalar" },
		{ "hostexec: [x]\n", 1,
		    "`hostexec` must be a mapping, not a list" },
		{ "approval: x\n", 1,
		    "`approval` must be a mapping, not a scalar" },
		{ "guardian: [x]\n", 1,
		    "`guardian` must be a mapping, not a list" },
		{ "request:\n  timeout: {a: 1}\n", 2,
		    "`request.timeout` must be a string, not a mapping" },
		{ "request:\n  listen: {a: 1}\n", 2, "`request.listen` must "
		    "be a string or a list of strings, not a mapping" },
		{ "request:\n  listen: [[a]]\n", 2,
		    "`request.listen` entries must be strings" },
		{ "request:\n  listen: [\":1\", ~]\n", 2,
		    "`request.listen` entries must be strings" },
		{ "request:\n  listen: []\n", 2,
		    "`request.listen` is an empty list" },
		{ "hostexec:\n  listen: {a: b}\n", 2, "`hostexec.listen` must "
		    "be a string or a list of strings, not a mapping" },
		{ "hostexec:\n  auto_approve: {pattern: x}\n", 2,
		    "`hostexec.auto_approve` must be a list, not a mapping" },
		{ "hostexec:\n  deny: x\n", 2,
		    "`hostexec.deny` must be a list, not a scalar" },
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
	};

	err_table(t, NITEMS(t));
}

static void
test_err_unknown_keys(void **state)
{
	static const struct errcase t[] = {
		{ "request:\n  listen: \":1\"\n  timeot: 5m\n", 3,
		    "unknown key `timeot` in section `request`" },
		{ "request:\n  bogus:\n", 2,
		    "unknown key `bogus` in section `request`" },
		{ "hostexec:\n  auto_aprove: []\n", 2,
		    "unknown key `auto_aprove` in section `hostexec`" },
		{ "approval:\n  timeout: 5m\n", 2,
		    "unknown key `timeout` in section `approval`" },
		{ "guardian:\n  defualt: deny\n", 2,
		    "unknown key `defualt` in section `guardian`" },
		{ "guardian:\n  env: {keep: [A]}\n", 2,
		    "unknown key `keep` in section `guardian.env`" },
		{ "guardian:\n  audit: {facility: auth}\n", 2,
		    "unknown key `facility` in section `guardian.audit`" },
		{ "guardian:\n  limits:\n    pending: 1\n    runing: 2\n", 4,
		    "unknown key `runing` in section `guardian.limits`" },
		{ "guardian:\n  cloisters:\n    - name: a\n      worktree: /a\n"
		    "      token: 0123456789abcdef\n      tokenfile: /x\n", 6,
		    "unknown key `tokenfile` in a `guardian.cloisters` "
		    "entry" },
		{ "hostexec:\n  auto_approve:\n    - patern: x\n", 3,
		    "unknown key `patern` in a `hostexec.auto_approve` "
		    "entry" },
		{ "hostexec:\n  deny:\n    - {pattern: x, reason: y}\n", 3,
		    "unknown key `reason` in a `hostexec.deny` entry" },
		{ "request:\n  \"a\\nb\": 1\n", 2,
		    "unknown key `a\\nb` in section `request`" },
	};

	err_table(t, NITEMS(t));
}

static void
test_err_duplicates(void **state)
{
	static const struct errcase t[] = {
		{ "request: {}\nrequest: {}\n", 2,
		    "duplicate key `request` (first at line 1)" },
		{ "proxy: 1\nrequest: {}\nproxy: 2\n", 3,
		    "duplicate key `proxy` (first at line 1)" },
		{ "guardian:\n  default: deny\n  default: manual\n", 3,
		    "duplicate key `default` (first at line 2)" },
		{ "request:\n  timeout: 1s\n  listen: \":1\"\n  timeout: 2s\n",
		    4, "duplicate key `timeout` (first at line 2)" },
		{ "guardian:\n  env:\n    set:\n      A: 1\n      A: 2\n", 5,
		    "duplicate key `A` (first at line 4)" },
		{ "hostexec:\n  deny:\n    - {pattern: a, pattern: b}\n", 3,
		    "duplicate key `pattern` (first at line 3)" },
		{ "guardian:\n  cloisters:\n    - name: a\n      worktree: /a\n"
		    "      name: b\n      token: 0123456789abcdef\n", 5,
		    "duplicate key `name` (first at line 3)" },
		{ "guardian:\n  env:\n    pass: [A, B, A]\n", 3,
		    "`guardian.env.pass`: A is listed twice" },
		/* Same address twice, also against a default. */
		{ "request:\n  listen:\n    - \":80\"\n    - \":80\"\n", 4,
		    "listen address \":80\" is already used at line 3" },
		{ "request:\n  listen: \"unix:/r\"\nhostexec:\n"
		    "  listen: \"unix:/r\"\n", 4,
		    "listen address \"unix:/r\" is already used at line 2" },
		{ "hostexec:\n  listen: 127.0.0.1:9998\n", 2,
		    "listen address \"127.0.0.1:9998\" is already used by a "
		    "default listener" },
		{ "hostexec:\n  listen: \":1\"\napproval:\n  listen: \":2\"\n",
		    4, "`approval.listen` repeats `hostexec.listen` "
		    "(line 2)" },
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
	char	*dir, *path, *errs;

	err_table(t, NITEMS(t));

	dir = newdir();
	path = wfile(dir, "config.yaml", many);
	errs = load_bad(path);
	check_err(errs, path, 6, "duplicate key `A` (first at line 4)");
	check_err(errs, path, 8, "duplicate key `B` (first at line 5)");
	check_err(errs, path, 9, "duplicate key `A` (first at line 4)");
	assert_int_equal(nlines(errs), 3);
	free(errs);
	free(path);
	free(dir);

	/* In skipped sections duplicates are cloister's business. */
	dir = newdir();
	path = wfile(dir, "config.yaml", "proxy: {a: 1, a: 2}\n");
	config_free(load_ok(path));
	free(path);
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
		{ "hostexec:\n  deny:\n    - pattern: \"\"\n", 3,
		    "empty pattern in `hostexec.deny`" },
		{ "hostexec:\n  deny:\n    - pattern:\n", 3,
		    "empty pattern in `hostexec.deny`" },
		{ "approval:\n  deny:\n    - pattern: ~\n", 3,
		    "empty pattern in `approval.deny`" },
		{ "hostexec:\n  deny:\n    - {}\n", 3,
		    "`hostexec.deny` entry without `pattern`" },
		{ "hostexec:\n  auto_approve:\n    - pattern: [a]\n", 3,
		    "`hostexec.auto_approve.pattern` must be a string, not a "
		    "list" },
		{ "hostexec:\n  auto_approve:\n    - pattern: {a: b}\n", 3,
		    "`hostexec.auto_approve.pattern` must be a string, not a "
		    "mapping" },
	};

	err_table(t, NITEMS(t));
}

static void
test_err_anchors(void **state)
{
	static const struct errcase t[] = {
		{ "guardian:\n  default: &d deny\n", 2,
		    "anchors are not allowed (&d)" },
		{ "guardian: &g\n  default: deny\n", 1,
		    "anchors are not allowed (&g)" },
		{ "proxy: &p {a: 1}\nhostexec: *p\n", 2,
		    "aliases are not allowed (*p)" },
		{ "x: &p [{pattern: a}]\nhostexec:\n  deny: *p\n", 3,
		    "aliases are not allowed (*p)" },
	};
	static const char laughs[] =
	    "guardian:\n"
	    "  env:\n"
	    "    set:\n"
	    "      A: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "      B: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "      C: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "      D: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "      E: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "      F: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "      G: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "      H: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "      I: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
	    "hostexec:\n"
	    "  deny: *i\n";
	char	*dir, *path, *errs, *want;
	int	 line;

	err_table(t, NITEMS(t));

	dir = newdir();
	path = wfile(dir, "config.yaml", laughs);
	errs = load_bad(path);
	/* An anchor and an alias error a line, each once. */
	check_err(errs, path, 4, "anchors are not allowed (&a)");
	for (line = 5; line <= 12; line++) {
		want = xasprintf("anchors are not allowed (&%c)",
		    'a' + line - 4);
		check_err(errs, path, line, want);
		free(want);
		want = xasprintf("aliases are not allowed (*%c)",
		    'a' + line - 5);
		check_err(errs, path, line, want);
		free(want);
	}
	check_err(errs, path, 14, "aliases are not allowed (*i)");
	/* And the set values that were lists, A to I. */
	check_err(errs, path, 4,
	    "`guardian.env.set` must be a string, not a list");
	assert_int_equal(nlines(errs), 1 + 8 * 2 + 1 + 9);
	free(errs);
	free(path);
	free(dir);
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
	char	*dir, *path, *errs, *yaml;

	/* 64 levels (the top mapping is one) are fine, skipped or not... */
	dir = newdir();
	yaml = nested("proxy: ", 63);
	path = wfile(dir, "config.yaml", yaml);
	config_free(load_ok(path));
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
		{ "request:\n  listen: \"9998\"\n", 2,
		    "`request.listen`: bad address \"9998\": missing port" },
		{ "request:\n  listen:\n    - \":1\"\n    - \"h:0\"\n", 4,
		    "`request.listen`: bad address \"h:0\": port out of range "
		    "(1-65535)" },
		{ "hostexec:\n  listen: \"::1:80\"\n", 2,
		    "`hostexec.listen`: bad address \"::1:80\": IPv6 address "
		    "must be in brackets" },
		{ "approval:\n  listen: \"unix:sock\"\n", 2,
		    "`approval.listen`: bad address \"unix:sock\": unix socket "
		    "path must be absolute" },
		/* Messages never hold a raw control character. */
		{ "guardian:\n  default: \"a\\nb\\x1b\"\n", 2,
		    "`guardian.default` must be deny or manual, not "
		    "\"a\\nb\\033\"" },
	};

	err_table(t, NITEMS(t));
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
		    "cloister `a`: bad project name \"..\": want "
		    "[A-Za-z0-9][A-Za-z0-9._-]{0,63}" },
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

	err_table(t, NITEMS(t));
}

static void
token_err(const char *dir, const char *tokpath, int line_of_tok,
    const char *why)
{
	char	*yaml, *path, *errs, *want;

	yaml = xasprintf("guardian:\n  cloisters:\n    - name: c1\n"
	    "      worktree: /w\n      token_file: %s\n", tokpath);
	path = wfile(dir, "config.yaml", yaml);
	errs = load_bad(path);
	want = xasprintf("cloister `c1`: token file %s%s", tokpath, why);
	check_err(errs, path, line_of_tok, want);
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
	path = wfile(dir, "config.yaml", yaml);

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

static void
test_err_projects(void **state)
{
	char	*dir, *pdir, *path, *p1, *p2, *p3, *p4, *errs;

	dir = newdir();
	pdir = xasprintf("%s/projects", dir);
	assert_int_equal(mkdir(pdir, 0700), 0);
	path = wfile(dir, "config.yaml", "hostexec: {}\n");
	p1 = wfile(pdir, "bad name.yaml", "commands: {}\n");
	p2 = wfile(pdir, "p2.yaml",
	    "remote: x\n"
	    "commands:\n"
	    "  auto_approve: [{pattern: a}]\n"
	    "  listen: \":1\"\n"
	    "hostexec:\n"
	    "  deny: [\"^rm\"]\n"
	    "approval:\n"
	    "  manual: []\n");
	p3 = wfile(pdir, "p3.yaml", "commands:\n  deny: [\n");
	p4 = wfile(pdir, "p4.yaml", "- a\n");
	errs = load_bad(path);
	check_err(errs, p1, 0, "bad project name \"bad name\": want "
	    "[A-Za-z0-9][A-Za-z0-9._-]{0,63}.yaml");
	check_err(errs, p2, 4, "unknown key `listen` in section `commands`");
	check_err(errs, p2, 6, "`hostexec.deny` entries must be mappings "
	    "like {pattern: \"...\"}, not a scalar");
	check_err(errs, p2, 8, "unknown key `manual` in section `approval`");
	check_err(errs, p3, 3, "syntax error: did not find expected node "
	    "content (while parsing a flow node at line 3)");
	check_err(errs, p4, 1, "the top level must be a mapping of sections, "
	    "not a list");
	assert_int_equal(nlines(errs), 6);
	free(errs);
	free(p1);
	free(p2);
	free(p3);
	free(p4);

	free(path);
	free(pdir);
	free(dir);

	dir = newdir();
	path = wfile(dir, "config.yaml", "");
	pdir = wfile(dir, "projects", "a file\n");
	errs = load_bad(path);
	check_err(errs, pdir, 0, "Not a directory");
	assert_int_equal(nlines(errs), 1);
	free(errs);
	free(path);
	free(pdir);
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
	    "    - \"^git\"\n"
	    "guardian:\n"
	    "  default: sometimes\n"
	    "  limits: {pending: 0, body: 1x}\n"
	    "  colour: blue\n";
	char	*dir, *pdir, *path, *p1, *errs;

	dir = newdir();
	pdir = xasprintf("%s/projects", dir);
	assert_int_equal(mkdir(pdir, 0700), 0);
	path = wfile(dir, "config.yaml", yaml);
	p1 = wfile(pdir, "x.yaml", "commands:\n  deny: [{pattern: \"\"}]\n");
	errs = load_bad(path);
	check_err(errs, path, 4, "`request.listen`: bad address \"nope\": "
	    "missing port");
	check_err(errs, path, 5, "`request.timeout`: missing unit in "
	    "duration \"5\"");
	check_err(errs, path, 8, "empty pattern in `hostexec.auto_approve`");
	check_err(errs, path, 10, "`hostexec.auto_approve` entries must be "
	    "mappings like {pattern: \"...\"}, not a scalar");
	check_err(errs, path, 12, "`guardian.default` must be deny or manual, "
	    "not \"sometimes\"");
	check_err(errs, path, 13, "`guardian.limits.pending` must be a number "
	    "from 1 to 1000000");
	check_err(errs, path, 13, "`guardian.limits.body`: unknown unit in "
	    "size \"1x\"");
	check_err(errs, path, 14, "unknown key `colour` in section "
	    "`guardian`");
	check_err(errs, p1, 2, "empty pattern in `commands.deny`");
	assert_int_equal(nlines(errs), 9);
	/* In file order. */
	assert_true(strstr(errs, ":4: ") < strstr(errs, ":5: "));
	assert_true(strstr(errs, ":12: ") < strstr(errs, ":14: "));
	assert_true(strstr(errs, ":14: ") < strstr(errs, p1));
	free(errs);
	free(p1);
	free(path);
	free(pdir);
	free(dir);
}

static void
test_too_many_errors(void **state)
{
	char	*dir, *path, *errs, *yaml, *p;
	size_t	 i, len = 16 + 150 * 16;

	yaml = p = malloc(len);
	assert_non_null(yaml);
	p += snprintf(p, len, "guardian:\n");
	for (i = 0; i < 150; i++)
		p += snprintf(p, len - (p - yaml), "  k%03zu: 1\n", i);
	dir = newdir();
	path = wfile(dir, "config.yaml", yaml);
	errs = load_bad(path);
	check_err(errs, path, 2, "unknown key `k000` in section `guardian`");
	check_err(errs, path, 101, "unknown key `k099` in section "
	    "`guardian`");
	check_err(errs, path, 0, "too many errors");
	assert_null(strstr(errs, "k100"));
	assert_int_equal(nlines(errs), 101);
	free(errs);
	free(path);
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
		cmocka_unit_test(test_approval_spelling),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_guardian_section),
		cmocka_unit_test(test_facilities),
		cmocka_unit_test(test_cloisters),
		cmocka_unit_test(test_projects),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_skipped_laughs),
		cmocka_unit_test(test_size_limit_ok),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_err_nodes),
		cmocka_unit_test(test_err_missing),
		cmocka_unit_test(test_err_size),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_encoding),
		cmocka_unit_test(test_err_types),
		cmocka_unit_test(test_err_unknown_keys),
		cmocka_unit_test(test_err_duplicates),
		cmocka_unit_test(test_err_patterns),
		cmocka_unit_test(test_err_anchors),
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
