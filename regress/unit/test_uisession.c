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
 * The approval UI's login links and sessions (guardiand/parent_uisession.c):
 * the parent alone opens a session, for a login secret the ui child
 * forwards (one-time, unexpired), keeps it in the state directory
 * (0600, at most UI_SESSIONS_MAX, the oldest going), loads it back
 * strictly (a bad file is ignored as a whole), hands it to a new ui
 * child, and names the user of a decision from it only while it is
 * live.  Messages travel over real socketpairs.  parent_fatalx() is
 * defined here: it records the violation and jumps back, so the test
 * sees exactly which messages the parent refuses.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
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
#define LOGINS_MAX	64	/* unused links kept: parent_uisession.c */

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

/* What the parent answers the ui child: the channel, and its reader. */
static struct imsgev	 ui_iev;
static struct imsgbuf	 ui_r;

/* A session as the parent hands it to the ui child. */
struct sent {
	char		 id[UI_SECRET_LEN + 1];
	char		 csrf[UI_SECRET_LEN + 1];
	uint32_t	 num;
	int64_t		 expires;
	uint32_t	 peerid;
};

static void
sent_decode(struct imsg *imsg, struct sent *out)
{
	struct imsg_dec	 dec;
	char		*id, *csrf;

	assert_int_equal(imsg->hdr.type, IMSG_UI_SESSION);
	imsg_dec_init(&dec, imsg);
	id = imsg_get_str(&dec);
	csrf = imsg_get_str(&dec);
	out->num = imsg_get_u32(&dec);
	out->expires = imsg_get_u64(&dec);
	assert_int_equal(imsg_dec_end(&dec), 0);
	strlcpy(out->id, id, sizeof(out->id));
	strlcpy(out->csrf, csrf, sizeof(out->csrf));
	out->peerid = imsg->hdr.peerid;
	free(id);
	free(csrf);
}

/* The one answer the parent queued for the ui child, if any: 1, or 0. */
static int
answer(struct imsg *imsg)
{
	struct pollfd	 pfd;

	/* Written at once (imsgev), or still queued: either way, read. */
	if (imsg_queued(&ui_iev.ibuf) > 0)
		assert_int_equal(imsg_write(&ui_iev.ibuf), 0);
	assert_int_equal(imsg_queued(&ui_iev.ibuf), 0);
	if (imsg_get(&ui_r, imsg) == 1)
		return (1);
	pfd.fd = ui_r.fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) != 1)
		return (0);
	assert_true(imsg_read(&ui_r) > 0);
	assert_int_equal(imsg_get(&ui_r, imsg), 1);
	return (1);
}

#define LOGIN_VIOLATION	(-1)
#define LOGIN_FAILED	0
#define LOGIN_OK	1

/*
 * IMSG_UI_LOGIN with this payload (secret NULL: none; extra: a byte
 * too many) as request peerid of the ui child: a violation, the login
 * failed, or a session (in out, if not NULL).
 */
static int
login_msg(const char *secret, uint32_t peerid, int extra, struct sent *out)
{
	struct imsg_enc	 enc;
	struct imsg	 imsg, ans;
	int		 rv;

	imsg_enc_init(&enc);
	if (secret != NULL)
		imsg_put_str(&enc, secret);
	if (extra)
		imsg_put_u8(&enc, 0);
	assert_int_equal(imsg_compose_enc(&chan_w, IMSG_UI_LOGIN, peerid, -1,
	    &enc), 0);
	assert_int_equal(imsg_write(&chan_w), 0);
	assert_true(imsg_read(&chan_r) > 0);
	assert_int_equal(imsg_get(&chan_r, &imsg), 1);
	violation[0] = '\0';
	if (setjmp(violation_jb) != 0) {
		imsg_free(&imsg);
		assert_false(answer(&ans));
		return (LOGIN_VIOLATION);
	}
	uisession_login(&imsg, &ui_iev);
	imsg_free(&imsg);
	assert_true(answer(&ans));
	assert_int_equal(ans.hdr.peerid, peerid);
	if (ans.hdr.type == IMSG_UI_LOGIN_FAILED) {
		assert_int_equal(ans.datalen, 0);
		rv = LOGIN_FAILED;
	} else {
		struct sent	 tmp;

		sent_decode(&ans, out != NULL ? out : &tmp);
		rv = LOGIN_OK;
	}
	imsg_free(&ans);
	return (rv);
}

/* A new login link, valid for ttl ms from now: its secret. */
static const char *
link_new(int64_t ttl)
{
	static char	 buf[4][UI_SECRET_LEN + 1];
	static int	 k;
	char		*s = buf[k++ % 4];

	uisession_login_add(s, UI_SECRET_LEN + 1, now_ms() + ttl);
	assert_true(uisession_secret(s));
	return (s);
}

/* Log in with a new link: the session the parent opened. */
static void
login(struct sent *out)
{
	assert_int_equal(login_msg(link_new(60000), 7, 0, out), LOGIN_OK);
}

/* Who decides through session id: the user, or NULL (why in *why). */
static const char *
user_of(const char *id, const char **why)
{
	static char	 user[128], whybuf[64];

	user[0] = whybuf[0] = '\0';
	*why = whybuf;
	if (uisession_user(id, user, sizeof(user), whybuf,
	    sizeof(whybuf)) == 0) {
		assert_string_equal(whybuf, "");
		return (user);
	}
	assert_string_equal(user, "");
	return (NULL);
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
static int
sent_sessions(struct sent *out, int max)
{
	struct imsgev	 iev;
	struct imsgbuf	 r;
	struct imsg	 imsg;
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
		assert_true(n < max);
		sent_decode(&imsg, &out[n]);
		assert_int_equal(out[n].peerid, 0);
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
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    imsgev_init(&ui_iev, sp[0], NULL, NULL) == -1 ||
	    imsgbuf_init(&ui_r, sp[1]) == -1)
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
	imsgev_clear(&ui_iev);
	close(ui_iev.ibuf.fd);
	close(ui_r.fd);
	imsgbuf_clear(&ui_r);
	free(conf->state_dir);
	free(conf);
	return (tmproot_remove(tmproot));
}

/*
 * Tests.
 */

/* A login link opens one session, once; the parent makes it all. */
static void
test_login(void **state)
{
	struct sent	 a, b, c, s[8];
	struct stat	 st;
	const char	*l1, *l2, *l3;
	char		*path, saved[UI_SECRET_LEN + 1];
	int64_t		 before, after;

	fresh();
	assert_int_equal(file_sessions(), -1);
	assert_int_equal(sent_sessions(s, 8), 0);

	l1 = link_new(60000);
	strlcpy(saved, l1, sizeof(saved));
	before = now_ms();
	assert_int_equal(login_msg(l1, 42, 0, &a), LOGIN_OK);
	after = now_ms();
	assert_int_equal(a.peerid, 42);
	assert_true(uisession_secret(a.id));
	assert_true(uisession_secret(a.csrf));
	assert_string_not_equal(a.id, a.csrf);
	assert_string_not_equal(a.id, saved);
	assert_int_equal(a.num, 1);
	assert_true(a.expires >= before + UI_SESSION_TTL &&
	    a.expires <= after + UI_SESSION_TTL);
	assert_int_equal(uisession_count(), 1);

	/* Kept at once, 0600 in a 0700 directory. */
	path = sessions_path();
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(conf->state_dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(file_sessions(), 1);
	assert_true(file_has(a.id));
	assert_true(file_has(a.csrf));
	assert_false(file_has(saved));

	/* Once only; unknown and expired links fail; nothing is opened. */
	assert_int_equal(login_msg(saved, 43, 0, NULL), LOGIN_FAILED);
	assert_int_equal(login_msg(secret(5), 44, 0, NULL), LOGIN_FAILED);
	l2 = link_new(-1);
	assert_int_equal(login_msg(l2, 45, 0, NULL), LOGIN_FAILED);
	assert_int_equal(uisession_count(), 1);
	assert_int_equal(file_sessions(), 1);

	/* Links are independent; sessions numbered in order of login. */
	l2 = link_new(60000);
	l3 = link_new(60000);
	assert_int_equal(login_msg(l3, 46, 0, &b), LOGIN_OK);
	assert_int_equal(login_msg(l2, 47, 0, &c), LOGIN_OK);
	assert_int_equal(b.num, 2);
	assert_int_equal(c.num, 3);
	assert_string_not_equal(b.id, c.id);
	assert_string_not_equal(b.csrf, c.csrf);
	assert_int_equal(file_sessions(), 3);

	/* A restart gives them back, in order, with what they were. */
	restart();
	assert_int_equal(sent_sessions(s, 8), 3);
	assert_string_equal(s[0].id, a.id);
	assert_string_equal(s[0].csrf, a.csrf);
	assert_int_equal(s[0].num, 1);
	assert_int_equal(s[0].expires, a.expires);
	assert_string_equal(s[1].id, b.id);
	assert_string_equal(s[2].id, c.id);
	/* Links do not survive it; numbering goes on. */
	assert_int_equal(login_msg(l3, 48, 0, NULL), LOGIN_FAILED);
	login(&a);
	assert_int_equal(a.num, 4);

	/* Nothing else in the directory: no temporary file left. */
	assert_int_equal(nentries(conf->state_dir), 1);
	free(path);
}

/* What no ui child sends for a browser's link is a violation. */
static void
test_login_bad(void **state)
{
	char		 bad[UI_SECRET_LEN + 2];
	const char	*l;
	size_t		 i;

	fresh();
	l = link_new(60000);
	strlcpy(bad, l, sizeof(bad));
	for (i = 0; i < UI_SECRET_LEN; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] -= 'a' - 'A';
	assert_int_equal(login_msg(bad, 1, 0, NULL), LOGIN_VIOLATION);
	assert_non_null(strstr(violation, "bad login from the ui child"));
	strlcpy(bad, l, sizeof(bad));
	bad[UI_SECRET_LEN - 1] = '\0';
	assert_int_equal(login_msg(bad, 1, 0, NULL), LOGIN_VIOLATION);
	strlcpy(bad, l, sizeof(bad));
	strlcat(bad, "0", sizeof(bad));
	assert_int_equal(login_msg(bad, 1, 0, NULL), LOGIN_VIOLATION);
	assert_int_equal(login_msg("", 1, 0, NULL), LOGIN_VIOLATION);
	assert_int_equal(login_msg(NULL, 1, 0, NULL), LOGIN_VIOLATION);
	assert_int_equal(login_msg(l, 1, 1, NULL), LOGIN_VIOLATION);
	assert_int_equal(uisession_count(), 0);
	assert_int_equal(file_sessions(), -1);
	/* None of that used the link up. */
	assert_int_equal(login_msg(l, 1, 0, NULL), LOGIN_OK);
}

/* At most LOGINS_MAX unused links: the oldest goes. */
static void
test_login_cap(void **state)
{
	char		 first[UI_SECRET_LEN + 1], second[UI_SECRET_LEN + 1];
	int		 i;

	fresh();
	strlcpy(first, link_new(60000), sizeof(first));
	strlcpy(second, link_new(60000), sizeof(second));
	for (i = 2; i < LOGINS_MAX; i++)
		link_new(60000);
	/* One more: the first goes, the second stays. */
	link_new(60000);
	assert_int_equal(login_msg(first, 1, 0, NULL), LOGIN_FAILED);
	assert_int_equal(login_msg(second, 2, 0, NULL), LOGIN_OK);
}

/* At most UI_SESSIONS_MAX: the oldest goes, in memory and on disk. */
static void
test_cap(void **state)
{
	struct sent	 got[UI_SESSIONS_MAX + 6], s[UI_SESSIONS_MAX + 8];
	unsigned int	 i;
	const char	*why;

	fresh();
	for (i = 0; i < UI_SESSIONS_MAX + 6; i++)
		login(&got[i]);
	assert_int_equal(got[UI_SESSIONS_MAX + 5].num, UI_SESSIONS_MAX + 6);
	assert_int_equal(uisession_count(), UI_SESSIONS_MAX);
	assert_int_equal(file_sessions(), UI_SESSIONS_MAX);
	assert_false(file_has(got[5].id));
	assert_true(file_has(got[6].id));
	assert_true(file_has(got[UI_SESSIONS_MAX + 5].id));
	/* A dropped one decides nothing any more. */
	assert_null(user_of(got[5].id, &why));
	assert_string_equal(why, "unknown session");
	assert_non_null(user_of(got[6].id, &why));

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
	struct sent	 s[4], got;
	char		*path, *data;
	int64_t		 now = now_ms();

	fresh();
	path = sessions_path();
	data = xasprintf("%s\t%s\t1\t%lld\n%s\t%s\t2\t%lld\n%s\t%s\t3\t%lld\n",
	    secret(1), secret(11), (long long)(now + DAY),
	    secret(2), secret(12), (long long)(now + 400),
	    secret(3), secret(13), (long long)(now - 1000));
	writefile(path, data, 0600);
	restart();
	assert_int_equal(uisession_count(), 2);
	usleep(600 * 1000);
	assert_int_equal(sent_sessions(s, 4), 1);
	assert_string_equal(s[0].id, secret(1));
	assert_int_equal(uisession_count(), 1);
	/* Numbered after every session in the file, expired ones too. */
	login(&got);
	assert_int_equal(got.num, 4);
	assert_int_equal(file_sessions(), 2);
	assert_true(file_has(secret(1)));
	assert_false(file_has(secret(2)));
	assert_false(file_has(secret(3)));
	free(data);
	free(path);
}

/* The ui child dropped an idle session: it goes from the file too. */
static void
test_end(void **state)
{
	struct sent	 a, b;
	const char	*why;
	char		 up[UI_SECRET_LEN + 1];
	size_t		 i;

	fresh();
	login(&a);
	login(&b);
	assert_false(end_msg(a.id));
	assert_int_equal(uisession_count(), 1);
	assert_int_equal(file_sessions(), 1);
	assert_false(file_has(a.id));
	assert_true(file_has(b.id));
	/* Ended: no decision through it. */
	assert_null(user_of(a.id, &why));
	assert_string_equal(why, "unknown session");
	/* Unknown (the parent let it go already): nothing happens. */
	assert_false(end_msg(secret(9)));
	assert_false(end_msg(a.id));
	assert_int_equal(uisession_count(), 1);
	/* Not a session id at all: a violation. */
	assert_true(end_msg("abc"));
	assert_true(end_msg(""));
	strlcpy(up, b.id, sizeof(up));
	for (i = 0; i < UI_SECRET_LEN; i++)
		if (up[i] >= 'a' && up[i] <= 'f')
			up[i] -= 'a' - 'A';
	assert_true(end_msg(up));
	assert_int_equal(uisession_count(), 1);
	restart();
	assert_int_equal(uisession_count(), 1);
	assert_non_null(user_of(b.id, &why));
}

/*
 * A decision counts only through a live session the parent opened,
 * and names the user from the parent's record of it.
 */
static void
test_user(void **state)
{
	struct sent	 a, b;
	struct passwd	*pw;
	const char	*u, *why;
	char		*want, *path, *data, up[UI_SECRET_LEN + 1];
	int64_t		 now = now_ms();
	size_t		 i;

	fresh();
	path = sessions_path();
	/* Session 5 from the last run, about to expire. */
	data = xasprintf("%s\t%s\t5\t%lld\n", secret(1), secret(11),
	    (long long)(now + 300));
	writefile(path, data, 0600);
	restart();
	login(&a);
	login(&b);
	assert_int_equal(a.num, 6);

	pw = getpwuid(getuid());
	assert_non_null(pw);
	want = xasprintf("%s (web UI, session 6)", pw->pw_name);
	u = user_of(a.id, &why);
	assert_non_null(u);
	assert_string_equal(u, want);
	free(want);
	want = xasprintf("%s (web UI, session 7)", pw->pw_name);
	assert_string_equal(user_of(b.id, &why), want);
	free(want);

	/* No session, a made-up one, a csrf token, a near miss. */
	assert_null(user_of("", &why));
	assert_string_equal(why, "unknown session");
	assert_null(user_of(secret(2), &why));
	assert_string_equal(why, "unknown session");
	assert_null(user_of(a.csrf, &why));
	assert_string_equal(why, "unknown session");
	strlcpy(up, a.id, sizeof(up));
	for (i = 0; i < UI_SECRET_LEN; i++)
		if (up[i] >= 'a' && up[i] <= 'f')
			up[i] -= 'a' - 'A';
	assert_null(user_of(up, &why));
	up[0] = '\0';
	strlcpy(up, a.id, UI_SECRET_LEN);
	assert_null(user_of(up, &why));
	assert_string_equal(why, "unknown session");

	/* Expired: refused by number, and gone from the file. */
	assert_non_null(user_of(secret(1), &why));
	usleep(500 * 1000);
	assert_null(user_of(secret(1), &why));
	assert_string_equal(why, "session 5 expired");
	assert_false(file_has(secret(1)));
	assert_null(user_of(secret(1), &why));
	assert_string_equal(why, "unknown session");
	/* The others are untouched. */
	assert_non_null(user_of(a.id, &why));
	assert_int_equal(file_sessions(), 2);
	free(data);
	free(path);
}

/* A bad file is ignored as a whole: no session from it. */
static void
test_bad_files(void **state)
{
	struct sent	 got;
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
	login(&got);
	assert_int_equal(got.num, 1);
	assert_int_equal(file_sessions(), 1);
	assert_true(file_has(got.id));
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
	struct sent	 got;
	const char	*why;
	char		*base;

	fresh();
	/* Where the state directory would go is a file. */
	base = strdup(conf->state_dir);
	*strrchr(base, '/') = '\0';
	assert_int_equal(rmdir(conf->state_dir), 0);
	assert_int_equal(rmdir(base), 0);
	writefile(base, "x", 0600);
	login(&got);
	assert_int_equal(uisession_count(), 1);
	assert_int_equal(file_sessions(), -1);
	assert_non_null(user_of(got.id, &why));
	assert_int_equal(unlink(base), 0);
	free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_login_bad),
		cmocka_unit_test(test_login_cap),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_end),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_unwritable),
	};

	log_init(1, LOG_DAEMON);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
