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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <linux/filter.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
 * call its sandbox forbids, in a way that would succeed without the
 * sandbox; GUARDIAND_TEST_SEND=ROLE:WHAT makes it send
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

/* Raw bytes on the channel, the way imsg_write() sends them. */
static void
send_raw(const void *buf, size_t len)
{
	struct iovec	 iov;

	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	if (writev(PARENT_SOCK_FILENO, &iov, 1) == -1)
		log_warn("test hook: writev");
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
		send_raw(&hdr, sizeof(hdr));
	} else if (strcmp(what, "garbage") == 0) {
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = 0xff - i;
		send_raw(junk, sizeof(junk));
	}
}

/* One byte and, with it, fd: what a child must never hand anyone. */
static void
sendfd(int sock, int fd)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = "x";
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	(void)sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/*
 * The next fd the parent passes, reading (and dropping) the channel's
 * bytes ourselves; -1 once it says nothing for a few seconds.
 */
static int
recvfd(void)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	struct pollfd	 pfd;
	unsigned char	 buf[4096];
	int		 fd;

	pfd.fd = PARENT_SOCK_FILENO;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 5000) == 1) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		if (recvmsg(PARENT_SOCK_FILENO, &msg, 0) <= 0)
			return (-1);
		cm = CMSG_FIRSTHDR(&msg);
		if (cm != NULL && cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS) {
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
			return (fd);
		}
	}
	return (-1);
}

/*
 * What a compromised request child would do with sendmsg(2): take the
 * next client of a unix-socket listener and hand it the channel to
 * the parent.  Without a unix listener, the channel goes to the
 * parent itself, which would succeed as well.
 */
static void
sendfd_attempt(enum role role)
{
	struct sockaddr_storage	 ss;
	struct pollfd		 pfd;
	socklen_t		 len;
	int			 fd, c;

	while (role == ROLE_REQUEST && (fd = recvfd()) != -1) {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
		    ss.ss_family != AF_UNIX)
			continue;
		log_warnx("test hook: waiting for a unix-socket client");
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10000) != 1 || (c = accept4(fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
			break;
		sendfd(c, PARENT_SOCK_FILENO);
		return;
	}
	sendfd(PARENT_SOCK_FILENO, PARENT_SOCK_FILENO);
}

/* A socket filter on the channel: setsockopt(2) beyond the allowed. */
static void
attach_filter(void)
{
	struct sock_filter	 insn = BPF_STMT(BPF_RET | BPF_K, 0xffff);
	struct sock_fprog	 prog;

	prog.len = 1;
	prog.filter = &insn;
	(void)setsockopt(PARENT_SOCK_FILENO, SOL_SOCKET, SO_ATTACH_FILTER,
	    &prog, sizeof(prog));
}

/* Executable memory: mapped so, or made so. */
static void
exec_memory(int remap)
{
	void	*p;

	if (!remap) {
		(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
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
	imsg_put_u32(&enc, 0);
	imsg_put_u8(&enc, 0);
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
	else if (strcmp(call, "sendmsg") == 0)
		sendfd_attempt(role);
	else if (strcmp(call, "setsockopt") == 0)
		attach_filter();
	else if (strcmp(call, "mmap") == 0)
		exec_memory(0);
	else if (strcmp(call, "mprotect") == 0)
		exec_memory(1);
	log_warnx("test hook: %s returned: sandbox did not hold", call);
#endif
}

/*
 * In the parent, as a request or grant id is made:
 * GUARDIAND_TEST_ID_PREFIX=HEX makes every id begin with HEX, so
 * that ids sharing a prefix, which chance gives one time in 65536,
 * can be tested.
 */
void
testhook_id(char *id, size_t len)
{
#ifdef GUARDIAND_TESTHOOKS
	const char	*p;
	size_t		 i;

	if ((p = getenv(TESTHOOK_PREFIX "ID_PREFIX")) == NULL)
		return;
	for (i = 0; p[i] != '\0' && i < len; i++)
		if (strchr("0123456789abcdef", p[i]) != NULL)
			id[i] = p[i];
#endif
}

/*
 * In the parent: GUARDIAND_TEST_WATCH_QUEUE=BYTES is how much a
 * watcher may leave unread before it is dropped, so that a test can
 * make one fall behind without megabytes of events.
 */
size_t
testhook_watch_queue(size_t dflt)
{
#ifdef GUARDIAND_TESTHOOKS
	const char	*p;
	long long	 n;

	if ((p = getenv(TESTHOOK_PREFIX "WATCH_QUEUE")) != NULL &&
	    (n = strtonum(p, 1, dflt, NULL)) > 0)
		return ((size_t)n);
#endif
	return (dflt);
}
