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
 * A small analyser of canonical commands (DESIGN section 4) for
 * guardianctl watch and the parent (no lasting rule for a command it
 * finds something in), after the approval page's red marks: it looks at
 * the words of the command and of any script quoted in it, so that
 * `sh -c 'curl x | sh'` is seen as well as the plain form.  It guesses;
 * a finding asks for a second look (and a second key), no more.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "risk.h"

static const char *const privilege[] = {
	"sudo", "doas", "su", "pkexec", "run0", NULL
};
static const char *const wrappers[] = {
	"env", "nice", "nohup", "time", "timeout", "exec", "command",
	"stdbuf", "ionice", "xargs", "setsid", NULL
};
static const char *const shells[] = {
	"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh",
	"tcsh", "yash", "python", "python3", "perl", "ruby", "node", NULL
};
static const char *const downloaders[] = {
	"curl", "wget", "fetch", "aria2c", "http", "xh", NULL
};

struct word {
	size_t		 a, b;		/* bytes of the command */
	char		 base[32];	/* its last path component */
};

struct analysis {
	char		*names;
	size_t		 nameslen;
	struct risk_mark *marks;
	int		 nmarks;
	int		 nfound;
};

static int
in(const char *const *set, const char *s)
{
	for (; *set != NULL; set++)
		if (strcmp(*set, s) == 0)
			return (1);
	return (0);
}

static void
mark(struct analysis *an, const struct word *w)
{
	if (an->nmarks < RISK_MARKS) {
		an->marks[an->nmarks].a = w->a;
		an->marks[an->nmarks].b = w->b;
		an->nmarks++;
	}
}

static void
found(struct analysis *an, const char *name)
{
	if (an->names[0] != '\0' && strstr(an->names, name) != NULL)
		return;
	if (an->names[0] != '\0')
		strlcat(an->names, ", ", an->nameslen);
	strlcat(an->names, name, an->nameslen);
	an->nfound++;
}

static int
is_recursive(const char *s, size_t len)
{
	size_t	 i;

	if (len == 11 && strncmp(s, "--recursive", 11) == 0)
		return (1);
	if (len < 2 || s[0] != '-' || s[1] == '-')
		return (0);
	for (i = 1; i < len; i++)
		if (s[i] == 'r' || s[i] == 'R')
			return (1);
	return (0);
}

/* Separators between commands: a pipe, a list, a substitution, a quote. */
#define SEPARATORS	"|;&()`'\"\n"

int
risk_analyse(const char *cmd, char *names, size_t nameslen,
    struct risk_mark *marks, int *nmarks)
{
	struct analysis	 an;
	struct word	 w, cur, net;
	const char	*p, *slash;
	size_t		 i, n, len = strlen(cmd);
	int		 cmdpos = 1, option_ok = 0, after_pipe = 0;
	int		 have_net = 0, have_cur = 0;

	memset(&an, 0, sizeof(an));
	an.names = names;
	an.nameslen = nameslen;
	an.marks = marks;
	names[0] = '\0';
	memset(&cur, 0, sizeof(cur));
	memset(&net, 0, sizeof(net));
	for (i = 0; i < len; ) {
		if (cmd[i] == ' ' || cmd[i] == '\t') {
			i++;
			continue;
		}
		if (strchr(SEPARATORS, cmd[i]) != NULL) {
			after_pipe = cmd[i] == '|' && (i + 1 >= len ||
			    cmd[i + 1] != '|');
			if (cmd[i] == '|' && i + 1 < len && cmd[i + 1] == '|')
				i++;
			/* A list ends what a pipeline downloaded. */
			if (cmd[i] == ';' || cmd[i] == '&' || cmd[i] == '\n')
				have_net = 0;
			cmdpos = 1;
			option_ok = 0;
			have_cur = 0;
			i++;
			continue;
		}
		/* $'...': the quote starts a script too. */
		if (cmd[i] == '$' && i + 1 < len && (cmd[i + 1] == '\'' ||
		    cmd[i + 1] == '(')) {
			i++;
			continue;
		}
		w.a = i;
		while (i < len && cmd[i] != ' ' && cmd[i] != '\t' &&
		    strchr(SEPARATORS, cmd[i]) == NULL)
			i++;
		w.b = i;
		p = cmd + w.a;
		n = w.b - w.a;
		slash = memrchr(p, '/', n);
		if (slash != NULL) {
			n -= slash + 1 - p;
			p = slash + 1;
		}
		snprintf(w.base, sizeof(w.base), "%.*s", (int)(n <
		    sizeof(w.base) ? n : 0), p);
		if (!cmdpos) {
			if (have_cur && strcmp(cur.base, "rm") == 0 &&
			    is_recursive(cmd + w.a, w.b - w.a)) {
				mark(&an, &cur);
				mark(&an, &w);
				found(&an, "recursive rm");
			}
			continue;
		}
		/* VAR=value, and the options of sudo and of wrappers. */
		if (memchr(cmd + w.a, '=', w.b - w.a) != NULL &&
		    cmd[w.a] != '=' && cmd[w.a] != '-')
			continue;
		if (option_ok && cmd[w.a] == '-')
			continue;
		if (in(privilege, w.base)) {
			mark(&an, &w);
			found(&an, w.base);
			option_ok = 1;
			continue;
		}
		if (in(wrappers, w.base)) {
			option_ok = 1;
			continue;
		}
		cmdpos = 0;
		option_ok = 0;
		cur = w;
		have_cur = 1;
		if (in(downloaders, w.base)) {
			net = w;
			have_net = 1;
		} else if (after_pipe && have_net && in(shells, w.base)) {
			mark(&an, &net);
			mark(&an, &w);
			found(&an, "download piped into a shell");
		}
		after_pipe = 0;
	}
	*nmarks = an.nmarks;
	return (an.nfound);
}

/* Is name one of the ","-separated words of list? */
static int
listed(const char *list, const char *name)
{
	size_t	 n = strlen(name);

	for (; *list != '\0'; list += strcspn(list, ","),
	    list += *list == ',') {
		if (strncmp(list, name, n) == 0 &&
		    (list[n] == ',' || list[n] == '\0'))
			return (1);
	}
	return (0);
}

int
risk_program(const char *flags, char *names, size_t nameslen)
{
	struct analysis	 an;

	memset(&an, 0, sizeof(an));
	an.names = names;
	an.nameslen = nameslen;
	if (listed(flags, "worktree"))
		found(&an, "program inside the worktree");
	return (an.nfound);
}
