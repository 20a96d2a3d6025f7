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
 * guardian.notify in guardiand.yaml (guardiand.conf(5)): a program to
 * start, without a shell, whenever a request starts waiting for a
 * human, and how long it may run.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

enum {
	NOTIFY_COMMAND,
	NOTIFY_TIMEOUT,
	NOTIFY_NKEYS
};

static const char *const notify_keys[NOTIFY_NKEYS + 1] = {
	[NOTIFY_COMMAND] = "command",
	[NOTIFY_TIMEOUT] = "timeout",
	[NOTIFY_NKEYS] = NULL
};

/* The program and its arguments: a list of strings, the first a name. */
static void
conf_notify_command(struct yfile *yf, struct ynode *v)
{
	struct config	*conf = yf->ld->conf;
	const char	*s;
	char		**argv;
	size_t		 i;

	if (v->type != Y_SEQ || v->nkid == 0) {
		yerr(yf->ld, yf->path, v->line, "`guardian.notify.command` "
		    "must be a list of a program and its arguments, not %s",
		    v->type == Y_SEQ ? "an empty list" : tname(v));
		return;
	}
	if (v->nkid > NOTIFY_ARGS_MAX) {
		yerr(yf->ld, yf->path, v->line, "`guardian.notify.command`: "
		    "more than %d words", NOTIFY_ARGS_MAX);
		return;
	}
	argv = xcalloc(v->nkid + 1, sizeof(*argv));
	for (i = 0; i < v->nkid; i++) {
		if ((s = get_str(yf, v->kid[i],
		    "guardian.notify.command")) == NULL)
			break;
		argv[i] = xstrdup(s);
	}
	if (i == v->nkid && argv[0][0] == '\0') {
		yerr(yf->ld, yf->path, v->kid[0]->line,
		    "`guardian.notify.command`: the program's name is empty");
		i = 0;
	}
	if (i < v->nkid) {
		for (i = 0; argv[i] != NULL; i++)
			free(argv[i]);
		free(argv);
		return;
	}
	notify_conf_free(conf);
	conf->notify_argv = argv;
}

void
conf_notify(struct yfile *yf, struct ynode *sec)
{
	struct config	*conf = yf->ld->conf;
	struct ynode	*v;
	size_t		 i = 0;
	int		 k;

	if (!check_map(yf, sec, "guardian.notify"))
		return;
	while ((k = next_pair(yf, sec, &i, "section `guardian.notify`",
	    notify_keys, 0, &v)) != -1) {
		switch (k) {
		case NOTIFY_COMMAND:
			conf_notify_command(yf, v);
			break;
		case NOTIFY_TIMEOUT:
			get_duration(yf, v, "guardian.notify.timeout",
			    &conf->notify_timeout, 0);
			if (conf->notify_timeout > NOTIFY_TIMEOUT_MAX)
				yerr(yf->ld, yf->path, v->line,
				    "`guardian.notify.timeout`: at most %ds",
				    NOTIFY_TIMEOUT_MAX / 1000);
			break;
		}
	}
}

void
notify_conf_free(struct config *conf)
{
	size_t	 i;

	for (i = 0; conf->notify_argv != NULL && conf->notify_argv[i] != NULL;
	    i++)
		free(conf->notify_argv[i]);
	free(conf->notify_argv);
	conf->notify_argv = NULL;
}
