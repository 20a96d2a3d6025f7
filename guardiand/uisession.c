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

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "parent.h"

/*
 * The approval UI's sessions, on the parent's side.  The ui child
 * opens them and checks cookies; it never touches a file, so it tells
 * the parent of each login and the parent keeps them in the state
 * directory, in the file `ui-sessions`:
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

struct uisession {
	TAILQ_ENTRY(uisession)	 entry;
	char			 id[UI_SECRET_LEN + 1];
	char			 csrf[UI_SECRET_LEN + 1];
	uint32_t		 num;
	int64_t			 expires;
};
TAILQ_HEAD(uisession_list, uisession);

static struct uisession_list	 uisessions =
				    TAILQ_HEAD_INITIALIZER(uisessions);
static unsigned int		 nuisessions;
static uint32_t			 maxnum;	/* highest the ui child knows */

static void
sfree(char *s)
{
	if (s != NULL)
		freezero(s, strlen(s));
}

static int
is_secret(const char *s)
{
	size_t	 i;

	for (i = 0; i < UI_SECRET_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (s[i] == '\0');
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
	if (!is_secret(id) || !is_secret(csrf))
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

void
uisession_free(void)
{
	while (!TAILQ_EMPTY(&uisessions))
		uisession_drop(TAILQ_FIRST(&uisessions));
	maxnum = 0;
}

size_t
uisession_count(void)
{
	return (nuisessions);
}

/* One line: 0, or -1 with why. */
static int
parse_line(char *line, uint32_t *lastnum, int64_t now, const char **why)
{
	char		*f[4], *p = line;
	long long	 num, expires;
	int		 i;

	for (i = 0; i < 4; i++)
		if ((f[i] = strsep(&p, "\t")) == NULL)
			break;
	if (i < 4 || p != NULL) {
		*why = "expected 4 tab-separated fields";
		return (-1);
	}
	if ((num = decimal(f[2], UINT32_MAX)) == -1 ||
	    (expires = decimal(f[3], INT64_MAX)) == -1) {
		*why = "bad number";
		return (-1);
	}
	if (num <= *lastnum) {
		*why = "sessions out of order";
		return (-1);
	}
	if ((*why = uisession_check(f[0], f[1], num, expires, now)) != NULL)
		return (-1);
	*lastnum = num;
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
	uint32_t	 lastnum = 0;
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
		if (parse_line(line, &lastnum, now, &why) == -1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			goto done;
		}
	}
	if (more == -1)
		goto done;
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
	const char	*dir;
	char		*path, err[512];

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

void
uisession_send(struct imsgev *iev)
{
	struct uisession	*u;
	struct imsg_enc		 enc;

	/* The ui child numbers new sessions from the highest it got. */
	maxnum = 0;
	uisession_prune(now_ms());
	TAILQ_FOREACH(u, &uisessions, entry) {
		imsg_enc_init(&enc);
		imsg_put_str(&enc, u->id);
		imsg_put_str(&enc, u->csrf);
		imsg_put_u32(&enc, u->num);
		imsg_put_u64(&enc, u->expires);
		if (imsgev_compose_enc(iev, IMSG_UI_SESSION, 0, -1,
		    &enc) == -1)
			fatal("compose");
		if (u->num > maxnum)
			maxnum = u->num;
	}
}

/* A login in the ui child: keep it. */
void
uisession_new(struct imsg *imsg)
{
	struct imsg_dec	 dec;
	char		*id, *csrf;
	const char	*why;
	uint32_t	 num;
	int64_t		 expires, now = now_ms();

	imsg_dec_init(&dec, imsg);
	id = imsg_get_str(&dec);
	csrf = imsg_get_str(&dec);
	num = imsg_get_u32(&dec);
	expires = imsg_get_u64(&dec);
	if (imsg_dec_end(&dec) == -1)
		why = "bad encoding";
	else if ((why = uisession_check(id, csrf, num, expires,
	    now)) == NULL) {
		if (num <= maxnum)
			why = "number reused";
		else if (expires <= now - UI_CLOCK_SLACK)
			why = "expired already";
	}
	if (why != NULL) {
		sfree(id);
		sfree(csrf);
		parent_fatalx("bad session from the ui child: %s", why);
	}
	uisession_prune(now);
	if (expires > now)
		uisession_add(id, csrf, num, expires);
	maxnum = num;
	sfree(id);
	sfree(csrf);
	uisession_save();
}

/* The ui child dropped a session nobody used for long. */
void
uisession_end(struct imsg *imsg)
{
	struct imsg_dec		 dec;
	struct uisession	*u;
	char			*id;

	imsg_dec_init(&dec, imsg);
	id = imsg_get_str(&dec);
	if (imsg_dec_end(&dec) == -1 || !is_secret(id)) {
		sfree(id);
		parent_fatalx("bad session end from the ui child");
	}
	/* Unknown: the parent let it go already (expired, too many). */
	TAILQ_FOREACH(u, &uisessions, entry)
		if (strcmp(u->id, id) == 0)
			break;
	sfree(id);
	if (u == NULL)
		return;
	uisession_drop(u);
	uisession_prune(now_ms());
	uisession_save();
}
