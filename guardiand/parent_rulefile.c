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
 * "Approve always": a rule in cloister's own project file,
 * projects/PROJECT.yaml beside config.yaml, that auto-approves exactly
 * the command of a request: its canonical string with every regex
 * metacharacter quoted, anchored.  The file is cloister's, so it is
 * never rewritten: the rule is appended, and only where appending is
 * known to land in hostexec.auto_approve (a block list at the end of
 * the file, a block hostexec mapping at the end without one, or no
 * hostexec at all); anything else is refused.  The new file replaces
 * the old one atomically, then the configuration is reloaded.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "canon.h"
#include "config.h"
#include "log.h"
#include "parent.h"
#include "pattern.h"
#include "risk.h"

#define RULEFILE_MAX	(1024 * 1024)	/* bytes of a project file */

/* Where the new entry goes, as the file is now. */
enum rule_where {
	RW_NEW_HOSTEXEC,	/* no hostexec: a new top-level key */
	RW_NEW_LIST,		/* hostexec without auto_approve */
	RW_APPEND		/* an item of the list at the end */
};

struct rule_scan {
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	int		 last_block;	/* last scalar: literal or folded */
	const char	*err;
};

static int
scan_next(struct rule_scan *s)
{
	yaml_event_delete(&s->ev);
	if (!yaml_parser_parse(&s->p, &s->ev)) {
		s->err = "it is not valid YAML";
		memset(&s->ev, 0, sizeof(s->ev));
		return (-1);
	}
	if (s->ev.type == YAML_SCALAR_EVENT)
		s->last_block = s->ev.data.scalar.style ==
		    YAML_LITERAL_SCALAR_STYLE || s->ev.data.scalar.style ==
		    YAML_FOLDED_SCALAR_STYLE;
	return (0);
}

/* Past the node whose first event is s->ev. */
static int
scan_skip(struct rule_scan *s)
{
	int	 depth = 0;

	do {
		if (s->ev.type == YAML_SEQUENCE_START_EVENT ||
		    s->ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (s->ev.type == YAML_SEQUENCE_END_EVENT ||
		    s->ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		if (depth > 0 && scan_next(s) == -1)
			return (-1);
	} while (depth > 0);
	return (0);
}

/* In any quoting: "hostexec": is the same key to cloister. */
static int
is_key(const yaml_event_t *ev, const char *name)
{
	return (ev->type == YAML_SCALAR_EVENT &&
	    ev->data.scalar.length == strlen(name) &&
	    memcmp(ev->data.scalar.value, name, ev->data.scalar.length) == 0);
}

static int
plain_block(const yaml_event_t *ev, yaml_event_type_t type)
{
	if (ev->type != type)
		return (0);
	if (type == YAML_MAPPING_START_EVENT)
		return (ev->data.mapping_start.style ==
		    YAML_BLOCK_MAPPING_STYLE && ev->data.mapping_start.anchor ==
		    NULL && ev->data.mapping_start.tag == NULL);
	return (ev->data.sequence_start.style == YAML_BLOCK_SEQUENCE_STYLE &&
	    ev->data.sequence_start.anchor == NULL &&
	    ev->data.sequence_start.tag == NULL);
}

/*
 * The keys of a block mapping (s->ev its start) up to its end.  If
 * name is one of them, *found is set, *col is the column of the keys,
 * the scan stops on its value's first event, and it must be the last
 * key (*last).  0, or -1 with s->err.
 */
static int
scan_keys(struct rule_scan *s, const char *name, int *found, int *last,
    size_t *col)
{
	*found = 0;
	if (scan_next(s) == -1)
		return (-1);
	while (s->ev.type != YAML_MAPPING_END_EVENT) {
		*col = s->ev.start_mark.column;
		if (is_key(&s->ev, name)) {
			*found = 1;
			*last = 1;
			if (scan_next(s) == -1)
				return (-1);
			/* Its value: the caller looks at it, then on. */
			return (0);
		}
		if (scan_skip(s) == -1 || scan_next(s) == -1 ||
		    scan_skip(s) == -1 || scan_next(s) == -1)
			return (-1);
	}
	return (0);
}

/* After the value (s->ev its first event): is it the last key? */
static int
scan_rest(struct rule_scan *s, int *last)
{
	if (scan_skip(s) == -1 || scan_next(s) == -1)
		return (-1);
	*last = s->ev.type == YAML_MAPPING_END_EVENT;
	return (0);
}

/*
 * Where a rule can be appended to buf (the file, len bytes): 0 with
 * *where and *indent (the column of the new lines' first level), or
 * -1 with a reason in *why.
 */
static int
rule_where(const char *buf, size_t len, enum rule_where *where,
    size_t *indent, const char **why)
{
	struct rule_scan	 s;
	size_t			 col = 0;
	int			 found, last, rv = -1;

	memset(&s, 0, sizeof(s));
	*indent = 0;
	if (!yaml_parser_initialize(&s.p)) {
		*why = "out of memory";
		return (-1);
	}
	yaml_parser_set_input_string(&s.p, (const unsigned char *)buf, len);
	s.err = "its structure is not one a rule can be appended to safely";
	if (scan_next(&s) == -1 || scan_next(&s) == -1)
		goto done;
	if (s.ev.type == YAML_STREAM_END_EVENT) {
		/* Nothing but comments, or nothing at all. */
		*where = RW_NEW_HOSTEXEC;
		rv = 0;
		goto done;
	}
	if (s.ev.type != YAML_DOCUMENT_START_EVENT || scan_next(&s) == -1)
		goto done;
	if (!plain_block(&s.ev, YAML_MAPPING_START_EVENT) ||
	    s.ev.start_mark.column != 0)
		goto done;
	if (scan_keys(&s, "hostexec", &found, &last, &col) == -1)
		goto done;
	if (!found) {
		*where = RW_NEW_HOSTEXEC;
	} else {
		if (!plain_block(&s.ev, YAML_MAPPING_START_EVENT))
			goto done;
		if (scan_keys(&s, "auto_approve", &found, &last, &col) == -1)
			goto done;
		*indent = col;
		if (!found) {
			*where = RW_NEW_LIST;
			/* The end of hostexec: must be the root's too. */
			if (scan_next(&s) == -1 ||
			    s.ev.type != YAML_MAPPING_END_EVENT)
				goto done;
		} else {
			if (!plain_block(&s.ev, YAML_SEQUENCE_START_EVENT))
				goto done;
			*where = RW_APPEND;
			*indent = s.ev.start_mark.column;
			if (scan_rest(&s, &last) == -1 || !last ||
			    scan_next(&s) == -1 ||
			    s.ev.type != YAML_MAPPING_END_EVENT)
				goto done;
		}
	}
	/* The root mapping's end, then the document's, then nothing. */
	if (s.ev.type != YAML_MAPPING_END_EVENT || scan_next(&s) == -1 ||
	    s.ev.type != YAML_DOCUMENT_END_EVENT ||
	    !s.ev.data.document_end.implicit || scan_next(&s) == -1 ||
	    s.ev.type != YAML_STREAM_END_EVENT)
		goto done;
	if (s.last_block) {
		/* Lines after it could join a kept trailing newline. */
		s.err = "it ends with a block scalar";
		goto done;
	}
	rv = 0;
 done:
	if (rv == -1)
		*why = s.err;
	yaml_event_delete(&s.ev);
	yaml_parser_delete(&s.p);
	return (rv);
}

/*
 * ^canonical$ with the characters RE2 gives a meaning quoted as Go's
 * regexp.QuoteMeta does, then written as a YAML double-quoted string.
 */
static char *
rule_pattern(const char *canon)
{
	char		*out, *p;
	const char	*c;

	if ((out = malloc(strlen(canon) * 3 + 8)) == NULL)
		return (NULL);
	p = out;
	*p++ = '^';
	for (c = canon; *c != '\0'; c++) {
		if (strchr("\\.+*?()|[]{}^$", *c) != NULL)
			*p++ = '\\';
		*p++ = *c;
	}
	*p++ = '$';
	*p = '\0';
	return (out);
}

/* What the policy will do with it: match the command, whole. */
static int
rule_matches(const char *pat, const char *canon)
{
	struct pattern	*p;
	char		 err[256];
	int		 m;

	if ((p = pattern_compile(pat, err, sizeof(err))) == NULL) {
		log_warnx("rule pattern %s: %s", pat, err);
		return (0);
	}
	m = pattern_match(p, canon, strlen(canon));
	pattern_free(p);
	return (m == PATTERN_MATCH);
}

static void
yaml_quote(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* The comment's words: printable ASCII only, it is a single line. */
static void
comment_word(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s >= 0x20 && *s < 0x7f ? *s : '?', fp);
}

/* "added by USER on WHEN for request ID", one line of ASCII. */
char *
rule_comment(const char *user, const char *when, const char *id)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&out, &len)) == NULL)
		return (NULL);
	fputs("added by ", fp);
	comment_word(fp, user);
	fputs(" on ", fp);
	comment_word(fp, when);
	fputs(" for request ", fp);
	comment_word(fp, id);
	if (fclose(fp) != 0) {
		free(out);
		return (NULL);
	}
	return (out);
}

/*
 * The file buf (len bytes) with the rule for the regular expression
 * pat appended under the comment: 0 with the new text in *outp and
 * *outlenp (malloc'd), or -1 with why it cannot be done safely.
 */
int
rule_text(const char *buf, size_t len, const char *pat, const char *comment,
    char **outp, size_t *outlenp, const char **why)
{
	enum rule_where	 where;
	FILE		*fp;
	size_t		 indent;
	int		 item;

	*outp = NULL;
	*outlenp = 0;
	if (rule_where(buf, len, &where, &indent, why) == -1)
		return (-1);
	if ((fp = open_memstream(outp, outlenp)) == NULL)
		fatal(NULL);
	/* The old bytes, untouched, then the new lines. */
	fwrite(buf, 1, len, fp);
	if (len > 0 && buf[len - 1] != '\n')
		fputc('\n', fp);
	if (where == RW_NEW_HOSTEXEC) {
		fputs("hostexec:\n", fp);
		indent = 2;
	}
	if (where != RW_APPEND)
		fprintf(fp, "%*sauto_approve:\n", (int)indent, "");
	item = where == RW_APPEND ? (int)indent : (int)indent + 2;
	fprintf(fp, "%*s# %s\n%*s- pattern: ", item, "", comment, item, "");
	yaml_quote(fp, pat);
	fputc('\n', fp);
	if (fclose(fp) != 0)
		fatal(NULL);
	return (0);
}

/*
 * Whether an "always" rule may be made for r: NULL, or why not.  A
 * command the analyser marks deserves a human every time; and a
 * command whose two canonical forms differ would be matched by a
 * pattern of one form only.
 */
const char *
rule_refusal(const struct request *r, char *buf, size_t len)
{
	struct risk_mark	 marks[RISK_MARKS];
	char			*cl, names[256];
	const char		*c;
	int			 nmarks, same;

	if (risk_analyse(r->canon, names, sizeof(names), marks,
	    &nmarks) + risk_program(exe_flags(&r->exe), names,
	    sizeof(names)) > 0) {
		snprintf(buf, len, "the command is high-risk (%s): approve "
		    "it each time", names);
		return (buf);
	}
	if ((cl = canon_cloister_argv(r->argc, r->argv)) == NULL)
		fatal(NULL);
	same = strcmp(cl, r->canon) == 0;
	free(cl);
	for (c = r->canon; same && *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			same = 0;
	if (!same) {
		snprintf(buf, len, "the command has characters cloister "
		    "writes differently (a newline, a control or hidden "
		    "character): no pattern could match both forms");
		return (buf);
	}
	return (NULL);
}

/*
 * Append the rule for r to its project's file: 0 with the file and
 * the pattern (malloc'd) in *filep and *patp, or -1 with err.
 */
int
rule_add(const struct request *r, const char *user, char **filep,
    char **patp, char *err, size_t errlen)
{
	struct config	*conf = parent_config();
	struct stat	 st;
	char		*dir = NULL, *name = NULL, *path = NULL, *pat = NULL;
	char		*buf = NULL, *out = NULL, *comment = NULL, when[32];
	const char	*why;
	size_t		 len = 0, outlen;
	ssize_t		 n;
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 fd = -1, rv = -1;

	*filep = *patp = NULL;
	if (conf == NULL || conf->dir == NULL) {
		snprintf(err, errlen, "no configuration directory");
		return (-1);
	}
	if (!config_valid_project(r->project)) {
		snprintf(err, errlen, "no project file for this request");
		return (-1);
	}
	if (asprintf(&dir, "%s/projects", conf->dir) == -1 ||
	    asprintf(&name, "%s.yaml", r->project) == -1 ||
	    asprintf(&path, "%s/%s", dir, name) == -1)
		fatal(NULL);
	if ((buf = malloc(RULEFILE_MAX + 1)) == NULL)
		fatal(NULL);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 &&
	    errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (fd != -1) {
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%s: not a regular file", path);
			goto done;
		}
		while (len <= RULEFILE_MAX && (n = read(fd, buf + len,
		    RULEFILE_MAX + 1 - len)) != 0) {
			if (n == -1) {
				if (errno == EINTR)
					continue;
				snprintf(err, errlen, "%s: %s", path,
				    strerror(errno));
				goto done;
			}
			len += n;
		}
		if (len > RULEFILE_MAX) {
			snprintf(err, errlen, "%s: larger than %d bytes",
			    path, RULEFILE_MAX);
			goto done;
		}
	}
	if ((pat = rule_pattern(r->canon)) == NULL)
		fatal(NULL);
	if (!rule_matches(pat, r->canon)) {
		snprintf(err, errlen, "the pattern would not match the "
		    "command");
		goto done;
	}
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)now);
	if ((comment = rule_comment(user, when, r->id)) == NULL)
		fatal(NULL);
	if (rule_text(buf, len, pat, comment, &out, &outlen, &why) == -1) {
		snprintf(err, errlen, "%s: not changed: %s; add the "
		    "pattern by hand", path, why);
		goto done;
	}
	if (statefile_write(dir, name, out, outlen, err, errlen) == -1)
		goto done;
	rv = 0;
	*filep = path;
	*patp = pat;
	path = pat = NULL;
 done:
	free(out);
	free(comment);
	if (fd != -1)
		close(fd);
	free(buf);
	free(dir);
	free(name);
	free(path);
	free(pat);
	return (rv);
}
