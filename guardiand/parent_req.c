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

/* RB_GENERATE_STATIC marks the functions it does not need __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "canon.h"
#include "confine.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "parent.h"
#include "paths.h"
#include "ruleset.h"

/*
 * The request table and its state machine (DESIGN section 3).  Every
 * transition writes its audit record before the action it records.
 * Requests are known by three keys: the random id humans see, the
 * request child's connection number (peerid), and the order of policy
 * checks, which the policy child answers strictly in turn.
 */

#define AUTH_DELAY_MIN	100	/* ms after a first failure */
#define AUTH_DELAY_MAX	5000
#define AUTH_FORGET_MS	60000	/* failures older than this count 0 */
#define AUTHFAIL_MAX	1024	/* peers remembered */
/*
 * A failed login costs little and writes little: its record holds at
 * most AUTHFAIL_CMD bytes of the command, and a peer gets at most
 * AUTHFAIL_RECORDS records a minute, all peers together AUTHFAIL_RATE
 * a second; what is held back is counted in one summary record.
 */
#define AUTHFAIL_CMD	256
#define AUTHFAIL_RECORDS 10
#define AUTHFAIL_RATE	50
/*
 * Policy checks: at most CHECKS_INFLIGHT (and CHECKS_BYTES of them)
 * sent to the policy child at once, the rest wait here, where a
 * cancelled one is dropped before it is ever sent.  A cloister may
 * have CHECKS_CLOISTER_BYTES of commands waiting or in flight, all
 * together CHECKS_ALL_BYTES, and CHECKS_MAX of them: beyond that a
 * request is turned away busy, never queued without end.  Counted in
 * bytes, since a command's canonical form may be a few bytes or
 * hundreds of KiB.
 */
#define CHECKS_INFLIGHT		32
#define CHECKS_BYTES		(4 * 1024 * 1024)
#define CHECKS_CLOISTER_BYTES	(16 * 1024 * 1024)
#define CHECKS_ALL_BYTES	(64 * 1024 * 1024)
#define CHECKS_MAX		4096
/*
 * With limits.running commands running, an approved request waits up
 * to RUNQ_WAIT_MS for one to end, RUNQ_MAX of them at most; then it
 * is turned away busy (its own answer, not a denial).
 */
#define RUNQ_WAIT_MS		2000
#define RUNQ_MAX		256

struct authfail {
	RB_ENTRY(authfail)	 entry;
	char			*peer;
	unsigned int		 count;
	int64_t			 last;
	int64_t			 window;	/* records counted since */
	unsigned int		 records;
	unsigned int		 suppressed;
};
RB_HEAD(authfail_tree, authfail);

/* Per cloister: requests being checked, commands running. */
struct clcount {
	RB_ENTRY(clcount)	 entry;
	char			*name;
	unsigned int		 checks;
	size_t			 bytes;
	unsigned int		 running;
};
RB_HEAD(clcount_tree, clcount);

/*
 * What one cloister may make the audit log grow by, whatever it sends:
 * every record of a request holds the whole command, so a cloister
 * sending huge requests and cancelling them wrote gigabytes a minute.
 * A bucket of AUDIT_BURST bytes per cloister, refilled at AUDIT_RATE a
 * second, from which each record of its requests is paid as it is
 * written.  A new request is let in only while the bucket is not
 * overdrawn; what the requests already in are still to write (bounded
 * by the per-cloister limits on checks, pending and running ones) may
 * overdraw it.  One refused is answered busy and recorded by a BUSY
 * with a prefix of its command, at most one a second per cloister (the
 * others counted in it).
 */
#define AUDIT_RATE	(1024 * 1024)
#define AUDIT_BURST	(32 * 1024 * 1024)
#define ABUDGETS_MAX	1024	/* then the full buckets are forgotten */

struct abudget {
	RB_ENTRY(abudget)	 entry;
	char			*name;
	int64_t			 bytes;		/* in the bucket */
	int64_t			 at;		/* monotonic ms, last filled */
	int64_t			 said;		/* monotonic ms, last BUSY */
	unsigned int		 unsaid;	/* refused since */
};
RB_HEAD(abudget_tree, abudget);

RB_HEAD(req_peer_tree, request);
TAILQ_HEAD(req_queue, request);

static struct config		*conf;
static char			**cmd_envp;
static struct req_id_tree	 reqs_by_id = RB_INITIALIZER(&reqs_by_id);
static struct req_peer_tree	 reqs_by_peer = RB_INITIALIZER(&reqs_by_peer);
static struct req_queue		 checking = TAILQ_HEAD_INITIALIZER(checking);
static struct req_queue		 waitq = TAILQ_HEAD_INITIALIZER(waitq);
static struct req_queue		 runq = TAILQ_HEAD_INITIALIZER(runq);
static unsigned int		 nrunq;
static struct clcount_tree	 clcounts = RB_INITIALIZER(&clcounts);
static struct abudget_tree	 abudgets = RB_INITIALIZER(&abudgets);
static unsigned int		 nabudgets;
static unsigned int		 nwaiting, ninflight;
static size_t			 inflight_bytes, checks_bytes;
static int64_t			 authrec_second;
static unsigned int		 authrec_n, authrec_suppressed;
static struct event		 authfail_ev;
static struct req_queue		 pendingq = TAILQ_HEAD_INITIALIZER(pendingq);
static struct authfail_tree	 authfails = RB_INITIALIZER(&authfails);
static unsigned int		 nauthfails;
static uint32_t			 next_seq;
static uint32_t			 next_spawn;	/* never 0, never reused */
static unsigned int		 nstate[REQ_DONE + 1];
/*
 * The request being started in the very turn of the event loop that
 * resolved its program (auto-approved): resolving it again would only
 * look a few microseconds later, a change in between being no less a
 * race than one just after the check (the spawner runs the pinned
 * file either way); so it is not looked up twice.
 */
static const struct request	*exe_fresh;

static int
req_id_cmp(struct request *a, struct request *b)
{
	return (strcmp(a->id, b->id));
}

static int
req_peer_cmp(struct request *a, struct request *b)
{
	return (a->peerid < b->peerid ? -1 : a->peerid > b->peerid);
}

static int
authfail_cmp(struct authfail *a, struct authfail *b)
{
	return (strcmp(a->peer, b->peer));
}

static int
clcount_cmp(struct clcount *a, struct clcount *b)
{
	return (strcmp(a->name, b->name));
}

RB_GENERATE_STATIC(req_id_tree, request, by_id, req_id_cmp)
RB_GENERATE_STATIC(req_peer_tree, request, by_peer, req_peer_cmp)
RB_GENERATE_STATIC(authfail_tree, authfail, entry, authfail_cmp)
RB_GENERATE_STATIC(clcount_tree, clcount, entry, clcount_cmp)

static int
abudget_cmp(struct abudget *a, struct abudget *b)
{
	return (strcmp(a->name, b->name));
}

RB_GENERATE_STATIC(abudget_tree, abudget, entry, abudget_cmp)

static void	 req_free(struct request *);
static void	 req_setstate(struct request *, enum req_state);
static void	 req_start(struct request *, int);
static void	 abudget_charge(const char *, size_t);
static int	 req_put_confine(struct request *, struct imsg_enc *);
static void	 req_stop(struct request *, int);
static void	 req_busy(struct request *);
static void	 runq_next(void);
static void	 req_deny(struct request *, int, const char *);
static void	 req_reject(struct request *, int, const char *);
static void	 req_reject_after(struct request *, int, const char *,
		    int64_t);
static void	 req_timer(int, short, void *);
static int	 req_audit(struct request *, const char *, ...)
		    __attribute__((__sentinel__));
static void	 req_unaudited(struct request *);
static size_t	 check_size(const struct request *);
static int	 check_admit(struct request *);
static void	 checks_pump(void);
static void	 check_done(struct request *);
static void	 authfail_sweep(int, short, void *);
static int	 req_granted(struct request *);

/* "2.3s", "45ms", "3m05s": durations in audit records and texts. */
static void
fmt_duration(char *buf, size_t len, int64_t ms)
{
	if (ms < 1000)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, len, "%lld.%llds", (long long)ms / 1000,
		    (long long)(ms % 1000) / 100);
	else if (ms < 3600000)
		snprintf(buf, len, "%lldm%02llds", (long long)ms / 60000,
		    (long long)(ms % 60000) / 1000);
	else
		snprintf(buf, len, "%lldh%02lldm", (long long)ms / 3600000,
		    (long long)(ms % 3600000) / 60000);
}

static void
timer_set(struct request *r, int64_t ms)
{
	struct timeval	 tv;

	if (evtimer_initialized(&r->timer) && evtimer_pending(&r->timer,
	    NULL))
		evtimer_del(&r->timer);
	evtimer_set(&r->timer, req_timer, r);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&r->timer, &tv);
}

static void
timer_clear(struct request *r)
{
	if (evtimer_initialized(&r->timer) && evtimer_pending(&r->timer,
	    NULL))
		evtimer_del(&r->timer);
}

void
reqtable_init(struct config *c)
{
	conf = c;
	if ((cmd_envp = exec_environ(conf)) == NULL)
		fatal("command environment");
}

void
reqtable_reload(struct config *c)
{
	char	**envp;

	conf = c;
	if ((envp = exec_environ(conf)) == NULL) {
		log_warn("command environment: keeping the old one");
		return;
	}
	exec_environ_free(cmd_envp);
	cmd_envp = envp;
}

/* Messages to the request child, unless the client is gone. */
static void
to_request(struct request *r, uint32_t type, int fd, struct imsg_enc *enc)
{
	struct imsgev	*iev = parent_channel(ROLE_REQUEST);
	int		 rv;

	if (r->cancelled) {
		if (fd != -1)
			close(fd);
		imsg_enc_free(enc);
		return;
	}
	if (enc != NULL)
		rv = imsgev_compose_enc(iev, type, r->peerid, fd, enc);
	else
		rv = imsgev_compose(iev, type, r->peerid, fd, NULL, 0);
	if (rv == -1)
		parent_fatalx("cannot queue a message to the request child");
}

/*
 * The page is told what changes.  Should the ui child fall that far
 * behind, an event is lost (a reload of the page shows the truth)
 * rather than the daemon.
 */
static void
to_ui(uint32_t type, struct imsg_enc *enc)
{
	if (imsgev_compose_enc(parent_channel(ROLE_UI), type, 0, -1,
	    enc) == -1)
		log_warn("approval UI event %u dropped", type);
}

/*
 * The program that would run, as the card, guardianctl and the audit
 * records show it: the file pinned, written as a canonical argument
 * (section 4 of DESIGN: no control character, UTF-8 only), "" if
 * argv[0] resolved to none (exe_note() says why).
 */
const char *
req_program(const struct request *r)
{
	return (r->program != NULL ? r->program : "");
}

/* The SHA-256 for the audit record, or why there is none. */
static const char *
req_sha256(const struct request *r)
{
	if (r->exe.hash[0] != '\0')
		return (r->exe.hash);
	if (r->exe.real == NULL)
		return ("none");
	return (r->exe.flags & EXE_BIG ? "none (larger than 16 MiB)" :
	    "none (unreadable)");
}

/* The program in audit records: exe, sha256, exe_flags. */
#define EXE_KV(r)	"exe", req_program(r), "sha256", req_sha256(r), \
			"exe_flags", exe_flags(&(r)->exe)

/*
 * guardian.trusted_path: the directories an automatic approval may run
 * a program from (unset: any).  The file opened counts, not the name.
 */
static int
exe_trusted(const struct request *r)
{
	struct strent	*se;
	size_t		 len;

	if (!conf->trusted_path_set)
		return (1);
	if (r->exe.real == NULL)
		return (0);
	TAILQ_FOREACH(se, &conf->trusted_path, entry) {
		len = strlen(se->s);
		while (len > 1 && se->s[len - 1] == '/')
			len--;
		if (strncmp(r->exe.real, se->s, len) == 0 &&
		    (r->exe.real[len] == '/' || len == 1))
			return (1);
	}
	return (0);
}

static void
ui_added(struct request *r)
{
	struct msg_ui_added	 m;
	struct imsg_enc		 enc;

	m.id = r->id;
	m.cloister = r->cloister;
	m.project = r->project;
	m.cmd = r->canon;
	m.cwd = r->worktree;
	m.timestamp = r->received;
	m.expires = r->expires;
	/* JSON carries UTF-8 only; the words of why have both escaped. */
	m.why = (char *)req_why(r);
	m.pattern = r->pattern != NULL && utf8_valid(r->pattern,
	    strlen(r->pattern)) ? r->pattern : "";
	m.rule_file = r->rule_file != NULL && utf8_valid(r->rule_file,
	    strlen(r->rule_file)) ? r->rule_file : "";
	m.rule_line = r->rule_line;
	m.program = (char *)req_program(r);
	m.program_note = (char *)exe_note(&r->exe);
	m.program_flags = (char *)exe_flags(&r->exe);
	msg_ui_added_enc(&enc, &m);
	to_ui(IMSG_UI_ADDED, &enc);
	control_watch_added(r);
}

/*
 * Where the pattern that decided was written: the first of its kind
 * with that text, the global ones before the project's, as the policy
 * child checks them (the same text matches the same commands, so the
 * first is the one that matched).  The configuration here is the one
 * the policy child answered with: the parent takes a new one only when
 * the child says it has loaded its patterns, and the child answers in
 * order.  NULL if it is not found.
 */
static const struct pattern_src *
rule_origin(const char *project, enum pat_kind kind, const char *re)
{
	struct project_conf	*pc;
	struct pattern_src	*ps;

	TAILQ_FOREACH(ps, &conf->global.kind[kind], entry)
		if (strcmp(ps->re, re) == 0)
			return (ps);
	if ((pc = config_project(conf, project)) == NULL)
		return (NULL);
	TAILQ_FOREACH(ps, &pc->pats.kind[kind], entry)
		if (strcmp(ps->re, re) == 0)
			return (ps);
	return (NULL);
}

/*
 * The profile a command approved now would run under (guardian.confine,
 * confine_for()): automatic for an auto_approve verdict, else a human's
 * (or a grant's) approval.
 */
static const struct confine_profile *
req_profile(const struct request *r, int automatic)
{
	return (confine_for(conf, automatic ? VERDICT_AUTO : VERDICT_MANUAL,
	    r->pattern));
}

/* For the card: how it would run if approved. */
static const char *
confined_note(const struct request *r)
{
	static char			 note[CONFIG_NAME_MAX + 64];
	const struct confine_profile	*p;

	if ((p = req_profile(r, 0)) == NULL)
		return ("");
	snprintf(note, sizeof(note), "; approved, it runs confined "
	    "(profile %s%s)", p->name, p->network ? ", network" : "");
	return (note);
}

/*
 * Approved: the profile it runs under is settled now, named in the
 * approval's audit record (the returned name, or "none") and looked up
 * again by name when it starts.
 */
static const char *
req_confine(struct request *r, int automatic)
{
	const struct confine_profile	*p;

	free(r->confine);
	r->confine = NULL;
	if ((p = req_profile(r, automatic)) == NULL)
		return ("none");
	if ((r->confine = strdup(p->name)) == NULL)
		fatal(NULL);
	return (r->confine);
}

/*
 * The words of req_why(), made once when the request starts to wait:
 * the pattern and its place rendered as canonical arguments (section 4
 * of DESIGN), so that neither can hide a control character or run
 * into the words around it.
 */
static void
why_set(struct request *r)
{
	char	*pat, *place = NULL, *where = NULL, *prog, *shown;

	if (r->untrusted) {
		shown = r->exe.real != NULL ? r->exe.real : r->argv[0];
		if ((pat = canon_argv(1, &r->pattern)) == NULL ||
		    (prog = canon_argv(1, &shown)) == NULL)
			fatal(NULL);
		if (asprintf(&r->why, "%s pattern %s matched, but the program "
		    "%s is outside guardian.trusted_path%s",
		    verdict_name(VERDICT_AUTO), pat, prog,
		    confined_note(r)) == -1)
			fatal(NULL);
		free(pat);
		free(prog);
		return;
	}
	if (r->pattern == NULL) {
		if (asprintf(&r->why, "no pattern matched; the default is "
		    "manual%s", confined_note(r)) == -1)
			fatal(NULL);
		return;
	}
	if ((pat = canon_argv(1, &r->pattern)) == NULL)
		fatal(NULL);
	if (r->rule_file != NULL) {
		if (asprintf(&place, "%s:%d", r->rule_file,
		    r->rule_line) == -1 ||
		    (where = canon_argv(1, &place)) == NULL)
			fatal(NULL);
	}
	if (asprintf(&r->why, "%s pattern %s%s%s%s",
	    verdict_name(VERDICT_MANUAL), pat, where != NULL ? " at " : "",
	    where != NULL ? where : "", confined_note(r)) == -1)
		fatal(NULL);
	free(pat);
	free(place);
	free(where);
}

const char *
req_why(const struct request *r)
{
	return (r->why != NULL ? r->why : "");
}

static void
ui_removed(struct request *r, const char *outcome, const char *user)
{
	struct msg_ui_removed	 m;
	struct imsg_enc		 enc;

	m.id = r->id;
	m.outcome = (char *)outcome;
	m.user = (char *)(user != NULL ? user : "");
	msg_ui_removed_enc(&enc, &m);
	to_ui(IMSG_UI_REMOVED, &enc);
	control_watch_removed(r->id, outcome, user);
}

/* -1: the record is not where it must be, and its action must not happen. */
static int
req_audit(struct request *r, const char *event, ...)
{
	const char	*kv[16];
	va_list		 ap;
	int		 n = 0;

	va_start(ap, event);
	while (n < 14 && (kv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	for (; n < 16; n++)
		kv[n] = NULL;
	if (r->cloister != NULL && r->canon != NULL)
		abudget_charge(r->cloister, strlen(r->canon));
	return (audit_log(event, r->id, r->project, r->cloister, r->canon,
	    kv[0], kv[1], kv[2], kv[3], kv[4], kv[5], kv[6], kv[7], kv[8],
	    kv[9], kv[10], kv[11], kv[12], kv[13], (char *)NULL));
}

/*
 * Its record could not be written (on_failure: refuse): what it
 * recorded does not happen.  The closing DENY is tried all the same:
 * syslog, or a file that has room again, may take it.
 */
static void
req_unaudited(struct request *r)
{
	(void)req_audit(r, "DENY", "reason", "the audit log cannot be "
	    "written", (char *)NULL);
	req_deny(r, DENY_ERROR, "the audit log cannot be written: refusing "
	    "to run");
}

static void
req_setstate(struct request *r, enum req_state st)
{
	nstate[r->state]--;
	r->state = st;
	nstate[st]++;
}

unsigned int
req_count(enum req_state st)
{
	return (nstate[st]);
}

/* What a peer's held-back failures come to, in one record. */
static void
authfail_summary(struct authfail *af)
{
	char	 n[16];

	if (af->suppressed == 0)
		return;
	snprintf(n, sizeof(n), "%u", af->suppressed);
	audit_log("AUTH_FAIL_SUMMARY", NULL, NULL, NULL, NULL, "peer",
	    af->peer, "suppressed", n, (char *)NULL);
	af->suppressed = 0;
}

/* Once a minute: summaries of peers gone quiet, and forgetting them. */
static void
authfail_sweep(int fd, short event, void *arg)
{
	struct authfail	*af, *next;
	struct timeval	 tv = { AUTH_FORGET_MS / 1000, 0 };
	int64_t		 now = now_ms();
	char		 n[16];

	RB_FOREACH_SAFE(af, authfail_tree, &authfails, next) {
		if (now - af->window >= AUTH_FORGET_MS)
			authfail_summary(af);
		if (now - af->last > AUTH_FORGET_MS) {
			RB_REMOVE(authfail_tree, &authfails, af);
			free(af->peer);
			free(af);
			nauthfails--;
		}
	}
	if (authrec_suppressed > 0) {
		snprintf(n, sizeof(n), "%u", authrec_suppressed);
		audit_log("AUTH_FAIL_SUMMARY", NULL, NULL, NULL, NULL, "peer",
		    "*", "suppressed", n, (char *)NULL);
		authrec_suppressed = 0;
	}
	evtimer_add(&authfail_ev, &tv);
}

/*
 * Per-peer slow-down after failed authentication: 100 ms, doubling
 * with each failure, at most 5 s; forgotten after a quiet minute.
 * *record: whether this failure gets an audit record of its own.
 */
static int64_t
auth_failed(const char *peer, int *record)
{
	struct authfail	 key, *af, *oldest, *next;
	struct timeval	 tv = { AUTH_FORGET_MS / 1000, 0 };
	int64_t		 now = now_ms(), delay;

	if (!evtimer_initialized(&authfail_ev)) {
		evtimer_set(&authfail_ev, authfail_sweep, NULL);
		evtimer_add(&authfail_ev, &tv);
	}
	key.peer = (char *)peer;
	if ((af = RB_FIND(authfail_tree, &authfails, &key)) == NULL) {
		if (nauthfails >= AUTHFAIL_MAX) {
			oldest = RB_MIN(authfail_tree, &authfails);
			RB_FOREACH(next, authfail_tree, &authfails)
				if (next->last < oldest->last)
					oldest = next;
			authfail_summary(oldest);
			RB_REMOVE(authfail_tree, &authfails, oldest);
			free(oldest->peer);
			free(oldest);
			nauthfails--;
		}
		if ((af = calloc(1, sizeof(*af))) == NULL ||
		    (af->peer = strdup(peer)) == NULL)
			fatal(NULL);
		af->window = now;
		RB_INSERT(authfail_tree, &authfails, af);
		nauthfails++;
	}
	if (now - af->last > AUTH_FORGET_MS)
		af->count = 0;
	af->last = now;
	if (af->count < 16)
		af->count++;
	if (now - af->window >= AUTH_FORGET_MS) {
		authfail_summary(af);
		af->window = now;
		af->records = 0;
	}
	if (now / 1000 != authrec_second) {
		authrec_second = now / 1000;
		authrec_n = 0;
	}
	*record = af->records < AUTHFAIL_RECORDS &&
	    authrec_n < AUTHFAIL_RATE;
	if (*record) {
		af->records++;
		authrec_n++;
	} else if (af->records < AUTHFAIL_RECORDS)
		authrec_suppressed++;
	else
		af->suppressed++;
	delay = (int64_t)AUTH_DELAY_MIN << (af->count - 1);
	return (delay > AUTH_DELAY_MAX ? AUTH_DELAY_MAX : delay);
}

/*
 * The start of the canonical command, at most AUTHFAIL_CMD bytes, for
 * a request nobody is known to have sent: rendering no more of it
 * than that.
 */
static void
cmd_prefix(const struct request *r, char *buf, size_t len)
{
	size_t	 o = 0, n, alen;
	int	 i;

	buf[0] = '\0';
	for (i = 0; i < r->argc && o + 1 < len; i++) {
		if (i > 0) {
			buf[o++] = ' ';
			buf[o] = '\0';
		}
		alen = strnlen(r->argv[i], len);
		n = canon_arg(buf + o, len - o, r->argv[i], alen);
		o += n < len - o ? n : len - o - 1;
	}
}

/* Forget the buckets that are full: as good as new. */
static void
abudget_prune(int64_t now)
{
	struct abudget	*b, *t;

	RB_FOREACH_SAFE(b, abudget_tree, &abudgets, t) {
		if (b->bytes + (now - b->at) * (AUDIT_RATE / 1000) <
		    AUDIT_BURST)
			continue;
		RB_REMOVE(abudget_tree, &abudgets, b);
		free(b->name);
		free(b);
		nabudgets--;
	}
}

/* r's cloister's bucket, filled up to now (made on first use). */
static struct abudget *
abudget_get(const char *cloister, int64_t now)
{
	struct abudget	 key, *b;

	key.name = (char *)cloister;
	if ((b = RB_FIND(abudget_tree, &abudgets, &key)) == NULL) {
		if (nabudgets >= ABUDGETS_MAX)
			abudget_prune(now);
		if ((b = calloc(1, sizeof(*b))) == NULL ||
		    (b->name = strdup(cloister)) == NULL)
			fatal(NULL);
		b->bytes = AUDIT_BURST;
		b->at = now;
		RB_INSERT(abudget_tree, &abudgets, b);
		nabudgets++;
	}
	b->bytes += (now - b->at) * (AUDIT_RATE / 1000);
	if (b->bytes > AUDIT_BURST)
		b->bytes = AUDIT_BURST;
	b->at = now;
	return (b);
}

/* A record of one of cloister's requests was written: paid for. */
static void
abudget_charge(const char *cloister, size_t len)
{
	abudget_get(cloister, mono_now_ms())->bytes -= (int64_t)len + 256;
}

/*
 * 1 if r may come in, 0 if its cloister's bucket is overdrawn (then,
 * at most once a second, a BUSY record with a prefix of the command
 * says so).
 */
static int
abudget_take(struct request *r)
{
	struct abudget	*b;
	char		 prefix[AUTHFAIL_CMD + 1], unsaid[16];
	int64_t		 now = mono_now_ms();

	b = abudget_get(r->cloister, now);
	if (b->bytes > 0)
		return (1);
	if (b->said != 0 && now - b->said < 1000) {
		b->unsaid++;
		return (0);
	}
	cmd_prefix(r, prefix, sizeof(prefix));
	snprintf(unsaid, sizeof(unsaid), "%u", b->unsaid);
	audit_log("BUSY", r->id, r->project, r->cloister, prefix, "reason",
	    "the cloister's audit budget is spent", "unrecorded", unsaid,
	    (char *)NULL);
	b->said = now;
	b->unsaid = 0;
	return (0);
}

static struct request *
req_alloc(uint32_t peerid, int mode)
{
	struct request	*r;
	unsigned char	 rnd[REQ_ID_LEN / 2];
	size_t		 i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal(NULL);
	do {
		arc4random_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(r->id + 2 * i, 3, "%02x", rnd[i]);
		testhook_id(r->id, REQ_ID_LEN);
	} while (RB_FIND(req_id_tree, &reqs_by_id, r) != NULL);
	r->peerid = peerid;
	r->mode = mode;
	r->pid = -1;
	r->outfd = r->errfd = -1;
	r->exe.fd = -1;
	r->received = now_ms();
	clock_gettime(CLOCK_MONOTONIC, &r->t_received);
	r->state = REQ_AUTH;
	nstate[REQ_AUTH]++;
	RB_INSERT(req_id_tree, &reqs_by_id, r);
	RB_INSERT(req_peer_tree, &reqs_by_peer, r);
	return (r);
}

static void
req_free(struct request *r)
{
	int	 i;

	timer_clear(r);
	if (r->outfd != -1)
		close(r->outfd);
	if (r->errfd != -1)
		close(r->errfd);
	if (r->journaled)
		journal_close(r->id);
	RB_REMOVE(req_id_tree, &reqs_by_id, r);
	if (!r->cancelled)
		RB_REMOVE(req_peer_tree, &reqs_by_peer, r);
	nstate[r->state]--;
	for (i = 0; i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	free(r->canon);
	free(r->cloister);
	free(r->project);
	free(r->worktree);
	free(r->pattern);
	free(r->rule_file);
	free(r->why);
	free(r->confine);
	exe_clear(&r->exe);
	free(r->program);
	free(r);
}

/*
 * The client is gone: forget its connection number (the request child
 * may reuse nothing, but we must not route to it any more).
 */
static void
req_detach(struct request *r)
{
	if (!r->cancelled) {
		RB_REMOVE(req_peer_tree, &reqs_by_peer, r);
		r->cancelled = 1;
	}
}

/* IMSG_REQ_NEW from the request child: validate everything. */
void
req_new(struct imsg *imsg)
{
	const struct cloister	*cl;
	struct request		 key, *r;
	struct msg_req_new	 m;
	const char		*doorname = NULL;
	char			 ms[32];
	int64_t			 delay;

	key.peerid = imsg->hdr.peerid;
	if (RB_FIND(req_peer_tree, &reqs_by_peer, &key) != NULL)
		parent_fatalx("request child reused connection %u",
		    imsg->hdr.peerid);
	if (msg_req_new_dec(imsg, &m) == -1)
		parent_fatalx("bad new request from the request child");
	if (m.door != 0 && door_owner(m.door, &doorname) == -1) {
		msg_req_new_clear(&m);
		parent_fatalx("bad new request from the request child");
	}
	r = req_alloc(imsg->hdr.peerid, m.mode);
	r->argv = m.argv;
	r->argc = m.argc;
	m.argv = NULL;
	m.argc = 0;
	/*
	 * Through a cloister's own socket only its token opens: a token
	 * that leaked to another container is no good there.  Checked
	 * before anything costly is done with the command.
	 */
	cl = registry_auth(m.token);
	if (cl == NULL || (m.door != 0 && (doorname == NULL ||
	    strcmp(cl->name, doorname) != 0))) {
		char	 prefix[AUTHFAIL_CMD + 1], nargs[16];
		int	 record;

		delay = auth_failed(m.peer, &record);
		if (record) {
			cmd_prefix(r, prefix, sizeof(prefix));
			snprintf(ms, sizeof(ms), "%lld", (long long)delay);
			snprintf(nargs, sizeof(nargs), "%d", r->argc);
			audit_log("AUTH_FAIL", r->id, NULL, NULL, prefix,
			    "args", nargs, "peer", m.peer, "reason",
			    *m.token == '\0' ? "no token" :
			    cl == NULL ? "unknown token" : doorname == NULL ?
			    "the socket's cloister is gone" :
			    "token of another cloister on this socket",
			    "delay_ms", ms, m.door != 0 ? "socket" :
			    (char *)NULL, doorname, (char *)NULL);
		}
		msg_req_new_clear(&m);
		/* The request child waits it out, holding no slot. */
		req_reject_after(r, 401, "unknown or missing token", delay);
		return;
	}
	msg_req_new_clear(&m);
	if ((r->canon = canon_argv(r->argc, r->argv)) == NULL)
		fatal(NULL);
	/* The child checks too, but a reload may just have lowered it. */
	if ((uint32_t)r->argc > conf->limits.args) {
		req_reject(r, 400, "too many arguments");
		return;
	}
	if ((r->cloister = strdup(cl->name)) == NULL ||
	    (r->project = strdup(cl->project)) == NULL ||
	    (r->worktree = strdup(cl->worktree)) == NULL)
		fatal(NULL);

	if (!abudget_take(r)) {
		req_reject(r, 503, "guardiand is busy: this cloister's "
		    "requests would fill the audit log, try again");
		return;
	}
	/* Known before anything happens to it, should we die. */
	if (journal_open(r->id, r->cloister, r->project, r->canon) == 0)
		r->journaled = 1;
	if (req_audit(r, "REQUEST", (char *)NULL) == -1 ||
	    (!r->journaled && !conf->audit_continue)) {
		req_unaudited(r);
		return;
	}
	if (check_admit(r) == -1) {
		req_audit(r, "BUSY", "reason", "too many requests being "
		    "checked", (char *)NULL);
		req_reject(r, 503, "guardiand is busy, try again");
		return;
	}
	req_setstate(r, REQ_CHECKING);
	TAILQ_INSERT_TAIL(&waitq, r, pending);
	nwaiting++;
	checks_pump();
}

/* A cloister's counters, made on first use. */
static struct clcount *
clcount_get(const char *name)
{
	struct clcount	 key, *cc;

	key.name = (char *)name;
	if ((cc = RB_FIND(clcount_tree, &clcounts, &key)) == NULL) {
		if ((cc = calloc(1, sizeof(*cc))) == NULL ||
		    (cc->name = strdup(name)) == NULL)
			fatal(NULL);
		RB_INSERT(clcount_tree, &clcounts, cc);
	}
	return (cc);
}

/* Forgotten once they are all back to zero. */
static void
clcount_put(struct clcount *cc)
{
	if (cc->checks == 0 && cc->running == 0) {
		RB_REMOVE(clcount_tree, &clcounts, cc);
		free(cc->name);
		free(cc);
	}
}

/*
 * What a check weighs: the canonical string held while it waits, and
 * the message that asks it (the arguments, each with its length;
 * the policy child forms both strings it matches from them).
 */
static size_t
check_size(const struct request *r)
{
	size_t	 n;
	int	 i;

	n = strlen(r->canon) + strlen(r->project) + 64;
	for (i = 0; i < r->argc; i++)
		n += 4 + strlen(r->argv[i]);
	return (n);
}

/* A place among the checks, for this cloister and in all: 0, or -1. */
static int
check_admit(struct request *r)
{
	struct clcount	*cc = clcount_get(r->cloister);

	r->check_bytes = check_size(r);
	if (cc->bytes + r->check_bytes > CHECKS_CLOISTER_BYTES ||
	    checks_bytes + r->check_bytes > CHECKS_ALL_BYTES ||
	    nwaiting + ninflight >= CHECKS_MAX) {
		clcount_put(cc);
		return (-1);
	}
	cc->checks++;
	cc->bytes += r->check_bytes;
	checks_bytes += r->check_bytes;
	return (0);
}

/* The check of r is over (answered, or dropped unsent). */
static void
check_done(struct request *r)
{
	struct clcount	*cc = clcount_get(r->cloister);

	cc->bytes -= r->check_bytes;
	checks_bytes -= r->check_bytes;
	cc->checks--;
	clcount_put(cc);
}

/* Room for one more command: in all, and for r's cloister. */
static int
run_room(const struct request *r)
{
	struct clcount	*cc;
	unsigned int	 cap = conf->limits.running_per_cloister;
	int		 room;

	if (req_count(REQ_RUNNING) >= conf->limits.running)
		return (0);
	if (cap == 0)
		return (1);
	cc = clcount_get(r->cloister);
	room = cc->running < cap;
	clcount_put(cc);
	return (room);
}

/*
 * Send the waiting checks the policy child has room for.  It answers
 * in order; until then a check is only in our queue, where a cancel
 * drops it unsent.
 */
static void
checks_pump(void)
{
	struct request		*r;
	struct msg_policy_check	 mc;
	struct imsg_enc		 enc;
	size_t			 size;

	while (ninflight < CHECKS_INFLIGHT &&
	    (r = TAILQ_FIRST(&waitq)) != NULL) {
		size = r->check_bytes;
		if (ninflight > 0 && inflight_bytes + size > CHECKS_BYTES)
			break;
		TAILQ_REMOVE(&waitq, r, pending);
		nwaiting--;
		r->seq = ++next_seq;
		mc.project = r->project;
		mc.default_manual = conf->default_manual;
		mc.budget = conf->check_timeout;
		mc.argc = r->argc;
		mc.argv = r->argv;
		msg_policy_check_enc(&enc, &mc);
		if (imsgev_compose_enc(parent_channel(ROLE_POLICY),
		    IMSG_POLICY_CHECK, r->seq, -1, &enc) == -1) {
			log_warn("request %s: cannot queue its check", r->id);
			check_done(r);
			req_audit(r, "BUSY", "reason", "cannot queue the "
			    "policy check", (char *)NULL);
			req_reject(r, 503, "guardiand is busy, try again");
			continue;
		}
		r->check_sent = 1;
		inflight_bytes += size;
		ninflight++;
		TAILQ_INSERT_TAIL(&checking, r, pending);
	}
}

static unsigned int
pending_of(const char *cloister)
{
	struct request	*r;
	unsigned int	 n = 0;

	TAILQ_FOREACH(r, &pendingq, pending)
		if (strcmp(r->cloister, cloister) == 0)
			n++;
	return (n);
}

/* The UI's address for the "waiting for approval" text, or "". */
static void
ui_where(char *buf, size_t len)
{
	struct listen_addr	*la;

	TAILQ_FOREACH(la, &conf->ui_listen, entry) {
		if (la->is_unix)
			continue;
		snprintf(buf, len, " at http://%s%s%s:%s/",
		    strchr(la->host, ':') ? "[" : "",
		    la->host[0] ? la->host : "127.0.0.1",
		    strchr(la->host, ':') ? "]" : "", la->port);
		return;
	}
	buf[0] = '\0';
}

/*
 * guardianctl as a human on the host would type it to reach us (paths.c
 * says when that needs its path or -s); the socket does not change
 * while we run, so it is worked out once.
 */
static const char *
ctl_where(void)
{
	static char	*cmd;
	char		*ctl;

	if (cmd != NULL)
		return (cmd);
	if ((ctl = conf->control_path) == NULL)
		ctl = runtime_path_peek(RUNDIR_CONTROL, CONTROL_SOCK);
	if (ctl != NULL)
		cmd = ctl_command(ctl);
	if (ctl != conf->control_path)
		free(ctl);
	return (cmd != NULL ? cmd : "guardianctl");
}

/* IMSG_POLICY_VERDICT: answers come in the order checks were asked. */
void
req_verdict(struct imsg *imsg)
{
	struct request			*r;
	struct msg_policy_verdict	 mv;
	struct msg_req_queued		 mq;
	struct imsg_enc			 enc;
	char				*pattern, text[2048], where[128];
	char				 dur[32];
	uint8_t				 verdict, limit;

	if ((r = TAILQ_FIRST(&checking)) == NULL ||
	    r->seq != imsg->hdr.peerid)
		parent_fatalx("policy child answered a check never asked");
	if (msg_policy_verdict_dec(imsg, &mv) == -1)
		parent_fatalx("bad verdict from the policy child");
	verdict = mv.verdict;
	pattern = mv.pattern;
	limit = mv.limit;
	TAILQ_REMOVE(&checking, r, pending);
	ninflight--;
	inflight_bytes -= r->check_bytes;
	check_done(r);
	checks_pump();
	if (*pattern != '\0') {
		const struct pattern_src	*ps;

		r->pattern = pattern;
		if ((ps = rule_origin(r->project, verdict == VERDICT_DENY ?
		    PAT_DENY : verdict == VERDICT_AUTO ? PAT_AUTO :
		    PAT_MANUAL, pattern)) != NULL) {
			if ((r->rule_file = strdup(ps->file)) == NULL)
				fatal(NULL);
			r->rule_line = ps->line;
		}
	} else
		free(pattern);
	if (limit == 1)
		log_warnx("request %s: a pattern hit the matcher's limits; "
		    "failing closed", r->id);
	if (r->cancelled) {
		req_audit(r, "CANCEL", "state", "checking", (char *)NULL);
		req_free(r);
		return;
	}
	if (limit == 2) {
		/* Undecided in time: refused rather than stalled. */
		fmt_duration(dur, sizeof(dur), conf->check_timeout);
		log_warnx("request %s: the policy check ran over its budget "
		    "of %s (guardian.check_timeout); refused", r->id, dur);
		snprintf(text, sizeof(text), "refused: the policy check took "
		    "longer than its budget of %s", dur);
		req_audit(r, "DENY", "reason", "the policy check ran over "
		    "its time budget", (char *)NULL);
		req_deny(r, DENY_ERROR, text);
		return;
	}

	/*
	 * The program it would run is pinned now, before anyone (or
	 * anything) approves it: what is shown and recorded is what runs.
	 */
	if (verdict != VERDICT_DENY) {
		(void)exe_resolve(&r->exe, r->argv[0], r->worktree, cmd_envp,
		    1);
		if (r->exe.real != NULL &&
		    (r->program = canon_argv(1, &r->exe.real)) == NULL)
			fatal(NULL);
		if (verdict == VERDICT_AUTO && !exe_trusted(r)) {
			log_info("request %s: %s lies outside "
			    "guardian.trusted_path: a human decides", r->id,
			    *req_program(r) != '\0' ? req_program(r) :
			    r->argv[0]);
			r->untrusted = 1;
			verdict = VERDICT_MANUAL;
		}
	}

	switch (verdict) {
	case VERDICT_DENY:
		if (r->pattern != NULL) {
			snprintf(text, sizeof(text), "denied by policy: "
			    "matches deny pattern %s", r->pattern);
			req_audit(r, "DENY", "pattern", r->pattern, "reason",
			    "deny pattern", (char *)NULL);
		} else {
			snprintf(text, sizeof(text), "denied by policy: "
			    "no pattern allows this command");
			req_audit(r, "DENY", "reason", "no pattern matched",
			    (char *)NULL);
		}
		req_deny(r, DENY_POLICY, text);
		return;
	case VERDICT_AUTO:
		if (req_audit(r, "AUTO_APPROVE", "pattern", r->pattern ?
		    r->pattern : "", "confined", req_confine(r, 1),
		    EXE_KV(r), (char *)NULL) == -1) {
			req_unaudited(r);
			return;
		}
		exe_fresh = r;
		req_start(r, 1);
		exe_fresh = NULL;
		return;
	}

	/* Manual: a human decides (or decided: a grant), within limits. */
	if (req_granted(r))
		return;
	if (pending_of(r->cloister) >= conf->limits.pending_per_cloister ||
	    req_count(REQ_PENDING) >= conf->limits.pending) {
		req_audit(r, "DENY", "reason", "too many pending requests",
		    (char *)NULL);
		req_reject(r, 429, "too many pending requests");
		return;
	}
	r->expires = now_ms() + conf->approval_timeout;
	fmt_duration(dur, sizeof(dur), conf->approval_timeout);
	if (req_audit(r, "PENDING", "timeout", dur, EXE_KV(r),
	    (char *)NULL) == -1) {
		req_unaudited(r);
		return;
	}
	req_setstate(r, REQ_PENDING);
	TAILQ_INSERT_TAIL(&pendingq, r, pending);
	timer_set(r, conf->approval_timeout);
	why_set(r);
	ui_added(r);
	notify_pending(r, conf, cmd_envp);
	ui_where(where, sizeof(where));
	snprintf(text, sizeof(text), "waiting for approval%s or with "
	    "`%s approve %s` (request %s, expires in %llus)", where,
	    ctl_where(), r->id, r->id, (unsigned long long)
	    (conf->approval_timeout + 999) / 1000);
	mq.text = text;
	mq.expires = r->expires;
	msg_req_queued_enc(&enc, &mq);
	to_request(r, IMSG_REQ_QUEUED, -1, &enc);
}

/*
 * A grant (guardianctl approve|deny --for) for this very command
 * decides it as the human who made it did, without asking: 1 if one
 * did.
 */
static int
req_granted(struct request *r)
{
	const struct grant	*g;
	char			 text[CTL_REASON_MAX + 256];

	if ((g = grant_match(r)) == NULL)
		return (0);
	if (g->approve) {
		if (req_audit(r, "AUTO_APPROVE", "grant", g->id, "user",
		    g->user, "confined", req_confine(r, 0), EXE_KV(r),
		    (char *)NULL) == -1) {
			req_unaudited(r);
			return (1);
		}
		r->humane = 1;
		req_start(r, 0);
		return (1);
	}
	req_audit(r, "DENY", "grant", g->id, "user", g->user, "reason",
	    *g->reason != '\0' ? g->reason : "denied by a grant",
	    (char *)NULL);
	snprintf(text, sizeof(text), "denied by %s (grant %s)%s%s", g->user,
	    g->id, *g->reason != '\0' ? ": " : "", g->reason);
	req_deny(r, DENY_HUMAN, text);
	return (1);
}

/* A final "did not run" for the client; the request is done. */
static void
req_deny(struct request *r, int reason, const char *text)
{
	struct msg_req_denied	 m;
	struct imsg_enc		 enc;

	m.reason = reason;
	m.text = (char *)text;
	msg_req_denied_enc(&enc, &m);
	to_request(r, IMSG_REQ_DENIED, -1, &enc);
	req_free(r);
}

/*
 * An HTTP error before anything was streamed, given delay ms from now
 * (a failed login is answered late); the request is done.
 */
static void
req_reject_after(struct request *r, int status, const char *reason,
    int64_t delay)
{
	struct msg_req_reject	 m;
	struct imsg_enc		 enc;

	m.status = status;
	m.reason = (char *)reason;
	m.delay = delay;
	msg_req_reject_enc(&enc, &m);
	to_request(r, IMSG_REQ_REJECT, -1, &enc);
	req_free(r);
}

static void
req_reject(struct request *r, int status, const char *reason)
{
	req_reject_after(r, status, reason, 0);
}

/*
 * Last before it starts: argv[0] must still resolve to the file pinned
 * when the request came, unchanged (exe_verify()), unless that was in
 * this same turn (exe_fresh).  0, or -1 once the request was answered:
 * nothing runs.
 */
static int
req_exe_check(struct request *r)
{
	char	 text[PATH_MAX + 256];

	if (r != exe_fresh &&
	    exe_verify(&r->exe, r->argv[0], r->worktree, cmd_envp) == -1) {
		log_warnx("request %s: %s is not the program resolved when "
		    "it came; not run", r->id, r->argv[0]);
		snprintf(text, sizeof(text), "executable changed: %s no "
		    "longer names the program shown for approval%s%s; "
		    "nothing ran", r->argv[0], *req_program(r) != '\0' ?
		    ", " : "", req_program(r));
		req_audit(r, "SPAWN_FAIL", "reason", "executable changed",
		    (char *)NULL);
		req_deny(r, DENY_SPAWN, text);
		return (-1);
	}
	if (r->exe.fd == -1) {
		if (r->exe.err == ENOENT)
			snprintf(text, sizeof(text), "not found: %s",
			    r->argv[0]);
		else
			snprintf(text, sizeof(text), "cannot run %s: %s",
			    r->argv[0], strerror(r->exe.err));
		req_audit(r, "SPAWN_FAIL", "reason", text, (char *)NULL);
		req_deny(r, DENY_SPAWN, text);
		return (-1);
	}
	return (0);
}

/*
 * A number for something the spawner starts (a command, a notifier),
 * never 0, never reused: 0 once they run out.
 */
uint32_t
spawn_next(void)
{
	if (next_spawn == UINT32_MAX)
		return (0);
	return (++next_spawn);
}

static void
req_start(struct request *r, int automatic)
{
	struct imsg_enc	 enc;
	struct stat	 st;
	char		 text[512];
	uint32_t	 id;
	int		 i, envc, exefd;

	if (!run_room(r)) {
		if (nrunq < RUNQ_MAX) {
			req_setstate(r, REQ_WAITING);
			TAILQ_INSERT_TAIL(&runq, r, pending);
			nrunq++;
			timer_set(r, RUNQ_WAIT_MS);
			return;
		}
		req_busy(r);
		return;
	}
	if (stat(r->worktree, &st) == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(text, sizeof(text), "worktree %s: %s", r->worktree,
		    errno ? strerror(errno) : "not a directory");
		req_audit(r, "SPAWN_FAIL", "reason", text, (char *)NULL);
		req_deny(r, DENY_SPAWN, text);
		return;
	}
	/*
	 * The spawner starts it: the parent never forks while it serves.
	 * Until it says the command runs (or not), the request holds
	 * its slot.
	 */
	if ((id = spawn_next()) == 0) {
		snprintf(text, sizeof(text), "cannot run %s: too many commands "
		    "started", r->argv[0]);
		req_audit(r, "SPAWN_FAIL", "reason", text, (char *)NULL);
		req_deny(r, DENY_SPAWN, text);
		return;
	}
	if (req_exe_check(r) == -1)
		return;
	if ((exefd = dup(r->exe.fd)) == -1) {
		snprintf(text, sizeof(text), "cannot run %s: %s", r->argv[0],
		    strerror(errno));
		req_audit(r, "SPAWN_FAIL", "reason", text, (char *)NULL);
		req_deny(r, DENY_SPAWN, text);
		return;
	}
	r->spawn_id = id;
	r->humane = !automatic;
	imsg_enc_init(&enc);
	imsg_put_str(&enc, r->worktree);
	imsg_put_str(&enc, r->exe.path);
	imsg_put_u32(&enc, r->argc);
	for (i = 0; i < r->argc; i++)
		imsg_put_str(&enc, r->argv[i]);
	for (envc = 0; cmd_envp[envc] != NULL; envc++)
		;
	imsg_put_u32(&enc, envc);
	for (i = 0; i < envc; i++)
		imsg_put_str(&enc, cmd_envp[i]);
	if (req_put_confine(r, &enc) == -1) {
		close(exefd);
		return;
	}
	if (imsgev_compose_enc(parent_channel(ROLE_SPAWNER), IMSG_SPAWN,
	    r->spawn_id, exefd, &enc) == -1) {
		snprintf(text, sizeof(text), "cannot run %s: %s", r->argv[0],
		    strerror(errno));
		req_audit(r, "SPAWN_FAIL", "reason", text, (char *)NULL);
		req_deny(r, DENY_SPAWN, text);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &r->t_started);
	req_setstate(r, REQ_RUNNING);
	clcount_get(r->cloister)->running++;
	if (conf->exec_timeout > 0)
		timer_set(r, conf->exec_timeout);
}

static void
put_strlist(struct imsg_enc *enc, const struct strlist *l)
{
	const struct strent	*se;
	uint32_t		 n = 0;

	TAILQ_FOREACH(se, l, entry)
		n++;
	imsg_put_u32(enc, n);
	TAILQ_FOREACH(se, l, entry)
		imsg_put_str(enc, se->s);
}

/*
 * The confinement, at the end of IMSG_SPAWN: u8 0, or u8 1, str profile,
 * u8 network, u32 n, str read..., u32 n, str write..., str tmpbase (the
 * state directory's tmp/, where the command's private directory goes),
 * str home (our $HOME, which a confined command may not see).
 * The profile named at approval must still exist: a reload that removed
 * it leaves the command not run, never run unconfined.  0, or -1 once
 * the request was answered.
 */
static int
req_put_confine(struct request *r, struct imsg_enc *enc)
{
	const struct confine_profile	*p;
	char				 text[512];
	char				*tmpbase;

	if (r->confine == NULL) {
		imsg_put_u8(enc, 0);
		return (0);
	}
	TAILQ_FOREACH(p, &conf->confine_profiles, entry)
		if (strcmp(p->name, r->confine) == 0)
			break;
	if (p == NULL || asprintf(&tmpbase, "%s/tmp",
	    registry_statedir()) == -1) {
		snprintf(text, sizeof(text), "cannot run %s: its confinement "
		    "profile %s is gone", r->argv[0], r->confine);
		req_audit(r, "SPAWN_FAIL", "reason", text, (char *)NULL);
		req_deny(r, DENY_SPAWN, text);
		return (-1);
	}
	imsg_put_u8(enc, 1);
	imsg_put_str(enc, p->name);
	imsg_put_u8(enc, p->network != 0);
	put_strlist(enc, &p->read);
	put_strlist(enc, &p->write);
	imsg_put_str(enc, tmpbase);
	/* The spawner's environment is empty: whose home is kept closed. */
	imsg_put_str(enc, getenv("HOME") != NULL ? getenv("HOME") : "");
	free(tmpbase);
	return (0);
}

/* The spawner's request: a running request of ours, by its number. */
static struct request *
req_spawning(uint32_t id)
{
	struct request	*r;

	RB_FOREACH(r, req_id_tree, &reqs_by_id)
		if (r->state == REQ_RUNNING && r->spawn_id == id)
			return (r);
	return (NULL);
}

/* IMSG_SPAWNED: it runs; its pipes go to the request child. */
static void
req_spawned(struct request *r, pid_t pid)
{
	struct msg_req_pipe	 mp;
	struct msg_req_started	 ms;
	struct imsg_enc		 enc;
	char			 text[512];

	r->pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &r->t_started);
	log_debug("request %s: started pid %d", r->id, r->pid);
	mp.stream = 1;
	msg_req_pipe_enc(&enc, &mp);
	to_request(r, IMSG_REQ_PIPE, r->outfd, &enc);
	mp.stream = 2;
	msg_req_pipe_enc(&enc, &mp);
	to_request(r, IMSG_REQ_PIPE, r->errfd, &enc);
	r->outfd = r->errfd = -1;
	if (!r->humane)
		snprintf(text, sizeof(text), "auto-approved by %s",
		    r->pattern ? r->pattern : "the default");
	else
		snprintf(text, sizeof(text), "approved, running");
	ms.automatic = !r->humane;
	ms.pattern = r->pattern ? r->pattern : "";
	ms.text = text;
	msg_req_started_enc(&enc, &ms);
	to_request(r, IMSG_REQ_STARTED, -1, &enc);
}

/*
 * IMSG_SPAWN_FAIL: it did not start; its slot is free again.  why, if
 * not empty, is the spawner's own account (confinement).
 */
static void
req_spawn_fail(struct request *r, int error, const char *why)
{
	struct clcount	*cc;
	char		 text[1024];

	if (*why != '\0')
		snprintf(text, sizeof(text), "cannot run %s confined: %s",
		    r->argv[0], why);
	else if (error == ESTALE) {
		/* A script, its path no longer the file pinned. */
		snprintf(text, sizeof(text), "executable changed: %s no "
		    "longer names the program shown for approval; nothing "
		    "ran", r->argv[0]);
		req_audit(r, "SPAWN_FAIL", "reason", "executable changed",
		    (char *)NULL);
		goto deny;
	} else if (error == ENOENT)
		snprintf(text, sizeof(text), "not found: %s", r->argv[0]);
	else
		snprintf(text, sizeof(text), "cannot run %s: %s", r->argv[0],
		    strerror(error));
	req_audit(r, "SPAWN_FAIL", "reason", text, (char *)NULL);
 deny:
	cc = clcount_get(r->cloister);
	cc->running--;
	clcount_put(cc);
	req_deny(r, DENY_SPAWN, text);
	runq_next();
}

/* No room to run it now: a busy answer, to try again. */
static void
req_busy(struct request *r)
{
	req_audit(r, "BUSY", "reason", "too many commands running",
	    (char *)NULL);
	req_deny(r, DENY_BUSY, "guardiand is busy: too many commands "
	    "running on the host, try again");
}

/*
 * A command ended: the requests waiting for a slot, oldest first,
 * each as soon as its cloister has room (one cloister at its own
 * limit does not hold the others up).
 */
static void
runq_next(void)
{
	struct request	*r, *next;

	TAILQ_FOREACH_SAFE(r, &runq, pending, next) {
		if (req_count(REQ_RUNNING) >= conf->limits.running)
			break;
		if (!run_room(r))
			continue;
		TAILQ_REMOVE(&runq, r, pending);
		nrunq--;
		timer_clear(r);
		req_start(r, !r->humane);
	}
}

/* The spawner is to kill a command's whole tree (how: SPAWN_*). */
static void
req_kill(struct request *r, uint8_t how)
{
	/* Only memory can fail here; the daemon's end kills it anyway. */
	if (imsgev_compose(parent_channel(ROLE_SPAWNER), IMSG_SPAWN_KILL,
	    r->spawn_id, -1, &how, sizeof(how)) == -1)
		log_warn("request %s: cannot ask the spawner to kill it",
		    r->id);
}

/*
 * Stop a running command's whole tree: SIGTERM, SIGKILL after the
 * grace period, the spawner sees to it (even if the first process
 * exits meanwhile).
 */
static void
req_stop(struct request *r, int kind)
{
	if (r->stop_kind != 0)
		return;
	r->stop_kind = kind;
	timer_clear(r);
	req_kill(r, SPAWN_STOP);
}

static void
req_timer(int fd, short event, void *arg)
{
	struct request	*r = arg;
	char		 dur[32], text[128];

	switch (r->state) {
	case REQ_PENDING:
		fmt_duration(dur, sizeof(dur), conf->approval_timeout);
		req_audit(r, "TIMEOUT", (char *)NULL);
		TAILQ_REMOVE(&pendingq, r, pending);
		ui_removed(r, "expired", NULL);
		snprintf(text, sizeof(text), "approval timed out after %s",
		    dur);
		req_deny(r, DENY_TIMEOUT, text);
		break;
	case REQ_WAITING:
		TAILQ_REMOVE(&runq, r, pending);
		nrunq--;
		req_busy(r);
		break;
	case REQ_RUNNING:
		if (r->stop_kind == 0) {
			fmt_duration(dur, sizeof(dur), conf->exec_timeout);
			log_info("request %s: exec_timeout (%s), stopping "
			    "pid %d", r->id, dur, r->pid);
			req_stop(r, EXIT_TIMEDOUT);
		}
		break;
	default:
		break;
	}
}

void
req_cancel(uint32_t peerid)
{
	struct request	 key, *r;

	key.peerid = peerid;
	if ((r = RB_FIND(req_peer_tree, &reqs_by_peer, &key)) == NULL)
		return;		/* already finished: crossed in flight */
	req_detach(r);
	switch (r->state) {
	case REQ_CHECKING:
		if (r->check_sent)
			break;	/* freed when its verdict arrives */
		/* Never sent: it never will be. */
		TAILQ_REMOVE(&waitq, r, pending);
		nwaiting--;
		check_done(r);
		req_audit(r, "CANCEL", "state", "checking", (char *)NULL);
		req_free(r);
		break;
	case REQ_PENDING:
		req_audit(r, "CANCEL", "state", "pending", (char *)NULL);
		TAILQ_REMOVE(&pendingq, r, pending);
		ui_removed(r, "cancelled", NULL);
		req_free(r);
		break;
	case REQ_WAITING:
		req_audit(r, "CANCEL", "state", "waiting", (char *)NULL);
		TAILQ_REMOVE(&runq, r, pending);
		nrunq--;
		req_free(r);
		break;
	case REQ_RUNNING:
		req_audit(r, "CANCEL", "state", "running", (char *)NULL);
		req_stop(r, EXIT_KILLED);
		break;
	default:
		break;
	}
}

const struct request *
req_pending(const char *id)
{
	struct request	 key, *r;

	if (strlen(id) != REQ_ID_LEN)
		return (NULL);
	memcpy(key.id, id, REQ_ID_LEN + 1);
	if ((r = RB_FIND(req_id_tree, &reqs_by_id, &key)) == NULL ||
	    r->state != REQ_PENDING)
		return (NULL);
	return (r);
}

int
req_decide(const char *id, int approve, const char *user, const char *reason)
{
	struct request	 key, *r;
	char		 text[1024];

	if (strlen(id) != REQ_ID_LEN)
		return (-1);
	memcpy(key.id, id, REQ_ID_LEN + 1);
	if ((r = RB_FIND(req_id_tree, &reqs_by_id, &key)) == NULL ||
	    r->state != REQ_PENDING)
		return (-1);
	timer_clear(r);
	TAILQ_REMOVE(&pendingq, r, pending);
	if (approve) {
		if (req_audit(r, "APPROVE", "user", user, "confined",
		    req_confine(r, 0), (char *)NULL) == -1) {
			ui_removed(r, "denied", user);
			req_unaudited(r);
			return (0);
		}
		ui_removed(r, "approved", user);
		r->humane = 1;
		req_start(r, 0);
		return (0);
	}
	req_audit(r, "DENY", "user", user, "reason", reason != NULL &&
	    *reason != '\0' ? reason : "denied by a human", (char *)NULL);
	ui_removed(r, "denied", user);
	if (reason != NULL && *reason != '\0')
		snprintf(text, sizeof(text), "denied by %s: %s", user, reason);
	else
		snprintf(text, sizeof(text), "denied by %s", user);
	req_deny(r, DENY_HUMAN, text);
	return (0);
}

void
req_cloister_gone(const char *name, const char *why)
{
	struct request	*r, *next;
	char		 text[256];

	TAILQ_FOREACH_SAFE(r, &pendingq, pending, next) {
		if (strcmp(r->cloister, name) != 0)
			continue;
		timer_clear(r);
		TAILQ_REMOVE(&pendingq, r, pending);
		req_audit(r, "DENY", "reason", why, (char *)NULL);
		ui_removed(r, "denied", why);
		snprintf(text, sizeof(text), "denied: %s", why);
		req_deny(r, DENY_ERROR, text);
	}
}

/* IMSG_SPAWN_EXITED: its first process ended (the spawner kills the rest). */
static void
req_exited(struct request *r, int status)
{
	struct clcount		*cc;
	struct msg_req_exited	 mx;
	struct msg_ui_finished	 mf;
	struct imsg_enc		 enc;
	char			 dur[32], code[16];
	int64_t			 ms;
	int			 kind, value;

	ms = mono_since_ms(&r->t_started);
	fmt_duration(dur, sizeof(dur), ms);
	if (WIFEXITED(status)) {
		kind = EXIT_EXITED;
		value = WEXITSTATUS(status);
	} else {
		kind = EXIT_SIGNALED;
		value = WTERMSIG(status);
	}
	if (r->stop_kind != 0 && kind == EXIT_SIGNALED)
		kind = r->stop_kind;
	snprintf(code, sizeof(code), "%d", value);
	req_audit(r, "COMPLETE", kind == EXIT_EXITED ? "exit" : "signal",
	    code, "duration", dur, kind == EXIT_TIMEDOUT ? "reason" : NULL,
	    "exec_timeout", (char *)NULL);
	mx.kind = kind;
	mx.code = value;
	mx.ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	msg_req_exited_enc(&enc, &mx);
	to_request(r, IMSG_REQ_EXITED, -1, &enc);
	if (r->humane) {
		mf.id = r->id;
		mf.kind = kind;
		mf.code = value;
		mf.duration = mx.ms;
		msg_ui_finished_enc(&enc, &mf);
		to_ui(IMSG_UI_FINISHED, &enc);
	}
	r->pid = -1;
	cc = clcount_get(r->cloister);
	cc->running--;
	clcount_put(cc);
	req_free(r);
	runq_next();
}

void
req_spawn_msg(struct imsg *imsg)
{
	struct request	*r;
	struct imsg_dec	 dec;
	uint32_t	 v;
	uint8_t		 stream;
	char		*why;
	int		 ok;

	if ((r = req_spawning(imsg->hdr.peerid)) == NULL)
		parent_fatalx("spawner: message %u about command %u, not "
		    "running", imsg->hdr.type, imsg->hdr.peerid);
	imsg_dec_init(&dec, imsg);
	switch (imsg->hdr.type) {
	case IMSG_SPAWN_PIPE:
		stream = imsg_get_u8(&dec);
		ok = imsg_dec_end(&dec) == 0 && imsg->fd != -1 &&
		    r->pid == -1 && (stream == 1 ? r->outfd : stream == 2 ?
		    r->errfd : 0) == -1;
		if (!ok)
			parent_fatalx("spawner: bad pipe");
		if (stream == 1)
			r->outfd = imsg->fd;
		else
			r->errfd = imsg->fd;
		imsg->fd = -1;
		break;
	case IMSG_SPAWNED:
		v = imsg_get_u32(&dec);
		if (imsg_dec_end(&dec) == -1 || v == 0 || v > INT32_MAX ||
		    r->pid != -1 || r->outfd == -1 || r->errfd == -1)
			parent_fatalx("spawner: bad spawned");
		req_spawned(r, (pid_t)v);
		break;
	case IMSG_SPAWN_FAIL:
		v = imsg_get_u32(&dec);
		why = imsg_get_str(&dec);
		if (imsg_dec_end(&dec) == -1 || v == 0 || v > INT32_MAX ||
		    why == NULL || strlen(why) > SPAWN_WHY_MAX ||
		    !utf8_valid(why, strlen(why)) || r->pid != -1)
			parent_fatalx("spawner: bad spawn failure");
		req_spawn_fail(r, (int)v, why);
		free(why);
		break;
	case IMSG_SPAWN_EXITED:
		v = imsg_get_u32(&dec);
		if (imsg_dec_end(&dec) == -1 || r->pid == -1 ||
		    !(WIFEXITED((int)v) || WIFSIGNALED((int)v)))
			parent_fatalx("spawner: bad exit status");
		req_exited(r, (int)v);
		break;
	default:
		parent_fatalx("spawner: message type %u", imsg->hdr.type);
	}
}

void
req_foreach_pending(void (*cb)(const struct request *, void *), void *arg)
{
	struct request	*r;

	TAILQ_FOREACH(r, &pendingq, pending)
		cb(r, arg);
}

/*
 * Shutting down: every client still waiting (for its check, a human,
 * or a free slot) is told so, rather than left to find its connection
 * gone.
 */
void
req_shutdown_answer(void)
{
	struct request	*r, *next;
	struct req_queue *queues[] = { &waitq, &checking, &pendingq, &runq };
	size_t		 i;

	for (i = 0; i < sizeof(queues) / sizeof(queues[0]); i++)
		TAILQ_FOREACH_SAFE(r, queues[i], pending, next) {
			TAILQ_REMOVE(queues[i], r, pending);
			timer_clear(r);
			req_audit(r, "DENY", "reason", "guardiand is shutting "
			    "down", (char *)NULL);
			req_deny(r, DENY_ERROR, "guardiand is shutting down");
		}
}

void
req_shutdown(void)
{
	struct request	*r, *next;

	/* Their closing records come at the next start (ABORT). */
	RB_FOREACH_SAFE(r, req_id_tree, &reqs_by_id, next)
		if (r->state == REQ_RUNNING)
			req_kill(r, SPAWN_KILL);
}

