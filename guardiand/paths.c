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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

/*
 * Where the sockets and the state live (DESIGN 6.4, 6.6), shared by
 * guardiand and guardianctl so both find the same control socket.
 */

/* dir and those above it, created 0700 where missing. */
int
mkdirs(const char *dir)
{
	char	 tmp[PATH_MAX], *p;

	if (strlcpy(tmp, dir, sizeof(tmp)) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
			return (-1);
		*p = '/';
	}
	if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
		return (-1);
	return (0);
}

/*
 * A directory of ours that nobody else may have planted: it must be
 * a real directory (not a link), owned by us, none of the mode bits
 * in deny set.
 */
int
dir_is_ours(const char *path, mode_t deny)
{
	struct stat	 st;

	if (lstat(path, &st) == -1)
		return (-1);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & deny) != 0) {
		errno = EPERM;
		return (-1);
	}
	return (0);
}

/*
 * The base of our runtime directories: $XDG_RUNTIME_DIR; without it
 * /run/user/UID if that exists, else /tmp/guardiand-UID, which /tmp
 * being shared must be a directory of ours, 0700 (made with create).
 */
static char *
runtime_base(int create)
{
	const char	*xdg;
	char		*base;
	struct stat	 st;

	if ((xdg = getenv("XDG_RUNTIME_DIR")) != NULL && *xdg == '/')
		return (strdup(xdg));
	if (asprintf(&base, "/run/user/%u", (unsigned)geteuid()) == -1)
		return (NULL);
	if (stat(base, &st) == 0 && S_ISDIR(st.st_mode))
		return (base);
	free(base);
	if (asprintf(&base, "/tmp/guardiand-%u", (unsigned)geteuid()) == -1)
		return (NULL);
	if ((create && mkdir(base, 0700) == -1 && errno != EEXIST) ||
	    dir_is_ours(base, 077) == -1) {
		free(base);
		return (NULL);
	}
	return (base);
}

/*
 * One of our directories under the runtime base (paths.h), made 0700
 * with create; in every case its owner and mode are verified.
 */
char *
runtime_dir(const char *name, int create)
{
	char	*base, *dir;

	if ((base = runtime_base(create)) == NULL)
		return (NULL);
	if (asprintf(&dir, "%s/%s", base, name) == -1)
		dir = NULL;
	free(base);
	if (dir == NULL)
		return (NULL);
	if ((create && mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    dir_is_ours(dir, 077) == -1) {
		free(dir);
		return (NULL);
	}
	return (dir);
}

/* A file in one of them: the control socket, the shared request socket. */
char *
runtime_path(const char *dirname, const char *name, int create)
{
	char	*dir, *path;

	if ((dir = runtime_dir(dirname, create)) == NULL)
		return (NULL);
	if (asprintf(&path, "%s/%s", dir, name) == -1)
		path = NULL;
	free(dir);
	return (path);
}

/*
 * Where runtime_path() would put it, making and verifying nothing: for
 * guardiand -n, which checks a configuration without touching the
 * file system.
 */
static char *
path_peek(const char *xdg, const char *dirname, const char *name)
{
	char		*path;
	struct stat	 st;
	int		 rv;

	if (xdg != NULL && *xdg == '/')
		rv = asprintf(&path, "%s/%s/%s", xdg, dirname, name);
	else {
		if (asprintf(&path, "/run/user/%u", (unsigned)geteuid()) == -1)
			return (NULL);
		rv = stat(path, &st);
		free(path);
		if (rv == 0 && S_ISDIR(st.st_mode))
			rv = asprintf(&path, "/run/user/%u/%s/%s",
			    (unsigned)geteuid(), dirname, name);
		else
			rv = asprintf(&path, "/tmp/guardiand-%u/%s/%s",
			    (unsigned)geteuid(), dirname, name);
	}
	return (rv == -1 ? NULL : path);
}

char *
runtime_path_peek(const char *dirname, const char *name)
{
	return (path_peek(getenv("XDG_RUNTIME_DIR"), dirname, name));
}

/* A word the shell reads back as itself: quoted unless plain. */
static char *
shell_word(const char *s)
{
	const char	*p;
	char		*q, *w;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789/._-+:@%=,") == strlen(s))
		return (strdup(s));
	/* Inside '...' everything is literal but ', written '\''. */
	if ((w = malloc(strlen(s) * 4 + 3)) == NULL)
		return (NULL);
	q = w;
	*q++ = '\'';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(q, "'\\''", 4);
			q += 4;
		} else
			*q++ = *p;
	}
	*q++ = '\'';
	*q = '\0';
	return (w);
}

/*
 * How a human at a shell on the host reaches this daemon with
 * guardianctl, for hints that must work when pasted: the program by
 * name if the daemon's own PATH finds the one installed beside it,
 * else by its path; and -s SOCKET unless the control socket is where
 * guardianctl looks when a login shell runs it (XDG_RUNTIME_DIR is
 * /run/user/UID there, or unset), which a daemon started with another
 * runtime directory or guardian.control cannot assume.
 */
char *
ctl_command(const char *ctl)
{
	char		 self[PATH_MAX], found[PATH_MAX];
	char		*beside = NULL, *prog = NULL, *sock = NULL, *usual;
	char		*path, *dir, *cmd = NULL;
	struct stat	 a, b;
	ssize_t		 n;
	int		 byname = 1;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((dir = strrchr(self, '/')) != NULL) {
			*dir = '\0';
			if (asprintf(&beside, "%s/guardianctl", self) == -1)
				beside = NULL;
		}
	}
	if (beside != NULL && stat(beside, &a) == 0 && access(beside,
	    X_OK) == 0) {
		/* By name only if PATH leads to this very file. */
		byname = 0;
		if ((path = getenv("PATH")) != NULL &&
		    (path = strdup(path)) != NULL) {
			for (dir = strtok(path, ":"); dir != NULL;
			    dir = strtok(NULL, ":")) {
				if (*dir != '/' || (size_t)snprintf(found,
				    sizeof(found), "%s/guardianctl", dir) >=
				    sizeof(found) || stat(found, &b) == -1)
					continue;
				byname = a.st_dev == b.st_dev &&
				    a.st_ino == b.st_ino;
				break;
			}
			free(path);
		}
	}
	prog = byname ? strdup("guardianctl") : shell_word(beside);
	usual = path_peek(NULL, RUNDIR_CONTROL, CONTROL_SOCK);
	if (usual == NULL || strcmp(usual, ctl) != 0)
		sock = shell_word(ctl);
	if (prog != NULL && asprintf(&cmd, "%s%s%s", prog,
	    sock != NULL ? " -s " : "", sock != NULL ? sock : "") == -1)
		cmd = NULL;
	free(beside);
	free(prog);
	free(sock);
	free(usual);
	return (cmd);
}

/* $XDG_STATE_HOME/guardiand, else ~/.local/state/guardiand. */
char *
state_dir(void)
{
	const char	*xdg, *home;
	char		*dir;

	if ((xdg = getenv("XDG_STATE_HOME")) != NULL && *xdg == '/') {
		if (asprintf(&dir, "%s/guardiand", xdg) == -1)
			return (NULL);
	} else if ((home = getenv("HOME")) != NULL && *home == '/') {
		if (asprintf(&dir, "%s/.local/state/guardiand", home) == -1)
			return (NULL);
	} else {
		errno = ENOENT;
		return (NULL);
	}
	return (dir);
}
