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
 * The parent's decoders of what its children send (guardiand/
 * parent_req.c: IMSG_REQ_NEW, IMSG_REQ_CANCEL, IMSG_POLICY_VERDICT;
 * parent_msg.c: IMSG_LOG, IMSG_UI_APPROVE, IMSG_UI_DENY), driving the
 * request table's state machine, with decisions of the operator
 * (req_decide) in between.  The input is a sequence of messages: a
 * kind byte, a peer byte, a length (two bytes, big-endian), the
 * payload.  The registry has one cloister and the UI one live session,
 * whose token and id the seeds use; the policy child's checks are read
 * off its channel, so a verdict can answer the oldest one (or, from an
 * odd peer byte, one never asked).
 *
 * parent_fatalx() is defined here: it jumps back, so a message the
 * parent refuses as a protocol violation (which takes the daemon
 * down) ends that message, not the test.  The spawner's channel is
 * read too, and every command it is asked to start fails to
 * (IMSG_SPAWN_FAIL, ENOENT): nothing from the input is ever run.
 *
 * Oracle: no crash, no leak, nothing a child says reaches the log
 * raw (the log sink checks every record is one printable line), and
 * when every connection is cancelled and every check answered, the
 * table is empty: no request is stuck in any state.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "parent.h"
#include "ruleset.h"

#define TOKEN		"token-aaaaaaaaaaaaaaaa"
#define SESSION		"89abcdef89abcdef89abcdef89abcdef" \
			"89abcdef89abcdef89abcdef89abcdef"
#define CSRF		"0123456789abcdef0123456789abcdef" \
			"0123456789abcdef0123456789abcdef"
#define NCHECKS		4096

/* guardiand.c is not in the library. */
int	 guardiand_debug;
int	 guardiand_verbose;

static struct config		 conf;
static struct cloister_conf	 cc;
static struct imsgev		 chan[ROLE_MAX];
static struct imsgbuf		 reader[ROLE_MAX];	/* the children's end */
static jmp_buf			 violation;
static uint32_t			 checks[NCHECKS];	/* seqs asked */
static size_t			 nchecks;
static char			*envp[] = { "PATH=/nonexistent", NULL };

/* The parent's reaction to a protocol violation, caught. */
void
parent_fatalx(const char *fmt, ...)
{
	longjmp(violation, 1);
}

struct imsgev *
parent_channel(enum role role)
{
	return (&chan[role]);
}

/* No configuration on disk: "approve always" is refused. */
struct config *
parent_config(void)
{
	return (NULL);
}

void
parent_reload(const char *by, void (*done)(void *, int, const char *),
    void *arg)
{
	done(arg, 0, "no reload here");
}

/* Nothing runs: every command is "not found". */
static void
spawn_fail(uint32_t id)
{
	struct imsg	 imsg;
	/* errno, then an empty reason (a length of 0). */
	uint8_t		 e[8] = { 0, 0, 0, ENOENT, 0, 0, 0, 0 };

	memset(&imsg, 0, sizeof(imsg));
	imsg.hdr.type = IMSG_SPAWN_FAIL;
	imsg.hdr.len = IMSG_HDR_SIZE + sizeof(e);
	imsg.hdr.peerid = id;
	imsg.fd = -1;
	imsg.datalen = sizeof(e);
	imsg.data = e;
	if (setjmp(violation) == 0)
		req_spawn_msg(&imsg);
	else
		abort();	/* the parent's own spawn, refused */
}

char **
exec_environ(struct config *c)
{
	return (envp);
}

void
exec_environ_free(char **e)
{
}

/* Ids as the installed daemon makes them. */
void
testhook_id(char *id, size_t len)
{
}

/* No control socket here, so nobody watches. */
void
control_watch_added(const struct request *r)
{
}

void
control_watch_removed(const char *id, const char *outcome, const char *by)
{
}

/* Audit records go nowhere (fuzz_audit.c looks at them). */
void	 syslog(int, const char *, ...);
void	 __syslog_chk(int, int, const char *, ...);

void
syslog(int pri, const char *fmt, ...)
{
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
}

static void
handler(int fd, short event, void *arg)
{
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct listen_addr	*la;
	const char		*err;
	char			 buf[512], *path;
	int			 sp[2], r;

	log_setsink(fuzz_log_sink);
	event_init();
	TAILQ_INIT(&conf.cloisters);
	TAILQ_INIT(&conf.request_listen);
	TAILQ_INIT(&conf.ui_listen);
	conf.state_dir = (char *)fuzz_tmpdir();
	conf.approval_timeout = 300 * 1000;
	conf.exec_timeout = 1000;
	conf.limits.pending_per_cloister = 4;
	conf.limits.pending = 8;
	conf.limits.running = 2;
	conf.limits.args = 64;
	if ((la = listen_addr_parse("127.0.0.1:9999", &err)) == NULL)
		abort();
	TAILQ_INSERT_TAIL(&conf.ui_listen, la, entry);
	cc.name = "my-api";
	cc.project = "my-api";
	cc.worktree = conf.state_dir;
	cc.token = TOKEN;
	cc.file = "config.yaml";
	cc.line = 1;
	TAILQ_INSERT_TAIL(&conf.cloisters, &cc, entry);
	if (registry_init(&conf, buf, sizeof(buf)) == -1)
		abort();
	/* A live session of the approval UI, for its decisions. */
	snprintf(buf, sizeof(buf), "%s\t%s\t1\t%lld\n", SESSION, CSRF,
	    (long long)now_ms() + 3 * 24 * 3600 * 1000LL);
	if (asprintf(&path, "%s/ui-sessions", conf.state_dir) == -1)
		abort();
	fuzz_write(path, buf, strlen(buf));
	free(path);
	uisession_init();
	if (uisession_count() != 1)
		abort();
	for (r = ROLE_POLICY; r < ROLE_MAX; r++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
		    sp) == -1 || imsgev_init(&chan[r], sp[0], handler,
		    NULL) == -1)
			abort();
		if (imsgbuf_init(&reader[r], sp[1]) == -1)
			abort();
	}
	reqtable_init(&conf);
	return (0);
}

/*
 * What the parent sent the children: read and forgotten, but the
 * policy checks asked, in order.
 */
static void
drain(void)
{
	struct imsg	 imsg;
	uint32_t	 spawns[64];
	size_t		 nspawns, i;
	int		 r, w;

	do {
		nspawns = 0;
		for (r = ROLE_POLICY; r < ROLE_MAX; r++) {
			do {
				if ((w = imsg_write(&chan[r].ibuf)) == -1)
					abort();
				while (imsg_read(&reader[r]) > 0)
					while (imsg_get(&reader[r],
					    &imsg) == 1) {
						if (r == ROLE_POLICY &&
						    imsg.hdr.type ==
						    IMSG_POLICY_CHECK &&
						    nchecks < NCHECKS)
							checks[nchecks++] =
							    imsg.hdr.peerid;
						if (r == ROLE_SPAWNER &&
						    imsg.hdr.type ==
						    IMSG_SPAWN && nspawns <
						    sizeof(spawns) /
						    sizeof(spawns[0]))
							spawns[nspawns++] =
							    imsg.hdr.peerid;
						imsg_free(&imsg);
					}
			} while (w == 1);
		}
		/* Their failures may start those waiting for a slot. */
		for (i = 0; i < nspawns; i++)
			spawn_fail(spawns[i]);
	} while (nspawns > 0);
}

static void
message(uint32_t type, uint32_t peerid, const uint8_t *p, size_t len)
{
	struct imsg	 imsg;

	memset(&imsg, 0, sizeof(imsg));
	imsg.hdr.type = type;
	imsg.hdr.len = IMSG_HDR_SIZE + len;
	imsg.hdr.peerid = peerid;
	imsg.fd = -1;
	imsg.datalen = len;
	if (len > 0) {
		if ((imsg.data = malloc(len)) == NULL)
			abort();
		memcpy(imsg.data, p, len);
	}
	if (setjmp(violation) == 0) {
		switch (type) {
		case IMSG_REQ_NEW:
			req_new(&imsg);
			break;
		case IMSG_REQ_CANCEL:
			/* parent.c: a cancel has no payload. */
			if (len == 0)
				req_cancel(peerid);
			break;
		case IMSG_POLICY_VERDICT:
			req_verdict(&imsg);
			if (nchecks > 0 && checks[0] == peerid)
				memmove(checks, checks + 1,
				    --nchecks * sizeof(*checks));
			break;
		case IMSG_LOG:
			parent_child_log("request", &imsg);
			break;
		case IMSG_UI_APPROVE:
		case IMSG_UI_DENY:
			parent_ui_decision(&imsg, type == IMSG_UI_APPROVE,
			    &chan[ROLE_UI]);
			break;
		}
	}
	imsg_free(&imsg);
	drain();
}

struct pick {
	size_t		 n;
	char		 id[REQ_ID_LEN + 1];
};

static void
pick_pending(const struct request *r, void *arg)
{
	struct pick	*pk = arg;

	if (pk->n-- == 0)
		strlcpy(pk->id, r->id, sizeof(pk->id));
}

/* The operator decides the n-th pending request (or an unknown one). */
static void
decide(uint8_t n, const uint8_t *p, size_t len)
{
	struct pick	 pk;
	char		*reason;

	memset(&pk, 0, sizeof(pk));
	pk.n = n >> 1;
	req_foreach_pending(pick_pending, &pk);
	if ((reason = strndup((const char *)p, len)) == NULL)
		abort();
	(void)req_decide(pk.id, n & 1, "alice", reason);
	free(reason);
	drain();
}

/* A verdict for the oldest check: u8 verdict, str pattern, u8 limit. */
static void
answer_all(void)
{
	uint8_t	 v[] = { VERDICT_DENY, 0, 0, 0, 0, 0 };

	while (nchecks > 0)
		message(IMSG_POLICY_VERDICT, checks[0], v, sizeof(v));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *end = data + size;
	uint32_t	 peerid;
	uint8_t		 kind, peer;
	size_t		 len, i;

	while (end - p >= 4) {
		kind = *p++;
		peer = *p++;
		len = p[0] << 8 | p[1];
		p += 2;
		if (len > (size_t)(end - p))
			len = end - p;
		switch (kind % 7) {
		case 0:
			message(IMSG_REQ_NEW, peer, p, len);
			break;
		case 1:
			message(IMSG_REQ_CANCEL, peer, p, len);
			break;
		case 2:
			peerid = peer & 1 || nchecks == 0 ? peer : checks[0];
			message(IMSG_POLICY_VERDICT, peerid, p, len);
			break;
		case 3:
			decide(peer, p, len);
			break;
		case 4:
			message(IMSG_LOG, peer, p, len);
			break;
		case 5:
			message(IMSG_UI_APPROVE, peer, p, len);
			break;
		case 6:
			message(IMSG_UI_DENY, peer, p, len);
			break;
		}
		p += len;
	}
	/* Every client goes away, every check is answered: all gone. */
	for (i = 0; i < 256; i++)
		message(IMSG_REQ_CANCEL, i, NULL, 0);
	answer_all();
	FUZZ_CHECK(req_count(REQ_AUTH) == 0);
	FUZZ_CHECK(req_count(REQ_CHECKING) == 0);
	FUZZ_CHECK(req_count(REQ_PENDING) == 0);
	FUZZ_CHECK(req_count(REQ_RUNNING) == 0);
	return (0);
}
