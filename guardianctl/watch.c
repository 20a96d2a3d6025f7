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
 * guardianctl watch: the pending requests, live.  It subscribes on
 * the control socket (CTL_WATCH) and shows what guardiand pushes:
 * on a terminal a screen that is redrawn on every event, driven by
 * keys; otherwise one line per event.  A decision goes over a
 * connection of its own, as guardianctl approve or deny would.
 *
 * A key acts only on what the operator has had time to see: the
 * selection must have been the same, and the list unchanged, for
 * INERT_MS; a selected request that goes away leaves nothing
 * selected; approving a request with risk marks takes a second key.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/queue.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "control.h"
#include "guardianctl.h"
#include "imsg.h"
#include "timeutil.h"

#define INERT_MS	1000	/* a selection acts after this long */
#define CALL_TIMEOUT	(15 * 1000)
#define ID_MAX		64
#define ID_SHOWN	8
#define REASON_MAX	1024
#define SCOPE_SECS	3600	/* A and D: for an hour */

struct wreq {
	TAILQ_ENTRY(wreq)	 entry;
	char			 id[ID_MAX + 1];
	char			*cloister;
	char			*project;
	char			*cmd;
	uint32_t		 cmdlen;	/* of the whole command */
	char			*folder;
	char			*program;
	int64_t			 expires;
	int			 nrisk;
	char			 risks[128];
	struct risk_mark	 marks[RISK_MARKS];
	int			 nmarks;
};
TAILQ_HEAD(wreqs, wreq);

enum wmode {
	MODE_LIST,
	MODE_REASON,		/* typing a denial's reason */
	MODE_CONFIRM		/* approving a risky request: y? */
};

static struct {
	const char	*sock;
	int		 tty;
	int		 colour;
	struct wreqs	 reqs;
	unsigned int	 nreqs;
	char		 sel[ID_MAX + 1];	/* "" if none */
	int64_t		 armed_at;		/* ms, monotonic */
	enum wmode	 mode;
	char		 act_id[ID_MAX + 1];
	char		 done_id[ID_MAX + 1];	/* decided here */
	uint32_t	 act_secs;
	char		 reason[REASON_MAX + 1];
	char		 status[512];
	int		 rows, cols;
	struct termios	 saved;
	int		 raw;
} w = { .reqs = TAILQ_HEAD_INITIALIZER(w.reqs) };

static volatile sig_atomic_t	 quit, resized;

static void
on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		quit = 1;
}

static void
term_restore(void)
{
	if (!w.raw)
		return;
	/*
	 * Cleared (a terminal without an alternate screen keeps no
	 * stale view), the cursor back, the normal screen, the settings.
	 */
	fputs("\033[0m\033[H\033[2J\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &w.saved);
	w.raw = 0;
}

static void
term_raw(void)
{
	struct termios	 t;

	if (tcgetattr(STDIN_FILENO, &w.saved) == -1)
		die("tcgetattr: %s", strerror(errno));
	t = w.saved;
	t.c_lflag &= ~(ICANON | ECHO | IEXTEN);
	t.c_iflag &= ~(IXON | ICRNL);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == -1)
		die("tcsetattr: %s", strerror(errno));
	w.raw = 1;
	atexit(term_restore);
	fputs("\033[?1049h\033[?25l", stdout);
	/* Before draw(), which writes past stdio. */
	fflush(stdout);
}

static void
term_size(void)
{
	struct winsize	 ws;

	w.rows = 24;
	w.cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0) {
		w.rows = ws.ws_row;
		w.cols = ws.ws_col;
	}
}

static void
status(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(w.status, sizeof(w.status), fmt, ap);
	va_end(ap);
}

static struct wreq *
find(const char *id)
{
	struct wreq	*r;

	if (*id == '\0')
		return (NULL);
	TAILQ_FOREACH(r, &w.reqs, entry)
		if (strcmp(r->id, id) == 0)
			return (r);
	return (NULL);
}

static void
wreq_free(struct wreq *r)
{
	TAILQ_REMOVE(&w.reqs, r, entry);
	w.nreqs--;
	free(r->cloister);
	free(r->project);
	free(r->cmd);
	free(r->folder);
	free(r->program);
	free(r);
}

/* "45s", "3m05s", "1h02m" */
static void
fmt_left(char *buf, size_t len, int64_t ms)
{
	int64_t	 s = ms > 0 ? (ms + 999) / 1000 : 0;

	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", (long long)s / 60,
		    (long long)s % 60);
	else
		snprintf(buf, len, "%lldh%02lldm", (long long)s / 3600,
		    (long long)(s % 3600) / 60);
}

/*
 * Text from guardiand, made safe and cut to at most cols columns (a
 * code point a column) on out; the columns used.
 */
static int
put_text(FILE *out, const char *s, size_t len, int cols)
{
	char	*seg, *safe, *p;
	int	 used = 0;

	if (cols <= 0)
		return (0);
	if ((seg = strndup(s, len)) == NULL || (safe = sanitize(seg)) == NULL)
		die("%s", strerror(errno));
	for (p = safe; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80) {
			if (used == cols)
				break;
			used++;
		}
		fputc(*p, out);
	}
	free(seg);
	free(safe);
	return (used);
}

/* The command, its risky words red (or between ! marks), in cols. */
static int
put_cmd(FILE *out, const struct wreq *r, int cols)
{
	size_t	 i = 0, len = strlen(r->cmd), next, a, b;
	int	 used = 0, k, in;

	while (i < len && used < cols) {
		/* The segment from i: inside a mark, or up to the next. */
		next = len;
		in = -1;
		for (k = 0; k < r->nmarks; k++) {
			a = r->marks[k].a;
			b = r->marks[k].b;
			if (a <= i && i < b) {
				in = k;
				next = b;
				break;
			}
			if (a > i && a < next)
				next = a;
		}
		if (in >= 0) {
			if (w.colour)
				fputs("\033[1;31m", out);
			else if (used < cols) {
				fputc('!', out);
				used++;
			}
		}
		used += put_text(out, r->cmd + i, next - i, cols - used);
		if (in >= 0) {
			if (w.colour)
				fputs("\033[0m", out);
			else if (used < cols) {
				fputc('!', out);
				used++;
			}
		}
		i = next;
	}
	return (used);
}

static void
put_line(FILE *out, int row, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(out, "\033[%d;1H\033[2K", row);
	put_text(out, buf, strlen(buf), w.cols);
}

static int
armed(void)
{
	return (find(w.sel) != NULL && mono_now_ms() - w.armed_at >= INERT_MS);
}

static void
draw(void)
{
	struct wreq	*r, *s;
	FILE		*out;
	char		*buf = NULL, left[32], head[64];
	size_t		 len = 0;
	int		 row, listrows, first = 0, i, n, used;
	int64_t		 now = now_ms();

	if ((out = open_memstream(&buf, &len)) == NULL)
		die("%s", strerror(errno));
	fputs("\033[H\033[2J", out);
	put_line(out, 1, "guardianctl watch: %u pending", w.nreqs);
	put_line(out, 2, "j/k move  a approve  A approve for 1h  d deny  "
	    "D deny for 1h  q quit");
	snprintf(head, sizeof(head), "  %-*s  %-12s  %-6s  ", ID_SHOWN, "ID",
	    "CLOISTER", "LEFT");
	put_line(out, 4, "%sCOMMAND", head);
	/* Rows for the list: what the details below leave. */
	listrows = w.rows - 4 - 8;
	if (listrows < 1)
		listrows = 1;
	s = find(w.sel);
	i = 0;
	if (s != NULL) {
		TAILQ_FOREACH(r, &w.reqs, entry) {
			if (r == s)
				break;
			i++;
		}
		if (i >= listrows)
			first = i - listrows + 1;
	}
	row = 5;
	n = 0;
	TAILQ_FOREACH(r, &w.reqs, entry) {
		if (n++ < first)
			continue;
		if (row >= 5 + listrows)
			break;
		fmt_left(left, sizeof(left), r->expires - now);
		fprintf(out, "\033[%d;1H\033[2K", row++);
		if (r == s)
			fputs(w.colour ? "\033[7m" : "", out);
		fprintf(out, "%c %-*.*s  ", r == s ? '>' : ' ', ID_SHOWN,
		    ID_SHOWN, r->id);
		used = 2 + ID_SHOWN + 2;
		used += put_text(out, r->cloister, strlen(r->cloister), 12);
		for (; used < 2 + ID_SHOWN + 2 + 12; used++)
			fputc(' ', out);
		used += fprintf(out, "  %-6s  %s", left, r->nrisk ? "!" : " ");
		put_cmd(out, r, w.cols - used - 1);
		if (r == s && w.colour)
			fputs("\033[0m", out);
	}
	if (TAILQ_EMPTY(&w.reqs))
		put_line(out, 5, "  (nothing pending)");

	row = w.rows - 7;
	if (row < 6)
		row = 6;
	if (s == NULL)
		put_line(out, row++, "nothing selected (j/k to select)");
	else {
		put_line(out, row++, "request %s  cloister %s  project %s",
		    s->id, s->cloister, s->project);
		put_line(out, row++, "folder  %s", s->folder);
		put_line(out, row++, "program %s", s->program);
		fprintf(out, "\033[%d;1H\033[2Kcommand ", row++);
		put_cmd(out, s, w.cols - 9);
		if (s->cmdlen > strlen(s->cmd))
			put_line(out, row++, "        (%u bytes in all: only "
			    "the first %zu shown)", s->cmdlen,
			    strlen(s->cmd));
		if (s->nrisk) {
			fprintf(out, "\033[%d;1H\033[2K", row++);
			if (w.colour)
				fputs("\033[1;31m", out);
			put_text(out, "risk: ", 6, w.cols);
			put_text(out, s->risks, strlen(s->risks), w.cols - 6);
			if (w.colour)
				fputs("\033[0m", out);
		}
		put_line(out, row++, armed() ? "[armed] a/A approve, d/D deny" :
		    "[wait] keys act once the selection has stood still 1s");
	}
	switch (w.mode) {
	case MODE_REASON:
		put_line(out, w.rows, "deny %.*s%s, reason (Enter sends, Esc "
		    "cancels): %s", ID_SHOWN, w.act_id, w.act_secs ?
		    " for 1h" : "", w.reason);
		break;
	case MODE_CONFIRM:
		/* Named, so that y answers for this command and no other. */
		r = find(w.act_id);
		fprintf(out, "\033[%d;1H\033[2K", w.rows);
		used = put_text(out, "approve ", 8, w.cols);
		if (r != NULL)
			used += put_cmd(out, r, w.cols / 2);
		snprintf(head, sizeof(head), "%s? y confirms, any other key "
		    "cancels", w.act_secs ? " for 1h" : "");
		put_text(out, head, strlen(head), w.cols - used);
		break;
	default:
		put_line(out, w.rows, "%s", w.status);
		break;
	}
	fclose(out);
	if (write(STDOUT_FILENO, buf, len) == -1 && errno != EINTR)
		die("write: %s", strerror(errno));
	free(buf);
}

/*
 * One request on a connection of its own, as guardianctl approve
 * would send it: 0 if guardiand said OK; its answer in msg.
 */
static int
call(uint32_t type, struct imsg_enc *enc, char *msg, size_t msglen)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	struct imsg_dec	 dec;
	struct pollfd	 pfd;
	char		*text, *safe;
	ssize_t		 n;
	int		 fd, rv, done = -1;

	snprintf(msg, msglen, "no answer from guardiand");
	fd = ctl_connect(w.sock);
	if (imsgbuf_init(&ibuf, fd) == -1)
		die("%s", strerror(errno));
	send_request(&ibuf, type, enc);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (done == -1) {
		if ((rv = poll(&pfd, 1, CALL_TIMEOUT)) == -1 && errno == EINTR)
			continue;
		if (rv <= 0)
			break;
		if ((n = imsg_read(&ibuf)) == -1 && (errno == EAGAIN ||
		    errno == EINTR))
			continue;
		if (n <= 0)
			break;
		while (done == -1 && imsg_get(&ibuf, &imsg) == 1) {
			imsg_dec_init(&dec, &imsg);
			text = imsg_get_str(&dec);
			if (imsg_dec_end(&dec) == 0 &&
			    (imsg.hdr.type == CTL_OK ||
			    imsg.hdr.type == CTL_ERROR)) {
				done = imsg.hdr.type == CTL_OK ? 0 : 1;
				if ((safe = sanitize(text)) != NULL) {
					/* The first line says it. */
					safe[strcspn(safe, "\n")] = '\0';
					snprintf(msg, msglen, "%s", safe);
				}
				free(safe);
			}
			free(text);
			imsg_free(&imsg);
		}
	}
	imsgbuf_clear(&ibuf);
	close(fd);
	return (done == 0 ? 0 : -1);
}

static void
decide(int approve, const char *id, uint32_t secs, const char *reason)
{
	struct imsg_enc	 enc;
	uint32_t	 type;
	char		 msg[256];

	imsg_enc_init(&enc);
	imsg_put_str(&enc, id);
	if (secs > 0)
		imsg_put_u32(&enc, secs);
	if (!approve)
		imsg_put_str(&enc, reason);
	if (approve)
		type = secs > 0 ? CTL_APPROVE_FOR : CTL_APPROVE;
	else
		type = secs > 0 ? CTL_DENY_FOR : CTL_DENY;
	strlcpy(w.done_id, id, sizeof(w.done_id));
	if (call(type, &enc, msg, sizeof(msg)) == 0)
		status("%s", msg);
	else
		status("not done: %s", msg);
}

/* The list changed: a selection must stand still again. */
static void
changed(void)
{
	w.armed_at = mono_now_ms();
	if (w.mode == MODE_CONFIRM) {
		w.mode = MODE_LIST;
		status("the list changed: not approved; look again");
	}
}

static void
move(int down)
{
	struct wreq	*r = find(w.sel), *to;

	if (r == NULL)
		to = down ? TAILQ_FIRST(&w.reqs) : TAILQ_LAST(&w.reqs, wreqs);
	else if (down)
		to = TAILQ_NEXT(r, entry);
	else
		to = TAILQ_PREV(r, wreqs, entry);
	if (to == NULL)
		return;
	strlcpy(w.sel, to->id, sizeof(w.sel));
	w.armed_at = mono_now_ms();
	w.status[0] = '\0';
}

/* a, A, d, D on the selection, if it is armed. */
static void
act(int key)
{
	struct wreq	*r = find(w.sel);

	if (r == NULL) {
		status("nothing selected: j/k to select a request");
		return;
	}
	if (!armed()) {
		status("not yet: a selection acts once it has stood still "
		    "for 1s");
		return;
	}
	strlcpy(w.act_id, r->id, sizeof(w.act_id));
	w.act_secs = key == 'A' || key == 'D' ? SCOPE_SECS : 0;
	if (key == 'd' || key == 'D') {
		w.reason[0] = '\0';
		w.mode = MODE_REASON;
		return;
	}
	if (r->nrisk > 0 || r->cmdlen > strlen(r->cmd)) {
		w.mode = MODE_CONFIRM;
		return;
	}
	decide(1, w.act_id, w.act_secs, NULL);
}

static void
key_reason(unsigned char c)
{
	size_t	 len = strlen(w.reason);

	if (c == '\r' || c == '\n') {
		w.mode = MODE_LIST;
		if (find(w.act_id) == NULL) {
			status("request %.*s is gone: not denied", ID_SHOWN,
			    w.act_id);
			return;
		}
		decide(0, w.act_id, w.act_secs, w.reason);
	} else if (c == 0x1b) {
		w.mode = MODE_LIST;
		status("not denied");
	} else if (c == 0x7f || c == 0x08) {
		while (len > 0 && ((unsigned char)w.reason[len - 1] & 0xc0) ==
		    0x80)
			len--;
		if (len > 0)
			len--;
		w.reason[len] = '\0';
	} else if (c == 0x15)
		w.reason[0] = '\0';
	else if (c >= 0x20 && c != 0x7f && len < REASON_MAX) {
		w.reason[len] = c;
		w.reason[len + 1] = '\0';
	}
}

static void
keys(const unsigned char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && !quit; i++) {
		if (w.mode == MODE_REASON) {
			key_reason(buf[i]);
			continue;
		}
		if (w.mode == MODE_CONFIRM) {
			w.mode = MODE_LIST;
			if (buf[i] == 'y' && find(w.act_id) != NULL)
				decide(1, w.act_id, w.act_secs, NULL);
			else
				status("not approved");
			continue;
		}
		/* Arrows: ESC [ A/B or ESC O A/B. */
		if (buf[i] == 0x1b && i + 2 < len && (buf[i + 1] == '[' ||
		    buf[i + 1] == 'O')) {
			if (buf[i + 2] == 'A')
				move(0);
			else if (buf[i + 2] == 'B')
				move(1);
			i += 2;
			continue;
		}
		switch (buf[i]) {
		case 'j':
			move(1);
			break;
		case 'k':
			move(0);
			break;
		case 'a':
		case 'A':
		case 'd':
		case 'D':
			act(buf[i]);
			break;
		case 'q':
		case 0x03:
			quit = 1;
			break;
		default:
			break;
		}
	}
}

/* One line per event, for a pipe or a file. */
static void
plain_added(const struct wreq *r)
{
	char	*cmd, *folder, *cl, left[32];

	if ((cmd = sanitize(r->cmd)) == NULL ||
	    (folder = sanitize(r->folder)) == NULL ||
	    (cl = sanitize(r->cloister)) == NULL)
		die("%s", strerror(errno));
	fmt_left(left, sizeof(left), r->expires - now_ms());
	printf("%s pending %s %s%s (in %s, %s left%s%s)\n", r->id, cl, cmd,
	    r->cmdlen > strlen(r->cmd) ? " ..." : "", folder, left,
	    r->nrisk ? ", risk: " : "", r->nrisk ? r->risks : "");
	free(cmd);
	free(folder);
	free(cl);
}

static void
plain_removed(const char *id, const char *outcome, const char *by)
{
	char	*sid, *sout, *sby;

	if ((sid = sanitize(id)) == NULL || (sout = sanitize(outcome)) ==
	    NULL || (sby = sanitize(by)) == NULL)
		die("%s", strerror(errno));
	printf("%s %s%s%s\n", sid, sout, *sby != '\0' ? " by " : "", sby);
	free(sid);
	free(sout);
	free(sby);
}

static void
event(struct imsg *imsg)
{
	struct imsg_dec	 dec;
	struct wreq	*r;
	char		*id, *outcome, *by, *safe, *flags;
	int		 sel;

	imsg_dec_init(&dec, imsg);
	switch (imsg->hdr.type) {
	case CTL_EV_ADDED:
		if ((r = calloc(1, sizeof(*r))) == NULL)
			die("%s", strerror(errno));
		id = imsg_get_str(&dec);
		r->cloister = imsg_get_str(&dec);
		r->project = imsg_get_str(&dec);
		r->cmd = imsg_get_str(&dec);
		r->cmdlen = imsg_get_u32(&dec);
		r->folder = imsg_get_str(&dec);
		(void)imsg_get_u64(&dec);
		r->expires = (int64_t)imsg_get_u64(&dec);
		r->program = imsg_get_str(&dec);
		flags = imsg_get_str(&dec);
		if (imsg_dec_end(&dec) == -1 || strlen(id) > ID_MAX ||
		    find(id) != NULL)
			die("bad event from guardiand");
		strlcpy(r->id, id, sizeof(r->id));
		free(id);
		r->nrisk = risk_analyse(r->cmd, r->risks, sizeof(r->risks),
		    r->marks, &r->nmarks);
		r->nrisk += risk_program(flags, r->risks, sizeof(r->risks));
		free(flags);
		TAILQ_INSERT_TAIL(&w.reqs, r, entry);
		w.nreqs++;
		if (!w.tty) {
			plain_added(r);
			wreq_free(r);
		} else
			changed();
		break;
	case CTL_EV_REMOVED:
		id = imsg_get_str(&dec);
		outcome = imsg_get_str(&dec);
		by = imsg_get_str(&dec);
		if (imsg_dec_end(&dec) == -1)
			die("bad event from guardiand");
		if (!w.tty)
			plain_removed(id, outcome, by);
		else if ((r = find(id)) != NULL) {
			sel = strcmp(w.sel, id) == 0;
			if (sel)
				w.sel[0] = '\0';
			/* What we decided ourselves keeps its answer shown. */
			if (sel && strcmp(w.done_id, id) != 0) {
				if ((safe = sanitize(outcome)) != NULL)
					status("the selected request %.*s "
					    "is gone: %s", ID_SHOWN, id,
					    safe);
				free(safe);
			}
			wreq_free(r);
			changed();
		}
		free(id);
		free(outcome);
		free(by);
		break;
	case CTL_ERROR:
		term_restore();
		safe = NULL;
		if ((id = imsg_get_str(&dec)) != NULL)
			safe = sanitize(id);
		die("%s", safe != NULL ? safe : "error");
	default:
		die("bad event from guardiand (type %u)", imsg->hdr.type);
	}
	if (!w.tty && fflush(stdout) == EOF)
		die("stdout: %s", strerror(errno));
}

int
watch(const char *sock)
{
	struct sigaction	 sa;
	struct imsgbuf		 ibuf;
	struct imsg		 imsg;
	struct imsg_enc		 enc;
	struct pollfd		 pfd[2];
	unsigned char		 kb[256];
	const char		*term;
	ssize_t			 n;
	int64_t			 last = 0;
	int			 fd, rv, was_armed = 0, dirty = 1;

	w.sock = sock;
	w.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	term = getenv("TERM");
	w.colour = w.tty && getenv("NO_COLOR") == NULL && term != NULL &&
	    strcmp(term, "dumb") != 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);

	fd = ctl_connect(sock);
	if (imsgbuf_init(&ibuf, fd) == -1)
		die("%s", strerror(errno));
	imsg_enc_init(&enc);
	send_request(&ibuf, CTL_WATCH, &enc);
	if (w.tty) {
		term_size();
		term_raw();
		status("watching");
	}
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = STDIN_FILENO;
	pfd[1].events = POLLIN;
	while (!quit) {
		if (w.tty && (resized || dirty || armed() != was_armed ||
		    mono_now_ms() - last >= 1000)) {
			if (resized)
				term_size();
			resized = 0;
			dirty = 0;
			was_armed = armed();
			last = mono_now_ms();
			draw();
		}
		rv = poll(pfd, w.tty ? 2 : 1, w.tty ? 100 : -1);
		if (rv == -1) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (w.tty && (pfd[1].revents & (POLLIN | POLLHUP))) {
			if ((n = read(STDIN_FILENO, kb, sizeof(kb))) <= 0) {
				if (n == -1 && errno == EINTR)
					continue;
				break;
			}
			keys(kb, n);
			dirty = 1;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = imsg_read(&ibuf)) == -1) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				n = 0;
			}
			if (n == 0) {
				term_restore();
				die("guardiand closed the connection");
			}
			while ((rv = imsg_get(&ibuf, &imsg)) == 1) {
				event(&imsg);
				imsg_free(&imsg);
			}
			if (rv == -1)
				die("bad event from guardiand");
			dirty = 1;
		}
	}
	term_restore();
	imsgbuf_clear(&ibuf);
	close(fd);
	return (0);
}
