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
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "log.h"

/*
 * Whole trees of processes, for the parent and the spawner: a picture
 * of /proc to follow who descends from whom, and cgroup v2
 * directories to put a command's tree in and to kill it with.  Used
 * where commands must die: a command's end, the spawner's, the
 * daemon's.
 */

#define PT_DEPTH	4096	/* generations: a loop guard */
#define PT_MAX		(1 << 22)	/* processes: the kernel's most */

static int
pstat_cmp(const void *a, const void *b)
{
	const struct pstat	*x = a, *y = b;

	return (x->pid < y->pid ? -1 : x->pid > y->pid);
}

/*
 * A small file of the kernel's (/proc, cgroupfs), NUL terminated, in
 * one read(2): 0, or -1 if it cannot be read or is empty.
 */
static int
read_small(const char *path, char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	return (0);
}

/*
 * "pid (comm) S ppid pgrp session ... num_threads ... starttime": comm
 * may hold ')'.
 */
int
pstat_get(pid_t pid, struct pstat *ps)
{
	char		 path[64], buf[1024], *p;
	long		 ppid, pgid, sid, nt;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) == -1)
		return (-1);
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %ld %ld %ld %*d %*d %*u %*u %*u %*u %*u "
	    "%*u %*u %*d %*d %*d %*d %ld %*d %llu", &ps->state, &ppid, &pgid,
	    &sid, &nt, &ps->start) != 6)
		return (-1);
	ps->pid = pid;
	ps->nthreads = nt;
	ps->ppid = ppid;
	ps->pgid = pgid;
	ps->sid = sid;
	return (0);
}

/* Every process there is now, sorted by pid.  0, or -1 (errno). */
int
ptable_load(struct ptable *pt)
{
	DIR		*dir;
	struct dirent	*de;
	struct pstat	*np;
	char		*end;
	long		 pid;
	size_t		 cap = 0;

	pt->p = NULL;
	pt->n = 0;
	if ((dir = opendir("/proc")) == NULL)
		return (-1);
	while ((de = readdir(dir)) != NULL) {
		pid = strtol(de->d_name, &end, 10);
		if (pid <= 0 || *end != '\0')
			continue;
		if (pt->n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((np = reallocarray(pt->p, cap,
			    sizeof(*np))) == NULL) {
				closedir(dir);
				ptable_free(pt);
				return (-1);
			}
			pt->p = np;
		}
		/* Gone meanwhile: not there. */
		if (pstat_get(pid, &pt->p[pt->n]) == 0)
			pt->n++;
	}
	closedir(dir);
	qsort(pt->p, pt->n, sizeof(*pt->p), pstat_cmp);
	return (0);
}

/* Room in pt for one more (*cap: its size).  0, or -1. */
static int
ptable_grow(struct ptable *pt, size_t *cap)
{
	struct pstat	*np;
	size_t		 ncap;

	if (pt->n < *cap)
		return (0);
	ncap = *cap ? *cap * 2 : 64;
	if ((np = reallocarray(pt->p, ncap, sizeof(*np))) == NULL)
		return (-1);
	pt->p = np;
	*cap = ncap;
	return (0);
}

/*
 * The pids a file of /proc lists ("children": "pid pid ... "), each
 * added to pt with its stat (those gone meanwhile: not).  0, or -1
 * (errno) if it cannot be read or pt cannot grow.
 */
static int
ptable_add_listed(struct ptable *pt, size_t *cap, const char *path)
{
	char		*buf = NULL, *nb, *p, *end;
	size_t		 len = 0, size = 0;
	ssize_t		 n;
	long		 pid;
	int		 fd, rv = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	do {
		if (size - len < 512) {
			size = size ? size * 2 : 4096;
			if ((nb = realloc(buf, size)) == NULL)
				goto done;
			buf = nb;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n > 0)
			len += n;
	} while (n > 0);
	if (n == -1)
		goto done;
	buf[len] = '\0';
	for (p = buf; ; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid <= 0 || pt->n >= PT_MAX)
			continue;
		if (ptable_grow(pt, cap) == -1)
			goto done;
		if (pstat_get(pid, &pt->p[pt->n]) == 0)
			pt->n++;
	}
	rv = 0;
 done:
	close(fd);
	free(buf);
	return (rv);
}

/* The children of pid, each thread's, added to pt.  0, or -1 (errno). */
static int
ptable_add_children(struct ptable *pt, size_t *cap, pid_t pid, long nthreads)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX];
	int		 rv = 0;

	if (nthreads == 1) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
		    (int)pid, (int)pid);
		return (ptable_add_listed(pt, cap, path));
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL && rv == 0) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children",
		    (int)pid, de->d_name);
		/* A thread gone meanwhile left its children to another. */
		if (ptable_add_listed(pt, cap, path) == -1 && errno != ENOENT)
			rv = -1;
	}
	closedir(d);
	return (rv);
}

/*
 * What descends from root, sorted by pid, each with its ancestors up
 * to root: those listed as children (/proc/PID/task/TID/children) of
 * root and, one generation after the other, of those found; not every
 * process of the host.  Where the kernel lists no children, every
 * process (ptable_load).  0, or -1 (errno).
 */
int
ptable_load_below(struct ptable *pt, pid_t root)
{
	struct pstat	 ps;
	size_t		 cap = 0, i, j, n0;

	pt->p = NULL;
	pt->n = 0;
	if (pstat_get(root, &ps) == -1)
		return (-1);
	if (ptable_add_children(pt, &cap, root, ps.nthreads) == -1) {
		ptable_free(pt);
		if (errno == ENOENT)
			return (ptable_load(pt));
		return (-1);
	}
	for (i = 0; i < pt->n; i++) {
		/* A zombie has neither threads nor children. */
		if (pt->p[i].state == 'Z')
			continue;
		n0 = pt->n;
		if (ptable_add_children(pt, &cap, pt->p[i].pid,
		    pt->p[i].nthreads) == -1 && errno != ENOENT &&
		    errno != ESRCH) {
			ptable_free(pt);
			return (-1);
		}
		/*
		 * Still the process it was after its children were
		 * listed: they were its, not those of one that got its
		 * pid meanwhile.
		 */
		if (pt->n > n0 && (pstat_get(pt->p[i].pid, &ps) == -1 ||
		    ps.start != pt->p[i].start))
			pt->n = n0;
	}
	/* None at all: no table (and qsort takes no NULL). */
	if (pt->n == 0)
		return (0);
	qsort(pt->p, pt->n, sizeof(*pt->p), pstat_cmp);
	/* A pid found twice (reused meanwhile): once. */
	for (i = j = 0; i < pt->n; i++)
		if (j == 0 || pt->p[j - 1].pid != pt->p[i].pid)
			pt->p[j++] = pt->p[i];
	pt->n = j;
	return (0);
}

void
ptable_free(struct ptable *pt)
{
	free(pt->p);
	pt->p = NULL;
	pt->n = 0;
}

const struct pstat *
ptable_find(const struct ptable *pt, pid_t pid)
{
	struct pstat	 key;

	if (pt->n == 0)
		return (NULL);
	key.pid = pid;
	return (bsearch(&key, pt->p, pt->n, sizeof(*pt->p), pstat_cmp));
}

/*
 * The ancestor of ps just below root (ps itself if root is its
 * parent), or NULL if ps does not descend from root.
 */
const struct pstat *
ptable_below(const struct ptable *pt, const struct pstat *ps, pid_t root)
{
	int	 depth;

	for (depth = 0; ps != NULL && depth < PT_DEPTH; depth++) {
		if (ps->ppid == root)
			return (ps);
		if (ps->ppid <= 1)
			return (NULL);
		ps = ptable_find(pt, ps->ppid);
	}
	return (NULL);
}

/*
 * SIGKILL every process that descends from us but those in spare
 * (children of ours that are not commands'), again until none is
 * left (a process may fork while we look) or tries run out, and reap
 * our children among them.  What it killed, or -1 if it could not
 * look.
 */
int
ptree_kill_all(const pid_t *spare, size_t nspare, int tries)
{
	struct ptable	 pt;
	const struct pstat *top;
	pid_t		 self = getpid();
	size_t		 i, j;
	int		 found, total = 0;

	while (tries-- > 0) {
		if (ptable_load(&pt) == -1)
			return (-1);
		for (found = 0, i = 0; i < pt.n; i++) {
			if (pt.p[i].state == 'Z' ||
			    (top = ptable_below(&pt, &pt.p[i], self)) == NULL)
				continue;
			for (j = 0; j < nspare; j++)
				if (top->pid == spare[j])
					break;
			if (j < nspare)
				continue;
			(void)kill(pt.p[i].pid, SIGKILL);
			found++;
		}
		/* Our own children among them: reaped, so they go. */
		for (i = 0; i < pt.n; i++) {
			if (pt.p[i].ppid != self)
				continue;
			for (j = 0; j < nspare; j++)
				if (pt.p[i].pid == spare[j])
					break;
			if (j == nspare)
				(void)waitpid(pt.p[i].pid, NULL, 0);
		}
		ptable_free(&pt);
		total += found;
		if (found == 0)
			break;
		usleep(10000);
	}
	return (total);
}

/*
 * The cgroup v2 directory this process is in, as a path under the
 * cgroup2 mount (wherever /proc/mounts says it is: a hybrid system
 * mounts it beside the v1 hierarchies).  0, or -1 if there is none.
 */
int
cg_self(char *buf, size_t len)
{
	FILE	*fp;
	char	*line = NULL, mnt[PATH_MAX] = "", *p, *q;
	size_t	 cap = 0;
	int	 rv = -1;

	if ((fp = fopen("/proc/mounts", "re")) == NULL)
		return (-1);
	while (getline(&line, &cap, fp) != -1) {
		/* "cgroup2 /sys/fs/cgroup cgroup2 rw,... 0 0" */
		if ((p = strchr(line, ' ')) == NULL ||
		    (q = strchr(p + 1, ' ')) == NULL)
			continue;
		*q++ = '\0';
		if (strncmp(q, "cgroup2 ", 8) == 0 &&
		    strchr(p + 1, '\\') == NULL) {
			strlcpy(mnt, p + 1, sizeof(mnt));
			break;
		}
	}
	fclose(fp);
	if (mnt[0] == '\0' || (fp = fopen("/proc/self/cgroup", "re")) == NULL) {
		free(line);
		return (-1);
	}
	while (getline(&line, &cap, fp) != -1) {
		line[strcspn(line, "\n")] = '\0';
		/* The v2 hierarchy's line is "0::/path". */
		if (strncmp(line, "0::/", 4) != 0 || strstr(line, "/..") != NULL)
			continue;
		if ((size_t)snprintf(buf, len, "%s%s", mnt,
		    strcmp(line + 3, "/") == 0 ? "" : line + 3) < len)
			rv = 0;
		break;
	}
	fclose(fp);
	free(line);
	return (rv);
}

/*
 * Whether the cgroup2 hierarchy is mounted nsdelegate: only then does
 * a cgroup namespace keep a process (root too) from moving itself out.
 */
int
cg_nsdelegate(void)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	int	 rv = 0;

	if ((fp = fopen("/proc/mounts", "re")) == NULL)
		return (0);
	while (getline(&line, &cap, fp) != -1)
		if (strstr(line, " cgroup2 ") != NULL &&
		    strstr(line, "nsdelegate") != NULL)
			rv = 1;
	fclose(fp);
	free(line);
	return (rv);
}

/* The spawner's cgroup directory, below the daemon's: its pid names it. */
int
cg_spawner_dir(pid_t spawner, char *buf, size_t len)
{
	char	 self[PATH_MAX];

	if (cg_self(self, sizeof(self)) == -1)
		return (-1);
	if ((size_t)snprintf(buf, len, "%s/guardiand-commands.%d", self,
	    (int)spawner) >= len)
		return (-1);
	return (0);
}

static int
cg_write(const char *dir, const char *file, const char *text)
{
	char	 path[PATH_MAX];
	int	 fd, rv = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (write(fd, text, strlen(text)) == -1)
		rv = -1;
	close(fd);
	return (rv);
}

/*
 * Signal every process of a cgroup and of those below it.  SIGKILL
 * goes through cgroup.kill where the kernel has it (5.14): the kernel
 * then kills the whole subtree at once, a process that forks meanwhile
 * included.  Otherwise each pid of cgroup.procs gets it.  The number
 * of processes signalled one by one, or -1 if dir cannot be read.
 */
int
cg_signal(const char *dir, int sig)
{
	DIR		*d;
	struct dirent	*de;
	FILE		*fp;
	char		 path[PATH_MAX];
	long		 pid;
	int		 n = 0, r;

	if (sig == SIGKILL && cg_write(dir, "cgroup.kill", "1") == 0)
		return (0);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((fp = fopen(path, "re")) == NULL)
		return (-1);
	while (fscanf(fp, "%ld", &pid) == 1)
		if (pid > 0 && kill(pid, sig) == 0)
			n++;
	fclose(fp);
	if ((d = opendir(dir)) == NULL)
		return (n);
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) < sizeof(path) &&
		    (r = cg_signal(path, sig)) > 0)
			n += r;
	}
	closedir(d);
	return (n);
}

/*
 * 1 if a process is left in the cgroup or below, 0 if none, -1.  One
 * read, without stdio: the file is a few short lines, and the spawner
 * asks for every command that ends.
 */
int
cg_populated(const char *dir)
{
	char	 path[PATH_MAX], buf[256], *p;

	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.events", dir) >=
	    sizeof(path) || read_small(path, buf, sizeof(buf)) == -1)
		return (-1);
	/* "populated 0|1", a line of its own. */
	if ((p = strstr(buf, "populated ")) != NULL &&
	    (p == buf || p[-1] == '\n'))
		return (p[10] == '1');
	return (-1);
}

/*
 * Remove a cgroup and the ones below it (a command may make some): the
 * directory alone first, the common case, and only if it has some
 * (EBUSY) those below, then it again.
 */
int
cg_remove(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX];

	if (rmdir(dir) == 0 || errno == ENOENT)
		return (0);
	if (errno != EBUSY && errno != ENOTEMPTY)
		return (-1);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			    de->d_name) < sizeof(path))
				(void)cg_remove(path);
		}
		closedir(d);
	}
	if (rmdir(dir) == -1 && errno != ENOENT)
		return (-1);
	return (0);
}

/* Move the calling process into the cgroup dir. */
int
cg_enter(const char *dir)
{
	return (cg_write(dir, "cgroup.procs", "0"));
}
