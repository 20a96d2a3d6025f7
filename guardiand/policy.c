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
static void	 policy_pattern(struct imsg *);
static void	 policy_commit(void);
static void	 policy_check(struct imsg *);

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
	struct imsgbuf	*ibuf = &policy_iev.ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 rv;

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
		switch (imsg.hdr.type) {
		case IMSG_POLICY_PATTERN:
			policy_pattern(&imsg);
			break;
		case IMSG_POLICY_COMMIT:
			policy_commit();
			break;
		case IMSG_POLICY_CHECK:
			policy_check(&imsg);
			break;
		case IMSG_VERBOSE:
			child_verbose(&imsg);
			break;
		case IMSG_PING:
			child_pong(&policy_iev, &imsg);
			break;
		default:
			fatalx("unexpected message type %u from parent",
			    imsg.hdr.type);
		}
		imsg_free(&imsg);
	}
	if (rv == -1)
		fatalx("garbled message from parent");
	imsgev_update(&policy_iev);
}

static void
policy_pattern(struct imsg *imsg)
{
	struct imsg_dec	 dec;
	char		*project, *re, *file;
	uint8_t		 kind;
	uint32_t	 line;

	imsg_dec_init(&dec, imsg);
	kind = imsg_get_u8(&dec);
	project = imsg_get_str(&dec);
	re = imsg_get_str(&dec);
	file = imsg_get_str(&dec);
	line = imsg_get_u32(&dec);
	if (imsg_dec_end(&dec) == -1 || kind >= PAT_NKINDS)
		fatalx("bad pattern message");
	if (staging == NULL && (staging = ruleset_new()) == NULL)
		fatal("ruleset_new");
	(void)ruleset_add(staging, project, kind, re, file, line,
	    &staging_errs);
	free(project);
	free(re);
	free(file);
}

/* Swap in what was loaded only if every pattern compiled. */
static void
policy_commit(void)
{
	struct imsg_enc	 enc;
	int		 ok;

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
	imsg_enc_init(&enc);
	imsg_put_u8(&enc, ok);
	imsg_put_str(&enc, ok ? "" : staging_errs);
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
policy_check(struct imsg *imsg)
{
	struct imsg_dec		 dec;
	struct imsg_enc		 enc;
	struct verdict_result	 res;
	char			*project, **argv, *canon, *clform;
	uint32_t		 argc, i;
	uint8_t			 default_manual;
	uint32_t		 budget;

	imsg_dec_init(&dec, imsg);
	project = imsg_get_str(&dec);
	default_manual = imsg_get_u8(&dec);
	budget = imsg_get_u32(&dec);
	argc = imsg_get_u32(&dec);
	if (project == NULL || budget == 0 || argc == 0 || argc > REQ_ARGV_MAX)
		fatalx("bad check message");
	if ((argv = calloc(argc + 1, sizeof(*argv))) == NULL)
		fatal(NULL);
	for (i = 0; i < argc; i++)
		if ((argv[i] = imsg_get_str(&dec)) == NULL)
			fatalx("bad check message");
	if (imsg_dec_end(&dec) == -1)
		fatalx("bad check message");
	if ((canon = canon_argv(argc, argv)) == NULL ||
	    (clform = canon_cloister_argv(argc, argv)) == NULL)
		fatal(NULL);
	/* The budget runs from now: time queued behind others is not ours. */
	ruleset_check_until(current, project, canon, strlen(canon), clform,
	    strlen(clform), default_manual, mono_now_ms() + budget, &res);
	if (res.limit_hit)
		log_warnx("pattern match limit hit on request %08x, "
		    "failing closed", imsg->hdr.peerid);
	if (res.over_budget)
		log_warnx("check of request %08x over its budget of %u ms, "
		    "failing closed", imsg->hdr.peerid, budget);
	imsg_enc_init(&enc);
	imsg_put_u8(&enc, res.verdict);
	imsg_put_str(&enc, res.pattern != NULL ? res.pattern : "");
	imsg_put_u8(&enc, res.over_budget ? 2 : res.limit_hit);
	if (imsgev_compose_enc(&policy_iev, IMSG_POLICY_VERDICT,
	    imsg->hdr.peerid, -1, &enc) == -1)
		fatal("compose");
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	free(project);
	free(canon);
	free(clform);
}
