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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "guardiand.h"
#include "log.h"

/*
 * The parent creates and binds every listening socket; the network
 * children, which cannot bind, receive them over their channel.
 */

#define LISTEN_BACKLOG	511

static int	 listen_unix(struct listen_addr *, char *, size_t);
static int	 listen_tcp(struct listen_addr *, int, char *, size_t);

static int
is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		return ((ntohl(sin->sin_addr.s_addr) >> 24) == 127);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		return (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	}
	return (0);
}

/*
 * A unix socket path: its directory is created 0700 if missing; a
 * stale socket nobody listens on is replaced, anything else refused.
 */
static int
listen_unix(struct listen_addr *la, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	char			 dir[sizeof(sun.sun_path)], *p;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, la->path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", la->path);
		return (-1);
	}
	strlcpy(dir, la->path, sizeof(dir));
	if ((p = strrchr(dir, '/')) != NULL && p != dir) {
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s: %s", dir,
			    strerror(errno));
			return (-1);
		}
	}
	if (lstat(la->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket",
			    la->path);
			return (-1);
		}
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			return (-1);
		}
		if (connect(probe, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errlen, "%s: another daemon is "
			    "listening there", la->path);
			return (-1);
		}
		close(probe);
		(void)unlink(la->path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "bind %s: %s", la->path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	/*
	 * Any local user, and a container that has the directory
	 * bind-mounted, may connect: the token authenticates.
	 */
	if (chmod(la->path, 0666) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		snprintf(err, errlen, "%s: %s", la->path, strerror(errno));
		close(fd);
		return (-1);
	}
	la->fd = fd;
	return (0);
}

/*
 * The address a TCP listener binds: the first a name resolves to.  For
 * the UI a non-loopback address needs ui_allow_remote; otherwise it is
 * allowed, and *remote says so.
 */
static int
tcp_resolve(struct listen_addr *la, int loopback_only, int *remote,
    struct addrinfo **resp, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	int		 error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	error = getaddrinfo(la->host[0] != '\0' ? la->host : NULL, la->port,
	    &hints, &res);
	if (error) {
		snprintf(err, errlen, "%s: %s", la->spec, gai_strerror(error));
		return (-1);
	}
	*remote = !is_loopback(res->ai_addr);
	if (*remote && loopback_only) {
		snprintf(err, errlen, "%s: the approval UI listens on "
		    "loopback only (see ui_allow_remote)", la->spec);
		freeaddrinfo(res);
		return (-1);
	}
	*resp = res;
	return (0);
}

static int
listen_tcp(struct listen_addr *la, int loopback_only, char *err,
    size_t errlen)
{
	struct addrinfo	*res;
	int		 fd, on = 1, remote;

	if (tcp_resolve(la, loopback_only, &remote, &res, err, errlen) == -1)
		return (-1);
	if (remote)
		log_warnx("listening on non-loopback address %s: reachable "
		    "from the network (a token is still required)", la->spec);
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, res->ai_protocol)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		freeaddrinfo(res);
		return (-1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (res->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		snprintf(err, errlen, "%s: %s", la->spec, strerror(errno));
		close(fd);
		freeaddrinfo(res);
		return (-1);
	}
	freeaddrinfo(res);
	la->fd = fd;
	return (0);
}

/*
 * A unix socket's place, as listen_unix() will need it: its directory
 * there or makeable (one level, as listen_unix makes it), and nothing
 * but a socket at the path.
 */
static int
unix_check(struct listen_addr *la, char *err, size_t errlen)
{
	struct stat	 st;
	char		 dir[PATH_MAX], *p;

	if (strlcpy(dir, la->path, sizeof(dir)) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", la->path);
		return (-1);
	}
	if ((p = strrchr(dir, '/')) != NULL && p != dir) {
		*p = '\0';
		if (stat(dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				snprintf(err, errlen, "%s: not a directory",
				    dir);
				return (-1);
			}
		} else if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return (-1);
		} else {
			p = strrchr(dir, '/');
			if (p != dir)
				*p = '\0';
			else
				p[1] = '\0';
			if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
				snprintf(err, errlen, "%s: cannot be made: no "
				    "directory %s", la->path, dir);
				return (-1);
			}
			return (0);
		}
	}
	if (lstat(la->path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket",
		    la->path);
		return (-1);
	}
	return (0);
}

int
listen_check(struct listen_addr *la, int loopback_only, int *remote,
    char *err, size_t errlen)
{
	struct addrinfo	*res;

	*remote = 0;
	if (la->is_unix)
		return (unix_check(la, err, errlen));
	if (tcp_resolve(la, loopback_only, remote, &res, err, errlen) == -1)
		return (-1);
	freeaddrinfo(res);
	return (0);
}

int
listen_apart(const char *ctl, struct listen_list *ll, char *err,
    size_t errlen)
{
	struct listen_addr	*la;
	const char		*p;
	size_t			 len, clen;

	/* The directory of the control socket. */
	if ((p = strrchr(ctl, '/')) == NULL)
		return (0);
	clen = p - ctl;
	TAILQ_FOREACH(la, ll, entry) {
		if (!la->is_unix || (p = strrchr(la->path, '/')) == NULL)
			continue;
		len = p - la->path;
		/* The same directory, or one inside the other. */
		if (strncmp(ctl, la->path, len < clen ? len : clen) == 0 &&
		    (len == clen || (len < clen && ctl[len] == '/') ||
		    (clen < len && la->path[clen] == '/'))) {
			snprintf(err, errlen, "control socket %s and request "
			    "socket %s share a directory: a container that "
			    "mounts one would reach the other", ctl,
			    la->path);
			return (-1);
		}
	}
	return (0);
}

/* Bind every listener of a list; on failure report and close all. */
int
listen_all(struct listen_list *ll, int loopback_only, char *err,
    size_t errlen)
{
	struct listen_addr	*la;
	int			 rv;

	TAILQ_FOREACH(la, ll, entry) {
		if (la->is_unix)
			rv = listen_unix(la, err, errlen);
		else
			rv = listen_tcp(la, loopback_only, err, errlen);
		if (rv == -1) {
			listen_close(ll);
			return (-1);
		}
	}
	return (0);
}

void
listen_close(struct listen_list *ll)
{
	struct listen_addr	*la;

	TAILQ_FOREACH(la, ll, entry) {
		if (la->fd == -1)
			continue;
		close(la->fd);
		la->fd = -1;
		if (la->is_unix)
			(void)unlink(la->path);
	}
}
