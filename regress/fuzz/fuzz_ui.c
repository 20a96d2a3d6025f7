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
 * The ui child's own parsing of what a browser sends
 * (guardiand/ui_parse.c, DESIGN 6.3): the input is an HTTP request,
 * head and body.  evhttp parses the head and the URI; ours is the
 * Host check against DNS rebinding, the session cookie, the checks
 * against cross-site requests, the request id of /approve/ID and
 * /deny/ID, the body of a decision and the secret of a login link.
 *
 * Oracle, each against what the rule says, written out here: Host is
 * accepted exactly when it names the listener's address and port, or
 * localhost and the port on loopback; a state-changing request passes
 * exactly when Origin (if sent) is this origin, Sec-Fetch-Site (if
 * sent) same-origin and the CSRF token the session's; a cookie names
 * a session only with 64 characters taken from it; an id is 24
 * lowercase hex digits.  And whatever the ui child forwards, the
 * parent accepts (parent.c, parent_uisession.c): a compromised browser page
 * must not make the ui child break the protocol, which would take the
 * daemon down.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event.h>
#include <evhttp.h>
#include <jansson.h>

#include "canon.h"
#include "control.h"
#include "fuzz.h"
#include "guardiand.h"
#include "netchild.h"
#include "parent.h"

#define CSRF	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/*
 * parent_uisession.c, where the rule of a secret lives, is the parent's: its
 * reaction to a protocol violation, which never comes here.
 */
void
parent_fatalx(const char *fmt, ...)
{
	abort();
}

/* guardiand.c is not in the library. */
int	 guardiand_debug;
int	 guardiand_verbose;

static struct sockaddr_in	 v4, v4remote;
static struct sockaddr_in6	 v6;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_object_seed(1);
	v4.sin_family = AF_INET;
	v4.sin_port = htons(9999);
	v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	v4remote = v4;
	inet_pton(AF_INET, "10.1.2.3", &v4remote.sin_addr);
	v6.sin6_family = AF_INET6;
	v6.sin6_port = htons(9999);
	v6.sin6_addr = in6addr_loopback;
	return (0);
}

/* The value of header name in the head, malloc'd, or NULL. */
static char *
header(const char *head, const char *name)
{
	const char	*line, *end, *v;
	size_t		 n = strlen(name);

	for (line = head; *line != '\0'; line = end + (*end != '\0')) {
		end = line + strcspn(line, "\n");
		if ((size_t)(end - line) > n && line[n] == ':' &&
		    strncasecmp(line, name, n) == 0) {
			for (v = line + n + 1; *v == ' '; v++)
				;
			return (strndup(v, end - v - (end > v &&
			    end[-1] == '\r')));
		}
	}
	return (NULL);
}

static int
is_hex_id(const char *s, size_t len)
{
	size_t	 i;

	if (strlen(s) != len)
		return (0);
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (1);
}

static int
host_rule(const char *host, const char *addr, int loopback)
{
	return (host != NULL && (strcasecmp(host, addr) == 0 ||
	    (loopback && strcasecmp(host, "localhost:9999") == 0)));
}

static void
check_host(const char *host)
{
	FUZZ_CHECK(ui_host_ok(host, (struct sockaddr *)&v4) ==
	    host_rule(host, "127.0.0.1:9999", 1));
	FUZZ_CHECK(ui_host_ok(host, (struct sockaddr *)&v6) ==
	    host_rule(host, "[::1]:9999", 1));
	FUZZ_CHECK(ui_host_ok(host, (struct sockaddr *)&v4remote) ==
	    host_rule(host, "10.1.2.3:9999", 0));
}

static void
check_post(const char *head, const char *host)
{
	char		*origin, *site, *csrf, want[64];
	const char	*why;
	int		 ok;

	origin = header(head, "Origin");
	site = header(head, "Sec-Fetch-Site");
	csrf = header(head, "X-CSRF-Token");
	why = ui_post_check(host, origin, site, csrf, CSRF);
	/* Only ever asked once the Host passed. */
	if (ui_host_ok(host, (struct sockaddr *)&v4)) {
		snprintf(want, sizeof(want), "http://%s", host);
		ok = (origin == NULL || strcasecmp(origin, want) == 0) &&
		    (site == NULL || strcmp(site, "same-origin") == 0) &&
		    csrf != NULL && strcmp(csrf, CSRF) == 0;
		FUZZ_CHECK((why == NULL) == ok);
	}
	FUZZ_CHECK(why == NULL || *why != '\0');
	free(origin);
	free(site);
	free(csrf);
}

static void
check_cookie(const char *head)
{
	char		*cookie, id[UI_SECRET_LEN + 1], *at;
	char		 pair[18 + UI_SECRET_LEN + 1];

	cookie = header(head, "Cookie");
	memset(id, 'X', sizeof(id));
	if (ui_cookie_session(cookie, id)) {
		FUZZ_CHECK(strlen(id) == UI_SECRET_LEN);
		FUZZ_CHECK(strpbrk(id, "; ") == NULL);
		/*
		 * Cut from the header, right after its name, where a cookie
		 * begins (another cookie may hold the same value first).
		 */
		snprintf(pair, sizeof(pair), "guardiand_session=%s", id);
		for (at = cookie; (at = strstr(at, pair)) != NULL; at++)
			if (at == cookie || at[-1] == ' ' || at[-1] == ';')
				break;
		FUZZ_CHECK(at != NULL);
	} else if (cookie != NULL &&
	    strncmp(cookie, "guardiand_session=", 18) == 0)
		/* First in the header, and 64 characters long: it counts. */
		FUZZ_CHECK(strcspn(cookie + 18, "; ") != UI_SECRET_LEN);
	free(cookie);
}

/* A decision as the parent decodes it (parent_ui_decision()). */
static void
check_decision(const char *id, const char *body, size_t len)
{
	json_t		*o;
	const char	*reason, *why;
	uint32_t	 secs;
	int		 code, approve, always;

	if (!ui_request_id(id)) {
		FUZZ_CHECK(!is_hex_id(id, REQ_ID_LEN));
		return;
	}
	FUZZ_CHECK(is_hex_id(id, REQ_ID_LEN));
	why = NULL;
	code = ui_decide_body(body, len, &o, &reason, &why);
	if (code != 0) {
		FUZZ_CHECK(code == 400 || code == 413);
		FUZZ_CHECK(o == NULL && why != NULL);
		return;
	}
	FUZZ_CHECK(reason != NULL);
	FUZZ_CHECK(strlen(reason) <= 1024 &&
	    utf8_valid(reason, strlen(reason)));
	FUZZ_CHECK(len > 0 || o == NULL);
	/* The scope: what the parent accepts, or refused with a reason. */
	for (approve = 0; approve < 2; approve++) {
		why = NULL;
		code = ui_decide_scope(o, approve, &secs, &always, &why);
		if (code != 0) {
			FUZZ_CHECK(code == 400 && why != NULL);
			continue;
		}
		FUZZ_CHECK(secs <= GRANT_MAX_SECS && (always == 0 ||
		    always == 1) && (!always || (approve && secs == 0)));
	}
	json_decref(o);
}

static void
check_uri(const char *head, const char *body, size_t blen)
{
	struct evhttp_uri	*uri;
	const char		*path;
	char			*line, *sp, secret[UI_SECRET_LEN + 1];

	/* "METHOD URI HTTP/1.1" */
	line = strndup(head, strcspn(head, "\r\n"));
	if (line == NULL)
		abort();
	if ((sp = strchr(line, ' ')) == NULL) {
		free(line);
		return;
	}
	sp++;
	sp[strcspn(sp, " ")] = '\0';
	if ((uri = evhttp_uri_parse(sp)) != NULL &&
	    (path = evhttp_uri_get_path(uri)) != NULL) {
		if (strncmp(path, "/approve/", 9) == 0)
			check_decision(path + 9, body, blen);
		else if (strncmp(path, "/deny/", 6) == 0)
			check_decision(path + 6, body, blen);
		if (ui_login_secret(evhttp_uri_get_query(uri), secret))
			FUZZ_CHECK(uisession_secret(secret));
	}
	if (uri != NULL)
		evhttp_uri_free(uri);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*sep;
	char		*head, *host;
	size_t		 hlen = 0;

	if ((sep = memmem(data, size, "\r\n\r\n", 4)) != NULL)
		hlen = sep - data + 4;
	else if ((sep = memmem(data, size, "\n\n", 2)) != NULL)
		hlen = sep - data + 2;
	if ((head = strndup((const char *)data, hlen)) == NULL)
		abort();
	host = header(head, "Host");
	check_host(host);
	check_post(head, host);
	check_cookie(head);
	check_uri(head, (const char *)data + hlen, size - hlen);
	free(host);
	free(head);
	return (0);
}
