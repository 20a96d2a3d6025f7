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
 * The control socket (DESIGN 6.4): guardianctl's way in.  A unix
 * stream socket, mode 0600, in a directory of its own that no
 * container mounts, whose peers must be our own uid by SO_PEERCRED,
 * live in our namespaces and not descend from us (parent_control_peer.c).
 * One request per connection (control.h): the answer is any number
 * of CTL_LINE and one CTL_OK or CTL_ERROR, and the connection is
 * closed once that is written.  A client gets CTL_TIMEOUT seconds to
 * ask and as long again to read the answer; at most CTL_MAXCONN are
 * served at once.  A watcher (CTL_WATCH) stays, at most CTL_MAXWATCH
 * of them, and is sent events; one that lets WATCH_QUEUE_MAX bytes
 * pile up unread is told so and dropped, so no watcher holds the
 * parent's memory or time.
 *
 * Must be called after event_init(): the events go on the default
 * base.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "canon.h"
#include "config.h"
#include "control.h"
#include "imsgev.h"
#include "log.h"
#include "parent.h"
#include "paths.h"

#define CTL_MAXCONN	16
#define CTL_TIMEOUT	10		/* seconds */
#define CTL_BACKLOG	16
/* Stop listing before the imsgbuf refuses more: room for the end. */
#define CTL_QUEUE_MAX	(IMSG_MAXQUEUE - 2 * IMSG_MAXSIZE)
#define CTL_MAXWATCH	8		/* leaves room for approvals */
#define WATCH_QUEUE_MAX	(4 * 1024 * 1024)
#define MATCHES_SHOWN	10		/* of an ambiguous prefix */

enum conn_state {
	CONN_REQUEST,		/* waiting for the request */
	CONN_RELOAD,		/* waiting for parent_reload() to answer */
	CONN_WATCH,		/* subscribed: events until it goes */
	CONN_DONE		/* final answer queued: close once written */
};

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	uint32_t		 id;		/* late reload answers */
	struct imsgev		 iev;
	struct event		 timer;
	enum conn_state		 state;
	int			 broken;	/* close when we can */
	uid_t			 uid;
	pid_t			 pid;
	char			 user[80];	/* "local:alice" */
};
TAILQ_HEAD(ctl_conns, ctl_conn);

static struct {
	int			 fd;
	char			*path;
	dev_t			 dev;
	ino_t			 ino;
	struct event		 ev;
	struct event		 pause;
	struct ctl_conns	 conns;
	unsigned int		 nconns;
	unsigned int		 nwatch;
	uint32_t		 nextid;
} ctl = { .fd = -1, .conns = TAILQ_HEAD_INITIALIZER(ctl.conns) };

struct listing {
	struct ctl_conn		*c;
	int			 w1, w2;
	int64_t			 now;
	int			 stop;
};

/* What an id prefix matches (pending requests, or grants). */
struct prefix_match {
	char			 prefix[REQ_ID_LEN + 1];
	size_t			 len;
	unsigned int		 n;
	char			 id[REQ_ID_LEN + 1];
	const void		*obj;		/* the first match */
	char			 list[MATCHES_SHOWN * 128];
};

static int	 safe_dir(const char *, char *, size_t);
static int	 stale_socket(const char *, char *, size_t);
static void	 control_accept(int, short, void *);
static void	 control_resume(int, short, void *);
static void	 control_refuse(int, const char *);
static void	 control_dispatch(int, short, void *);
static void	 control_timeout(int, short, void *);
static void	 conn_close(struct ctl_conn *);
static void	 conn_timer(struct ctl_conn *);
static void	 reply(struct ctl_conn *, uint32_t, const char *);
static void	 replyf(struct ctl_conn *, uint32_t, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static void	 control_request(struct ctl_conn *, struct imsg *);
static void	 ctl_status(struct ctl_conn *);
static void	 ctl_show_requests(struct ctl_conn *);
static void	 ctl_show_cloisters(struct ctl_conn *);
static void	 ctl_decide(struct ctl_conn *, const char *, int,
		    const char *, uint32_t, int);
static int	 prefix_init(struct ctl_conn *, struct prefix_match *,
		    const char *);
static void	 prefix_add(struct prefix_match *, const void *,
		    const char *, const char *, const char *);
static int	 prefix_result(struct ctl_conn *, struct prefix_match *,
		    const char *);
static void	 req_prefix(const struct request *, void *);
static void	 grant_prefix(const struct grant *, void *);
static void	 ctl_show_grants(struct ctl_conn *);
static void	 ctl_revoke(struct ctl_conn *, const char *);
static void	 ctl_watch(struct ctl_conn *);
static void	 watch_added(const struct request *, void *);
static void	 watch_send(struct ctl_conn *, uint32_t, struct imsg_enc *);
static void	 ctl_register(struct ctl_conn *, const char *, const char *,
		    const char *, const char *);
static void	 ctl_unregister(struct ctl_conn *, const char *);
static void	 ctl_reloaded(void *, int, const char *);
static void	 fmt_age(char *, size_t, int64_t);
static void	 listeners(char **, struct listen_list *);
static void	 req_width(const struct request *, void *);
static void	 req_line(const struct request *, void *);
static void	 cl_width(const struct cloister *, void *);
static void	 cl_line(const struct cloister *, void *);
static void	 register_flags(struct ctl_conn *, const char *,
		    const char *);

/*
 * Where the socket goes must be a directory nobody else can swap
 * things in: ours or root's, and not writable by others unless
 * sticky (as /tmp is).
 */
static int
safe_dir(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		*dir, *p;

	if ((dir = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return (-1);
	}
	p = strrchr(dir, '/');
	if (p == dir)
		p[1] = '\0';
	else
		*p = '\0';
	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(dir);
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(ENOTDIR));
		free(dir);
		return (-1);
	}
	if ((st.st_uid != geteuid() && st.st_uid != 0) ||
	    ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0)) {
		snprintf(err, errlen, "%s: owned or writable by someone "
		    "else", dir);
		free(dir);
		return (-1);
	}
	free(dir);
	return (0);
}

/*
 * Something is at path: a socket nobody answers on is ours to
 * replace; a live socket means another guardiand; anything else is
 * not touched.
 */
static int
stale_socket(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, rv;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	rv = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rv == 0) {
		snprintf(err, errlen, "%s: another guardiand is listening "
		    "there", path);
		return (-1);
	}
	if (errno != ECONNREFUSED) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

int
control_init(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd;

	if (ctl.fd != -1) {
		snprintf(err, errlen, "already listening on %s", ctl.path);
		return (-1);
	}
	if (path[0] != '/') {
		snprintf(err, errlen, "%s: the path must be absolute", path);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return (-1);
	}
	if (safe_dir(path, err, errlen) == -1 ||
	    stale_socket(path, err, errlen) == -1)
		return (-1);

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	/* Born 0600: no moment where another user could connect. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "%s: %s", sun.sun_path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	umask(old);
	if (lstat(path, &st) == -1 || listen(fd, CTL_BACKLOG) == -1) {
		snprintf(err, errlen, "%s: %s", sun.sun_path,
		    strerror(errno));
		close(fd);
		unlink(sun.sun_path);
		return (-1);
	}
	if ((ctl.path = strdup(sun.sun_path)) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		unlink(sun.sun_path);
		return (-1);
	}
	ctl.fd = fd;
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	event_set(&ctl.ev, fd, EV_READ | EV_PERSIST, control_accept, NULL);
	evtimer_set(&ctl.pause, control_resume, NULL);
	if (event_add(&ctl.ev, NULL) == -1) {
		snprintf(err, errlen, "event_add: %s", strerror(errno));
		control_cleanup();
		return (-1);
	}
	log_debug("control socket %s", ctl.path);
	return (0);
}

void
control_cleanup(void)
{
	struct ctl_conn	*c;
	struct stat	 st;

	while ((c = TAILQ_FIRST(&ctl.conns)) != NULL)
		conn_close(c);
	if (ctl.fd == -1)
		return;
	event_del(&ctl.ev);
	evtimer_del(&ctl.pause);
	close(ctl.fd);
	ctl.fd = -1;
	/* Only our socket: a newer daemon's may be there by now. */
	if (lstat(ctl.path, &st) == 0 && st.st_dev == ctl.dev &&
	    st.st_ino == ctl.ino)
		unlink(ctl.path);
	free(ctl.path);
	ctl.path = NULL;
}

static void
control_resume(int fd, short event, void *arg)
{
	if (ctl.fd != -1)
		event_add(&ctl.ev, NULL);
}

/* Best effort: tell a client why it is turned away, then close. */
static void
control_refuse(int fd, const char *why)
{
	struct imsgbuf	 ibuf;
	struct imsg_enc	 enc;

	if (imsgbuf_init(&ibuf, fd) == 0) {
		imsg_enc_init(&enc);
		imsg_put_str(&enc, why);
		if (imsg_compose_enc(&ibuf, CTL_ERROR, 0, -1, &enc) == 0)
			(void)imsg_write(&ibuf);
		imsgbuf_clear(&ibuf);
	}
	close(fd);
}

static void
control_accept(int lfd, short event, void *arg)
{
	struct ctl_conn		*c;
	struct ucred		 cred;
	struct passwd		*pw;
	struct timeval		 tv = { 1, 0 };
	socklen_t		 len;
	const char		*why;
	char			 whybuf[128];
	int			 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == ENFILE || errno == EMFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* Out of fds: pause rather than spin. */
			log_warn("control: accept");
			event_del(&ctl.ev);
			evtimer_add(&ctl.pause, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    len != sizeof(cred)) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	/* Root only if we are root: a rootful container's root is not us. */
	if (cred.uid != geteuid()) {
		/* Not a word to a stranger. */
		log_warnx("control: refused uid %u pid %d: another user",
		    (unsigned int)cred.uid, (int)cred.pid);
		close(fd);
		return;
	}
	if ((why = control_peer_refusal(fd, cred.pid, whybuf,
	    sizeof(whybuf))) != NULL) {
		log_warnx("control: refused uid %u pid %d: %s",
		    (unsigned int)cred.uid, (int)cred.pid, why);
		control_refuse(fd, "refused: guardianctl must run on the "
		    "host, outside containers and commands guardiand runs");
		return;
	}
	if (ctl.nconns >= CTL_MAXCONN) {
		log_warnx("control: too many connections, refusing pid %d",
		    (int)cred.pid);
		control_refuse(fd, "too many control connections, try "
		    "again");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control");
		close(fd);
		return;
	}
	c->id = ++ctl.nextid;
	c->uid = cred.uid;
	c->pid = cred.pid;
	if ((pw = getpwuid(cred.uid)) != NULL)
		snprintf(c->user, sizeof(c->user), "local:%s", pw->pw_name);
	else
		snprintf(c->user, sizeof(c->user), "local:uid%u",
		    (unsigned int)cred.uid);
	if (imsgev_init(&c->iev, fd, control_dispatch, c) == -1) {
		log_warn("control");
		close(fd);
		free(c);
		return;
	}
	evtimer_set(&c->timer, control_timeout, c);
	conn_timer(c);
	TAILQ_INSERT_TAIL(&ctl.conns, c, entry);
	ctl.nconns++;
}

static void
conn_timer(struct ctl_conn *c)
{
	struct timeval	 tv = { CTL_TIMEOUT, 0 };

	evtimer_add(&c->timer, &tv);
}

static void
conn_close(struct ctl_conn *c)
{
	int	 fd = c->iev.ibuf.fd;

	evtimer_del(&c->timer);
	imsgev_clear(&c->iev);
	close(fd);
	TAILQ_REMOVE(&ctl.conns, c, entry);
	ctl.nconns--;
	if (c->state == CONN_WATCH)
		ctl.nwatch--;
	free(c);
}

static void
control_timeout(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;

	log_debug("control: connection of pid %d timed out", (int)c->pid);
	conn_close(c);
}

static void
control_dispatch(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;
	struct imsgbuf	*ibuf = &c->iev.ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 rv;

	if (event & EV_WRITE) {
		if (imsg_write(ibuf) == -1)
			goto close;
		if (c->state == CONN_DONE && imsg_queued(ibuf) == 0)
			goto close;
	}
	if (event & EV_READ) {
		n = imsg_read(ibuf);
		if (n == 0 || (n == -1 && errno != EAGAIN))
			goto close;
		/* A watcher has nothing more to say: if it does, it goes. */
		if (c->state == CONN_WATCH && n > 0)
			goto close;
		/* One request; whatever follows it is not looked at. */
		if (c->state == CONN_REQUEST) {
			if ((rv = imsg_get(ibuf, &imsg)) == -1)
				reply(c, CTL_ERROR, "bad request");
			else if (rv == 1) {
				control_request(c, &imsg);
				imsg_free(&imsg);
			}
		}
	}
	if (c->broken)
		goto close;
	imsgev_update(&c->iev);
	return;
 close:
	conn_close(c);
}

/*
 * Queue one answer.  A final one ends the conversation: the
 * connection closes when it is written, or after CTL_TIMEOUT.
 */
static void
reply(struct ctl_conn *c, uint32_t type, const char *text)
{
	struct imsg_enc	 enc;

	if (c->state == CONN_DONE || c->broken)
		return;
	imsg_enc_init(&enc);
	imsg_put_str(&enc, text);
	if (imsgev_compose_enc(&c->iev, type, 0, -1, &enc) == -1) {
		log_warn("control: reply");
		/* The next event closes it, whoever called us. */
		c->broken = 1;
		shutdown(c->iev.ibuf.fd, SHUT_RDWR);
		return;
	}
	if (type != CTL_LINE && type != CTL_INFO) {
		c->state = CONN_DONE;
		evtimer_del(&c->timer);
		conn_timer(c);
	}
}

static void
replyf(struct ctl_conn *c, uint32_t type, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL) {
		reply(c, CTL_ERROR, "out of memory");
		return;
	}
	reply(c, type, s);
	free(s);
}

static void
control_request(struct ctl_conn *c, struct imsg *imsg)
{
	struct ctl_msg	 m;

	if (ctl_decode(imsg, &m) == -1) {
		log_warnx("control: bad request (type %u) from pid %d",
		    imsg->hdr.type, (int)c->pid);
		reply(c, CTL_ERROR, "bad request");
		return;
	}
	switch (m.type) {
	case CTL_STATUS:
		ctl_status(c);
		break;
	case CTL_SHOW_REQUESTS:
		ctl_show_requests(c);
		break;
	case CTL_SHOW_CLOISTERS:
		ctl_show_cloisters(c);
		break;
	case CTL_APPROVE:
		ctl_decide(c, m.a, 1, NULL, 0, 0);
		break;
	case CTL_APPROVE_ALWAYS:
		ctl_decide(c, m.a, 1, NULL, 0, 1);
		break;
	case CTL_DENY:
		ctl_decide(c, m.a, 0, m.b, 0, 0);
		break;
	case CTL_APPROVE_FOR:
	case CTL_DENY_FOR:
		if (m.secs == 0 || m.secs > GRANT_MAX_SECS)
			replyf(c, CTL_ERROR, "a grant lasts from 1 second to "
			    "%d days", GRANT_MAX_SECS / 86400);
		else
			ctl_decide(c, m.a, m.type == CTL_APPROVE_FOR, m.b,
			    m.secs, 0);
		break;
	case CTL_SHOW_GRANTS:
		ctl_show_grants(c);
		break;
	case CTL_REVOKE:
		ctl_revoke(c, m.a);
		break;
	case CTL_WATCH:
		ctl_watch(c);
		break;
	case CTL_REGISTER:
		ctl_register(c, m.a, m.b, m.c, m.d);
		break;
	case CTL_UNREGISTER:
		ctl_unregister(c, m.a);
		break;
	case CTL_RELOAD:
		log_info("control: reload requested by %s", c->user);
		c->state = CONN_RELOAD;
		evtimer_del(&c->timer);
		/* By id: the connection may be gone when the answer comes. */
		parent_reload(c->user, ctl_reloaded,
		    (void *)(uintptr_t)c->id);
		break;
	case CTL_UI: {
		char	*url;

		if ((url = parent_ui_login()) == NULL)
			reply(c, CTL_ERROR, "no approval UI: no ui listener");
		else {
			log_info("control: UI login URL issued to %s",
			    c->user);
			reply(c, CTL_OK, url);
			freezero(url, strlen(url));
		}
		break;
	}
	case CTL_LOG_VERBOSE:
		parent_verbose(2);
		log_info("control: log verbose (%s)", c->user);
		reply(c, CTL_OK, "");
		break;
	case CTL_LOG_BRIEF:
		log_info("control: log brief (%s)", c->user);
		parent_verbose(1);
		reply(c, CTL_OK, "");
		break;
	}
	ctl_msg_clear(&m);
}

static void
ctl_reloaded(void *arg, int ok, const char *msg)
{
	struct ctl_conn	*c;
	uint32_t	 id = (uint32_t)(uintptr_t)arg;
	size_t		 len;
	char		*m;

	TAILQ_FOREACH(c, &ctl.conns, entry)
		if (c->id == id)
			break;
	if (c == NULL || c->state != CONN_RELOAD)
		return;		/* guardianctl went away meanwhile */
	if ((m = strdup(msg != NULL ? msg : "")) == NULL) {
		reply(c, CTL_ERROR, "out of memory");
		return;
	}
	len = strlen(m);
	while (len > 0 && m[len - 1] == '\n')
		m[--len] = '\0';
	if (ok)
		reply(c, CTL_OK, *m != '\0' ? m : "configuration reloaded");
	else
		reply(c, CTL_ERROR, *m != '\0' ? m : "reload failed");
	free(m);
}

/* "45s", "3m05s", "2h07m", "3d04h". */
static void
fmt_age(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", (long long)s / 60,
		    (long long)s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", (long long)s / 3600,
		    (long long)(s % 3600) / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", (long long)s / 86400,
		    (long long)(s % 86400) / 3600);
}

static void
listeners(char **out, struct listen_list *ll)
{
	struct listen_addr	*la;
	char			*s;
	int			 first = 1;

	if (*out == NULL)
		return;
	TAILQ_FOREACH(la, ll, entry) {
		if (asprintf(&s, "%s%s%s", *out, first ? " " : ", ",
		    la->spec) == -1) {
			free(*out);
			*out = NULL;
			return;
		}
		free(*out);
		*out = s;
		first = 0;
	}
	if (first) {
		if (asprintf(&s, "%s none", *out) == -1)
			s = NULL;
		free(*out);
		*out = s;
	}
}

static void
ctl_status(struct ctl_conn *c)
{
	struct config	*conf = parent_config();
	char		 up[32], *l;

	fmt_age(up, sizeof(up), (int64_t)(time(NULL) - parent_started()));
	replyf(c, CTL_LINE, "guardiand pid %d, up %s", (int)getpid(), up);
	if (conf != NULL) {
		l = strdup("listening: request");
		listeners(&l, &conf->request_listen);
		if (l != NULL) {
			char	*s;

			if (asprintf(&s, "%s; ui", l) == -1)
				s = NULL;
			free(l);
			l = s;
		}
		listeners(&l, &conf->ui_listen);
		reply(c, CTL_LINE, l != NULL ? l : "listening: ?");
		free(l);
		replyf(c, CTL_LINE, "configuration: %s", conf->path);
	}
	replyf(c, CTL_LINE, "requests: %u pending, %u running",
	    req_count(REQ_PENDING), req_count(REQ_RUNNING));
	replyf(c, CTL_LINE, "cloisters: %zu", registry_count());
	replyf(c, CTL_LINE, "grants: %zu; watchers: %u", grant_count(),
	    ctl.nwatch);
	replyf(c, CTL_LINE, "log: %s", log_getverbose() > 1 ? "verbose" :
	    "brief");
	reply(c, CTL_OK, "");
}

static void
req_width(const struct request *r, void *arg)
{
	struct listing	*l = arg;
	int		 n = strlen(r->cloister);

	if (n > l->w1)
		l->w1 = n;
}

static void
req_line(const struct request *r, void *arg)
{
	struct listing	*l = arg;
	char		 age[32];

	if (l->stop || l->c->broken)
		return;
	if (imsg_queued(&l->c->iev.ibuf) > CTL_QUEUE_MAX) {
		l->stop = 1;
		return;
	}
	fmt_age(age, sizeof(age), (l->now - r->received) / 1000);
	replyf(l->c, CTL_LINE, "%-*s  %-*s  %-6s  %s", REQ_ID_LEN, r->id,
	    l->w1, r->cloister, age, r->canon);
	/* Under the id, where no id starts: why it asks. */
	replyf(l->c, CTL_LINE, "%-*s  why: %s", REQ_ID_LEN, "", req_why(r));
	replyf(l->c, CTL_LINE, "%-*s  program: %s%s%s%s", REQ_ID_LEN, "",
	    *req_program(r) != '\0' ? req_program(r) : r->argv[0],
	    *exe_note(&r->exe) != '\0' ? " (" : "", exe_note(&r->exe),
	    *exe_note(&r->exe) != '\0' ? ")" : "");
}

static void
ctl_show_requests(struct ctl_conn *c)
{
	struct listing	 l;

	memset(&l, 0, sizeof(l));
	l.c = c;
	l.w1 = strlen("CLOISTER");
	l.now = now_ms();
	req_foreach_pending(req_width, &l);
	replyf(c, CTL_LINE, "%-*s  %-*s  %-6s  %s", REQ_ID_LEN, "ID", l.w1,
	    "CLOISTER", "AGE", "COMMAND");
	req_foreach_pending(req_line, &l);
	if (l.stop)
		reply(c, CTL_ERROR, "too many requests to list them all");
	else
		reply(c, CTL_OK, "");
}

static void
cl_width(const struct cloister *cl, void *arg)
{
	struct listing	*l = arg;
	int		 n;

	if ((n = strlen(cl->name)) > l->w1)
		l->w1 = n;
	if ((n = strlen(cl->project)) > l->w2)
		l->w2 = n;
}

static void
cl_line(const struct cloister *cl, void *arg)
{
	struct listing	*l = arg;

	replyf(l->c, CTL_LINE, "%-*s  %-*s  %-7s  %s", l->w1, cl->name,
	    l->w2, cl->project, cl->dynamic ? "dynamic" : "config",
	    cl->worktree);
}

static void
ctl_show_cloisters(struct ctl_conn *c)
{
	struct listing	 l;

	memset(&l, 0, sizeof(l));
	l.c = c;
	l.w1 = strlen("NAME");
	l.w2 = strlen("PROJECT");
	registry_foreach(cl_width, &l);
	replyf(c, CTL_LINE, "%-*s  %-*s  %-7s  %s", l.w1, "NAME", l.w2,
	    "PROJECT", "SOURCE", "WORKTREE");
	registry_foreach(cl_line, &l);
	reply(c, CTL_OK, "");
}

/*
 * An id as the operator typed it: at least CTL_ID_MIN hex digits
 * (either case), at most a whole id.  -1 (answered) if it is not one.
 */
static int
prefix_init(struct ctl_conn *c, struct prefix_match *pm, const char *s)
{
	char	 buf[64];
	size_t	 i;

	memset(pm, 0, sizeof(*pm));
	pm->len = strlen(s);
	if (pm->len < CTL_ID_MIN) {
		replyf(c, CTL_ERROR, "an id needs at least %d characters: %s",
		    CTL_ID_MIN, ctl_printable(s, buf, sizeof(buf)));
		return (-1);
	}
	for (i = 0; i < pm->len; i++)
		if (i >= REQ_ID_LEN || strchr("0123456789abcdefABCDEF",
		    s[i]) == NULL)
			break;
	if (i < pm->len) {
		/* Matches nothing: said by the caller, as for any other. */
		pm->len = 0;
		return (0);
	}
	for (i = 0; i < pm->len; i++)
		pm->prefix[i] = s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' +
		    'a' : s[i];
	return (0);
}

static void
prefix_add(struct prefix_match *pm, const void *obj, const char *id,
    const char *cloister, const char *cmd)
{
	char	 line[128];

	if (pm->len == 0 || strncmp(id, pm->prefix, pm->len) != 0)
		return;
	if (pm->n++ == 0) {
		strlcpy(pm->id, id, sizeof(pm->id));
		pm->obj = obj;
	}
	if (pm->n <= MATCHES_SHOWN) {
		snprintf(line, sizeof(line), "\n  %s  %s  %s", id, cloister,
		    cmd);
		strlcat(pm->list, line, sizeof(pm->list));
	}
}

static void
req_prefix(const struct request *r, void *arg)
{
	prefix_add(arg, r, r->id, r->cloister, r->canon);
}

static void
grant_prefix(const struct grant *g, void *arg)
{
	prefix_add(arg, g, g->id, g->cloister, g->canon);
}

/*
 * One match: 0, its whole id in pm->id.  None, or more than one:
 * -1, answered (an ambiguous prefix lists what it matches).
 */
static int
prefix_result(struct ctl_conn *c, struct prefix_match *pm, const char *what)
{
	if (pm->n == 1)
		return (0);
	if (pm->n == 0)
		return (-1);
	replyf(c, CTL_ERROR, "%s is ambiguous: %u %ss match it%s%s",
	    pm->prefix, pm->n, what, pm->list, pm->n > MATCHES_SHOWN ?
	    "\n  ..." : "");
	return (-1);
}

/*
 * approve/deny, and with secs a grant of the same decision for that
 * long, with always a rule (parent_decide.c).
 */
static void
ctl_decide(struct ctl_conn *c, const char *idarg, int approve,
    const char *reason, uint32_t secs, int always)
{
	struct prefix_match	 pm;
	char			 buf[128], msg[2048], id[REQ_ID_LEN + 1];

	if (!approve && !ctl_valid_reason(reason)) {
		replyf(c, CTL_ERROR, "the reason must be at most %d bytes "
		    "of printable UTF-8", CTL_REASON_MAX);
		return;
	}
	if (prefix_init(c, &pm, idarg) == -1)
		return;
	req_foreach_pending(req_prefix, &pm);
	if (pm.n == 0) {
		replyf(c, CTL_ERROR, "no pending request %s",
		    ctl_printable(idarg, buf, 64));
		return;
	}
	if (prefix_result(c, &pm, "pending request") == -1)
		return;
	strlcpy(id, pm.id, sizeof(id));
	if (decide_scoped(id, approve, secs, always, c->user, reason, msg,
	    sizeof(msg)) != DECIDE_OK) {
		reply(c, CTL_ERROR, msg);
		return;
	}
	log_info("control: %s", msg);
	reply(c, CTL_OK, msg);
}

static void
grant_width(const struct grant *g, void *arg)
{
	struct listing	*l = arg;
	int		 n = strlen(g->cloister);

	if (n > l->w1)
		l->w1 = n;
	if ((n = strlen(g->worktree)) > l->w2)
		l->w2 = n;
}

static void
grant_line(const struct grant *g, void *arg)
{
	struct listing	*l = arg;
	char		 left[32];

	if (l->stop || l->c->broken)
		return;
	if (imsg_queued(&l->c->iev.ibuf) > CTL_QUEUE_MAX) {
		l->stop = 1;
		return;
	}
	fmt_age(left, sizeof(left), (g->expires - l->now + 999) / 1000);
	replyf(l->c, CTL_LINE, "%-*s  %-8s  %-*s  %-*s  %-6s  %-4u  %s",
	    REQ_ID_LEN, g->id, g->approve ? "approve" : "deny", l->w1,
	    g->cloister, l->w2, g->worktree, left, g->uses, g->canon);
}

static void
ctl_show_grants(struct ctl_conn *c)
{
	struct listing	 l;

	memset(&l, 0, sizeof(l));
	l.c = c;
	l.w1 = strlen("CLOISTER");
	l.w2 = strlen("FOLDER");
	l.now = now_ms();
	grant_foreach(grant_width, &l);
	replyf(c, CTL_LINE, "%-*s  %-8s  %-*s  %-*s  %-6s  %-4s  %s",
	    REQ_ID_LEN, "ID", "DECISION", l.w1, "CLOISTER", l.w2, "FOLDER",
	    "LEFT", "USES", "COMMAND");
	grant_foreach(grant_line, &l);
	if (l.stop)
		reply(c, CTL_ERROR, "too many grants to list them all");
	else
		reply(c, CTL_OK, "");
}

static void
ctl_revoke(struct ctl_conn *c, const char *idarg)
{
	struct prefix_match	 pm;
	char			 buf[128], id[REQ_ID_LEN + 1];

	if (prefix_init(c, &pm, idarg) == -1)
		return;
	grant_foreach(grant_prefix, &pm);
	if (pm.n == 0) {
		replyf(c, CTL_ERROR, "no grant %s",
		    ctl_printable(idarg, buf, 64));
		return;
	}
	if (prefix_result(c, &pm, "grant") == -1)
		return;
	strlcpy(id, pm.id, sizeof(id));
	if (grant_revoke(id, c->user) == -1) {
		replyf(c, CTL_ERROR, "no grant %s", id);
		return;
	}
	log_info("control: grant %s revoked by %s", id, c->user);
	replyf(c, CTL_OK, "grant %s revoked", id);
}

/*
 * A watcher's events.  One that has let WATCH_QUEUE_MAX bytes pile up
 * is told it fell behind and closed once that is read (or after
 * CTL_TIMEOUT): it costs us a bounded buffer, never a wait.
 */
static void
watch_send(struct ctl_conn *c, uint32_t type, struct imsg_enc *enc)
{
	if (c->state != CONN_WATCH || c->broken) {
		imsg_enc_free(enc);
		return;
	}
	if (imsg_queued(&c->iev.ibuf) >
	    testhook_watch_queue(WATCH_QUEUE_MAX)) {
		imsg_enc_free(enc);
		log_warnx("control: watcher pid %d fell behind: dropped",
		    (int)c->pid);
		ctl.nwatch--;
		c->state = CONN_REQUEST;
		reply(c, CTL_ERROR, "dropped: this watcher fell behind "
		    "(events unread); start it again");
		imsgev_update(&c->iev);
		return;
	}
	if (imsgev_compose_enc(&c->iev, type, 0, -1, enc) == -1) {
		log_warn("control: watcher pid %d", (int)c->pid);
		c->broken = 1;
		shutdown(c->iev.ibuf.fd, SHUT_RDWR);
	}
}

static void
watch_added(const struct request *r, void *arg)
{
	struct ctl_conn	*c = arg;
	struct imsg_enc	 enc;
	size_t		 len = strlen(r->canon);
	char		*cmd;

	/* A screen's worth: the whole length says how much is not sent. */
	if ((cmd = strndup(r->canon, CTL_WATCH_CMD)) == NULL) {
		log_warn("control: watcher");
		return;
	}
	imsg_enc_init(&enc);
	imsg_put_str(&enc, r->id);
	imsg_put_str(&enc, r->cloister);
	imsg_put_str(&enc, r->project);
	imsg_put_str(&enc, cmd);
	imsg_put_u32(&enc, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	imsg_put_str(&enc, r->worktree);
	imsg_put_u64(&enc, r->received);
	imsg_put_u64(&enc, r->expires);
	imsg_put_str(&enc, req_program(r));
	imsg_put_str(&enc, exe_flags(&r->exe));
	free(cmd);
	watch_send(c, CTL_EV_ADDED, &enc);
}

static void
ctl_watch(struct ctl_conn *c)
{
	if (ctl.nwatch >= CTL_MAXWATCH) {
		replyf(c, CTL_ERROR, "too many watchers (%d)", CTL_MAXWATCH);
		return;
	}
	log_info("control: %s (pid %d) watches", c->user, (int)c->pid);
	ctl.nwatch++;
	c->state = CONN_WATCH;
	/* It may watch for as long as it likes. */
	evtimer_del(&c->timer);
	req_foreach_pending(watch_added, c);
}

void
control_watch_added(const struct request *r)
{
	struct ctl_conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &ctl.conns, entry, next)
		if (c->state == CONN_WATCH) {
			watch_added(r, c);
			imsgev_update(&c->iev);
		}
}

void
control_watch_removed(const char *id, const char *outcome, const char *by)
{
	struct ctl_conn	*c, *next;
	struct imsg_enc	 enc;

	TAILQ_FOREACH_SAFE(c, &ctl.conns, entry, next) {
		if (c->state != CONN_WATCH)
			continue;
		imsg_enc_init(&enc);
		imsg_put_str(&enc, id);
		imsg_put_str(&enc, outcome);
		imsg_put_str(&enc, by != NULL ? by : "");
		watch_send(c, CTL_EV_REMOVED, &enc);
		imsgev_update(&c->iev);
	}
}

static void
ctl_register(struct ctl_conn *c, const char *name, const char *worktree,
    const char *project, const char *token)
{
	const struct cloister	*cl;
	char			 err[512], *tok;

	if (registry_register(name, worktree, project, token, &tok, err,
	    sizeof(err)) == -1) {
		reply(c, CTL_ERROR, err);
		return;
	}
	/* Its own socket, or no registration. */
	if (door_open(name, err, sizeof(err)) == -1) {
		char	 err2[512];

		if (registry_unregister(name, err2, sizeof(err2)) == -1)
			log_warnx("control: %s", err2);
		replyf(c, CTL_ERROR, "cloister %s: %s", name, err);
		freezero(tok, strlen(tok));
		return;
	}
	cl = registry_find(name);
	audit_log("REGISTER", NULL, NULL, name, NULL,
	    "project", cl != NULL ? cl->project : project,
	    "worktree", cl != NULL ? cl->worktree : worktree,
	    "user", c->user, (char *)NULL);
	log_info("control: cloister %s registered by %s", name, c->user);
	register_flags(c, name, tok);
	reply(c, CTL_OK, tok);
	freezero(tok, strlen(tok));
}

/*
 * What a container needs to reach its door, as docker run flags: the
 * cloister's socket directory mounted read-only, and the environment
 * hostexec reads.  guardianctl prints them after the token.
 */
static void
register_flags(struct ctl_conn *c, const char *name, const char *tok)
{
	char	*dir;

	if ((dir = door_path(name)) == NULL)
		return;
	replyf(c, CTL_INFO, "# the container's way in: its own socket, "
	    "read-only (the process inside runs as uid %u or as root):",
	    (unsigned int)geteuid());
	replyf(c, CTL_INFO, "    -v %s:%s:ro \\", dir, CONTAINER_DOOR_DIR);
	replyf(c, CTL_INFO, "    -e CLOISTER_GUARDIAN_SOCKET=%s/%s \\",
	    CONTAINER_DOOR_DIR, REQUEST_SOCK);
	replyf(c, CTL_INFO, "    -e CLOISTER_TOKEN=%s", tok);
	free(dir);
}

static void
ctl_unregister(struct ctl_conn *c, const char *name)
{
	const struct cloister	*cl;
	char			 err[512], *project = NULL;

	if ((cl = registry_find(name)) != NULL && cl->dynamic &&
	    (project = strdup(cl->project)) == NULL) {
		reply(c, CTL_ERROR, "out of memory");
		return;
	}
	if (registry_unregister(name, err, sizeof(err)) == -1) {
		free(project);
		reply(c, CTL_ERROR, err);
		return;
	}
	if (project != NULL)
		audit_log("UNREGISTER", NULL, NULL, name, NULL, "project",
		    project, "user", c->user, (char *)NULL);
	else
		audit_log("UNREGISTER", NULL, NULL, name, NULL, "user",
		    c->user, (char *)NULL);
	log_info("control: cloister %s unregistered by %s", name, c->user);
	/* Unless a static one of that name remains, its requests go. */
	if (registry_find(name) == NULL)
		req_cloister_gone(name, "cloister unregistered");
	/* Its grants go in any case: they were made for this one. */
	grant_cloister_gone(name, "cloister unregistered");
	doors_sync();
	free(project);
	reply(c, CTL_OK, "");
}
