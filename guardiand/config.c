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
 * The configuration loader (DESIGN 6.6).  Two kinds of files: cloister's
 * (config.yaml and projects/NAME.yaml), read with cloister's schema and
 * strictness (config_cloister.c), and guardiand's own (guardiand.yaml
 * beside config.yaml, and guardiand.d/NAME.yaml), which hold what
 * cloister does not have.  libyaml's event stream is turned into a
 * small tree, then the tree is checked.  The tree keeps a line for
 * every node, so each problem is reported as "file:line: message"; all
 * problems are collected, and any one of them fails the load: the
 * daemon never starts, and a reload never applies, a configuration it
 * does not fully understand.  The one exception is a project file
 * that cloister itself would ignore with a warning: it is ignored with
 * a warning, which can only take patterns away.
 *
 * Aliases are expanded into copies, counted against the node limit,
 * which also makes "billion laughs" files harmless.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#ifndef LIBBSD_OPENBSD_VIS
#define LIBBSD_OPENBSD_VIS	/* vis(3) as in OpenBSD */
#endif
#include <vis.h>

#include <yaml.h>

#include "log.h"
#include "config.h"
#include "config_priv.h"
#include "pattern.h"

#define CONFIG_MAX_SIZE		(1024 * 1024)	/* bytes per file */
#define CONFIG_MAX_DEPTH	64		/* nesting, skipped or not */
#define CONFIG_MAX_NODES	100000		/* nodes per file */
#define CONFIG_MAX_ERRORS	100		/* reported; more are counted */
#define CONFIG_MAX_BADLINES	10		/* encoding errors per file */
#define CONFIG_COUNT_MAX	1000000		/* limits.* counts */
#define TOKEN_FILE_MAX		(CONFIG_TOKEN_MAX + 2)
#define GUARDIAND_FILE		"guardiand.yaml"
#define GUARDIAND_DIR		"guardiand.d"
#define PROJECTS_DIR		"projects"

struct anchor {
	struct anchor	*next;
	char		*name;
	struct ynode	*node;
	size_t		 size;		/* nodes */
	int		 open;		/* still being built */
};

RB_GENERATE(project_tree, project_conf, entry, project_conf_cmp);

int
project_conf_cmp(struct project_conf *a, struct project_conf *b)
{
	return (strcmp(a->name, b->name));
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		fatal("%s", __func__);
	return (p);
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("%s", __func__);
	return (p);
}

static void
vyerr(struct loader *ld, int warn, const char *file, int line,
    const char *fmt, va_list ap)
{
	FILE	*f = warn ? ld->warnf : ld->errf;

	if (warn && ld->nwarn++ >= CONFIG_MAX_ERRORS) {
		if (ld->nwarn == CONFIG_MAX_ERRORS + 1)
			fprintf(ld->warnf, "%s: too many warnings\n", file);
		return;
	} else if (!warn && ld->nerr++ >= CONFIG_MAX_ERRORS) {
		if (ld->nerr == CONFIG_MAX_ERRORS + 1)
			fprintf(ld->errf, "%s: too many errors\n", file);
		return;
	}
	if (line > 0)
		fprintf(f, "%s:%d: ", file, line);
	else
		fprintf(f, "%s: ", file);
	if (warn)
		fputs("warning: ", f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void
yerr(struct loader *ld, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vyerr(ld, ld->warnmode, file, line, fmt, ap);
	va_end(ap);
}

void
yerr_hard(struct loader *ld, const char *file, int line, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vyerr(ld, 0, file, line, fmt, ap);
	va_end(ap);
}

/* A warning, whatever file is being read. */
void
ywarn(struct loader *ld, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vyerr(ld, 1, file, line, fmt, ap);
	va_end(ap);
}

/* A value or key for a message: escaped, so one error is one line. */
const char *
esc(const char *s, size_t len, char *buf)
{
	size_t	 n, max = (ESCBUF - 4) / 4;

	n = len > max ? max : len;
	if (strnvisx(buf, ESCBUF, s, n,
	    VIS_CSTYLE | VIS_NL | VIS_TAB | VIS_OCTAL) == -1)
		strlcpy(buf, "?", ESCBUF);
	if (n < len)
		strlcat(buf, "...", ESCBUF);
	return (buf);
}

const char *
tname(const struct ynode *n)
{
	switch (n->type) {
	case Y_SEQ:
		return ("list");
	case Y_MAP:
		return ("mapping");
	default:
		return ("scalar");
	}
}

/*
 * The YAML tree.
 */

static void
yfree(struct ynode *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		yfree(n->kid[i]);
	free(n->kid);
	if (n->s != NULL)
		freezero(n->s, n->len + 1);	/* inline tokens */
	free(n);
}

static struct ynode *
ynew(struct yfile *yf, enum ytype type, int line)
{
	struct ynode	*n;

	n = xcalloc(1, sizeof(*n));
	n->type = type;
	n->line = line;
	yf->nnodes++;
	return (n);
}

static void
yadd(struct ynode *parent, struct ynode *kid)
{
	struct ynode	**k;
	size_t		  cap;

	if (parent->nkid == parent->capkid) {
		cap = parent->capkid ? parent->capkid * 2 : 4;
		if ((k = reallocarray(parent->kid, cap, sizeof(*k))) == NULL)
			fatal("%s", __func__);
		parent->kid = k;
		parent->capkid = cap;
	}
	kid->idx = parent->nkid;
	parent->kid[parent->nkid++] = kid;
}

static int
is_null(const yaml_event_t *ev)
{
	const char	*v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    ev->data.scalar.tag != NULL)
		return (0);
	return (v[0] == '\0' || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0);
}

static int
line_at(const char *buf, size_t len, size_t off)
{
	size_t	 i;
	int	 line = 1;

	for (i = 0; i < off && i < len; i++)
		if (buf[i] == '\n')
			line++;
	return (line);
}

/*
 * libyaml's words, said plainly: what a person most likely did.  A tab
 * is told by the character where the parser stopped.
 */
static const char *
syntax_hint(const yaml_parser_t *p, const char *buf, size_t len)
{
	static const struct {
		const char	*problem;
		const char	*hint;
	} hints[] = {
		{ "did not find expected key", ": a line is indented "
		    "differently from the keys beside it" },
		{ "did not find expected '-' indicator", ": a list item is "
		    "indented differently from the others" },
		{ "mapping values are not allowed", ": a value holds "
		    "\": \" (quote it), or a line is indented too far" },
		{ "could not find expected ':'", ": a key without its "
		    "colon, or a quote left open on an earlier line" },
		{ "found unexpected end of stream", ": a quote left open" },
		{ "did not find expected ',' or ']'", ": a [ list left "
		    "open" },
		{ "did not find expected ',' or '}'", ": a { mapping left "
		    "open" },
		{ "did not find expected node content", ": a value is "
		    "missing, or a [ or { was left open" },
		{ "found unknown escape character", ": inside double quotes "
		    "a backslash starts an escape; write a pattern in "
		    "single quotes, or double its backslashes" },
		{ "cannot start any token", ": a value starting with a "
		    "character YAML reserves (` @ %): quote it" },
	};
	size_t	 i, off = p->problem_mark.index;

	if (off < len && buf[off] == '\t')
		return (": a tab; YAML indents with spaces only");
	if (p->problem == NULL)
		return ("");
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strstr(p->problem, hints[i].problem) != NULL)
			return (hints[i].hint);
	return ("");
}

static void
ysyntax(struct yfile *yf, yaml_parser_t *p, const char *buf, size_t len)
{
	const char	*problem;
	char		 where[PATH_MAX + 32];
	int		 line;

	if (p->error == YAML_MEMORY_ERROR)
		fatalx("%s: libyaml: out of memory", yf->path);
	problem = p->problem != NULL ? p->problem : "unknown error";
	if (p->error == YAML_READER_ERROR) {
		yerr(yf->ld, yf->path, line_at(buf, len, p->problem_offset),
		    "syntax error: %s", problem);
		return;
	}
	line = (int)p->problem_mark.line + 1;
	/* file:line:column, then what it most likely means. */
	snprintf(where, sizeof(where), "%s:%d:%d", yf->path, line,
	    (int)p->problem_mark.column + 1);
	yerr(yf->ld, where, 0, "syntax error: %s%s", problem,
	    syntax_hint(p, buf, len));
}

/* Levels below n, n included. */
static int
yheight(const struct ynode *n)
{
	size_t	 i;
	int	 h, max = 0;

	for (i = 0; i < n->nkid; i++)
		if ((h = yheight(n->kid[i])) > max)
			max = h;
	return (max + 1);
}

static size_t
ycount(const struct ynode *n)
{
	size_t	 i, c = 1;

	for (i = 0; i < n->nkid; i++)
		c += ycount(n->kid[i]);
	return (c);
}

static struct ynode *
ycopy(struct yfile *yf, const struct ynode *n, int line)
{
	struct ynode	*c;
	size_t		 i;

	c = ynew(yf, n->type, line);
	c->null = n->null;
	c->plain = n->plain;
	c->len = n->len;
	if (n->s != NULL) {
		if ((c->s = malloc(n->len + 1)) == NULL)
			fatal("%s", __func__);
		memcpy(c->s, n->s, n->len + 1);
	}
	for (i = 0; i < n->nkid; i++)
		yadd(c, ycopy(yf, n->kid[i], n->kid[i]->line));
	return (c);
}

static void
anchors_free(struct anchor *a)
{
	struct anchor	*next;

	for (; a != NULL; a = next) {
		next = a->next;
		free(a->name);
		free(a);
	}
}

/*
 * An alias at depth: a copy of its anchor's node, within the limits a
 * file has (so "billion laughs" stops at the node limit), or NULL
 * having said why.
 */
static struct ynode *
yalias(struct yfile *yf, struct anchor *anchors, const char *name,
    int depth, int line)
{
	struct anchor	*a;
	char		 eb[ESCBUF];

	for (a = anchors; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			break;
	if (a == NULL) {
		yerr(yf->ld, yf->path, line, "unknown anchor (*%s)",
		    esc(name, strlen(name), eb));
		return (NULL);
	}
	if (a->open) {
		yerr(yf->ld, yf->path, line, "alias inside its own anchor "
		    "(*%s)", esc(name, strlen(name), eb));
		return (NULL);
	}
	if (depth + yheight(a->node) > CONFIG_MAX_DEPTH) {
		yerr(yf->ld, yf->path, line, "nested deeper than %d levels",
		    CONFIG_MAX_DEPTH);
		return (NULL);
	}
	if (yf->nnodes + ycount(a->node) > CONFIG_MAX_NODES) {
		yerr(yf->ld, yf->path, line, "more than %d YAML nodes",
		    CONFIG_MAX_NODES);
		return (NULL);
	}
	return (ycopy(yf, a->node, line));
}

/*
 * Build the tree of one document.  Returns -1 if the file can not be
 * read as a whole (syntax, size, aliases), having said why.
 */
static int
yload(struct yfile *yf, const char *buf, size_t len, struct ynode **rootp)
{
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	struct ynode	*stack[CONFIG_MAX_DEPTH], *root = NULL, *n;
	struct anchor	*anchors = NULL, *open[CONFIG_MAX_DEPTH], *a;
	const char	*anchor;
	int		 depth = 0, docs = 0, done = 0, bad = 0, line, coll;

	*rootp = NULL;
	if (!yaml_parser_initialize(&p))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);

	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			ysyntax(yf, &p, buf, len);
			bad = 1;
			break;
		}
		line = (int)ev.start_mark.line + 1;
		n = NULL;
		coll = 0;
		anchor = NULL;

		if (yf->nnodes >= CONFIG_MAX_NODES &&
		    (ev.type == YAML_SCALAR_EVENT ||
		    ev.type == YAML_ALIAS_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT)) {
			yerr(yf->ld, yf->path, line,
			    "more than %d YAML nodes", CONFIG_MAX_NODES);
			bad = 1;
			yaml_event_delete(&ev);
			break;
		}

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				yerr(yf->ld, yf->path, line,
				    "only one YAML document is allowed");
				bad = 1;
				done = 1;
			}
			break;
		case YAML_ALIAS_EVENT:
			if ((n = yalias(yf, anchors,
			    (const char *)ev.data.alias.anchor, depth,
			    line)) == NULL) {
				bad = 1;
				done = 1;
			}
			break;
		case YAML_SCALAR_EVENT:
			anchor = (const char *)ev.data.scalar.anchor;
			n = ynew(yf, Y_SCALAR, line);
			n->len = ev.data.scalar.length;
			n->s = malloc(n->len + 1);
			if (n->s == NULL)
				fatal("%s", __func__);
			memcpy(n->s, ev.data.scalar.value, n->len);
			n->s[n->len] = '\0';
			n->null = is_null(&ev);
			n->plain = ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE &&
			    ev.data.scalar.tag == NULL;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			/*
			 * libyaml's scanner is quadratic in the nesting
			 * depth: stop before it matters.
			 */
			if (depth >= CONFIG_MAX_DEPTH) {
				yerr(yf->ld, yf->path, line,
				    "nested deeper than %d levels",
				    CONFIG_MAX_DEPTH);
				bad = 1;
				done = 1;
				break;
			}
			if (ev.type == YAML_SEQUENCE_START_EVENT)
				anchor = (const char *)
				    ev.data.sequence_start.anchor;
			else
				anchor = (const char *)
				    ev.data.mapping_start.anchor;
			n = ynew(yf, ev.type == YAML_SEQUENCE_START_EVENT ?
			    Y_SEQ : Y_MAP, line);
			coll = 1;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0) {
				depth--;
				if (open[depth] != NULL)
					open[depth]->open = 0;
			}
			break;
		default:
			break;
		}
		a = NULL;
		if (anchor != NULL && n != NULL) {
			a = xcalloc(1, sizeof(*a));
			a->name = xstrdup(anchor);
			a->node = n;
			a->open = coll;
			a->next = anchors;
			anchors = a;
		}
		yaml_event_delete(&ev);
		if (n == NULL)
			continue;

		if (depth == 0) {
			if (root == NULL)
				root = n;
			else
				yfree(n);	/* unreachable: one document */
		} else
			yadd(stack[depth - 1], n);
		if (coll) {
			open[depth] = a;
			stack[depth++] = n;
		}
	}
	yaml_parser_delete(&p);
	anchors_free(anchors);
	if (bad) {
		yfree(root);
		return (-1);
	}
	*rootp = root;
	return (0);
}

/*
 * Reading files.
 */

/* Length of the valid UTF-8 sequence at s, 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t len)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 n, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return (0);
	if (n > len)
		return (0);
	if (s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	return (n);
}

/* libyaml would catch these too, but less clearly, and not NULs. */
static int
check_encoding(struct yfile *yf, const char *buf, size_t len)
{
	const unsigned char	*s = (const unsigned char *)buf;
	size_t			 i, n;
	int			 line = 1, lastbad = 0, nbad = 0;
	const char		*why;

	for (i = 0; i < len; i += n) {
		n = 1;
		if (s[i] == '\n') {
			line++;
			continue;
		}
		if (s[i] == '\0')
			why = "NUL byte in file";
		else if ((n = utf8_len(s + i, len - i)) == 0) {
			why = "invalid UTF-8";
			n = 1;
		} else
			continue;
		if (line == lastbad)
			continue;
		lastbad = line;
		yerr(yf->ld, yf->path, line, "%s", why);
		if (++nbad == CONFIG_MAX_BADLINES) {
			yerr(yf->ld, yf->path, 0, "too many encoding errors");
			break;
		}
	}
	return (nbad ? -1 : 0);
}

static char *
read_file(struct yfile *yf, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(yf->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1) {
		yerr(yf->ld, yf->path, 0, "%s", strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) == -1) {
		yerr(yf->ld, yf->path, 0, "%s", strerror(errno));
		close(fd);
		return (NULL);
	}
	if (!S_ISREG(st.st_mode)) {
		yerr(yf->ld, yf->path, 0, "not a regular file");
		close(fd);
		return (NULL);
	}
	if (st.st_size > CONFIG_MAX_SIZE)
		goto toobig;
	/* Read one byte more than allowed: the file may have grown. */
	buf = xcalloc(1, CONFIG_MAX_SIZE + 2);
	while (len < CONFIG_MAX_SIZE + 1) {
		r = read(fd, buf + len, CONFIG_MAX_SIZE + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			yerr(yf->ld, yf->path, 0, "%s", strerror(errno));
			free(buf);
			close(fd);
			return (NULL);
		}
		if (r == 0)
			break;
		len += r;
	}
	close(fd);
	if (len > CONFIG_MAX_SIZE) {
		free(buf);
		fd = -1;
		goto toobig;
	}
	*lenp = len;
	return (buf);
 toobig:
	yerr(yf->ld, yf->path, 0, "file too large (more than %d bytes)",
	    CONFIG_MAX_SIZE);
	if (fd != -1)
		close(fd);
	return (NULL);
}

/* Read, check and parse one file; -1 if it did not get that far. */
static int
load_yaml(struct yfile *yf, struct ynode **rootp)
{
	char	*buf;
	size_t	 len;
	int	 rv = -1;

	*rootp = NULL;
	if ((buf = read_file(yf, &len)) == NULL)
		return (-1);
	if (check_encoding(yf, buf, len) == 0)
		rv = yload(yf, buf, len, rootp);
	freezero(buf, CONFIG_MAX_SIZE + 2);
	return (rv);
}

/*
 * Walking the tree.
 */

static int
keycmp(const void *a, const void *b)
{
	const struct ynode	*x = *(const struct ynode * const *)a;
	const struct ynode	*y = *(const struct ynode * const *)b;
	int			 c;

	if (x->len != y->len)
		return (x->len < y->len ? -1 : 1);
	if ((c = memcmp(x->s, y->s, x->len)) != 0)
		return (c);
	return (x->idx < y->idx ? -1 : x->idx > y->idx);
}

/*
 * n must be a mapping (a null counts as an empty one, quietly).  Marks
 * repeated keys, sorting instead of comparing all pairs: maps can be
 * large.
 */
int
check_map(struct yfile *yf, struct ynode *n, const char *what)
{
	struct ynode	**keys, *first = NULL;
	size_t		  i, nk = 0;

	if (n->type == Y_BAD || (n->type == Y_SCALAR && n->null))
		return (0);
	if (n->type != Y_MAP) {
		yerr(yf->ld, yf->path, n->line, "`%s` must be a mapping, "
		    "not a %s", what, tname(n));
		return (0);
	}
	if (n->nkid < 4)
		return (1);
	keys = xcalloc(n->nkid / 2, sizeof(*keys));
	for (i = 0; i + 1 < n->nkid; i += 2)
		if (n->kid[i]->type == Y_SCALAR)
			keys[nk++] = n->kid[i];
	qsort(keys, nk, sizeof(*keys), keycmp);
	for (i = 0; i < nk; i++) {
		if (first != NULL && first->len == keys[i]->len &&
		    memcmp(first->s, keys[i]->s, first->len) == 0)
			keys[i]->dupline = first->line;
		else
			first = keys[i];
	}
	free(keys);
	return (1);
}

/* A usable key: a string, without NUL, not repeated. */
int
check_key(struct yfile *yf, struct ynode *k)
{
	char	 eb[ESCBUF];

	if (k->type == Y_BAD)
		return (0);
	if (k->type != Y_SCALAR) {
		yerr(yf->ld, yf->path, k->line, "keys must be strings");
		return (0);
	}
	if (strlen(k->s) != k->len) {
		yerr(yf->ld, yf->path, k->line, "NUL byte in key");
		return (0);
	}
	if (k->dupline) {
		yerr(yf->ld, yf->path, k->line,
		    "duplicate key `%s` (first at line %d)",
		    esc(k->s, k->len, eb), k->dupline);
		return (0);
	}
	return (1);
}

/*
 * Optimal string alignment distance (a swap of two neighbours counts
 * once), ignoring case: typos of keys.  Stops counting above max.
 */
static int
typo_distance(const char *a, const char *b, int max)
{
	int	 d[3][34], i, j, la = strlen(a), lb = strlen(b), c, v;

	if (la > 32 || lb > 32 || abs(la - lb) > max)
		return (max + 1);
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		d[i % 3][0] = i;
		for (j = 1; j <= lb; j++) {
			c = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			v = d[(i - 1) % 3][j - 1] + c;
			if (d[(i - 1) % 3][j] + 1 < v)
				v = d[(i - 1) % 3][j] + 1;
			if (d[i % 3][j - 1] + 1 < v)
				v = d[i % 3][j - 1] + 1;
			if (i > 1 && j > 1 && c &&
			    tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) ==
			    tolower((unsigned char)b[j - 1]) &&
			    d[(i - 2) % 3][j - 2] + 1 < v)
				v = d[(i - 2) % 3][j - 2] + 1;
			d[i % 3][j] = v;
		}
	}
	return (d[la % 3][lb]);
}

const char *
nearest(const char *s, const char *const *names)
{
	const char	*best = NULL;
	int		 d, bestd, max;

	/* Two typos in a long word, one in a short one. */
	max = strlen(s) > 4 ? 2 : 1;
	bestd = max + 1;
	for (; *names != NULL; names++) {
		if (strcmp(s, *names) == 0)
			continue;
		if ((d = typo_distance(s, *names, max)) < bestd) {
			bestd = d;
			best = *names;
		}
	}
	return (best);
}

const char *
didyoumean(const char *s, const char *const *names, char *buf)
{
	const char	*near;

	buf[0] = '\0';
	if ((near = nearest(s, names)) != NULL)
		(void)snprintf(buf, ESCBUF, "; did you mean `%s`?", near);
	return (buf);
}

/*
 * Next key of map from names, with its value.  Unknown keys are
 * reported as "in <where>" (skipped quietly if where is NULL); null
 * values are taken as absent unless keepnull.
 */
int
next_pair(struct yfile *yf, struct ynode *map, size_t *ip, const char *where,
    const char *const *names, int keepnull, struct ynode **vp)
{
	struct ynode	*k, *v;
	char		 eb[ESCBUF], hint[ESCBUF];
	int		 i;

	while (*ip + 1 < map->nkid) {
		k = map->kid[*ip];
		v = map->kid[*ip + 1];
		*ip += 2;
		if (!check_key(yf, k))
			continue;
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], k->s) == 0)
				break;
		if (names[i] == NULL) {
			if (where != NULL)
				yerr(yf->ld, yf->path, k->line,
				    "unknown key `%s` in %s%s",
				    esc(k->s, k->len, eb), where,
				    didyoumean(k->s, names, hint));
			continue;
		}
		if (v->type == Y_BAD)
			continue;
		if (!keepnull && v->type == Y_SCALAR && v->null)
			continue;
		*vp = v;
		return (i);
	}
	return (-1);
}

const char *
get_str(struct yfile *yf, struct ynode *v, const char *what)
{
	if (v->type == Y_BAD)
		return (NULL);
	if (v->type != Y_SCALAR) {
		yerr(yf->ld, yf->path, v->line, "`%s` must be a string, "
		    "not a %s", what, tname(v));
		return (NULL);
	}
	if (strlen(v->s) != v->len) {
		yerr(yf->ld, yf->path, v->line, "`%s` contains a NUL byte",
		    what);
		return (NULL);
	}
	return (v->s);
}

void
get_duration(struct yfile *yf, struct ynode *v, const char *what,
    uint64_t *msp, int zero_ok)
{
	const char	*s, *errstr;
	char		 eb[ESCBUF];
	uint64_t	 ms;

	if ((s = get_str(yf, v, what)) == NULL)
		return;
	if (parse_duration(s, &ms, &errstr) == -1)
		yerr(yf->ld, yf->path, v->line, "`%s`: %s \"%s\"", what,
		    errstr, esc(s, v->len, eb));
	else if (ms == 0 && !zero_ok)
		yerr(yf->ld, yf->path, v->line, "`%s` must not be 0", what);
	else
		*msp = ms;
}

static void
get_size(struct yfile *yf, struct ynode *v, const char *what,
    uint64_t *bytesp)
{
	const char	*s, *errstr;
	char		 eb[ESCBUF];
	uint64_t	 n;

	if ((s = get_str(yf, v, what)) == NULL)
		return;
	if (parse_size(s, &n, &errstr) == -1)
		yerr(yf->ld, yf->path, v->line, "`%s`: %s \"%s\"", what,
		    errstr, esc(s, v->len, eb));
	else if (n == 0)
		yerr(yf->ld, yf->path, v->line, "`%s` must not be 0", what);
	else
		*bytesp = n;
}

static void
get_count(struct yfile *yf, struct ynode *v, const char *what,
    unsigned int *np)
{
	const char	*s, *errstr;
	long long	 n = 0;

	if ((s = get_str(yf, v, what)) == NULL)
		return;
	/* strtonum would take blanks and a sign. */
	if (s[0] < '0' || s[0] > '9')
		errstr = "invalid";
	else
		n = strtonum(s, 1, CONFIG_COUNT_MAX, &errstr);
	if (errstr != NULL)
		yerr(yf->ld, yf->path, v->line,
		    "`%s` must be a number from 1 to %d", what,
		    CONFIG_COUNT_MAX);
	else
		*np = (unsigned int)n;
}

void
get_bool(struct yfile *yf, struct ynode *v, const char *what, int *bp)
{
	const char	*s;

	if ((s = get_str(yf, v, what)) == NULL)
		return;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		*bp = 1;
	else if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		*bp = 0;
	else
		yerr(yf->ld, yf->path, v->line,
		    "`%s` must be true or false", what);
}

char *
get_path(struct yfile *yf, struct ynode *v, const char *what)
{
	const char	*s;
	char		*p, eb[ESCBUF];

	if ((s = get_str(yf, v, what)) == NULL)
		return (NULL);
	if ((p = expand_home(s)) == NULL) {
		if (errno == ENOMEM)
			fatal("%s", __func__);
		yerr(yf->ld, yf->path, v->line, "`%s`: cannot expand \"%s\"",
		    what, esc(s, v->len, eb));
		return (NULL);
	}
	if (p[0] != '/') {
		yerr(yf->ld, yf->path, v->line,
		    "`%s` must be an absolute path", what);
		free(p);
		return (NULL);
	}
	return (p);
}

static void
set_path(struct yfile *yf, struct ynode *v, const char *what, char **dst)
{
	char	*p;

	if ((p = get_path(yf, v, what)) != NULL) {
		free(*dst);
		*dst = p;
	}
}

/*
 * Sections.
 */

static void
add_listen(struct yfile *yf, struct ynode *v, const char *what,
    struct listen_list *ll)
{
	struct listen_addr	*la;
	const char		*s, *errstr;
	char			 eb[ESCBUF];

	if ((s = get_str(yf, v, what)) == NULL)
		return;
	if ((la = listen_addr_parse(s, &errstr)) == NULL) {
		yerr(yf->ld, yf->path, v->line, "`%s`: bad address \"%s\": %s",
		    what, esc(s, v->len, eb), errstr);
		return;
	}
	la->file = xstrdup(yf->path);
	la->line = v->line;
	TAILQ_INSERT_TAIL(ll, la, entry);
}

static void
conf_listen(struct yfile *yf, struct ynode *v, const char *what,
    struct listen_list *ll)
{
	struct ynode	*it;
	size_t		 i;

	if (v->type == Y_SCALAR) {
		add_listen(yf, v, what, ll);
		return;
	}
	if (v->type != Y_SEQ) {
		yerr(yf->ld, yf->path, v->line, "`%s` must be a string or "
		    "a list of strings, not a %s", what, tname(v));
		return;
	}
	if (v->nkid == 0)
		yerr(yf->ld, yf->path, v->line, "`%s` is an empty list", what);
	for (i = 0; i < v->nkid; i++) {
		it = v->kid[i];
		if (it->type == Y_BAD)
			continue;
		if (it->type != Y_SCALAR || it->null)
			yerr(yf->ld, yf->path, it->line,
			    "`%s` entries must be strings", what);
		else
			add_listen(yf, it, what, ll);
	}
}

static const char *const pattern_keys[] = { "pattern", NULL };

static void
conf_patterns(struct yfile *yf, struct ynode *v, const char *what,
    struct pattern_list *pl)
{
	struct pattern_src	*ps;
	struct ynode		*it, *pv, *val;
	const char		*s;
	char			 entry[64];
	size_t			 i, j;

	if (v->type != Y_SEQ) {
		if (v->type != Y_BAD)
			yerr(yf->ld, yf->path, v->line, "`%s` must be a list, "
			    "not a %s", what, tname(v));
		return;
	}
	(void)snprintf(entry, sizeof(entry), "a `%s` entry", what);
	for (i = 0; i < v->nkid; i++) {
		it = v->kid[i];
		if (it->type == Y_BAD)
			continue;
		if (it->type != Y_MAP) {
			yerr(yf->ld, yf->path, it->line, "`%s` entries must "
			    "be mappings like {pattern: \"...\"}, not a %s",
			    what, tname(it));
			continue;
		}
		if (!check_map(yf, it, what))
			continue;
		pv = NULL;
		j = 0;
		while (next_pair(yf, it, &j, entry, pattern_keys, 1,
		    &val) != -1)
			pv = val;
		if (pv == NULL) {
			/* Missing, or only unknown keys (reported). */
			if (it->nkid == 0)
				yerr(yf->ld, yf->path, it->line,
				    "`%s` entry without `pattern`", what);
			continue;
		}
		if (pv->type == Y_SCALAR && pv->null) {
			yerr(yf->ld, yf->path, pv->line, "empty pattern in "
			    "`%s`", what);
			continue;
		}
		(void)snprintf(entry, sizeof(entry), "%s.pattern", what);
		if ((s = get_str(yf, pv, entry)) == NULL)
			continue;
		if (*s == '\0') {
			yerr(yf->ld, yf->path, pv->line, "empty pattern in "
			    "`%s`", what);
			continue;
		}
		ps = xcalloc(1, sizeof(*ps));
		ps->re = xstrdup(s);
		ps->file = xstrdup(yf->path);
		ps->line = pv->line;
		TAILQ_INSERT_TAIL(pl, ps, entry);
	}
}

enum request_key {
	RQ_LISTEN,
	RQ_TIMEOUT,
	RQ_NKEYS
};

static const char *const request_keys[RQ_NKEYS + 1] = {
	[RQ_LISTEN] = "listen",
	[RQ_TIMEOUT] = "timeout",
	[RQ_NKEYS] = NULL
};

/* cloister's request section: checked against its schema already. */
static void
conf_request(struct yfile *yf, struct ynode *sec)
{
	struct loader	*ld = yf->ld;
	struct ynode	*v;
	size_t		 i = 0;

	if (!check_map(yf, sec, "request"))
		return;
	for (;;) {
		switch (next_pair(yf, sec, &i, NULL, request_keys, 0, &v)) {
		case -1:
			return;
		case RQ_LISTEN:
			ld->cl_request_set = 1;
			add_listen(yf, v, "request.listen",
			    &ld->cl_request_listen);
			break;
		case RQ_TIMEOUT:
			get_duration(yf, v, "request.timeout",
			    &ld->conf->approval_timeout, 0);
			break;
		}
	}
}

/* cloister's hostexec section, of config.yaml or of a project file. */
enum hostexec_key {
	HX_AUTO_APPROVE,
	HX_MANUAL_APPROVE,
	HX_LISTEN,
	HX_NKEYS
};

static const char *const hostexec_keys[HX_NKEYS + 1] = {
	[HX_AUTO_APPROVE] = "auto_approve",
	[HX_MANUAL_APPROVE] = "manual_approve",
	[HX_LISTEN] = "listen",
	[HX_NKEYS] = NULL
};

static void
conf_hostexec(struct yfile *yf, struct ynode *sec, struct patterns *pats)
{
	struct loader	*ld = yf->ld;
	struct ynode	*v;
	size_t		 i = 0;
	int		 k;

	if (!check_map(yf, sec, "hostexec"))
		return;
	while ((k = next_pair(yf, sec, &i, NULL, hostexec_keys, 0,
	    &v)) != -1) {
		switch ((enum hostexec_key)k) {
		case HX_AUTO_APPROVE:
			conf_patterns(yf, v, "hostexec.auto_approve",
			    &pats->kind[PAT_AUTO]);
			break;
		case HX_MANUAL_APPROVE:
			conf_patterns(yf, v, "hostexec.manual_approve",
			    &pats->kind[PAT_MANUAL]);
			break;
		case HX_LISTEN:
			/* Not in project files: cloister_check said so. */
			ld->cl_ui_set = 1;
			add_listen(yf, v, "hostexec.listen",
			    &ld->cl_ui_listen);
			break;
		case HX_NKEYS:
			break;
		}
	}
}

static void
conf_env_pass(struct yfile *yf, struct ynode *v)
{
	struct config	*conf = yf->ld->conf;
	struct ynode	*it;
	struct strent	*se;
	char		 eb[ESCBUF];
	size_t		 i;
	int		 dup;

	conf->env_pass_all = 0;
	if (v->type != Y_SEQ) {
		yerr(yf->ld, yf->path, v->line, "`guardian.env.pass` must be "
		    "a list, not a %s", tname(v));
		return;
	}
	for (i = 0; i < v->nkid; i++) {
		it = v->kid[i];
		if (it->type == Y_BAD)
			continue;
		if (it->type != Y_SCALAR) {
			yerr(yf->ld, yf->path, it->line, "`guardian.env.pass` "
			    "entries must be strings, not a %s", tname(it));
			continue;
		}
		if (strlen(it->s) != it->len ||
		    !config_valid_envname(it->s)) {
			yerr(yf->ld, yf->path, it->line, "`guardian.env.pass`: "
			    "bad variable name \"%s\"",
			    esc(it->s, it->len, eb));
			continue;
		}
		dup = 0;
		TAILQ_FOREACH(se, &conf->env_pass, entry)
			if (strcmp(se->s, it->s) == 0)
				dup = 1;
		if (dup) {
			yerr(yf->ld, yf->path, it->line, "`guardian.env.pass`: "
			    "%s is listed twice", it->s);
			continue;
		}
		se = xcalloc(1, sizeof(*se));
		se->s = xstrdup(it->s);
		TAILQ_INSERT_TAIL(&conf->env_pass, se, entry);
	}
}

static void
conf_env_set(struct yfile *yf, struct ynode *v)
{
	struct config	*conf = yf->ld->conf;
	struct ynode	*k, *val;
	struct env_var	*ev;
	const char	*value;
	char		 eb[ESCBUF];
	size_t		 i;

	if (!check_map(yf, v, "guardian.env.set"))
		return;
	for (i = 0; i + 1 < v->nkid; i += 2) {
		k = v->kid[i];
		val = v->kid[i + 1];
		if (!check_key(yf, k) || val->type == Y_BAD)
			continue;
		if (!config_valid_envname(k->s)) {
			yerr(yf->ld, yf->path, k->line, "`guardian.env.set`: "
			    "bad variable name \"%s\"", esc(k->s, k->len, eb));
			continue;
		}
		if (val->type == Y_SCALAR && val->null)
			value = "";
		else if ((value = get_str(yf, val, "guardian.env.set")) ==
		    NULL)
			continue;
		ev = xcalloc(1, sizeof(*ev));
		ev->name = xstrdup(k->s);
		ev->value = xstrdup(value);
		TAILQ_INSERT_TAIL(&conf->env_set, ev, entry);
	}
}

static const char *const env_keys[] = { "pass", "set", NULL };

static void
conf_env(struct yfile *yf, struct ynode *sec)
{
	struct ynode	*v;
	size_t		 i = 0;
	int		 k;

	if (!check_map(yf, sec, "guardian.env"))
		return;
	while ((k = next_pair(yf, sec, &i, "section `guardian.env`",
	    env_keys, 0, &v)) != -1) {
		if (k == 0)
			conf_env_pass(yf, v);
		else
			conf_env_set(yf, v);
	}
}

static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "auth", LOG_AUTH },
	{ "authpriv", LOG_AUTHPRIV },
	{ "daemon", LOG_DAEMON },
	{ "user", LOG_USER },
	{ "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

enum audit_key {
	AU_SYSLOG,
	AU_FILE,
	AU_ON_FAILURE,
	AU_SYSLOG_REQUIRED,
	AU_NKEYS
};

static const char *const audit_keys[AU_NKEYS + 1] = {
	[AU_SYSLOG] = "syslog",
	[AU_FILE] = "file",
	[AU_ON_FAILURE] = "on_failure",
	[AU_SYSLOG_REQUIRED] = "syslog_required",
	[AU_NKEYS] = NULL
};

static void
conf_audit(struct yfile *yf, struct ynode *sec)
{
	struct config	*conf = yf->ld->conf;
	struct ynode	*v;
	const char	*s;
	char		 eb[ESCBUF];
	size_t		 i = 0, f;
	int		 k;

	if (!check_map(yf, sec, "guardian.audit"))
		return;
	while ((k = next_pair(yf, sec, &i, "section `guardian.audit`",
	    audit_keys, 0, &v)) != -1) {
		if (k == AU_FILE) {
			set_path(yf, v, "guardian.audit.file",
			    &conf->audit_file);
			continue;
		}
		if (k == AU_ON_FAILURE) {
			if ((s = get_str(yf, v, "guardian.audit.on_failure")) ==
			    NULL)
				continue;
			if (strcmp(s, "refuse") == 0)
				conf->audit_continue = 0;
			else if (strcmp(s, "continue") == 0)
				conf->audit_continue = 1;
			else
				yerr(yf->ld, yf->path, v->line,
				    "`guardian.audit.on_failure`: \"%s\" is "
				    "neither refuse nor continue",
				    esc(s, v->len, eb));
			continue;
		}
		if (k == AU_SYSLOG_REQUIRED) {
			get_bool(yf, v, "guardian.audit.syslog_required",
			    &conf->audit_syslog_required);
			continue;
		}
		if ((s = get_str(yf, v, "guardian.audit.syslog")) == NULL)
			continue;
		for (f = 0; f < sizeof(facilities) / sizeof(facilities[0]);
		    f++)
			if (strcmp(facilities[f].name, s) == 0)
				break;
		if (f == sizeof(facilities) / sizeof(facilities[0]))
			yerr(yf->ld, yf->path, v->line,
			    "`guardian.audit.syslog`: unknown facility \"%s\" "
			    "(auth, authpriv, daemon, user, local0-local7)",
			    esc(s, v->len, eb));
		else
			conf->audit_facility = facilities[f].facility;
	}
}

enum limits_key {
	LIM_PENDING_PER_CLOISTER,
	LIM_PENDING,
	LIM_RUNNING,
	LIM_RUNNING_PER_CLOISTER,
	LIM_CONNECTIONS,
	LIM_CONNECTIONS_PER_PEER,
	LIM_UI_CONNECTIONS,
	LIM_UI_CONNECTIONS_PER_PEER,
	LIM_ARGS,
	LIM_BODY,
	LIM_HEADERS,
	LIM_READ_TIMEOUT,
	LIM_IDLE_TIMEOUT,
	LIM_NKEYS
};

static const char *const limits_keys[LIM_NKEYS + 1] = {
	[LIM_PENDING_PER_CLOISTER] = "pending_per_cloister",
	[LIM_PENDING] = "pending",
	[LIM_RUNNING] = "running",
	[LIM_RUNNING_PER_CLOISTER] = "running_per_cloister",
	[LIM_CONNECTIONS] = "connections",
	[LIM_CONNECTIONS_PER_PEER] = "connections_per_peer",
	[LIM_UI_CONNECTIONS] = "ui_connections",
	[LIM_UI_CONNECTIONS_PER_PEER] = "ui_connections_per_peer",
	[LIM_ARGS] = "args",
	[LIM_BODY] = "body",
	[LIM_HEADERS] = "headers",
	[LIM_READ_TIMEOUT] = "read_timeout",
	[LIM_IDLE_TIMEOUT] = "idle_timeout",
	[LIM_NKEYS] = NULL
};

static void
conf_limits(struct yfile *yf, struct ynode *sec)
{
	struct config	*conf = yf->ld->conf;
	struct ynode	*v;
	char		 what[64];
	size_t		 i = 0;
	int		 k;

	if (!check_map(yf, sec, "guardian.limits"))
		return;
	while ((k = next_pair(yf, sec, &i, "section `guardian.limits`",
	    limits_keys, 0, &v)) != -1) {
		(void)snprintf(what, sizeof(what), "guardian.limits.%s",
		    limits_keys[k]);
		switch ((enum limits_key)k) {
		case LIM_PENDING_PER_CLOISTER:
			get_count(yf, v, what,
			    &conf->limits.pending_per_cloister);
			break;
		case LIM_PENDING:
			get_count(yf, v, what, &conf->limits.pending);
			break;
		case LIM_RUNNING:
			get_count(yf, v, what, &conf->limits.running);
			break;
		case LIM_RUNNING_PER_CLOISTER:
			get_count(yf, v, what,
			    &conf->limits.running_per_cloister);
			break;
		case LIM_CONNECTIONS:
			get_count(yf, v, what, &conf->limits.connections);
			break;
		case LIM_CONNECTIONS_PER_PEER:
			get_count(yf, v, what,
			    &conf->limits.connections_per_peer);
			break;
		case LIM_UI_CONNECTIONS:
			get_count(yf, v, what, &conf->limits.ui_connections);
			break;
		case LIM_UI_CONNECTIONS_PER_PEER:
			get_count(yf, v, what,
			    &conf->limits.ui_connections_per_peer);
			break;
		case LIM_ARGS:
			get_count(yf, v, what, &conf->limits.args);
			/* Every message about a request must fit a frame. */
			if (conf->limits.args > CONFIG_ARGS_MAX)
				yerr(yf->ld, yf->path, v->line, "`%s`: at most "
				    "%d, so that every message about a "
				    "request fits the daemon's frames", what,
				    CONFIG_ARGS_MAX);
			break;
		case LIM_BODY:
			get_size(yf, v, what, &conf->limits.body);
			break;
		case LIM_HEADERS:
			get_size(yf, v, what, &conf->limits.headers);
			break;
		case LIM_READ_TIMEOUT:
			get_duration(yf, v, what, &conf->limits.read_timeout,
			    0);
			break;
		case LIM_IDLE_TIMEOUT:
			get_duration(yf, v, what, &conf->limits.idle_timeout,
			    0);
			break;
		case LIM_NKEYS:
			break;
		}
	}
}

static void
cloister_conf_free(struct cloister_conf *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->project);
	free(c->worktree);
	if (c->token != NULL)
		freezero(c->token, strlen(c->token));
	free(c->token_file);
	free(c->file);
	free(c);
}

/* The first line of a token file, which only its owner may read. */
static char *
read_token(struct yfile *yf, int line, const char *name, const char *path)
{
	struct stat	 st;
	char		 buf[TOKEN_FILE_MAX + 1], *nl, *tok = NULL;
	char		 eb[ESCBUF];
	const char	*epath;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd;

	epath = esc(path, strlen(path), eb);
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1) {
		yerr(yf->ld, yf->path, line, "cloister `%s`: token file %s: "
		    "%s", name, epath, strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) == -1) {
		yerr(yf->ld, yf->path, line, "cloister `%s`: token file %s: "
		    "%s", name, epath, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		yerr(yf->ld, yf->path, line, "cloister `%s`: token file %s "
		    "is not a regular file", name, epath);
		goto done;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		yerr(yf->ld, yf->path, line, "cloister `%s`: token file %s "
		    "is accessible by group or others (mode %04o): "
		    "chmod 600 it", name, epath,
		    (unsigned int)(st.st_mode & 07777));
		goto done;
	}
	while (len < TOKEN_FILE_MAX) {
		r = read(fd, buf + len, TOKEN_FILE_MAX - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			yerr(yf->ld, yf->path, line, "cloister `%s`: token "
			    "file %s: %s", name, epath, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		len += r;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	buf[len] = '\0';
	if ((nl = memchr(buf, '\n', len)) != NULL)
		*nl = '\0';
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t' ||
	    buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (!config_valid_token(buf))
		yerr(yf->ld, yf->path, line, "cloister `%s`: token file %s: "
		    "the token must be %d to %d printable ASCII characters "
		    "without blanks", name, epath, CONFIG_TOKEN_MIN,
		    CONFIG_TOKEN_MAX);
	else
		tok = xstrdup(buf);
 done:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return (tok);
}

enum cloister_key {
	CL_NAME,
	CL_PROJECT,
	CL_WORKTREE,
	CL_TOKEN,
	CL_TOKEN_FILE,
	CL_NKEYS
};

static const char *const cloister_keys[CL_NKEYS + 1] = {
	[CL_NAME] = "name",
	[CL_PROJECT] = "project",
	[CL_WORKTREE] = "worktree",
	[CL_TOKEN] = "token",
	[CL_TOKEN_FILE] = "token_file",
	[CL_NKEYS] = NULL
};

static void
conf_cloister(struct yfile *yf, struct ynode *ent)
{
	struct config		*conf = yf->ld->conf;
	struct cloister_conf	*c, *o;
	struct ynode		*v, *f[CL_NKEYS] = { NULL };
	const char		*s, *label = "?";
	char			 eb[ESCBUF], lbl[ESCBUF];
	size_t			 i = 0;
	int			 k, nerr = yf->ld->nerr;

	if (ent->type == Y_BAD)
		return;
	if (ent->type != Y_MAP) {
		yerr(yf->ld, yf->path, ent->line, "`guardian.cloisters` "
		    "entries must be mappings, not a %s", tname(ent));
		return;
	}
	if (!check_map(yf, ent, "guardian.cloisters"))
		return;
	while ((k = next_pair(yf, ent, &i, "a `guardian.cloisters` entry",
	    cloister_keys, 0, &v)) != -1)
		f[k] = v;

	c = xcalloc(1, sizeof(*c));
	c->file = xstrdup(yf->path);
	c->line = ent->line;
	if (f[CL_NAME] == NULL)
		yerr(yf->ld, yf->path, ent->line, "cloister without `name`");
	else if ((s = get_str(yf, f[CL_NAME], "guardian.cloisters.name")) !=
	    NULL) {
		label = esc(s, f[CL_NAME]->len, lbl);
		if (config_valid_name(s))
			c->name = xstrdup(s);
		else
			yerr(yf->ld, yf->path, f[CL_NAME]->line, "bad cloister "
			    "name \"%s\": want [A-Za-z0-9][A-Za-z0-9._-]{0,63}",
			    esc(s, f[CL_NAME]->len, eb));
	}
	if (f[CL_PROJECT] != NULL && (s = get_str(yf, f[CL_PROJECT],
	    "guardian.cloisters.project")) != NULL) {
		if (config_valid_project(s))
			c->project = xstrdup(s);
		else
			yerr(yf->ld, yf->path, f[CL_PROJECT]->line, "cloister "
			    "`%s`: bad project name \"%s\": want %s", label,
			    esc(s, f[CL_PROJECT]->len, eb),
			    CONFIG_PROJECT_RULE);
	}
	if (c->project == NULL && f[CL_PROJECT] == NULL && c->name != NULL)
		c->project = xstrdup(c->name);
	if (f[CL_WORKTREE] == NULL)
		yerr(yf->ld, yf->path, ent->line, "cloister `%s`: `worktree` "
		    "is required", label);
	else
		c->worktree = get_path(yf, f[CL_WORKTREE],
		    "guardian.cloisters.worktree");
	if (f[CL_TOKEN] != NULL && f[CL_TOKEN_FILE] != NULL)
		yerr(yf->ld, yf->path, ent->line, "cloister `%s`: `token` and "
		    "`token_file` are mutually exclusive", label);
	else if (f[CL_TOKEN] == NULL && f[CL_TOKEN_FILE] == NULL)
		yerr(yf->ld, yf->path, ent->line, "cloister `%s`: `token` or "
		    "`token_file` is required", label);
	else if (f[CL_TOKEN] != NULL) {
		s = get_str(yf, f[CL_TOKEN], "guardian.cloisters.token");
		if (s != NULL && config_valid_token(s))
			c->token = xstrdup(s);
		else if (s != NULL)
			yerr(yf->ld, yf->path, f[CL_TOKEN]->line, "cloister "
			    "`%s`: the token must be %d to %d printable ASCII "
			    "characters without blanks", label,
			    CONFIG_TOKEN_MIN, CONFIG_TOKEN_MAX);
	} else if ((c->token_file = get_path(yf, f[CL_TOKEN_FILE],
	    "guardian.cloisters.token_file")) != NULL)
		c->token = read_token(yf, f[CL_TOKEN_FILE]->line, label,
		    c->token_file);

	if (c->name != NULL) {
		TAILQ_FOREACH(o, &conf->cloisters, entry)
			if (strcmp(o->name, c->name) == 0)
				yerr(yf->ld, yf->path, ent->line, "cloister "
				    "`%s` defined twice (first at line %d)",
				    c->name, o->line);
	}
	if (c->token != NULL) {
		TAILQ_FOREACH(o, &conf->cloisters, entry)
			if (strcmp(o->token, c->token) == 0)
				yerr(yf->ld, yf->path, ent->line, "cloister "
				    "`%s` has the same token as cloister `%s`",
				    label, o->name);
	}
	/* Only a cloister without any error is registered. */
	if (yf->ld->nerr != nerr)
		cloister_conf_free(c);
	else
		TAILQ_INSERT_TAIL(&conf->cloisters, c, entry);
}

/*
 * guardian.trusted_path: directories an automatic approval may run a
 * program from.  Kept as the kernel names them (realpath), since the
 * program is known by the file it opened: /bin on a merged /usr is
 * /usr/bin.
 */
static void
conf_trusted_path(struct yfile *yf, struct ynode *v)
{
	struct config	*conf = yf->ld->conf;
	struct strent	*se;
	char		*p, real[PATH_MAX];
	size_t		 i;

	conf->trusted_path_set = 1;
	if (v->type != Y_SEQ) {
		yerr(yf->ld, yf->path, v->line, "`guardian.trusted_path` "
		    "must be a list, not a %s", tname(v));
		return;
	}
	for (i = 0; i < v->nkid; i++) {
		if (v->kid[i]->type == Y_BAD)
			continue;
		if ((p = get_path(yf, v->kid[i],
		    "guardian.trusted_path")) == NULL)
			continue;
		if (realpath(p, real) != NULL) {
			free(p);
			p = xstrdup(real);
		}
		se = xcalloc(1, sizeof(*se));
		se->s = p;
		TAILQ_INSERT_TAIL(&conf->trusted_path, se, entry);
	}
}

enum guardian_key {
	G_DEFAULT,
	G_EXEC_TIMEOUT,
	G_MAX_OUTPUT,
	G_ENV,
	G_AUDIT,
	G_LIMITS,
	G_CLOISTERS,
	G_CONTROL,
	G_STATE_DIR,
	G_USER,
	G_UI_ALLOW_REMOTE,
	G_DENY,
	G_REQUEST_LISTEN,
	G_UI_LISTEN,
	G_PING_TIMEOUT,
	G_CHECK_TIMEOUT,
	G_CONFINE,
	G_TRUSTED_PATH,
	G_NOTIFY,
	G_NKEYS
};

static const char *const guardian_keys[G_NKEYS + 1] = {
	[G_DEFAULT] = "default",
	[G_EXEC_TIMEOUT] = "exec_timeout",
	[G_MAX_OUTPUT] = "max_output",
	[G_ENV] = "env",
	[G_AUDIT] = "audit",
	[G_LIMITS] = "limits",
	[G_CLOISTERS] = "cloisters",
	[G_CONTROL] = "control",
	[G_STATE_DIR] = "state_dir",
	[G_USER] = "user",
	[G_UI_ALLOW_REMOTE] = "ui_allow_remote",
	[G_DENY] = "deny",
	[G_REQUEST_LISTEN] = "request_listen",
	[G_UI_LISTEN] = "ui_listen",
	[G_PING_TIMEOUT] = "ping_timeout",
	[G_CHECK_TIMEOUT] = "check_timeout",
	[G_CONFINE] = "confine",
	[G_TRUSTED_PATH] = "trusted_path",
	[G_NOTIFY] = "notify",
	[G_NKEYS] = NULL
};

static int
valid_user(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || (s[i] == '-' && i > 0)))
			return (0);
	return (i > 0 && i <= 32);
}

static void
conf_guardian(struct yfile *yf, struct ynode *sec)
{
	struct config	*conf = yf->ld->conf;
	struct ynode	*v;
	const char	*s;
	char		 eb[ESCBUF];
	size_t		 i = 0, j;
	int		 k, line = 0;

	if (!check_map(yf, sec, "guardian"))
		return;
	while ((k = next_pair(yf, sec, &i, "section `guardian`",
	    guardian_keys, 0, &v)) != -1) {
		switch ((enum guardian_key)k) {
		case G_DEFAULT:
			if ((s = get_str(yf, v, "guardian.default")) == NULL)
				break;
			if (strcmp(s, "deny") == 0)
				conf->default_manual = 0;
			else if (strcmp(s, "manual") == 0)
				conf->default_manual = 1;
			else
				yerr(yf->ld, yf->path, v->line,
				    "`guardian.default` must be deny or "
				    "manual, not \"%s\"", esc(s, v->len, eb));
			break;
		case G_EXEC_TIMEOUT:
			get_duration(yf, v, "guardian.exec_timeout",
			    &conf->exec_timeout, 1);
			break;
		case G_MAX_OUTPUT:
			get_size(yf, v, "guardian.max_output",
			    &conf->max_output);
			break;
		case G_ENV:
			conf_env(yf, v);
			break;
		case G_AUDIT:
			conf_audit(yf, v);
			break;
		case G_LIMITS:
			conf_limits(yf, v);
			break;
		case G_CLOISTERS:
			if (v->type != Y_SEQ) {
				yerr(yf->ld, yf->path, v->line,
				    "`guardian.cloisters` must be a list, "
				    "not a %s", tname(v));
				break;
			}
			for (j = 0; j < v->nkid; j++)
				conf_cloister(yf, v->kid[j]);
			break;
		case G_CONTROL:
			set_path(yf, v, "guardian.control",
			    &conf->control_path);
			break;
		case G_STATE_DIR:
			set_path(yf, v, "guardian.state_dir",
			    &conf->state_dir);
			break;
		case G_USER:
			if ((s = get_str(yf, v, "guardian.user")) == NULL)
				break;
			if (!valid_user(s))
				yerr(yf->ld, yf->path, v->line,
				    "`guardian.user`: bad user name \"%s\"",
				    esc(s, v->len, eb));
			else {
				free(conf->user);
				conf->user = xstrdup(s);
			}
			break;
		case G_UI_ALLOW_REMOTE:
			get_bool(yf, v, "guardian.ui_allow_remote",
			    &conf->ui_allow_remote);
			break;
		case G_DENY:
			conf_patterns(yf, v, "guardian.deny",
			    &conf->global.kind[PAT_DENY]);
			break;
		case G_REQUEST_LISTEN:
			yf->ld->g_request_set = 1;
			conf_listen(yf, v, "guardian.request_listen",
			    &conf->request_listen);
			break;
		case G_UI_LISTEN:
			yf->ld->g_ui_set = 1;
			conf_listen(yf, v, "guardian.ui_listen",
			    &conf->ui_listen);
			break;
		case G_PING_TIMEOUT:
			get_duration(yf, v, "guardian.ping_timeout",
			    &conf->ping_timeout, 0);
			line = v->line;
			break;
		case G_CHECK_TIMEOUT:
			get_duration(yf, v, "guardian.check_timeout",
			    &conf->check_timeout, 0);
			if (line == 0)
				line = v->line;
			break;
		case G_CONFINE:
			conf_confine(yf, v);
			break;
		case G_TRUSTED_PATH:
			conf_trusted_path(yf, v);
			break;
		case G_NOTIFY:
			conf_notify(yf, v);
			break;
		case G_NKEYS:
			break;
		}
	}
	/*
	 * A policy check says nothing until it is done: a child busy with
	 * one must not pass for one that stopped answering.
	 */
	if (line != 0 && conf->ping_timeout < 2 * conf->check_timeout)
		yerr(yf->ld, yf->path, line, "`guardian.ping_timeout` must be "
		    "at least twice `guardian.check_timeout`");
}

/*
 * The top of a file.  An empty main file (cloister's config.yaml,
 * guardiand.yaml) is an error: a file truncated by a failed editor or
 * a half-finished copy must never pass for "all defaults", which would
 * switch the audit file off and revoke the cloisters on a reload.
 */
static int
check_root(struct yfile *yf, struct ynode *root, int empty_ok)
{
	if (root == NULL || (root->type == Y_SCALAR && root->null)) {
		if (!empty_ok)
			yerr(yf->ld, yf->path, 1,
			    "the file is empty: an empty or half-written "
			    "file is never taken for the defaults");
		return (0);
	}
	if (root->type != Y_MAP) {
		if (root->type != Y_BAD)
			yerr(yf->ld, yf->path, root->line, "the top level "
			    "must be a mapping of sections, not a %s",
			    tname(root));
		return (0);
	}
	return (check_map(yf, root, "top level"));
}

/* What guardiand reads of cloister's config.yaml. */
static const char *const main_sections[] = { "request", "hostexec", NULL };

static void
conf_main(struct yfile *yf, struct ynode *root)
{
	struct ynode	*v;
	size_t		 i = 0;
	int		 k;

	if (!check_root(yf, root, 0))
		return;
	cloister_check(yf, root);
	while ((k = next_pair(yf, root, &i, NULL, main_sections, 0,
	    &v)) != -1) {
		if (k == 0)
			conf_request(yf, v);
		else
			conf_hostexec(yf, v, &yf->ld->conf->global);
	}
}

/* cloister's top-level sections, misplaced in guardiand's file. */
static const char *const cloister_sections[] = {
	"proxy", "request", "hostexec", "devcontainer", "agents", "defaults",
	"log", NULL
};
static const char *const guardiand_sections[] = { "guardian", NULL };

/*
 * The top level of one of guardiand's own files: `guardian` only,
 * handed to fn.
 */
static void
conf_gtop(struct yfile *yf, struct ynode *root, const char *home,
    void (*fn)(struct yfile *, struct ynode *, void *), void *arg)
{
	struct ynode	*k, *v;
	char		 eb[ESCBUF], hint[ESCBUF];
	size_t		 i, j;

	if (!check_root(yf, root, arg != NULL))
		return;
	for (i = 0; i + 1 < root->nkid; i += 2) {
		k = root->kid[i];
		v = root->kid[i + 1];
		if (!check_key(yf, k))
			continue;
		if (strcmp(k->s, "guardian") == 0) {
			if (v->type != Y_BAD &&
			    !(v->type == Y_SCALAR && v->null))
				fn(yf, v, arg);
			continue;
		}
		for (j = 0; cloister_sections[j] != NULL; j++)
			if (strcmp(k->s, cloister_sections[j]) == 0)
				break;
		if (cloister_sections[j] != NULL)
			yerr(yf->ld, yf->path, k->line, "`%s` is cloister's "
			    "section: it belongs in %s", k->s, home);
		else
			yerr(yf->ld, yf->path, k->line, "unknown key `%s` at "
			    "the top level: guardiand's file holds only "
			    "`guardian`%s", esc(k->s, k->len, eb),
			    didyoumean(k->s, guardiand_sections, hint));
	}
}

static void
gmain_guardian(struct yfile *yf, struct ynode *sec, void *arg)
{
	conf_guardian(yf, sec);
}

/* guardiand.yaml: optional. */
static void
load_gmain(struct loader *ld)
{
	struct config	*conf = ld->conf;
	struct yfile	 yf;
	struct ynode	*root;
	struct stat	 st;

	if (stat(conf->gpath, &st) == -1 && errno == ENOENT)
		return;
	memset(&yf, 0, sizeof(yf));
	yf.ld = ld;
	yf.path = conf->gpath;
	if (load_yaml(&yf, &root) == 0) {
		conf_gtop(&yf, root, conf->path, gmain_guardian, NULL);
		yfree(root);
	}
}

static struct project_conf *
project_get(struct config *conf, const char *name)
{
	struct project_conf	*pc;
	int			 k;

	if ((pc = config_project(conf, name)) != NULL)
		return (pc);
	pc = xcalloc(1, sizeof(*pc));
	for (k = 0; k < PAT_NKINDS; k++)
		TAILQ_INIT(&pc->pats.kind[k]);
	pc->name = xstrdup(name);
	RB_INSERT(project_tree, &conf->projects, pc);
	return (pc);
}

static void
free_patterns(struct patterns *pats)
{
	struct pattern_src	*ps;
	int			 k;

	for (k = 0; k < PAT_NKINDS; k++)
		while ((ps = TAILQ_FIRST(&pats->kind[k])) != NULL) {
			TAILQ_REMOVE(&pats->kind[k], ps, entry);
			free(ps->re);
			free(ps->file);
			free(ps);
		}
}

/* Patterns Go would refuse make cloister ignore the file. */
static void
compile_check(struct yfile *yf, struct pattern_list *pl)
{
	struct pattern_src	*ps;
	struct pattern		*pat;
	char			 err[256];

	TAILQ_FOREACH(ps, pl, entry) {
		if ((pat = pattern_compile(ps->re, err, sizeof(err))) == NULL)
			yerr(yf->ld, ps->file, ps->line, "%s", err);
		pattern_free(pat);
	}
}

static const char *const project_sections[] = { "hostexec", NULL };

/*
 * projects/NAME.yaml, cloister's: what cloister would ignore the file
 * for is a warning, and the project gets the global patterns only (the
 * file holds no deny patterns, so that can only make the policy
 * stricter); what cloister would not see, guardiand's deny lists, is
 * an error.
 */
static void
load_project(struct loader *ld, const char *dir, const char *fname)
{
	struct config		*conf = ld->conf;
	struct project_conf	*pc;
	struct patterns		 pats;
	struct yfile		 yf;
	struct ynode		*root, *v;
	char			*name, *path, eb[ESCBUF];
	size_t			 i = 0;
	int			 k;

	if (asprintf(&path, "%s/%s", dir, fname) == -1)
		fatal("%s", __func__);
	if ((name = strndup(fname, strlen(fname) - 5)) == NULL)
		fatal("%s", __func__);
	ld->nwarn = 0;
	if (!config_valid_project(name)) {
		ywarn(ld, path, 0, "ignored: \"%s\" is not a project "
		    "name (%s)", esc(name, strlen(name), eb),
		    CONFIG_PROJECT_RULE);
		free(name);
		free(path);
		return;
	}
	pc = project_get(conf, name);
	free(name);
	pc->file = path;
	for (k = 0; k < PAT_NKINDS; k++)
		TAILQ_INIT(&pats.kind[k]);

	memset(&yf, 0, sizeof(yf));
	yf.ld = ld;
	yf.path = pc->file;
	yf.project = pc->name;
	ld->warnmode = 1;
	if (load_yaml(&yf, &root) == 0) {
		if (check_root(&yf, root, 1)) {
			cloister_check(&yf, root);
			while ((k = next_pair(&yf, root, &i, NULL,
			    project_sections, 0, &v)) != -1)
				conf_hostexec(&yf, v, &pats);
		}
		yfree(root);
	}
	compile_check(&yf, &pats.kind[PAT_AUTO]);
	compile_check(&yf, &pats.kind[PAT_MANUAL]);
	ld->warnmode = 0;

	if (ld->nwarn > 0) {
		/* A valid name has nothing to escape. */
		ywarn(ld, pc->file, 0, "ignored, as cloister ignores "
		    "it: project `%s` gets the global patterns only",
		    pc->name);
		pc->ignored = 1;
		free_patterns(&pats);
		return;
	}
	for (k = PAT_AUTO; k <= PAT_MANUAL; k++)
		TAILQ_CONCAT(&pc->pats.kind[k], &pats.kind[k], entry);
}

static const char *const gproject_keys[] = { "deny", NULL };

static void
gproject_guardian(struct yfile *yf, struct ynode *sec, void *arg)
{
	struct project_conf	*pc = arg;
	struct ynode		*v;
	size_t			 i = 0;

	if (!check_map(yf, sec, "guardian"))
		return;
	while (next_pair(yf, sec, &i, "section `guardian` of a project",
	    gproject_keys, 0, &v) != -1)
		conf_patterns(yf, v, "guardian.deny",
		    &pc->pats.kind[PAT_DENY]);
}

/* guardiand.d/NAME.yaml: guardiand's own, so its errors are errors. */
static void
load_gproject(struct loader *ld, const char *dir, const char *fname)
{
	struct config		*conf = ld->conf;
	struct project_conf	*pc;
	struct yfile		 yf;
	struct ynode		*root;
	char			*name, *path, *home, eb[ESCBUF];

	if (asprintf(&path, "%s/%s", dir, fname) == -1)
		fatal("%s", __func__);
	if ((name = strndup(fname, strlen(fname) - 5)) == NULL)
		fatal("%s", __func__);
	if (!config_valid_project(name)) {
		yerr(ld, path, 0, "\"%s\" is not a project name (%s)",
		    esc(name, strlen(name), eb), CONFIG_PROJECT_RULE);
		free(name);
		free(path);
		return;
	}
	pc = project_get(conf, name);
	free(name);
	pc->gfile = path;
	if (asprintf(&home, "%s/%s/%s.yaml", conf->dir, PROJECTS_DIR,
	    pc->name) == -1)
		fatal("%s", __func__);
	memset(&yf, 0, sizeof(yf));
	yf.ld = ld;
	yf.path = pc->gfile;
	if (load_yaml(&yf, &root) == 0) {
		conf_gtop(&yf, root, home, gproject_guardian, pc);
		yfree(root);
	}
	free(home);
}

static int
yaml_file(const struct dirent *d)
{
	size_t	 len = strlen(d->d_name);

	/* Dot files are editor droppings (.#x.yaml), not projects. */
	return (d->d_name[0] != '.' && len > 5 &&
	    strcmp(d->d_name + len - 5, ".yaml") == 0);
}

static void
load_dir(struct loader *ld, const char *sub,
    void (*fn)(struct loader *, const char *, const char *))
{
	struct dirent	**ents;
	char		 *dir;
	int		  i, n;

	if (asprintf(&dir, "%s/%s", ld->conf->dir, sub) == -1)
		fatal("%s", __func__);
	if ((n = scandir(dir, &ents, yaml_file, alphasort)) == -1) {
		if (errno != ENOENT)
			yerr(ld, dir, 0, "%s", strerror(errno));
		free(dir);
		return;
	}
	for (i = 0; i < n; i++) {
		fn(ld, dir, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	free(dir);
}

static void
add_default_listen(struct config *conf, struct listen_list *ll,
    const char *spec)
{
	struct listen_addr	*la;
	const char		*errstr;

	if ((la = listen_addr_parse(spec, &errstr)) == NULL)
		fatalx("%s: %s: %s", __func__, spec, errstr);
	la->file = xstrdup(conf->path);
	la->line = 0;
	TAILQ_INSERT_TAIL(ll, la, entry);
}

static int
same_addr(const struct listen_addr *a, const struct listen_addr *b)
{
	if (a->is_unix != b->is_unix)
		return (0);
	if (a->is_unix)
		return (strcmp(a->path, b->path) == 0);
	return (strcmp(a->host, b->host) == 0 &&
	    strcmp(a->port, b->port) == 0);
}

/* The same address twice would only fail later, at bind time. */
static void
check_listeners(struct loader *ld)
{
	struct config		*conf = ld->conf;
	struct listen_list	*lists[2] = {
		&conf->request_listen, &conf->ui_listen
	};
	struct listen_addr	*a, *b;
	char			 eb[ESCBUF];
	int			 i, j, found;

	for (i = 0; i < 2; i++) {
		TAILQ_FOREACH(a, lists[i], entry) {
			found = 0;
			for (j = 0; j <= i && !found; j++) {
				TAILQ_FOREACH(b, lists[j], entry) {
					if (b == a)
						break;
					if (!same_addr(a, b))
						continue;
					found = 1;
					break;
				}
			}
			if (!found)
				continue;
			esc(a->spec, strlen(a->spec), eb);
			if (b->line > 0 && strcmp(a->file, b->file) == 0)
				yerr(ld, a->file, a->line, "listen address "
				    "\"%s\" is already used at line %d", eb,
				    b->line);
			else if (b->line > 0)
				yerr(ld, a->file, a->line, "listen address "
				    "\"%s\" is already used at %s:%d", eb,
				    b->file, b->line);
			else
				yerr(ld, a->file, a->line, "listen address "
				    "\"%s\" is already used by a default "
				    "listener", eb);
		}
	}
}

static char *
dir_of(const char *path)
{
	const char	*slash;
	char		*d;

	if ((slash = strrchr(path, '/')) == NULL)
		return (xstrdup("."));
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return (xstrdup("/"));
	if ((d = strndup(path, slash - path)) == NULL)
		fatal("%s", __func__);
	return (d);
}

/* The listeners of one kind: guardiand.yaml's, else config.yaml's. */
static void
pick_listen(struct listen_list *ours, int ours_set, struct listen_list *cl,
    int cl_set)
{
	struct listen_addr	*la;

	if (ours_set || !cl_set) {
		while ((la = TAILQ_FIRST(cl)) != NULL) {
			TAILQ_REMOVE(cl, la, entry);
			listen_addr_free(la);
		}
		return;
	}
	TAILQ_CONCAT(ours, cl, entry);
}

/* The text written to f, NULL if none. */
static char *
stream_done(FILE *f, char **bufp, size_t *lenp)
{
	if (fclose(f) != 0)
		fatal("%s", __func__);
	if (*lenp == 0) {
		free(*bufp);
		*bufp = NULL;
	}
	return (*bufp);
}

struct config *
config_load(const char *path, char **errs)
{
	struct loader	 ld;
	struct config	*conf;
	struct yfile	 yf;
	struct ynode	*root;
	int		 k;

	if (errs != NULL)
		*errs = NULL;
	memset(&ld, 0, sizeof(ld));
	if ((ld.errf = open_memstream(&ld.errbuf, &ld.errlen)) == NULL ||
	    (ld.warnf = open_memstream(&ld.warnbuf, &ld.warnlen)) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&ld.cl_request_listen);
	TAILQ_INIT(&ld.cl_ui_listen);

	conf = xcalloc(1, sizeof(*conf));
	ld.conf = conf;
	TAILQ_INIT(&conf->request_listen);
	TAILQ_INIT(&conf->ui_listen);
	TAILQ_INIT(&conf->env_pass);
	TAILQ_INIT(&conf->trusted_path);
	TAILQ_INIT(&conf->env_set);
	TAILQ_INIT(&conf->cloisters);
	TAILQ_INIT(&conf->confine_profiles);
	RB_INIT(&conf->confine_rules);
	for (k = 0; k < PAT_NKINDS; k++)
		TAILQ_INIT(&conf->global.kind[k]);
	RB_INIT(&conf->projects);
	conf->approval_timeout = 5 * 60 * 1000;
	conf->exec_timeout = 30 * 60 * 1000;
	conf->ping_timeout = 10 * 1000;
	conf->check_timeout = 1000;
	conf->notify_timeout = NOTIFY_TIMEOUT_DEFAULT;
	conf->max_output = 16 * 1024 * 1024;
	conf->env_pass_all = 1;
	conf->audit_facility = LOG_AUTHPRIV;
	conf->limits.pending_per_cloister = 32;
	conf->limits.pending = 256;
	conf->limits.running = 64;
	conf->limits.running_per_cloister = 32;
	conf->limits.connections = 512;
	conf->limits.connections_per_peer = 128;
	conf->limits.ui_connections = 1024;
	conf->limits.ui_connections_per_peer = 256;
	conf->limits.args = 4096;
	conf->limits.body = 1024 * 1024;
	conf->limits.headers = 16 * 1024;
	conf->limits.read_timeout = 30 * 1000;
	conf->limits.idle_timeout = 60 * 1000;
	conf->path = xstrdup(path);
	conf->dir = dir_of(path);
	if (asprintf(&conf->gpath, "%s/%s", conf->dir, GUARDIAND_FILE) == -1)
		fatal("%s", __func__);

	memset(&yf, 0, sizeof(yf));
	yf.ld = &ld;
	yf.path = conf->path;
	if (load_yaml(&yf, &root) == 0) {
		conf_main(&yf, root);
		yfree(root);
	}
	load_gmain(&ld);

	pick_listen(&conf->request_listen, ld.g_request_set,
	    &ld.cl_request_listen, ld.cl_request_set);
	pick_listen(&conf->ui_listen, ld.g_ui_set, &ld.cl_ui_listen,
	    ld.cl_ui_set);
	if (!ld.g_request_set && !ld.cl_request_set) {
		conf->request_listen_default = 1;
		add_default_listen(conf, &conf->request_listen,
		    "127.0.0.1:9998");
	}
	if (!ld.g_ui_set && !ld.cl_ui_set)
		add_default_listen(conf, &conf->ui_listen, "127.0.0.1:9999");
	check_listeners(&ld);
	load_dir(&ld, PROJECTS_DIR, load_project);
	load_dir(&ld, GUARDIAND_DIR, load_gproject);
	confine_check_rules(&ld);

	(void)stream_done(ld.errf, &ld.errbuf, &ld.errlen);
	conf->warnings = stream_done(ld.warnf, &ld.warnbuf, &ld.warnlen);
	if (ld.nerr > 0) {
		config_free(conf);
		if (errs != NULL)
			*errs = ld.errbuf;
		else
			free(ld.errbuf);
		return (NULL);
	}
	free(ld.errbuf);
	return (conf);
}

static void
free_listen(struct listen_list *ll)
{
	struct listen_addr	*la;

	while ((la = TAILQ_FIRST(ll)) != NULL) {
		TAILQ_REMOVE(ll, la, entry);
		listen_addr_free(la);
	}
}

/* Listening fds are the caller's: they are not closed here. */
void
config_free(struct config *conf)
{
	struct strent		*se;
	struct env_var		*ev;
	struct cloister_conf	*c;
	struct project_conf	*pc;

	if (conf == NULL)
		return;
	free_listen(&conf->request_listen);
	free_listen(&conf->ui_listen);
	while ((se = TAILQ_FIRST(&conf->trusted_path)) != NULL) {
		TAILQ_REMOVE(&conf->trusted_path, se, entry);
		free(se->s);
		free(se);
	}
	while ((se = TAILQ_FIRST(&conf->env_pass)) != NULL) {
		TAILQ_REMOVE(&conf->env_pass, se, entry);
		free(se->s);
		free(se);
	}
	while ((ev = TAILQ_FIRST(&conf->env_set)) != NULL) {
		TAILQ_REMOVE(&conf->env_set, ev, entry);
		free(ev->name);
		freezero(ev->value, strlen(ev->value));
		free(ev);
	}
	while ((c = TAILQ_FIRST(&conf->cloisters)) != NULL) {
		TAILQ_REMOVE(&conf->cloisters, c, entry);
		cloister_conf_free(c);
	}
	confine_conf_free(conf);
	notify_conf_free(conf);
	free_patterns(&conf->global);
	while ((pc = RB_MIN(project_tree, &conf->projects)) != NULL) {
		RB_REMOVE(project_tree, &conf->projects, pc);
		free_patterns(&pc->pats);
		free(pc->name);
		free(pc->file);
		free(pc->gfile);
		free(pc);
	}
	free(conf->audit_file);
	free(conf->control_path);
	free(conf->state_dir);
	free(conf->user);
	free(conf->path);
	free(conf->dir);
	free(conf->gpath);
	free(conf->warnings);
	free(conf);
}

void
config_log_warnings(const struct config *conf)
{
	const char	*p, *nl;

	for (p = conf->warnings; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		log_warnx("%.*s", (int)(nl - p), p);
	}
}

struct project_conf *
config_project(struct config *conf, const char *name)
{
	struct project_conf	 key;

	key.name = (char *)name;
	return (RB_FIND(project_tree, &conf->projects, &key));
}
