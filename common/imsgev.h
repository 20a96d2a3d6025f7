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

#ifndef IMSGEV_H
#define IMSGEV_H

#include <event.h>

#include "imsg.h"

/* An imsgbuf driven by a libevent event: writes flush when writable. */
struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	 ev;
	void		(*handler)(int, short, void *);
	void		*data;
	short		 events;
};

/* The handler is called as handler(fd, EV_READ|EV_WRITE bits, data). */
int	 imsgev_init(struct imsgev *, int, void (*)(int, short, void *),
	    void *);
/* Deletes the event, imsgbuf_clear()s; the socket stays open. */
void	 imsgev_clear(struct imsgev *);
/* Re-arm: EV_READ always, EV_WRITE while something is queued. */
void	 imsgev_update(struct imsgev *);
int	 imsgev_compose(struct imsgev *, uint32_t, uint32_t, int,
	    const void *, size_t);
int	 imsgev_compose_enc(struct imsgev *, uint32_t, uint32_t, int,
	    struct imsg_enc *);

#endif /* IMSGEV_H */
