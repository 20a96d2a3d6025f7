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

#ifndef CANON_H
#define CANON_H

#include <stddef.h>
#include <stdint.h>

/*
 * The canonical command string (DESIGN section 4): each argument
 * rendered so that bash reads it back unchanged, joined by spaces.
 * Never contains a raw control or bidi/invisible formatting character.
 */

/* 1 if code point cp never appears raw in a canonical string: the
 * general categories Cc, Cf, Zl, Zp and a few blank letters. */
int	 canon_hidden(uint32_t);

/* Append the rendering of one argument (len bytes, may be invalid
 * UTF-8, no NUL) to out; returns bytes written or the size needed
 * (like snprintf) when outsz is too small. */
size_t	 canon_arg(char *, size_t, const char *, size_t);

/* Malloc'd canonical string of argv[0..argc-1]; NULL on ENOMEM. */
char	*canon_argv(int, char *const *);

/*
 * cloister's own canonical string (DESIGN section 4), which patterns
 * are matched against as well: plain single quotes with every
 * character raw inside (newlines, controls, bidi), bytes that are not
 * UTF-8 as U+FFFD.  Always valid UTF-8; equal to the canonical
 * string when every argument is printable.  Same conventions as
 * canon_arg() and canon_argv().
 */
size_t	 canon_cloister_arg(char *, size_t, const char *, size_t);
char	*canon_cloister_argv(int, char *const *);

/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF), else 0. */
int	 utf8_valid(const char *, size_t);

/* The length of the valid UTF-8 sequence at s[0..len) and its code
 * point in *cp; 0 if s does not start one.  len must be > 0. */
size_t	 utf8_decode(const unsigned char *, size_t, uint32_t *);

#endif /* CANON_H */
