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
 * The approval UI's sessions in the parent (guardiand/parent_uisession.c):
 * the state file `ui-sessions`, loaded at start, and the two messages
 * of the ui child about sessions, IMSG_UI_LOGIN and
 * IMSG_UI_SESSION_END.  The input is the file, then after a NUL byte
 * the messages: a type byte (odd: login, even: session end), a length
 * byte, the payload.  The clock stands still.  parent_fatalx() is
 * defined here: it jumps back,
 * so a message the parent refuses as a protocol violation (which
 * takes the daemon down) ends that message, not the test.
 *
 * Oracle: a file that loads gives exactly its unexpired sessions,
 * each of which names its number to uisession_user(); a file that
 * does not load gives none.  A message either is refused or changes
 * no more than it may: a login with an unknown secret fails (no
 * session appears), a session end removes at most that session.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "parent.h"

/* guardiand.c is not in the library. */
int	 guardiand_debug;
int	 guardiand_verbose;

static struct config	 conf;
static char		*path;
static struct imsgev	 ui;
static int		 sp[2];
static jmp_buf		 violation;

/*
 * A fixed clock, so that the sessions of the committed corpus stay
 * live (at most UI_SESSION_TTL ahead) and the replay never changes:
 * 2026-01-01T00:00:00Z.
 */
#define NOW	1767225600000LL

int64_t
now_ms(void)
{
	return (NOW);
}

/* The parent's reaction to a protocol violation, caught. */
void
parent_fatalx(const char *fmt, ...)
{
	longjmp(violation, 1);
}

static void
ui_handler(int fd, short event, void *arg)
{
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[512];

	log_setsink(fuzz_log_sink);
	event_init();
	TAILQ_INIT(&conf.cloisters);
	conf.state_dir = (char *)fuzz_tmpdir();
	if (registry_init(&conf, err, sizeof(err)) == -1 ||
	    asprintf(&path, "%s/ui-sessions", conf.state_dir) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == -1 ||
	    imsgev_init(&ui, sp[0], ui_handler, NULL) == -1)
		abort();
	return (0);
}

/* What the parent sent the ui child: read and forgotten. */
static void
drain(void)
{
	char	 buf[4096];

	if (imsg_write(&ui.ibuf) == -1)
		abort();
	while (read(sp[1], buf, sizeof(buf)) > 0)
		;
}

/* Each line of a file that loaded, against what the parent holds. */
static void
check_file(const uint8_t *data, size_t size)
{
	char		*copy, *p, *line, *f[4], user[128], why[64], want[64];
	long long	 expires;
	size_t		 live = 0;
	int		 i;

	if ((copy = strndup((const char *)data, size)) == NULL)
		abort();
	for (p = copy; (line = strsep(&p, "\n")) != NULL; ) {
		if (*line == '\0' || *line == '#')
			continue;
		for (i = 0; i < 4; i++)
			FUZZ_CHECK((f[i] = strsep(&line, "\t")) != NULL);
		FUZZ_CHECK(line == NULL);
		expires = strtoll(f[3], NULL, 10);
		if (expires <= NOW)
			continue;
		live++;
		FUZZ_CHECK(uisession_user(f[0], user, sizeof(user), why,
		    sizeof(why)) == 0);
		snprintf(want, sizeof(want), "(web UI, session %s)", f[2]);
		FUZZ_CHECK(strstr(user, want) != NULL);
	}
	FUZZ_CHECK(uisession_count() == live);
	free(copy);
}

static void
message(int login, const uint8_t *p, size_t len)
{
	struct imsg	 imsg;
	size_t		 before = uisession_count();

	memset(&imsg, 0, sizeof(imsg));
	imsg.hdr.type = login ? IMSG_UI_LOGIN : IMSG_UI_SESSION_END;
	imsg.hdr.len = IMSG_HDR_SIZE + len;
	imsg.hdr.peerid = 7;
	imsg.fd = -1;
	imsg.datalen = len;
	if (len > 0) {
		if ((imsg.data = malloc(len)) == NULL)
			abort();
		memcpy(imsg.data, p, len);
	}
	if (setjmp(violation) == 0) {
		if (login) {
			uisession_login(&imsg, &ui);
			/* Nobody asked for a login link: it fails. */
			FUZZ_CHECK(uisession_count() <= before);
		} else {
			uisession_end(&imsg);
			FUZZ_CHECK(uisession_count() <= before &&
			    uisession_count() + 1 >= before);
		}
	}
	imsg_free(&imsg);
	drain();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nul, *p, *end;
	size_t		 n, len;
	int		 type;

	nul = memchr(data, '\0', size);
	n = nul != NULL ? (size_t)(nul - data) : size;
	fuzz_write(path, data, n);
	uisession_init();
	if (uisession_count() > 0)
		check_file(data, n);
	if (nul != NULL) {
		for (p = nul + 1, end = data + size; p < end; p += len) {
			type = *p++;
			len = p < end ? *p++ : 0;
			if (len > (size_t)(end - p))
				len = end - p;
			message(type & 1, p, len);
		}
	}
	uisession_free();
	return (0);
}
