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
 * A slow consumer for regress/bench.sh: reads its standard input a
 * block at a time with a pause after each block (64 KiB and 8 ms make
 * about 8 MB/s) for a while, then the rest as fast as it can.
 *
 *   slowread [-b bytes] [-d milliseconds] [-t seconds]
 *
 * Prints "slow BYTES USEC total BYTES": what it read in the slow phase,
 * how long that phase took, and everything it read.
 */

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_us(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static long
number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		errx(2, "%s: not a number from %ld to %ld", s, min, max);
	return (v);
}

/* Fill buf unless the input ends first: bytes read, 0 at end of file. */
static size_t
read_full(unsigned char *buf, size_t len)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		if ((n = read(STDIN_FILENO, buf + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "read");
		}
		if (n == 0)
			break;
		got += n;
	}
	return (got);
}

int
main(int argc, char *argv[])
{
	struct timespec	 pause;
	unsigned char	*buf;
	uint64_t	 t0, t, slow = 0, total = 0, until;
	size_t		 bsize = 64 * 1024, n;
	long		 delay_ms = 8, secs = 10;
	int		 ch;

	while ((ch = getopt(argc, argv, "b:d:t:")) != -1) {
		switch (ch) {
		case 'b':
			bsize = number(optarg, 1, 64L * 1024 * 1024);
			break;
		case 'd':
			delay_ms = number(optarg, 0, 60000);
			break;
		case 't':
			secs = number(optarg, 0, 3600);
			break;
		default:
			fprintf(stderr, "usage: slowread [-b bytes] "
			    "[-d milliseconds] [-t seconds]\n");
			return (2);
		}
	}
	if ((buf = malloc(bsize)) == NULL)
		err(1, NULL);
	pause.tv_sec = delay_ms / 1000;
	pause.tv_nsec = (delay_ms % 1000) * 1000000L;

	t0 = t = now_us();
	until = t0 + (uint64_t)secs * 1000000;
	while (t < until && (n = read_full(buf, bsize)) > 0) {
		slow += n;
		nanosleep(&pause, NULL);
		t = now_us();
	}
	total = slow;
	if (t >= until)
		while ((n = read_full(buf, bsize)) > 0)
			total += n;
	printf("slow %llu %llu total %llu\n", (unsigned long long)slow,
	    (unsigned long long)(t - t0), (unsigned long long)total);
	free(buf);
	return (0);
}
