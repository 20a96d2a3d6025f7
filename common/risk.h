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

#ifndef RISK_H
#define RISK_H

#include <stddef.h>

/*
 * risk.c: what in a canonical command deserves a second look, as the
 * approval page marks it red (guardianctl watch asks for a second key,
 * the parent offers no lasting rule): a command run with another user's
 * rights (sudo, doas, ...), a recursive rm, a download piped into a
 * shell.  The findings' names in names (", "-separated), the byte
 * ranges of the words to mark in marks; the number of findings.
 * risk_program() adds what the program's flags (exe_flags(), as the
 * parent sends them) make high-risk: a program inside the worktree,
 * which the agent can rewrite.
 */
#define RISK_MARKS	16
struct risk_mark {
	size_t		 a, b;
};
int		 risk_analyse(const char *, char *, size_t,
		    struct risk_mark *, int *);
int		 risk_program(const char *, char *, size_t);

#endif /* RISK_H */
