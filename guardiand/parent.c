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
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include <event.h>

#include "config.h"
#include "guardiand.h"
#include "log.h"

/*
 * The parent: holds the configuration, starts and watches the
 * children, routes their messages.  It never parses HTTP or JSON and
 * never runs a regular expression on request data.
 */

struct parent {
	struct config	*conf;
	struct child	 children[ROLE_MAX];
	struct event	 ev_sigterm;
	struct event	 ev_sigint;
	struct event	 ev_sighup;
	struct event	 ev_sigchld;
	time_t		 started;
	int		 readyfd;	/* tells the starting shell we run */
	int		 loaded;	/* the policy took the patterns */
};

static struct parent	 pa;

static void	 parent_sig(int, short, void *);
static void	 child_status(struct child *, pid_t, int);
static __dead void child_lost(struct child *, const char *);
static void	 parent_dispatch(int, short, void *);
static __dead void parent_shutdown(int);
static void	 parent_send_patterns(void);
static void	 parent_start_net(struct child *, struct listen_list *);
static void	 parent_log(struct child *, struct imsg *);
static void	 parent_loaded(struct imsg *);
static void	 parent_ready(struct child *);
static void	 parent_tell(const char *, size_t);

static const enum role child_roles[] = { ROLE_POLICY, ROLE_REQUEST, ROLE_UI };

void
parent_main(struct config *conf, int readyfd)
{
	struct child	*c;
	size_t		 i;
	int		 fd;

	pa.conf = conf;
	pa.readyfd = readyfd;
	pa.started = time(NULL);
	event_init();

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
	}
	parent_send_patterns();
	parent_start_net(&pa.children[ROLE_REQUEST], &conf->request_listen);
	parent_start_net(&pa.children[ROLE_UI], &conf->ui_listen);

	event_dispatch();
	parent_shutdown(1);
}

/* Hand the policy child every pattern; it answers IMSG_POLICY_LOADED. */
static void
parent_send_patterns(void)
{
	struct imsgev		*iev = &pa.children[ROLE_POLICY].iev;
	struct project_conf	*pc;
	struct pattern_src	*ps;
	struct imsg_enc		 enc;
	int			 k;

	for (k = 0; k < PAT_NKINDS; k++) {
		TAILQ_FOREACH(ps, &pa.conf->global.kind[k], entry) {
			imsg_enc_init(&enc);
			imsg_put_u8(&enc, k);
			imsg_put_str(&enc, "");
			imsg_put_str(&enc, ps->re);
			imsg_put_str(&enc, ps->file);
			imsg_put_u32(&enc, ps->line);
			if (imsgev_compose_enc(iev, IMSG_POLICY_PATTERN, 0, -1,
			    &enc) == -1)
				fatal("%s:%d: pattern", ps->file, ps->line);
		}
	}
	RB_FOREACH(pc, project_tree, &pa.conf->projects) {
		for (k = 0; k < PAT_NKINDS; k++) {
			TAILQ_FOREACH(ps, &pc->pats.kind[k], entry) {
				imsg_enc_init(&enc);
				imsg_put_u8(&enc, k);
				imsg_put_str(&enc, pc->name);
				imsg_put_str(&enc, ps->re);
				imsg_put_str(&enc, ps->file);
				imsg_put_u32(&enc, ps->line);
				if (imsgev_compose_enc(iev,
				    IMSG_POLICY_PATTERN, 0, -1, &enc) == -1)
					fatal("%s:%d: pattern", ps->file,
					    ps->line);
			}
		}
	}
	if (imsgev_compose(iev, IMSG_POLICY_COMMIT, 0, -1, NULL, 0) == -1)
		fatal("compose");
}

static void
parent_start_net(struct child *c, struct listen_list *ll)
{
	struct listen_addr	*la;
	struct imsg_enc		 enc;
	int			 fd;

	imsg_enc_init(&enc);
	imsg_put_u64(&enc, pa.conf->limits.body);
	imsg_put_u64(&enc, pa.conf->limits.headers);
	imsg_put_u64(&enc, pa.conf->limits.read_timeout);
	imsg_put_u64(&enc, pa.conf->limits.idle_timeout);
	imsg_put_u32(&enc, pa.conf->limits.connections);
	imsg_put_u32(&enc, pa.conf->limits.args);
	if (imsgev_compose_enc(&c->iev, IMSG_SETTINGS, 0, -1, &enc) == -1)
		fatal("compose");
	TAILQ_FOREACH(la, ll, entry) {
		if ((fd = dup(la->fd)) == -1)
			fatal("dup");
		if (imsgev_compose(&c->iev, IMSG_LISTENER, 0, fd, NULL,
		    0) == -1)
			fatal("compose");
	}
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
		parent_shutdown(0);
		break;
	case SIGHUP:
		log_info("received SIGHUP: reload not implemented yet");
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < ROLE_MAX; i++) {
				c = &pa.children[i];
				if (c->pid != pid)
					continue;
				c->pid = 0;
				child_status(c, pid, status);
				parent_shutdown(1);
			}
		}
		break;
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
	for (tries = 0; pid > 0 && tries < 100; tries++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			c->pid = 0;
			child_status(c, pid, status);
			break;
		}
		usleep(10000);
	}
	parent_shutdown(1);
}

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct child	*c = arg;
	struct imsgbuf	*ibuf = &c->iev.ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 rv;

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
		if (!proc_allowed(c->role, imsg.hdr.type)) {
			log_warnx("protocol violation: %s child sent "
			    "message type %u", role_name(c->role),
			    imsg.hdr.type);
			imsg_free(&imsg);
			parent_shutdown(1);
		}
		switch (imsg.hdr.type) {
		case IMSG_LOG:
			parent_log(c, &imsg);
			break;
		case IMSG_READY:
			if (imsg.datalen != 0)
				goto bad;
			parent_ready(c);
			break;
		case IMSG_POLICY_LOADED:
			parent_loaded(&imsg);
			break;
		default:
			goto bad;
		}
		imsg_free(&imsg);
	}
	if (rv == -1) {
		log_warnx("protocol violation: garbled message from %s child",
		    role_name(c->role));
		parent_shutdown(1);
	}
	imsgev_update(&c->iev);
	return;
 bad:
	log_warnx("protocol violation: bad message type %u from %s child",
	    imsg.hdr.type, role_name(c->role));
	imsg_free(&imsg);
	parent_shutdown(1);
}

/* A child's log record: escaped, since a child is not trusted. */
static void
parent_log(struct child *c, struct imsg *imsg)
{
	struct imsg_dec	 dec;
	char		*msg, *safe;
	uint8_t		 pri;

	imsg_dec_init(&dec, imsg);
	pri = imsg_get_u8(&dec);
	msg = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1 || pri > LOG_DEBUG) {
		free(msg);
		log_warnx("protocol violation: bad log message from %s child",
		    role_name(c->role));
		parent_shutdown(1);
	}
	if (stravis(&safe, msg, VIS_SAFE | VIS_OCTAL) == -1)
		fatal("stravis");
	if (pri == LOG_DEBUG)
		log_debug("%s: %s", role_name(c->role), safe);
	else if (pri >= LOG_INFO)
		log_info("%s: %s", role_name(c->role), safe);
	else
		log_warnx("%s: %s", role_name(c->role), safe);
	free(safe);
	free(msg);
}

static void
parent_loaded(struct imsg *imsg)
{
	struct imsg_dec	 dec;
	char		*errs, *line, *p;
	uint8_t		 ok;

	imsg_dec_init(&dec, imsg);
	ok = imsg_get_u8(&dec);
	errs = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1) {
		free(errs);
		log_warnx("protocol violation: bad loaded message");
		parent_shutdown(1);
	}
	if (!ok) {
		if (!pa.loaded)
			parent_tell(errs, strlen(errs));
		p = errs;
		while ((line = strsep(&p, "\n")) != NULL)
			if (*line != '\0')
				log_warnx("%s", line);
		free(errs);
		if (!pa.loaded)
			parent_shutdown(1);
		return;
	}
	free(errs);
	pa.loaded = 1;
	parent_ready(NULL);
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
	log_info("ready: policy, request and ui children running");
	parent_tell("R", 1);
	if (pa.readyfd != -1) {
		close(pa.readyfd);
		pa.readyfd = -1;
	}
}

/*
 * Take everything down: closing a channel ends its child; one that
 * lingers is killed.  No process of ours is left behind.
 */
static __dead void
parent_shutdown(int code)
{
	struct child	*c;
	int		 i, tries, left;

	for (i = 0; i < ROLE_MAX; i++) {
		c = &pa.children[i];
		if (c->pid > 0) {
			imsgev_clear(&c->iev);
			close(c->iev.ibuf.fd);
		}
	}
	for (tries = 0; tries < 100; tries++) {
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
	for (i = 0; i < ROLE_MAX; i++) {
		c = &pa.children[i];
		if (c->pid > 0) {
			(void)kill(c->pid, SIGKILL);
			(void)waitpid(c->pid, NULL, 0);
		}
	}
	listen_close(&pa.conf->request_listen);
	listen_close(&pa.conf->ui_listen);
	log_info("exiting");
	exit(code);
}
