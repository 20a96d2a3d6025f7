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

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "frame.h"
#include "guardiand.h"
#include "msg.h"

/*
 * The request channel: what the request child asks of the parent
 * (IMSG_REQ_NEW; IMSG_REQ_CANCEL is empty) and what the parent
 * answers about a request (IMSG_REQ_*), the peerid being the request
 * child's number for the connection.
 */

void
msg_req_new_enc(struct imsg_enc *enc, const struct msg_req_new *m)
{
	imsg_enc_init(enc);
	imsg_put_u8(enc, m->mode);
	imsg_put_str(enc, m->token);
	imsg_put_str(enc, m->peer);
	imsg_put_u32(enc, m->door);
	msg_put_argv(enc, m->argc, m->argv);
}

/* The token is a secret: wiped, as everything that held it. */
void
msg_req_new_clear(struct msg_req_new *m)
{
	if (m->token != NULL)
		freezero(m->token, strlen(m->token));
	free(m->peer);
	msg_argv_free(m->argv, m->argc);
	memset(m, 0, sizeof(*m));
}

int
msg_req_new_dec(const struct imsg *imsg, struct msg_req_new *m)
{
	struct imsg_dec	 dec;
	size_t		 total = 0, len;
	uint32_t	 i;

	memset(m, 0, sizeof(*m));
	imsg_dec_init(&dec, imsg);
	m->mode = imsg_get_u8(&dec);
	m->token = imsg_get_str(&dec);
	m->peer = imsg_get_str(&dec);
	m->door = imsg_get_u32(&dec);
	if (dec.error || (m->mode != REQ_MODE_BUFFERED &&
	    m->mode != REQ_MODE_STREAM) || strlen(m->peer) > MSG_PEER_MAX)
		goto bad;
	if ((m->argv = msg_get_argv(&dec, &m->argc)) == NULL)
		goto bad;
	for (i = 0; i < m->argc; i++) {
		len = strlen(m->argv[i]);
		total += len;
		if (total > REQ_ARGV_MAX || !utf8_valid(m->argv[i], len))
			goto bad;
	}
	if (imsg_dec_end(&dec) == -1)
		goto bad;
	return (0);
 bad:
	msg_req_new_clear(m);
	return (-1);
}

void
msg_req_reject_enc(struct imsg_enc *enc, const struct msg_req_reject *m)
{
	imsg_enc_init(enc);
	imsg_put_u32(enc, m->status);
	imsg_put_str(enc, m->reason);
	imsg_put_u32(enc, m->delay);
}

int
msg_req_reject_dec(const struct imsg *imsg, struct msg_req_reject *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->status = imsg_get_u32(&dec);
	m->reason = imsg_get_str(&dec);
	m->delay = imsg_get_u32(&dec);
	if (imsg_dec_end(&dec) == -1) {
		free(m->reason);
		m->reason = NULL;
		return (-1);
	}
	return (0);
}

void
msg_req_queued_enc(struct imsg_enc *enc, const struct msg_req_queued *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->text);
	imsg_put_u64(enc, m->expires);
}

int
msg_req_queued_dec(const struct imsg *imsg, struct msg_req_queued *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->text = imsg_get_str(&dec);
	m->expires = imsg_get_u64(&dec);
	if (imsg_dec_end(&dec) == -1) {
		free(m->text);
		m->text = NULL;
		return (-1);
	}
	return (0);
}

void
msg_req_pipe_enc(struct imsg_enc *enc, const struct msg_req_pipe *m)
{
	imsg_enc_init(enc);
	imsg_put_u8(enc, m->stream);
}

/* The pipe itself is the imsg's descriptor: there must be one. */
int
msg_req_pipe_dec(const struct imsg *imsg, struct msg_req_pipe *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->stream = imsg_get_u8(&dec);
	if (imsg_dec_end(&dec) == -1 || imsg->fd == -1 ||
	    (m->stream != 1 && m->stream != 2))
		return (-1);
	return (0);
}

void
msg_req_started_enc(struct imsg_enc *enc, const struct msg_req_started *m)
{
	imsg_enc_init(enc);
	imsg_put_u8(enc, m->automatic);
	imsg_put_str(enc, m->pattern);
	imsg_put_str(enc, m->text);
}

int
msg_req_started_dec(const struct imsg *imsg, struct msg_req_started *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->automatic = imsg_get_u8(&dec);
	m->pattern = imsg_get_str(&dec);
	m->text = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1) {
		free(m->pattern);
		free(m->text);
		m->pattern = m->text = NULL;
		return (-1);
	}
	return (0);
}

void
msg_req_denied_enc(struct imsg_enc *enc, const struct msg_req_denied *m)
{
	imsg_enc_init(enc);
	imsg_put_u8(enc, m->reason);
	imsg_put_str(enc, m->text);
}

int
msg_req_denied_dec(const struct imsg *imsg, struct msg_req_denied *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->reason = imsg_get_u8(&dec);
	m->text = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1 || m->reason > DENY_BUSY) {
		free(m->text);
		m->text = NULL;
		return (-1);
	}
	return (0);
}

void
msg_req_exited_enc(struct imsg_enc *enc, const struct msg_req_exited *m)
{
	imsg_enc_init(enc);
	imsg_put_u8(enc, m->kind);
	imsg_put_u32(enc, m->code);
	imsg_put_u32(enc, m->ms);
}

int
msg_req_exited_dec(const struct imsg *imsg, struct msg_req_exited *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->kind = imsg_get_u8(&dec);
	m->code = imsg_get_u32(&dec);
	m->ms = imsg_get_u32(&dec);
	if (imsg_dec_end(&dec) == -1 || m->kind > EXIT_KILLED)
		return (-1);
	return (0);
}
