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
 * guardiand's main: the options, then one of three things: a child
 * re-executed by the parent (-R role, proc.c), a check of the
 * configuration (-n, check.c), or the parent (parent_start.c, then
 * parent.c).
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "guardiand.h"
#include "log.h"

extern char	**environ;

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-dnv] [-f file] [-s socket] "
	    "[-p project] [-- command [arg ...]]\n", __progname);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct config	*conf;
	const char	*conffile = NULL, *project = NULL, *ctlsock = NULL;
	char		*defconf = NULL, *errs = NULL;
	enum role	 role = ROLE_PARENT;
	int		 ch, noaction = 0, readyfd;

	setproctitle_init(argc, argv, environ);
	while ((ch = getopt(argc, argv, "df:np:R:s:U:v")) != -1) {
		switch (ch) {
		case 'd':
			guardiand_debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'p':
			project = optarg;
			break;
		case 'R':
			if ((role = role_by_name(optarg)) == ROLE_PARENT)
				usage();
			break;
		case 's':
			ctlsock = optarg;
			break;
		case 'U':
			if (sscanf(optarg, "%u:%u", &child_uid, &child_gid) != 2 ||
			    child_uid == 0)
				usage();
			break;
		case 'v':
			guardiand_verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	/* A re-executed child: nothing of the parent but its channel. */
	if (role != ROLE_PARENT)
		child_main(role);

	if (argc > 0 && !noaction)
		usage();
	if (project != NULL && !noaction)
		usage();

	if (conffile == NULL) {
		if ((defconf = config_default_path()) == NULL)
			errx(1, "cannot find the configuration: set HOME or "
			    "use -f");
		conffile = defconf;
	}
	if ((conf = config_load(conffile, &errs)) == NULL) {
		fputs(errs != NULL ? errs : "configuration error\n", stderr);
		exit(1);
	}
	if (ctlsock != NULL) {
		free(conf->control_path);
		if ((conf->control_path = strdup(ctlsock)) == NULL)
			err(1, NULL);
	}

	if (noaction)
		exit(check_config(conf, project, argc, argv));

	log_init(guardiand_debug, LOG_DAEMON);
	log_setverbose(guardiand_verbose + 1);
	log_procinit(role_name(ROLE_PARENT));
	config_log_warnings(conf);
	proc_init();

	readyfd = parent_start(conf);
	proc_setname("parent");
	parent_main(conf, readyfd);
}
