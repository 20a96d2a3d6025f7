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

#ifndef REQUEST_PRIV_H
#define REQUEST_PRIV_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>

#include <event.h>
#include <evhttp.h>
#include <jansson.h>

#include "netchild.h"

/*
 * The request role's own pieces, shared by request.c (connections,
 * HTTP, the request body) and request_run.c (what happens after the
 * parent was asked: decisions, output pipes, the reply).
 */

/* A connection's state, as far as the timers care. */
enum conn_state {
	CONN_READING,		/* reading a request: read deadline */
	CONN_IDLE,		/* keep-alive, between requests */
	CONN_BUSY,		/* a request is ours to answer */
	CONN_REFUSING		/* a canned error sent, draining input */
};

/* The head of a request being read, scanned as it arrives. */
#define H_FIRST		0	/* the request line */
#define H_HEADERS	1
#define H_DONE		2	/* the head is over: nothing to see */
struct head_scan {
	int			 state;		/* H_* */
	size_t			 len;
	char			 line[48];
};

struct rq;
struct budget;

struct conn {
	RB_ENTRY(conn)		 entry;		/* by evcon */
	TAILQ_ENTRY(conn)	 hookq;		/* accepted, not set up */
	struct evhttp_connection *evcon;
	struct bufferevent	*bev;
	struct evbuffer_cb_entry *incb;
	struct event		 timer;
	enum conn_state		 state;
	struct rq		*rq;		/* the request in flight */
	char			 peer[64];
	uint32_t		 door;		/* the cloister's own socket,
						   0: a shared listener */
	struct budget		*budget;	/* its door's connections */
	struct peer		*peerc;		/* its peer's, on its door */
	int			 authed;	/* a request of it was */
	/* A failed login, answered late: the connection holds no slot. */
	struct event		 penalty;
	struct evhttp_request	*penalty_req;
	int			 penalty_status;
	char			*penalty_reason;
	/* The head of the request being read, scanned as it arrives. */
	struct head_scan	 head;
};

struct rq_pipe {
	struct rq		*rq;
	struct event		 ev;
	int			 fd;		/* -1: none yet, or closed */
	int			 armed;		/* ev is added */
	int			 type;		/* FRAME_STDOUT/STDERR */
	/* /request: what is kept, at most max_output bytes. */
	unsigned char		*buf;
	size_t			 len;
	size_t			 cap;
	int			 truncated;
};

struct rq {
	RB_ENTRY(rq)		 entry;		/* by peerid */
	uint32_t		 peerid;
	int			 mode;		/* REQ_MODE_* */
	struct netchild		*nc;
	struct conn		*conn;
	struct evhttp_request	*req;
	int			 streaming;	/* 200 and headers sent */
	int			 keepalive;	/* asked for 'k' frames */
	int			 chunked;	/* HTTP/1.1 chunked coding */
	int			 automatic;	/* STARTED: auto-approved */
	int			 started;
	char			*pattern;
	int			 exited;	/* EXITED came: draining */
	uint8_t			 exit_kind;
	uint32_t		 exit_code;
	uint32_t		 exit_ms;
	int			 paused;	/* client output above HIWAT */
	struct evbuffer_cb_entry *outcb;
	struct event		 grace;
	int			 grace_armed;
	int64_t			 grace_left;	/* ms of draining left */
	int64_t			 grace_since;	/* when armed, monotonic ms */
	struct rq_pipe		 pipe[2];
};

/* The longest a refusal may be held back (the parent's AUTH_DELAY_MAX). */
#define REJECT_DELAY_MAX	60000

/* request.c */
struct conn	*conn_find(struct evhttp_connection *);
void		 conn_penalize(struct conn *, struct evhttp_request *, int,
		    const char *, uint32_t);
void		 conn_authed(struct conn *);
void		 conn_request_done(struct conn *);
int		 to_parent(uint32_t, uint32_t, struct imsg_enc *);
/* request_run.c's name for mono_now_ms() (timeutil.h). */

/*
 * request_parse.c: what a client sends, judged without a connection
 * (so it can be fuzzed alone).  head_scan() sees the bytes of a
 * request head as they come: 0, or the status to refuse it with
 * (413: a Content-Length over body_max, 400: a NUL byte).
 * request_token() is the token of the X-Cloister-Token or
 * Authorization header (either may be NULL), "" if none could be
 * valid.  request_body() checks a body: 0 with the parsed body in
 * *rootp and its "args" array in *argsp, or the status to refuse it
 * with and why in reason.
 */
void		 head_scan_init(struct head_scan *);
int		 head_scan(struct head_scan *, uint64_t, const unsigned char *,
		    size_t);
const char	*request_token(const char *, const char *);
int		 request_body(const char *, size_t, uint32_t, json_t **,
		    json_t **, char *, size_t);

/* request_json.c */
const char	*http_phrase(int);
void		 reply_json(struct evhttp_request *, int, struct evbuffer *);
void		 reply_error(struct evhttp_request *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
void		 json_str(struct evbuffer *, const void *, size_t);

/* request_run.c */
struct rq	*rq_new(struct netchild *, struct conn *,
		    struct evhttp_request *, int);
void		 rq_free(struct rq *);
void		 rq_client_gone(struct rq *);
void		 rq_dispatch(struct netchild *, struct imsg *);
/* IMSG_REQ_KEEPALIVE: a 'k' frame to every stream that asked. */
void		 rq_keepalive(void);

#endif /* REQUEST_PRIV_H */
