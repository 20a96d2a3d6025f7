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

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"
#include "log.h"
#include "msg.h"

/*
 * What the tables of handlers have in common, and the arguments of a
 * command as the request and policy channels carry them: u32 argc
 * (1 to REQ_ARGV_MAX), then argc strings.
 */

_Static_assert(IMSG_MAX <= 64, "MSG_ONCE keeps a bit per message type");

const struct msg_handler *
msg_handler(const struct msg_handler *table, uint32_t type)
{
	const struct msg_handler	*h;

	for (h = table; h->type != IMSG_NONE; h++)
		if (h->type == type)
			return (h);
	return (NULL);
}

const char *
msg_refused(const struct msg_handler *h, const struct imsg *imsg,
    uint64_t *seen)
{
	uint64_t	 bit = 1ULL << h->type;

	if ((h->flags & MSG_EMPTY) && imsg->datalen != 0)
		return ("a payload");
	if (h->flags & MSG_ONCE) {
		if (*seen & bit)
			return ("a second time");
		*seen |= bit;
	}
	return (NULL);
}

void
msg_put_argv(struct imsg_enc *enc, uint32_t argc, char *const *argv)
{
	uint32_t	 i;

	imsg_put_u32(enc, argc);
	for (i = 0; i < argc; i++)
		imsg_put_str(enc, argv[i]);
}

/* The arguments, argv[argc] NULL; NULL if they do not decode. */
char **
msg_get_argv(struct imsg_dec *dec, uint32_t *argcp)
{
	char		**argv;
	uint32_t	  argc, i;

	*argcp = 0;
	argc = imsg_get_u32(dec);
	if (dec->error || argc == 0 || argc > REQ_ARGV_MAX)
		return (NULL);
	if ((argv = calloc(argc + 1, sizeof(*argv))) == NULL)
		fatal(NULL);
	for (i = 0; i < argc; i++)
		if ((argv[i] = imsg_get_str(dec)) == NULL) {
			msg_argv_free(argv, i);
			return (NULL);
		}
	*argcp = argc;
	return (argv);
}

void
msg_argv_free(char **argv, uint32_t argc)
{
	uint32_t	 i;

	if (argv == NULL)
		return;
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

void
msg_sfree(char *s)
{
	if (s != NULL)
		freezero(s, strlen(s));
}
