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
 * /v1/exec stream frames (DESIGN section 6.1): encoding and the
 * incremental parser.  Inputs are copied into buffers of exactly the
 * length given, so an over-read trips ASan.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const int	 types[] = { FRAME_QUEUED, FRAME_STARTED, FRAME_STDOUT,
			    FRAME_STDERR, FRAME_EXIT, FRAME_DENIED,
			    FRAME_KEEPALIVE };

/* frame_parse on a private copy of exactly len bytes. */
static int
parse_exact(const unsigned char *buf, size_t len, int *type,
    uint32_t *plen, size_t *used, unsigned char *payload_out)
{
	unsigned char		*copy;
	const unsigned char	*payload = NULL;
	int			 r;

	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, buf, len);
	r = frame_parse(copy, len, type, &payload, plen, used);
	if (r == 1) {
		assert_ptr_equal(payload, copy + FRAME_HDR_SIZE);
		assert_true(*used == FRAME_HDR_SIZE + (size_t)*plen);
		assert_true(*used <= len);
		if (payload_out != NULL)
			memcpy(payload_out, payload, *plen);
	}
	free(copy);
	return (r);
}

/* Append one frame to buf at *off. */
static void
put_frame(unsigned char *buf, size_t *off, int type, const void *p,
    uint32_t len)
{
	frame_hdr(buf + *off, type, len);
	if (len > 0)
		memcpy(buf + *off + FRAME_HDR_SIZE, p, len);
	*off += FRAME_HDR_SIZE + len;
}

static void
test_hdr_bytes(void **state)
{
	unsigned char	 h[FRAME_HDR_SIZE];

	frame_hdr(h, FRAME_STDOUT, 0);
	assert_memory_equal(h, "1\0\0\0\0", 5);
	frame_hdr(h, FRAME_STDERR, 0x01020304);
	assert_memory_equal(h, "2\x01\x02\x03\x04", 5);
	frame_hdr(h, FRAME_QUEUED, 0x80);
	assert_memory_equal(h, "q\0\0\0\x80", 5);
	frame_hdr(h, FRAME_STARTED, 0xff00);
	assert_memory_equal(h, "s\0\0\xff\0", 5);
	frame_hdr(h, FRAME_DENIED, FRAME_MAXPAYLOAD);
	assert_memory_equal(h, "d\0\x10\0\0", 5);
	frame_hdr(h, FRAME_EXIT, 0xffffffffU);
	assert_memory_equal(h, "x\xff\xff\xff\xff", 5);
	frame_hdr(h, 0x1ff, 0xa1b2c3d4U);	/* only the low byte */
	assert_memory_equal(h, "\xff\xa1\xb2\xc3\xd4", 5);
}

static void
test_exit_bytes(void **state)
{
	unsigned char	 p[FRAME_EXIT_LEN + 1];

	assert_int_equal(FRAME_EXIT_LEN, 9);
	p[FRAME_EXIT_LEN] = 0xa5;
	frame_exit(p, EXIT_EXITED, 0, 0);
	assert_memory_equal(p, "\0\0\0\0\0\0\0\0\0", 9);
	frame_exit(p, EXIT_EXITED, 1, 2300);
	assert_memory_equal(p, "\0\0\0\0\x01\0\0\x08\xfc", 9);
	frame_exit(p, EXIT_SIGNALED, 9, 0x01020304);
	assert_memory_equal(p, "\x01\0\0\0\x09\x01\x02\x03\x04", 9);
	frame_exit(p, EXIT_TIMEDOUT, 0xdeadbeefU, 0xffffffffU);
	assert_memory_equal(p, "\x02\xde\xad\xbe\xef\xff\xff\xff\xff", 9);
	frame_exit(p, EXIT_KILLED, 15, 1800000);
	assert_memory_equal(p, "\x03\0\0\0\x0f\0\x1b\x77\x40", 9);
	assert_int_equal(p[FRAME_EXIT_LEN], 0xa5);	/* no overrun */
}

static void
test_parse_whole(void **state)
{
	unsigned char	 buf[64], got[64];
	size_t		 off = 0, used;
	uint32_t	 plen;
	int		 type;

	put_frame(buf, &off, FRAME_STDOUT, "hello\n", 6);
	assert_int_equal(parse_exact(buf, off, &type, &plen, &used, got), 1);
	assert_int_equal(type, FRAME_STDOUT);
	assert_int_equal(plen, 6);
	assert_int_equal(used, 11);
	assert_memory_equal(got, "hello\n", 6);

	/* Trailing bytes of the next frame are left alone. */
	buf[off++] = FRAME_STDERR;
	buf[off++] = 0;
	assert_int_equal(parse_exact(buf, off, &type, &plen, &used, got), 1);
	assert_int_equal(used, 11);
}

/* The bytes of a frame fed one at a time: 0 until the last one. */
static void
test_parse_bytewise(void **state)
{
	unsigned char	 buf[64], got[64], x[FRAME_EXIT_LEN];
	size_t		 off = 0, i, used;
	uint32_t	 plen;
	int		 type, r;

	frame_exit(x, EXIT_SIGNALED, 15, 42);
	put_frame(buf, &off, FRAME_EXIT, x, sizeof(x));
	for (i = 0; i < off; i++) {
		type = -7;
		r = parse_exact(buf, i, &type, &plen, &used, got);
		if (r != 0)
			fail_msg("prefix of %zu bytes: %d, want 0", i, r);
		assert_int_equal(type, -7);	/* untouched */
	}
	assert_int_equal(parse_exact(buf, off, &type, &plen, &used, got), 1);
	assert_int_equal(type, FRAME_EXIT);
	assert_int_equal(plen, FRAME_EXIT_LEN);
	assert_memory_equal(got, "\x01\0\0\0\x0f\0\0\0\x2a", 9);
}

static void
test_parse_multiple(void **state)
{
	unsigned char		 buf[256];
	const unsigned char	*p, *payload;
	size_t			 off = 0, left, used;
	uint32_t		 plen;
	int			 type, n = 0;

	put_frame(buf, &off, FRAME_QUEUED, "approve at http://x", 19);
	put_frame(buf, &off, FRAME_STARTED, "", 0);
	put_frame(buf, &off, FRAME_STDOUT, "a", 1);
	put_frame(buf, &off, FRAME_STDERR, "", 0);
	put_frame(buf, &off, FRAME_STDOUT, "\0\xff", 2);
	put_frame(buf, &off, FRAME_DENIED, "\x01no", 3);

	for (p = buf, left = off; left > 0; p += used, left -= used) {
		assert_int_equal(frame_parse(p, left, &type, &payload, &plen,
		    &used), 1);
		assert_ptr_equal(payload, p + FRAME_HDR_SIZE);
		switch (n++) {
		case 0:
			assert_int_equal(type, FRAME_QUEUED);
			assert_int_equal(plen, 19);
			assert_memory_equal(payload, "approve at http://x", 19);
			break;
		case 1:
			assert_int_equal(type, FRAME_STARTED);
			assert_int_equal(plen, 0);
			assert_int_equal(used, FRAME_HDR_SIZE);
			break;
		case 2:
			assert_int_equal(type, FRAME_STDOUT);
			assert_int_equal(plen, 1);
			assert_int_equal(payload[0], 'a');
			break;
		case 3:
			assert_int_equal(type, FRAME_STDERR);
			assert_int_equal(plen, 0);
			break;
		case 4:
			assert_int_equal(type, FRAME_STDOUT);
			assert_int_equal(plen, 2);
			assert_memory_equal(payload, "\0\xff", 2);
			break;
		case 5:
			assert_int_equal(type, FRAME_DENIED);
			assert_int_equal(plen, 3);
			assert_memory_equal(payload, "\x01no", 3);
			break;
		}
	}
	assert_int_equal(n, 6);
	assert_int_equal(frame_parse(p, 0, &type, &payload, &plen, &used), 0);
}

/* Zero-length payloads of every type, alone and back to back. */
static void
test_parse_empty(void **state)
{
	unsigned char	 buf[FRAME_HDR_SIZE * NITEMS(types)];
	size_t		 off = 0, i, pos, used;
	uint32_t	 plen;
	int		 type;

	for (i = 0; i < NITEMS(types); i++)
		put_frame(buf, &off, types[i], NULL, 0);
	for (i = 0, pos = 0; i < NITEMS(types); i++, pos += used) {
		assert_int_equal(parse_exact(buf + pos, off - pos, &type,
		    &plen, &used, NULL), 1);
		assert_int_equal(type, types[i]);
		assert_int_equal(plen, 0);
		assert_int_equal(used, FRAME_HDR_SIZE);
		/* Alone: exactly the header. */
		assert_int_equal(parse_exact(buf + pos, FRAME_HDR_SIZE, &type,
		    &plen, &used, NULL), 1);
	}
	assert_int_equal(pos, off);
}

/* Every byte but the seven types is refused, as soon as it is seen. */
static void
test_parse_unknown(void **state)
{
	unsigned char	 buf[FRAME_HDR_SIZE + 1];
	size_t		 used, len, i;
	uint32_t	 plen;
	int		 c, type, known, nknown = 0, r, want;

	for (c = 0; c < 256; c++) {
		known = 0;
		for (i = 0; i < NITEMS(types); i++)
			known |= types[i] == c;
		nknown += known;
		frame_hdr(buf, c, 1);
		buf[FRAME_HDR_SIZE] = 'z';
		for (len = 1; len <= sizeof(buf); len++) {
			r = parse_exact(buf, len, &type, &plen, &used, NULL);
			want = !known ? -1 : len == sizeof(buf) ? 1 : 0;
			if (r != want)
				fail_msg("type 0x%02x, %zu bytes: %d, want %d",
				    c, len, r, want);
		}
	}
	assert_int_equal(nknown, 7);
}

/* Length over the limit: refused from the header alone. */
static void
test_parse_oversized(void **state)
{
	static const uint32_t	 bad[] = { FRAME_MAXPAYLOAD + 1,
				    FRAME_MAXPAYLOAD * 2, 0x7fffffffU,
				    0x80000000U, 0xffffffffU };
	unsigned char		 h[FRAME_HDR_SIZE];
	size_t			 i, used, len;
	uint32_t		 plen;
	int			 type;

	for (i = 0; i < NITEMS(bad); i++) {
		frame_hdr(h, FRAME_STDOUT, bad[i]);
		for (len = 1; len < FRAME_HDR_SIZE; len++)
			assert_int_equal(parse_exact(h, len, &type, &plen,
			    &used, NULL), 0);
		assert_int_equal(parse_exact(h, FRAME_HDR_SIZE, &type, &plen,
		    &used, NULL), -1);
	}
}

/* Exactly FRAME_MAXPAYLOAD is fine, and needs all of its bytes. */
static void
test_parse_boundary(void **state)
{
	size_t		 total = FRAME_HDR_SIZE + FRAME_MAXPAYLOAD, used;
	unsigned char	*buf;
	uint32_t	 plen;
	int		 type;

	buf = malloc(total);
	assert_non_null(buf);
	frame_hdr(buf, FRAME_STDERR, FRAME_MAXPAYLOAD);
	memset(buf + FRAME_HDR_SIZE, 'e', FRAME_MAXPAYLOAD);
	buf[total - 1] = 'E';
	assert_int_equal(parse_exact(buf, FRAME_HDR_SIZE, &type, &plen,
	    &used, NULL), 0);
	assert_int_equal(parse_exact(buf, total - 1, &type, &plen, &used,
	    NULL), 0);
	assert_int_equal(parse_exact(buf, total, &type, &plen, &used, NULL),
	    1);
	assert_int_equal(type, FRAME_STDERR);
	assert_int_equal(plen, FRAME_MAXPAYLOAD);
	assert_int_equal(used, total);
	free(buf);
}

/*
 * A random stream cut into random chunks, parsed the way a client
 * does: append what arrived, take whole frames, keep the rest.
 */
static void
test_parse_stream(void **state)
{
	enum { NFRAMES = 2000 };
	static int		 t[NFRAMES];
	static uint32_t		 l[NFRAMES];
	unsigned char		*stream, *acc, *p;
	const unsigned char	*payload;
	size_t			 slen = 0, cap, alen = 0, pos = 0, chunk, used;
	uint32_t		 plen, seed = 12345;
	int			 i, n = 0, type, r;

	cap = NFRAMES * (FRAME_HDR_SIZE + 300);
	stream = malloc(cap);
	acc = malloc(cap);
	assert_non_null(stream);
	assert_non_null(acc);
	for (i = 0; i < NFRAMES; i++) {
		seed = seed * 1103515245 + 12345;
		t[i] = types[(seed >> 16) % NITEMS(types)];
		seed = seed * 1103515245 + 12345;
		l[i] = (seed >> 16) % 300;
		frame_hdr(stream + slen, t[i], l[i]);
		slen += FRAME_HDR_SIZE;
		memset(stream + slen, i & 0xff, l[i]);
		slen += l[i];
	}
	while (pos < slen) {
		seed = seed * 1103515245 + 12345;
		chunk = 1 + (seed >> 16) % 700;
		if (chunk > slen - pos)
			chunk = slen - pos;
		memcpy(acc + alen, stream + pos, chunk);
		alen += chunk;
		pos += chunk;
		p = acc;
		while ((r = frame_parse(p, alen - (p - acc), &type, &payload,
		    &plen, &used)) == 1) {
			assert_true(n < NFRAMES);
			assert_int_equal(type, t[n]);
			assert_int_equal(plen, l[n]);
			if (plen > 0) {
				assert_int_equal(payload[0], n & 0xff);
				assert_int_equal(payload[plen - 1], n & 0xff);
			}
			n++;
			p += used;
		}
		assert_int_equal(r, 0);
		alen -= p - acc;
		memmove(acc, p, alen);
	}
	assert_int_equal(n, NFRAMES);
	assert_int_equal(alen, 0);
	free(stream);
	free(acc);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_hdr_bytes),
		cmocka_unit_test(test_exit_bytes),
		cmocka_unit_test(test_parse_whole),
		cmocka_unit_test(test_parse_bytewise),
		cmocka_unit_test(test_parse_multiple),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_unknown),
		cmocka_unit_test(test_parse_oversized),
		cmocka_unit_test(test_parse_boundary),
		cmocka_unit_test(test_parse_stream),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
