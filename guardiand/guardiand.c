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
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "canon.h"
#include "config.h"
#include "guardiand.h"
#include "log.h"
#include "paths.h"
#include "ruleset.h"
#include "sandbox.h"

extern char	**environ;

/* Who the children run as when started as root without guardian.user. */
#define CHILD_USER_DEFAULT	"nobody"

unsigned int	 child_uid, child_gid;	/* 0: not root, stay as we are */
int	 guardiand_debug;
int	 guardiand_verbose;

static const char *const role_names[ROLE_MAX] = {
	"parent", "policy", "request", "ui", "spawner"
};

static __dead void	 usage(void);
static int		 check_config(struct config *, const char *, int,
			    char **);
static void		 print_form(const char *);
static int		 daemonize(void);
static void		 listen_default_unix(struct config *);
static void		 resolve_user(struct config *);
static void		 control_apart(struct config *);

const char *
role_name(enum role role)
{
	if (role < 0 || role >= ROLE_MAX)
		return ("unknown");
	return (role_names[role]);
}

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-dnv] [-f file] [-s socket] "
	    "[-p project] [-- command [arg ...]]\n", __progname);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct config	*conf;
	const char	*conffile = NULL, *project = NULL, *ctlsock = NULL;
	char		*defconf = NULL, *errs = NULL;
	enum role	 role = ROLE_PARENT;
	int		 ch, noaction = 0, i, readyfd;

	setproctitle_init(argc, argv, environ);
	while ((ch = getopt(argc, argv, "df:np:R:s:U:v")) != -1) {
		switch (ch) {
		case 'd':
			guardiand_debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'p':
			project = optarg;
			break;
		case 'R':
			for (i = ROLE_POLICY; i < ROLE_MAX; i++)
				if (strcmp(optarg, role_names[i]) == 0)
					role = i;
			if (role == ROLE_PARENT)
				usage();
			break;
		case 's':
			ctlsock = optarg;
			break;
		case 'U':
			if (sscanf(optarg, "%u:%u", &child_uid, &child_gid) != 2 ||
			    child_uid == 0)
				usage();
			break;
		case 'v':
			guardiand_verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (role != ROLE_PARENT) {
		/*
		 * A re-executed child: nothing of the parent but fd 3, an
		 * environment the parent chose, /dev/null for stdio.
		 */
		log_init(1, LOG_DAEMON);
		log_setverbose(guardiand_verbose + 1);
		log_procinit(role_name(role));
		child_start(role);
		proc_setname(role_name(role));
		if (role == ROLE_POLICY)
			policy_main();
		if (role == ROLE_SPAWNER)
			spawner_main();
		netchild_main(role);
	}

	if (argc > 0 && !noaction)
		usage();
	if (project != NULL && !noaction)
		usage();

	if (conffile == NULL) {
		if ((defconf = config_default_path()) == NULL)
			errx(1, "cannot find the configuration: set HOME or "
			    "use -f");
		conffile = defconf;
	}
	if ((conf = config_load(conffile, &errs)) == NULL) {
		fputs(errs != NULL ? errs : "configuration error\n", stderr);
		exit(1);
	}
	if (ctlsock != NULL) {
		free(conf->control_path);
		if ((conf->control_path = strdup(ctlsock)) == NULL)
			err(1, NULL);
	}

	if (noaction)
		exit(check_config(conf, project, argc, argv));

	log_init(guardiand_debug, LOG_DAEMON);
	log_setverbose(guardiand_verbose + 1);
	log_procinit(role_name(ROLE_PARENT));
	config_log_warnings(conf);
	proc_init();

	if (geteuid() == 0)
		resolve_user(conf);
	else if (conf->user != NULL)
		log_debug("not root: guardian.user %s ignored", conf->user);
	if (conf->request_listen_default)
		listen_default_unix(conf);
	control_apart(conf);
	{
		char	 errbuf[512];

		if (listen_all(&conf->request_listen, 0, errbuf,
		    sizeof(errbuf)) == -1)
			errx(1, "request listener: %s", errbuf);
		if (listen_all(&conf->ui_listen, !conf->ui_allow_remote,
		    errbuf, sizeof(errbuf)) == -1) {
			listen_close(&conf->request_listen);
			errx(1, "ui listener: %s", errbuf);
		}
	}

	readyfd = -1;
	if (!guardiand_debug)
		readyfd = daemonize();
	proc_setname("parent");
	parent_main(conf, readyfd);
}

/*
 * Started as root, the children chroot to an empty directory and run
 * as guardian.user, or as nobody: never as root, and never silently.
 */
static void
resolve_user(struct config *conf)
{
	struct passwd	*pw;
	const char	*user, *dir;

	user = conf->user != NULL ? conf->user : CHILD_USER_DEFAULT;
	if ((pw = getpwnam(user)) == NULL) {
		if (conf->user != NULL)
			errx(1, "guardian.user: no user %s", user);
		errx(1, "started as root, the children need an unprivileged "
		    "user: there is no user %s, set guardian.user", user);
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		errx(1, "%s%s has uid %u, gid %u: the children never run "
		    "as root", conf->user != NULL ? "guardian.user: " : "",
		    user, (unsigned int)pw->pw_uid, (unsigned int)pw->pw_gid);
	child_uid = pw->pw_uid;
	child_gid = pw->pw_gid;
	if ((dir = sandbox_emptydir(1)) == NULL)
		err(1, "cannot prepare an empty directory to chroot to");
	log_info("children run as %s (uid %u, gid %u) in a chroot to %s",
	    user, child_uid, child_gid, dir);
}

/*
 * Without request.listen, containers may also come in through
 * $XDG_RUNTIME_DIR/guardiand/request.sock: a directory that can be
 * bind-mounted into them.
 */
static void
listen_default_unix(struct config *conf)
{
	struct listen_addr	*la;
	const char		*errstr;
	char			*path, *spec;

	if ((path = runtime_path(RUNDIR_REQUEST, REQUEST_SOCK, 1)) == NULL) {
		log_warn("no runtime directory for the request socket");
		return;
	}
	if (asprintf(&spec, "unix:%s", path) == -1)
		fatal(NULL);
	if ((la = listen_addr_parse(spec, &errstr)) == NULL)
		fatalx("%s: %s", spec, errstr);
	TAILQ_INSERT_TAIL(&conf->request_listen, la, entry);
	free(spec);
	free(path);
}

/* The control socket, as -s, guardian.control or the default set it. */
static char *
control_where(struct config *conf, int peek)
{
	char	*ctl;

	if (conf->control_path != NULL)
		ctl = strdup(conf->control_path);
	else if (peek)
		ctl = runtime_path_peek(RUNDIR_CONTROL, CONTROL_SOCK);
	else
		return (runtime_path(RUNDIR_CONTROL, CONTROL_SOCK, 0));
	if (ctl == NULL)
		err(1, NULL);
	return (ctl);
}

/*
 * The control socket must not share a directory with a request socket,
 * nor sit under one: a container that mounts the directory of its way
 * in must not find the way to approve.
 */
static void
control_apart(struct config *conf)
{
	char	*ctl, errbuf[1024];

	if ((ctl = control_where(conf, 0)) == NULL)
		return;		/* parent_main says why */
	if (listen_apart(ctl, &conf->request_listen, errbuf,
	    sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	free(ctl);
}

/* "file:line: " of a listener, for -n. */
static void
where(const struct listen_addr *la)
{
	if (la->line > 0)
		fprintf(stderr, "%s:%d: ", la->file, la->line);
	else if (la->file != NULL)
		fprintf(stderr, "%s: ", la->file);
	else
		fprintf(stderr, "guardiand: ");
}

/* -n: the listeners as listen_all() would find them, unbound. */
static int
check_listen(struct listen_list *ll, int loopback_only)
{
	struct listen_addr	*la;
	char			 errbuf[1024];
	int			 remote, rv = 0;

	TAILQ_FOREACH(la, ll, entry) {
		if (listen_check(la, loopback_only, &remote, errbuf,
		    sizeof(errbuf)) == -1) {
			where(la);
			fprintf(stderr, "%s\n", errbuf);
			rv = -1;
		} else if (remote) {
			where(la);
			fprintf(stderr, "warning: listening on non-loopback "
			    "address %s: reachable from the network (a token "
			    "is still required)\n", la->spec);
		}
	}
	return (rv);
}

/*
 * -n: what starting would refuse, short of binding and of another
 * daemon being there; and cloisters whose worktree is missing.
 */
static int
check_start(struct config *conf)
{
	struct cloister_conf	*c;
	struct listen_addr	*la;
	struct passwd		*pw;
	struct stat		 st;
	const char		*errstr, *why;
	char			*ctl, *path, *spec, errbuf[1024];
	int			 rv = 0;

	if (conf->user != NULL && geteuid() == 0 &&
	    ((pw = getpwnam(conf->user)) == NULL || pw->pw_uid == 0)) {
		fprintf(stderr, "%s: guardian.user: %s\n", conf->gpath,
		    pw == NULL ? "no such user" : "is root");
		rv = -1;
	}
	if (check_listen(&conf->request_listen, 0) == -1)
		rv = -1;
	if (check_listen(&conf->ui_listen, !conf->ui_allow_remote) == -1)
		rv = -1;
	/* The shared socket's directories are made as needed. */
	if (conf->request_listen_default &&
	    (path = runtime_path_peek(RUNDIR_REQUEST, REQUEST_SOCK)) != NULL) {
		if (asprintf(&spec, "unix:%s", path) == -1)
			err(1, NULL);
		if ((la = listen_addr_parse(spec, &errstr)) != NULL)
			TAILQ_INSERT_TAIL(&conf->request_listen, la, entry);
		free(spec);
		free(path);
	}
	if ((ctl = control_where(conf, 1)) != NULL) {
		if (listen_apart(ctl, &conf->request_listen, errbuf,
		    sizeof(errbuf)) == -1) {
			fprintf(stderr, "guardiand: %s\n", errbuf);
			rv = -1;
		}
		free(ctl);
	}
	/* Commands would fail there; the configuration is still valid. */
	TAILQ_FOREACH(c, &conf->cloisters, entry) {
		if (stat(c->worktree, &st) == -1)
			why = errno == ENOENT ? "does not exist" :
			    strerror(errno);
		else if (!S_ISDIR(st.st_mode))
			why = "is not a directory";
		else
			continue;
		fprintf(stderr, "%s:%d: warning: cloister `%s`: worktree "
		    "%s %s\n", c->file, c->line, c->name, c->worktree, why);
	}
	return (rv);
}

/*
 * -n: the checks, with the same policy code the daemon runs in its
 * policy child; with a command, its verdict.
 */
static int
check_config(struct config *conf, const char *project, int argc,
    char **argv)
{
	struct verdict_result	 res;
	struct ruleset		*rs;
	struct project_conf	*pc;
	struct pattern_src	*ps;
	char			*errs = NULL, *canon, *clform;
	int			 k, rv = 0;

	if (conf->warnings != NULL)
		fputs(conf->warnings, stderr);
	if ((rs = ruleset_new()) == NULL)
		err(1, NULL);
	for (k = 0; k < PAT_NKINDS; k++)
		TAILQ_FOREACH(ps, &conf->global.kind[k], entry)
			(void)ruleset_add(rs, NULL, k, ps->re, ps->file,
			    ps->line, &errs);
	RB_FOREACH(pc, project_tree, &conf->projects)
		for (k = 0; k < PAT_NKINDS; k++)
			TAILQ_FOREACH(ps, &pc->pats.kind[k], entry)
				(void)ruleset_add(rs, pc->name, k, ps->re,
				    ps->file, ps->line, &errs);
	if (errs != NULL) {
		fputs(errs, stderr);
		free(errs);
		rv = 1;
	}
	if (check_start(conf) == -1)
		rv = 1;
	if (rv != 0) {
		ruleset_free(rs);
		config_free(conf);
		return (rv);
	}
	if (project != NULL && ((pc = config_project(conf, project)) ==
	    NULL || pc->file == NULL))
		fprintf(stderr, "guardiand: no projects/%s.yaml: only the "
		    "global patterns apply\n", project);
	else if (project != NULL && pc->ignored)
		fprintf(stderr, "guardiand: %s is ignored: only the global "
		    "patterns apply\n", pc->file);
	if (argc > 0) {
		if ((canon = canon_argv(argc, argv)) == NULL ||
		    (clform = canon_cloister_argv(argc, argv)) == NULL)
			err(1, NULL);
		ruleset_check(rs, project, canon, strlen(canon), clform,
		    strlen(clform), conf->default_manual, &res);
		printf("%s\t%s\t%s\n", verdict_name(res.verdict),
		    res.pattern != NULL ? res.pattern : "", canon);
		if (strcmp(canon, clform) != 0)
			print_form(clform);
		free(canon);
		free(clform);
	} else if (guardiand_verbose)
		fprintf(stderr, "configuration OK\n");
	ruleset_free(rs);
	config_free(conf);
	return (0);
}

/*
 * -n: cloister's form of the command, which patterns are matched
 * against too, when it is not the canonical string: on a line of its
 * own, in double quotes, written as the audit log writes values (\\,
 * \", \n, \t, \r, \xHH for other controls, \u{HHHH} for hidden
 * characters), so that its raw newlines and controls show and reach
 * no terminal.  It is always valid UTF-8.
 */
static void
print_form(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 len = strlen(s), i, n;

	fputs("cloister\t\t\"", stdout);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			printf("\\x%02x", p[i]);
			n = 1;
		} else if (cp == '\\' || cp == '"')
			printf("\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", stdout);
		else if (cp == '\t')
			fputs("\\t", stdout);
		else if (cp == '\r')
			fputs("\\r", stdout);
		else if (cp < 0x20 || cp == 0x7f)
			printf("\\x%02x", (unsigned int)cp);
		else if (canon_hidden(cp))
			printf("\\u{%04x}", (unsigned int)cp);
		else
			fwrite(p + i, 1, n, stdout);
	}
	fputs("\"\n", stdout);
}

/*
 * Detach, but stay attached to the starting shell until the children
 * run and the policy is loaded, so a bad pattern is reported there
 * with a non-zero exit instead of only in syslog.
 */
static int
daemonize(void)
{
	char	 buf[4096];
	ssize_t	 n;
	int	 fds[2], nullfd;
	pid_t	 pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		fatal("pipe");
	switch ((pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		close(fds[1]);
		/* 'R' when up; otherwise the reasons it is not. */
		if ((n = read(fds[0], buf, sizeof(buf))) == 1 && buf[0] == 'R')
			_exit(0);
		if (n <= 0)
			fprintf(stderr, "guardiand: failed to start, "
			    "see the log\n");
		while (n > 0 && write(STDERR_FILENO, buf, n) == n)
			n = read(fds[0], buf, sizeof(buf));
		_exit(1);
	}
	close(fds[0]);
	if (setsid() == -1)
		fatal("setsid");
	if ((nullfd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	(void)dup2(nullfd, STDIN_FILENO);
	(void)dup2(nullfd, STDOUT_FILENO);
	(void)dup2(nullfd, STDERR_FILENO);
	if (nullfd > STDERR_FILENO)
		close(nullfd);
	if (chdir("/") == -1)
		fatal("chdir /");
	return (fds[1]);
}
