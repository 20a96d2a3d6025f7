#!/usr/bin/env bash
# A stopped command's whole group goes: a client that cancels and
# exec_timeout stop a group whose leader exits on SIGTERM while another
# member ignores it; what a command left behind, even in a session of
# its own, goes when the command ends, or at a shutdown.
. "$(dirname "$0")/../lib.sh"

request_conf 60s
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^sh -c "
YAML
gconf -a <<YAML
  exec_timeout: "2s"
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }

# A marker of our own for each case: a sleep nobody else runs.
M=$((7000 + RANDOM % 2000))
# alive N: whether "sleep N" runs.
alive() { pgrep -fx "sleep $1" >/dev/null; }
# until_gone N [SECONDS]: wait (10 s at most) for "sleep N" to be gone.
until_gone() {
	local n=$(( ${2:-10} * 20 ))
	while alive "$1" && [ $n -gt 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
	! alive "$1"
}
until_there() {
	local n=200
	until alive "$1" || [ $n -eq 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
	alive "$1"
}
# The leader (sh) dies of SIGTERM; the member has SIGTERM ignored.
stubborn() { echo "(trap '' TERM; exec sleep $1) & wait"; }

# 1. The client goes away.
hx_as "$TOKEN" sh -c "$(stubborn $M)" >/dev/null 2>&1 &
HX=$!
until_there $M && ok "cancel: the stubborn member runs" ||
    not_ok "cancel: the stubborn member runs"
kill -TERM "$HX"
wait "$HX" 2>/dev/null
until_gone $M && ok "cancel: the member that ignores SIGTERM is killed too" ||
    { not_ok "cancel: the member that ignores SIGTERM is killed too";
      pkill -KILL -fx "sleep $M"; }

# 2. exec_timeout.
M2=$((M + 1))
hx_as "$TOKEN" sh -c "$(stubborn $M2)" >/dev/null 2>&1; rc=$?
[ $rc -ne 0 ] && ok "exec_timeout: the command is stopped (rc $rc)" ||
    not_ok "exec_timeout: the command is stopped (rc $rc)"
until_gone $M2 && ok "exec_timeout: the member that ignores SIGTERM is killed too" ||
    { not_ok "exec_timeout: the member that ignores SIGTERM is killed too";
      pkill -KILL -fx "sleep $M2"; }

# 3. A command leaves a process in a session of its own, and ends:
# the spawner, its subreaper, adopts it and, once the output had time
# to drain, stops it (SIGTERM, ignored; SIGKILL after the grace).
M3=$((M + 2))
out=$(hx_as "$TOKEN" sh -c "setsid sh -c 'trap \"\" TERM; exec sleep $M3' </dev/null >/dev/null 2>&1 & echo left") ; rc=$?
[ $rc -eq 0 ] && [ "$out" = left ] && until_there $M3 &&
    ok "a command leaves a setsid process behind" ||
    not_ok "a command leaves a setsid process behind (rc $rc: $out)"
pid=$(pgrep -fx "sleep $M3")
[ -n "$pid" ] && [ "$(awk '{ print $4 }' "/proc/$pid/stat")" = "$(child_pid spawner)" ] &&
    ok "... which the spawner, its subreaper, has adopted" ||
    not_ok "... which the spawner, its subreaper, has adopted"
until_gone $M3 30 && ok "... and killed once its command ended" ||
    { not_ok "... and killed once its command ended";
      pkill -KILL -fx "sleep $M3"; }

# 4. What a running command left goes at a shutdown.
M4=$((M + 3))
hx_as "$TOKEN" sh -c "setsid sh -c 'trap \"\" TERM; exec sleep $M4' </dev/null >/dev/null 2>&1 & exec sleep $M4" >/dev/null 2>&1 &
until_there $M4 && [ "$(pgrep -fx "sleep $M4" | wc -l)" -ge 1 ] ||
    not_ok "a running command left a setsid process"
stop_daemon
until_gone $M4 && ok "shutdown: what commands left behind goes too" ||
    { not_ok "shutdown: what commands left behind goes too";
      pkill -KILL -fx "sleep $M4"; }
wait
exit 0
