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
 * guardian.notify: when a request starts waiting for a human, the
 * operator's program is started (by the spawner, as commands are: the
 * parent never forks) with the request in its environment, its output
 * discarded, killed at its time limit.  What it does is its own
 * business: a notifier that fails is logged by the spawner, and never
 * holds up or changes a decision.  One cloister gets at most one
 * notification a second: a burst of requests is one notification, and
 * a looping agent cannot start notifiers as fast as it asks.
 */

/* RB_GENERATE_STATIC marks the functions it does not need __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "canon.h"
#include "config.h"
#include "guardiand.h"
#include "log.h"
#include "parent.h"

#define NOTIFY_EVERY_MS	1000	/* per cloister, at most one */
#define NOTIFY_CMD_MAX	1024	/* bytes of the command in GUARDIAND_COMMAND */
#define NOTIFY_SEEN_MAX	1024	/* cloisters remembered before pruning */

struct notified {
	RB_ENTRY(notified)	 entry;
	char			*cloister;
	int64_t			 at;	/* ms, monotonic */
};
RB_HEAD(notified_tree, notified);

static struct notified_tree	 seen = RB_INITIALIZER(&seen);
static size_t			 nseen;

static int
notified_cmp(struct notified *a, struct notified *b)
{
	return (strcmp(a->cloister, b->cloister));
}

RB_GENERATE_STATIC(notified_tree, notified, entry, notified_cmp)

/* Those not heard of for a while are forgotten: their next one goes. */
static void
notified_prune(int64_t now)
{
	struct notified	*n, *next;

	RB_FOREACH_SAFE(n, notified_tree, &seen, next)
		if (now - n->at >= NOTIFY_EVERY_MS) {
			RB_REMOVE(notified_tree, &seen, n);
			free(n->cloister);
			free(n);
			nseen--;
		}
}

/* Whether cloister may have a notification now; if so, it is counted. */
static int
notify_due(const char *cloister)
{
	struct notified	 key, *n;
	int64_t		 now = mono_now_ms();

	key.cloister = (char *)cloister;
	if ((n = RB_FIND(notified_tree, &seen, &key)) != NULL) {
		if (now - n->at < NOTIFY_EVERY_MS)
			return (0);
		n->at = now;
		return (1);
	}
	if (nseen >= NOTIFY_SEEN_MAX)
		notified_prune(now);
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->cloister = strdup(cloister)) == NULL)
		fatal(NULL);
	n->at = now;
	RB_INSERT(notified_tree, &seen, n);
	nseen++;
	return (1);
}

/* "NAME=value" into envp[i], malloc'd. */
static char *
env_pair(const char *name, const char *value)
{
	char	*s;

	if (asprintf(&s, "%s=%s", name, value) == -1)
		fatal(NULL);
	return (s);
}

/*
 * The command as the notifier gets it: at most NOTIFY_CMD_MAX bytes of
 * the canonical string, cut before a character that would not fit.
 */
static char *
notify_cmd(const char *canon)
{
	uint32_t	 cp;
	size_t		 i, n, len = strlen(canon);
	char		*s;

	for (i = 0; i < len && i < NOTIFY_CMD_MAX; i += n)
		if ((n = utf8_decode((const unsigned char *)canon + i,
		    len - i, &cp)) == 0 || i + n > NOTIFY_CMD_MAX)
			break;
	if ((s = strndup(canon, i)) == NULL)
		fatal(NULL);
	return (s);
}

/*
 * r started waiting for a human: conf's notifier, if there is one and
 * r's cloister had none in the last second.  envp: the environment
 * commands get, to which the request's variables are added.
 */
void
notify_pending(const struct request *r, const struct config *conf,
    char *const *envp)
{
	struct imsg_enc	 enc;
	char		 path[PATH_MAX], *cmd, *vars[4];
	char *const	*argv = conf->notify_argv;
	uint32_t	 id, argc, envc, i;
	int		 fd;

	if (argv == NULL || !notify_due(r->cloister))
		return;
	if (exec_lookup(argv[0], "/", envp, path, sizeof(path)) == -1) {
		log_warn("notify: %s", argv[0]);
		return;
	}
	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		log_warn("notify: %s", path);
		return;
	}
	if ((id = spawn_next()) == 0) {
		log_warnx("notify: too many commands started");
		close(fd);
		return;
	}
	cmd = notify_cmd(r->canon);
	vars[0] = env_pair("GUARDIAND_ID", r->id);
	vars[1] = env_pair("GUARDIAND_CLOISTER", r->cloister);
	vars[2] = env_pair("GUARDIAND_PROJECT", r->project);
	vars[3] = env_pair("GUARDIAND_COMMAND", cmd);
	free(cmd);
	for (argc = 0; argv[argc] != NULL; argc++)
		;
	for (envc = 0; envp[envc] != NULL; envc++)
		;
	imsg_enc_init(&enc);
	imsg_put_str(&enc, r->id);
	imsg_put_str(&enc, path);
	imsg_put_u32(&enc, (uint32_t)conf->notify_timeout);
	imsg_put_u32(&enc, argc);
	for (i = 0; i < argc; i++)
		imsg_put_str(&enc, argv[i]);
	imsg_put_u32(&enc, envc + 4);
	for (i = 0; i < 4; i++)
		imsg_put_str(&enc, vars[i]);
	for (i = 0; i < envc; i++)
		imsg_put_str(&enc, envp[i]);
	for (i = 0; i < 4; i++)
		free(vars[i]);
	if (imsgev_compose_enc(parent_channel(ROLE_SPAWNER),
	    IMSG_SPAWN_NOTIFY, id, fd, &enc) == -1) {
		log_warn("notify");	/* fd is closed */
		return;
	}
	log_debug("request %s: notifier %s started", r->id, path);
}
