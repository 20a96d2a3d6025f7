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
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/landlock.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>

#include "confine.h"
#include "landlock.h"
#include "sandbox.h"

#if defined(__x86_64__)
#define CONFINE_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CONFINE_ARCH	AUDIT_ARCH_AARCH64
#else
#error "confine.c: no seccomp architecture for this machine"
#endif

#define FS_RO		(LANDLOCK_ACCESS_FS_EXECUTE | \
			 LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_READ		(LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_READ_DIR)
/* What a rule on a file, not a directory, may grant. */
#define FS_FILE		(LANDLOCK_ACCESS_FS_EXECUTE | \
			 LANDLOCK_ACCESS_FS_WRITE_FILE | \
			 LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_TRUNCATE | \
			 LANDLOCK_ACCESS_FS_IOCTL_DEV)
/* Devices: written and truncated (`> /dev/null` opens with O_TRUNC). */
#define FS_DEV_RW	(LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_WRITE_FILE | \
			 LANDLOCK_ACCESS_FS_TRUNCATE | \
			 LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define FS_DEV_RO	(LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_IOCTL_DEV)

/*
 * The system, readable and executable: programs, libraries and their
 * configuration, world-readable all.  /proc, because programs read
 * their own entries (/proc/self/exe, fd, maps); another process's
 * private entries (environ, mem, fd) stay closed, since Landlock
 * refuses ptrace access to processes outside the domain.  /sys, which
 * libc reads for the number of processors.  Not /tmp, /run, /var,
 * /home, /root, /mnt, /media, /srv: other users' and services' files,
 * and the user's, live there, with their sockets.
 */
static const char *const system_dirs[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	"/etc", "/opt", "/proc", "/sys", NULL
};

static const struct {
	const char	*path;
	uint64_t	 access;
} devices[] = {
	{ "/dev/null", FS_DEV_RW },
	{ "/dev/zero", FS_DEV_RO },
	{ "/dev/full", FS_DEV_RW },
	{ "/dev/random", FS_DEV_RO },
	{ "/dev/urandom", FS_DEV_RO },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static int
ll_create(const struct ll_attr *attr, size_t size)
{
	return (syscall(SYS_landlock_create_ruleset, attr, size, 0));
}

/* Every filesystem right this ABI knows: all handled, none granted. */
static uint64_t
fs_handled(int abi)
{
	uint64_t	 fs;

	fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return (fs);
}

/* path (or what its links lead to) grants access; ENOENT is no error. */
static int
ll_path(struct confine *c, const char *path, uint64_t access,
    char *err, size_t errlen)
{
	struct landlock_path_beneath_attr	 pb;
	struct stat				 st;
	int					 fd, rv;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		(void)snprintf(err, errlen, "confinement: %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		(void)snprintf(err, errlen, "confinement: %s: %s", path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	access &= fs_handled(c->abi);
	if (!S_ISDIR(st.st_mode))
		access &= FS_FILE;
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = access;
	pb.parent_fd = fd;
	rv = syscall(SYS_landlock_add_rule, c->ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	if (rv == -1) {
		(void)snprintf(err, errlen, "confinement: landlock rule for "
		    "%s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/* dir is path or holds it. */
static int
beneath(const char *path, const char *dir)
{
	size_t	 n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return (1);
	return (strncmp(path, dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/'));
}

/*
 * The user's home directories, resolved: $HOME, and the password
 * entry's; "" where there is none.  Found once: neither changes while
 * the daemon runs, and the password entry may be a network service.
 */
static void
home_dirs(char home[2][PATH_MAX])
{
	static char	 cache[2][PATH_MAX];
	static int	 done;
	struct passwd	*pw;
	const char	*h[2];
	int		 i;

	if (!done) {
		h[0] = getenv("HOME");
		h[1] = (pw = getpwuid(getuid())) != NULL ? pw->pw_dir : NULL;
		for (i = 0; i < 2; i++)
			if (h[i] == NULL || h[i][0] != '/' ||
			    realpath(h[i], cache[i]) == NULL ||
			    strcmp(cache[i], "/") == 0)
				cache[i][0] = '\0';
		done = 1;
	}
	memcpy(home, cache, sizeof(cache));
}

/* path is, or holds, one of the home directories. */
static const char *
holds_home(const char *path, char home[2][PATH_MAX])
{
	char	 buf[PATH_MAX];
	int	 i;

	if (realpath(path, buf) == NULL)
		return (NULL);
	for (i = 0; i < 2; i++)
		if (home[i][0] != '\0' && beneath(home[i], buf))
			return (home[i]);
	return (NULL);
}

/*
 * A path granted read-write must not hold the home directory: that
 * would hand the command all of it.
 */
static int
check_not_home(const char *path, char home[2][PATH_MAX], const char *what,
    char *err, size_t errlen)
{
	const char	*h;

	if ((h = holds_home(path, home)) == NULL)
		return (0);
	(void)snprintf(err, errlen, "confinement: the %s %s holds the home "
	    "directory %s: confined, the command would reach all of it",
	    what, path, h);
	return (-1);
}

static int
ll_system(struct confine *c, char home[2][PATH_MAX], char *err,
    size_t errlen)
{
	size_t	 i;

	for (i = 0; system_dirs[i] != NULL; i++) {
		/* A home below /opt or /usr stays closed all the same. */
		if (holds_home(system_dirs[i], home) != NULL)
			continue;
		if (ll_path(c, system_dirs[i], FS_RO, err, errlen) == -1)
			return (-1);
	}
	for (i = 0; i < NITEMS(devices); i++)
		if (ll_path(c, devices[i].path, devices[i].access, err,
		    errlen) == -1)
			return (-1);
	return (0);
}

static int
ll_ruleset(struct confine *c, const struct confine_profile *p,
    const char *worktree, char *err, size_t errlen)
{
	struct ll_attr	 attr = { 0 };
	struct strent	*se;
	char		 home[2][PATH_MAX];
	size_t		 size;
	uint64_t	 all;

	attr.handled_access_fs = all = fs_handled(c->abi);
	size = sizeof(attr.handled_access_fs);
	if (c->abi >= 4) {
		if (!p->network)
			attr.handled_access_net =
			    LANDLOCK_ACCESS_NET_BIND_TCP |
			    LANDLOCK_ACCESS_NET_CONNECT_TCP;
		size = offsetof(struct ll_attr, scoped);
	}
	if (c->abi >= 6) {
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
		    LANDLOCK_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	if ((c->ruleset = ll_create(&attr, size)) == -1) {
		(void)snprintf(err, errlen, "confinement: "
		    "landlock_create_ruleset: %s", strerror(errno));
		return (-1);
	}
	home_dirs(home);
	if (check_not_home(worktree, home, "worktree", err, errlen) == -1)
		return (-1);
	TAILQ_FOREACH(se, &p->write, entry)
		if (check_not_home(se->s, home, "read-write path", err,
		    errlen) == -1)
			return (-1);
	if (ll_system(c, home, err, errlen) == -1)
		return (-1);
	if (access(worktree, F_OK) == -1) {
		(void)snprintf(err, errlen, "confinement: worktree %s: %s",
		    worktree, strerror(errno));
		return (-1);
	}
	if (ll_path(c, worktree, all, err, errlen) == -1 ||
	    ll_path(c, c->tmpdir, all, err, errlen) == -1)
		return (-1);
	TAILQ_FOREACH(se, &p->read, entry)
		if (ll_path(c, se->s, FS_READ, err, errlen) == -1)
			return (-1);
	TAILQ_FOREACH(se, &p->write, entry)
		if (ll_path(c, se->s, all, err, errlen) == -1)
			return (-1);
	/* The resolver's file, often a link into /run. */
	if (p->network &&
	    ll_path(c, "/etc/resolv.conf", FS_READ, err, errlen) == -1)
		return (-1);
	return (0);
}

/*
 * The seccomp filter, classic BPF written out: it must be ready before
 * fork, with nothing left to allocate or compile in the child.
 */

#define ARG_LO(n)	(offsetof(struct seccomp_data, args[n]) + \
			    (__BYTE_ORDER == __LITTLE_ENDIAN ? 0 : 4))
#define RET_ERRNO(e)	(SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define SOCK_FLAGS	(SOCK_NONBLOCK | SOCK_CLOEXEC)

static void
emit(struct confine *c, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	struct sock_filter	*f;

	/* The program is fixed; CONFINE_FILTER_MAX holds the longest. */
	if (c->nfilter >= CONFINE_FILTER_MAX)
		abort();
	f = &c->filter[c->nfilter++];
	f->code = code;
	f->jt = jt;
	f->jf = jf;
	f->k = k;
}

static void
ret(struct confine *c, uint32_t action)
{
	emit(c, BPF_RET | BPF_K, action, 0, 0);
}

/* If A == k return action, else go on. */
static void
when(struct confine *c, uint32_t k, uint32_t action)
{
	emit(c, BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1);
	ret(c, action);
}

/* If A == k, a jump forward, to be aimed later with aim(). */
static size_t
jump(struct confine *c, uint32_t k)
{
	emit(c, BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1);
	emit(c, BPF_JMP | BPF_JA | BPF_K, 0, 0, 0);
	return (c->nfilter - 1);
}

static void
aim(struct confine *c, size_t ja)
{
	c->filter[ja].k = c->nfilter - (ja + 1);
}

static void
load(struct confine *c, uint32_t off)
{
	emit(c, BPF_LD | BPF_W | BPF_ABS, off, 0, 0);
}

/* The type argument, less SOCK_NONBLOCK and SOCK_CLOEXEC, is one of. */
static void
socket_type(struct confine *c, int a, int b)
{
	load(c, ARG_LO(1));
	emit(c, BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)SOCK_FLAGS, 0, 0);
	when(c, a, SECCOMP_RET_ALLOW);
	when(c, b, SECCOMP_RET_ALLOW);
	ret(c, RET_ERRNO(EACCES));
}

static void
seccomp_filter(struct confine *c, const struct confine_profile *p)
{
	size_t	 sock, pair, inet, inet6;

	c->nfilter = 0;
	/* Another architecture's numbers mean other calls: kill. */
	load(c, offsetof(struct seccomp_data, arch));
	emit(c, BPF_JMP | BPF_JEQ | BPF_K, CONFINE_ARCH, 1, 0);
	ret(c, SECCOMP_RET_KILL_PROCESS);
	load(c, offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	/* x32 calls share the architecture: kill them too. */
	emit(c, BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
	ret(c, SECCOMP_RET_KILL_PROCESS);
#endif
	/* io_uring makes sockets and opens files past this filter. */
	when(c, SYS_io_uring_setup, RET_ERRNO(ENOSYS));
	when(c, SYS_io_uring_enter, RET_ERRNO(ENOSYS));
	when(c, SYS_io_uring_register, RET_ERRNO(ENOSYS));
	/* Another process's descriptors: a socket of the user's. */
	when(c, SYS_pidfd_getfd, RET_ERRNO(EPERM));
	/* The user's keyrings hold the user's secrets. */
	when(c, SYS_keyctl, RET_ERRNO(EACCES));
	when(c, SYS_add_key, RET_ERRNO(EACCES));
	when(c, SYS_request_key, RET_ERRNO(EACCES));
	/* Landlock refuses truncate(2) from ABI 3 on; before, we do. */
	if (c->abi < 3)
		when(c, SYS_truncate, RET_ERRNO(EACCES));
	sock = jump(c, SYS_socket);
	pair = jump(c, SYS_socketpair);
	ret(c, SECCOMP_RET_ALLOW);

	/*
	 * socket(2): unix sockets (the user's agents, docker, D-Bus, the
	 * control socket) never; IPv4 and IPv6 with network only, and
	 * then netlink routing too, which the resolver asks for the
	 * host's addresses.  Raw and packet sockets need a capability
	 * the command does not have; refused anyway.
	 */
	aim(c, sock);
	if (p->network) {
		load(c, ARG_LO(0));
		inet = jump(c, AF_INET);
		inet6 = jump(c, AF_INET6);
		/* Not netlink: over the three below, to the refusal. */
		emit(c, BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 3);
		load(c, ARG_LO(2));
		when(c, NETLINK_ROUTE, SECCOMP_RET_ALLOW);
		ret(c, RET_ERRNO(EACCES));
		aim(c, inet);
		aim(c, inet6);
		socket_type(c, SOCK_STREAM, SOCK_DGRAM);
	} else
		ret(c, RET_ERRNO(EACCES));

	/*
	 * socketpair(2) connects two ends of our own, which programs
	 * use to talk to their children: unix stream or seqpacket
	 * only, since a datagram socket can still send to any address.
	 */
	aim(c, pair);
	load(c, ARG_LO(0));
	emit(c, BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 1, 0);
	ret(c, RET_ERRNO(EACCES));
	socket_type(c, SOCK_STREAM, SOCK_SEQPACKET);
}

/* Seccomp filters with SECCOMP_RET_ERRNO, as this filter needs. */
static int
seccomp_ok(void)
{
	uint32_t	 action = SECCOMP_RET_ERRNO;

	return (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0,
	    &action) == 0);
}

/*
 * tmpbase: made 0700 if missing; ours, a directory (not a link to
 * one), and closed to everyone else, since the private directories
 * are made in it.
 */
static int
tmp_base(const char *base, char *err, size_t errlen)
{
	struct stat	 st;

	if (mkdir(base, 0700) == -1 && errno != EEXIST) {
		(void)snprintf(err, errlen, "confinement: mkdir %s: %s", base,
		    strerror(errno));
		return (-1);
	}
	if (lstat(base, &st) == -1) {
		(void)snprintf(err, errlen, "confinement: %s: %s", base,
		    strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		(void)snprintf(err, errlen, "confinement: %s must be a "
		    "directory of ours (uid %u) with mode 0700", base,
		    (unsigned int)geteuid());
		return (-1);
	}
	return (0);
}

static int
tmp_make(struct confine *c, const char *base, char *err, size_t errlen)
{
	if (tmp_base(base, err, errlen) == -1)
		return (-1);
	if ((size_t)snprintf(c->tmpdir, sizeof(c->tmpdir), "%s/%s.XXXXXX",
	    base, c->profile) >= sizeof(c->tmpdir)) {
		c->tmpdir[0] = '\0';
		(void)snprintf(err, errlen, "confinement: %s: %s", base,
		    strerror(ENAMETOOLONG));
		return (-1);
	}
	/* mkdtemp(3) makes it 0700. */
	if (mkdtemp(c->tmpdir) == NULL) {
		(void)snprintf(err, errlen, "confinement: mkdtemp in %s: %s",
		    base, strerror(errno));
		c->tmpdir[0] = '\0';
		return (-1);
	}
	return (0);
}

int
confine_prepare(struct confine *c, const struct confine_profile *p,
    const char *worktree, const char *tmpbase, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->ruleset = -1;
	(void)strlcpy(c->profile, p->name, sizeof(c->profile));
	if ((c->abi = sandbox_landlock_abi()) == 0) {
		(void)snprintf(err, errlen, "profile %s: this kernel has no "
		    "Landlock (Linux 5.13 or later, with landlock among its "
		    "LSMs): a confined command cannot run", p->name);
		return (-1);
	}
	if (!seccomp_ok()) {
		(void)snprintf(err, errlen, "profile %s: this kernel has no "
		    "seccomp filters: a confined command cannot run",
		    p->name);
		return (-1);
	}
	if (tmp_make(c, tmpbase, err, errlen) == -1)
		return (-1);
	if (ll_ruleset(c, p, worktree, err, errlen) == -1) {
		confine_close(c);
		(void)confine_tmp_remove(c);
		return (-1);
	}
	seccomp_filter(c, p);
	return (0);
}

/*
 * Async-signal-safe: system calls only, on what was prepared.  It runs
 * between vfork and exec, on the spawner's memory: no sanitizer
 * bookkeeping either.
 */
__attribute__((__no_sanitize_address__)) int
confine_apply(const struct confine *c)
{
	struct sock_fprog	 prog;

	if (c->ruleset == -1) {
		errno = EBADF;
		return (-1);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return (-1);
	if (syscall(SYS_landlock_restrict_self, c->ruleset, 0) == -1)
		return (-1);
	prog.len = c->nfilter;
	prog.filter = (struct sock_filter *)c->filter;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == -1)
		return (-1);
	return (0);
}

void
confine_close(struct confine *c)
{
	if (c->ruleset != -1) {
		close(c->ruleset);
		c->ruleset = -1;
	}
}

/*
 * name in dfd and all below it, by descriptor: a directory swapped for
 * a link while we work is unlinked, never followed.
 */
static int
rm_tree(int dfd, const char *name, int depth)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, rv = 0, saved;

	if (unlinkat(dfd, name, 0) == 0)
		return (0);
	if (errno != EISDIR && errno != EPERM)
		return (errno == ENOENT ? 0 : -1);
	if (depth > 256) {
		errno = ELOOP;
		return (-1);
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return (-1);
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_tree(dirfd(d), de->d_name, depth + 1) == -1)
			rv = -1;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		rv = -1;
	return (rv);
}

int
confine_tmp_remove(struct confine *c)
{
	char	*slash;
	int	 dfd, rv;

	if (c->tmpdir[0] == '\0')
		return (0);
	if ((slash = strrchr(c->tmpdir, '/')) == NULL) {
		errno = EINVAL;
		return (-1);
	}
	*slash = '\0';
	dfd = open(slash == c->tmpdir ? "/" : c->tmpdir,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*slash = '/';
	if (dfd == -1)
		return (-1);
	rv = rm_tree(dfd, slash + 1, 0);
	close(dfd);
	if (rv == 0)
		c->tmpdir[0] = '\0';
	return (rv);
}

static int
is_var(const char *entry, const char *name)
{
	size_t	 len = strlen(name);

	return (strncmp(entry, name, len) == 0 && entry[len] == '=');
}

int
confine_env(char ***envpp, const struct confine *c)
{
	char	**envp = *envpp, **n, *tmp;
	size_t	 i, j, count;

	for (count = 0; envp[count] != NULL; count++)
		;
	if (asprintf(&tmp, "TMPDIR=%s", c->tmpdir) == -1)
		return (-1);
	if ((n = calloc(count + 2, sizeof(*n))) == NULL) {
		free(tmp);
		return (-1);
	}
	for (i = j = 0; i < count; i++) {
		if (is_var(envp[i], "TMPDIR") || is_var(envp[i], "TMP") ||
		    is_var(envp[i], "TEMP"))
			free(envp[i]);
		else
			n[j++] = envp[i];
	}
	n[j] = tmp;
	free(envp);
	*envpp = n;
	return (0);
}
