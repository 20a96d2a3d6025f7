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

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canon.h"
#include "config.h"
#include "guardiand.h"
#include "log.h"
#include "msg.h"
#include "ruleset.h"
#include "sandbox.h"

/*
 * The policy child: holds the compiled patterns and answers which rule
 * matches a command, given its arguments.  It touches no file, socket
 * or process; the patterns arrive from the parent, one message each.
 */

#define ERRS_MAX	(IMSG_MAXSIZE - IMSG_HDR_SIZE - 64)

static struct imsgev	 policy_iev;
static struct ruleset	*current;	/* what checks use */
static struct ruleset	*staging;	/* being loaded */
static char		*staging_errs;

static void	 policy_dispatch(int, short, void *);
static void	 policy_pattern(void *, struct imsg *);
static void	 policy_commit(void *, struct imsg *);
static void	 policy_check(void *, struct imsg *);
static void	 policy_verbose(void *, struct imsg *);
static void	 policy_ping(void *, struct imsg *);

/* What the parent may send the policy child. */
static const struct msg_handler policy_handlers[] = {
	{ IMSG_POLICY_PATTERN,	"pattern",	0,	policy_pattern },
	{ IMSG_POLICY_COMMIT,	"commit",	0,	policy_commit },
	{ IMSG_POLICY_CHECK,	"check",	0,	policy_check },
	{ IMSG_VERBOSE,		"verbose",	0,	policy_verbose },
	{ IMSG_PING,		"ping",		0,	policy_ping },
	{ IMSG_NONE }
};

void
policy_main(void)
{
	event_init();
	child_init(ROLE_POLICY, policy_dispatch, NULL, &policy_iev);
	sandbox_enter(ROLE_POLICY);
	testhook_sandboxed(ROLE_POLICY);

	if ((current = ruleset_new()) == NULL)
		fatal("ruleset_new");
	imsgev_compose(&policy_iev, IMSG_READY, 0, -1, NULL, 0);
	event_dispatch();
	exit(0);
}

static void
policy_dispatch(int fd, short event, void *arg)
{
	struct imsgbuf			*ibuf = &policy_iev.ibuf;
	const struct msg_handler	*h;
	struct imsg			 imsg;
	ssize_t				 n;
	int				 rv;

	if (event & EV_WRITE) {
		if (imsg_write(ibuf) == -1)
			fatal("write to parent");
	}
	if (event & EV_READ) {
		if ((n = imsg_read(ibuf)) == -1 && errno != EAGAIN)
			fatal("read from parent");
		if (n == 0)	/* the parent is gone: so are we */
			exit(0);
	}
	while ((rv = imsg_get(ibuf, &imsg)) == 1) {
		if ((h = msg_handler(policy_handlers, imsg.hdr.type)) == NULL)
			fatalx("unexpected message type %u from parent",
			    imsg.hdr.type);
		h->fn(NULL, &imsg);
		imsg_free(&imsg);
	}
	if (rv == -1)
		fatalx("garbled message from parent");
	imsgev_update(&policy_iev);
}

static void
policy_verbose(void *arg, struct imsg *imsg)
{
	child_verbose(imsg);
}

static void
policy_ping(void *arg, struct imsg *imsg)
{
	child_pong(&policy_iev, imsg);
}

static void
policy_pattern(void *arg, struct imsg *imsg)
{
	struct msg_policy_pattern	 m;

	if (msg_policy_pattern_dec(imsg, &m) == -1)
		fatalx("bad pattern message");
	if (staging == NULL && (staging = ruleset_new()) == NULL)
		fatal("ruleset_new");
	(void)ruleset_add(staging, m.project, m.kind, m.re, m.file, m.line,
	    &staging_errs);
	msg_policy_pattern_clear(&m);
}

/* Swap in what was loaded only if every pattern compiled. */
static void
policy_commit(void *arg, struct imsg *imsg)
{
	struct msg_policy_loaded	 m;
	struct imsg_enc			 enc;
	int				 ok;

	if (staging == NULL && (staging = ruleset_new()) == NULL)
		fatal("ruleset_new");
	ok = staging_errs == NULL;
	if (ok) {
		ruleset_free(current);
		current = staging;
	} else {
		ruleset_free(staging);
		if (strlen(staging_errs) > ERRS_MAX)
			staging_errs[ERRS_MAX] = '\0';
	}
	staging = NULL;
	m.ok = ok;
	m.errors = ok ? "" : staging_errs;
	msg_policy_loaded_enc(&enc, &m);
	if (imsgev_compose_enc(&policy_iev, IMSG_POLICY_LOADED, 0, -1,
	    &enc) == -1)
		fatal("compose");
	free(staging_errs);
	staging_errs = NULL;
}

/*
 * A check: the command's arguments, from which both strings its
 * patterns are matched against are formed here (DESIGN 4 and 5).
 */
static void
policy_check(void *arg, struct imsg *imsg)
{
	struct msg_policy_check		 m;
	struct msg_policy_verdict	 v;
	struct imsg_enc			 enc;
	struct verdict_result		 res;
	char				*canon, *clform;

	if (msg_policy_check_dec(imsg, &m) == -1)
		fatalx("bad check message");
	if ((canon = canon_argv(m.argc, m.argv)) == NULL ||
	    (clform = canon_cloister_argv(m.argc, m.argv)) == NULL)
		fatal(NULL);
	/* The budget runs from now: time queued behind others is not ours. */
	ruleset_check_until(current, m.project, canon, strlen(canon), clform,
	    strlen(clform), m.default_manual, mono_now_ms() + m.budget, &res);
	if (res.limit_hit)
		log_warnx("pattern match limit hit on request %08x, "
		    "failing closed", imsg->hdr.peerid);
	if (res.over_budget)
		log_warnx("check of request %08x over its budget of %u ms, "
		    "failing closed", imsg->hdr.peerid, m.budget);
	v.verdict = res.verdict;
	v.pattern = (char *)(res.pattern != NULL ? res.pattern : "");
	v.limit = res.over_budget ? 2 : res.limit_hit;
	msg_policy_verdict_enc(&enc, &v);
	if (imsgev_compose_enc(&policy_iev, IMSG_POLICY_VERDICT,
	    imsg->hdr.peerid, -1, &enc) == -1)
		fatal("compose");
	msg_policy_check_clear(&m);
	free(canon);
	free(clform);
}
