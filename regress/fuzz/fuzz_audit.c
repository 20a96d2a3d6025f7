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
 * The audit renderer (guardiand/parent_audit.c, DESIGN 6.7).  The input is
 * two bytes, then a record's values separated by NUL bytes: event,
 * id, project, cloister, cmd, and up to three more, whose keys the
 * first byte picks among those guardiand uses; when it is 0xfe or
 * 0xff the last value is made long, over the syslog limit (with both
 * bytes 0xff over the file's, which is slow, so rare), so that records
 * are cut.  The second byte leaves id, project, cloister or cmd out.  syslog(3) is replaced here to
 * see what parent_audit.c sends it.
 *
 * Oracle: the file gets one line, the timestamp and the record; it
 * and the syslog record are valid UTF-8 without a raw control or
 * hidden character (the canonical string's set, and U+2026 but in the
 * truncation marker), within their limits; and the record read back
 * (key=value, quoted values unescaped) gives the values again, or for
 * a cut one a prefix of it.
 */

#include <sys/types.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "canon.h"
#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "parent.h"

#define AUDIT_MAX		(512 * 1024)
#define AUDIT_SYSLOG_MAX	(16 * 1024)
#define TSLEN			21
#define MARKER			"\xe2\x80\xa6truncated"
#define NVALS			8

/* guardiand.c is not in the library. */
int	 guardiand_debug;
int	 guardiand_verbose;

static struct config	 conf;
static char		*path;
static char		*sl_msg;

static void
sl_record(const char *fmt, va_list ap)
{
	free(sl_msg);
	if (vasprintf(&sl_msg, fmt, ap) == -1)
		abort();
}

/* Both: _FORTIFY_SOURCE turns syslog() into __syslog_chk(). */
void	 syslog(int, const char *, ...);
void	 __syslog_chk(int, int, const char *, ...);

void
syslog(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	sl_record(fmt, ap);
	va_end(ap);
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	sl_record(fmt, ap);
	va_end(ap);
}

/* What parent_audit.c hands to syslog, through syslog(3) above. */
static int
sl_send(int pri, const char *msg)
{
	syslog(pri, "%s", msg);
	return (0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[512];

	audit_set_syslog(sl_send);
	log_setsink(fuzz_log_sink);
	if (asprintf(&path, "%s/audit.log", fuzz_tmpdir()) == -1)
		abort();
	conf.audit_facility = LOG_AUTHPRIV;
	conf.audit_file = path;
	if (audit_init(&conf, err, sizeof(err)) == -1)
		abort();
	return (0);
}

/* One line of valid UTF-8, nothing raw that could hide or forge. */
static void
check_line(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 i, n;

	for (i = 0; i < len; i += n) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			n = 1;
			continue;
		}
		n = utf8_decode(p + i, len - i, &cp);
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(cp >= 0x20 && cp != 0x7f && !canon_hidden(cp));
		if (cp == 0x2026)
			FUZZ_CHECK(strncmp(s + i, MARKER "\"",
			    sizeof(MARKER)) == 0);
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * One value of the record at *sp, decoded into out: its length; *cut
 * set if it ends in the truncation marker.
 */
static size_t
read_value(const char **sp, char *out, int *cut)
{
	const char	*s = *sp;
	size_t		 o = 0;
	uint32_t	 v;
	int		 d, n;

	*cut = 0;
	if (*s != '"') {
		while (*s != ' ' && *s != '\0')
			out[o++] = *s++;
		*sp = s;
		return (o);
	}
	for (s++; *s != '"'; ) {
		FUZZ_CHECK(*s != '\0');
		if (strncmp(s, MARKER "\"", sizeof(MARKER)) == 0) {
			*cut = 1;
			s += sizeof(MARKER) - 1;
			break;
		}
		if (*s != '\\') {
			out[o++] = *s++;
			continue;
		}
		switch (*++s) {
		case '\\':
		case '"':
			out[o++] = *s++;
			break;
		case 'n':
			out[o++] = '\n';
			s++;
			break;
		case 't':
			out[o++] = '\t';
			s++;
			break;
		case 'r':
			out[o++] = '\r';
			s++;
			break;
		case 'x':
			FUZZ_CHECK(hexval(s[1]) != -1 && hexval(s[2]) != -1);
			out[o++] = hexval(s[1]) << 4 | hexval(s[2]);
			s += 3;
			break;
		case 'u':
			FUZZ_CHECK(s[1] == '{');
			for (v = 0, n = 0, s += 2; (d = hexval(*s)) != -1;
			    s++, n++)
				v = v << 4 | d;
			FUZZ_CHECK(*s == '}' && n >= 4 && n <= 6);
			s++;
			/* Only what has a UTF-8 form is written so. */
			FUZZ_CHECK(v >= 0x80 && v <= 0x10ffff &&
			    (v < 0xd800 || v > 0xdfff));
			if (v < 0x800) {
				out[o++] = 0xc0 | v >> 6;
				out[o++] = 0x80 | (v & 0x3f);
			} else if (v < 0x10000) {
				out[o++] = 0xe0 | v >> 12;
				out[o++] = 0x80 | ((v >> 6) & 0x3f);
				out[o++] = 0x80 | (v & 0x3f);
			} else {
				out[o++] = 0xf0 | v >> 18;
				out[o++] = 0x80 | ((v >> 12) & 0x3f);
				out[o++] = 0x80 | ((v >> 6) & 0x3f);
				out[o++] = 0x80 | (v & 0x3f);
			}
			break;
		default:
			FUZZ_CHECK(!"escape parent_audit.c never writes");
		}
	}
	*sp = s + 1;
	return (o);
}

/* The record read back: each key and value as given. */
static void
check_record(const char *rec, const char *const *keys, char *const *vals,
    size_t nf)
{
	const char	*s = rec;
	char		*out;
	size_t		 i, n, klen;
	int		 cut;

	if ((out = malloc(strlen(rec) + 1)) == NULL)
		abort();
	FUZZ_CHECK(strncmp(s, "HOSTEXEC ", 9) == 0);
	s += 9;
	for (i = 0; i < nf; i++) {
		if (i > 0) {
			FUZZ_CHECK(*s == ' ');
			s++;
		}
		if (keys[i] != NULL) {
			klen = strlen(keys[i]);
			FUZZ_CHECK(strncmp(s, keys[i], klen) == 0 &&
			    s[klen] == '=');
			s += klen + 1;
		}
		n = read_value(&s, out, &cut);
		if (cut)
			FUZZ_CHECK(n <= strlen(vals[i]));
		else
			FUZZ_CHECK(n == strlen(vals[i]));
		FUZZ_CHECK(memcmp(out, vals[i], n) == 0);
	}
	FUZZ_CHECK(*s == '\0');
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keynames[] = {
		"pattern", "reason", "user", "exit", "duration", "peer",
		"state", "signal", "worktree", "timeout"
	};
	static const char *const fixed[] = {
		"id", "project", "cloister", "cmd"
	};
	struct fuzz_in	 in = { data, size };
	const char	*keys[NVALS], *k[3] = { NULL, NULL, NULL };
	const char	*v[3] = { NULL, NULL, NULL }, *fv[4];
	char		*vals[NVALS], *given[NVALS], *buf, *rec, *big;
	uint8_t		 sel, nul;
	size_t		 nv, nf = 0, i, len, want;
	ssize_t		 n;
	int		 fd;

	sel = fuzz_u8(&in);
	nul = fuzz_u8(&in);
	for (nv = 0; nv < 8 && (given[nv] = fuzz_str(&in)) != NULL; nv++)
		;
	if (nv < 5) {
		for (i = 0; i < nv; i++)
			free(given[i]);
		return (0);
	}
	/* Long: beyond syslog's limit, or beyond the file's. */
	if (sel >= 0xfe && (len = strlen(given[nv - 1])) > 0) {
		want = sel == 0xff && nul == 0xff ? AUDIT_MAX + 4096 :
		    AUDIT_SYSLOG_MAX + 512;
		if ((big = malloc(want + len + 1)) == NULL)
			abort();
		for (i = 0; i < want; i += len)
			memcpy(big + i, given[nv - 1], len);
		big[i] = '\0';
		free(given[nv - 1]);
		given[nv - 1] = big;
	}
	/* id, project, cloister and cmd may be left out (NULL). */
	for (i = 0; i < 4; i++)
		fv[i] = (nul >> i) & 1 ? NULL : given[i + 1];
	for (i = 0; i + 5 < nv; i++) {
		k[i] = keynames[(sel + 3 * i) % 10];
		v[i] = given[i + 5];
	}
	if (truncate(path, 0) == -1)
		abort();
	free(sl_msg);
	sl_msg = NULL;
	audit_log(given[0], fv[0], fv[1], fv[2], fv[3], k[0], v[0], k[1],
	    v[1], k[2], v[2], (char *)NULL);

	/* The fields as they should come back. */
	keys[nf] = NULL;
	vals[nf++] = given[0];
	for (i = 0; i < 4; i++) {
		if (fv[i] == NULL)
			continue;
		keys[nf] = fixed[i];
		vals[nf++] = given[i + 1];
	}
	for (i = 0; i < 3 && k[i] != NULL; i++) {
		keys[nf] = k[i];
		vals[nf++] = given[i + 5];
	}

	/* The file: one line, after the timestamp. */
	if ((fd = open(path, O_RDONLY)) == -1)
		abort();
	if ((buf = malloc(AUDIT_MAX + 2)) == NULL)
		abort();
	len = 0;
	while (len < AUDIT_MAX + 2 &&
	    (n = read(fd, buf + len, AUDIT_MAX + 2 - len)) > 0)
		len += n;
	close(fd);
	FUZZ_CHECK(len > TSLEN && len <= AUDIT_MAX);
	FUZZ_CHECK(buf[len - 1] == '\n' && buf[TSLEN - 1] == ' ');
	rec = buf + TSLEN;
	check_line(rec, len - TSLEN - 1);
	rec[len - TSLEN - 1] = '\0';
	check_record(rec, keys, vals, nf);

	/* syslog: the same, within its limit. */
	FUZZ_CHECK(sl_msg != NULL && strlen(sl_msg) <= AUDIT_SYSLOG_MAX);
	check_line(sl_msg, strlen(sl_msg));
	check_record(sl_msg, keys, vals, nf);

	free(buf);
	for (i = 0; i < nv; i++)
		free(given[i]);
	return (0);
}
