#!/usr/bin/env bash
# What a child gets from the parent: no environment but what the build
# passes on purpose, /dev/null for stdin, stdout and stderr, no secret
# of the parent in its memory; and what its log text can do to the
# daemon's log: nothing, every byte it sends arrives escaped.
. "$(dirname "$0")/../lib.sh"

RP=$(free_port); UP=$(free_port)
CONF=$T/config.yaml
cat >"$CONF" <<YAML
request:
  listen: "127.0.0.1:$RP"
hostexec:
  listen: "127.0.0.1:$UP"
YAML

# A sanitizer build (make sanitize) passes its children what its
# runtime needs besides the test hooks' variables.
san=0
ldd "$GUARDIAND" 2>/dev/null | grep -q libasan && san=1

# mem_holds PID STRING: STRING is somewhere in the process's memory,
# read through /proc/PID/mem range by range (root only: the children
# are not dumpable).  Ranges over 1 GiB are ASan's shadow, and
# [vsyscall] lies beyond any offset: neither holds data of ours.
mem_holds() {
	local pid=$1 s=$2 range perms rest start end
	while read -r range perms rest; do
		case $perms in r*) ;; *) continue ;; esac
		start=$((16#${range%-*})); end=$((16#${range#*-}))
		[ "$start" -ge 0 ] && [ $((end - start)) -le $((1 << 30)) ] ||
			continue
		dd if="/proc/$pid/mem" bs=64K iflag=skip_bytes,count_bytes \
		    skip="$start" count=$((end - start)) 2>/dev/null |
		    grep -qaF -- "$s" && return 0
	done <"/proc/$pid/maps"
	return 1
}

# A child's log text with what could forge or hide a record: a line
# break then a fake audit record, CR, backspace, an ANSI colour, a
# right-to-left override (U+202E), DEL and a byte >= 0x80 alone.
EVIL=$'<<begin\nHOSTEXEC APPROVE id=forged user="alice"\rCR\bBS\e[31mESC\xe2\x80\xaeRLO\x7f\xff end>>'

canary=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
: >"$DLOG"
GUARDIAND_SECRET_CANARY=$canary GUARDIAND_TEST_ENVIRON=1 \
    GUARDIAND_TEST_LOG="request:$EVIL" EVENT_NOEPOLL=1 \
    spawn_daemon -d -v -f "$CONF"
wait_log 'ready: ' 10 || { not_ok "daemon starts"; sed 's/^/#   /' "$DLOG"
	exit 1; }
ok "daemon starts"

# Environment: the test hook makes every child log the names it has.
want="GUARDIAND_TEST_ENVIRON GUARDIAND_TEST_LOG"
[ "$san" = 1 ] && want="ASAN_OPTIONS $want"
[ "$san" = 1 ] && [ -n "${GUARDIAND_SANITIZER_DIR:-}" ] &&
    want="$want GUARDIAND_SANITIZER_DIR"
want=$(tr ' ' '\n' <<<"$want" | sort | paste -sd' ')
for role in spawner policy request ui; do
	wait_log "$role: test hook: environment:" 10
	have=$(grep -a "$role: test hook: environment:" "$DLOG" | head -1 |
	    sed 's/.*environment://' | tr ' ' '\n' | grep . | sort |
	    paste -sd' ')
	[ "$have" = "$want" ] &&
	    ok "$role child: environment holds only $want" ||
	    not_ok "$role child: environment holds only $want (has: $have)"
done

# An empty environment leaves libevent its default backend: a variable
# meant for the parent's libevent no longer reaches the children.
for role in spawner policy request ui; do
	grep -aq "$role: event backend: epoll" "$DLOG" &&
	    ok "$role child: libevent uses epoll despite EVENT_NOEPOLL" ||
	    not_ok "$role child: libevent uses epoll despite EVENT_NOEPOLL"
done

# stdin, stdout, stderr: /dev/null; in the sanitizer build stderr is
# the child's own report file.
for role in spawner policy request ui; do
	pid=$(child_pid "$role") || { not_ok "$role child exists"; continue; }
	for fd in 0 1 2; do
		fdwant=/dev/null
		[ "$fd" = 2 ] && [ "$san" = 1 ] &&
		    [ -n "${GUARDIAND_SANITIZER_DIR:-}" ] &&
		    fdwant=$GUARDIAND_SANITIZER_DIR/$role.$pid.log
		l=$(readlink "/proc/$pid/fd/$fd")
		[ "$l" = "$fdwant" ] && ok "$role child: fd $fd is $fdwant" ||
		    not_ok "$role child: fd $fd is $fdwant (is $l)"
	done
done

# The secret the parent was started with is in the parent's memory
# (so the search works) and in no sandboxed child's (the spawner gets
# the commands' environment, which holds the parent's unless
# guardian.env.pass says otherwise).
if [ "$(id -u)" = 0 ]; then
	mem_holds "$DPID" "$canary" &&
	    ok "the parent's memory holds its environment's secret" ||
	    not_ok "the parent's memory holds its environment's secret"
	for role in policy request ui; do
		pid=$(child_pid "$role") || continue
		! mem_holds "$pid" "$canary" &&
		    ok "$role child: no secret of the parent in its memory" ||
		    not_ok "$role child: the parent's secret is in its memory"
	done
else
	note "not root: children's memory not searched"
fi

# The child's text, once before its event loop runs and once from
# inside the sandbox: each on one line, every dangerous byte escaped.
for when in start sandboxed; do
	wait_log "request: test hook: log at $when: " 10
	n=$(grep -ac "test hook: log at $when: " "$DLOG")
	line=$(grep -a "test hook: log at $when: " "$DLOG" | head -1)
	[ "$n" = 1 ] && [[ $line == *"<<begin"*"end>>" ]] &&
	    ok "log text at $when: one record, one line" ||
	    not_ok "log text at $when: one record, one line ($n: $line)"
	# Written by the parent, which got it over the channel.
	[[ $line == "parent: request: test hook: log at $when: "* ]] &&
	    ok "log text at $when: came over the channel" ||
	    not_ok "log text at $when: came over the channel ($line)"
	esc='<<begin\nHOSTEXEC APPROVE id=forged user="alice"\rCR\bBS\033[31mESC\342\200\256RLO\177\377 end>>'
	[[ $line == *"$esc"* ]] && ok "log text at $when: escaped" ||
	    not_ok "log text at $when: escaped (got: $line)"
done
grep -aq '^HOSTEXEC' "$DLOG" && not_ok "a child forged a log line" ||
    ok "no forged log line"
for b in CR:$'\r' BS:$'\b' ESC:$'\e' DEL:$'\x7f' U+202E:$'\xe2\x80\xae' \
    0xff:$'\xff'; do
	LC_ALL=C grep -aqF -- "${b#*:}" "$DLOG" &&
	    not_ok "a raw ${b%%:*} in the daemon's log" ||
	    ok "no raw ${b%%:*} in the daemon's log"
done
stop_daemon

# Sanitizer build: a child's report goes to its own file, from inside
# the sandbox, and the daemon goes down saying the child died.
if [ "$san" = 1 ]; then
	for spec in request:heap policy:undefined; do
		role=${spec%%:*}
		rm -rf "$T/san"; mkdir -p "$T/san"
		: >"$DLOG"
		GUARDIAND_SANITIZER_DIR=$T/san GUARDIAND_TEST_FAULT=$spec \
		    spawn_daemon -d -f "$CONF"
		if wait_exit "$DPID" 20; then
			pid=$(sed -n "s/.*$role child (pid \([0-9]*\)) exited.*/\1/p" \
			    "$DLOG" | head -1)
			f=$T/san/$role.$pid.log
			case ${spec#*:} in
			heap) re='ERROR: AddressSanitizer: heap-buffer-overflow' ;;
			*) re='runtime error: ' ;;
			esac
			[ -n "$pid" ] && grep -q "$re" "$f" 2>/dev/null &&
			    ok "$spec: the report is in $role.PID.log" ||
			    not_ok "$spec: the report is in $role.PID.log ($(ls "$T/san"))"
		else
			not_ok "$spec: daemon still up"
			stop_daemon
		fi
		DPID=
	done
fi
exit 0
