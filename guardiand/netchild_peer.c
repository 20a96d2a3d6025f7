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

/* RB_GENERATE_STATIC marks the functions it does not need __unused. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "netchild.h"

/*
 * Connections counted by peer, so that one address or uid cannot take
 * all of a door: a flood from one host closes that host's way in, not
 * everybody's.
 */
RB_HEAD(peer_tree, peer);
static struct peer_tree	 peers = RB_INITIALIZER(&peers);

static int
peer_cmp(struct peer *a, struct peer *b)
{
	if (a->door != b->door)
		return (a->door < b->door ? -1 : 1);
	return (strcmp(a->key, b->key));
}

RB_GENERATE_STATIC(peer_tree, peer, entry, peer_cmp)

void
peer_key(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6	*sin6;
	struct in6_addr			 net;
	char				 a[INET6_ADDRSTRLEN];

	switch (sa != NULL ? sa->sa_family : AF_UNSPEC) {
	case AF_INET:
		if (inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->
		    sin_addr, a, sizeof(a)) == NULL)
			break;
		strlcpy(buf, a, len);
		return;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		/* An IPv4 client of a dual-stack listener is that client. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			if (inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12],
			    a, sizeof(a)) == NULL)
				break;
			strlcpy(buf, a, len);
			return;
		}
		net = sin6->sin6_addr;
		memset(&net.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &net, a, sizeof(a)) == NULL)
			break;
		snprintf(buf, len, "%s/64", a);
		return;
	default:
		break;
	}
	strlcpy(buf, "unknown", len);
}

struct peer *
peer_take(uint32_t door, const char *key)
{
	struct peer	 k, *p;

	k.door = door;
	strlcpy(k.key, key, sizeof(k.key));
	if ((p = RB_FIND(peer_tree, &peers, &k)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return (NULL);
		p->door = door;
		strlcpy(p->key, key, sizeof(p->key));
		RB_INSERT(peer_tree, &peers, p);
	}
	p->conns++;
	return (p);
}

/*
 * 1 if p now has more than max connections (0: no limit).  Logged
 * once until it is back to half of them, and at most once a minute
 * for all peers, so that a flood at the limit does not flood the log.
 */
int
peer_over(struct peer *p, unsigned int max)
{
	static time_t	 logged;
	time_t		 now;

	if (max == 0 || p->conns <= max) {
		if (p->conns <= max / 2)
			p->capped = 0;
		return (0);
	}
	if (!p->capped && (now = time(NULL)) - logged >= 60) {
		logged = now;
		log_warnx("%s: %u connections%s, as many as one peer may "
		    "have", p->key, max, p->door != 0 ?
		    " on a cloister's socket" : "");
	}
	p->capped = 1;
	return (1);
}

void
peer_give(struct peer *p)
{
	if (p == NULL)
		return;
	if (--p->conns == 0) {
		RB_REMOVE(peer_tree, &peers, p);
		free(p);
	}
}
