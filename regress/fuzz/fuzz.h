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
 * What the fuzz tests share.  Each regress/fuzz/fuzz_NAME.c defines
 * LLVMFuzzerTestOneInput() (and LLVMFuzzerInitialize() if it needs
 * one) and is linked twice: with libFuzzer by make fuzz, and with
 * replay.c by make test, which runs it once over every input of its
 * committed corpus, regress/fuzz/corpus/NAME.  Every test is one
 * program of one source file, so the helpers here are static inline.
 * A broken expectation aborts: libFuzzer keeps the input as a crash,
 * the replay fails.
 */

#ifndef FUZZ_H
#define FUZZ_H

#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	 LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

static inline void __attribute__((__noreturn__))
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: expectation failed: %s\n", file, line, what);
	abort();
}

/*
 * Log records go nowhere, neither syslog nor a terminal gets a flood;
 * but each must be one line without a raw control character, whatever
 * the input put in it (no log injection).
 */
static inline void
fuzz_log_sink(int pri, const char *msg)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)msg; *p != '\0'; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
}

static inline int
fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static char	 fuzz_dir[256];

static inline void
fuzz_tmpdir_rm(void)
{
	if (fuzz_dir[0] != '\0')
		nftw(fuzz_dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A scratch directory of this process, mode 0700, removed at exit:
 * in $TMPDIR (make fuzz points it into the build directory) or /tmp.
 */
static inline const char *
fuzz_tmpdir(void)
{
	const char	*t;

	if (fuzz_dir[0] != '\0')
		return (fuzz_dir);
	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/guardiand-fuzz.XXXXXX", t);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		abort();
	}
	atexit(fuzz_tmpdir_rm);
	return (fuzz_dir);
}

/* Replace path with data, mode 0600; aborts if it cannot. */
static inline void
fuzz_write(const char *path, const void *data, size_t len)
{
	int	 fd;

	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    (len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    close(fd) == -1) {
		perror(path);
		abort();
	}
}

/*
 * A byte-by-byte reader of the input, for harnesses that take several
 * decisions from it: 0 once it is used up.
 */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 left;
};

static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	if (in->left == 0)
		return (0);
	in->left--;
	return (*in->p++);
}

/*
 * The next piece of the input, up to a NUL byte or the end, as a
 * malloc'd string (NULL once the input is used up).
 */
static inline char *
fuzz_str(struct fuzz_in *in)
{
	const uint8_t	*nul;
	size_t		 n;
	char		*s;

	if (in->left == 0)
		return (NULL);
	nul = memchr(in->p, '\0', in->left);
	n = nul != NULL ? (size_t)(nul - in->p) : in->left;
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, in->p, n);
	s[n] = '\0';
	in->p += n;
	in->left -= n;
	if (nul != NULL) {
		in->p++;
		in->left--;
	}
	return (s);
}

#endif /* FUZZ_H */
