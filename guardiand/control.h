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

#ifndef CONTROL_H
#define CONTROL_H

/*
 * The control socket protocol between guardianctl and guardiand: imsg
 * frames (common/imsg.h) over a unix stream socket, one request per
 * connection.  The daemon answers with any number of CTL_LINE (one
 * line of output each) and CTL_INFO, and exactly one final CTL_OK or
 * CTL_ERROR.  CTL_WATCH is the exception: a subscription, answered
 * with CTL_EV_ADDED for each pending request, then CTL_EV_ADDED and
 * CTL_EV_REMOVED as requests come and go, until either side closes;
 * a watcher that falls behind gets a CTL_ERROR and is dropped.  An id
 * may be given by a unique prefix of at least CTL_ID_MIN characters.
 * Payloads use the imsg_enc encoding.  Types are never renumbered: new
 * ones go at the end.
 */

#define CTL_ID_MIN	4	/* characters of an id prefix */
#define CTL_WATCH_CMD	4096	/* of a command, in CTL_EV_ADDED */
#define GRANT_MAX_SECS	(7 * 86400)	/* the longest grant (*_FOR) */

enum ctl_type {
	CTL_NONE = 1000,

	/* guardianctl -> guardiand */
	CTL_STATUS,		/* - */
	CTL_SHOW_REQUESTS,	/* - */
	CTL_SHOW_CLOISTERS,	/* - */
	CTL_APPROVE,		/* str id */
	CTL_DENY,		/* str id, str reason ("" if none) */
	CTL_REGISTER,		/* str name, str worktree, str project,
				   str token ("" = generate) */
	CTL_UNREGISTER,		/* str name */
	CTL_RELOAD,		/* - */
	CTL_UI,			/* - */
	CTL_LOG_VERBOSE,	/* - */
	CTL_LOG_BRIEF,		/* - */

	/* guardiand -> guardianctl */
	CTL_LINE,		/* str text */
	CTL_OK,			/* str text ("" if nothing to say): final */
	CTL_ERROR,		/* str text: final */
	CTL_INFO,		/* str text: a line for the operator, shown
				   on stderr after the final answer */

	/* guardianctl -> guardiand */
	CTL_APPROVE_FOR,	/* str id, u32 seconds */
	CTL_DENY_FOR,		/* str id, u32 seconds, str reason */
	CTL_SHOW_GRANTS,	/* - */
	CTL_REVOKE,		/* str grant id */
	CTL_WATCH,		/* -: the events below until closed */

	/* guardiand -> guardianctl watch */
	CTL_EV_ADDED,		/* str id, str cloister, str project,
				   str cmd (at most CTL_WATCH_CMD bytes),
				   u32 the command's whole length, str
				   folder, u64 received, u64 expires (ms
				   since the epoch), str program (the
				   resolved path, or argv[0]), str its
				   flags ("worktree,symlink,git") */
	CTL_EV_REMOVED,		/* str id, str outcome (approved, denied,
				   expired, cancelled), str by ("" if
				   nobody) */

	/* guardianctl -> guardiand */
	CTL_APPROVE_ALWAYS,	/* str id: approve, and add a rule to the
				   project's file that auto-approves the
				   same command */

	CTL_MAX
};

#endif /* CONTROL_H */
