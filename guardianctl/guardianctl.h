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

#ifndef GUARDIANCTL_H
#define GUARDIANCTL_H

#include <stdint.h>

#include "imsg.h"

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

/* guardianctl.c */
__dead void	 usage(void);
__dead void	 die(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
int		 ctl_connect(const char *);
void		 send_request(struct imsgbuf *, uint32_t,
		    struct imsg_enc *);
char		*sanitize(const char *);
uint32_t	 grant_duration(const char *);

/* watch.c: guardianctl watch; the exit status. */
int		 watch(const char *);

#include "risk.h"

#endif /* GUARDIANCTL_H */
