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

#ifndef TIMEUTIL_H
#define TIMEUTIL_H

#include <stdint.h>

struct timespec;

/*
 * timeutil.c, for guardiand, guardianctl and hostexec (libc only):
 * now_ms(), wall-clock milliseconds since the epoch; mono_now_ms(),
 * monotonic milliseconds; mono_since_ms(since), the monotonic
 * milliseconds since a CLOCK_MONOTONIC reading.
 */
int64_t	 now_ms(void);
int64_t	 mono_now_ms(void);
int64_t	 mono_since_ms(const struct timespec *);

#endif /* TIMEUTIL_H */
