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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

/*
 * Where the sockets and the state live (DESIGN 6.4, 6.6), shared by
 * guardiand and guardianctl so both find the same control socket.
 */

/*
 * A directory of ours that nobody else may have planted: it must be
 * a real directory (not a link), owned by us, mode 0700.
 */
static int
dir_is_ours(const char *path)
{
	struct stat	 st;

	if (lstat(path, &st) == -1)
		return (-1);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
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
	    dir_is_ours(base) == -1) {
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
	    dir_is_ours(dir) == -1) {
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
char *
runtime_path_peek(const char *dirname, const char *name)
{
	const char	*xdg;
	char		*path;
	struct stat	 st;
	int		 rv;

	if ((xdg = getenv("XDG_RUNTIME_DIR")) != NULL && *xdg == '/')
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
