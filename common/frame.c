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
 * Frames of the /v1/exec stream (DESIGN section 6.1).  libc only:
 * linked into the static hostexec client.
 */

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (v >> 24) & 0xff;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint32_t
get_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

static int
frame_known(int type)
{
	switch (type) {
	case FRAME_QUEUED:
	case FRAME_STARTED:
	case FRAME_STDOUT:
	case FRAME_STDERR:
	case FRAME_EXIT:
	case FRAME_DENIED:
	case FRAME_KEEPALIVE:
		return (1);
	}
	return (0);
}

void
frame_hdr(unsigned char hdr[FRAME_HDR_SIZE], int type, uint32_t len)
{
	hdr[0] = type & 0xff;
	put_be32(hdr + 1, len);
}

void
frame_exit(unsigned char p[FRAME_EXIT_LEN], int kind, uint32_t code,
    uint32_t duration)
{
	p[0] = kind & 0xff;
	put_be32(p + 1, code);
	put_be32(p + 5, duration);
}

/*
 * Fails as soon as the bytes seen prove the stream bad (a bad type
 * byte alone, a bad length before its payload arrives), so a peer
 * cannot make the caller buffer a frame it will reject anyway.  The
 * outputs are set only when a whole frame is returned; *payload
 * points into buf.  Payload semantics ('x' is 9 bytes, 'd' at least
 * 1) are the caller's to check.
 */
int
frame_parse(const unsigned char *buf, size_t len, int *type,
    const unsigned char **payload, uint32_t *plen, size_t *used)
{
	uint32_t	 n;

	if (len < 1)
		return (0);
	if (!frame_known(buf[0]))
		return (-1);
	if (len < FRAME_HDR_SIZE)
		return (0);
	n = get_be32(buf + 1);
	if (n > FRAME_MAXPAYLOAD)
		return (-1);
	if (len - FRAME_HDR_SIZE < n)
		return (0);
	*type = buf[0];
	*payload = buf + FRAME_HDR_SIZE;
	*plen = n;
	*used = FRAME_HDR_SIZE + (size_t)n;
	return (1);
}
