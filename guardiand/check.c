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
 * guardiand -n: the configuration checked as a start would check it,
 * short of binding and of another daemon being there, with the same
 * policy code the daemon runs in its policy child; with a command, its
 * verdict.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canon.h"
#include "config.h"
#include "guardiand.h"
#include "paths.h"
#include "ruleset.h"

static void		 print_form(const char *);

/* "file:line: " of a listener, for -n. */
static void
where(const struct listen_addr *la)
{
	if (la->line > 0)
		fprintf(stderr, "%s:%d: ", la->file, la->line);
	else if (la->file != NULL)
		fprintf(stderr, "%s: ", la->file);
	else
		fprintf(stderr, "guardiand: ");
}

/* -n: the listeners as listen_all() would find them, unbound. */
static int
check_listen(struct listen_list *ll, int loopback_only)
{
	struct listen_addr	*la;
	char			 errbuf[1024];
	int			 remote, rv = 0;

	TAILQ_FOREACH(la, ll, entry) {
		if (listen_check(la, loopback_only, &remote, errbuf,
		    sizeof(errbuf)) == -1) {
			where(la);
			fprintf(stderr, "%s\n", errbuf);
			rv = -1;
		} else if (remote) {
			where(la);
			fprintf(stderr, "warning: listening on non-loopback "
			    "address %s: reachable from the network (a token "
			    "is still required)\n", la->spec);
		}
	}
	return (rv);
}

/*
 * -n: what starting would refuse, short of binding and of another
 * daemon being there; and cloisters whose worktree is missing.
 */
static int
check_start(struct config *conf)
{
	struct cloister_conf	*c;
	struct listen_addr	*la;
	struct passwd		*pw;
	struct stat		 st;
	const char		*errstr, *why;
	char			*ctl, *path, *spec, errbuf[1024];
	int			 rv = 0;

	if (conf->user != NULL && geteuid() == 0 &&
	    ((pw = getpwnam(conf->user)) == NULL || pw->pw_uid == 0)) {
		fprintf(stderr, "%s: guardian.user: %s\n", conf->gpath,
		    pw == NULL ? "no such user" : "is root");
		rv = -1;
	}
	if (check_listen(&conf->request_listen, 0) == -1)
		rv = -1;
	if (check_listen(&conf->ui_listen, !conf->ui_allow_remote) == -1)
		rv = -1;
	/* The shared socket's directories are made as needed. */
	if (conf->request_listen_default &&
	    (path = runtime_path_peek(RUNDIR_REQUEST, REQUEST_SOCK)) != NULL) {
		if (asprintf(&spec, "unix:%s", path) == -1)
			err(1, NULL);
		if ((la = listen_addr_parse(spec, &errstr)) != NULL)
			TAILQ_INSERT_TAIL(&conf->request_listen, la, entry);
		free(spec);
		free(path);
	}
	if ((ctl = control_where(conf, 1)) != NULL) {
		if (listen_apart(ctl, &conf->request_listen, errbuf,
		    sizeof(errbuf)) == -1) {
			fprintf(stderr, "guardiand: %s\n", errbuf);
			rv = -1;
		}
		free(ctl);
	}
	/* Commands would fail there; the configuration is still valid. */
	TAILQ_FOREACH(c, &conf->cloisters, entry) {
		if (stat(c->worktree, &st) == -1)
			why = errno == ENOENT ? "does not exist" :
			    strerror(errno);
		else if (!S_ISDIR(st.st_mode))
			why = "is not a directory";
		else
			continue;
		fprintf(stderr, "%s:%d: warning: cloister `%s`: worktree "
		    "%s %s\n", c->file, c->line, c->name, c->worktree, why);
	}
	return (rv);
}

/*
 * -n: the checks, with the same policy code the daemon runs in its
 * policy child; with a command, its verdict.
 */
int
check_config(struct config *conf, const char *project, int argc,
    char **argv)
{
	struct verdict_result	 res;
	struct ruleset		*rs;
	struct project_conf	*pc;
	struct pattern_src	*ps;
	char			*errs = NULL, *canon, *clform;
	int			 k, rv = 0;

	if (conf->warnings != NULL)
		fputs(conf->warnings, stderr);
	if ((rs = ruleset_new()) == NULL)
		err(1, NULL);
	for (k = 0; k < PAT_NKINDS; k++)
		TAILQ_FOREACH(ps, &conf->global.kind[k], entry)
			(void)ruleset_add(rs, NULL, k, ps->re, ps->file,
			    ps->line, &errs);
	RB_FOREACH(pc, project_tree, &conf->projects)
		for (k = 0; k < PAT_NKINDS; k++)
			TAILQ_FOREACH(ps, &pc->pats.kind[k], entry)
				(void)ruleset_add(rs, pc->name, k, ps->re,
				    ps->file, ps->line, &errs);
	if (errs != NULL) {
		fputs(errs, stderr);
		free(errs);
		rv = 1;
	}
	if (check_start(conf) == -1)
		rv = 1;
	if (rv != 0) {
		ruleset_free(rs);
		config_free(conf);
		return (rv);
	}
	if (project != NULL && ((pc = config_project(conf, project)) ==
	    NULL || pc->file == NULL))
		fprintf(stderr, "guardiand: no projects/%s.yaml: only the "
		    "global patterns apply\n", project);
	else if (project != NULL && pc->ignored)
		fprintf(stderr, "guardiand: %s is ignored: only the global "
		    "patterns apply\n", pc->file);
	if (argc > 0) {
		if ((canon = canon_argv(argc, argv)) == NULL ||
		    (clform = canon_cloister_argv(argc, argv)) == NULL)
			err(1, NULL);
		ruleset_check(rs, project, canon, strlen(canon), clform,
		    strlen(clform), conf->default_manual, &res);
		printf("%s\t%s\t%s\n", verdict_name(res.verdict),
		    res.pattern != NULL ? res.pattern : "", canon);
		if (strcmp(canon, clform) != 0)
			print_form(clform);
		free(canon);
		free(clform);
	} else if (guardiand_verbose)
		fprintf(stderr, "configuration OK\n");
	ruleset_free(rs);
	config_free(conf);
	return (0);
}

/*
 * -n: cloister's form of the command, which patterns are matched
 * against too, when it is not the canonical string: on a line of its
 * own, in double quotes, written as the audit log writes values (\\,
 * \", \n, \t, \r, \xHH for other controls, \u{HHHH} for hidden
 * characters), so that its raw newlines and controls show and reach
 * no terminal.  It is always valid UTF-8.
 */
static void
print_form(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 len = strlen(s), i, n;

	fputs("cloister\t\t\"", stdout);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			printf("\\x%02x", p[i]);
			n = 1;
		} else if (cp == '\\' || cp == '"')
			printf("\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", stdout);
		else if (cp == '\t')
			fputs("\\t", stdout);
		else if (cp == '\r')
			fputs("\\r", stdout);
		else if (cp < 0x20 || cp == 0x7f)
			printf("\\x%02x", (unsigned int)cp);
		else if (canon_hidden(cp))
			printf("\\u{%04x}", (unsigned int)cp);
		else
			fwrite(p + i, 1, n, stdout);
	}
	fputs("\"\n", stdout);
}
