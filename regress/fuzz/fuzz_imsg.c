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
 * The imsg framing and payload encoding (common/imsg.c), as every
 * process reads what its peer sends.  The input is two things at once:
 *
 * 1. A byte stream sent over a socketpair in pieces (sizes taken from
 *    the input), some pieces carrying a file descriptor, and read
 *    with imsg_read() and imsg_get() as the daemon does.  Oracle: each
 *    message is the next frame of the stream (header and payload byte
 *    for byte), with an fd exactly when it announces one; once the
 *    reader refuses the stream it stays refused; no fd is leaked.
 *
 * 2. A payload decoded with the imsg_get_*() primitives in an order
 *    taken from its first bytes.  Oracle: what decodes encodes back to
 *    the same bytes, imsg_dec_end() succeeds exactly when all was
 *    consumed, and nothing succeeds after an error.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "imsg.h"

static int	 devnull = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		abort();
	return (0);
}

/* Send len bytes, with an fd (a copy of /dev/null) if withfd. */
static void
send_piece(int s, const uint8_t *p, size_t len, int withfd)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	int		 fd = -1;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (withfd) {
		if ((fd = dup(devnull)) == -1)
			abort();
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(s, &msg, MSG_NOSIGNAL) != (ssize_t)len)
		abort();
	if (fd != -1)
		close(fd);
}

#define NFDS	256

/* Which of the descriptors 0 to NFDS - 1 are open. */
static void
open_fds(char open[NFDS])
{
	struct pollfd	 pfd[NFDS];
	int		 i;

	for (i = 0; i < NFDS; i++) {
		pfd[i].fd = i;
		pfd[i].events = 0;
	}
	if (poll(pfd, NFDS, 0) == -1)
		abort();
	for (i = 0; i < NFDS; i++)
		open[i] = !(pfd[i].revents & POLLNVAL);
}

static void
stream(const uint8_t *data, size_t size)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	size_t		 sent = 0, off = 0, k = 0, step;
	ssize_t		 n;
	char		 before[NFDS], after[NFDS];
	int		 sp[2], r = 0, withfd;

	open_fds(before);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    imsgbuf_init(&ibuf, sp[0]) == -1)
		abort();
	while (sent < size && r != -1) {
		step = 1 + data[k] % 61;
		/* Now and then a piece with a descriptor. */
		withfd = data[k] >= 0xf0;
		k = (k + 1) % size;
		if (step > size - sent)
			step = size - sent;
		send_piece(sp[1], data + sent, step, withfd);
		sent += step;
		while ((n = imsg_read(&ibuf)) > 0) {
			while ((r = imsg_get(&ibuf, &imsg)) == 1) {
				/* The next frame of the stream, exactly. */
				FUZZ_CHECK(off + IMSG_HDR_SIZE <= sent);
				memcpy(&hdr, data + off, sizeof(hdr));
				FUZZ_CHECK(memcmp(&imsg.hdr, &hdr,
				    sizeof(hdr)) == 0);
				FUZZ_CHECK(hdr.len >= IMSG_HDR_SIZE &&
				    hdr.len <= IMSG_MAXSIZE);
				FUZZ_CHECK(off + hdr.len <= sent);
				FUZZ_CHECK(imsg.datalen ==
				    hdr.len - IMSG_HDR_SIZE);
				FUZZ_CHECK(imsg.datalen == 0 ||
				    memcmp(imsg.data, data + off +
				    IMSG_HDR_SIZE, imsg.datalen) == 0);
				FUZZ_CHECK((imsg.fd != -1) ==
				    ((hdr.flags & IMSGF_HASFD) != 0));
				off += hdr.len;
				imsg_free(&imsg);
			}
			if (r == -1)
				break;
		}
		if (n == -1 && errno != EAGAIN)
			r = -1;
	}
	/* Refused once, refused for good. */
	if (r == -1)
		FUZZ_CHECK(imsg_get(&ibuf, &imsg) == -1);
	imsgbuf_clear(&ibuf);
	close(sp[0]);
	close(sp[1]);
	/* Every descriptor that came is closed again. */
	open_fds(after);
	FUZZ_CHECK(memcmp(before, after, NFDS) == 0);
}

static void
payload(const uint8_t *data, size_t size)
{
	struct imsg	 imsg;
	struct imsg_dec	 dec;
	struct imsg_enc	 enc;
	const void	*blob;
	const uint8_t	*ops;
	size_t		 nops, i, blen, consumed;
	uint64_t	 v;
	char		*s;
	int		 err = 0;

	if (size == 0)
		return;
	nops = data[0] % 16;
	if (nops > size - 1)
		nops = size - 1;
	ops = data + 1;
	memset(&imsg, 0, sizeof(imsg));
	imsg.fd = -1;
	imsg.datalen = size - 1 - nops;
	/* A copy of its own size, so a read beyond it is caught. */
	if (imsg.datalen > 0) {
		if ((imsg.data = malloc(imsg.datalen)) == NULL)
			abort();
		memcpy(imsg.data, data + 1 + nops, imsg.datalen);
	}
	imsg_dec_init(&dec, &imsg);
	imsg_enc_init(&enc);
	for (i = 0; i < nops; i++) {
		switch (ops[i] % 5) {
		case 0:
			v = imsg_get_u8(&dec);
			if (!dec.error)
				imsg_put_u8(&enc, v);
			break;
		case 1:
			v = imsg_get_u32(&dec);
			if (!dec.error)
				imsg_put_u32(&enc, v);
			break;
		case 2:
			v = imsg_get_u64(&dec);
			if (!dec.error)
				imsg_put_u64(&enc, v);
			break;
		case 3:
			s = imsg_get_str(&dec);
			FUZZ_CHECK((s == NULL) == (dec.error != 0));
			if (s != NULL) {
				imsg_put_str(&enc, s);
				free(s);
			}
			break;
		case 4:
			blob = imsg_get_blob(&dec, &blen);
			FUZZ_CHECK(dec.error || blob != NULL);
			if (!dec.error)
				imsg_put_blob(&enc, blob, blen);
			break;
		}
		/* An error sticks: nothing decodes after it. */
		if (err)
			FUZZ_CHECK(dec.error);
		err = dec.error != 0;
	}
	consumed = imsg.datalen - dec.left;
	FUZZ_CHECK(dec.left <= imsg.datalen);
	if (!dec.error) {
		FUZZ_CHECK(!enc.error && enc.len == consumed);
		FUZZ_CHECK(consumed == 0 ||
		    memcmp(enc.buf, imsg.data, consumed) == 0);
	}
	FUZZ_CHECK((imsg_dec_end(&dec) == 0) ==
	    (!err && consumed == imsg.datalen));
	imsg_enc_free(&enc);
	free(imsg.data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stream(data, size);
	payload(data, size);
	return (0);
}
