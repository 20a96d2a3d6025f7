#!/usr/bin/env bash
# The systemd notification protocol (DESIGN 6.5), against a datagram
# socket of the test's own, as the service manager's: READY=1 once the
# listeners answer, WATCHDOG=1 every half WATCHDOG_USEC while every
# child answers its pings and not after, STOPPING=1 on the way down;
# an abstract address ('@') and a path both work, and commands never
# see NOTIFY_SOCKET.
. "$(dirname "$0")/../lib.sh"

request_conf 60s
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^sh -c "
YAML
gconf -a <<YAML
  ping_timeout: "30s"
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML

mono() { python3 -c 'import time; print("%.3f" % time.monotonic())'; }

# listen ADDR FILE: a datagram socket at ADDR that writes each datagram
# it receives to FILE, "MONOTONIC TEXT", newlines as '|'; sets RCV.
listen() {
	rm -f "$2" "$2.up"
	python3 -c '
import socket, sys, time
a = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + a[1:] if a.startswith("@") else a)
open(sys.argv[2] + ".up", "w").close()
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        d = s.recv(4096).decode(errors="replace").replace("\n", "|")
        f.write("%.3f %s\n" % (time.monotonic(), d))
' "$1" "$2" &
	RCV=$!
	n=200
	until [ -e "$2.up" ] || [ $n -eq 0 ]; do sleep 0.05; n=$((n - 1)); done
}

# wait_note FILE REGEX SECONDS
wait_note() {
	local n=$(( $3 * 20 ))
	until grep -Eq -- "$2" "$1" 2>/dev/null || [ $n -eq 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# --- An abstract address, a watchdog of 2 s: WATCHDOG=1 every second.
N=$T/notes
listen "@guardiand-test-$$" "$N"
cloister_file "$CONF"
: >"$DLOG"
NOTIFY_SOCKET=@guardiand-test-$$ WATCHDOG_USEC=2000000 \
    spawn_daemon -d -f "$CONF"
if wait_note "$N" 'READY=1' 20; then
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RP/healthz")
	[ "$code" = 200 ] && grep -q 'READY=1|STATUS=serving' "$N" &&
	    ok "READY=1 (with STATUS=) once the listener answers" ||
	    not_ok "READY=1 once the listener answers ($code: $(cat "$N"))"
else
	not_ok "READY=1 arrives ($(cat "$N" 2>/dev/null))"
fi
n=0
until [ "$(grep -c 'WATCHDOG=1' "$N")" -ge 4 ] || [ $n -ge 200 ]; do
	sleep 0.05; n=$((n + 1))
done
[ "$(grep -c 'WATCHDOG=1' "$N")" -ge 4 ] &&
    ok "WATCHDOG=1 keeps arriving ($(grep -c 'WATCHDOG=1' "$N") so far)" ||
    not_ok "WATCHDOG=1 keeps arriving ($(cat "$N"))"
out=$(hx_as "$TOKEN" sh -c 'echo "${NOTIFY_SOCKET-unset} ${WATCHDOG_USEC-unset}"' 2>&1)
[ "$out" = "unset unset" ] && ok "commands do not get NOTIFY_SOCKET or WATCHDOG_USEC" ||
    not_ok "commands do not get NOTIFY_SOCKET or WATCHDOG_USEC ($out)"

# A frozen child (not stopped: only its pings tell): the watchdog
# stops long before ping_timeout (30 s) takes the daemon down.
FRZ=/sys/fs/cgroup/freezer/guardiand-test.$$
if [ -w "${FRZ%/*}" ] && mkdir "$FRZ" 2>/dev/null; then
	trap 'echo THAWED >"$FRZ/freezer.state" 2>/dev/null;
	    rmdir "$FRZ" 2>/dev/null; kill "$RCV" 2>/dev/null; cleanup' EXIT
	pid=$(child_pid policy)
	echo "$pid" >"$FRZ/tasks"
	echo FROZEN >"$FRZ/freezer.state"
	sleep 4		# the last WATCHDOG=1 may come up to 3 s after
	t0=$(mono)
	sleep 3
	late=$(awk -v t="$t0" '$1 > t && /WATCHDOG=1/' "$N" | wc -l)
	kill -0 "$DPID" && [ "$late" -eq 0 ] &&
	    ok "frozen policy child: no WATCHDOG=1 while the daemon still runs" ||
	    not_ok "frozen policy child: no WATCHDOG=1 ($late after the freeze)"
	echo THAWED >"$FRZ/freezer.state"
	n=0
	until [ "$(awk -v t="$t0" '$1 > t && /WATCHDOG=1/' "$N" | wc -l)" -ge 1 ] ||
	    [ $n -ge 200 ]; do
		sleep 0.05; n=$((n + 1))
	done
	[ $n -lt 200 ] && ok "thawed in time: WATCHDOG=1 again" ||
	    not_ok "thawed in time: WATCHDOG=1 again"
else
	note "skip: no cgroup freezer here"
fi

# A stopped child: the watchdog stops, the daemon says STOPPING=1 and
# exits.
pid=$(child_pid ui)
kill -STOP "$pid"
t0=$(mono)
if wait_exit "$DPID" 20; then
	[ "$RC" -ne 0 ] && ok "stopped ui child: daemon exits non-zero" ||
	    not_ok "stopped ui child: daemon exits non-zero"
else
	not_ok "stopped ui child: daemon exits"
	kill -CONT "$pid"; stop_daemon
fi
DPID=
sleep 1
late=$(awk -v t="$t0" '$1 > t + 0.5 && /WATCHDOG=1/' "$N" | wc -l)
[ "$late" -eq 0 ] && grep -q 'STOPPING=1|STATUS=stopping: child stopped' "$N" &&
    ok "stopped ui child: WATCHDOG=1 stops, STOPPING=1 with the reason" ||
    not_ok "stopped ui child: WATCHDOG stops, STOPPING=1 ($late late; $(tail -3 "$N"))"
kill "$RCV" 2>/dev/null; wait "$RCV" 2>/dev/null

# --- A path, no watchdog: READY=1, then STOPPING=1 on SIGTERM, and
# never WATCHDOG=1.
N2=$T/notes2
listen "$T/notify.sock" "$N2"
: >"$DLOG"
NOTIFY_SOCKET=$T/notify.sock spawn_daemon -d -f "$CONF"
wait_note "$N2" 'READY=1' 20 && ok "a path: READY=1" ||
    not_ok "a path: READY=1 ($(cat "$N2" 2>/dev/null))"
sleep 2
kill -TERM "$DPID"
wait_exit "$DPID" 10
DPID=
wait_note "$N2" 'STOPPING=1\|STATUS=stopping: SIGTERM' 5 &&
    ! grep -q WATCHDOG "$N2" &&
    ok "a path: STOPPING=1 on SIGTERM, no WATCHDOG=1 unasked" ||
    not_ok "a path: STOPPING=1 on SIGTERM ($(cat "$N2"))"
kill "$RCV" 2>/dev/null; wait "$RCV" 2>/dev/null
exit 0
