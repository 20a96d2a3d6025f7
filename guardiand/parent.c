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
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "parent.h"
#include "paths.h"

/*
 * The parent: holds the configuration, starts and watches the
 * children, routes their messages, runs the request state machine.
 * It never parses HTTP or JSON and never runs a regular expression on
 * request data.
 */

#define UI_LOGIN_TTL	(5 * 60 * 1000)	/* ms a login URL stays valid */

struct reload {
	struct config	*conf;		/* being loaded */
	char		*by;		/* who asked */
	void		(*done)(void *, int, const char *);
	void		*arg;
};

struct parent {
	struct config	*conf;
	struct child	 children[ROLE_MAX];
	struct event	 ev_sigterm;
	struct event	 ev_sigint;
	struct event	 ev_sighup;
	struct event	 ev_sigchld;
	time_t		 started;
	int		 readyfd;	/* tells the starting shell we run */
	pid_t		 spawner_pid;	/* names its cgroup, after it died */
	int		 loaded;	/* the policy took the patterns */
	struct reload	*reload;	/* one at a time */
};

static struct parent	 pa;

static void	 parent_sig(int, short, void *);
static void	 child_drain(struct child *);
static void	 child_status(struct child *, pid_t, int);
static void	 children_stopped(void);
static __dead void child_lost(struct child *, const char *);
static void	 parent_dispatch(int, short, void *);
static __dead void parent_shutdown(int, const char *);
static void	 parent_audit_start(struct config *);
static void	 parent_send_patterns(struct config *);
static void	 parent_settings(struct child *);
static void	 parent_start_net(struct child *, struct listen_list *);
static char	*escape_lines(char *);
static void	 parent_loaded(void *, struct imsg *);
static void	 parent_ready(struct child *);
static void	 parent_tell(const char *, size_t);
static void	 parent_sighup_done(void *, int, const char *);
static void	 orphans_kill(void);

static const enum role child_roles[] = {
	ROLE_SPAWNER, ROLE_POLICY, ROLE_REQUEST, ROLE_UI
};

void
parent_main(struct config *conf, int readyfd)
{
	struct child	*c;
	char		 err[512], *ctl, *url;
	size_t		 i;
	int		 fd;

	/* Before anything reads the environment commands get. */
	sdnotify_init();
	pa.conf = conf;
	pa.readyfd = readyfd;
	pa.started = time(NULL);
	event_init();

	if (registry_init(conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (audit_init(conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	parent_audit_start(conf);
	/* What a crash left open is closed in the audit trail. */
	journal_init(registry_statedir());
	uisession_init();
	reqtable_init(conf);
	if ((ctl = conf->control_path) == NULL &&
	    (ctl = runtime_path(RUNDIR_CONTROL, CONTROL_SOCK, 1)) == NULL)
		fatal("no runtime directory for the control socket");
	if (control_init(ctl, err, sizeof(err)) == -1)
		fatalx("control socket: %s", err);
	if (ctl != conf->control_path)
		free(ctl);
	/* After the control socket: a second daemon has stopped there. */
	if (doors_init(err, sizeof(err)) == -1)
		fatalx("%s", err);
	/*
	 * Commands are the spawner's; should it die, what is left of
	 * them becomes ours, to kill (orphans_kill).
	 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_CHILD_SUBREAPER");

	signal_set(&pa.ev_sigterm, SIGTERM, parent_sig, NULL);
	signal_set(&pa.ev_sigint, SIGINT, parent_sig, NULL);
	signal_set(&pa.ev_sighup, SIGHUP, parent_sig, NULL);
	signal_set(&pa.ev_sigchld, SIGCHLD, parent_sig, NULL);
	signal_add(&pa.ev_sigterm, NULL);
	signal_add(&pa.ev_sigint, NULL);
	signal_add(&pa.ev_sighup, NULL);
	signal_add(&pa.ev_sigchld, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < sizeof(child_roles) / sizeof(child_roles[0]); i++) {
		c = &pa.children[child_roles[i]];
		c->role = child_roles[i];
		c->pid = proc_exec(c->role, guardiand_verbose, &fd);
		if (imsgev_init(&c->iev, fd, parent_dispatch, c) == -1)
			fatal("imsgev_init");
		log_debug("started %s child, pid %d", role_name(c->role),
		    c->pid);
		if (c->role == ROLE_SPAWNER)
			pa.spawner_pid = c->pid;
	}
	liveness_loading(1);
	parent_send_patterns(conf);
	parent_start_net(&pa.children[ROLE_REQUEST], &conf->request_listen);
	/* Browsers logged in before a restart stay logged in. */
	uisession_send(&pa.children[ROLE_UI].iev);
	parent_start_net(&pa.children[ROLE_UI], &conf->ui_listen);
	if ((url = parent_ui_login()) != NULL) {
		log_info("approval UI login: %s", url);
		free(url);
	}
	liveness_start();

	event_dispatch();
	parent_shutdown(1, "event loop ended");
}

/*
 * The START record.  If it cannot be written (on_failure: refuse) the
 * daemon does not start: nothing it did would be recorded.
 */
static void
parent_audit_start(struct config *conf)
{
	struct listen_addr	*la;
	struct listen_list	*lists[2];
	char			*buf = NULL;
	size_t			 len = 0, i;
	FILE			*mf;

	lists[0] = &conf->request_listen;
	lists[1] = &conf->ui_listen;
	if ((mf = open_memstream(&buf, &len)) == NULL)
		fatal(NULL);
	for (i = 0; i < 2; i++)
		TAILQ_FOREACH(la, lists[i], entry)
			fprintf(mf, "%s%s%s", ftell(mf) > 0 ?
			    "," : "", i == 0 ? "request:" : "ui:", la->spec);
	if (fclose(mf) != 0)
		fatal(NULL);
	if (audit_log("START", NULL, NULL, NULL, NULL, "version",
	    GUARDIAND_VERSION, "config", conf->path, "listen", buf,
	    (char *)NULL) == -1)
		fatalx("the audit log cannot be written: not starting");
	free(buf);
}

struct imsgev *
parent_channel(enum role role)
{
	return (&pa.children[role].iev);
}

struct child *
parent_child(enum role role)
{
	return (&pa.children[role]);
}

void
parent_child_fault(const char *reason)
{
	parent_shutdown(1, reason);
}

struct config *
parent_config(void)
{
	return (pa.conf);
}

time_t
parent_started(void)
{
	return (pa.started);
}

void
parent_fatalx(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("protocol violation: %s", buf);
	parent_shutdown(1, "protocol violation");
}

static void
send_pattern(struct imsgev *iev, int kind, const char *project,
    struct pattern_src *ps)
{
	struct msg_policy_pattern	 m;
	struct imsg_enc			 enc;

	m.kind = kind;
	m.project = (char *)project;
	m.re = ps->re;
	m.file = ps->file;
	m.line = ps->line;
	msg_policy_pattern_enc(&enc, &m);
	if (imsgev_compose_enc(iev, IMSG_POLICY_PATTERN, 0, -1, &enc) == -1)
		fatal("%s:%d: pattern", ps->file, ps->line);
}

/* Hand the policy child every pattern; it answers IMSG_POLICY_LOADED. */
static void
parent_send_patterns(struct config *conf)
{
	struct imsgev		*iev = &pa.children[ROLE_POLICY].iev;
	struct project_conf	*pc;
	struct pattern_src	*ps;
	int			 k;

	for (k = 0; k < PAT_NKINDS; k++)
		TAILQ_FOREACH(ps, &conf->global.kind[k], entry)
			send_pattern(iev, k, "", ps);
	RB_FOREACH(pc, project_tree, &conf->projects)
		for (k = 0; k < PAT_NKINDS; k++)
			TAILQ_FOREACH(ps, &pc->pats.kind[k], entry)
				send_pattern(iev, k, pc->name, ps);
	if (imsgev_compose(iev, IMSG_POLICY_COMMIT, 0, -1, NULL, 0) == -1)
		fatal("compose");
}

/* Limits for a network child: at start and after every reload. */
static void
parent_settings(struct child *c)
{
	struct imsg_enc		 enc;

	imsg_enc_init(&enc);
	imsg_put_u64(&enc, pa.conf->limits.body);
	imsg_put_u64(&enc, pa.conf->limits.headers);
	imsg_put_u64(&enc, pa.conf->limits.read_timeout);
	imsg_put_u64(&enc, pa.conf->limits.idle_timeout);
	imsg_put_u64(&enc, pa.conf->max_output);
	if (c == &pa.children[ROLE_UI]) {
		imsg_put_u32(&enc, pa.conf->limits.ui_connections);
		imsg_put_u32(&enc, pa.conf->limits.ui_connections_per_peer);
	} else {
		imsg_put_u32(&enc, pa.conf->limits.connections);
		imsg_put_u32(&enc, pa.conf->limits.connections_per_peer);
	}
	imsg_put_u32(&enc, pa.conf->limits.args);
	if (imsgev_compose_enc(&c->iev, IMSG_SETTINGS, 0, -1, &enc) == -1)
		fatal("compose");
}

static void
parent_start_net(struct child *c, struct listen_list *ll)
{
	struct listen_addr	*la;
	struct imsg_enc		 enc;
	int			 fd;

	parent_settings(c);
	TAILQ_FOREACH(la, ll, entry) {
		if ((fd = dup(la->fd)) == -1)
			fatal("dup");
		imsg_enc_init(&enc);
		imsg_put_u32(&enc, 0);
		if (imsgev_compose_enc(&c->iev, IMSG_LISTENER, 0, fd,
		    &enc) == -1)
			fatal("compose");
	}
	if (c->role == ROLE_REQUEST)
		doors_announce(&c->iev);
	if (imsgev_compose(&c->iev, IMSG_START, 0, -1, NULL, 0) == -1)
		fatal("compose");
}

static void
parent_sig(int sig, short event, void *arg)
{
	struct child	*c;
	pid_t		 pid;
	int		 status, i;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received %s, shutting down", strsignal(sig));
		parent_shutdown(0, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	case SIGHUP:
		log_info("received SIGHUP, reloading the configuration");
		parent_reload("SIGHUP", parent_sighup_done, NULL);
		break;
	case SIGCHLD:
		/* Only children die here: commands are the spawner's. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < ROLE_MAX; i++) {
				c = &pa.children[i];
				if (c->pid != pid)
					continue;
				c->pid = 0;
				child_drain(c);
				child_status(c, pid, status);
				parent_shutdown(1, "child died");
			}
		}
		children_stopped();
		break;
	}
}

/*
 * A child that died may have said why just before: log what its
 * channel still holds.  The rest no longer matters.
 */
static void
child_drain(struct child *c)
{
	struct imsg	 imsg;
	ssize_t		 n;

	do {
		n = imsg_read(&c->iev.ibuf);
		while (imsg_get(&c->iev.ibuf, &imsg) == 1) {
			if (imsg.hdr.type == IMSG_LOG)
				parent_child_log(role_name(c->role), &imsg);
			imsg_free(&imsg);
		}
	} while (n > 0);
}

/*
 * A child stopped (SIGSTOP, SIGTSTP) serves nobody: a fault, said at
 * once rather than when its pings go unanswered.  One that continued
 * meanwhile (a shell's job control stops and continues the whole
 * group) reports nothing here.
 */
static void
children_stopped(void)
{
	struct child	*c;
	pid_t		 pid;
	int		 status, i;

	for (i = 0; i < ROLE_MAX; i++) {
		c = &pa.children[i];
		if (c->pid <= 0 || (pid = waitpid(c->pid, &status,
		    WNOHANG | WUNTRACED)) != c->pid)
			continue;
		if (WIFSTOPPED(status)) {
			log_warnx("%s child (pid %d) stopped by signal %d "
			    "(%s)", role_name(c->role), pid,
			    WSTOPSIG(status), strsignal(WSTOPSIG(status)));
			parent_shutdown(1, "child stopped");
		}
		c->pid = 0;
		child_drain(c);
		child_status(c, pid, status);
		parent_shutdown(1, "child died");
	}
}

static void
child_status(struct child *c, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("%s child (pid %d) killed by signal %d (%s)",
		    role_name(c->role), pid, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		log_warnx("%s child (pid %d) exited with status %d",
		    role_name(c->role), pid, WEXITSTATUS(status));
}

/*
 * A channel broke: the child is most likely dying.  Wait for it a
 * moment so the log says why, then take the daemon down.
 */
static __dead void
child_lost(struct child *c, const char *why)
{
	pid_t	 pid = c->pid;
	int	 status, tries;

	log_warnx("%s child: %s", role_name(c->role), why);
	child_drain(c);
	for (tries = 0; pid > 0 && tries < 100; tries++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			c->pid = 0;
			child_status(c, pid, status);
			break;
		}
		usleep(10000);
	}
	parent_shutdown(1, "child lost");
}

/*
 * Handlers of what children send, with the dispatcher's argument (the
 * child) as every entry of a table takes it.
 */
static void
pm_log(void *arg, struct imsg *imsg)
{
	struct child	*c = arg;

	parent_child_log(role_name(c->role), imsg);
}

static void
pm_ready(void *arg, struct imsg *imsg)
{
	parent_ready(arg);
}

static void
pm_pong(void *arg, struct imsg *imsg)
{
	liveness_pong(arg, imsg);
}

static void
pm_verdict(void *arg, struct imsg *imsg)
{
	req_verdict(imsg);
}

static void
pm_req_new(void *arg, struct imsg *imsg)
{
	req_new(imsg);
}

static void
pm_req_cancel(void *arg, struct imsg *imsg)
{
	req_cancel(imsg->hdr.peerid);
}

static void
pm_ui_approve(void *arg, struct imsg *imsg)
{
	parent_ui_decision(imsg, 1, &pa.children[ROLE_UI].iev);
}

static void
pm_ui_deny(void *arg, struct imsg *imsg)
{
	parent_ui_decision(imsg, 0, &pa.children[ROLE_UI].iev);
}

static void
pm_ui_login(void *arg, struct imsg *imsg)
{
	uisession_login(imsg, &pa.children[ROLE_UI].iev);
}

static void
pm_ui_session_end(void *arg, struct imsg *imsg)
{
	uisession_end(imsg);
}

static void
pm_ui_revoke(void *arg, struct imsg *imsg)
{
	parent_ui_revoke(imsg, &pa.children[ROLE_UI].iev);
}

static void
pm_spawn(void *arg, struct imsg *imsg)
{
	req_spawn_msg(imsg);
}

/*
 * What each child may send the parent, and who takes it.  Anything
 * else is a protocol violation: the request child in particular can
 * never decide a request, and the ui child can never make a session
 * (IMSG_UI_SESSION): it asks the parent with the login secret a
 * browser presented.  Every child says it is ready once.
 */
static const struct msg_handler policy_msgs[] = {
	{ IMSG_LOG,		"log",		0,		pm_log },
	{ IMSG_READY,		"ready",	MSG_EMPTY | MSG_ONCE, pm_ready },
	{ IMSG_PONG,		"pong",		0,		pm_pong },
	{ IMSG_POLICY_LOADED,	"loaded",	0,		parent_loaded },
	{ IMSG_POLICY_VERDICT,	"verdict",	0,		pm_verdict },
	{ IMSG_NONE }
};

static const struct msg_handler request_msgs[] = {
	{ IMSG_LOG,		"log",		0,		pm_log },
	{ IMSG_READY,		"ready",	MSG_EMPTY | MSG_ONCE, pm_ready },
	{ IMSG_PONG,		"pong",		0,		pm_pong },
	{ IMSG_REQ_NEW,		"new request",	0,		pm_req_new },
	{ IMSG_REQ_CANCEL,	"cancel",	MSG_EMPTY,	pm_req_cancel },
	{ IMSG_NONE }
};

static const struct msg_handler ui_msgs[] = {
	{ IMSG_LOG,		"log",		0,		pm_log },
	{ IMSG_READY,		"ready",	MSG_EMPTY | MSG_ONCE, pm_ready },
	{ IMSG_PONG,		"pong",		0,		pm_pong },
	{ IMSG_UI_APPROVE,	"approval",	0,		pm_ui_approve },
	{ IMSG_UI_DENY,		"denial",	0,		pm_ui_deny },
	{ IMSG_UI_LOGIN,	"login",	0,		pm_ui_login },
	{ IMSG_UI_SESSION_END,	"session end",	0,	pm_ui_session_end },
	{ IMSG_UI_REVOKE,	"revoke",	0,		pm_ui_revoke },
	{ IMSG_NONE }
};

/*
 * The spawner answers for the commands the parent asked it to start;
 * it reads nothing from clients.
 */
static const struct msg_handler spawner_msgs[] = {
	{ IMSG_LOG,		"log",		0,		pm_log },
	{ IMSG_READY,		"ready",	MSG_EMPTY | MSG_ONCE, pm_ready },
	{ IMSG_PONG,		"pong",		0,		pm_pong },
	{ IMSG_SPAWN_PIPE,	"pipe",		0,		pm_spawn },
	{ IMSG_SPAWNED,		"spawned",	0,		pm_spawn },
	{ IMSG_SPAWN_FAIL,	"spawn failure", 0,		pm_spawn },
	{ IMSG_SPAWN_EXITED,	"exit",		0,		pm_spawn },
	{ IMSG_NONE }
};

static const struct msg_handler *const child_msgs[ROLE_MAX] = {
	[ROLE_POLICY] = policy_msgs,
	[ROLE_REQUEST] = request_msgs,
	[ROLE_UI] = ui_msgs,
	[ROLE_SPAWNER] = spawner_msgs
};

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct child			*c = arg;
	struct imsgbuf			*ibuf = &c->iev.ibuf;
	const struct msg_handler	*h;
	struct imsg			 imsg;
	const char			*why;
	ssize_t				 n;
	int				 rv;

	if (event & EV_WRITE) {
		if (imsg_write(ibuf) == -1)
			child_lost(c, strerror(errno));
	}
	if (event & EV_READ) {
		if ((n = imsg_read(ibuf)) == -1 && errno != EAGAIN)
			child_lost(c, strerror(errno));
		if (n == 0)
			child_lost(c, "channel closed");
	}
	while ((rv = imsg_get(ibuf, &imsg)) == 1) {
		if ((h = msg_handler(child_msgs[c->role],
		    imsg.hdr.type)) == NULL)
			parent_fatalx("%s child sent message type %u",
			    role_name(c->role), imsg.hdr.type);
		if ((why = msg_refused(h, &imsg, &c->seen)) != NULL)
			parent_fatalx("bad %s from %s child: %s", h->name,
			    role_name(c->role), why);
		liveness_heard(c);
		h->fn(c, &imsg);
		imsg_free(&imsg);
	}
	if (rv == -1)
		parent_fatalx("garbled message from %s child",
		    role_name(c->role));
	imsgev_update(&c->iev);
}

/* Lines of text from a child, each escaped as a log record is: freed. */
static char *
escape_lines(char *text)
{
	FILE	*f;
	char	*p = text, *line, *safe, *out = NULL;
	size_t	 len = 0;

	if ((f = open_memstream(&out, &len)) == NULL)
		fatal(NULL);
	while ((line = strsep(&p, "\n")) != NULL) {
		if ((safe = log_escape(line)) == NULL)
			fatal(NULL);
		fprintf(f, "%s%s", safe, p != NULL ? "\n" : "");
		free(safe);
	}
	if (fclose(f) == EOF)
		fatal(NULL);
	free(text);
	return (out);
}

static void
parent_loaded(void *arg, struct imsg *imsg)
{
	struct msg_policy_loaded	 m;
	struct reload			*rl;
	struct config			*old;
	char				*errs, *line, *p, err[512];
	uint8_t				 ok;

	if (msg_policy_loaded_dec(imsg, &m) == -1)
		parent_fatalx("bad loaded message");
	ok = m.ok;
	errs = m.errors;
	liveness_loading(0);
	/* The child's text goes to the log, the starting shell, guardianctl. */
	errs = escape_lines(errs);
	if (!pa.loaded) {
		/* At start: a bad pattern keeps the daemon from starting. */
		if (!ok) {
			parent_tell(errs, strlen(errs));
			p = errs;
			while ((line = strsep(&p, "\n")) != NULL)
				if (*line != '\0')
					log_warnx("%s", line);
			free(errs);
			parent_shutdown(1, "bad patterns");
		}
		free(errs);
		pa.loaded = 1;
		parent_ready(NULL);
		return;
	}
	if ((rl = pa.reload) == NULL) {
		free(errs);
		parent_fatalx("policy loaded patterns nobody sent");
	}
	pa.reload = NULL;
	if (!ok) {
		config_free(rl->conf);
		rl->done(rl->arg, 0, errs);
		free(errs);
		free(rl->by);
		free(rl);
		return;
	}
	free(errs);
	/* The listeners stay as they were bound at start. */
	old = pa.conf;
	TAILQ_SWAP(&old->request_listen, &rl->conf->request_listen,
	    listen_addr, entry);
	TAILQ_SWAP(&old->ui_listen, &rl->conf->ui_listen, listen_addr, entry);
	pa.conf = rl->conf;
	if (old->control_path != NULL && pa.conf->control_path == NULL) {
		pa.conf->control_path = old->control_path;
		old->control_path = NULL;
	}
	reqtable_reload(pa.conf);
	parent_settings(&pa.children[ROLE_REQUEST]);
	parent_settings(&pa.children[ROLE_UI]);
	if (registry_reload(pa.conf, err, sizeof(err)) == -1)
		log_warnx("reload: cloisters: %s", err);
	reload_gone(old);
	doors_sync();
	if (audit_reload(pa.conf, err, sizeof(err)) == -1)
		log_warnx("reload: audit: %s", err);
	reload_audit(old, pa.conf, rl->by);
	config_free(old);
	log_info("configuration reloaded");
	rl->done(rl->arg, 1, "configuration reloaded");
	free(rl->by);
	free(rl);
}

/*
 * Re-read the configuration.  Everything is checked before anything
 * changes: a broken file leaves the running policy as it was, and
 * pending requests survive either way.
 */
void
parent_reload(const char *by, void (*done)(void *, int, const char *),
    void *arg)
{
	struct reload	*rl;
	struct config	*conf;
	char		*errs = NULL;

	if (pa.reload != NULL) {
		done(arg, 0, "a reload is already in progress");
		return;
	}
	if ((conf = config_load(pa.conf->path, &errs)) == NULL) {
		done(arg, 0, errs != NULL ? errs : "cannot load");
		free(errs);
		return;
	}
	config_log_warnings(conf);
	if (conf->control_path == NULL && pa.conf->control_path != NULL &&
	    (conf->control_path = strdup(pa.conf->control_path)) == NULL)
		fatal(NULL);
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		fatal(NULL);
	rl->conf = conf;
	if ((rl->by = strdup(by)) == NULL)
		fatal(NULL);
	rl->done = done;
	rl->arg = arg;
	pa.reload = rl;
	liveness_loading(1);
	parent_send_patterns(conf);
}

static void
parent_sighup_done(void *arg, int ok, const char *msg)
{
	char	*copy, *p, *line;

	if (ok)
		return;
	if ((copy = strdup(msg)) == NULL)
		return;
	p = copy;
	while ((line = strsep(&p, "\n")) != NULL)
		if (*line != '\0')
			log_warnx("reload failed, keeping the old "
			    "configuration: %s", line);
	free(copy);
}

void
parent_verbose(int v)
{
	uint8_t	 u = v;
	size_t	 i;

	log_setverbose(v);
	for (i = 0; i < sizeof(child_roles) / sizeof(child_roles[0]); i++)
		if (imsgev_compose(&pa.children[child_roles[i]].iev,
		    IMSG_VERBOSE, 0, -1, &u, sizeof(u)) == -1)
			fatal("compose");
}

/*
 * A one-time login URL for the approval UI, for whoever asked
 * (guardianctl ui, the start-up log).  The parent alone knows its
 * secret: the ui child forwards what a browser presents.
 */
char *
parent_ui_login(void)
{
	struct listen_addr	*la;
	char			 secret[UI_SECRET_LEN + 1], *url;

	TAILQ_FOREACH(la, &pa.conf->ui_listen, entry)
		if (!la->is_unix)
			break;
	if (la == NULL)
		return (NULL);
	uisession_login_add(secret, sizeof(secret), now_ms() + UI_LOGIN_TTL);
	if (asprintf(&url, "http://%s%s%s:%s/login?token=%s",
	    strchr(la->host, ':') ? "[" : "",
	    la->host[0] ? la->host : "127.0.0.1",
	    strchr(la->host, ':') ? "]" : "", la->port, secret) == -1)
		url = NULL;
	explicit_bzero(secret, sizeof(secret));
	return (url);
}

/* Tell the shell that started us how the start went, if it waits. */
static void
parent_tell(const char *msg, size_t len)
{
	if (pa.readyfd != -1 && write(pa.readyfd, msg, len) == -1)
		log_warn("ready pipe");
}

/* Once every child serves and the policy is loaded, we are up. */
static void
parent_ready(struct child *c)
{
	size_t	 i;

	if (c != NULL)
		c->ready = 1;
	if (!pa.loaded)
		return;
	for (i = 0; i < sizeof(child_roles) / sizeof(child_roles[0]); i++)
		if (!pa.children[child_roles[i]].ready)
			return;
	log_info("ready: spawner, policy, request and ui children running");
	parent_tell("R", 1);
	sdnotify("READY=1\nSTATUS=serving; pid %d", (int)getpid());
	if (pa.readyfd != -1) {
		close(pa.readyfd);
		pa.readyfd = -1;
	}
}

/*
 * What commands left behind once the spawner is gone (it kills them
 * itself when it ends; this is for when it could not, killed or
 * stuck): the parent is the subreaper of everything below it, so
 * every process that descends from us but our living children is a
 * command's; the spawner's cgroups, if it had them, are killed whole
 * and removed.
 */
static void
orphans_kill(void)
{
	char	 dir[PATH_MAX];
	pid_t	 spare[ROLE_MAX];
	size_t	 i, n = 0;
	int	 tries;

	for (i = 0; i < ROLE_MAX; i++)
		if (pa.children[i].pid > 0)
			spare[n++] = pa.children[i].pid;
	if (pa.spawner_pid > 0 && cg_spawner_dir(pa.spawner_pid, dir,
	    sizeof(dir)) == 0 && access(dir, F_OK) == 0) {
		(void)cg_signal(dir, SIGKILL);
		for (tries = 0; tries < 200 && cg_populated(dir) == 1; tries++)
			usleep(10000);
		if (cg_remove(dir) == -1)
			log_warn("remove %s", dir);
	}
	if (ptree_kill_all(spare, n, 100) > 0)
		log_warnx("killed what commands left behind");
}

/* Send what is queued for a child, for a moment at most (shutdown). */
static void
child_flush(enum role role)
{
	struct child	*c = &pa.children[role];
	struct pollfd	 pfd;
	int		 tries;

	for (tries = 0; c->pid > 0 && tries < 100 &&
	    imsg_queued(&c->iev.ibuf) > 0; tries++) {
		if (imsg_write(&c->iev.ibuf) == -1)
			break;
		pfd.fd = c->iev.ibuf.fd;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, 10);
	}
}

/* Reap the children as they go, for ms at most (shutdown). */
static void
children_wait(int ms)
{
	struct child	*c;
	int		 i, tries, left;

	for (tries = 0; tries < ms / 10; tries++) {
		for (left = 0, i = 0; i < ROLE_MAX; i++) {
			c = &pa.children[i];
			if (c->pid > 0 && waitpid(c->pid, NULL, WNOHANG) ==
			    c->pid)
				c->pid = 0;
			if (c->pid > 0)
				left++;
		}
		if (left == 0)
			break;
		usleep(10000);
	}
}

/*
 * Take everything down: the children first (closing a channel ends
 * its child, and the spawner kills every command's tree as it goes;
 * one that lingers is killed), then whatever commands left.  No
 * process of ours is left behind.
 */
static __dead void
parent_shutdown(int code, const char *reason)
{
	struct child	*c;
	int		 i;

	sdnotify("STOPPING=1\nSTATUS=stopping: %s", reason);
	req_shutdown_answer();
	req_shutdown();
	grants_shutdown();
	/* What the request child is still to tell clients goes first. */
	child_flush(ROLE_REQUEST);
	/* The spawner's last orders (kill every command) go too. */
	child_flush(ROLE_SPAWNER);
	for (i = 0; i < ROLE_MAX; i++) {
		c = &pa.children[i];
		if (c->pid > 0) {
			imsgev_clear(&c->iev);
			close(c->iev.ibuf.fd);
		}
	}
	/* The spawner may take a moment: it waits for the trees to go. */
	children_wait(4000);
	/*
	 * A child hung in the kernel (a frozen cgroup) dies only when it
	 * can: not waited for beyond a moment, its death signal follows
	 * our exit.
	 */
	for (i = 0; i < ROLE_MAX; i++) {
		c = &pa.children[i];
		if (c->pid > 0)
			(void)kill(c->pid, SIGKILL);
	}
	children_wait(2000);
	for (i = 0; i < ROLE_MAX; i++)
		if (pa.children[i].pid > 0)
			log_warnx("%s child (pid %d) did not die",
			    role_name(i), (int)pa.children[i].pid);
	orphans_kill();
	control_cleanup();
	doors_shutdown();
	listen_close(&pa.conf->request_listen);
	listen_close(&pa.conf->ui_listen);
	log_info("exiting");
	/* Requests still open (commands killed above) close at next start. */
	(void)audit_log("STOP", NULL, NULL, NULL, NULL, "reason", reason,
	    (char *)NULL);
	journal_shutdown();
	audit_close();
	exit(code);
}
