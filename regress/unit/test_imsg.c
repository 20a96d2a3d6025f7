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
 * imsg framing, fd passing and payload coding over real socketpairs;
 * the reader is fed hostile bytes and fds by hand.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "imsg.h"
#include "imsgev.h"
#include "testutil.h"

#define PAYLOAD_MAX	(IMSG_MAXSIZE - IMSG_HDR_SIZE)

struct pair {
	int		 s[2];		/* s[0] writes, s[1] reads */
	struct imsgbuf	 w;
	struct imsgbuf	 r;
};

static void
pair_open(struct pair *p)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->s), 0);
	assert_int_equal(imsgbuf_init(&p->w, p->s[0]), 0);
	assert_int_equal(imsgbuf_init(&p->r, p->s[1]), 0);
}

/*
 * For tests that write raw bytes, many times over: only the reader
 * gets an imsgbuf (p->w stays empty, which imsgbuf_clear() accepts),
 * as each one costs an IMSG_MAXSIZE buffer, wiped when cleared.
 */
static void
pair_open_reader(struct pair *p)
{
	memset(&p->w, 0, sizeof(p->w));
	p->w.fd = -1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->s), 0);
	assert_int_equal(imsgbuf_init(&p->r, p->s[1]), 0);
}

static void
pair_close(struct pair *p)
{
	imsgbuf_clear(&p->w);
	imsgbuf_clear(&p->r);
	if (p->s[0] != -1)
		close(p->s[0]);
	if (p->s[1] != -1)
		close(p->s[1]);
}

static int
fd_open(int fd)
{
	return (fcntl(fd, F_GETFD) != -1);
}

static void
wait_fd(int fd, short events)
{
	struct pollfd	 pfd;

	pfd.fd = fd;
	pfd.events = events;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
}

/*
 * Write everything queued on w.  A max-size frame is bigger than the
 * socket buffer, so whenever the socket is full, move what has
 * arrived into r's buffer (no imsg_get) and go on writing.  What is
 * queued must fit the socket plus r's free room: ENOBUFS fails.
 */
static void
flush(struct imsgbuf *w, struct imsgbuf *r)
{
	struct pollfd	 pfd[2];
	ssize_t		 n;
	int		 rv;

	while ((rv = imsg_write(w)) == 1) {
		pfd[0].fd = w->fd;
		pfd[0].events = POLLOUT;
		pfd[1].fd = r->fd;
		pfd[1].events = POLLIN;
		assert_true(poll(pfd, 2, 5000) > 0);
		if (pfd[1].revents & POLLIN) {
			n = imsg_read(r);
			if (n == -1)
				assert_int_equal(errno, EAGAIN);
			else
				assert_true(n > 0);
		}
	}
	assert_int_equal(rv, 0);
	assert_int_equal(imsg_queued(w), 0);
}

/* 1 a message, 0 EOF, -1 error (errno). */
static int
recv_msg(struct imsgbuf *ib, struct imsg *m)
{
	ssize_t	 n;
	int	 r;

	for (;;) {
		if ((r = imsg_get(ib, m)) != 0)
			return (r);
		wait_fd(ib->fd, POLLIN);
		if ((n = imsg_read(ib)) == 0)
			return (imsg_get(ib, m));
		if (n == -1 && errno != EAGAIN)
			return (-1);
	}
}

static void
raw_hdr(unsigned char *buf, uint32_t type, uint32_t len, uint32_t peerid,
    uint32_t flags)
{
	struct imsg_hdr	 h;

	h.type = type;
	h.len = len;
	h.peerid = peerid;
	h.flags = flags;
	memcpy(buf, &h, sizeof(h));
}

static void
raw_write(int s, const void *buf, size_t len)
{
	assert_int_equal(write(s, buf, len), (ssize_t)len);
}

/* One sendmsg carrying buf and nfds fds. */
static void
raw_sendfds(int s, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int) * 64)];
	} cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;

	assert_true(nfds > 0 && nfds <= 64);
	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	assert_int_equal(sendmsg(s, &msg, 0), (ssize_t)len);
}

static void
fill(unsigned char *p, size_t len, uint32_t seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
}

static int
check_fill(const unsigned char *p, size_t len, uint32_t seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 31 + i * 7 + (i >> 8)))
			return (0);
	return (1);
}

/* Send a byte through a passed pipe end and read it at the other. */
static void
check_pipe(int wfd, int rfd, unsigned char tag)
{
	unsigned char	 c = 0;

	assert_int_equal(write(wfd, &tag, 1), 1);
	assert_int_equal(read(rfd, &c, 1), 1);
	assert_int_equal(c, tag);
}

/* Framing. */

static void
test_roundtrip_sizes(void **state)
{
	static const size_t	 sizes[] = { 0, 1, 2, 1000, PAYLOAD_MAX - 1,
				    PAYLOAD_MAX };
	struct pair		 p;
	struct imsg		 m;
	unsigned char		*buf;
	size_t			 i;

	pair_open(&p);
	assert_non_null(buf = malloc(PAYLOAD_MAX));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fill(buf, sizes[i], i);
		assert_int_equal(imsg_compose(&p.w, 100 + i, 0xdead0000 + i,
		    -1, sizes[i] ? buf : NULL, sizes[i]), 0);
		assert_int_equal(imsg_queued(&p.w),
		    IMSG_HDR_SIZE + sizes[i]);
		flush(&p.w, &p.r);
		assert_int_equal(recv_msg(&p.r, &m), 1);
		assert_int_equal(m.hdr.type, 100 + i);
		assert_int_equal(m.hdr.peerid, 0xdead0000 + i);
		assert_int_equal(m.hdr.len, IMSG_HDR_SIZE + sizes[i]);
		assert_int_equal(m.hdr.flags, 0);
		assert_int_equal(m.fd, -1);
		assert_int_equal(m.datalen, sizes[i]);
		if (sizes[i] == 0)
			assert_null(m.data);
		else
			assert_true(check_fill(m.data, sizes[i], i));
		imsg_free(&m);
		assert_null(m.data);
		assert_int_equal(imsg_get(&p.r, &m), 0);
		assert_int_equal(p.r.rlen, 0);
	}
	free(buf);
	pair_close(&p);
}

static void
test_compose_limits(void **state)
{
	struct pair	 p;
	struct iovec	 iov[3];
	unsigned char	*buf;
	int		 pfd[2];

	pair_open(&p);
	assert_non_null(buf = calloc(1, IMSG_MAXSIZE));

	errno = 0;
	assert_int_equal(imsg_compose(&p.w, 1, 0, -1, buf, PAYLOAD_MAX + 1),
	    -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(imsg_compose(&p.w, 1, 0, -1, buf, SIZE_MAX), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(imsg_queued(&p.w), 0);

	/* The sum over iovecs counts, and cannot wrap. */
	iov[0].iov_base = buf;
	iov[0].iov_len = PAYLOAD_MAX / 2;
	iov[1].iov_base = buf;
	iov[1].iov_len = PAYLOAD_MAX / 2 + 1;
	assert_int_equal(imsg_composev(&p.w, 1, 0, -1, iov, 2), -1);
	assert_int_equal(errno, EMSGSIZE);
	iov[1].iov_len = SIZE_MAX - 8;
	assert_int_equal(imsg_composev(&p.w, 1, 0, -1, iov, 2), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(imsg_compose(&p.w, 1, 0, -1, NULL, 5), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(imsg_composev(&p.w, 1, 0, -1, iov, -1), -1);
	assert_int_equal(errno, EINVAL);

	/* The fd is ours from the call on: closed on failure. */
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(imsg_compose(&p.w, 1, 0, pfd[1], buf,
	    PAYLOAD_MAX + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_false(fd_open(pfd[1]));
	close(pfd[0]);
	assert_int_equal(imsg_queued(&p.w), 0);

	/* Three iovecs gathered into one frame, exactly full. */
	fill(buf, PAYLOAD_MAX, 9);
	iov[0].iov_base = buf;
	iov[0].iov_len = 10;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 0;
	iov[2].iov_base = buf + 10;
	iov[2].iov_len = PAYLOAD_MAX - 10;
	assert_int_equal(imsg_composev(&p.w, 7, 8, -1, iov, 3), 0);
	assert_int_equal(imsg_queued(&p.w), IMSG_MAXSIZE);
	flush(&p.w, &p.r);
	{
		struct imsg	 m;

		assert_int_equal(recv_msg(&p.r, &m), 1);
		assert_int_equal(m.hdr.len, IMSG_MAXSIZE);
		assert_int_equal(m.datalen, PAYLOAD_MAX);
		assert_true(check_fill(m.data, PAYLOAD_MAX, 9));
		imsg_free(&m);
	}
	free(buf);
	pair_close(&p);
}

static void
test_coalesced(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	 buf[64];
	size_t		 total = 0;
	uint32_t	 i;
	const uint32_t	 n = 500;

	pair_open(&p);
	for (i = 0; i < n; i++) {
		fill(buf, i % 64, i);
		assert_int_equal(imsg_compose(&p.w, i, i * 3, -1, buf,
		    i % 64), 0);
		total += IMSG_HDR_SIZE + i % 64;
	}
	assert_true(total < IMSG_MAXSIZE);
	flush(&p.w, &p.r);
	/* All frames arrive in a single read. */
	assert_int_equal(imsg_read(&p.r), (ssize_t)total);
	for (i = 0; i < n; i++) {
		assert_int_equal(imsg_get(&p.r, &m), 1);
		assert_int_equal(m.hdr.type, i);
		assert_int_equal(m.hdr.peerid, i * 3);
		assert_int_equal(m.datalen, i % 64);
		assert_true(check_fill(m.data, i % 64, i));
		imsg_free(&m);
	}
	assert_int_equal(imsg_get(&p.r, &m), 0);
	assert_int_equal(imsg_read(&p.r), -1);
	assert_int_equal(errno, EAGAIN);
	pair_close(&p);
}

static void
test_split_bytes(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	 frame[2][IMSG_HDR_SIZE + 300];
	size_t		 i, flen = sizeof(frame[0]);
	int		 k, got = 0;

	pair_open(&p);
	for (k = 0; k < 2; k++) {
		raw_hdr(frame[k], 40 + k, flen, k, 0);
		fill(frame[k] + IMSG_HDR_SIZE, 300, k);
	}
	/* Two frames, one byte per write and per read. */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < flen; i++) {
			raw_write(p.s[0], &frame[k][i], 1);
			assert_int_equal(imsg_read(&p.r), 1);
			if (i + 1 < flen) {
				assert_int_equal(imsg_get(&p.r, &m), 0);
				continue;
			}
			assert_int_equal(imsg_get(&p.r, &m), 1);
			assert_int_equal(m.hdr.type, 40 + k);
			assert_int_equal(m.hdr.peerid, k);
			assert_int_equal(m.datalen, 300);
			assert_true(check_fill(m.data, 300, k));
			imsg_free(&m);
			got++;
		}
	}
	assert_int_equal(got, 2);

	/* A frame split across reads, then the rest coalesced. */
	raw_write(p.s[0], frame[0], 5);
	assert_int_equal(imsg_read(&p.r), 5);
	assert_int_equal(imsg_get(&p.r, &m), 0);
	raw_write(p.s[0], frame[0] + 5, flen - 5);
	raw_write(p.s[0], frame[1], flen);
	assert_int_equal(imsg_read(&p.r), (ssize_t)(2 * flen - 5));
	assert_int_equal(imsg_get(&p.r, &m), 1);
	assert_int_equal(m.hdr.type, 40);
	imsg_free(&m);
	assert_int_equal(imsg_get(&p.r, &m), 1);
	assert_int_equal(m.hdr.type, 41);
	assert_true(check_fill(m.data, 300, 1));
	imsg_free(&m);
	assert_int_equal(imsg_get(&p.r, &m), 0);
	pair_close(&p);
}

static void
test_eof_mid_frame(void **state)
{
	static const size_t	 cut[] = { 1, IMSG_HDR_SIZE - 1, IMSG_HDR_SIZE,
				    IMSG_HDR_SIZE + 99 };
	struct pair		 p;
	struct imsg		 m;
	unsigned char		 frame[IMSG_HDR_SIZE + 100];
	size_t			 i;

	raw_hdr(frame, 1, sizeof(frame), 0, 0);
	fill(frame + IMSG_HDR_SIZE, 100, 3);
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		pair_open(&p);
		raw_write(p.s[0], frame, cut[i]);
		close(p.s[0]);
		p.s[0] = -1;
		assert_int_equal(imsg_read(&p.r), (ssize_t)cut[i]);
		assert_int_equal(imsg_get(&p.r, &m), 0);
		assert_int_equal(imsg_read(&p.r), 0);	/* EOF */
		assert_int_equal(imsg_get(&p.r, &m), 0);
		assert_int_equal(p.r.rlen, cut[i]);
		pair_close(&p);
	}
}

/* The reader must refuse hdr at once, sticky, whatever follows. */
static void
expect_bad_hdr(uint32_t len, uint32_t flags, size_t payload)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	 buf[IMSG_HDR_SIZE + 64];

	assert_true(payload <= 64);
	pair_open(&p);
	raw_hdr(buf, 1, len, 0, flags);
	memset(buf + IMSG_HDR_SIZE, 'A', payload);
	raw_write(p.s[0], buf, IMSG_HDR_SIZE + payload);
	assert_int_equal(imsg_read(&p.r), IMSG_HDR_SIZE + payload);
	errno = 0;
	assert_int_equal(imsg_get(&p.r, &m), -1);
	assert_int_equal(errno, EBADMSG);
	/* A good frame behind it does not revive the channel. */
	raw_hdr(buf, 2, IMSG_HDR_SIZE, 0, 0);
	raw_write(p.s[0], buf, IMSG_HDR_SIZE);
	(void)imsg_read(&p.r);
	assert_int_equal(imsg_get(&p.r, &m), -1);
	assert_int_equal(errno, EBADMSG);
	pair_close(&p);
}

static void
test_bad_len_oversized(void **state)
{
	expect_bad_hdr(IMSG_MAXSIZE + 1, 0, 0);
	expect_bad_hdr(IMSG_MAXSIZE + 1, 0, 64);
	expect_bad_hdr(0x7fffffff, 0, 0);
	expect_bad_hdr(0xffffffff, 0, 10);
	expect_bad_hdr(0x80000010, 0, 0);
}

static void
test_bad_len_small(void **state)
{
	expect_bad_hdr(0, 0, 0);
	expect_bad_hdr(1, 0, 0);
	expect_bad_hdr(IMSG_HDR_SIZE - 1, 0, 0);
	expect_bad_hdr(IMSG_HDR_SIZE - 1, 0, 20);
}

static void
test_bad_flags(void **state)
{
	expect_bad_hdr(IMSG_HDR_SIZE, 0x2, 0);
	expect_bad_hdr(IMSG_HDR_SIZE + 4, 0x80000000, 4);
	expect_bad_hdr(IMSG_HDR_SIZE, 0xffffffff, 0);
	/* IMSGF_HASFD with no fd sent. */
	expect_bad_hdr(IMSG_HDR_SIZE, IMSGF_HASFD, 0);
	expect_bad_hdr(IMSG_HDR_SIZE + 8, IMSGF_HASFD, 8);
}

/*
 * Random bytes, sometimes behind a plausible header or a good frame,
 * sometimes with an fd attached: never a crash or a leak, only -1 or
 * well-formed messages.
 */
static void
test_garbage(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	 buf[1024];
	uint32_t	 len, flags;
	size_t		 n, off, i;
	ssize_t		 rn;
	int		 iter, r, pfd[2], before, nmsg = 0, nbad = 0;
	int		 nfdmsg = 0, eof;

	srandom(20260101);
	before = count_fds();
	for (iter = 0; iter < 3000; iter++) {
		pair_open_reader(&p);
		off = 0;
		if (random() % 4 == 0) {
			raw_hdr(buf, 5, IMSG_HDR_SIZE + 3, 0, 0);
			memcpy(buf + IMSG_HDR_SIZE, "abc", 3);
			off = IMSG_HDR_SIZE + 3;
		}
		n = off + random() % 600;
		for (i = off; i < n; i++)
			buf[i] = random();
		if (n - off >= IMSG_HDR_SIZE && random() % 2) {
			switch (random() % 4) {
			case 0:
				len = random() % 700;
				break;
			case 1:
				len = IMSG_HDR_SIZE + random() % 64;
				break;
			case 2:
				len = IMSG_MAXSIZE - 1 + random() % 3;
				break;
			default:
				len = random();
				break;
			}
			flags = random() % 3 ? random() % 2 : random();
			raw_hdr(buf + off, random() % 4, len, random(), flags);
		}
		if (n > 0 && random() % 3 == 0) {
			assert_int_equal(pipe(pfd), 0);
			i = random() % n;	/* fd rides with byte i */
			if (i > 0)
				raw_write(p.s[0], buf, i);
			raw_sendfds(p.s[0], buf + i, n - i, &pfd[1], 1);
			close(pfd[0]);
			close(pfd[1]);
		} else if (n > 0)
			raw_write(p.s[0], buf, n);
		close(p.s[0]);
		p.s[0] = -1;

		eof = 0;
		for (;;) {
			r = imsg_get(&p.r, &m);
			if (r == 1) {
				assert_true(m.hdr.len >= IMSG_HDR_SIZE);
				assert_true(m.hdr.len <= IMSG_MAXSIZE);
				assert_int_equal(m.datalen,
				    m.hdr.len - IMSG_HDR_SIZE);
				assert_true((m.data == NULL) ==
				    (m.datalen == 0));
				assert_int_equal(m.hdr.flags & ~IMSGF_HASFD,
				    0);
				if (m.hdr.flags & IMSGF_HASFD) {
					assert_true(fd_open(m.fd));
					nfdmsg++;
				} else
					assert_int_equal(m.fd, -1);
				imsg_free(&m);
				nmsg++;
				continue;
			}
			if (r == -1) {
				assert_int_equal(errno, EBADMSG);
				nbad++;
				break;
			}
			if (eof)
				break;
			rn = imsg_read(&p.r);
			if (rn == 0)
				eof = 1;
			else if (rn == -1) {
				assert_int_equal(errno, EBADMSG);
				nbad++;
				break;
			}
		}
		pair_close(&p);
	}
	/* The mix really reached both outcomes and the fd path. */
	assert_true(nmsg > 500);
	assert_true(nbad > 500);
	assert_true(nfdmsg > 0);
	assert_int_equal(count_fds(), before);
	print_message("# garbage: %d messages, %d refused, %d with fd\n",
	    nmsg, nbad, nfdmsg);
}

static void
test_read_full(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	*buf;

	/* A caller that reads without getting gets ENOBUFS, no overrun. */
	pair_open(&p);
	assert_non_null(buf = calloc(1, PAYLOAD_MAX));
	assert_int_equal(imsg_compose(&p.w, 1, 0, -1, buf, PAYLOAD_MAX), 0);
	assert_int_equal(imsg_compose(&p.w, 2, 0, -1, buf, 10), 0);
	flush(&p.w, &p.r);
	while (p.r.rlen < IMSG_MAXSIZE)
		assert_true(imsg_read(&p.r) > 0);
	wait_fd(p.r.fd, POLLIN);	/* the second frame is waiting */
	assert_int_equal(imsg_read(&p.r), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(imsg_get(&p.r, &m), 1);
	assert_int_equal(m.hdr.type, 1);
	imsg_free(&m);
	assert_int_equal(recv_msg(&p.r, &m), 1);
	assert_int_equal(m.hdr.type, 2);
	assert_int_equal(m.datalen, 10);
	imsg_free(&m);
	free(buf);
	pair_close(&p);
}

static void
test_write_peer_closed(void **state)
{
	struct pair	 p;

	/* With SIGPIPE ignored, as every user does: EPIPE, an error. */
	pair_open(&p);
	close(p.s[1]);
	p.s[1] = -1;
	assert_int_equal(imsg_compose(&p.w, 1, 0, -1, "x", 1), 0);
	assert_int_equal(imsg_write(&p.w), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(imsg_queued(&p.w), IMSG_HDR_SIZE + 1);
	pair_close(&p);
}

/*
 * Run by a child denied sendmsg(2): messages without an fd still go
 * out, one with an fd fails.  The exit status says which step failed.
 */
static int
write_without_sendmsg(int s, int pfd)
{
	scmp_filter_ctx	 ctx;
	struct imsgbuf	 ib;
	int		 i;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sendmsg),
	    0) < 0 || seccomp_load(ctx) < 0)
		return (10);
	if (imsgbuf_init(&ib, s) == -1)
		return (11);
	for (i = 0; i < 3; i++)
		if (imsg_compose(&ib, 20 + i, 0, -1, "abc", 3) == -1)
			return (12);
	if (imsg_write(&ib) != 0)
		return (13);
	if (imsg_compose(&ib, 30, 0, pfd, "fd", 2) == -1)
		return (14);
	if (imsg_write(&ib) != -1 || errno != EPERM)
		return (15);
	return (0);
}

static void
test_write_no_sendmsg(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	pid_t		 pid;
	int		 pfd[2], status, i;

	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0)
		_exit(write_without_sendmsg(p.s[0], pfd[1]));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(recv_msg(&p.r, &m), 1);
		assert_int_equal(m.hdr.type, 20 + i);
		assert_int_equal(m.hdr.flags, 0);
		assert_memory_equal(m.data, "abc", 3);
		imsg_free(&m);
	}
	/* Nothing of the refused message arrived. */
	assert_int_equal(imsg_get(&p.r, &m), 0);
	assert_int_equal(imsg_read(&p.r), -1);
	assert_int_equal(errno, EAGAIN);
	close(pfd[0]);
	close(pfd[1]);
	pair_close(&p);
}

static void
test_init_nonblocking(void **state)
{
	struct imsgbuf	 ib;
	int		 s[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	assert_false(fcntl(s[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(imsgbuf_init(&ib, s[0]), 0);
	assert_true(fcntl(s[0], F_GETFL) & O_NONBLOCK);
	/* Nothing to read: EAGAIN at once, not a hang. */
	assert_int_equal(imsg_read(&ib), -1);
	assert_int_equal(errno, EAGAIN);
	imsgbuf_clear(&ib);
	imsgbuf_clear(&ib);		/* idempotent */
	assert_true(fd_open(s[0]));	/* not ours to close */
	close(s[0]);
	close(s[1]);
}

/* File descriptors. */

static void
test_fd_pass(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	int		 pfd[2], got;

	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(imsg_compose(&p.w, 9, 77, pfd[1], "pipe", 4), 0);
	/* Queued fds stay open until sent. */
	assert_true(fd_open(pfd[1]));
	flush(&p.w, &p.r);
	assert_false(fd_open(pfd[1]));	/* sent: our copy is closed */
	assert_int_equal(recv_msg(&p.r, &m), 1);
	assert_int_equal(m.hdr.type, 9);
	assert_int_equal(m.hdr.peerid, 77);
	assert_int_equal(m.hdr.flags, IMSGF_HASFD);
	assert_int_equal(m.datalen, 4);
	assert_memory_equal(m.data, "pipe", 4);
	assert_true(m.fd >= 0);
	assert_true(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);
	check_pipe(m.fd, pfd[0], 'Z');
	got = m.fd;
	m.fd = -1;			/* take it */
	imsg_free(&m);
	assert_true(fd_open(got));
	close(got);
	close(pfd[0]);
	pair_close(&p);
}

static void
test_fd_many(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	int		 rd[20], pfd[2], before, i, k;
	uint32_t	 v;

	before = count_fds();
	pair_open(&p);
	/* fd messages back to back and between plain ones. */
	for (i = 0; i < 20; i++) {
		assert_int_equal(pipe(pfd), 0);
		rd[i] = pfd[0];
		v = i;
		assert_int_equal(imsg_compose(&p.w, 1, i, pfd[1], &v,
		    sizeof(v)), 0);
		if (i % 3 == 0)
			assert_int_equal(imsg_compose(&p.w, 2, i, -1, &v,
			    sizeof(v)), 0);
	}
	flush(&p.w, &p.r);
	for (i = 0, k = 0; i < 20; i++) {
		assert_int_equal(recv_msg(&p.r, &m), 1);
		assert_int_equal(m.hdr.type, 1);
		assert_int_equal(m.hdr.peerid, i);
		assert_int_equal(m.datalen, sizeof(v));
		memcpy(&v, m.data, sizeof(v));
		assert_int_equal(v, i);
		check_pipe(m.fd, rd[i], 'a' + i);
		imsg_free(&m);		/* closes the fd */
		if (i % 3 == 0) {
			assert_int_equal(recv_msg(&p.r, &m), 1);
			assert_int_equal(m.hdr.type, 2);
			assert_int_equal(m.fd, -1);
			imsg_free(&m);
			k++;
		}
		close(rd[i]);
	}
	assert_int_equal(k, 7);
	pair_close(&p);
	assert_int_equal(count_fds(), before);
}

static void
test_fd_empty_payload(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	int		 pfd[2];

	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(imsg_compose(&p.w, 3, 0, pfd[1], NULL, 0), 0);
	assert_int_equal(imsg_queued(&p.w), IMSG_HDR_SIZE);
	flush(&p.w, &p.r);
	assert_int_equal(recv_msg(&p.r, &m), 1);
	assert_int_equal(m.hdr.len, IMSG_HDR_SIZE);
	assert_int_equal(m.datalen, 0);
	assert_null(m.data);
	check_pipe(m.fd, pfd[0], '!');
	imsg_free(&m);
	assert_int_equal(m.fd, -1);
	close(pfd[0]);
	pair_close(&p);
}

static void
test_fd_unannounced(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	 f[IMSG_HDR_SIZE];
	int		 pfd[2], before;

	before = count_fds();
	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	/* A plain frame with an fd riding along, then another frame. */
	raw_hdr(f, 1, IMSG_HDR_SIZE, 0, 0);
	raw_sendfds(p.s[0], f, sizeof(f), &pfd[0], 1);
	close(pfd[0]);
	close(pfd[1]);
	assert_int_equal(imsg_read(&p.r), IMSG_HDR_SIZE);
	assert_int_equal(imsg_get(&p.r, &m), 1);
	assert_int_equal(m.fd, -1);
	imsg_free(&m);
	raw_hdr(f, 2, IMSG_HDR_SIZE, 0, 0);
	raw_write(p.s[0], f, sizeof(f));
	assert_int_equal(imsg_read(&p.r), IMSG_HDR_SIZE);
	/* Nobody claimed the fd before this frame: refused. */
	assert_int_equal(imsg_get(&p.r, &m), -1);
	assert_int_equal(errno, EBADMSG);
	pair_close(&p);
	assert_int_equal(count_fds(), before);
}

static void
test_fd_unannounced_eof(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	 f[IMSG_HDR_SIZE + 4];
	int		 pfd[2], before;

	before = count_fds();

	/* Two fds in one sendmsg: not our protocol, none kept. */
	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	raw_hdr(f, 1, sizeof(f), 0, IMSGF_HASFD);
	raw_sendfds(p.s[0], f, sizeof(f), pfd, 2);
	close(pfd[0]);
	close(pfd[1]);
	assert_int_equal(imsg_read(&p.r), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(imsg_get(&p.r, &m), -1);
	pair_close(&p);
	assert_int_equal(count_fds(), before);

	/* Unclaimed when EOF comes: held until imsgbuf_clear(). */
	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	raw_hdr(f, 1, sizeof(f), 0, 0);
	raw_sendfds(p.s[0], f, sizeof(f), pfd, 1);
	close(pfd[0]);
	close(pfd[1]);
	close(p.s[0]);
	p.s[0] = -1;
	assert_int_equal(recv_msg(&p.r, &m), 1);
	assert_int_equal(m.fd, -1);
	imsg_free(&m);
	assert_int_equal(recv_msg(&p.r, &m), 0);
	assert_int_equal(count_fds(), before + 2);
	pair_close(&p);
	assert_int_equal(count_fds(), before);

	/* Announced, but the frame is cut short by EOF. */
	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	raw_hdr(f, 1, sizeof(f) + 10, 0, IMSGF_HASFD);
	raw_sendfds(p.s[0], f, sizeof(f), &pfd[1], 1);
	close(pfd[0]);
	close(pfd[1]);
	close(p.s[0]);
	p.s[0] = -1;
	assert_int_equal(recv_msg(&p.r, &m), 0);
	assert_int_equal(count_fds(), before + 2);
	pair_close(&p);
	assert_int_equal(count_fds(), before);
}

static void
test_fd_late(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	 f[IMSG_HDR_SIZE + 4];
	int		 pfd[2], before;

	/* The fd must come with the first byte, not after it. */
	before = count_fds();
	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	raw_hdr(f, 1, sizeof(f), 0, IMSGF_HASFD);
	raw_write(p.s[0], f, 1);
	assert_int_equal(imsg_read(&p.r), 1);
	raw_sendfds(p.s[0], f + 1, sizeof(f) - 1, &pfd[1], 1);
	close(pfd[0]);
	close(pfd[1]);
	assert_int_equal(imsg_read(&p.r), sizeof(f) - 1);
	assert_int_equal(imsg_get(&p.r, &m), -1);
	assert_int_equal(errno, EBADMSG);
	pair_close(&p);
	assert_int_equal(count_fds(), before);
}

static void
test_fd_ctrunc(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	 f[IMSG_HDR_SIZE];
	int		 fds[40], i, before;

	before = count_fds();
	pair_open(&p);
	for (i = 0; i < 40; i += 2)
		assert_int_equal(pipe(fds + i), 0);
	raw_hdr(f, 1, IMSG_HDR_SIZE, 0, IMSGF_HASFD);
	raw_sendfds(p.s[0], f, sizeof(f), fds, 40);
	for (i = 0; i < 40; i++)
		close(fds[i]);
	assert_int_equal(imsg_read(&p.r), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(imsg_get(&p.r, &m), -1);	/* and stays broken */
	pair_close(&p);
	assert_int_equal(count_fds(), before);
}

static void
test_fd_emfile(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	struct rlimit	 rl, low;
	unsigned char	 f[IMSG_HDR_SIZE];
	ssize_t		 n;
	int		 pfd[2], before, lowest, e;

	before = count_fds();
	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	raw_hdr(f, 1, IMSG_HDR_SIZE, 0, IMSGF_HASFD);
	raw_sendfds(p.s[0], f, sizeof(f), &pfd[1], 1);
	close(pfd[0]);
	close(pfd[1]);
	/* No fd slot left: the kernel drops the fd, sets MSG_CTRUNC. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true((lowest = dup(p.s[0])) != -1);
	close(lowest);
	low = rl;
	low.rlim_cur = lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	n = imsg_read(&p.r);
	e = errno;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(n, -1);
	assert_int_equal(e, EBADMSG);
	assert_int_equal(imsg_get(&p.r, &m), -1);
	pair_close(&p);
	assert_int_equal(count_fds(), before);
}

static void
test_clear_closes_fds(void **state)
{
	struct pair	 p;
	int		 pfd[2], before, i;

	/* Queued, never sent; and received, never fetched. */
	before = count_fds();
	pair_open(&p);
	for (i = 0; i < 5; i++) {
		assert_int_equal(pipe(pfd), 0);
		close(pfd[0]);
		assert_int_equal(imsg_compose(&p.w, 1, 0, pfd[1], "x", 1),
		    0);
	}
	assert_int_equal(imsg_write(&p.w), 0);
	assert_true(imsg_read(&p.r) > 0);	/* one fd per read */
	assert_int_equal(pipe(pfd), 0);
	close(pfd[0]);
	assert_int_equal(imsg_compose(&p.w, 1, 0, pfd[1], "x", 1), 0);
	assert_true(count_fds() > before + 2);
	pair_close(&p);
	assert_int_equal(count_fds(), before);
}

/*
 * Fill the socket, then the queue up to IMSG_MAXQUEUE, then drain:
 * every message, intact and in order, writes resumed mid-frame.
 */
static void
test_backpressure(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	*buf;
	const size_t	 plen = 60000, flen = IMSG_HDR_SIZE + 60000;
	uint32_t	 sent = 0, got = 0, seq;
	int		 r, pfd[2], partial = 0, wr;

	pair_open(&p);
	assert_non_null(buf = malloc(plen));
	for (;;) {
		fill(buf, plen, sent);
		memcpy(buf, &sent, sizeof(sent));
		assert_int_equal(imsg_compose(&p.w, 1, sent, -1, buf, plen),
		    0);
		sent++;
		if ((r = imsg_write(&p.w)) == 1)
			break;
		assert_int_equal(r, 0);
		assert_true(sent < 1000);
	}
	assert_true(imsg_queued(&p.w) > 0);
	for (;;) {
		fill(buf, plen, sent);
		memcpy(buf, &sent, sizeof(sent));
		if (imsg_compose(&p.w, 1, sent, -1, buf, plen) == -1)
			break;
		sent++;
		assert_true(imsg_queued(&p.w) <= IMSG_MAXQUEUE);
	}
	assert_int_equal(errno, ENOBUFS);
	assert_true(imsg_queued(&p.w) + flen > IMSG_MAXQUEUE);
	assert_true(imsg_queued(&p.w) <= IMSG_MAXQUEUE);
	assert_true(sent > IMSG_MAXQUEUE / flen);
	/* Refused with an fd: the fd is closed, not leaked. */
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(imsg_compose(&p.w, 1, 0, pfd[1], buf, plen), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_false(fd_open(pfd[1]));
	close(pfd[0]);

	do {
		wr = imsg_write(&p.w);
		assert_true(wr == 0 || wr == 1);
		if (imsg_queued(&p.w) % flen != 0)
			partial = 1;
		if (imsg_read(&p.r) == -1)
			assert_int_equal(errno, EAGAIN);
		while ((r = imsg_get(&p.r, &m)) == 1) {
			assert_int_equal(m.hdr.peerid, got);
			assert_int_equal(m.datalen, plen);
			memcpy(&seq, m.data, sizeof(seq));
			assert_int_equal(seq, got);
			fill(buf, plen, got);
			assert_memory_equal((unsigned char *)m.data + 4,
			    buf + 4, plen - 4);
			imsg_free(&m);
			got++;
		}
		assert_int_equal(r, 0);
	} while (got < sent);
	assert_int_equal(wr, 0);
	assert_int_equal(imsg_queued(&p.w), 0);
	assert_int_equal(got, sent);
	assert_true(partial);
	print_message("# backpressure: %u messages of %zu bytes\n", sent,
	    flen);
	free(buf);
	pair_close(&p);
}

/*
 * Random sizes, random fds, writes and reads interleaved at random:
 * order, payload and fd-to-message association all survive.
 */
static void
test_stress(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	unsigned char	*buf;
	int		*rd, pfd[2], before, r;
	size_t		*len;
	uint32_t	 sent = 0, got = 0;
	const uint32_t	 n = 4000;

	srandom(4242);
	before = count_fds();
	pair_open(&p);
	assert_non_null(buf = malloc(PAYLOAD_MAX));
	assert_non_null(rd = calloc(n, sizeof(*rd)));
	assert_non_null(len = calloc(n, sizeof(*len)));
	while (got < n) {
		switch (random() % 3) {
		case 0:
			if (sent == n)
				break;
			switch (random() % 8) {
			case 0:
				len[sent] = 0;
				break;
			case 1:
				len[sent] = PAYLOAD_MAX - random() % 10;
				break;
			default:
				len[sent] = random() % 3000;
				break;
			}
			fill(buf, len[sent], sent);
			rd[sent] = -1;
			pfd[1] = -1;
			if (random() % 4 == 0) {
				assert_int_equal(pipe(pfd), 0);
				rd[sent] = pfd[0];
			}
			if (imsg_compose(&p.w, sent, ~sent, pfd[1], buf,
			    len[sent]) == -1) {
				assert_int_equal(errno, ENOBUFS);
				if (rd[sent] != -1)
					close(rd[sent]);
				break;
			}
			sent++;
			break;
		case 1:
			assert_int_not_equal(imsg_write(&p.w), -1);
			break;
		default:
			if (imsg_read(&p.r) == -1)
				assert_int_equal(errno, EAGAIN);
			while ((r = imsg_get(&p.r, &m)) == 1) {
				assert_int_equal(m.hdr.type, got);
				assert_int_equal(m.hdr.peerid, ~got);
				assert_int_equal(m.datalen, len[got]);
				assert_true(check_fill(m.data, len[got],
				    got));
				if (rd[got] == -1)
					assert_int_equal(m.fd, -1);
				else {
					check_pipe(m.fd, rd[got],
					    (unsigned char)got);
					close(rd[got]);
				}
				imsg_free(&m);
				got++;
			}
			assert_int_equal(r, 0);
			break;
		}
	}
	assert_int_equal(imsg_queued(&p.w), 0);
	free(buf);
	free(rd);
	free(len);
	pair_close(&p);
	assert_int_equal(count_fds(), before);
}

/* Payload coding. */

static void
test_enc_roundtrip(void **state)
{
	static const uint64_t	 u64[] = { 0, 1, 0x0102030405060708ULL,
				    0x8000000000000000ULL, UINT64_MAX };
	struct pair		 p;
	struct imsg		 m;
	struct imsg_enc		 enc;
	struct imsg_dec		 dec;
	const unsigned char	*b;
	unsigned char		 blob[5] = { 0, 1, 0, 0xff, 0 };
	char			*s;
	size_t			 i, bl;

	pair_open(&p);
	imsg_enc_init(&enc);
	imsg_put_u8(&enc, 0xab);
	imsg_put_u32(&enc, 0xdeadbeef);
	for (i = 0; i < sizeof(u64) / sizeof(u64[0]); i++)
		imsg_put_u64(&enc, u64[i]);
	imsg_put_str(&enc, "git push origin main");
	imsg_put_str(&enc, "");
	imsg_put_blob(&enc, blob, sizeof(blob));
	imsg_put_blob(&enc, NULL, 0);
	assert_int_equal(enc.error, 0);
	/* Network byte order on the wire. */
	assert_int_equal(enc.buf[0], 0xab);
	assert_memory_equal(enc.buf + 1, "\xde\xad\xbe\xef", 4);
	assert_memory_equal(enc.buf + 5 + 16,
	    "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_memory_equal(enc.buf + 5 + 40, "\0\0\0\x14git", 7);
	assert_int_equal(imsg_compose_enc(&p.w, 5, 6, -1, &enc), 0);
	imsg_enc_free(&enc);
	assert_null(enc.buf);
	flush(&p.w, &p.r);

	assert_int_equal(recv_msg(&p.r, &m), 1);
	imsg_dec_init(&dec, &m);
	assert_int_equal(imsg_get_u8(&dec), 0xab);
	assert_int_equal(imsg_get_u32(&dec), 0xdeadbeef);
	for (i = 0; i < sizeof(u64) / sizeof(u64[0]); i++)
		assert_true(imsg_get_u64(&dec) == u64[i]);
	assert_non_null(s = imsg_get_str(&dec));
	assert_string_equal(s, "git push origin main");
	free(s);
	assert_non_null(s = imsg_get_str(&dec));
	assert_string_equal(s, "");
	free(s);
	assert_non_null(b = imsg_get_blob(&dec, &bl));
	assert_int_equal(bl, sizeof(blob));
	assert_memory_equal(b, blob, sizeof(blob));
	assert_non_null(b = imsg_get_blob(&dec, &bl));
	assert_int_equal(bl, 0);
	assert_int_equal(imsg_dec_end(&dec), 0);
	/* Past the end: sticky failure. */
	assert_int_equal(imsg_get_u8(&dec), 0);
	assert_int_equal(imsg_dec_end(&dec), -1);
	assert_int_equal(errno, EBADMSG);
	imsg_free(&m);
	pair_close(&p);
}

/* A struct imsg over a payload held in memory. */
static void
mkimsg(struct imsg *m, const void *data, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->data = (void *)(uintptr_t)data;
	m->datalen = len;
	m->hdr.len = IMSG_HDR_SIZE + len;
}

static void
test_dec_exact(void **state)
{
	struct imsg	 m;
	struct imsg_dec	 dec;
	unsigned char	 b[9] = { 1, 0, 0, 0, 2, 0, 0, 0, 3 };

	mkimsg(&m, b, 9);
	imsg_dec_init(&dec, &m);
	assert_int_equal(imsg_get_u8(&dec), 1);
	assert_int_equal(imsg_get_u32(&dec), 2);
	assert_int_equal(imsg_dec_end(&dec), -1);	/* 4 left over */
	assert_int_equal(errno, EBADMSG);

	imsg_dec_init(&dec, &m);
	assert_int_equal(imsg_get_u8(&dec), 1);
	assert_int_equal(imsg_get_u32(&dec), 2);
	assert_int_equal(imsg_get_u32(&dec), 3);
	assert_int_equal(imsg_dec_end(&dec), 0);

	/* Sticky: a failed read poisons what follows. */
	imsg_dec_init(&dec, &m);
	assert_true(imsg_get_u64(&dec) == 0x0100000002000000ULL);
	assert_int_equal(imsg_get_u32(&dec), 0);	/* 1 byte left */
	assert_int_equal(dec.error, EBADMSG);
	assert_int_equal(imsg_get_u8(&dec), 0);		/* would fit */
	assert_int_equal(imsg_dec_end(&dec), -1);

	/* An empty payload. */
	mkimsg(&m, NULL, 0);
	imsg_dec_init(&dec, &m);
	assert_int_equal(imsg_dec_end(&dec), 0);
	imsg_dec_init(&dec, &m);
	assert_null(imsg_get_str(&dec));
	assert_int_equal(imsg_dec_end(&dec), -1);
}

static void
test_dec_truncated(void **state)
{
	struct imsg_enc	 enc;
	struct imsg_dec	 dec;
	struct imsg	 m;
	unsigned char	*copy;
	const void	*b;
	char		*s1, *s2;
	size_t		 cut, bl;
	uint64_t	 v;

	imsg_enc_init(&enc);
	imsg_put_u32(&enc, 7);
	imsg_put_str(&enc, "hello");
	imsg_put_u64(&enc, 99);
	imsg_put_blob(&enc, "xyz", 3);
	imsg_put_str(&enc, "tail");
	assert_int_equal(enc.error, 0);
	/* Every proper prefix fails; only the whole decodes. */
	for (cut = 0; cut <= enc.len; cut++) {
		/* Exact-size heap copy so ASan sees any overread. */
		copy = cut ? malloc(cut) : NULL;
		if (cut)
			memcpy(copy, enc.buf, cut);
		mkimsg(&m, copy, cut);
		imsg_dec_init(&dec, &m);
		(void)imsg_get_u32(&dec);
		s1 = imsg_get_str(&dec);
		v = imsg_get_u64(&dec);
		b = imsg_get_blob(&dec, &bl);
		s2 = imsg_get_str(&dec);
		if (cut == enc.len) {
			assert_int_equal(imsg_dec_end(&dec), 0);
			assert_string_equal(s1, "hello");
			assert_true(v == 99);
			assert_int_equal(bl, 3);
			assert_memory_equal(b, "xyz", 3);
			assert_string_equal(s2, "tail");
		} else {
			assert_int_equal(imsg_dec_end(&dec), -1);
			assert_null(s2);
		}
		free(s1);
		free(s2);
		free(copy);
	}
	imsg_enc_free(&enc);
}

static void
test_dec_str(void **state)
{
	struct imsg	 m;
	struct imsg_dec	 dec;
	size_t		 bl;
	char		*s;
	static const unsigned char nul[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	static const unsigned char nulend[] = { 0, 0, 0, 2, 'a', 0 };
	static const unsigned char big[] = { 0, 0, 0, 4, 'a', 'b', 'c' };
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	static const unsigned char ok[] = { 0, 0, 0, 2, 'o', 'k' };

	mkimsg(&m, nul, sizeof(nul));
	imsg_dec_init(&dec, &m);
	assert_null(imsg_get_str(&dec));
	assert_int_equal(imsg_dec_end(&dec), -1);
	/* The same bytes are a fine blob. */
	imsg_dec_init(&dec, &m);
	assert_non_null(imsg_get_blob(&dec, &bl));
	assert_int_equal(bl, 3);
	assert_int_equal(imsg_dec_end(&dec), 0);

	mkimsg(&m, nulend, sizeof(nulend));
	imsg_dec_init(&dec, &m);
	assert_null(imsg_get_str(&dec));
	assert_int_equal(imsg_dec_end(&dec), -1);

	mkimsg(&m, big, sizeof(big));
	imsg_dec_init(&dec, &m);
	assert_null(imsg_get_str(&dec));
	assert_int_equal(imsg_dec_end(&dec), -1);
	imsg_dec_init(&dec, &m);
	assert_null(imsg_get_blob(&dec, &bl));
	assert_int_equal(bl, 0);
	assert_int_equal(imsg_dec_end(&dec), -1);

	mkimsg(&m, huge, sizeof(huge));
	imsg_dec_init(&dec, &m);
	assert_null(imsg_get_str(&dec));
	assert_int_equal(imsg_dec_end(&dec), -1);

	mkimsg(&m, ok, sizeof(ok));
	imsg_dec_init(&dec, &m);
	assert_non_null(s = imsg_get_str(&dec));
	assert_string_equal(s, "ok");
	assert_int_equal(imsg_dec_end(&dec), 0);
	free(s);
}

static void
test_enc_limits(void **state)
{
	struct pair	 p;
	struct imsg	 m;
	struct imsg_enc	 enc;
	struct imsg_dec	 dec;
	unsigned char	*big;
	const void	*b;
	size_t		 bl;
	int		 pfd[2];

	assert_non_null(big = malloc(PAYLOAD_MAX));
	fill(big, PAYLOAD_MAX, 5);

	/* A blob that fills the payload exactly. */
	pair_open(&p);
	imsg_enc_init(&enc);
	imsg_put_blob(&enc, big, PAYLOAD_MAX - 4);
	assert_int_equal(enc.error, 0);
	assert_int_equal(enc.len, PAYLOAD_MAX);
	assert_int_equal(imsg_compose_enc(&p.w, 1, 0, -1, &enc), 0);
	/* compose_enc consumed the encoder. */
	assert_null(enc.buf);
	assert_int_equal(enc.len, 0);
	/* One byte more: EMSGSIZE, sticky. */
	imsg_put_blob(&enc, big, PAYLOAD_MAX - 4);
	imsg_put_u8(&enc, 1);
	assert_int_equal(enc.error, EMSGSIZE);
	assert_int_equal(enc.len, PAYLOAD_MAX);
	imsg_enc_free(&enc);
	flush(&p.w, &p.r);
	assert_int_equal(recv_msg(&p.r, &m), 1);
	assert_int_equal(m.hdr.len, IMSG_MAXSIZE);
	imsg_dec_init(&dec, &m);
	assert_non_null(b = imsg_get_blob(&dec, &bl));
	assert_int_equal(bl, PAYLOAD_MAX - 4);
	assert_true(check_fill(b, bl, 5));
	assert_int_equal(imsg_dec_end(&dec), 0);
	imsg_free(&m);

	imsg_enc_init(&enc);
	imsg_put_blob(&enc, big, PAYLOAD_MAX - 3);
	assert_int_equal(enc.error, EMSGSIZE);
	assert_int_equal(enc.len, 0);
	imsg_put_u8(&enc, 1);			/* sticky */
	assert_int_equal(enc.len, 0);
	imsg_enc_free(&enc);

	imsg_enc_init(&enc);
	imsg_put_blob(&enc, big, SIZE_MAX);
	assert_int_equal(enc.error, EMSGSIZE);
	imsg_enc_free(&enc);

	/* Many small puts reach the limit too. */
	imsg_enc_init(&enc);
	while (enc.error == 0)
		imsg_put_u64(&enc, 1);
	assert_int_equal(enc.error, EMSGSIZE);
	assert_true(enc.len <= PAYLOAD_MAX && enc.len + 8 > PAYLOAD_MAX);

	/* compose_enc of a failed encoder: -1, fd closed, nothing sent. */
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(imsg_compose_enc(&p.w, 1, 0, pfd[1], &enc), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_false(fd_open(pfd[1]));
	assert_int_equal(imsg_queued(&p.w), 0);
	close(pfd[0]);
	imsg_enc_free(&enc);

	/* An empty encoder makes an empty message. */
	imsg_enc_init(&enc);
	assert_int_equal(imsg_compose_enc(&p.w, 2, 0, -1, &enc), 0);
	imsg_enc_free(&enc);
	flush(&p.w, &p.r);
	assert_int_equal(recv_msg(&p.r, &m), 1);
	assert_int_equal(m.hdr.type, 2);
	assert_int_equal(m.datalen, 0);
	imsg_free(&m);
	free(big);
	pair_close(&p);
}

/* imsgev in a real event loop. */

#define EV_ROUNDS	200

struct evpeer {
	struct imsgev	 iev;
	int		 echo;		/* answer every message */
	uint32_t	 got;
	int		 errors;
	int		 eof;
	int		 sawwrite;
	int		 fdok;
};

static struct event_base *evbase;
static int	 ev_timedout;

static void
ev_timeout(int fd, short event, void *arg)
{
	ev_timedout = 1;
	event_base_loopbreak(evbase);
}

static void
ev_handler(int fd, short event, void *arg)
{
	struct evpeer	*p = arg;
	struct imsgbuf	*ib = &p->iev.ibuf;
	struct imsg	 m;
	struct imsg_dec	 dec;
	struct imsg_enc	 enc;
	const void	*b;
	size_t		 bl;
	ssize_t		 n;
	uint32_t	 seq;
	int		 r;

	if (fd != ib->fd)
		p->errors++;
	if (event & EV_WRITE) {
		p->sawwrite = 1;
		if (imsg_write(ib) == -1)
			p->errors++;
	}
	if (event & EV_READ) {
		if ((n = imsg_read(ib)) == 0)
			p->eof = 1;
		else if (n == -1 && errno != EAGAIN)
			p->errors++;
	}
	while ((r = imsg_get(ib, &m)) == 1) {
		imsg_dec_init(&dec, &m);
		seq = imsg_get_u32(&dec);
		b = imsg_get_blob(&dec, &bl);
		if (imsg_dec_end(&dec) == -1 || seq != p->got ||
		    m.hdr.type != (p->echo ? 1u : 2u) ||
		    !check_fill(b, bl, seq))
			p->errors++;
		if (m.fd != -1) {
			if (p->echo)
				p->fdok += write(m.fd, "e", 1) == 1;
			else
				p->errors++;
		}
		if (p->echo) {
			/* Reply with the same body, the fd not passed. */
			imsg_enc_init(&enc);
			imsg_put_u32(&enc, seq);
			imsg_put_blob(&enc, b, bl);
			if (imsgev_compose_enc(&p->iev, 2, m.hdr.peerid, -1,
			    &enc) == -1)
				p->errors++;
			imsg_enc_free(&enc);
		}
		imsg_free(&m);
		p->got++;
	}
	if (r == -1)
		p->errors++;
	if (!p->echo && p->got == EV_ROUNDS)
		event_base_loopbreak(evbase);
	if (p->errors || p->eof)
		event_base_loopbreak(evbase);
	imsgev_update(&p->iev);
}

static void
test_imsgev_loop(void **state)
{
	struct evpeer	 a, b;
	struct event	 timer;
	struct timeval	 tv = { 20, 0 };
	struct imsg_enc	 enc;
	unsigned char	*buf;
	size_t		 len;
	uint32_t	 i;
	int		 s[2], pfd[2];
	char		 c;

	assert_non_null(evbase = event_init());
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	b.echo = 1;
	assert_int_equal(imsgev_init(&a.iev, s[0], ev_handler, &a), 0);
	assert_int_equal(imsgev_init(&b.iev, s[1], ev_handler, &b), 0);
	assert_int_equal(a.iev.events, EV_READ);
	assert_ptr_equal(a.iev.data, &a);
	assert_int_equal(pipe(pfd), 0);

	/* Much more than a socket holds: EV_WRITE has to do its job. */
	assert_non_null(buf = malloc(PAYLOAD_MAX));
	for (i = 0; i < EV_ROUNDS; i++) {
		len = i % 10 == 0 ? PAYLOAD_MAX - 8 : i * 13;
		fill(buf, len, i);
		imsg_enc_init(&enc);
		imsg_put_u32(&enc, i);
		imsg_put_blob(&enc, buf, len);
		assert_int_equal(imsgev_compose_enc(&a.iev, 1, i,
		    i == 7 ? pfd[1] : -1, &enc), 0);
		imsg_enc_free(&enc);
	}
	assert_true(imsg_queued(&a.iev.ibuf) > 1024 * 1024);
	assert_int_equal(a.iev.events, EV_READ | EV_WRITE);
	assert_true(event_pending(&a.iev.ev, EV_WRITE, NULL));

	evtimer_set(&timer, ev_timeout, NULL);
	assert_int_equal(evtimer_add(&timer, &tv), 0);
	ev_timedout = 0;
	assert_int_equal(event_base_loop(evbase, 0), 0);
	evtimer_del(&timer);

	assert_false(ev_timedout);
	assert_int_equal(a.errors, 0);
	assert_int_equal(b.errors, 0);
	assert_int_equal(b.got, EV_ROUNDS);
	assert_int_equal(a.got, EV_ROUNDS);
	assert_true(a.sawwrite);
	assert_int_equal(b.fdok, 1);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	assert_int_equal(c, 'e');
	/* Idle again: EV_WRITE dropped on both sides. */
	assert_int_equal(imsg_queued(&a.iev.ibuf), 0);
	assert_int_equal(imsg_queued(&b.iev.ibuf), 0);
	assert_int_equal(a.iev.events, EV_READ);
	assert_int_equal(b.iev.events, EV_READ);
	assert_false(event_pending(&a.iev.ev, EV_WRITE, NULL));
	assert_true(event_pending(&a.iev.ev, EV_READ, NULL));

	/* The peer's EOF reaches the handler through the loop. */
	imsgev_clear(&b.iev);
	close(s[1]);
	assert_false(event_pending(&b.iev.ev, EV_READ, NULL));
	evtimer_add(&timer, &tv);
	assert_int_equal(event_base_loop(evbase, 0), 0);
	evtimer_del(&timer);
	assert_false(ev_timedout);
	assert_true(a.eof);

	imsgev_clear(&a.iev);
	close(s[0]);
	close(pfd[0]);
	free(buf);
	event_base_free(evbase);
	evbase = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_compose_limits),
		cmocka_unit_test(test_coalesced),
		cmocka_unit_test(test_split_bytes),
		cmocka_unit_test(test_eof_mid_frame),
		cmocka_unit_test(test_bad_len_oversized),
		cmocka_unit_test(test_bad_len_small),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_read_full),
		cmocka_unit_test(test_write_peer_closed),
		cmocka_unit_test(test_write_no_sendmsg),
		cmocka_unit_test(test_init_nonblocking),
		cmocka_unit_test(test_fd_pass),
		cmocka_unit_test(test_fd_many),
		cmocka_unit_test(test_fd_empty_payload),
		cmocka_unit_test(test_fd_unannounced),
		cmocka_unit_test(test_fd_unannounced_eof),
		cmocka_unit_test(test_fd_late),
		cmocka_unit_test(test_fd_ctrunc),
		cmocka_unit_test(test_fd_emfile),
		cmocka_unit_test(test_clear_closes_fds),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_enc_roundtrip),
		cmocka_unit_test(test_dec_exact),
		cmocka_unit_test(test_dec_truncated),
		cmocka_unit_test(test_dec_str),
		cmocka_unit_test(test_enc_limits),
		cmocka_unit_test(test_imsgev_loop),
	};

	/* As in every process that uses imsg_write(). */
	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
