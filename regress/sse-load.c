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
 * Event stream clients for regress/integration/t-sse.sh and make bench,
 * on loopback only.
 *
 *   sse-load -p port -c cookie -n clients [-w text] [-t seconds]
 *	Opens that many /events streams at once and prints "ready N" when
 *	every one has its first (state) event; then waits until every one
 *	has a request-added event whose data contains text, and prints
 *	"fanout MS" (from the first client's copy of it to the last's,
 *	as the kernel received them), "fanout-read MS" (the same, as this
 *	program read them) and "received N of M".  Exit 0 if all did.
 *
 *   sse-load -F -w text [-n clients] [-t seconds]
 *	The same against a floor instead of the daemon: a process of its
 *	own that does nothing but write the event to each stream.
 *
 *   sse-load -s -p port -c cookie [-t seconds]
 *	One stream that never reads (a tiny receive buffer), until its
 *	standard input ends; then it reads what is left and says whether
 *	the daemon had closed it: "closed after N bytes" (exit 0) or
 *	"open after N bytes" (exit 1).
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
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
	double	 t_want;		/* when that event was read */
	double	 t_arrived;		/* when the kernel had it */
	double	 t_chunk;		/* when the kernel had this read's */
	size_t	 len;
	char	*line;
};

static const char	*want = NULL;
static int		 port;
static const char	*cookie;
static int		 go = -1;	/* -F: tells the writer to send */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sse-load -p port -c cookie [-n clients] "
	    "[-w text] [-t seconds] [-s]\n"
	    "       sse-load -F -w text [-n clients] [-t seconds]\n");
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
	int			 fd, n, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1) {
		close(fd);
		return (-1);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == -1) {
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
		c->t_arrived = c->t_chunk;
	}
}

/*
 * Read what there is; 0 while the stream is open, -1 once it ended.
 * One read(2): what does not fit comes with the next readiness.
 */
static int
drain(struct client *c)
{
	char	 buf[16384];
	ssize_t	 r;
	size_t	 i;

	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	struct timespec	 ts;
	char		 cbuf[CMSG_SPACE(sizeof(struct timespec))];

	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	if ((r = recvmsg(c->fd, &msg, 0)) == -1)
		return (errno == EAGAIN || errno == EINTR ? 0 : -1);
	if (r == 0)
		return (-1);
	/* The last of the data's arrival (SO_TIMESTAMPNS), else now. */
	c->t_chunk = -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			c->t_chunk = ts.tv_sec + ts.tv_nsec / 1e9;
		}
	for (i = 0; i < (size_t)r; i++) {
		if (buf[i] == '\n') {
			c->line[c->len] = '\0';
			line(c);
			c->len = 0;
		} else if (c->len < LINE_MAX_LEN)
			c->line[c->len++] = buf[i];
	}
	return (0);
}

/* Last minus first of a time of every client; -1 if one has none. */
static double
spread(struct client *cs, int n, size_t off)
{
	double	 t, first, last;
	int	 i;

	first = last = *(double *)((char *)&cs[0] + off);
	for (i = 0; i < n; i++) {
		if ((t = *(double *)((char *)&cs[i] + off)) <= 0)
			return (-1);
		if (t < first)
			first = t;
		if (t > last)
			last = t;
	}
	return (last - first);
}

/*
 * epoll(7), so that what is timed is the daemon's writing and not this
 * program looking at thousands of idle descriptors for each ready one.
 */
static int
load(int n, double timeout)
{
	struct client		*cs, *c;
	struct epoll_event	 ee, evs[256];
	double			 end = now() + timeout, tread, tarr;
	int			 i, k, ep, nev, ready = 0, got = 0, open = n;
	int			 announced = 0;

	if ((cs = calloc(n, sizeof(*cs))) == NULL) {
		perror("calloc");
		return (1);
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("epoll_create1");
		return (1);
	}
	for (i = 0; i < n; i++) {
		if ((cs[i].fd = open_stream(0)) == -1) {
			printf("connect %d of %d failed: %s\n", i + 1, n,
			    strerror(errno));
			return (1);
		}
		ee.events = EPOLLIN;
		ee.data.ptr = &cs[i];
		if (fcntl(cs[i].fd, F_SETFL, O_NONBLOCK) == -1 ||
		    (cs[i].line = malloc(LINE_MAX_LEN + 1)) == NULL ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ee) == -1) {
			perror("setup");
			return (1);
		}
		/* Let the daemon keep up with the connects. */
		if (i % 64 == 63)
			(void)epoll_wait(ep, evs, 1, 0);
	}
	for (;;) {
		if (!announced && ready == n) {
			printf("ready %d\n", n);
			fflush(stdout);
			announced = 1;
			if (go != -1 && write(go, "g", 1) != 1) {
				perror("write");
				return (1);
			}
		}
		if ((want == NULL && announced) || (want != NULL && got == n) ||
		    now() > end || open < n)
			break;
		if ((nev = epoll_wait(ep, evs, 256, 100)) == -1) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			return (1);
		}
		for (k = 0; k < nev; k++) {
			c = evs[k].data.ptr;
			ready -= c->got_state && c->status == 200;
			got -= c->got_want;
			if (drain(c) == -1) {
				c->closed = 1;
				open--;
				(void)epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
			}
			ready += c->got_state && c->status == 200;
			got += c->got_want;
		}
	}
	if (want != NULL && got == n) {
		/*
		 * Fan-out: from the first client's copy to the last's, as the
		 * kernel had them (SO_TIMESTAMPNS: the daemon's doing, not
		 * ours), and as this program got round to reading them.
		 */
		tread = spread(cs, n, offsetof(struct client, t_want));
		tarr = spread(cs, n, offsetof(struct client, t_arrived));
		printf("fanout %.1f ms%s\n", (tarr < 0 ? tread : tarr) *
		    1000, tarr < 0 ? " (as read)" : "");
		printf("fanout-read %.1f ms\n", tread * 1000);
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

/*
 * -F: the floor.  A process of its own (as the daemon's ui child is)
 * accepts the n streams, answers each with a state event, and when
 * told to writes one event to each in a loop, one writev(2) a stream
 * and nothing else; load() reads and times them as it does the
 * daemon's.
 */
static int
floor_writer(int n)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	struct iovec		 iov;
	char			 ev[256], c;
	int			 s, i, on = 1, p[2], *fds;
	pid_t			 pid;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, n) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) == -1 ||
	    pipe(p) == -1 || (fds = calloc(n, sizeof(*fds))) == NULL)
		return (-1);
	port = ntohs(sin.sin_port);
	if ((pid = fork()) == -1)
		return (-1);
	if (pid != 0) {
		close(s);
		close(p[0]);
		go = p[1];
		return (0);
	}
	close(p[1]);
	iov.iov_len = snprintf(ev, sizeof(ev), "HTTP/1.1 200 OK\r\n\r\n"
	    "event: state\ndata: {}\n\n");
	iov.iov_base = ev;
	for (i = 0; i < n; i++)
		if ((fds[i] = accept(s, NULL, NULL)) == -1 ||
		    writev(fds[i], &iov, 1) != (ssize_t)iov.iov_len)
			_exit(1);
	if (read(p[0], &c, 1) != 1)
		_exit(0);
	iov.iov_len = snprintf(ev, sizeof(ev), "event: request-added\n"
	    "data: {\"cmd\":\"echo %s\"}\n\n", want);
	for (i = 0; i < n; i++)
		if (writev(fds[i], &iov, 1) != (ssize_t)iov.iov_len)
			_exit(1);
	/* Until the reader is done. */
	while (read(p[0], &c, 1) > 0)
		;
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	double		 timeout = 30;
	int		 ch, n = 1, stalled = 0, floor = 0;

	while ((ch = getopt(argc, argv, "Fc:n:p:st:w:")) != -1) {
		switch (ch) {
		case 'F':
			floor = 1;
			break;
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
	if (floor) {
		cookie = "";
		port = 1;
		if (want == NULL || strlen(want) > 128 || stalled)
			usage();
	}
	if (port <= 0 || port > 65535 || cookie == NULL || n < 1 ||
	    strlen(cookie) > 128)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (floor && floor_writer(n) == -1) {
		perror("floor");
		return (1);
	}
	return (stalled ? stall(timeout) : load(n, timeout));
}
