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
	cloister_file "$conf"
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

# hx_as TOKEN COMMAND...: hostexec -q over TCP, as the cloister whose
# token TOKEN is.
hx_as() {
	local tok=$1; shift
	CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
	    CLOISTER_TOKEN=$tok "$HOSTEXEC" -q "$@"
}

# wait_pending_of CLOISTER: print the id of its pending request, as
# guardianctl lists it, once there is one (10 seconds at most).
wait_pending_of() {
	local n=200 id
	while [ "$n" -gt 0 ]; do
		id=$("$GUARDIANCTL" show requests 2>/dev/null |
		    awk -v c="$1" 'NR > 1 && $2 == c { print $1; exit }')
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

# A configuration is two files (DESIGN 6.6): cloister's, CONF, with
# cloister's keys only (request, hostexec with auto_approve,
# manual_approve and one listen address, proxy, ...), and guardiand's
# own beside it, GCONF, with the guardian: section (deny, cloisters,
# limits, env, audit, request_listen and ui_listen for lists and unix
# sockets, ...).  Per project: projects/NAME.yaml (cloister's) and
# guardiand.d/NAME.yaml (guardian: {deny: [...]}).
CONF=$T/config.yaml
GCONF=$T/guardiand.yaml

# gconf [-a] [FILE]: write guardiand.yaml beside FILE (default $CONF)
# from stdin; -a appends to it, as in
#	gconf <<YAML
#	guardian:
#	  deny:
#	    - pattern: "^rm "
#	YAML
gconf() {
	local dir
	if [ "${1:-}" = -a ]; then
		shift
		dir=$(dirname "${1:-$CONF}")
		cat >>"$dir/guardiand.yaml"
	else
		dir=$(dirname "${1:-$CONF}")
		cat >"$dir/guardiand.yaml"
	fi
}

# cloister_accepts FILE [global|project]: whether cloister's own
# configuration code would take FILE (regress/schemacheck.c against
# ../shared/testdata/cloister/schema.txt); prints why not on stderr.
# Status 2 when the schema or the tool is missing.
SCHEMA=$TOP/../shared/testdata/cloister/schema.txt
cloister_accepts() {
	[ -f "$SCHEMA" ] && [ -x "$BIN/regress/schemacheck" ] || return 2
	"$BIN/regress/schemacheck" "$SCHEMA" "${2:-global}" "$1"
}

# cloister_file FILE [global|project]: not ok unless cloister would take
# FILE; silent when it would, or when the schema is not there.
# start_daemon checks its configuration file with it.
cloister_file() {
	cloister_accepts "$1" "${2:-global}" 2>"$T/.schema.err"
	[ $? -eq 1 ] && not_ok "cloister would refuse $1: $(head -3 "$T/.schema.err")"
	return 0
}

# request_conf TIMEOUT: what the request tests share: one cloister, t1,
# its token TOKEN, its worktree WT; requests on 127.0.0.1:RP and on
# SOCK, waiting TIMEOUT at most; UP free for hostexec: to listen on.
# Writes the request: section of CONF and the start of the guardian:
# section of GCONF; the test appends the rest of both (keys of the
# guardian section indented by two spaces: gconf -a).
request_conf() {
	RP=$(free_port); UP=$(free_port)
	SOCK=$T/run/guardiand/request.sock
	TOKEN=t1-token-0123456789abcdef
	WT=$T/wt
	mkdir -p "$WT"
	cat >"$CONF" <<YAML
request:
  timeout: "$1"
YAML
	gconf <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP", "unix:$SOCK"]
YAML
}

# ui_daemon TOKEN: start the approval UI tests' daemon: one cloister,
# alpha (project my-api, worktree $T/wt, TOKEN in a token file), "^echo "
# waiting for approval; sets CONF, RP, UP and UI, start_daemon's
# output in $T/start.  A port free_port found may still be some
# connection's local port: up to three tries.
ui_daemon() {
	local try
	# UI_GCONF: more of guardiand.yaml's guardian: section.
	mkdir -p "$T/wt" "$T/tokens"
	printf '%s\n' "$1" >"$T/tokens/alpha"
	chmod 600 "$T/tokens/alpha"
	for try in 1 2 3; do
		RP=$(free_port); UP=$(free_port)
		UI=http://127.0.0.1:$UP
		cat >"$CONF" <<YAML
request:
  listen: "127.0.0.1:$RP"
  timeout: "60s"
hostexec:
  listen: "127.0.0.1:$UP"
  manual_approve:
    - pattern: "^echo "
YAML
		gconf <<YAML
guardian:
  cloisters:
    - {name: alpha, project: my-api, worktree: "$T/wt", token_file: "$T/tokens/alpha"}
${UI_GCONF:-}
YAML
		start_daemon "$CONF" >"$T/start" && return 0
		grep -q 'Address already in use' "$DLOG" || return 1
	done
	return 1
}

# The shell that sourced us.  A background job killed between its fork
# and its exec can still run this shell's EXIT trap, as a copy of it:
# that copy must not stop the daemon and remove $T for everyone.
LIB_SHELL=$BASHPID
cleanup() {
	[ "$BASHPID" = "$LIB_SHELL" ] || return 0
	stop_daemon
	if [ "$NFAIL" -ne 0 ] && [ -s "$DLOG" ]; then
		note "daemon log:"
		tail -n 40 "$DLOG" | sed 's/^/#   /'
	fi
	rm -rf "$T"
}
trap cleanup EXIT
