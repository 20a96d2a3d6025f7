# Shared by the integration tests: start the real daemon on a scratch
# configuration, talk to it, report "ok - ..." / "not ok - ...".
set -u
: "${BIN:?run through regress/run.sh or set BIN to the build directory}"
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
O=${O:-build}
GUARDIAND=${GUARDIAND:-$BIN/guardiand-test}
HOSTEXEC=${HOSTEXEC:-$BIN/hostexec}
GUARDIANCTL=${GUARDIANCTL:-$BIN/guardianctl}

T=$(mktemp -d "${TMPDIR:-/tmp}/guardiand-test.XXXXXX")
chmod 700 "$T"
export HOME=$T/home XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state
export XDG_CONFIG_HOME=$T/config
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME"
chmod 700 "$XDG_RUNTIME_DIR"
DPID=
DLOG=$T/daemon.log
NFAIL=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; NFAIL=$((NFAIL + 1)); }
note() { echo "# $*"; }

# check DESC COMMAND...: ok if the command succeeds.
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# A TCP port nobody listens on, never the same twice in one test (the
# caller runs in a subshell, so the ports handed out live in a file).
free_port() {
	local p
	while :; do
		# Below the kernel's range for outgoing connections.
		p=$((20000 + RANDOM % 12000))
		grep -qx "$p" "$T/.ports" 2>/dev/null && continue
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && continue
		echo "$p" >>"$T/.ports"
		echo "$p"
		return
	done
}

# start_daemon CONF [args...]: start guardiand -d, wait for "ready".
# stderr goes through a pipe: children must never write a file.
start_daemon() {
	local conf=$1; shift
	: >"$DLOG"
	spawn_daemon -d -f "$conf" "$@"
	wait_log 'ready: ' 10 || { note "daemon did not start:";
		sed 's/^/#   /' "$DLOG"; return 1; }
}

# spawn_daemon ARGS...: guardiand in the background, its stderr through
# a fifo into $DLOG (a child of ours, not of the daemon); sets DPID.
spawn_daemon() {
	rm -f "$T/stderr.fifo"
	mkfifo "$T/stderr.fifo"
	cat "$T/stderr.fifo" >>"$DLOG" &
	"$GUARDIAND" "$@" 2>"$T/stderr.fifo" &
	DPID=$!
}

# wait_log REGEX SECONDS: wait for a line in the daemon's log.
wait_log() {
	local re=$1 n=$(( ${2:-10} * 20 ))
	while [ "$n" -gt 0 ]; do
		grep -Eq -- "$re" "$DLOG" 2>/dev/null && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

# wait_exit PID SECONDS: wait for our background daemon to end; sets RC.
wait_exit() {
	local pid=$1 n=$(( ${2:-10} * 20 ))
	while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.05; n=$((n - 1))
	done
	kill -0 "$pid" 2>/dev/null && return 1
	wait "$pid" 2>/dev/null
	RC=$?
	return 0
}

stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait_exit "$DPID" 10 || kill -KILL "$DPID" 2>/dev/null
	DPID=
}

# Children of the daemon, by role.
child_pid() {
	local role=$1 p
	for p in $(pgrep -P "$DPID"); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
		    grep -q -- "$role"; then
			echo "$p"; return 0
		fi
	done
	return 1
}

cleanup() {
	stop_daemon
	if [ "$NFAIL" -ne 0 ] && [ -s "$DLOG" ]; then
		note "daemon log:"
		tail -n 40 "$DLOG" | sed 's/^/#   /'
	fi
	rm -rf "$T"
}
trap cleanup EXIT
