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

#ifndef IMSG_H
#define IMSG_H

#include <sys/types.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

/*
 * imsg-style framed messages over a unix socketpair.
 *
 * Frame: struct imsg_hdr (host byte order: both ends are the same
 * binary on the same host) followed by len - IMSG_HDR_SIZE payload
 * bytes.  At most one file descriptor travels with a message, sent
 * with SCM_RIGHTS in the same sendmsg(2) as the message's first byte.
 * The reader trusts nothing: a length below the header size or above
 * IMSG_MAXSIZE, unknown flags, an fd announced but not received or
 * received but not announced is a protocol error.
 */

#define IMSG_MAXSIZE	(512 * 1024)	/* whole frame, header included */
#define IMSG_MAXQUEUE	(16 * 1024 * 1024) /* bytes queued for writing */
#define IMSGF_HASFD	0x1

struct imsg_hdr {
	uint32_t	type;
	uint32_t	len;		/* header + payload */
	uint32_t	peerid;
	uint32_t	flags;
};
#define IMSG_HDR_SIZE	sizeof(struct imsg_hdr)

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 if none; caller owns it */
	void		*data;		/* payload, NULL if empty */
	size_t		 datalen;
};

struct imsg_wbuf;
struct imsg_fdq;

struct imsgbuf {
	int			 fd;
	unsigned char		*rbuf;		/* IMSG_MAXSIZE bytes */
	size_t			 rlen;		/* bytes buffered */
	struct imsg_fdq		*fdq;		/* fds received, not yet used */
	struct imsg_wbuf	*wq_head;	/* messages to write */
	struct imsg_wbuf	*wq_tail;
	size_t			 wqueued;	/* bytes in wq */
};

/* 0 on success, -1 on ENOMEM. */
int	 imsgbuf_init(struct imsgbuf *, int);
/* Frees buffers, closes queued and received fds; not ibuf->fd. */
void	 imsgbuf_clear(struct imsgbuf *);

/*
 * Queue a message.  The fd (or -1) is owned by the imsgbuf from now
 * on, also on failure.  -1 with errno EMSGSIZE (too big) or ENOBUFS
 * (IMSG_MAXQUEUE would be exceeded) or ENOMEM.
 */
int	 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, int,
	    const void *, size_t);
int	 imsg_composev(struct imsgbuf *, uint32_t, uint32_t, int,
	    const struct iovec *, int);

/* Read what the socket has: >0 bytes, 0 EOF, -1 error (EAGAIN too). */
ssize_t	 imsg_read(struct imsgbuf *);
/* 1 a message in *imsg, 0 need more bytes, -1 protocol error (EBADMSG). */
int	 imsg_get(struct imsgbuf *, struct imsg *);
/* Frees data and closes an fd the caller did not take (set to -1). */
void	 imsg_free(struct imsg *);

/*
 * Write queued messages: 0 all written, 1 more pending, -1 error.
 * Messages without an fd go out with writev(2), which cannot suppress
 * SIGPIPE: a process using this ignores SIGPIPE and sees EPIPE.
 */
int	 imsg_write(struct imsgbuf *);
size_t	 imsg_queued(const struct imsgbuf *);

/*
 * Payload encoding: u8/u32/u64 in network byte order, strings and
 * blobs as u32 length + bytes.  Readers check every length against
 * what is left; imsg_dec_end() fails unless the payload was consumed
 * exactly.  Decoded strings must hold no NUL and are returned NUL
 * terminated in malloc'd memory (caller frees).
 */
struct imsg_enc {
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;
	int		 error;		/* sticky: ENOMEM or EMSGSIZE */
};

struct imsg_dec {
	const unsigned char	*p;
	size_t			 left;
	int			 error;	/* sticky: EBADMSG */
};

void	 imsg_enc_init(struct imsg_enc *);
void	 imsg_enc_free(struct imsg_enc *);
void	 imsg_put_u8(struct imsg_enc *, uint8_t);
void	 imsg_put_u32(struct imsg_enc *, uint32_t);
void	 imsg_put_u64(struct imsg_enc *, uint64_t);
void	 imsg_put_str(struct imsg_enc *, const char *);
void	 imsg_put_blob(struct imsg_enc *, const void *, size_t);
/*
 * Composes enc's bytes and frees enc, whatever happens; -1 if
 * enc->error was set or compose fails.
 */
int	 imsg_compose_enc(struct imsgbuf *, uint32_t, uint32_t, int,
	    struct imsg_enc *);

void	 imsg_dec_init(struct imsg_dec *, const struct imsg *);
uint8_t	 imsg_get_u8(struct imsg_dec *);
uint32_t imsg_get_u32(struct imsg_dec *);
uint64_t imsg_get_u64(struct imsg_dec *);
char	*imsg_get_str(struct imsg_dec *);	/* NULL on error */
/* Points into the message; valid until imsg_free(). */
const void *imsg_get_blob(struct imsg_dec *, size_t *);
/* 0 if all decoded fine and nothing is left over, else -1. */
int	 imsg_dec_end(struct imsg_dec *);

#endif /* IMSG_H */
