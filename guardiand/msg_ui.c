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
#include "control.h"
#include "guardiand.h"
#include "msg.h"

/*
 * The ui channel: what the approval page shows and the sessions
 * (parent -> ui), the decisions of the humans who use it and their
 * logins (ui -> parent).
 */

#define UI_REASON_MAX	1024	/* bytes of a denial's reason */

void
msg_ui_added_enc(struct imsg_enc *enc, const struct msg_ui_added *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->id);
	imsg_put_str(enc, m->cloister);
	imsg_put_str(enc, m->project);
	imsg_put_str(enc, m->cmd);
	imsg_put_str(enc, m->cwd);
	imsg_put_u64(enc, m->timestamp);
	imsg_put_u64(enc, m->expires);
	imsg_put_str(enc, m->why);
	imsg_put_str(enc, m->pattern);
	imsg_put_str(enc, m->rule_file);
	imsg_put_u32(enc, m->rule_line);
	imsg_put_str(enc, m->program);
	imsg_put_str(enc, m->program_note);
	imsg_put_str(enc, m->program_flags);
}

void
msg_ui_added_clear(struct msg_ui_added *m)
{
	free(m->id);
	free(m->cloister);
	free(m->project);
	free(m->cmd);
	free(m->cwd);
	free(m->why);
	free(m->pattern);
	free(m->rule_file);
	free(m->program);
	free(m->program_note);
	free(m->program_flags);
	memset(m, 0, sizeof(*m));
}

int
msg_ui_added_dec(const struct imsg *imsg, struct msg_ui_added *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->id = imsg_get_str(&dec);
	m->cloister = imsg_get_str(&dec);
	m->project = imsg_get_str(&dec);
	m->cmd = imsg_get_str(&dec);
	m->cwd = imsg_get_str(&dec);
	m->timestamp = imsg_get_u64(&dec);
	m->expires = imsg_get_u64(&dec);
	m->why = imsg_get_str(&dec);
	m->pattern = imsg_get_str(&dec);
	m->rule_file = imsg_get_str(&dec);
	m->rule_line = imsg_get_u32(&dec);
	m->program = imsg_get_str(&dec);
	m->program_note = imsg_get_str(&dec);
	m->program_flags = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1) {
		msg_ui_added_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_ui_removed_enc(struct imsg_enc *enc, const struct msg_ui_removed *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->id);
	imsg_put_str(enc, m->outcome);
	imsg_put_str(enc, m->user);
}

void
msg_ui_removed_clear(struct msg_ui_removed *m)
{
	free(m->id);
	free(m->outcome);
	free(m->user);
	memset(m, 0, sizeof(*m));
}

int
msg_ui_removed_dec(const struct imsg *imsg, struct msg_ui_removed *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->id = imsg_get_str(&dec);
	m->outcome = imsg_get_str(&dec);
	m->user = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1) {
		msg_ui_removed_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_ui_finished_enc(struct imsg_enc *enc, const struct msg_ui_finished *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->id);
	imsg_put_u8(enc, m->kind);
	imsg_put_u32(enc, m->code);
	imsg_put_u32(enc, m->duration);
}

int
msg_ui_finished_dec(const struct imsg *imsg, struct msg_ui_finished *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->id = imsg_get_str(&dec);
	m->kind = imsg_get_u8(&dec);
	m->code = imsg_get_u32(&dec);
	m->duration = imsg_get_u32(&dec);
	if (imsg_dec_end(&dec) == -1) {
		free(m->id);
		m->id = NULL;
		return (-1);
	}
	return (0);
}

void
msg_ui_decided_enc(struct imsg_enc *enc, const struct msg_ui_decided *m)
{
	imsg_enc_init(enc);
	imsg_put_u32(enc, m->code);
	imsg_put_str(enc, m->id);
	imsg_put_str(enc, m->status);
}

void
msg_ui_decided_clear(struct msg_ui_decided *m)
{
	free(m->id);
	free(m->status);
	memset(m, 0, sizeof(*m));
}

int
msg_ui_decided_dec(const struct imsg *imsg, struct msg_ui_decided *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->code = imsg_get_u32(&dec);
	m->id = imsg_get_str(&dec);
	m->status = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1 || (m->code != 200 && m->code != 403 &&
	    m->code != 404 && m->code != 409)) {
		msg_ui_decided_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_ui_session_enc(struct imsg_enc *enc, const struct msg_ui_session *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->id);
	imsg_put_str(enc, m->csrf);
	imsg_put_u32(enc, m->num);
	imsg_put_u64(enc, m->expires);
}

void
msg_ui_session_clear(struct msg_ui_session *m)
{
	msg_sfree(m->id);
	msg_sfree(m->csrf);
	explicit_bzero(m, sizeof(*m));
}

int
msg_ui_session_dec(const struct imsg *imsg, struct msg_ui_session *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->id = imsg_get_str(&dec);
	m->csrf = imsg_get_str(&dec);
	m->num = imsg_get_u32(&dec);
	m->expires = imsg_get_u64(&dec);
	if (imsg_dec_end(&dec) == -1) {
		msg_ui_session_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_ui_grant_enc(struct imsg_enc *enc, const struct msg_ui_grant *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->id);
	imsg_put_str(enc, m->decision);
	imsg_put_str(enc, m->cloister);
	imsg_put_str(enc, m->folder);
	imsg_put_str(enc, m->cmd);
	imsg_put_u64(enc, m->expires);
	imsg_put_u32(enc, m->uses);
}

void
msg_ui_grant_clear(struct msg_ui_grant *m)
{
	free(m->id);
	free(m->decision);
	free(m->cloister);
	free(m->folder);
	free(m->cmd);
	memset(m, 0, sizeof(*m));
}

int
msg_ui_grant_dec(const struct imsg *imsg, struct msg_ui_grant *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->id = imsg_get_str(&dec);
	m->decision = imsg_get_str(&dec);
	m->cloister = imsg_get_str(&dec);
	m->folder = imsg_get_str(&dec);
	m->cmd = imsg_get_str(&dec);
	m->expires = imsg_get_u64(&dec);
	m->uses = imsg_get_u32(&dec);
	if (imsg_dec_end(&dec) == -1) {
		msg_ui_grant_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_ui_grant_end_enc(struct imsg_enc *enc, const struct msg_ui_grant_end *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->id);
	imsg_put_str(enc, m->why);
}

void
msg_ui_grant_end_clear(struct msg_ui_grant_end *m)
{
	free(m->id);
	free(m->why);
	memset(m, 0, sizeof(*m));
}

int
msg_ui_grant_end_dec(const struct imsg *imsg, struct msg_ui_grant_end *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->id = imsg_get_str(&dec);
	m->why = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1) {
		msg_ui_grant_end_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_ui_decision_enc(struct imsg_enc *enc, const struct msg_ui_decision *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->id);
	imsg_put_str(enc, m->session);
	imsg_put_u32(enc, m->seconds);
	imsg_put_u8(enc, m->always);
	if (!m->approve)
		imsg_put_str(enc, m->reason);
}

void
msg_ui_decision_clear(struct msg_ui_decision *m)
{
	free(m->id);
	msg_sfree(m->session);
	free(m->reason);
	explicit_bzero(m, sizeof(*m));
}

/*
 * Its scope the ui child checked (a grant's seconds, or always): one
 * out of bounds is refused here too.
 */
int
msg_ui_decision_dec(const struct imsg *imsg, int approve,
    struct msg_ui_decision *m)
{
	struct imsg_dec	 dec;

	memset(m, 0, sizeof(*m));
	m->approve = approve != 0;
	imsg_dec_init(&dec, imsg);
	m->id = imsg_get_str(&dec);
	m->session = imsg_get_str(&dec);
	m->seconds = imsg_get_u32(&dec);
	m->always = imsg_get_u8(&dec);
	if (!approve)
		m->reason = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1 || strlen(m->id) > REQ_ID_LEN ||
	    strlen(m->session) > UI_SECRET_LEN ||
	    m->seconds > GRANT_MAX_SECS || m->always > 1 ||
	    (m->always && (!approve || m->seconds != 0)) ||
	    (m->reason != NULL && (strlen(m->reason) > UI_REASON_MAX ||
	    !utf8_valid(m->reason, strlen(m->reason))))) {
		msg_ui_decision_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_ui_revoke_enc(struct imsg_enc *enc, const struct msg_ui_revoke *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->id);
	imsg_put_str(enc, m->session);
}

void
msg_ui_revoke_clear(struct msg_ui_revoke *m)
{
	free(m->id);
	msg_sfree(m->session);
	explicit_bzero(m, sizeof(*m));
}

int
msg_ui_revoke_dec(const struct imsg *imsg, struct msg_ui_revoke *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->id = imsg_get_str(&dec);
	m->session = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1 || strlen(m->id) > REQ_ID_LEN ||
	    strlen(m->session) > UI_SECRET_LEN) {
		msg_ui_revoke_clear(m);
		return (-1);
	}
	return (0);
}

void
msg_ui_secret_enc(struct imsg_enc *enc, const struct msg_ui_secret *m)
{
	imsg_enc_init(enc);
	imsg_put_str(enc, m->secret);
}

void
msg_ui_secret_clear(struct msg_ui_secret *m)
{
	msg_sfree(m->secret);
	m->secret = NULL;
}

int
msg_ui_secret_dec(const struct imsg *imsg, struct msg_ui_secret *m)
{
	struct imsg_dec	 dec;

	imsg_dec_init(&dec, imsg);
	m->secret = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1) {
		msg_ui_secret_clear(m);
		return (-1);
	}
	return (0);
}
