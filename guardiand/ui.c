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

/* RB_GENERATE_STATIC marks the functions it does not need __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <evhttp.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <jansson.h>

#include "canon.h"
#include "compat.h"
#include "frame.h"
#include "guardiand.h"
#include "log.h"
#include "msg.h"
#include "netchild.h"

/*
 * The operator-facing role (DESIGN section 6.3): the approval page,
 * its API and its event stream.  It holds no token, starts nothing
 * and makes no session: a login secret a browser presents goes to the
 * parent, which alone opens sessions; a human's decision goes to the
 * parent with the session it came through, and the parent alone
 * decides whether that session is live and the request still pending.
 */

#define UI_CSP	"default-src 'none'; script-src 'self'; style-src 'self'; " \
		"img-src 'self'; connect-src 'self'; base-uri 'none'; " \
		"form-action 'none'; frame-ancestors 'none'"
#define SESSION_COOKIE	"guardiand_session"
#define SESSIONS_MAX	UI_SESSIONS_MAX
#define SESSION_IDLE_MS	(12LL * 3600 * 1000)	/* unused this long: gone */
#define SSE_BUFFERED_MAX (256 * 1024)	/* a client this far behind goes */
#define SSE_HEARTBEAT_S	15
#define RECENT_MAX	20
#define POSTS_MAX	256

/*
 * A browser's login, opened by the parent (IMSG_UI_SESSION), which
 * keeps it in the state directory and hands it back after a restart,
 * so sessions outlive the process; each ends UI_SESSION_TTL after its
 * login, or after SESSION_IDLE_MS unused (idleness counts from the
 * restart).
 */
struct session {
	TAILQ_ENTRY(session)	 entry;
	char			 id[UI_SECRET_LEN + 1];	/* the cookie */
	char			 csrf[UI_SECRET_LEN + 1]; /* X-CSRF-Token */
	unsigned int		 num;		/* names it in the audit */
	int64_t			 last;
	int64_t			 expires;
};

/*
 * A browser's connection.  There are at most connections_max of them,
 * and peer_max of one address, so that no flood runs the process out
 * of descriptors; each has read_timeout in all to send a request,
 * counted from its connection or the end of its last answer, so that
 * a byte now and then cannot hold it.  At a limit, a new connection
 * takes the place of the one that has waited longest for a request
 * (its address's, or anybody's), as nginx reuses idle keep-alive
 * connections: a flood of connections that send nothing only churns
 * itself, and the operator's page still gets in.  Event streams and
 * answers the parent is asked for are not taken; only a session
 * opens the one, and the other is quick and bounded (POSTS_MAX).  An
 * event stream has no deadline (it is an answer that does not end),
 * but counts.
 */
struct ui_conn {
	RB_ENTRY(ui_conn)	 entry;		/* by evcon */
	TAILQ_ENTRY(ui_conn)	 hookq;		/* accepted, not set up */
	struct evhttp_connection *evcon;
	struct bufferevent	*bev;
	struct peer		*peer;
	struct event		 deadline;
	TAILQ_ENTRY(ui_conn)	 waitq;		/* while deadline is armed */
	int			 waiting;
	struct sse_client	*sse;		/* its event stream */
	struct ui_post		*post;		/* its request at the parent */
};

struct sse_client {
	TAILQ_ENTRY(sse_client)	 entry;
	struct evhttp_request	*req;
	struct evhttp_connection *conn;
	struct ui_conn		*uc;
	int			 framing;	/* SSE_CHUNKED... */
};

/* How evhttp_send_reply_start() set the stream's body up. */
#define SSE_CHUNKED	0	/* HTTP/1.1: in chunks */
#define SSE_RAW		1	/* HTTP/1.0: as it is, until the close */
#define SSE_NOBODY	2	/* HEAD: none */

struct ui_req {
	TAILQ_ENTRY(ui_req)	 entry;
	char			*id;
	char			*cloister;
	char			*project;
	char			*cmd;
	char			*cwd;
	int64_t			 timestamp;
	int64_t			 expires;
	char			*why;		/* in words */
	char			*pattern;	/* "" if none matched */
	char			*rule_file;	/* "" if unknown */
	uint32_t		 rule_line;
	char			*program;	/* "" if none resolved */
	char			*program_note;	/* in words, "" if nothing */
	char			*program_flags;	/* "worktree,symlink,git" or "" */
};

struct decision {
	TAILQ_ENTRY(decision)	 entry;
	struct ui_req		*req;		/* what was asked */
	char			*outcome;
	char			*user;
	int64_t			 time;
	int			 finished;
	uint8_t			 kind;
	uint32_t		 code;
	uint32_t		 duration;
};

/* A grant (guardianctl approve/deny --for, or the page's scopes). */
struct ui_grant {
	TAILQ_ENTRY(ui_grant)	 entry;
	char			*id;
	char			*decision;
	char			*cloister;
	char			*folder;
	char			*cmd;
	int64_t			 expires;
	uint32_t		 uses;
};

/* A login or a decision waiting for the parent's answer. */
struct ui_post {
	TAILQ_ENTRY(ui_post)	 entry;
	uint32_t		 num;
	struct evhttp_request	*req;		/* NULL once the client left */
	struct ui_conn		*uc;		/* while req is not NULL */
	int			 login;
	char			 sid[UI_SECRET_LEN + 1]; /* a decision's */
};

TAILQ_HEAD(session_list, session);
TAILQ_HEAD(sse_list, sse_client);
TAILQ_HEAD(ui_req_list, ui_req);
TAILQ_HEAD(decision_list, decision);
TAILQ_HEAD(ui_post_list, ui_post);
TAILQ_HEAD(ui_grant_list, ui_grant);

static struct netchild		*ui_nc;
static struct session_list	 sessions = TAILQ_HEAD_INITIALIZER(sessions);
static struct sse_list		 sse_clients =
				    TAILQ_HEAD_INITIALIZER(sse_clients);
static struct ui_req_list	 ui_reqs = TAILQ_HEAD_INITIALIZER(ui_reqs);
static struct decision_list	 recent = TAILQ_HEAD_INITIALIZER(recent);
static struct ui_post_list	 ui_posts = TAILQ_HEAD_INITIALIZER(ui_posts);
static struct ui_grant_list	 ui_grants = TAILQ_HEAD_INITIALIZER(ui_grants);
static unsigned int		 nsessions, nrecent, nsse, nposts;
static uint32_t			 post_num;
static char			 ui_user[64] = "operator";	/* shown */
static struct event		 ev_heartbeat;

RB_HEAD(ui_conn_tree, ui_conn);
static struct ui_conn_tree	 ui_conns = RB_INITIALIZER(&ui_conns);
static TAILQ_HEAD(, ui_conn)	 ui_hookq = TAILQ_HEAD_INITIALIZER(ui_hookq);
static TAILQ_HEAD(, ui_conn)	 ui_waitq = TAILQ_HEAD_INITIALIZER(ui_waitq);
static struct event		*ui_hook_ev;
static unsigned int		 nconns;
static int			 conns_capped;	/* at the limit, logged once */

static void	 ui_gencb(struct evhttp_request *, void *);
static struct bufferevent *ui_bevcb(struct event_base *, void *);
static void	 ui_hook(int, short, void *);
static void	 sessions_sweep(int64_t);
static void	 sse_broadcast(const char *, json_t *);
static void	 sse_drop(struct sse_client *);
static void	 reply_json(struct evhttp_request *, int, json_t *);
static void	 reply_page(struct evhttp_request *, int, const char *,
		    const char *);

/* RFC 3339 in UTC with milliseconds, as Go's time marshals. */
static void
rfc3339(char *buf, size_t len, int64_t ms)
{
	struct tm	 tm;
	time_t		 t = ms / 1000;
	char		 base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
}

static void
heartbeat(int fd, short event, void *arg)
{
	struct timeval	 tv = { SSE_HEARTBEAT_S, 0 };
	json_t		*o;
	char		 now[40];

	sessions_sweep(now_ms());
	rfc3339(now, sizeof(now), now_ms());
	o = json_pack("{s:s}", "time", now);
	sse_broadcast("heartbeat", o);
	json_decref(o);
	evtimer_add(&ev_heartbeat, &tv);
}

void
ui_init(struct netchild *nc)
{
	struct timeval	 tv = { SSE_HEARTBEAT_S, 0 };

	ui_nc = nc;
	if ((ui_hook_ev = event_new(nc->base, -1, 0, ui_hook, NULL)) == NULL)
		fatalx("event_new");
	evhttp_set_bevcb(nc->http, ui_bevcb, nc);
	evhttp_set_gencb(nc->http, ui_gencb, nc);
	evtimer_set(&ev_heartbeat, heartbeat, NULL);
	evtimer_add(&ev_heartbeat, &tv);
}

/*
 * Before the sandbox: who the operator is, to show on the page.  The
 * audit record's name comes from the parent, never from here.
 */
void
ui_presandbox(void)
{
	struct passwd	*pw;

	if ((pw = getpwuid(getuid())) != NULL)
		strlcpy(ui_user, pw->pw_name, sizeof(ui_user));
}

const struct asset *
www_find(const char *path)
{
	const struct asset	*a;

	for (a = www_assets; a->path != NULL; a++)
		if (strcmp(a->path, path) == 0)
			return (a);
	return (NULL);
}

/* JSON views of the state. */

/* The manual_approve pattern that matched, or null: the default. */
static json_t *
rule_json(const struct ui_req *ur)
{
	if (*ur->pattern == '\0')
		return (json_null());
	return (json_pack("{s:s, s:s, s:s, s:i}", "kind", "manual_approve",
	    "pattern", ur->pattern, "file", ur->rule_file, "line",
	    (json_int_t)ur->rule_line));
}

/* The program's flags as a list: "worktree,git" is ["worktree","git"]. */
static json_t *
flags_json(const char *flags)
{
	json_t		*a;
	const char	*p, *q;

	if ((a = json_array()) == NULL)
		return (NULL);
	for (p = flags; *p != '\0'; p = *q != '\0' ? q + 1 : q) {
		q = p + strcspn(p, ",");
		if (q > p && json_array_append_new(a,
		    json_stringn(p, q - p)) == -1) {
			json_decref(a);
			return (NULL);
		}
	}
	return (a);
}

static json_t *
req_json(const struct ui_req *ur)
{
	char	 ts[40], ex[40];

	rfc3339(ts, sizeof(ts), ur->timestamp);
	rfc3339(ex, sizeof(ex), ur->expires);
	return (json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, "
	    "s:s, s:s, s:o}",
	    "id", ur->id, "cloister", ur->cloister, "project", ur->project,
	    "cmd", ur->cmd, "cwd", ur->cwd, "timestamp", ts, "expires", ex,
	    "why", ur->why, "rule", rule_json(ur), "program", ur->program,
	    "program_note", ur->program_note, "program_flags",
	    flags_json(ur->program_flags)));
}

static json_t *
decision_json(const struct decision *d)
{
	json_t	*o;
	char	 t[40];

	rfc3339(t, sizeof(t), d->time);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "id", d->req->id, "cloister", d->req->cloister, "project",
	    d->req->project, "cmd", d->req->cmd, "outcome", d->outcome,
	    "user", d->user, "time", t);
	if (o != NULL && d->finished) {
		json_object_set_new(o, "exit", json_pack("{s:s, s:i, s:i}",
		    "kind", d->kind == EXIT_EXITED ? "exited" :
		    d->kind == EXIT_SIGNALED ? "signaled" :
		    d->kind == EXIT_TIMEDOUT ? "timed out" : "killed",
		    "code", (json_int_t)d->code,
		    "duration_ms", (json_int_t)d->duration));
	}
	return (o);
}

static json_t *
pending_json(void)
{
	struct ui_req	*ur;
	json_t		*a;

	a = json_array();
	TAILQ_FOREACH(ur, &ui_reqs, entry)
		json_array_append_new(a, req_json(ur));
	return (a);
}

static json_t *
grant_json(const struct ui_grant *ug)
{
	char	 ex[40];

	rfc3339(ex, sizeof(ex), ug->expires);
	return (json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id", ug->id,
	    "decision", ug->decision, "cloister", ug->cloister, "folder",
	    ug->folder, "command", ug->cmd, "expires", ex, "uses",
	    (json_int_t)ug->uses));
}

static json_t *
grants_json(void)
{
	struct ui_grant	*ug;
	json_t		*a;

	a = json_array();
	TAILQ_FOREACH(ug, &ui_grants, entry)
		json_array_append_new(a, grant_json(ug));
	return (a);
}

static json_t *
state_json(void)
{
	struct decision	*d;
	json_t		*a;

	a = json_array();
	TAILQ_FOREACH(d, &recent, entry)
		json_array_append_new(a, decision_json(d));
	return (json_pack("{s:o, s:o, s:o}", "requests", pending_json(),
	    "recent", a, "grants", grants_json()));
}

/* Messages from the parent. */

static void
ui_req_free(struct ui_req *ur)
{
	if (ur == NULL)
		return;
	free(ur->id);
	free(ur->cloister);
	free(ur->project);
	free(ur->cmd);
	free(ur->cwd);
	free(ur->why);
	free(ur->pattern);
	free(ur->rule_file);
	free(ur->program);
	free(ur->program_note);
	free(ur->program_flags);
	free(ur);
}

static void
decision_free(struct decision *d)
{
	ui_req_free(d->req);
	free(d->outcome);
	free(d->user);
	free(d);
}

static void
ui_added(void *arg, struct imsg *imsg)
{
	struct msg_ui_added	 m;
	struct ui_req		*ur;
	json_t			*o;

	if (msg_ui_added_dec(imsg, &m) == -1)
		fatalx("bad request-added message");
	if ((ur = calloc(1, sizeof(*ur))) == NULL)
		fatal(NULL);
	ur->id = m.id;
	ur->cloister = m.cloister;
	ur->project = m.project;
	ur->cmd = m.cmd;
	ur->cwd = m.cwd;
	ur->timestamp = m.timestamp;
	ur->expires = m.expires;
	ur->why = m.why;
	ur->pattern = m.pattern;
	ur->rule_file = m.rule_file;
	ur->rule_line = m.rule_line;
	ur->program = m.program;
	ur->program_note = m.program_note;
	ur->program_flags = m.program_flags;
	TAILQ_INSERT_TAIL(&ui_reqs, ur, entry);
	o = req_json(ur);
	sse_broadcast("request-added", o);
	json_decref(o);
	testhook_ui_added(&ui_nc->iev, ur->id);
}

static void
ui_removed(void *arg, struct imsg *imsg)
{
	struct msg_ui_removed	 m;
	struct ui_req		*ur;
	struct decision		*d;
	char			*id, *outcome, *user;
	json_t			*o;

	if (msg_ui_removed_dec(imsg, &m) == -1)
		fatalx("bad request-removed message");
	id = m.id;
	outcome = m.outcome;
	user = m.user;
	TAILQ_FOREACH(ur, &ui_reqs, entry)
		if (strcmp(ur->id, id) == 0)
			break;
	if (ur == NULL) {
		free(id);
		free(outcome);
		free(user);
		return;
	}
	TAILQ_REMOVE(&ui_reqs, ur, entry);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		fatal(NULL);
	d->req = ur;
	d->outcome = outcome;
	d->user = user;
	d->time = now_ms();
	TAILQ_INSERT_HEAD(&recent, d, entry);
	if (++nrecent > RECENT_MAX) {
		struct decision	*old = TAILQ_LAST(&recent, decision_list);

		TAILQ_REMOVE(&recent, old, entry);
		decision_free(old);
		nrecent--;
	}
	o = json_pack("{s:s, s:s, s:o}", "id", id, "outcome", outcome,
	    "decision", decision_json(d));
	sse_broadcast("request-removed", o);
	json_decref(o);
	free(id);
}

static void
ui_grant_free(struct ui_grant *ug)
{
	free(ug->id);
	free(ug->decision);
	free(ug->cloister);
	free(ug->folder);
	free(ug->cmd);
	free(ug);
}

static struct ui_grant *
ui_grant_find(const char *id)
{
	struct ui_grant	*ug;

	TAILQ_FOREACH(ug, &ui_grants, entry)
		if (strcmp(ug->id, id) == 0)
			return (ug);
	return (NULL);
}

/* A grant made, or used: "grant" with the whole of it either way. */
static void
ui_grant(void *arg, struct imsg *imsg)
{
	struct msg_ui_grant	 m;
	struct ui_grant		*ug, *old;
	json_t			*o;

	if (msg_ui_grant_dec(imsg, &m) == -1)
		fatalx("bad grant message");
	if ((ug = calloc(1, sizeof(*ug))) == NULL)
		fatal(NULL);
	ug->id = m.id;
	ug->decision = m.decision;
	ug->cloister = m.cloister;
	ug->folder = m.folder;
	ug->cmd = m.cmd;
	ug->expires = m.expires;
	ug->uses = m.uses;
	if ((old = ui_grant_find(ug->id)) != NULL) {
		TAILQ_INSERT_AFTER(&ui_grants, old, ug, entry);
		TAILQ_REMOVE(&ui_grants, old, entry);
		ui_grant_free(old);
	} else
		TAILQ_INSERT_TAIL(&ui_grants, ug, entry);
	o = grant_json(ug);
	sse_broadcast("grant", o);
	json_decref(o);
}

static void
ui_grant_end(void *arg, struct imsg *imsg)
{
	struct msg_ui_grant_end	 m;
	struct ui_grant		*ug;
	char			*id, *why;
	json_t			*o;

	if (msg_ui_grant_end_dec(imsg, &m) == -1)
		fatalx("bad grant-end message");
	id = m.id;
	why = m.why;
	if ((ug = ui_grant_find(id)) != NULL) {
		TAILQ_REMOVE(&ui_grants, ug, entry);
		ui_grant_free(ug);
		o = json_pack("{s:s, s:s}", "id", id, "why", why);
		sse_broadcast("grant-removed", o);
		json_decref(o);
	}
	free(id);
	free(why);
}

static void
ui_finished(void *arg, struct imsg *imsg)
{
	struct msg_ui_finished	 m;
	struct decision		*d;
	json_t			*o;

	if (msg_ui_finished_dec(imsg, &m) == -1)
		fatalx("bad request-finished message");
	TAILQ_FOREACH(d, &recent, entry)
		if (strcmp(d->req->id, m.id) == 0)
			break;
	free(m.id);
	if (d == NULL)
		return;
	d->finished = 1;
	d->kind = m.kind;
	d->code = m.code;
	d->duration = m.duration;
	o = decision_json(d);
	sse_broadcast("request-finished", o);
	json_decref(o);
}

static void
session_free(struct session *s)
{
	TAILQ_REMOVE(&sessions, s, entry);
	nsessions--;
	explicit_bzero(s, sizeof(*s));
	free(s);
}

/* Gone here, and the parent is told, so a restart does not bring it back. */
static void
session_end(struct session *s)
{
	struct msg_ui_secret	 m;
	struct imsg_enc		 enc;

	m.secret = s->id;
	msg_ui_secret_enc(&enc, &m);
	if (imsgev_compose_enc(&ui_nc->iev, IMSG_UI_SESSION_END, 0, -1,
	    &enc) == -1)
		fatal("compose");
	session_free(s);
	imsgev_update(&ui_nc->iev);
}

/*
 * Past their end: gone quietly, the parent drops them too.  Unused
 * for too long: ended.
 */
static void
sessions_sweep(int64_t now)
{
	struct session	*s, *t;

	TAILQ_FOREACH_SAFE(s, &sessions, entry, t) {
		if (now >= s->expires) {
			log_info("approval UI: session %u expired", s->num);
			session_free(s);
		} else if (now - s->last > SESSION_IDLE_MS) {
			log_info("approval UI: session %u closed, unused "
			    "for too long", s->num);
			session_end(s);
		}
	}
}

static struct session *
session_new(const char *id, const char *csrf, unsigned int num,
    int64_t expires, int64_t now)
{
	struct session	*s;

	if (nsessions >= SESSIONS_MAX)
		session_free(TAILQ_FIRST(&sessions));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal(NULL);
	memcpy(s->id, id, UI_SECRET_LEN);
	memcpy(s->csrf, csrf, UI_SECRET_LEN);
	s->num = num;
	s->last = now;
	s->expires = expires;
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	nsessions++;
	return (s);
}

/* The login or decision the parent answers, off the list; or NULL. */
static struct ui_post *
post_take(uint32_t num, int login)
{
	struct ui_post	*p;

	TAILQ_FOREACH(p, &ui_posts, entry)
		if (p->num == num)
			break;
	if (p == NULL)
		return (NULL);
	if (p->login != login)
		fatalx("answer of the wrong kind from the parent");
	TAILQ_REMOVE(&ui_posts, p, entry);
	nposts--;
	if (p->req != NULL)
		p->uc->post = NULL;
	return (p);
}

static void
login_refused(struct evhttp_request *req)
{
	reply_page(req, 403, "Login link not valid",
	    "<p>This login link is unknown, used already, or "
	    "expired.  Get a new one on the host with</p>"
	    "<pre>guardianctl ui</pre>");
}

/*
 * A session from the parent: one kept from the last run (peerid 0,
 * before IMSG_START), or the answer to a login (its number): the
 * browser that presented the link gets the cookie.
 */
static void
ui_session(void *arg, struct imsg *imsg)
{
	struct msg_ui_session	 m;
	struct evkeyvalq	*h;
	struct ui_post		*p = NULL;
	struct session		*s = NULL;
	char			 cookie[160];
	int64_t			 expires, now = now_ms();

	if (msg_ui_session_dec(imsg, &m) == -1)
		fatalx("bad session message");
	expires = m.expires;
	if (uisession_invalid(m.id, m.csrf, m.num, expires, now) != NULL)
		fatalx("bad session message");
	TAILQ_FOREACH(s, &sessions, entry)
		if (strcmp(s->id, m.id) == 0)
			fatalx("duplicate session message");
	if (imsg->hdr.peerid != 0)
		p = post_take(imsg->hdr.peerid, 1);
	if (expires > now)
		s = session_new(m.id, m.csrf, m.num, expires, now);
	msg_ui_session_clear(&m);
	if (imsg->hdr.peerid == 0)
		return;
	if (p == NULL || p->req == NULL || s == NULL) {
		/* The browser left: nobody will ever hold this cookie. */
		if (s != NULL)
			session_end(s);
		free(p);
		return;
	}
	h = evhttp_request_get_output_headers(p->req);
	snprintf(cookie, sizeof(cookie), SESSION_COOKIE "=%s; Path=/; "
	    "HttpOnly; SameSite=Strict", s->id);
	evhttp_add_header(h, "Set-Cookie", cookie);
	evhttp_add_header(h, "Location", "/");
	http_reply(p->req, 303, "text/plain", "", 0);
	explicit_bzero(cookie, sizeof(cookie));
	free(p);
}

static void
ui_login_failed(void *arg, struct imsg *imsg)
{
	struct ui_post	*p;

	if ((p = post_take(imsg->hdr.peerid, 1)) == NULL)
		return;
	if (p->req != NULL)
		login_refused(p->req);
	free(p);
}

static void
ui_decided(void *arg, struct imsg *imsg)
{
	struct msg_ui_decided	 m;
	struct ui_post		*p;
	struct session		*s;
	char			*id, *status;
	uint32_t		 code;

	if (msg_ui_decided_dec(imsg, &m) == -1)
		fatalx("bad decided message");
	code = m.code;
	id = m.id;
	status = m.status;
	if ((p = post_take(imsg->hdr.peerid, 0)) != NULL) {
		/* Not live for the parent: not here either. */
		if (code == 403) {
			TAILQ_FOREACH(s, &sessions, entry)
				if (strcmp(s->id, p->sid) == 0)
					break;
			if (s != NULL) {
				log_info("approval UI: session %u refused by "
				    "the parent", s->num);
				session_free(s);
			}
		}
		if (p->req != NULL && code == 200)
			reply_json(p->req, 200, json_pack("{s:s, s:s}",
			    "status", status, "id", id));
		else if (p->req != NULL && code == 403)
			http_error(p->req, 403, "no live session: log in "
			    "again");
		else if (p->req != NULL && code == 409 &&
		    utf8_valid(status, strlen(status)))
			reply_json(p->req, 409, json_pack("{s:s, s:s}",
			    "status", "error", "reason", status));
		else if (p->req != NULL && code == 409)
			http_error(p->req, 409, "refused");
		else if (p->req != NULL)
			http_error(p->req, 404, strcmp(status, "no such grant")
			    == 0 ? status : "no such pending request");
		explicit_bzero(p->sid, sizeof(p->sid));
		free(p);
	}
	free(id);
	free(status);
}

/*
 * What the parent may send the ui child besides what every network
 * child takes (netchild.c).
 */
static const struct msg_handler ui_handlers[] = {
	{ IMSG_UI_ADDED,	"request-added",	0,	ui_added },
	{ IMSG_UI_REMOVED,	"request-removed",	0,	ui_removed },
	{ IMSG_UI_FINISHED,	"request-finished",	0,	ui_finished },
	{ IMSG_UI_GRANT,	"grant",		0,	ui_grant },
	{ IMSG_UI_GRANT_END,	"grant-end",		0,	ui_grant_end },
	{ IMSG_UI_DECIDED,	"decided",		0,	ui_decided },
	{ IMSG_UI_SESSION,	"session",		0,	ui_session },
	{ IMSG_UI_LOGIN_FAILED,	"login-failed",	MSG_EMPTY, ui_login_failed },
	{ IMSG_NONE }
};

void
ui_dispatch_imsg(struct netchild *nc, struct imsg *imsg)
{
	const struct msg_handler	*h;
	uint64_t			 seen = 0;

	if ((h = msg_handler(ui_handlers, imsg->hdr.type)) == NULL)
		fatalx("unexpected message type %u from parent",
		    imsg->hdr.type);
	if (msg_refused(h, imsg, &seen) != NULL)
		fatalx("bad %s message", h->name);
	h->fn(nc, imsg);
}

/* HTTP plumbing. */

static void
sec_headers(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy", UI_CSP);
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
}

static void
reply_json(struct evhttp_request *req, int code, json_t *o)
{
	char	*js;

	if (o == NULL || (js = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		http_error(req, 500, "out of memory");
		return;
	}
	http_reply(req, code, "application/json", js, strlen(js));
	free(js);
	json_decref(o);
}

static void
reply_page(struct evhttp_request *req, int code, const char *title,
    const char *text)
{
	char	 buf[2048];
	int	 n;

	n = snprintf(buf, sizeof(buf), "<!DOCTYPE html>\n<html lang=\"en\">"
	    "<head><meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">"
	    "<title>guardiand: %s</title>"
	    "<link rel=\"stylesheet\" href=\"/app.css\"></head>"
	    "<body><main class=\"notice\"><h1>%s</h1>%s</main></body>"
	    "</html>\n", title, title, text);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	http_reply(req, code, "text/html; charset=utf-8", buf, n);
}

/* DNS rebinding: see ui_host_ok(). */
static int
host_ok(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent	*bev;
	struct sockaddr_storage	 ss;
	socklen_t		 slen = sizeof(ss);
	int			 fd;

	if (conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(conn)) == NULL ||
	    (fd = bufferevent_getfd(bev)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &slen) == -1)
		return (0);
	return (ui_host_ok(evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Host"),
	    (struct sockaddr *)&ss));
}

/* The session named by the cookie, if any and still alive. */
static struct session *
session_get(struct evhttp_request *req)
{
	struct session	*s;
	char		 id[UI_SECRET_LEN + 1];
	int64_t		 now = now_ms();

	sessions_sweep(now);
	if (!ui_cookie_session(evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Cookie"), id))
		return (NULL);
	TAILQ_FOREACH(s, &sessions, entry) {
		if (ui_secret_eq(s->id, id)) {
			s->last = now;
			return (s);
		}
	}
	return (NULL);
}

/* A browser's request that waits for the parent's answer; or NULL. */
static struct ui_post *
post_new(struct ui_conn *uc, struct evhttp_request *req, int login)
{
	struct ui_post	*p;

	if (nposts >= POSTS_MAX) {
		http_error(req, 503, "busy");
		return (NULL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		http_error(req, 500, "out of memory");
		return (NULL);
	}
	/* 0 is no request's: the parent's sessions kept from the last run. */
	if (++post_num == 0)
		post_num = 1;
	p->num = post_num;
	p->login = login;
	p->req = req;
	p->uc = uc;
	uc->post = p;
	TAILQ_INSERT_TAIL(&ui_posts, p, entry);
	nposts++;
	return (p);
}

/*
 * A login link: the secret goes to the parent, which alone knows the
 * live ones and opens the session (ui_session() sets the cookie).
 * What cannot be a secret is refused here, without asking.
 */
static void
ui_login(struct ui_conn *uc, struct evhttp_request *req,
    const struct evhttp_uri *uri)
{
	struct msg_ui_secret	 m;
	struct ui_post		*p;
	struct imsg_enc		 enc;
	char			 token[UI_SECRET_LEN + 1];

	if (!ui_login_secret(evhttp_uri_get_query(uri), token))
		login_refused(req);
	else if ((p = post_new(uc, req, 1)) != NULL) {
		m.secret = token;
		msg_ui_secret_enc(&enc, &m);
		if (imsgev_compose_enc(&ui_nc->iev, IMSG_UI_LOGIN, p->num, -1,
		    &enc) == -1)
			fatal("compose");
		imsgev_update(&ui_nc->iev);
	}
	explicit_bzero(token, sizeof(token));
}

static void
ui_static(struct evhttp_request *req, const char *path)
{
	const struct asset	*a;

	if ((a = www_find(path)) == NULL) {
		http_error(req, HTTP_NOTFOUND, "not found");
		return;
	}
	http_reply(req, HTTP_OK, a->type, (const char *)a->data, a->len);
}

/*
 * Its connection is gone.  When the client closed it, evhttp let go of
 * the request (an answer not finished is the caller's to free); when
 * we close it, evhttp_connection_free() frees the request after this.
 */
static void
sse_closed(struct sse_client *c)
{
	if (evhttp_request_get_connection(c->req) == NULL)
		evhttp_request_free(c->req);
	c->uc->sse = NULL;
	TAILQ_REMOVE(&sse_clients, c, entry);
	nsse--;
	free(c);
}

static void
sse_drop(struct sse_client *c)
{
	struct evhttp_connection *conn = c->conn;

	sse_closed(c);
	evhttp_connection_free(conn);	/* ui_conn_closed() */
}

/*
 * An event as it goes on the wire, made once and shared: its text in
 * an HTTP/1.1 chunk, which an HTTP/1.0 stream sends without the chunk
 * size before it and the CRLF after it.  Every client's output that
 * keeps some of it holds a reference, not a copy, and the last one to
 * have sent it frees it.
 */
struct sse_event {
	unsigned int	 refs;
	size_t		 len;		/* all of text */
	size_t		 hdr;		/* the chunk size line */
	char		 text[];
};

static void
sse_event_unref(const void *data, size_t len, void *arg)
{
	struct sse_event	*ev = arg;

	if (--ev->refs == 0)
		free(ev);
}

static struct sse_event *
sse_event_new(const char *event, const char *data)
{
	struct sse_event	*ev;
	size_t			 len;
	int			 hdr;

	len = strlen("event: \ndata: \n\n") + strlen(event) + strlen(data);
	/* At most 16 hex digits, CRLF, the event, CRLF, NUL. */
	if ((ev = malloc(sizeof(*ev) + 18 + len + 3)) == NULL)
		return (NULL);
	ev->refs = 1;
	hdr = snprintf(ev->text, 19, "%zx\r\n", len);
	ev->hdr = hdr;
	ev->len = hdr + snprintf(ev->text + hdr, len + 3,
	    "event: %s\ndata: %s\n\n\r\n", event, data);
	return (ev);
}

/*
 * Send ev on c's stream; -1 if the stream is broken (or has no room),
 * to be dropped.  With nothing of c's output waiting, which is the
 * rule, the event goes straight to the socket: one writev(2), where
 * the bufferevent would take a write event, its epoll_ctl(2) calls and
 * three buffer chains, for each of thousands of pages at once.  What
 * the socket does not take goes to the bufferevent by reference, after
 * anything already there, and the bufferevent writes it out (the
 * stream has EV_WRITE enabled since evhttp_send_reply_start()); bytes
 * never overtake each other.
 */
static int
sse_write(struct sse_client *c, struct sse_event *ev)
{
	struct bufferevent	*bev;
	struct evbuffer		*out;
	struct iovec		 iov;
	const char		*p = ev->text;
	size_t			 len = ev->len;
	ssize_t			 n = 0;

	if (c->framing == SSE_NOBODY)
		return (0);
	if (c->framing == SSE_RAW) {
		p += ev->hdr;
		len -= ev->hdr + 2;
	}
	if ((bev = evhttp_connection_get_bufferevent(c->conn)) == NULL)
		return (-1);
	out = bufferevent_get_output(bev);
	if (evbuffer_get_length(out) > SSE_BUFFERED_MAX) {
		log_info("approval UI: dropping an event stream client that "
		    "does not read");
		return (-1);
	}
	if (evbuffer_get_length(out) == 0) {
		iov.iov_base = (void *)p;
		iov.iov_len = len;
		if ((n = writev(bufferevent_getfd(bev), &iov, 1)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				log_debug("approval UI: event stream: %s",
				    strerror(errno));
				return (-1);
			}
			n = 0;
		}
		if ((size_t)n == len)
			return (0);
	}
	ev->refs++;
	if (evbuffer_add_reference(out, p + n, len - n, sse_event_unref,
	    ev) == -1) {
		/* Half an event on the wire, or none: either way, gone. */
		ev->refs--;
		return (-1);
	}
	return (0);
}

/*
 * One encoding for everybody; a client whose unsent output is already
 * above the mark does not read: it is dropped, not buffered for.
 */
static void
sse_broadcast(const char *event, json_t *o)
{
	struct sse_client	*c, *t;
	struct sse_event	*ev;
	char			*js;

	if (o == NULL || TAILQ_EMPTY(&sse_clients))
		return;
	if ((js = json_dumps(o, JSON_COMPACT)) == NULL)
		return;
	ev = sse_event_new(event, js);
	free(js);
	if (ev == NULL)
		return;
	TAILQ_FOREACH_SAFE(c, &sse_clients, entry, t)
		if (sse_write(c, ev) == -1)
			sse_drop(c);
	sse_event_unref(NULL, 0, ev);
}

/*
 * A page's stream.  Once its headers are on their way, it costs what
 * evhttp keeps of a connection and a request, and no more: its headers
 * go (a stream never ends with the keep-alive choice that would read
 * them again), its output is empty but for events a slow reader has
 * not taken yet.
 */
static void
ui_events(struct ui_conn *uc, struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct sse_client	*c;
	struct sse_event	*ev = NULL;
	struct bufferevent	*bev;
	json_t			*o;
	char			*js;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		http_error(req, 500, "out of memory");
		return;
	}
	c->req = req;
	c->conn = uc->evcon;
	c->uc = uc;
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply_start(req, 200, "OK");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD)
		c->framing = SSE_NOBODY;
	else if (evhttp_find_header(h, "Transfer-Encoding") == NULL)
		c->framing = SSE_RAW;
	else
		c->framing = SSE_CHUNKED;
	evhttp_clear_headers(h);
	evhttp_clear_headers(evhttp_request_get_input_headers(req));
	/*
	 * No deadline (evhttp gives each connection read_timeout to read
	 * and to write): a stream's reads only watch for the close, and a
	 * page that does not take its events is dropped at
	 * SSE_BUFFERED_MAX.  Events written straight to the socket would
	 * not push a deadline back as evhttp's writes did.
	 */
	if ((bev = evhttp_connection_get_bufferevent(uc->evcon)) != NULL)
		bufferevent_set_timeouts(bev, NULL, NULL);
	uc->sse = c;
	TAILQ_INSERT_TAIL(&sse_clients, c, entry);
	nsse++;
	o = state_json();
	if (o != NULL && (js = json_dumps(o, JSON_COMPACT)) != NULL) {
		ev = sse_event_new("state", js);
		free(js);
	}
	json_decref(o);
	/*
	 * Behind the headers, so by reference: it can only want memory, and
	 * then the page goes without (the next event it hears of is whole).
	 */
	if (ev == NULL || sse_write(c, ev) == -1)
		log_warnx("approval UI: an event stream without its state");
	if (ev != NULL)
		sse_event_unref(NULL, 0, ev);
}

static const char *
post_check(struct evhttp_request *req, struct session *s)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);

	return (ui_post_check(evhttp_find_header(in, "Host"),
	    evhttp_find_header(in, "Origin"),
	    evhttp_find_header(in, "Sec-Fetch-Site"),
	    evhttp_find_header(in, "X-CSRF-Token"), s->csrf));
}

static void
ui_decide(struct ui_conn *uc, struct evhttp_request *req, struct session *s,
    const char *id, int approve)
{
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	struct msg_ui_decision	 m;
	struct imsg_enc		 enc;
	struct ui_post		*p;
	json_t			*o;
	const char		*why, *reason;
	size_t			 len;
	uint32_t		 secs;
	int			 code, always;

	if ((why = post_check(req, s)) != NULL) {
		http_error(req, 403, why);
		return;
	}
	if (!ui_request_id(id)) {
		http_error(req, 404, "no such pending request");
		return;
	}
	len = evbuffer_get_length(body);
	if ((code = ui_decide_body(len > 0 && len <= UI_BODY_MAX ?
	    (const char *)evbuffer_pullup(body, len) : "", len, &o, &reason,
	    &why)) != 0) {
		http_error(req, code, why);
		return;
	}
	if ((code = ui_decide_scope(o, approve, &secs, &always, &why)) != 0) {
		json_decref(o);
		http_error(req, code, why);
		return;
	}
	if ((p = post_new(uc, req, 0)) == NULL) {
		json_decref(o);
		return;
	}
	/* The parent names the user from its own record of the session. */
	memcpy(p->sid, s->id, sizeof(p->sid));
	m.approve = approve;
	m.id = (char *)id;
	m.session = s->id;
	m.seconds = secs;
	m.always = always;
	m.reason = (char *)reason;
	msg_ui_decision_enc(&enc, &m);
	if (imsgev_compose_enc(&ui_nc->iev, approve ? IMSG_UI_APPROVE :
	    IMSG_UI_DENY, p->num, -1, &enc) == -1)
		fatal("compose");
	imsgev_update(&ui_nc->iev);
	json_decref(o);
}

/* POST /revoke/ID: a grant ends, checked like a decision. */
static void
ui_revoke(struct ui_conn *uc, struct evhttp_request *req, struct session *s,
    const char *id)
{
	struct msg_ui_revoke	 m;
	struct imsg_enc		 enc;
	struct ui_post		*p;
	const char		*why;

	if ((why = post_check(req, s)) != NULL) {
		http_error(req, 403, why);
		return;
	}
	if (!ui_request_id(id)) {
		http_error(req, 404, "no such grant");
		return;
	}
	if ((p = post_new(uc, req, 0)) == NULL)
		return;
	memcpy(p->sid, s->id, sizeof(p->sid));
	m.id = (char *)id;
	m.session = s->id;
	msg_ui_revoke_enc(&enc, &m);
	if (imsgev_compose_enc(&ui_nc->iev, IMSG_UI_REVOKE, p->num, -1,
	    &enc) == -1)
		fatal("compose");
	imsgev_update(&ui_nc->iev);
}

/* Connections. */

static int
ui_conn_cmp(struct ui_conn *a, struct ui_conn *b)
{
	uintptr_t	 x = (uintptr_t)a->evcon, y = (uintptr_t)b->evcon;

	return (x < y ? -1 : x > y);
}

RB_GENERATE_STATIC(ui_conn_tree, ui_conn, entry, ui_conn_cmp)

static struct ui_conn *
ui_conn_find(struct evhttp_connection *evcon)
{
	struct ui_conn	 key;

	if (evcon == NULL)
		return (NULL);
	key.evcon = evcon;
	return (RB_FIND(ui_conn_tree, &ui_conns, &key));
}

/* Its request is read (or it is gone): no deadline, not to be taken. */
static void
ui_conn_deadline_del(struct ui_conn *uc)
{
	event_del(&uc->deadline);
	if (uc->waiting)
		TAILQ_REMOVE(&ui_waitq, uc, waitq);
	uc->waiting = 0;
}

static void
ui_conn_deadline_set(struct ui_conn *uc)
{
	struct timeval	 tv;
	uint64_t	 ms = ui_nc->settings.read_timeout;

	ui_conn_deadline_del(uc);
	TAILQ_INSERT_TAIL(&ui_waitq, uc, waitq);
	uc->waiting = 1;
	if (ms == 0)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&uc->deadline, &tv);
}

static void
ui_conn_deadline(int fd, short event, void *arg)
{
	struct ui_conn	*uc = arg;

	log_debug("approval UI: %s: no request in time", uc->peer != NULL ?
	    uc->peer->key : "?");
	evhttp_connection_free(uc->evcon);	/* ui_conn_closed() */
}

/* An answer went out: the next request has its time from now. */
static void
ui_conn_complete(struct evhttp_request *req, void *arg)
{
	ui_conn_deadline_set(arg);
}

/*
 * evhttp asks for the bufferevent of each connection it accepts, the
 * one moment we learn of one; the rest waits until evhttp has set the
 * connection up (ui_hook(), before the loop polls again), as in
 * request.c.
 */
static struct bufferevent *
ui_bevcb(struct event_base *base, void *arg)
{
	struct ui_conn	*uc;

	if ((uc = calloc(1, sizeof(*uc))) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	if ((uc->bev = bufferevent_socket_new(base, -1, 0)) == NULL) {
		log_warnx("bufferevent_socket_new failed");
		free(uc);
		return (NULL);
	}
	bufferevent_incref(uc->bev);
	evtimer_assign(&uc->deadline, base, ui_conn_deadline, uc);
	nconns++;
	if (TAILQ_EMPTY(&ui_hookq))
		event_active(ui_hook_ev, EV_TIMEOUT, 1);
	TAILQ_INSERT_TAIL(&ui_hookq, uc, hookq);
	return (uc->bev);
}

static void
ui_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct ui_conn	*uc = arg;

	if (uc->sse != NULL)
		sse_closed(uc->sse);
	if (uc->post != NULL)
		uc->post->req = NULL;
	ui_conn_deadline_del(uc);
	RB_REMOVE(ui_conn_tree, &ui_conns, uc);
	peer_give(uc->peer);
	nconns--;
	if (nconns <= ui_nc->settings.connections_max / 2)
		conns_capped = 0;
	free(uc);
}

/* 1 if nothing of a request came on uc yet, read or unread. */
static int
ui_conn_silent(struct ui_conn *uc)
{
	int	 n = 0;

	if (evbuffer_get_length(bufferevent_get_input(uc->bev)) != 0)
		return (0);
	return (ioctl(bufferevent_getfd(uc->bev), FIONREAD, &n) == 0 &&
	    n == 0);
}

/*
 * Make room by closing the connection that has waited longest for a
 * request, of peer p or (NULL) of anyone, one that has sent nothing
 * rather than one whose request is on its way (accepted in the same
 * breath as a flood, it may not have been read yet); 0, or -1 if none
 * is waiting.
 */
static int
ui_conn_evict(struct peer *p)
{
	struct ui_conn	*old, *any = NULL;

	TAILQ_FOREACH(old, &ui_waitq, waitq) {
		if (p != NULL && old->peer != p)
			continue;
		if (ui_conn_silent(old))
			break;
		if (any == NULL)
			any = old;
	}
	if (old == NULL && (old = any) == NULL)
		return (-1);
	evhttp_connection_free(old->evcon);	/* ui_conn_closed() */
	return (0);
}

/* Over a limit with nothing to give way: 1, to be closed at once. */
static int
ui_conn_over(struct ui_conn *uc)
{
	char	 key[PEER_KEY_LEN];
	uint32_t max = ui_nc->settings.connections_max;

	peer_key(evhttp_connection_get_addr(uc->evcon), key, sizeof(key));
	if ((uc->peer = peer_take(0, key)) == NULL)
		return (1);
	if (peer_over(uc->peer, ui_nc->settings.peer_max) &&
	    ui_conn_evict(uc->peer) == -1)
		return (1);
	if (max != 0 && nconns > max) {
		if (!conns_capped)
			log_warnx("approval UI: %u connections: each new "
			    "one takes the place of the oldest idle one "
			    "(first: %s)", max, key);
		conns_capped = 1;
		if (ui_conn_evict(NULL) == -1)
			return (1);
	}
	return (0);
}

static void
ui_conn_setup(struct ui_conn *uc)
{
	bufferevent_data_cb	 rcb;
	void			*evcon;

	bufferevent_getcb(uc->bev, &rcb, NULL, NULL, &evcon);
	bufferevent_decref(uc->bev);
	if (rcb == NULL || evcon == NULL) {
		/* evhttp failed to set it up and let it go. */
		nconns--;
		free(uc);
		return;
	}
	uc->evcon = evcon;
	RB_INSERT(ui_conn_tree, &ui_conns, uc);
	evhttp_connection_set_closecb(uc->evcon, ui_conn_closed, uc);
	if (ui_conn_over(uc)) {
		evhttp_connection_free(uc->evcon);
		return;
	}
	ui_conn_deadline_set(uc);
}

static void
ui_hook(int fd, short event, void *arg)
{
	struct ui_conn	*uc;

	while ((uc = TAILQ_FIRST(&ui_hookq)) != NULL) {
		TAILQ_REMOVE(&ui_hookq, uc, hookq);
		ui_conn_setup(uc);
	}
}

static void
ui_gencb(struct evhttp_request *req, void *arg)
{
	struct evhttp_uri	*uri;
	struct session		*s;
	struct ui_conn		*uc;
	const char		*path;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);

	sec_headers(req);
	if ((uc = ui_conn_find(evhttp_request_get_connection(req))) == NULL) {
		/* Not one of ours: we could not set it up. */
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		http_error(req, 503, "busy");
		return;
	}
	/* Read: its deadline is over until the answer is. */
	ui_conn_deadline_del(uc);
	evhttp_request_set_on_complete_cb(req, ui_conn_complete, uc);
	if (!host_ok(req)) {
		http_error(req, 403, "bad Host header");
		return;
	}
	if ((uri = evhttp_uri_parse(evhttp_request_get_uri(req))) == NULL ||
	    (path = evhttp_uri_get_path(uri)) == NULL) {
		if (uri != NULL)
			evhttp_uri_free(uri);
		http_error(req, HTTP_BADREQUEST, "bad request");
		return;
	}
	if (cmd == EVHTTP_REQ_POST) {
		if ((s = session_get(req)) == NULL)
			http_error(req, 401, "no session: run guardianctl ui "
			    "on the host for a login link");
		else if (strncmp(path, "/approve/", 9) == 0)
			ui_decide(uc, req, s, path + 9, 1);
		else if (strncmp(path, "/deny/", 6) == 0)
			ui_decide(uc, req, s, path + 6, 0);
		else if (strncmp(path, "/revoke/", 8) == 0)
			ui_revoke(uc, req, s, path + 8);
		else
			http_error(req, HTTP_NOTFOUND, "not found");
		evhttp_uri_free(uri);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		http_error(req, 405, "method not allowed");
		evhttp_uri_free(uri);
		return;
	}
	if (strcmp(path, "/login") == 0)
		ui_login(uc, req, uri);
	else if (strcmp(path, "/app.css") == 0 || strcmp(path, "/app.js") == 0)
		ui_static(req, path);
	else if ((s = session_get(req)) == NULL) {
		if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
			reply_page(req, 401, "Log in to approve requests",
			    "<p>The approval page needs a login.  On the "
			    "host, run</p><pre>guardianctl ui</pre><p>and "
			    "open the link it prints.  The link works once; "
			    "it sets a session cookie for this browser.</p>");
		else
			http_error(req, 401, "no session: run guardianctl ui "
			    "on the host for a login link");
	} else if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
		ui_static(req, "/index.html");
	else if (strcmp(path, "/pending") == 0)
		reply_json(req, 200, json_pack("{s:o, s:o}", "requests",
		    pending_json(), "grants", grants_json()));
	else if (strcmp(path, "/session") == 0)
		reply_json(req, 200, json_pack("{s:s, s:s}", "csrf", s->csrf,
		    "user", ui_user));
	else if (strcmp(path, "/events") == 0)
		ui_events(uc, req);
	else
		http_error(req, HTTP_NOTFOUND, "not found");
	evhttp_uri_free(uri);
}
