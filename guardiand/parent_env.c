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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parent.h"

/*
 * The environment of approved commands, computed by the parent (the
 * spawner starts them, spawner.c).
 */

extern char	**environ;

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
