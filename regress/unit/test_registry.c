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
 * The cloister registry (guardiand/parent_registry.c): static cloisters from
 * a configuration built here, dynamic ones registered, persisted in a
 * mkdtemp(3) state directory, loaded back, reloaded; bad state files
 * refused with file:line.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "parent.h"
#include "testutil.h"

#define TOK_A	"token-aaaaaaaaaaaaaaaa"
#define TOK_B	"token-bbbbbbbbbbbbbbbb"
#define TOK_S1	"static-1-0123456789abcdef"
#define TOK_S2	"static-2-0123456789abcdef"

static char	 tmproot[PATH_MAX];
static int	 ndirs;

static char *
newdir(const char *name)
{
	char	*d;

	d = xasprintf("%s/%s%d", tmproot, name, ++ndirs);
	assert_int_equal(mkdir(d, 0755), 0);
	return (d);
}

/* A configuration whose state lives in a fresh directory. */
static struct config *
newconf(void)
{
	struct config	*conf;
	char		*d;

	conf = calloc(1, sizeof(*conf));
	assert_non_null(conf);
	TAILQ_INIT(&conf->cloisters);
	d = newdir("t");
	conf->state_dir = xasprintf("%s/state/guardiand", d);
	free(d);
	return (conf);
}

static void
add_static(struct config *conf, const char *name, const char *project,
    const char *worktree, const char *token)
{
	struct cloister_conf	*c;

	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->name = strdup(name);
	c->project = project != NULL ? strdup(project) : NULL;
	c->worktree = strdup(worktree);
	c->token = strdup(token);
	c->file = strdup("config.yaml");
	c->line = 7;
	TAILQ_INSERT_TAIL(&conf->cloisters, c, entry);
}

static void
clear_statics(struct config *conf)
{
	struct cloister_conf	*c;

	while ((c = TAILQ_FIRST(&conf->cloisters)) != NULL) {
		TAILQ_REMOVE(&conf->cloisters, c, entry);
		free(c->name);
		free(c->project);
		free(c->worktree);
		free(c->token);
		free(c->file);
		free(c);
	}
}

static void
freeconf(struct config *conf)
{
	clear_statics(conf);
	free(conf->state_dir);
	free(conf);
}

static char *
statefile(struct config *conf)
{
	return (xasprintf("%s/cloisters", conf->state_dir));
}

static void
collect(const struct cloister *c, void *arg)
{
	char	**s = arg, *n;

	n = xasprintf("%s%s%s", *s, **s != '\0' ? "," : "", c->name);
	free(*s);
	*s = n;
}

/* The names registry_foreach() gives, comma-separated. */
static char *
names(void)
{
	char	*s = strdup("");

	registry_foreach(collect, &s);
	return (s);
}

static int
group_setup(void **state)
{
	if (tmproot_make(tmproot, sizeof(tmproot), "test_registry") == -1)
		return (-1);
	return (0);
}

static int
group_teardown(void **state)
{
	registry_free();
	return (tmproot_remove(tmproot));
}

/*
 * Tests.
 */

static void
test_register_persist(void **state)
{
	struct config		*conf;
	const struct cloister	*c;
	struct stat		 st;
	char			*wt, *real, *tok, *tok2, *path, *data, *dir;
	char			 err[512];
	size_t			 i;

	conf = newconf();
	wt = newdir("wt");
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	assert_int_equal(registry_count(), 0);

	/* A generated token: 64 hex digits. */
	assert_int_equal(registry_register("alpha", wt, NULL, NULL, &tok,
	    err, sizeof(err)), 0);
	assert_int_equal(strlen(tok), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", tok[i]));
	/* Another one differs. */
	assert_int_equal(registry_register("beta", wt, "", "", &tok2, err,
	    sizeof(err)), 0);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(registry_count(), 2);

	c = registry_find("alpha");
	assert_non_null(c);
	assert_string_equal(c->name, "alpha");
	assert_string_equal(c->project, "alpha");
	real = realpath(wt, NULL);
	assert_string_equal(c->worktree, real);
	assert_int_equal(c->dynamic, 1);
	assert_ptr_equal(registry_auth(tok), c);
	assert_ptr_equal(registry_auth(tok2), registry_find("beta"));

	/* The state: directories 0700, file 0600, nothing else left. */
	path = statefile(conf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(conf->state_dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	dir = strdup(conf->state_dir);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(nentries(conf->state_dir), 1);
	data = slurp(path, NULL);
	assert_non_null(strstr(data, "alpha\talpha\t"));
	assert_non_null(strstr(data, tok));
	free(data);

	/* A restart finds both, tokens and all. */
	registry_free();
	assert_null(registry_find("alpha"));
	assert_null(registry_auth(tok));
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	assert_int_equal(registry_count(), 2);
	c = registry_find("alpha");
	assert_non_null(c);
	assert_int_equal(c->dynamic, 1);
	assert_string_equal(c->worktree, real);
	assert_ptr_equal(registry_auth(tok), c);
	assert_ptr_equal(registry_auth(tok2), registry_find("beta"));

	/* Unregister: gone now and after a restart. */
	assert_int_equal(registry_unregister("alpha", err, sizeof(err)), 0);
	assert_null(registry_find("alpha"));
	assert_null(registry_auth(tok));
	assert_int_equal(registry_count(), 1);
	registry_free();
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	assert_null(registry_find("alpha"));
	assert_null(registry_auth(tok));
	assert_non_null(registry_find("beta"));
	data = slurp(path, NULL);
	assert_null(strstr(data, tok));
	free(data);
	assert_int_equal(nentries(conf->state_dir), 1);

	assert_int_equal(registry_unregister("alpha", err, sizeof(err)), -1);
	assert_string_equal(err, "no cloister alpha");

	registry_free();
	freezero(tok, strlen(tok));
	freezero(tok2, strlen(tok2));
	free(real);
	free(path);
	free(dir);
	free(wt);
	freeconf(conf);
}

/* Given tokens and projects; odd characters in the worktree survive. */
static void
test_given_token(void **state)
{
	struct config		*conf;
	const struct cloister	*c;
	char			*base, *wt, *tok, *path, *data, *p;
	char			 err[512];
	int			 n;

	conf = newconf();
	base = newdir("odd");
	wt = xasprintf("%s/a\tb\nc\\d e", base);
	assert_int_equal(mkdir(wt, 0700), 0);
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	assert_int_equal(registry_register("odd-1", wt, "proj.x", TOK_A,
	    &tok, err, sizeof(err)), 0);
	assert_string_equal(tok, TOK_A);
	free(tok);
	path = statefile(conf);
	data = slurp(path, NULL);
	/* Two comment lines, one cloister line: no raw tab or newline. */
	for (n = 0, p = data; *p != '\0'; p++)
		n += *p == '\n';
	assert_int_equal(n, 3);
	assert_non_null(strstr(data, "\\t"));
	assert_non_null(strstr(data, "\\n"));
	free(data);

	registry_free();
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	c = registry_find("odd-1");
	assert_non_null(c);
	assert_string_equal(c->project, "proj.x");
	assert_string_equal(c->worktree, wt);
	assert_string_equal(c->token, TOK_A);
	assert_int_equal(c->tokenlen, strlen(TOK_A));
	assert_ptr_equal(registry_auth(TOK_A), c);
	registry_free();
	free(path);
	free(wt);
	free(base);
	freeconf(conf);
}

static void
test_register_errors(void **state)
{
	static const struct {
		const char	*name;
		const char	*project;
		const char	*token;
		/* 0 dir, 1 relative, 2 missing, 3 file */
		int		 wt;
		const char	*err;
	} t[] = {
		{ "-x", NULL, NULL, 0, "bad cloister name" },
		{ "a b", NULL, NULL, 0, "bad cloister name" },
		{ "", NULL, NULL, 0, "bad cloister name" },
		{ "x/y", NULL, NULL, 0, "bad cloister name" },
		{ "ok", ".p", NULL, 0, "bad project name" },
		{ "ok", NULL, "short", 0, "bad token" },
		{ "ok", NULL, "has a blank in it!!", 0, "bad token" },
		{ "ok", NULL, "tab\tinside-0123456789", 0, "bad token" },
		{ "ok", NULL, NULL, 1,
		    "the worktree must be an absolute path" },
		{ "ok", NULL, NULL, 2, "worktree: No such file or directory" },
		{ "ok", NULL, NULL, 3, "worktree: Not a directory" },
		{ "st", NULL, NULL, 0, "cloister st already exists" },
		{ "dyn", NULL, NULL, 0, "cloister dyn already exists" },
		{ "ok", NULL, TOK_S1, 0, "that token is already in use" },
		{ "ok", NULL, TOK_A, 0, "that token is already in use" },
	};
	struct config	*conf;
	char		*wt, *file, *missing, *longname, *tok, *path;
	char		*before, *after, err[512];
	const char	*w;
	size_t		 i;

	conf = newconf();
	wt = newdir("wt");
	file = xasprintf("%s/file", wt);
	writefile(file, "x", 0600);
	missing = xasprintf("%s/missing", wt);
	add_static(conf, "st", NULL, wt, TOK_S1);
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	assert_int_equal(registry_register("dyn", wt, NULL, TOK_A, &tok, err,
	    sizeof(err)), 0);
	free(tok);
	path = statefile(conf);
	before = slurp(path, NULL);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		w = t[i].wt == 0 ? wt : t[i].wt == 1 ? "rel/dir" :
		    t[i].wt == 2 ? missing : file;
		tok = (char *)1;
		err[0] = '\0';
		if (registry_register(t[i].name, w, t[i].project, t[i].token,
		    &tok, err, sizeof(err)) != -1) {
			print_message("case %zu accepted\n", i);
			fail();
		}
		assert_null(tok);
		if (strncmp(err, t[i].err, strlen(t[i].err)) != 0) {
			print_message("case %zu: want [%s] got [%s]\n", i,
			    t[i].err, err);
			fail();
		}
		assert_int_equal(registry_count(), 2);
	}
	longname = malloc(CONFIG_NAME_MAX + 2);
	memset(longname, 'n', CONFIG_NAME_MAX + 1);
	longname[CONFIG_NAME_MAX + 1] = '\0';
	assert_int_equal(registry_register(longname, wt, NULL, NULL, &tok,
	    err, sizeof(err)), -1);
	longname[CONFIG_NAME_MAX] = '\0';	/* 64: fine */
	assert_int_equal(registry_register(longname, wt, NULL, NULL, &tok,
	    err, sizeof(err)), 0);
	freezero(tok, strlen(tok));
	assert_int_equal(registry_unregister(longname, err, sizeof(err)), 0);
	after = slurp(path, NULL);
	assert_string_equal(before, after);

	/* A static one cannot be unregistered. */
	assert_int_equal(registry_unregister("st", err, sizeof(err)), -1);
	assert_string_equal(err, "cloister st is defined in the "
	    "configuration file");
	assert_non_null(registry_find("st"));

	/* Nothing changes when the state cannot be written. */
	registry_free();
	free(conf->state_dir);
	conf->state_dir = xasprintf("%s/state", wt);
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	writefile(conf->state_dir, "", 0600);
	assert_int_equal(registry_register("new", wt, NULL, NULL, &tok, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "state directory"));
	assert_null(registry_find("new"));
	assert_int_equal(registry_count(), 1);

	registry_free();
	free(before);
	free(after);
	free(longname);
	free(path);
	free(missing);
	free(file);
	free(wt);
	freeconf(conf);
}

/* Every token finds its own cloister; nothing near it does. */
static void
test_auth(void **state)
{
	struct config	*conf;
	char		*wt, *tok, *big, err[512], name[16], t[48];
	char		 probe[64];
	int		 i;

	conf = newconf();
	wt = newdir("wt");
	add_static(conf, "s1", "proj", wt, TOK_S1);
	add_static(conf, "s2", NULL, wt, TOK_S2);
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "d%02d", i);
		snprintf(t, sizeof(t), "dyn-token-%02d-0123456789", i);
		assert_int_equal(registry_register(name, wt, NULL, t, &tok,
		    err, sizeof(err)), 0);
		free(tok);
	}
	assert_int_equal(registry_count(), 22);
	assert_ptr_equal(registry_auth(TOK_S1), registry_find("s1"));
	assert_string_equal(registry_auth(TOK_S1)->project, "proj");
	assert_ptr_equal(registry_auth(TOK_S2), registry_find("s2"));
	assert_string_equal(registry_auth(TOK_S2)->project, "s2");
	assert_int_equal(registry_auth(TOK_S2)->dynamic, 0);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "d%02d", i);
		snprintf(t, sizeof(t), "dyn-token-%02d-0123456789", i);
		assert_non_null(registry_find(name));
		assert_ptr_equal(registry_auth(t), registry_find(name));
		/* A prefix, one more byte, the last byte wrong. */
		strlcpy(probe, t, sizeof(probe));
		probe[strlen(probe) - 1] = '\0';
		assert_null(registry_auth(probe));
		snprintf(probe, sizeof(probe), "%s0", t);
		assert_null(registry_auth(probe));
		strlcpy(probe, t, sizeof(probe));
		probe[strlen(probe) - 1] = '8';
		assert_null(registry_auth(probe));
	}
	assert_null(registry_auth(""));
	assert_null(registry_auth(NULL));
	assert_null(registry_auth("no such token at all"));
	/* Longer than any token may be, starting like one. */
	big = malloc(3 * CONFIG_TOKEN_MAX);
	memset(big, 'x', 3 * CONFIG_TOKEN_MAX - 1);
	memcpy(big, TOK_S1, strlen(TOK_S1));
	big[3 * CONFIG_TOKEN_MAX - 1] = '\0';
	assert_null(registry_auth(big));
	/* A token of the maximum length works. */
	big[CONFIG_TOKEN_MAX] = '\0';
	assert_int_equal(registry_register("max", wt, NULL, big, &tok, err,
	    sizeof(err)), 0);
	free(tok);
	assert_ptr_equal(registry_auth(big), registry_find("max"));
	big[CONFIG_TOKEN_MAX - 1] = '\0';
	assert_null(registry_auth(big));
	free(big);
	registry_free();
	free(wt);
	freeconf(conf);
}

/*
 * Reload replaces the static set and keeps the dynamic one; a static
 * cloister wins a clash of names or tokens, but the dynamic one is
 * not lost.
 */
static void
test_reload(void **state)
{
	struct config		*conf;
	const struct cloister	*c;
	char			*wt, *wt2, *tok, *s, *path, *data, err[512];

	conf = newconf();
	wt = newdir("wt");
	wt2 = newdir("wt");
	add_static(conf, "s1", NULL, wt, TOK_S1);
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	assert_int_equal(registry_register("d1", wt, NULL, TOK_A, &tok, err,
	    sizeof(err)), 0);
	free(tok);
	assert_int_equal(registry_register("d2", wt, NULL, TOK_B, &tok, err,
	    sizeof(err)), 0);
	free(tok);
	s = names();
	assert_string_equal(s, "d1,d2,s1");
	free(s);

	/* s1 goes, s2 comes; d1, d2 stay. */
	clear_statics(conf);
	add_static(conf, "s2", NULL, wt, TOK_S2);
	assert_int_equal(registry_reload(conf, err, sizeof(err)), 0);
	assert_null(registry_find("s1"));
	assert_null(registry_auth(TOK_S1));
	assert_ptr_equal(registry_auth(TOK_S2), registry_find("s2"));
	assert_ptr_equal(registry_auth(TOK_A), registry_find("d1"));
	s = names();
	assert_string_equal(s, "d1,d2,s2");
	free(s);

	/* A static d1 (other token), a static with d2's token. */
	clear_statics(conf);
	add_static(conf, "d1", NULL, wt2, TOK_S1);
	add_static(conf, "x", NULL, wt2, TOK_B);
	assert_int_equal(registry_reload(conf, err, sizeof(err)), 0);
	c = registry_find("d1");
	assert_non_null(c);
	assert_int_equal(c->dynamic, 0);
	assert_ptr_equal(registry_auth(TOK_S1), c);
	assert_null(registry_auth(TOK_A));
	assert_ptr_equal(registry_auth(TOK_B), registry_find("x"));
	assert_null(registry_find("d2"));
	assert_int_equal(registry_count(), 2);
	s = names();
	assert_string_equal(s, "d1,x");
	free(s);
	/* Still on disk, and names and tokens still taken. */
	path = statefile(conf);
	data = slurp(path, NULL);
	assert_non_null(strstr(data, TOK_A));
	assert_non_null(strstr(data, TOK_B));
	free(data);
	assert_int_equal(registry_register("d2", wt, NULL, NULL, &tok, err,
	    sizeof(err)), -1);
	assert_int_equal(registry_register("d3", wt, NULL, TOK_A, &tok, err,
	    sizeof(err)), -1);
	/* So is the state at start. */
	registry_free();
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	assert_int_equal(registry_find("d1")->dynamic, 0);
	assert_null(registry_auth(TOK_A));
	assert_null(registry_find("d2"));

	/* The configuration lets go: the dynamic ones are back. */
	clear_statics(conf);
	assert_int_equal(registry_reload(conf, err, sizeof(err)), 0);
	c = registry_find("d1");
	assert_non_null(c);
	assert_int_equal(c->dynamic, 1);
	assert_string_equal(c->worktree, wt);
	assert_ptr_equal(registry_auth(TOK_A), c);
	assert_ptr_equal(registry_auth(TOK_B), registry_find("d2"));
	s = names();
	assert_string_equal(s, "d1,d2");
	free(s);

	registry_free();
	free(path);
	free(wt);
	free(wt2);
	freeconf(conf);
}

/* A bad state file stops the start, saying where. */
static void
test_bad_files(void **state)
{
	static const struct {
		const char	*data;
		int		 line;
		const char	*msg;
	} t[] = {
		{ "a\ta\t/w\n", 1, "expected 4 tab-separated fields" },
		{ "a\ta\t/w\t" TOK_A "\textra\n", 1,
		    "expected 4 tab-separated fields" },
		{ "# c\n\n-a\ta\t/w\t" TOK_A "\n", 3, "bad cloister name" },
		{ "a\t.a\t/w\t" TOK_A "\n", 1, "cloister a: bad project name" },
		{ "a\ta\tw\t" TOK_A "\n", 1,
		    "cloister a: the worktree must be an absolute path" },
		{ "a\ta\t\t" TOK_A "\n", 1,
		    "cloister a: the worktree must be an absolute path" },
		{ "a\ta\t/w\tshort\n", 1, "cloister a: bad token" },
		{ "a\ta\t/w\\q\t" TOK_A "\n", 1, "bad encoding" },
		{ "a\ta\t/w\\\t" TOK_A "\n", 1, "bad encoding" },
		{ "\\141\ta\t/w\t" TOK_A "\n", 1, "bad encoding" },
		{ "a\ta\t/w\\000x\t" TOK_A "\n", 1, "bad encoding" },
		{ "a\ta\t/w\xff\t" TOK_A "\n", 1, "bad encoding" },
		{ "a\ta\t/w\t" TOK_A "\r\n", 1, "bad encoding" },
		{ "a\ta\t/w\t" TOK_A "\na\tb\t/v\t" TOK_B "\n", 2,
		    "cloister a listed twice" },
		{ "a\ta\t/w\t" TOK_A "\nb\tb\t/v\t" TOK_A "\n", 2,
		    "cloister b has the token of cloister a" },
		{ "a\ta\t/w\t" TOK_A, 1, "incomplete last line" },
		{ "a\ta\t/w\t" TOK_A "\nb\tb\t/w\0\t" TOK_B "\n", 2,
		    "NUL byte" },
	};
	struct config	*conf;
	char		*path, *want, err[512];
	size_t		 i;

	conf = newconf();
	free(conf->state_dir);
	conf->state_dir = newdir("bad");
	path = statefile(conf);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (i == sizeof(t) / sizeof(t[0]) - 1) {
			/* With a NUL inside: write it byte-exact. */
			static const char nul[] = "a\ta\t/w\t" TOK_A
			    "\nb\tb\t/w\0\t" TOK_B "\n";

			writefilen(path, nul, sizeof(nul) - 1, 0600);
		} else
			writefile(path, t[i].data, 0600);
		err[0] = '\0';
		assert_int_equal(registry_init(conf, err, sizeof(err)), -1);
		want = xasprintf("%s:%d: %s", path, t[i].line, t[i].msg);
		if (strcmp(err, want) != 0) {
			print_message("case %zu: want [%s] got [%s]\n", i, want,
			    err);
			fail();
		}
		free(want);
		assert_int_equal(registry_count(), 0);
		assert_null(registry_find("a"));
	}

	/* Good, with comments and blank lines, and spaces in a path. */
	writefile(path, "# x\n\na\tp\t/w w\t" TOK_A "\n", 0600);
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	assert_string_equal(registry_find("a")->worktree, "/w w");
	registry_free();

	/* Readable by others, or not a file: refused. */
	writefile(path, "a\tp\t/w\t" TOK_A "\n", 0644);
	assert_int_equal(registry_init(conf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 0600"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(registry_init(conf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(unlink(path), 0);
	/* Missing: no dynamic cloisters, not an error. */
	assert_int_equal(registry_init(conf, err, sizeof(err)), 0);
	assert_int_equal(registry_count(), 0);
	registry_free();
	free(path);
	freeconf(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_persist),
		cmocka_unit_test(test_given_token),
		cmocka_unit_test(test_register_errors),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_bad_files),
	};

	log_init(1, LOG_DAEMON);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
