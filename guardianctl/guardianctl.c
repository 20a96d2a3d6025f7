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
 * guardianctl(8): the operator's control tool.  One request over the
 * control socket (guardiand/control.h), then the answer: CTL_LINE
 * texts to stdout, the final CTL_OK text to stdout, a CTL_ERROR text
 * to stderr.  Whatever the daemon sends is made harmless for the
 * terminal before it is printed.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vis.h>

#include "canon.h"
#include "config.h"
#include "control.h"
#include "guardianctl.h"
#include "imsg.h"
#include "paths.h"

/* ms: a reload may take a while */
#define ANSWER_TIMEOUT	(120 * 1000)

static __dead void	 usage_to(FILE *, int);
static char		*default_socket(void);
static __dead void	 no_socket(int);
static int		 read_answer(struct imsgbuf *);
static char		*read_token(void);
static void		 check_id(const char *);
static char		*join_words(int, char *[]);

/* help: on stdout, status 0; a usage error: on stderr, status 2. */
static __dead void
usage_to(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: guardianctl [-s socket] command [args]\n"
	    "commands:\n"
	    "\tstatus\n"
	    "\tshow requests | show cloisters | show grants\n"
	    "\tapprove ID [--for DURATION | --always]\n"
	    "\tdeny ID [--for DURATION] [reason ...]\n"
	    "\trevoke GRANT\n"
	    "\twatch\n"
	    "\tregister NAME -w WORKTREE [-P PROJECT] [-t TOKEN]\n"
	    "\tunregister NAME\n"
	    "\treload\n"
	    "\tui\n"
	    "\tlog verbose | log brief\n"
	    "\thelp\n");
	exit(status);
}

__dead void
usage(void)
{
	usage_to(stderr, 2);
}

__dead void
die(const char *fmt, ...)
{
	va_list	 ap;

	fputs("guardianctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct imsgbuf	 ibuf;
	struct imsg_enc	 enc;
	const char	*cmd, *sock = NULL;
	const char	*worktree = NULL, *project = "", *token = "";
	char		*defsock = NULL, *reason = NULL, *real = NULL;
	char		*tokbuf = NULL;
	uint32_t	 type, secs = 0;
	int		 ch, fd, i, rv, always = 0;

	while ((ch = getopt(argc, argv, "+hs:")) != -1) {
		switch (ch) {
		case 'h':
			usage_to(stdout, 0);
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	if (strcmp(cmd, "help") == 0 && argc == 1)
		usage_to(stdout, 0);

	imsg_enc_init(&enc);
	if (strcmp(cmd, "status") == 0 && argc == 1)
		type = CTL_STATUS;
	else if (strcmp(cmd, "show") == 0 && argc == 2 &&
	    strcmp(argv[1], "requests") == 0)
		type = CTL_SHOW_REQUESTS;
	else if (strcmp(cmd, "show") == 0 && argc == 2 &&
	    strcmp(argv[1], "cloisters") == 0)
		type = CTL_SHOW_CLOISTERS;
	else if (strcmp(cmd, "show") == 0 && argc == 2 &&
	    strcmp(argv[1], "grants") == 0)
		type = CTL_SHOW_GRANTS;
	else if ((strcmp(cmd, "approve") == 0 || strcmp(cmd, "deny") == 0) &&
	    argc >= 2) {
		check_id(argv[1]);
		i = 2;
		if (i < argc && strcmp(argv[i], "--for") == 0) {
			if (i + 1 >= argc)
				usage();
			secs = grant_duration(argv[i + 1]);
			i += 2;
		} else if (cmd[0] == 'a' && i < argc &&
		    strcmp(argv[i], "--always") == 0) {
			always = 1;
			i++;
		}
		if (cmd[0] == 'a') {
			if (i != argc)
				usage();
			type = always ? CTL_APPROVE_ALWAYS : secs > 0 ?
			    CTL_APPROVE_FOR : CTL_APPROVE;
		} else
			type = secs > 0 ? CTL_DENY_FOR : CTL_DENY;
		imsg_put_str(&enc, argv[1]);
		if (secs > 0)
			imsg_put_u32(&enc, secs);
		if (cmd[0] == 'd') {
			/* The words of the reason, joined by single spaces. */
			reason = join_words(argc - i, argv + i);
			imsg_put_str(&enc, reason);
		}
	} else if (strcmp(cmd, "revoke") == 0 && argc == 2) {
		check_id(argv[1]);
		type = CTL_REVOKE;
		imsg_put_str(&enc, argv[1]);
	} else if (strcmp(cmd, "watch") == 0 && argc == 1) {
		type = CTL_WATCH;
	} else if (strcmp(cmd, "register") == 0 && argc >= 2 &&
	    argv[1][0] != '-') {
		type = CTL_REGISTER;
		/* NAME first, then the options: parse from NAME on. */
		argc--;
		argv++;
		optind = 1;
		while ((ch = getopt(argc, argv, "+P:t:w:")) != -1) {
			switch (ch) {
			case 'P':
				project = optarg;
				break;
			case 't':
				token = optarg;
				break;
			case 'w':
				worktree = optarg;
				break;
			default:
				usage();
			}
		}
		if (optind != argc || worktree == NULL)
			usage();
		if (strcmp(token, "-") == 0)
			token = tokbuf = read_token();
		/* Relative to where the operator stands, not the daemon. */
		if ((real = realpath(worktree, NULL)) == NULL)
			die("%s: %s", worktree, strerror(errno));
		imsg_put_str(&enc, argv[0]);
		imsg_put_str(&enc, real);
		imsg_put_str(&enc, project);
		imsg_put_str(&enc, token);
	} else if (strcmp(cmd, "unregister") == 0 && argc == 2) {
		type = CTL_UNREGISTER;
		imsg_put_str(&enc, argv[1]);
	} else if (strcmp(cmd, "reload") == 0 && argc == 1)
		type = CTL_RELOAD;
	else if (strcmp(cmd, "ui") == 0 && argc == 1)
		type = CTL_UI;
	else if (strcmp(cmd, "log") == 0 && argc == 2 &&
	    strcmp(argv[1], "verbose") == 0)
		type = CTL_LOG_VERBOSE;
	else if (strcmp(cmd, "log") == 0 && argc == 2 &&
	    strcmp(argv[1], "brief") == 0)
		type = CTL_LOG_BRIEF;
	else
		usage();

	signal(SIGPIPE, SIG_IGN);
	if (sock == NULL) {
		if ((defsock = default_socket()) == NULL)
			no_socket(errno);
		sock = defsock;
	}
	if (type == CTL_WATCH)
		return (watch(sock));
	fd = ctl_connect(sock);
	if (imsgbuf_init(&ibuf, fd) == -1)
		die("%s", strerror(errno));
	send_request(&ibuf, type, &enc);
	if (tokbuf != NULL)
		freezero(tokbuf, strlen(tokbuf));
	rv = read_answer(&ibuf);
	imsgbuf_clear(&ibuf);
	close(fd);
	free(defsock);
	free(reason);
	free(real);
	return (rv);
}

/*
 * The default control socket cannot be used: say where it was looked
 * for, and guess why only when the error tells.
 */
static __dead void
no_socket(int error)
{
	char	*path, *dir, *p;

	if ((path = runtime_path_peek(RUNDIR_CONTROL, CONTROL_SOCK)) == NULL)
		die("no control socket: %s", strerror(error));
	dir = strdup(path);
	if (dir != NULL && (p = strrchr(dir, '/')) != NULL)
		*p = '\0';
	if (error == ENOENT)
		die("no control socket: %s does not exist (guardiand is not "
		    "running as this user, or was told another socket: use "
		    "-s)", dir != NULL ? dir : path);
	if (error == EPERM)
		die("%s: not a directory of this user's, mode 0700: not "
		    "used", dir != NULL ? dir : path);
	die("%s: %s", dir != NULL ? dir : path, strerror(error));
}

/*
 * The socket guardiand uses: guardian.control of the default
 * configuration if it sets one, else the runtime directory's.
 */
static char *
default_socket(void)
{
	struct config	*conf;
	char		*path, *errs = NULL, *s = NULL;

	if ((path = config_default_path()) != NULL &&
	    (conf = config_load(path, &errs)) != NULL) {
		if (conf->control_path != NULL)
			s = strdup(conf->control_path);
		config_free(conf);
	}
	free(errs);
	free(path);
	if (s != NULL)
		return (s);
	return (runtime_path(RUNDIR_CONTROL, CONTROL_SOCK, 0));
}

int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		die("connect %s: %s", path, strerror(ENAMETOOLONG));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("connect %s: %s (is guardiand running?)", path,
		    strerror(errno));
	return (fd);
}

void
send_request(struct imsgbuf *ibuf, uint32_t type, struct imsg_enc *enc)
{
	struct pollfd	 pfd;
	int		 rv;

	if (imsg_compose_enc(ibuf, type, 0, -1, enc) == -1)
		die("request: %s", strerror(errno));
	pfd.fd = ibuf->fd;
	pfd.events = POLLOUT;
	while ((rv = imsg_write(ibuf)) == 1) {
		if (poll(&pfd, 1, ANSWER_TIMEOUT) == 0)
			die("guardiand does not read the request");
	}
	/* Turned away: the answer may still say why. */
	if (rv == -1 && (errno == EPIPE || errno == ECONNRESET))
		return;
	if (rv == -1)
		die("write: %s", strerror(errno));
}

/* Print the answer; the exit status: 0 on CTL_OK, 1 otherwise. */
static int
read_answer(struct imsgbuf *ibuf)
{
	struct imsg	 imsg;
	struct imsg_dec	 dec;
	struct pollfd	 pfd;
	char		*text, *safe, *p, *line, *info = NULL, *s;
	ssize_t		 n;
	int		 rv, done = -1;

	pfd.fd = ibuf->fd;
	pfd.events = POLLIN;
	while (done == -1) {
		if ((rv = poll(&pfd, 1, ANSWER_TIMEOUT)) == -1) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (rv == 0)
			die("no answer from guardiand");
		if ((n = imsg_read(ibuf)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno != ECONNRESET)
				die("read: %s", strerror(errno));
			n = 0;
		}
		if (n == 0)
			die("guardiand closed the connection without an "
			    "answer (only its own user may control it)");
		while (done == -1 && (rv = imsg_get(ibuf, &imsg)) == 1) {
			imsg_dec_init(&dec, &imsg);
			text = imsg_get_str(&dec);
			if (imsg_dec_end(&dec) == -1 || imsg.fd != -1)
				die("bad answer from guardiand");
			switch (imsg.hdr.type) {
			case CTL_LINE:
			case CTL_OK:
				if (imsg.hdr.type == CTL_OK)
					done = 0;
				if (imsg.hdr.type == CTL_OK && *text == '\0')
					break;
				if ((safe = sanitize(text)) == NULL)
					die("%s", strerror(errno));
				printf("%s\n", safe);
				free(safe);
				break;
			case CTL_INFO:
				/* For the operator, after the answer. */
				if ((safe = sanitize(text)) == NULL ||
				    asprintf(&s, "%s%s\n", info != NULL ?
				    info : "", safe) == -1)
					die("%s", strerror(errno));
				free(safe);
				free(info);
				info = s;
				break;
			case CTL_ERROR:
				done = 1;
				fflush(stdout);
				/* One message a line, each prefixed. */
				p = text;
				while ((line = strsep(&p, "\n")) != NULL) {
					if (*line == '\0' && p == NULL)
						break;
					if ((safe = sanitize(line)) == NULL)
						die("%s", strerror(errno));
					fprintf(stderr, "guardianctl: %s\n",
					    safe);
					free(safe);
				}
				break;
			default:
				die("bad answer from guardiand (type %u)",
				    imsg.hdr.type);
			}
			free(text);
			imsg_free(&imsg);
		}
		if (done == -1 && rv == -1)
			die("bad answer from guardiand");
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		die("stdout: %s", strerror(errno));
	/* stdout holds the answer alone: TOKEN=$(guardianctl register ...) */
	if (info != NULL && done == 0)
		fputs(info, stderr);
	free(info);
	return (done);
}

/*
 * Safe for a terminal: printable ASCII and printable UTF-8 stay as
 * they are (a canonical command keeps its backslashes); what the
 * canonical string never shows raw (controls, invisible and bidi
 * formatting characters, separators: canon_hidden) and bytes that are
 * not UTF-8 are written in vis(3) octal.
 */
char *
sanitize(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 len = strlen(s), i, n;
	uint32_t		 cp;
	char			*out, *o;

	if ((out = malloc(len * 4 + 1)) == NULL)
		return (NULL);
	o = out;
	for (i = 0; i < len; i += n) {
		n = 1;
		if (u[i] >= 0x20 && u[i] < 0x7f) {
			*o++ = u[i];
			continue;
		}
		if ((n = utf8_decode(u + i, len - i, &cp)) > 1 &&
		    !canon_hidden(cp)) {
			memcpy(o, u + i, n);
			o += n;
			continue;
		}
		n = 1;
		o = vis(o, u[i], VIS_OCTAL | VIS_CSTYLE | VIS_TAB | VIS_NL |
		    VIS_NOSLASH, u[i + 1]);
	}
	*o = '\0';
	return (out);
}

/* register -t -: the token from stdin, so it shows in no ps(1). */
static char *
read_token(void)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if ((n = getline(&line, &cap, stdin)) == -1)
		die("no token on standard input");
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return (line);
}

/* An id, or a unique prefix of one: CTL_ID_MIN characters at least. */
static void
check_id(const char *s)
{
	if (s[0] == '-' || strlen(s) < CTL_ID_MIN)
		usage();
}

static char *
join_words(int n, char *w[])
{
	char	*s;
	size_t	 len;
	int	 i;

	for (len = 1, i = 0; i < n; i++)
		len += strlen(w[i]) + 1;
	if ((s = calloc(1, len)) == NULL)
		die("%s", strerror(errno));
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(s, " ", len);
		strlcat(s, w[i], len);
	}
	return (s);
}

/*
 * "30s", "10m", "1h", "2d": seconds, from 1 s to 7 days.  Anything
 * else is a usage error.
 */
uint32_t
grant_duration(const char *s)
{
	unsigned long long	 n;
	char			*end;
	uint32_t		 unit;

	if (*s < '0' || *s > '9')
		goto bad;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || end[0] == '\0' || end[1] != '\0')
		goto bad;
	switch (*end) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		goto bad;
	}
	if (n == 0 || n > GRANT_MAX_SECS / unit)
		goto bad;
	return ((uint32_t)n * unit);
 bad:
	fprintf(stderr, "guardianctl: bad duration %s: a number and s, m, "
	    "h or d (30s, 10m, 1h, 2d), at most 7d\n", s);
	exit(2);
}
