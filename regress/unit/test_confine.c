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
 * guardian.confine (config_confine.c): profiles, the default and the
 * rules as loaded, every error with its "file:line: message", the
 * parent's lookup confine_for(), and what confine.c does before fork
 * that can be checked without confining this process: the private
 * temporary directory (made, refused in a base open to others,
 * removed without following links) and TMPDIR.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "confine.h"
#include "testutil.h"

/* sandbox.c's, defined by guardiand's main(). */
unsigned int	 child_uid, child_gid;

static char	 tmproot[PATH_MAX];
static int	 ndirs;

#define CLOISTER_CONF \
	"hostexec:\n" \
	"  auto_approve:\n" \
	"    - pattern: \"^git status$\"\n" \
	"    - pattern: \"^ls( |$)\"\n" \
	"  manual_approve:\n" \
	"    - pattern: \"^git push\"\n"

/* config.yaml (CLOISTER_CONF) and guardiand.yaml in a new directory. */
static char *
wconf(const char *gyaml)
{
	char	*dir, *path, *gpath;

	dir = xasprintf("%s/t%d", tmproot, ++ndirs);
	assert_int_equal(mkdir(dir, 0700), 0);
	path = xasprintf("%s/config.yaml", dir);
	gpath = xasprintf("%s/guardiand.yaml", dir);
	writefile(path, CLOISTER_CONF, 0644);
	writefile(gpath, gyaml, 0644);
	free(gpath);
	free(dir);
	return (path);
}

static struct config *
load_ok(const char *gyaml)
{
	struct config	*conf;
	char		*path, *errs = NULL;

	path = wconf(gyaml);
	conf = config_load(path, &errs);
	if (conf == NULL)
		fail_msg("unexpected errors:\n%s", errs);
	free(path);
	return (conf);
}

/* Exactly one error, at guardiand.yaml:line, containing msg. */
static void
one_err(const char *gyaml, int line, const char *msg)
{
	struct config	*conf;
	char		*path, *errs = NULL, *want, *nl;

	path = wconf(gyaml);
	conf = config_load(path, &errs);
	assert_null(conf);
	assert_non_null(errs);
	want = xasprintf("%.*sguardiand.yaml:%d: ",
	    (int)(strlen(path) - strlen("config.yaml")), path, line);
	nl = strchr(errs, '\n');
	if (strncmp(errs, want, strlen(want)) != 0 ||
	    strstr(errs, msg) == NULL || nl == NULL || nl[1] != '\0')
		fail_msg("want one error: %s...%s\ngot:\n%s", want, msg, errs);
	free(want);
	free(errs);
	free(path);
}

static const struct confine_profile *
profile(struct config *conf, const char *name)
{
	struct confine_profile	*p;

	TAILQ_FOREACH(p, &conf->confine_profiles, entry)
		if (strcmp(p->name, name) == 0)
			return (p);
	fail_msg("no profile %s", name);
	return (NULL);
}

static void
test_load(void **state)
{
	struct config			*conf;
	const struct confine_profile	*ro, *net;
	struct strent			*se;

	/* Rules and default before the profiles they name: any order. */
	conf = load_ok("guardian:\n"
	    "  confine:\n"
	    "    rules:\n"
	    "      - {pattern: \"^git push\", profile: net}\n"
	    "      - {pattern: \"^ls( |$)\", profile: none}\n"
	    "    default: ro\n"
	    "    profiles:\n"
	    "      ro:\n"
	    "        read: [~/.gitconfig, /etc/x]\n"
	    "      net: {network: true, write: [/srv/cache]}\n"
	    "      empty:\n");
	ro = profile(conf, "ro");
	net = profile(conf, "net");
	(void)profile(conf, "empty");
	assert_ptr_equal(conf->confine_default, ro);
	assert_int_equal(ro->network, 0);
	se = TAILQ_FIRST(&ro->read);
	assert_non_null(se);
	assert_string_equal(se->s, "/home/tester/.gitconfig");
	assert_string_equal(TAILQ_NEXT(se, entry)->s, "/etc/x");
	assert_true(TAILQ_EMPTY(&ro->write));
	assert_int_equal(net->network, 1);
	assert_string_equal(TAILQ_FIRST(&net->write)->s, "/srv/cache");

	/* Auto-approved: the default, unless a rule says otherwise. */
	assert_ptr_equal(confine_for(conf, VERDICT_AUTO, "^git status$"), ro);
	assert_null(confine_for(conf, VERDICT_AUTO, "^ls( |$)"));
	/* Approved by a human: a rule only. */
	assert_ptr_equal(confine_for(conf, VERDICT_MANUAL, "^git push"), net);
	assert_null(confine_for(conf, VERDICT_MANUAL, NULL));
	assert_null(confine_for(conf, VERDICT_MANUAL, "^git status$"));
	/* The text exactly: no regular expression, no prefix. */
	assert_ptr_equal(confine_for(conf, VERDICT_AUTO, "^git push "), ro);
	assert_null(confine_for(conf, VERDICT_DENY, "^git push"));
	config_free(conf);

	/* Nothing said: nothing confined. */
	conf = load_ok("guardian:\n  default: deny\n");
	assert_null(confine_for(conf, VERDICT_AUTO, "^git status$"));
	assert_true(TAILQ_EMPTY(&conf->confine_profiles));
	config_free(conf);
}

static void
test_errors(void **state)
{
	one_err("guardian:\n  confine:\n    default: nosuch\n", 3,
	    "`guardian.confine.default`: no profile \"nosuch\"");
	one_err("guardian:\n  confine:\n    profiles: {ro: {}}\n"
	    "    rules:\n      - {pattern: \"^ls( |$)\", profile: rw}\n", 5,
	    "`guardian.confine.rules.profile`: no profile \"rw\"");
	one_err("guardian:\n  confine:\n    profiles:\n      ro:\n"
	    "        read: [etc/passwd]\n", 5,
	    "`guardian.confine.profiles.ro.read` must be an absolute path");
	one_err("guardian:\n  confine:\n    profiles:\n      ro:\n"
	    "        write: [\"~other/x\"]\n", 5,
	    "`guardian.confine.profiles.ro.write`: cannot expand");
	one_err("guardian:\n  confine:\n    profiles:\n      ro:\n"
	    "        read: [/a, /a]\n", 5, "/a is listed twice");
	one_err("guardian:\n  confine:\n    profiles:\n      ro:\n"
	    "        network: maybe\n", 5,
	    "`guardian.confine.profiles.ro.network` must be true or false");
	one_err("guardian:\n  confine:\n    profiles:\n      ro:\n"
	    "        raed: [/a]\n", 5, "unknown key `raed` in profile `ro`");
	one_err("guardian:\n  confine:\n    profiles:\n      none: {}\n", 4,
	    "bad profile name \"none\"");
	one_err("guardian:\n  confine:\n    profiles:\n      \"a/b\": {}\n", 4,
	    "bad profile name \"a/b\"");
	one_err("guardian:\n  confine:\n    defualt: none\n", 3,
	    "unknown key `defualt` in section `guardian.confine`");
	one_err("guardian:\n  confine:\n    rules:\n"
	    "      - {pattern: \"^git status\", profile: none}\n", 4,
	    "\"^git status\" is in no auto_approve or manual_approve list");
	one_err("guardian:\n  confine:\n    rules:\n"
	    "      - {pattern: \"^ls( |$)\", profile: none}\n"
	    "      - {pattern: \"^ls( |$)\", profile: none}\n", 5,
	    "the pattern already has a rule, at line 4");
	one_err("guardian:\n  confine:\n    rules:\n"
	    "      - {pattern: \"^ls( |$)\"}\n", 4,
	    "needs both `pattern` and `profile`");
	one_err("guardian:\n  confine:\n    rules: {a: b}\n", 3,
	    "`guardian.confine.rules` must be a list");
}

/* The private directory: made 0700 in a base of ours, then removed. */
static void
test_tmpdir(void **state)
{
	struct confine_profile	 p;
	struct confine		 c;
	struct stat		 st;
	char			*base, *wt, *f, err[512];
	char			**envp;

	memset(&p, 0, sizeof(p));
	p.name = "ro";
	TAILQ_INIT(&p.read);
	TAILQ_INIT(&p.write);
	base = xasprintf("%s/tmpbase", tmproot);
	wt = xasprintf("%s/wt", tmproot);
	assert_int_equal(mkdir(wt, 0755), 0);
	if (confine_prepare(&c, &p, wt, base, err, sizeof(err)) == -1) {
		if (strstr(err, "no Landlock") != NULL)
			skip();
		fail_msg("%s", err);
	}
	assert_int_equal(lstat(c.tmpdir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(strncmp(c.tmpdir, base, strlen(base)), 0);
	assert_int_not_equal(c.ruleset, -1);
	assert_true(c.nfilter > 0 && c.nfilter <= CONFINE_FILTER_MAX);

	/* TMPDIR names it; TMP and TEMP go; the rest stays. */
	envp = calloc(5, sizeof(*envp));
	assert_non_null(envp);
	envp[0] = strdup("TMPDIR=/tmp");
	envp[1] = strdup("PATH=/bin");
	envp[2] = strdup("TMP=/var/tmp");
	envp[3] = strdup("TEMPO=1");
	assert_int_equal(confine_env(&envp, &c), 0);
	f = xasprintf("TMPDIR=%s", c.tmpdir);
	assert_string_equal(envp[0], "PATH=/bin");
	assert_string_equal(envp[1], "TEMPO=1");
	assert_string_equal(envp[2], f);
	assert_null(envp[3]);
	free(f);
	free(envp[0]);
	free(envp[1]);
	free(envp[2]);
	free(envp);

	/* Left behind by the command: files, a directory, a link out. */
	f = xasprintf("%s/sub", c.tmpdir);
	assert_int_equal(mkdir(f, 0700), 0);
	free(f);
	f = xasprintf("%s/sub/file", c.tmpdir);
	writefile(f, "x", 0600);
	free(f);
	f = xasprintf("%s/out", c.tmpdir);
	assert_int_equal(symlink(wt, f), 0);
	free(f);
	f = xasprintf("%s/keep", wt);
	writefile(f, "keep", 0600);
	confine_close(&c);
	assert_int_equal(c.ruleset, -1);
	assert_int_equal(confine_tmp_remove(&c), 0);
	assert_int_equal(c.tmpdir[0], '\0');
	assert_int_equal(nentries(base), 0);
	/* The link was removed, not followed. */
	assert_int_equal(access(f, F_OK), 0);
	free(f);

	/* A base others may enter is refused: nothing is made. */
	assert_int_equal(chmod(base, 0755), 0);
	assert_int_equal(confine_prepare(&c, &p, wt, base, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "mode 0700"));
	assert_int_equal(nentries(base), 0);
	free(base);
	free(wt);
}

static int
setup(void **state)
{
	if (setenv("HOME", "/home/tester", 1) == -1)
		return (-1);
	return (tmproot_make(tmproot, sizeof(tmproot), "test_confine"));
}

static int
teardown(void **state)
{
	return (tmproot_remove(tmproot));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_tmpdir),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
