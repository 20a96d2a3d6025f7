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

#ifndef CONFIG_PRIV_H
#define CONFIG_PRIV_H

/*
 * Shared by the configuration loader's files (config.c, and
 * config_cloister.c which checks cloister's files against cloister's
 * schema); nothing else includes it.
 */

#include <stdio.h>

#include "config.h"

#define ESCBUF			(4 * 1024 + 4)	/* 1024 characters, vis(3)ed */

enum ytype {
	Y_SCALAR,
	Y_SEQ,
	Y_MAP,
	Y_BAD		/* already reported: skipped quietly from then on */
};

struct ynode {
	enum ytype	 type;
	int		 line;
	int		 null;		/* plain "", ~ or null */
	int		 plain;		/* plain style, no tag */
	int		 dupline;	/* map key: line of the first one */
	size_t		 idx;		/* position in the parent */
	char		*s;		/* scalar */
	size_t		 len;
	struct ynode	**kid;		/* seq: items; map: key, value, ... */
	size_t		 nkid;
	size_t		 capkid;
};

struct loader {
	struct config	*conf;
	FILE		*errf;
	char		*errbuf;
	size_t		 errlen;
	int		 nerr;
	FILE		*warnf;
	char		*warnbuf;
	size_t		 warnlen;
	int		 nwarn;
	/*
	 * Reading a project file of cloister's: what cloister would
	 * ignore the file for is a warning (yerr), and the file is
	 * ignored; what would weaken guardiand's policy is an error
	 * all the same (yerr_hard).
	 */
	int		 warnmode;
	struct listen_list cl_request_listen;	/* config.yaml */
	struct listen_list cl_ui_listen;
	int		 cl_request_set;
	int		 cl_ui_set;
	int		 g_request_set;		/* guardiand.yaml */
	int		 g_ui_set;
};

struct yfile {
	struct loader	*ld;
	const char	*path;
	const char	*project;	/* a project's file: its name */
	size_t		 nnodes;
};

void		 yerr(struct loader *, const char *, int, const char *, ...)
		    __attribute__((__format__ (printf, 4, 5)));
void		 yerr_hard(struct loader *, const char *, int, const char *,
		    ...)
		    __attribute__((__format__ (printf, 4, 5)));
void		 ywarn(struct loader *, const char *, int, const char *, ...)
		    __attribute__((__format__ (printf, 4, 5)));
const char	*esc(const char *, size_t, char *);
const char	*tname(const struct ynode *);
int		 check_map(struct yfile *, struct ynode *, const char *);
int		 check_key(struct yfile *, struct ynode *);
/* The name of names closest to s, if close enough to be a typo. */
const char	*nearest(const char *, const char *const *);
/* "; did you mean `x`?" or "", in buf of ESCBUF bytes. */
const char	*didyoumean(const char *, const char *const *, char *);

void		*xcalloc(size_t, size_t);
char		*xstrdup(const char *);
/*
 * The next key of map that is one of names, with its value in *vp:
 * its index in names, or -1 at the end.  Unknown keys are reported as
 * "in <where>" (skipped quietly if where is NULL); null values are
 * skipped unless keepnull.
 */
int		 next_pair(struct yfile *, struct ynode *, size_t *,
		    const char *, const char *const *, int, struct ynode **);
const char	*get_str(struct yfile *, struct ynode *, const char *);
void		 get_bool(struct yfile *, struct ynode *, const char *, int *);
/* A path: ~ expanded, absolute.  Malloc'd, NULL if reported. */
char		*get_path(struct yfile *, struct ynode *, const char *);

/*
 * config_confine.c: guardian.confine (conf_confine), and after every
 * file is read, that each rule names a pattern of cloister's lists
 * (confine_check_rules); confine_conf_free() frees what they made.
 */
void		 conf_confine(struct yfile *, struct ynode *);
void		 confine_check_rules(struct loader *);
void		 confine_conf_free(struct config *);

/* config_notify.c: guardian.notify. */
void		 conf_notify(struct yfile *, struct ynode *);
void		 notify_conf_free(struct config *);
void		 get_duration(struct yfile *, struct ynode *, const char *,
		    uint64_t *, int);

/*
 * config_cloister.c: check a file of cloister's (config.yaml, or the
 * project file of yf->project) against cloister's schema, as
 * cloister's own decoder (yaml.v3, KnownFields) would, with guardiand's
 * old keys named and their new place given.  Every node found bad is
 * reported and made Y_BAD, so that the code reading the values can
 * skip it quietly.
 */
void		 cloister_check(struct yfile *, struct ynode *);

#endif /* CONFIG_PRIV_H */
