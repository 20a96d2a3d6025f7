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
 * ptable_load_below: what descends from us, children of any thread
 * included, is what a picture of all of /proc says descends from us.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "guardiand.h"

static int	 pids_fd;
static pid_t	 group;		/* the test's processes, to kill */

/* In a child: gone with its parent, should the test end abruptly. */
static void
tied(void)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* In a child: a pid for the test, or the child ends. */
static void
put(int fd, pid_t pid)
{
	if (write(fd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(1);
}

static pid_t
sleeper(void)
{
	pid_t	 pid;

	if ((pid = fork()) == 0) {
		tied();
		for (;;)
			pause();
	}
	return (pid);
}

/* A thread of the child: its own child, listed under the thread. */
static void *
forker(void *arg)
{
	pid_t	 pid = sleeper();

	put(pids_fd, pid);
	for (;;)
		pause();
	return (NULL);
}

/*
 * A child in a group of its own, with a child of its main thread, one
 * of another thread, and a grandchild of its own: their pids (child
 * first) in pids[4].
 */
static pid_t
tree(pid_t pids[4])
{
	pthread_t	 t;
	pid_t		 pid;
	int		 p[2], i;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		tied();
		close(p[0]);
		pids_fd = p[1];
		(void)setpgid(0, 0);
		pid = getpid();
		put(p[1], pid);
		pid = sleeper();
		put(p[1], pid);
		if ((pid = fork()) == 0) {
			tied();
			pid = sleeper();
			put(p[1], pid);
			for (;;)
				pause();
		}
		if (pthread_create(&t, NULL, forker, NULL) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	assert_true(pid > 0);
	group = pid;
	close(p[1]);
	for (i = 0; i < 4; i++)
		assert_int_equal(read(p[0], &pids[i], sizeof(pids[i])),
		    sizeof(pids[i]));
	close(p[0]);
	return (pid);
}

static void
test_below(void **state)
{
	struct ptable	 all, below;
	const struct pstat *ps;
	pid_t		 self = getpid(), pids[4], child;
	size_t		 i, n = 0;
	int		 j;

	child = tree(pids);
	assert_int_equal(ptable_load_below(&below, self), 0);
	assert_int_equal(ptable_load(&all), 0);
	for (j = 0; j < 4; j++) {
		assert_non_null(ps = ptable_find(&below, pids[j]));
		assert_ptr_equal(ptable_below(&below, ps, self),
		    ptable_find(&below, child));
	}
	/* Nothing else, and in order. */
	for (i = 0; i < all.n; i++) {
		if (ptable_below(&all, &all.p[i], self) == NULL) {
			assert_null(ptable_find(&below, all.p[i].pid));
			continue;
		}
		assert_non_null(ps = ptable_find(&below, all.p[i].pid));
		assert_int_equal(ps->ppid, all.p[i].ppid);
		assert_int_equal(ps->sid, all.p[i].sid);
		n++;
	}
	assert_int_equal(below.n, n);
	for (i = 1; i < below.n; i++)
		assert_true(below.p[i - 1].pid < below.p[i].pid);
	ptable_free(&all);
	ptable_free(&below);
}

/* A process with no descendants: an empty picture. */
static void
test_none(void **state)
{
	struct ptable	 pt;
	pid_t		 pid;
	int		 p[2];

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		tied();
		close(p[0]);
		(void)setpgid(0, 0);
		put(p[1], getpid());
		for (;;)
			pause();
	}
	group = pid;
	close(p[1]);
	assert_int_equal(read(p[0], &pid, sizeof(pid)), sizeof(pid));
	close(p[0]);
	assert_int_equal(ptable_load_below(&pt, pid), 0);
	assert_int_equal(pt.n, 0);
	ptable_free(&pt);
}

/* Whatever the outcome, the test's processes go. */
static int
teardown(void **state)
{
	if (group > 0) {
		(void)kill(-group, SIGKILL);
		(void)waitpid(group, NULL, 0);
		group = 0;
	}
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_below, teardown),
		cmocka_unit_test_teardown(test_none, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
