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
 * The request, policy and ui channels' messages (msg_request.c,
 * msg_policy.c, msg_ui.c): each encoded from its struct decodes to the same
 * struct; every shorter payload, a byte more, or a field out of its
 * bounds is refused, leaving nothing allocated (the sanitizer build
 * checks for leaks); and the tables of handlers (msg.c) find what
 * they name, refuse a payload where none belongs and a second
 * message of a type allowed once.
 */

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control.h"
#include "frame.h"
#include "guardiand.h"
#include "msg.h"
#include "ruleset.h"

/* guardiand.c is not in the library. */
int	 guardiand_debug;
int	 guardiand_verbose;

/* What enc holds, as a received message (with a descriptor if fd). */
static void
as_imsg(struct imsg *imsg, const struct imsg_enc *enc, int fd)
{
	assert_int_equal(enc->error, 0);
	memset(imsg, 0, sizeof(*imsg));
	imsg->data = enc->buf;
	imsg->datalen = enc->len;
	imsg->fd = fd;
}

/* One decoder, freeing what it returned: 0 if it took the message. */
typedef int (*decoder)(const struct imsg *);

/*
 * Every payload but the whole one is refused: each one shorter, and
 * the whole one with a byte more.
 */
static void
refuses_cut_and_trailing(const struct imsg_enc *enc, int fd, decoder dec)
{
	struct imsg	 imsg;
	unsigned char	*buf;
	size_t		 len;

	as_imsg(&imsg, enc, fd);
	assert_int_equal(dec(&imsg), 0);
	for (len = 0; len < enc->len; len++) {
		imsg.datalen = len;
		assert_int_equal(dec(&imsg), -1);
	}
	assert_non_null(buf = malloc(enc->len + 1));
	memcpy(buf, enc->buf, enc->len);
	buf[enc->len] = 0;
	imsg.data = buf;
	imsg.datalen = enc->len + 1;
	assert_int_equal(dec(&imsg), -1);
	free(buf);
}

static int
dec_req_new(const struct imsg *imsg)
{
	struct msg_req_new	 m;

	if (msg_req_new_dec(imsg, &m) == -1)
		return (-1);
	msg_req_new_clear(&m);
	return (0);
}

static char *ls_argv[] = { "ls", "-l", "caf\xc3\xa9", "", NULL };

static void
req_new_fill(struct msg_req_new *m)
{
	m->mode = REQ_MODE_STREAM;
	m->token = "token-aaaa";
	m->peer = "127.0.0.1:4242";
	m->door = 7;
	m->argc = 4;
	m->argv = ls_argv;
}

/* m encoded, then decoded: -1 if refused. */
static int
req_new_try(const struct msg_req_new *m)
{
	struct imsg_enc	 enc;
	struct imsg	 imsg;
	int		 rv;

	msg_req_new_enc(&enc, m);
	as_imsg(&imsg, &enc, -1);
	rv = dec_req_new(&imsg);
	imsg_enc_free(&enc);
	return (rv);
}

static void
test_req_new(void **state)
{
	struct msg_req_new	 m, d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;
	char			*big[2], peer[MSG_PEER_MAX + 2];
	uint32_t		 i;

	req_new_fill(&m);
	msg_req_new_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_req_new_dec(&imsg, &d), 0);
	assert_int_equal(d.mode, m.mode);
	assert_string_equal(d.token, m.token);
	assert_string_equal(d.peer, m.peer);
	assert_int_equal(d.door, m.door);
	assert_int_equal(d.argc, m.argc);
	for (i = 0; i < m.argc; i++)
		assert_string_equal(d.argv[i], m.argv[i]);
	assert_null(d.argv[d.argc]);
	msg_req_new_clear(&d);
	assert_null(d.token);
	refuses_cut_and_trailing(&enc, -1, dec_req_new);
	imsg_enc_free(&enc);

	/* Each bound of the layout. */
	req_new_fill(&m);
	m.mode = REQ_MODE_BUFFERED;
	assert_int_equal(req_new_try(&m), 0);
	m.mode = 2;
	assert_int_equal(req_new_try(&m), -1);
	req_new_fill(&m);
	m.argc = 0;
	assert_int_equal(req_new_try(&m), -1);
	req_new_fill(&m);
	m.argv = (char *[]){ "ls", "\xc3", NULL };
	m.argc = 2;
	assert_int_equal(req_new_try(&m), -1);
	req_new_fill(&m);
	memset(peer, 'p', sizeof(peer) - 1);
	peer[MSG_PEER_MAX] = '\0';
	m.peer = peer;
	assert_int_equal(req_new_try(&m), 0);
	peer[MSG_PEER_MAX] = 'p';
	peer[MSG_PEER_MAX + 1] = '\0';
	assert_int_equal(req_new_try(&m), -1);
	/* REQ_ARGV_MAX bytes of arguments in all, not one more. */
	req_new_fill(&m);
	assert_non_null(big[0] = malloc(REQ_ARGV_MAX + 2));
	memset(big[0], 'a', REQ_ARGV_MAX + 1);
	big[0][REQ_ARGV_MAX] = '\0';
	big[1] = NULL;
	m.argv = big;
	m.argc = 1;
	assert_int_equal(req_new_try(&m), 0);
	big[0][REQ_ARGV_MAX] = 'a';
	big[0][REQ_ARGV_MAX + 1] = '\0';
	assert_int_equal(req_new_try(&m), -1);
	free(big[0]);
}

static int
dec_req_reject(const struct imsg *imsg)
{
	struct msg_req_reject	 m;

	if (msg_req_reject_dec(imsg, &m) == -1)
		return (-1);
	free(m.reason);
	return (0);
}

static void
test_req_reject(void **state)
{
	struct msg_req_reject	 m = { 401, "unknown or missing token", 250 };
	struct msg_req_reject	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_req_reject_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_req_reject_dec(&imsg, &d), 0);
	assert_int_equal(d.status, m.status);
	assert_string_equal(d.reason, m.reason);
	assert_int_equal(d.delay, m.delay);
	free(d.reason);
	refuses_cut_and_trailing(&enc, -1, dec_req_reject);
	imsg_enc_free(&enc);
}

static int
dec_req_queued(const struct imsg *imsg)
{
	struct msg_req_queued	 m;

	if (msg_req_queued_dec(imsg, &m) == -1)
		return (-1);
	free(m.text);
	return (0);
}

static void
test_req_queued(void **state)
{
	struct msg_req_queued	 m = { "waiting for approval",
				    1795000000123ULL };
	struct msg_req_queued	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_req_queued_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_req_queued_dec(&imsg, &d), 0);
	assert_string_equal(d.text, m.text);
	assert_true(d.expires == m.expires);
	free(d.text);
	refuses_cut_and_trailing(&enc, -1, dec_req_queued);
	imsg_enc_free(&enc);
}

static int
dec_req_pipe(const struct imsg *imsg)
{
	struct msg_req_pipe	 m;

	return (msg_req_pipe_dec(imsg, &m));
}

static void
test_req_pipe(void **state)
{
	struct msg_req_pipe	 m, d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	for (m.stream = 0; m.stream < 4; m.stream++) {
		msg_req_pipe_enc(&enc, &m);
		/* The descriptor is only looked at, never used. */
		as_imsg(&imsg, &enc, 5);
		if (m.stream == 1 || m.stream == 2) {
			assert_int_equal(msg_req_pipe_dec(&imsg, &d), 0);
			assert_int_equal(d.stream, m.stream);
			refuses_cut_and_trailing(&enc, 5, dec_req_pipe);
			/* A pipe message without its pipe. */
			imsg.fd = -1;
		}
		assert_int_equal(msg_req_pipe_dec(&imsg, &d), -1);
		imsg_enc_free(&enc);
	}
}

static int
dec_req_started(const struct imsg *imsg)
{
	struct msg_req_started	 m;

	if (msg_req_started_dec(imsg, &m) == -1)
		return (-1);
	free(m.pattern);
	free(m.text);
	return (0);
}

static void
test_req_started(void **state)
{
	struct msg_req_started	 m = { 1, "^ls( |$)", "auto-approved" };
	struct msg_req_started	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_req_started_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_req_started_dec(&imsg, &d), 0);
	assert_int_equal(d.automatic, 1);
	assert_string_equal(d.pattern, m.pattern);
	assert_string_equal(d.text, m.text);
	free(d.pattern);
	free(d.text);
	refuses_cut_and_trailing(&enc, -1, dec_req_started);
	imsg_enc_free(&enc);
}

static int
dec_req_denied(const struct imsg *imsg)
{
	struct msg_req_denied	 m;

	if (msg_req_denied_dec(imsg, &m) == -1)
		return (-1);
	free(m.text);
	return (0);
}

static void
test_req_denied(void **state)
{
	struct msg_req_denied	 m = { DENY_BUSY, "guardiand is busy" };
	struct msg_req_denied	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_req_denied_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_req_denied_dec(&imsg, &d), 0);
	assert_int_equal(d.reason, DENY_BUSY);
	assert_string_equal(d.text, m.text);
	free(d.text);
	refuses_cut_and_trailing(&enc, -1, dec_req_denied);
	imsg_enc_free(&enc);
	m.reason = DENY_BUSY + 1;
	msg_req_denied_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(dec_req_denied(&imsg), -1);
	imsg_enc_free(&enc);
}

static int
dec_req_exited(const struct imsg *imsg)
{
	struct msg_req_exited	 m;

	return (msg_req_exited_dec(imsg, &m));
}

static void
test_req_exited(void **state)
{
	struct msg_req_exited	 m = { EXIT_KILLED, 9, 123456 };
	struct msg_req_exited	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_req_exited_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_req_exited_dec(&imsg, &d), 0);
	assert_int_equal(d.kind, m.kind);
	assert_int_equal(d.code, m.code);
	assert_int_equal(d.ms, m.ms);
	refuses_cut_and_trailing(&enc, -1, dec_req_exited);
	imsg_enc_free(&enc);
	m.kind = EXIT_KILLED + 1;
	msg_req_exited_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(dec_req_exited(&imsg), -1);
	imsg_enc_free(&enc);
}

static int
dec_policy_pattern(const struct imsg *imsg)
{
	struct msg_policy_pattern	 m;

	if (msg_policy_pattern_dec(imsg, &m) == -1)
		return (-1);
	msg_policy_pattern_clear(&m);
	return (0);
}

static void
test_policy_pattern(void **state)
{
	struct msg_policy_pattern	 m = { PAT_MANUAL, "proj", "^git ",
					    "/etc/guardiand.conf", 42 };
	struct msg_policy_pattern	 d;
	struct imsg_enc			 enc;
	struct imsg			 imsg;

	msg_policy_pattern_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_policy_pattern_dec(&imsg, &d), 0);
	assert_int_equal(d.kind, m.kind);
	assert_string_equal(d.project, m.project);
	assert_string_equal(d.re, m.re);
	assert_string_equal(d.file, m.file);
	assert_int_equal(d.line, m.line);
	msg_policy_pattern_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_policy_pattern);
	imsg_enc_free(&enc);
	m.kind = PAT_NKINDS;
	msg_policy_pattern_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(dec_policy_pattern(&imsg), -1);
	imsg_enc_free(&enc);
}

static int
dec_policy_check(const struct imsg *imsg)
{
	struct msg_policy_check	 m;

	if (msg_policy_check_dec(imsg, &m) == -1)
		return (-1);
	msg_policy_check_clear(&m);
	return (0);
}

/* m encoded, then decoded: -1 if refused. */
static int
policy_check_try(const struct msg_policy_check *m)
{
	struct imsg_enc	 enc;
	struct imsg	 imsg;
	int		 rv;

	msg_policy_check_enc(&enc, m);
	as_imsg(&imsg, &enc, -1);
	rv = dec_policy_check(&imsg);
	imsg_enc_free(&enc);
	return (rv);
}

static void
test_policy_check(void **state)
{
	struct msg_policy_check	 m = { "proj", 1, 2000, 4, ls_argv };
	struct msg_policy_check	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;
	uint32_t		 i;

	msg_policy_check_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_policy_check_dec(&imsg, &d), 0);
	assert_string_equal(d.project, m.project);
	assert_int_equal(d.default_manual, m.default_manual);
	assert_int_equal(d.budget, m.budget);
	assert_int_equal(d.argc, m.argc);
	for (i = 0; i < m.argc; i++)
		assert_string_equal(d.argv[i], m.argv[i]);
	assert_null(d.argv[d.argc]);
	msg_policy_check_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_policy_check);
	imsg_enc_free(&enc);
	m.budget = 0;
	assert_int_equal(policy_check_try(&m), -1);
	m.budget = 1;
	m.argc = 0;
	assert_int_equal(policy_check_try(&m), -1);
}

static int
dec_policy_loaded(const struct imsg *imsg)
{
	struct msg_policy_loaded	 m;

	if (msg_policy_loaded_dec(imsg, &m) == -1)
		return (-1);
	free(m.errors);
	return (0);
}

static void
test_policy_loaded(void **state)
{
	struct msg_policy_loaded	 m = { 0, "a.rules:3: bad pattern\n" };
	struct msg_policy_loaded	 d;
	struct imsg_enc			 enc;
	struct imsg			 imsg;

	msg_policy_loaded_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_policy_loaded_dec(&imsg, &d), 0);
	assert_int_equal(d.ok, 0);
	assert_string_equal(d.errors, m.errors);
	free(d.errors);
	refuses_cut_and_trailing(&enc, -1, dec_policy_loaded);
	imsg_enc_free(&enc);
	m.ok = 2;
	msg_policy_loaded_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(dec_policy_loaded(&imsg), -1);
	imsg_enc_free(&enc);
}

static int
dec_policy_verdict(const struct imsg *imsg)
{
	struct msg_policy_verdict	 m;

	if (msg_policy_verdict_dec(imsg, &m) == -1)
		return (-1);
	free(m.pattern);
	return (0);
}

static void
test_policy_verdict(void **state)
{
	struct msg_policy_verdict	 m = { VERDICT_AUTO, "^ls", 1 };
	struct msg_policy_verdict	 d;
	struct imsg_enc			 enc;
	struct imsg			 imsg;
	/* verdict, limit: which are taken. */
	static const struct {
		uint8_t	 verdict, limit;
		int	 rv;
	} bounds[] = {
		{ VERDICT_DENY, 2, 0 },
		{ VERDICT_AUTO, 2, -1 },
		{ VERDICT_MANUAL, 0, 0 },
		{ VERDICT_MANUAL + 1, 0, -1 },
		{ VERDICT_DENY, 3, -1 },
	};
	size_t				 i;

	msg_policy_verdict_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_policy_verdict_dec(&imsg, &d), 0);
	assert_int_equal(d.verdict, m.verdict);
	assert_string_equal(d.pattern, m.pattern);
	assert_int_equal(d.limit, m.limit);
	free(d.pattern);
	refuses_cut_and_trailing(&enc, -1, dec_policy_verdict);
	imsg_enc_free(&enc);
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		m.verdict = bounds[i].verdict;
		m.limit = bounds[i].limit;
		msg_policy_verdict_enc(&enc, &m);
		as_imsg(&imsg, &enc, -1);
		assert_int_equal(dec_policy_verdict(&imsg), bounds[i].rv);
		imsg_enc_free(&enc);
	}
}

static int
dec_ui_added(const struct imsg *imsg)
{
	struct msg_ui_added	 m;

	if (msg_ui_added_dec(imsg, &m) == -1)
		return (-1);
	msg_ui_added_clear(&m);
	return (0);
}

/*
 * The layout is the one guardiand.h gives, field by field, the
 * program's flags last.
 */
static void
test_ui_added(void **state)
{
	struct msg_ui_added	 m = { "0123456789abcdef01234567", "box",
				    "proj", "ls -l", "/work/proj",
				    1795000000000ULL, 1795000300000ULL,
				    "no pattern allows it", "^ls", "a.rules",
				    12, "/usr/bin/ls", "", "worktree,symlink" };
	struct msg_ui_added	 d;
	struct imsg_enc		 enc, ref;
	struct imsg		 imsg;

	msg_ui_added_enc(&enc, &m);
	imsg_enc_init(&ref);
	imsg_put_str(&ref, m.id);
	imsg_put_str(&ref, m.cloister);
	imsg_put_str(&ref, m.project);
	imsg_put_str(&ref, m.cmd);
	imsg_put_str(&ref, m.cwd);
	imsg_put_u64(&ref, m.timestamp);
	imsg_put_u64(&ref, m.expires);
	imsg_put_str(&ref, m.why);
	imsg_put_str(&ref, m.pattern);
	imsg_put_str(&ref, m.rule_file);
	imsg_put_u32(&ref, m.rule_line);
	imsg_put_str(&ref, m.program);
	imsg_put_str(&ref, m.program_note);
	imsg_put_str(&ref, m.program_flags);
	assert_int_equal(enc.len, ref.len);
	assert_memory_equal(enc.buf, ref.buf, ref.len);
	imsg_enc_free(&ref);

	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_added_dec(&imsg, &d), 0);
	assert_string_equal(d.id, m.id);
	assert_string_equal(d.cloister, m.cloister);
	assert_string_equal(d.project, m.project);
	assert_string_equal(d.cmd, m.cmd);
	assert_string_equal(d.cwd, m.cwd);
	assert_true(d.timestamp == m.timestamp);
	assert_true(d.expires == m.expires);
	assert_string_equal(d.why, m.why);
	assert_string_equal(d.pattern, m.pattern);
	assert_string_equal(d.rule_file, m.rule_file);
	assert_int_equal(d.rule_line, m.rule_line);
	assert_string_equal(d.program, m.program);
	assert_string_equal(d.program_note, m.program_note);
	assert_string_equal(d.program_flags, m.program_flags);
	msg_ui_added_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_ui_added);
	imsg_enc_free(&enc);
}

static int
dec_ui_removed(const struct imsg *imsg)
{
	struct msg_ui_removed	 m;

	if (msg_ui_removed_dec(imsg, &m) == -1)
		return (-1);
	msg_ui_removed_clear(&m);
	return (0);
}

static void
test_ui_removed(void **state)
{
	struct msg_ui_removed	 m = { "0123456789abcdef01234567",
				    "approved", "alice" };
	struct msg_ui_removed	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_ui_removed_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_removed_dec(&imsg, &d), 0);
	assert_string_equal(d.id, m.id);
	assert_string_equal(d.outcome, m.outcome);
	assert_string_equal(d.user, m.user);
	msg_ui_removed_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_ui_removed);
	imsg_enc_free(&enc);
}

static int
dec_ui_finished(const struct imsg *imsg)
{
	struct msg_ui_finished	 m;

	if (msg_ui_finished_dec(imsg, &m) == -1)
		return (-1);
	free(m.id);
	return (0);
}

static void
test_ui_finished(void **state)
{
	struct msg_ui_finished	 m = { "0123456789abcdef01234567",
				    EXIT_SIGNALED, 15, 3000 };
	struct msg_ui_finished	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_ui_finished_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_finished_dec(&imsg, &d), 0);
	assert_string_equal(d.id, m.id);
	assert_int_equal(d.kind, m.kind);
	assert_int_equal(d.code, m.code);
	assert_int_equal(d.duration, m.duration);
	free(d.id);
	refuses_cut_and_trailing(&enc, -1, dec_ui_finished);
	imsg_enc_free(&enc);
}

static int
dec_ui_decided(const struct imsg *imsg)
{
	struct msg_ui_decided	 m;

	if (msg_ui_decided_dec(imsg, &m) == -1)
		return (-1);
	msg_ui_decided_clear(&m);
	return (0);
}

static void
test_ui_decided(void **state)
{
	struct msg_ui_decided	 m = { 409, "0123456789abcdef01234567",
				    "no rule: the command has a newline" };
	struct msg_ui_decided	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;
	static const uint32_t	 codes[] = { 200, 403, 404, 409 };
	size_t			 i;

	msg_ui_decided_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_decided_dec(&imsg, &d), 0);
	assert_int_equal(d.code, m.code);
	assert_string_equal(d.id, m.id);
	assert_string_equal(d.status, m.status);
	msg_ui_decided_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_ui_decided);
	imsg_enc_free(&enc);
	for (m.code = 0; m.code < 600; m.code++) {
		msg_ui_decided_enc(&enc, &m);
		as_imsg(&imsg, &enc, -1);
		for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
			if (codes[i] == m.code)
				break;
		assert_int_equal(dec_ui_decided(&imsg),
		    i < sizeof(codes) / sizeof(codes[0]) ? 0 : -1);
		imsg_enc_free(&enc);
	}
}

static int
dec_ui_session(const struct imsg *imsg)
{
	struct msg_ui_session	 m;

	if (msg_ui_session_dec(imsg, &m) == -1)
		return (-1);
	msg_ui_session_clear(&m);
	return (0);
}

#define SECRET_A	"0123456789abcdef0123456789abcdef" \
			"0123456789abcdef0123456789abcdef"
#define SECRET_B	"89abcdef89abcdef89abcdef89abcdef" \
			"89abcdef89abcdef89abcdef89abcdef"

static void
test_ui_session(void **state)
{
	struct msg_ui_session	 m = { SECRET_A, SECRET_B, 3,
				    1795000000000ULL };
	struct msg_ui_session	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_ui_session_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_session_dec(&imsg, &d), 0);
	assert_string_equal(d.id, m.id);
	assert_string_equal(d.csrf, m.csrf);
	assert_int_equal(d.num, m.num);
	assert_true(d.expires == m.expires);
	msg_ui_session_clear(&d);
	assert_null(d.id);
	refuses_cut_and_trailing(&enc, -1, dec_ui_session);
	imsg_enc_free(&enc);
}

static int
dec_ui_grant(const struct imsg *imsg)
{
	struct msg_ui_grant	 m;

	if (msg_ui_grant_dec(imsg, &m) == -1)
		return (-1);
	msg_ui_grant_clear(&m);
	return (0);
}

static void
test_ui_grant(void **state)
{
	struct msg_ui_grant	 m = { "g1", "approve", "box", "/work/proj",
				    "make test", 1795000000000ULL, 2 };
	struct msg_ui_grant	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_ui_grant_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_grant_dec(&imsg, &d), 0);
	assert_string_equal(d.id, m.id);
	assert_string_equal(d.decision, m.decision);
	assert_string_equal(d.cloister, m.cloister);
	assert_string_equal(d.folder, m.folder);
	assert_string_equal(d.cmd, m.cmd);
	assert_true(d.expires == m.expires);
	assert_int_equal(d.uses, m.uses);
	msg_ui_grant_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_ui_grant);
	imsg_enc_free(&enc);
}

static int
dec_ui_grant_end(const struct imsg *imsg)
{
	struct msg_ui_grant_end	 m;

	if (msg_ui_grant_end_dec(imsg, &m) == -1)
		return (-1);
	msg_ui_grant_end_clear(&m);
	return (0);
}

static void
test_ui_grant_end(void **state)
{
	struct msg_ui_grant_end	 m = { "g1", "expired" };
	struct msg_ui_grant_end	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_ui_grant_end_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_grant_end_dec(&imsg, &d), 0);
	assert_string_equal(d.id, m.id);
	assert_string_equal(d.why, m.why);
	msg_ui_grant_end_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_ui_grant_end);
	imsg_enc_free(&enc);
}

static int
dec_ui_approve(const struct imsg *imsg)
{
	struct msg_ui_decision	 m;

	if (msg_ui_decision_dec(imsg, 1, &m) == -1)
		return (-1);
	msg_ui_decision_clear(&m);
	return (0);
}

static int
dec_ui_deny(const struct imsg *imsg)
{
	struct msg_ui_decision	 m;

	if (msg_ui_decision_dec(imsg, 0, &m) == -1)
		return (-1);
	msg_ui_decision_clear(&m);
	return (0);
}

/* m encoded, then decoded as its own type: -1 if refused. */
static int
ui_decision_try(const struct msg_ui_decision *m)
{
	struct imsg_enc	 enc;
	struct imsg	 imsg;
	int		 rv;

	msg_ui_decision_enc(&enc, m);
	as_imsg(&imsg, &enc, -1);
	rv = m->approve ? dec_ui_approve(&imsg) : dec_ui_deny(&imsg);
	imsg_enc_free(&enc);
	return (rv);
}

static void
test_ui_decision(void **state)
{
	struct msg_ui_decision	 m = { 0, "0123456789abcdef01234567",
				    SECRET_A, 3600, 0, "not today" };
	struct msg_ui_decision	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;
	char			 reason[1026];

	/* A denial carries its reason, */
	msg_ui_decision_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_decision_dec(&imsg, 0, &d), 0);
	assert_int_equal(d.approve, 0);
	assert_string_equal(d.id, m.id);
	assert_string_equal(d.session, m.session);
	assert_int_equal(d.seconds, m.seconds);
	assert_int_equal(d.always, 0);
	assert_string_equal(d.reason, m.reason);
	msg_ui_decision_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_ui_deny);
	/* which an approval has not: it is a byte too many there. */
	assert_int_equal(dec_ui_approve(&imsg), -1);
	imsg_enc_free(&enc);

	m.approve = 1;
	m.always = 1;
	m.seconds = 0;
	msg_ui_decision_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_decision_dec(&imsg, 1, &d), 0);
	assert_int_equal(d.approve, 1);
	assert_int_equal(d.always, 1);
	assert_null(d.reason);
	msg_ui_decision_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_ui_approve);
	imsg_enc_free(&enc);

	/* The scope: a rule only when approved and for good. */
	m.seconds = 60;
	assert_int_equal(ui_decision_try(&m), -1);
	m.seconds = 0;
	m.always = 2;
	assert_int_equal(ui_decision_try(&m), -1);
	m.approve = 0;
	m.always = 1;
	assert_int_equal(ui_decision_try(&m), -1);
	m.always = 0;
	m.seconds = GRANT_MAX_SECS;
	assert_int_equal(ui_decision_try(&m), 0);
	m.seconds = GRANT_MAX_SECS + 1;
	assert_int_equal(ui_decision_try(&m), -1);
	m.seconds = 0;

	/* The id, the session, the reason: bounded; the reason UTF-8. */
	m.id = "0123456789abcdef012345678";
	assert_int_equal(ui_decision_try(&m), -1);
	m.id = "0123456789abcdef01234567";
	m.session = SECRET_A "0";
	assert_int_equal(ui_decision_try(&m), -1);
	m.session = SECRET_A;
	memset(reason, 'r', 1024);
	reason[1024] = '\0';
	m.reason = reason;
	assert_int_equal(ui_decision_try(&m), 0);
	reason[1024] = 'r';
	reason[1025] = '\0';
	assert_int_equal(ui_decision_try(&m), -1);
	m.reason = "caf\xc3";
	assert_int_equal(ui_decision_try(&m), -1);
}

static int
dec_ui_revoke(const struct imsg *imsg)
{
	struct msg_ui_revoke	 m;

	if (msg_ui_revoke_dec(imsg, &m) == -1)
		return (-1);
	msg_ui_revoke_clear(&m);
	return (0);
}

static void
test_ui_revoke(void **state)
{
	struct msg_ui_revoke	 m = { "0123456789abcdef01234567", SECRET_B };
	struct msg_ui_revoke	 d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_ui_revoke_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_revoke_dec(&imsg, &d), 0);
	assert_string_equal(d.id, m.id);
	assert_string_equal(d.session, m.session);
	msg_ui_revoke_clear(&d);
	refuses_cut_and_trailing(&enc, -1, dec_ui_revoke);
	imsg_enc_free(&enc);
	m.session = SECRET_B "0";
	msg_ui_revoke_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(dec_ui_revoke(&imsg), -1);
	imsg_enc_free(&enc);
}

static int
dec_ui_secret(const struct imsg *imsg)
{
	struct msg_ui_secret	 m;

	if (msg_ui_secret_dec(imsg, &m) == -1)
		return (-1);
	msg_ui_secret_clear(&m);
	return (0);
}

static void
test_ui_secret(void **state)
{
	struct msg_ui_secret	 m = { SECRET_A }, d;
	struct imsg_enc		 enc;
	struct imsg		 imsg;

	msg_ui_secret_enc(&enc, &m);
	as_imsg(&imsg, &enc, -1);
	assert_int_equal(msg_ui_secret_dec(&imsg, &d), 0);
	assert_string_equal(d.secret, m.secret);
	msg_ui_secret_clear(&d);
	assert_null(d.secret);
	refuses_cut_and_trailing(&enc, -1, dec_ui_secret);
	imsg_enc_free(&enc);
}

static int	 taken;

static void
take(void *arg, struct imsg *imsg)
{
	taken++;
}

static void
test_handlers(void **state)
{
	static const struct msg_handler	 table[] = {
		{ IMSG_LOG,	"log",		0,			take },
		{ IMSG_READY,	"ready",	MSG_EMPTY | MSG_ONCE,	take },
		{ IMSG_REQ_CANCEL, "cancel",	MSG_EMPTY,		take },
		{ IMSG_NONE }
	};
	const struct msg_handler	*h;
	struct imsg			 imsg;
	uint64_t			 seen = 0;
	unsigned char			 byte = 0;

	memset(&imsg, 0, sizeof(imsg));
	imsg.fd = -1;
	assert_null(msg_handler(table, IMSG_UI_APPROVE));
	assert_null(msg_handler(table, IMSG_NONE));
	assert_null(msg_handler(table, IMSG_MAX));
	assert_non_null(h = msg_handler(table, IMSG_LOG));
	assert_null(msg_refused(h, &imsg, &seen));
	h->fn(NULL, &imsg);
	assert_int_equal(taken, 1);

	/* Empty: nothing more. */
	assert_non_null(h = msg_handler(table, IMSG_REQ_CANCEL));
	assert_null(msg_refused(h, &imsg, &seen));
	assert_null(msg_refused(h, &imsg, &seen));
	imsg.data = &byte;
	imsg.datalen = 1;
	assert_non_null(msg_refused(h, &imsg, &seen));

	/* Once, and once only. */
	assert_non_null(h = msg_handler(table, IMSG_READY));
	assert_non_null(msg_refused(h, &imsg, &seen));
	imsg.data = NULL;
	imsg.datalen = 0;
	assert_null(msg_refused(h, &imsg, &seen));
	assert_non_null(msg_refused(h, &imsg, &seen));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_new),
		cmocka_unit_test(test_req_reject),
		cmocka_unit_test(test_req_queued),
		cmocka_unit_test(test_req_pipe),
		cmocka_unit_test(test_req_started),
		cmocka_unit_test(test_req_denied),
		cmocka_unit_test(test_req_exited),
		cmocka_unit_test(test_policy_pattern),
		cmocka_unit_test(test_policy_check),
		cmocka_unit_test(test_policy_loaded),
		cmocka_unit_test(test_policy_verdict),
		cmocka_unit_test(test_ui_added),
		cmocka_unit_test(test_ui_removed),
		cmocka_unit_test(test_ui_finished),
		cmocka_unit_test(test_ui_decided),
		cmocka_unit_test(test_ui_session),
		cmocka_unit_test(test_ui_grant),
		cmocka_unit_test(test_ui_grant_end),
		cmocka_unit_test(test_ui_decision),
		cmocka_unit_test(test_ui_revoke),
		cmocka_unit_test(test_ui_secret),
		cmocka_unit_test(test_handlers),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
