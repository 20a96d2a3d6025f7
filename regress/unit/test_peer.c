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
 * Who a connection is counted against (netchild_peer.c): an IPv4 address, an
 * IPv6 /64, whatever port; and the count of a peer's connections on
 * a door, against its limit.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netchild.h"

static void
key4(const char *addr, uint16_t port, const char *want)
{
	struct sockaddr_in	 sin;
	char			 key[PEER_KEY_LEN];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	peer_key((struct sockaddr *)&sin, key, sizeof(key));
	assert_string_equal(key, want);
}

static void
key6(const char *addr, uint16_t port, const char *want)
{
	struct sockaddr_in6	 sin6;
	char			 key[PEER_KEY_LEN];

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
	peer_key((struct sockaddr *)&sin6, key, sizeof(key));
	assert_string_equal(key, want);
}

static void
test_keys(void **state)
{
	key4("127.0.0.1", 40000, "127.0.0.1");
	key4("127.0.0.2", 1, "127.0.0.2");
	key4("172.17.0.5", 9, "172.17.0.5");
	/* An IPv4 client of a dual-stack listener is that client. */
	key6("::ffff:172.17.0.5", 9, "172.17.0.5");
	/* One /64: what a host is commonly given, all of it. */
	key6("2001:db8:1:2:3:4:5:6", 1, "2001:db8:1:2::/64");
	key6("2001:db8:1:2:ffff:ffff:ffff:ffff", 2, "2001:db8:1:2::/64");
	key6("2001:db8:1:3::1", 1, "2001:db8:1:3::/64");
	key6("::1", 1, "::/64");
	peer_key(NULL, (char [PEER_KEY_LEN]){ 0 }, PEER_KEY_LEN);
}

static void
test_counts(void **state)
{
	struct peer	*a[4], *b, *d;
	int		 i;

	for (i = 0; i < 4; i++) {
		a[i] = peer_take(0, "127.0.0.2");
		assert_non_null(a[i]);
		assert_ptr_equal(a[i], a[0]);
	}
	assert_int_equal(a[0]->conns, 4);
	assert_int_equal(peer_over(a[0], 4), 0);
	assert_int_equal(peer_over(a[0], 3), 1);
	assert_int_equal(peer_over(a[0], 0), 0);	/* no limit */
	/* Another address, and the same one on another door, apart. */
	b = peer_take(0, "127.0.0.1");
	d = peer_take(7, "127.0.0.2");
	assert_ptr_not_equal(b, a[0]);
	assert_ptr_not_equal(d, a[0]);
	assert_int_equal(b->conns, 1);
	assert_int_equal(d->conns, 1);
	peer_give(a[0]);
	assert_int_equal(a[1]->conns, 3);
	assert_int_equal(peer_over(a[1], 3), 0);
	peer_give(a[1]);
	peer_give(a[2]);
	peer_give(a[3]);
	/* Gone with its last connection: a new one counts from 1. */
	a[0] = peer_take(0, "127.0.0.2");
	assert_int_equal(a[0]->conns, 1);
	peer_give(a[0]);
	peer_give(b);
	peer_give(d);
	peer_give(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_counts),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
