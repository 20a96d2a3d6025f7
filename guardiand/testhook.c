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
#include <sys/socket.h>

#include <netinet/in.h>

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "log.h"

/*
 * Test hooks, compiled in only for the guardiand-test binary the suite
 * runs; the parent passes its GUARDIAND_TEST_* variables on to the
 * children.  In a child, right after it entered its sandbox:
 * GUARDIAND_TEST_SYSCALL=ROLE:CALL makes that child attempt a system
 * call its sandbox forbids; GUARDIAND_TEST_SEND=ROLE:WHAT makes it send
 * the parent what a compromised child might: a message type its
 * channel does not allow ("forbidden", a decision from the request
 * child), or garbage; GUARDIAND_TEST_FAULT=ROLE:heap|undefined, in the
 * sanitizer build, makes it commit an error the sanitizers report.
 * GUARDIAND_TEST_LOG=ROLE:TEXT makes it log TEXT as it starts and
 * again once sandboxed; GUARDIAND_TEST_ENVIRON (any value) makes every
 * child log the names in its environment as it starts.  In the ui
 * child, when a request is added to the approval page,
 * GUARDIAND_TEST_UI_FORGE=WHAT makes it act as a compromised
 * one that approves it with nobody at the page: "nosession" (an
 * approval naming no session), "session:ID" (naming session ID: one
 * that expired, or made up), "ended:ID" (ending session ID first,
 * then approving through it), or "mint" (reporting a session the
 * parent never opened).  The installed guardiand links this file
 * without GUARDIAND_TESTHOOKS: empty functions.
 */

#ifdef GUARDIAND_TESTHOOKS
#define TESTHOOK_PREFIX		"GUARDIAND_TEST_"

extern char	**environ;

static int
testhook_match(const char *var, enum role role, const char **what)
{
	const char	*spec;
	size_t		 len;

	if ((spec = getenv(var)) == NULL)
		return (0);
	len = strlen(role_name(role));
	if (strncmp(spec, role_name(role), len) != 0 || spec[len] != ':')
		return (0);
	*what = spec + len + 1;
	return (1);
}

static void
testhook_send(enum role role)
{
	struct imsg_hdr	 hdr;
	unsigned char	 junk[64];
	const char	*what;
	size_t		 i;

	if (!testhook_match("GUARDIAND_TEST_SEND", role, &what))
		return;
	log_warnx("test hook: sending %s", what);
	memset(&hdr, 0, sizeof(hdr));
	if (strcmp(what, "forbidden") == 0) {
		hdr.type = role == ROLE_UI ? IMSG_REQ_NEW : IMSG_UI_APPROVE;
		hdr.len = sizeof(hdr);
		if (write(PARENT_SOCK_FILENO, &hdr, sizeof(hdr)) == -1)
			log_warn("test hook: write");
	} else if (strcmp(what, "garbage") == 0) {
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = 0xff - i;
		if (write(PARENT_SOCK_FILENO, junk, sizeof(junk)) == -1)
			log_warn("test hook: write");
	}
}

/* A made-up approval UI session for "mint": any well-formed one. */
static void
testhook_mint(struct imsgev *iev)
{
	struct imsg_enc	 enc;
	char		 id[UI_SECRET_LEN + 1], csrf[UI_SECRET_LEN + 1];

	memset(id, 'a', UI_SECRET_LEN);
	id[UI_SECRET_LEN] = '\0';
	memset(csrf, 'b', UI_SECRET_LEN);
	csrf[UI_SECRET_LEN] = '\0';
	imsg_enc_init(&enc);
	imsg_put_str(&enc, id);
	imsg_put_str(&enc, csrf);
	imsg_put_u32(&enc, 1000);
	imsg_put_u64(&enc, now_ms() + 3600 * 1000);
	if (imsgev_compose_enc(iev, IMSG_UI_SESSION, 0, -1, &enc) == -1)
		fatal("compose");
}

/* Log the names in our environment, never their values. */
static void
testhook_environ(void)
{
	char	 names[1024], **e;
	size_t	 len = 0, n;

	if (getenv(TESTHOOK_PREFIX "ENVIRON") == NULL)
		return;
	names[0] = '\0';
	for (e = environ; *e != NULL; e++) {
		n = strcspn(*e, "=");
		if (len + n + 2 > sizeof(names))
			break;
		names[len++] = ' ';
		memcpy(names + len, *e, n);
		len += n;
		names[len] = '\0';
	}
	log_info("test hook: environment:%s", names);
}

#ifdef GUARDIAND_SANITIZE
/* An error each sanitizer must catch, inside the sandbox. */
static void
testhook_fault(enum role role)
{
	volatile char	*p;
	volatile size_t	 n = 8;	/* a size UBSan cannot see: for ASan */
	volatile int	 i = INT_MAX;
	const char	*what;

	if (!testhook_match(TESTHOOK_PREFIX "FAULT", role, &what))
		return;
	log_warnx("test hook: fault %s", what);
	if (strcmp(what, "heap") == 0) {
		if ((p = malloc(n)) == NULL)
			return;
		p[n] = 1;
		free((void *)p);
	} else if (strcmp(what, "undefined") == 0) {
		i++;
		log_warnx("test hook: INT_MAX + 1 is %d", i);
	}
}
#endif
#endif

/*
 * Add the parent's GUARDIAND_TEST_* variables to a child's environment
 * envp, which holds n and room for max: the new count.
 */
size_t
testhook_env(char **envp, size_t n, size_t max)
{
#ifdef GUARDIAND_TESTHOOKS
	char	**e;

	for (e = environ; *e != NULL && n < max; e++)
		if (strncmp(*e, TESTHOOK_PREFIX,
		    strlen(TESTHOOK_PREFIX)) == 0)
			envp[n++] = *e;
#endif
	return (n);
}

/* A child, as it starts: its log already goes to the parent. */
void
testhook_start(enum role role)
{
#ifdef GUARDIAND_TESTHOOKS
	const char	*text;

	testhook_environ();
	if (testhook_match(TESTHOOK_PREFIX "LOG", role, &text))
		log_info("test hook: log at start: %s", text);
#endif
}

/* The ui child heard of a new pending request. */
void
testhook_ui_added(struct imsgev *iev, const char *id)
{
#ifdef GUARDIAND_TESTHOOKS
	struct imsg_enc	 enc;
	const char	*what, *sid;

	if ((what = getenv("GUARDIAND_TEST_UI_FORGE")) == NULL)
		return;
	log_warnx("test hook: forging %s for request %s", what, id);
	if (strcmp(what, "mint") == 0) {
		testhook_mint(iev);
		return;
	}
	if (strcmp(what, "nosession") == 0)
		sid = "";
	else if (strncmp(what, "session:", 8) == 0)
		sid = what + 8;
	else if (strncmp(what, "ended:", 6) == 0) {
		sid = what + 6;
		imsg_enc_init(&enc);
		imsg_put_str(&enc, sid);
		if (imsgev_compose_enc(iev, IMSG_UI_SESSION_END, 0, -1,
		    &enc) == -1)
			fatal("compose");
	} else
		return;
	/* No browser waits for the answer: a number none of ours. */
	imsg_enc_init(&enc);
	imsg_put_str(&enc, id);
	imsg_put_str(&enc, sid);
	if (imsgev_compose_enc(iev, IMSG_UI_APPROVE, UINT32_MAX, -1,
	    &enc) == -1)
		fatal("compose");
#endif
}

void
testhook_sandboxed(enum role role)
{
#ifdef GUARDIAND_TESTHOOKS
	struct sockaddr_in	 sin;
	const char		*call, *text;
	char			*argv[] = { "true", NULL };

	if (testhook_match(TESTHOOK_PREFIX "LOG", role, &text))
		log_info("test hook: log at sandboxed: %s", text);
#ifdef GUARDIAND_SANITIZE
	testhook_fault(role);
#endif
	testhook_send(role);
	if (!testhook_match("GUARDIAND_TEST_SYSCALL", role, &call))
		return;
	log_warnx("test hook: attempting %s", call);
	if (strcmp(call, "open") == 0)
		(void)open("/etc/passwd", O_RDONLY);
	else if (strcmp(call, "execve") == 0)
		(void)execve("/bin/true", argv, NULL);
	else if (strcmp(call, "socket") == 0)
		(void)socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(call, "connect") == 0) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(9);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		(void)connect(PARENT_SOCK_FILENO, (struct sockaddr *)&sin,
		    sizeof(sin));
	} else if (strcmp(call, "fork") == 0)
		(void)fork();
	log_warnx("test hook: %s returned: sandbox did not hold", call);
#endif
}
