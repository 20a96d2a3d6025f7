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
 * The load of regress/bench.sh's throughput rows: keeps a number of
 * requests in flight against an HTTP server for a while, each on a
 * connection of its own (as hostexec makes them), and reports how many
 * it completed per second and their latency.
 *
 *   loadgen -c inflight -t seconds [-w warmup] -p port [-k token]
 *       [-a arg ...] label
 *
 * Each of the inflight threads sends POST /request with the body
 * {"args":[ARGS]} (default "true") and X-Cloister-Token (if -k), reads
 * the answer to its end and starts the next.  Requests started during
 * the warmup seconds are not counted.  An answer that is not 200 is an
 * error, not timed.  Output, one line:
 *   "# LABEL inflight=N reqs=M errors=E rps=R p50=U p99=U total=T" (U in
 * microseconds, nearest rank; T the answers of 200 in all, warm-up and
 * the last ones past the end included: every command that ran).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct worker {
	pthread_t	 tid;
	uint64_t	*us;		/* latencies of counted requests */
	size_t		 n, cap;
	unsigned long	 errors;
	unsigned long	 answered;	/* 200s, counted or not */
};

static char		 request[4096];
static size_t		 reqlen;
static int		 port;
static uint64_t		 t_count, t_end;	/* counting from, until */

static uint64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* One request on a connection of its own: 0 if answered 200. */
static int
one(void)
{
	struct sockaddr_in	 sin;
	char			 buf[65536];
	size_t			 got = 0;
	ssize_t			 n;
	int			 s, ok;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    write(s, request, reqlen) != (ssize_t)reqlen) {
		close(s);
		return (-1);
	}
	/* The status line is in the first bytes; the rest is read away. */
	while ((n = read(s, buf + got, sizeof(buf) - got)) > 0)
		if (got < 16)
			got += n;
	ok = got >= 12 && memcmp(buf, "HTTP/1.", 7) == 0 &&
	    memcmp(buf + 8, " 200", 4) == 0;
	close(s);
	return (ok ? 0 : -1);
}

static void *
work(void *arg)
{
	struct worker	*w = arg;
	uint64_t	 t0, t1;

	while ((t0 = now_us()) < t_end) {
		if (one() == -1) {
			if (t0 >= t_count)
				w->errors++;
			continue;
		}
		w->answered++;
		t1 = now_us();
		if (t0 < t_count || t1 > t_end)
			continue;
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 1024;
			if ((w->us = reallocarray(w->us, w->cap,
			    sizeof(*w->us))) == NULL)
				err(1, NULL);
		}
		w->us[w->n++] = t1 - t0;
	}
	return (NULL);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static uint64_t
rank(const uint64_t *v, size_t n, int p)
{
	size_t	 r = (n * p + 99) / 100;

	return (n == 0 ? 0 : v[r > 0 ? r - 1 : 0]);
}

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: loadgen -c inflight -t seconds [-w warmup] "
	    "-p port [-k token] [-a arg ...] label\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct worker	*w;
	const char	*token = NULL, *label;
	char		 body[1024];
	uint64_t	*all;
	size_t		 n = 0, blen, i;
	unsigned long	 errors = 0, answered = 0;
	double		 secs = 0, warm = 1;
	int		 c, inflight = 0, nargs = 0, bl, hl;

	blen = snprintf(body, sizeof(body), "{\"args\":[");
	while ((c = getopt(argc, argv, "a:c:k:p:t:w:")) != -1) {
		switch (c) {
		case 'a':
			bl = snprintf(body + blen, sizeof(body) - blen,
			    "%s\"%s\"", nargs++ ? "," : "", optarg);
			if (bl < 0 || (size_t)bl >= sizeof(body) - blen)
				errx(2, "arguments too long");
			blen += bl;
			break;
		case 'c':
			inflight = atoi(optarg);
			break;
		case 'k':
			token = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'w':
			warm = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1 || inflight < 1 || inflight > 1024 ||
	    secs <= 0 || warm < 0 || port < 1 || port > 65535)
		usage();
	label = argv[optind];
	bl = snprintf(body + blen, sizeof(body) - blen, "%s]}",
	    nargs ? "" : "\"true\"");
	if (bl < 0 || (size_t)bl >= sizeof(body) - blen)
		errx(2, "arguments too long");
	blen += bl;
	hl = snprintf(request, sizeof(request), "POST /request HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n%s%s%sContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    token ? "X-Cloister-Token: " : "", token ? token : "",
	    token ? "\r\n" : "", blen, body);
	if (hl < 0 || (size_t)hl >= sizeof(request))
		errx(2, "request too long");
	reqlen = hl;

	t_count = now_us() + (uint64_t)(warm * 1e6);
	t_end = t_count + (uint64_t)(secs * 1e6);
	if ((w = calloc(inflight, sizeof(*w))) == NULL)
		err(1, NULL);
	for (c = 0; c < inflight; c++)
		if ((errno = pthread_create(&w[c].tid, NULL, work, &w[c])) != 0)
			err(1, "pthread_create");
	for (c = 0; c < inflight; c++) {
		pthread_join(w[c].tid, NULL);
		n += w[c].n;
		errors += w[c].errors;
		answered += w[c].answered;
	}
	if ((all = calloc(n ? n : 1, sizeof(*all))) == NULL)
		err(1, NULL);
	for (n = 0, c = 0; c < inflight; c++)
		for (i = 0; i < w[c].n; i++)
			all[n++] = w[c].us[i];
	qsort(all, n, sizeof(*all), cmp_u64);
	printf("# %s inflight=%d reqs=%zu errors=%lu rps=%.1f p50=%llu "
	    "p99=%llu total=%lu\n", label, inflight, n, errors, n / secs,
	    (unsigned long long)rank(all, n, 50),
	    (unsigned long long)rank(all, n, 99), answered);
	return (n > 0 ? 0 : 1);
}
