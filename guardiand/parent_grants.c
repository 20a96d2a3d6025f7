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
 * Grants: decisions remembered for a while (guardianctl approve or
 * deny with --for).  A grant decides, the same way and without
 * asking, a request with exactly the argv of the one it was made
 * from, from the same cloister, in the same folder, until it expires
 * or is revoked.  Grants live in the parent's memory only: a restart
 * forgets them, and every one ends with a REVOKE record (revoked,
 * expired, its cloister gone).  They are consulted only where a
 * request would wait for a human, so a deny pattern always wins.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "canon.h"
#include "control.h"
#include "log.h"
#include "msg.h"
#include "parent.h"

struct grant_entry {
	TAILQ_ENTRY(grant_entry) entry;
	struct grant		 g;
	struct event		 timer;
};
TAILQ_HEAD(grant_list, grant_entry);

static struct grant_list	 grants = TAILQ_HEAD_INITIALIZER(grants);
static unsigned int		 ngrants;

static void	 exe_id_set(struct exe_id *, const struct exe *);
static int	 exe_id_same(const struct exe_id *, const struct exe *);

/*
 * The approval page lists the grants: each made or used, each ended.
 * An event the ui child cannot take is lost, not the daemon.
 */
static void
grant_to_ui(const struct grant *g)
{
	struct msg_ui_grant	 m;
	struct imsg_enc		 enc;

	m.id = (char *)g->id;
	m.decision = g->approve ? "approve" : "deny";
	m.cloister = g->cloister;
	m.folder = utf8_valid(g->worktree, strlen(g->worktree)) ?
	    g->worktree : "";
	m.cmd = g->canon;
	m.expires = g->expires;
	m.uses = g->uses;
	msg_ui_grant_enc(&enc, &m);
	if (imsgev_compose_enc(parent_channel(ROLE_UI), IMSG_UI_GRANT, 0, -1,
	    &enc) == -1)
		log_warn("approval UI: grant event dropped");
}

static void
grant_end_to_ui(const struct grant *g, const char *why)
{
	struct msg_ui_grant_end	 m;
	struct imsg_enc		 enc;

	m.id = (char *)g->id;
	m.why = (char *)why;
	msg_ui_grant_end_enc(&enc, &m);
	if (imsgev_compose_enc(parent_channel(ROLE_UI), IMSG_UI_GRANT_END, 0,
	    -1, &enc) == -1)
		log_warn("approval UI: grant event dropped");
}

static void
grant_free(struct grant_entry *ge)
{
	int	 i;

	evtimer_del(&ge->timer);
	TAILQ_REMOVE(&grants, ge, entry);
	ngrants--;
	for (i = 0; i < ge->g.argc; i++)
		free(ge->g.argv[i]);
	free(ge->g.argv);
	free(ge->g.exe.real);
	free(ge->g.canon);
	free(ge->g.cloister);
	free(ge->g.project);
	free(ge->g.worktree);
	free(ge->g.reason);
	free(ge->g.user);
	free(ge);
}

/* The grant ends: its closing record, then it is forgotten. */
static void
grant_end(struct grant_entry *ge, const char *user, const char *why)
{
	char	 uses[16];

	snprintf(uses, sizeof(uses), "%u", ge->g.uses);
	audit_log("REVOKE", NULL, ge->g.project, ge->g.cloister, ge->g.canon,
	    "grant", ge->g.id, "uses", uses, user != NULL ? "user" :
	    "reason", user != NULL ? user : why, user != NULL ? "reason" :
	    (char *)NULL, why, (char *)NULL);
	log_info("grant %s ended: %s", ge->g.id, why);
	grant_end_to_ui(&ge->g, why);
	grant_free(ge);
}

static void
grant_expired(int fd, short event, void *arg)
{
	grant_end(arg, NULL, "expired");
}

/* "2026-01-15T14:32:05Z" */
static void
fmt_time(char *buf, size_t len, int64_t ms)
{
	struct tm	 tm;
	time_t		 t = ms / 1000;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/*
 * Remember r's decision for secs seconds, made by user: the GRANT
 * record is written first.  NULL with why in err if it cannot be
 * (too many grants, a bad duration, the audit log).
 */
const struct grant *
grant_add(const struct request *r, int approve, unsigned int secs,
    const char *reason, const char *user, char *err, size_t errlen)
{
	struct grant_entry	*ge;
	struct timeval		 tv;
	unsigned char		 rnd[REQ_ID_LEN / 2];
	char			 expires[32], dur[16];
	size_t			 i;
	int			 n, dup;

	if (secs == 0 || secs > GRANT_MAX_SECS) {
		snprintf(err, errlen, "a grant lasts from 1 second to %d "
		    "days", GRANT_MAX_SECS / 86400);
		return (NULL);
	}
	if (ngrants >= GRANTS_MAX) {
		snprintf(err, errlen, "too many grants (%d): revoke some "
		    "first", GRANTS_MAX);
		return (NULL);
	}
	if ((ge = calloc(1, sizeof(*ge))) == NULL ||
	    (ge->g.argv = calloc(r->argc + 1, sizeof(char *))) == NULL)
		fatal(NULL);
	do {
		arc4random_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(ge->g.id + 2 * i, 3, "%02x", rnd[i]);
		testhook_id(ge->g.id, REQ_ID_LEN);
		dup = grant_find(ge->g.id) != NULL;
	} while (dup);
	for (n = 0; n < r->argc; n++)
		if ((ge->g.argv[n] = strdup(r->argv[n])) == NULL)
			fatal(NULL);
	ge->g.argc = r->argc;
	exe_id_set(&ge->g.exe, &r->exe);
	ge->g.approve = approve;
	if ((ge->g.canon = strdup(r->canon)) == NULL ||
	    (ge->g.cloister = strdup(r->cloister)) == NULL ||
	    (ge->g.project = strdup(r->project)) == NULL ||
	    (ge->g.worktree = strdup(r->worktree)) == NULL ||
	    (ge->g.user = strdup(user)) == NULL ||
	    (ge->g.reason = strdup(reason != NULL ? reason : "")) == NULL)
		fatal(NULL);
	ge->g.created = now_ms();
	ge->g.expires = ge->g.created + (int64_t)secs * 1000;
	ge->g.deadline = mono_now_ms() + (int64_t)secs * 1000;
	fmt_time(expires, sizeof(expires), ge->g.expires);
	snprintf(dur, sizeof(dur), "%us", secs);
	TAILQ_INSERT_TAIL(&grants, ge, entry);
	ngrants++;
	evtimer_set(&ge->timer, grant_expired, ge);
	if (audit_log("GRANT", r->id, r->project, r->cloister, r->canon,
	    "grant", ge->g.id, "decision", approve ? "approve" : "deny",
	    "worktree", r->worktree, "exe", ge->g.exe.real != NULL ?
	    ge->g.exe.real : "", "for", dur, "expires", expires,
	    "user", user, *ge->g.reason != '\0' ? "reason" : (char *)NULL,
	    ge->g.reason, (char *)NULL) == -1) {
		grant_free(ge);
		snprintf(err, errlen, "the audit log cannot be written");
		return (NULL);
	}
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	evtimer_add(&ge->timer, &tv);
	log_info("grant %s: %s %s in %s for %s, by %s", ge->g.id,
	    approve ? "approve" : "deny", r->cloister, r->worktree, dur,
	    user);
	grant_to_ui(&ge->g);
	return (&ge->g);
}

/*
 * The identity of the program a grant was made for: the file, its
 * place and times, its content's hash.  A program rewritten, replaced,
 * or found elsewhere on PATH since is another program, and asks again.
 */
static void
exe_id_set(struct exe_id *id, const struct exe *e)
{
	memset(id, 0, sizeof(*id));
	if (e->real == NULL)
		return;
	if ((id->real = strdup(e->real)) == NULL)
		fatal(NULL);
	id->dev = e->dev;
	id->ino = e->ino;
	id->size = e->size;
	id->mtime = e->mtime;
	id->ctime = e->ctime;
	strlcpy(id->hash, e->hash, sizeof(id->hash));
}

static int
exe_id_same(const struct exe_id *id, const struct exe *e)
{
	if (id->real == NULL || e->real == NULL)
		return (id->real == NULL && e->real == NULL);
	return (strcmp(id->real, e->real) == 0 && id->dev == e->dev &&
	    id->ino == e->ino && id->size == e->size &&
	    id->mtime.tv_sec == e->mtime.tv_sec &&
	    id->mtime.tv_nsec == e->mtime.tv_nsec &&
	    id->ctime.tv_sec == e->ctime.tv_sec &&
	    id->ctime.tv_nsec == e->ctime.tv_nsec &&
	    strcmp(id->hash, e->hash) == 0);
}

/*
 * The grant that decides r, if any; its use is counted.  The same
 * argv, byte for byte, the same cloister, the same folder and the same
 * program (exe_id_same()).
 */
const struct grant *
grant_match(const struct request *r)
{
	struct grant_entry	*ge, *next;
	int64_t			 now = mono_now_ms();
	int			 i;

	TAILQ_FOREACH_SAFE(ge, &grants, entry, next) {
		if (now >= ge->g.deadline) {
			/* Its timer is late; it is over all the same. */
			grant_end(ge, NULL, "expired");
			continue;
		}
		if (ge->g.argc != r->argc ||
		    strcmp(ge->g.cloister, r->cloister) != 0 ||
		    strcmp(ge->g.worktree, r->worktree) != 0 ||
		    !exe_id_same(&ge->g.exe, &r->exe))
			continue;
		for (i = 0; i < r->argc; i++)
			if (strcmp(ge->g.argv[i], r->argv[i]) != 0)
				break;
		if (i < r->argc)
			continue;
		ge->g.uses++;
		grant_to_ui(&ge->g);
		return (&ge->g);
	}
	return (NULL);
}

const struct grant *
grant_find(const char *id)
{
	struct grant_entry	*ge;

	TAILQ_FOREACH(ge, &grants, entry)
		if (strcmp(ge->g.id, id) == 0)
			return (&ge->g);
	return (NULL);
}

/* guardianctl revoke: 0, or -1 if there is no such grant. */
int
grant_revoke(const char *id, const char *user)
{
	struct grant_entry	*ge;

	TAILQ_FOREACH(ge, &grants, entry)
		if (strcmp(ge->g.id, id) == 0) {
			grant_end(ge, user, "revoked");
			return (0);
		}
	return (-1);
}

/* A cloister was unregistered or removed: its grants go with it. */
void
grant_cloister_gone(const char *name, const char *why)
{
	struct grant_entry	*ge, *next;

	TAILQ_FOREACH_SAFE(ge, &grants, entry, next)
		if (strcmp(ge->g.cloister, name) == 0)
			grant_end(ge, NULL, why);
}

void
grant_foreach(void (*cb)(const struct grant *, void *), void *arg)
{
	struct grant_entry	*ge;

	TAILQ_FOREACH(ge, &grants, entry)
		cb(&ge->g, arg);
}

size_t
grant_count(void)
{
	return (ngrants);
}

/* Shutdown: a restart forgets them; each gets its closing record. */
void
grants_shutdown(void)
{
	struct grant_entry	*ge;

	while ((ge = TAILQ_FIRST(&grants)) != NULL)
		grant_end(ge, NULL, "guardiand is shutting down");
}
