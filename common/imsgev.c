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
 * An imsgbuf driven by one persistent libevent event on its socket:
 * always readable, writable only while something is queued, so an
 * idle channel never spins on EV_WRITE.  A message is written as soon
 * as it is composed when nothing is queued before it (the socket is
 * non-blocking): only what the socket does not take waits for
 * EV_WRITE, which spares two epoll_ctl(2) calls and a loop turn per
 * message.  The event lives on the base
 * that was current at imsgev_init() (each process's event_init()).
 */

#include <event.h>

#include "imsgev.h"

static void
imsgev_arm(struct imsgev *iev, short events)
{
	struct event_base	*base = event_get_base(&iev->ev);

	event_del(&iev->ev);
	event_assign(&iev->ev, base, iev->ibuf.fd, events | EV_PERSIST,
	    iev->handler, iev->data);
	event_add(&iev->ev, NULL);
	iev->events = events;
}

int
imsgev_init(struct imsgev *iev, int fd, void (*handler)(int, short, void *),
    void *data)
{
	if (imsgbuf_init(&iev->ibuf, fd) == -1)
		return (-1);
	iev->handler = handler;
	iev->data = data;
	iev->events = EV_READ;
	event_set(&iev->ev, fd, iev->events | EV_PERSIST, handler, data);
	if (event_add(&iev->ev, NULL) == -1) {
		imsgbuf_clear(&iev->ibuf);
		return (-1);
	}
	return (0);
}

void
imsgev_clear(struct imsgev *iev)
{
	event_del(&iev->ev);
	imsgbuf_clear(&iev->ibuf);
	iev->events = 0;
}

void
imsgev_update(struct imsgev *iev)
{
	short	 events = EV_READ;

	if (imsg_queued(&iev->ibuf) > 0)
		events |= EV_WRITE;
	/* Spare the epoll_ctl(2) calls when nothing changes. */
	if (events == iev->events &&
	    event_pending(&iev->ev, EV_READ | EV_WRITE, NULL))
		return;
	imsgev_arm(iev, events);
}

/*
 * Write what was just queued if nothing waits before it.  An error
 * leaves the message queued: the handler meets it on EV_WRITE, where
 * every channel already deals with a peer that went away.
 */
static void
imsgev_flush(struct imsgev *iev)
{
	if ((iev->events & EV_WRITE) == 0)
		(void)imsg_write(&iev->ibuf);
	imsgev_update(iev);
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t datalen)
{
	if (imsg_compose(&iev->ibuf, type, peerid, fd, data, datalen) == -1)
		return (-1);
	imsgev_flush(iev);
	return (0);
}

int
imsgev_compose_enc(struct imsgev *iev, uint32_t type, uint32_t peerid,
    int fd, struct imsg_enc *enc)
{
	if (imsg_compose_enc(&iev->ibuf, type, peerid, fd, enc) == -1)
		return (-1);
	imsgev_flush(iev);
	return (0);
}
