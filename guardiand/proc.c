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

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event.h>

#include "config.h"
#include "guardiand.h"
#include "log.h"

/* Variables a child's environment may hold, at most. */
#define CHILD_ENV_MAX		32

extern char	**environ;

unsigned int	 child_uid, child_gid;	/* 0: not root, stay as we are */
int		 guardiand_debug;
int		 guardiand_verbose;

static const char *const role_names[ROLE_MAX] = {
	[ROLE_PARENT] = "parent",
	[ROLE_POLICY] = "policy",
	[ROLE_REQUEST] = "request",
	[ROLE_UI] = "ui",
	[ROLE_SPAWNER] = "spawner"
};

static int		 self_exe = -1;
static struct imsgbuf	 early_ibuf;	/* the channel before child_init */
static struct imsgbuf	*child_ibuf;	/* where log records go */
static struct imsgev	*child_iev;	/* the channel, once evented */

static void	 child_log_channel(void);
static size_t	 child_env(char **, size_t);

const char *
role_name(enum role role)
{
	if (role < 0 || role >= ROLE_MAX)
		return ("unknown");
	return (role_names[role]);
}

/* A child's role by the name -R gives it; ROLE_PARENT if none. */
enum role
role_by_name(const char *name)
{
	int	 i;

	for (i = ROLE_POLICY; i < ROLE_MAX; i++)
		if (strcmp(name, role_names[i]) == 0)
			return (i);
	return (ROLE_PARENT);
}

/*
 * A re-executed child (-R): nothing of the parent but fd 3, an
 * environment the parent chose, /dev/null for stdio.  Its log goes to
 * the parent; then its role's main, which does not return.
 */
__dead void
child_main(enum role role)
{
	log_init(1, LOG_DAEMON);
	log_setverbose(guardiand_verbose + 1);
	log_procinit(role_name(role));
	child_start(role);
	proc_setname(role_name(role));
	switch (role) {
	case ROLE_POLICY:
		policy_main();
	case ROLE_SPAWNER:
		spawner_main();
	case ROLE_REQUEST:
	case ROLE_UI:
		netchild_main(role);
	default:
		fatalx("no such role %d", role);
	}
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

#ifdef GUARDIAND_SANITIZE
/* The parent's entry NAME=value, as it stands in environ, or NULL. */
static char *
env_entry(const char *name)
{
	char	**e;
	size_t	  len = strlen(name);

	for (e = environ; *e != NULL; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return (*e);
	return (NULL);
}
#endif

/*
 * A child's whole environment, chosen here and nowhere else: the
 * parent's may hold secrets (tokens exported to the daemon) that a
 * compromised child must not find in its memory.  The installed
 * daemon passes nothing; the test build its GUARDIAND_TEST_* hooks;
 * the sanitizer build what its runtime needs.
 */
static size_t
child_env(char **envp, size_t max)
{
	size_t	 n = 0;
#ifdef GUARDIAND_SANITIZE
	char	*dir;

	/* LeakSanitizer stops the world with ptrace: not in a sandbox. */
	envp[n++] = "ASAN_OPTIONS=detect_leaks=0";
	if ((dir = env_entry(SANITIZER_DIR_ENV)) != NULL)
		envp[n++] = dir;
#endif
	n = testhook_env(envp, n, max - 1);
	envp[n] = NULL;
	return (n);
}

/*
 * Start a child by re-executing ourselves, so it inherits none of the
 * parent's memory.  Its channel is fd 3, stdin, stdout and stderr are
 * /dev/null, everything else is closed: whatever a child has to say
 * goes over its channel, where the parent escapes it.
 */
pid_t
proc_exec(enum role role, int verbose, int *chan)
{
	char		*argv[10], *envp[CHILD_ENV_MAX], vflag[8], uflag[32];
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
	    dup2(nullfd, STDOUT_FILENO) == -1 ||
	    dup2(nullfd, STDERR_FILENO) == -1)
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
	/* The spawner runs commands as the host user: it keeps its uid. */
	if (child_uid != 0 && role != ROLE_SPAWNER) {
		snprintf(uflag, sizeof(uflag), "%u:%u", child_uid, child_gid);
		argv[argc++] = "-U";
		argv[argc++] = uflag;
	}
	argv[argc] = NULL;
	child_env(envp, CHILD_ENV_MAX);
	fexecve(self_exe, argv, envp);
	/* The parent logs this, then that we exited. */
	child_log_channel();
	log_warn("exec %s child", role_name(role));
	_exit(1);
}

/* libevent's own messages travel like ours. */
static void
child_event_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

/*
 * From its first moment a child logs over its channel, synchronously
 * (the event loop does not run yet): stderr is /dev/null.
 */
static void
child_log_channel(void)
{
	if (imsgbuf_init(&early_ibuf, PARENT_SOCK_FILENO) == -1)
		_exit(1);
	child_ibuf = &early_ibuf;
	log_setsink(child_log_sink);
	event_set_log_callback(child_event_log);
}

#ifdef GUARDIAND_SANITIZE
/*
 * Sanitizer build: this child's stderr, where the sanitizers report,
 * is a file of its own, ROLE.PID.log in the directory
 * $GUARDIAND_SANITIZER_DIR names.  It is opened now: the sandbox
 * forbids open(2), and the chroot and the drop to an unprivileged user
 * come before it.  Not __sanitizer_set_report_fd(): GCC links UBSan
 * as a runtime of its own that starts at its first report and sets
 * its reports back to stderr, closing that descriptor.
 */
static void
child_sanitizer_log(enum role role)
{
	char		 path[PATH_MAX];
	const char	*dir;
	int		 fd, n;

	if ((dir = getenv(SANITIZER_DIR_ENV)) == NULL) {
		log_warnx("%s is not set: sanitizer reports are lost",
		    SANITIZER_DIR_ENV);
		return;
	}
	n = snprintf(path, sizeof(path), "%s/%s.%d.log", dir,
	    role_name(role), (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_warnx("%s: path too long", SANITIZER_DIR_ENV);
		return;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("sanitizer log %s", path);
		return;
	}
	if (dup2(fd, STDERR_FILENO) == -1)
		log_warn("sanitizer log: dup2");
	close(fd);
}
#endif

/* The first thing a re-executed child does. */
void
child_start(enum role role)
{
	child_log_channel();
#ifdef GUARDIAND_SANITIZE
	child_sanitizer_log(role);
#endif
	testhook_start(role);
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

	if (child_ibuf == NULL)
		return;
	imsg_enc_init(&enc);
	imsg_put_u8(&enc, pri);
	imsg_put_str(&enc, msg);
	if (imsg_compose_enc(child_ibuf, IMSG_LOG, 0, -1, &enc) == -1)
		return;
	while ((rv = imsg_write(child_ibuf)) == 1 && tries++ < 100) {
		pfd.fd = child_ibuf->fd;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, 10);
	}
	if (rv != -1 && child_iev != NULL)
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
 * The answer to the parent's ping, the same for every role: the seq
 * back.  It is queued behind what the child already said, so a child
 * that answers has handled everything the parent sent before.
 */
void
child_pong(struct imsgev *iev, struct imsg *imsg)
{
	struct imsg_dec	 dec;
	struct imsg_enc	 enc;
	uint32_t	 seq;

	imsg_dec_init(&dec, imsg);
	seq = imsg_get_u32(&dec);
	if (imsg_dec_end(&dec) == -1)
		fatalx("bad ping message");
	imsg_enc_init(&enc);
	imsg_put_u32(&enc, seq);
	if (imsgev_compose_enc(iev, IMSG_PONG, 0, -1, &enc) == -1)
		fatal("compose");
}

/*
 * Common start of a child's event loop: the channel on fd 3 as an
 * event, then the caller sandboxes itself.
 */
int
child_init(enum role role, void (*handler)(int, short, void *), void *arg,
    struct imsgev *iev)
{
	if (fcntl(PARENT_SOCK_FILENO, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl channel");
	if (imsgev_init(iev, PARENT_SOCK_FILENO, handler, arg) == -1)
		fatal("imsgev_init");
	/* What was logged so far is written: one buffer from now on. */
	if (child_ibuf == &early_ibuf)
		imsgbuf_clear(&early_ibuf);
	child_ibuf = &iev->ibuf;
	child_iev = iev;
	log_debug("event backend: %s",
	    event_base_get_method(event_get_base(&iev->ev)));
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
