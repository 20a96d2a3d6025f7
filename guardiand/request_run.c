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
#include <sys/tree.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>
#include <evhttp.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "frame.h"
#include "guardiand.h"
#include "log.h"
#include "msg.h"
#include "netchild.h"
#include "request_priv.h"

/*
 * A request once the parent was asked: what the parent answers, the
 * command's output pipes it passes us, and the reply.  POST /v1/exec
 * streams frames (common/frame.h) as they come, reading the pipes
 * straight into the connection's output buffer and pausing while the
 * client lags (DESIGN 7); POST /request keeps up to max_output bytes
 * of each stream and answers with one JSON object at the end.
 */

#define GRACE_MS	SPAWN_DRAIN_MS	/* draining after the command exited */
/* One read(2), one frame; with the headers, one 256 KiB evbuffer chain. */
#define READ_MAX	(256 * 1024 - 256)
#define READS_PER_EVENT	4		/* then let other clients in */
#define OUT_HIWAT	(1024 * 1024)	/* pause the pipes above this */
#define OUT_LOWAT	(256 * 1024)	/* resume at or below this */
#define DISCARD_SIZE	(64 * 1024)
#define CHUNK_HDR	10		/* "%08x\r\n" */
/* Below this a frame is read and written as usual: fewer calls. */
#define SPLICE_MIN	(16 * 1024)
#define STR_(x)		#x
#define STR(x)		STR_(x)

RB_HEAD(rq_tree, rq);

static struct rq_tree	 rqs = RB_INITIALIZER(&rqs);
static uint32_t		 last_peerid;

static int
rq_cmp(struct rq *a, struct rq *b)
{
	return (a->peerid < b->peerid ? -1 : a->peerid > b->peerid);
}

RB_GENERATE_STATIC(rq_tree, rq, entry, rq_cmp)

static void	 rq_pipe_cb(int, short, void *);
static void	 rq_grace_cb(int, short, void *);
static void	 rq_output(struct evbuffer *, const struct evbuffer_cb_info *,
		    void *);
static void	 rq_finish(struct rq *);

struct rq *
rq_new(struct netchild *nc, struct conn *c, struct evhttp_request *req,
    int mode)
{
	struct rq	*rq, key;
	int		 i;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return (NULL);
	/* Never 0, never one in use; 2^32 requests before a wrap. */
	do {
		key.peerid = ++last_peerid;
	} while (key.peerid == 0 || RB_FIND(rq_tree, &rqs, &key) != NULL);
	rq->peerid = key.peerid;
	rq->mode = mode;
	rq->nc = nc;
	rq->conn = c;
	rq->req = req;
	for (i = 0; i < 2; i++) {
		rq->pipe[i].fd = -1;
		rq->pipe[i].rq = rq;
		rq->pipe[i].type = i == 0 ? FRAME_STDOUT : FRAME_STDERR;
	}
	evtimer_assign(&rq->grace, nc->base, rq_grace_cb, rq);
	rq->grace_left = GRACE_MS;
	RB_INSERT(rq_tree, &rqs, rq);
	return (rq);
}

static void
pipe_close(struct rq_pipe *p)
{
	if (p->fd == -1)
		return;
	if (p->armed)
		event_del(&p->ev);
	p->armed = 0;
	close(p->fd);
	p->fd = -1;
}

/* Forget the request; its evhttp request is the caller's to answer. */
void
rq_free(struct rq *rq)
{
	int	 i;

	RB_REMOVE(rq_tree, &rqs, rq);
	for (i = 0; i < 2; i++) {
		pipe_close(&rq->pipe[i]);
		free(rq->pipe[i].buf);
	}
	event_del(&rq->grace);
	if (rq->outcb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_output(rq->conn->bev),
		    rq->outcb);
	if (rq->conn != NULL && rq->conn->rq == rq)
		rq->conn->rq = NULL;
	free(rq->pattern);
	free(rq);
}

/* The final answer: the request is done, req is the caller's. */
static struct evhttp_request *
rq_end(struct rq *rq)
{
	struct evhttp_request	*req = rq->req;
	struct conn		*c = rq->conn;

	rq_free(rq);
	conn_request_done(c);
	return (req);
}

/*
 * The client went away (conn_closed): tell the parent at once, which
 * forgets a pending request or stops the command.
 */
void
rq_client_gone(struct rq *rq)
{
	struct evhttp_request	*req = rq->req;

	log_debug("connection %u: client gone", rq->peerid);
	if (to_parent(IMSG_REQ_CANCEL, rq->peerid, NULL) == -1)
		log_warn("cannot cancel request %u", rq->peerid);
	rq_free(rq);
	/* evhttp let go of a request we had not answered yet. */
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_request_free(req);
}

/*
 * Streaming
 */

static void
hex8(char *p, uint32_t v)
{
	static const char	 hex[] = "0123456789abcdef";
	int			 i;

	for (i = 7; i >= 0; i--) {
		p[i] = hex[v & 0xf];
		v >>= 4;
	}
	p[8] = '\r';
	p[9] = '\n';
}

static void
stream_start(struct rq *rq)
{
	struct evkeyvalq	*h;

	if (rq->streaming)
		return;
	h = evhttp_request_get_output_headers(rq->req);
	evhttp_add_header(h, "Content-Type", CONTENT_TYPE_STREAM);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (rq->keepalive)
		evhttp_add_header(h, KEEPALIVE_HEADER,
		    STR(KEEPALIVE_INTERVAL));
	evhttp_send_reply_start(rq->req, HTTP_OK, "OK");
	/* HTTP/1.0 gets no chunked coding: the body ends at the close. */
	rq->chunked = evhttp_find_header(h, "Transfer-Encoding") != NULL;
	rq->streaming = 1;
	rq->outcb = evbuffer_add_cb(bufferevent_get_output(rq->conn->bev),
	    rq_output, rq);
	if (rq->outcb == NULL)
		fatal("evbuffer_add_cb");
}

/*
 * A small frame, payload a then b, appended to what the client is
 * sent.  Frames go straight into the connection's output buffer, each
 * in an HTTP chunk of its own, as evhttp_send_reply_chunk would put
 * them, only without the intermediate buffer.
 */
static void
stream_frame(struct rq *rq, int type, const void *a, size_t alen,
    const void *b, size_t blen)
{
	struct evbuffer	*out = bufferevent_get_output(rq->conn->bev);
	unsigned char	 hdr[FRAME_HDR_SIZE];
	char		 line[16];
	int		 n;

	if (alen + blen > FRAME_MAXPAYLOAD)
		blen = FRAME_MAXPAYLOAD - alen;
	stream_start(rq);
	if (rq->chunked) {
		n = snprintf(line, sizeof(line), "%zx\r\n",
		    FRAME_HDR_SIZE + alen + blen);
		evbuffer_add(out, line, n);
	}
	frame_hdr(hdr, type, alen + blen);
	evbuffer_add(out, hdr, sizeof(hdr));
	if (alen > 0)
		evbuffer_add(out, a, alen);
	if (blen > 0)
		evbuffer_add(out, b, blen);
	if (rq->chunked)
		evbuffer_add(out, "\r\n", 2);
}

static void
stream_final(struct rq *rq, int type, const void *a, size_t alen,
    const void *b, size_t blen)
{
	stream_frame(rq, type, a, alen, b, blen);
	evhttp_send_reply_end(rq_end(rq));
}

static void
rq_pause(struct rq *rq)
{
	int	 i;

	if (rq->paused)
		return;
	rq->paused = 1;
	for (i = 0; i < 2; i++) {
		if (rq->pipe[i].armed) {
			event_del(&rq->pipe[i].ev);
			rq->pipe[i].armed = 0;
		}
	}
	/* The grace period counts only time we were willing to read. */
	if (rq->grace_armed) {
		event_del(&rq->grace);
		rq->grace_armed = 0;
		rq->grace_left -= mono_now_ms() - rq->grace_since;
	}
}

static void
rq_grace_arm(struct rq *rq)
{
	struct timeval	 tv;

	if (rq->grace_armed || rq->paused || !rq->exited)
		return;
	if (rq->grace_left < 1)
		rq->grace_left = 1;
	tv.tv_sec = rq->grace_left / 1000;
	tv.tv_usec = (rq->grace_left % 1000) * 1000;
	rq->grace_since = mono_now_ms();
	rq->grace_armed = 1;
	evtimer_add(&rq->grace, &tv);
}

/*
 * Read the pipes from the moment the command is said to run, so that
 * its output always follows the 's' frame; never while paused.
 */
static void
rq_arm_pipes(struct rq *rq)
{
	int	 i;

	if (rq->paused || (!rq->started && !rq->exited))
		return;
	for (i = 0; i < 2; i++) {
		if (rq->pipe[i].fd != -1 && !rq->pipe[i].armed) {
			event_add(&rq->pipe[i].ev, NULL);
			rq->pipe[i].armed = 1;
		}
	}
}

static void
rq_resume(struct rq *rq)
{
	if (!rq->paused)
		return;
	rq->paused = 0;
	rq_arm_pipes(rq);
	rq_grace_arm(rq);
}

/* The client's output buffer drained some: read the pipes again. */
static void
rq_output(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct rq	*rq = arg;

	if (info->n_deleted > 0 && rq->paused &&
	    evbuffer_get_length(buf) <= OUT_LOWAT)
		rq_resume(rq);
}

/* Bytes waiting in a pipe, for a read of the right size. */
static size_t
pipe_avail(int fd)
{
	int	 n;

	if (ioctl(fd, FIONREAD, &n) == -1 || n <= 0)
		return (4096);
	return (n > READ_MAX ? READ_MAX : (size_t)n);
}

/*
 * Exactly len bytes of a frame's payload from the pipe into the output
 * buffer, then the chunk's end: the pipe holds at least that much.
 */
static void
stream_rest(struct rq *rq, struct rq_pipe *p, size_t len)
{
	struct evbuffer		*out = bufferevent_get_output(rq->conn->bev);
	struct evbuffer_iovec	 v;
	ssize_t			 n;

	if (len > 0) {
		if (evbuffer_reserve_space(out, len, &v, 1) != 1)
			fatalx("evbuffer_reserve_space");
		while ((n = read(p->fd, v.iov_base, len)) == -1 &&
		    errno == EINTR)
			;
		if (n != (ssize_t)len)
			fatalx("output pipe: %zd of %zu bytes it held", n, len);
		v.iov_len = len;
		evbuffer_commit_space(out, &v, 1);
	}
	if (rq->chunked)
		evbuffer_add(out, "\r\n", 2);
}

/*
 * The zero-copy path (DESIGN 7): when nothing is queued for the client,
 * a frame's headers go straight to the connection and its payload moves
 * from the pipe to the socket inside the kernel, splice(2).  What the
 * socket does not take then goes the usual way, in order: the rest of
 * the headers and of the payload through the output buffer.  1 if it
 * sent a frame, 0 if the caller should read as usual.
 */
static int
stream_splice(struct rq *rq, struct rq_pipe *p)
{
	struct evbuffer	*out = bufferevent_get_output(rq->conn->bev);
	unsigned char	 hdr[CHUNK_HDR + FRAME_HDR_SIZE];
	struct iovec	 iov;
	size_t		 hlen, avail;
	ssize_t		 n, moved;
	int		 sock, navail;

	sock = bufferevent_getfd(rq->conn->bev);
	if (sock == -1 || evbuffer_get_length(out) != 0 ||
	    ioctl(p->fd, FIONREAD, &navail) == -1 || navail < SPLICE_MIN)
		return (0);
	avail = (size_t)navail > READ_MAX ? READ_MAX : (size_t)navail;
	hlen = rq->chunked ? CHUNK_HDR : 0;
	if (rq->chunked)
		hex8((char *)hdr, FRAME_HDR_SIZE + avail);
	frame_hdr(hdr + hlen, p->type, avail);
	iov.iov_base = hdr;
	iov.iov_len = hlen + FRAME_HDR_SIZE;
	/* Nothing written is no harm: the usual path reads this frame. */
	if ((n = writev(sock, &iov, 1)) <= 0)
		return (0);
	moved = 0;
	if ((size_t)n < iov.iov_len)
		evbuffer_add(out, hdr + n, iov.iov_len - n);
	else if ((moved = splice(p->fd, NULL, sock, NULL, avail,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK)) == -1)
		moved = 0;	/* a full or broken socket: the rest queues */
	stream_rest(rq, p, avail - moved);
	if (evbuffer_get_length(out) > OUT_HIWAT)
		rq_pause(rq);
	return (1);
}

/* 1 read something, 0 nothing for now, -1 end of file (closed). */
static int
stream_read(struct rq *rq, struct rq_pipe *p)
{
	struct evbuffer		*out = bufferevent_get_output(rq->conn->bev);
	struct evbuffer_iovec	 v;
	unsigned char		*q;
	size_t			 want, hlen;
	ssize_t			 n;

	stream_start(rq);
	if (stream_splice(rq, p))
		return (1);
	want = pipe_avail(p->fd);
	hlen = rq->chunked ? CHUNK_HDR : 0;
	/* Read into the output buffer itself: the one copy is the kernel's. */
	if (evbuffer_reserve_space(out, hlen + FRAME_HDR_SIZE + want + 2,
	    &v, 1) != 1)
		fatalx("evbuffer_reserve_space");
	q = v.iov_base;
	if ((n = read(p->fd, q + hlen + FRAME_HDR_SIZE, want)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		log_warn("connection %u: read output", rq->peerid);
		n = 0;
	}
	if (n == 0) {
		pipe_close(p);
		return (-1);
	}
	if (rq->chunked)
		hex8((char *)q, FRAME_HDR_SIZE + n);
	frame_hdr(q + hlen, p->type, n);
	v.iov_len = hlen + FRAME_HDR_SIZE + n;
	if (rq->chunked) {
		memcpy(q + v.iov_len, "\r\n", 2);
		v.iov_len += 2;
	}
	evbuffer_commit_space(out, &v, 1);
	if (evbuffer_get_length(out) > OUT_HIWAT)
		rq_pause(rq);
	return (1);
}

/* /request: keep max_output bytes, read and drop the rest. */
static int
buffer_read(struct rq *rq, struct rq_pipe *p)
{
	static unsigned char	 discard[DISCARD_SIZE];
	uint64_t		 max = rq->nc->settings.max_output;
	unsigned char		*dst, *nb;
	size_t			 want, room, ncap;
	ssize_t			 n;

	room = p->len < max ? max - p->len : 0;
	if (room == 0) {
		dst = discard;
		want = sizeof(discard);
	} else {
		want = pipe_avail(p->fd);
		if (want > room)
			want = room;
		if (p->cap - p->len < want) {
			ncap = p->cap ? p->cap : 16384;
			while (ncap - p->len < want)
				ncap *= 2;
			if (ncap > max)
				ncap = max;
			if ((nb = realloc(p->buf, ncap)) == NULL)
				fatal("%s", __func__);
			p->buf = nb;
			p->cap = ncap;
		}
		dst = p->buf + p->len;
	}
	if ((n = read(p->fd, dst, want)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		log_warn("connection %u: read output", rq->peerid);
		n = 0;
	}
	if (n == 0) {
		pipe_close(p);
		return (-1);
	}
	if (dst == discard)
		p->truncated = 1;
	else
		p->len += n;
	return (1);
}

static void
pipe_read(struct rq *rq, struct rq_pipe *p, int times)
{
	int	 i;

	for (i = 0; i < times && p->fd != -1 && !rq->paused; i++)
		if ((rq->mode == REQ_MODE_STREAM ? stream_read(rq, p) :
		    buffer_read(rq, p)) <= 0)
			break;
}

/* Once the command exited and both pipes are done, the end. */
static void
rq_check_done(struct rq *rq)
{
	if (rq->exited && rq->pipe[0].fd == -1 && rq->pipe[1].fd == -1)
		rq_finish(rq);
}

static void
rq_pipe_cb(int fd, short event, void *arg)
{
	struct rq_pipe	*p = arg;
	struct rq	*rq = p->rq;

	pipe_read(rq, p, READS_PER_EVENT);
	rq_check_done(rq);
}

/* Output still open after the grace period: a background process. */
static void
rq_grace_cb(int fd, short event, void *arg)
{
	struct rq	*rq = arg;

	rq->grace_armed = 0;
	log_debug("connection %u: output still open %d ms after the "
	    "command exited, closing it", rq->peerid, GRACE_MS);
	pipe_close(&rq->pipe[0]);
	pipe_close(&rq->pipe[1]);
	rq_check_done(rq);
}

/*
 * Buffered replies (POST /request)
 */

static void
json_num(struct evbuffer *out, const char *key, long long v)
{
	evbuffer_add_printf(out, ",\"%s\":%lld", key, v);
}

static void
buffered_result(struct rq *rq)
{
	struct evbuffer	*out;
	struct rq_pipe	*o = &rq->pipe[0], *e = &rq->pipe[1];
	int		 automatic = rq->started && rq->automatic;

	if ((out = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	evbuffer_expand(out, 128 + o->len + e->len);
	evbuffer_add_printf(out, "{\"status\":\"%s\"",
	    automatic ? "auto_approved" : "approved");
	if (automatic) {
		evbuffer_add(out, ",\"pattern\":", 11);
		json_str(out, rq->pattern, strlen(rq->pattern));
	}
	if (rq->exit_kind == EXIT_EXITED)
		json_num(out, "exit_code", rq->exit_code);
	else {
		json_num(out, "exit_code", 128 + (long long)rq->exit_code);
		json_num(out, "signal", rq->exit_code);
	}
	evbuffer_add(out, ",\"stdout\":", 10);
	json_str(out, o->buf, o->len);
	evbuffer_add(out, ",\"stderr\":", 10);
	json_str(out, e->buf, e->len);
	if (rq->exit_kind == EXIT_TIMEDOUT)
		evbuffer_add(out, ",\"timed_out\":true", 17);
	if (o->truncated || e->truncated)
		evbuffer_add(out, ",\"truncated\":true", 17);
	evbuffer_add(out, "}\n", 2);
	reply_json(rq_end(rq), HTTP_OK, out);
	evbuffer_free(out);
}

/* Did not run: a decision, so HTTP 200 with cloister's statuses. */
static void
buffered_denied(struct rq *rq, int reason, const char *text)
{
	struct evbuffer	*out;
	const char	*status;

	if ((out = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	switch (reason) {
	case DENY_TIMEOUT:
		status = "timeout";
		break;
	case DENY_SPAWN:
	case DENY_ERROR:
		status = "error";
		break;
	default:
		status = "denied";
		break;
	}
	evbuffer_add_printf(out, "{\"status\":\"%s\",\"reason\":", status);
	json_str(out, text, strlen(text));
	if (reason == DENY_SPAWN)
		json_num(out, "exit_code",
		    strncmp(text, "not found:", 10) == 0 ? 127 : 126);
	evbuffer_add(out, "}\n", 2);
	reply_json(rq_end(rq), HTTP_OK, out);
	evbuffer_free(out);
}

static void
rq_finish(struct rq *rq)
{
	unsigned char	 x[FRAME_EXIT_LEN];

	if (rq->mode == REQ_MODE_BUFFERED) {
		buffered_result(rq);
		return;
	}
	frame_exit(x, rq->exit_kind, rq->exit_code, rq->exit_ms);
	stream_final(rq, FRAME_EXIT, x, sizeof(x), NULL, 0);
}

/*
 * Messages from the parent
 */

static __dead void
bad_message(struct imsg *imsg)
{
	fatalx("bad message type %u from the parent", imsg->hdr.type);
}

/* Busy, before anything was streamed: worth trying again shortly. */
static void
reply_busy(struct evhttp_request *req, const char *reason)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", "1");
	reply_error(req, 503, "%s", reason);
}

static void
rq_reject(struct rq *rq, struct imsg *imsg)
{
	struct msg_req_reject	 m;
	struct evhttp_request	*req;
	struct conn		*c = rq->conn;
	uint32_t		 status, delay;
	char			*reason;
	uint8_t			 why = DENY_ERROR;

	if (msg_req_reject_dec(imsg, &m) == -1 || m.delay > REJECT_DELAY_MAX)
		bad_message(imsg);
	status = m.status;
	reason = m.reason;
	delay = m.delay;
	if (status < 400 || status > 599)
		status = 500;
	if (!rq->streaming) {
		req = rq_end(rq);
		if (delay > 0)
			conn_penalize(c, req, status, reason, delay);
		else if (status == 503)
			reply_busy(req, reason);
		else
			reply_error(req, status, "%s", reason);
	} else
		stream_final(rq, FRAME_DENIED, &why, 1, reason,
		    strlen(reason));
	free(reason);
}

static void
rq_queued(struct rq *rq, struct imsg *imsg)
{
	struct msg_req_queued	 m;
	char			*text;

	/* Its expiry goes unused: the text says when. */
	if (msg_req_queued_dec(imsg, &m) == -1)
		bad_message(imsg);
	text = m.text;
	/* /request waits in silence, as cloister's does. */
	if (rq->mode == REQ_MODE_STREAM)
		stream_frame(rq, FRAME_QUEUED, text, strlen(text), NULL, 0);
	free(text);
}

static void
rq_pipe(struct rq *rq, struct imsg *imsg)
{
	struct msg_req_pipe	 m;
	struct rq_pipe		*p;
	int			 fl;

	if (msg_req_pipe_dec(imsg, &m) == -1)
		bad_message(imsg);
	p = &rq->pipe[m.stream - 1];
	if (p->fd != -1)
		bad_message(imsg);
	/* Never block the child that serves every client. */
	if ((fl = fcntl(imsg->fd, F_GETFL)) == -1 || (!(fl & O_NONBLOCK) &&
	    fcntl(imsg->fd, F_SETFL, fl | O_NONBLOCK) == -1)) {
		log_warn("connection %u: output pipe", rq->peerid);
		return;		/* imsg_free closes it */
	}
	p->fd = imsg->fd;
	imsg->fd = -1;
	event_assign(&p->ev, rq->nc->base, p->fd, EV_READ | EV_PERSIST,
	    rq_pipe_cb, p);
	rq_arm_pipes(rq);
}

static void
rq_started(struct rq *rq, struct imsg *imsg)
{
	struct msg_req_started	 m;

	if (msg_req_started_dec(imsg, &m) == -1)
		bad_message(imsg);
	if (rq->started) {
		free(m.pattern);
		free(m.text);
		bad_message(imsg);
	}
	rq->started = 1;
	rq->automatic = m.automatic != 0;
	rq->pattern = m.pattern;
	if (rq->mode == REQ_MODE_STREAM)
		stream_frame(rq, FRAME_STARTED, m.text, strlen(m.text), NULL,
		    0);
	free(m.text);
	rq_arm_pipes(rq);
}

static void
rq_denied(struct rq *rq, struct imsg *imsg)
{
	struct msg_req_denied	 m;
	uint8_t			 reason;
	char			*text;

	if (msg_req_denied_dec(imsg, &m) == -1)
		bad_message(imsg);
	reason = m.reason;
	text = m.text;
	if (rq->mode == REQ_MODE_BUFFERED && reason == DENY_BUSY)
		reply_busy(rq_end(rq), text);
	else if (rq->mode == REQ_MODE_BUFFERED)
		buffered_denied(rq, reason, text);
	else
		stream_final(rq, FRAME_DENIED, &reason, 1, text,
		    strlen(text));
	free(text);
}

/*
 * The command ended.  Its output may still sit in the pipes, or a
 * background process may keep them open: read until end of file, for
 * GRACE_MS at most.
 */
static void
rq_exited(struct rq *rq, struct imsg *imsg)
{
	struct msg_req_exited	 m;
	int			 i;

	if (msg_req_exited_dec(imsg, &m) == -1 || rq->exited)
		bad_message(imsg);
	rq->exit_kind = m.kind;
	rq->exit_code = m.code;
	rq->exit_ms = m.ms;
	rq->exited = 1;
	rq_arm_pipes(rq);
	/* Most often the pipes are at end of file: no wait for events. */
	for (i = 0; i < 2; i++)
		pipe_read(rq, &rq->pipe[i], READS_PER_EVENT);
	if (rq->pipe[0].fd == -1 && rq->pipe[1].fd == -1)
		rq_finish(rq);
	else
		rq_grace_arm(rq);
}

/* What the parent may send about a request, and who takes it. */
static const struct {
	uint32_t	 type;
	void		(*fn)(struct rq *, struct imsg *);
} rq_handlers[] = {
	{ IMSG_REQ_REJECT,	rq_reject },
	{ IMSG_REQ_QUEUED,	rq_queued },
	{ IMSG_REQ_PIPE,	rq_pipe },
	{ IMSG_REQ_STARTED,	rq_started },
	{ IMSG_REQ_DENIED,	rq_denied },
	{ IMSG_REQ_EXITED,	rq_exited },
};

void
rq_dispatch(struct netchild *nc, struct imsg *imsg)
{
	struct rq	 key, *rq;
	size_t		 i;

	for (i = 0; i < sizeof(rq_handlers) / sizeof(rq_handlers[0]); i++)
		if (rq_handlers[i].type == imsg->hdr.type)
			break;
	if (i == sizeof(rq_handlers) / sizeof(rq_handlers[0]))
		bad_message(imsg);
	key.peerid = imsg->hdr.peerid;
	if ((rq = RB_FIND(rq_tree, &rqs, &key)) == NULL) {
		/* Its client is gone; imsg_free closes a pipe it carries. */
		log_debug("connection %u gone, message %u dropped",
		    imsg->hdr.peerid, imsg->hdr.type);
		return;
	}
	/* Anything but a refusal means the parent knew its token. */
	if (imsg->hdr.type != IMSG_REQ_REJECT && rq->conn != NULL)
		conn_authed(rq->conn);
	rq_handlers[i].fn(rq, imsg);
}

/*
 * The parent's keep-alive tick: a 'k' frame to every stream that asked
 * for them and waits (for a human, or for its command), so that its
 * client can tell a daemon that still works from one that stopped.
 * Not to one paused for a client that does not read: it has output
 * coming anyway.
 */
void
rq_keepalive(void)
{
	struct rq	*rq;

	RB_FOREACH(rq, rq_tree, &rqs)
		if (rq->keepalive && rq->streaming && !rq->exited &&
		    !rq->paused && rq->conn != NULL)
			stream_frame(rq, FRAME_KEEPALIVE, NULL, 0, NULL, 0);
}
