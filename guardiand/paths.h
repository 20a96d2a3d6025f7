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

#ifndef PATHS_H
#define PATHS_H

#include <sys/types.h>

/*
 * The runtime directories, each 0700 under $XDG_RUNTIME_DIR (or
 * /run/user/UID, or /tmp/guardiand-UID): the shared request socket's,
 * which users bind-mount into containers; the control socket's, which
 * nothing tells anyone to mount; and the parent of the cloisters' own
 * socket directories (DESIGN 6.4).
 */
#define RUNDIR_REQUEST		"guardiand"
#define RUNDIR_CONTROL		"guardiand-control"
#define RUNDIR_CLOISTERS	"guardiand-cloisters"
#define CONTROL_SOCK		"control.sock"
#define REQUEST_SOCK		"request.sock"
/* Where guardianctl register suggests a container mounts its door. */
#define CONTAINER_DOOR_DIR	"/run/guardiand"

char	*runtime_dir(const char *, int);
char	*runtime_path(const char *, const char *, int);
char	*runtime_path_peek(const char *, const char *);
char	*state_dir(void);
/*
 * mkdirs(dir): mkdir -p, mode 0700.  dir_is_ours(dir, deny): dir is a
 * directory (not a link) of ours with none of the mode bits in deny.
 * Both 0, or -1 with errno.
 */
int	 mkdirs(const char *);
int	 dir_is_ours(const char *, mode_t);
char	*ctl_command(const char *);

#endif /* PATHS_H */
