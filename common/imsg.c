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
 * Framed messages over a unix stream socketpair (DESIGN section 2).
 *
 * Fd accounting.  The writer attaches a message's fd to the sendmsg(2)
 * that carries the message's first byte, and never puts a second fd in
 * the same call (batches without an fd go out with writev(2)).  A unix
 * stream socket hands the fd out together with the bytes of that call,
 * and recvmsg(2) stops after the first chunk that carried fds.  So each
 * received fd is remembered with the stream range [start, end) that its
 * recvmsg returned: it belongs to a message starting inside that range.
 * A message announcing an fd must find the oldest unclaimed fd's range
 * around its first byte; an fd whose range lies wholly before the
 * current message was never announced.  Both are protocol errors.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSG_PAYLOAD_MAX	(IMSG_MAXSIZE - IMSG_HDR_SIZE)
#define IMSG_WRITE_IOV		64	/* messages per write */
#define IMSG_RECV_FDS		4	/* room to see (and close) excess */

struct imsg_wbuf {
	struct imsg_wbuf	*next;
	size_t			 len;		/* whole frame */
	size_t			 off;		/* bytes already sent */
	int			 fd;		/* -1 once sent */
	unsigned char		 data[];
};

struct imsg_rfd {
	STAILQ_ENTRY(imsg_rfd)	 entry;
	int			 fd;
	uint64_t		 start;		/* stream range read with it */
	uint64_t		 end;
};

/* Private read state; the header only names it. */
struct imsg_fdq {
	STAILQ_HEAD(, imsg_rfd)	 fds;		/* oldest first */
	uint64_t		 consumed;	/* stream offset at roff */
	size_t			 roff;		/* first unparsed byte */
	int			 broken;	/* sticky protocol error */
};

static void
closefd(int fd)
{
	int	 saved_errno = errno;

	if (fd >= 0)
		close(fd);
	errno = saved_errno;
}

static void
wbuf_free(struct imsg_wbuf *wb)
{
	closefd(wb->fd);
	explicit_bzero(wb->data, wb->len);
	free(wb);
}

int
imsgbuf_init(struct imsgbuf *ibuf, int fd)
{
	int	 fl;

	memset(ibuf, 0, sizeof(*ibuf));
	ibuf->fd = fd;
	/* The event loop must never block on this socket. */
	if (fd >= 0) {
		if ((fl = fcntl(fd, F_GETFL)) == -1)
			return (-1);
		if (!(fl & O_NONBLOCK) &&
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
			return (-1);
	}
	if ((ibuf->rbuf = malloc(IMSG_MAXSIZE)) == NULL)
		return (-1);
	if ((ibuf->fdq = calloc(1, sizeof(*ibuf->fdq))) == NULL) {
		free(ibuf->rbuf);
		ibuf->rbuf = NULL;
		return (-1);
	}
	STAILQ_INIT(&ibuf->fdq->fds);
	return (0);
}

void
imsgbuf_clear(struct imsgbuf *ibuf)
{
	struct imsg_wbuf	*wb;
	struct imsg_rfd		*rfd;

	while ((wb = ibuf->wq_head) != NULL) {
		ibuf->wq_head = wb->next;
		wbuf_free(wb);
	}
	ibuf->wq_tail = NULL;
	ibuf->wqueued = 0;
	if (ibuf->fdq != NULL) {
		while ((rfd = STAILQ_FIRST(&ibuf->fdq->fds)) != NULL) {
			STAILQ_REMOVE_HEAD(&ibuf->fdq->fds, entry);
			closefd(rfd->fd);
			free(rfd);
		}
		free(ibuf->fdq);
		ibuf->fdq = NULL;
	}
	if (ibuf->rbuf != NULL) {
		explicit_bzero(ibuf->rbuf, IMSG_MAXSIZE);
		free(ibuf->rbuf);
		ibuf->rbuf = NULL;
	}
	ibuf->rlen = 0;
}

int
imsg_composev(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct imsg_wbuf	*wb;
	struct imsg_hdr		 hdr;
	size_t			 len = IMSG_HDR_SIZE, off;
	int			 i;

	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL)) {
		errno = EINVAL;
		goto fail;
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > IMSG_MAXSIZE - len) {
			errno = EMSGSIZE;
			goto fail;
		}
		if (iov[i].iov_len > 0 && iov[i].iov_base == NULL) {
			errno = EINVAL;
			goto fail;
		}
		len += iov[i].iov_len;
	}
	/* A peer that never reads must not make us grow without bound. */
	if (ibuf->wqueued > IMSG_MAXQUEUE ||
	    len > IMSG_MAXQUEUE - ibuf->wqueued) {
		errno = ENOBUFS;
		goto fail;
	}
	if ((wb = malloc(sizeof(*wb) + len)) == NULL)
		goto fail;
	wb->next = NULL;
	wb->len = len;
	wb->off = 0;
	wb->fd = fd >= 0 ? fd : -1;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)len;
	hdr.peerid = peerid;
	hdr.flags = wb->fd != -1 ? IMSGF_HASFD : 0;
	memcpy(wb->data, &hdr, sizeof(hdr));
	off = sizeof(hdr);
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		memcpy(wb->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}

	if (ibuf->wq_tail != NULL)
		ibuf->wq_tail->next = wb;
	else
		ibuf->wq_head = wb;
	ibuf->wq_tail = wb;
	ibuf->wqueued += len;
	return (0);

 fail:
	closefd(fd);
	return (-1);
}

int
imsg_compose(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t datalen)
{
	struct iovec	 iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = datalen;
	return (imsg_composev(ibuf, type, peerid, fd, &iov,
	    datalen > 0 ? 1 : 0));
}

/* Drop n sent bytes from the front of the queue. */
static void
wq_advance(struct imsgbuf *ibuf, size_t n)
{
	struct imsg_wbuf	*wb;
	size_t			 left;

	while (n > 0 && (wb = ibuf->wq_head) != NULL) {
		left = wb->len - wb->off;
		if (n < left) {
			wb->off += n;
			ibuf->wqueued -= n;
			return;
		}
		n -= left;
		ibuf->wqueued -= left;
		if ((ibuf->wq_head = wb->next) == NULL)
			ibuf->wq_tail = NULL;
		wbuf_free(wb);
	}
}

/* One batch that carries an fd with its first byte. */
static ssize_t
sendfd_iov(int sock, int fd, struct iovec *iov, int iovcnt)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr		 msg;
	struct cmsghdr		*cm;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	msg.msg_iov = iov;
	msg.msg_iovlen = iovcnt;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return (sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT));
}

int
imsg_write(struct imsgbuf *ibuf)
{
	struct iovec		 iov[IMSG_WRITE_IOV];
	struct imsg_wbuf	*wb;
	ssize_t			 n;
	int			 i, sendfd;

	while ((wb = ibuf->wq_head) != NULL) {
		sendfd = wb->off == 0 ? wb->fd : -1;
		for (i = 0; wb != NULL && i < IMSG_WRITE_IOV; wb = wb->next) {
			/* Another fd must wait for a sendmsg of its own. */
			if (i > 0 && wb->fd != -1)
				break;
			iov[i].iov_base = wb->data + wb->off;
			iov[i].iov_len = wb->len - wb->off;
			i++;
		}
		/*
		 * Only a batch carrying an fd needs sendmsg(2): a process
		 * that passes none can be denied sendmsg altogether.
		 */
		if (sendfd != -1)
			n = sendfd_iov(ibuf->fd, sendfd, iov, i);
		else
			n = writev(ibuf->fd, iov, i);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (1);
			return (-1);
		}
		/* The fd left with the first byte; our copy goes. */
		if (sendfd != -1) {
			closefd(sendfd);
			ibuf->wq_head->fd = -1;
		}
		wq_advance(ibuf, (size_t)n);
	}
	return (0);
}

size_t
imsg_queued(const struct imsgbuf *ibuf)
{
	return (ibuf->wqueued);
}

ssize_t
imsg_read(struct imsgbuf *ibuf)
{
	struct imsg_fdq	*q = ibuf->fdq;
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int) * IMSG_RECV_FDS)];
	} cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	struct imsg_rfd	*rfd;
	unsigned char	*cp;
	int		 fds[IMSG_RECV_FDS], fd, bad = 0;
	size_t		 i, nfds = 0, cnt;
	ssize_t		 n;

	if (q->roff > 0) {
		memmove(ibuf->rbuf, ibuf->rbuf + q->roff, ibuf->rlen);
		q->roff = 0;
	}
	/* Full means the caller did not imsg_get(): a whole frame fits. */
	if (ibuf->rlen >= IMSG_MAXSIZE) {
		errno = ENOBUFS;
		return (-1);
	}

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ibuf->rbuf + ibuf->rlen;
	iov.iov_len = IMSG_MAXSIZE - ibuf->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		n = recvmsg(ibuf->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);

	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
	    cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		cp = CMSG_DATA(cm);
		for (i = 0; i < cnt; i++) {
			memcpy(&fd, cp + i * sizeof(int), sizeof(int));
			if (nfds < IMSG_RECV_FDS)
				fds[nfds++] = fd;
			else
				closefd(fd);
		}
	}
	/*
	 * Lost fds, more than one fd per sendmsg, or fds without data:
	 * the peer does not speak our protocol.
	 */
	if ((msg.msg_flags & MSG_CTRUNC) || nfds > 1 ||
	    (nfds > 0 && n == 0))
		bad = 1;
	if (!bad && nfds == 1) {
		if ((rfd = malloc(sizeof(*rfd))) == NULL) {
			closefd(fds[0]);
			q->broken = 1;
			return (-1);
		}
		rfd->fd = fds[0];
		rfd->start = q->consumed + ibuf->rlen;
		rfd->end = rfd->start + (size_t)n;
		STAILQ_INSERT_TAIL(&q->fds, rfd, entry);
	}
	if (bad) {
		for (i = 0; i < nfds; i++)
			closefd(fds[i]);
		q->broken = 1;
		errno = EBADMSG;
		return (-1);
	}
	ibuf->rlen += (size_t)n;
	return (n);
}

int
imsg_get(struct imsgbuf *ibuf, struct imsg *imsg)
{
	struct imsg_fdq	*q = ibuf->fdq;
	struct imsg_hdr	 hdr;
	struct imsg_rfd	*rfd;
	void		*data = NULL;
	size_t		 datalen;

	if (q->broken)
		goto bad;
	if (ibuf->rlen < IMSG_HDR_SIZE)
		return (0);
	memcpy(&hdr, ibuf->rbuf + q->roff, sizeof(hdr));
	/* Judge the header at once: never wait for a frame we refuse. */
	if (hdr.len < IMSG_HDR_SIZE || hdr.len > IMSG_MAXSIZE ||
	    (hdr.flags & ~(uint32_t)IMSGF_HASFD) != 0)
		goto bad;
	rfd = STAILQ_FIRST(&q->fds);
	if (rfd != NULL && rfd->end <= q->consumed)
		goto bad;		/* came with no message announcing it */
	if ((hdr.flags & IMSGF_HASFD) &&
	    (rfd == NULL || rfd->start > q->consumed))
		goto bad;		/* not sent with the first byte */
	if (ibuf->rlen < hdr.len)
		return (0);

	datalen = hdr.len - IMSG_HDR_SIZE;
	if (datalen > 0) {
		if ((data = malloc(datalen)) == NULL)
			return (-1);
		memcpy(data, ibuf->rbuf + q->roff + IMSG_HDR_SIZE, datalen);
	}
	imsg->hdr = hdr;
	imsg->data = data;
	imsg->datalen = datalen;
	imsg->fd = -1;
	if (hdr.flags & IMSGF_HASFD) {
		imsg->fd = rfd->fd;
		STAILQ_REMOVE_HEAD(&q->fds, entry);
		free(rfd);
	}

	explicit_bzero(ibuf->rbuf + q->roff, hdr.len);
	q->consumed += hdr.len;
	ibuf->rlen -= hdr.len;
	q->roff = ibuf->rlen > 0 ? q->roff + hdr.len : 0;
	return (1);

 bad:
	q->broken = 1;
	errno = EBADMSG;
	return (-1);
}

void
imsg_free(struct imsg *imsg)
{
	if (imsg->data != NULL) {
		explicit_bzero(imsg->data, imsg->datalen);
		free(imsg->data);
	}
	imsg->data = NULL;
	imsg->datalen = 0;
	closefd(imsg->fd);
	imsg->fd = -1;
}

/* Payload encoding. */

void
imsg_enc_init(struct imsg_enc *enc)
{
	memset(enc, 0, sizeof(*enc));
}

void
imsg_enc_free(struct imsg_enc *enc)
{
	if (enc->buf != NULL) {
		explicit_bzero(enc->buf, enc->cap);
		free(enc->buf);
	}
	memset(enc, 0, sizeof(*enc));
}

/* Room for n more bytes, or NULL and a sticky error. */
static unsigned char *
enc_reserve(struct imsg_enc *enc, size_t n)
{
	unsigned char	*nbuf, *p;
	size_t		 ncap;

	if (enc->error)
		return (NULL);
	if (enc->len > IMSG_PAYLOAD_MAX || n > IMSG_PAYLOAD_MAX - enc->len) {
		enc->error = EMSGSIZE;
		return (NULL);
	}
	if (enc->len + n > enc->cap) {
		ncap = enc->cap > 0 ? enc->cap : 256;
		while (ncap < enc->len + n)
			ncap *= 2;
		if (ncap > IMSG_PAYLOAD_MAX)
			ncap = IMSG_PAYLOAD_MAX;
		/* Not realloc: leave no copy of the payload behind. */
		if ((nbuf = malloc(ncap)) == NULL) {
			enc->error = ENOMEM;
			return (NULL);
		}
		if (enc->len > 0)
			memcpy(nbuf, enc->buf, enc->len);
		if (enc->buf != NULL) {
			explicit_bzero(enc->buf, enc->cap);
			free(enc->buf);
		}
		enc->buf = nbuf;
		enc->cap = ncap;
	}
	p = enc->buf + enc->len;
	enc->len += n;
	return (p);
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
get_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

void
imsg_put_u8(struct imsg_enc *enc, uint8_t v)
{
	unsigned char	*p;

	if ((p = enc_reserve(enc, 1)) != NULL)
		*p = v;
}

void
imsg_put_u32(struct imsg_enc *enc, uint32_t v)
{
	unsigned char	*p;

	if ((p = enc_reserve(enc, 4)) != NULL)
		put_be32(p, v);
}

void
imsg_put_u64(struct imsg_enc *enc, uint64_t v)
{
	unsigned char	*p;

	if ((p = enc_reserve(enc, 8)) != NULL) {
		put_be32(p, (uint32_t)(v >> 32));
		put_be32(p + 4, (uint32_t)v);
	}
}

void
imsg_put_blob(struct imsg_enc *enc, const void *data, size_t len)
{
	unsigned char	*p;

	if (enc->error)
		return;
	if (len > 0 && data == NULL) {
		enc->error = EINVAL;
		return;
	}
	if (len > IMSG_PAYLOAD_MAX) {
		enc->error = EMSGSIZE;
		return;
	}
	if ((p = enc_reserve(enc, 4 + len)) == NULL)
		return;
	put_be32(p, (uint32_t)len);
	if (len > 0)
		memcpy(p + 4, data, len);
}

void
imsg_put_str(struct imsg_enc *enc, const char *s)
{
	if (s == NULL) {
		if (!enc->error)
			enc->error = EINVAL;
		return;
	}
	imsg_put_blob(enc, s, strlen(s));
}

int
imsg_compose_enc(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid,
    int fd, struct imsg_enc *enc)
{
	int	 rv, saved_errno;

	if (enc->error) {
		closefd(fd);
		saved_errno = enc->error;
		imsg_enc_free(enc);
		errno = saved_errno;
		return (-1);
	}
	rv = imsg_compose(ibuf, type, peerid, fd, enc->buf, enc->len);
	saved_errno = errno;
	imsg_enc_free(enc);
	errno = saved_errno;
	return (rv);
}

/* Payload decoding: every read is checked against what is left. */

void
imsg_dec_init(struct imsg_dec *dec, const struct imsg *imsg)
{
	dec->p = imsg->data;
	dec->left = imsg->data != NULL ? imsg->datalen : 0;
	dec->error = 0;
}

static const unsigned char *
dec_take(struct imsg_dec *dec, size_t n)
{
	const unsigned char	*p;

	if (dec->error)
		return (NULL);
	if (n > dec->left || dec->p == NULL) {
		dec->error = EBADMSG;
		return (NULL);
	}
	p = dec->p;
	dec->p += n;
	dec->left -= n;
	return (p);
}

uint8_t
imsg_get_u8(struct imsg_dec *dec)
{
	const unsigned char	*p;

	if ((p = dec_take(dec, 1)) == NULL)
		return (0);
	return (*p);
}

uint32_t
imsg_get_u32(struct imsg_dec *dec)
{
	const unsigned char	*p;

	if ((p = dec_take(dec, 4)) == NULL)
		return (0);
	return (get_be32(p));
}

uint64_t
imsg_get_u64(struct imsg_dec *dec)
{
	const unsigned char	*p;

	if ((p = dec_take(dec, 8)) == NULL)
		return (0);
	return ((uint64_t)get_be32(p) << 32 | get_be32(p + 4));
}

const void *
imsg_get_blob(struct imsg_dec *dec, size_t *lenp)
{
	const unsigned char	*p;
	uint32_t		 len;

	*lenp = 0;
	len = imsg_get_u32(dec);
	if ((p = dec_take(dec, len)) == NULL)
		return (NULL);
	*lenp = len;
	return (p);
}

char *
imsg_get_str(struct imsg_dec *dec)
{
	const unsigned char	*p;
	size_t			 len;
	char			*s;

	if ((p = imsg_get_blob(dec, &len)) == NULL)
		return (NULL);
	if (memchr(p, '\0', len) != NULL) {
		dec->error = EBADMSG;
		return (NULL);
	}
	if ((s = malloc(len + 1)) == NULL) {
		dec->error = ENOMEM;
		return (NULL);
	}
	memcpy(s, p, len);
	s[len] = '\0';
	return (s);
}

int
imsg_dec_end(struct imsg_dec *dec)
{
	if (!dec->error && dec->left != 0)
		dec->error = EBADMSG;
	if (dec->error) {
		errno = dec->error;
		return (-1);
	}
	return (0);
}
