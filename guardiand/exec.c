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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

/*
 * Running an approved command (DESIGN section 7): its argv exactly,
 * never through a shell; PATH looked up as execvp(3) would, but in the
 * command's own environment and relative to its worktree; stdin
 * /dev/null; stdout and stderr separate pipes whose read ends go to
 * the request child; a new session, so the whole tree can be
 * signalled; every signal at its default.
 */

extern char	**environ;

#define PIPE_SIZE	(1024 * 1024)	/* fewer wake-ups for bulk output */
#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"

static const char *
env_get(char *const *envp, const char *name)
{
	size_t	 len = strlen(name);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return (*envp + len + 1);
	return (NULL);
}

/*
 * The program execvp would run: the first PATH entry holding an
 * executable regular file.  0, or -1 with ENOENT (nothing there) or
 * EACCES (only something we may not run).
 */
static int
exec_lookup(const char *name, const char *cwd, char *const *envp,
    char *out, size_t outlen)
{
	const char	*path, *p, *end;
	char		 cand[PATH_MAX], abs[PATH_MAX];
	struct stat	 st;
	size_t		 dlen;
	int		 denied = 0;

	if (strchr(name, '/') != NULL) {
		if (strlcpy(out, name, outlen) >= outlen) {
			errno = ENAMETOOLONG;
			return (-1);
		}
		return (0);
	}
	if ((path = env_get(envp, "PATH")) == NULL)
		path = DEFAULT_PATH;
	for (p = path; ; p = end + 1) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		dlen = end - p;
		/* An empty entry is the current directory. */
		if (snprintf(cand, sizeof(cand), "%.*s%s%s", (int)dlen, p,
		    dlen ? "/" : "", name) < (int)sizeof(cand)) {
			if (cand[0] != '/') {
				if ((size_t)snprintf(abs, sizeof(abs),
				    "%s/%s", cwd, cand) >= sizeof(abs))
					abs[0] = '\0';
			} else
				strlcpy(abs, cand, sizeof(abs));
			if (abs[0] != '\0' && stat(abs, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				if (access(abs, X_OK) == 0) {
					strlcpy(out, cand, outlen);
					return (0);
				}
				denied = 1;
			}
		}
		if (*end == '\0')
			break;
	}
	errno = denied ? EACCES : ENOENT;
	return (-1);
}

int
exec_spawn(const struct exec_req *er, struct exec_res *res)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 all, none;
	char				 prog[PATH_MAX];
	int				 outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int				 rv;

	memset(res, 0, sizeof(*res));
	res->outfd = res->errfd = -1;
	if (exec_lookup(er->argv[0], er->cwd, er->envp, prog,
	    sizeof(prog)) == -1) {
		res->error = errno;
		return (-1);
	}
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		res->error = errno;
		goto fail;
	}
	(void)fcntl(outp[0], F_SETPIPE_SZ, PIPE_SIZE);
	/* Our ends only: the command gets ordinary blocking pipes. */
	if (fcntl(outp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(errp[0], F_SETFL, O_NONBLOCK) == -1) {
		res->error = errno;
		goto fail;
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	posix_spawn_file_actions_addchdir_np(&fa, er->cwd);
	/* Whatever else is open here is the daemon's, not the command's. */
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);

	posix_spawnattr_init(&attr);
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

	rv = posix_spawn(&res->pid, prog, &fa, &attr, er->argv, er->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rv != 0) {
		res->error = rv;
		goto fail;
	}
	close(outp[1]);
	close(errp[1]);
	res->outfd = outp[0];
	res->errfd = errp[0];
	return (0);
 fail:
	if (outp[0] != -1) {
		close(outp[0]);
		close(outp[1]);
	}
	if (errp[0] != -1) {
		close(errp[0]);
		close(errp[1]);
	}
	return (-1);
}

/*
 * The environment of commands: the daemon's own (guardian.env.pass
 * unset) or only the names listed, then guardian.env.set on top.
 */
char **
exec_environ(struct config *conf)
{
	struct strent	*se;
	struct env_var	*ev;
	char		**envp, **e;
	const char	*v;
	size_t		 n = 0, i = 0, len;

	for (e = environ; *e != NULL; e++)
		n++;
	TAILQ_FOREACH(ev, &conf->env_set, entry)
		n++;
	if ((envp = calloc(n + 1, sizeof(*envp))) == NULL)
		return (NULL);
	if (conf->env_pass_all) {
		for (e = environ; *e != NULL; e++) {
			TAILQ_FOREACH(ev, &conf->env_set, entry) {
				len = strlen(ev->name);
				if (strncmp(*e, ev->name, len) == 0 &&
				    (*e)[len] == '=')
					break;
			}
			if (ev == NULL && (envp[i++] = strdup(*e)) == NULL)
				goto fail;
		}
	} else {
		TAILQ_FOREACH(se, &conf->env_pass, entry) {
			TAILQ_FOREACH(ev, &conf->env_set, entry)
				if (strcmp(ev->name, se->s) == 0)
					break;
			if (ev != NULL || (v = getenv(se->s)) == NULL)
				continue;
			if (asprintf(&envp[i++], "%s=%s", se->s, v) == -1) {
				envp[--i] = NULL;
				goto fail;
			}
		}
	}
	TAILQ_FOREACH(ev, &conf->env_set, entry) {
		if (asprintf(&envp[i++], "%s=%s", ev->name, ev->value) == -1) {
			envp[--i] = NULL;
			goto fail;
		}
	}
	return (envp);
 fail:
	exec_environ_free(envp);
	return (NULL);
}

void
exec_environ_free(char **envp)
{
	char	**e;

	if (envp == NULL)
		return;
	for (e = envp; *e != NULL; e++)
		free(*e);
	free(envp);
}
