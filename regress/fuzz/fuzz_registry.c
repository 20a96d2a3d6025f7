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
 * The registry's state file (guardiand/parent_registry.c): the cloisters
 * guardianctl registered, loaded at start from the state directory.
 * The input is the file; the configuration has one static cloister.
 * Oracle: the file loads, or is refused with one printable line
 * naming it; once loaded, each cloister of the file that the static
 * one does not shadow is found by its name, with its project and
 * worktree, and its token authenticates it and nobody else; the
 * static cloister's token still authenticates the static one.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vis.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "parent.h"

#define STATIC_NAME	"static-one"
#define STATIC_TOKEN	"static-token-0123456789abcdef"

/* guardiand.c is not in the library. */
int	 guardiand_debug;
int	 guardiand_verbose;

static struct config		 conf;
static struct cloister_conf	 cc;
static char			*path;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_setsink(fuzz_log_sink);
	TAILQ_INIT(&conf.cloisters);
	conf.state_dir = (char *)fuzz_tmpdir();
	cc.name = STATIC_NAME;
	cc.project = "static-project";
	cc.worktree = "/static/worktree";
	cc.token = STATIC_TOKEN;
	cc.file = "config.yaml";
	cc.line = 1;
	TAILQ_INSERT_TAIL(&conf.cloisters, &cc, entry);
	if (asprintf(&path, "%s/cloisters", conf.state_dir) == -1)
		abort();
	return (0);
}

/* A line of the file, checked against what was loaded. */
static void
check_line(char *line)
{
	const struct cloister	*c;
	char			*f[4], *dec[4];
	int			 i;

	for (i = 0; i < 4; i++) {
		f[i] = strsep(&line, "\t");
		FUZZ_CHECK(f[i] != NULL);
		if ((dec[i] = calloc(1, strlen(f[i]) + 1)) == NULL)
			abort();
		FUZZ_CHECK(strunvis(dec[i], f[i]) != -1);
	}
	FUZZ_CHECK(line == NULL);
	if (strcmp(dec[0], STATIC_NAME) != 0 &&
	    strcmp(dec[3], STATIC_TOKEN) != 0) {
		c = registry_find(dec[0]);
		FUZZ_CHECK(c != NULL && c->dynamic);
		FUZZ_CHECK(strcmp(c->project, dec[1]) == 0);
		FUZZ_CHECK(strcmp(c->worktree, dec[2]) == 0);
		FUZZ_CHECK(registry_auth(dec[3]) == c);
	}
	for (i = 0; i < 4; i++)
		free(dec[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cloister	*c;
	char			 err[1024], *copy, *p, *line;
	size_t			 i;

	fuzz_write(path, data, size);
	err[0] = '\0';
	if (registry_init(&conf, err, sizeof(err)) == -1) {
		FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0 &&
		    err[strlen(path)] == ':');
		for (i = 0; err[i] != '\0'; i++)
			FUZZ_CHECK((unsigned char)err[i] >= 0x20 &&
			    err[i] != 0x7f);
		return (0);
	}
	c = registry_auth(STATIC_TOKEN);
	FUZZ_CHECK(c != NULL && strcmp(c->name, STATIC_NAME) == 0);
	FUZZ_CHECK(registry_auth("") == NULL);
	/* Loaded: no NUL, every line complete. */
	if ((copy = strndup((const char *)data, size)) == NULL)
		abort();
	for (p = copy; (line = strsep(&p, "\n")) != NULL; )
		if (*line != '\0' && *line != '#')
			check_line(line);
	free(copy);
	registry_free();
	return (0);
}
