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
 * The parent before its event loop: who the children run as, the
 * listeners bound, the control socket kept apart from every way in,
 * and the daemon detached from the shell that started it.
 */

#include <sys/types.h>

#include <err.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "guardiand.h"
#include "log.h"
#include "paths.h"
#include "sandbox.h"

/* Who the children run as when started as root without guardian.user. */
#define CHILD_USER_DEFAULT	"nobody"

static void	 resolve_user(struct config *);
static void	 listen_default_unix(struct config *);
static void	 control_apart(struct config *);
static int	 daemonize(void);

/*
 * Everything a start needs before the parent's loop, in order: exits
 * with a message on the starting terminal if any of it fails.  The
 * descriptor to say "ready" on once the children run, or -1 (-d).
 */
int
parent_start(struct config *conf)
{
	char	 errbuf[512];

	if (geteuid() == 0)
		resolve_user(conf);
	else if (conf->user != NULL)
		log_debug("not root: guardian.user %s ignored", conf->user);
	if (conf->request_listen_default)
		listen_default_unix(conf);
	control_apart(conf);
	if (listen_all(&conf->request_listen, 0, errbuf,
	    sizeof(errbuf)) == -1)
		errx(1, "request listener: %s", errbuf);
	if (listen_all(&conf->ui_listen, !conf->ui_allow_remote,
	    errbuf, sizeof(errbuf)) == -1) {
		listen_close(&conf->request_listen);
		errx(1, "ui listener: %s", errbuf);
	}
	return (guardiand_debug ? -1 : daemonize());
}

/*
 * Started as root, the children chroot to an empty directory and run
 * as guardian.user, or as nobody: never as root, and never silently.
 */
static void
resolve_user(struct config *conf)
{
	struct passwd	*pw;
	const char	*user, *dir;

	user = conf->user != NULL ? conf->user : CHILD_USER_DEFAULT;
	if ((pw = getpwnam(user)) == NULL) {
		if (conf->user != NULL)
			errx(1, "guardian.user: no user %s", user);
		errx(1, "started as root, the children need an unprivileged "
		    "user: there is no user %s, set guardian.user", user);
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		errx(1, "%s%s has uid %u, gid %u: the children never run "
		    "as root", conf->user != NULL ? "guardian.user: " : "",
		    user, (unsigned int)pw->pw_uid, (unsigned int)pw->pw_gid);
	child_uid = pw->pw_uid;
	child_gid = pw->pw_gid;
	if ((dir = sandbox_emptydir(1)) == NULL)
		err(1, "cannot prepare an empty directory to chroot to");
	log_info("children run as %s (uid %u, gid %u) in a chroot to %s",
	    user, child_uid, child_gid, dir);
}

/*
 * Without request.listen, containers may also come in through
 * $XDG_RUNTIME_DIR/guardiand/request.sock: a directory that can be
 * bind-mounted into them.
 */
static void
listen_default_unix(struct config *conf)
{
	struct listen_addr	*la;
	const char		*errstr;
	char			*path, *spec;

	if ((path = runtime_path(RUNDIR_REQUEST, REQUEST_SOCK, 1)) == NULL) {
		log_warn("no runtime directory for the request socket");
		return;
	}
	if (asprintf(&spec, "unix:%s", path) == -1)
		fatal(NULL);
	if ((la = listen_addr_parse(spec, &errstr)) == NULL)
		fatalx("%s: %s", spec, errstr);
	TAILQ_INSERT_TAIL(&conf->request_listen, la, entry);
	free(spec);
	free(path);
}

/* The control socket, as -s, guardian.control or the default set it. */
char *
control_where(struct config *conf, int peek)
{
	char	*ctl;

	if (conf->control_path != NULL)
		ctl = strdup(conf->control_path);
	else if (peek)
		ctl = runtime_path_peek(RUNDIR_CONTROL, CONTROL_SOCK);
	else
		return (runtime_path(RUNDIR_CONTROL, CONTROL_SOCK, 0));
	if (ctl == NULL)
		err(1, NULL);
	return (ctl);
}

/*
 * The control socket must not share a directory with a request socket,
 * nor sit under one: a container that mounts the directory of its way
 * in must not find the way to approve.
 */
static void
control_apart(struct config *conf)
{
	char	*ctl, errbuf[1024];

	if ((ctl = control_where(conf, 0)) == NULL)
		return;		/* parent_main says why */
	if (listen_apart(ctl, &conf->request_listen, errbuf,
	    sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	free(ctl);
}

/*
 * Detach, but stay attached to the starting shell until the children
 * run and the policy is loaded, so a bad pattern is reported there
 * with a non-zero exit instead of only in syslog.
 */
static int
daemonize(void)
{
	char	 buf[4096];
	ssize_t	 n;
	int	 fds[2], nullfd;
	pid_t	 pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		fatal("pipe");
	switch ((pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		close(fds[1]);
		/* 'R' when up; otherwise the reasons it is not. */
		if ((n = read(fds[0], buf, sizeof(buf))) == 1 && buf[0] == 'R')
			_exit(0);
		if (n <= 0)
			fprintf(stderr, "guardiand: failed to start, "
			    "see the log\n");
		while (n > 0 && write(STDERR_FILENO, buf, n) == n)
			n = read(fds[0], buf, sizeof(buf));
		_exit(1);
	}
	close(fds[0]);
	if (setsid() == -1)
		fatal("setsid");
	if ((nullfd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	(void)dup2(nullfd, STDIN_FILENO);
	(void)dup2(nullfd, STDOUT_FILENO);
	(void)dup2(nullfd, STDERR_FILENO);
	if (nullfd > STDERR_FILENO)
		close(nullfd);
	if (chdir("/") == -1)
		fatal("chdir /");
	return (fds[1]);
}
