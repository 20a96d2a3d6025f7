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
 * The timing harness of regress/bench.sh: runs commands many times and
 * prints the wall time of each run, from just before fork(2) to just
 * after waitpid(2) returned, in microseconds.
 *
 *   spawnbench [-s] [-n runs] [-b batch] [-w warmup] group [:: group ...]
 *   group:  LABEL[:STATUS] [NAME=VALUE ...] PATH [ARG ...]
 *
 * Every group runs the same number of times.  The groups take turns,
 * batch runs at a time, the first group of each round rotating, so that
 * whatever else the machine does falls on all of them alike: a ratio of
 * two groups' medians is then a fair measure.  warmup untimed runs of
 * each group come first.  NAME=VALUE words are added to (or replace in)
 * the environment of that group's command; PATH is executed as given,
 * without a search.  The command's standard input and output are
 * /dev/null, its standard error is ours.  A run counts if the command
 * exits with STATUS (default 0); other runs are reported, not timed.
 *
 * Output: one line "LABEL MICROSECONDS" per timed run, in the order
 * they ran; with -s, then one line per group:
 *   "# LABEL runs=N min=U median=U p90=U max=U mean=U"
 * (nearest-rank percentiles).  Exit status 1 if any run failed.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char	**environ;

struct group {
	const char	 *label;
	char		**argv;
	char		**envp;
	uint64_t	 *us;		/* one per timed run */
	int		  n;
	int		  status;	/* the exit status expected */
	int		  failed;
};

static void __attribute__((__noreturn__))
usage(void)
{
	fprintf(stderr, "usage: spawnbench [-s] [-n runs] [-b batch] "
	    "[-w warmup] label[:status] [NAME=VALUE ...] path [arg ...] "
	    "[:: label ...]\n");
	exit(2);
}

static uint64_t
now_us(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* Our environment with the group's NAME=VALUE words laid over it. */
static char **
make_env(char **set, int nset)
{
	char	**env;
	size_t	  n, i, k, len;
	int	  j;

	for (n = 0; environ[n] != NULL; n++)
		;
	if ((env = calloc(n + nset + 1, sizeof(*env))) == NULL)
		err(1, NULL);
	for (i = 0, k = 0; i < n; i++) {
		for (j = 0; j < nset; j++) {
			len = strchr(set[j], '=') - set[j] + 1;
			if (strncmp(environ[i], set[j], len) == 0)
				break;
		}
		if (j == nset)
			env[k++] = environ[i];
	}
	for (j = 0; j < nset; j++)
		env[k++] = set[j];
	return (env);
}

/* NAME=VALUE, NAME a shell variable name. */
static int
is_assignment(const char *s)
{
	const char	*p;

	if (!isalpha((unsigned char)*s) && *s != '_')
		return (0);
	for (p = s + 1; isalnum((unsigned char)*p) || *p == '_'; p++)
		;
	return (*p == '=');
}

static int
number(const char *s, int min, int max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		errx(2, "%s: not a number from %d to %d", s, min, max);
	return ((int)v);
}

/* Parse argv into groups separated by "::". */
static struct group *
parse_groups(int argc, char **argv, int runs, int *ngroups)
{
	struct group	*g = NULL;
	char		*colon;
	int		 i, start, nset, ng = 0;

	for (start = 0; start < argc; start = i + 1) {
		for (i = start; i < argc && strcmp(argv[i], "::") != 0; i++)
			;
		argv[i] = NULL;		/* argv[argc] is NULL already */
		if (i - start < 2)
			usage();
		if ((g = reallocarray(g, ng + 1, sizeof(*g))) == NULL)
			err(1, NULL);
		memset(&g[ng], 0, sizeof(g[ng]));
		g[ng].label = argv[start];
		if ((colon = strrchr(argv[start], ':')) != NULL &&
		    colon[1] != '\0' &&
		    strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
			*colon = '\0';
			g[ng].status = number(colon + 1, 0, 255);
		}
		for (nset = 0; start + 1 + nset < i &&
		    is_assignment(argv[start + 1 + nset]); nset++)
			;
		if (start + 1 + nset >= i)
			usage();
		g[ng].envp = make_env(&argv[start + 1], nset);
		g[ng].argv = &argv[start + 1 + nset];
		if ((g[ng].us = calloc(runs, sizeof(*g[ng].us))) == NULL)
			err(1, NULL);
		ng++;
	}
	if (ng == 0)
		usage();
	*ngroups = ng;
	return (g);
}

/* One run of the group's command: its wall time, or 0 if it failed. */
static uint64_t
run_once(struct group *g, int devnull)
{
	uint64_t	 t0, t1;
	pid_t		 pid;
	int		 status;

	t0 = now_us();
	switch (pid = fork()) {
	case -1:
		err(1, "fork");
	case 0:
		if (dup2(devnull, STDIN_FILENO) == -1 ||
		    dup2(devnull, STDOUT_FILENO) == -1)
			_exit(126);
		execve(g->argv[0], g->argv, g->envp);
		warn("%s", g->argv[0]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	t1 = now_us();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != g->status) {
		if (g->failed++ < 3 && WIFEXITED(status))
			warnx("%s: exited %d", g->label, WEXITSTATUS(status));
		else if (g->failed <= 3)
			warnx("%s: killed by signal %d", g->label,
			    WTERMSIG(status));
		return (0);
	}
	return (t1 - t0 > 0 ? t1 - t0 : 1);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Nearest rank: the smallest value with at least p% at or below it. */
static uint64_t
rank(const uint64_t *v, int n, int p)
{
	int	 k = (n * p + 99) / 100;

	return (v[k > 0 ? k - 1 : 0]);
}

static void
summary(struct group *g)
{
	uint64_t	 sum = 0;
	int		 i;

	if (g->n == 0) {
		printf("# %s runs=0\n", g->label);
		return;
	}
	qsort(g->us, g->n, sizeof(*g->us), cmp_u64);
	for (i = 0; i < g->n; i++)
		sum += g->us[i];
	printf("# %s runs=%d min=%llu median=%llu p90=%llu max=%llu "
	    "mean=%llu\n", g->label, g->n,
	    (unsigned long long)g->us[0],
	    (unsigned long long)rank(g->us, g->n, 50),
	    (unsigned long long)rank(g->us, g->n, 90),
	    (unsigned long long)g->us[g->n - 1],
	    (unsigned long long)(sum / g->n));
}

int
main(int argc, char *argv[])
{
	struct group	*g;
	uint64_t	 us;
	int		 ch, ng, i, j, k, r, done, devnull;
	int		 runs = 100, batch = 10, warmup = 5, sflag = 0, bad = 0;

	while ((ch = getopt(argc, argv, "+b:n:sw:")) != -1) {
		switch (ch) {
		case 'b':
			batch = number(optarg, 1, 1000000);
			break;
		case 'n':
			runs = number(optarg, 1, 1000000);
			break;
		case 's':
			sflag = 1;
			break;
		case 'w':
			warmup = number(optarg, 0, 1000000);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	g = parse_groups(argc, argv, runs, &ng);
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		err(1, "/dev/null");
	/* A line per run: on a pipe, do not let stdio hold them back. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 0; i < ng; i++)
		for (j = 0; j < warmup; j++)
			(void)run_once(&g[i], devnull);
	for (i = 0; i < ng; i++)
		g[i].failed = 0;

	for (r = 0, done = 0; done < runs; r++, done += batch) {
		for (k = 0; k < ng; k++) {
			i = (r + k) % ng;
			for (j = 0; j < batch && done + j < runs; j++) {
				if ((us = run_once(&g[i], devnull)) == 0)
					continue;
				g[i].us[g[i].n++] = us;
				printf("%s %llu\n", g[i].label,
				    (unsigned long long)us);
			}
		}
	}
	for (i = 0; i < ng; i++) {
		if (g[i].failed > 0) {
			warnx("%s: %d of %d runs failed", g[i].label,
			    g[i].failed, runs);
			bad = 1;
		}
		if (sflag)
			summary(&g[i]);
		free(g[i].envp);
		free(g[i].us);
	}
	free(g);
	close(devnull);
	return (bad);
}
