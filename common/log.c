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
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int		 log_debug_mode;
static int		 log_verbose;
static const char	*log_procname;
static void		(*log_sink)(int, const char *);
static int		 log_facility = LOG_DAEMON;

/*
 * Records go to the syslog daemon through a socket of our own rather
 * than syslog(3), which, with no syslog daemon (no /dev/log: many
 * containers and minimal machines), tries to connect again on every
 * record.  A failed connect is tried again at most every
 * SYSLOG_RETRY_S seconds; records in between are dropped.
 */
#define SYSLOG_PATH	"/dev/log"
#define SYSLOG_RETRY_S	5
static int		 syslog_fd = -1;
static time_t		 syslog_tried;

static int
syslog_connect(void)
{
	struct sockaddr_un	 sun;
	time_t			 now = time(NULL);

	if (syslog_fd != -1)
		return (0);
	if (syslog_tried != 0 && now - syslog_tried < SYSLOG_RETRY_S &&
	    now >= syslog_tried)
		return (-1);
	syslog_tried = now;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, SYSLOG_PATH, sizeof(sun.sun_path));
	if ((syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(syslog_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(syslog_fd);
		syslog_fd = -1;
		return (-1);
	}
	syslog_tried = 0;
	return (0);
}

/*
 * One record, as syslog(3) with LOG_PID would send it; -1 if it did
 * not reach the syslog daemon's socket.  A daemon restarted since we
 * connected gets one fresh connect at once.
 */
int
log_syslog(int pri, const char *msg)
{
	extern char	*__progname;
	struct tm	 tm;
	time_t		 now;
	char		 ts[32], *buf;
	int		 len, tries;
	ssize_t		 n = -1;

	if ((pri & LOG_FACMASK) == 0)
		pri |= log_facility;
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	if ((len = asprintf(&buf, "<%d>%s %s[%d]: %s", pri, ts, __progname,
	    (int)getpid(), msg)) == -1)
		return (-1);
	for (tries = 0; tries < 2 && n == -1; tries++) {
		if (syslog_connect() == -1)
			break;
		if ((n = send(syslog_fd, buf, len, MSG_NOSIGNAL)) == -1) {
			close(syslog_fd);
			syslog_fd = -1;
			syslog_tried = 0;
		}
	}
	free(buf);
	return (n == len ? 0 : -1);
}

/*
 * Connect to syslog now, while the process may still open sockets: a
 * sandboxed child must not need connect(2) later to log.
 */
void
log_init(int debug, int facility)
{
	log_debug_mode = debug;
	log_verbose = debug;
	log_facility = facility;
	if (!debug)
		(void)syslog_connect();
	tzset();
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

/*
 * A sandboxed child may neither reconnect to syslog nor write to a
 * file: it hands its records to the parent through this sink.
 */
void
log_setsink(void (*sink)(int, const char *))
{
	log_sink = sink;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 buf[1024];
	int	 saved_errno = errno;

	if (log_sink != NULL) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		log_sink(pri, buf);
	} else if (log_debug_mode) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		if (log_procname != NULL)
			fprintf(stderr, "%s: %s\n", log_procname, buf);
		else
			fprintf(stderr, "%s\n", buf);
		fflush(stderr);
	} else {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		(void)log_syslog(pri, buf);
	}
	errno = saved_errno;
}

/*
 * Text from a process we do not trust, made fit to be part of one log
 * line wherever it goes (stderr, syslog, the journal): printable ASCII
 * stays, a backslash, \n, \r, \t and \b are written as in C, and every
 * other byte as \ooo: C0, DEL, and all bytes from 0x80, since raw UTF-8
 * could carry a bidi override that reorders the line on screen.  The
 * result decodes back to exactly the input.  NULL if out of memory.
 */
char *
log_escape(const char *s)
{
	static const char	 special[] = "\\\n\r\t\b", letter[] = "\\nrtb";
	const unsigned char	*p;
	const char		*c;
	char			*out, *o;
	size_t			 len = strlen(s);

	if (len > (SIZE_MAX - 1) / 4 || (out = malloc(4 * len + 1)) == NULL)
		return (NULL);
	for (o = out, p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((c = strchr(special, *p)) != NULL) {
			*o++ = '\\';
			*o++ = letter[c - special];
		} else if (*p >= 0x20 && *p < 0x7f)
			*o++ = *p;
		else {
			*o++ = '\\';
			*o++ = '0' + (*p >> 6);
			*o++ = '0' + ((*p >> 3) & 7);
			*o++ = '0' + (*p & 7);
		}
	}
	*o = '\0';
	return (out);
}

void
log_warn(const char *emsg, ...)
{
	char	 fmt[1024];
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, emsg);
	if (emsg == NULL)
		log_warnx("%s", strerror(saved_errno));
	else if ((size_t)snprintf(fmt, sizeof(fmt), "%s: %s", emsg,
	    strerror(saved_errno)) >= sizeof(fmt))
		vlog(LOG_ERR, emsg, ap);
	else
		vlog(LOG_ERR, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_info(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_INFO, emsg, ap);
	va_end(ap);
}

void
log_debug(const char *emsg, ...)
{
	va_list	 ap;

	if (log_verbose > 1) {
		va_start(ap, emsg);
		vlog(LOG_DEBUG, emsg, ap);
		va_end(ap);
	}
}

static __dead void
vfatalc(int code, const char *emsg, va_list ap)
{
	char	 s[1024];

	s[0] = '\0';
	if (emsg != NULL)
		(void)vsnprintf(s, sizeof(s), emsg, ap);
	if (code)
		log_warnx("fatal in %s: %s%s%s",
		    log_procname ? log_procname : "main", s,
		    emsg != NULL ? ": " : "", strerror(code));
	else
		log_warnx("fatal in %s: %s",
		    log_procname ? log_procname : "main", s);
	exit(1);
}

void
fatal(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(errno, emsg, ap);
	va_end(ap);
}

void
fatalx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
	va_end(ap);
}
