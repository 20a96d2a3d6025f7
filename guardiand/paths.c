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
 * $XDG_RUNTIME_DIR/guardiand; without XDG_RUNTIME_DIR, /run/user/UID
 * if it exists, else /tmp/guardiand-UID.  With create, the directory
 * is made 0700; in every case its owner and mode are verified.
 */
char *
runtime_dir(int create)
{
	const char	*xdg;
	char		*base = NULL, *dir = NULL;
	struct stat	 st;
	int		 tmp = 0;

	if ((xdg = getenv("XDG_RUNTIME_DIR")) != NULL && *xdg == '/') {
		if (asprintf(&base, "%s", xdg) == -1)
			return (NULL);
	} else {
		if (asprintf(&base, "/run/user/%u", (unsigned)geteuid()) ==
		    -1)
			return (NULL);
		if (stat(base, &st) == -1 || !S_ISDIR(st.st_mode)) {
			free(base);
			if (asprintf(&base, "/tmp/guardiand-%u",
			    (unsigned)geteuid()) == -1)
				return (NULL);
			tmp = 1;
		}
	}
	if (tmp) {
		/* /tmp is shared: the directory itself is ours, 0700. */
		if (create && mkdir(base, 0700) == -1 && errno != EEXIST)
			goto fail;
		if (dir_is_ours(base) == -1)
			goto fail;
		return (base);
	}
	if (asprintf(&dir, "%s/guardiand", base) == -1)
		goto fail;
	free(base);
	base = NULL;
	if (create && mkdir(dir, 0700) == -1 && errno != EEXIST)
		goto fail;
	if (dir_is_ours(dir) == -1)
		goto fail;
	return (dir);
 fail:
	free(base);
	free(dir);
	return (NULL);
}

/*
 * A file in the runtime directory: the control socket guardianctl and
 * guardiand agree on, the default request socket.
 */
char *
runtime_path(const char *name, int create)
{
	char	*dir, *path;

	if ((dir = runtime_dir(create)) == NULL)
		return (NULL);
	if (asprintf(&path, "%s/%s", dir, name) == -1)
		path = NULL;
	free(dir);
	return (path);
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
