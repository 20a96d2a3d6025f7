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
 * schemacheck SCHEMA global|project FILE
 *
 * Would cloister's configuration code accept FILE?  A check written
 * apart from guardiand's loader, from cloister's schema as listed in
 * SCHEMA (../shared/testdata/cloister/schema.txt), with the rules of
 * the decoder cloister uses (yaml.v3, KnownFields): every key must be
 * in the schema at its path, every value of the listed type; null is
 * the zero value of any type.  Exit 0 if so; 1, with "FILE:LINE:
 * message" lines on stderr, if not; 2 on trouble.
 *
 * It reads with libyaml's document API, which keeps aliases as
 * references to their anchor's node.
 */

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

enum kind { K_MAP, K_LIST, K_NAMES, K_STRING, K_INT, K_BOOL, K_STRINGS };

struct snode {
	char		*name;
	enum kind	 kind;
	struct snode	*kids;		/* of a map, a list's item, names */
	struct snode	*next;
};

static const char	*file;
static int		 nbad;
static regex_t		 re_int, re_float;

static void
bad(const yaml_node_t *n, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s:%lu: ", file,
	    n != NULL ? (unsigned long)n->start_mark.line + 1 : 0UL);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	nbad++;
}

static struct snode *
child(struct snode *parent, const char *name, size_t len, enum kind kind)
{
	struct snode	*s;

	for (s = parent->kids; s != NULL; s = s->next)
		if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
			return (s);
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->name = strndup(name, len)) == NULL) {
		perror("schemacheck");
		exit(2);
	}
	s->kind = kind;
	s->next = parent->kids;
	parent->kids = s;
	return (s);
}

/* "a.b[].c{}.d  TYPE ..." into the tree under root. */
static int
add_path(struct snode *root, char *line)
{
	struct snode	*s = root;
	char		*path, *type, *p, *dot;
	size_t		 len;
	enum kind	 leaf;

	path = strtok(line, " \t");
	type = strtok(NULL, "");
	if (path == NULL || type == NULL)
		return (-1);
	while (isspace((unsigned char)*type))
		type++;
	if (strncmp(type, "list of strings", 15) == 0)
		leaf = K_STRINGS;
	else if (strncmp(type, "string", 6) == 0)
		leaf = K_STRING;
	else if (strncmp(type, "int", 3) == 0)
		leaf = K_INT;
	else if (strncmp(type, "bool", 4) == 0)
		leaf = K_BOOL;
	else
		return (-1);
	for (p = path; ; p = dot + 1) {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (dot == NULL) {
			child(s, p, len, leaf);
			return (0);
		}
		if (len > 2 && strncmp(p + len - 2, "[]", 2) == 0)
			s = child(s, p, len - 2, K_LIST);
		else if (len > 2 && strncmp(p + len - 2, "{}", 2) == 0)
			s = child(s, p, len - 2, K_NAMES);
		else
			s = child(s, p, len, K_MAP);
	}
}

static int
load_schema(const char *path, const char *which, struct snode *root)
{
	FILE	*f;
	char	 line[512], head[64];
	int	 in = 0, n = 0;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return (-1);
	}
	snprintf(head, sizeof(head), "%s (", which);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#')
			continue;
		if (line[0] == '\0') {
			in = 0;
			continue;
		}
		if (strncmp(line, head, strlen(head)) == 0) {
			in = 1;
			continue;
		}
		if (!in)
			continue;
		if (add_path(root, line) == -1) {
			fprintf(stderr, "%s: cannot read \"%s\"\n", path, line);
			fclose(f);
			return (-1);
		}
		n++;
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "%s: no %s keys\n", path, which);
		return (-1);
	}
	return (0);
}

static const char *
value(const yaml_node_t *n)
{
	return ((const char *)n->data.scalar.value);
}

/*
 * Plain style: what yaml.v3 resolves (an explicit tag, which libyaml's
 * loader does not tell from its default, is not looked at).
 */
static int
plain(const yaml_node_t *n)
{
	return (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
}

/* A null: the zero value of whatever the field is. */
static int
is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null",
	    "NULL", NULL };
	const char *const	*p;

	if (n->type != YAML_SCALAR_NODE || !plain(n))
		return (0);
	for (p = nulls; *p != NULL; p++)
		if (strcmp(value(n), *p) == 0)
			return (1);
	return (0);
}

static int
int_ok(const yaml_node_t *n)
{
	char		 buf[128], *o = buf;
	const char	*s;
	double		 d;

	if (!plain(n) || strlen(value(n)) >= sizeof(buf))
		return (0);
	for (s = value(n); *s != '\0'; s++)
		if (*s != '_')
			*o++ = *s;
	*o = '\0';
	if (regexec(&re_int, buf, 0, NULL, 0) == 0 ||
	    regexec(&re_float, buf, 0, NULL, 0) == 0) {
		/* Within int64, near enough for a check. */
		if (buf[1] == 'x' || buf[1] == 'X' ||
		    buf[2] == 'x' || buf[2] == 'X')
			d = (double)strtoull(buf + (buf[0] == '-' ||
			    buf[0] == '+') + 2, NULL, 16);
		else if (buf[1] == 'o' || buf[1] == 'O' || buf[1] == 'b' ||
		    buf[1] == 'B' || buf[2] == 'o' || buf[2] == 'O' ||
		    buf[2] == 'b' || buf[2] == 'B')
			d = 0;
		else
			d = strtod(buf, NULL);
		return (d < 9.2233720368547758e18 && d >= -9.2233720368547758e18);
	}
	return (0);
}

static int
bool_ok(const yaml_node_t *n)
{
	static const char *const any[] = { "y", "Y", "yes", "Yes", "YES",
	    "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
	    NULL };
	static const char *const bare[] = { "true", "True", "TRUE", "false",
	    "False", "FALSE", NULL };
	const char *const	*p;

	for (p = any; *p != NULL; p++)
		if (strcmp(value(n), *p) == 0)
			return (1);
	for (p = bare; plain(n) && *p != NULL; p++)
		if (strcmp(value(n), *p) == 0)
			return (1);
	return (0);
}

static void	 check_map(yaml_document_t *, yaml_node_t *, struct snode *,
		    const char *);

static void
check(yaml_document_t *doc, yaml_node_t *n, struct snode *s, const char *at)
{
	yaml_node_item_t	*it;
	yaml_node_pair_t	*pr;
	yaml_node_t		*k, *v;

	if (is_null(n))
		return;
	switch (s->kind) {
	case K_STRING:
		if (n->type != YAML_SCALAR_NODE)
			bad(n, "%s: not a string", at);
		break;
	case K_INT:
		if (n->type != YAML_SCALAR_NODE || !int_ok(n))
			bad(n, "%s: not an int", at);
		break;
	case K_BOOL:
		if (n->type != YAML_SCALAR_NODE || !bool_ok(n))
			bad(n, "%s: not a bool", at);
		break;
	case K_STRINGS:
		if (n->type != YAML_SEQUENCE_NODE) {
			bad(n, "%s: not a list", at);
			break;
		}
		for (it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++) {
			v = yaml_document_get_node(doc, *it);
			if (v->type != YAML_SCALAR_NODE)
				bad(v, "%s: an item is not a string", at);
		}
		break;
	case K_MAP:
		if (n->type != YAML_MAPPING_NODE)
			bad(n, "%s: not a mapping", at);
		else
			check_map(doc, n, s, at);
		break;
	case K_LIST:
		if (n->type != YAML_SEQUENCE_NODE) {
			bad(n, "%s: not a list", at);
			break;
		}
		for (it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++) {
			v = yaml_document_get_node(doc, *it);
			if (is_null(v))
				continue;
			if (v->type != YAML_MAPPING_NODE)
				bad(v, "%s: an item is not a mapping", at);
			else
				check_map(doc, v, s, at);
		}
		break;
	case K_NAMES:
		if (n->type != YAML_MAPPING_NODE) {
			bad(n, "%s: not a mapping", at);
			break;
		}
		for (pr = n->data.mapping.pairs.start;
		    pr < n->data.mapping.pairs.top; pr++) {
			k = yaml_document_get_node(doc, pr->key);
			v = yaml_document_get_node(doc, pr->value);
			if (k->type != YAML_SCALAR_NODE)
				bad(k, "%s: a name is not a string", at);
			else if (!is_null(v) && v->type != YAML_MAPPING_NODE)
				bad(v, "%s.%s: not a mapping", at, value(k));
			else if (!is_null(v))
				check_map(doc, v, s, at);
		}
		break;
	}
}

static void
check_map(yaml_document_t *doc, yaml_node_t *n, struct snode *s,
    const char *at)
{
	yaml_node_pair_t	*pr, *q;
	yaml_node_t		*k, *v, *k2;
	struct snode		*c;
	char			 sub[512];

	for (pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		k = yaml_document_get_node(doc, pr->key);
		v = yaml_document_get_node(doc, pr->value);
		if (k->type != YAML_SCALAR_NODE) {
			bad(k, "%s: a key is not a string", at);
			continue;
		}
		for (q = n->data.mapping.pairs.start; q < pr; q++) {
			k2 = yaml_document_get_node(doc, q->key);
			if (k2->type == YAML_SCALAR_NODE &&
			    strcmp(value(k2), value(k)) == 0)
				bad(k, "key %s already defined", value(k));
		}
		for (c = s->kids; c != NULL; c = c->next)
			if (strcmp(c->name, value(k)) == 0)
				break;
		snprintf(sub, sizeof(sub), "%s%s%s", at, *at ? "." : "",
		    value(k));
		if (c == NULL) {
			bad(k, "field %s not found", sub);
			continue;
		}
		check(doc, v, c, sub);
	}
}

static void
sfree(struct snode *s)
{
	struct snode	*next;

	for (; s != NULL; s = next) {
		next = s->next;
		sfree(s->kids);
		free(s->name);
		free(s);
	}
}

int
main(int argc, char *argv[])
{
	struct snode	 root = { .name = "", .kind = K_MAP };
	yaml_parser_t	 p;
	yaml_document_t	 doc;
	yaml_node_t	*top;
	FILE		*f;

	if (argc != 4 || (strcmp(argv[2], "global") != 0 &&
	    strcmp(argv[2], "project") != 0)) {
		fprintf(stderr, "usage: schemacheck schema global|project "
		    "file\n");
		return (2);
	}
	if (regcomp(&re_int, "^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|"
	    "0[bB][01]+|[0-9]+)$", REG_EXTENDED | REG_NOSUB) != 0 ||
	    regcomp(&re_float, "^[-+]?([.][0-9]+|[0-9]+([.][0-9]*)?)"
	    "([eE][-+]?[0-9]+)?$", REG_EXTENDED | REG_NOSUB) != 0)
		return (2);
	if (load_schema(argv[1], argv[2], &root) == -1)
		return (2);
	file = argv[3];
	if ((f = fopen(file, "rb")) == NULL) {
		perror(file);
		return (2);
	}
	if (!yaml_parser_initialize(&p))
		return (2);
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &doc)) {
		fprintf(stderr, "%s:%lu: %s\n", file,
		    (unsigned long)p.problem_mark.line + 1,
		    p.problem != NULL ? p.problem : "YAML error");
		return (1);
	}
	if ((top = yaml_document_get_root_node(&doc)) != NULL &&
	    !is_null(top)) {
		if (top->type != YAML_MAPPING_NODE)
			bad(top, "the top level is not a mapping");
		else
			check_map(&doc, top, &root, "");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	fclose(f);
	sfree(root.kids);
	regfree(&re_int);
	regfree(&re_float);
	return (nbad > 0);
}
