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
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"
#include "sha256.h"

/*
 * The program a command's first word names, in the parent: looked up
 * as the spawner would run it, pinned when the request's check is
 * answered, and checked again when it starts (DESIGN section 7, What
 * an approval binds).
 */

#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"
/* Hashed identities remembered, so a program is read once. */
#define EXE_CACHE	64
#define EXE_READ	(64 * 1024)

static const char *
env_get(char *const *envp, const char *name)
{
	size_t	 len = strlen(name);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return (*envp + len + 1);
	return (NULL);
}

/*
 * The program execvp would run: the first PATH entry holding an
 * executable regular file, PATH taken from the command's own
 * environment and relative entries from its worktree.  0, or -1 with
 * ENOENT (nothing there) or EACCES (only something we may not run).
 */
int
exec_lookup(const char *name, const char *cwd, char *const *envp,
    char *out, size_t outlen)
{
	const char	*path, *p, *end;
	char		 cand[PATH_MAX], abs[PATH_MAX];
	struct stat	 st;
	size_t		 dlen;
	int		 denied = 0;

	if (strchr(name, '/') != NULL) {
		if (strlcpy(out, name, outlen) >= outlen) {
			errno = ENAMETOOLONG;
			return (-1);
		}
		return (0);
	}
	if ((path = env_get(envp, "PATH")) == NULL)
		path = DEFAULT_PATH;
	for (p = path; ; p = end + 1) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		dlen = end - p;
		/* An empty entry is the current directory. */
		if (snprintf(cand, sizeof(cand), "%.*s%s%s", (int)dlen, p,
		    dlen ? "/" : "", name) < (int)sizeof(cand)) {
			if (cand[0] != '/') {
				if ((size_t)snprintf(abs, sizeof(abs),
				    "%s/%s", cwd, cand) >= sizeof(abs))
					abs[0] = '\0';
			} else
				strlcpy(abs, cand, sizeof(abs));
			if (abs[0] != '\0' && stat(abs, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				if (access(abs, X_OK) == 0) {
					strlcpy(out, cand, outlen);
					return (0);
				}
				denied = 1;
			}
		}
		if (*end == '\0')
			break;
	}
	errno = denied ? EACCES : ENOENT;
	return (-1);
}

/* A hash already made, by the identity it was made for. */
struct exe_hashed {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime, ctime;
	char		 hash[SHA256_HEX_LEN + 1];
};
static struct exe_hashed	 exe_cache[EXE_CACHE];
static unsigned int		 exe_cache_next;

static int
ts_eq(const struct timespec *a, const struct timespec *b)
{
	return (a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec);
}

static void
exe_ident(struct exe *e, const struct stat *st)
{
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->ctime = st->st_ctim;
}

/* Any write to the file changes its ctime; a rename, its inode. */
static int
ident_eq(const struct exe *e, const struct stat *st)
{
	return (e->dev == st->st_dev && e->ino == st->st_ino &&
	    e->size == st->st_size && ts_eq(&e->mtime, &st->st_mtim) &&
	    ts_eq(&e->ctime, &st->st_ctim));
}

static struct exe_hashed *
cache_find(const struct exe *e)
{
	struct exe_hashed	*h;
	int			 i;

	for (i = 0; i < EXE_CACHE; i++) {
		h = &exe_cache[i];
		if (h->hash[0] != '\0' && h->dev == e->dev &&
		    h->ino == e->ino && h->size == e->size &&
		    ts_eq(&h->mtime, &e->mtime) && ts_eq(&h->ctime, &e->ctime))
			return (h);
	}
	return (NULL);
}

/*
 * SHA-256 of the pinned file, read through its own descriptor (never
 * a path that may have changed), at most EXE_HASH_MAX bytes: bigger
 * files are known by identity alone.  A file that changes while it is
 * read gets no hash (and fails the check at its start).
 */
static void
exe_hash(struct exe *e)
{
	struct exe_hashed	*h;
	struct sha256		 s;
	struct stat		 st;
	uint8_t			 d[SHA256_DIGEST_LEN];
	char			 proc[64], *buf;
	ssize_t			 n = 0;
	off_t			 left;
	int			 fd;

	if ((h = cache_find(e)) != NULL) {
		memcpy(e->hash, h->hash, sizeof(e->hash));
		return;
	}
	if (e->size > EXE_HASH_MAX) {
		e->flags |= EXE_BIG;
		return;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", e->fd);
	if ((fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		return;
	if (fstat(fd, &st) == -1 || !ident_eq(e, &st) ||
	    (buf = malloc(EXE_READ)) == NULL) {
		close(fd);
		return;
	}
	/*
	 * No more than the size it has: a file of /proc or /sys may say
	 * 0 and read without end.
	 */
	sha256_init(&s);
	left = e->size + 1;
	while (left > 0 && (n = read(fd, buf, left < EXE_READ ? left :
	    EXE_READ)) > 0) {
		sha256_update(&s, buf, n);
		left -= n;
	}
	free(buf);
	if (n == -1 || left != 1 || fstat(fd, &st) == -1 ||
	    !ident_eq(e, &st)) {
		close(fd);
		return;
	}
	close(fd);
	sha256_final(&s, d);
	sha256_hex(d, e->hash);
	h = &exe_cache[exe_cache_next++ % EXE_CACHE];
	h->dev = e->dev;
	h->ino = e->ino;
	h->size = e->size;
	h->mtime = e->mtime;
	h->ctime = e->ctime;
	memcpy(h->hash, e->hash, sizeof(h->hash));
}

/* Whether path lies below dir (both absolute, dir without a trailing /). */
static int
path_below(const char *path, const char *dir)
{
	size_t	 len = strlen(dir);

	if (len > 0 && dir[len - 1] == '/')
		len--;
	return (strncmp(path, dir, len) == 0 && path[len] == '/');
}

static int
is_git(const char *real)
{
	const char	*base = strrchr(real, '/');

	return (strcmp(base != NULL ? base + 1 : real, "git") == 0);
}

/*
 * Resolve argv[0] as the spawner will run it (PATH from envp, relative
 * to the worktree) and pin the file: an O_PATH descriptor (no open of
 * a FIFO or a device can block), a regular file only, its identity and
 * (hash) the SHA-256 of its content.  0, or -1 with e->err set; e is
 * always ready for exe_clear().
 */
int
exe_resolve(struct exe *e, const char *argv0, const char *worktree,
    char *const *envp, int hash)
{
	char		 cand[PATH_MAX], abs[PATH_MAX], real[PATH_MAX];
	char		 proc[64], wreal[PATH_MAX];
	struct stat	 st;
	ssize_t		 n;
	int		 err;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (exec_lookup(argv0, worktree, envp, cand, sizeof(cand)) == -1)
		goto fail;
	if (cand[0] != '/') {
		if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", worktree,
		    cand) >= sizeof(abs)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
	} else
		strlcpy(abs, cand, sizeof(abs));
	if ((e->fd = open(abs, O_PATH | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(e->fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		goto fail;
	}
	exe_ident(e, &st);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", e->fd);
	if ((n = readlink(proc, real, sizeof(real) - 1)) <= 0)
		strlcpy(real, abs, sizeof(real));
	else
		real[n] = '\0';
	if ((e->path = strdup(cand)) == NULL ||
	    (e->real = strdup(real)) == NULL)
		fatal(NULL);
	if (realpath(worktree, wreal) == NULL)
		strlcpy(wreal, worktree, sizeof(wreal));
	/* A relative name is always the worktree's. */
	if (cand[0] != '/' || path_below(abs, worktree) ||
	    path_below(real, wreal))
		e->flags |= EXE_WORKTREE;
	if (lstat(abs, &st) == 0 && S_ISLNK(st.st_mode))
		e->flags |= EXE_LINK;
	if (is_git(real))
		e->flags |= EXE_GIT;
	if (hash)
		exe_hash(e);
	return (0);
 fail:
	err = errno != 0 ? errno : EIO;
	exe_clear(e);
	e->err = err;
	return (-1);
}

/*
 * Still the program resolved when the request came: argv[0] resolves
 * to a file of the same identity (dev, inode, size, mtime, ctime), and
 * the pinned file is unchanged too.  0 if so; -1 if it changed, or is
 * gone, or could not be pinned and now can.
 */
int
exe_verify(const struct exe *e, const char *argv0, const char *worktree,
    char *const *envp)
{
	struct exe	 now;
	struct stat	 st;
	int		 same;

	if (exe_resolve(&now, argv0, worktree, envp, 0) == -1)
		return (e->fd == -1 && now.err == e->err ? 0 : -1);
	same = e->fd != -1 && now.dev == e->dev && now.ino == e->ino &&
	    now.size == e->size && ts_eq(&now.mtime, &e->mtime) &&
	    ts_eq(&now.ctime, &e->ctime) && strcmp(now.path, e->path) == 0 &&
	    fstat(e->fd, &st) == 0 && ident_eq(e, &st);
	exe_clear(&now);
	return (same ? 0 : -1);
}

void
exe_clear(struct exe *e)
{
	if (e->fd != -1)
		close(e->fd);
	free(e->path);
	free(e->real);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

/* The flags as audit records name them: "worktree,symlink,git", or "". */
const char *
exe_flags(const struct exe *e)
{
	static char	 buf[64];

	buf[0] = '\0';
	if (e->flags & EXE_WORKTREE)
		strlcat(buf, ",worktree", sizeof(buf));
	if (e->flags & EXE_LINK)
		strlcat(buf, ",symlink", sizeof(buf));
	if (e->flags & EXE_GIT)
		strlcat(buf, ",git", sizeof(buf));
	return (buf[0] != '\0' ? buf + 1 : buf);
}

/* The same, in words for a human (the card, guardianctl): "" if none. */
const char *
exe_note(const struct exe *e)
{
	static char	 buf[512];

	buf[0] = '\0';
	if (e->real == NULL) {
		snprintf(buf, sizeof(buf), "%s", e->err == ENOENT ?
		    "not found" : strerror(e->err));
		return (buf);
	}
	if (e->flags & EXE_WORKTREE)
		strlcat(buf, "; inside the worktree: the agent can change "
		    "this program", sizeof(buf));
	if (e->flags & EXE_LINK)
		strlcat(buf, "; reached through a symbolic link", sizeof(buf));
	if (e->flags & EXE_GIT)
		strlcat(buf, "; git runs code the worktree can change "
		    "(hooks, config)", sizeof(buf));
	if (e->flags & EXE_BIG)
		strlcat(buf, "; too big to hash, known by identity",
		    sizeof(buf));
	return (buf[0] != '\0' ? buf + 2 : buf);
}
