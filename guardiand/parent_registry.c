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

/* RB_GENERATE_STATIC marks the functions it does not need __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

/*
 * The cloister registry: who may ask, by token.  Static cloisters
 * come from the configuration (guardian.cloisters), dynamic ones from
 * guardianctl register and live in the state directory, in the file
 * `cloisters`:
 *
 *	# comment
 *	NAME<TAB>PROJECT<TAB>WORKTREE<TAB>TOKEN
 *
 * one cloister a line, each field encoded with vis(3) (VIS_TAB |
 * VIS_NL | VIS_CSTYLE | VIS_OCTAL), so no field holds a raw tab or
 * newline.  Loading is strict: a field must be exactly what encoding
 * its decoded value gives, names and tokens must be valid, worktrees
 * absolute, names and tokens unique; any other line is an error
 * reported as file:line.  The file is mode 0600 and replaced
 * atomically (statefile.c: temporary file, fsync, rename, fsync of the
 * directory).
 *
 * A dynamic cloister whose name or token a static one also has is
 * shadowed: the static one wins, the dynamic one is kept (on disk and
 * here) but authenticates nobody and is not listed, until the
 * configuration stops defining the other one.
 *
 * Tokens are kept NUL-padded in CONFIG_TOKEN_MAX + 1 bytes, so that
 * registry_auth() compares the same number of bytes for every
 * cloister whatever the lengths.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vis.h>

#include "compat.h"
#include "config.h"
#include "log.h"
#include "parent.h"
#include "paths.h"

#define STATE_FILE	"cloisters"
#define STATE_LINE_MAX	(4 * (CONFIG_NAME_MAX + CONFIG_PROJECT_MAX + \
			    PATH_MAX + CONFIG_TOKEN_MAX) + 8)
#define VISFLAGS	(VIS_TAB | VIS_NL | VIS_CSTYLE | VIS_OCTAL)
#define TOKEN_BYTES	32	/* generated: 256 bits, as 64 hex digits */

RB_HEAD(cloister_tree, cloister);

static int	 cloister_cmp(struct cloister *, struct cloister *);
RB_GENERATE_STATIC(cloister_tree, cloister, entry, cloister_cmp)

static struct cloister_tree	 statics = RB_INITIALIZER(&statics);
static struct cloister_tree	 dynamics = RB_INITIALIZER(&dynamics);
static struct cloister_tree	 shadowed = RB_INITIALIZER(&shadowed);
static char			*statedir;

static struct cloister *cloister_new(const char *, const char *,
		    const char *, const char *, int);
static void	 cloister_free(struct cloister *);
static void	 tree_free(struct cloister_tree *);
static int	 token_eq_padded(const struct cloister *, const char *,
		    size_t);
static int	 token_eq(const struct cloister *, const char *);
static const struct cloister *token_owner(const char *);
static int	 load_statics(struct config *, struct cloister_tree *,
		    char *, size_t);
static void	 place_dynamic(struct cloister *);
static int	 load_state(const char *, char *, size_t);
static int	 parse_line(char *, char **);
static int	 save_state(char *, size_t);
static void	 append(char **, size_t *, size_t *, const char *, int *);

static int
cloister_cmp(struct cloister *a, struct cloister *b)
{
	return (strcmp(a->name, b->name));
}

static struct cloister *
cloister_new(const char *name, const char *project, const char *worktree,
    const char *token, int dynamic)
{
	struct cloister	*c;
	size_t		 len = strlen(token);

	if (len > CONFIG_TOKEN_MAX) {
		errno = EINVAL;
		return (NULL);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->dynamic = dynamic;
	if ((c->name = strdup(name)) == NULL ||
	    (c->project = strdup(project)) == NULL ||
	    (c->worktree = strdup(worktree)) == NULL ||
	    (c->token = calloc(1, CONFIG_TOKEN_MAX + 1)) == NULL) {
		cloister_free(c);
		return (NULL);
	}
	memcpy(c->token, token, len);
	c->tokenlen = len;
	return (c);
}

static void
cloister_free(struct cloister *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->project);
	free(c->worktree);
	if (c->token != NULL)
		freezero(c->token, CONFIG_TOKEN_MAX + 1);
	free(c);
}

static void
tree_free(struct cloister_tree *t)
{
	struct cloister	*c, *next;

	RB_FOREACH_SAFE(c, cloister_tree, t, next) {
		RB_REMOVE(cloister_tree, t, c);
		cloister_free(c);
	}
}

void
registry_free(void)
{
	tree_free(&statics);
	tree_free(&dynamics);
	tree_free(&shadowed);
	free(statedir);
	statedir = NULL;
}

/*
 * The static set from the configuration.  config_load() has already
 * refused bad names, bad tokens and duplicates among these.
 */
static int
load_statics(struct config *conf, struct cloister_tree *t, char *err,
    size_t errlen)
{
	struct cloister_conf	*cc;
	struct cloister		*c;

	TAILQ_FOREACH(cc, &conf->cloisters, entry) {
		if ((c = cloister_new(cc->name, cc->project != NULL ?
		    cc->project : cc->name, cc->worktree, cc->token,
		    0)) == NULL) {
			snprintf(err, errlen, "cloister %s: %s", cc->name,
			    strerror(errno));
			return (-1);
		}
		if (RB_INSERT(cloister_tree, t, c) != NULL) {
			snprintf(err, errlen, "%s:%d: cloister `%s` defined "
			    "twice", cc->file, cc->line, cc->name);
			cloister_free(c);
			return (-1);
		}
	}
	return (0);
}

/* Into dynamics, or into shadowed when a static one has its name or token. */
static void
place_dynamic(struct cloister *c)
{
	struct cloister	*s;

	if (RB_FIND(cloister_tree, &statics, c) != NULL) {
		log_warnx("cloister %s: defined in the configuration and "
		    "registered with guardianctl: the configuration wins",
		    c->name);
		RB_INSERT(cloister_tree, &shadowed, c);
		return;
	}
	RB_FOREACH(s, cloister_tree, &statics) {
		if (token_eq(s, c->token)) {
			log_warnx("cloister %s: registered with guardianctl "
			    "with the token of cloister %s of the "
			    "configuration: the configuration wins", c->name,
			    s->name);
			RB_INSERT(cloister_tree, &shadowed, c);
			return;
		}
	}
	RB_INSERT(cloister_tree, &dynamics, c);
}

int
registry_init(struct config *conf, char *err, size_t errlen)
{
	char	*path;
	int	 rv;

	registry_free();
	if (conf->state_dir != NULL)
		statedir = strdup(conf->state_dir);
	else
		statedir = state_dir();
	if (statedir == NULL) {
		snprintf(err, errlen, "no state directory (set "
		    "XDG_STATE_HOME or HOME, or guardian.state_dir): %s",
		    strerror(errno));
		return (-1);
	}
	if (load_statics(conf, &statics, err, errlen) == -1) {
		registry_free();
		return (-1);
	}
	if (asprintf(&path, "%s/%s", statedir, STATE_FILE) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		registry_free();
		return (-1);
	}
	rv = load_state(path, err, errlen);
	free(path);
	if (rv == -1)
		registry_free();
	return (rv);
}

/*
 * After a reload: a new static set; the dynamic ones stay, and are
 * shadowed or not again against it.
 */
int
registry_reload(struct config *conf, char *err, size_t errlen)
{
	struct cloister_tree	 nstatics = RB_INITIALIZER(&nstatics);
	struct cloister_tree	 dyn = RB_INITIALIZER(&dyn);
	struct cloister		*c, *next;

	if (load_statics(conf, &nstatics, err, errlen) == -1) {
		tree_free(&nstatics);
		return (-1);
	}
	if (conf->state_dir != NULL && statedir != NULL &&
	    strcmp(conf->state_dir, statedir) != 0)
		log_warnx("guardian.state_dir changed: %s stays in use "
		    "until guardiand restarts", statedir);
	tree_free(&statics);
	statics = nstatics;
	RB_FOREACH_SAFE(c, cloister_tree, &dynamics, next) {
		RB_REMOVE(cloister_tree, &dynamics, c);
		RB_INSERT(cloister_tree, &dyn, c);
	}
	RB_FOREACH_SAFE(c, cloister_tree, &shadowed, next) {
		RB_REMOVE(cloister_tree, &shadowed, c);
		RB_INSERT(cloister_tree, &dyn, c);
	}
	RB_FOREACH_SAFE(c, cloister_tree, &dyn, next) {
		RB_REMOVE(cloister_tree, &dyn, c);
		place_dynamic(c);
	}
	return (0);
}

/*
 * Equal tokens, in a time that depends on neither: both are compared
 * over CONFIG_TOKEN_MAX bytes, the length folded in.  t must point
 * to CONFIG_TOKEN_MAX + 1 bytes, NUL-padded.
 */
static int
token_eq_padded(const struct cloister *c, const char *t, size_t tlen)
{
	unsigned int	 d;

	d = timingsafe_bcmp(c->token, t, CONFIG_TOKEN_MAX) != 0;
	d |= (c->tokenlen != tlen);
	return (d == 0);
}

static int
token_eq(const struct cloister *c, const char *token)
{
	char	 pad[CONFIG_TOKEN_MAX + 1];
	size_t	 len;
	int	 eq;

	len = strnlen(token, CONFIG_TOKEN_MAX + 1);
	if (len > CONFIG_TOKEN_MAX)
		return (0);
	memset(pad, 0, sizeof(pad));
	memcpy(pad, token, len);
	eq = token_eq_padded(c, pad, len);
	explicit_bzero(pad, sizeof(pad));
	return (eq);
}

/*
 * Every registered token is compared, the matching one chosen
 * without a branch, so the time says nothing about which cloister
 * matched or how much of a token was right.
 */
const struct cloister *
registry_auth(const char *token)
{
	struct cloister_tree *trees[2] = { &statics, &dynamics };
	struct cloister	*c;
	char		 pad[CONFIG_TOKEN_MAX + 1];
	uintptr_t	 found = 0, mask;
	size_t		 len, i;
	int		 toolong;

	if (token == NULL)
		return (NULL);
	len = strnlen(token, CONFIG_TOKEN_MAX + 1);
	toolong = len > CONFIG_TOKEN_MAX;
	memset(pad, 0, sizeof(pad));
	memcpy(pad, token, toolong ? CONFIG_TOKEN_MAX : len);
	for (i = 0; i < 2; i++) {
		RB_FOREACH(c, cloister_tree, trees[i]) {
			/* eq 1: mask all ones; eq 0: mask 0. */
			mask = (uintptr_t)0 -
			    (uintptr_t)token_eq_padded(c, pad, len);
			found = (found & ~mask) | ((uintptr_t)c & mask);
		}
	}
	explicit_bzero(pad, sizeof(pad));
	if (toolong)
		return (NULL);
	return ((const struct cloister *)found);
}

const struct cloister *
registry_find(const char *name)
{
	struct cloister	 key, *c;

	key.name = (char *)name;
	if ((c = RB_FIND(cloister_tree, &statics, &key)) != NULL)
		return (c);
	return (RB_FIND(cloister_tree, &dynamics, &key));
}

/* Which cloister, shadowed ones included, has this token. */
static const struct cloister *
token_owner(const char *token)
{
	struct cloister_tree	*trees[3] = {
	    &statics, &dynamics, &shadowed
	};
	struct cloister		*c;
	size_t			 i;

	for (i = 0; i < 3; i++)
		RB_FOREACH(c, cloister_tree, trees[i])
			if (token_eq(c, token))
				return (c);
	return (NULL);
}

int
registry_register(const char *name, const char *worktree,
    const char *project, const char *token, char **tokenp, char *err,
    size_t errlen)
{
	struct cloister	 key, *c;
	struct stat	 st;
	unsigned char	 rnd[TOKEN_BYTES];
	char		 gen[TOKEN_BYTES * 2 + 1], *real = NULL, *tok;
	size_t		 i;

	*tokenp = NULL;
	if (!config_valid_name(name)) {
		snprintf(err, errlen, "bad cloister name: want "
		    "[A-Za-z0-9][A-Za-z0-9._-]{0,%d}", CONFIG_NAME_MAX - 1);
		return (-1);
	}
	if (project == NULL || *project == '\0')
		project = name;
	else if (!config_valid_project(project)) {
		snprintf(err, errlen, "bad project name: want %s",
		    CONFIG_PROJECT_RULE);
		return (-1);
	}
	if (token != NULL && *token != '\0' && !config_valid_token(token)) {
		snprintf(err, errlen, "bad token: it must be %d to %d "
		    "printable ASCII characters without blanks",
		    CONFIG_TOKEN_MIN, CONFIG_TOKEN_MAX);
		return (-1);
	}
	if (worktree == NULL || *worktree != '/') {
		snprintf(err, errlen, "the worktree must be an absolute path");
		return (-1);
	}
	if ((real = realpath(worktree, NULL)) == NULL ||
	    stat(real, &st) == -1) {
		snprintf(err, errlen, "worktree: %s", strerror(errno));
		free(real);
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "worktree: %s", strerror(ENOTDIR));
		free(real);
		return (-1);
	}
	key.name = (char *)name;
	if (RB_FIND(cloister_tree, &statics, &key) != NULL ||
	    RB_FIND(cloister_tree, &dynamics, &key) != NULL ||
	    RB_FIND(cloister_tree, &shadowed, &key) != NULL) {
		snprintf(err, errlen, "cloister %s already exists", name);
		free(real);
		return (-1);
	}
	if (token == NULL || *token == '\0') {
		arc4random_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(gen + 2 * i, 3, "%02x", rnd[i]);
		explicit_bzero(rnd, sizeof(rnd));
		token = gen;
	} else if (token_owner(token) != NULL) {
		snprintf(err, errlen, "that token is already in use");
		free(real);
		return (-1);
	}
	c = cloister_new(name, project, real, token, 1);
	free(real);
	if (c == NULL || (tok = strdup(token)) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		cloister_free(c);
		explicit_bzero(gen, sizeof(gen));
		return (-1);
	}
	explicit_bzero(gen, sizeof(gen));
	RB_INSERT(cloister_tree, &dynamics, c);
	if (save_state(err, errlen) == -1) {
		RB_REMOVE(cloister_tree, &dynamics, c);
		cloister_free(c);
		freezero(tok, strlen(tok));
		return (-1);
	}
	*tokenp = tok;
	return (0);
}

int
registry_unregister(const char *name, char *err, size_t errlen)
{
	struct cloister_tree	*t = &dynamics;
	struct cloister		 key, *c;

	key.name = (char *)name;
	if ((c = RB_FIND(cloister_tree, t, &key)) == NULL) {
		t = &shadowed;
		c = RB_FIND(cloister_tree, t, &key);
	}
	if (c == NULL) {
		if (RB_FIND(cloister_tree, &statics, &key) != NULL)
			snprintf(err, errlen, "cloister %s is defined in the "
			    "configuration file", name);
		else
			snprintf(err, errlen, "no cloister %s",
			    config_valid_name(name) ? name : "by that name");
		return (-1);
	}
	RB_REMOVE(cloister_tree, t, c);
	if (save_state(err, errlen) == -1) {
		RB_INSERT(cloister_tree, t, c);
		return (-1);
	}
	cloister_free(c);
	return (0);
}

/* Static and dynamic cloisters, in name order; shadowed ones not. */
void
registry_foreach(void (*cb)(const struct cloister *, void *), void *arg)
{
	struct cloister	*s, *d;

	s = RB_MIN(cloister_tree, &statics);
	d = RB_MIN(cloister_tree, &dynamics);
	while (s != NULL || d != NULL) {
		if (d == NULL || (s != NULL && strcmp(s->name, d->name) < 0)) {
			cb(s, arg);
			s = RB_NEXT(cloister_tree, &statics, s);
		} else {
			cb(d, arg);
			d = RB_NEXT(cloister_tree, &dynamics, d);
		}
	}
}

/* Where the state files live, fixed until a restart; NULL before init. */
const char *
registry_statedir(void)
{
	return (statedir);
}

size_t
registry_count(void)
{
	struct cloister	*c;
	size_t		 n = 0;

	RB_FOREACH(c, cloister_tree, &statics)
		n++;
	RB_FOREACH(c, cloister_tree, &dynamics)
		n++;
	return (n);
}

/*
 * Split a line into its four fields and decode them in place; 0, or
 * -1 with a static message in fields[0].
 */
static int
parse_line(char *line, char **f)
{
	char	*dec, *enc;
	size_t	 sz;
	int	 i, n;

	if (statefile_fields(line, f, 4) == -1) {
		f[0] = "expected 4 tab-separated fields";
		return (-1);
	}
	for (i = 0; i < 4; i++) {
		/* Strict: the field must be what encoding its value gives. */
		sz = strlen(f[i]) + 1;
		if ((dec = calloc(1, sz)) == NULL) {
			f[0] = "out of memory";
			return (-1);
		}
		if ((n = strunvis(dec, f[i])) == -1 ||
		    (size_t)n != strlen(dec) ||
		    stravis(&enc, dec, VISFLAGS) == -1) {
			freezero(dec, sz);
			f[0] = "bad encoding";
			return (-1);
		}
		if (strcmp(enc, f[i]) != 0) {
			freezero(enc, strlen(enc));
			freezero(dec, sz);
			f[0] = "bad encoding";
			return (-1);
		}
		/* Decoding never makes a field longer. */
		memcpy(f[i], dec, n + 1);
		freezero(enc, strlen(enc));
		freezero(dec, sz);
	}
	return (0);
}

/* The dynamic cloisters saved by save_state(); a missing file is none. */
static int
load_state(const char *path, char *err, size_t errlen)
{
	struct cloister	*c, key;
	FILE		*fp;
	char		*line = NULL, *f[4];
	size_t		 cap = 0;
	int		 lineno = 0, more, rv = -1;

	if (statefile_open(path, &fp, err, errlen) == -1)
		return (-1);
	if (fp == NULL)
		return (0);
	while ((more = statefile_line(fp, path, STATE_LINE_MAX, &line, &cap,
	    &lineno, err, errlen)) == 1) {
		if (parse_line(line, f) == -1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, f[0]);
			goto done;
		}
		if (!config_valid_name(f[0])) {
			snprintf(err, errlen, "%s:%d: bad cloister name",
			    path, lineno);
			goto done;
		}
		if (!config_valid_project(f[1])) {
			snprintf(err, errlen, "%s:%d: cloister %s: bad project "
			    "name", path, lineno, f[0]);
			goto done;
		}
		if (f[2][0] != '/') {
			snprintf(err, errlen, "%s:%d: cloister %s: the "
			    "worktree must be an absolute path", path, lineno,
			    f[0]);
			goto done;
		}
		if (!config_valid_token(f[3])) {
			snprintf(err, errlen, "%s:%d: cloister %s: bad token",
			    path, lineno, f[0]);
			goto done;
		}
		key.name = f[0];
		if (RB_FIND(cloister_tree, &dynamics, &key) != NULL ||
		    RB_FIND(cloister_tree, &shadowed, &key) != NULL) {
			snprintf(err, errlen, "%s:%d: cloister %s listed "
			    "twice", path, lineno, f[0]);
			goto done;
		}
		RB_FOREACH(c, cloister_tree, &dynamics)
			if (token_eq(c, f[3]))
				break;
		if (c == NULL)
			RB_FOREACH(c, cloister_tree, &shadowed)
				if (token_eq(c, f[3]))
					break;
		if (c != NULL) {
			snprintf(err, errlen, "%s:%d: cloister %s has the "
			    "token of cloister %s", path, lineno, f[0],
			    c->name);
			goto done;
		}
		if ((c = cloister_new(f[0], f[1], f[2], f[3], 1)) == NULL) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno,
			    strerror(errno));
			goto done;
		}
		place_dynamic(c);
	}
	if (more == -1)
		goto done;
	rv = 0;
 done:
	if (line != NULL)
		freezero(line, cap);
	fclose(fp);
	return (rv);
}

static void
append(char **buf, size_t *len, size_t *cap, const char *s, int *failed)
{
	size_t	 n = strlen(s);
	char	*nb;

	if (*failed)
		return;
	if (*len + n + 1 > *cap) {
		if ((nb = recallocarray(*buf, *cap, (*len + n + 1) * 2,
		    1)) == NULL) {
			*failed = 1;
			return;
		}
		*buf = nb;
		*cap = (*len + n + 1) * 2;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/* Write every dynamic cloister, shadowed ones too, atomically. */
static int
save_state(char *err, size_t errlen)
{
	struct cloister_tree	*trees[2] = { &dynamics, &shadowed };
	struct cloister		*c;
	char			*buf = NULL, *enc;
	const char		*field[4];
	size_t			 len = 0, cap = 0, i, k;
	int			 failed = 0, rv = -1;

	if (statedir == NULL) {
		snprintf(err, errlen, "no state directory");
		return (-1);
	}
	append(&buf, &len, &cap, "# guardiand: cloisters registered with "
	    "guardianctl(8); do not edit while guardiand runs.\n"
	    "# name<TAB>project<TAB>worktree<TAB>token, each vis(3) "
	    "encoded.\n", &failed);
	for (i = 0; i < 2; i++) {
		RB_FOREACH(c, cloister_tree, trees[i]) {
			field[0] = c->name;
			field[1] = c->project;
			field[2] = c->worktree;
			field[3] = c->token;
			for (k = 0; k < 4; k++) {
				if (stravis(&enc, field[k], VISFLAGS) == -1) {
					failed = 1;
					break;
				}
				append(&buf, &len, &cap, enc, &failed);
				append(&buf, &len, &cap, k < 3 ? "\t" : "\n",
				    &failed);
				freezero(enc, strlen(enc));
			}
		}
	}
	if (failed) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto done;
	}
	rv = statefile_write(statedir, STATE_FILE, buf, len, err, errlen);
 done:
	if (buf != NULL)
		freezero(buf, cap);
	return (rv);
}
