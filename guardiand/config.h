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

#ifndef CONFIG_H
#define CONFIG_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

/*
 * The configuration (DESIGN section 6.6), read with libyaml by the
 * parent only: cloister's config.yaml and projects/NAME.yaml, checked
 * against cloister's schema as strictly as cloister checks them, and
 * guardiand's own guardiand.yaml and guardiand.d/NAME.yaml beside
 * them, where an unknown key is an error too, so a typo never
 * silently weakens policy.
 */

struct strent {
	TAILQ_ENTRY(strent)	 entry;
	char			*s;
};
TAILQ_HEAD(strlist, strent);

struct listen_addr {
	TAILQ_ENTRY(listen_addr) entry;
	char			*spec;		/* as written */
	int			 is_unix;
	char			*path;		/* unix: socket path */
	char			*host;		/* tcp: "" means any */
	char			*port;		/* tcp */
	char			*file;
	int			 line;
	int			 fd;		/* bound socket, -1 if not */
};
TAILQ_HEAD(listen_list, listen_addr);

struct pattern_src {
	TAILQ_ENTRY(pattern_src) entry;
	char			*re;
	char			*file;
	int			 line;
};
TAILQ_HEAD(pattern_list, pattern_src);

/* Checked in this order: deny, then auto, then manual. */
enum pat_kind {
	PAT_DENY,
	PAT_AUTO,
	PAT_MANUAL,
	PAT_NKINDS
};

struct patterns {
	struct pattern_list	 kind[PAT_NKINDS];
};

/*
 * A project: auto and manual patterns from cloister's projects/NAME.yaml
 * (file; none if ignored), deny patterns from guardiand.d/NAME.yaml
 * (gfile).  Either file may be missing.
 */
struct project_conf {
	RB_ENTRY(project_conf)	 entry;
	char			*name;
	char			*file;		/* NULL: none */
	char			*gfile;		/* NULL: none */
	int			 ignored;	/* file had problems */
	struct patterns		 pats;
};
RB_HEAD(project_tree, project_conf);
int	project_conf_cmp(struct project_conf *, struct project_conf *);
RB_PROTOTYPE(project_tree, project_conf, entry, project_conf_cmp);

struct env_var {
	TAILQ_ENTRY(env_var)	 entry;
	char			*name;
	char			*value;
};
TAILQ_HEAD(env_list, env_var);

struct cloister_conf {
	TAILQ_ENTRY(cloister_conf) entry;
	char			*name;
	char			*project;	/* defaults to name */
	char			*worktree;	/* absolute, ~ expanded */
	char			*token;		/* inline or from token_file */
	char			*token_file;
	char			*file;
	int			 line;
};
TAILQ_HEAD(cloister_list, cloister_conf);

/*
 * A confinement profile (guardian.confine.profiles.NAME): what a
 * confined command may reach besides the system directories, its
 * worktree and its private temporary directory (confine.h).
 */
struct confine_profile {
	TAILQ_ENTRY(confine_profile) entry;
	char			*name;
	struct strlist		 read;		/* read-only paths */
	struct strlist		 write;		/* read-write paths */
	int			 network;	/* IPv4 and IPv6 sockets */
	char			*file;
	int			 line;
};
TAILQ_HEAD(confine_profiles, confine_profile);

/*
 * A rule (guardian.confine.rules): the commands a pattern of cloister's
 * lists lets run get this profile (NULL: none, unconfined).  Found by
 * the pattern's text, exactly as written.
 */
struct confine_rule {
	RB_ENTRY(confine_rule)	 entry;
	char			*pattern;
	struct confine_profile	*profile;
	char			*file;
	int			 line;
};
RB_HEAD(confine_rules, confine_rule);
int	confine_rule_cmp(struct confine_rule *, struct confine_rule *);
RB_PROTOTYPE(confine_rules, confine_rule, entry, confine_rule_cmp);

struct config {
	char			*path;		/* cloister's config.yaml */
	char			*dir;		/* its directory */
	char			*gpath;		/* DIR/guardiand.yaml */
	/*
	 * "file:line: warning: message\n" lines, NULL if none: the
	 * project files ignored, and why.
	 */
	char			*warnings;

	/* guardian.request_listen, else request.listen */
	struct listen_list	 request_listen;
	/*
	 * Neither given: request_listen holds 127.0.0.1:9998 and
	 * the caller adds unix:RUNTIME_DIR/guardiand/request.sock, the
	 * runtime directory it resolves for the control socket (6.4).
	 */
	int			 request_listen_default;
	struct listen_list	 ui_listen;	/* guardian.ui_listen, else
						   hostexec.listen */
	int			 ui_allow_remote;	/* guardian.ui_allow_remote */
	uint64_t		 approval_timeout;	/* ms, request.timeout */

	int			 default_manual;	/* guardian.default */
	uint64_t		 exec_timeout;		/* ms, 0 = none */
	/* ms a child may be silent; ms a policy check may take */
	uint64_t		 ping_timeout;
	uint64_t		 check_timeout;
	uint64_t		 max_output;		/* bytes per stream */
	int			 env_pass_all;		/* no env.pass given */
	struct strlist		 env_pass;
	int			 trusted_path_set;	/* else any */
	struct strlist		 trusted_path;		/* realpath'd */
	char			**notify_argv;		/* NULL: none */
	uint64_t		 notify_timeout;	/* ms */
	struct env_list		 env_set;
	int			 audit_facility;	/* LOG_AUTHPRIV etc. */
	char			*audit_file;		/* NULL: none */
	int			 audit_continue;	/* on_failure: continue */
	int			 audit_syslog_required;	/* syslog_required */
	char			*control_path;		/* guardian.control */
	char			*state_dir;		/* guardian.state_dir */
	char			*user;			/* guardian.user */

	struct {
		unsigned int	 pending_per_cloister;
		unsigned int	 pending;
		unsigned int	 running;
		unsigned int	 running_per_cloister;
		unsigned int	 connections;	/* per door */
		unsigned int	 connections_per_peer;
		unsigned int	 ui_connections;
		unsigned int	 ui_connections_per_peer;
		unsigned int	 args;
		uint64_t	 body;		/* bytes */
		uint64_t	 headers;	/* bytes */
		uint64_t	 read_timeout;	/* ms */
		uint64_t	 idle_timeout;	/* ms */
	}			 limits;

	struct confine_profiles	 confine_profiles;
	struct confine_rules	 confine_rules;
	/* guardian.confine.default: auto-approved commands; NULL: none */
	struct confine_profile	*confine_default;

	struct cloister_list	 cloisters;
	struct patterns		 global;
	struct project_tree	 projects;
};

/*
 * Load path (cloister's config.yaml), and beside it guardiand.yaml,
 * every projects/<name>.yaml and every guardiand.d/<name>.yaml.  On
 * failure returns NULL and *errs holds one "file:line: message\n" per
 * error (malloc'd; caller frees; "file: message" where there is no
 * line; at most 100, then "file: too many errors"); on success *errs
 * is NULL, and conf->warnings says which project files were ignored.
 * errs may be NULL.  Files are named as path was given.  Patterns of
 * config.yaml and guardiand.yaml are collected, not compiled: that is
 * the policy code's job; those of project files are compiled once, to
 * ignore a file cloister would ignore.  Listeners given nowhere get
 * their defaults with line 0.
 */
struct config	*config_load(const char *, char **);
/* Frees everything; listening fds are the caller's to close. */
void		 config_free(struct config *);
struct project_conf *config_project(struct config *, const char *);
/* conf->warnings, a log line each (at start and at every reload). */
void		 config_log_warnings(const struct config *);

/*
 * Go's time.ParseDuration syntax ("300ms", "1h30m", "1.5h", "0"), in
 * milliseconds rounded up (1ns is 1ms; only 0 is 0); negative and
 * out-of-range (Go's int64 nanoseconds) values are errors.  0 ok, -1
 * with *errstr.
 */
int		 parse_duration(const char *, uint64_t *, const char **);
/*
 * "1048576", "16MiB", "1.5GB", "64k", as go-humanize reads them: units
 * case-insensitive, k/KB/M/MB/G/GB/T/TB decimal (64k = 64000),
 * Ki/KiB/Mi/MiB/Gi/GiB/Ti/TiB binary; fractions rounded down to whole
 * bytes.  0 ok, -1 with *errstr.
 */
int		 parse_size(const char *, uint64_t *, const char **);
/*
 * ~ and ~/ expanded against $HOME (the password entry if HOME is not
 * absolute); other paths copied.  Malloc'd; NULL with errno EINVAL
 * for ~user, ENOENT without a home, ENOMEM.
 */
char		*expand_home(const char *);

/*
 * The default for -f: $XDG_CONFIG_HOME/cloister/config.yaml, else
 * $HOME/.config/cloister/config.yaml; NULL if neither is known.
 */
char		*config_default_path(void);

/*
 * "host:port", ":port" (any address), "[v6]:port" or "unix:/path" (~
 * expanded).  NULL with a static reason in *errstr on error; file and
 * line are left for the caller, fd is -1.
 */
struct listen_addr *listen_addr_parse(const char *, const char **);
void		 listen_addr_free(struct listen_addr *);

#define CONFIG_NAME_MAX		64
#define CONFIG_PROJECT_MAX	250	/* bytes: NAME.yaml fits NAME_MAX */
#define CONFIG_TOKEN_MIN	16
#define CONFIG_TOKEN_MAX	1024
/*
 * limits.args at most: with 64 KiB of arguments in all, each rendered
 * in at most 4 bytes a byte plus 4 an argument, the canonical string
 * and every message carrying it stay well inside a 512 KiB frame; so
 * does the policy check, which carries the arguments themselves (4
 * bytes of length each, 128 KiB in all) rather than the two strings
 * the policy child forms from them.
 */
#define CONFIG_ARGS_MAX		16384
/* guardian.notify: at most this many words, and this long (ms). */
#define NOTIFY_ARGS_MAX		256
#define NOTIFY_TIMEOUT_MAX	(10 * 60 * 1000)
#define NOTIFY_TIMEOUT_DEFAULT	(10 * 1000)
/* Cloister names: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
int		 config_valid_name(const char *);
/*
 * Project names: what a file name in projects/ can be, as cloister
 * takes it: 1 to 250 bytes of UTF-8, no control characters, no '/',
 * not beginning with '.'.
 */
#define CONFIG_PROJECT_RULE	"1 to 250 bytes of UTF-8 without control " \
				"characters or '/', not beginning with '.'"
int		 config_valid_project(const char *);
/* Tokens: 16 to 1024 printable ASCII characters, no blanks. */
int		 config_valid_token(const char *);
/* Environment variable names: [A-Za-z_][A-Za-z0-9_]*. */
int		 config_valid_envname(const char *);

#endif /* CONFIG_H */
