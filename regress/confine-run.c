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
 * confine-run: run a command confined as guardiand would (confine.h),
 * for the tests and for trying a profile out:
 *
 *	confine-run -f config.yaml -p PROFILE -w WORKTREE [-T TMPBASE] \
 *	    -- command [arg ...]
 *	confine-run -f config.yaml -a|-m PATTERN -w WORKTREE ... -- ...
 *
 * -f is cloister's config.yaml, as for guardiand -f; the profiles are
 * in guardiand.yaml beside it.  -p names a profile; -a and -m name the
 * pattern that auto-approved, or let a human approve, the command, and
 * the profile is the one guardiand would choose (confine_for()): none
 * runs the command unconfined, saying so on stderr.  The steps are the
 * daemon's: prepare before fork, apply in the child, then exec; the
 * private temporary directory is removed when the command has ended.
 * Exits with the command's status (128+N for signal N), 125 if the
 * confinement cannot be had, 126 if it could not be applied or the
 * command not executed.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "confine.h"
#include "log.h"

extern char	**environ;

/* sandbox.c's, defined by guardiand's main(); unused here. */
unsigned int	 child_uid, child_gid;

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: confine-run -f config.yaml "
	    "-p profile | -a pattern | -m pattern\n"
	    "\t-w worktree [-T tmpbase] -- command [arg ...]\n");
	exit(2);
}

static char **
env_copy(void)
{
	char	**e, **n;
	size_t	 i, count = 0;

	for (e = environ; *e != NULL; e++)
		count++;
	if ((n = calloc(count + 1, sizeof(*n))) == NULL)
		err(125, NULL);
	for (i = 0; i < count; i++)
		if ((n[i] = strdup(environ[i])) == NULL)
			err(125, NULL);
	return (n);
}

static void
env_free(char **envp)
{
	char	**e;

	for (e = envp; *e != NULL; e++)
		free(*e);
	free(envp);
}

static const struct confine_profile *
profile_named(struct config *conf, const char *name)
{
	struct confine_profile	*p;

	TAILQ_FOREACH(p, &conf->confine_profiles, entry)
		if (strcmp(p->name, name) == 0)
			return (p);
	errx(125, "no profile %s", name);
}

/* The child: confined, then the command; never unconfined. */
static __attribute__((__noreturn__)) void
child(const struct confine *c, char **envp, char **argv)
{
	if (c != NULL && confine_apply(c) == -1) {
		fprintf(stderr, "confine-run: cannot confine: %s\n",
		    strerror(errno));
		_exit(126);
	}
	environ = envp;
	execvp(argv[0], argv);
	fprintf(stderr, "confine-run: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int
main(int argc, char *argv[])
{
	const struct confine_profile	*prof = NULL;
	struct confine			 c;
	struct config			*conf;
	const char			*file = NULL, *name = NULL, *pat = NULL;
	const char			*worktree = NULL, *t;
	char				 tmpbase[PATH_MAX] = "", msg[1024];
	char				*errs;
	char				**envp;
	enum verdict			 verdict = VERDICT_AUTO;
	pid_t				 pid;
	int				 ch, status;

	log_init(1, LOG_USER);
	while ((ch = getopt(argc, argv, "a:f:m:p:T:w:")) != -1) {
		switch (ch) {
		case 'a':
		case 'm':
			pat = optarg;
			verdict = ch == 'a' ? VERDICT_AUTO : VERDICT_MANUAL;
			break;
		case 'f':
			file = optarg;
			break;
		case 'p':
			name = optarg;
			break;
		case 'T':
			if (strlcpy(tmpbase, optarg, sizeof(tmpbase)) >=
			    sizeof(tmpbase))
				errx(2, "-T: too long");
			break;
		case 'w':
			worktree = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (file == NULL || worktree == NULL || argc == 0 ||
	    (name == NULL) == (pat == NULL))
		usage();
	if (optind < 2 || strcmp(argv[-1], "--") != 0)
		usage();
	if (tmpbase[0] == '\0') {
		if ((t = getenv("TMPDIR")) == NULL || *t != '/')
			t = "/tmp";
		(void)snprintf(tmpbase, sizeof(tmpbase), "%s/confine-run-%u",
		    t, (unsigned int)geteuid());
	}

	if ((conf = config_load(file, &errs)) == NULL) {
		fputs(errs, stderr);
		exit(125);
	}
	if (name != NULL)
		prof = profile_named(conf, name);
	else
		prof = confine_for(conf, verdict, pat);
	envp = env_copy();
	if (prof == NULL)
		fprintf(stderr, "confine-run: unconfined\n");
	else {
		if (confine_prepare(&c, prof, worktree, tmpbase, msg,
		    sizeof(msg)) == -1)
			errx(125, "%s", msg);
		if (confine_env(&envp, &c) == -1)
			err(125, "confine_env");
	}
	if (chdir(worktree) == -1)
		err(125, "%s", worktree);

	if ((pid = fork()) == -1)
		err(125, "fork");
	if (pid == 0)
		child(prof != NULL ? &c : NULL, envp, argv);
	if (prof != NULL)
		confine_close(&c);
	env_free(envp);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err(125, "waitpid");
	if (prof != NULL && confine_tmp_remove(&c) == -1)
		warn("cannot remove %s", c.tmpdir);
	config_free(conf);
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}
