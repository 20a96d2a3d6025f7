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

#ifndef NETCHILD_H
#define NETCHILD_H

#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <evhttp.h>

#include "guardiand.h"

/* Settings the parent hands a network child (IMSG_SETTINGS). */
struct net_settings {
	uint64_t	 body_max;
	uint64_t	 headers_max;
	uint64_t	 read_timeout;		/* ms */
	uint64_t	 idle_timeout;		/* ms */
	uint64_t	 max_output;		/* per stream, /request */
	uint32_t	 connections_max;	/* request: per door */
	uint32_t	 peer_max;		/* of one peer (per door) */
	uint32_t	 args_max;
};

struct netchild {
	enum role		 role;
	struct event_base	*base;
	struct evhttp		*http;
	struct imsgev		 iev;
	struct net_settings	 settings;
	int			 started;
};

/* request.c */
void	 request_init(struct netchild *);
void	 request_dispatch_imsg(struct netchild *, struct imsg *);

/* ui.c */
void	 ui_init(struct netchild *);
void	 ui_presandbox(void);
void	 ui_dispatch_imsg(struct netchild *, struct imsg *);

/*
 * ui_parse.c: what a browser sends, judged without a connection (so
 * it can be fuzzed alone).  ui_host_ok(host, local address): 1 if the
 * Host header names it.  ui_cookie_session(cookie, id): 1 and the
 * session id if the Cookie header names one.  ui_post_check(host,
 * origin, sec_fetch_site, csrf, session's csrf): NULL, or why a
 * state-changing request is refused.  ui_request_id(id): 1 if it can
 * be a request id.  ui_decide_body(body, len, &o, &reason, &why): 0,
 * or the status to refuse a decision's body with.
 * ui_login_secret(query, secret): 1 and the secret of a login link.
 */
#define UI_REASON_MAX	1024	/* bytes of a denial's reason */
#define UI_BODY_MAX	(16 * 1024)	/* of an approval or denial */
struct json_t;
int	 ui_secret_eq(const char *, const char *);
int	 ui_host_ok(const char *, const struct sockaddr *);
int	 ui_cookie_session(const char *, char [UI_SECRET_LEN + 1]);
const char *ui_post_check(const char *, const char *, const char *,
	    const char *, const char *);
int	 ui_request_id(const char *);
int	 ui_decide_body(const char *, size_t, struct json_t **,
	    const char **, const char **);
int	 ui_login_secret(const char *, char [UI_SECRET_LEN + 1]);
/*
 * ui_decide_scope(o, approve, &secs, &always, &why): the body's "for"
 * and "always"; 0, or 400 and why.
 */
int	 ui_decide_scope(const struct json_t *, int, uint32_t *, int *,
	    const char **);

/*
 * netchild_peer.c.  A peer is who a connection is counted against: an IPv4
 * address, an IPv6 /64 (what one host is commonly given), or a unix
 * socket's uid ("unix:UID", made by the caller); peer_key() writes the
 * name of an address's.  peer_take() counts one more connection of a
 * peer on a door (NULL: out of memory), peer_give() one less (the
 * peer is freed with its last).  peer_over(): 1 if the peer has more
 * than max (0: no limit), logged.
 */
#define PEER_KEY_LEN	64
struct peer {
	RB_ENTRY(peer)		 entry;
	uint32_t		 door;
	char			 key[PEER_KEY_LEN];
	unsigned int		 conns;
	int			 capped;	/* refusing, logged once */
};
void	 peer_key(const struct sockaddr *, char *, size_t);
struct peer *peer_take(uint32_t, const char *);
void	 peer_give(struct peer *);
int	 peer_over(struct peer *, unsigned int);

/* netchild.c */
uint32_t netchild_door(const struct sockaddr *, socklen_t);
void	 http_error(struct evhttp_request *, int, const char *);
void	 http_reply(struct evhttp_request *, int, const char *,
	    const char *, size_t);

/* www.c, generated from www/ at build time */
struct asset {
	const char		*path;
	const char		*type;
	const unsigned char	*data;
	size_t			 len;
};
extern const struct asset	 www_assets[];
const struct asset		*www_find(const char *);

#endif /* NETCHILD_H */
