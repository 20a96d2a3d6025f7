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
 * guardiand's verdicts against cloister's own answers (DESIGN 4 and
 * 5), from ../shared/testdata/cloister/ beside the tree: for every
 * argument vector of reference.tsv.gz, as given and as after the JSON
 * wire, cloister's form of the command (canon_cloister_argv) is
 * cloister's canonical string byte for byte; guardiand's canonical
 * string is the same for printable arguments; each probe pattern
 * matches cloister's form exactly when Go's regexp did; and
 * guardiand's verdict, under cloister's default configuration and
 * under each probe as an approval or a deny pattern, is never more
 * permissive than cloister's.  The same ruleset code as the policy
 * child and guardiand -n, in one process.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "canon.h"
#include "config.h"
#include "pattern.h"
#include "ruleset.h"

#define SHARED		"../shared/testdata/cloister"
#define NCOLS		10
#define NPROBES_MAX	64
#define REPORT_MAX	10

struct probe {
	char		*re;
	struct pattern	*pat;
	struct ruleset	*as_auto;
	struct ruleset	*as_deny;
};

struct ref {
	struct probe	 probe[NPROBES_MAX];
	size_t		 nprobes;
	struct ruleset	*defaults;
	int		 default_manual;
	size_t		 vectors;
	size_t		 checks;
	size_t		 stricter;	/* default verdict below cloister's */
	size_t		 differ;	/* the two forms not equal */
	size_t		 bad;		/* failures, reported up to
					   REPORT_MAX */
};

static char *
shared_path(const char *name)
{
	const char	*top = getenv("TOP");
	char		*p;

	if (asprintf(&p, "%s/%s/%s", top != NULL && *top != '\0' ? top :
	    ".", SHARED, name) == -1)
		abort();
	return (p);
}

/* The output of gzip -dc path, NUL-terminated. */
static char *
gunzip(const char *path)
{
	char			*argv[] = { "gzip", "-dc", NULL, NULL };
	char			*envp[] = { "PATH=/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	char			*out = NULL;
	size_t			 len = 0, cap = 0;
	ssize_t			 r;
	pid_t			 pid;
	int			 p[2], status;

	argv[2] = (char *)path;
	assert_int_equal(pipe(p), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	assert_int_equal(posix_spawnp(&pid, "gzip", &fa, NULL, argv, envp),
	    0);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			assert_non_null(out = realloc(out, cap));
		}
		r = read(p[0], out + len, cap - len - 1);
		if (r == -1 && errno == EINTR)
			continue;
		assert_true(r >= 0);
		if (r == 0)
			break;
		len += r;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1)
		assert_int_equal(errno, EINTR);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_null(memchr(out, '\0', len));
	out[len] = '\0';
	return (out);
}

static int
unhex(const char *h, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	const char		*a, *b;
	size_t			 i;

	if (n % 2 != 0)
		return (-1);
	for (i = 0; i < n; i += 2) {
		if ((a = strchr(digits, h[i])) == NULL || *a == '\0' ||
		    (b = strchr(digits, h[i + 1])) == NULL || *b == '\0')
			return (-1);
		out[i / 2] = (a - digits) << 4 | (b - digits);
	}
	return (0);
}

/* A hex field, malloc'd and NUL-terminated. */
static char *
unhex_str(const char *h, size_t lineno)
{
	size_t	 n = strlen(h);
	char	*s;

	assert_non_null(s = malloc(n / 2 + 1));
	if (unhex(h, n, s) == -1)
		fail_msg("reference line %zu: bad hex", lineno);
	s[n / 2] = '\0';
	return (s);
}

/* "N:hex,hex,...": argv, NULL-terminated, *argcp arguments. */
static char **
vector_argv(const char *vec, int *argcp, size_t lineno)
{
	const char	*s, *next;
	char		*end, **argv;
	long		 argc;
	size_t		 n;
	int		 i;

	argc = strtol(vec, &end, 10);
	if (end == vec || *end != ':' || argc < 1 || argc > 100000)
		fail_msg("reference line %zu: bad vector", lineno);
	assert_non_null(argv = calloc(argc + 1, sizeof(*argv)));
	for (i = 0, s = end + 1; i < argc; i++, s = next + 1) {
		if ((next = strchr(s, ',')) == NULL)
			next = s + strlen(s);
		n = next - s;
		assert_non_null(argv[i] = malloc(n / 2 + 1));
		if (unhex(s, n, argv[i]) == -1 ||
		    memchr(argv[i], '\0', n / 2) != NULL ||
		    (*next == '\0') != (i == argc - 1))
			fail_msg("reference line %zu: bad argument %d",
			    lineno, i);
		argv[i][n / 2] = '\0';
	}
	*argcp = argc;
	return (argv);
}

static void
argv_free(int argc, char **argv)
{
	int	 i;

	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* Valid UTF-8 with nothing the canonical string escapes. */
static int
printable(int argc, char **argv)
{
	const unsigned char	*s;
	uint32_t		 cp;
	size_t			 i, n, len;
	int			 j;

	for (j = 0; j < argc; j++) {
		s = (const unsigned char *)argv[j];
		len = strlen(argv[j]);
		for (i = 0; i < len; i += n)
			if ((n = utf8_decode(s + i, len - i, &cp)) == 0 ||
			    canon_hidden(cp))
				return (0);
	}
	return (1);
}

/* deny < manual_approve < auto_approve: how permissive. */
static int
rank(const char *verdict)
{
	if (strcmp(verdict, "deny") == 0)
		return (0);
	if (strcmp(verdict, "manual_approve") == 0)
		return (1);
	if (strcmp(verdict, "auto_approve") == 0)
		return (2);
	fail_msg("unknown verdict %s", verdict);
	return (-1);
}

static void __attribute__((__format__(__printf__, 2, 3)))
report(struct ref *ref, const char *fmt, ...)
{
	va_list	 ap;

	if (ref->bad++ >= REPORT_MAX)
		return;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void
check(struct ref *ref, struct ruleset *rs, const char *canon,
    const char *clform, struct verdict_result *res)
{
	ruleset_check(rs, NULL, canon, strlen(canon), clform,
	    strlen(clform), ref->default_manual, res);
	ref->checks++;
}

/*
 * One vector and cloister's answers for it: the fields vector,
 * canonical_hex, probe_bits, default_verdict, default_pattern_hex.
 */
static void
check_vector(struct ref *ref, char **f, size_t lineno, const char *what)
{
	struct verdict_result	 res;
	char			**argv, *want, *wpat, *canon, *clform;
	size_t			 i;
	int			 argc, bit, m, g, c;

	argv = vector_argv(f[0], &argc, lineno);
	want = unhex_str(f[1], lineno);
	wpat = unhex_str(f[4], lineno);
	assert_non_null(canon = canon_argv(argc, argv));
	assert_non_null(clform = canon_cloister_argv(argc, argv));
	ref->vectors++;
	if (strcmp(canon, clform) != 0)
		ref->differ++;
	if (strcmp(clform, want) != 0)
		report(ref, "line %zu (%s): cloister's form <%s>, cloister "
		    "<%s>", lineno, what, clform, want);
	if (printable(argc, argv) && strcmp(canon, want) != 0)
		report(ref, "line %zu (%s): printable, canonical <%s>, "
		    "cloister <%s>", lineno, what, canon, want);

	/* cloister's default configuration. */
	check(ref, ref->defaults, canon, clform, &res);
	g = rank(verdict_name(res.verdict));
	c = rank(f[3]);
	if (g > c)
		report(ref, "line %zu (%s): %s by %s, cloister says %s: %s",
		    lineno, what, verdict_name(res.verdict), res.pattern,
		    f[3], canon);
	else if (g < c)
		ref->stricter++;
	else if (g > 0 && strcmp(res.pattern, wpat) != 0)
		report(ref, "line %zu (%s): decided by %s, cloister by %s",
		    lineno, what, res.pattern, wpat);

	/* Each probe, alone, as an approval and as a deny pattern. */
	if (strlen(f[2]) != ref->nprobes)
		fail_msg("reference line %zu: %zu probe bits for %zu probes",
		    lineno, strlen(f[2]), ref->nprobes);
	for (i = 0; i < ref->nprobes; i++) {
		bit = f[2][i] == '1';
		m = pattern_match(ref->probe[i].pat, clform, strlen(clform));
		if (m != (bit ? PATTERN_MATCH : PATTERN_NOMATCH))
			report(ref, "line %zu (%s): /%s/ on cloister's form "
			    "gives %d, Go %d", lineno, what,
			    ref->probe[i].re, m, bit);
		check(ref, ref->probe[i].as_auto, canon, clform, &res);
		if (res.verdict == VERDICT_AUTO && !bit)
			report(ref, "line %zu (%s): /%s/ approves, cloister "
			    "does not: %s", lineno, what, ref->probe[i].re,
			    canon);
		check(ref, ref->probe[i].as_deny, canon, clform, &res);
		if (bit && res.pattern == NULL)
			report(ref, "line %zu (%s): /%s/ as deny lets %s "
			    "through", lineno, what, ref->probe[i].re,
			    canon);
	}
	free(canon);
	free(clform);
	free(want);
	free(wpat);
	argv_free(argc, argv);
}

static void
load_probes(struct ref *ref)
{
	char		*path, *buf, *line, *nl, *errs = NULL;
	struct probe	*p;
	char		 err[256];
	FILE		*fp;
	size_t		 len;

	path = shared_path("probes.txt");
	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	assert_non_null(buf = malloc(len + 1));
	assert_int_equal(fread(buf, 1, len, fp), len);
	buf[len] = '\0';
	fclose(fp);
	for (line = buf; *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		assert_true(ref->nprobes < NPROBES_MAX);
		p = &ref->probe[ref->nprobes++];
		assert_non_null(p->re = strdup(line));
		if ((p->pat = pattern_compile(line, err, sizeof(err))) == NULL)
			fail_msg("probe /%s/: %s", line, err);
		assert_non_null(p->as_auto = ruleset_new());
		assert_non_null(p->as_deny = ruleset_new());
		assert_int_equal(ruleset_add(p->as_auto, NULL, PAT_AUTO, line,
		    "probes.txt", (int)ref->nprobes, &errs), 0);
		assert_int_equal(ruleset_add(p->as_deny, NULL, PAT_DENY, line,
		    "probes.txt", (int)ref->nprobes, &errs), 0);
	}
	assert_null(errs);
	free(buf);
	free(path);
}

/* cloister's default configuration, read as guardiand reads it. */
static void
load_defaults(struct ref *ref)
{
	struct config		*conf;
	struct pattern_src	*ps;
	char			*path, *errs = NULL;
	int			 k, n = 0;

	path = shared_path("cloister-default.yaml");
	if ((conf = config_load(path, &errs)) == NULL)
		fail_msg("%s: %s", path, errs != NULL ? errs : "?");
	assert_non_null(ref->defaults = ruleset_new());
	for (k = 0; k < PAT_NKINDS; k++)
		TAILQ_FOREACH(ps, &conf->global.kind[k], entry) {
			assert_int_equal(ruleset_add(ref->defaults, NULL, k,
			    ps->re, ps->file, ps->line, &errs), 0);
			n++;
		}
	assert_null(errs);
	/* One auto_approve, four manual_approve. */
	assert_int_equal(n, 5);
	ref->default_manual = conf->default_manual;
	config_free(conf);
	free(path);
}

static void
test_cloister_verdicts(void **state)
{
	struct ref	 ref;
	char		*path, *data, *line, *nl, *f[NCOLS], *t;
	size_t		 lineno = 0, i;
	int		 j;

	memset(&ref, 0, sizeof(ref));
	load_probes(&ref);
	load_defaults(&ref);
	path = shared_path("reference.tsv.gz");
	data = gunzip(path);
	for (line = data; *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (j = 0, t = line; j < NCOLS; j++) {
			f[j] = t;
			if ((t = strchr(t, '\t')) != NULL)
				*t++ = '\0';
			else if (j < NCOLS - 1)
				fail_msg("reference line %zu: %d columns",
				    lineno, j + 1);
		}
		/* As given, and as after the JSON wire. */
		check_vector(&ref, f, lineno, "argv");
		f[0] = f[9];
		f[1] = f[5];
		f[2] = f[6];
		f[3] = f[7];
		f[4] = f[8];
		check_vector(&ref, f, lineno, "wire");
	}
	printf("# cloister differential count: %zu vectors (%zu whose two "
	    "forms differ), %zu checks against %zu probes and the "
	    "defaults, %zu stricter than cloister, %zu wrong\n",
	    ref.vectors, ref.differ, ref.checks, ref.nprobes, ref.stricter,
	    ref.bad);
	fflush(stdout);
	assert_true(ref.vectors > 1000 && ref.differ > 0);
	assert_int_equal(ref.bad, 0);
	for (i = 0; i < ref.nprobes; i++) {
		free(ref.probe[i].re);
		pattern_free(ref.probe[i].pat);
		ruleset_free(ref.probe[i].as_auto);
		ruleset_free(ref.probe[i].as_deny);
	}
	ruleset_free(ref.defaults);
	free(data);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_cloister_verdicts),
	};
	const char		*need[] = { "reference.tsv.gz", "probes.txt",
				    "cloister-default.yaml" };
	char			*path;
	size_t			 i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		path = shared_path(need[i]);
		if (access(path, R_OK) == -1) {
			printf("ok - test_cloister_verdicts # SKIP %s "
			    "missing\n", path);
			free(path);
			return (0);
		}
		free(path);
	}
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
