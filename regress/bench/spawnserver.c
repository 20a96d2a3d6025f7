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
 * The floor of regress/bench.sh's throughput rows: the least a server
 * that runs a command per request must do, in one process, one request
 * at a time: accept a connection, read the HTTP request, spawn the
 * command, wait for it, answer, close.  No policy, no audit, no
 * sandbox, no output captured.
 *
 *   spawnserver PORTFILE PATH [ARG ...]
 *
 * Listens on 127.0.0.1, on a port of the kernel's choosing, which it
 * writes to PORTFILE once it accepts; runs PATH with its arguments for
 * every request (stdin, stdout and stderr /dev/null) and answers 200
 * with the exit status in a small JSON body.  Runs until killed.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

extern char	**environ;

#define HEAD_MAX	16384

/* Read the request head and its body (Content-Length); 0, or -1. */
static int
read_request(int fd)
{
	char		 buf[HEAD_MAX + 1], *end, *cl;
	size_t		 len = 0;
	long		 body = 0, have;
	ssize_t		 n;

	for (;;) {
		if (len == HEAD_MAX)
			return (-1);
		if ((n = read(fd, buf + len, HEAD_MAX - len)) <= 0)
			return (-1);
		len += n;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL && cl < end)
		body = strtol(cl + 17, NULL, 10);
	have = len - (end + 4 - buf);
	while (have < body) {
		if ((n = read(fd, buf, sizeof(buf) - 1)) <= 0)
			return (-1);
		have += n;
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in		 sin;
	socklen_t			 slen = sizeof(sin);
	posix_spawn_file_actions_t	 fa;
	FILE				*pf;
	char				 reply[256], body[64];
	pid_t				 pid;
	int				 s, c, status, n, m, one = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: spawnserver portfile path [arg ...]\n");
		return (2);
	}
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 1024) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) == -1)
		err(1, "listen");
	if ((pf = fopen(argv[1], "w")) == NULL)
		err(1, "%s", argv[1]);
	fprintf(pf, "%d\n", ntohs(sin.sin_port));
	if (fclose(pf) == EOF)
		err(1, "%s", argv[1]);
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
	    0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY,
	    0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, 1, 2) != 0)
		errx(1, "posix_spawn_file_actions");
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			err(1, "accept");
		}
		if (read_request(c) == -1) {
			close(c);
			continue;
		}
		status = 0;
		if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2,
		    environ) != 0)
			status = 127 << 8;
		else
			while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
				;
		m = snprintf(body, sizeof(body), "{\"exit_code\":%d}\n",
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128);
		n = snprintf(reply, sizeof(reply), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\nContent-Length: %d\r\n"
		    "Connection: close\r\n\r\n%s", m, body);
		if (write(c, reply, n) != n)
			warn("write");
		close(c);
	}
}
