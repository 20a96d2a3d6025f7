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
 * Liveness, in the parent (DESIGN 2): every child is pinged at a fixed
 * interval and must keep answering.  A child with a ping unanswered
 * that has said nothing at all for guardian.ping_timeout is a fault:
 * logged with its role and how long it has been silent, and the daemon
 * goes down as for any child fault.  Any message counts as a sign of
 * life, because a channel is read in order: a policy child working
 * through a queue of checks answers them one after another, each
 * within its own time budget, and its pong after them.  The same tick
 * drives the keep-alive frames of the request child (DESIGN 6.1), so
 * that a stopped parent stops them, and the systemd watchdog.
 *
 * Any child role the parent starts is pinged; its dispatcher answers
 * with child_pong(), and IMSG_PONG is in its table (parent.c).
 */

#include <sys/types.h>

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event.h>

#include "config.h"
#include "frame.h"
#include "log.h"
#include "parent.h"

#define LIVE_TICK	1000	/* ms between pings, at most */
#define LIVE_LATE	3000	/* a tick this late: we were stopped */
#define LIVE_HEALTHY	3000	/* heard within this: answers pings */

static struct {
	struct event	 tick;
	int64_t		 last_tick;
	int64_t		 last_keepalive;
	int64_t		 last_watchdog;
	int64_t		 interval;	/* ms between ticks */
	uint32_t	 seq;
	int		 loading;	/* the policy child compiles */
} lv;

static void	 liveness_tick(int, short, void *);

void
liveness_start(void)
{
	int64_t		 now = mono_now_ms(), wd = sdnotify_watchdog();
	struct child	*c;
	int		 r;

	lv.interval = LIVE_TICK;
	if (wd > 0 && wd < lv.interval)
		lv.interval = wd;
	for (r = ROLE_PARENT + 1; r < ROLE_MAX; r++) {
		c = parent_child(r);
		c->heard = now;
		c->pinged = 0;
	}
	lv.last_tick = lv.last_keepalive = now;
	evtimer_set(&lv.tick, liveness_tick, NULL);
	liveness_tick(-1, 0, NULL);
}

/*
 * The policy child compiles a pattern set (at start and on a reload):
 * as long as that takes, it is silent by design, bounded by the
 * pattern limits.  A stopped child is still caught (SIGCHLD).
 */
void
liveness_loading(int on)
{
	struct child	*c = parent_child(ROLE_POLICY);

	lv.loading = on;
	c->heard = mono_now_ms();
}

/* Any message from c: it lives. */
void
liveness_heard(struct child *c)
{
	c->heard = mono_now_ms();
}

void
liveness_pong(struct child *c, struct imsg *imsg)
{
	struct imsg_dec	 dec;
	uint32_t	 seq;

	imsg_dec_init(&dec, imsg);
	seq = imsg_get_u32(&dec);
	if (imsg_dec_end(&dec) == -1 || c->pinged == 0 ||
	    seq != c->ping_seq)
		parent_fatalx("%s child answered a ping never sent",
		    role_name(c->role));
	c->pinged = 0;
}

/* Its answer may wait in the channel, unread: that is no silence. */
static int
readable(struct child *c)
{
	struct pollfd	 pfd;

	pfd.fd = c->iev.ibuf.fd;
	pfd.events = POLLIN;
	return (poll(&pfd, 1, 0) == 1);
}

static void
ping(struct child *c, int64_t now)
{
	struct imsg_enc	 enc;

	c->ping_seq = ++lv.seq;
	c->pinged = now;
	imsg_enc_init(&enc);
	imsg_put_u32(&enc, c->ping_seq);
	if (imsgev_compose_enc(&c->iev, IMSG_PING, 0, -1, &enc) == -1)
		fatal("compose");
}

static void
liveness_tick(int fd, short event, void *arg)
{
	struct config	*conf = parent_config();
	struct child	*c;
	struct timeval	 tv;
	int64_t		 now = mono_now_ms(), silent;
	int		 r, late, healthy = 1;

	/*
	 * Late ourselves (stopped, or the machine suspended): the
	 * children's silence is ours, start counting afresh.
	 */
	late = now - lv.last_tick > LIVE_LATE;
	lv.last_tick = now;
	for (r = ROLE_PARENT + 1; r < ROLE_MAX; r++) {
		c = parent_child(r);
		if (c->pid <= 0)
			continue;
		if (late || (r == ROLE_POLICY && lv.loading))
			c->heard = now;
		silent = now - c->heard;
		if (c->pinged != 0 && silent >= (int64_t)conf->ping_timeout &&
		    !readable(c)) {
			log_warnx("%s child (pid %d) not answering: silent "
			    "for %lld.%01llds (guardian.ping_timeout)",
			    role_name(r), (int)c->pid,
			    (long long)(silent / 1000),
			    (long long)(silent % 1000 / 100));
			parent_child_fault("child not answering");
		}
		if (silent >= LIVE_HEALTHY)
			healthy = 0;
		if (c->pinged == 0)
			ping(c, now);
	}
	if (now - lv.last_keepalive >= KEEPALIVE_INTERVAL * 1000) {
		lv.last_keepalive = now;
		c = parent_child(ROLE_REQUEST);
		if (c->pid > 0 && imsgev_compose(&c->iev, IMSG_REQ_KEEPALIVE,
		    0, -1, NULL, 0) == -1)
			fatal("compose");
	}
	if (sdnotify_watchdog() > 0 && healthy &&
	    now - lv.last_watchdog >= sdnotify_watchdog()) {
		lv.last_watchdog = now;
		sdnotify("WATCHDOG=1");
	}
	tv.tv_sec = lv.interval / 1000;
	tv.tv_usec = lv.interval % 1000 * 1000;
	evtimer_add(&lv.tick, &tv);
}
