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
 * The control protocol (guardiand/parent_control_msg.c, control.h): the input
 * is what a client writes to the control socket.  As parent_control.c does,
 * the first message is read with imsg_read() and imsg_get() and
 * decoded with ctl_decode().  Oracle: a request decodes exactly (its
 * strings, and a grant's seconds, encode back to its payload), only
 * for a known request type (never for what only guardiand sends); a
 * denial's reason passes ctl_valid_reason() only if it is UTF-8 of at
 * most CTL_REASON_MAX bytes without a C0, DEL or C1 control; what
 * ctl_printable() echoes is bounded printable ASCII.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canon.h"
#include "control.h"
#include "fuzz.h"
#include "imsg.h"
#include "parent.h"

/* The strings of each request type, in order. */
static int
nstrings(uint32_t type)
{
	switch (type) {
	case CTL_STATUS:
	case CTL_SHOW_REQUESTS:
	case CTL_SHOW_CLOISTERS:
	case CTL_RELOAD:
	case CTL_UI:
	case CTL_LOG_VERBOSE:
	case CTL_LOG_BRIEF:
	case CTL_SHOW_GRANTS:
	case CTL_WATCH:
		return (0);
	case CTL_APPROVE:
	case CTL_UNREGISTER:
	case CTL_REVOKE:
	case CTL_APPROVE_FOR:
		return (1);
	case CTL_DENY:
	case CTL_DENY_FOR:
		return (2);
	case CTL_REGISTER:
		return (4);
	}
	return (-1);
}

/* A reason the daemon may show and log: per control.h, checked here. */
static int
reason_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), i;

	if (len > CTL_REASON_MAX || !utf8_valid(s, len))
		return (0);
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return (0);
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return (0);
	}
	return (1);
}

static void
check_printable(const char *s)
{
	char	 buf[64];
	size_t	 i;

	ctl_printable(s, buf, sizeof(buf));
	FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL);
	for (i = 0; buf[i] != '\0'; i++)
		FUZZ_CHECK(buf[i] >= 0x20 && buf[i] < 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	struct imsg_enc	 enc;
	struct ctl_msg	 m;
	char		*s[4];
	int		 sp[2], r, n, i;

	/* What a socket holds unread, the client waiting. */
	if (size > 64 * 1024)
		return (0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    imsgbuf_init(&ibuf, sp[0]) == -1)
		abort();
	if (size > 0 && write(sp[1], data, size) != (ssize_t)size)
		abort();
	close(sp[1]);
	while ((r = imsg_get(&ibuf, &imsg)) == 0 && imsg_read(&ibuf) > 0)
		;
	if (r != 1)
		goto done;

	n = nstrings(imsg.hdr.type);
	if (ctl_decode(&imsg, &m) == -1) {
		FUZZ_CHECK(m.a == NULL && m.b == NULL && m.c == NULL &&
		    m.d == NULL);
		imsg_free(&imsg);
		goto done;
	}
	FUZZ_CHECK(n >= 0 && m.type == imsg.hdr.type);
	s[0] = m.a;
	s[1] = m.b;
	s[2] = m.c;
	s[3] = m.d;
	/* Exactly the payload: its strings, and nothing else. */
	imsg_enc_init(&enc);
	for (i = 0; i < 4; i++) {
		FUZZ_CHECK((s[i] != NULL) == (i < n));
		if (s[i] != NULL) {
			imsg_put_str(&enc, s[i]);
			check_printable(s[i]);
		}
		/* A grant's seconds follow its id. */
		if (i == 0 && (m.type == CTL_APPROVE_FOR ||
		    m.type == CTL_DENY_FOR))
			imsg_put_u32(&enc, m.secs);
	}
	if (m.type != CTL_APPROVE_FOR && m.type != CTL_DENY_FOR)
		FUZZ_CHECK(m.secs == 0);
	FUZZ_CHECK(enc.len == imsg.datalen);
	FUZZ_CHECK(enc.len == 0 || memcmp(enc.buf, imsg.data, enc.len) == 0);
	imsg_enc_free(&enc);
	if (m.type == CTL_DENY || m.type == CTL_DENY_FOR)
		FUZZ_CHECK(ctl_valid_reason(m.b) == reason_ok(m.b));
	ctl_msg_clear(&m);
	imsg_free(&imsg);
 done:
	imsgbuf_clear(&ibuf);
	close(sp[0]);
	return (0);
}
