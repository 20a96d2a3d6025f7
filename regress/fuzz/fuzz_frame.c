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
 * The frames of the /v1/exec stream (common/frame.c, DESIGN 6.1), as
 * hostexec reads them from the daemon.  The input is the stream.
 * Oracle: the frames found in it whole are found again, in the same
 * order, when it arrives in pieces (of sizes taken from the input);
 * a bad stream is refused at the same frame, and as soon as its type
 * byte (or its length) is seen; every frame lies inside the buffer,
 * has a known type and a length within FRAME_MAXPAYLOAD, and
 * frame_hdr() writes its header back byte for byte.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"

#define MAXFRAMES	4096

struct found {
	int		 type;
	size_t		 off;		/* of the payload in the stream */
	uint32_t	 len;
};

/* The frames of buf[0..len) read whole; -1, 0 or 1 as frame_parse(). */
static int
parse_all(const uint8_t *buf, size_t len, struct found *f, size_t *nf,
    size_t *endp)
{
	const unsigned char	*payload;
	unsigned char		 hdr[FRAME_HDR_SIZE];
	uint32_t		 plen;
	size_t			 off = 0, used;
	int			 r, type;

	*nf = 0;
	for (;;) {
		r = frame_parse(buf + off, len - off, &type, &payload, &plen,
		    &used);
		if (r != 1 || *nf == MAXFRAMES)
			break;
		FUZZ_CHECK(used == FRAME_HDR_SIZE + (size_t)plen);
		FUZZ_CHECK(used <= len - off);
		FUZZ_CHECK(payload == buf + off + FRAME_HDR_SIZE);
		FUZZ_CHECK(plen <= FRAME_MAXPAYLOAD);
		FUZZ_CHECK(strchr("qs12xd", type) != NULL && type != 0);
		frame_hdr(hdr, type, plen);
		FUZZ_CHECK(memcmp(hdr, buf + off, FRAME_HDR_SIZE) == 0);
		f[*nf].type = type;
		f[*nf].off = off + FRAME_HDR_SIZE;
		f[*nf].len = plen;
		(*nf)++;
		off += used;
	}
	*endp = off;
	return (r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct found	 whole[MAXFRAMES];
	const unsigned char	*payload;
	uint8_t			*buf;
	uint32_t		 plen;
	size_t			 nwhole, end, have = 0, off = 0, nf = 0;
	size_t			 used, step, k = 0;
	int			 r, rwhole, type;

	rwhole = parse_all(data, size, whole, &nwhole, &end);
	if (nwhole == MAXFRAMES)
		return (0);
	if (rwhole == -1) {
		/* Refused as soon as the bytes seen prove it bad. */
		if (strchr("qs12xd", data[end]) == NULL || data[end] == 0)
			FUZZ_CHECK(frame_parse(data + end, 1, &type, &payload,
			    &plen, &used) == -1);
		else
			FUZZ_CHECK(frame_parse(data + end, FRAME_HDR_SIZE,
			    &type, &payload, &plen, &used) == -1);
	}

	/* The same stream in pieces, as a reader's buffer fills. */
	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	r = 0;
	while (have < size) {
		step = 1 + data[k++ % size] % 13;
		if (step > size - have)
			step = size - have;
		memcpy(buf + have, data + have, step);
		have += step;
		while ((r = frame_parse(buf + off, have - off, &type,
		    &payload, &plen, &used)) == 1) {
			FUZZ_CHECK(nf < nwhole);
			FUZZ_CHECK(type == whole[nf].type);
			FUZZ_CHECK(plen == whole[nf].len);
			FUZZ_CHECK(payload == buf + whole[nf].off);
			nf++;
			off += used;
		}
		if (r == -1)
			break;
	}
	FUZZ_CHECK(nf == nwhole);
	FUZZ_CHECK(r == rwhole);
	FUZZ_CHECK(off == end);
	free(buf);
	return (0);
}
