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
 * hostexec: ask guardiand to run a command on the host (DESIGN 6.2).
 * It is copied into arbitrary container images, so it links libc only
 * and must build with musl-gcc -static.  Everything the server says is
 * untrusted until checked: the HTTP head and chunking are parsed
 * strictly and within fixed bounds, and server text is escaped before
 * it reaches the terminal.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "canon.h"
#include "frame.h"
#include "timeutil.h"

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif
#define PRINTFLIKE(a, b) __attribute__((__format__(__printf__, a, b)))

#define EX_NOTRUN	1	/* denied, approval timeout, too many pending */
#define EX_NOEXEC	126
#define EX_NOTFOUND	127
#define EX_BUSY		75	/* guardiand is busy: try again (EX_TEMPFAIL) */
#define EX_TROUBLE	255	/* usage, cannot reach or talk to guardiand */

#define DEFAULT_PORT	"9998"
#define HEAD_MAX	(16 * 1024)	/* response header block */
#define RBUF_SIZE	(128 * 1024)
#define ERRBODY_MAX	(16 * 1024)
#define CHUNK_MAX	(64UL * 1024 * 1024)
#define CHUNKEXT_MAX	1024
#define TRAILER_MAX	(16 * 1024)
#define SAFE_MAX	1024		/* server text shown, escaped */
#define MSG_MAX		(SAFE_MAX + 256)
#define JSON_DEPTH	32
#define JSON_MAX	(512UL * 1024 * 1024)	/* a buffered reply */
#define INFORMATIONAL_MAX 8		/* 1xx responses skipped */
#define COUNTDOWN_MAX	100000000	/* seconds; beyond that: no countdown */

/* State shared with the signal handler. */
static volatile sig_atomic_t	 sock = -1;
static volatile sig_atomic_t	 cd_width;	/* countdown on screen */

static int		 quiet;
static int		 queued;	/* a 'q' frame came: a human decides */
static int		 out_closed, err_closed;
static int		 cd_active;
static int		 cd_shown = -1;	/* seconds displayed */
static int64_t		 cd_deadline;	/* CLOCK_MONOTONIC, in ms */
/*
 * guardiand that answers keep-alives says something at least every
 * few seconds: silence longer than this (ms, 0: no limit) means it no
 * longer responds.
 */
static int64_t		 silence_max;
static int64_t		 heard;		/* CLOCK_MONOTONIC ms: last bytes */

static unsigned char	 rbuf[RBUF_SIZE];
/*
 * The frame being read: its header so far, then its payload.  Output
 * frames go straight through as their bytes come; only the payloads of
 * the few other frames are gathered, in fbuf.
 */
static unsigned char	 fhdr[FRAME_HDR_SIZE];
static size_t		 fhlen;
static int		 ftype = -1;	/* -1: reading a header */
static uint32_t		 fleft;		/* payload bytes still to come */
static unsigned char	 fbuf[FRAME_MAXPAYLOAD];
static size_t		 flen;
static unsigned char	 errbody[ERRBODY_MAX];
static size_t		 errlen;
static int		 body_stop;	/* the sink has all it wants */
static char		 reqbuf[8192];	/* requests that fit need no malloc */

struct resp {
	int		 status;
	int		 chunked;
	int		 haslen;
	uint64_t	 len;
	int		 stream;	/* Content-Type is the frame stream */
	int		 keepalive;	/* s between keep-alives, 0: none */
	char		 phrase[80];	/* sanitised */
	char		 ctype[80];	/* sanitised */
};

enum { B_LENGTH, B_CHUNKED, B_EOF };
enum { C_SIZE, C_EXT, C_SIZE_LF, C_DATA, C_DATA_CR, C_DATA_LF,
    C_TRAILER_START, C_TRAILER, C_TRAILER_LF, C_END_LF };

struct body {
	int		 mode;
	int		 state;
	int		 done;
	int		 ndigits;
	uint64_t	 left;	/* of the chunk, or of the Content-Length */
	size_t		 extra;	/* chunk extension or trailer bytes */
	const char	*error;
};

struct jp {
	const unsigned char	*p, *end;
	int			 depth;
};

static void	 cd_clear(void);

static int
full_write(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	struct pollfd	 pfd;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			/* An inherited O_NONBLOCK descriptor. */
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				pfd.fd = fd;
				pfd.events = POLLOUT;
				(void)poll(&pfd, 1, -1);
				continue;
			}
			return (-1);
		}
		p += n;
		len -= n;
	}
	return (0);
}

static void
vsay(const char *fmt, va_list ap)
{
	char	buf[MSG_MAX];
	size_t	len;
	int	n;

	cd_clear();
	cd_active = 0;
	memcpy(buf, "hostexec: ", 10);
	n = vsnprintf(buf + 10, sizeof(buf) - 11, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 12)
		n = sizeof(buf) - 12;
	len = 10 + n;
	buf[len++] = '\n';
	if (!err_closed && full_write(STDERR_FILENO, buf, len) == -1)
		err_closed = 1;
}

static void PRINTFLIKE(1, 2)
say(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

static __dead void PRINTFLIKE(2, 3)
die(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	exit(status);
}

static __dead void
usage(void)
{
	static const char u[] = "usage: hostexec [-q] command [arg ...]\n";

	(void)full_write(STDERR_FILENO, u, sizeof(u) - 1);
	exit(EX_TROUBLE);
}

static size_t
utf8_put(unsigned char *u, uint32_t cp)
{
	if (cp < 0x80) {
		u[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		u[0] = 0xc0 | cp >> 6;
		u[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp < 0x10000) {
		u[0] = 0xe0 | cp >> 12;
		u[1] = 0x80 | (cp >> 6 & 0x3f);
		u[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	u[0] = 0xf0 | cp >> 18;
	u[1] = 0x80 | (cp >> 12 & 0x3f);
	u[2] = 0x80 | (cp >> 6 & 0x3f);
	u[3] = 0x80 | (cp & 0x3f);
	return (4);
}

/* "\\xHH", "\\uHHHH" or "\\UHHHHHHHH" into e; returns its length. */
static size_t
hexesc(char *e, int kind, uint32_t v)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			n, i;

	n = kind == 'x' ? 2 : kind == 'u' ? 4 : 8;
	e[0] = '\\';
	e[1] = kind;
	for (i = 0; i < n; i++)
		e[2 + i] = hex[(v >> (4 * (n - 1 - i))) & 0xf];
	return (2 + n);
}

/*
 * Render untrusted text for the terminal as one line: valid UTF-8
 * passes; bytes that are not UTF-8 and what the canonical command
 * string never shows raw (controls, invisible and bidi formatting
 * characters, separators: canon_hidden) are escaped.
 * Long text is cut and ends in "...".
 */
static const char *
safe(char *dst, size_t dstsz, const unsigned char *s, size_t len)
{
	size_t		i = 0, n, o = 0;
	uint32_t	cp;
	char		esc[10];
	const char	*add;
	size_t		addlen;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			addlen = hexesc(esc, 'x', s[i]);
			add = esc;
			n = 1;
		} else if (cp == '\n' || cp == '\t' || cp == '\r') {
			esc[0] = '\\';
			esc[1] = cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r';
			add = esc;
			addlen = 2;
		} else if (cp < 0x20 || cp == 0x7f) {
			addlen = hexesc(esc, 'x', cp);
			add = esc;
		} else if (canon_hidden(cp)) {
			addlen = hexesc(esc, cp <= 0xffff ? 'u' : 'U', cp);
			add = esc;
		} else {
			add = (const char *)s + i;
			addlen = n;
		}
		/* Keep room for "..." and the NUL. */
		if (o + addlen + 4 > dstsz) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(dst + o, add, addlen);
		o += addlen;
		i += n;
	}
	dst[o] = '\0';
	return (dst);
}

static void
say_text(const unsigned char *text, size_t len, const char *dflt)
{
	char	buf[SAFE_MAX];

	if (len == 0)
		say("%s", dflt);
	else
		say("%s", safe(buf, sizeof(buf), text, len));
}

/*
 * The countdown shown on a terminal while a human decides.  It lives
 * on its own line under the "waiting for approval at ..." message and
 * is blanked out (no terminal escapes needed) when anything follows.
 */

/* Async-signal-safe: the handler uses it too. */
static void
cd_clear(void)
{
	char	buf[130];
	int	w = cd_width;

	if (w > 0 && w <= 128) {
		buf[0] = '\r';
		memset(buf + 1, ' ', w);
		buf[w + 1] = '\r';
		(void)full_write(STDERR_FILENO, buf, w + 2);
	}
	cd_width = 0;
}

static void
cd_start(long secs)
{
	cd_deadline = mono_now_ms() + (int64_t)secs * 1000;
	cd_active = 1;
	cd_shown = -1;
}

/* Redraw if the second changed; return the poll timeout to the next. */
static int
cd_tick(void)
{
	char	line[128];
	int64_t	left;
	long	secs;
	int	n, w, wait;

	if ((left = cd_deadline - mono_now_ms()) < 0)
		left = 0;
	secs = (left + 999) / 1000;
	wait = secs > 0 ? (int)(left - (int64_t)(secs - 1) * 1000) : -1;
	if (secs == cd_shown)
		return (wait);
	cd_shown = secs;
	if (secs >= 3600)
		n = snprintf(line, sizeof(line), "\rhostexec: waiting for "
		    "approval (%ld:%02ld:%02ld left)", secs / 3600,
		    secs / 60 % 60, secs % 60);
	else
		n = snprintf(line, sizeof(line), "\rhostexec: waiting for "
		    "approval (%ld:%02ld left)", secs / 60, secs % 60);
	if (n < 0 || n >= (int)sizeof(line))
		return (wait);
	w = n - 1;
	/* Pad over a longer previous line. */
	while (w < cd_width && n < (int)sizeof(line) - 1) {
		line[n++] = ' ';
		w++;
	}
	if (!err_closed && full_write(STDERR_FILENO, line, n) == -1)
		err_closed = 1;
	cd_width = w;
	return (wait);
}

/*
 * SIGINT, SIGTERM, SIGHUP: closing the connection makes guardiand
 * cancel a pending request or kill the running command.  Then die of
 * the same signal, so the shell sees it.
 */
static void
onsignal(int sig)
{
	struct sigaction	sa;
	sigset_t		set;

	if (sock != -1)
		(void)close(sock);
	cd_clear();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(sig, &sa, NULL);
	(void)sigemptyset(&set);
	(void)sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
	_exit(128 + sig);
}

static void
catch(int sig)
{
	struct sigaction	sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsignal;
	(void)sigfillset(&sa.sa_mask);
	/* Ignored on entry (nohup, a script's background job): keep it. */
	if (sigaction(sig, &sa, &old) == 0 && old.sa_handler == SIG_IGN)
		(void)sigaction(sig, &old, NULL);
}

/*
 * The request.
 */

static size_t
json_esclen(unsigned char c)
{
	if (c == '"' || c == '\\')
		return (2);
	if (c < 0x20)
		return (c == '\b' || c == '\f' || c == '\n' || c == '\r' ||
		    c == '\t' ? 2 : 6);
	return (1);
}

static char *
json_escape(char *o, const unsigned char *s)
{
	static const char	hex[] = "0123456789abcdef";

	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			*o++ = '\\';
			*o++ = *s;
		} else if (*s >= 0x20)
			*o++ = *s;	/* DEL and UTF-8 go raw */
		else {
			*o++ = '\\';
			switch (*s) {
			case '\b':
				*o++ = 'b';
				break;
			case '\f':
				*o++ = 'f';
				break;
			case '\n':
				*o++ = 'n';
				break;
			case '\r':
				*o++ = 'r';
				break;
			case '\t':
				*o++ = 't';
				break;
			default:
				memcpy(o, "u00", 3);
				o[3] = hex[*s >> 4];
				o[4] = hex[*s & 0xf];
				o += 5;
				break;
			}
		}
	}
	return (o);
}

/* JSON can only carry UTF-8: refuse anything else here, not there. */
static void
check_args(int argc, char **argv)
{
	const unsigned char	*s;
	char			 buf[SAFE_MAX];
	size_t			 i, len, n;
	uint32_t		 cp;
	int			 a;

	for (a = 0; a < argc; a++) {
		s = (const unsigned char *)argv[a];
		len = strlen(argv[a]);
		for (i = 0; i < len; i += n)
			if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
				break;
		if (i == len)
			continue;
		safe(buf, sizeof(buf), s, len);
		if (a == 0)
			die(EX_TROUBLE, "the command name is not valid UTF-8: "
			    "%s", buf);
		die(EX_TROUBLE, "argument %d is not valid UTF-8: %s", a, buf);
	}
}

static char *
build_request(int argc, char **argv, const char *target, const char *host,
    const char *token, size_t *lenp)
{
	const unsigned char	*s;
	size_t			 body, head, total;
	char			*req, *o;
	const char		*ka;
	int			 a, n;

	body = sizeof("{\"args\":[]}") - 1;
	for (a = 0; a < argc; a++) {
		body += 2 + (a > 0);
		for (s = (const unsigned char *)argv[a]; *s != '\0'; s++) {
			if (body > SIZE_MAX / 2)
				die(EX_TROUBLE, "arguments too long");
			body += json_esclen(*s);
		}
	}
	/* The buffered API has no frames to keep alive. */
	ka = strcmp(target, "/v1/exec") == 0 ?
	    KEEPALIVE_HEADER ": 1\r\n" : "";
	n = snprintf(NULL, 0, "POST %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "X-Cloister-Token: %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "Connection: close\r\n"
	    "\r\n", target, host, token, body, ka);
	if (n < 0)
		die(EX_TROUBLE, "cannot format the request");
	head = n;
	total = head + body;
	if (total + 1 <= sizeof(reqbuf))
		req = reqbuf;
	else if ((req = malloc(total + 1)) == NULL)
		die(EX_TROUBLE, "out of memory");
	(void)snprintf(req, head + 1, "POST %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "X-Cloister-Token: %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "Connection: close\r\n"
	    "\r\n", target, host, token, body, ka);
	o = req + head;
	memcpy(o, "{\"args\":[", 9);
	o += 9;
	for (a = 0; a < argc; a++) {
		if (a > 0)
			*o++ = ',';
		*o++ = '"';
		o = json_escape(o, (const unsigned char *)argv[a]);
		*o++ = '"';
	}
	memcpy(o, "]}", 2);
	o += 2;
	*lenp = o - req;
	return (req);
}

/*
 * Connecting.
 */

static int
valid_port(const char *p)
{
	long	v = 0;
	size_t	i;

	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] < '0' || p[i] > '9' || i >= 5)
			return (0);
		v = v * 10 + (p[i] - '0');
	}
	return (i > 0 && v >= 1 && v <= 65535);
}

/* Control characters or spaces would end up in the Host header. */
static int
valid_host(const char *h)
{
	const unsigned char	*s;

	if (*h == '\0' || strlen(h) > 255)
		return (0);
	for (s = (const unsigned char *)h; *s != '\0'; s++)
		if (*s <= 0x20 || *s == 0x7f || *s == '/' || *s == '@' ||
		    *s == '[' || *s == ']')
			return (0);
	return (1);
}

/*
 * CLOISTER_GUARDIAN_HOST: host, host:port, [v6] or [v6]:port; a bare
 * address with several colons is IPv6 without a port.
 */
static void
parse_hostport(const char *s, char *host, size_t hostsz, char *port,
    size_t portsz)
{
	const char	*colon, *end, *p;
	size_t		 len;

	p = NULL;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			goto bad;
		len = end - (s + 1);
		if (end[1] == ':')
			p = end + 2;
		else if (end[1] != '\0')
			goto bad;
		s++;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		len = colon - s;
		p = colon + 1;
	} else
		len = strlen(s);
	if (len >= hostsz)
		goto bad;
	memcpy(host, s, len);
	host[len] = '\0';
	if (!valid_host(host))
		goto bad;
	if (p != NULL) {
		if (!valid_port(p) || strlen(p) >= portsz)
			goto bad;
		memcpy(port, p, strlen(p) + 1);
	}
	return;
 bad:
	die(EX_TROUBLE, "CLOISTER_GUARDIAN_HOST: expected host, host:port, "
	    "[address] or [address]:port");
}

/* Keep the socket off 0-2 should one of them have been closed. */
static int
high_fd(int s)
{
	int	n;

	if (s > STDERR_FILENO)
		return (s);
	if ((n = fcntl(s, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) == -1)
		die(EX_TROUBLE, "fcntl: %s", strerror(errno));
	(void)close(s);
	return (n);
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un	sun;
	int			s, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die(EX_TROUBLE, "CLOISTER_GUARDIAN_SOCKET: path too long");
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die(EX_TROUBLE, "socket: %s", strerror(errno));
	s = high_fd(s);
	sock = s;
	while (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		e = errno;
		die(EX_TROUBLE, "cannot connect to guardiand at unix socket "
		    "%s (CLOISTER_GUARDIAN_SOCKET): %s", path, strerror(e));
	}
	return (s);
}

static int
connect_tcp(const char *host, const char *port, const char *where)
{
	struct addrinfo	 hints, *res, *ai;
	char		 addr[NI_MAXHOST];
	char		 tried[4][NI_MAXHOST];
	int		 terr[4];
	int		 s, e, i, ntried = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		die(EX_TROUBLE, "cannot connect to guardiand at %s: cannot "
		    "resolve %s (CLOISTER_GUARDIAN_HOST): %s", where, host,
		    e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (s != -1) {
			s = high_fd(s);
			sock = s;
			while ((e = connect(s, ai->ai_addr,
			    ai->ai_addrlen)) == -1 && errno == EINTR)
				;
			if (e == 0) {
				freeaddrinfo(res);
				return (s);
			}
		}
		e = errno;
		if (s != -1) {
			sock = -1;
			(void)close(s);
		}
		if (ntried < 4) {
			if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
			    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
				memcpy(addr, "?", 2);
			memcpy(tried[ntried], addr, sizeof(addr));
			terr[ntried++] = e;
		}
	}
	freeaddrinfo(res);
	for (i = 0; i + 1 < ntried; i++)
		say("cannot connect to guardiand at %s (%s): %s", where,
		    tried[i], strerror(terr[i]));
	if (ntried == 0)
		die(EX_TROUBLE, "cannot connect to guardiand at %s", where);
	die(EX_TROUBLE, "cannot connect to guardiand at %s (%s): %s", where,
	    tried[i], strerror(terr[i]));
}

/*
 * Reading.  Blocking reads, except while a countdown runs (then poll
 * wakes us every second to redraw it) or while guardiand owes us a
 * word within silence_max.
 */
static ssize_t
sock_read(unsigned char *buf, size_t sz)
{
	struct pollfd	pfd;
	int64_t		left;
	ssize_t		n;
	int		r, wait;

	for (;;) {
		if (cd_active || silence_max > 0) {
			wait = cd_active ? cd_tick() : -1;
			if (silence_max > 0) {
				left = heard + silence_max - mono_now_ms();
				if (left <= 0)
					die(EX_TROUBLE, "guardiand is not "
					    "responding (nothing from it for "
					    "%llds)",
					    (long long)silence_max / 1000);
				if (wait == -1 || left < wait)
					wait = (int)left;
			}
			pfd.fd = sock;
			pfd.events = POLLIN;
			r = poll(&pfd, 1, wait);
			if (r == 0 || (r == -1 && errno == EINTR))
				continue;
		}
		if ((n = read(sock, buf, sz)) == -1 && errno == EINTR)
			continue;
		if (n > 0)
			heard = mono_now_ms();
		return (n);
	}
}

static __dead void
lost(const char *why)
{
	if (why != NULL)
		die(EX_TROUBLE, "connection to guardiand lost: %s", why);
	die(EX_TROUBLE, "connection to guardiand lost");
}

static __dead void PRINTFLIKE(1, 2)
protoerr(const char *fmt, ...)
{
	char	buf[256];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	die(EX_TROUBLE, "protocol error from guardiand: %s", buf);
}

/* Case-insensitive comparison of a counted string with a literal. */
static int
ieq(const unsigned char *s, size_t len, const char *lit)
{
	return (strlen(lit) == len && strncasecmp((const char *)s, lit,
	    len) == 0);
}

static int
tchar(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void
parse_status(const unsigned char *p, size_t len, struct resp *r)
{
	char	buf[SAFE_MAX];

	if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    p[7] < '0' || p[7] > '9' || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9' || (len > 12 && p[12] != ' '))
		protoerr("bad status line \"%s\"",
		    safe(buf, 64, p, len));
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (len > 13)
		safe(r->phrase, sizeof(r->phrase), p + 13, len - 13);
}

static void
parse_header(const unsigned char *p, size_t len, struct resp *r)
{
	const unsigned char	*v, *semi;
	size_t			 nlen, vlen, i;
	uint64_t		 cl;

	for (nlen = 0; nlen < len && tchar(p[nlen]); nlen++)
		;
	/* Also refuses obs-fold and space before the colon. */
	if (nlen == 0 || nlen == len || p[nlen] != ':')
		protoerr("bad header line");
	v = p + nlen + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (i = 0; i < vlen; i++)
		if ((v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			protoerr("control character in a header");

	if (ieq(p, nlen, "content-length")) {
		if (vlen == 0 || vlen > 18)
			protoerr("bad Content-Length");
		for (cl = 0, i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9')
				protoerr("bad Content-Length");
			cl = cl * 10 + (v[i] - '0');
		}
		if (r->haslen && r->len != cl)
			protoerr("conflicting Content-Length");
		r->haslen = 1;
		r->len = cl;
	} else if (ieq(p, nlen, "transfer-encoding")) {
		if (r->chunked || !ieq(v, vlen, "chunked"))
			protoerr("unsupported Transfer-Encoding");
		r->chunked = 1;
	} else if (ieq(p, nlen, "content-type")) {
		if ((semi = memchr(v, ';', vlen)) != NULL)
			vlen = semi - v;
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		r->stream = ieq(v, vlen, CONTENT_TYPE_STREAM);
		safe(r->ctype, sizeof(r->ctype), v, vlen);
	} else if (ieq(p, nlen, KEEPALIVE_HEADER)) {
		/* The interval, in seconds; anything else: none promised. */
		for (cl = 0, i = 0; i < vlen && i < 5 &&
		    v[i] >= '0' && v[i] <= '9'; i++)
			cl = cl * 10 + (v[i] - '0');
		r->keepalive = i == vlen && cl > 0 && cl <= 3600 ? cl : 0;
	}
}

/* The header block h[0..len), each line ending in CRLF. */
static void
parse_head(const unsigned char *h, size_t len, struct resp *r)
{
	const unsigned char	*p = h, *end = h + len, *eol;
	size_t			 n;

	memset(r, 0, sizeof(*r));
	while (p < end) {
		eol = memmem(p, end - p, "\r\n", 2);
		n = eol - p;
		if (memchr(p, '\r', n) != NULL || memchr(p, '\n', n) != NULL ||
		    memchr(p, '\0', n) != NULL)
			protoerr("bare CR, LF or NUL in the response head");
		if (p == h)
			parse_status(p, n, r);
		else
			parse_header(p, n, r);
		p = eol + 2;
	}
	if (r->chunked && r->haslen)
		protoerr("both Content-Length and Transfer-Encoding");
}

/*
 * Read the response head into rbuf; return where the body starts and,
 * in *lenp, how many bytes rbuf holds.  1xx responses are skipped.
 */
static size_t
read_head(struct resp *r, size_t *lenp, int send_err)
{
	const unsigned char	*e;
	size_t			 len = 0, from = 0, body;
	ssize_t			 n;
	int			 skipped = 0;

	for (;;) {
		e = len > from ? memmem(rbuf + from, len - from,
		    "\r\n\r\n", 4) : NULL;
		if (e != NULL) {
			body = e - rbuf + 4;
			if (body > HEAD_MAX)
				protoerr("response head too large");
			parse_head(rbuf, body - 2, r);
			if (r->status >= 200) {
				*lenp = len;
				return (body);
			}
			if (r->status == 101 || ++skipped > INFORMATIONAL_MAX)
				protoerr("unexpected HTTP status %d",
				    r->status);
			memmove(rbuf, rbuf + body, len - body);
			len -= body;
			from = 0;
			continue;
		}
		if (len >= HEAD_MAX)
			protoerr("response head too large");
		from = len > 3 ? len - 3 : 0;
		if ((n = sock_read(rbuf + len, sizeof(rbuf) - len)) <= 0) {
			if (send_err != 0)
				die(EX_TROUBLE, "cannot send the request to "
				    "guardiand: %s", strerror(send_err));
			if (n == -1)
				lost(strerror(errno));
			if (len == 0)
				lost("no response");
			lost("incomplete response head");
		}
		len += n;
	}
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * Feed body bytes through the transfer coding; decoded bytes go to
 * sink.  Returns -1 with b->error set on bad chunking.
 */
static int
body_input(struct body *b, const unsigned char *p, size_t n,
    void (*sink)(const unsigned char *, size_t))
{
	const unsigned char	*end = p + n;
	size_t			 take;
	int			 d;

	if (b->mode == B_EOF) {
		sink(p, n);
		return (0);
	}
	if (b->mode == B_LENGTH) {
		take = b->left < n ? b->left : n;
		b->left -= take;
		if (b->left == 0)
			b->done = 1;
		if (take > 0)
			sink(p, take);
		return (0);
	}
	while (p < end && !b->done && !body_stop) {
		switch (b->state) {
		case C_SIZE:
			if ((d = hexval(*p)) != -1) {
				b->left = b->left * 16 + d;
				if (++b->ndigits > 8 || b->left > CHUNK_MAX)
					goto bad;
			} else if (b->ndigits == 0)
				goto bad;
			else if (*p == ';') {
				b->state = C_EXT;
				b->extra = 0;
			} else if (*p == '\r')
				b->state = C_SIZE_LF;
			else
				goto bad;
			p++;
			break;
		case C_EXT:
			if (*p == '\r')
				b->state = C_SIZE_LF;
			else if ((*p < 0x20 && *p != '\t') || *p == 0x7f ||
			    ++b->extra > CHUNKEXT_MAX)
				goto bad;
			p++;
			break;
		case C_SIZE_LF:
			if (*p++ != '\n')
				goto bad;
			if (b->left == 0) {
				b->state = C_TRAILER_START;
				b->extra = 0;
			} else
				b->state = C_DATA;
			break;
		case C_DATA:
			take = (size_t)(end - p) < b->left ?
			    (size_t)(end - p) : b->left;
			b->left -= take;
			if (b->left == 0)
				b->state = C_DATA_CR;
			sink(p, take);
			p += take;
			break;
		case C_DATA_CR:
			if (*p++ != '\r')
				goto bad;
			b->state = C_DATA_LF;
			break;
		case C_DATA_LF:
			if (*p++ != '\n')
				goto bad;
			b->state = C_SIZE;
			b->ndigits = 0;
			b->left = 0;
			break;
		case C_TRAILER_START:
			if (*p == '\r') {
				b->state = C_END_LF;
				p++;
			} else
				b->state = C_TRAILER;
			break;
		case C_TRAILER:
			if (*p == '\r')
				b->state = C_TRAILER_LF;
			else if (++b->extra > TRAILER_MAX)
				goto bad;
			p++;
			break;
		case C_TRAILER_LF:
		case C_END_LF:
			if (*p++ != '\n')
				goto bad;
			if (b->state == C_END_LF)
				b->done = 1;
			else
				b->state = C_TRAILER_START;
			break;
		}
	}
	return (0);
 bad:
	b->error = "bad chunked encoding";
	return (-1);
}

/*
 * The frame stream.
 */

static __dead void
final_exit(const unsigned char *p, uint32_t len)
{
	uint32_t	code;

	if (len != FRAME_EXIT_LEN)
		protoerr("bad exit frame");
	code = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 8 | p[4];
	switch (p[0]) {
	case EXIT_EXITED:
		if (code > 255)
			protoerr("exit status %u out of range", code);
		exit(code);
	case EXIT_SIGNALED:
	case EXIT_TIMEDOUT:
	case EXIT_KILLED:
		if (code < 1 || code > 127)
			protoerr("signal %u out of range", code);
		if (p[0] == EXIT_TIMEDOUT)
			say("command timed out on the host (signal %u)", code);
		else if (p[0] == EXIT_KILLED)
			say("command killed by guardiand (signal %u)", code);
		exit(128 + code);
	}
	protoerr("unknown exit kind %u", p[0]);
}

static __dead void
final_deny(const unsigned char *p, uint32_t len)
{
	static const char	*dflt[] = { "denied by policy",
	    "denied", "approval timed out", "cannot start the command",
	    "the command did not run", "guardiand is busy, try again" };

	if (len < 1)
		protoerr("bad deny frame");
	if (p[0] > DENY_BUSY)
		protoerr("unknown deny reason %u", p[0]);
	say_text(p + 1, len - 1, dflt[p[0]]);
	if (p[0] == DENY_BUSY)
		exit(EX_BUSY);
	if (p[0] != DENY_SPAWN)
		exit(EX_NOTRUN);
	if (len - 1 >= 10 && memcmp(p + 1, "not found:", 10) == 0)
		exit(EX_NOTFOUND);
	exit(EX_NOEXEC);
}

/* "... expires in 300s ...": the seconds, or -1. */
static long
expires_in(const unsigned char *p, size_t len)
{
	const unsigned char	*e;
	long			 v = 0;
	size_t			 i;

	if ((e = memmem(p, len, "expires in ", 11)) == NULL)
		return (-1);
	len -= e + 11 - p;
	p = e + 11;
	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		v = v * 10 + (p[i] - '0');
		if (v > COUNTDOWN_MAX)
			return (-1);
	}
	if (i == 0 || i == len || p[i] != 's')
		return (-1);
	return (v);
}

static void
frame(int type, const unsigned char *p, uint32_t len)
{
	long	secs;

	cd_clear();
	cd_active = 0;
	switch (type) {
	case FRAME_QUEUED:
		queued = 1;
		if (quiet)
			break;
		say_text(p, len, "waiting for approval");
		if ((secs = expires_in(p, len)) != -1 &&
		    isatty(STDERR_FILENO))
			cd_start(secs);
		break;
	case FRAME_STARTED:
		if (queued && !quiet)
			say_text(p, len, "approved");
		break;
	case FRAME_STDOUT:
		if (out_closed)
			break;
		if (full_write(STDOUT_FILENO, p, len) == -1) {
			out_closed = 1;
			/* A reader that went away is not news. */
			if (errno != EPIPE)
				say("stdout: %s", strerror(errno));
		}
		break;
	case FRAME_STDERR:
		if (!err_closed && full_write(STDERR_FILENO, p, len) == -1)
			err_closed = 1;
		break;
	case FRAME_EXIT:
		final_exit(p, len);
	case FRAME_DENIED:
		final_deny(p, len);
	case FRAME_KEEPALIVE:
		break;
	default:
		protoerr("unknown frame type 0x%02x", type);
	}
}

/*
 * Some of a frame's header has come: refuse a bad one as soon as it
 * shows, and begin the payload of a good one once it is whole.
 */
static void
frame_begin(void)
{
	const unsigned char	*payload;
	uint32_t		 plen;
	size_t			 used;
	int			 type;

	switch (frame_parse(fhdr, fhlen, &type, &payload, &plen, &used)) {
	case -1:
		if (strchr("qs12xdk", fhdr[0]) == NULL || fhdr[0] == '\0')
			protoerr("unknown frame type 0x%02x", fhdr[0]);
		protoerr("oversized frame");
	case 1:
		fhlen = 0;
		frame(type, fbuf, 0);	/* empty */
		return;
	}
	if (fhlen < FRAME_HDR_SIZE)
		return;
	fhlen = 0;
	ftype = fhdr[0];
	fleft = (uint32_t)fhdr[1] << 24 | (uint32_t)fhdr[2] << 16 |
	    (uint32_t)fhdr[3] << 8 | fhdr[4];
	flen = 0;
}

/*
 * Sink of a 200 response: frames, however the bytes are cut.  Output
 * is written as it comes, never gathered into whole frames first, and
 * nothing is ever moved within a buffer.
 */
static void
stream_input(const unsigned char *p, size_t n)
{
	size_t	take;

	while (n > 0) {
		if (ftype == -1) {
			take = FRAME_HDR_SIZE - fhlen;
			if (take > n)
				take = n;
			memcpy(fhdr + fhlen, p, take);
			fhlen += take;
			p += take;
			n -= take;
			frame_begin();
			continue;
		}
		take = fleft < n ? fleft : n;
		if (ftype == FRAME_STDOUT || ftype == FRAME_STDERR)
			frame(ftype, p, take);
		else {
			memcpy(fbuf + flen, p, take);
			flen += take;
		}
		p += take;
		n -= take;
		if ((fleft -= take) == 0) {
			if (ftype != FRAME_STDOUT && ftype != FRAME_STDERR)
				frame(ftype, fbuf, flen);
			ftype = -1;
			flen = 0;
		}
	}
}

/* Sink of an error response: keep the start of the JSON body. */
static void
errbody_input(const unsigned char *p, size_t n)
{
	size_t	take;

	take = n < sizeof(errbody) - errlen ? n : sizeof(errbody) - errlen;
	memcpy(errbody + errlen, p, take);
	errlen += take;
	if (errlen == sizeof(errbody))
		body_stop = 1;
}

/*
 * A small bounded JSON reader: enough to find the top-level "reason"
 * string of {"status":"error","reason":"..."}.
 */

static void
j_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
j_hex4(struct jp *j, uint32_t *v)
{
	uint32_t	x = 0;
	int		i, d;

	if (j->end - j->p < 4)
		return (-1);
	for (i = 0; i < 4; i++) {
		if ((d = hexval(j->p[i])) == -1)
			return (-1);
		x = x << 4 | d;
	}
	j->p += 4;
	*v = x;
	return (0);
}

/* Decode a string into out, cut at outsz; out NULL skips it. */
static int
j_string(struct jp *j, unsigned char *out, size_t outsz, size_t *outlen)
{
	unsigned char	u[4];
	uint32_t	cp, lo;
	size_t		n = 0, k;
	int		c, full = 0;

	if (j->p >= j->end || *j->p != '"')
		return (-1);
	j->p++;
	while (j->p < j->end) {
		c = *j->p++;
		if (c == '"') {
			if (outlen != NULL)
				*outlen = n;
			return (0);
		}
		if (c < 0x20)
			return (-1);
		k = 1;
		u[0] = c;
		if (c == '\\') {
			if (j->p >= j->end)
				return (-1);
			switch ((c = *j->p++)) {
			case '"':
			case '\\':
			case '/':
				u[0] = c;
				break;
			case 'b':
				u[0] = '\b';
				break;
			case 'f':
				u[0] = '\f';
				break;
			case 'n':
				u[0] = '\n';
				break;
			case 'r':
				u[0] = '\r';
				break;
			case 't':
				u[0] = '\t';
				break;
			case 'u':
				if (j_hex4(j, &cp) == -1)
					return (-1);
				if (cp >= 0xd800 && cp <= 0xdbff &&
				    j->end - j->p >= 6 && j->p[0] == '\\' &&
				    j->p[1] == 'u') {
					j->p += 2;
					if (j_hex4(j, &lo) == -1)
						return (-1);
					if (lo >= 0xdc00 && lo <= 0xdfff)
						cp = 0x10000 +
						    ((cp - 0xd800) << 10) +
						    (lo - 0xdc00);
					else
						j->p -= 6;	/* lone high */
				}
				if (cp >= 0xd800 && cp <= 0xdfff)
					cp = 0xfffd;
				k = utf8_put(u, cp);
				break;
			default:
				return (-1);
			}
		}
		if (out != NULL && !full) {
			if (n + k <= outsz) {
				memcpy(out + n, u, k);
				n += k;
			} else
				full = 1;
		}
	}
	return (-1);
}

static int
j_value(struct jp *j)
{
	const unsigned char	*start;
	int			 close, c;

	j_ws(j);
	if (j->p >= j->end)
		return (-1);
	switch (*j->p) {
	case '"':
		return (j_string(j, NULL, 0, NULL));
	case '{':
	case '[':
		close = *j->p++ == '{' ? '}' : ']';
		if (++j->depth > JSON_DEPTH)
			return (-1);
		j_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return (0);
		}
		for (;;) {
			if (close == '}') {
				j_ws(j);
				if (j_string(j, NULL, 0, NULL) == -1)
					return (-1);
				j_ws(j);
				if (j->p >= j->end || *j->p++ != ':')
					return (-1);
			}
			if (j_value(j) == -1)
				return (-1);
			j_ws(j);
			if (j->p >= j->end)
				return (-1);
			if ((c = *j->p++) == close)
				break;
			if (c != ',')
				return (-1);
		}
		j->depth--;
		return (0);
	default:
		/* Numbers, true, false, null: skipping is enough. */
		start = j->p;
		while (j->p < j->end && ((*j->p >= 'a' && *j->p <= 'z') ||
		    (*j->p >= '0' && *j->p <= '9') || *j->p == '-' ||
		    *j->p == '+' || *j->p == '.' || *j->p == 'E'))
			j->p++;
		return (j->p > start ? 0 : -1);
	}
}

/* The top-level "reason" string of the object in s, or -1. */
static int
json_reason(const unsigned char *s, size_t len, unsigned char *out,
    size_t outsz, size_t *outlen)
{
	struct jp	 j;
	unsigned char	 key[8];
	size_t		 klen;

	j.p = s;
	j.end = s + len;
	j.depth = 0;
	j_ws(&j);
	if (j.p >= j.end || *j.p++ != '{')
		return (-1);
	for (;;) {
		j_ws(&j);
		klen = 0;
		if (j_string(&j, key, sizeof(key), &klen) == -1)
			return (-1);
		j_ws(&j);
		if (j.p >= j.end || *j.p++ != ':')
			return (-1);
		j_ws(&j);
		if (klen == 6 && memcmp(key, "reason", 6) == 0 &&
		    j.p < j.end && *j.p == '"')
			return (j_string(&j, out, outsz, outlen));
		if (j_value(&j) == -1)
			return (-1);
		j_ws(&j);
		if (j.p >= j.end || *j.p++ != ',')
			return (-1);
	}
}

static __dead void
http_error(const struct resp *r)
{
	unsigned char	reason[SAFE_MAX];
	size_t		len;
	int		status;

	status = r->status == 429 ? EX_NOTRUN : r->status == 503 ? EX_BUSY :
	    EX_TROUBLE;
	if (json_reason(errbody, errlen, reason, sizeof(reason), &len) == 0 &&
	    len > 0) {
		say_text(reason, len, "");
		exit(status);
	}
	die(status, "guardiand answered HTTP %d%s%s", r->status,
	    r->phrase[0] != '\0' ? " " : "", r->phrase);
}

/*
 * The buffered API, POST /request (DESIGN 6.1), for a server that has
 * no /v1/exec, such as cloister's own: the whole result comes as one
 * JSON object once the command has ended.
 */

static unsigned char	*jbuf;
static size_t		 jlen, jcap;

struct reply {
	unsigned char	*status, *reason, *out, *err;
	size_t		 statuslen, reasonlen, outlen, errlen;
	long long	 exit_code;
	int		 has_exit;
};

/* Sink of a buffered 200 response: all of it, within JSON_MAX. */
static void
json_input(const unsigned char *p, size_t n)
{
	unsigned char	*nb;
	size_t		 cap;

	if (n > JSON_MAX - jlen)
		protoerr("response larger than %lu bytes", JSON_MAX);
	if (jlen + n > jcap) {
		cap = jcap > 0 ? jcap : 64 * 1024;
		while (cap < jlen + n)
			cap = cap > JSON_MAX / 2 ? JSON_MAX : cap * 2;
		if ((nb = realloc(jbuf, cap)) == NULL)
			die(EX_TROUBLE, "out of memory");
		jbuf = nb;
		jcap = cap;
	}
	memcpy(jbuf + jlen, p, n);
	jlen += n;
}

/* A whole string into a new buffer: decoding never lengthens it. */
static int
j_string_all(struct jp *j, unsigned char **out, size_t *outlen)
{
	size_t	sz = j->end - j->p;

	free(*out);
	if ((*out = malloc(sz + 1)) == NULL)
		die(EX_TROUBLE, "out of memory");
	return (j_string(j, *out, sz, outlen));
}

/* An integer that fits a long long, nothing else. */
static int
j_int(struct jp *j, long long *v)
{
	long long	x = 0;
	int		neg = 0, n = 0;

	if (j->p < j->end && *j->p == '-') {
		neg = 1;
		j->p++;
	}
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		if (++n > 18)
			return (-1);
		x = x * 10 + (*j->p++ - '0');
	}
	if (n == 0 || (j->p < j->end && (*j->p == '.' || *j->p == 'e' ||
	    *j->p == 'E')))
		return (-1);
	*v = neg ? -x : x;
	return (0);
}

static int
keyis(const unsigned char *k, size_t klen, const char *lit)
{
	return (klen == strlen(lit) && memcmp(k, lit, klen) == 0);
}

/* The members of the reply that matter; -1 if it is not JSON. */
static int
json_reply(struct reply *rp)
{
	struct jp	 j;
	unsigned char	 key[16];
	size_t		 klen;
	int		 rv, c;

	memset(rp, 0, sizeof(*rp));
	j.p = jbuf;
	j.end = jbuf + jlen;
	j.depth = 0;
	j_ws(&j);
	if (j.p >= j.end || *j.p++ != '{')
		return (-1);
	j_ws(&j);
	if (j.p < j.end && *j.p == '}')
		return (0);
	for (;;) {
		j_ws(&j);
		klen = 0;
		if (j_string(&j, key, sizeof(key), &klen) == -1)
			return (-1);
		j_ws(&j);
		if (j.p >= j.end || *j.p++ != ':')
			return (-1);
		j_ws(&j);
		c = j.p < j.end ? *j.p : 0;
		if (c == '"' && keyis(key, klen, "status"))
			rv = j_string_all(&j, &rp->status, &rp->statuslen);
		else if (c == '"' && keyis(key, klen, "reason"))
			rv = j_string_all(&j, &rp->reason, &rp->reasonlen);
		else if (c == '"' && keyis(key, klen, "stdout"))
			rv = j_string_all(&j, &rp->out, &rp->outlen);
		else if (c == '"' && keyis(key, klen, "stderr"))
			rv = j_string_all(&j, &rp->err, &rp->errlen);
		else if (c != '"' && keyis(key, klen, "exit_code")) {
			rv = j_int(&j, &rp->exit_code);
			rp->has_exit = 1;
		} else
			rv = j_value(&j);
		if (rv == -1)
			return (-1);
		j_ws(&j);
		if (j.p >= j.end)
			return (-1);
		if ((c = *j.p++) == '}')
			return (0);
		if (c != ',')
			return (-1);
	}
}

/* As if it had streamed: the output, then the exit status or why not. */
static __dead void
buffered_result(void)
{
	struct reply	rp;

	if (json_reply(&rp) == -1 || rp.status == NULL)
		protoerr("the reply is not the JSON of POST /request");
	if (rp.outlen > 0 && full_write(STDOUT_FILENO, rp.out,
	    rp.outlen) == -1 && errno != EPIPE)
		say("stdout: %s", strerror(errno));
	if (rp.errlen > 0)
		(void)full_write(STDERR_FILENO, rp.err, rp.errlen);
	if (keyis(rp.status, rp.statuslen, "auto_approved") ||
	    keyis(rp.status, rp.statuslen, "approved")) {
		if (!rp.has_exit || rp.exit_code < 0 || rp.exit_code > 255)
			protoerr("no exit status in the reply");
		exit(rp.exit_code);
	}
	if (keyis(rp.status, rp.statuslen, "denied"))
		say_text(rp.reason, rp.reasonlen, "denied");
	else if (keyis(rp.status, rp.statuslen, "timeout"))
		say_text(rp.reason, rp.reasonlen, "approval timed out");
	else if (keyis(rp.status, rp.statuslen, "error")) {
		say_text(rp.reason, rp.reasonlen, "the command did not run");
		/* Could not start it: 126, or 127 for not found. */
		if (rp.has_exit && (rp.exit_code == EX_NOEXEC ||
		    rp.exit_code == EX_NOTFOUND))
			exit(rp.exit_code);
	} else
		protoerr("unknown status in the reply");
	exit(EX_NOTRUN);
}

static int
dial(const char *path, const char *host, const char *port,
    const char *where)
{
	return (path != NULL ? connect_unix(path) :
	    connect_tcp(host, port, where));
}

/*
 * One write in the common case.  No shutdown(SHUT_WR) after it:
 * guardiand takes a half-close for a client that went away.  If the
 * server already answered (413) and closed, its answer is still worth
 * reading: the error is returned for read_head() to report.
 */
static int
send_request(int s, char *req, size_t reqlen)
{
	int	send_err = 0;

	if (full_write(s, req, reqlen) == -1) {
		if (errno != EPIPE && errno != ECONNRESET)
			die(EX_TROUBLE, "cannot send the request to guardiand: "
			    "%s", strerror(errno));
		send_err = errno;
	}
	if (req != reqbuf)
		free(req);
	return (send_err);
}

int
main(int argc, char *argv[])
{
	struct resp	 r;
	struct body	 b;
	const char	*token, *path, *hostenv, *portenv;
	char		 host[256], port[6], where[300];
	char		*req;
	size_t		 reqlen, off, len;
	ssize_t		 n;
	int		 i, j, s, send_err, buffered = 0;
	void		(*sink)(const unsigned char *, size_t);

	/* Options end at the command: its own options are its own. */
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		for (j = 1; argv[i][j] != '\0'; j++) {
			if (argv[i][j] != 'q')
				usage();
			quiet = 1;
		}
	}
	if (i >= argc)
		usage();
	argc -= i;
	argv += i;

	if ((path = getenv("CLOISTER_GUARDIAN_SOCKET")) != NULL &&
	    *path == '\0')
		path = NULL;
	if ((hostenv = getenv("CLOISTER_GUARDIAN_HOST")) != NULL &&
	    *hostenv == '\0')
		hostenv = NULL;
	if (path == NULL && hostenv == NULL)
		die(EX_TROUBLE, "set CLOISTER_GUARDIAN_SOCKET (a unix socket "
		    "path) or CLOISTER_GUARDIAN_HOST (host[:port]) to reach "
		    "guardiand");
	if ((token = getenv("CLOISTER_TOKEN")) == NULL || *token == '\0')
		die(EX_TROUBLE, "CLOISTER_TOKEN is not set");
	for (i = 0; token[i] != '\0'; i++)
		if ((unsigned char)token[i] < 0x20 || token[i] == 0x7f)
			die(EX_TROUBLE, "CLOISTER_TOKEN contains control "
			    "characters");
	check_args(argc, argv);

	if (path == NULL) {
		memcpy(port, DEFAULT_PORT, sizeof(DEFAULT_PORT));
		if ((portenv = getenv("CLOISTER_REQUEST_PORT")) != NULL &&
		    *portenv != '\0') {
			if (!valid_port(portenv))
				die(EX_TROUBLE, "CLOISTER_REQUEST_PORT: not a "
				    "port number");
			memcpy(port, portenv, strlen(portenv) + 1);
		}
		parse_hostport(hostenv, host, sizeof(host), port,
		    sizeof(port));
		(void)snprintf(where, sizeof(where), "%s%s%s:%s",
		    strchr(host, ':') != NULL ? "[" : "", host,
		    strchr(host, ':') != NULL ? "]" : "", port);
	} else
		memcpy(where, "localhost", sizeof("localhost"));
	req = build_request(argc, argv, "/v1/exec", where, token, &reqlen);

	(void)signal(SIGPIPE, SIG_IGN);
	catch(SIGINT);
	catch(SIGTERM);
	catch(SIGHUP);

	s = dial(path, host, port, where);
	send_err = send_request(s, req, reqlen);
	off = read_head(&r, &len, send_err);
	/*
	 * Only a server that promised keep-alives owes us a word every
	 * interval.  Not before its answer: that waits for the policy
	 * check, which may queue behind many others under load.
	 */
	heard = mono_now_ms();
	silence_max = r.status == 200 && r.stream ?
	    (int64_t)r.keepalive * KEEPALIVE_MISSES * 1000 : 0;
	if (r.status == 404) {
		/* No streaming API, as cloister's own server: ask again. */
		sock = -1;
		(void)close(s);
		buffered = 1;
		req = build_request(argc, argv, "/request", where, token,
		    &reqlen);
		s = dial(path, host, port, where);
		send_err = send_request(s, req, reqlen);
		off = read_head(&r, &len, send_err);
	}
	memset(&b, 0, sizeof(b));
	if (r.chunked)
		b.mode = B_CHUNKED;
	else if (r.haslen) {
		b.mode = B_LENGTH;
		b.left = r.len;
		b.done = r.len == 0;
	} else
		b.mode = B_EOF;

	if (r.status == 200 && buffered)
		sink = json_input;
	else if (r.status == 200) {
		if (!r.stream)
			protoerr("unexpected Content-Type \"%s\"", r.ctype);
		sink = stream_input;
	} else
		sink = errbody_input;

	if (len > off && body_input(&b, rbuf + off, len - off, sink) == -1)
		protoerr("%s", b.error);
	while (!b.done && !body_stop) {
		if ((n = sock_read(rbuf, sizeof(rbuf))) <= 0) {
			if (sink == errbody_input)
				break;
			if (n == -1)
				lost(strerror(errno));
			if (b.mode != B_EOF)
				lost("the response was cut short");
			break;
		}
		if (body_input(&b, rbuf, n, sink) == -1)
			protoerr("%s", b.error);
	}
	if (r.status != 200)
		http_error(&r);
	if (buffered)
		buffered_result();
	if (ftype != -1 || fhlen > 0)
		lost("truncated frame");
	lost("no final status from the command");
}
