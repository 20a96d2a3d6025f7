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

#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "msg.h"
#include "parent.h"

/*
 * The approval UI's sessions and login links.  The parent alone makes
 * them: the ui child faces browsers and may be compromised, so it must
 * not be able to open a session nobody logged in to, nor to approve
 * through one the parent does not know.  The ui child forwards the
 * secret of a login link; the parent checks it, mints the session and
 * hands it back; the ui child checks cookies and CSRF tokens, and
 * names the session in every decision it forwards, which the parent
 * checks again and turns into the user of the audit record.
 *
 * The live sessions are kept in the state directory, in the file
 * `ui-sessions`, so that browsers stay logged in across a restart:
 *
 *	# comment
 *	ID<TAB>CSRF<TAB>NUM<TAB>EXPIRES
 *
 * ID and CSRF UI_SECRET_LEN lowercase hex digits, NUM the session's
 * number (what the audit names), EXPIRES milliseconds since the epoch,
 * both decimal without leading zeros, one session a line, oldest
 * first, NUMs increasing.  Sessions are a convenience, not policy: a
 * file that is not exactly that is logged and ignored, and browsers
 * need a new login link.  The secrets are never logged.
 */

#define UISESSION_FILE	"ui-sessions"
#define UISESSION_LINE	(2 * UI_SECRET_LEN + 48)
#define UILOGINS_MAX	64	/* unused login links; more: the oldest goes */

struct uisession {
	TAILQ_ENTRY(uisession)	 entry;
	char			 id[UI_SECRET_LEN + 1];
	char			 csrf[UI_SECRET_LEN + 1];
	uint32_t		 num;
	int64_t			 expires;
};
TAILQ_HEAD(uisession_list, uisession);

/* A login link not used yet. */
struct uilogin {
	TAILQ_ENTRY(uilogin)	 entry;
	char			 secret[UI_SECRET_LEN + 1];
	int64_t			 expires;
};
TAILQ_HEAD(uilogin_list, uilogin);

static struct uisession_list	 uisessions =
				    TAILQ_HEAD_INITIALIZER(uisessions);
static struct uilogin_list	 uilogins = TAILQ_HEAD_INITIALIZER(uilogins);
static unsigned int		 nuisessions, nuilogins;
static uint32_t			 lastnum;	/* the highest number given */
static char			 operator[64] = "operator";

int
lowerhex(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (s[i] == '\0');
}

int
uisession_secret(const char *s)
{
	return (lowerhex(s, UI_SECRET_LEN));
}

/* Decimal digits, no sign, no leading zero, at most max: else -1. */
static long long
decimal(const char *s, long long max)
{
	const char	*errstr;
	long long	 v;
	size_t		 i;

	if (s[0] == '0' || s[0] == '\0' || strlen(s) > 19)
		return (-1);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return (-1);
	v = strtonum(s, 1, max, &errstr);
	return (errstr == NULL ? v : -1);
}

const char *
uisession_invalid(const char *id, const char *csrf, uint32_t num,
    int64_t expires, int64_t now)
{
	if (!uisession_secret(id) || !uisession_secret(csrf))
		return ("bad secret");
	if (num == 0)
		return ("bad number");
	if (expires > now + UI_SESSION_TTL + UI_CLOCK_SLACK)
		return ("expires too late");
	return (NULL);
}

/* What is wrong with a session, a duplicate too, or NULL. */
static const char *
uisession_check(const char *id, const char *csrf, uint32_t num,
    int64_t expires, int64_t now)
{
	struct uisession	*u;
	const char		*why;

	if ((why = uisession_invalid(id, csrf, num, expires, now)) != NULL)
		return (why);
	TAILQ_FOREACH(u, &uisessions, entry)
		if (strcmp(u->id, id) == 0)
			return ("duplicate session");
	return (NULL);
}

static void
uisession_drop(struct uisession *u)
{
	TAILQ_REMOVE(&uisessions, u, entry);
	nuisessions--;
	explicit_bzero(u, sizeof(*u));
	free(u);
}

static void
uisession_prune(int64_t now)
{
	struct uisession	*u, *t;

	TAILQ_FOREACH_SAFE(u, &uisessions, entry, t)
		if (u->expires <= now)
			uisession_drop(u);
}

/* Newest last: the oldest goes first when there are too many. */
static void
uisession_add(const char *id, const char *csrf, uint32_t num,
    int64_t expires)
{
	struct uisession	*u;

	while (nuisessions >= UI_SESSIONS_MAX)
		uisession_drop(TAILQ_FIRST(&uisessions));
	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatal(NULL);
	memcpy(u->id, id, UI_SECRET_LEN);
	memcpy(u->csrf, csrf, UI_SECRET_LEN);
	u->num = num;
	u->expires = expires;
	TAILQ_INSERT_TAIL(&uisessions, u, entry);
	nuisessions++;
}

static void
uilogin_drop(struct uilogin *ul)
{
	TAILQ_REMOVE(&uilogins, ul, entry);
	nuilogins--;
	explicit_bzero(ul, sizeof(*ul));
	free(ul);
}

static void
uilogin_prune(int64_t now)
{
	struct uilogin	*ul, *t;

	TAILQ_FOREACH_SAFE(ul, &uilogins, entry, t)
		if (ul->expires < now)
			uilogin_drop(ul);
}

/* Everything in memory; the file stays. */
void
uisession_free(void)
{
	while (!TAILQ_EMPTY(&uisessions))
		uisession_drop(TAILQ_FIRST(&uisessions));
	while (!TAILQ_EMPTY(&uilogins))
		uilogin_drop(TAILQ_FIRST(&uilogins));
	lastnum = 0;
}

size_t
uisession_count(void)
{
	return (nuisessions);
}

/* One line: 0, or -1 with why. */
static int
parse_line(char *line, uint32_t *prevnum, int64_t now, const char **why)
{
	char		*f[4];
	long long	 num, expires;

	if (statefile_fields(line, f, 4) == -1) {
		*why = "expected 4 tab-separated fields";
		return (-1);
	}
	if ((num = decimal(f[2], UINT32_MAX)) == -1 ||
	    (expires = decimal(f[3], INT64_MAX)) == -1) {
		*why = "bad number";
		return (-1);
	}
	if (num <= *prevnum) {
		*why = "sessions out of order";
		return (-1);
	}
	if ((*why = uisession_check(f[0], f[1], num, expires, now)) != NULL)
		return (-1);
	*prevnum = num;
	if (expires > now)
		uisession_add(f[0], f[1], num, expires);
	return (0);
}

/* The file's sessions, all or none; a missing file is none. */
static int
uisession_load(const char *path, char *err, size_t errlen)
{
	FILE		*fp;
	char		*line = NULL;
	const char	*why;
	size_t		 cap = 0;
	uint32_t	 prevnum = 0;
	int64_t		 now = now_ms();
	int		 lineno = 0, nlines = 0, more, rv = -1;

	if (statefile_open(path, &fp, err, errlen) == -1)
		return (-1);
	if (fp == NULL)
		return (0);
	while ((more = statefile_line(fp, path, UISESSION_LINE, &line, &cap,
	    &lineno, err, errlen)) == 1) {
		if (++nlines > UI_SESSIONS_MAX) {
			snprintf(err, errlen, "%s:%d: more than %d sessions",
			    path, lineno, UI_SESSIONS_MAX);
			goto done;
		}
		if (parse_line(line, &prevnum, now, &why) == -1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			goto done;
		}
	}
	if (more == -1)
		goto done;
	/* New sessions are numbered after every one in the file. */
	lastnum = prevnum;
	rv = 0;
 done:
	if (line != NULL)
		freezero(line, cap);
	fclose(fp);
	if (rv == -1)
		uisession_free();
	return (rv);
}

void
uisession_init(void)
{
	struct passwd	*pw;
	const char	*dir;
	char		*path, err[512];

	/* Who approves through the web UI, for the audit trail. */
	if ((pw = getpwuid(getuid())) != NULL)
		strlcpy(operator, pw->pw_name, sizeof(operator));
	uisession_free();
	if ((dir = registry_statedir()) == NULL)
		return;
	if (asprintf(&path, "%s/%s", dir, UISESSION_FILE) == -1)
		fatal(NULL);
	if (uisession_load(path, err, sizeof(err)) == -1)
		log_warnx("approval UI sessions ignored (browsers need a new "
		    "login): %s", err);
	else if (nuisessions > 0)
		log_info("approval UI: %u session%s kept from the last run",
		    nuisessions, nuisessions == 1 ? "" : "s");
	free(path);
}

/* The live sessions, oldest first, written over the old file. */
static void
uisession_save(void)
{
	struct uisession	*u;
	char			*buf, err[512];
	size_t			 cap, len;
	int			 n;

	cap = 256 + UI_SESSIONS_MAX * (UISESSION_LINE + 1);
	if ((buf = malloc(cap)) == NULL)
		fatal(NULL);
	len = strlcpy(buf, "# guardiand: approval UI sessions; do not edit "
	    "while guardiand runs.\n# id<TAB>csrf<TAB>number<TAB>expires "
	    "(ms since the epoch)\n", cap);
	TAILQ_FOREACH(u, &uisessions, entry) {
		n = snprintf(buf + len, cap - len, "%s\t%s\t%u\t%lld\n",
		    u->id, u->csrf, u->num, (long long)u->expires);
		if (n < 0 || (size_t)n >= cap - len)
			fatalx("%s: buffer too small", __func__);
		len += n;
	}
	if (statefile_write(registry_statedir(), UISESSION_FILE, buf, len,
	    err, sizeof(err)) == -1)
		log_warnx("approval UI sessions not saved: %s", err);
	freezero(buf, cap);
}

static void
session_compose(struct imsgev *iev, const struct uisession *u,
    uint32_t peerid)
{
	struct msg_ui_session	 m;
	struct imsg_enc		 enc;

	m.id = (char *)u->id;
	m.csrf = (char *)u->csrf;
	m.num = u->num;
	m.expires = u->expires;
	msg_ui_session_enc(&enc, &m);
	if (imsgev_compose_enc(iev, IMSG_UI_SESSION, peerid, -1, &enc) == -1)
		fatal("compose");
}

/* Every live session, oldest first, to a new ui child (peerid 0). */
void
uisession_send(struct imsgev *iev)
{
	struct uisession	*u;

	uisession_prune(now_ms());
	TAILQ_FOREACH(u, &uisessions, entry)
		session_compose(iev, u, 0);
}

/* A new secret: UI_SECRET_LEN hex digits from arc4random. */
static void
random_secret(char out[UI_SECRET_LEN + 1])
{
	unsigned char	 rnd[UI_SECRET_LEN / 2];
	size_t		 i;

	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	explicit_bzero(rnd, sizeof(rnd));
}

void
uisession_login_add(char *secret, size_t len, int64_t expires)
{
	struct uilogin	*ul;

	uilogin_prune(now_ms());
	while (nuilogins >= UILOGINS_MAX)
		uilogin_drop(TAILQ_FIRST(&uilogins));
	if ((ul = calloc(1, sizeof(*ul))) == NULL)
		fatal(NULL);
	random_secret(ul->secret);
	ul->expires = expires;
	TAILQ_INSERT_TAIL(&uilogins, ul, entry);
	nuilogins++;
	strlcpy(secret, ul->secret, len);
}

/* The unused, unexpired login link with this secret, or NULL. */
static struct uilogin *
uilogin_find(const char *secret, int64_t now)
{
	struct uilogin	*ul, *found = NULL;

	uilogin_prune(now);
	/* Compared with every one, in constant time each. */
	TAILQ_FOREACH(ul, &uilogins, entry)
		if (timingsafe_bcmp(ul->secret, secret, UI_SECRET_LEN) == 0)
			found = ul;
	return (found);
}

/*
 * A browser presented a login secret to the ui child: if it is a live
 * one, it is used up and a new session goes back to the ui child;
 * else the login failed.
 */
void
uisession_login(struct imsg *imsg, struct imsgev *ui)
{
	struct msg_ui_secret	 m;
	struct uilogin		*ul;
	struct uisession	*u;
	char			 id[UI_SECRET_LEN + 1];
	char			 csrf[UI_SECRET_LEN + 1];
	int64_t			 now = now_ms();

	if (msg_ui_secret_dec(imsg, &m) == -1 ||
	    !uisession_secret(m.secret)) {
		msg_ui_secret_clear(&m);
		parent_fatalx("bad login from the ui child");
	}
	ul = uilogin_find(m.secret, now);
	msg_ui_secret_clear(&m);
	if (ul == NULL || lastnum == UINT32_MAX) {
		if (imsgev_compose(ui, IMSG_UI_LOGIN_FAILED, imsg->hdr.peerid,
		    -1, NULL, 0) == -1)
			fatal("compose");
		return;
	}
	uilogin_drop(ul);
	uisession_prune(now);
	random_secret(id);
	random_secret(csrf);
	uisession_add(id, csrf, ++lastnum, now + UI_SESSION_TTL);
	explicit_bzero(id, sizeof(id));
	explicit_bzero(csrf, sizeof(csrf));
	u = TAILQ_LAST(&uisessions, uisession_list);
	log_info("approval UI: session %u opened", u->num);
	uisession_save();
	session_compose(ui, u, imsg->hdr.peerid);
}

/*
 * Who decides through the session with this id: 0 with the user of
 * the audit record in user, or -1 with why not in why: the session
 * is not one the parent opened, or it ended, or it expired.
 */
int
uisession_user(const char *id, char *user, size_t len, char *why,
    size_t whylen)
{
	struct uisession	*u = NULL;
	int64_t			 now = now_ms();

	if (uisession_secret(id))
		TAILQ_FOREACH(u, &uisessions, entry)
			if (timingsafe_bcmp(u->id, id, UI_SECRET_LEN) == 0)
				break;
	if (u == NULL) {
		strlcpy(why, "unknown session", whylen);
		return (-1);
	}
	if (u->expires <= now) {
		snprintf(why, whylen, "session %u expired", u->num);
		uisession_prune(now);
		uisession_save();
		return (-1);
	}
	snprintf(user, len, "%s (web UI, session %u)", operator, u->num);
	return (0);
}

/* The ui child dropped a session nobody used for long. */
void
uisession_end(struct imsg *imsg)
{
	struct msg_ui_secret	 m;
	struct uisession	*u;

	if (msg_ui_secret_dec(imsg, &m) == -1 ||
	    !uisession_secret(m.secret)) {
		msg_ui_secret_clear(&m);
		parent_fatalx("bad session end from the ui child");
	}
	/* Unknown: the parent let it go already (expired, too many). */
	TAILQ_FOREACH(u, &uisessions, entry)
		if (strcmp(u->id, m.secret) == 0)
			break;
	msg_ui_secret_clear(&m);
	if (u == NULL)
		return;
	uisession_drop(u);
	uisession_prune(now_ms());
	uisession_save();
}
