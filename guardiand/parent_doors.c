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

/*
 * Each cloister's own door (DESIGN 6.4): a request socket in a
 * directory of its own, RUNDIR_CLOISTERS/NAME/request.sock, which is
 * all a container needs to mount (read-only: connect(2) works through
 * a read-only bind mount, unlink(2) and bind(2) do not).  A request
 * that comes in through a door must carry that cloister's token.
 *
 * The directory lives as long as the cloister does: a restarted
 * daemon binds a new socket in the same directory, so a container's
 * mount stays good; unregistering the cloister, or removing it from
 * the configuration, removes the directory.
 *
 * Sockets are bound relative to the base directory ("NAME/request.sock")
 * for two reasons: the absolute path of a long name would not fit in
 * sun_path, and an accepted connection's getsockname(2) then names
 * its door, which is how the request child tells doors apart.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "parent.h"
#include "paths.h"

#define DOOR_BACKLOG	128

struct door {
	TAILQ_ENTRY(door)	 entry;
	uint32_t		 id;		/* never reused */
	char			*cloister;
	int			 fd;		/* listening */
	int			 announced;	/* the request child has it */
	dev_t			 dev;		/* of the socket file */
	ino_t			 ino;
};
TAILQ_HEAD(door_list, door);

static struct {
	char			*base;
	int			 basefd;
	struct door_list	 list;
	uint32_t		 lastid;
	struct imsgev		*iev;		/* the request child's, once
						   it was given the doors */
} doors = { NULL, -1, TAILQ_HEAD_INITIALIZER(doors.list), 0, NULL };

static int	 door_name(const char *, char *, size_t);
static int	 door_dir(const char *, char *, size_t);
static int	 door_bind(const char *, int *, struct stat *, char *,
		    size_t);
static int	 door_announce(struct door *);
static void	 door_close(struct door *, int);
static void	 door_drop(struct door *, int);
static void	 door_sweep(void);

/* "NAME/request.sock", the address of a door. */
static int
door_name(const char *cloister, char *buf, size_t len)
{
	int	 n;

	n = snprintf(buf, len, "%s/%s", cloister, REQUEST_SOCK);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/* The cloister's directory: made 0700, or verified to be ours, 0700. */
static int
door_dir(const char *cloister, char *err, size_t errlen)
{
	struct stat	 st;

	if (mkdirat(doors.basefd, cloister, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s/%s: %s", doors.base, cloister,
		    strerror(errno));
		return (-1);
	}
	if (fstatat(doors.basefd, cloister, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		snprintf(err, errlen, "%s/%s: %s", doors.base, cloister,
		    strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s/%s: not a directory of ours",
		    doors.base, cloister);
		return (-1);
	}
	if ((st.st_mode & 07777) != 0700 &&
	    fchmodat(doors.basefd, cloister, 0700, 0) == -1) {
		snprintf(err, errlen, "%s/%s: %s", doors.base, cloister,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Bind NAME/request.sock, relative to the base directory: the working
 * directory changes for the moment it takes and is then restored.  A
 * socket already there is replaced if nobody answers on it.
 */
static int
door_bind(const char *cloister, int *fdp, struct stat *stp, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd = -1, probe, cwd, rv = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (door_name(cloister, sun.sun_path, sizeof(sun.sun_path)) == -1) {
		snprintf(err, errlen, "%s: name too long", cloister);
		return (-1);
	}
	if ((cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "open .: %s", strerror(errno));
		return (-1);
	}
	if (fchdir(doors.basefd) == -1) {
		snprintf(err, errlen, "%s: %s", doors.base, strerror(errno));
		close(cwd);
		return (-1);
	}
	if (lstat(sun.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s/%s: exists and is not a "
			    "socket", doors.base, sun.sun_path);
			goto done;
		}
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			goto done;
		}
		if (connect(probe, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errlen, "%s/%s: another daemon is "
			    "listening there", doors.base, sun.sun_path);
			goto done;
		}
		close(probe);
		(void)unlink(sun.sun_path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto done;
	}
	/* Born 0600: the directory admits only us (or root) anyway. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "bind %s/%s: %s", doors.base,
		    sun.sun_path, strerror(errno));
		goto done;
	}
	umask(old);
	if (lstat(sun.sun_path, stp) == -1 || listen(fd, DOOR_BACKLOG) == -1) {
		snprintf(err, errlen, "%s/%s: %s", doors.base, sun.sun_path,
		    strerror(errno));
		(void)unlink(sun.sun_path);
		goto done;
	}
	*fdp = fd;
	fd = -1;
	rv = 0;
 done:
	if (fd != -1)
		close(fd);
	if (fchdir(cwd) == -1)
		log_warn("cannot return to the working directory");
	close(cwd);
	return (rv);
}

int
doors_init(char *err, size_t errlen)
{
	if ((doors.base = runtime_dir(RUNDIR_CLOISTERS, 1)) == NULL) {
		snprintf(err, errlen, "no runtime directory for the "
		    "cloisters' sockets: %s", strerror(errno));
		return (-1);
	}
	if ((doors.basefd = open(doors.base, O_PATH | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", doors.base, strerror(errno));
		return (-1);
	}
	/* Out of the way of a child's channel, which becomes fd 3. */
	if (doors.basefd < 10) {
		int	 fd = fcntl(doors.basefd, F_DUPFD_CLOEXEC, 10);

		if (fd == -1) {
			snprintf(err, errlen, "fcntl: %s", strerror(errno));
			return (-1);
		}
		close(doors.basefd);
		doors.basefd = fd;
	}
	door_sweep();
	doors_sync();
	return (0);
}

static struct door *
door_find(const char *cloister)
{
	struct door	*d;

	TAILQ_FOREACH(d, &doors.list, entry)
		if (strcmp(d->cloister, cloister) == 0)
			return (d);
	return (NULL);
}

/*
 * The request child accepts on it from now on; -1 if it cannot be
 * handed over (out of descriptors, the channel full): said, and the
 * caller decides, since a busy moment must not end the daemon.
 */
static int
door_announce(struct door *d)
{
	struct imsg_enc	 enc;
	int		 fd;

	if (doors.iev == NULL)
		return (0);
	if ((fd = dup(d->fd)) == -1) {
		log_warn("cloister %s: socket", d->cloister);
		return (-1);
	}
	imsg_enc_init(&enc);
	imsg_put_u32(&enc, d->id);
	if (imsgev_compose_enc(doors.iev, IMSG_LISTENER, 0, fd, &enc) == -1) {
		log_warn("cloister %s: socket", d->cloister);
		return (-1);
	}
	d->announced = 1;
	return (0);
}

int
door_open(const char *cloister, char *err, size_t errlen)
{
	struct door	*d;
	struct stat	 st;
	int		 fd;

	if (doors.basefd == -1) {
		snprintf(err, errlen, "no directory for cloister sockets");
		return (-1);
	}
	if (door_find(cloister) != NULL)
		return (0);
	if (door_dir(cloister, err, errlen) == -1 ||
	    door_bind(cloister, &fd, &st, err, errlen) == -1)
		return (-1);
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->cloister = strdup(cloister)) == NULL)
		fatal(NULL);
	d->id = ++doors.lastid;
	d->fd = fd;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	TAILQ_INSERT_TAIL(&doors.list, d, entry);
	if (door_announce(d) == -1) {
		/* The request child never heard of it: nothing to tell. */
		door_drop(d, 1);
		snprintf(err, errlen, "cannot serve its socket now: %s",
		    strerror(errno));
		return (-1);
	}
	log_debug("cloister %s: socket %s/%s/%s", cloister, doors.base,
	    cloister, REQUEST_SOCK);
	return (0);
}

/*
 * Close a door: the request child stops accepting on it, the socket
 * goes (if it is still ours), and with gone the directory too.
 */
static void
door_close(struct door *d, int gone)
{
	struct imsg_enc	 enc;

	/*
	 * Should the message not fit, the request child keeps accepting
	 * on it, but every request through it is refused: its door is
	 * gone (door_owner).
	 */
	if (doors.iev != NULL && d->announced) {
		imsg_enc_init(&enc);
		imsg_put_u32(&enc, d->id);
		if (imsgev_compose_enc(doors.iev, IMSG_LISTENER_CLOSE, 0, -1,
		    &enc) == -1)
			log_warn("cloister %s: closing its socket", d->cloister);
	}
	door_drop(d, gone);
}

/* Forget a door: its socket goes if still ours, with gone its directory. */
static void
door_drop(struct door *d, int gone)
{
	struct stat	 st;
	char		 name[PATH_MAX];

	close(d->fd);
	if (door_name(d->cloister, name, sizeof(name)) == 0 &&
	    fstatat(doors.basefd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == d->dev && st.st_ino == d->ino)
		(void)unlinkat(doors.basefd, name, 0);
	if (gone && unlinkat(doors.basefd, d->cloister, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		log_warn("%s/%s", doors.base, d->cloister);
	TAILQ_REMOVE(&doors.list, d, entry);
	free(d->cloister);
	free(d);
}

static void
door_sync_one(const struct cloister *cl, void *arg)
{
	char	 err[512];

	if (door_open(cl->name, err, sizeof(err)) == -1)
		log_warnx("cloister %s: no socket of its own: %s", cl->name,
		    err);
}

/* The doors follow the registry: after start, reload, (un)register. */
void
doors_sync(void)
{
	struct door	*d, *next;

	if (doors.basefd == -1)
		return;
	TAILQ_FOREACH_SAFE(d, &doors.list, entry, next)
		if (registry_find(d->cloister) == NULL)
			door_close(d, 1);
	registry_foreach(door_sync_one, NULL);
}

/*
 * At start: directories of cloisters that no longer exist (removed
 * from the configuration while we were down) go, with a stale socket
 * in them; anything else in them is left alone, and said so.
 */
static void
door_sweep(void)
{
	DIR		*dir;
	struct dirent	*de;
	char		 name[PATH_MAX];
	int		 fd;

	if ((fd = openat(doors.basefd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (dir = fdopendir(fd)) == NULL) {
		log_warn("%s", doors.base);
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!config_valid_name(de->d_name) ||
		    registry_find(de->d_name) != NULL)
			continue;
		if (door_name(de->d_name, name, sizeof(name)) == 0)
			(void)unlinkat(doors.basefd, name, 0);
		if (unlinkat(doors.basefd, de->d_name, AT_REMOVEDIR) == -1)
			log_warn("%s/%s: left in place", doors.base,
			    de->d_name);
		else
			log_info("removed %s/%s: no such cloister any more",
			    doors.base, de->d_name);
	}
	closedir(dir);
}

/* Every door to the request child, and from now on each new one. */
void
doors_announce(struct imsgev *iev)
{
	struct door	*d;

	doors.iev = iev;
	TAILQ_FOREACH(d, &doors.list, entry)
		(void)door_announce(d);	/* said; the door stays unserved */
}

/*
 * Whose door a request came through: 0 with *cloister set, or NULL
 * if the door has closed since; -1 for a door never opened.
 */
int
door_owner(uint32_t id, const char **cloister)
{
	struct door	*d;

	*cloister = NULL;
	if (id == 0 || id > doors.lastid)
		return (-1);
	TAILQ_FOREACH(d, &doors.list, entry)
		if (d->id == id) {
			*cloister = d->cloister;
			break;
		}
	return (0);
}

/* The host directory a container mounts to reach a cloister's door. */
char *
door_path(const char *cloister)
{
	char	*path;

	if (doors.base == NULL ||
	    asprintf(&path, "%s/%s", doors.base, cloister) == -1)
		return (NULL);
	return (path);
}

/* At shutdown: the sockets go, the directories stay for the restart. */
void
doors_shutdown(void)
{
	struct door	*d;

	doors.iev = NULL;
	while ((d = TAILQ_FIRST(&doors.list)) != NULL)
		door_close(d, 0);
}
