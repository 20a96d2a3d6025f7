#!/usr/bin/env bash
# No command outlives its request or the daemon, and the parent never
# forks while it serves.  With commands running (one that ignores
# SIGTERM, one that left a setsid daemon behind) and a request
# pending, each fault in turn: kill -9 of the parent, of the spawner,
# of every other child, SIGTERM of the daemon; then no process of any
# command is left, and after a restart every request has exactly one
# closing record.  A stopped command's whole tree goes, its first
# process gone or not; as root, one that tries to leave its cgroup
# goes too.  Run as root (cgroups), then as nobody (the spawner
# tracks commands as their subreaper).
. "$(dirname "$0")/../lib.sh"

# marked M: the pids of processes running "sleep M", or a shell whose
# command holds it (the clients, which carry it too, start otherwise).
marked() {
	pgrep -f -- "^(sleep $1|sh -c .*sleep $1)"
}
# until_none M...: wait (30 s at most) until no process holds a marker.
until_none() {
	local n=300 m left
	while :; do
		left=
		for m in "$@"; do left="$left$(marked "$m")"; done
		[ -z "$left" ] && return 0
		[ $n -eq 0 ] && return 1
		sleep 0.1; n=$((n - 1))
	done
}
until_some() {
	local n=300
	until [ -n "$(marked "$1")" ] || [ $n -eq 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	[ -n "$(marked "$1")" ]
}
reap_marked() {
	local m
	for m in "$@"; do marked "$m" | xargs -r kill -KILL 2>/dev/null; done
}
# until_gone PID...: wait (30 s at most) for processes to be gone or
# zombies.
until_gone() {
	local n=300 p left
	while :; do
		left=
		for p in "$@"; do
			[ -d "/proc/$p" ] &&
			    ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null &&
			    left=1
		done
		[ -z "$left" ] && return 0
		[ $n -eq 0 ] && return 1
		sleep 0.1; n=$((n - 1))
	done
}

# closings: request ids without exactly one closing record (DESIGN 6.7).
closings() {
	awk '
	$2 != "HOSTEXEC" || $4 !~ /^id=/ { next }
	$3 == "AUTH_FAIL" { next }
	{ id = substr($4, 4); seen[id] = 1 }
	$3 ~ /^(COMPLETE|DENY|TIMEOUT|SPAWN_FAIL|BUSY|ABORT)$/ ||
	    ($3 == "CANCEL" && $0 !~ / state=running/) { closed[id]++ }
	END { for (id in seen) if (closed[id] != 1)
		printf "%s:%d ", id, closed[id] }' "$1"
}

M=$((10000 + RANDOM % 20000))
mark() { M=$((M + 1)); echo "$M"; }

# setup USER EXEC_TIMEOUT: the daemon's configuration, run as USER.
setup() {
	local u=$1 d=$T/$1
	mkdir -p "$d/home" "$d/run" "$d/state" "$d/config" "$d/wt"
	chmod 700 "$d/run"
	export HOME=$d/home XDG_RUNTIME_DIR=$d/run XDG_STATE_HOME=$d/state
	export XDG_CONFIG_HOME=$d/config
	CONF=$d/config/config.yaml
	WT=$d/wt
	AUD=$d/audit.log
	RP=$(free_port); UP=$(free_port)
	TOKEN=t1-token-0123456789abcdef
	cat >"$CONF" <<YAML
request:
  timeout: "120s"
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^sh -c "
    - pattern: "^true$"
  manual_approve:
    - pattern: "^echo "
YAML
	gconf <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP"]
  exec_timeout: "$2"
  audit: {file: "$AUD"}
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML
	if [ "$u" = "$(id -un)" ]; then
		GUARDIAND=$BIN/guardiand-test
		return
	fi
	chmod 711 "$T"
	chown -R "$u:" "$d"
	mkdir -p "$T/bin"
	cp "$BIN/guardiand-test" "$T/bin/"
	chmod 755 "$T/bin" "$T/bin/guardiand-test"
	printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups %s "$@"\n' \
	    "$(id -u "$u")" "$(id -g "$u")" "$T/bin/guardiand-test" >"$T/bin/gd"
	chmod 755 "$T/bin/gd"
	GUARDIAND=$T/bin/gd
}

# start: the daemon, with two commands running and a request pending;
# sets MA (ignores SIGTERM), MB (a setsid daemon, orphaned, ignoring
# it) and MC (the command that left it, still running).
start() {
	start_daemon "$CONF" || return 1
	MA=$(mark) MB=$(mark) MC=$(mark)
	hx_as "$TOKEN" sh -c "trap '' TERM; sleep $MA" >/dev/null 2>&1 &
	hx_as "$TOKEN" sh -c "(setsid sh -c 'trap \"\" TERM; sleep $MB' \
	    </dev/null >/dev/null 2>&1 &); exec sleep $MC" >/dev/null 2>&1 &
	hx_as "$TOKEN" echo "pending-$MA" >/dev/null 2>&1 &
	until_some "$MA" && until_some "$MB" && until_some "$MC" &&
	    wait_log "PENDING .*pending-$MA" 30
}

# fault WHAT: kill -9 of the parent or of a child, or SIGTERM; then
# no command's process is left.
fault() {
	local what=$1 kids pid rc
	start || { not_ok "$MODE, $what: commands running, a request pending"; return; }
	kids=$(pgrep -P "$DPID" | tr '\n' ' ')
	case $what in
	parent)	kill -KILL "$DPID" ;;
	term)	kill -TERM "$DPID" ;;
	*)	pid=$(child_pid "$what") && kill -KILL "$pid" ||
		    { not_ok "$MODE: no $what child"; return; } ;;
	esac
	if wait_exit "$DPID" 30; then
		rc=$RC
		case $what in
		parent)	;;
		term)	[ "$rc" -eq 0 ] && ok "$MODE, SIGTERM: exit status 0" ||
			    not_ok "$MODE, SIGTERM: exit status 0 (got $rc)" ;;
		*)	[ "$rc" -ne 0 ] &&
			    ok "$MODE, kill -9 $what: the daemon exits non-zero" ||
			    not_ok "$MODE, kill -9 $what: the daemon exits non-zero" ;;
		esac
	else
		not_ok "$MODE, $what: the daemon exits"
		kill -KILL "$DPID"
	fi
	DPID=
	until_none "$MA" "$MB" "$MC" &&
	    ok "$MODE, $what: no process of any command is left" ||
	    { not_ok "$MODE, $what: no process of any command is left" \
		"($(marked "$MA") $(marked "$MB") $(marked "$MC"))"
	      reap_marked "$MA" "$MB" "$MC"; }
	# shellcheck disable=SC2086
	until_gone $kids ||
	    not_ok "$MODE, $what: the children are gone ($kids)"
	# The clients, and the reader of the daemon's stderr.
	jobs -p | xargs -r kill 2>/dev/null
	wait
}

# stopped HOW: a command whose first process exits on SIGTERM while
# another member ignores it is stopped whole (the client cancels, or
# exec_timeout).
stopped() {
	local m hx
	m=$(mark)
	hx_as "$TOKEN" sh -c "(trap '' TERM; exec sleep $m) & wait" \
	    >/dev/null 2>&1 &
	hx=$!
	until_some "$m" || { not_ok "$MODE, $1: the command runs"; return; }
	[ "$1" = cancel ] && kill -TERM "$hx"
	wait "$hx" 2>/dev/null
	until_none "$m" &&
	    ok "$MODE, $1: the member that ignores SIGTERM is killed too" ||
	    { not_ok "$MODE, $1: the member that ignores SIGTERM is killed too";
	      reap_marked "$m"; }
}

# suite USER: everything, with the daemon running as USER.
suite() {
	MODE=$1
	setup "$1" 300s
	for f in parent spawner policy request ui term; do
		fault "$f"
	done

	setup "$1" 3s
	start_daemon "$CONF" || { not_ok "$MODE: daemon restarts"; return; }
	if [ "$MODE" = root ]; then
		grep -q 'spawner: commands: a cgroup each under .*cgroup.kill, in a cgroup namespace of their own' "$DLOG" &&
		    ok "$MODE: says commands get cgroups" ||
		    not_ok "$MODE: says commands get cgroups"
	else
		grep -q 'spawner: commands: no cgroup v2 subtree of ours .*subreaper' "$DLOG" &&
		    ok "$MODE: says the spawner tracks commands" ||
		    not_ok "$MODE: says the spawner tracks commands"
	fi
	stopped cancel
	stopped exec_timeout

	# A command ends, leaving a setsid process: it goes with it.
	m=$(mark)
	out=$(hx_as "$TOKEN" sh -c "setsid sh -c 'sleep $m' </dev/null \
	    >/dev/null 2>&1 & echo left"); rc=$?
	[ "$rc" -eq 0 ] && [ "$out" = left ] &&
	    ok "$MODE: a command leaves a setsid process, and ends" ||
	    not_ok "$MODE: a command leaves a setsid process ($rc: $out)"
	until_none "$m" &&
	    ok "$MODE: what it left goes when its request ends" ||
	    { not_ok "$MODE: what it left goes when its request ends";
	      reap_marked "$m"; }

	if [ "$MODE" = root ]; then
		escape
		notrace
	fi
	stop_daemon
	# The ABORTs of what was open are written at a start.
	start_daemon "$CONF" || not_ok "$MODE: daemon restarts"
	stop_daemon
	bad=$(closings "$AUD")
	n=$(grep -c ' HOSTEXEC REQUEST ' "$AUD")
	[ -z "$bad" ] && [ "$n" -ge 20 ] &&
	    ok "$MODE: every request ($n) has exactly one closing record" ||
	    not_ok "$MODE: closing records: $bad (requests: $n)"
	grep -q ' HOSTEXEC ABORT ' "$AUD" && ok "$MODE: ABORT records" ||
	    not_ok "$MODE: ABORT records"
}

# As root, a command that tries to leave its cgroup for an ancestor
# stays in it, and goes with it.
escape() {
	local cg2 own m hx pid
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	own=$(sed -n 's/^0:://p' "/proc/$DPID/cgroup")
	m=$(mark)
	hx_as "$TOKEN" sh -c "for d in '$cg2' '$cg2$own'; do
	    echo \$\$ >\"\$d/cgroup.procs\" 2>/dev/null; done
	    trap '' TERM; exec sleep $m" >/dev/null 2>&1 &
	hx=$!
	until_some "$m" || { not_ok "root: the escaping command runs"; return; }
	pid=$(marked "$m" | head -1)
	# Only nsdelegate makes a cgroup namespace a boundary for root.
	if awk '$3 == "cgroup2" && $4 ~ /nsdelegate/ { f = 1 } END { exit !f }' \
	    /proc/mounts; then
		grep -q "^0::.*/guardiand-commands\.[0-9]*/c[0-9]*\$" \
		    "/proc/$pid/cgroup" &&
		    ok "root: a command cannot move itself out of its cgroup" ||
		    not_ok "root: a command cannot move itself out of its" \
			"cgroup ($(grep ^0:: "/proc/$pid/cgroup"))"
	else
		grep -q 'not mounted nsdelegate: one that leaves its cgroup is tracked' \
		    "$DLOG" &&
		    ok "root: says a command may leave its cgroup (no nsdelegate)" ||
		    not_ok "root: says a command may leave its cgroup (no nsdelegate)"
	fi
	kill -TERM "$hx"
	wait "$hx" 2>/dev/null
	until_none "$m" && ok "root: ... and is killed with it" ||
	    { not_ok "root: ... and is killed with it"; reap_marked "$m"; }
}

# The parent's event loop makes no process while it serves requests:
# strace of its (only) thread, not following children.
notrace() {
	local st=$T/strace.out sp i n=300
	command -v strace >/dev/null ||
	    { echo "ok - # SKIP strace is not installed"; return; }
	strace -p "$DPID" -o "$st" 2>"$T/strace.err" &
	sp=$!
	while [ $n -gt 0 ] && ! grep -q attached "$T/strace.err"; do
		sleep 0.1; n=$((n - 1))
	done
	for i in 1 2 3 4; do
		hx_as "$TOKEN" true ||
		    not_ok "root, traced: an auto-approved request runs"
	done
	kill -INT "$sp"; wait "$sp" 2>/dev/null
	grep -q 'sendmsg(' "$st" &&
	    ok "root, traced: the parent passed the output pipes on" ||
	    not_ok "root, traced: the parent passed the output pipes on"
	grep -Eq '^(clone|clone3|fork|vfork)\(' "$st" &&
	    not_ok "root, traced: the parent forked: $(grep -E '^(clone|clone3|fork|vfork)\(' "$st" | head -3)" ||
	    ok "root, traced: no clone, clone3, fork or vfork in the parent"
}

if [ "$(id -u)" = 0 ]; then
	suite root
	command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 &&
	    suite nobody ||
	    echo "ok - # SKIP setpriv(1) or the user nobody is missing"
else
	suite "$(id -un)"
fi
exit 0
