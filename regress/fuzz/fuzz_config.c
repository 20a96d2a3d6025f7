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
 * The configuration loader (guardiand/config.c, DESIGN 6.6): the
 * input is the main file, then after a NUL byte a project file
 * (projects/fuzz.yaml beside it).  Oracle: a file loads, or is
 * refused with errors, never both or neither; every error is one
 * line "file:line: message" (or "file: message") naming one of the
 * two files, without a raw control character.
 *
 * Loading reads the files that token_file names.  Opening a device
 * can do things (a watchdog, a tape), so an input whose YAML holds a
 * scalar naming anything in /dev, /proc or /sys is skipped: libyaml,
 * which the loader also uses, reads the scalars here first.  HOME is
 * the scratch directory, for "~/".
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"

/* guardiand.c is not in the library. */
int	 guardiand_debug;
int	 guardiand_verbose;

static char	*mainpath, *projdir, *projpath;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = fuzz_tmpdir();
	char		*tok;

	log_setsink(fuzz_log_sink);
	if (asprintf(&mainpath, "%s/config.yaml", dir) == -1 ||
	    asprintf(&projdir, "%s/projects", dir) == -1 ||
	    asprintf(&projpath, "%s/fuzz.yaml", projdir) == -1 ||
	    mkdir(projdir, 0700) == -1)
		abort();
	/* Token files for "~/token" and "~/token-open" to name. */
	if (asprintf(&tok, "%s/token", dir) == -1)
		abort();
	fuzz_write(tok, "token-0123456789abcdef\n", 23);
	free(tok);
	if (asprintf(&tok, "%s/token-open", dir) == -1)
		abort();
	fuzz_write(tok, "token-0123456789abcdef\n", 23);
	if (chmod(tok, 0644) == -1)
		abort();
	free(tok);
	setenv("HOME", dir, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_RUNTIME_DIR");
	return (0);
}

/* 1 if a scalar of the YAML in s[0..len) names a system file. */
static int
names_system_file(const uint8_t *s, size_t len)
{
	static const char *const bad[] = { "dev/", "proc/", "sys/", NULL };
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	const char	*v;
	int		 i, found = 0, done = 0;

	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, s, len);
	while (!done && !found) {
		if (!yaml_parser_parse(&parser, &ev))
			break;
		if (ev.type == YAML_SCALAR_EVENT) {
			v = (const char *)ev.data.scalar.value;
			for (i = 0; bad[i] != NULL; i++)
				if (memmem(v, ev.data.scalar.length, bad[i],
				    strlen(bad[i])) != NULL)
					found = 1;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return (found);
}

/* Each line "file:line: message" or "file: message", printable. */
static void
check_errors(const char *errs)
{
	const char	*line, *nl;
	size_t		 n, i;

	FUZZ_CHECK(errs != NULL && *errs != '\0');
	for (line = errs; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		FUZZ_CHECK(nl != NULL);
		n = nl - line;
		FUZZ_CHECK((n > strlen(mainpath) &&
		    strncmp(line, mainpath, strlen(mainpath)) == 0 &&
		    line[strlen(mainpath)] == ':') ||
		    (n > strlen(projdir) &&
		    strncmp(line, projdir, strlen(projdir)) == 0));
		for (i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)line[i] >= 0x20 &&
			    line[i] != 0x7f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*conf;
	const uint8_t	*nul;
	char		*errs = NULL;
	size_t		 n;

	nul = memchr(data, '\0', size);
	n = nul != NULL ? (size_t)(nul - data) : size;
	if (names_system_file(data, n) || (nul != NULL &&
	    names_system_file(nul + 1, size - n - 1)))
		return (0);
	fuzz_write(mainpath, data, n);
	if (nul != NULL)
		fuzz_write(projpath, nul + 1, size - n - 1);
	else
		(void)unlink(projpath);

	conf = config_load(mainpath, &errs);
	if (conf != NULL) {
		FUZZ_CHECK(errs == NULL);
		FUZZ_CHECK(!TAILQ_EMPTY(&conf->request_listen));
		FUZZ_CHECK(!TAILQ_EMPTY(&conf->ui_listen));
		config_free(conf);
	} else
		check_errors(errs);
	free(errs);
	return (0);
}
