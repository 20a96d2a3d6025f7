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

#include "guardiand.h"
#include "msg.h"
#include "ruleset.h"

/*
 * The policy channel: the patterns the parent hands the policy child
 * (IMSG_POLICY_PATTERN each, then IMSG_POLICY_COMMIT, empty), its
 * answer (IMSG_POLICY_LOADED), and a check of a command
 * (IMSG_POLICY_CHECK) with its answer (IMSG_POLICY_VERDICT).
 */

void
msg_policy_pattern_enc(struct imsg_enc *enc,
    const struct msg_policy_pattern *m)
{
	imsg_enc_init(enc);
	imsg_put_u8(enc, m->kind);
	imsg_put_str(enc, m->project);
	imsg_put_str(enc, m->re);
	imsg_put_str(enc, m->file);
	imsg_put_u32(enc, m->line);
}

void
msg_policy_pattern_clear(struct msg_policy_pattern *m)
{
	free(m->project);
	free(m->re);
	free(m->file);
	memset(m, 0, sizeof(*m));
}

int
msg_policy_pattern_dec(const struct imsg *imsg, struct msg_policy_pattern *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->kind = imsg_get_u8(&dec);
	m->project = imsg_get_str(&dec);
	m->re = imsg_get_str(&dec);
	m->file = imsg_get_str(&dec);
	m->line = imsg_get_u32(&dec);
	if (imsg_dec_end(&dec) == -1 || m->kind >= PAT_NKINDS) {
		msg_policy_pattern_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_policy_check_enc(struct imsg_enc *enc, const struct msg_policy_check *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->project);
	imsg_put_u8(enc, m->default_manual);
	imsg_put_u32(enc, m->budget);
	msg_put_argv(enc, m->argc, m->argv);
}

void
msg_policy_check_clear(struct msg_policy_check *m)
{
	free(m->project);
	msg_argv_free(m->argv, m->argc);
	memset(m, 0, sizeof(*m));
}

int
msg_policy_check_dec(const struct imsg *imsg, struct msg_policy_check *m)
{
	struct imsg_dec	 dec;

	memset(m, 0, sizeof(*m));
	imsg_dec_init(&dec, imsg);
	m->project = imsg_get_str(&dec);
	m->default_manual = imsg_get_u8(&dec);
	m->budget = imsg_get_u32(&dec);
	if (dec.error || m->budget == 0 ||
	    (m->argv = msg_get_argv(&dec, &m->argc)) == NULL ||
	    imsg_dec_end(&dec) == -1) {
		msg_policy_check_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_policy_loaded_enc(struct imsg_enc *enc,
    const struct msg_policy_loaded *m)
{
	imsg_enc_init(enc);
	imsg_put_u8(enc, m->ok);
	imsg_put_str(enc, m->errors);
}

int
msg_policy_loaded_dec(const struct imsg *imsg, struct msg_policy_loaded *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->ok = imsg_get_u8(&dec);
	m->errors = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1 || m->ok > 1) {
		free(m->errors);
		m->errors = NULL;
		return (-1);
	}
	return (0);
}

void
msg_policy_verdict_enc(struct imsg_enc *enc,
    const struct msg_policy_verdict *m)
{
	imsg_enc_init(enc);
	imsg_put_u8(enc, m->verdict);
	imsg_put_str(enc, m->pattern);
	imsg_put_u8(enc, m->limit);
}

int
msg_policy_verdict_dec(const struct imsg *imsg, struct msg_policy_verdict *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->verdict = imsg_get_u8(&dec);
	m->pattern = imsg_get_str(&dec);
	m->limit = imsg_get_u8(&dec);
	if (imsg_dec_end(&dec) == -1 || m->verdict > VERDICT_MANUAL ||
	    m->limit > 2 || (m->limit == 2 && m->verdict != VERDICT_DENY)) {
		free(m->pattern);
		m->pattern = NULL;
		return (-1);
	}
	return (0);
}
