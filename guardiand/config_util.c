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
 * Value parsers of the configuration: Go durations, byte sizes, listen
 * addresses, home directory expansion, names and tokens.  None of them
 * touches the configuration tree, so guardianctl and the control code
 * can share them.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canon.h"
#include "config.h"

#define DUR_MAX		((uint64_t)1 << 63)	/* Go: int64 nanoseconds */
#define NS_PER_MS	1000000ULL

static const struct {
	const char	*name;
	uint64_t	 ns;
} dur_units[] = {
	{ "ns", 1ULL },
	{ "us", 1000ULL },
	{ "\xc2\xb5s", 1000ULL },		/* U+00B5 micro sign */
	{ "\xce\xbcs", 1000ULL },		/* U+03BC small mu */
	{ "ms", NS_PER_MS },
	{ "s", 1000ULL * NS_PER_MS },
	{ "m", 60ULL * 1000ULL * NS_PER_MS },
	{ "h", 3600ULL * 1000ULL * NS_PER_MS },
};

/*
 * Go's time.ParseDuration, to the letter (including its float64
 * arithmetic for fractions, so "1.1s" means here what it means to
 * cloister), except that a negative duration is refused.  The result
 * is in milliseconds, rounded up: a non-zero duration never becomes 0.
 */
int
parse_duration(const char *s, uint64_t *msp, const char **errstr)
{
	uint64_t	 d = 0, v, f, unit, y;
	double		 scale;
	size_t		 i, n, ulen;
	int		 pre, post, ovf;

	if (*s == '-') {
		*errstr = "negative duration";
		return (-1);
	}
	if (*s == '+')
		s++;
	if (strcmp(s, "0") == 0) {
		*msp = 0;
		return (0);
	}
	if (*s == '\0') {
		*errstr = "empty duration";
		return (-1);
	}
	while (*s != '\0') {
		if (*s != '.' && (*s < '0' || *s > '9')) {
			*errstr = "invalid duration";
			return (-1);
		}
		/* Integer part. */
		v = 0;
		pre = 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			pre = 1;
			if (v > DUR_MAX / 10)
				goto range;
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > DUR_MAX)
				goto range;
		}
		/* Fraction: digits past what fits are dropped, as in Go. */
		f = 0;
		scale = 1.0;
		post = 0;
		if (*s == '.') {
			s++;
			ovf = 0;
			for (; *s >= '0' && *s <= '9'; s++) {
				post = 1;
				if (ovf)
					continue;
				if (f > (DUR_MAX - 1) / 10) {
					ovf = 1;
					continue;
				}
				y = f * 10 + (uint64_t)(*s - '0');
				if (y > DUR_MAX) {
					ovf = 1;
					continue;
				}
				f = y;
				scale *= 10;
			}
		}
		if (!pre && !post) {
			*errstr = "invalid duration";
			return (-1);
		}
		/* Unit: everything up to the next number. */
		for (ulen = 0; s[ulen] != '\0' && s[ulen] != '.' &&
		    (s[ulen] < '0' || s[ulen] > '9'); ulen++)
			;
		if (ulen == 0) {
			*errstr = "missing unit in duration";
			return (-1);
		}
		unit = 0;
		n = sizeof(dur_units) / sizeof(dur_units[0]);
		for (i = 0; i < n; i++)
			if (strlen(dur_units[i].name) == ulen &&
			    memcmp(dur_units[i].name, s, ulen) == 0) {
				unit = dur_units[i].ns;
				break;
			}
		if (unit == 0) {
			*errstr = "unknown unit in duration";
			return (-1);
		}
		s += ulen;
		if (v > DUR_MAX / unit)
			goto range;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > DUR_MAX)
				goto range;
		}
		d += v;
		if (d > DUR_MAX)
			goto range;
	}
	if (d > DUR_MAX - 1)
		goto range;
	*msp = d / NS_PER_MS + (d % NS_PER_MS != 0);
	return (0);
 range:
	*errstr = "duration out of range";
	return (-1);
}

static const struct {
	const char	*name;
	uint64_t	 mult;
} size_units[] = {
	{ "", 1ULL },
	{ "b", 1ULL },
	{ "k", 1000ULL },
	{ "kb", 1000ULL },
	{ "ki", 1ULL << 10 },
	{ "kib", 1ULL << 10 },
	{ "m", 1000ULL * 1000 },
	{ "mb", 1000ULL * 1000 },
	{ "mi", 1ULL << 20 },
	{ "mib", 1ULL << 20 },
	{ "g", 1000ULL * 1000 * 1000 },
	{ "gb", 1000ULL * 1000 * 1000 },
	{ "gi", 1ULL << 30 },
	{ "gib", 1ULL << 30 },
	{ "t", 1000ULL * 1000 * 1000 * 1000 },
	{ "tb", 1000ULL * 1000 * 1000 * 1000 },
	{ "ti", 1ULL << 40 },
	{ "tib", 1ULL << 40 },
};

/*
 * Sizes as go-humanize's ParseBytes reads them: units are
 * case-insensitive, k/KB/M/MB/G/GB/T/TB are powers of 1000 and
 * Ki/KiB/Mi/MiB/Gi/GiB/Ti/TiB powers of 1024; blanks may separate
 * number and unit; a fraction is allowed and the result is rounded
 * down to whole bytes.
 */
int
parse_size(const char *s, uint64_t *bytesp, const char **errstr)
{
	uint64_t	 ip = 0, fp = 0, fscale = 1, mult = 0, v, frac;
	size_t		 i, n, ulen;
	int		 digits = 0, fdigits = 0;
	char		 unit[4];

	for (; *s >= '0' && *s <= '9'; s++) {
		digits = 1;
		if (ip > UINT64_MAX / 10 || (ip == UINT64_MAX / 10 &&
		    (uint64_t)(*s - '0') > UINT64_MAX % 10))
			goto range;
		ip = ip * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++) {
			digits = 1;
			/* Six digits are plenty; more only round down. */
			if (fdigits++ >= 6)
				continue;
			fp = fp * 10 + (uint64_t)(*s - '0');
			fscale *= 10;
		}
	}
	if (!digits) {
		*errstr = "invalid size";
		return (-1);
	}
	while (*s == ' ' || *s == '\t')
		s++;
	ulen = strlen(s);
	if (ulen >= sizeof(unit)) {
		*errstr = "unknown unit in size";
		return (-1);
	}
	for (i = 0; i <= ulen; i++)
		unit[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' :
		    s[i];
	n = sizeof(size_units) / sizeof(size_units[0]);
	for (i = 0; i < n; i++)
		if (strcmp(size_units[i].name, unit) == 0) {
			mult = size_units[i].mult;
			break;
		}
	if (mult == 0) {
		*errstr = "unknown unit in size";
		return (-1);
	}
	if (ip > UINT64_MAX / mult)
		goto range;
	v = ip * mult;
	/* fp < 10^6 and mult <= 2^40: the product fits. */
	frac = fp * mult / fscale;
	if (v > UINT64_MAX - frac)
		goto range;
	*bytesp = v + frac;
	return (0);
 range:
	*errstr = "size out of range";
	return (-1);
}

/* $HOME if it is absolute, else the password database's idea. */
static const char *
home_dir(void)
{
	const char	*h;
	struct passwd	*pw;

	if ((h = getenv("HOME")) != NULL && h[0] == '/')
		return (h);
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL &&
	    pw->pw_dir[0] == '/')
		return (pw->pw_dir);
	return (NULL);
}

char *
expand_home(const char *path)
{
	const char	*home;
	char		*p;
	size_t		 hlen;

	if (path[0] != '~')
		return (strdup(path));
	/* ~user is not supported: the daemon has one user. */
	if (path[1] != '\0' && path[1] != '/') {
		errno = EINVAL;
		return (NULL);
	}
	if ((home = home_dir()) == NULL) {
		errno = ENOENT;
		return (NULL);
	}
	hlen = strlen(home);
	while (hlen > 1 && home[hlen - 1] == '/')
		hlen--;
	if (hlen == 1 && path[1] == '/')
		hlen = 0;		/* HOME=/: "~/x" is "/x" */
	if (asprintf(&p, "%.*s%s", (int)hlen, home, path + 1) == -1)
		return (NULL);
	return (p);
}

char *
config_default_path(void)
{
	const char	*x, *home;
	char		*p;

	/* The XDG spec says to ignore a relative XDG_CONFIG_HOME. */
	if ((x = getenv("XDG_CONFIG_HOME")) != NULL && x[0] == '/') {
		if (asprintf(&p, "%s/cloister/config.yaml", x) == -1)
			return (NULL);
		return (p);
	}
	if ((home = home_dir()) == NULL)
		return (NULL);
	if (asprintf(&p, "%s/.config/cloister/config.yaml",
	    strcmp(home, "/") == 0 ? "" : home) == -1)
		return (NULL);
	return (p);
}

int
config_valid_name(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '.' || s[i] == '_' || s[i] == '-'))
			continue;
		return (0);
	}
	return (i >= 1 && i <= CONFIG_NAME_MAX);
}

int
config_valid_project(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n, len = strlen(s);
	uint32_t		 cp;

	if (len == 0 || len > CONFIG_PROJECT_MAX || s[0] == '.')
		return (0);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(u + i, len - i, &cp)) == 0)
			return (0);
		/* C0, DEL, C1: a name is shown, logged and listed. */
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == '/')
			return (0);
	}
	return (1);
}

int
config_valid_token(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return (0);
	return (i >= CONFIG_TOKEN_MIN && i <= CONFIG_TOKEN_MAX);
}

int
config_valid_envname(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_')
			continue;
		if (i > 0 && s[i] >= '0' && s[i] <= '9')
			continue;
		return (0);
	}
	return (i > 0);
}

/* Host names and IPv4 literals; IPv6 comes in brackets. */
static int
valid_host(const char *h, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (!((h[i] >= 'A' && h[i] <= 'Z') ||
		    (h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= '0' && h[i] <= '9') ||
		    h[i] == '.' || h[i] == '-' || h[i] == '_'))
			return (0);
	return (len > 0 && len <= 253);
}

struct listen_addr *
listen_addr_parse(const char *spec, const char **errstr)
{
	struct listen_addr	*la;
	struct sockaddr_un	 sun;
	struct in6_addr		 in6;
	const char		*host, *port, *p, *end;
	char			 buf[INET6_ADDRSTRLEN + 1];
	size_t			 hlen;
	int			 bracket = 0;

	if ((la = calloc(1, sizeof(*la))) == NULL)
		goto nomem;
	la->fd = -1;
	if ((la->spec = strdup(spec)) == NULL)
		goto nomem;
	if (spec[0] == '\0') {
		*errstr = "empty address";
		goto fail;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		la->is_unix = 1;
		if (spec[5] == '\0') {
			*errstr = "empty unix socket path";
			goto fail;
		}
		if ((la->path = expand_home(spec + 5)) == NULL) {
			if (errno == ENOMEM)
				goto nomem;
			*errstr = "cannot expand ~ in unix socket path";
			goto fail;
		}
		if (la->path[0] != '/') {
			*errstr = "unix socket path must be absolute";
			goto fail;
		}
		if (strlen(la->path) >= sizeof(sun.sun_path)) {
			*errstr = "unix socket path too long";
			goto fail;
		}
		return (la);
	}

	if (spec[0] == '[') {
		bracket = 1;
		host = spec + 1;
		if ((end = strchr(host, ']')) == NULL) {
			*errstr = "missing ] after IPv6 address";
			goto fail;
		}
		hlen = end - host;
		p = end + 1;
		if (*p != ':') {
			*errstr = "missing port";
			goto fail;
		}
	} else {
		host = spec;
		if ((p = strrchr(spec, ':')) == NULL) {
			*errstr = "missing port";
			goto fail;
		}
		hlen = p - host;
		if (memchr(host, ':', hlen) != NULL) {
			*errstr = "IPv6 address must be in brackets";
			goto fail;
		}
	}
	port = p + 1;

	if (bracket) {
		if (hlen == 0) {
			*errstr = "empty host";
			goto fail;
		}
		if (hlen >= sizeof(buf)) {
			*errstr = "bad IPv6 address";
			goto fail;
		}
		memcpy(buf, host, hlen);
		buf[hlen] = '\0';
		if (inet_pton(AF_INET6, buf, &in6) != 1) {
			*errstr = "bad IPv6 address";
			goto fail;
		}
	} else if (hlen > 0 && !valid_host(host, hlen)) {
		*errstr = "bad host name";
		goto fail;
	}
	if (*port == '\0') {
		*errstr = "missing port";
		goto fail;
	}
	if (strspn(port, "0123456789") != strlen(port)) {
		*errstr = "port must be a number";
		goto fail;
	}
	if (strlen(port) > 5 || atoi(port) < 1 || atoi(port) > 65535) {
		*errstr = "port out of range (1-65535)";
		goto fail;
	}
	if ((la->host = strndup(host, hlen)) == NULL ||
	    (la->port = strdup(port)) == NULL)
		goto nomem;
	return (la);
 nomem:
	*errstr = "out of memory";
 fail:
	listen_addr_free(la);
	return (NULL);
}

void
listen_addr_free(struct listen_addr *la)
{
	if (la == NULL)
		return;
	free(la->spec);
	free(la->path);
	free(la->host);
	free(la->port);
	free(la->file);
	free(la);
}
