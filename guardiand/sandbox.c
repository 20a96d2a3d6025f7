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

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/landlock.h>
#include <seccomp.h>
#ifdef GUARDIAND_SANITIZE
#include <sanitizer/common_interface_defs.h>
#endif

#include "landlock.h"
#include "log.h"
#include "sandbox.h"


int
sandbox_landlock_abi(void)
{
	long	 abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return (abi < 0 ? 0 : (int)abi);
}

/* Handle every right the kernel knows and grant none. */
static void
sandbox_landlock(void)
{
	struct ll_attr	 attr = { 0 };
	size_t		 size;
	int		 abi, fd;

	if ((abi = sandbox_landlock_abi()) == 0) {
		log_debug("landlock not available, relying on seccomp");
		return;
	}
	attr.handled_access_fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	size = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
		    LANDLOCK_ACCESS_NET_CONNECT_TCP;
		size = offsetof(struct ll_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
		    LANDLOCK_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	fd = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd == -1)
		fatal("landlock_create_ruleset");
	if (syscall(SYS_landlock_restrict_self, fd, 0) == -1)
		fatal("landlock_restrict_self");
	close(fd);
}

static void
sandbox_rlimits(void)
{
	struct rlimit	 rl = { 0, 0 };
#ifdef GUARDIAND_SANITIZE
	/*
	 * The sanitizers write their reports to a file opened before the
	 * sandbox, and a zero file size limit refuses every write to a
	 * regular file.  That build is never installed.
	 */
	struct rlimit	 fsize = { SANITIZER_FSIZE, SANITIZER_FSIZE };
#else
	struct rlimit	 fsize = { 0, 0 };
#endif

	if (setrlimit(RLIMIT_NPROC, &rl) == -1)
		fatal("setrlimit NPROC");
	if (setrlimit(RLIMIT_FSIZE, &fsize) == -1)
		fatal("setrlimit FSIZE");
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit CORE");
}

/*
 * The seccomp allowlists.  Each rule says why its role needs the call;
 * anything else kills the process.  Calls a role makes only on its
 * channel, or only in one way, are checked down to their arguments.
 * No child passes descriptors, so none may sendmsg(2): imsg_write()
 * uses writev(2) when a message carries no fd.
 */

/* Every child, any arguments. */
static const int base_syscalls[] = {
	SCMP_SYS(epoll_wait),		/* the event loop */
	SCMP_SYS(epoll_pwait),		/* the same on arm64 */
	SCMP_SYS(epoll_ctl),		/* the event loop: what to watch */
	SCMP_SYS(poll),			/* child_log_sink(): room to write */
	SCMP_SYS(ppoll),		/* the same on arm64 */
	SCMP_SYS(restart_syscall),	/* that poll after a SIGSTOP */
	SCMP_SYS(clock_gettime),	/* libevent's clock, without vDSO */
	SCMP_SYS(gettimeofday),		/* libevent's wall clock, likewise */
	SCMP_SYS(brk),			/* malloc(3) */
	SCMP_SYS(munmap),		/* free(3) of a block of its own */
	SCMP_SYS(mremap),		/* realloc(3) of one (big output) */
	SCMP_SYS(exit_group),		/* exit(3) */
};

/* Both network children, any arguments. */
static const int net_syscalls[] = {
	SCMP_SYS(readv),		/* evbuffer_read(): from clients */
	SCMP_SYS(writev),		/* to clients, to the parent */
	SCMP_SYS(close),		/* connections, passed fds */
	SCMP_SYS(getsockname),		/* a connection's listener */
	SCMP_SYS(getpid),		/* arc4random(3) checks for a fork */
	SCMP_SYS(time),			/* HTTP Date header, without vDSO */
};

/* The request child, any arguments. */
static const int request_syscalls[] = {
	SCMP_SYS(read),			/* command output, from its pipes */
};

#ifdef GUARDIAND_SANITIZE
/*
 * ASan and UBSan runtimes, in the sanitizer build only: their
 * allocator and signal stacks, and locking.  (A report from a child
 * still dies on reading /proc/self/exe, which nothing here may do.)
 */
static const int sanitizer_syscalls[] = {
	SCMP_SYS(sigaltstack), SCMP_SYS(gettid), SCMP_SYS(sched_yield),
	SCMP_SYS(futex), SCMP_SYS(rt_sigaction), SCMP_SYS(prctl),
	SCMP_SYS(madvise),
};
/* Writing a report: stderr only; a role may already allow some. */
static const int sanitizer_report[] = {
	SCMP_SYS(write), SCMP_SYS(getpid),
};

/*
 * What the runtimes try while reporting (UBSan starts only at its
 * first report): the binary's name, /proc/self/cmdline and environ
 * through the raw open(2), a pipe to probe memory.  Refused rather
 * than fatal, so that the report gets written; our own code opens
 * with openat(2), which still kills.
 */
static const int sanitizer_refused[] = {
	SCMP_SYS(open), SCMP_SYS(readlink), SCMP_SYS(pipe), SCMP_SYS(pipe2),
};
#endif

static void
allow(scmp_filter_ctx ctx, const int *nr, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr[i], 0) < 0)
			fatalx("seccomp_rule_add %d", nr[i]);
}

static void
allow1(scmp_filter_ctx ctx, int nr, struct scmp_arg_cmp cmp)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp) < 0)
		fatalx("seccomp_rule_add %d", nr);
}

/* Both comparisons must hold. */
static void
allow2(scmp_filter_ctx ctx, int nr, struct scmp_arg_cmp a,
    struct scmp_arg_cmp b)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 2, a, b) < 0)
		fatalx("seccomp_rule_add %d", nr);
}

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void
seccomp_base(scmp_filter_ctx ctx)
{
	allow(ctx, base_syscalls, NITEMS(base_syscalls));
	/* Messages from the parent, and the fds it passes: channel only. */
	allow1(ctx, SCMP_SYS(recvmsg),
	    SCMP_A0(SCMP_CMP_EQ, PARENT_SOCK_FILENO));
	/* malloc(3) of a large block: memory, never executable. */
	allow2(ctx, SCMP_SYS(mmap),
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
	    SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS));
}

/* It answers its channel and nothing else. */
static void
seccomp_policy(scmp_filter_ctx ctx)
{
	/* imsg_write() to the parent. */
	allow1(ctx, SCMP_SYS(writev),
	    SCMP_A0(SCMP_CMP_EQ, PARENT_SOCK_FILENO));
	/* The C library's last words (heap corruption) on stderr. */
	allow1(ctx, SCMP_SYS(writev), SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO));
}

static void
seccomp_net(scmp_filter_ctx ctx)
{
	allow(ctx, net_syscalls, NITEMS(net_syscalls));
	/* evconnlistener: new connections, non-blocking, close-on-exec. */
	allow1(ctx, SCMP_SYS(accept4),
	    SCMP_A3(SCMP_CMP_EQ, SOCK_NONBLOCK | SOCK_CLOEXEC));
	/* evbuffer_read() sizes its reads; so does the request child's. */
	allow1(ctx, SCMP_SYS(ioctl), SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	/* evhttp (and request.c) close a connection's sending side. */
	allow1(ctx, SCMP_SYS(shutdown), SCMP_A1(SCMP_CMP_EQ, SHUT_WR));
}

static void
seccomp_request(scmp_filter_ctx ctx)
{
	allow(ctx, request_syscalls, NITEMS(request_syscalls));
	/* Those pipes made non-blocking (rq_pipe()). */
	allow1(ctx, SCMP_SYS(fcntl), SCMP_A1(SCMP_CMP_EQ, F_GETFL));
	allow1(ctx, SCMP_SYS(fcntl), SCMP_A1(SCMP_CMP_EQ, F_SETFL));
	/* The uid of a unix-socket client: its connections are counted by it. */
	allow2(ctx, SCMP_SYS(getsockopt), SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
	    SCMP_A2(SCMP_CMP_EQ, SO_PEERCRED));
	/* send(2) of a refusal to a connection over the limit; no address. */
	allow1(ctx, SCMP_SYS(sendto), SCMP_A4(SCMP_CMP_EQ, 0));
	/*
	 * Command output moved from its pipe to the client's socket in the
	 * kernel (stream_splice()); no offsets: pipe to socket only.
	 */
	allow2(ctx, SCMP_SYS(splice), SCMP_A1(SCMP_CMP_EQ, 0),
	    SCMP_A3(SCMP_CMP_EQ, 0));
}

static void
seccomp_ui(scmp_filter_ctx ctx)
{
	/* arc4random(3) rekeying, after a while of session tokens. */
	allow1(ctx, SCMP_SYS(getrandom), SCMP_A2(SCMP_CMP_EQ, GRND_NONBLOCK));
}

static void
sandbox_seccomp(enum role role)
{
	scmp_filter_ctx	 ctx;
#ifdef GUARDIAND_SANITIZE
	size_t		 i;
	int		 rc;
#endif

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("seccomp_init");
	seccomp_base(ctx);
	switch (role) {
	case ROLE_POLICY:
		seccomp_policy(ctx);
		break;
	case ROLE_REQUEST:
		seccomp_net(ctx);
		seccomp_request(ctx);
		break;
	case ROLE_UI:
		seccomp_net(ctx);
		seccomp_ui(ctx);
		break;
	default:
		fatalx("no sandbox for role %d", role);
	}
#ifdef GUARDIAND_SANITIZE
	allow(ctx, sanitizer_syscalls, NITEMS(sanitizer_syscalls));
	for (i = 0; i < sizeof(sanitizer_refused) /
	    sizeof(sanitizer_refused[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    sanitizer_refused[i], 0) < 0)
			fatalx("seccomp_rule_add %d", sanitizer_refused[i]);
	/* Whether stderr is a terminal, for colours. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, TCGETS)) < 0)
		fatalx("seccomp_rule_add ioctl");
	/*
	 * The report itself, written to stderr (the child's own report
	 * file here), naming the process: some roles allow neither.
	 */
	for (i = 0; i < NITEMS(sanitizer_report); i++) {
		rc = sanitizer_report[i] == SCMP_SYS(write) ?
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
		    SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO)) :
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_report[i],
		    0);
		if (rc < 0 && rc != -EEXIST)
			fatalx("seccomp_rule_add %d", sanitizer_report[i]);
	}
#endif
	if (seccomp_load(ctx) < 0)
		fatalx("seccomp_load");
	seccomp_release(ctx);
}

#define EMPTY_SYSTEM	"/var/empty"
#define EMPTY_OURS	"/run/guardiand-empty"

/* Root's, and nobody may write or have planted anything in it. */
static int
emptydir_ok(const char *dir)
{
	struct stat	 st;

	return (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == 0 && (st.st_mode & 022) == 0 && st.st_nlink == 2);
}

const char *
sandbox_emptydir(int create)
{
	if (emptydir_ok(EMPTY_SYSTEM))
		return (EMPTY_SYSTEM);
	if (create && mkdir(EMPTY_OURS, 0755) == -1 && errno != EEXIST)
		return (NULL);
	if (emptydir_ok(EMPTY_OURS))
		return (EMPTY_OURS);
	errno = EPERM;
	return (NULL);
}

/*
 * Started as root (the parent then says as whom): an empty root, that
 * user.  A child never stays root.
 */
static void
sandbox_drop(void)
{
	const char	*dir;
	gid_t		 gid = child_gid;

	if (child_uid == 0) {
		if (getuid() == 0 || geteuid() == 0)
			fatalx("started as root with no user to run as");
		return;
	}
	if ((dir = sandbox_emptydir(0)) == NULL)
		fatal("no empty directory to chroot to");
	if (chroot(dir) == -1 || chdir("/") == -1)
		fatal("chroot %s", dir);
	if (setgroups(1, &gid) == -1 ||
	    setresgid(child_gid, child_gid, child_gid) == -1 ||
	    setresuid(child_uid, child_uid, child_uid) == -1)
		fatal("cannot drop privileges");
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("could regain root after dropping privileges");
}

/*
 * No capability survives, whoever we run as: setuid(2) away from root
 * clears them unless securebits say otherwise, and a user's daemon may
 * have been given some (ambient ones follow the permitted set).
 */
static void
sandbox_nocaps(void)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[_LINUX_CAPABILITY_U32S_3];
	size_t				 i;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == -1)
		fatal("capset");
	if (syscall(SYS_capget, &hdr, data) == -1)
		fatal("capget");
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective != 0 || data[i].permitted != 0 ||
		    data[i].inheritable != 0)
			fatalx("capabilities left after dropping them");
}

void
sandbox_enter(enum role role)
{
#ifdef GUARDIAND_SANITIZE
	char	 frame[256];

	/*
	 * Let the runtimes read what their reports need while they may:
	 * our mappings, and every module's symbols (the first symbolized
	 * address loads them all).
	 */
	__sanitizer_sandbox_on_notify(NULL);
	__sanitizer_symbolize_pc(__builtin_return_address(0), "%p %F %L",
	    frame, sizeof(frame));
#endif
	sandbox_drop();
	sandbox_nocaps();
	/* A file-size limit must fail a write, not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl NO_NEW_PRIVS");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl DUMPABLE");
	sandbox_rlimits();
	sandbox_landlock();
	sandbox_seccomp(role);
}
