#!/usr/bin/env bash
# The four processes, their sandboxes, listeners, and how the daemon
# goes down: cleanly on SIGTERM, entirely when any child dies.
. "$(dirname "$0")/../lib.sh"

RP=$(free_port); UP=$(free_port)
SOCK=$T/run/guardiand/request.sock
cat >"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
YAML
gconf <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP", "unix:$SOCK"]
YAML

start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
ok "daemon starts and reports ready"

kids=$(pgrep -P "$DPID" | wc -l)
[ "$kids" -eq 3 ] && ok "parent has 3 children" ||
    not_ok "parent has 3 children (has $kids)"

for role in policy request ui; do
	pid=$(child_pid "$role") || { not_ok "$role child exists"; continue; }
	ok "$role child exists (pid $pid)"
	st=/proc/$pid/status
	check "$role child: Seccomp: 2" grep -Eq '^Seccomp:[[:space:]]+2$' "$st"
	check "$role child: NoNewPrivs: 1" \
	    grep -Eq '^NoNewPrivs:[[:space:]]+1$' "$st"
	lim=/proc/$pid/limits
	for l in 'Max processes' 'Max file size' 'Max core file size'; do
		check "$role child: $l is 0" \
		    grep -Eq "^$l +0 +0 " "$lim"
	done
	check "$role child: named in ps" \
	    bash -c "ps -o args= -p $pid | grep -q '$role'"
	# Nothing open but stdio, the channel, sockets and event fds.
	files=$(for f in /proc/$pid/fd/*; do
		case $f in */0|*/1|*/2) continue ;; esac; readlink "$f"; done |
	    grep '^/' | grep -v '^/dev/null$' | grep -v '^/dev/pts/')
	[ -z "$files" ] && ok "$role child: no files open" ||
	    not_ok "$role child: no files open (has: $files)"
done
check "ps names the parent" bash -c "ps -o args= -p $DPID | grep -q parent"

code=$(curl -s -o "$T/out" -w '%{http_code}' "http://127.0.0.1:$RP/healthz")
[ "$code" = 200 ] && grep -q ok "$T/out" && ok "healthz over TCP" ||
    not_ok "healthz over TCP ($code)"
code=$(curl -s -o "$T/out" -w '%{http_code}' --unix-socket "$SOCK" \
    http://localhost/healthz)
[ "$code" = 200 ] && ok "healthz over the unix socket" ||
    not_ok "healthz over the unix socket ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RP/nope")
[ "$code" = 404 ] && ok "unknown path: 404" || not_ok "unknown path ($code)"
code=$(curl -s -D "$T/hdr" -o "$T/out" -w '%{http_code}' \
    "http://127.0.0.1:$UP/")
[ "$code" = 401 ] && grep -qi '^content-security-policy:' "$T/hdr" &&
    grep -q 'guardianctl ui' "$T/out" &&
    ok "ui listener: login page, with a CSP" ||
    not_ok "ui listener: login page ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$UP/healthz")
[ "$code" = 404 ] || [ "$code" = 401 ] && ok "ui listener does not serve the request API" ||
    not_ok "ui listener does not serve the request API ($code)"

# SIGTERM: clean exit, no child left, unix socket removed.
pids="$DPID $(pgrep -P "$DPID" | tr '\n' ' ')"
kill -TERM "$DPID"
if wait_exit "$DPID" 10; then
	[ "$RC" -eq 0 ] && ok "SIGTERM: exit status 0" ||
	    not_ok "SIGTERM: exit status 0 (got $RC)"
else
	not_ok "SIGTERM: daemon exits"
fi
DPID=
left=$(for p in $pids; do kill -0 "$p" 2>/dev/null && echo "$p"; done)
[ -z "$left" ] && ok "SIGTERM: no process left" ||
    not_ok "SIGTERM: no process left ($left)"
[ ! -e "$SOCK" ] && ok "SIGTERM: unix socket removed" ||
    not_ok "SIGTERM: unix socket removed"

# A child's death takes the whole daemon down, with the reason logged.
for role in policy request ui; do
	start_daemon "$CONF" || { not_ok "restart for $role"; continue; }
	pid=$(child_pid "$role")
	pids="$DPID $(pgrep -P "$DPID" | tr '\n' ' ')"
	kill -KILL "$pid"
	if wait_exit "$DPID" 10; then
		[ "$RC" -ne 0 ] && ok "killing $role child: daemon exits non-zero" ||
		    not_ok "killing $role child: daemon exits non-zero"
	else
		not_ok "killing $role child: daemon exits"
	fi
	DPID=
	grep -q "$role child (pid $pid) killed by signal 9" "$DLOG" &&
	    ok "killing $role child: reason logged" ||
	    not_ok "killing $role child: reason logged"
	left=$(for p in $pids; do kill -0 "$p" 2>/dev/null && echo "$p"; done)
	[ -z "$left" ] && ok "killing $role child: no process left" ||
	    not_ok "killing $role child: no process left ($left)"
done

# Started as root with guardian.user: children chroot and drop to it.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	nuid=$(id -u nobody)
	mkdir "$T/user"
	cp "$CONF" "$T/user/config.yaml"
	{ cat "$GCONF"; echo "  user: nobody"; } >"$T/user/guardiand.yaml"
	if start_daemon "$T/user/config.yaml"; then
		for role in policy request ui; do
			pid=$(child_pid "$role")
			grep -Eq "^Uid:[[:space:]]+$nuid[[:space:]]+$nuid[[:space:]]+$nuid" \
			    "/proc/$pid/status" &&
			    ok "guardian.user: $role child runs as nobody" ||
			    not_ok "guardian.user: $role child runs as nobody"
			root=$(readlink "/proc/$pid/root")
			[ "$root" != / ] && [ -z "$(ls -A "$root" 2>/dev/null)" ] &&
			    ok "guardian.user: $role child chrooted to empty $root" ||
			    not_ok "guardian.user: $role child chrooted ($root)"
		done
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    "http://127.0.0.1:$RP/healthz")
		[ "$code" = 200 ] && ok "guardian.user: still serving" ||
		    not_ok "guardian.user: still serving ($code)"
		grep -Eq "^Uid:[[:space:]]+0[[:space:]]" "/proc/$DPID/status" &&
		    ok "guardian.user: the parent stays root" ||
		    not_ok "guardian.user: the parent stays root"
		stop_daemon
	else
		not_ok "guardian.user: daemon starts"
	fi
fi

# Out of descriptors: a child pauses accepting instead of spinning, and
# serves again once connections go away.
: >"$DLOG"
( ulimit -n 64; spawn_daemon -d -f "$CONF"; wait "$DPID" ) &
lpid=$!
if wait_log 'ready: ' 10; then
	for i in $(seq 1 80); do
		( exec 3<>"/dev/tcp/127.0.0.1/$UP"; sleep 2 ) 2>/dev/null &
	done
	wait_log 'ui: accept: Too many open files; pausing' 10 &&
	    ok "descriptors exhausted: the ui child pauses accepting" ||
	    not_ok "descriptors exhausted: the ui child pauses accepting"
	sleep 3
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    "http://127.0.0.1:$UP/")
	[ "$code" = 401 ] && ok "descriptors back: the ui child serves again" ||
	    not_ok "descriptors back: the ui child serves again ($code)"
	dp=$(pgrep -P "$lpid" -f 'parent' | head -1)
	[ -n "$dp" ] && kill -TERM "$dp"
else
	not_ok "daemon starts with 64 descriptors"
fi
wait "$lpid" 2>/dev/null

# A child sending what its channel does not allow (a decision from the
# request child, a request from the ui child, garbage) is a protocol
# violation: the daemon goes down, saying so, leaving nothing behind.
for spec in request:forbidden ui:forbidden policy:forbidden \
    request:garbage policy:garbage; do
	: >"$DLOG"
	GUARDIAND_TEST_SEND=$spec spawn_daemon -d -f "$CONF"
	if wait_exit "$DPID" 10; then
		if [ "$RC" -ne 0 ] && grep -q "protocol violation: .*${spec%%:*} child" "$DLOG"; then
			ok "$spec: protocol violation shuts the daemon down"
		else
			not_ok "$spec: protocol violation (rc $RC)"
		fi
	else
		not_ok "$spec: daemon still up"
		stop_daemon
	fi
	DPID=
done

# A child attempting a forbidden system call is killed (test build).
for role in policy request ui; do
	for call in open execve socket connect fork; do
		: >"$DLOG"
		GUARDIAND_TEST_SYSCALL=$role:$call spawn_daemon -d -f "$CONF"
		if wait_exit "$DPID" 10; then
			if [ "$RC" -ne 0 ] && grep -q "$role child (pid [0-9]*) killed by signal 31" "$DLOG" &&
			    ! grep -q "sandbox did not hold" "$DLOG"; then
				ok "$role child killed for $call"
			else
				not_ok "$role child killed for $call (rc $RC)"
			fi
		else
			not_ok "$role child killed for $call: daemon still up"
			stop_daemon
		fi
		DPID=
	done
done
exit 0
