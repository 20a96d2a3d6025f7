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

#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Frames of the /v1/exec stream (DESIGN section 6.1):
 * type (1 byte) | length (4 bytes, big-endian) | payload.
 * Used by the request child and by hostexec, so libc only.
 */

#define FRAME_HDR_SIZE		5
#define FRAME_MAXPAYLOAD	(1024 * 1024)

#define FRAME_QUEUED		'q'
#define FRAME_STARTED		's'
#define FRAME_STDOUT		'1'
#define FRAME_STDERR		'2'
#define FRAME_EXIT		'x'
#define FRAME_DENIED		'd'
/* 'k': empty, still there; only to a client that asked for them. */
#define FRAME_KEEPALIVE		'k'

/*
 * Keep-alives: a client that sends KEEPALIVE_HEADER (value 1) gets a
 * 'k' frame every KEEPALIVE_INTERVAL seconds while it waits for a human
 * or its command runs, and the server's answer carries the same header
 * with the interval.  Older clients reject unknown frame types, so
 * they get none.  A client may take KEEPALIVE_MISSES intervals without
 * any frame for a server that no longer responds.
 */
#define KEEPALIVE_HEADER	"Guardiand-Keepalive"
#define KEEPALIVE_INTERVAL	3
#define KEEPALIVE_MISSES	5

/* 'x' payload: kind, code (BE32), duration ms (BE32). */
#define EXIT_EXITED		0
#define EXIT_SIGNALED		1
#define EXIT_TIMEDOUT		2
#define EXIT_KILLED		3
#define FRAME_EXIT_LEN		9

/* 'd' payload: reason, then UTF-8 text. */
#define DENY_POLICY		0
#define DENY_HUMAN		1
#define DENY_TIMEOUT		2
#define DENY_SPAWN		3
#define DENY_ERROR		4
#define DENY_BUSY		5	/* no room now: try again */

#define CONTENT_TYPE_STREAM	"application/vnd.guardiand.stream"

void	 frame_hdr(unsigned char [FRAME_HDR_SIZE], int, uint32_t);
void	 frame_exit(unsigned char [FRAME_EXIT_LEN], int, uint32_t,
	    uint32_t);

/*
 * Incremental parser.  frame_parse() looks at buf[0..len): returns
 * 1 with *type, *payload and *plen set and *used bytes consumed,
 * 0 if more bytes are needed, -1 on an unknown type or a payload
 * over FRAME_MAXPAYLOAD.
 */
int	 frame_parse(const unsigned char *, size_t, int *,
	    const unsigned char **, uint32_t *, size_t *);

#endif /* FRAME_H */
