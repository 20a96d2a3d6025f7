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
 * Event stream clients for regress/integration/t-sse.sh, on loopback only.
 *
 *   sse-load -p port -c cookie -n clients [-w text] [-t seconds]
 *	Opens that many /events streams at once and prints "ready N" when
 *	every one has its first (state) event; then waits until every one
 *	has a request-added event whose data contains text, and prints
 *	"fanout MS" (from the first client's copy of it to the last's)
 *	and "received N of M".  Exit 0 if all did.
 *
 *   sse-load -s -p port -c cookie [-t seconds]
 *	One stream that never reads (a tiny receive buffer), until its
 *	standard input ends; then it reads what is left and says whether
 *	the daemon had closed it: "closed after N bytes" (exit 0) or
 *	"open after N bytes" (exit 1).
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN	(64 * 1024)	/* longer lines are cut, still seen */

struct client {
	int	 fd;
	int	 in_body;		/* past the response headers */
	int	 status;		/* HTTP status */
	int	 got_state;
	int	 got_want;
	int	 closed;
	int	 added;			/* current event is request-added */
	double	 t_want;		/* when that event came */
	size_t	 len;
	char	*line;
};

static const char	*want = NULL;
static int		 port;
static const char	*cookie;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sse-load -p port -c cookie [-n clients] "
	    "[-w text] [-t seconds] [-s]\n");
	exit(2);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static int
open_stream(int rcvbuf)
{
	struct sockaddr_in	 sin;
	char			 req[512];
	int			 fd, n;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1) {
		close(fd);
		return (-1);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return (-1);
	}
	n = snprintf(req, sizeof(req), "GET /events HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nCookie: guardiand_session=%s\r\n"
	    "Accept: text/event-stream\r\n\r\n", port, cookie);
	if (n < 0 || (size_t)n >= sizeof(req) || write(fd, req, n) != n) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* One line of the response: headers, then SSE (chunk sizes ignored). */
static void
line(struct client *c)
{
	char	*l = c->line;
	size_t	 n = c->len;

	if (n > 0 && l[n - 1] == '\r')
		l[--n] = '\0';
	if (!c->in_body) {
		if (c->status == 0 && strncmp(l, "HTTP/1.", 7) == 0)
			c->status = atoi(l + 9);
		else if (n == 0)
			c->in_body = 1;
		return;
	}
	if (n == 0) {
		c->added = 0;
		return;
	}
	if (strcmp(l, "event: state") == 0)
		c->got_state = 1;
	else if (strncmp(l, "event: ", 7) == 0)
		c->added = strcmp(l + 7, "request-added") == 0;
	else if (c->added && strncmp(l, "data: ", 6) == 0 && want != NULL &&
	    strstr(l, want) != NULL && !c->got_want) {
		c->got_want = 1;
		c->t_want = now();
	}
}

/* Read what there is; 0 while the stream is open, -1 once it ended. */
static int
drain(struct client *c)
{
	char	 buf[16384];
	ssize_t	 r;
	size_t	 i;

	for (;;) {
		if ((r = read(c->fd, buf, sizeof(buf))) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return (0);
			return (-1);
		}
		if (r == 0)
			return (-1);
		for (i = 0; i < (size_t)r; i++) {
			if (buf[i] == '\n') {
				c->line[c->len] = '\0';
				line(c);
				c->len = 0;
			} else if (c->len < LINE_MAX_LEN)
				c->line[c->len++] = buf[i];
		}
	}
}

static int
load(int n, double timeout)
{
	struct client	*cs;
	struct pollfd	*pfd;
	double		 end = now() + timeout, first, last;
	int		 i, ready = 0, got, open, announced = 0;

	if ((cs = calloc(n, sizeof(*cs))) == NULL ||
	    (pfd = calloc(n, sizeof(*pfd))) == NULL) {
		perror("calloc");
		return (1);
	}
	for (i = 0; i < n; i++) {
		if ((cs[i].fd = open_stream(0)) == -1) {
			printf("connect %d of %d failed: %s\n", i + 1, n,
			    strerror(errno));
			return (1);
		}
		if (fcntl(cs[i].fd, F_SETFL, O_NONBLOCK) == -1 ||
		    (cs[i].line = malloc(LINE_MAX_LEN + 1)) == NULL) {
			perror("setup");
			return (1);
		}
		pfd[i].fd = cs[i].fd;
		pfd[i].events = POLLIN;
		/* Let the daemon keep up with the connects. */
		if (i % 64 == 63)
			(void)poll(pfd, i + 1, 0);
	}
	for (;;) {
		ready = got = open = 0;
		for (i = 0; i < n; i++) {
			if (!cs[i].closed && (pfd[i].revents & (POLLIN |
			    POLLHUP | POLLERR)) && drain(&cs[i]) == -1) {
				cs[i].closed = 1;
				close(cs[i].fd);
				pfd[i].fd = -1;
			}
			ready += cs[i].got_state && cs[i].status == 200;
			got += cs[i].got_want;
			open += !cs[i].closed;
		}
		if (!announced && ready == n) {
			printf("ready %d\n", n);
			fflush(stdout);
			announced = 1;
		}
		if ((want == NULL && announced) || (want != NULL && got == n) ||
		    now() > end || open < n)
			break;
		if (poll(pfd, n, 100) == -1 && errno != EINTR) {
			perror("poll");
			return (1);
		}
	}
	if (want != NULL && got == n) {
		/* Fan-out: from the first client's copy to the last's. */
		first = last = cs[0].t_want;
		for (i = 1; i < n; i++) {
			if (cs[i].t_want < first)
				first = cs[i].t_want;
			if (cs[i].t_want > last)
				last = cs[i].t_want;
		}
		printf("fanout %.1f ms\n", (last - first) * 1000);
	}
	printf("ready %d of %d, received %d of %d, open %d of %d\n", ready, n,
	    got, n, open, n);
	return (ready == n && (want == NULL || got == n) && open == n ? 0 : 1);
}

/* A client that does not read, until told to on stdin. */
static int
stall(double timeout)
{
	struct pollfd	 pfd;
	char		 buf[65536];
	size_t		 total = 0;
	ssize_t		 r;
	double		 end;
	int		 fd;

	if ((fd = open_stream(4096)) == -1) {
		printf("connect failed: %s\n", strerror(errno));
		return (1);
	}
	printf("stalled\n");
	fflush(stdout);
	while ((r = read(STDIN_FILENO, buf, sizeof(buf))) > 0 ||
	    (r == -1 && errno == EINTR))
		;
	end = now() + timeout;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (now() < end) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((r = read(fd, buf, sizeof(buf))) <= 0) {
			printf("closed after %zu bytes\n", total);
			return (0);
		}
		total += r;
	}
	printf("open after %zu bytes\n", total);
	return (1);
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	double		 timeout = 30;
	int		 ch, n = 1, stalled = 0;

	while ((ch = getopt(argc, argv, "c:n:p:st:w:")) != -1) {
		switch (ch) {
		case 'c':
			cookie = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			stalled = 1;
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'w':
			want = optarg;
			break;
		default:
			usage();
		}
	}
	if (port <= 0 || port > 65535 || cookie == NULL || n < 1 ||
	    strlen(cookie) > 128)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	return (stalled ? stall(timeout) : load(n, timeout));
}
