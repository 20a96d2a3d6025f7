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

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>
#include <evhttp.h>
#include <event2/listener.h>
#include <jansson.h>

#include "guardiand.h"
#include "log.h"
#include "netchild.h"
#include "sandbox.h"

/*
 * The network child, in one of two roles: "request" faces containers,
 * "ui" faces the operator's browser.  Same machinery, separate
 * processes and channels, so a parser bug exploited from a container
 * gains a process that can only ask.
 */

static struct netchild	 nc;

/*
 * What makes the network child one role or the other: what it does
 * before its sandbox, once sandboxed, and with what else the parent
 * sends it; and whether the parent may give it doors (a cloister's
 * own socket, for requests only).
 */
static const struct netchild_ops {
	enum role	 role;
	void		(*presandbox)(void);
	void		(*init)(struct netchild *);
	void		(*dispatch)(struct netchild *, struct imsg *);
	int		 doors;
} netchild_ops[] = {
	{ ROLE_REQUEST, NULL, request_init, request_dispatch_imsg, 1 },
	{ ROLE_UI, ui_presandbox, ui_init, ui_dispatch_imsg, 0 },
};
static const struct netchild_ops *ops;

static void	 netchild_dispatch(int, short, void *);
static void	 netchild_settings(struct imsg *);
static void	 netchild_closing(void);

void
netchild_main(enum role role)
{
	struct rlimit	 rl;
	uint32_t	 seed;
	size_t		 i;

	nc.role = role;
	for (i = 0; i < sizeof(netchild_ops) / sizeof(netchild_ops[0]); i++)
		if (netchild_ops[i].role == role)
			ops = &netchild_ops[i];
	if (ops == NULL)
		fatalx("no network child of role %s", role_name(role));
	/* Each connection is a descriptor: take what the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit NOFILE");
	}
	if ((nc.base = event_init()) == NULL)
		fatalx("event_init");
	if ((nc.http = evhttp_new(nc.base)) == NULL)
		fatalx("evhttp_new");
	child_init(role, netchild_dispatch, &nc, &nc.iev);
	if (ops->presandbox != NULL)
		ops->presandbox();
	/*
	 * Seed arc4random, and jansson's hash seed from it: left alone,
	 * jansson would open /dev/urandom at its first object, inside
	 * the sandbox.
	 */
	arc4random_buf(&seed, sizeof(seed));
	json_object_seed(seed | 1);
	sandbox_enter(role);
	testhook_sandboxed(role);

	evhttp_set_allowed_methods(nc.http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	ops->init(&nc);
	event_dispatch();
	exit(0);
}

/*
 * Out of descriptors, the pending connection stays pending and the
 * listener would wake us again at once: pause accepting for a second
 * instead of spinning.
 */
struct listener {
	TAILQ_ENTRY(listener)	 entry;
	struct evhttp_bound_socket *bound;
	struct evconnlistener	*lev;
	struct event		 pause;
	uint32_t		 door;		/* 0: a shared listener */
	struct sockaddr_un	 sun;		/* a door's address */
	socklen_t		 sunlen;
};
static TAILQ_HEAD(, listener)	 listeners = TAILQ_HEAD_INITIALIZER(listeners);

static void
accept_resume(int fd, short event, void *arg)
{
	struct listener	*l = arg;

	evconnlistener_enable(l->lev);
}

static void
accept_error(struct evconnlistener *lev, void *arg)
{
	struct listener	*l;
	struct timeval	 tv = { 1, 0 };
	int		 saved_errno = errno;

	if (saved_errno != EMFILE && saved_errno != ENFILE &&
	    saved_errno != ENOBUFS && saved_errno != ENOMEM)
		return;
	TAILQ_FOREACH(l, &listeners, entry)
		if (l->lev == lev)
			break;
	if (l == NULL || evtimer_pending(&l->pause, NULL))
		return;
	log_warnx("accept: %s; pausing new connections for a second",
	    strerror(saved_errno));
	evconnlistener_disable(lev);
	evtimer_add(&l->pause, &tv);
}

static void
listener_add(int fd, uint32_t door)
{
	struct listener			*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal(NULL);
	l->door = door;
	if (door != 0) {
		/* Its connections' getsockname(2) gives the same. */
		l->sunlen = sizeof(l->sun);
		if (getsockname(fd, (struct sockaddr *)&l->sun,
		    &l->sunlen) == -1 || l->sun.sun_family != AF_UNIX)
			fatalx("door %u: not a unix socket", door);
	}
	if ((l->bound = evhttp_accept_socket_with_handle(nc.http, fd)) ==
	    NULL)
		fatalx("cannot accept on listener");
	l->lev = evhttp_bound_socket_get_listener(l->bound);
	evtimer_set(&l->pause, accept_resume, l);
	evconnlistener_set_error_cb(l->lev, accept_error);
	TAILQ_INSERT_TAIL(&listeners, l, entry);
}

/* A door of a cloister that is gone: no more connections through it. */
static void
listener_close(uint32_t door)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &listeners, entry)
		if (l->door == door && door != 0)
			break;
	if (l == NULL)
		fatalx("closing door %u, which is not open", door);
	evtimer_del(&l->pause);
	evhttp_del_accept_socket(nc.http, l->bound);	/* closes it */
	TAILQ_REMOVE(&listeners, l, entry);
	free(l);
}

/*
 * Which door an accepted connection came through, by its local
 * address: a unix connection has its listener's, and each door's is its own
 * ("NAME/request.sock").  0 for a shared listener.
 */
uint32_t
netchild_door(const struct sockaddr *sa, socklen_t len)
{
	struct listener		*l;

	TAILQ_FOREACH(l, &listeners, entry)
		if (l->door != 0 && l->sunlen == len &&
		    memcmp(&l->sun, sa, len) == 0)
			return (l->door);
	return (0);
}

/*
 * The parent closed our channel: it is shutting down.  Accept nothing
 * more, and give the answers already queued (a client told that the
 * daemon is shutting down) half a second to reach their clients.
 */
static void
netchild_closing(void)
{
	struct listener	*l;
	struct timeval	 tv = { 0, 500000 };

	imsgev_clear(&nc.iev);
	TAILQ_FOREACH(l, &listeners, entry) {
		evtimer_del(&l->pause);
		evconnlistener_disable(l->lev);
	}
	event_base_loopexit(nc.base, &tv);
}

static void
netchild_dispatch(int fd, short event, void *arg)
{
	struct imsgbuf	*ibuf = &nc.iev.ibuf;
	struct imsg	 imsg;
	struct imsg_dec	 dec;
	ssize_t		 n;
	uint32_t	 door;
	int		 rv;

	if (event & EV_WRITE) {
		if (imsg_write(ibuf) == -1)
			fatal("write to parent");
	}
	if (event & EV_READ) {
		if ((n = imsg_read(ibuf)) == -1 && errno != EAGAIN)
			fatal("read from parent");
		if (n == 0) {
			netchild_closing();
			return;
		}
	}
	while ((rv = imsg_get(ibuf, &imsg)) == 1) {
		switch (imsg.hdr.type) {
		case IMSG_LISTENER:
			imsg_dec_init(&dec, &imsg);
			door = imsg_get_u32(&dec);
			if (imsg.fd == -1 || imsg_dec_end(&dec) == -1 ||
			    (door != 0 && !ops->doors))
				fatalx("bad listener message");
			listener_add(imsg.fd, door);
			imsg.fd = -1;	/* evhttp owns it now */
			break;
		case IMSG_LISTENER_CLOSE:
			imsg_dec_init(&dec, &imsg);
			door = imsg_get_u32(&dec);
			if (imsg_dec_end(&dec) == -1)
				fatalx("bad listener message");
			listener_close(door);
			break;
		case IMSG_SETTINGS:
			netchild_settings(&imsg);
			break;
		case IMSG_VERBOSE:
			child_verbose(&imsg);
			break;
		case IMSG_PING:
			child_pong(&nc.iev, &imsg);
			break;
		case IMSG_START:
			nc.started = 1;
			imsgev_compose(&nc.iev, IMSG_READY, 0, -1, NULL, 0);
			break;
		default:
			ops->dispatch(&nc, &imsg);
			break;
		}
		imsg_free(&imsg);
	}
	if (rv == -1)
		fatalx("garbled message from parent");
	imsgev_update(&nc.iev);
}

static void
netchild_settings(struct imsg *imsg)
{
	struct imsg_dec		 dec;
	struct net_settings	*s = &nc.settings;

	imsg_dec_init(&dec, imsg);
	s->body_max = imsg_get_u64(&dec);
	s->headers_max = imsg_get_u64(&dec);
	s->read_timeout = imsg_get_u64(&dec);
	s->idle_timeout = imsg_get_u64(&dec);
	s->max_output = imsg_get_u64(&dec);
	s->connections_max = imsg_get_u32(&dec);
	s->peer_max = imsg_get_u32(&dec);
	s->args_max = imsg_get_u32(&dec);
	if (imsg_dec_end(&dec) == -1)
		fatalx("bad settings message");
	evhttp_set_max_body_size(nc.http, s->body_max);
	evhttp_set_max_headers_size(nc.http, s->headers_max);
	evhttp_set_timeout(nc.http, (s->read_timeout + 999) / 1000);
}

void
http_reply(struct evhttp_request *req, int code, const char *type,
    const char *body, size_t len)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf;

	if ((buf = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (len > 0)
		evbuffer_add(buf, body, len);
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
}

/* The JSON error body of DESIGN 6.1; reason is a fixed ASCII text. */
void
http_error(struct evhttp_request *req, int code, const char *reason)
{
	char	 body[256];
	int	 n;

	n = snprintf(body, sizeof(body),
	    "{\"status\":\"error\",\"reason\":\"%s\"}\n", reason);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = 0;
	http_reply(req, code, "application/json", body, n);
}
