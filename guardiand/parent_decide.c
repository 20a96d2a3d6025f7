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
 * A human's decision with its scope, the same from guardianctl and
 * from the approval page: once, for a while (a grant), or always (a
 * rule in the project's file, then a reload).  What makes the
 * decision last is made first, so one that cannot be made decides
 * nothing.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "control.h"
#include "log.h"
#include "parent.h"

static void
rule_reloaded(void *arg, int ok, const char *msg)
{
	if (!ok)
		log_warnx("reload after a new rule failed, the rule waits "
		    "for the next one: %s", msg);
}

int
decide_scoped(const char *id, int approve, uint32_t secs, int always,
    const char *user, const char *reason, char *msg, size_t msglen)
{
	const struct request	*r;
	const struct grant	*g = NULL;
	char			 err[512], *file = NULL, *pat = NULL;
	const char		*why;

	if ((r = req_pending(id)) == NULL) {
		snprintf(msg, msglen, "no pending request %s", id);
		return (DECIDE_NOT_PENDING);
	}
	if (always && (!approve || secs != 0)) {
		snprintf(msg, msglen, "only an approval may be for always");
		return (DECIDE_REFUSED);
	}
	if (secs > GRANT_MAX_SECS) {
		snprintf(msg, msglen, "a grant lasts from 1 second to %d "
		    "days", GRANT_MAX_SECS / 86400);
		return (DECIDE_REFUSED);
	}
	if (always) {
		if ((why = rule_refusal(r, err, sizeof(err))) != NULL) {
			snprintf(msg, msglen, "request %s: no rule: %s", id,
			    why);
			return (DECIDE_REFUSED);
		}
		if (rule_add(r, user, &file, &pat, err, sizeof(err)) == -1) {
			snprintf(msg, msglen, "request %s: no rule: %s", id,
			    err);
			return (DECIDE_REFUSED);
		}
		if (audit_log("RULE_ADD", r->id, r->project, r->cloister,
		    r->canon, "file", file, "pattern", pat, "user", user,
		    (char *)NULL) == -1)
			log_warnx("rule added to %s, but not audited", file);
		log_info("rule added to %s by %s: %s", file, user, pat);
	} else if (secs > 0 && (g = grant_add(r, approve, secs, reason, user,
	    err, sizeof(err))) == NULL) {
		snprintf(msg, msglen, "request %s: no grant: %s", id, err);
		return (DECIDE_REFUSED);
	}
	if (req_decide(id, approve, user, reason) == -1) {
		/* Not reached: it was pending a moment ago. */
		snprintf(msg, msglen, "no pending request %s", id);
		free(file);
		free(pat);
		return (DECIDE_NOT_PENDING);
	}
	log_info("request %s %s by %s", id, approve ? "approved" : "denied",
	    user);
	if (always) {
		snprintf(msg, msglen, "request %s approved; rule added to %s: "
		    "%s", id, file, pat);
		parent_reload(user, rule_reloaded, NULL);
	} else if (g != NULL)
		snprintf(msg, msglen, "request %s %s; grant %s %s the same "
		    "command for %us", id, approve ? "approved" : "denied",
		    g->id, approve ? "approves" : "denies", (unsigned int)secs);
	else
		snprintf(msg, msglen, "request %s %s", id, approve ?
		    "approved" : "denied");
	free(file);
	free(pat);
	return (DECIDE_OK);
}
