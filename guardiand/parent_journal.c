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
 * The requests open: REQUESTed and not yet closed (DESIGN 6.7).  A
 * request closed by no record because the parent died (kill -9, a
 * crash, a fatal error) gets its closing ABORT record at the next
 * start, from this journal, STATEDIR/open-requests:
 *
 *	open<TAB>ID<TAB>CLOISTER<TAB>PROJECT<TAB>CMD
 *	close<TAB>ID
 *
 * fields encoded with vis(3), CMD at most JOURNAL_CMD bytes of the
 * canonical command.  A line is appended with one write(2) when a
 * request arrives, before anything is done with it, and when it is
 * closed: the kernel has it then, whatever becomes of the process.
 * When the file has grown well past what is open it is rewritten
 * with the open requests alone (atomically, statefile.c).
 */

/* RB_GENERATE_STATIC marks the functions it does not need __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include "compat.h"
#include "log.h"
#include "parent.h"

#define JOURNAL_FILE	"open-requests"
#define JOURNAL_CMD	1024		/* bytes of the command kept */
#define JOURNAL_COMPACT	4096		/* lines before a rewrite */
#define VISFLAGS	(VIS_TAB | VIS_NL | VIS_CSTYLE | VIS_OCTAL)
#define WARN_EVERY	60

struct jentry {
	RB_ENTRY(jentry)	 entry;
	char			 id[REQ_ID_LEN + 1];
	char			*line;		/* the "open" line */
};
RB_HEAD(jentry_tree, jentry);

static int
jentry_cmp(struct jentry *a, struct jentry *b)
{
	return (strcmp(a->id, b->id));
}

RB_GENERATE_STATIC(jentry_tree, jentry, entry, jentry_cmp)

static struct {
	char			*dir;
	char			*path;
	int			 fd;
	unsigned int		 lines;		/* in the file */
	unsigned int		 nopen;
	struct jentry_tree	 open;
	time_t			 warned;
} jrn = { NULL, NULL, -1, 0, 0, RB_INITIALIZER(&jrn.open), 0 };

static int	 journal_append(const char *, size_t);
static void	 journal_rewrite(void);
static int	 journal_reopen(void);
static int	 journal_abort(const char *);

static void
journal_warn(const char *what)
{
	time_t	 now = time(NULL);

	if (jrn.warned != 0 && now - jrn.warned < WARN_EVERY)
		return;
	jrn.warned = now;
	log_warn("%s: %s", jrn.path, what);
}

/*
 * The requests a crash left open are closed in the audit trail (ABORT),
 * and the journal starts empty.  One whose ABORT cannot be written
 * stays in it, for the next start.
 */
void
journal_init(const char *dir)
{
	FILE		*fp;
	struct jentry	*e, *next;
	char		 err[512], *line = NULL, *p;
	size_t		 cap = 0;
	ssize_t		 n;

	if (asprintf(&jrn.path, "%s/%s", dir, JOURNAL_FILE) == -1 ||
	    (jrn.dir = strdup(dir)) == NULL)
		fatal(NULL);
	if (statefile_open(jrn.path, &fp, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return;
	}
	while (fp != NULL && (n = getline(&line, &cap, fp)) != -1) {
		/* A line cut short by a crash ends the file. */
		if (n == 0 || line[n - 1] != '\n')
			break;
		line[n - 1] = '\0';
		if (strncmp(line, "open\t", 5) == 0) {
			if ((e = calloc(1, sizeof(*e))) == NULL ||
			    (e->line = strdup(line)) == NULL)
				fatal(NULL);
			p = line + 5;
			if (strcspn(p, "\t") != REQ_ID_LEN) {
				free(e->line);
				free(e);
				continue;
			}
			memcpy(e->id, p, REQ_ID_LEN);
			if (RB_INSERT(jentry_tree, &jrn.open, e) != NULL) {
				free(e->line);
				free(e);
				continue;
			}
			jrn.nopen++;
		} else if (strncmp(line, "close\t", 6) == 0)
			journal_close(line + 6);
	}
	free(line);
	if (fp != NULL)
		fclose(fp);
	RB_FOREACH_SAFE(e, jentry_tree, &jrn.open, next) {
		if (journal_abort(e->line) == -1)
			continue;
		RB_REMOVE(jentry_tree, &jrn.open, e);
		jrn.nopen--;
		free(e->line);
		free(e);
	}
	journal_rewrite();
}

/* The ABORT record of an "open" line: -1 if it could not be written. */
static int
journal_abort(const char *line)
{
	char	*copy, *p, *f[5];
	int	 i, rv;

	if ((copy = strdup(line)) == NULL)
		fatal(NULL);
	p = copy;
	for (i = 0; i < 5; i++)
		if ((f[i] = strsep(&p, "\t")) == NULL)
			f[i] = "";
	/* Decoding never makes a field longer: in place. */
	for (i = 2; i < 5; i++)
		if (strunvis(f[i], f[i]) == -1)
			f[i][0] = '\0';
	rv = audit_log("ABORT", f[1], f[3], f[2], f[4], "reason",
	    "guardiand stopped before the request was closed", (char *)NULL);
	free(copy);
	return (rv);
}

/* The file holds the open requests alone; appends go on after them. */
static void
journal_rewrite(void)
{
	struct jentry	*e;
	char		 err[512], *buf = NULL;
	size_t		 len = 0;
	FILE		*mf;

	if ((mf = open_memstream(&buf, &len)) == NULL)
		fatal(NULL);
	RB_FOREACH(e, jentry_tree, &jrn.open)
		fprintf(mf, "%s\n", e->line);
	if (fclose(mf) != 0)
		fatal(NULL);
	if (statefile_write(jrn.dir, JOURNAL_FILE, buf, len, err,
	    sizeof(err)) == -1)
		log_warnx("%s", err);
	else
		jrn.lines = jrn.nopen;
	free(buf);
	if (journal_reopen() == -1)
		journal_warn("cannot open");
}

static int
journal_reopen(void)
{
	if (jrn.fd != -1)
		close(jrn.fd);
	jrn.fd = open(jrn.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY, 0600);
	return (jrn.fd == -1 ? -1 : 0);
}

static int
journal_append(const char *line, size_t len)
{
	ssize_t	 n;

	if (jrn.fd == -1 && journal_reopen() == -1)
		return (-1);
	if ((n = write(jrn.fd, line, len)) == -1)
		return (-1);
	jrn.lines++;
	if ((size_t)n != len) {
		errno = ENOSPC;
		return (-1);
	}
	return (0);
}

/* Before anything is done with a request: -1 if it is not recorded. */
int
journal_open(const char *id, const char *cloister, const char *project,
    const char *cmd)
{
	struct jentry	*e;
	char		*f[3], cut[JOURNAL_CMD + 1];
	size_t		 len;
	int		 i, rv;

	if (jrn.path == NULL || strlen(id) != REQ_ID_LEN)
		return (-1);
	/* A long command is cut, on a character's boundary. */
	len = strlen(cmd);
	if (len > JOURNAL_CMD) {
		len = JOURNAL_CMD;
		while (len > 0 && ((unsigned char)cmd[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(cut, cmd, len);
	cut[len] = '\0';
	if (stravis(&f[0], cloister, VISFLAGS) == -1 ||
	    stravis(&f[1], project, VISFLAGS) == -1 ||
	    stravis(&f[2], cut, VISFLAGS) == -1)
		fatal(NULL);
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    asprintf(&e->line, "open\t%s\t%s\t%s\t%s", id, f[0], f[1],
	    f[2]) == -1)
		fatal(NULL);
	for (i = 0; i < 3; i++)
		free(f[i]);
	memcpy(e->id, id, REQ_ID_LEN + 1);
	/* The newline goes in the same write. */
	len = strlen(e->line);
	e->line[len] = '\n';
	rv = journal_append(e->line, len + 1);
	e->line[len] = '\0';
	if (rv == -1) {
		journal_warn("cannot record an open request");
		free(e->line);
		free(e);
		return (-1);
	}
	/* Only one left from before a crash could have its id. */
	if (RB_INSERT(jentry_tree, &jrn.open, e) != NULL) {
		free(e->line);
		free(e);
		return (0);
	}
	jrn.nopen++;
	return (0);
}

/* The request is closed (its closing record written, or tried). */
void
journal_close(const char *id)
{
	struct jentry	 key, *e;
	char		 line[6 + REQ_ID_LEN + 2];

	if (strlen(id) != REQ_ID_LEN)
		return;
	memcpy(key.id, id, REQ_ID_LEN + 1);
	if ((e = RB_FIND(jentry_tree, &jrn.open, &key)) == NULL)
		return;
	RB_REMOVE(jentry_tree, &jrn.open, e);
	jrn.nopen--;
	free(e->line);
	free(e);
	if (jrn.fd == -1)
		return;		/* still loading */
	snprintf(line, sizeof(line), "close\t%s\n", id);
	if (journal_append(line, strlen(line)) == -1)
		journal_warn("cannot record a closed request");
	if (jrn.lines > JOURNAL_COMPACT && jrn.lines > 4 * jrn.nopen)
		journal_rewrite();
}

void
journal_shutdown(void)
{
	if (jrn.fd != -1)
		close(jrn.fd);
	jrn.fd = -1;
}
