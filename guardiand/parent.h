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

#ifndef PARENT_H
#define PARENT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <event.h>

#include "config.h"
#include "guardiand.h"

/*
 * The parent's own modules (parent_*.c): the request table and its
 * state machine (parent_req.c), the cloisters and their tokens
 * (parent_registry.c), the commands' environment (parent_env.c), the
 * audit trail (parent_audit.c) and the control socket
 * (parent_control.c).  Everything here runs in the privileged parent, which
 * trusts no byte that came from a child or a control client.
 */

/* parent_registry.c: who may ask. */
struct cloister {
	RB_ENTRY(cloister)	 entry;		/* by name */
	char			*name;
	char			*project;
	char			*worktree;
	char			*token;		/* never logged or shown */
	size_t			 tokenlen;
	int			 dynamic;	/* from guardianctl register */
};

/* Load static cloisters from conf, dynamic ones from the state dir. */
int	 registry_init(struct config *, char *, size_t);
/* Replace the static set after a reload; dynamic ones stay. */
int	 registry_reload(struct config *, char *, size_t);
/* Constant-time lookup over every token; NULL if none matches. */
const struct cloister *registry_auth(const char *);
const struct cloister *registry_find(const char *);
/* token NULL: generate one.  *tokenp: the token (malloc'd). */
int	 registry_register(const char *, const char *, const char *,
	    const char *, char **, char *, size_t);
int	 registry_unregister(const char *, char *, size_t);
void	 registry_foreach(void (*)(const struct cloister *, void *),
	    void *);
size_t	 registry_count(void);
/* The state directory, fixed from registry_init() to the restart. */
const char *registry_statedir(void);
void	 registry_free(void);

/*
 * parent_doors.c: each cloister's own request socket, in a directory of its
 * own under RUNDIR_CLOISTERS.  doors_init() at start (after the
 * registry), doors_sync() whenever the registry changed,
 * doors_announce() hands every door to the request child.
 */
int	 doors_init(char *, size_t);
void	 doors_sync(void);
int	 door_open(const char *, char *, size_t);
void	 doors_announce(struct imsgev *);
int	 door_owner(uint32_t, const char **);
char	*door_path(const char *);
void	 doors_shutdown(void);

/*
 * statefile.c: the state files, mode 0600 in a 0700 directory of
 * ours.  statefile_write(dir, name, buf, len, err, errlen) replaces
 * dir/name atomically (temporary file, fsync, rename, fsync of dir),
 * creating dir if missing.  statefile_open(path, &fp, err, errlen):
 * 0 with fp NULL if there is no such file, 0 with fp open for
 * reading, -1 if it cannot be read or is not a regular file of ours
 * that nobody else can read or write.
 */
int	 statefile_write(const char *, const char *, const char *, size_t,
	    char *, size_t);
int	 statefile_open(const char *, FILE **, char *, size_t);
/*
 * statefile_line(fp, path, max, &line, &cap, &lineno, err, errlen):
 * the next line that is neither blank nor a # comment, its newline
 * cut off, in line (getline(3)'s buffer): 1; 0 at the end; -1 with
 * "path:lineno: why" in err for a last line without a newline, a
 * line longer than max, a NUL byte, or a read error.
 */
int	 statefile_line(FILE *, const char *, size_t, char **, size_t *,
	    int *, char *, size_t);
/*
 * statefile_fields(line, f, n): line cut at its tabs into exactly n
 * fields, f[0] to f[n - 1]: 0; -1 if it has fewer or more.
 */
int	 statefile_fields(char *, char **, int);

/*
 * parent_uisession.c: the approval UI's login links and sessions, made by the
 * parent alone and persisted so a browser stays logged in across a
 * restart.  A bad file is logged and ignored.
 */
void	 uisession_init(void);
/* Every live session to a new ui child, before IMSG_START. */
void	 uisession_send(struct imsgev *);
/*
 * A new one-time login link valid until expires (ms): its secret, in
 * a buffer of at least UI_SECRET_LEN + 1 bytes.
 */
void	 uisession_login_add(char *, size_t, int64_t);
/* IMSG_UI_LOGIN from the ui child; the answer goes to the channel. */
void	 uisession_login(struct imsg *, struct imsgev *);
/* IMSG_UI_SESSION_END from the ui child. */
void	 uisession_end(struct imsg *);
/*
 * uisession_user(id, user, len, why, whylen): a decision through the
 * session id: 0 and who decides (for the audit record) in user if the
 * parent opened it and it is live; else -1 and why not in why.
 */
int	 uisession_user(const char *, char *, size_t, char *, size_t);
size_t	 uisession_count(void);
void	 uisession_free(void);

/* parent_audit.c: one record per transition, before the action it records. */
int	 audit_init(struct config *, char *, size_t);
void	 audit_set_syslog(int (*)(int, const char *));
int	 audit_reload(struct config *, char *, size_t);
/*
 * audit_log("COMPLETE", id, project, cloister, cmd, "exit", "0",
 *     "duration", "2.3s", NULL): key/value pairs after the fixed
 * fields; values quoted and escaped as needed.  NULL id/project/
 * cloister/cmd are left out.  -1 if the record did not reach every
 * place it must (the file; syslog if syslog_required) and on_failure
 * is refuse: then what it records must not happen.  The failure is
 * logged (at most once a minute).
 */
int	 audit_log(const char *, const char *, const char *, const char *,
	    const char *, ...) __attribute__((__sentinel__));
void	 audit_close(void);

/*
 * parent_journal.c: the requests open (REQUESTed, not yet closed), in
 * STATEDIR/open-requests, so that those a crash left open get their
 * closing ABORT record at the next start.  journal_init(statedir)
 * writes those records and empties the journal; journal_open() is
 * called when a request arrives, before anything is done with it
 * (-1 if it could not be written), journal_close() once it is closed.
 */
void	 journal_init(const char *);
int	 journal_open(const char *, const char *, const char *,
	    const char *);
void	 journal_close(const char *);
void	 journal_shutdown(void);

/* parent_env.c */
/* The environment commands get, per guardian.env; NULL-terminated. */
char	**exec_environ(struct config *);
void	 exec_environ_free(char **);
/* The program argv[0] names, pinned (DESIGN section 7). */
#define EXE_HASH_MAX	(16 * 1024 * 1024)	/* bigger: identity only */
#define EXE_WORKTREE	0x01	/* in the worktree: the agent can change it */
#define EXE_LINK	0x02	/* reached through a symbolic link */
#define EXE_GIT		0x04	/* git: runs the worktree's hooks, config */
#define EXE_BIG		0x08	/* larger than EXE_HASH_MAX: no hash */
struct exe {
	int		 fd;		/* O_PATH; -1: not resolved */
	int		 err;		/* why not, then */
	char		*path;		/* as execve(2) gets it, from the
					   worktree */
	char		*real;		/* the file opened */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime, ctime;
	int		 flags;		/* EXE_* */
	char		 hash[65];	/* SHA-256 in hex, "" if none */
};
int	 exec_lookup(const char *, const char *, char *const *, char *,
	    size_t);
int	 exe_resolve(struct exe *, const char *, const char *,
	    char *const *, int);
int	 exe_verify(const struct exe *, const char *, const char *,
	    char *const *);
void	 exe_clear(struct exe *);
const char *exe_flags(const struct exe *);
const char *exe_note(const struct exe *);

/* parent_req.c: the state machine of DESIGN section 3. */
enum req_state {
	REQ_AUTH,		/* just in: its token is being checked */
	REQ_CHECKING,		/* asked the policy child */
	REQ_PENDING,		/* waiting for a human */
	REQ_WAITING,		/* approved, waiting for a free slot */
	REQ_RUNNING,		/* spawned */
	REQ_DONE
};

struct request {
	RB_ENTRY(request)	 by_id;
	RB_ENTRY(request)	 by_peer;
	TAILQ_ENTRY(request)	 pending;	/* oldest first */
	char			 id[REQ_ID_LEN + 1];
	uint32_t		 peerid;	/* the request child's */
	uint32_t		 seq;		/* policy check */
	int			 check_sent;	/* to the policy child */
	size_t			 check_bytes;
	int			 mode;		/* REQ_MODE_* */
	enum req_state		 state;
	char			*cloister;
	char			*project;
	char			*worktree;
	int			 argc;
	char			**argv;
	char			*canon;
	char			*pattern;	/* the deciding one */
	char			*rule_file;	/* where it is written, */
	int			 rule_line;	/* NULL/0 if unknown */
	char			*why;		/* pending: why it asks */
	char			*confine;	/* approved: its profile, NULL:
						   not confined */
	struct exe		 exe;		/* resolved after its check */
	char			*program;	/* exe.real, canonical */
	int			 untrusted;	/* auto, but outside
						   trusted_path */
	int64_t			 received;	/* ms, wall clock */
	int64_t			 expires;	/* ms, wall clock */
	struct timespec		 t_received;	/* monotonic */
	struct timespec		 t_started;
	uint32_t		 spawn_id;	/* the spawner's name for it */
	pid_t			 pid;		/* -1 until started */
	int			 outfd;		/* pipes, until started */
	int			 errfd;
	int			 stop_kind;	/* EXIT_TIMEDOUT/KILLED */
	int			 cancelled;
	int			 humane;	/* a human approved it */
	int			 journaled;	/* in the open-requests journal */
	struct event		 timer;
};
RB_HEAD(req_id_tree, request);

void	 reqtable_init(struct config *);
void	 reqtable_reload(struct config *);
/* From the request child. */
void	 req_new(struct imsg *);
void	 req_cancel(uint32_t);
/* From the policy child. */
void	 req_verdict(struct imsg *);
/*
 * A human's decision (control socket or ui).  0 done; -1 not pending
 * (unknown id): the caller answers 404 / an error.
 */
int	 req_decide(const char *, int, const char *, const char *);
/* The pending request with this (whole) id, or NULL. */
const struct request *req_pending(const char *);
/* A cloister was unregistered or removed: deny what it has pending. */
void	 req_cloister_gone(const char *, const char *);
/* Shutdown: every client still waiting is told so. */
void	 req_shutdown_answer(void);
/*
 * From the spawner: IMSG_SPAWN_PIPE, IMSG_SPAWNED, IMSG_SPAWN_FAIL,
 * IMSG_SPAWN_EXITED.
 */
void	 req_spawn_msg(struct imsg *);
/* The program it would run, for humans ("" if none resolved). */
const char *req_program(const struct request *);
void	 req_foreach_pending(void (*)(const struct request *, void *),
	    void *);
unsigned int req_count(enum req_state);
/*
 * Why a pending request waits for a human, in words: the
 * manual_approve pattern that matched and its file:line, or "no
 * pattern matched; the default is manual".
 */
const char *req_why(const struct request *);
/* Shutdown: the spawner is told to kill every command's tree. */
void	 req_shutdown(void);

/*
 * parent_grants.c: decisions remembered for a while (guardianctl approve|deny
 * --for).  A grant decides a request that would wait for a human if
 * it has exactly the argv, cloister and folder of the one it was made
 * from.  grant_add() writes the GRANT record (NULL and why in err if
 * it cannot be made); grant_match() counts a use; every grant ends
 * with a REVOKE record (grant_revoke(), expiry, grant_cloister_gone(),
 * grants_shutdown()).
 */
#define GRANTS_MAX	1024
struct grant {
	char		 id[REQ_ID_LEN + 1];
	int		 approve;
	char		*cloister;
	char		*project;
	char		*worktree;	/* the folder it runs in */
	int		 argc;
	char		**argv;		/* compared byte for byte */
	struct exe_id {			/* the resolved program, compared */
		char		*real;	/* NULL: none was found */
		dev_t		 dev;
		ino_t		 ino;
		off_t		 size;
		struct timespec	 mtime, ctime;
		char		 hash[65];
	}		 exe;
	char		*canon;
	char		*reason;	/* a denial's, "" if none */
	char		*user;		/* who made it */
	int64_t		 created;	/* ms, wall clock */
	int64_t		 expires;	/* ms, wall clock */
	int64_t		 deadline;	/* ms, monotonic */
	unsigned int	 uses;
};
const struct grant *grant_add(const struct request *, int, unsigned int,
	    const char *, const char *, char *, size_t);
const struct grant *grant_match(const struct request *);

/* parent_req.c */
uint32_t spawn_next(void);

/* parent_notify.c: guardian.notify, when a request starts waiting. */
struct config;
void	 notify_pending(const struct request *, const struct config *,
	    char *const *);
const struct grant *grant_find(const char *);
int	 grant_revoke(const char *, const char *);
void	 grant_cloister_gone(const char *, const char *);
void	 grant_foreach(void (*)(const struct grant *, void *), void *);
size_t	 grant_count(void);
void	 grants_shutdown(void);

/*
 * parent_rulefile.c: "approve always", a rule in cloister's project file.
 * rule_refusal(r, buf, len): NULL if a rule may be made for r, else
 * why not (in buf).  rule_add(r, user, &file, &pattern, err, errlen):
 * appends it; 0, or -1 with err, the file unchanged.
 */
const char	*rule_refusal(const struct request *, char *, size_t);
/*
 * rule_text(file, len, pattern, comment, &out, &outlen, &why): the
 * file with the rule appended (0), or -1 and why not.
 * rule_comment(user, when, id): the comment's words (malloc'd).
 */
int		 rule_text(const char *, size_t, const char *, const char *,
		    char **, size_t *, const char **);
char		*rule_comment(const char *, const char *, const char *);
int		 rule_add(const struct request *, const char *, char **,
		    char **, char *, size_t);

/*
 * parent_decide.c: a human's decision with its scope, from guardianctl or
 * the approval page: once (secs 0), also a grant for secs, or also a
 * rule (always).  DECIDE_OK with what was done in msg; else why not.
 */
#define DECIDE_OK		0
#define DECIDE_NOT_PENDING	-1
#define DECIDE_REFUSED		-2
int		 decide_scoped(const char *, int, uint32_t, int,
		    const char *, const char *, char *, size_t);

/*
 * parent_msg.c: IMSG_LOG from a child (its role's name), and
 * IMSG_UI_APPROVE / IMSG_UI_DENY from the ui child (the answer goes to
 * its channel).
 */
void	 parent_child_log(const char *, struct imsg *);
void	 parent_ui_decision(struct imsg *, int, struct imsgev *);
void	 parent_ui_revoke(struct imsg *, struct imsgev *);

/* parent.c */
/* A child broke the protocol: log, take the daemon down. */
__attribute__((__noreturn__, __format__ (printf, 1, 2)))
void		 parent_fatalx(const char *, ...);
/* A child failed (reason for the STOP record, logged already): down. */
__attribute__((__noreturn__))
void		 parent_child_fault(const char *);
struct imsgev	*parent_channel(enum role);
struct child	*parent_child(enum role);
struct config	*parent_config(void);
time_t		 parent_started(void);
/*
 * Start a reload for by ("local:alice", "SIGHUP"); done(arg, ok,
 * message) runs when it is decided.
 */
void		 parent_reload(const char *, void (*)(void *, int,
		    const char *), void *);

/*
 * parent_reload.c: the RELOAD audit record; the requests of removed
 * cloisters.
 */
void		 reload_audit(const struct config *, const struct config *,
		    const char *);
void		 reload_gone(const struct config *);
/* guardianctl log verbose|brief: here and in every child. */
void		 parent_verbose(int);
/* A one-time login URL for the approval UI, NULL if no UI listener. */
char		*parent_ui_login(void);

/*
 * parent_liveness.c: pings to every child, the keep-alive tick of the request
 * child, the systemd watchdog.  liveness_start() once the children
 * run; liveness_heard() for every message from a child, liveness_pong()
 * for its IMSG_PONG; liveness_loading(1) while the policy child
 * compiles patterns, (0) once it said how that went.
 */
void	 liveness_start(void);
void	 liveness_heard(struct child *);
void	 liveness_pong(struct child *, struct imsg *);
void	 liveness_loading(int);

/*
 * parent_sdnotify.c: the systemd notification protocol.  sdnotify_init()
 * first of all (it takes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID
 * out of the environment commands get); sdnotify("READY=1") sends one
 * datagram; sdnotify_watchdog(): ms between two WATCHDOG=1, 0 if the
 * manager wants none.
 */
void	 sdnotify_init(void);
void	 sdnotify(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
int64_t	 sdnotify_watchdog(void);

/* parent_control.c */
int	 control_init(const char *, char *, size_t);
void	 control_cleanup(void);
/* What guardianctl watch is told: a request added, or gone (why, who). */
void	 control_watch_added(const struct request *);
void	 control_watch_removed(const char *, const char *, const char *);

/*
 * parent_control_msg.c: a control client's request, apart from its socket.
 * ctl_decode(): 0 and the request's strings in m (per control.h: a
 * id or name, b reason or worktree, c project, d token), or -1 if it
 * is not a request.  ctl_valid_reason(): 1 if a denial's reason is
 * printable UTF-8 of at most CTL_REASON_MAX bytes.  ctl_printable():
 * s bounded and escaped in buf, to echo.
 */
#define CTL_REASON_MAX	1024		/* bytes of a deny reason */
struct ctl_msg {
	uint32_t	 type;
	char		*a, *b, *c, *d;
	uint32_t	 secs;		/* a grant's duration (*_FOR) */
};
struct imsg;
int	 ctl_decode(const struct imsg *, struct ctl_msg *);
void	 ctl_msg_clear(struct ctl_msg *);
int	 ctl_valid_reason(const char *);
const char *ctl_printable(const char *, char *, size_t);
/*
 * parent_control_peer.c: why the peer (pid) of a control connection (fd) is
 * refused, NULL if it is not: another user, pid or mount namespace,
 * or a descendant of ours (a command we started).
 */
const char *control_peer_refusal(int, pid_t, char *, size_t);

#endif /* PARENT_H */
