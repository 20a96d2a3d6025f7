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
 * make test's side of a fuzz test: runs LLVMFuzzerTestOneInput() once
 * on every file of the directories (and on the files) given, in the
 * order of their names, and says how many in one TAP line.  A broken
 * expectation aborts, so a crash is a failure; no time budget, no
 * randomness: the committed corpus is a regression test.
 *
 *	replay [dir | file ...]
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

int	 LLVMFuzzerInitialize(int *, char ***) __attribute__((__weak__));

static size_t	 ninputs;

static void
run_file(const char *path)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
		fprintf(stderr, "not ok - %s: %s\n", path, strerror(errno));
		exit(1);
	}
	/* Exactly the input's size, so an overread is caught. */
	if ((buf = malloc(st.st_size > 0 ? st.st_size : 1)) == NULL)
		abort();
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, st.st_size - len)) > 0)
		len += n;
	close(fd);
	if (len != (size_t)st.st_size) {
		fprintf(stderr, "not ok - %s: short read\n", path);
		exit(1);
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	ninputs++;
}

static int
visible(const struct dirent *d)
{
	return (d->d_name[0] != '.');
}

static void
run_path(const char *path)
{
	struct dirent	**ents;
	struct stat	 st;
	char		*sub;
	int		 i, n;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "not ok - %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	if ((n = scandir(path, &ents, visible, alphasort)) == -1) {
		fprintf(stderr, "not ok - %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (i = 0; i < n; i++) {
		if (asprintf(&sub, "%s/%s", path, ents[i]->d_name) == -1)
			abort();
		run_path(sub);
		free(sub);
		free(ents[i]);
	}
	free(ents);
}

int
main(int argc, char *argv[])
{
	int	 i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("ok - fuzz %s: %zu inputs\n", basename(argv[0]), ninputs);
	return (0);
}
