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
 * The audit trail (guardiand/parent_audit.c, DESIGN 6.7): records are read
 * back from the audit file of a mkdtemp(3) directory, and from
 * syslog(3), which this program replaces to see what parent_audit.c sends.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "parent.h"
#include "testutil.h"

/* guardiand.c is not in the library. */
int	 guardiand_debug;
int	 guardiand_verbose;

#define MARKER	"\xe2\x80\xa6truncated"

static char	 tmproot[PATH_MAX];
static int	 nfiles;

/* What syslog(3) was last given, and how often it was called. */
static int	 sl_pri;
static char	*sl_msg;
static int	 sl_calls;

static void
sl_record(int pri, const char *fmt, va_list ap)
{
	free(sl_msg);
	sl_pri = pri;
	if (vasprintf(&sl_msg, fmt, ap) == -1)
		sl_msg = NULL;
	sl_calls++;
}

/* Both: _FORTIFY_SOURCE turns syslog() into __syslog_chk(). */
void	 syslog(int, const char *, ...);
void	 __syslog_chk(int, int, const char *, ...);

void
syslog(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	sl_record(pri, fmt, ap);
	va_end(ap);
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	sl_record(pri, fmt, ap);
	va_end(ap);
}

static int
nlines(const char *s, size_t len)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	return (n);
}

/* A configuration with an audit file of its own; path in *pathp. */
static struct config *
newconf(char **pathp)
{
	struct config	*conf;

	conf = calloc(1, sizeof(*conf));
	assert_non_null(conf);
	conf->audit_facility = LOG_AUTHPRIV;
	conf->audit_file = xasprintf("%s/audit%d.log", tmproot, ++nfiles);
	if (pathp != NULL)
		*pathp = strdup(conf->audit_file);
	return (conf);
}

static void
freeconf(struct config *conf)
{
	free(conf->audit_file);
	free(conf);
}

/*
 * The one record in the file, timestamp checked and cut off; the
 * file is emptied for the next one.
 */
static char *
last_record(const char *path)
{
	struct tm	 tm;
	time_t		 t, now = time(NULL);
	size_t		 len;
	char		*buf, *rec, *end;

	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 1);
	assert_true(len > 21 && buf[len - 1] == '\n');
	buf[len - 1] = '\0';
	/* 2026-01-15T14:32:05Z, UTC, now. */
	memset(&tm, 0, sizeof(tm));
	end = strptime(buf, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	assert_non_null(end);
	assert_ptr_equal(end, buf + 21);
	assert_int_equal(buf[19], 'Z');
	t = timegm(&tm);
	assert_true(t >= now - 5 && t <= now + 1);
	rec = strdup(buf + 21);
	assert_non_null(rec);
	free(buf);
	assert_int_equal(truncate(path, 0), 0);
	return (rec);
}

/* No raw C0, DEL, C1 or formatting character anywhere. */
static void
assert_clean(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i;

	for (i = 0; i < len; i++) {
		assert_false(u[i] < 0x20 || u[i] == 0x7f);
		if (u[i] == 0xc2 && i + 1 < len)
			assert_false(u[i + 1] >= 0x80 && u[i + 1] <= 0x9f);
		if (u[i] == 0xe2 && i + 2 < len) {
			/* U+200B-U+200F, U+2028-U+202E, U+2066-U+2069 */
			assert_false(u[i + 1] == 0x80 &&
			    ((u[i + 2] >= 0x8b && u[i + 2] <= 0x8f) ||
			    (u[i + 2] >= 0xa8 && u[i + 2] <= 0xae)));
			assert_false(u[i + 1] == 0x81 &&
			    u[i + 2] >= 0xa6 && u[i + 2] <= 0xa9);
		}
		if (u[i] == 0xef && i + 2 < len)
			assert_false(u[i + 1] == 0xbb && u[i + 2] == 0xbf);
	}
}

/* What parent_audit.c hands to syslog, through syslog(3) above. */
static int
sl_send(int pri, const char *msg)
{
	syslog(pri, "%s", msg);
	return (0);
}

static int
group_setup(void **state)
{
	audit_set_syslog(sl_send);
	if (tmproot_make(tmproot, sizeof(tmproot), "test_audit") == -1)
		return (-1);
	return (0);
}

static int
group_teardown(void **state)
{
	audit_close();
	free(sl_msg);
	return (tmproot_remove(tmproot));
}

/*
 * Tests.
 */

static void
test_fields(void **state)
{
	struct config	*conf;
	char		*path, *rec, err[256];

	conf = newconf(&path);
	assert_int_equal(audit_init(conf, err, sizeof(err)), 0);

	audit_log("REQUEST", "0123456789abcdef01234567", "my-api", "my-api",
	    "docker compose up -d", (char *)NULL);
	rec = last_record(path);
	assert_string_equal(rec, "HOSTEXEC REQUEST id=0123456789abcdef01234567 "
	    "project=my-api cloister=my-api cmd=\"docker compose up -d\"");
	free(rec);

	/* Missing fixed fields are left out; pairs follow in order. */
	audit_log("REGISTER", NULL, NULL, "web", NULL, "project", "web.1",
	    "worktree", "/src/web", "user", "local:alice", (char *)NULL);
	rec = last_record(path);
	assert_string_equal(rec, "HOSTEXEC REGISTER cloister=web "
	    "project=web.1 worktree=\"/src/web\" user=\"local:alice\"");
	free(rec);

	audit_log("COMPLETE", "ab", "p", "c", "true", "exit", "0",
	    "duration", "2.3s", "peer", "127.0.0.1:4711", (char *)NULL);
	rec = last_record(path);
	assert_string_equal(rec, "HOSTEXEC COMPLETE id=ab project=p cloister=c "
	    "cmd=\"true\" exit=0 duration=2.3s peer=127.0.0.1:4711");
	free(rec);

	/* cmd, pattern, reason, user: always quoted. */
	audit_log("AUTO_APPROVE", "ab", "p", "c", "ls", "pattern", "x",
	    "reason", "r", "user", "u", (char *)NULL);
	rec = last_record(path);
	assert_string_equal(rec, "HOSTEXEC AUTO_APPROVE id=ab project=p "
	    "cloister=c cmd=\"ls\" pattern=\"x\" reason=\"r\" user=\"u\"");
	free(rec);

	audit_close();
	freeconf(conf);
	free(path);
}

static void
test_quoting(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} t[] = {
		{ "plain", "k=plain" },
		{ "a.b_c:d/e@f+g=h,i-j", "k=a.b_c:d/e@f+g=h,i-j" },
		{ "", "k=\"\"" },
		{ "two words", "k=\"two words\"" },
		{ "say \"hi\"", "k=\"say \\\"hi\\\"\"" },
		{ "back\\slash", "k=\"back\\\\slash\"" },
		{ "it's", "k=\"it's\"" },
		{ "a\nb", "k=\"a\\nb\"" },
		{ "a\tb\rc", "k=\"a\\tb\\rc\"" },
		{ "\x01\x1b[31m\x7f", "k=\"\\x01\\x1b[31m\\x7f\"" },
		{ "caf\xc3\xa9", "k=\"caf\xc3\xa9\"" },
		{ "\xc2\x85next", "k=\"\\u{0085}next\"" },
		{ "\xc2\x9b" "2J", "k=\"\\u{009b}2J\"" },
		{ "abc\xe2\x80\xae" "cba", "k=\"abc\\u{202e}cba\"" },
		{ "\xe2\x80\x8bz\xe2\x81\xa6y\xef\xbb\xbf",
		    "k=\"\\u{200b}z\\u{2066}y\\u{feff}\"" },
		{ "ls\xe2\x80\xa8" "x\xe2\x80\xa9",
		    "k=\"ls\\u{2028}x\\u{2029}\"" },
		{ "soft\xc2\xad" "hy\xe2\x81\xa0" "ph\xd8\x9c",
		    "k=\"soft\\u{00ad}hy\\u{2060}ph\\u{061c}\"" },
		{ "\xe3\x85\xa4" "x\xf3\xa0\x81\x81\xf3\xa0\x81\xbf",
		    "k=\"\\u{3164}x\\u{e0041}\\u{e007f}\"" },
		{ "fake" MARKER, "k=\"fake\\u{2026}truncated\"" },
		{ "\xff\xfe", "k=\"\\xff\\xfe\"" },
		{ "\xc3", "k=\"\\xc3\"" },
		{ "\xc3(", "k=\"\\xc3(\"" },
		/* overlong, surrogate, above U+10FFFF */
		{ "\xe0\x80\xaf", "k=\"\\xe0\\x80\\xaf\"" },
		{ "\xed\xa0\x80", "k=\"\\xed\\xa0\\x80\"" },
		{ "\xf4\x90\x80\x80", "k=\"\\xf4\\x90\\x80\\x80\"" },
		{ "\xf0\x9f\x98\x80", "k=\"\xf0\x9f\x98\x80\"" },
	};
	struct config	*conf;
	char		*path, *rec, *want, err[256];
	size_t		 i;

	conf = newconf(&path);
	assert_int_equal(audit_init(conf, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		audit_log("X", NULL, NULL, NULL, NULL, "k", t[i].in,
		    (char *)NULL);
		rec = last_record(path);
		want = xasprintf("HOSTEXEC X %s", t[i].out);
		if (strcmp(rec, want) != 0) {
			print_message("case %zu: want [%s] got [%s]\n", i, want,
			    rec);
			fail();
		}
		assert_clean(rec, strlen(rec));
		free(want);
		free(rec);
	}
	audit_close();
	freeconf(conf);
	free(path);
}

/* A value can neither end its quotes early nor start a new line. */
static void
test_injection(void **state)
{
	struct config	*conf;
	char		*path, *buf, *p, err[256];
	size_t		 len;

	conf = newconf(&path);
	assert_int_equal(audit_init(conf, err, sizeof(err)), 0);
	sl_calls = 0;
	audit_log("REQUEST", "aa", "p", "c",
	    "echo 'x\nHOSTEXEC APPROVE id=x project=p cloister=c "
	    "cmd=\"rm -rf /\" user=\"alice\"'", "user",
	    "bob\" admin=\"yes", "reason", "\r\n2026-01-01T00:00:00Z "
	    "HOSTEXEC DENY id=y", (char *)NULL);
	assert_int_equal(sl_calls, 1);
	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 1);
	assert_clean(buf, len - 1);
	/* HOSTEXEC appears only where the record starts, and quoted. */
	p = strstr(buf, "HOSTEXEC ");
	assert_ptr_equal(p, buf + 21);
	assert_non_null(strstr(buf, "\\nHOSTEXEC APPROVE id=x project=p "
	    "cloister=c cmd=\\\"rm -rf /\\\" user=\\\"alice\\\"'\""));
	assert_non_null(strstr(buf, " user=\"bob\\\" admin=\\\"yes\""));
	assert_null(strstr(buf, " admin=\"yes"));
	assert_non_null(strstr(buf, "reason=\"\\r\\n2026-01-01T00:00:00Z "
	    "HOSTEXEC DENY id=y\"\n"));
	/* Syslog gets the same record, as data, not as a format. */
	assert_non_null(sl_msg);
	buf[len - 1] = '\0';
	assert_string_equal(sl_msg, buf + 21);
	free(buf);
	assert_int_equal(truncate(path, 0), 0);

	/* Every byte value, alone and with neighbours. */
	{
		char	 v[4], all[256 * 3 + 1];
		int	 c;

		for (c = 1; c < 256; c++) {
			v[0] = 'a';
			v[1] = c;
			v[2] = 'b';
			v[3] = '\0';
			audit_log("X", NULL, NULL, NULL, v, (char *)NULL);
			buf = slurp(path, &len);
			assert_int_equal(nlines(buf, len), 1);
			assert_clean(buf, len - 1);
			free(buf);
			assert_int_equal(truncate(path, 0), 0);
			assert_clean(sl_msg, strlen(sl_msg));
		}
		for (c = 1; c < 256; c++) {
			all[3 * (c - 1)] = c;
			all[3 * (c - 1) + 1] = 0xc2;
			all[3 * (c - 1) + 2] = 0x80 + c % 32;
		}
		all[3 * 255] = '\0';
		audit_log("X", NULL, NULL, NULL, all, "reason", all,
		    (char *)NULL);
		buf = slurp(path, &len);
		assert_int_equal(nlines(buf, len), 1);
		assert_clean(buf, len - 1);
		free(buf);
		assert_int_equal(truncate(path, 0), 0);
	}
	audit_close();
	freeconf(conf);
	free(path);
}

static void
test_syslog(void **state)
{
	struct config	*conf;
	char		 err[256];

	conf = newconf(NULL);
	free(conf->audit_file);
	conf->audit_file = NULL;		/* syslog only */
	conf->audit_facility = LOG_LOCAL3;
	assert_int_equal(audit_init(conf, err, sizeof(err)), 0);
	sl_calls = 0;
	audit_log("DENY", "id1", "p", "c", "rm -rf /", "reason", "%s%n%x",
	    (char *)NULL);
	assert_int_equal(sl_calls, 1);
	assert_int_equal(sl_pri, LOG_LOCAL3 | LOG_NOTICE);
	assert_string_equal(sl_msg, "HOSTEXEC DENY id=id1 project=p "
	    "cloister=c cmd=\"rm -rf /\" reason=\"%s%n%x\"");

	/* The default facility. */
	conf->audit_facility = LOG_AUTHPRIV;
	assert_int_equal(audit_reload(conf, err, sizeof(err)), 0);
	audit_log("TIMEOUT", "id1", NULL, NULL, NULL, (char *)NULL);
	assert_int_equal(sl_calls, 2);
	assert_int_equal(sl_pri, LOG_AUTHPRIV | LOG_NOTICE);
	assert_string_equal(sl_msg, "HOSTEXEC TIMEOUT id=id1");
	audit_close();
	freeconf(conf);
}

static void
test_file(void **state)
{
	struct config	*conf;
	struct stat	 st;
	char		*path, *buf, *line, *p, *sub, *link, err[256];
	size_t		 len;
	int		 i, n = 0;

	conf = newconf(&path);
	assert_int_equal(audit_init(conf, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	for (i = 0; i < 50; i++)
		audit_log("REQUEST", "id", "p", "c", i % 2 ? "a\nb" : "ab",
		    "n", "1", (char *)NULL);
	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 50);
	for (p = buf; (line = strsep(&p, "\n")) != NULL && *line != '\0';
	    n++) {
		assert_int_equal(line[4], '-');
		assert_int_equal(line[10], 'T');
		assert_int_equal(line[19], 'Z');
		assert_string_equal(line + 20, n % 2 ?
		    " HOSTEXEC REQUEST id=id project=p cloister=c "
		    "cmd=\"a\\nb\" n=1" :
		    " HOSTEXEC REQUEST id=id project=p cloister=c "
		    "cmd=\"ab\" n=1");
	}
	assert_int_equal(n, 50);
	free(buf);

	/* Appends to what is there. */
	audit_close();
	assert_int_equal(audit_init(conf, err, sizeof(err)), 0);
	audit_log("X", NULL, NULL, NULL, NULL, (char *)NULL);
	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 51);
	free(buf);
	audit_close();

	/* A link is not followed. */
	link = xasprintf("%s/link.log", tmproot);
	assert_int_equal(symlink(path, link), 0);
	free(conf->audit_file);
	conf->audit_file = link;
	assert_int_equal(audit_init(conf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, link));

	/* Missing directories are made, 0700. */
	sub = xasprintf("%s/share/cloister", tmproot);
	conf->audit_file = xasprintf("%s/audit.log", sub);
	assert_int_equal(audit_init(conf, err, sizeof(err)), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	audit_log("X", NULL, NULL, NULL, NULL, (char *)NULL);
	buf = slurp(conf->audit_file, &len);
	assert_int_equal(nlines(buf, len), 1);
	free(buf);
	audit_close();
	free(link);
	free(sub);
	freeconf(conf);
	free(path);
}

/* Reload reopens (rotation); a file that cannot be opened keeps the old. */
static void
test_reload(void **state)
{
	struct config	*conf;
	char		*path, *rotated, *buf, *good, err[256];
	size_t		 len;

	conf = newconf(&path);
	assert_int_equal(audit_init(conf, err, sizeof(err)), 0);
	audit_log("ONE", NULL, NULL, NULL, NULL, (char *)NULL);
	rotated = xasprintf("%s.1", path);
	assert_int_equal(rename(path, rotated), 0);
	audit_log("TWO", NULL, NULL, NULL, NULL, (char *)NULL);
	assert_int_equal(audit_reload(conf, err, sizeof(err)), 0);
	audit_log("THREE", NULL, NULL, NULL, NULL, (char *)NULL);
	buf = slurp(rotated, &len);
	assert_int_equal(nlines(buf, len), 2);
	assert_non_null(strstr(buf, " HOSTEXEC ONE\n"));
	assert_non_null(strstr(buf, " HOSTEXEC TWO\n"));
	free(buf);
	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 1);
	assert_non_null(strstr(buf, " HOSTEXEC THREE\n"));
	free(buf);

	/* Below a regular file: cannot be made. */
	good = conf->audit_file;
	conf->audit_file = xasprintf("%s/sub/audit.log", path);
	err[0] = '\0';
	assert_int_equal(audit_reload(conf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, conf->audit_file));
	audit_log("FOUR", NULL, NULL, NULL, NULL, (char *)NULL);
	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 2);
	assert_non_null(strstr(buf, " HOSTEXEC FOUR\n"));
	free(buf);
	free(conf->audit_file);
	conf->audit_file = good;

	/* No file any more: syslog only. */
	free(conf->audit_file);
	conf->audit_file = NULL;
	assert_int_equal(audit_reload(conf, err, sizeof(err)), 0);
	sl_calls = 0;
	audit_log("FIVE", NULL, NULL, NULL, NULL, (char *)NULL);
	assert_int_equal(sl_calls, 1);
	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 2);
	free(buf);
	audit_close();
	free(rotated);
	freeconf(conf);
	free(path);
}

/* Long values are cut with a marker; later fields survive. */
static void
test_truncation(void **state)
{
	struct config	*conf;
	char		*path, *big, *buf, *p, err[256];
	size_t		 len, n = 600 * 1024;

	conf = newconf(&path);
	assert_int_equal(audit_init(conf, err, sizeof(err)), 0);
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	sl_calls = 0;
	audit_log("COMPLETE", "id", "p", "c", big, "exit", "0", "duration",
	    "1.0s", (char *)NULL);
	assert_int_equal(sl_calls, 1);
	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 1);
	assert_true(len <= 512 * 1024);
	assert_true(len > 500 * 1024);
	p = strstr(buf, "aaa" MARKER "\" exit=0 duration=1.0s\n");
	assert_non_null(p);
	assert_ptr_equal(p + strlen("aaa" MARKER "\" exit=0 duration=1.0s\n"),
	    buf + len);
	free(buf);

	/* Syslog gets a shorter copy, cut the same way. */
	assert_true(strlen(sl_msg) <= 16 * 1024);
	assert_true(strlen(sl_msg) > 15 * 1024);
	assert_non_null(strstr(sl_msg, "aaa" MARKER "\" exit=0 duration=1.0s"));
	assert_int_equal(truncate(path, 0), 0);

	/* Escapes are never cut in half. */
	for (p = big; p < big + n; p += 2)
		p[0] = '\n';
	audit_log("X", NULL, NULL, NULL, big, (char *)NULL);
	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 1);
	p = strstr(buf, MARKER "\"\n");
	assert_non_null(p);
	assert_true(p[-1] == 'n' || p[-1] == 'a');
	assert_true(p[-1] == 'a' || p[-2] == '\\');
	free(buf);
	assert_int_equal(truncate(path, 0), 0);

	/* Two long values share the room. */
	memset(big, 'b', n);
	audit_log("X", NULL, NULL, NULL, big, "reason", big, (char *)NULL);
	buf = slurp(path, &len);
	assert_int_equal(nlines(buf, len), 1);
	assert_true(len <= 512 * 1024);
	p = strstr(buf, "b" MARKER "\" reason=\"bbb");
	assert_non_null(p);
	assert_true(p - buf > 250 * 1024);
	assert_non_null(strstr(p + 1, "b" MARKER "\"\n"));
	free(buf);
	assert_int_equal(truncate(path, 0), 0);

	/* Just below the limit: whole. */
	big[400 * 1024] = '\0';
	audit_log("X", NULL, NULL, NULL, big, (char *)NULL);
	buf = slurp(path, &len);
	assert_null(strstr(buf, MARKER));
	assert_int_equal(len, 21 + strlen("HOSTEXEC X cmd=\"\"\n") +
	    400 * 1024);
	free(buf);
	free(big);
	audit_close();
	freeconf(conf);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_truncation),
	};

	log_init(1, LOG_DAEMON);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
