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
 * The approval UI's sessions on the parent's side (guardiand/
 * uisession.c): what the ui child reports is validated field by field
 * (anything else is a protocol violation), kept in the state
 * directory (0600, at most UI_SESSIONS_MAX, the oldest going), loaded
 * back strictly (a bad file is ignored as a whole) and handed to a new
 * ui child.  Messages travel over a real socketpair.  parent_fatalx()
 * is defined here: it records the violation and jumps back, so the
 * test sees exactly which messages the parent refuses.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
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
#include <event.h>

#include "config.h"
#include "log.h"
#include "parent.h"
#include "testutil.h"

#define DAY	(24LL * 3600 * 1000)

static char	 tmproot[PATH_MAX];
static int	 ndirs;
static struct config *conf;
static jmp_buf	 violation_jb;
static char	 violation[512];

/* The parent's reaction to a protocol violation, caught. */
void
parent_fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(violation, sizeof(violation), fmt, ap);
	va_end(ap);
	longjmp(violation_jb, 1);
}

/* 1 if the parent refused the message as a protocol violation. */
static int
violates(void (*fn)(struct imsg *), struct imsg *imsg)
{
	violation[0] = '\0';
	if (setjmp(violation_jb) != 0)
		return (1);
	fn(imsg);
	return (0);
}

/* A 64-hex-digit secret made of one repeated digit, or of n's bytes. */
static const char *
secret(unsigned int n)
{
	static char	 buf[8][UI_SECRET_LEN + 1];
	static int	 k;
	char		*s = buf[k++ % 8];
	int		 i;

	for (i = 0; i < UI_SECRET_LEN; i += 8)
		snprintf(s + i, 9, "%08x", n * 2654435761u + i);
	return (s);
}

static char *
sessions_path(void)
{
	return (xasprintf("%s/ui-sessions", conf->state_dir));
}

/* Session lines of the file (not comments), -1 if there is none. */
static int
file_sessions(void)
{
	char	*path = sessions_path(), *buf, *p, *line;
	int	 n = 0;

	if (access(path, F_OK) == -1) {
		free(path);
		return (-1);
	}
	buf = slurp(path, NULL);
	p = buf;
	while ((line = strsep(&p, "\n")) != NULL)
		if (*line != '\0' && *line != '#')
			n++;
	free(buf);
	free(path);
	return (n);
}

static int
file_has(const char *s)
{
	char	*path = sessions_path(), *buf;
	int	 has;

	buf = slurp(path, NULL);
	has = strstr(buf, s) != NULL;
	free(buf);
	free(path);
	return (has);
}

/* A message as the parent would read it off the ui child's channel. */
static struct imsgbuf	 chan_w, chan_r;

static void
deliver(uint32_t type, struct imsg_enc *enc, struct imsg *imsg)
{
	assert_int_equal(imsg_compose_enc(&chan_w, type, 0, -1, enc), 0);
	assert_int_equal(imsg_write(&chan_w), 0);
	assert_true(imsg_read(&chan_r) > 0);
	assert_int_equal(imsg_get(&chan_r, imsg), 1);
}

static int
session_msg(const char *id, const char *csrf, uint32_t num,
    int64_t expires, int extra)
{
	struct imsg_enc	 enc;
	struct imsg	 imsg;
	int		 v;

	imsg_enc_init(&enc);
	if (id != NULL)
		imsg_put_str(&enc, id);
	if (csrf != NULL)
		imsg_put_str(&enc, csrf);
	imsg_put_u32(&enc, num);
	if (expires != -1)
		imsg_put_u64(&enc, expires);
	if (extra)
		imsg_put_u8(&enc, 0);
	deliver(IMSG_UI_SESSION, &enc, &imsg);
	v = violates(uisession_new, &imsg);
	imsg_free(&imsg);
	return (v);
}

static int
end_msg(const char *id)
{
	struct imsg_enc	 enc;
	struct imsg	 imsg;
	int		 v;

	imsg_enc_init(&enc);
	imsg_put_str(&enc, id);
	deliver(IMSG_UI_SESSION_END, &enc, &imsg);
	v = violates(uisession_end, &imsg);
	imsg_free(&imsg);
	return (v);
}

/* What uisession_send() gives a new ui child. */
struct sent {
	char		 id[UI_SECRET_LEN + 1];
	char		 csrf[UI_SECRET_LEN + 1];
	uint32_t	 num;
	int64_t		 expires;
};

static int
sent_sessions(struct sent *out, int max)
{
	struct imsgev	 iev;
	struct imsgbuf	 r;
	struct imsg	 imsg;
	struct imsg_dec	 dec;
	char		*id, *csrf;
	int		 sp[2], n = 0;
	ssize_t		 got;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(imsgev_init(&iev, sp[0], NULL, NULL), 0);
	assert_int_equal(imsgbuf_init(&r, sp[1]), 0);
	uisession_send(&iev);
	if (imsg_queued(&iev.ibuf) > 0) {
		assert_int_equal(imsg_write(&iev.ibuf), 0);
		assert_int_equal(imsg_queued(&iev.ibuf), 0);
	}
	imsgev_clear(&iev);
	close(sp[0]);
	while ((got = imsg_read(&r)) > 0)
		;
	assert_int_equal(got, 0);
	while (imsg_get(&r, &imsg) == 1) {
		assert_int_equal(imsg.hdr.type, IMSG_UI_SESSION);
		assert_true(n < max);
		imsg_dec_init(&dec, &imsg);
		id = imsg_get_str(&dec);
		csrf = imsg_get_str(&dec);
		out[n].num = imsg_get_u32(&dec);
		out[n].expires = imsg_get_u64(&dec);
		assert_int_equal(imsg_dec_end(&dec), 0);
		strlcpy(out[n].id, id, sizeof(out[n].id));
		strlcpy(out[n].csrf, csrf, sizeof(out[n].csrf));
		free(id);
		free(csrf);
		imsg_free(&imsg);
		n++;
	}
	imsgbuf_clear(&r);
	close(sp[1]);
	return (n);
}

/* A fresh state directory, the registry pointed at it, no sessions. */
static void
fresh(void)
{
	char	 err[512];

	uisession_free();
	registry_free();
	free(conf->state_dir);
	conf->state_dir = xasprintf("%s/s%d/state/guardiand", tmproot,
	    ++ndirs);
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	/* Made 0700 by the first save; made here so tests can write. */
	{
		char	*p = strdup(conf->state_dir), *q;

		for (q = strchr(p + strlen(tmproot) + 1, '/'); q != NULL;
		    q = strchr(q + 1, '/')) {
			*q = '\0';
			assert_int_equal(mkdir(p, 0700), 0);
			*q = '/';
		}
		assert_int_equal(mkdir(p, 0700), 0);
		free(p);
	}
	uisession_init();
	assert_int_equal(uisession_count(), 0);
}

/* Forget what is in memory; load the file as a restart would. */
static void
restart(void)
{
	uisession_free();
	uisession_init();
}

/* restart(), and what it logged (stderr, flushed by log.c). */
static char *
restart_log(void)
{
	char	*path, *text;
	int	 fd, saved;

	path = xasprintf("%s/log", tmproot);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	saved = dup(STDERR_FILENO);
	assert_true(saved != -1);
	fflush(stderr);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	restart();
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fd);
	text = slurp(path, NULL);
	unlink(path);
	free(path);
	return (text);
}

/* A bad file: no session from it, and the log says why. */
static void
refused(const char *data, size_t len, mode_t mode, const char *why)
{
	char	*path = sessions_path(), *log;

	writefilen(path, data, len, mode);
	log = restart_log();
	if (uisession_count() != 0 || strstr(log, "approval UI sessions "
	    "ignored") == NULL || strstr(log, why) == NULL) {
		print_message("want [%s], %zu sessions, log [%s] for [%s]\n",
		    why, uisession_count(), log, data);
		fail();
	}
	free(log);
	free(path);
}

static int
group_setup(void **state)
{
	int	 sp[2];

	if (tmproot_make(tmproot, sizeof(tmproot), "test_uisession") == -1)
		return (-1);
	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return (-1);
	TAILQ_INIT(&conf->cloisters);
	event_init();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    imsgbuf_init(&chan_w, sp[0]) == -1 ||
	    imsgbuf_init(&chan_r, sp[1]) == -1)
		return (-1);
	return (0);
}

static int
group_teardown(void **state)
{
	uisession_free();
	registry_free();
	close(chan_w.fd);
	close(chan_r.fd);
	imsgbuf_clear(&chan_w);
	imsgbuf_clear(&chan_r);
	free(conf->state_dir);
	free(conf);
	return (tmproot_remove(tmproot));
}

/*
 * Tests.
 */

/* Logins are kept, 0600 in a 0700 directory, and come back in order. */
static void
test_persist(void **state)
{
	struct sent	 s[8];
	struct stat	 st;
	char		*path;
	int64_t		 now = now_ms();

	fresh();
	assert_int_equal(file_sessions(), -1);
	assert_int_equal(sent_sessions(s, 8), 0);

	assert_false(session_msg(secret(1), secret(101), 1,
	    now + UI_SESSION_TTL, 0));
	assert_int_equal(uisession_count(), 1);
	path = sessions_path();
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(conf->state_dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(file_sessions(), 1);
	assert_true(file_has(secret(1)));
	assert_true(file_has(secret(101)));

	assert_false(session_msg(secret(2), secret(102), 2, now + DAY, 0));
	assert_int_equal(file_sessions(), 2);

	restart();
	assert_int_equal(uisession_count(), 2);
	assert_int_equal(sent_sessions(s, 8), 2);
	assert_string_equal(s[0].id, secret(1));
	assert_string_equal(s[0].csrf, secret(101));
	assert_int_equal(s[0].num, 1);
	assert_int_equal(s[0].expires, now + UI_SESSION_TTL);
	assert_string_equal(s[1].id, secret(2));
	assert_string_equal(s[1].csrf, secret(102));
	assert_int_equal(s[1].num, 2);
	assert_int_equal(s[1].expires, now + DAY);

	/* The ui child numbers new sessions after those it was given. */
	assert_true(session_msg(secret(3), secret(103), 2, now + DAY, 0));
	assert_non_null(strstr(violation, "number reused"));
	assert_false(session_msg(secret(3), secret(103), 3, now + DAY, 0));
	assert_int_equal(file_sessions(), 3);

	/* Nothing else in the directory: no temporary file left. */
	assert_int_equal(nentries(conf->state_dir), 1);
	free(path);
}

/* At most UI_SESSIONS_MAX: the oldest goes, in memory and on disk. */
static void
test_cap(void **state)
{
	struct sent	 s[UI_SESSIONS_MAX + 8];
	int64_t		 now = now_ms();
	unsigned int	 i;

	fresh();
	for (i = 1; i <= UI_SESSIONS_MAX + 6; i++)
		assert_false(session_msg(secret(i), secret(1000 + i), i,
		    now + DAY, 0));
	assert_int_equal(uisession_count(), UI_SESSIONS_MAX);
	assert_int_equal(file_sessions(), UI_SESSIONS_MAX);
	assert_false(file_has(secret(6)));
	assert_true(file_has(secret(7)));
	assert_true(file_has(secret(UI_SESSIONS_MAX + 6)));

	restart();
	assert_int_equal(uisession_count(), UI_SESSIONS_MAX);
	assert_int_equal(sent_sessions(s, UI_SESSIONS_MAX + 8),
	    UI_SESSIONS_MAX);
	assert_int_equal(s[0].num, 7);
	assert_int_equal(s[UI_SESSIONS_MAX - 1].num, UI_SESSIONS_MAX + 6);
}

/* Expired sessions are dropped: at load, before sending, when saving. */
static void
test_expiry(void **state)
{
	struct sent	 s[4];
	char		*path, *data;
	int64_t		 now = now_ms();

	fresh();
	path = sessions_path();
	data = xasprintf("%s\t%s\t1\t%lld\n%s\t%s\t2\t%lld\n%s\t%s\t3\t%lld\n",
	    secret(1), secret(11), (long long)(now - 1000),
	    secret(2), secret(12), (long long)(now + 400),
	    secret(3), secret(13), (long long)(now + DAY));
	writefile(path, data, 0600);
	restart();
	assert_int_equal(uisession_count(), 2);
	usleep(600 * 1000);
	assert_int_equal(sent_sessions(s, 4), 1);
	assert_string_equal(s[0].id, secret(3));
	assert_int_equal(uisession_count(), 1);
	/* Numbers go on from the highest the ui child was given. */
	assert_true(session_msg(secret(4), secret(14), 3, now + DAY, 0));
	assert_false(session_msg(secret(4), secret(14), 4, now + DAY, 0));
	assert_int_equal(file_sessions(), 2);
	assert_false(file_has(secret(1)));
	assert_false(file_has(secret(2)));
	free(data);
	free(path);
}

/* The ui child dropped an idle session: it goes from the file too. */
static void
test_end(void **state)
{
	int64_t		 now = now_ms();

	fresh();
	assert_false(session_msg(secret(1), secret(11), 1, now + DAY, 0));
	assert_false(session_msg(secret(2), secret(12), 2, now + DAY, 0));
	assert_false(end_msg(secret(1)));
	assert_int_equal(uisession_count(), 1);
	assert_int_equal(file_sessions(), 1);
	assert_false(file_has(secret(1)));
	assert_true(file_has(secret(2)));
	/* Unknown (the parent let it go already): nothing happens. */
	assert_false(end_msg(secret(9)));
	assert_false(end_msg(secret(1)));
	assert_int_equal(uisession_count(), 1);
	/* Not a session id at all: a violation. */
	assert_true(end_msg("abc"));
	assert_true(end_msg(""));
	{
		char	 up[UI_SECRET_LEN + 1];
		size_t	 i;

		strlcpy(up, secret(2), sizeof(up));
		for (i = 0; i < UI_SECRET_LEN; i++)
			if (up[i] >= 'a' && up[i] <= 'f')
				up[i] -= 'a' - 'A';
		assert_true(end_msg(up));
	}
	assert_int_equal(uisession_count(), 1);
	restart();
	assert_int_equal(uisession_count(), 1);
}

/* Every field checked exactly; a bad one is a protocol violation. */
static void
test_bad_messages(void **state)
{
	char		 id[UI_SECRET_LEN + 2], *before, *after, *path;
	int64_t		 now = now_ms();
	size_t		 i, n = 0;
	struct {
		const char	*desc;
		const char	*why;
		int		 v;
		char		 said[512];
	} t[16];

	fresh();
	assert_false(session_msg(secret(1), secret(11), 5, now + DAY, 0));
	path = sessions_path();
	before = slurp(path, NULL);

#define BAD(d, w, call)	do {					\
	t[n].desc = (d);					\
	t[n].why = (w);						\
	t[n].v = (call);					\
	strlcpy(t[n].said, violation, sizeof(t[n].said));	\
	n++;							\
} while (0)
	strlcpy(id, secret(2), sizeof(id));
	id[UI_SECRET_LEN - 1] = '\0';
	BAD("63 digits", "bad secret",
	    session_msg(id, secret(12), 6, now + DAY, 0));
	strlcpy(id, secret(2), sizeof(id));
	strlcat(id, "a", sizeof(id));
	BAD("65 digits", "bad secret",
	    session_msg(id, secret(12), 6, now + DAY, 0));
	strlcpy(id, secret(2), sizeof(id));
	id[10] = 'A';
	BAD("upper case", "bad secret",
	    session_msg(id, secret(12), 6, now + DAY, 0));
	strlcpy(id, secret(2), sizeof(id));
	id[0] = 'g';
	BAD("csrf not hex", "bad secret",
	    session_msg(secret(2), id, 6, now + DAY, 0));
	BAD("empty csrf", "bad secret",
	    session_msg(secret(2), "", 6, now + DAY, 0));
	BAD("number 0", "bad number",
	    session_msg(secret(2), secret(12), 0, now + DAY, 0));
	BAD("number reused", "number reused",
	    session_msg(secret(2), secret(12), 5, now + DAY, 0));
	BAD("lives too long", "expires too late",
	    session_msg(secret(2), secret(12), 6,
	    now + UI_SESSION_TTL + 2 * UI_CLOCK_SLACK, 0));
	BAD("expired long ago", "expired already",
	    session_msg(secret(2), secret(12), 6, now - DAY, 0));
	BAD("expires 0", "expired already",
	    session_msg(secret(2), secret(12), 6, 0, 0));
	BAD("expires 2^63 (negative)", "expired already",
	    session_msg(secret(2), secret(12), 6, INT64_MIN, 0));
	BAD("a trailing byte", "bad encoding",
	    session_msg(secret(2), secret(12), 6, now + DAY, 1));
	BAD("no expiry", "bad encoding",
	    session_msg(secret(2), secret(12), 6, -1, 0));
	BAD("no csrf", "bad encoding",
	    session_msg(secret(2), NULL, 6, now + DAY, 0));
	BAD("a duplicate id", "duplicate session",
	    session_msg(secret(1), secret(12), 6, now + DAY, 0));
#undef BAD
	for (i = 0; i < n; i++) {
		if (!t[i].v || strstr(t[i].said, "bad session from the ui "
		    "child") == NULL || strstr(t[i].said, t[i].why) == NULL) {
			print_message("%s: %s; want [%s], said [%s]\n",
			    t[i].desc, t[i].v ? "refused" : "accepted",
			    t[i].why, t[i].said);
			fail();
		}
	}
	assert_int_equal(uisession_count(), 1);
	after = slurp(path, NULL);
	assert_string_equal(before, after);
	/* Still in order after all that. */
	assert_false(session_msg(secret(2), secret(12), 6, now + DAY, 0));
	assert_int_equal(uisession_count(), 2);
	free(before);
	free(after);
	free(path);
}

/* A bad file is ignored as a whole: no session from it. */
static void
test_bad_files(void **state)
{
	char		*a, *b, *path, *data, *big, *log;
	int64_t		 now = now_ms();
	long long	 ex = now + DAY;
	size_t		 i;
	struct {
		char		*data;
		const char	*why;
	} t[20];
	size_t		 n = 0;

	fresh();
	path = sessions_path();
	a = xasprintf("%s\t%s\t1\t%lld\n", secret(1), secret(11), ex);
	b = xasprintf("%s\t%s\t2\t%lld\n", secret(2), secret(12), ex);

	/* Good first: comments, blank lines. */
	data = xasprintf("# c\n\n%s# d\n%s", a, b);
	writefile(path, data, 0600);
	log = restart_log();
	assert_int_equal(uisession_count(), 2);
	assert_non_null(strstr(log, "2 sessions kept"));
	free(log);
	free(data);

#define BAD(w, ...)	do {					\
	t[n].data = xasprintf(__VA_ARGS__);			\
	t[n++].why = (w);					\
} while (0)
	BAD(":2: expected 4 tab-separated fields", "%sgarbage\n", a);
	BAD(":2: incomplete last line", "%s%s", a, secret(2));
	BAD(":2: expected 4 tab-separated fields", "%s%s\t%s\t2\n", a,
	    secret(2), secret(12));
	BAD(":2: expected 4 tab-separated fields", "%s%s\t%s\t2\t%lld\tx\n",
	    a, secret(2), secret(12), ex);
	BAD(":2: sessions out of order", "%s%s", b, a);
	BAD(":2: sessions out of order", "%s%s\t%s\t1\t%lld\n", a,
	    secret(2), secret(12), ex);
	BAD(":2: duplicate session", "%s%s\t%s\t2\t%lld\n", a, secret(1),
	    secret(12), ex);
	BAD(":2: bad number", "%s%s\t%s\t02\t%lld\n", a, secret(2),
	    secret(12), ex);
	BAD(":2: bad number", "%s%s\t%s\t2\t+%lld\n", a, secret(2),
	    secret(12), ex);
	BAD(":2: bad number", "%s%s\t%s\t2\t %lld\n", a, secret(2),
	    secret(12), ex);
	BAD(":2: bad number", "%s%s\t%s\t4294967296\t%lld\n", a, secret(2),
	    secret(12), ex);
	BAD(":2: bad number", "%s%s\t%s\t2\t99999999999999999999\n", a,
	    secret(2), secret(12));
	BAD(":2: bad number", "%s%s\t%s\t0\t%lld\n", a, secret(2),
	    secret(12), ex);
	BAD(":2: bad number", "%s%s\t%s\t2\t%lld\r\n", a, secret(2),
	    secret(12), ex);
	BAD(":2: expires too late", "%s%s\t%s\t2\t%lld\n", a, secret(2),
	    secret(12), (long long)(now + 30 * DAY));
	BAD(":2: bad secret", "%s%.63s\t%s\t2\t%lld\n", a, secret(2),
	    secret(12), ex);
	BAD(":2: bad secret", "%s%s \t%s\t2\t%lld\n", a, secret(2),
	    secret(12), ex);
	BAD(":1: bad secret", "%s\t%.60sABCD\t2\t%lld\n", secret(2),
	    secret(12), ex);
	BAD(":1: line too long", "%s\t%s\t2\t%lld%0300d\n", secret(2),
	    secret(12), ex, 0);
#undef BAD
	for (i = 0; i < n; i++) {
		refused(t[i].data, strlen(t[i].data), 0600, t[i].why);
		free(t[i].data);
	}

	/* A NUL byte. */
	data = xasprintf("%s%s", a, b);
	data[strlen(a) + 5] = '\0';
	refused(data, strlen(a) + strlen(b), 0600, ":2: NUL byte");
	free(data);

	/* More than UI_SESSIONS_MAX lines, even if each is fine. */
	big = strdup("");
	for (i = 1; i <= UI_SESSIONS_MAX + 1; i++) {
		char	*l = xasprintf("%s%s\t%s\t%zu\t%lld\n", big,
		    secret(i), secret(500 + i), i, ex);

		free(big);
		big = l;
	}
	refused(big, strlen(big), 0600, ":65: more than 64 sessions");
	/* Exactly UI_SESSIONS_MAX is fine. */
	*strrchr(big, '\n') = '\0';
	*(strrchr(big, '\n') + 1) = '\0';
	writefile(path, big, 0600);
	restart();
	assert_int_equal(uisession_count(), UI_SESSIONS_MAX);
	free(big);

	/* Readable or writable by others, a link, a directory: refused. */
	data = xasprintf("%s%s", a, b);
	refused(data, strlen(data), 0644, "must be a regular file of ours");
	refused(data, strlen(data), 0620, "must be a regular file of ours");
	{
		char	*real = xasprintf("%s/real", conf->state_dir);

		writefile(real, data, 0600);
		assert_int_equal(unlink(path), 0);
		assert_int_equal(symlink(real, path), 0);
		log = restart_log();
		assert_int_equal(uisession_count(), 0);
		assert_non_null(strstr(log, "ignored"));
		free(log);
		assert_int_equal(unlink(path), 0);
		assert_int_equal(mkdir(path, 0700), 0);
		log = restart_log();
		assert_int_equal(uisession_count(), 0);
		assert_non_null(strstr(log, "must be a regular file"));
		free(log);
		assert_int_equal(rmdir(path), 0);
		assert_int_equal(unlink(real), 0);
		free(real);
	}

	/* A new login after a bad file writes a good one. */
	refused("garbage\n", 8, 0644, "must be a regular file of ours");
	assert_false(session_msg(secret(3), secret(13), 1, ex, 0));
	assert_int_equal(file_sessions(), 1);
	{
		struct stat	 st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	restart();
	assert_int_equal(uisession_count(), 1);
	free(data);
	free(a);
	free(b);
	free(path);
}

/* Without a state directory nothing is kept, and nothing breaks. */
static void
test_unwritable(void **state)
{
	int64_t		 now = now_ms();
	char		*base, *top;

	fresh();
	/* Where the state directory would go is a file. */
	base = strdup(conf->state_dir);
	*strrchr(base, '/') = '\0';
	top = strdup(base);
	*strrchr(top, '/') = '\0';
	assert_int_equal(rmdir(conf->state_dir), 0);
	assert_int_equal(rmdir(base), 0);
	writefile(base, "x", 0600);
	assert_false(session_msg(secret(1), secret(11), 1, now + DAY, 0));
	assert_int_equal(uisession_count(), 1);
	assert_int_equal(file_sessions(), -1);
	assert_int_equal(unlink(base), 0);
	free(base);
	free(top);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_persist),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_end),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_unwritable),
	};

	log_init(1, LOG_DAEMON);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
