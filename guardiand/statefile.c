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

#include "log.h"
#include "parent.h"
#include "paths.h"

/*
 * The parent's state files (DESIGN 6.6): the registered cloisters,
 * the approval UI's sessions.  Each is one small file in the state
 * directory, mode 0600, read only if it is a regular file of ours
 * that nobody else can read, and replaced atomically: a temporary
 * file, fsync, rename over the old one, fsync of the directory.  A
 * crash leaves the old file or the new one, never half of either.
 */

/* The state directory and those above it, created 0700 if missing. */
static int
mkstatedir(const char *dir)
{
	if (mkdirs(dir) == -1)
		return (-1);
	/* Ours, and nobody else's to write into. */
	return (dir_is_ours(dir, 022));
}

int
statefile_write(const char *dir, const char *name, const char *buf,
    size_t len, char *err, size_t errlen)
{
	char		 tmp[NAME_MAX + 1];
	size_t		 off;
	ssize_t		 n;
	int		 dfd = -1, fd = -1, tries, rv = -1;

	if (dir == NULL) {
		snprintf(err, errlen, "no state directory");
		return (-1);
	}
	if (strlen(name) > NAME_MAX - 11 || strchr(name, '/') != NULL) {
		snprintf(err, errlen, "%s: bad state file name", name);
		return (-1);
	}
	if (mkstatedir(dir) == -1 ||
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "state directory %s: %s", dir,
		    strerror(errno));
		goto done;
	}
	for (tries = 0; tries < 10; tries++) {
		snprintf(tmp, sizeof(tmp), ".%s.%08x", name, arc4random());
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, tmp, strerror(errno));
		goto done;
	}
	for (off = 0; off < len; off += n) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			break;
		}
	}
	if (off < len || fsync(fd) == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, tmp, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		goto done;
	}
	n = close(fd);
	fd = -1;
	if (n == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, tmp, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		goto done;
	}
	if (renameat(dfd, tmp, dfd, name) == -1) {
		snprintf(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		goto done;
	}
	if (fsync(dfd) == -1)
		log_warn("fsync %s", dir);
	rv = 0;
 done:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	return (rv);
}

/* Strict: only guardiand writes these files, so anything odd is refused. */
int
statefile_line(FILE *fp, const char *path, size_t max, char **linep,
    size_t *capp, int *linenop, char *err, size_t errlen)
{
	char	*line;
	size_t	 len;
	ssize_t	 n;

	while ((n = getline(linep, capp, fp)) != -1) {
		line = *linep;
		(*linenop)++;
		len = n;
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%d: incomplete last line",
			    path, *linenop);
			return (-1);
		}
		line[--len] = '\0';
		if (len > max || strlen(line) != len) {
			snprintf(err, errlen, "%s:%d: %s", path, *linenop,
			    len > max ? "line too long" : "NUL byte");
			return (-1);
		}
		if (len != 0 && line[0] != '#')
			return (1);
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

int
statefile_fields(char *line, char **f, int nf)
{
	int	 i;

	for (i = 0; i < nf; i++)
		if ((f[i] = strsep(&line, "\t")) == NULL)
			return (-1);
	return (line == NULL ? 0 : -1);
}

int
statefile_open(const char *path, FILE **fpp, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd;

	*fpp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: must be a regular file of ours, "
		    "mode 0600", path);
		close(fd);
		return (-1);
	}
	if ((*fpp = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	return (0);
}
