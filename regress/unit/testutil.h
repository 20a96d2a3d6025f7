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
 * Helpers the unit tests share: a scratch directory, files written
 * and read back, entries and descriptors counted.  Every test is one
 * program of one source file, so these are static; inline, so that a
 * test which uses only some of them is not stopped by
 * -Wunused-function.  Failures are cmocka assertions.
 */

#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static inline char *xasprintf(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

/* asprintf(3), or the test fails. */
static inline char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(r >= 0);
	return (s);
}

/* A file's bytes, NUL-terminated; how many in *lenp unless NULL. */
static inline char *
slurp(const char *path, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	int		 fd;

	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	if (lenp != NULL)
		*lenp = st.st_size;
	return (buf);
}

/*
 * A new file at path (whatever was there, a link too, goes first)
 * holding len bytes of data, with exactly that mode whatever the umask.
 */
static inline void
writefilen(const char *path, const char *data, size_t len, mode_t mode)
{
	int	 fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd != -1);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static inline void
writefile(const char *path, const char *data, mode_t mode)
{
	writefilen(path, data, strlen(data), mode);
}

/* Entries of a directory, "." and ".." left out. */
static inline int
nentries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return (n);
}

/* The descriptors this process has open. */
static inline int
count_fds(void)
{
	/* Less the one the DIR holds while they are counted. */
	return (nentries("/proc/self/fd") - 1);
}

/*
 * A fresh directory for the whole test program, $TMPDIR/NAME.XXXXXX
 * (/tmp without TMPDIR), into root: 0, or -1 for the group setup to
 * return.
 */
static inline int
tmproot_make(char *root, size_t size, const char *name)
{
	const char	*t;
	int		 n;

	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = "/tmp";
	n = snprintf(root, size, "%s/%s.XXXXXX", t, name);
	if (n < 0 || (size_t)n >= size)
		return (-1);
	return (mkdtemp(root) == NULL ? -1 : 0);
}

static inline int
tmproot_rm(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return (remove(path));
}

/* root and all below it, for the group teardown. */
static inline int
tmproot_remove(const char *root)
{
	return (nftw(root, tmproot_rm, 16, FTW_DEPTH | FTW_PHYS));
}

#endif /* TESTUTIL_H */
