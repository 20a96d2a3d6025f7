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

#ifndef SANDBOX_H
#define SANDBOX_H

#include "guardiand.h"

/* Sanitizer build: the file size limit, to let reports be written. */
#define SANITIZER_FSIZE		(16 * 1024 * 1024)

/*
 * Confine the calling child for good: started as root, a chroot to an
 * empty directory and the user the parent chose (-U); no capability;
 * no_new_privs, zero rlimits for processes, file size and core dumps,
 * Landlock with no filesystem and no TCP bind/connect rights, and the
 * role's seccomp allowlist, whose default action kills the process.
 * On OpenBSD this is where pledge(2) and unveil(2) would go.  Fatal on
 * any failure but a kernel lacking Landlock, and for a child left root.
 */
void	 sandbox_enter(enum role);

/*
 * The empty, root-owned directory children chroot to when started as
 * root; made if needed when create is set.
 */
const char *sandbox_emptydir(int);

/* The Landlock ABI this kernel offers, 0 if none. */
int	 sandbox_landlock_abi(void);

#endif /* SANDBOX_H */
