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
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event.h>
#include <evhttp.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <jansson.h>

#include "frame.h"
#include "guardiand.h"
#include "log.h"
#include "msg.h"
#include "netchild.h"
#include "request_priv.h"

/*
 * The container-facing role (DESIGN section 6.1): connections, the
 * HTTP requests on them and their JSON bodies.  Nothing here judges a
 * token or a command: a request is checked for form, then handed to
 * the parent, and request_run.c answers with what the parent says.
 *
 * libevent 2.1's evhttp has no hook for a new connection, no cap on
 * connections and no way to see a request before its body was read.
 * We give evhttp the bufferevent of each connection (evhttp_set_bevcb)
 * and, once evhttp has set the connection up, take hold of it: a close
 * callback, our own timers, and a callback on its input buffer that
 * sees every byte of a request head as it arrives, so a body over the
 * limit is refused with our JSON 413 before it is read.  What remains
 * to evhttp: a chunked body, whose size shows only as it arrives, and
 * a request pipelined behind another on one connection, whose head
 * comes in while we are busy, are refused over the limit by evhttp
 * itself, with its own 413 and an HTML body.
 */

#define LINGER_MS	1000	/* after a canned error, before closing */
#define WRITE_MAX	(1024 * 1024)	/* bytes per write(2) to a client */

RB_HEAD(conn_tree, conn);

static struct netchild	*rnc;
static struct conn_tree	 conns = RB_INITIALIZER(&conns);
static TAILQ_HEAD(, conn) hookq = TAILQ_HEAD_INITIALIZER(hookq);
static struct event	*hook_ev;
static unsigned int	 nconns;

/*
 * Connections are budgeted per door: the shared listeners (TCP and
 * the shared unix socket) have one budget, each cloister's own socket
 * another, so that a flood through one door does not close the others.
 * Within a door, connections that have not yet shown a valid token
 * meet random early drop, as with sshd's MaxStartups: once half the
 * door's limit of them are open, a new one is refused with a
 * probability of UNAUTH_RATE percent, rising linearly to all at the
 * limit (a burst of honest clients is not yet shown valid either, so
 * the drop starts late).  A failed login waits out its delay outside
 * the budget, in at most PENALTY_MAX connections (beyond that it is
 * answered at once).
 */
#define UNAUTH_RATE	30
#define PENALTY_MAX	4096

struct budget {
	RB_ENTRY(budget)	 entry;
	uint32_t		 door;
	unsigned int		 conns;
	unsigned int		 unauth;
	int			 capped;	/* refusing, logged once */
};
static unsigned int	 npenalty;
RB_HEAD(budget_tree, budget);
static struct budget_tree budgets = RB_INITIALIZER(&budgets);

static int
budget_cmp(struct budget *a, struct budget *b)
{
	return (a->door < b->door ? -1 : a->door > b->door);
}

RB_GENERATE_STATIC(budget_tree, budget, entry, budget_cmp)

static int
conn_cmp(struct conn *a, struct conn *b)
{
	uintptr_t	 x = (uintptr_t)a->evcon, y = (uintptr_t)b->evcon;

	return (x < y ? -1 : x > y);
}

RB_GENERATE_STATIC(conn_tree, conn, entry, conn_cmp)

static struct bufferevent *conn_bevcb(struct event_base *, void *);
static void	 conn_hook(int, short, void *);
static void	 conn_setup(struct conn *);
static void	 conn_closed(struct evhttp_connection *, void *);
static void	 conn_timer(int, short, void *);
static void	 conn_input(struct evbuffer *, const struct evbuffer_cb_info *,
		    void *);
static void	 conn_refuse(struct conn *, int, const char *);
static void	 conn_complete(struct evhttp_request *, void *);
static void	 request_gencb(struct evhttp_request *, void *);
static void	 request_exec(struct conn *, struct evhttp_request *, int);

void
request_init(struct netchild *nc)
{
	rnc = nc;
	/*
	 * Seeded here, jansson needs no /dev/urandom later: its hash
	 * seed would otherwise be read from there on first use.
	 */
	json_object_seed(arc4random() | 1);
#ifdef __GLIBC__
	/*
	 * Output streams through buffers of a few hundred KiB, allocated
	 * and freed at a high rate: keep them in the heap, and keep the
	 * heap, rather than have every one faulted in fresh.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
#endif
	if ((hook_ev = event_new(nc->base, -1, 0, conn_hook, NULL)) == NULL)
		fatalx("event_new");
	evhttp_set_bevcb(nc->http, conn_bevcb, nc);
	evhttp_set_gencb(nc->http, request_gencb, nc);
	/* Every method reaches us, so a wrong one gets our JSON 405. */
	evhttp_set_allowed_methods(nc->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
}

void
request_dispatch_imsg(struct netchild *nc, struct imsg *imsg)
{
	if (imsg->hdr.type == IMSG_REQ_KEEPALIVE) {
		if (imsg->hdr.len != IMSG_HDR_SIZE || imsg->fd != -1)
			fatalx("bad keep-alive message");
		rq_keepalive();
		return;
	}
	rq_dispatch(nc, imsg);
}

static struct timeval *
ms_tv(uint64_t ms, struct timeval *tv)
{
	if (ms == 0)
		return (NULL);
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
	return (tv);
}

/* Arm the connection's one timer; 0 ms means no limit. */
static void
conn_timer_set(struct conn *c, uint64_t ms)
{
	struct timeval	 tv;

	event_del(&c->timer);
	if (ms_tv(ms, &tv) != NULL)
		evtimer_add(&c->timer, &tv);
}

/*
 * Writing to a client that reads nothing at all is given up after the
 * idle timeout, except while a command of its own is pending or
 * running: then the client may read as slowly as it likes (DESIGN 7).
 */
static void
conn_write_timeout(struct conn *c, int on)
{
	struct timeval	 tv;

	bufferevent_set_timeouts(c->bev, NULL, on ?
	    ms_tv(rnc->settings.idle_timeout, &tv) : NULL);
}

/*
 * evhttp asks us for the bufferevent of each connection it accepts:
 * the one moment we learn of a new connection.  The rest waits until
 * evhttp has set the connection up, in conn_hook, which runs before
 * the event loop polls again, so before a byte is read from it.
 */
static struct bufferevent *
conn_bevcb(struct event_base *base, void *arg)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	if ((c->bev = bufferevent_socket_new(base, -1, 0)) == NULL) {
		log_warnx("bufferevent_socket_new failed");
		free(c);
		return (NULL);
	}
	/*
	 * A new bufferevent is enabled for writing: evhttp would add a
	 * write event only to take it away again, two system calls.
	 */
	bufferevent_disable(c->bev, EV_WRITE);
	/* Should evhttp free it again at once, we can still tell. */
	bufferevent_incref(c->bev);
	evtimer_assign(&c->timer, base, conn_timer, c);
	c->state = CONN_READING;
	nconns++;
	if (TAILQ_EMPTY(&hookq))
		event_active(hook_ev, EV_TIMEOUT, 1);
	TAILQ_INSERT_TAIL(&hookq, c, hookq);
	return (c->bev);
}

static void
conn_hook(int fd, short event, void *arg)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&hookq)) != NULL) {
		TAILQ_REMOVE(&hookq, c, hookq);
		conn_setup(c);
	}
}

/*
 * The peer as the parent counts failed logins: address, or unix:UID;
 * and in key, as its connections are counted (peer_key()).
 */
static void
conn_peer(struct conn *c, char *key, size_t keylen)
{
	struct sockaddr_storage	 ss;
	struct ucred		 uc;
	socklen_t		 len = sizeof(ss);
	char			*addr = NULL;
	uint16_t		 port;
	int			 fd = bufferevent_getfd(c->bev);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX) {
		c->door = netchild_door((struct sockaddr *)&ss, len);
		len = sizeof(uc);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0)
			snprintf(c->peer, sizeof(c->peer), "unix:%u",
			    (unsigned int)uc.uid);
		else
			strlcpy(c->peer, "unix", sizeof(c->peer));
		strlcpy(key, c->peer, keylen);
		return;
	}
	peer_key(evhttp_connection_get_addr(c->evcon), key, keylen);
	evhttp_connection_get_peer(c->evcon, &addr, &port);
	if (addr == NULL)
		addr = "unknown";
	/* An IPv4 client of a dual-stack listener is still that client. */
	if (strncasecmp(addr, "::ffff:", 7) == 0 &&
	    strchr(addr + 7, ':') == NULL)
		addr += 7;
	strlcpy(c->peer, addr, sizeof(c->peer));
}

/*
 * Count c against its peer's connections on its door, then against
 * the door's budget; 0, or -1 if either is spent.  A connection its
 * peer may not have takes no place in the door's budget, so that a
 * peer refused again and again does not keep others out either.
 */
static int
budget_take(struct conn *c, const char *peerkey)
{
	struct budget	 key, *b;
	uint32_t	 max = rnc->settings.connections_max;

	if ((c->peerc = peer_take(c->door, peerkey)) == NULL ||
	    peer_over(c->peerc, rnc->settings.peer_max))
		return (-1);
	key.door = c->door;
	if ((b = RB_FIND(budget_tree, &budgets, &key)) == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return (-1);
		b->door = c->door;
		RB_INSERT(budget_tree, &budgets, b);
	}
	c->budget = b;
	b->conns++;
	b->unauth++;
	if (max >= 2 && b->unauth > max / 2 &&
	    arc4random_uniform(100) < UNAUTH_RATE + (100 - UNAUTH_RATE) *
	    (b->unauth - max / 2) / (max - max / 2)) {
		if (!b->capped)
			log_warnx("%u connections without a valid token on "
			    "%s: dropping some (first: %s)", b->unauth,
			    c->door ? "a cloister's socket" :
			    "the shared listeners", c->peer);
		b->capped = 1;
		return (-1);
	}
	if (max != 0 && b->conns > max) {
		/* Once per episode: a flood must not flood the log. */
		if (!b->capped)
			log_warnx("%u connections on %s: refusing more "
			    "(first: %s)", max, c->door ? "a cloister's "
			    "socket" : "the shared listeners", c->peer);
		b->capped = 1;
		return (-1);
	}
	b->capped = 0;
	return (0);
}

static void
budget_give(struct conn *c)
{
	struct budget	*b = c->budget;

	if (b == NULL)
		return;
	c->budget = NULL;
	if (!c->authed)
		b->unauth--;
	if (--b->conns == 0) {
		RB_REMOVE(budget_tree, &budgets, b);
		free(b);
	}
}

static void
conn_setup(struct conn *c)
{
	bufferevent_data_cb	 rcb;
	void			*evcon;
	char			 peerkey[PEER_KEY_LEN];

	bufferevent_getcb(c->bev, &rcb, NULL, NULL, &evcon);
	bufferevent_decref(c->bev);
	if (rcb == NULL || evcon == NULL) {
		/* evhttp failed to set it up and let it go. */
		nconns--;
		free(c);
		return;
	}
	c->evcon = evcon;
	RB_INSERT(conn_tree, &conns, c);
	evhttp_connection_set_closecb(c->evcon, conn_closed, c);
	c->incb = evbuffer_add_cb(bufferevent_get_input(c->bev), conn_input,
	    c);
	if (c->incb == NULL) {
		evhttp_connection_free(c->evcon);
		return;
	}
	conn_peer(c, peerkey, sizeof(peerkey));
	/* Our timers watch reading; see conn_write_timeout for writing. */
	conn_write_timeout(c, 1);
	bufferevent_set_max_single_write(c->bev, WRITE_MAX);
	if (budget_take(c, peerkey) == -1) {
		conn_refuse(c, 503, "too many connections");
		return;
	}
	conn_timer_set(c, rnc->settings.read_timeout);
}

/* The parent knew the token of a request of c's. */
void
conn_authed(struct conn *c)
{
	if (c->authed)
		return;
	c->authed = 1;
	if (c->budget != NULL)
		c->budget->unauth--;
}

static void
penalty_done(int fd, short event, void *arg)
{
	struct conn		*c = arg;
	struct evhttp_request	*req = c->penalty_req;

	c->penalty_req = NULL;
	npenalty--;
	reply_error(req, c->penalty_status, "%s", c->penalty_reason);
	free(c->penalty_reason);
	c->penalty_reason = NULL;
}

/*
 * A failed login is answered delay ms late, and the connection closed:
 * meanwhile it holds no place in its door's budget, so that waiting
 * out bad tokens does not keep anyone else out.
 */
void
conn_penalize(struct conn *c, struct evhttp_request *req, int status,
    const char *reason, uint32_t delay)
{
	struct timeval	 tv;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Connection", "close");
	if (npenalty >= PENALTY_MAX ||
	    (c->penalty_reason = strdup(reason)) == NULL) {
		reply_error(req, status, "%s", reason);
		return;
	}
	budget_give(c);
	c->penalty_req = req;
	c->penalty_status = status;
	npenalty++;
	evtimer_assign(&c->penalty, rnc->base, penalty_done, c);
	evtimer_add(&c->penalty, ms_tv(delay, &tv));
}

/* evhttp frees the connection: the client went away or we are done. */
static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct conn	*c = arg;

	if (c->penalty_req != NULL) {
		event_del(&c->penalty);
		c->penalty_req = NULL;
		npenalty--;
		free(c->penalty_reason);
	}
	if (c->rq != NULL)
		rq_client_gone(c->rq);
	event_del(&c->timer);
	if (c->incb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev),
		    c->incb);
	RB_REMOVE(conn_tree, &conns, c);
	budget_give(c);
	peer_give(c->peerc);
	nconns--;
	free(c);
}

struct conn *
conn_find(struct evhttp_connection *evcon)
{
	struct conn	 key;

	if (evcon == NULL)
		return (NULL);
	key.evcon = evcon;
	return (RB_FIND(conn_tree, &conns, &key));
}

static void
conn_timer(int fd, short event, void *arg)
{
	struct conn	*c = arg;

	switch (c->state) {
	case CONN_READING:
		log_debug("%s: request not received in time", c->peer);
		break;
	case CONN_IDLE:
	case CONN_REFUSING:
		break;
	case CONN_BUSY:
		return;		/* never armed then */
	}
	evhttp_connection_free(c->evcon);	/* conn_closed frees c */
}

/*
 * An error for a connection evhttp is still reading: written straight
 * to the socket, which has nothing else queued, then the write side is
 * shut and whatever the client still sends is drained for a moment,
 * so that our answer is not lost to a reset.
 */
static void
conn_refuse(struct conn *c, int code, const char *reason)
{
	char	 body[256], buf[512];
	int	 blen, n, fd = bufferevent_getfd(c->bev);

	blen = snprintf(body, sizeof(body),
	    "{\"status\":\"error\",\"reason\":\"%s\"}\n", reason);
	n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %d\r\n"
	    "Connection: close\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "\r\n%s", code, http_phrase(code), blen, body);
	c->state = CONN_REFUSING;
	if (blen > 0 && (size_t)blen < sizeof(body) && n > 0 &&
	    (size_t)n < sizeof(buf) &&
	    send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
		log_debug("%s: %s", c->peer, strerror(errno));
	(void)shutdown(fd, SHUT_WR);
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	conn_timer_set(c, LINGER_MS);
}

/*
 * Every change of a connection's input buffer.  Bytes are added here
 * before evhttp's read callback parses (and drains) them, so the head
 * of a request is seen whole, however it is cut into reads.
 */
static void
conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn		*c = arg;
	struct evbuffer_ptr	 pos;
	struct evbuffer_iovec	 v[8];
	size_t			 len, off, done = 0;
	int			 i, n;

	if (info->n_added == 0)
		return;
	switch (c->state) {
	case CONN_REFUSING:
		evbuffer_drain(buf, evbuffer_get_length(buf));
		return;
	case CONN_BUSY:
		return;
	case CONN_IDLE:
		c->state = CONN_READING;
		conn_timer_set(c, rnc->settings.read_timeout);
		break;
	case CONN_READING:
		break;
	}
	if (c->head.state == H_DONE)
		return;
	len = evbuffer_get_length(buf);
	off = len - info->n_added;
	while (done < info->n_added) {
		if (evbuffer_ptr_set(buf, &pos, off + done,
		    EVBUFFER_PTR_SET) == -1)
			return;
		n = evbuffer_peek(buf, info->n_added - done, &pos, v, 8);
		if (n > 8)
			n = 8;
		for (i = 0; i < n && done < info->n_added; i++) {
			if (v[i].iov_len > info->n_added - done)
				v[i].iov_len = info->n_added - done;
			switch (head_scan(&c->head, rnc->settings.body_max,
			    v[i].iov_base, v[i].iov_len)) {
			case 0:
				break;
			case 413:
				log_debug("%s: request body over %llu bytes "
				    "refused", c->peer, (unsigned long long)
				    rnc->settings.body_max);
				conn_refuse(c, 413, "request body too large");
				return;
			default:
				conn_refuse(c, 400, "NUL byte in the request "
				    "head");
				return;
			}
			done += v[i].iov_len;
		}
		if (n <= 0 || c->head.state == H_DONE)
			return;
	}
}

/* The response to a request went out (evhttp_send_done). */
static void
conn_complete(struct evhttp_request *req, void *arg)
{
	struct conn	*c = arg;

	c->state = CONN_IDLE;
	head_scan_init(&c->head);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	conn_write_timeout(c, 1);
	conn_timer_set(c, rnc->settings.idle_timeout);
}

/*
 * A request is in the parent's hands, possibly for minutes.  evhttp
 * reads nothing until we answer, so it would not notice the client
 * going away; we read on, with no timeout and no read callback, as
 * evhttp itself does while it writes: end of file or an error then
 * takes evhttp's own path to conn_closed.  What a client may send in
 * the meantime is bounded by a read high-water mark.
 */
static void
conn_watch(struct conn *c)
{
	bufferevent_data_cb	 wcb;
	bufferevent_event_cb	 ecb;
	void			*arg;

	bufferevent_getcb(c->bev, NULL, &wcb, &ecb, &arg);
	bufferevent_setcb(c->bev, NULL, wcb, ecb, arg);
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    rnc->settings.headers_max + rnc->settings.body_max + 4096);
	conn_write_timeout(c, 0);
	bufferevent_enable(c->bev, EV_READ);
}

/*
 * A message to the parent, sent at once if the channel takes it (it
 * nearly always does): a request spares a trip through the event
 * loop.  enc may be NULL for an empty message.
 */
int
to_parent(uint32_t type, uint32_t peerid, struct imsg_enc *enc)
{
	struct imsgbuf	*ibuf = &rnc->iev.ibuf;
	int		 rv;

	if (enc != NULL)
		rv = imsg_compose_enc(ibuf, type, peerid, -1, enc);
	else
		rv = imsg_compose(ibuf, type, peerid, -1, NULL, 0);
	if (rv == -1)
		return (-1);
	if (imsg_write(ibuf) == -1)
		fatal("write to parent");
	imsgev_update(&rnc->iev);
	return (0);
}

/* The request's last answer is queued: writing it may time out again. */
void
conn_request_done(struct conn *c)
{
	c->rq = NULL;
	conn_write_timeout(c, 1);
}

/*
 * Requests
 */

static void
request_gencb(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	const struct evhttp_uri	*uri;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	struct conn		*c;
	const char		*path;
	int			 mode;

	if ((c = conn_find(evhttp_request_get_connection(req))) == NULL) {
		/* Not one of ours: we could not set it up. */
		evhttp_add_header(h, "Connection", "close");
		reply_error(req, 503, "server busy");
		return;
	}
	event_del(&c->timer);
	c->state = CONN_BUSY;
	evhttp_request_set_on_complete_cb(req, conn_complete, c);

	if ((uri = evhttp_request_get_evhttp_uri(req)) == NULL ||
	    (path = evhttp_uri_get_path(uri)) == NULL) {
		reply_error(req, 400, "bad request");
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
			evhttp_add_header(h, "Allow", "GET, HEAD");
			reply_error(req, 405, "method not allowed");
			return;
		}
		http_reply(req, HTTP_OK, "text/plain", "ok\n", 3);
		return;
	}
	if (strcmp(path, "/request") == 0)
		mode = REQ_MODE_BUFFERED;
	else if (strcmp(path, "/v1/exec") == 0)
		mode = REQ_MODE_STREAM;
	else {
		reply_error(req, 404, "not found");
		return;
	}
	if (cmd != EVHTTP_REQ_POST) {
		evhttp_add_header(h, "Allow", "POST");
		reply_error(req, 405, "method not allowed");
		return;
	}
	request_exec(c, req, mode);
}

/* POST /request or /v1/exec: check the body, then ask the parent. */
static void
request_exec(struct conn *c, struct evhttp_request *req, int mode)
{
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct msg_req_new	 m;
	struct imsg_enc		 enc;
	json_t			*root, *args;
	struct rq		*rq;
	size_t			 len, argc, i;
	const char		*data, *ka;
	char			 reason[512];
	int			 code;

	len = evbuffer_get_length(body);
	if (len > rnc->settings.body_max) {
		reply_error(req, 413, "request body too large");
		return;
	}
	data = len > 0 ? (const char *)evbuffer_pullup(body, -1) : "";
	if (data == NULL) {
		reply_error(req, 503, "out of memory");
		return;
	}
	if ((code = request_body(data, len, rnc->settings.args_max, &root,
	    &args, reason, sizeof(reason))) != 0) {
		reply_error(req, code, "%s", reason);
		return;
	}
	argc = json_array_size(args);

	if ((m.argv = calloc(argc, sizeof(*m.argv))) == NULL) {
		json_decref(root);
		reply_error(req, 503, "out of memory");
		return;
	}
	for (i = 0; i < argc; i++)
		m.argv[i] = (char *)json_string_value(json_array_get(args, i));
	m.argc = argc;
	m.mode = mode;
	m.token = (char *)request_token(evhttp_find_header(h,
	    "X-Cloister-Token"), evhttp_find_header(h, "Authorization"));
	m.peer = c->peer;
	m.door = c->door;
	msg_req_new_enc(&enc, &m);
	free(m.argv);
	json_decref(root);
	/* The body is no longer needed while the request waits. */
	evbuffer_drain(body, len);

	if ((rq = rq_new(rnc, c, req, mode)) == NULL) {
		imsg_enc_free(&enc);
		reply_error(req, 503, "out of memory");
		return;
	}
	/* Only a client that asks knows the frame (DESIGN 6.1). */
	rq->keepalive = mode == REQ_MODE_STREAM &&
	    (ka = evhttp_find_header(h, KEEPALIVE_HEADER)) != NULL &&
	    strcmp(ka, "1") == 0;
	if (to_parent(IMSG_REQ_NEW, rq->peerid, &enc) == -1) {
		log_warn("cannot queue a request for the parent");
		rq_free(rq);
		reply_error(req, 503, "server busy");
		return;
	}
	c->rq = rq;
	conn_watch(c);
}
