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

#ifndef GUARDIAND_H
#define GUARDIAND_H

#include <sys/types.h>

#include <stdint.h>

#include "imsgev.h"
#include "timeutil.h"

#define GUARDIAND_VERSION	"0.1"	/* the one place it is said */
#define GUARDIAND_USER_AGENT	"guardiand"
#define PARENT_SOCK_FILENO	3	/* a child's channel to the parent */
/* Sanitizer build: where each child writes its reports (ROLE.PID.log). */
#define SANITIZER_DIR_ENV	"GUARDIAND_SANITIZER_DIR"

enum role {
	ROLE_PARENT,
	ROLE_POLICY,
	ROLE_REQUEST,
	ROLE_UI,
	ROLE_SPAWNER,
	ROLE_MAX
};

/*
 * Message types.  Each process accepts on its channel only what its
 * table of handlers names (struct msg_handler, msg.h; the parent's in
 * parent.c): anything else from a child is a protocol violation that
 * shuts the daemon down.  Payloads use the imsg_enc/imsg_dec encoding;
 * the layout of each is given beside it, and those of the request,
 * policy and ui channels are encoded and decoded by one function each,
 * used by both ends (msg_request.c, msg_policy.c, msg_ui.c).
 */
enum imsg_type {
	IMSG_NONE,

	/* parent -> child */
	IMSG_LISTENER,		/* fd: a bound listening socket; u32
				   door: a cloister's own (parent_doors.c), or
				   0 for a configured listener */
	IMSG_LISTENER_CLOSE,	/* u32 door: stop accepting on it */
	IMSG_SETTINGS,		/* struct net_settings, field by field */
	IMSG_START,		/* set-up done: start serving */
	IMSG_VERBOSE,		/* u8 level: guardianctl log verbose|brief */

	/* parent -> policy */
	IMSG_POLICY_PATTERN,	/* u8 kind, str project, str re, str file,
				   u32 line */
	IMSG_POLICY_COMMIT,	/* compile what came, swap if all good */
	IMSG_POLICY_CHECK,	/* peerid req; str project,
				   u8 default_manual, u32 budget (ms,
				   > 0: guardian.check_timeout), u32 argc,
				   str arg... (1 to REQ_ARGV_MAX) */

	/* any child -> parent */
	IMSG_LOG,		/* u8 priority, str text */
	IMSG_READY,		/* sandboxed and serving */

	/* policy -> parent */
	IMSG_POLICY_LOADED,	/* u8 ok, str errors */
	IMSG_POLICY_VERDICT,	/* peerid req; u8 verdict, str pattern,
				   u8 limit_hit (2: over its budget,
				   verdict deny) */

	/*
	 * request -> parent.  The peerid is the request child's own
	 * connection number; it means nothing to anyone else.
	 */
	IMSG_REQ_NEW,		/* u8 mode, str token, str peer,
				   u32 door (0: a shared listener),
				   u32 argc, str arg... */
	IMSG_REQ_CANCEL,	/* the client went away */

	/* parent -> request */
	IMSG_REQ_REJECT,	/* u32 http status, str reason, u32 delay
				   (ms to wait before answering): no
				   stream */
	IMSG_REQ_QUEUED,	/* str text, u64 expires (ms, epoch) */
	IMSG_REQ_PIPE,		/* fd: output pipe; u8 1 stdout, 2 stderr */
	IMSG_REQ_STARTED,	/* u8 auto, str pattern, str text */
	IMSG_REQ_DENIED,	/* u8 reason (DENY_*), str text: final */
	IMSG_REQ_EXITED,	/* u8 kind (EXIT_*), u32 code,
				   u32 duration ms: final */

	/*
	 * ui -> parent.  The peerid is the ui child's own number for the
	 * browser's request waiting for the answer.  A decision names the
	 * session it came through ("" if none); the parent takes the user
	 * of the audit record from its own record of that session.
	 */
	IMSG_UI_APPROVE,	/* peerid ui; str id, str session, u32
				   seconds (0: once, else a grant for
				   that long, at most GRANT_MAX_SECS),
				   u8 always (1: and a rule; seconds 0) */
	IMSG_UI_DENY,		/* peerid ui; str id, str session, u32
				   seconds, u8 always (0), str reason */
	IMSG_UI_LOGIN,		/* peerid ui; str login secret presented
				   (UI_SECRET_LEN lowercase hex) */

	/* parent -> ui */
	IMSG_UI_ADDED,		/* str id, cloister, project, cmd, cwd,
				   u64 timestamp, u64 expires (ms), str
				   why (in words), str pattern ("" if
				   the default), str file ("" if
				   unknown), u32 line, str program
				   ("" if none resolved), str its note
				   (in words, "" if nothing to say),
				   str its flags (exe_flags()) */
	IMSG_UI_REMOVED,	/* str id, str outcome, str user ("" if
				   nobody decided) */
	IMSG_UI_FINISHED,	/* str id, u8 kind (EXIT_*), u32 code,
				   u32 duration ms: an approved command
				   ended */
	IMSG_UI_DECIDED,	/* peerid ui; u32 http status (200 done,
				   404 not pending, 403 no live session,
				   409 refused: no grant or no rule),
				   str id, str status (on 409, why) */
	IMSG_UI_LOGIN_FAILED,	/* peerid ui: unknown, used or expired */

	/*
	 * Approval UI sessions.  The parent alone mints them (on a good
	 * IMSG_UI_LOGIN) and keeps them across restarts; it hands the
	 * ui child the live ones before IMSG_START (peerid 0) and each
	 * new one in answer to its login (peerid of the IMSG_UI_LOGIN).
	 */
	IMSG_UI_SESSION,	/* parent -> ui: str id, str csrf (each
				   UI_SECRET_LEN lowercase hex), u32 num
				   (> 0), u64 expires (ms, epoch; at most
				   UI_SESSION_TTL ahead) */
	IMSG_UI_GRANT,		/* parent -> ui: str id, str decision
				   (approve, deny), str cloister, str
				   folder, str cmd, u64 expires (ms,
				   epoch), u32 uses: a grant made, or
				   used (the same id again) */
	IMSG_UI_GRANT_END,	/* parent -> ui: str id, str why */
	IMSG_UI_REVOKE,		/* ui -> parent, peerid ui: str grant id,
				   str session; answered IMSG_UI_DECIDED
				   (status "revoked") */
	IMSG_UI_SESSION_END,	/* ui -> parent: str id: dropped, unused
				   for too long */

	/*
	 * Liveness.  The parent pings every child at a fixed interval;
	 * each answers from its dispatcher with child_pong().  A child
	 * with a ping unanswered that has said nothing for
	 * guardian.ping_timeout is a fault (parent_liveness.c).
	 */
	IMSG_PING,		/* parent -> child: u32 seq */
	IMSG_PONG,		/* child -> parent: u32 seq, as pinged */
	IMSG_REQ_KEEPALIVE,	/* parent -> request: a keep-alive frame to
				   every stream that asked for them */

	/*
	 * parent -> spawner.  The peerid is the parent's number for the
	 * command (never 0, never reused); the spawner knows no request.
	 */
	IMSG_SPAWN,		/* fd: the program (O_PATH); str cwd,
				   str its path (from cwd), u32 argc,
				   str arg...,
				   u32 envc, str env..., u8 confined;
				   if 1: str profile, u8 network, u32 n,
				   str read..., u32 n, str write...,
				   str tmpbase, str home (confine.h) */
	IMSG_SPAWN_KILL,	/* u8 SPAWN_STOP (SIGTERM, SIGKILL after
				   the grace) or SPAWN_KILL (SIGKILL now)
				   to the whole tree */

	/* spawner -> parent */
	IMSG_SPAWN_PIPE,	/* fd: an output pipe's read end;
				   u8 1 stdout, 2 stderr */
	IMSG_SPAWNED,		/* u32 pid: running, both pipes sent */
	IMSG_SPAWN_FAIL,	/* u32 errno, str why (UTF-8, at most
				   SPAWN_WHY_MAX; "" but for confinement):
				   it did not start */
	IMSG_SPAWN_EXITED,	/* u32 wait status of its first process */

	/* parent -> spawner, answered by nothing (the spawner logs) */
	IMSG_SPAWN_NOTIFY,	/* fd: the notifier (O_PATH); str request
				   id, str its path, u32 time limit (ms),
				   u32 argc, str arg..., u32 envc,
				   str env... (guardian.notify) */

	IMSG_MAX
};

#define SPAWN_WHY_MAX		512
#define SPAWN_STOP		0
#define SPAWN_KILL		1
#define SPAWN_GRACE_MS		5000	/* SIGTERM, then SIGKILL */
/*
 * After a command's first process exited, its output is drained this
 * long (the request child), then what it left gets SIGTERM (the
 * spawner).
 */
#define SPAWN_DRAIN_MS		2000

#define REQ_MODE_BUFFERED	0	/* POST /request */
#define REQ_MODE_STREAM		1	/* POST /v1/exec */

#define REQ_ID_LEN		24	/* hex digits: 96 random bits */

/* Approval UI sessions (ui.c, parent_uisession.c). */
#define UI_SECRET_LEN		64	/* hex digits: 256 random bits */
#define UI_SESSIONS_MAX		64	/* more: the oldest goes */
#define UI_SESSION_TTL		(7LL * 24 * 3600 * 1000) /* ms from login */
#define UI_CLOCK_SLACK		(60 * 1000)	/* ms the clock may step back */
/* Bytes of arguments a request may carry: its canonical form and
 * every message about it must fit in IMSG_MAXSIZE. */
#define REQ_ARGV_MAX		(64 * 1024)

struct child {
	enum role		 role;
	pid_t			 pid;
	struct imsgev		 iev;
	int			 ready;
	uint64_t		 seen;		/* MSG_ONCE types it sent */
	/* Liveness, monotonic ms: its last message; the ping unanswered. */
	int64_t			 heard;
	int64_t			 pinged;	/* 0: none */
	uint32_t		 ping_seq;	/* of the last ping */
};

/* proc.c */
extern int		 guardiand_debug;
extern unsigned int	 child_uid, child_gid;
extern int		 guardiand_verbose;
const char		*role_name(enum role);
enum role		 role_by_name(const char *);
__attribute__((__noreturn__)) void child_main(enum role);
void	 proc_init(void);
pid_t	 proc_exec(enum role, int, int *);
void	 proc_setname(const char *);
void	 child_start(enum role);
int	 child_init(enum role, void (*)(int, short, void *), void *,
	    struct imsgev *);
void	 child_log_sink(int, const char *);

/* parent_listen.c */
struct listen_list;
struct listen_addr;
int	 listen_all(struct listen_list *, int, char *, size_t);
void	 listen_close(struct listen_list *);
/*
 * What listen_all() would refuse of one address, without binding
 * anything (guardiand -n): 0, with *remote set for a TCP address that
 * is not loopback; -1 with a reason.
 */
int	 listen_check(struct listen_addr *, int, int *, char *, size_t);
/*
 * The control socket's directory must be apart from every unix request
 * socket's: not the same, not one inside the other.  0, or -1 with a
 * reason.
 */
int	 listen_apart(const char *, struct listen_list *, char *, size_t);

/*
 * proctree.c: whole trees of processes.  One process (pstat_get,
 * from /proc/PID/stat); a picture of /proc
 * (ptable_load, sorted by pid; ptable_load_below: only what descends
 * from a pid, found from it down), who in it descends from a pid
 * (ptable_below: the ancestor just below it), and killing all our
 * descendants but spare ones; cgroup v2 directories: ours (cg_self,
 * under the cgroup2 mount wherever it is), the spawner's
 * (cg_spawner_dir), signalling a subtree (cg_signal: cgroup.kill for
 * SIGKILL where there is one), whether any process is left in it,
 * removing it, and moving ourselves in (cg_enter).
 */
struct pstat {
	pid_t			 pid, ppid, pgid, sid;
	char			 state;
	long			 nthreads;
	unsigned long long	 start;		/* clock ticks after boot */
};
struct ptable {
	struct pstat		*p;
	size_t			 n;
};
int	 pstat_get(pid_t, struct pstat *);
int	 ptable_load(struct ptable *);
int	 ptable_load_below(struct ptable *, pid_t);
void	 ptable_free(struct ptable *);
const struct pstat *ptable_find(const struct ptable *, pid_t);
const struct pstat *ptable_below(const struct ptable *, const struct pstat *,
	    pid_t);
int	 ptree_kill_all(const pid_t *, size_t, int);
int	 cg_self(char *, size_t);
int	 cg_nsdelegate(void);
int	 cg_spawner_dir(pid_t, char *, size_t);
int	 cg_signal(const char *, int);
int	 cg_populated(const char *);
int	 cg_remove(const char *);
int	 cg_enter(const char *);

/* spawner.c */
__attribute__((__noreturn__)) void spawner_main(void);

/* parent.c */
struct config;
__attribute__((__noreturn__)) void parent_main(struct config *, int);
/* parent_start.c: before the parent's loop; check.c: guardiand -n */
int	 parent_start(struct config *);
char	*control_where(struct config *, int);
int	 check_config(struct config *, const char *, int, char **);

/* policy.c */
__attribute__((__noreturn__)) void policy_main(void);

/* netchild.c */
__attribute__((__noreturn__)) void netchild_main(enum role);

/*
 * parent_uisession.c: what is wrong with an approval UI session's id, csrf,
 * num and expires at now, or NULL; the ui child checks IMSG_UI_SESSION
 * and the parent its state file by the same rules.  uisession_secret:
 * 1 if s is UI_SECRET_LEN lowercase hex digits.  lowerhex(s, len): 1
 * if s is len lowercase hex digits (a secret, a request's id).
 */
const char *uisession_invalid(const char *, const char *, uint32_t, int64_t,
	    int64_t);
int	 uisession_secret(const char *);
int	 lowerhex(const char *, size_t);

/* A child's side of IMSG_VERBOSE. */
void	 child_verbose(struct imsg *);
/* A child's side of IMSG_PING: one line in each child's dispatcher. */
void	 child_pong(struct imsgev *, struct imsg *);

/* testhook.c: no-ops unless built with GUARDIAND_TESTHOOKS */
size_t	 testhook_env(char **, size_t, size_t);
void	 testhook_start(enum role);
void	 testhook_sandboxed(enum role);
void	 testhook_ui_added(struct imsgev *, const char *);
void	 testhook_id(char *, size_t);
size_t	 testhook_watch_queue(size_t);

#endif /* GUARDIAND_H */
