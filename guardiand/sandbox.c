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
#include <unistd.h>

#include <linux/landlock.h>
#include <seccomp.h>
#ifdef GUARDIAND_SANITIZE
#include <sanitizer/common_interface_defs.h>
#endif

#include "log.h"
#include "sandbox.h"

/*
 * Debian 12's kernel headers predate Landlock's network and scope
 * rules; the kernel may well have them.  The values are ABI.
 */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER		(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV		(1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP		(1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP		(1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL			(1ULL << 1)
#endif

/* The ruleset attribute as of ABI 6; older kernels get a prefix. */
struct ll_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

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

/* What every child needs: its channel, memory, time, the event loop. */
static const int base_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(close),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll), SCMP_SYS(ppoll),	/* flushing a fatal log */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(getpid),			/* log records */
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* The network children: HTTP on sockets the parent bound for them. */
static const int net_syscalls[] = {
	SCMP_SYS(accept), SCMP_SYS(accept4),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(shutdown),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(getsockopt),
	SCMP_SYS(getrandom),			/* session and CSRF tokens */
};

#ifdef GUARDIAND_SANITIZE
/* ASan and UBSan runtimes, in the sanitizer build only. */
static const int sanitizer_syscalls[] = {
	SCMP_SYS(sigaltstack), SCMP_SYS(gettid), SCMP_SYS(sched_yield),
	SCMP_SYS(futex), SCMP_SYS(rt_sigaction), SCMP_SYS(prctl),
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

static void
sandbox_seccomp(enum role role)
{
	scmp_filter_ctx	 ctx;
#ifdef GUARDIAND_SANITIZE
	size_t		 i;
#endif

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("seccomp_init");
	allow(ctx, base_syscalls, sizeof(base_syscalls) /
	    sizeof(base_syscalls[0]));
	/* Memory, but never executable: no code appears after start. */
	allow1(ctx, SCMP_SYS(mmap), SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	allow1(ctx, SCMP_SYS(mprotect),
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (role == ROLE_REQUEST || role == ROLE_UI) {
		allow(ctx, net_syscalls, sizeof(net_syscalls) /
		    sizeof(net_syscalls[0]));
		/* evutil_make_socket_nonblocking on accepted sockets */
		allow1(ctx, SCMP_SYS(fcntl), SCMP_A1(SCMP_CMP_EQ, F_GETFL));
		allow1(ctx, SCMP_SYS(fcntl), SCMP_A1(SCMP_CMP_EQ, F_SETFL));
		allow1(ctx, SCMP_SYS(fcntl), SCMP_A1(SCMP_CMP_EQ, F_GETFD));
		allow1(ctx, SCMP_SYS(fcntl), SCMP_A1(SCMP_CMP_EQ, F_SETFD));
		/* evbuffer_read sizes its reads with FIONREAD */
		allow1(ctx, SCMP_SYS(ioctl), SCMP_A1(SCMP_CMP_EQ, FIONREAD));
		/* TCP_NODELAY and keepalive on accepted connections */
		allow1(ctx, SCMP_SYS(setsockopt),
		    SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET));
		allow1(ctx, SCMP_SYS(setsockopt),
		    SCMP_A1(SCMP_CMP_EQ, IPPROTO_TCP));
	}
#ifdef GUARDIAND_SANITIZE
	allow(ctx, sanitizer_syscalls, sizeof(sanitizer_syscalls) /
	    sizeof(sanitizer_syscalls[0]));
	for (i = 0; i < sizeof(sanitizer_refused) /
	    sizeof(sanitizer_refused[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    sanitizer_refused[i], 0) < 0)
			fatalx("seccomp_rule_add %d", sanitizer_refused[i]);
	/* Whether stderr is a terminal, for colours. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, TCGETS)) < 0)
		fatalx("seccomp_rule_add ioctl");
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

/* Started as root with guardian.user: an empty root, that user. */
static void
sandbox_drop(void)
{
	const char	*dir;
	gid_t		 gid = child_gid;

	if (child_uid == 0)
		return;
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
