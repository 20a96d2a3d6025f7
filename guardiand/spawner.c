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
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "canon.h"
#include "confine.h"
#include "guardiand.h"
#include "log.h"

/*
 * The spawner: starts the commands the parent approved, reaps them,
 * and kills each one's whole tree when it is stopped, when its first
 * process exits, and when the daemon ends, so that no command outlives
 * its request.  The parent's event loop never forks; this process
 * does, and may block while a command starts.
 *
 * It is not sandboxed (it must run anything as the host user), so it
 * trusts nothing but its channel: it reads no client's bytes, opens
 * only /proc, its cgroups and what a command's start needs (/dev/null,
 * the program, the worktree as its cwd), and does nothing the parent
 * did not ask but kill what descends from it.
 *
 * A command's tree is its cgroup where the daemon has a cgroup v2
 * subtree it may write (root, or delegated): one per command, entered
 * before exec, killed with cgroup.kill, removed afterwards; run as
 * root, a command also gets a cgroup namespace of its own, so that it
 * cannot move itself out (where the hierarchy is mounted nsdelegate:
 * elsewhere root may).  Besides, and alone without cgroups, the
 * spawner is the subreaper of every command and tells their processes
 * apart in /proc: those in a command's session or below its first
 * process, and those it saw there before they were orphaned; an
 * orphan nobody can tell goes once every command that may have left
 * it has ended.
 *
 * Orders are handled one at a time, each by one function of the
 * table below; after each, what ended is reaped and the answers go
 * out, so that a burst of starts holds no answer up.
 */

#define PIPE_SIZE	(1024 * 1024)	/* fewer wake-ups for bulk output */
#define EXE_FD		3	/* the program, in the child before exec */
#define TICK_MS		100	/* while a tree is being killed */
#define SCAN_MS		500	/* who belongs to whom, while any runs */
#define END_WAIT_MS	3000	/* at the end, for the trees to go */
#define SPAWN_ARGS_MAX	65536
#define NOTIFY_RUNNING	16	/* notifiers at once; more are not started */

struct cmd {
	TAILQ_ENTRY(cmd)	 entry;
	uint32_t		 id;		/* the parent's number */
	pid_t			 pid;		/* first process, 0 once reaped */
	pid_t			 sid;		/* its session and group */
	char			 cg[PATH_MAX];	/* its cgroup, "" if none */
	int			 stopping;	/* SIGTERM sent */
	int64_t			 term_at;	/* SIGTERM due (ms), 0 if not */
	int64_t			 kill_at;	/* SIGKILL due (ms), 0 if not */
	size_t			 nproc;		/* seen in /proc at the last look */
	struct confine		*cf;		/* confined: its private tmp */
	int			 notify;	/* a notifier, not a command */
	char			 rid[REQ_ID_LEN + 1];	/* its request */
};

/* Without cgroups: a process seen in a command's tree (cmd 0: nobody's). */
struct track {
	pid_t			 pid;
	unsigned long long	 start;
	uint32_t		 cmd;
	uint32_t		 gen;		/* nobody's: last command then */
};

static struct {
	struct imsgev		 iev;
	pid_t			 ppid;
	char			 base[PATH_MAX];	/* "" without cgroups */
	int			 cgns;
	TAILQ_HEAD(, cmd)	 cmds;
	struct track		*tracks;
	size_t			 ntracks;
	uint32_t		 last_id;
	struct event		 ev_chld, ev_pdeath, tick;
	int64_t			 tick_at;	/* when it is due, 0 if not */
	int			 ended;
	unsigned int		 nnotify;	/* notifiers running */
} sp = { .cmds = TAILQ_HEAD_INITIALIZER(sp.cmds) };

static void	 spawner_dispatch(int, short, void *);
static void	 spawner_spawn(struct imsg *);
static void	 spawner_kill(struct imsg *);
static void	 spawner_notify(struct imsg *);
struct cmd;
static void	 notify_exited(struct cmd *, int);
static void	 spawner_verbose(struct imsg *);
static void	 spawner_sig(int, short, void *);
static void	 spawner_ping(struct imsg *);
static void	 spawner_reap(void);
static void	 spawner_tick(int, short, void *);
static void	 spawner_end(void);
struct view;
static void	 cmd_stop(struct cmd *, int64_t, const struct view *);

/*
 * What the parent may ask, one handler each: a new message type is
 * one more line (and its type in the parent's list of what it sends).
 */
static const struct {
	uint32_t	 type;
	void		(*fn)(struct imsg *);
} handlers[] = {
	{ IMSG_SPAWN,		spawner_spawn },
	{ IMSG_SPAWN_KILL,	spawner_kill },
	{ IMSG_SPAWN_NOTIFY,	spawner_notify },
	{ IMSG_VERBOSE,		spawner_verbose },
	{ IMSG_PING,		spawner_ping },
};

/*
 * Whether commands get cgroups: a directory of ours below the
 * daemon's cgroup, where a process can be moved (and, as root, given
 * a cgroup namespace).  Tried with a process of its own, and said
 * once in the log.
 */
static void
spawner_mechanism(void)
{
	char		 probe[PATH_MAX + 16];
	const char	*why = NULL;
	pid_t		 pid;
	int		 status;

	if (cg_spawner_dir(getpid(), sp.base, sizeof(sp.base)) == -1)
		why = "no cgroup v2 hierarchy";
	else if (mkdir(sp.base, 0755) == -1)
		why = strerror(errno);
	if (why == NULL) {
		sp.cgns = geteuid() == 0;
		if ((size_t)snprintf(probe, sizeof(probe), "%s/probe",
		    sp.base) >= sizeof(probe))
			why = "path too long";
		else if (mkdir(probe, 0755) == -1)
			why = strerror(errno);
		else if ((pid = fork()) == -1)
			why = strerror(errno);
		else if (pid == 0) {
			if (cg_enter(probe) == -1)
				_exit(1);
			if (sp.cgns && unshare(CLONE_NEWCGROUP) == -1)
				_exit(2);
			_exit(0);
		} else if (waitpid(pid, &status, 0) == -1 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			why = WIFEXITED(status) && WEXITSTATUS(status) == 2 ?
			    "no cgroup namespace" : "cannot move a process in";
		(void)rmdir(probe);
		if (why != NULL)
			(void)cg_remove(sp.base);
	}
	if (why != NULL) {
		sp.base[0] = '\0';
		sp.cgns = 0;
		log_info("commands: no cgroup v2 subtree of ours (%s): the "
		    "spawner tracks them as their subreaper", why);
		return;
	}
	if ((size_t)snprintf(probe, sizeof(probe), "%s/cgroup.kill",
	    sp.base) >= sizeof(probe))
		probe[0] = '\0';
	log_info("commands: a cgroup each under %s, killed with %s%s%s",
	    sp.base, access(probe, F_OK) == 0 ? "cgroup.kill" :
	    "SIGKILL to each process (no cgroup.kill)",
	    sp.cgns ? ", in a cgroup namespace of their own" : "",
	    sp.cgns && !cg_nsdelegate() ? " (the hierarchy is not mounted "
	    "nsdelegate: one that leaves its cgroup is tracked as their "
	    "subreaper)" : "");
}

__dead void
spawner_main(void)
{
	event_init();
	sp.ppid = getppid();
	child_init(ROLE_SPAWNER, spawner_dispatch, NULL, &sp.iev);
	/* Whatever makes us exit from now on takes the commands along. */
	atexit(spawner_end);
	/* Orphans of commands become ours, to be told apart and killed. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_CHILD_SUBREAPER");
	spawner_mechanism();
	testhook_sandboxed(ROLE_SPAWNER);

	signal_set(&sp.ev_chld, SIGCHLD, spawner_sig, NULL);
	signal_add(&sp.ev_chld, NULL);
	/* The parent's death, as a signal we handle rather than SIGKILL. */
	signal_set(&sp.ev_pdeath, SIGUSR1, spawner_sig, NULL);
	signal_add(&sp.ev_pdeath, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_PDEATHSIG");
	if (getppid() != sp.ppid)
		exit(0);
	evtimer_set(&sp.tick, spawner_tick, NULL);

	imsgev_compose(&sp.iev, IMSG_READY, 0, -1, NULL, 0);
	event_dispatch();
	exit(0);
}

static void
spawner_dispatch(int fd, short event, void *arg)
{
	struct imsgbuf	*ibuf = &sp.iev.ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	size_t		 i;
	int		 rv;

	if (event & EV_WRITE) {
		if (imsg_write(ibuf) == -1)
			fatal("write to parent");
	}
	if (event & EV_READ) {
		if ((n = imsg_read(ibuf)) == -1 && errno != EAGAIN)
			fatal("read from parent");
		if (n == 0)	/* the parent is gone: so are the commands */
			exit(0);
	}
	while ((rv = imsg_get(ibuf, &imsg)) == 1) {
		for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
			if (handlers[i].type == imsg.hdr.type)
				break;
		if (i == sizeof(handlers) / sizeof(handlers[0]))
			fatalx("unexpected message type %u from parent",
			    imsg.hdr.type);
		handlers[i].fn(&imsg);
		imsg_free(&imsg);
		/*
		 * A burst of orders must not hold up the answers: what
		 * ended is reaped, and what we say goes out, after each.
		 */
		spawner_reap();
		if (imsg_write(ibuf) == -1)
			fatal("write to parent");
	}
	if (rv == -1)
		fatalx("garbled message from parent");
	imsgev_update(&sp.iev);
}

static void
spawner_verbose(struct imsg *imsg)
{
	child_verbose(imsg);
}

/* The parent's liveness ping: answered at once (parent_liveness.c). */
static void
spawner_ping(struct imsg *imsg)
{
	child_pong(&sp.iev, imsg);
}

static struct cmd *
cmd_find(uint32_t id)
{
	struct cmd	*c;

	TAILQ_FOREACH(c, &sp.cmds, entry)
		if (c->id == id)
			return (c);
	return (NULL);
}

static int
track_cmp(const void *a, const void *b)
{
	const struct track	*x = a, *y = b;

	return (x->pid < y->pid ? -1 : x->pid > y->pid);
}

/* What we remember of a process (the same one: its start time too). */
static const struct track *
track_find(const struct pstat *ps)
{
	struct track	 key;
	const struct track *t;

	if (sp.ntracks == 0)
		return (NULL);
	key.pid = ps->pid;
	t = bsearch(&key, sp.tracks, sp.ntracks, sizeof(*sp.tracks),
	    track_cmp);
	return (t != NULL && t->start == ps->start ? t : NULL);
}

static struct cmd *
cmd_by_sid(pid_t sid)
{
	struct cmd	*c;

	TAILQ_FOREACH(c, &sp.cmds, entry)
		if (c->sid == sid)
			return (c);
	return (NULL);
}

/*
 * The command ps belongs to (besides the cgroups), if it descends
 * from us: the first one found going up from ps that is a command's
 * first process, is in a command's session, or was seen in a
 * command's tree before.  NULL if none.
 */
static struct cmd *
cmd_owner(const struct ptable *pt, const struct pstat *ps)
{
	const struct track *t;
	struct cmd	*c;
	pid_t		 self = getpid();
	int		 depth;

	if (ps->state == 'Z')
		return (NULL);
	for (depth = 0; ps != NULL && depth < 4096; depth++) {
		if ((c = cmd_by_sid(ps->pid)) != NULL ||
		    (c = cmd_by_sid(ps->sid)) != NULL)
			return (c);
		if ((t = track_find(ps)) != NULL && t->cmd != 0 &&
		    (c = cmd_find(t->cmd)) != NULL)
			return (c);
		if (ps->ppid == self || ps->ppid <= 1)
			return (NULL);
		ps = ptable_find(pt, ps->ppid);
	}
	return (NULL);
}

/*
 * /proc now, and the command each of our descendants belongs to
 * (own[i] for pt.p[i], NULL if none), each command's count of them
 * in its nproc: looked up once, used for every command.
 */
struct view {
	struct ptable	 pt;
	struct cmd	**own;
};

static void	 spawner_scan(const struct view *);

static int
view_load(struct view *v)
{
	struct cmd	*c;
	pid_t		 self = getpid();
	size_t		 i;

	v->own = NULL;
	/* Only our descendants matter: not every process of the host. */
	if (ptable_load_below(&v->pt, self) == -1) {
		log_warn("/proc");
		return (-1);
	}
	if ((v->own = calloc(v->pt.n + 1, sizeof(*v->own))) == NULL) {
		log_warn("/proc");
		ptable_free(&v->pt);
		return (-1);
	}
	TAILQ_FOREACH(c, &sp.cmds, entry)
		c->nproc = 0;
	for (i = 0; i < v->pt.n; i++) {
		if (ptable_below(&v->pt, &v->pt.p[i], self) == NULL)
			continue;
		if ((v->own[i] = cmd_owner(&v->pt, &v->pt.p[i])) != NULL)
			v->own[i]->nproc++;
	}
	spawner_scan(v);
	return (0);
}

static void
view_free(struct view *v)
{
	ptable_free(&v->pt);
	free(v->own);
	v->own = NULL;
}

/*
 * The whole tree of c gets sig: its cgroup, and what descends from us
 * and belongs to it (v: /proc now, or NULL), for a process that left
 * the cgroup (root can, where the hierarchy is not mounted
 * nsdelegate).
 */
static void
cmd_signal(struct cmd *c, int sig, const struct view *v)
{
	size_t	 i;

	if (c->cg[0] != '\0')
		(void)cg_signal(c->cg, sig);
	for (i = 0; v != NULL && i < v->pt.n; i++)
		if (v->own[i] == c)
			(void)kill(v->pt.p[i].pid, sig);
	/* Its group, whatever else: cheap, and at once. */
	(void)kill(-c->sid, sig);
}

/* Whether anything of c is left (nproc: as the last view_load saw). */
static int
cmd_alive(struct cmd *c)
{
	if (c->pid > 0 || c->nproc > 0)
		return (1);
	return (c->cg[0] != '\0' && cg_populated(c->cg) == 1);
}

static void
cmd_free(struct cmd *c)
{
	if (c->cg[0] != '\0' && cg_remove(c->cg) == -1)
		log_warn("command %u: remove %s", c->id, c->cg);
	if (c->cf != NULL) {
		if (confine_tmp_remove(c->cf) == -1)
			log_warn("command %u: remove %s", c->id,
			    c->cf->tmpdir);
		free(c->cf);
	}
	if (c->notify)
		sp.nnotify--;
	TAILQ_REMOVE(&sp.cmds, c, entry);
	free(c);
}

/*
 * Remember which command each of our descendants belongs to, for when
 * it is orphaned and leaves the trees it was found in.  One nobody
 * can claim keeps the number of the last command started when it was
 * first seen: it came from one of those.
 */
static void
spawner_scan(const struct view *v)
{
	const struct ptable *pt = &v->pt;
	struct track	*nt;
	const struct pstat *ps, *top;
	const struct track *t;
	pid_t		 self = getpid();
	size_t		 i, n = 0;

	if ((nt = calloc(pt->n + 1, sizeof(*nt))) == NULL) {
		log_warn("scan");
		return;
	}
	for (i = 0; i < pt->n; i++) {
		ps = &pt->p[i];
		if (ps->state == 'Z' || (top = ptable_below(pt, ps, self)) ==
		    NULL)
			continue;
		nt[n].pid = ps->pid;
		nt[n].start = ps->start;
		if (v->own[i] != NULL) {
			nt[n++].cmd = v->own[i]->id;
			continue;
		}
		/* Nobody's: as old as it, or its ancestor below us, was. */
		if ((t = track_find(ps)) != NULL && t->cmd == 0)
			nt[n].gen = t->gen;
		else if ((t = track_find(top)) != NULL && t->cmd == 0)
			nt[n].gen = t->gen;
		else
			nt[n].gen = sp.last_id;
		n++;
	}
	/* pt is sorted by pid: so is nt. */
	free(sp.tracks);
	sp.tracks = nt;
	sp.ntracks = n;
}

/* Orphans nobody claims, once their commands ended. */
static int
spawner_strays(void)
{
	struct cmd	*c;
	uint32_t	 oldest = UINT32_MAX;
	size_t		 i;
	int		 left = 0;

	TAILQ_FOREACH(c, &sp.cmds, entry)
		if (c->id < oldest)
			oldest = c->id;
	for (i = 0; i < sp.ntracks; i++) {
		if (sp.tracks[i].cmd != 0)
			continue;
		if (sp.tracks[i].gen < oldest) {
			log_debug("killing pid %d, left by a command that "
			    "ended", sp.tracks[i].pid);
			(void)kill(sp.tracks[i].pid, SIGKILL);
		}
		left = 1;
	}
	return (left);
}

/* A tick in ms at the latest (one due sooner stays). */
static void
tick_schedule(int64_t ms)
{
	struct timeval	 tv;
	int64_t		 at = mono_now_ms() + ms;

	if (sp.tick_at != 0 && sp.tick_at <= at &&
	    evtimer_pending(&sp.tick, NULL))
		return;
	sp.tick_at = at;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&sp.tick, &tv);
}

/*
 * Trees being killed: SIGKILL when due, again until nothing is left,
 * then the command is forgotten.  Also who belongs to whom, and the
 * orphans nobody claims.
 */
static void
spawner_tick(int fd, short event, void *arg)
{
	struct view	 v;
	struct cmd	*c, *next;
	int64_t		 now = mono_now_ms();
	int		 busy = 0, strays = 0;

	sp.tick_at = 0;
	if (view_load(&v) == -1) {
		/* The cgroups and the groups at least. */
		TAILQ_FOREACH(c, &sp.cmds, entry)
			if (c->kill_at != 0 && now >= c->kill_at)
				cmd_signal(c, SIGKILL, NULL);
		tick_schedule(TICK_MS);
		return;
	}
	TAILQ_FOREACH_SAFE(c, &sp.cmds, entry, next) {
		if (c->pid == 0 && !cmd_alive(c)) {
			log_debug("command %u: nothing left of it", c->id);
			cmd_free(c);
			continue;
		}
		if (c->term_at != 0 && now >= c->term_at) {
			if (c->notify && c->pid > 0)
				log_warnx("notifier for request %s: still "
				    "running at its time limit: stopped",
				    c->rid);
			else
				log_debug("command %u: ended, stopping what "
				    "it left", c->id);
			c->term_at = 0;
			cmd_stop(c, SPAWN_GRACE_MS, &v);
		}
		if (c->kill_at != 0 && now >= c->kill_at)
			cmd_signal(c, SIGKILL, &v);
		if (c->kill_at != 0 || c->term_at != 0 || c->pid == 0)
			busy = 1;
	}
	strays = spawner_strays();
	view_free(&v);
	if (busy)
		tick_schedule(TICK_MS);
	else if (strays || !TAILQ_EMPTY(&sp.cmds))
		tick_schedule(SCAN_MS);
}

/*
 * SIGTERM to the tree, SIGKILL after the grace period (0: at once);
 * v: /proc now, or NULL to look.
 */
static void
cmd_stop(struct cmd *c, int64_t grace, const struct view *v)
{
	struct view	 own;
	int		 ok = 0;

	if (c->stopping && grace > 0)
		return;
	c->stopping = 1;
	c->term_at = 0;
	if (v == NULL && (ok = view_load(&own) == 0))
		v = &own;
	cmd_signal(c, grace > 0 ? SIGTERM : SIGKILL, v);
	if (ok)
		view_free(&own);
	if (c->kill_at == 0 || c->kill_at > mono_now_ms() + grace)
		c->kill_at = mono_now_ms() + grace;
	tick_schedule(grace > 0 ? TICK_MS : 0);
}

static void
spawner_kill(struct imsg *imsg)
{
	struct imsg_dec	 dec;
	struct cmd	*c;
	uint8_t		 how;

	imsg_dec_init(&dec, imsg);
	how = imsg_get_u8(&dec);
	if (imsg_dec_end(&dec) == -1 || how > SPAWN_KILL)
		fatalx("bad kill message");
	/* Already over (or never started): the message crossed its end. */
	if ((c = cmd_find(imsg->hdr.peerid)) == NULL)
		return;
	log_debug("command %u: %s", c->id, how == SPAWN_STOP ? "stopping" :
	    "killing");
	cmd_stop(c, how == SPAWN_STOP ? SPAWN_GRACE_MS : 0, NULL);
}

static void
spawner_sig(int sig, short event, void *arg)
{
	if (sig == SIGUSR1) {
		/* PR_SET_PDEATHSIG: the parent died, the channel may not say. */
		exit(0);
	}
	spawner_reap();
}

/* SIGCHLD: a command's first process ended, or an orphan of ours. */
static void
spawner_reap(void)
{
	struct imsg_enc	 enc;
	struct cmd	*c;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(c, &sp.cmds, entry)
			if (c->pid == pid)
				break;
		if (c == NULL)
			continue;	/* an orphan: ours to reap */
		c->pid = 0;
		if (c->notify) {
			notify_exited(c, status);
			continue;
		}
		imsg_enc_init(&enc);
		imsg_put_u32(&enc, (uint32_t)status);
		if (imsgev_compose_enc(&sp.iev, IMSG_SPAWN_EXITED, c->id, -1,
		    &enc) == -1)
			fatal("compose");
		/*
		 * Its first process gone, the rest of the tree goes too
		 * (nothing outlives its request): at once if it was being
		 * stopped; else once the output had time to drain, with
		 * SIGTERM, and SIGKILL after the grace period.
		 */
		if (c->stopping)
			cmd_stop(c, 0, NULL);
		else {
			c->term_at = mono_now_ms() + SPAWN_DRAIN_MS;
			tick_schedule(TICK_MS);
		}
	}
}

/*
 * A command's process, between vfork and exec, sharing our memory:
 * only system calls, no allocation, no sanitizer bookkeeping on the
 * stack we share.  A failure's errno goes to *err.
 */
__attribute__((__no_sanitize_address__)) static __dead void
spawn_child(const char *procs, int cgns, const struct confine *cf,
    int exefd, const char *prog, char **argv, char **envp, const char *cwd,
    int outfd, int errfd, volatile int *err, volatile int *confine_err)
{
	struct stat	 a, b;
	sigset_t	 none;
	int		 i, fd;

	for (i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() == -1)
		goto fail;
	if (procs != NULL) {
		if ((fd = open(procs, O_WRONLY | O_CLOEXEC)) == -1 ||
		    write(fd, "0", 1) != 1)
			goto fail;
		close(fd);
		/* As root it could move itself out, but not from in there. */
		if (cgns && unshare(CLONE_NEWCGROUP) == -1)
			goto fail;
	}
	/* A notifier's output goes nowhere (outfd, errfd -1). */
	if ((fd = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1 ||
	    dup2(outfd != -1 ? outfd : fd, STDOUT_FILENO) == -1 ||
	    dup2(errfd != -1 ? errfd : fd, STDERR_FILENO) == -1)
		goto fail;
	if (chdir(cwd) == -1)
		goto fail;
	/* Last, with the ruleset's descriptor still open: never unconfined. */
	if (cf != NULL && confine_apply(cf) == -1) {
		*confine_err = 1;
		goto fail;
	}
	/*
	 * The program is the file the parent pinned when the request
	 * came (and found unchanged when it started), run by its
	 * descriptor: nothing can be put in its place.  Whatever else is
	 * open here is the daemon's, not the command's.
	 */
	if (exefd != EXE_FD ? dup3(exefd, EXE_FD, O_CLOEXEC) == -1 :
	    fcntl(EXE_FD, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	(void)close_range(EXE_FD + 1, ~0U, 0);
	execveat(EXE_FD, "", argv, envp, AT_EMPTY_PATH);
	/*
	 * A script's interpreter needs a path to open, and a descriptor
	 * closed at exec has none (ENOENT): it goes by its path, which
	 * must still name the pinned file.
	 */
	if (errno != ENOENT)
		goto fail;
	if (fstat(EXE_FD, &a) == -1 || stat(prog, &b) == -1)
		goto fail;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino ||
	    a.st_size != b.st_size || a.st_ctim.tv_sec != b.st_ctim.tv_sec ||
	    a.st_ctim.tv_nsec != b.st_ctim.tv_nsec) {
		errno = ESTALE;
		goto fail;
	}
	execve(prog, argv, envp);
 fail:
	*err = errno != 0 ? errno : EIO;
	_exit(127);
}

/* vfork(2) apart, with nothing of the caller's to clobber. */
static pid_t
spawn_vfork(const char *procs, const struct confine *cf, int exefd,
    const char *prog, char **argv, char **envp, const char *cwd, int outfd,
    int errfd, volatile int *err, volatile int *confine_err)
{
	pid_t	 pid;

	if ((pid = vfork()) == 0)
		spawn_child(procs, sp.cgns, cf, exefd, prog, argv, envp, cwd,
		    outfd, errfd, err, confine_err);
	return (pid);
}

/*
 * Start a command: its argv exactly, the program the parent resolved
 * and pinned (exefd, prog its path), stdin /dev/null, stdout and stderr
 * pipes, a session of its own (and its cgroup), every signal at its
 * default.  vfork(2), as posix_spawn(3) does: our address space is
 * not copied for each command.  0, or an errno.
 */
static int
cmd_start(struct cmd *c, int exefd, const char *prog, char **argv,
    char **envp, const char *cwd, int *outfd, int *errfd, char *why,
    size_t whylen)
{
	char		 procs[PATH_MAX + 16];
	int		 outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int		 e = 0, status;
	volatile int	 cerr = 0, confine_err = 0;
	sigset_t	 all, old;
	pid_t		 pid;

	/* outfd NULL: a notifier, whose output is discarded. */
	if (outfd != NULL && (pipe2(outp, O_CLOEXEC) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1)) {
		e = errno;
		goto done;
	}
	if (outfd != NULL)
		(void)fcntl(outp[0], F_SETPIPE_SZ, PIPE_SIZE);
	/* The request child's ends only: the command's stay blocking. */
	if (outfd != NULL && (fcntl(outp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(errp[0], F_SETFL, O_NONBLOCK) == -1)) {
		e = errno;
		goto done;
	}
	if (sp.base[0] != '\0') {
		if ((size_t)snprintf(c->cg, sizeof(c->cg), "%s/c%u", sp.base,
		    c->id) >= sizeof(c->cg) || (size_t)snprintf(procs,
		    sizeof(procs), "%s/cgroup.procs", c->cg) >= sizeof(procs))
			errno = ENAMETOOLONG;
		else if (mkdir(c->cg, 0755) == 0)
			errno = 0;
		if (errno != 0) {
			e = errno;
			c->cg[0] = '\0';
			goto done;
		}
	}
	/* No handler of ours may run in the child before its exec. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = spawn_vfork(c->cg[0] != '\0' ? procs : NULL, c->cf, exefd, prog,
	    argv, envp, cwd, outp[1], errp[1], &cerr, &confine_err);
	if (pid == -1)
		e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (c->cf != NULL)
		confine_close(c->cf);	/* the child had its own */
	if (pid == -1)
		goto done;
	/* The child has run exec, or failed and is gone. */
	if (cerr != 0) {
		e = cerr;
		if (confine_err)
			snprintf(why, whylen, "the kernel refused its "
			    "confinement: %s", strerror(e));
		(void)waitpid(pid, &status, 0);
		goto done;
	}
	c->pid = c->sid = pid;
	if (outfd != NULL) {
		*outfd = outp[0];
		*errfd = errp[0];
		outp[0] = errp[0] = -1;
	}
 done:
	if (e != 0 && c->cg[0] != '\0') {
		(void)rmdir(c->cg);
		c->cg[0] = '\0';
	}
	if (outp[0] != -1)
		close(outp[0]);
	if (outp[1] != -1)
		close(outp[1]);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	return (e);
}

/* A NULL-terminated list of count strings, or NULL (freed by strv_free). */
static char **
strv_get(struct imsg_dec *dec, uint32_t *count)
{
	char		**v;
	uint32_t	 n, i;

	n = imsg_get_u32(dec);
	if (n > SPAWN_ARGS_MAX || (v = calloc(n + 1, sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		if ((v[i] = imsg_get_str(dec)) == NULL)
			break;
	*count = i;
	if (i < n) {
		for (i = 0; v[i] != NULL; i++)
			free(v[i]);
		free(v);
		return (NULL);
	}
	return (v);
}

static void
strv_free(char **v)
{
	size_t	 i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* A confinement profile as IMSG_SPAWN carries it (parent_req.c). */
struct spawn_confine {
	int			 confined;
	struct confine_profile	 profile;
	char			*tmpbase;
	char			*home;		/* the daemon's $HOME */
};

static int
strlist_get(struct imsg_dec *dec, struct strlist *l)
{
	struct strent	*se;
	uint32_t	 n, i;

	TAILQ_INIT(l);
	n = imsg_get_u32(dec);
	if (n > SPAWN_ARGS_MAX)
		return (-1);
	for (i = 0; i < n; i++) {
		if ((se = calloc(1, sizeof(*se))) == NULL)
			fatal(NULL);
		if ((se->s = imsg_get_str(dec)) == NULL) {
			free(se);
			return (-1);
		}
		TAILQ_INSERT_TAIL(l, se, entry);
	}
	return (0);
}

static void
strlist_clear(struct strlist *l)
{
	struct strent	*se;

	while ((se = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, se, entry);
		free(se->s);
		free(se);
	}
}

/* The confinement part of IMSG_SPAWN; -1 if it does not decode. */
static int
confine_get(struct imsg_dec *dec, struct spawn_confine *sc)
{
	int	 rv = 0;

	memset(sc, 0, sizeof(*sc));
	TAILQ_INIT(&sc->profile.read);
	TAILQ_INIT(&sc->profile.write);
	if ((sc->confined = imsg_get_u8(dec)) == 0)
		return (0);
	if (sc->confined != 1 ||
	    (sc->profile.name = imsg_get_str(dec)) == NULL)
		rv = -1;
	else {
		sc->profile.network = imsg_get_u8(dec);
		if (strlist_get(dec, &sc->profile.read) == -1 ||
		    strlist_get(dec, &sc->profile.write) == -1 ||
		    (sc->tmpbase = imsg_get_str(dec)) == NULL ||
		    (sc->home = imsg_get_str(dec)) == NULL ||
		    strlen(sc->profile.name) > CONFIG_NAME_MAX)
			rv = -1;
	}
	if (rv == -1)
		sc->confined = 1;	/* for confine_put() */
	return (rv);
}

static void
confine_put(struct spawn_confine *sc)
{
	if (!sc->confined)
		return;
	free(sc->profile.name);
	strlist_clear(&sc->profile.read);
	strlist_clear(&sc->profile.write);
	free(sc->tmpbase);
	free(sc->home);
}

/*
 * Everything of a confinement that can fail, before vfork: the
 * Landlock ruleset, the seccomp filter, the private temporary
 * directory, TMPDIR.  0, or an errno with why said.
 */
static int
cmd_confine(struct cmd *c, const struct spawn_confine *sc, const char *cwd,
    char ***envp, char *why, size_t whylen)
{
	/*
	 * Our environment is empty; the home a confined command may not
	 * see is the daemon's (and the password entry's, which
	 * confine_prepare() looks up itself).  It does not change.
	 */
	if (getenv("HOME") == NULL && sc->home[0] == '/' &&
	    setenv("HOME", sc->home, 1) == -1)
		fatal("setenv");
	if ((c->cf = calloc(1, sizeof(*c->cf))) == NULL)
		fatal(NULL);
	if (confine_prepare(c->cf, &sc->profile, cwd, sc->tmpbase, why,
	    whylen) == -1) {
		free(c->cf);
		c->cf = NULL;
		return (EPERM);
	}
	if (confine_env(envp, c->cf) == -1) {
		snprintf(why, whylen, "its environment: %s", strerror(ENOMEM));
		confine_close(c->cf);
		return (ENOMEM);
	}
	return (0);
}

/*
 * The parent takes only UTF-8 from us: a reason cut to its size in the
 * middle of a character, or holding a path that is not UTF-8, ends at
 * the first byte that is not part of a whole character.
 */
static void
utf8_cut(char *s)
{
	uint32_t	 cp;
	size_t		 i, n, len = strlen(s);

	for (i = 0; i < len; i += n)
		if ((n = utf8_decode((unsigned char *)s + i, len - i,
		    &cp)) == 0) {
			s[i] = '\0';
			return;
		}
}

static void
spawner_spawn(struct imsg *imsg)
{
	struct imsg_dec	 dec;
	struct imsg_enc	 enc;
	struct cmd	*c;
	struct spawn_confine sc;
	char		*cwd, *prog = NULL, **argv = NULL, **envp = NULL;
	char		 why[SPAWN_WHY_MAX + 1] = "";
	uint32_t	 argc = 0, envc = 0;
	int		 e, outfd = -1, errfd = -1;

	imsg_dec_init(&dec, imsg);
	cwd = imsg_get_str(&dec);
	if (cwd != NULL)
		prog = imsg_get_str(&dec);
	if (prog != NULL && (argv = strv_get(&dec, &argc)) != NULL)
		envp = strv_get(&dec, &envc);
	if (envp == NULL || confine_get(&dec, &sc) == -1 ||
	    imsg_dec_end(&dec) == -1 || cwd == NULL || argv == NULL ||
	    argc == 0 || imsg->fd == -1 || imsg->hdr.peerid <= sp.last_id)
		fatalx("bad spawn message");
	sp.last_id = imsg->hdr.peerid;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal(NULL);
	c->id = imsg->hdr.peerid;
	e = 0;
	if (sc.confined && (e = cmd_confine(c, &sc, cwd, &envp, why,
	    sizeof(why))) == 0)
		log_debug("command %u: confined (profile %s, %s)", c->id,
		    sc.profile.name, c->cf->tmpdir);
	if (e == 0)
		e = cmd_start(c, imsg->fd, prog, argv, envp, cwd, &outfd,
		    &errfd, why, sizeof(why));
	confine_put(&sc);
	if (e != 0) {
		if (c->cf != NULL) {
			confine_close(c->cf);
			(void)confine_tmp_remove(c->cf);
			free(c->cf);
		}
		free(c);
		utf8_cut(why);
		imsg_enc_init(&enc);
		imsg_put_u32(&enc, e);
		imsg_put_str(&enc, why);
		if (imsgev_compose_enc(&sp.iev, IMSG_SPAWN_FAIL,
		    imsg->hdr.peerid, -1, &enc) == -1)
			fatal("compose");
	} else {
		TAILQ_INSERT_TAIL(&sp.cmds, c, entry);
		log_debug("command %u: pid %d%s%s", c->id, c->pid,
		    c->cg[0] != '\0' ? " in " : "", c->cg);
		imsg_enc_init(&enc);
		imsg_put_u8(&enc, 1);
		if (imsgev_compose_enc(&sp.iev, IMSG_SPAWN_PIPE, c->id, outfd,
		    &enc) == -1)
			fatal("compose");
		imsg_enc_init(&enc);
		imsg_put_u8(&enc, 2);
		if (imsgev_compose_enc(&sp.iev, IMSG_SPAWN_PIPE, c->id, errfd,
		    &enc) == -1)
			fatal("compose");
		imsg_enc_init(&enc);
		imsg_put_u32(&enc, c->pid);
		if (imsgev_compose_enc(&sp.iev, IMSG_SPAWNED, c->id, -1,
		    &enc) == -1)
			fatal("compose");
		tick_schedule(SCAN_MS);
	}
	free(cwd);
	free(prog);
	strv_free(argv);
	strv_free(envp);
}

/*
 * A notifier (guardian.notify): started as a command is, but with its
 * output discarded and its own time limit, after which its tree is
 * stopped.  The parent hears nothing back: what went wrong is logged.
 * At most NOTIFY_RUNNING at once, so that notifiers that hang cannot
 * pile up.
 */
static void
spawner_notify(struct imsg *imsg)
{
	struct imsg_dec	 dec;
	struct cmd	*c;
	char		*rid, *prog = NULL, **argv = NULL, **envp = NULL;
	char		 why[SPAWN_WHY_MAX + 1] = "";
	uint32_t	 limit = 0, argc = 0, envc = 0;
	int		 e;

	imsg_dec_init(&dec, imsg);
	rid = imsg_get_str(&dec);
	if (rid != NULL)
		prog = imsg_get_str(&dec);
	if (prog != NULL) {
		limit = imsg_get_u32(&dec);
		if ((argv = strv_get(&dec, &argc)) != NULL)
			envp = strv_get(&dec, &envc);
	}
	if (envp == NULL || imsg_dec_end(&dec) == -1 || argc == 0 ||
	    strlen(rid) > REQ_ID_LEN || limit == 0 || imsg->fd == -1 ||
	    imsg->hdr.peerid <= sp.last_id)
		fatalx("bad notify message");
	sp.last_id = imsg->hdr.peerid;
	if (sp.nnotify >= NOTIFY_RUNNING) {
		log_warnx("notifier for request %s: not started, %u still "
		    "running", rid, sp.nnotify);
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal(NULL);
	c->id = imsg->hdr.peerid;
	c->notify = 1;
	strlcpy(c->rid, rid, sizeof(c->rid));
	if ((e = cmd_start(c, imsg->fd, prog, argv, envp, "/", NULL, NULL,
	    why, sizeof(why))) != 0) {
		log_warnx("notifier for request %s: %s: %s", rid, prog,
		    strerror(e));
		free(c);
		goto out;
	}
	TAILQ_INSERT_TAIL(&sp.cmds, c, entry);
	sp.nnotify++;
	log_debug("notifier for request %s: pid %d", rid, c->pid);
	c->term_at = mono_now_ms() + limit;
	tick_schedule(limit);
 out:
	free(rid);
	free(prog);
	strv_free(argv);
	strv_free(envp);
}

/* A notifier's first process ended: what it left goes at once. */
static void
notify_exited(struct cmd *c, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx("notifier for request %s: exited with status %d",
		    c->rid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warnx("notifier for request %s: killed by signal %d",
		    c->rid, WTERMSIG(status));
	else
		log_debug("notifier for request %s: done", c->rid);
	c->term_at = 0;
	cmd_stop(c, 0, NULL);
}

/*
 * The end, however it comes (the channel closed, the parent died, a
 * fatal error): every command's tree is killed, everything that
 * descends from us too, and the cgroups go.
 */
static void
spawner_end(void)
{
	struct cmd	*c;
	int		 n, left;

	if (sp.ended)
		return;
	sp.ended = 1;
	TAILQ_FOREACH(c, &sp.cmds, entry) {
		if (c->cg[0] != '\0')
			(void)cg_signal(c->cg, SIGKILL);
		(void)kill(-c->sid, SIGKILL);
	}
	(void)ptree_kill_all(NULL, 0, 100);
	for (n = 0; n < END_WAIT_MS / 10; n++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		left = 0;
		TAILQ_FOREACH(c, &sp.cmds, entry)
			if (c->cg[0] != '\0' && cg_populated(c->cg) == 1)
				left = 1;
		if (!left)
			break;
		usleep(10000);
	}
	while ((c = TAILQ_FIRST(&sp.cmds)) != NULL)
		cmd_free(c);
	if (sp.base[0] != '\0')
		(void)cg_remove(sp.base);
}
