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

#ifndef MSG_H
#define MSG_H

#include <stdint.h>

#include "imsg.h"

/*
 * The messages of the request, policy and ui channels, one struct each,
 * with the one encoder both ends use and the one decoder (msg_*.c).
 * An encoder starts the struct imsg_enc it is given (imsg_enc_init)
 * and fills it; an error sticks in enc->error, which composing the
 * message reports.  A decoder is total: 0 with every field set (its
 * strings malloc'd, NUL terminated, for the caller to free with
 * msg_*_clear), or -1 with nothing left to free, for any payload that
 * is not exactly one well-formed message: truncated, trailing bytes,
 * or a field out of the bounds the layout gives.  What only the
 * receiver can judge (a door's owner, a request's state) it checks
 * itself.
 */

/*
 * A process's table of what it accepts on a channel: each type, the
 * function that takes it (with the dispatcher's argument), and what
 * is checked before (MSG_*).  A type not in the table is a protocol
 * violation.  The last entry has type IMSG_NONE.
 */
#define MSG_EMPTY	0x01	/* no payload, no descriptor */
#define MSG_ONCE	0x02	/* once at most on the channel */

struct msg_handler {
	uint32_t	 type;
	const char	*name;		/* for the log */
	int		 flags;
	void		(*fn)(void *, struct imsg *);
};

const struct msg_handler *msg_handler(const struct msg_handler *, uint32_t);
/*
 * What is wrong with imsg for its entry h (flags), or NULL; *seen
 * holds one bit per type taken so far (MSG_ONCE), set here.
 */
const char *msg_refused(const struct msg_handler *, const struct imsg *,
	    uint64_t *);

/* IMSG_REQ_NEW: request -> parent; peerid the connection. */
struct msg_req_new {
	uint8_t		 mode;		/* REQ_MODE_* */
	char		*token;		/* as presented, "" if none */
	char		*peer;		/* at most MSG_PEER_MAX bytes */
	uint32_t	 door;		/* 0: a shared listener */
	uint32_t	 argc;		/* 1 to REQ_ARGV_MAX */
	char		**argv;		/* UTF-8, REQ_ARGV_MAX bytes in all;
					   argv[argc] is NULL */
};
#define MSG_PEER_MAX	128

/* IMSG_REQ_REJECT: an HTTP error before anything was streamed. */
struct msg_req_reject {
	uint32_t	 status;
	char		*reason;
	uint32_t	 delay;		/* ms to wait before answering */
};

/* IMSG_REQ_QUEUED: waiting for a human. */
struct msg_req_queued {
	char		*text;
	uint64_t	 expires;	/* ms, epoch */
};

/* IMSG_REQ_PIPE: with an output pipe's read end (the imsg's fd). */
struct msg_req_pipe {
	uint8_t		 stream;	/* 1 stdout, 2 stderr */
};

/* IMSG_REQ_STARTED */
struct msg_req_started {
	uint8_t		 automatic;
	char		*pattern;
	char		*text;
};

/* IMSG_REQ_DENIED: final. */
struct msg_req_denied {
	uint8_t		 reason;	/* DENY_* */
	char		*text;
};

/* IMSG_REQ_EXITED: final. */
struct msg_req_exited {
	uint8_t		 kind;		/* EXIT_* */
	uint32_t	 code;
	uint32_t	 ms;		/* how long it ran */
};

void	 msg_req_new_enc(struct imsg_enc *, const struct msg_req_new *);
int	 msg_req_new_dec(const struct imsg *, struct msg_req_new *);
void	 msg_req_new_clear(struct msg_req_new *);
void	 msg_req_reject_enc(struct imsg_enc *, const struct msg_req_reject *);
int	 msg_req_reject_dec(const struct imsg *, struct msg_req_reject *);
void	 msg_req_queued_enc(struct imsg_enc *, const struct msg_req_queued *);
int	 msg_req_queued_dec(const struct imsg *, struct msg_req_queued *);
void	 msg_req_pipe_enc(struct imsg_enc *, const struct msg_req_pipe *);
int	 msg_req_pipe_dec(const struct imsg *, struct msg_req_pipe *);
void	 msg_req_started_enc(struct imsg_enc *,
	    const struct msg_req_started *);
int	 msg_req_started_dec(const struct imsg *, struct msg_req_started *);
void	 msg_req_denied_enc(struct imsg_enc *, const struct msg_req_denied *);
int	 msg_req_denied_dec(const struct imsg *, struct msg_req_denied *);
void	 msg_req_exited_enc(struct imsg_enc *, const struct msg_req_exited *);
int	 msg_req_exited_dec(const struct imsg *, struct msg_req_exited *);

/* IMSG_POLICY_PATTERN: parent -> policy, one pattern. */
struct msg_policy_pattern {
	uint8_t		 kind;		/* PAT_* */
	char		*project;	/* "" for the global ones */
	char		*re;
	char		*file;
	uint32_t	 line;
};

/* IMSG_POLICY_CHECK: parent -> policy; peerid the check's number. */
struct msg_policy_check {
	char		*project;
	uint8_t		 default_manual;
	uint32_t	 budget;	/* ms, > 0 */
	uint32_t	 argc;		/* 1 to REQ_ARGV_MAX */
	char		**argv;		/* argv[argc] is NULL */
};

/* IMSG_POLICY_LOADED: policy -> parent, after IMSG_POLICY_COMMIT. */
struct msg_policy_loaded {
	uint8_t		 ok;		/* 0 or 1 */
	char		*errors;	/* "" if ok */
};

/* IMSG_POLICY_VERDICT: policy -> parent; peerid that of the check. */
struct msg_policy_verdict {
	uint8_t		 verdict;	/* VERDICT_* */
	char		*pattern;	/* "" if none decided */
	uint8_t		 limit;		/* 1 a matcher's limit hit, 2 over
					   its budget (verdict deny) */
};

void	 msg_policy_pattern_enc(struct imsg_enc *,
	    const struct msg_policy_pattern *);
int	 msg_policy_pattern_dec(const struct imsg *,
	    struct msg_policy_pattern *);
void	 msg_policy_pattern_clear(struct msg_policy_pattern *);
void	 msg_policy_check_enc(struct imsg_enc *,
	    const struct msg_policy_check *);
int	 msg_policy_check_dec(const struct imsg *, struct msg_policy_check *);
void	 msg_policy_check_clear(struct msg_policy_check *);
void	 msg_policy_loaded_enc(struct imsg_enc *,
	    const struct msg_policy_loaded *);
int	 msg_policy_loaded_dec(const struct imsg *, struct msg_policy_loaded *);
void	 msg_policy_verdict_enc(struct imsg_enc *,
	    const struct msg_policy_verdict *);
int	 msg_policy_verdict_dec(const struct imsg *,
	    struct msg_policy_verdict *);

/*
 * The ui channel.  parent -> ui: what the page shows (IMSG_UI_ADDED,
 * _REMOVED, _FINISHED, _GRANT, _GRANT_END), sessions (IMSG_UI_SESSION)
 * and answers (IMSG_UI_DECIDED; IMSG_UI_LOGIN_FAILED is empty).
 * ui -> parent: a human's decision (IMSG_UI_APPROVE, IMSG_UI_DENY),
 * a revocation, a login secret, a session ended.  Secrets (a session's
 * id and csrf, a login secret) are wiped when cleared.
 */

/* IMSG_UI_ADDED: a request waits for a human. */
struct msg_ui_added {
	char		*id;
	char		*cloister;
	char		*project;
	char		*cmd;
	char		*cwd;
	uint64_t	 timestamp;	/* ms, epoch */
	uint64_t	 expires;	/* ms, epoch */
	char		*why;		/* in words */
	char		*pattern;	/* "" if the default */
	char		*rule_file;	/* "" if unknown */
	uint32_t	 rule_line;
	char		*program;	/* "" if none resolved */
	char		*program_note;	/* in words, "" if nothing to say */
	char		*program_flags;	/* exe_flags() */
};

/* IMSG_UI_REMOVED */
struct msg_ui_removed {
	char		*id;
	char		*outcome;
	char		*user;		/* "" if nobody decided */
};

/* IMSG_UI_FINISHED: an approved command ended. */
struct msg_ui_finished {
	char		*id;
	uint8_t		 kind;		/* EXIT_* */
	uint32_t	 code;
	uint32_t	 duration;	/* ms */
};

/* IMSG_UI_DECIDED: peerid the ui child's. */
struct msg_ui_decided {
	uint32_t	 code;		/* 200, 403, 404 or 409 */
	char		*id;
	char		*status;	/* on 409, why */
};

/* IMSG_UI_SESSION: peerid 0, or that of the login it answers. */
struct msg_ui_session {
	char		*id;		/* UI_SECRET_LEN hex digits */
	char		*csrf;		/* likewise */
	uint32_t	 num;
	uint64_t	 expires;	/* ms, epoch */
};

/* IMSG_UI_GRANT: a grant made, or used (the same id again). */
struct msg_ui_grant {
	char		*id;
	char		*decision;	/* "approve", "deny" */
	char		*cloister;
	char		*folder;
	char		*cmd;
	uint64_t	 expires;	/* ms, epoch */
	uint32_t	 uses;
};

/* IMSG_UI_GRANT_END */
struct msg_ui_grant_end {
	char		*id;
	char		*why;
};

/*
 * IMSG_UI_APPROVE (approve 1) or IMSG_UI_DENY (0, with a reason);
 * approve is the message's type, not in the payload.
 */
struct msg_ui_decision {
	int		 approve;
	char		*id;		/* REQ_ID_LEN bytes at most */
	char		*session;	/* UI_SECRET_LEN bytes at most */
	uint32_t	 seconds;	/* 0: once, else a grant for that
					   long, GRANT_MAX_SECS at most */
	uint8_t		 always;	/* 1: and a rule (approve,
					   seconds 0) */
	char		*reason;	/* IMSG_UI_DENY only: UTF-8, 1024
					   bytes at most */
};

/* IMSG_UI_REVOKE: ui -> parent. */
struct msg_ui_revoke {
	char		*id;		/* REQ_ID_LEN bytes at most */
	char		*session;	/* UI_SECRET_LEN bytes at most */
};

/*
 * IMSG_UI_LOGIN (the secret a browser presented) and
 * IMSG_UI_SESSION_END (a session's id), ui -> parent: one string, a
 * secret; whether it is well-formed the parent checks
 * (uisession_secret()).
 */
struct msg_ui_secret {
	char		*secret;
};

void	 msg_ui_added_enc(struct imsg_enc *, const struct msg_ui_added *);
int	 msg_ui_added_dec(const struct imsg *, struct msg_ui_added *);
void	 msg_ui_added_clear(struct msg_ui_added *);
void	 msg_ui_removed_enc(struct imsg_enc *, const struct msg_ui_removed *);
int	 msg_ui_removed_dec(const struct imsg *, struct msg_ui_removed *);
void	 msg_ui_removed_clear(struct msg_ui_removed *);
void	 msg_ui_finished_enc(struct imsg_enc *,
	    const struct msg_ui_finished *);
int	 msg_ui_finished_dec(const struct imsg *, struct msg_ui_finished *);
void	 msg_ui_decided_enc(struct imsg_enc *, const struct msg_ui_decided *);
int	 msg_ui_decided_dec(const struct imsg *, struct msg_ui_decided *);
void	 msg_ui_decided_clear(struct msg_ui_decided *);
void	 msg_ui_session_enc(struct imsg_enc *, const struct msg_ui_session *);
int	 msg_ui_session_dec(const struct imsg *, struct msg_ui_session *);
void	 msg_ui_session_clear(struct msg_ui_session *);
void	 msg_ui_grant_enc(struct imsg_enc *, const struct msg_ui_grant *);
int	 msg_ui_grant_dec(const struct imsg *, struct msg_ui_grant *);
void	 msg_ui_grant_clear(struct msg_ui_grant *);
void	 msg_ui_grant_end_enc(struct imsg_enc *,
	    const struct msg_ui_grant_end *);
int	 msg_ui_grant_end_dec(const struct imsg *, struct msg_ui_grant_end *);
void	 msg_ui_grant_end_clear(struct msg_ui_grant_end *);
void	 msg_ui_decision_enc(struct imsg_enc *,
	    const struct msg_ui_decision *);
int	 msg_ui_decision_dec(const struct imsg *, int,
	    struct msg_ui_decision *);
void	 msg_ui_decision_clear(struct msg_ui_decision *);
void	 msg_ui_revoke_enc(struct imsg_enc *, const struct msg_ui_revoke *);
int	 msg_ui_revoke_dec(const struct imsg *, struct msg_ui_revoke *);
void	 msg_ui_revoke_clear(struct msg_ui_revoke *);
void	 msg_ui_secret_enc(struct imsg_enc *, const struct msg_ui_secret *);
int	 msg_ui_secret_dec(const struct imsg *, struct msg_ui_secret *);
void	 msg_ui_secret_clear(struct msg_ui_secret *);

/* msg.c: a list of strings, the arguments of a command. */
void	 msg_put_argv(struct imsg_enc *, uint32_t, char *const *);
char	**msg_get_argv(struct imsg_dec *, uint32_t *);
void	 msg_argv_free(char **, uint32_t);
/* free(3), the bytes wiped first: a secret. */
void	 msg_sfree(char *);

#endif /* MSG_H */
