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
 * The request child's own parsing of what a container sends
 * (guardiand/request_parse.c, DESIGN 6.1): the input is an HTTP
 * request, head and body.  evhttp parses the head; ours is the scan
 * for Content-Length and NUL bytes as the head arrives, the token of
 * X-Cloister-Token or Authorization, and the JSON body.
 *
 * Oracle: the scan of the head in pieces (sizes from the input) ends
 * as the scan of the whole; a token passed on is printable ASCII of at
 * most 1024 bytes, cut from the header's value; a body accepted gives
 * an IMSG_REQ_NEW the parent accepts (every argument UTF-8 without
 * NUL, within the counts: a client must never make the request child
 * break the protocol, which takes the daemon down), whose canonical
 * string fits a message.  And json_str(), which puts command output
 * into /request's JSON reply, always writes one JSON string that
 * jansson reads back, without a raw C0 control (JSON forbids them) or
 * line separator (JavaScript would end a line there).
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event.h>
#include <event2/buffer.h>
#include <jansson.h>

#include "canon.h"
#include "fuzz.h"
#include "guardiand.h"
#include "msg.h"
#include "request_priv.h"

#define BODY_MAX	(1024 * 1024)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_object_seed(1);
	return (0);
}

static void
scan_head(const uint8_t *data, size_t size, uint64_t body_max)
{
	struct head_scan	 whole, part;
	size_t			 off = 0, step, k = 0;
	int			 rw, rp = 0;

	head_scan_init(&whole);
	rw = head_scan(&whole, body_max, data, size);
	head_scan_init(&part);
	while (off < size && rp == 0 && part.state != H_DONE) {
		step = 1 + data[k++ % size] % 17;
		if (step > size - off)
			step = size - off;
		rp = head_scan(&part, body_max, data + off, step);
		off += step;
	}
	FUZZ_CHECK(rp == rw);
	FUZZ_CHECK(rw != 0 || part.state == whole.state);
	FUZZ_CHECK(rw == 0 || rw == 400 || rw == 413);
	/* A NUL byte in the head is always refused. */
	if (rw == 0 && whole.state != H_DONE)
		FUZZ_CHECK(memchr(data, '\0', size) == NULL);
}

/* The value of header name in the head, malloc'd, or NULL. */
static char *
header(const char *head, const char *name)
{
	const char	*line, *end, *v;
	size_t		 n = strlen(name);

	for (line = head; *line != '\0'; line = end + (*end != '\0')) {
		end = line + strcspn(line, "\n");
		if ((size_t)(end - line) > n && line[n] == ':' &&
		    strncasecmp(line, name, n) == 0) {
			for (v = line + n + 1; *v == ' '; v++)
				;
			return (strndup(v, end - v - (end > v &&
			    end[-1] == '\r')));
		}
	}
	return (NULL);
}

static void
check_token(const char *head)
{
	char		*x, *auth;
	const char	*t;
	size_t		 i, len;

	x = header(head, "X-Cloister-Token");
	auth = header(head, "Authorization");
	t = request_token(x, auth);
	len = strlen(t);
	FUZZ_CHECK(len <= 1024);
	for (i = 0; i < len; i++)
		FUZZ_CHECK(t[i] > ' ' && t[i] <= '~');
	if (len > 0)
		FUZZ_CHECK(t >= (x != NULL ? x : auth) &&
		    t + len == (x != NULL ? x : auth) +
		    strlen(x != NULL ? x : auth));
	free(x);
	free(auth);
}

/*
 * What the parent takes of IMSG_REQ_NEW (parent_req.c, req_new): the
 * request child's body, encoded and decoded as both ends do.
 */
static void
check_message(json_t *args)
{
	struct msg_req_new	 m, d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;
	char			*canon;
	uint32_t		 i;

	memset(&m, 0, sizeof(m));
	m.mode = REQ_MODE_STREAM;
	m.token = "token";
	m.peer = "127.0.0.1";
	m.argc = json_array_size(args);
	if ((m.argv = calloc(m.argc + 1, sizeof(*m.argv))) == NULL)
		abort();
	for (i = 0; i < m.argc; i++)
		m.argv[i] = (char *)json_string_value(json_array_get(args, i));
	msg_req_new_enc(&enc, &m);
	free(m.argv);
	FUZZ_CHECK(!enc.error && enc.len <= IMSG_MAXSIZE - IMSG_HDR_SIZE);

	memset(&imsg, 0, sizeof(imsg));
	imsg.data = enc.buf;
	imsg.datalen = enc.len;
	imsg.fd = -1;
	FUZZ_CHECK(msg_req_new_dec(&imsg, &d) == 0);
	FUZZ_CHECK(d.argc == m.argc);
	/* Its canonical form travels to the policy child and the ui. */
	canon = canon_argv(d.argc, d.argv);
	FUZZ_CHECK(canon != NULL && strlen(canon) < IMSG_MAXSIZE / 2);
	free(canon);
	msg_req_new_clear(&d);
	imsg_enc_free(&enc);
}

static void
check_body(const char *body, size_t len, uint32_t args_max)
{
	json_t	*root, *args;
	char	 reason[512];
	int	 code;

	reason[0] = '\0';
	code = request_body(body, len, args_max, &root, &args, reason,
	    sizeof(reason));
	if (code != 0) {
		FUZZ_CHECK(code == 400 || code == 413);
		FUZZ_CHECK(root == NULL && reason[0] != '\0');
		return;
	}
	FUZZ_CHECK(json_is_array(args) && json_array_size(args) > 0 &&
	    json_array_size(args) <= args_max);
	check_message(args);
	json_decref(root);
}

/* Command output, as /request returns it. */
static void
check_json_str(const uint8_t *data, size_t size)
{
	struct evbuffer		*b;
	const unsigned char	*s;
	json_t			*v;
	size_t			 len, i;

	if ((b = evbuffer_new()) == NULL)
		abort();
	json_str(b, data, size);
	len = evbuffer_get_length(b);
	s = evbuffer_pullup(b, -1);
	for (i = 0; i < len; i++) {
		FUZZ_CHECK(s[i] >= 0x20);
		FUZZ_CHECK(i + 2 >= len || s[i] != 0xe2 || s[i + 1] != 0x80 ||
		    (s[i + 2] != 0xa8 && s[i + 2] != 0xa9));
	}
	v = json_loadb((const char *)s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    NULL);
	FUZZ_CHECK(v != NULL && json_is_string(v));
	/* Valid UTF-8 comes back unchanged. */
	if (utf8_valid((const char *)data, size))
		FUZZ_CHECK(json_string_length(v) == size &&
		    memcmp(json_string_value(v), data, size) == 0);
	json_decref(v);
	evbuffer_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*sep;
	char		*head;
	size_t		 hlen = 0, blen;
	const char	*body;

	scan_head(data, size, size > 0 ? data[0] * 3 : BODY_MAX);
	/* The head ends at the first empty line; without one, all is body. */
	if ((sep = memmem(data, size, "\r\n\r\n", 4)) != NULL)
		hlen = sep - data + 4;
	else if ((sep = memmem(data, size, "\n\n", 2)) != NULL)
		hlen = sep - data + 2;
	if ((head = strndup((const char *)data, hlen)) == NULL)
		abort();
	check_token(head);
	free(head);
	body = (const char *)data + hlen;
	blen = size - hlen;
	check_body(body, blen, 4096);
	check_body(body, blen, 3);
	check_json_str(data, size);
	return (0);
}
