#!/usr/bin/env bash
# Liveness (DESIGN 2): a child that is stopped, or that no longer
# answers the parent's pings (frozen), takes the daemon down with the
# reason logged and a STOP record, leaving no process behind; a policy
# check over its time budget is refused, audited, and stalls nothing;
# guardian.ping_timeout must leave room for check_timeout.
. "$(dirname "$0")/../lib.sh"

request_conf 60s
AUDIT=$T/audit.log
A60=$(printf 'a%.0s' $(seq 60))b
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo hi\$"
YAML
# Patterns that backtrack to the matcher's limit on echo aaa...b, each
# some milliseconds (more under the sanitizers).
for i in $(seq 60); do
	echo "    - pattern: \"^echo (a|aa)*x{0,$i}\$\""
done >>"$CONF"
gconf -a <<YAML
  audit:
    file: "$AUDIT"
  ping_timeout: "3s"
  check_timeout: "100ms"
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML

# gone PIDS: none of them is left.
gone() {
	local p
	for p in $1; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}

# --- A policy check over its budget: refused, said, audited; the
# daemon goes on.
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
out=$(hx_as "$TOKEN" echo "$A60" 2>&1); rc=$?
[ $rc -eq 1 ] && printf '%s\n' "$out" |
    grep -q 'policy check took longer than its budget of 100ms' &&
    ok "a check over its budget: refused, hostexec says why" ||
    not_ok "a check over its budget: refused (rc $rc: $out)"
grep -q 'HOSTEXEC DENY .*reason="the policy check ran over its time budget"' \
    "$AUDIT" && ok "a check over its budget: audited as DENY" ||
    not_ok "a check over its budget: audited as DENY"
out=$(hx_as "$TOKEN" echo hi 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = hi ] && ok "the next check is answered as before" ||
    not_ok "the next check is answered as before (rc $rc: $out)"
! grep -q 'not answering' "$DLOG" && ok "no child taken for silent meanwhile" ||
    not_ok "no child taken for silent meanwhile"
stop_daemon

# --- A stopped child: the daemon exits at once, saying which.
for role in policy ui; do
	: >"$AUDIT"
	start_daemon "$CONF" || { not_ok "start for $role"; continue; }
	pid=$(child_pid "$role")
	pids="$DPID $(pgrep -P "$DPID" | tr '\n' ' ')"
	kill -STOP "$pid"
	if wait_exit "$DPID" 20; then
		[ "$RC" -ne 0 ] && ok "stopped $role child: daemon exits non-zero" ||
		    not_ok "stopped $role child: daemon exits non-zero"
	else
		not_ok "stopped $role child: daemon exits"
		kill -CONT "$pid"
		stop_daemon
	fi
	DPID=
	grep -q "$role child (pid $pid) stopped by signal 19" "$DLOG" &&
	    ok "stopped $role child: reason logged" ||
	    not_ok "stopped $role child: reason logged"
	grep -q 'HOSTEXEC STOP reason="child stopped"' "$AUDIT" &&
	    ok "stopped $role child: STOP record" ||
	    not_ok "stopped $role child: STOP record ($(tail -1 "$AUDIT"))"
	gone "$pids" && ok "stopped $role child: no process left" ||
	    not_ok "stopped $role child: no process left"
done

# --- A child that no longer answers, though not stopped (a frozen
# cgroup): after ping_timeout, the fault, with how long it was silent.
FRZ=/sys/fs/cgroup/freezer
if [ ! -w "$FRZ" ] || ! mkdir "$FRZ/guardiand-test.$$" 2>/dev/null; then
	note "skip: no cgroup freezer here"
else
	trap 'echo THAWED >"$FRZ/guardiand-test.$$/freezer.state" 2>/dev/null;
	    rmdir "$FRZ/guardiand-test.$$" 2>/dev/null; cleanup' EXIT
	: >"$AUDIT"
	start_daemon "$CONF" || { not_ok "start for a frozen child"; exit 1; }
	pid=$(child_pid request)
	pids="$DPID $(pgrep -P "$DPID" | tr '\n' ' ')"
	echo "$pid" >"$FRZ/guardiand-test.$$/tasks"
	echo FROZEN >"$FRZ/guardiand-test.$$/freezer.state"
	if wait_exit "$DPID" 30; then
		[ "$RC" -ne 0 ] && ok "frozen request child: daemon exits non-zero" ||
		    not_ok "frozen request child: daemon exits non-zero"
	else
		not_ok "frozen request child: daemon exits"
		stop_daemon
	fi
	DPID=
	echo THAWED >"$FRZ/guardiand-test.$$/freezer.state"
	line=$(grep -o "request child (pid $pid) not answering: silent for [0-9.]*s" "$DLOG")
	secs=${line##*silent for }; secs=${secs%%.*}
	[ -n "$line" ] && [ "$secs" -ge 3 ] &&
	    ok "frozen request child: '$line'" ||
	    not_ok "frozen request child: role and silence logged ($line)"
	grep -q 'HOSTEXEC STOP reason="child not answering"' "$AUDIT" &&
	    ok "frozen request child: STOP record" ||
	    not_ok "frozen request child: STOP record ($(tail -1 "$AUDIT"))"
	n=100
	until gone "$pids" || [ $n -eq 0 ]; do sleep 0.1; n=$((n - 1)); done
	gone "$pids" && ok "frozen request child: no process left once thawed" ||
	    not_ok "frozen request child: no process left once thawed"
fi

# --- The timeouts are checked where they are read.
mkdir -p "$T/bad"
cp "$CONF" "$T/bad/config.yaml"
cat >"$T/bad/guardiand.yaml" <<YAML
guardian:
  check_timeout: "2s"
  ping_timeout: "3s"
YAML
out=$("$GUARDIAND" -n -f "$T/bad/config.yaml" 2>&1); rc=$?
[ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q "guardiand.yaml:3: .guardian.ping_timeout. must be at least twice .guardian.check_timeout." &&
    ok "ping_timeout shorter than twice check_timeout: file:line error" ||
    not_ok "ping_timeout shorter than twice check_timeout (rc $rc: $out)"
printf 'guardian:\n  ping_timeout: "0"\n' >"$T/bad/guardiand.yaml"
out=$("$GUARDIAND" -n -f "$T/bad/config.yaml" 2>&1); rc=$?
[ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q "guardiand.yaml:2: .guardian.ping_timeout. must not be 0" &&
    ok "ping_timeout 0: refused" || not_ok "ping_timeout 0: refused (rc $rc: $out)"
exit 0
