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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "log.h"

/*
 * Test hooks, compiled in only for the guardiand-test binary the suite
 * runs: GUARDIAND_TEST_SYSCALL=ROLE:CALL makes that child attempt a
 * system call its sandbox forbids, right after entering it.  The
 * installed guardiand links this file without GUARDIAND_TESTHOOKS:
 * an empty function.
 */

void
testhook_sandboxed(enum role role)
{
#ifdef GUARDIAND_TESTHOOKS
	struct sockaddr_in	 sin;
	const char		*spec, *call;
	size_t			 len;
	char			*argv[] = { "true", NULL };

	if ((spec = getenv("GUARDIAND_TEST_SYSCALL")) == NULL)
		return;
	len = strlen(role_name(role));
	if (strncmp(spec, role_name(role), len) != 0 || spec[len] != ':')
		return;
	call = spec + len + 1;
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
