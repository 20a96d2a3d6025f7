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

#include <string.h>

#include <event.h>
#include <evhttp.h>

#include "guardiand.h"
#include "log.h"
#include "netchild.h"

/* The container-facing role: DESIGN section 6.1. */

static void	 request_gencb(struct evhttp_request *, void *);

void
request_init(struct netchild *nc)
{
	evhttp_set_gencb(nc->http, request_gencb, nc);
}

void
request_dispatch_imsg(struct netchild *nc, struct imsg *imsg)
{
	fatalx("unexpected message type %u from parent", imsg->hdr.type);
}

static void
request_gencb(struct evhttp_request *req, void *arg)
{
	const char	*uri = evhttp_request_get_uri(req);

	if (strcmp(uri, "/healthz") == 0) {
		if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
			http_error(req, 405, "method not allowed");
			return;
		}
		http_reply(req, HTTP_OK, "text/plain", "ok\n", 3);
		return;
	}
	http_error(req, HTTP_NOTFOUND, "not found");
}
