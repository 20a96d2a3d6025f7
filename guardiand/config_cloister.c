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
 * cloister's configuration schema (xdg/cloister, internal/config/
 * types.go, decoded with yaml.v3 and KnownFields(true)) and a check
 * of cloister's files against it: a key cloister does not know, at
 * any level, or a value of another type, makes cloister refuse the
 * whole file, so guardiand refuses it too (DESIGN 6.6).
 *
 * The table lists every leaf as a path, as cloister's types define
 * it; the mappings and lists on the way are implied: "a.b[].c" means
 * a is a mapping whose key b holds a list of mappings with a key c,
 * "a{}.c" a mapping from any name to mappings with a key c.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

enum ctype {
	CT_STRING,
	CT_INT,
	CT_BOOL,
	CT_STRINGS,	/* a list of strings */
	/* Implied by the paths below a key. */
	CT_MAP,
	CT_LIST,	/* a list of mappings */
	CT_NAMES,	/* a mapping of names to mappings */
	CT_NONE
};

struct ckey {
	const char	*path;
	enum ctype	 type;
};

static const struct ckey global_schema[] = {
	{ "proxy.listen",			CT_STRING },
	{ "proxy.allow[].domain",		CT_STRING },
	{ "proxy.allow[].pattern",		CT_STRING },
	{ "proxy.deny[].domain",		CT_STRING },
	{ "proxy.deny[].pattern",		CT_STRING },
	{ "proxy.unlisted_domain_behavior",	CT_STRING },
	{ "proxy.approval_timeout",		CT_STRING },
	{ "proxy.rate_limit",			CT_INT },
	{ "proxy.max_request_bytes",		CT_INT },
	{ "request.listen",			CT_STRING },
	{ "request.timeout",			CT_STRING },
	{ "hostexec.listen",			CT_STRING },
	{ "hostexec.auto_approve[].pattern",	CT_STRING },
	{ "hostexec.manual_approve[].pattern",	CT_STRING },
	{ "devcontainer.enabled",		CT_BOOL },
	{ "devcontainer.features.allow",	CT_STRINGS },
	{ "devcontainer.blocked_mounts",	CT_STRINGS },
	{ "agents{}.command",			CT_STRING },
	{ "agents{}.env",			CT_STRINGS },
	{ "agents{}.auth_method",		CT_STRING },
	{ "agents{}.token",			CT_STRING },
	{ "agents{}.api_key",			CT_STRING },
	{ "agents{}.skip_permissions",		CT_BOOL },
	{ "defaults.image",			CT_STRING },
	{ "defaults.shell",			CT_STRING },
	{ "defaults.user",			CT_STRING },
	{ "defaults.agent",			CT_STRING },
	{ "log.file",				CT_STRING },
	{ "log.stdout",				CT_BOOL },
	{ "log.level",				CT_STRING },
	{ "log.per_cloister",			CT_BOOL },
	{ "log.per_cloister_dir",		CT_STRING },
	{ NULL,					CT_NONE }
};

static const struct ckey project_schema[] = {
	{ "remote",				CT_STRING },
	{ "root",				CT_STRING },
	{ "refs",				CT_STRINGS },
	{ "proxy.allow[].domain",		CT_STRING },
	{ "proxy.allow[].pattern",		CT_STRING },
	{ "proxy.deny[].domain",		CT_STRING },
	{ "proxy.deny[].pattern",		CT_STRING },
	{ "hostexec.auto_approve[].pattern",	CT_STRING },
	{ "hostexec.manual_approve[].pattern",	CT_STRING },
	{ NULL,					CT_NONE }
};

#define MAXCAND		32
#define SPATH_MAX	128

struct walk {
	struct yfile		*yf;
	const struct ckey	*schema;
	char			 cand[MAXCAND][48];
	const char		*candp[MAXCAND + 1];
};

static void	 walk_map(struct walk *, struct ynode *, const char *,
		    const char *, const char *);

/* dst = a.b, or b if a is empty; cut to fit (it is for messages). */
static void
join(char *dst, size_t sz, const char *a, const char *b)
{
	(void)strlcpy(dst, a, sz);
	if (a[0] != '\0')
		(void)strlcat(dst, ".", sz);
	(void)strlcat(dst, b, sz);
}

/* dst = pre `what` post. */
static void
quote(char *dst, size_t sz, const char *pre, const char *what)
{
	(void)strlcpy(dst, pre, sz);
	(void)strlcat(dst, "`", sz);
	(void)strlcat(dst, what, sz);
	(void)strlcat(dst, "`", sz);
}

/*
 * What the schema says of spath: a leaf's type, or the kind of
 * collection the paths below it imply, or CT_NONE.
 */
static enum ctype
kind_of(const struct ckey *schema, const char *spath)
{
	size_t	 len = strlen(spath);

	for (; schema->path != NULL; schema++) {
		if (strcmp(schema->path, spath) == 0)
			return (schema->type);
		if (strncmp(schema->path, spath, len) != 0)
			continue;
		if (schema->path[len] == '.')
			return (CT_MAP);
		if (strncmp(schema->path + len, "[].", 3) == 0)
			return (CT_LIST);
		if (strncmp(schema->path + len, "{}.", 3) == 0)
			return (CT_NAMES);
	}
	return (CT_NONE);
}

/* The keys the schema allows in the mapping at spath, for hints. */
static const char *const *
keys_at(struct walk *w, const char *spath)
{
	const struct ckey	*k;
	const char		*p;
	size_t			 len = strlen(spath), n = 0, i, l;

	for (k = w->schema; k->path != NULL && n < MAXCAND; k++) {
		if (len > 0 && (strncmp(k->path, spath, len) != 0 ||
		    k->path[len] != '.'))
			continue;
		p = k->path + len + (len > 0);
		l = strcspn(p, ".[{");
		if (l >= sizeof(w->cand[0]))
			continue;
		for (i = 0; i < n; i++)
			if (strlen(w->candp[i]) == l &&
			    strncmp(w->candp[i], p, l) == 0)
				break;
		if (i < n)
			continue;
		memcpy(w->cand[n], p, l);
		w->cand[n][l] = '\0';
		w->candp[n] = w->cand[n];
		n++;
	}
	w->candp[n] = NULL;
	return (w->candp);
}

/*
 * yaml.v3 into a Go int: an integer (decimal, 0x, 0o, 0b, 0 octal;
 * underscores allowed) or a float, plain, within int64.
 */
static int
yaml_int(const char *s)
{
	char		 buf[80], *end;
	const char	*digits = "0123456789";
	size_t		 i, n = 0;
	int		 base = 10, neg = 0;
	unsigned long long v;
	double		 d;

	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' ||
	    s[0] == '.'))
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '_')
			continue;
		if (n + 1 >= sizeof(buf))
			return (0);
		buf[n++] = s[i];
	}
	buf[n] = '\0';
	i = 0;
	if (buf[0] == '+' || buf[0] == '-')
		neg = buf[i++] == '-';
	if (buf[i] == '0' && buf[i + 1] != '\0' &&
	    strchr("xXoObB", buf[i + 1]) != NULL) {
		switch (buf[i + 1] | 0x20) {
		case 'x':
			base = 16;
			digits = "0123456789abcdefABCDEF";
			break;
		case 'o':
			base = 8;
			digits = "01234567";
			break;
		default:
			base = 2;
			digits = "01";
			break;
		}
		i += 2;
		if (buf[i] == '\0' || strspn(buf + i, digits) !=
		    strlen(buf + i))
			return (0);
		errno = 0;
		v = strtoull(buf + i, &end, base);
		if (errno != 0)
			return (0);
		return (v <= (neg ? (1ULL << 63) : (1ULL << 63) - 1));
	}
	/* Decimal digits, or a float: Go truncates it. */
	for (n = i; buf[n] >= '0' && buf[n] <= '9'; n++)
		;
	if (n > i && buf[n] == '\0') {
		errno = 0;
		v = strtoull(buf + i, &end, 10);
		if (errno == 0)
			return (v <= (neg ? (1ULL << 63) :
			    (1ULL << 63) - 1));
	}
	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	n = i;
	if (buf[n] == '.') {
		if (buf[n + 1] < '0' || buf[n + 1] > '9')
			return (0);
	} else if (buf[n] < '0' || buf[n] > '9')
		return (0);
	n += strspn(buf + n, digits);
	if (buf[n] == '.')
		n += 1 + strspn(buf + n + 1, digits);
	if (buf[n] == 'e' || buf[n] == 'E') {
		n++;
		if (buf[n] == '+' || buf[n] == '-')
			n++;
		if (buf[n] < '0' || buf[n] > '9')
			return (0);
		n += strspn(buf + n, digits);
	}
	if (buf[n] != '\0')
		return (0);
	d = strtod(buf, &end);
	return (d < 9223372036854775807.0 && d >= -9223372036854775808.0);
}

/* yaml.v3 into a Go bool, with its YAML 1.1 compatibility words. */
static int
yaml_bool(const struct ynode *n)
{
	static const char *const plain[] = {
		"true", "True", "TRUE", "false", "False", "FALSE", NULL
	};
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF", NULL
	};
	const char *const	*p;

	for (p = words; *p != NULL; p++)
		if (strcmp(n->s, *p) == 0)
			return (1);
	if (!n->plain)
		return (0);
	for (p = plain; *p != NULL; p++)
		if (strcmp(n->s, *p) == 0)
			return (1);
	return (0);
}

static void
bad(struct walk *w, struct ynode *v, const char *dpath, const char *want)
{
	char	 eb[ESCBUF];

	if (v->type == Y_SCALAR)
		yerr(w->yf->ld, w->yf->path, v->line, "`%s` must be %s, not "
		    "\"%s\"%s", dpath, want, esc(v->s, v->len, eb),
		    v->plain ? "" : " (quoted, or tagged)");
	else
		yerr(w->yf->ld, w->yf->path, v->line, "`%s` must be %s, not "
		    "a %s", dpath, want, tname(v));
	v->type = Y_BAD;
}

static void
walk_leaf(struct walk *w, struct ynode *v, enum ctype type,
    const char *dpath)
{
	size_t	 i;

	if (v->type == Y_BAD || (v->type == Y_SCALAR && v->null))
		return;
	switch (type) {
	case CT_STRING:
		if (v->type != Y_SCALAR)
			bad(w, v, dpath, "a string");
		break;
	case CT_INT:
		if (v->type != Y_SCALAR || !v->plain || !yaml_int(v->s))
			bad(w, v, dpath, "an integer");
		break;
	case CT_BOOL:
		if (v->type != Y_SCALAR || !yaml_bool(v))
			bad(w, v, dpath, "true or false");
		break;
	case CT_STRINGS:
		if (v->type != Y_SEQ) {
			bad(w, v, dpath, "a list of strings");
			break;
		}
		for (i = 0; i < v->nkid; i++) {
			if (v->kid[i]->type == Y_SCALAR ||
			    v->kid[i]->type == Y_BAD)
				continue;
			yerr(w->yf->ld, w->yf->path, v->kid[i]->line,
			    "`%s` entries must be strings, not a %s", dpath,
			    tname(v->kid[i]));
			v->kid[i]->type = Y_BAD;
		}
		break;
	default:
		break;
	}
}

static void
walk_list(struct walk *w, struct ynode *v, const char *spath,
    const char *dpath)
{
	struct ynode		*it;
	const char *const	*keys;
	char			 where[SPATH_MAX + 32];
	size_t			 i;

	if (v->type != Y_SEQ) {
		bad(w, v, dpath, "a list");
		return;
	}
	quote(where, sizeof(where), "in a ", dpath);
	(void)strlcat(where, " entry", sizeof(where));
	for (i = 0; i < v->nkid; i++) {
		it = v->kid[i];
		if (it->type == Y_BAD || (it->type == Y_SCALAR && it->null))
			continue;
		if (it->type != Y_MAP) {
			keys = keys_at(w, spath);
			if (keys[0] != NULL && keys[1] == NULL)
				yerr(w->yf->ld, w->yf->path, it->line, "`%s` "
				    "entries must be mappings like {%s: "
				    "\"...\"}, not a %s", dpath, keys[0],
				    tname(it));
			else
				yerr(w->yf->ld, w->yf->path, it->line, "`%s` "
				    "entries must be mappings, not a %s", dpath,
				    tname(it));
			it->type = Y_BAD;
			continue;
		}
		walk_map(w, it, spath, dpath, where);
	}
}

static void
walk_names(struct walk *w, struct ynode *v, const char *spath,
    const char *dpath)
{
	struct ynode	*k, *it;
	char		 sub[SPATH_MAX], where[SPATH_MAX + 32];
	char		 eb[ESCBUF];
	size_t		 i;

	if (v->type != Y_MAP) {
		bad(w, v, dpath, "a mapping");
		return;
	}
	if (!check_map(w->yf, v, dpath))
		return;
	for (i = 0; i + 1 < v->nkid; i += 2) {
		k = v->kid[i];
		it = v->kid[i + 1];
		if (!check_key(w->yf, k)) {
			k->type = Y_BAD;
			continue;
		}
		join(sub, sizeof(sub), dpath, esc(k->s, k->len, eb));
		if (it->type == Y_BAD || (it->type == Y_SCALAR && it->null))
			continue;
		if (it->type != Y_MAP) {
			bad(w, it, sub, "a mapping");
			continue;
		}
		quote(where, sizeof(where), "in ", sub);
		walk_map(w, it, spath, sub, where);
	}
}

/*
 * guardiand's keys of old, found where cloister would refuse them:
 * say where they go now.  1 if k was one of them (reported).
 */
static int
moved(struct walk *w, struct ynode *k, struct ynode *v, const char *spath)
{
	struct yfile	*yf = w->yf;
	struct config	*conf = yf->ld->conf;
	size_t		 i;

	if (yf->project == NULL) {
		if (strcmp(spath, "guardian") == 0)
			yerr_hard(yf->ld, yf->path, k->line, "`guardian` is "
			    "guardiand's own section, which cloister refuses: "
			    "move it to %s", conf->gpath);
		else if (strcmp(spath, "approval") == 0)
			yerr_hard(yf->ld, yf->path, k->line, "`approval` is "
			    "guardiand's old name for `hostexec`, which "
			    "cloister refuses: rename it `hostexec`, and move "
			    "a `deny` list in it to %s as `guardian.deny`",
			    conf->gpath);
		else if (strcmp(spath, "hostexec.deny") == 0)
			yerr_hard(yf->ld, yf->path, k->line, "`hostexec.deny` "
			    "is guardiand's, which cloister refuses: move it "
			    "to %s as `guardian.deny`", conf->gpath);
		else
			return (0);
		return (1);
	}
	if (strcmp(spath, "hostexec.deny") == 0 ||
	    strcmp(spath, "approval.deny") == 0 ||
	    strcmp(spath, "commands.deny") == 0) {
		/* Ignoring the file would drop them: an error. */
		yerr_hard(yf->ld, yf->path, k->line, "`%s` is guardiand's, "
		    "which cloister refuses: move it to %s/guardiand.d/"
		    "%s.yaml as `guardian.deny`", spath, conf->dir,
		    yf->project);
		return (1);
	}
	if (strcmp(spath, "approval") == 0 || strcmp(spath, "commands") == 0) {
		yerr(yf->ld, yf->path, k->line, "`%s` is not cloister's, "
		    "which ignores this file for it: rename it `hostexec`",
		    spath);
		/* Its deny list must not go unnoticed. */
		if (v->type == Y_MAP)
			for (i = 0; i + 1 < v->nkid; i += 2)
				if (v->kid[i]->type == Y_SCALAR &&
				    strcmp(v->kid[i]->s, "deny") == 0)
					(void)moved(w, v->kid[i],
					    v->kid[i + 1], strcmp(spath,
					    "approval") == 0 ?
					    "approval.deny" : "commands.deny");
		return (1);
	}
	return (0);
}

/*
 * A listen address cloister could not use: a list, or a unix socket.
 * guardiand's own file takes them.  1 if v was one (reported).
 */
static int
moved_listen(struct walk *w, struct ynode *v, const char *spath)
{
	struct yfile	*yf = w->yf;
	const char	*to;

	if (yf->project != NULL)
		return (0);
	if (strcmp(spath, "request.listen") == 0)
		to = "guardian.request_listen";
	else if (strcmp(spath, "hostexec.listen") == 0)
		to = "guardian.ui_listen";
	else
		return (0);
	if (v->type == Y_SEQ)
		yerr_hard(yf->ld, yf->path, v->line, "a list in `%s` is "
		    "guardiand's, which cloister refuses: give one address "
		    "here, or move the list to %s as `%s`", spath,
		    yf->ld->conf->gpath, to);
	else if (v->type == Y_SCALAR && strncmp(v->s, "unix:", 5) == 0)
		yerr_hard(yf->ld, yf->path, v->line, "a unix socket in `%s` "
		    "is guardiand's, where cloister cannot listen: move it "
		    "to %s as `%s`", spath, yf->ld->conf->gpath, to);
	else
		return (0);
	v->type = Y_BAD;
	return (1);
}

/* An unknown key: a typo of a key of cloister's, or of one of ours? */
static void
unknown(struct walk *w, struct ynode *k, const char *spath,
    const char *where)
{
	static const char *const ours_top[] = { "guardian", NULL };
	static const char *const ours_hostexec[] = { "deny", NULL };
	struct yfile		*yf = w->yf;
	const char *const	*ours = NULL;
	const char		*near, *as = "";
	char			 eb[ESCBUF], hint[ESCBUF];

	didyoumean(k->s, keys_at(w, spath), hint);
	if (hint[0] == '\0' && yf->project == NULL) {
		if (spath[0] == '\0')
			ours = ours_top;
		else if (strcmp(spath, "hostexec") == 0) {
			ours = ours_hostexec;
			as = " as `guardian.deny`";
		}
	}
	if (ours != NULL && (near = nearest(k->s, ours)) != NULL) {
		yerr(yf->ld, yf->path, k->line, "unknown key `%s` %s, which "
		    "cloister refuses; did you mean `%s`? It is guardiand's, "
		    "and goes in %s%s", esc(k->s, k->len, eb), where, near,
		    yf->ld->conf->gpath, as);
		return;
	}
	yerr(yf->ld, yf->path, k->line, "unknown key `%s` %s, which cloister "
	    "refuses%s", esc(k->s, k->len, eb), where, hint);
}

/*
 * The mapping map at spath (schema) / dpath (for messages); where
 * says what it is, for unknown keys.
 */
static void
walk_map(struct walk *w, struct ynode *map, const char *spath,
    const char *dpath, const char *where)
{
	struct yfile		*yf = w->yf;
	struct ynode		*k, *v;
	enum ctype		 type;
	char			 sub[SPATH_MAX], dsub[SPATH_MAX];
	char			 eb[ESCBUF], sw[SPATH_MAX + 32];
	size_t			 i;

	if (!check_map(yf, map, dpath[0] != '\0' ? dpath : "top level"))
		return;
	for (i = 0; i + 1 < map->nkid; i += 2) {
		k = map->kid[i];
		v = map->kid[i + 1];
		if (!check_key(yf, k)) {
			k->type = Y_BAD;
			continue;
		}
		if (strcmp(k->s, "<<") == 0 && k->plain) {
			yerr(yf->ld, yf->path, k->line,
			    "merge keys (<<) are not supported");
			k->type = Y_BAD;
			continue;
		}
		join(sub, sizeof(sub), spath, k->s);
		join(dsub, sizeof(dsub), dpath, esc(k->s, k->len, eb));
		type = strlen(sub) < sizeof(sub) - 1 ?
		    kind_of(w->schema, sub) : CT_NONE;
		if (type == CT_NONE) {
			if (!moved(w, k, v, sub))
				unknown(w, k, spath, where);
			k->type = Y_BAD;
			continue;
		}
		if (v->type == Y_BAD || (v->type == Y_SCALAR && v->null) ||
		    moved_listen(w, v, sub))
			continue;
		switch (type) {
		case CT_MAP:
			if (v->type != Y_MAP) {
				bad(w, v, dsub, "a mapping");
				break;
			}
			quote(sw, sizeof(sw), "in section ", dsub);
			walk_map(w, v, sub, dsub, sw);
			break;
		case CT_LIST:
			(void)strlcat(sub, "[]", sizeof(sub));
			walk_list(w, v, sub, dsub);
			break;
		case CT_NAMES:
			(void)strlcat(sub, "{}", sizeof(sub));
			walk_names(w, v, sub, dsub);
			break;
		default:
			walk_leaf(w, v, type, dsub);
			break;
		}
	}
}

void
cloister_check(struct yfile *yf, struct ynode *root)
{
	struct walk	 w;

	memset(&w, 0, sizeof(w));
	w.yf = yf;
	w.schema = yf->project != NULL ? project_schema : global_schema;
	walk_map(&w, root, "", "", "at the top level");
}
