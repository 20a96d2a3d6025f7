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

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "guardiand.h"
#include "request_priv.h"

/*
 * What a container sends, judged apart from the connection it came on:
 * the head of a request as far as we look at it, the token, and the
 * JSON body.  Nothing here has state beyond its arguments, so the
 * fuzz tests (regress/fuzz) run it alone.
 */

void
head_scan_init(struct head_scan *h)
{
	h->state = H_FIRST;
	h->len = 0;
}

/*
 * One line of a request head, as far as it fits in h->line.  -1 if
 * it announces a body over the limit.
 */
static int
head_line(struct head_scan *h, uint64_t body_max)
{
	const char	*p, *end;
	uint64_t	 v = 0;
	size_t		 len = h->len;
	int		 ndigits = 0, big = 0;

	if (len > 0 && len < sizeof(h->line) && h->line[len - 1] == '\r')
		len--;
	if (h->state == H_FIRST) {
		if (len > 0)
			h->state = H_HEADERS;
		return (0);
	}
	if (len == 0) {
		h->state = H_DONE;
		return (0);
	}
	if (len < 15 || strncasecmp(h->line, "content-length:", 15) != 0)
		return (0);
	p = h->line + 15;
	end = h->line + len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < end && *p >= '0' && *p <= '9'; p++, ndigits++) {
		if (v > (UINT64_MAX - 9) / 10)
			big = 1;
		else
			v = v * 10 + (*p - '0');
	}
	if (ndigits > 0 && (big || v > body_max))
		return (-1);
	return (0);
}

/*
 * 0, or the HTTP status to refuse the request with: a body over the
 * limit, or a NUL byte, which evhttp would silently cut a header at.
 */
int
head_scan(struct head_scan *h, uint64_t body_max, const unsigned char *p,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n && h->state != H_DONE; i++) {
		if (p[i] == '\n') {
			if (head_line(h, body_max) == -1)
				return (413);
			h->len = 0;
		} else if (p[i] == '\0')
			return (400);
		else if (h->len < sizeof(h->line))
			h->line[h->len++] = p[i];
	}
	return (0);
}

/*
 * The token, as the client gave it.  We do not judge it; one that
 * could not possibly be valid (config.h: printable ASCII, at most
 * CONFIG_TOKEN_MAX) is passed on as missing.
 */
const char *
request_token(const char *xtoken, const char *authorization)
{
	const char	*t, *p;

	if ((t = xtoken) == NULL) {
		if ((t = authorization) == NULL ||
		    strncasecmp(t, "Bearer ", 7) != 0)
			return ("");
		for (t += 7; *t == ' ' || *t == '\t'; t++)
			;
	}
	for (p = t; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || p - t >= 1024)
			return ("");
	return (t);
}

/*
 * {"args": ["git", "push"]}: an object whose "args" is an array of
 * 1 to args_max strings without NUL, at most REQ_ARGV_MAX bytes in
 * all.  Other members are ignored (cloister sends "cmd" too).
 */
int
request_body(const char *data, size_t len, uint32_t args_max, json_t **rootp,
    json_t **argsp, char *reason, size_t reasonlen)
{
	json_error_t	 jerr;
	json_t		*root, *args, *v;
	size_t		 argc, i, total = 0;
	int		 code = 400;

	*rootp = *argsp = NULL;
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (root == NULL) {
		snprintf(reason, reasonlen, "invalid JSON at byte %d: %s",
		    jerr.position, jerr.text);
		return (400);
	}
	if (!json_is_object(root)) {
		snprintf(reason, reasonlen, "the body must be a JSON object");
		goto bad;
	}
	if ((args = json_object_get(root, "args")) == NULL) {
		snprintf(reason, reasonlen, "missing \"args\"");
		goto bad;
	}
	if (!json_is_array(args)) {
		snprintf(reason, reasonlen,
		    "\"args\" must be an array of strings");
		goto bad;
	}
	if ((argc = json_array_size(args)) == 0) {
		snprintf(reason, reasonlen, "\"args\" is empty");
		goto bad;
	}
	if (argc > args_max) {
		snprintf(reason, reasonlen, "too many arguments: %zu, at most "
		    "%u", argc, args_max);
		goto bad;
	}
	for (i = 0; i < argc; i++) {
		v = json_array_get(args, i);
		if (!json_is_string(v)) {
			snprintf(reason, reasonlen, "args[%zu] is not a string",
			    i);
			goto bad;
		}
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(reason, reasonlen, "args[%zu] contains a NUL "
			    "byte", i);
			goto bad;
		}
		total += json_string_length(v);
		if (total > REQ_ARGV_MAX) {
			snprintf(reason, reasonlen, "command too long: its "
			    "arguments exceed %d bytes", REQ_ARGV_MAX);
			code = 413;
			goto bad;
		}
	}
	*rootp = root;
	*argsp = args;
	return (0);
 bad:
	json_decref(root);
	return (code);
}
