#!/usr/bin/env bash
# Confined commands (confine.h), run by confine-run as guardiand runs
# them, with real git.  A worktree written by the container holds a
# core.fsmonitor payload in .git/config: run unconfined it reads a
# secret in $HOME, writes outside the worktree, connects to TCP, unix
# and UDP listeners; run by a confined `git status` it can do none of
# that, and git status still prints the right status.  A link in the
# worktree to a host file cannot be read by a confined cat.  With
# network: true TCP works.  What cannot be enforced does not run.  All
# of it once as ourselves and once as nobody, since the daemon may run
# as an ordinary user.
. "$(dirname "$0")/../lib.sh"

CR=$BIN/regress/confine-run
PY=/usr/bin/python3

if ! command -v git >/dev/null || [ ! -x "$PY" ] || [ ! -x "$CR" ]; then
	echo "ok - # SKIP needs git, $PY and confine-run"
	exit 0
fi
mkdir -p "$T/probe/wt"
echo 'hostexec: {}' >"$T/probe/config.yaml"
printf 'guardian:\n  confine:\n    profiles: {x: {}}\n' >"$T/probe/guardiand.yaml"
"$CR" -f "$T/probe/config.yaml" -p x -w "$T/probe/wt" -T "$T/probe/tmp" \
    -- true 2>"$T/probe/err" ||
    not_ok "an empty profile runs true ($(cat "$T/probe/err"))"
if grep -q 'no Landlock' "$T/probe/err"; then
	echo "ok - # SKIP this kernel has no Landlock: $(cat "$T/probe/err")"
	exit 0
fi

# The listeners: each connection or datagram is a line in LOG.
cat >"$T/listen.py" <<'EOF'
import os, select, socket, sys
log, tport, uport, upath = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", tport)); t.listen(16)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", uport))
x = socket.socket(socket.AF_UNIX); x.bind(upath); x.listen(16)
def note(s):
    with open(log, "a") as f: f.write(s + "\n")
note("ready")
while True:
    r, _, _ = select.select([t, u, x], [], [])
    for s in r:
        if s is u: s.recvfrom(100); note("udp")
        else: c, _ = s.accept(); c.close(); note("tcp" if s is t else "unix")
EOF

# One socket probe: KIND (tcp, udp, unix) and where.
cat >"$T/probe.py" <<'EOF'
import socket, sys
kind, where = sys.argv[1], sys.argv[2]
try:
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX); s.connect(where)
    elif kind == "pair":
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    elif kind == "dgrampair":
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    elif kind == "tcp":
        s = socket.create_connection(("127.0.0.1", int(where)), timeout=10)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", ("127.0.0.1", int(where)))
    print(kind.upper() + "-REACHED")
except OSError as e:
    print(kind + " refused: " + str(e))
EOF

# scenario BASE AS...: every check, in BASE (which the user AS...
# runs in, empty for ourselves, owns).
scenario() {
	local B=$1 who=$2; shift 2
	local as=("$@") HOMEDIR=$B/home WT=$B/wt TP UP USOCK LOG out rc
	TP=$(free_port) UP=$(free_port)
	USOCK=$B/sock/listen.sock LOG=$B/listen.log

	# As the user, with its HOME; the environment is the test's.
	run() { env HOME="$HOMEDIR" "${as[@]}" "$@"; }

	run mkdir -p "$HOMEDIR" "$WT" "$B/cfg" "$B/sock" "$B/tmp"
	run chmod 700 "$B/tmp"
	echo "host secret $RANDOM$RANDOM" | run tee "$HOMEDIR/secret" >/dev/null
	printf '[user]\n\tname = Confined Tester\n\temail = t@example.org\n' |
	    run tee "$HOMEDIR/.gitconfig" >/dev/null
	cat <<EOF | run tee "$B/cfg/config.yaml" >/dev/null
hostexec:
  auto_approve:
    - pattern: "^git status\$"
    - pattern: "^cat README\$"
    - pattern: "^curl "
  manual_approve:
    - pattern: "^git push origin"
EOF
	cat <<EOF | run tee "$B/cfg/guardiand.yaml" >/dev/null
guardian:
  confine:
    default: readonly
    profiles:
      readonly:
        read: [~/.gitconfig]
      online:
        read: [~/.gitconfig]
        network: true
    rules:
      - {pattern: "^curl ", profile: online}
      - {pattern: "^git push origin", profile: none}
EOF
	# Not through run(): $! must be the listener itself.
	env HOME="$HOMEDIR" "${as[@]}" "$PY" "$T/listen.py" "$LOG" "$TP" \
	    "$UP" "$USOCK" &
	local lpid=$!
	local n=400
	while [ $n -gt 0 ] && ! grep -q ready "$LOG" 2>/dev/null; do
		sleep 0.05; n=$((n - 1))
	done
	grep -q ready "$LOG" 2>/dev/null || not_ok "$who: listeners started"

	# The repository, as the container leaves it: a tracked file
	# changed, one untracked, a link to the secret, and a payload
	# git runs on status.
	run git -C "$WT" init -q
	echo one | run tee "$WT/tracked" >/dev/null
	run git -C "$WT" add tracked
	run git -C "$WT" -c user.name=x -c user.email=x@x commit -qm one
	echo two | run tee -a "$WT/tracked" >/dev/null
	echo new | run tee "$WT/untracked" >/dev/null
	echo readme | run tee "$WT/README" >/dev/null
	run ln -s "$HOMEDIR/secret" "$WT/leak"
	run cp "$T/probe.py" "$WT/.git/probe.py"
	cat <<EOF | run tee "$WT/.git/payload" >/dev/null
#!/bin/bash
{
echo "TMPDIR=\$TMPDIR"
cat "$HOMEDIR/secret" && echo READ-SECRET
echo pwned >"$B/outside" && echo WROTE-OUTSIDE
echo pwned >"$HOMEDIR/planted" && echo WROTE-HOME
echo fine >"\$TMPDIR/scratch" && echo WROTE-TMP
echo fine >"$WT/scratch" && echo WROTE-WORKTREE
"$PY" "$WT/.git/probe.py" tcp $TP
"$PY" "$WT/.git/probe.py" udp $UP
"$PY" "$WT/.git/probe.py" unix "$USOCK"
} >"$WT/.git/payload.out" 2>&1
EOF
	run chmod 755 "$WT/.git/payload"
	run git -C "$WT" config core.fsmonitor "$WT/.git/payload"
	local CRUN=("$CR" -f "$B/cfg/config.yaml" -w "$WT" -T "$B/tmp")

	# Control: run unconfined (the rule for git push says none),
	# the payload does it all.
	out=$(run "${CRUN[@]}" -m "^git push origin" -- git status 2>&1)
	grep -q 'confine-run: unconfined' <<<"$out" &&
	    grep -q READ-SECRET "$WT/.git/payload.out" &&
	    grep -q WROTE-OUTSIDE "$WT/.git/payload.out" &&
	    grep -q TCP-REACHED "$WT/.git/payload.out" &&
	    grep -q UDP-REACHED "$WT/.git/payload.out" &&
	    grep -q UNIX-REACHED "$WT/.git/payload.out" &&
	    ok "$who: unconfined, the fsmonitor payload reads, writes, connects" ||
	    not_ok "$who: unconfined payload works ($out; $(cat "$WT/.git/payload.out" 2>&1))"
	run rm -f "$B/outside" "$HOMEDIR/planted" "$WT/.git/payload.out"
	# Wait for the unconfined connections before counting.
	n=400
	while [ $n -gt 0 ] && [ "$(grep -c -e tcp -e udp -e unix "$LOG")" -lt 3 ]; do
		sleep 0.05; n=$((n - 1))
	done
	local before
	before=$(grep -c -e tcp -e udp -e unix "$LOG")

	# Confined: git status under the default profile (auto-approved).
	out=$(run "${CRUN[@]}" -a '^git status$' -- git status 2>"$B/err")
	rc=$?
	[ $rc -eq 0 ] && grep -q 'modified: *tracked' <<<"$out" &&
	    grep -q '^	untracked$' <<<"$out" &&
	    ! grep -q 'unconfined' "$B/err" &&
	    ok "$who: confined git status prints the right status" ||
	    not_ok "$who: confined git status (rc $rc: $out / $(cat "$B/err"))"
	local P=$WT/.git/payload.out
	[ -f "$P" ] && grep -q WROTE-WORKTREE "$P" &&
	    ok "$who: the payload ran confined, writing the worktree" ||
	    not_ok "$who: the payload ran ($(cat "$P" 2>&1))"
	! grep -q READ-SECRET "$P" && ! grep -q "host secret" "$P" &&
	    ok "$who: the payload cannot read a secret in \$HOME" ||
	    not_ok "$who: secret read: $(cat "$P")"
	! grep -q WROTE-OUTSIDE "$P" && [ ! -e "$B/outside" ] &&
	    ! grep -q WROTE-HOME "$P" && [ ! -e "$HOMEDIR/planted" ] &&
	    ok "$who: the payload cannot write outside the worktree" ||
	    not_ok "$who: wrote outside: $(cat "$P")"
	grep -q WROTE-TMP "$P" && grep -q "^TMPDIR=$B/tmp/readonly\." "$P" &&
	    ok "$who: the payload writes its private TMPDIR" ||
	    not_ok "$who: private TMPDIR: $(cat "$P")"
	local td
	td=$(sed -n 's/^TMPDIR=//p' "$P")
	[ -n "$td" ] && [ ! -e "$td" ] &&
	    ok "$who: the private TMPDIR is removed once the command ended" ||
	    not_ok "$who: $td is left"
	grep -q "tcp refused" "$P" && grep -q "udp refused" "$P" &&
	    grep -q "unix refused" "$P" && ! grep -q REACHED "$P" &&
	    ok "$who: no TCP connect, no UDP, no unix socket" ||
	    not_ok "$who: sockets: $(cat "$P")"
	[ "$(grep -c -e tcp -e udp -e unix "$LOG")" -eq "$before" ] &&
	    ok "$who: the listeners saw nothing from the confined payload" ||
	    not_ok "$who: the listeners saw: $(cat "$LOG")"

	# What the profile lists is read; the rest of $HOME is closed.
	out=$(run "${CRUN[@]}" -p readonly -- git config user.name 2>&1)
	[ "$out" = "Confined Tester" ] &&
	    ok "$who: ~/.gitconfig, listed read-only, is read" ||
	    not_ok "$who: ~/.gitconfig ($out)"
	out=$(run "${CRUN[@]}" -p readonly -- ls "$HOMEDIR" 2>&1)
	[ $? -ne 0 ] && ok "$who: the rest of \$HOME is closed" ||
	    not_ok "$who: \$HOME listed: $out"
	out=$(run "${CRUN[@]}" -p readonly -- sh -c \
	    'echo x >"$1/.gitconfig"' sh "$HOMEDIR" 2>&1)
	[ $? -ne 0 ] && grep -q 'Confined Tester' "$HOMEDIR/.gitconfig" &&
	    ok "$who: a file listed read-only cannot be written" ||
	    not_ok "$who: .gitconfig written ($out)"

	# The demo's cat README, and the link planted beside it.
	out=$(run "${CRUN[@]}" -a '^cat README$' -- cat README 2>&1)
	[ "$out" = readme ] && ok "$who: confined cat README reads it" ||
	    not_ok "$who: cat README ($out)"
	out=$(run "${CRUN[@]}" -a '^cat README$' -- cat leak 2>&1)
	[ $? -ne 0 ] && ! grep -q "host secret" <<<"$out" &&
	    ok "$who: a link in the worktree to a host file cannot be read" ||
	    not_ok "$who: link read: $out"

	# network: true (the rule for ^curl), TCP connects.
	out=$(run "${CRUN[@]}" -a '^curl ' -- "$PY" .git/probe.py tcp "$TP")
	[ "$out" = TCP-REACHED ] &&
	    ok "$who: network: true, TCP connects" ||
	    not_ok "$who: network: true ($out)"
	out=$(run "${CRUN[@]}" -a '^curl ' -- "$PY" .git/probe.py unix \
	    "$USOCK")
	grep -q "unix refused" <<<"$out" &&
	    ok "$who: network: true, still no unix socket" ||
	    not_ok "$who: network: true, unix socket ($out)"

	# A pair of connected ends programs keep for their children;
	# not a datagram pair, which could send to any socket's path.
	out=$(run "${CRUN[@]}" -p readonly -- "$PY" .git/probe.py pair -)
	[ "$out" = PAIR-REACHED ] &&
	    ok "$who: confined, a unix stream socketpair works" ||
	    not_ok "$who: stream socketpair ($out)"
	out=$(run "${CRUN[@]}" -p readonly -- "$PY" .git/probe.py dgrampair -)
	grep -q "dgrampair refused" <<<"$out" &&
	    ok "$who: confined, no datagram socketpair" ||
	    not_ok "$who: datagram socketpair ($out)"

	# Fail closed: what cannot be confined as asked does not run.
	out=$(run "$CR" -f "$B/cfg/config.yaml" -w "$B" -T "$B/tmp" \
	    -p readonly -- touch "$B/ran" 2>&1)
	rc=$?
	[ $rc -eq 125 ] && [ ! -e "$B/ran" ] &&
	    grep -q "holds the home directory" <<<"$out" &&
	    ok "$who: a worktree holding \$HOME: refused, nothing runs" ||
	    not_ok "$who: worktree holding \$HOME (rc $rc: $out)"
	out=$(run "$CR" -f "$B/cfg/config.yaml" -w "$B/nowhere" \
	    -T "$B/tmp" -p readonly -- true 2>&1)
	[ $? -eq 125 ] && grep -q "nowhere" <<<"$out" &&
	    ok "$who: a missing worktree: refused" ||
	    not_ok "$who: missing worktree ($out)"

	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
}

scenario "$T/self" "as $(id -un)"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# nobody must reach its directory through $T.
	chmod 711 "$T"
	mkdir "$T/nobody"
	chown nobody: "$T/nobody" 2>/dev/null ||
	    chown 65534:65534 "$T/nobody"
	chmod 700 "$T/nobody"
	scenario "$T/nobody" "as nobody" setpriv --reuid=65534 \
	    --regid=65534 --clear-groups --
else
	echo "ok - as an ordinary user # SKIP needs root and setpriv(1)"
fi
exit 0
