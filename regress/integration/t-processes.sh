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
[ "$kids" -eq 4 ] && ok "parent has 4 children" ||
    not_ok "parent has 4 children (has $kids)"

# idline Uid|Gid N STATUS: real, effective, saved and fs ids are all N.
idline() {
	grep -Eq "^$1:([[:space:]]+$2){4}\$" "$3"
}

# ids ROLE PID USER: the child runs as USER, never root, with no
# capability left.
ids() {
	local role=$1 st=/proc/$2/status uid gid c
	uid=$(id -u "$3"); gid=$(id -g "$3")
	[ "$uid" -ne 0 ] && [ "$gid" -ne 0 ] ||
	    { not_ok "$role child: $3 is not root ($uid:$gid)"; return; }
	idline Uid "$uid" "$st" && idline Gid "$gid" "$st" &&
	    ok "$role child runs as $3 ($uid:$gid)" ||
	    not_ok "$role child runs as $3 ($(grep -E '^[UG]id:' "$st" |
		tr '\n\t' '  '))"
	for c in CapInh CapPrm CapEff CapAmb; do
		grep -Eq "^$c:[[:space:]]+0+$" "$st" &&
		    ok "$role child: $c empty" ||
		    not_ok "$role child: $c empty ($(grep "^$c:" "$st"))"
	done
}

# Root's children are nobody's unless guardian.user says otherwise.
if [ "$(id -u)" = 0 ]; then
	kiduser=nobody
	grep -q 'children run as nobody (uid [0-9]*, gid [0-9]*)' "$DLOG" &&
	    ok "started as root: says the children run as nobody" ||
	    not_ok "started as root: says the children run as nobody"
else
	kiduser=$(id -un)
fi
for role in policy request ui; do
	pid=$(child_pid "$role") || { not_ok "$role child exists"; continue; }
	ok "$role child exists (pid $pid)"
	st=/proc/$pid/status
	ids "$role" "$pid" "$kiduser"
	if [ "$(id -u)" = 0 ]; then
		root=$(readlink "/proc/$pid/root")
		[ "$root" != / ] && [ -z "$(ls -A "$root" 2>/dev/null)" ] &&
		    ok "$role child chrooted to empty $root" ||
		    not_ok "$role child chrooted ($root)"
	fi
	check "$role child: Seccomp: 2" grep -Eq '^Seccomp:[[:space:]]+2$' "$st"
	check "$role child: NoNewPrivs: 1" \
	    grep -Eq '^NoNewPrivs:[[:space:]]+1$' "$st"
	lim=/proc/$pid/limits
	for l in 'Max processes' 'Max core file size'; do
		check "$role child: $l is 0" \
		    grep -Eq "^$l +0 +0 " "$lim"
	done
	# The sanitizer build's children write their reports to a file.
	fsize=0; sanlog=
	if grep -q libasan "/proc/$pid/maps"; then
		fsize=16777216; sanlog=${GUARDIAND_SANITIZER_DIR:-}
	fi
	check "$role child: Max file size is $fsize" \
	    grep -Eq "^Max file size +$fsize +$fsize " "$lim"
	check "$role child: named in ps" \
	    bash -c "ps -o args= -p $pid | grep -q '$role'"
	# Nothing open but stdio, the channel, sockets and event fds (and
	# the sanitizer build's report file).
	files=$(for f in /proc/$pid/fd/*; do
		case $f in */0|*/1|*/2) continue ;; esac; readlink "$f"; done |
	    grep '^/' | grep -v '^/dev/null$' |
	    grep -vx "${sanlog:-/nonexistent}/$role\.$pid\.log")
	[ -z "$files" ] && ok "$role child: no files open" ||
	    not_ok "$role child: no files open (has: $files)"
done
check "ps names the parent" bash -c "ps -o args= -p $DPID | grep -q parent"

# The spawner is not sandboxed (it runs commands as the daemon's user),
# but it starts like the others: /dev/null for stdio, nothing open but
# its channel, event fds and its own image.
pid=$(child_pid spawner) && ok "spawner child exists (pid $pid)" ||
    not_ok "spawner child exists"
if [ -n "$pid" ]; then
	st=/proc/$pid/status
	[ "$(awk '/^Uid:/ { print $3 }' "$st")" = "$(id -u)" ] &&
	    ok "spawner child keeps the daemon's uid" ||
	    not_ok "spawner child keeps the daemon's uid"
	check "spawner child: named in ps" \
	    bash -c "ps -o args= -p $pid | grep -q spawner"
	check "spawner child: no seccomp filter" \
	    grep -Eq '^Seccomp:[[:space:]]+0$' "$st"
	sanlog=
	grep -q libasan "/proc/$pid/maps" && sanlog=${GUARDIAND_SANITIZER_DIR:-}
	files=$(for f in /proc/$pid/fd/*; do
		case $f in */0|*/1|*/2) continue ;; esac; readlink "$f"; done |
	    grep "^/" | grep -v "^/dev/null$" |
	    grep -vx "${sanlog:-/nonexistent}/spawner\.$pid\.log")
	[ -z "$files" ] && ok "spawner child: no files open" ||
	    not_ok "spawner child: no files open (has: $files)"
fi

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
for role in spawner policy request ui; do
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

# user_conf USER DIR: the configuration in DIR, with guardian.user: USER;
# DIR/config.yaml is the file to start with.
user_conf() {
	mkdir -p "$2"
	cp "$CONF" "$2/config.yaml"
	{ cat "$GCONF"; echo "  user: $1"; } >"$2/guardiand.yaml"
}

# Started as root with guardian.user: children chroot and become that
# user; a user that does not exist, or is root, and the daemon refuses
# to start, as it does without guardian.user when there is no nobody.
if [ "$(id -u)" = 0 ]; then
	guser=$(awk -F: '$3 != 0 && $4 != 0 && $1 != "nobody" &&
	    $1 ~ /^[a-z_][a-z0-9_-]*$/ { print $1; exit }' /etc/passwd)
	user_conf "$guser" "$T/user"
	if [ -z "$guser" ]; then
		note "no user but root and nobody: guardian.user not tried"
	elif start_daemon "$T/user/config.yaml"; then
		grep -q "children run as $guser (uid" "$DLOG" &&
		    ok "guardian.user: says the children run as $guser" ||
		    not_ok "guardian.user: says the children run as $guser"
		for role in policy request ui; do
			pid=$(child_pid "$role")
			ids "guardian.user: $role" "$pid" "$guser"
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

	for u in no-such-user-here root; do
		user_conf "$u" "$T/bad"
		out=$(timeout 10 "$GUARDIAND" -d -f "$T/bad/config.yaml" 2>&1 </dev/null)
		rc=$?
		case $u in
		root) want="guardian.user: root has uid 0, gid 0: the children never" ;;
		*) want="guardian.user: no user $u" ;;
		esac
		[ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -qF "$want" &&
		    ok "guardian.user: $u refused" ||
		    not_ok "guardian.user: $u refused (rc $rc: $out)"
	done

	# No nobody, in a mount namespace of our own: /etc/passwd without
	# it, and only files to look users up in (nss-systemd makes one up).
	awk -F: '$1 != "nobody"' /etc/passwd >"$T/passwd"
	sed 's/^passwd:.*/passwd: files/' /etc/nsswitch.conf >"$T/nsswitch.conf"
	out=$(timeout 10 unshare -m sh -c 'mount --bind "$1" /etc/passwd &&
	    mount --bind "$2" /etc/nsswitch.conf &&
	    ! getent passwd nobody >/dev/null || exit 99
	    exec "$3" -d -f "$4"' sh "$T/passwd" "$T/nsswitch.conf" \
	    "$GUARDIAND" "$CONF" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq 99 ]; then
		note "cannot hide nobody here: its absence not tried"
	else
		[ "$rc" -eq 1 ] && printf '%s\n' "$out" |
		    grep -qF "there is no user nobody, set guardian.user" &&
		    ok "root, no guardian.user, no nobody: refuses to start" ||
		    not_ok "root, no guardian.user, no nobody: refuses ($rc: $out)"
	fi
fi

# Not started as root, the daemon stays the user it is, but its
# children shed any capability it was given (an ambient one here,
# which would otherwise survive their exec).
if [ "$(id -u)" = 0 ] && [ -n "$guser" ] && command -v setpriv >/dev/null; then
	U=$(mktemp -d "${TMPDIR:-/tmp}/guardiand-user.XXXXXX")
	mkdir -p "$U/run" "$U/home" "$U/state" "$U/config"
	cat >"$U/config.yaml" <<YAML
request:
  listen: "127.0.0.1:$(free_port)"
hostexec:
  listen: "127.0.0.1:$(free_port)"
YAML
	cat >"$U/as-user" <<SH
#!/bin/sh
exec setpriv --reuid=$guser --regid=$guser --clear-groups \\
    --inh-caps=+net_bind_service --ambient-caps=+net_bind_service -- \\
    env HOME=$U/home XDG_RUNTIME_DIR=$U/run XDG_STATE_HOME=$U/state \\
    XDG_CONFIG_HOME=$U/config "$GUARDIAND" "\$@"
SH
	chmod 755 "$U" "$U/as-user"
	chmod 700 "$U/run"
	chown -R "$guser:" "$U/run" "$U/home" "$U/state" "$U/config"
	if ! setpriv --reuid="$guser" --regid="$guser" --clear-groups \
	    test -x "$GUARDIAND"; then
		note "$guser cannot run $GUARDIAND: capabilities not tried"
	elif GUARDIAND=$U/as-user start_daemon "$U/config.yaml"; then
		grep -Eq '^CapAmb:[[:space:]]+0*400$' "/proc/$DPID/status" &&
		    ok "ambient capability: the parent has it" ||
		    not_ok "ambient capability: the parent has it"
		for role in policy request ui; do
			ids "ambient capability: $role" "$(child_pid "$role")" "$guser"
		done
		stop_daemon
	else
		not_ok "started as $guser with a capability: daemon starts"
	fi
	rm -rf "$U"
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

# A child attempting a forbidden system call is killed (test build):
# among them handing a descriptor to anyone (sendmsg; the request child
# tries to give its channel to a client of the unix socket), attaching
# a socket filter (setsockopt SO_ATTACH_FILTER), executable memory.
for role in policy request ui; do
	for call in open execve socket connect fork sendmsg setsockopt \
	    mmap mprotect; do
		: >"$DLOG"
		GUARDIAND_TEST_SYSCALL=$role:$call spawn_daemon -d -f "$CONF"
		if [ "$role:$call" = request:sendmsg ]; then
			if wait_log 'test hook: waiting for a unix-socket client' 10; then
				ok "request child: takes a unix-socket client to send to"
				curl -s -o /dev/null --max-time 5 \
				    --unix-socket "$SOCK" http://localhost/healthz &
			else
				not_ok "request child: takes a unix-socket client to send to"
			fi
		fi
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
