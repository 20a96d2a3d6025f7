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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "control.h"
#include "imsg.h"
#include "parent.h"

/*
 * A control client's request, decoded and checked apart from the
 * socket it came on, so the fuzz tests (regress/fuzz) run it alone.
 */

/*
 * The request in imsg, into m: 0, or -1 if it is not one (unknown
 * type, a passed fd, a payload that does not decode exactly).
 */
int
ctl_decode(const struct imsg *imsg, struct ctl_msg *m)
{
	struct imsg_dec	 dec;

	memset(m, 0, sizeof(*m));
	m->type = imsg->hdr.type;
	if (imsg->fd != -1)
		return (-1);
	imsg_dec_init(&dec, imsg);
	switch (imsg->hdr.type) {
	case CTL_STATUS:
	case CTL_SHOW_REQUESTS:
	case CTL_SHOW_CLOISTERS:
	case CTL_RELOAD:
	case CTL_UI:
	case CTL_LOG_VERBOSE:
	case CTL_LOG_BRIEF:
	case CTL_SHOW_GRANTS:
	case CTL_WATCH:
		break;
	case CTL_APPROVE:
	case CTL_APPROVE_ALWAYS:
	case CTL_UNREGISTER:
	case CTL_REVOKE:
		m->a = imsg_get_str(&dec);
		break;
	case CTL_APPROVE_FOR:
		m->a = imsg_get_str(&dec);
		m->secs = imsg_get_u32(&dec);
		break;
	case CTL_DENY_FOR:
		m->a = imsg_get_str(&dec);
		m->secs = imsg_get_u32(&dec);
		m->b = imsg_get_str(&dec);
		break;
	case CTL_DENY:
		m->a = imsg_get_str(&dec);
		m->b = imsg_get_str(&dec);
		break;
	case CTL_REGISTER:
		m->a = imsg_get_str(&dec);
		m->b = imsg_get_str(&dec);
		m->c = imsg_get_str(&dec);
		m->d = imsg_get_str(&dec);
		break;
	default:
		return (-1);
	}
	if (imsg_dec_end(&dec) == -1) {
		ctl_msg_clear(m);
		return (-1);
	}
	return (0);
}

/* Frees the strings; d, a token, is wiped. */
void
ctl_msg_clear(struct ctl_msg *m)
{
	free(m->a);
	free(m->b);
	free(m->c);
	if (m->d != NULL)
		freezero(m->d, strlen(m->d));
	m->a = m->b = m->c = m->d = NULL;
}

/* s, safe to echo in a message: bounded, control characters escaped. */
const char *
ctl_printable(const char *s, char *buf, size_t len)
{
	size_t	 i, o = 0;

	for (i = 0; s[i] != '\0' && o + 5 < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			o += snprintf(buf + o, len - o, "\\x%02x",
			    (unsigned char)s[i]);
		else
			buf[o++] = s[i];
	}
	buf[o] = '\0';
	return (buf);
}

/* Printable UTF-8, no control characters (C0, DEL, C1), bounded. */
int
ctl_valid_reason(const char *s)
{
	size_t	 i, len = strlen(s);

	if (len > CTL_REASON_MAX || !utf8_valid(s, len))
		return (0);
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (0);
		/* C1: U+0080-U+009F, c2 80 - c2 9f. */
		if ((unsigned char)s[i] == 0xc2 && i + 1 < len &&
		    (unsigned char)s[i + 1] < 0xa0)
			return (0);
	}
	return (1);
}
