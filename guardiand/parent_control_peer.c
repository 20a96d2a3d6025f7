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
 * Who may speak on the control socket (DESIGN 6.4).  The uid is not
 * enough: a container running as our uid (or as root, beside a daemon
 * running as root) that reached the socket somehow, and any command we
 * started (a git hook, a Makefile: the agent's code), have it too.  So
 * a peer must also live in our user, pid and mount namespaces, and
 * must not descend from us: every command's tree does, since the
 * parent is their child subreaper, so even a command's orphans are
 * reparented to us rather than to init.
 *
 * SO_PEERCRED's pid may be gone and reused by the time we look, so
 * the peer is pinned with a pidfd (SO_PEERPIDFD, Linux 6.5) and must
 * still be alive after the checks; on an older kernel pidfd_open is
 * the best there is.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parent.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD	77
#endif

#define ANCESTRY_MAX	4096	/* generations: a loop guard */

static const char *const ns_names[] = { "user", "pid", "mnt" };

static int
peer_pidfd(int fd, pid_t pid)
{
	socklen_t	 len;
	int		 pidfd;

	len = sizeof(pidfd);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 &&
	    len == sizeof(pidfd))
		return (pidfd);
	return (syscall(SYS_pidfd_open, pid, 0));
}

const char *
control_peer_refusal(int fd, pid_t pid, char *buf, size_t len)
{
	struct stat	 ours, theirs;
	struct pstat	 ps;
	char		 path[64];
	const char	*why = NULL;
	pid_t		 p, self = getpid();
	size_t		 i;
	int		 pidfd, n;

	if (pid <= 0)
		return ("its process is outside our pid namespace");
	pidfd = peer_pidfd(fd, pid);
	for (i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_names[i]);
		if (stat(path, &ours) == -1) {
			/* Without namespaces at all, there is nothing to
			 * tell apart. */
			if (errno == ENOENT)
				continue;
			snprintf(buf, len, "cannot read our %s namespace: %s",
			    ns_names[i], strerror(errno));
			why = buf;
			goto done;
		}
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid,
		    ns_names[i]);
		if (stat(path, &theirs) == -1) {
			snprintf(buf, len, "cannot read its %s namespace: %s",
			    ns_names[i], strerror(errno));
			why = buf;
			goto done;
		}
		if (ours.st_dev != theirs.st_dev ||
		    ours.st_ino != theirs.st_ino) {
			snprintf(buf, len, "it runs in another %s namespace",
			    ns_names[i]);
			why = buf;
			goto done;
		}
	}
	/* Up to init, or to a parent outside our pid namespace (0). */
	for (p = pid, n = 0; n < ANCESTRY_MAX; n++) {
		if (p == self) {
			why = "it descends from guardiand: a command it "
			    "started, or that command's child";
			goto done;
		}
		if (p <= 1)
			break;
		if (pstat_get(p, &ps) == -1) {
			why = "cannot read its ancestry";
			goto done;
		}
		p = ps.ppid;
	}
	if (n == ANCESTRY_MAX) {
		why = "cannot read its ancestry";
		goto done;
	}
	/* Still the same process: its pid was not reused meanwhile. */
	if (pidfd != -1 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL,
	    0) == -1)
		why = "it went away";
	else if (pidfd == -1 && kill(pid, 0) == -1 && errno == ESRCH)
		why = "it went away";
 done:
	if (pidfd != -1)
		close(pidfd);
	return (why);
}
