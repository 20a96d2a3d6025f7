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

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event.h>
#include <evhttp.h>
#include <jansson.h>

#include "compat.h"
#include "control.h"
#include "guardiand.h"
#include "netchild.h"

/*
 * What a browser sends the approval UI, judged apart from the
 * connection it came on: the Host, Origin, Sec-Fetch-Site and CSRF
 * headers, the session cookie, the login link's query, a request id
 * in a path and the body of a denial.  No state but the arguments, so
 * the fuzz tests (regress/fuzz) run it alone.
 */

#define SESSION_COOKIE	"guardiand_session"

/* Equal secrets, in a time that depends on the length only. */
int
ui_secret_eq(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	if (la != lb)
		return (0);
	return (timingsafe_bcmp(a, b, la) == 0);
}

/*
 * DNS rebinding: the Host header must name the address sa (the one
 * the connection came in on), or localhost for a loopback address,
 * with its port; a name that merely resolves to it is refused.
 */
int
ui_host_ok(const char *host, const struct sockaddr *sa)
{
	char	 addr[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN + 16];
	char	 lh[32];
	int	 port, loopback;

	if (host == NULL)
		return (0);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
		loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
		snprintf(want, sizeof(want), "%s:%d", addr, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
		loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
		snprintf(want, sizeof(want), "[%s]:%d", addr, port);
	} else
		return (0);
	if (strcasecmp(host, want) == 0)
		return (1);
	snprintf(lh, sizeof(lh), "localhost:%d", port);
	return (loopback && strcasecmp(host, lh) == 0);
}

/*
 * The session id of a Cookie header, in id: 1; 0 if it names none.
 * The first guardiand_session cookie counts; one that cannot be an
 * id is no session.
 */
int
ui_cookie_session(const char *cookie, char id[UI_SECRET_LEN + 1])
{
	const char	*p;
	size_t		 n;

	if (cookie == NULL)
		return (0);
	for (p = cookie; (p = strstr(p, SESSION_COOKIE "=")) != NULL;
	    p += sizeof(SESSION_COOKIE)) {
		if (p != cookie && p[-1] != ' ' && p[-1] != ';')
			continue;
		p += sizeof(SESSION_COOKIE);
		n = strcspn(p, "; ");
		if (n != UI_SECRET_LEN)
			return (0);
		memcpy(id, p, n);
		id[n] = '\0';
		return (1);
	}
	return (0);
}

/*
 * Cross-site requests cannot change state: Origin (when sent) must be
 * this very origin, Sec-Fetch-Site (when sent) same-origin, and the
 * session's CSRF token must come back in a header no form can set.
 * NULL if the request may go on, else why not.
 */
const char *
ui_post_check(const char *host, const char *origin, const char *site,
    const char *csrf, const char *session_csrf)
{
	char	 want[300];

	if (origin != NULL) {
		snprintf(want, sizeof(want), "http://%s", host ? host : "");
		if (strcasecmp(origin, want) != 0)
			return ("cross-origin request refused");
	}
	if (site != NULL && strcmp(site, "same-origin") != 0)
		return ("cross-site request refused");
	if (csrf == NULL || !ui_secret_eq(session_csrf, csrf))
		return ("missing or wrong CSRF token");
	return (NULL);
}

/* 1 if id can be a request's: REQ_ID_LEN lowercase hex digits. */
int
ui_request_id(const char *id)
{
	return (lowerhex(id, REQ_ID_LEN));
}

/*
 * The body of an approval or denial: none, or a JSON object with an
 * optional "reason" string of at most UI_REASON_MAX bytes.  0 with
 * the reason ("" if none) in *reasonp, which points into *op (to be
 * freed by the caller, NULL if there was no body); else the status
 * to refuse it with and why in *whyp.
 */
int
ui_decide_body(const char *body, size_t len, json_t **op,
    const char **reasonp, const char **whyp)
{
	json_error_t	 jerr;
	json_t		*o, *r;

	*op = NULL;
	*reasonp = "";
	if (len == 0)
		return (0);
	if (len > UI_BODY_MAX) {
		*whyp = "body too large";
		return (413);
	}
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		*whyp = "body must be a JSON object";
		return (400);
	}
	if ((r = json_object_get(o, "reason")) != NULL) {
		if (!json_is_string(r) ||
		    json_string_length(r) > UI_REASON_MAX) {
			json_decref(o);
			*whyp = "reason must be a string of at most 1024 bytes";
			return (400);
		}
		*reasonp = json_string_value(r);
	}
	*op = o;
	return (0);
}

/*
 * The scope of a decision's body o (NULL: none): "for" (seconds of a
 * grant, 1 to GRANT_MAX_SECS) or "always" (a boolean; approvals
 * only), not both.  0 with *secs and *always, or 400 and why.
 */
int
ui_decide_scope(const struct json_t *o, int approve, uint32_t *secs,
    int *always, const char **whyp)
{
	json_t		*f, *a;
	json_int_t	 n;

	*secs = 0;
	*always = 0;
	if (o == NULL)
		return (0);
	if ((f = json_object_get(o, "for")) != NULL) {
		n = json_is_integer(f) ? json_integer_value(f) : 0;
		if (n < 1 || n > GRANT_MAX_SECS) {
			*whyp = "for must be a number of seconds, from 1 to "
			    "7 days";
			return (400);
		}
		*secs = n;
	}
	if ((a = json_object_get(o, "always")) != NULL) {
		if (!json_is_boolean(a)) {
			*whyp = "always must be true or false";
			return (400);
		}
		*always = json_is_true(a);
	}
	if (*always && (!approve || *secs != 0)) {
		*whyp = "always is for an approval without for";
		return (400);
	}
	return (0);
}

/*
 * The secret of a login link's query ("token=..."), in secret: 1; 0
 * if there is none that could be one.
 */
int
ui_login_secret(const char *query, char secret[UI_SECRET_LEN + 1])
{
	struct evkeyvalq	 q;
	const char		*token = NULL;
	int			 ok = 0;

	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) == 0)
		token = evhttp_find_header(&q, "token");
	if (token != NULL && uisession_secret(token)) {
		memcpy(secret, token, UI_SECRET_LEN + 1);
		ok = 1;
	}
	evhttp_clear_headers(&q);
	return (ok);
}
