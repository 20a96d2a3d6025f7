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

/* The operator-facing role: DESIGN section 6.3. */

#define UI_CSP	"default-src 'none'; script-src 'self'; style-src 'self'; " \
		"img-src 'self'; connect-src 'self'; base-uri 'none'; " \
		"form-action 'none'; frame-ancestors 'none'"

static void	 ui_gencb(struct evhttp_request *, void *);

void
ui_init(struct netchild *nc)
{
	evhttp_set_gencb(nc->http, ui_gencb, nc);
}

void
ui_dispatch_imsg(struct netchild *nc, struct imsg *imsg)
{
	fatalx("unexpected message type %u from parent", imsg->hdr.type);
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

static void
ui_gencb(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	const struct asset	*a;
	const char		*path;
	struct evhttp_uri	*uri;

	if ((uri = evhttp_uri_parse(evhttp_request_get_uri(req))) == NULL) {
		http_error(req, HTTP_BADREQUEST, "bad request");
		return;
	}
	path = evhttp_uri_get_path(uri);
	if (path == NULL || strcmp(path, "/") == 0)
		path = "/index.html";
	evhttp_add_header(h, "Content-Security-Policy", UI_CSP);
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	if ((a = www_find(path)) == NULL)
		http_error(req, HTTP_NOTFOUND, "not found");
	else
		http_reply(req, HTTP_OK, a->type, (const char *)a->data,
		    a->len);
	evhttp_uri_free(uri);
}
