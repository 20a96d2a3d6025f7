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
 * The systemd notification protocol (sd_notify(3)), without
 * libsystemd: datagrams of NAME=value lines to the socket
 * $NOTIFY_SOCKET names (a path, or an abstract name after '@').  The
 * parent alone speaks it: READY=1 once it serves, STATUS=, STOPPING=1,
 * and WATCHDOG=1 (parent_liveness.c) while every child answers.  The
 * variables are taken out of the environment at once: commands get
 * the daemon's environment, and must not speak for it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "log.h"
#include "parent.h"

static struct {
	int			 fd;
	struct sockaddr_un	 sun;
	socklen_t		 sunlen;
	int64_t			 watchdog;	/* ms between WATCHDOG=1, 0 */
} sd;

void
sdnotify_init(void)
{
	const char	*path, *s;
	char		*end;
	unsigned long long usec;
	size_t		 len;

	sd.fd = -1;
	if ((s = getenv("WATCHDOG_USEC")) != NULL) {
		errno = 0;
		usec = strtoull(s, &end, 10);
		/* WATCHDOG_PID: meant for us, not for a process we forked. */
		if (errno == 0 && *end == '\0' && usec >= 2000 &&
		    ((s = getenv("WATCHDOG_PID")) == NULL ||
		    strtol(s, NULL, 10) == (long)getpid()))
			sd.watchdog = usec / 2000;
	}
	if ((path = getenv("NOTIFY_SOCKET")) != NULL && (len = strlen(path)) >
	    1 && (path[0] == '/' || path[0] == '@') &&
	    len < sizeof(sd.sun.sun_path)) {
		sd.sun.sun_family = AF_UNIX;
		memcpy(sd.sun.sun_path, path, len);
		if (path[0] == '@')
			sd.sun.sun_path[0] = '\0';
		sd.sunlen = offsetof(struct sockaddr_un, sun_path) + len +
		    (path[0] == '/');
		if ((sd.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0)) == -1)
			log_warn("NOTIFY_SOCKET");
	} else if (path != NULL)
		log_warnx("NOTIFY_SOCKET: not a socket address, ignored");
	if (sd.fd == -1)
		sd.watchdog = 0;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* Half of WATCHDOG_USEC, in ms: how often WATCHDOG=1 is due; 0: never. */
int64_t
sdnotify_watchdog(void)
{
	return (sd.watchdog);
}

/*
 * One datagram.  Never blocks: a manager that does not read must not
 * stop the daemon; what cannot be sent is logged at debug level.
 */
void
sdnotify(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];
	int	 n;

	if (sd.fd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	if (sendto(sd.fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&sd.sun, sd.sunlen) == -1)
		log_debug("NOTIFY_SOCKET: %s", strerror(errno));
}
