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
	uint32_t	 connections_max;
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
