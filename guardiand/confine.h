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


#ifndef CONFINE_H
#define CONFINE_H

#include <linux/filter.h>

#include <limits.h>

#include "config.h"
#include "ruleset.h"

/*
 * Confined commands (DESIGN section 7, guardiand.conf(5)): Landlock
 * lets the command read and execute the system directories, read and
 * write its worktree and a private temporary directory, read the
 * paths its profile lists read-only and write those it lists
 * read-write, and nothing else; with no network in the profile, no TCP
 * bind or connect either.  Landlock does not see connect(2) to a unix
 * socket by path, nor UDP, so a seccomp filter refuses (EACCES) the
 * sockets the profile does not allow: every family but IPv4 and IPv6
 * (and netlink routing, for the resolver) with network, every one
 * without; socketpair(2) of a unix stream pair only.  It also refuses
 * io_uring (which makes sockets without socket(2)), another process's
 * descriptors (pidfd_getfd), the user's keyrings, and, on a kernel
 * whose Landlock cannot refuse truncate(2) (ABI < 3), truncate(2).
 * No new privileges: a set-user-ID program planted in the worktree
 * runs as the user.
 *
 * Everything that can fail or allocate happens before fork, in
 * confine_prepare(); the forked child only calls confine_apply(),
 * which makes system calls on what was prepared (async-signal-safe).
 *
 *	before fork	confine_prepare(&c, profile, worktree, tmpbase, ...)
 *			confine_env(&envp, &c)		TMPDIR
 *	child		confine_apply(&c), then exec; on failure _exit
 *			without exec (the command must not run unconfined)
 *	parent		confine_close(&c) once the child is forked
 *	command ended	confine_tmp_remove(&c)
 *
 * confine_apply() needs the ruleset's descriptor: call it before the
 * child closes descriptors it does not need (closefrom(2)).
 */

/* BPF instructions of the seccomp filter, at most. */
#define CONFINE_FILTER_MAX	96

struct confine {
	char			 profile[CONFIG_NAME_MAX + 1];
	int			 abi;		/* Landlock's */
	int			 ruleset;	/* Landlock ruleset fd, -1 */
	struct sock_filter	 filter[CONFINE_FILTER_MAX];
	unsigned short		 nfilter;
	char			 tmpdir[PATH_MAX];	/* "" if none */
};

/*
 * Prepare the confinement of one command under profile p in worktree:
 * the Landlock ruleset, the seccomp filter, and the private temporary
 * directory, made (0700) in tmpbase, which is made 0700 if missing and
 * must be ours and closed to others.  0, or -1 with a message for the
 * log, the audit record and the client in err (the command must then
 * not run): a kernel without Landlock or seccomp filters, a worktree or
 * read-write path holding the user's home directory, a path that cannot
 * be opened but for missing ones, which grant nothing.  On failure
 * nothing is left to release.
 */
int	 confine_prepare(struct confine *, const struct confine_profile *,
	    const char *, const char *, char *, size_t);
/*
 * In the forked child, before exec: no new privileges, the Landlock
 * domain, the seccomp filter.  Only system calls; 0, or -1 with errno.
 */
int	 confine_apply(const struct confine *);
/* The parent's copy of the ruleset, once the child has its own. */
void	 confine_close(struct confine *);
/*
 * Remove the private temporary directory and all in it, without
 * following a link the command left there.  0, or -1 if something is
 * left (errno).
 */
int	 confine_tmp_remove(struct confine *);
/*
 * The command's environment (malloc'd strings, NULL-terminated, as
 * exec_environ() makes it): TMPDIR names the private temporary
 * directory, and TMP and TEMP, which would name another, go.  0, or
 * -1 (ENOMEM) with *envp unchanged.
 */
int	 confine_env(char ***, const struct confine *);

/*
 * The profile a command runs under, NULL for none: the profile of the
 * rule naming pattern (the pattern that decided, as the policy child
 * reports it), else guardian.confine.default for auto-approved
 * commands, else none.  The parent's lookup: no regular expression.
 */
const struct confine_profile *confine_for(const struct config *,
	    enum verdict, const char *);

#endif /* CONFINE_H */
