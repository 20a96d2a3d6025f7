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
#include <syslog.h>

#include "canon.h"
#include "control.h"
#include "log.h"
#include "msg.h"
#include "parent.h"

/*
 * The parent's decoders of what children send besides requests and
 * verdicts (parent_req.c) and logins (parent_uisession.c): a child's log
 * record, a human's decision from the ui child.  A child is not
 * trusted: a message that does not decode exactly is a protocol
 * violation, and what a child says is escaped before it is logged,
 * so that it cannot forge a line of our log.
 */

/* IMSG_LOG from the child who: logged here, escaped. */
void
parent_child_log(const char *who, struct imsg *imsg)
{
	struct imsg_dec	 dec;
	char		*msg, *safe;
	uint8_t		 pri;

	imsg_dec_init(&dec, imsg);
	pri = imsg_get_u8(&dec);
	msg = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1 || pri > LOG_DEBUG || strlen(msg) > 4096) {
		free(msg);
		parent_fatalx("bad log message from %s child", who);
	}
	if ((safe = log_escape(msg)) == NULL)
		fatal(NULL);
	if (pri == LOG_DEBUG)
		log_debug("%s: %s", who, safe);
	else if (pri >= LOG_INFO)
		log_info("%s: %s", who, safe);
	else
		log_warnx("%s: %s", who, safe);
	free(safe);
	free(msg);
}

/* The answer to the ui child's browser request peerid. */
static void
ui_answer(struct imsgev *ui, uint32_t peerid, uint32_t code, const char *id,
    const char *status)
{
	struct msg_ui_decided	 m;
	struct imsg_enc		 enc;

	m.code = code;
	m.id = (char *)id;
	m.status = (char *)status;
	msg_ui_decided_enc(&enc, &m);
	if (imsgev_compose_enc(ui, IMSG_UI_DECIDED, peerid, -1, &enc) == -1)
		fatal("compose");
}

/*
 * A human's decision from the ui child; it hears back either way, on
 * ui.  It counts only through a session the parent opened and that is
 * still live, and the parent names the user from its own record of
 * it: a compromised ui child can neither approve with nobody logged in
 * nor put another name in the audit.  A session may expire between
 * the click and this check, so a dead one is refused, not a violation.
 * Its scope (a grant's seconds, or always) the ui child has checked:
 * one out of bounds is a violation too.
 */
void
parent_ui_decision(struct imsg *imsg, int approve, struct imsgev *ui)
{
	struct msg_ui_decision	 m;
	char			*safe, user[128], why[64], msg[2048];
	const char		*status;
	uint32_t		 code;
	int			 rv;

	if (msg_ui_decision_dec(imsg, approve, &m) == -1)
		parent_fatalx("bad decision from the ui child");
	if (uisession_user(m.session, user, sizeof(user), why,
	    sizeof(why)) == -1) {
		/* The id is the ui child's word: escaped. */
		if ((safe = log_escape(m.id)) == NULL)
			fatal(NULL);
		log_warnx("approval UI: %s of request %s refused: %s",
		    approve ? "approval" : "denial", safe, why);
		free(safe);
		code = 403;
		status = "no live session";
	} else if ((rv = decide_scoped(m.id, approve, m.seconds, m.always,
	    user, m.reason, msg, sizeof(msg))) == DECIDE_OK) {
		code = 200;
		status = approve ? "approved" : "denied";
	} else if (rv == DECIDE_REFUSED) {
		code = 409;
		status = msg;
	} else {
		code = 404;
		status = "not pending";
	}
	ui_answer(ui, imsg->hdr.peerid, code, m.id, status);
	msg_ui_decision_clear(&m);
}

/* Revoke on the page: checked like a decision (session, user). */
void
parent_ui_revoke(struct imsg *imsg, struct imsgev *ui)
{
	struct msg_ui_revoke	 m;
	char			*id, *safe, user[128], why[64];

	if (msg_ui_revoke_dec(imsg, &m) == -1)
		parent_fatalx("bad revoke from the ui child");
	id = m.id;
	if (uisession_user(m.session, user, sizeof(user), why,
	    sizeof(why)) == -1) {
		if ((safe = log_escape(id)) == NULL)
			fatal(NULL);
		log_warnx("approval UI: revoking grant %s refused: %s", safe,
		    why);
		free(safe);
		ui_answer(ui, imsg->hdr.peerid, 403, id, "no live session");
	} else if (grant_revoke(id, user) == 0) {
		log_info("approval UI: grant %s revoked by %s", id, user);
		ui_answer(ui, imsg->hdr.peerid, 200, id, "revoked");
	} else
		ui_answer(ui, imsg->hdr.peerid, 404, id, "no such grant");
	msg_ui_revoke_clear(&m);
}
