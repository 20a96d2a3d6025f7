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
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "guardiand.h"
#include "log.h"

extern char	**environ;

static int	 self_exe = -1;
static struct imsgev *child_iev;

/*
 * Types each child may send.  Anything else is a protocol violation:
 * the request child in particular can never decide a request, and the
 * ui child can never make a session (IMSG_UI_SESSION): it asks the
 * parent with the login secret a browser presented.
 */
static const uint32_t policy_types[] = {
	IMSG_LOG, IMSG_READY, IMSG_POLICY_LOADED, IMSG_POLICY_VERDICT, 0
};
static const uint32_t request_types[] = {
	IMSG_LOG, IMSG_READY, IMSG_REQ_NEW, IMSG_REQ_CANCEL, 0
};
static const uint32_t ui_types[] = {
	IMSG_LOG, IMSG_READY, IMSG_UI_APPROVE, IMSG_UI_DENY, IMSG_UI_LOGIN,
	IMSG_UI_SESSION_END, 0
};

int
proc_allowed(enum role role, uint32_t type)
{
	const uint32_t	*t;

	switch (role) {
	case ROLE_POLICY:
		t = policy_types;
		break;
	case ROLE_REQUEST:
		t = request_types;
		break;
	case ROLE_UI:
		t = ui_types;
		break;
	default:
		return (0);
	}
	for (; *t != 0; t++)
		if (*t == type)
			return (1);
	return (0);
}

/* Keep a handle on our own image: children run exactly this binary. */
void
proc_init(void)
{
	int	 fd;

	if ((fd = open("/proc/self/exe", O_PATH | O_CLOEXEC)) == -1)
		fatal("open /proc/self/exe");
	/* Out of the way of the child's channel, which becomes fd 3. */
	if ((self_exe = fcntl(fd, F_DUPFD_CLOEXEC, 10)) == -1)
		fatal("fcntl");
	close(fd);
}

void
proc_setname(const char *name)
{
	setproctitle("%s", name);
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

/*
 * Start a child by re-executing ourselves, so it inherits none of the
 * parent's memory.  Its channel is fd 3; every other descriptor but
 * stderr is closed or /dev/null.
 */
pid_t
proc_exec(enum role role, int verbose, int *chan)
{
	char		*argv[10], vflag[8], uflag[32];
	int		 sp[2], argc = 0, nullfd, i;
	pid_t		 pid, ppid = getpid();

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	switch ((pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		close(sp[1]);
		if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
			fatal("fcntl");
		*chan = sp[0];
		return (pid);
	}

	/* Die with the parent, even before the channel says so. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != ppid)
		_exit(1);
	if (sp[1] == PARENT_SOCK_FILENO) {
		if (fcntl(sp[1], F_SETFD, 0) == -1)
			_exit(1);
	} else if (dup2(sp[1], PARENT_SOCK_FILENO) == -1)
		_exit(1);
	if ((nullfd = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(nullfd, STDIN_FILENO) == -1 ||
	    dup2(nullfd, STDOUT_FILENO) == -1)
		_exit(1);
	/* self_exe is close-on-exec, fexecve still works with it. */
	for (i = PARENT_SOCK_FILENO + 1; i < 1024; i++)
		if (i != self_exe)
			close(i);

	argv[argc++] = "guardiand";
	argv[argc++] = "-R";
	argv[argc++] = (char *)role_name(role);
	if (guardiand_debug)
		argv[argc++] = "-d";
	if (verbose > 0) {
		vflag[0] = '-';
		for (i = 0; i < verbose && i < 4; i++)
			vflag[i + 1] = 'v';
		vflag[i + 1] = '\0';
		argv[argc++] = vflag;
	}
	if (child_uid != 0) {
		snprintf(uflag, sizeof(uflag), "%u:%u", child_uid, child_gid);
		argv[argc++] = "-U";
		argv[argc++] = uflag;
	}
	argv[argc] = NULL;
#ifdef GUARDIAND_SANITIZE
	/* LeakSanitizer stops the world with ptrace: not in a sandbox. */
	setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
#endif
	fexecve(self_exe, argv, environ);
	dprintf(STDERR_FILENO, "guardiand: exec %s child: %s\n",
	    role_name(role), strerror(errno));
	_exit(1);
}

/*
 * A child's log records go to the parent, synchronously: a fatal()
 * must not lose its reason when the process exits right after.
 */
void
child_log_sink(int pri, const char *msg)
{
	struct imsg_enc	 enc;
	struct pollfd	 pfd;
	int		 tries = 0, rv;

	if (child_iev == NULL)
		return;
	imsg_enc_init(&enc);
	imsg_put_u8(&enc, pri);
	imsg_put_str(&enc, msg);
	if (imsg_compose_enc(&child_iev->ibuf, IMSG_LOG, 0, -1, &enc) == -1)
		return;
	while ((rv = imsg_write(&child_iev->ibuf)) == 1 && tries++ < 100) {
		pfd.fd = child_iev->ibuf.fd;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, 10);
	}
	if (rv == 0)
		imsgev_update(child_iev);
}

void
child_verbose(struct imsg *imsg)
{
	struct imsg_dec	 dec;
	uint8_t		 v;

	imsg_dec_init(&dec, imsg);
	v = imsg_get_u8(&dec);
	if (imsg_dec_end(&dec) == -1 || v > 4)
		fatalx("bad verbose message");
	log_setverbose(v);
}

/*
 * Common start of a child: the channel on fd 3, logging through the
 * parent, then the caller sandboxes itself.
 */
int
child_init(enum role role, void (*handler)(int, short, void *), void *arg,
    struct imsgev *iev)
{
	if (fcntl(PARENT_SOCK_FILENO, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl channel");
	if (imsgev_init(iev, PARENT_SOCK_FILENO, handler, arg) == -1)
		fatal("imsgev_init");
	child_iev = iev;
	log_setsink(child_log_sink);
	/*
	 * The parent alone decides when we stop (it closes the channel);
	 * a SIGTERM to the whole group must not look like a crash.
	 */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	return (0);
}
