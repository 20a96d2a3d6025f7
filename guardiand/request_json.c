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

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event.h>
#include <evhttp.h>
#include <event2/buffer.h>

#include "canon.h"
#include "guardiand.h"
#include "netchild.h"
#include "request_priv.h"

/*
 * The request role's replies: JSON bodies built straight into evbuffers,
 * with strings escaped and made valid UTF-8 on the way.
 */

const char *
http_phrase(int code)
{
	switch (code) {
	case 200:
		return ("OK");
	case 400:
		return ("Bad Request");
	case 401:
		return ("Unauthorized");
	case 403:
		return ("Forbidden");
	case 404:
		return ("Not Found");
	case 405:
		return ("Method Not Allowed");
	case 408:
		return ("Request Timeout");
	case 413:
		return ("Payload Too Large");
	case 429:
		return ("Too Many Requests");
	case 503:
		return ("Service Unavailable");
	default:
		return (code >= 500 ? "Internal Server Error" : "Error");
	}
}

/*
 * A JSON string of arbitrary bytes.  JSON carries UTF-8 only: as Go's
 * encoding/json does for cloister, each byte that is not part of a
 * valid sequence becomes U+FFFD.  Runs that need no escaping are
 * added in one piece.
 */
void
json_str(struct evbuffer *out, const void *data, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = data;
	size_t			 i = 0, run = 0, n;
	uint32_t		 cp;
	char			 esc[8];
	const char		*e;
	size_t			 elen;

	evbuffer_add(out, "\"", 1);
	while (i < len) {
		if (s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' &&
		    s[i] != '\\') {
			i++;
			continue;
		}
		n = 1;
		if (s[i] >= 0x80) {
			n = utf8_decode(s + i, len - i, &cp);
			/* Line separators, which JavaScript takes for ends. */
			if (n > 0 && cp != 0x2028 && cp != 0x2029) {
				i += n;
				continue;
			}
			if (n == 0) {
				e = "\\ufffd";
				n = 1;
			} else
				e = cp == 0x2028 ? "\\u2028" : "\\u2029";
			elen = 6;
		} else if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = s[i];
			e = esc;
			elen = 2;
		} else if (s[i] == '\n') {
			e = "\\n";
			elen = 2;
		} else if (s[i] == '\r') {
			e = "\\r";
			elen = 2;
		} else if (s[i] == '\t') {
			e = "\\t";
			elen = 2;
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 0xf];
			e = esc;
			elen = 6;
		}
		if (i > run)
			evbuffer_add(out, s + run, i - run);
		evbuffer_add(out, e, elen);
		i += n;
		run = i;
	}
	if (i > run)
		evbuffer_add(out, s + run, i - run);
	evbuffer_add(out, "\"", 1);
}

void
reply_json(struct evhttp_request *req, int code, struct evbuffer *body)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, http_phrase(code), body);
}

/* {"status":"error","reason":"..."} with any text, escaped. */
void
reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*b;
	va_list			 ap;
	char			 reason[1024];
	int			 n;

	va_start(ap, fmt);
	n = vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	else if ((size_t)n >= sizeof(reason))
		n = sizeof(reason) - 1;
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(b, "{\"status\":\"error\",\"reason\":", 27);
	json_str(b, reason, n);
	evbuffer_add(b, "}\n", 2);
	if (code == 401)
		evhttp_add_header(h, "WWW-Authenticate",
		    "Bearer realm=\"guardiand\"");
	reply_json(req, code, b);
	evbuffer_free(b);
}
