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
 * The audit trail (DESIGN 6.7): one line per event,
 *
 *	HOSTEXEC EVENT id=... project=... cloister=... cmd="..." key=value
 *
 * sent to syslog and, if configured, appended to a file with one
 * write(2) per record, after an RFC 3339 UTC timestamp.
 *
 * It fails closed: a record that does not reach the file (or syslog,
 * where syslog_required says so) makes audit_log() say so, and the
 * caller does not do what the record was to announce (unless
 * on_failure: continue).  syslog(3) reports nothing, so a required
 * syslog gets its records through our own socket to /dev/log, whose
 * send(2) does.  A record cut short (a full disk) leaves the file's
 * last line unterminated: the next record, or the next start, ends it
 * first, so no record is ever glued to a torn one.
 *
 * A value is written as is when it is non-empty and holds only
 * A-Za-z0-9 and ._:/@+=,- ; otherwise, and always for cmd, pattern,
 * reason, user, worktree and exe, it is double-quoted.  Inside the quotes
 * \ and " are escaped, \n \t \r are written so, other C0 bytes, DEL
 * and bytes that are not valid UTF-8 as \xHH, and C1 controls, the
 * invisible/bidi formatting characters of DESIGN section 4, U+2028,
 * U+2029 and U+2026 as \u{HHHH}.  So a record never holds a raw
 * control character and cannot be split or forged by a value.
 *
 * A record is bounded (AUDIT_MAX for the file, AUDIT_SYSLOG_MAX for
 * syslog): values too long for it are cut, fairly, and end in a raw
 * "…truncated" before their closing quote.  As a raw U+2026 is always
 * escaped inside values, that marker cannot be imitated.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "guardiand.h"
#include "canon.h"
#include "log.h"
#include "parent.h"
#include "paths.h"

#define AUDIT_MAX		(512 * 1024)	/* a file record, all in */
#define AUDIT_SYSLOG_MAX	(16 * 1024)	/* what syslog gets */
#define AUDIT_FIELDS_MAX	40
#define AUDIT_TSLEN		21	/* "2026-01-15T14:32:05Z " */
#define MARKER			"\xe2\x80\xa6truncated"	/* U+2026 */
#define MARKER_LEN		(sizeof(MARKER) - 1)
#define UNIT_MAX		12		/* longest escape: \u{HHHHHH} */
#define SYSLOG_PATH		"/dev/log"
#define SYSLOG_WAIT		1000	/* ms for room in its queue */
#define SYSLOG_STUCK		10	/* s not waiting after a wait ran out */
#define WARN_EVERY		60	/* s between two warnings of failure */

struct field {
	const char	*key;		/* NULL: the event itself */
	const char	*val;
	size_t		 vlen;
	int		 quote;
	size_t		 esclen;	/* escaped, quotes excluded */
	size_t		 budget;	/* what it may take */
};

static struct {
	int		 facility;
	int		 fd;
	char		*path;
	int		 torn;		/* the file's last line is unterminated */
	int		 cont;		/* on_failure: continue */
	int		 syslog_required;
	int		 logfd;		/* our socket to SYSLOG_PATH */
	time_t		 warned;
	unsigned int	 unwarned;	/* failures since the last warning */
} audit = { LOG_AUTHPRIV, -1, NULL, 0, 0, 0, -1, 0, 0 };

static const char *const always_quoted[] = {
	"cmd", "pattern", "reason", "user", "worktree", "exe", NULL
};

static int	 audit_open(const char *, char *, size_t);
static int	 tail_torn(int, const char *);
static int	 file_write(const char *, size_t);
static int	 syslog_send(int, const char *);
static void	 audit_failed(const char *, const char *, int);
static int	 mkparents(const char *);
static int	 is_hidden(uint32_t);
static size_t	 esc_unit(const unsigned char *, size_t, char *, size_t *);
static int	 needs_quote(const char *, size_t);
static size_t	 field_unit(const struct field *, size_t, char *,
		    size_t *);
static char	*render(struct field *, size_t, size_t, size_t *);

/*
 * Where records for syslog go when syslog is not required: the
 * throttled sender of common/log.c.  The unit and fuzz tests of this
 * file look at what it sends through audit_set_syslog().
 */
static int	(*audit_syslog)(int, const char *) = log_syslog;

void
audit_set_syslog(int (*fn)(int, const char *))
{
	audit_syslog = fn != NULL ? fn : log_syslog;
}

int
audit_init(struct config *conf, char *err, size_t errlen)
{
	audit_close();
	audit.facility = conf->audit_facility;
	audit.cont = conf->audit_continue;
	audit.syslog_required = conf->audit_syslog_required;
	if (conf->audit_file == NULL)
		return (0);
	if ((audit.fd = audit_open(conf->audit_file, err, errlen)) == -1)
		return (-1);
	if ((audit.path = strdup(conf->audit_file)) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		audit_close();
		return (-1);
	}
	audit.torn = tail_torn(audit.fd, audit.path);
	return (0);
}

/*
 * Reopen the file, which also follows a log rotation.  If the new
 * file cannot be opened the old one stays in use: records keep going
 * somewhere, and the caller reports why.
 */
int
audit_reload(struct config *conf, char *err, size_t errlen)
{
	char	*path;
	int	 fd;

	audit.facility = conf->audit_facility;
	audit.cont = conf->audit_continue;
	audit.syslog_required = conf->audit_syslog_required;
	if (conf->audit_file == NULL) {
		audit_close();
		return (0);
	}
	if ((fd = audit_open(conf->audit_file, err, errlen)) == -1)
		return (-1);
	if ((path = strdup(conf->audit_file)) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return (-1);
	}
	if (audit.fd != -1)
		close(audit.fd);
	free(audit.path);
	audit.fd = fd;
	audit.path = path;
	audit.torn = tail_torn(fd, path);
	return (0);
}

void
audit_close(void)
{
	if (audit.fd != -1)
		close(audit.fd);
	audit.fd = -1;
	free(audit.path);
	audit.path = NULL;
	audit.torn = 0;
	if (audit.logfd != -1)
		close(audit.logfd);
	audit.logfd = -1;
}

/*
 * Whether the file ends in the middle of a line (a write cut short
 * before a crash or by a full disk): then it is ended here, and if
 * even that cannot be written, by the next record.
 */
static int
tail_torn(int fd, const char *path)
{
	struct stat	 st;
	char		 c;

	if (fstat(fd, &st) == -1 || st.st_size == 0)
		return (0);
	if (pread(fd, &c, 1, st.st_size - 1) != 1 || c == '\n')
		return (0);
	log_warnx("audit file %s: its last line was cut short; ending it",
	    path);
	return (write(fd, "\n", 1) != 1);
}

static int
audit_open(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd, flags;

	/* Read too: a torn last line is looked for at start. */
	flags = O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY | O_NONBLOCK;
	fd = open(path, flags, 0600);
	/* ~/.local/share/cloister may not be there yet. */
	if (fd == -1 && errno == ENOENT && mkparents(path) == 0)
		fd = open(path, flags, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "audit file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "audit file %s: not a regular file",
		    path);
		close(fd);
		return (-1);
	}
	/* Back to blocking: O_NONBLOCK only kept a fifo from hanging us. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		snprintf(err, errlen, "audit file %s: %s", path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Create the missing directories above path, mode 0700. */
static int
mkparents(const char *path)
{
	char	 dir[PATH_MAX], *p;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return (-1);
	*p = '\0';
	return (mkdirs(dir));
}

/*
 * Code points written \u{HHHH}: what the canonical command string
 * never shows raw (controls, invisible and bidi formatting characters,
 * separators), and U+2026, which would fake the truncation marker.
 */
static int
is_hidden(uint32_t cp)
{
	return (canon_hidden(cp) || cp == 0x2026);
}

/*
 * The quoted form of the character at s[0..len): into out (at least
 * UNIT_MAX bytes, not terminated); returns its length, *adv the bytes
 * of s it stands for.
 */
static size_t
esc_unit(const unsigned char *s, size_t len, char *out, size_t *adv)
{
	static const char	 hex[] = "0123456789abcdef";
	uint32_t		 cp;
	size_t			 n;

	*adv = 1;
	switch (s[0]) {
	case '\\':
	case '"':
		out[0] = '\\';
		out[1] = s[0];
		return (2);
	case '\n':
		memcpy(out, "\\n", 2);
		return (2);
	case '\t':
		memcpy(out, "\\t", 2);
		return (2);
	case '\r':
		memcpy(out, "\\r", 2);
		return (2);
	}
	if (s[0] >= 0x20 && s[0] < 0x7f) {
		out[0] = s[0];
		return (1);
	}
	if ((n = utf8_decode(s, len, &cp)) == 0 || cp < 0x80) {
		/* C0, DEL, or a byte that is not valid UTF-8. */
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[s[0] >> 4];
		out[3] = hex[s[0] & 0xf];
		return (4);
	}
	*adv = n;
	if (is_hidden(cp))
		return (snprintf(out, UNIT_MAX, "\\u{%04x}", cp));
	memcpy(out, s, n);
	return (n);
}

static int
needs_quote(const char *v, size_t len)
{
	static const char	 ok[] = "._:/@+=,-";
	size_t			 i;

	if (len == 0)
		return (1);
	for (i = 0; i < len; i++) {
		if ((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= '0' && v[i] <= '9'))
			continue;
		if (v[i] == '\0' || strchr(ok, v[i]) == NULL)
			return (1);
	}
	return (0);
}

/* The next unit of a value as it goes into the record. */
static size_t
field_unit(const struct field *f, size_t j, char *unit, size_t *adv)
{
	if (f->quote)
		return (esc_unit((const unsigned char *)f->val + j,
		    f->vlen - j, unit, adv));
	unit[0] = f->val[j];
	*adv = 1;
	return (1);
}

/*
 * The record (no timestamp, no newline) in at most max bytes, NUL
 * terminated, malloc'd; NULL on ENOMEM.  When the values do not fit,
 * the room left by the fixed parts is shared out: values shorter
 * than an equal share keep all of theirs, the others get what is
 * left, equally, and are cut.
 */
static char *
render(struct field *f, size_t nf, size_t max, size_t *lenp)
{
	char		 unit[UNIT_MAX], *buf, *p;
	size_t		 fixed = 0, total = 0, room, share, left, i, j;
	size_t		 adv, u, used, len;
	int		 settled, cut;

	for (i = 0; i < nf; i++) {
		if (i > 0)
			fixed++;			/* the space */
		if (f[i].key != NULL)
			fixed += strlen(f[i].key) + 1;	/* key= */
		if (f[i].quote)
			fixed += 2;
		total += f[i].esclen;
		f[i].budget = SIZE_MAX;
	}
	if (fixed + total > max) {
		room = max > fixed ? max - fixed : 0;
		for (left = nf;;) {
			if (left == 0)
				break;
			share = room / left;
			settled = 0;
			for (i = 0; i < nf; i++) {
				if (f[i].budget != SIZE_MAX ||
				    f[i].esclen > share)
					continue;
				f[i].budget = f[i].esclen;
				room -= f[i].esclen;
				left--;
				settled = 1;
			}
			if (!settled) {
				for (i = 0; i < nf; i++)
					if (f[i].budget == SIZE_MAX)
						f[i].budget = share;
				break;
			}
		}
	}

	len = fixed;
	for (i = 0; i < nf; i++)
		len += f[i].budget < f[i].esclen ? f[i].budget : f[i].esclen;
	if ((buf = malloc(len + 1)) == NULL)
		return (NULL);
	p = buf;
	for (i = 0; i < nf; i++) {
		if (i > 0)
			*p++ = ' ';
		if (f[i].key != NULL) {
			memcpy(p, f[i].key, strlen(f[i].key));
			p += strlen(f[i].key);
			*p++ = '=';
		}
		if (f[i].quote)
			*p++ = '"';
		/* Cut: whole units while the marker still fits after. */
		cut = f[i].budget < f[i].esclen;
		room = f[i].budget;
		if (cut && f[i].quote && room >= MARKER_LEN)
			room -= MARKER_LEN;
		for (used = 0, j = 0; j < f[i].vlen; j += adv) {
			u = field_unit(&f[i], j, unit, &adv);
			if (used + u > room)
				break;
			memcpy(p, unit, u);
			p += u;
			used += u;
		}
		if (cut && f[i].quote && f[i].budget >= MARKER_LEN) {
			memcpy(p, MARKER, MARKER_LEN);
			p += MARKER_LEN;
		}
		if (f[i].quote)
			*p++ = '"';
	}
	*p = '\0';
	*lenp = p - buf;
	return (buf);
}

int
audit_log(const char *event, const char *id, const char *project,
    const char *cloister, const char *cmd, ...)
{
	struct field	 f[AUDIT_FIELDS_MAX];
	struct tm	 tm;
	time_t		 now;
	va_list		 ap;
	const char	*key, *val, *fixed[4][2];
	char		*rec, *srec, *line, *p, unit[UNIT_MAX];
	size_t		 nf = 0, i, j, k, adv, len, slen;
	int		 failed = 0;

	f[nf].key = NULL;
	f[nf].val = "HOSTEXEC";
	f[nf++].quote = 0;
	f[nf].key = NULL;
	f[nf].val = event;
	f[nf++].quote = needs_quote(event, strlen(event));
	fixed[0][0] = "id";
	fixed[0][1] = id;
	fixed[1][0] = "project";
	fixed[1][1] = project;
	fixed[2][0] = "cloister";
	fixed[2][1] = cloister;
	fixed[3][0] = "cmd";
	fixed[3][1] = cmd;
	for (i = 0; i < 4; i++) {
		if (fixed[i][1] == NULL)
			continue;
		f[nf].key = fixed[i][0];
		f[nf++].val = fixed[i][1];
	}
	va_start(ap, cmd);
	while ((key = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		if (nf == AUDIT_FIELDS_MAX) {
			log_warnx("audit: %s record: too many fields", event);
			break;
		}
		f[nf].key = key;
		f[nf++].val = val != NULL ? val : "";
	}
	va_end(ap);

	for (i = 0; i < nf; i++) {
		f[i].vlen = strlen(f[i].val);
		if (f[i].key != NULL) {
			/* Long values are quoted: only so can a cut show. */
			f[i].quote = f[i].vlen > 256 ||
			    needs_quote(f[i].val, f[i].vlen);
			for (k = 0; always_quoted[k] != NULL; k++)
				if (strcmp(f[i].key, always_quoted[k]) == 0)
					f[i].quote = 1;
		}
		if (!f[i].quote) {
			f[i].esclen = f[i].vlen;
			continue;
		}
		f[i].esclen = 0;
		for (j = 0; j < f[i].vlen; j += adv)
			f[i].esclen += esc_unit((const unsigned char *)
			    f[i].val + j, f[i].vlen - j, unit, &adv);
	}

	if ((rec = render(f, nf, AUDIT_MAX - AUDIT_TSLEN - 1, &len)) ==
	    NULL) {
		audit_failed(event, "the audit trail", ENOMEM);
		return (audit.cont ? 0 : -1);
	}
	srec = rec;
	slen = len;
	if (len > AUDIT_SYSLOG_MAX &&
	    (srec = render(f, nf, AUDIT_SYSLOG_MAX, &slen)) == NULL) {
		log_warn("audit: %s record", event);
		srec = rec;
	}
	if (!audit.syslog_required)
		(void)audit_syslog(audit.facility | LOG_NOTICE, srec);
	else if (syslog_send(audit.facility | LOG_NOTICE, srec) == -1) {
		audit_failed(event, "syslog " SYSLOG_PATH, errno);
		failed = 1;
	}
	if (guardiand_debug)
		log_info("audit: %s", srec);
	if (srec != rec)
		free(srec);

	if (audit.fd != -1) {
		/* A line left torn is ended first, in the same write. */
		if ((line = malloc(1 + AUDIT_TSLEN + len + 1)) == NULL) {
			audit_failed(event, audit.path, errno);
			free(rec);
			return (audit.cont ? 0 : -1);
		}
		p = line;
		if (audit.torn)
			*p++ = '\n';
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(p, AUDIT_TSLEN + 1, "%Y-%m-%dT%H:%M:%SZ ", &tm);
		memcpy(p + AUDIT_TSLEN, rec, len);
		p[AUDIT_TSLEN + len] = '\n';
		if (file_write(line, p - line + AUDIT_TSLEN + len + 1) == -1) {
			audit_failed(event, audit.path, errno);
			failed = 1;
		}
		free(line);
	}
	free(rec);
	return (failed && !audit.cont ? -1 : 0);
}

/*
 * One write: appends of concurrent writers never mix.  A write cut
 * short leaves the line torn (what was written stays: O_APPEND cannot
 * take it back), to be ended by the next one.
 */
static int
file_write(const char *buf, size_t len)
{
	ssize_t	 n;

	if ((n = write(audit.fd, buf, len)) == -1)
		return (-1);
	if ((size_t)n != len) {
		if (n > 0)
			audit.torn = buf[n - 1] != '\n';
		errno = ENOSPC;
		return (-1);
	}
	audit.torn = 0;
	return (0);
}

/*
 * One datagram, waiting SYSLOG_WAIT ms at most for room, and not at
 * all for SYSLOG_STUCK seconds after such a wait ran out: a syslog
 * daemon that stopped reading must not stop the parent, which pings
 * its children and answers everyone.  Then the record failed.
 */
static ssize_t
syslog_put(int fd, const char *buf, size_t len)
{
	static time_t	 stuck;		/* a wait last ran out */
	struct pollfd	 pfd;
	ssize_t		 n;

	if ((n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT)) != -1 ||
	    errno != EAGAIN)
		return (n);
	/* Stuck a moment ago: no wait for each of a burst of records. */
	if (stuck != 0 && time(NULL) - stuck < SYSLOG_STUCK)
		return (-1);
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, SYSLOG_WAIT) != 1) {
		stuck = time(NULL);
		errno = EAGAIN;
		return (-1);
	}
	stuck = 0;
	return (send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT));
}

/*
 * A record to the syslog daemon through a socket of our own: unlike
 * syslog(3), send(2) tells whether the daemon's socket took it.
 */
static int
syslog_send(int pri, const char *msg)
{
	struct sockaddr_un	 sun;
	struct tm		 tm;
	time_t			 now;
	char			*buf, ts[32];
	int			 len, tries, saved;
	ssize_t			 n = -1;

	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	if ((len = asprintf(&buf, "<%d>%s guardiand[%d]: %s", pri, ts,
	    (int)getpid(), msg)) == -1)
		return (-1);
	/* A restarted daemon has a new socket: connect again, once. */
	for (tries = 0; tries < 2 && n == -1; tries++) {
		if (audit.logfd == -1) {
			memset(&sun, 0, sizeof(sun));
			sun.sun_family = AF_UNIX;
			strlcpy(sun.sun_path, SYSLOG_PATH,
			    sizeof(sun.sun_path));
			if ((audit.logfd = socket(AF_UNIX, SOCK_DGRAM |
			    SOCK_CLOEXEC, 0)) == -1)
				break;
			if (connect(audit.logfd, (struct sockaddr *)&sun,
			    sizeof(sun)) == -1) {
				saved = errno;
				close(audit.logfd);
				audit.logfd = -1;
				errno = saved;
				break;
			}
		}
		if ((n = syslog_put(audit.logfd, buf, len)) == -1 &&
		    errno == EAGAIN) {
			/* Full: the syslog daemon is slow, or stuck. */
			break;
		}
		if (n == -1) {
			saved = errno;
			close(audit.logfd);
			audit.logfd = -1;
			errno = saved;
		}
	}
	free(buf);
	if (n != -1 && n != len) {
		errno = EMSGSIZE;
		n = -1;
	}
	return (n == -1 ? -1 : 0);
}

/*
 * A record that did not get where it must: said in the log, once a
 * minute at most (a full disk fails every record), with the count of
 * those not said.
 */
static void
audit_failed(const char *event, const char *where, int error)
{
	time_t	 now = time(NULL);

	if (audit.warned != 0 && now - audit.warned < WARN_EVERY) {
		audit.unwarned++;
		return;
	}
	log_warnx("audit: %s record not written to %s: %s; %s "
	    "(%u more failures since the last warning)", event, where,
	    strerror(error), audit.cont ? "on_failure: continue, going on" :
	    "refusing what it records", audit.unwarned);
	audit.warned = now;
	audit.unwarned = 0;
}
