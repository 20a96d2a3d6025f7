#!/usr/bin/env bash
#
# Copyright (c) 2026 The guardiand authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# `make run`: start guardiand in the foreground on a throw-away
# configuration made from etc/demo.yaml (cloister's file) and
# etc/demo-guardiand.yaml (guardiand's own), after printing what to try
# from another terminal.  Ctrl-C stops it and removes everything.
#
#	bash etc/demo.sh [BUILDDIR [guardiand flags ...]]
#
# BUILDDIR (default build) holds guardiand, guardianctl and hostexec;
# extra flags, such as -v, go to guardiand.

set -eu
shopt -u patsub_replacement 2>/dev/null || true

TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${1:-build}
[ $# -gt 0 ] && shift
case $O in
/*)	;;
*)	O=$TOP/$O ;;
esac
GUARDIAND=$O/guardiand
GUARDIANCTL=$O/guardianctl
HOSTEXEC=$O/hostexec

for p in "$GUARDIAND" "$HOSTEXEC"; do
	if [ ! -x "$p" ]; then
		echo "demo: $p is missing: run make first" >&2
		exit 1
	fi
done

# The scratch directory.  Its path goes into YAML and into a unix
# socket address (at most 107 bytes): keep it short and plain.
base=${TMPDIR:-/tmp}
case $base in
/*)	;;
*)	base=/tmp ;;
esac
case $base in
*[!A-Za-z0-9/._-]*) base=/tmp ;;
esac
[ ${#base} -le 64 ] && [ -d "$base" ] && [ -w "$base" ] || base=/tmp
S=$(mktemp -d "$base/guardiand-demo.XXXXXX")
chmod 700 "$S"

DPID=
cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	rm -rf "$S"
}
trap cleanup EXIT

# A port is taken if something accepts a connection there.
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_port WANTED AVOID: WANTED if free, else some free port.
pick_port() {
	local p=$1
	while [ "$p" = "$2" ] || port_busy "$p"; do
		p=$((20000 + RANDOM % 40000))
	done
	echo "$p"
}

RPORT=$(pick_port 9998 0)
UPORT=$(pick_port 9999 "$RPORT")
[ "$RPORT" = 9998 ] ||
    echo "demo: port 9998 is taken; requests go to port $RPORT instead"
[ "$UPORT" = 9999 ] ||
    echo "demo: port 9999 is taken; the approval UI is on port $UPORT instead"

# The demo cloister: a worktree and a token only its owner can read.
mkdir "$S/worktree"
mkdir -m 700 "$S/state"
cat >"$S/worktree/README" <<'EOF'
This is the worktree of the demo cloister.  Commands that guardiand
approves for it run here, on the host, as you.
EOF
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077 && printf '%s\n' "$TOKEN" >"$S/token")

# fill TEMPLATE FILE: the template with the values of this run.
fill() {
	local conf
	conf=$(<"$1")
	conf=${conf//@REQUEST_PORT@/$RPORT}
	conf=${conf//@UI_PORT@/$UPORT}
	conf=${conf//@SCRATCH@/$S}
	printf '%s\n' "$conf" >"$2"
}
# cloister's file, and guardiand's own beside it.
fill "$TOP/etc/demo.yaml" "$S/config.yaml"
fill "$TOP/etc/demo-guardiand.yaml" "$S/guardiand.yaml"
CONF=$S/config.yaml
# The runtime directory too is the demo's: the sockets go away with it.
mkdir -m 700 "$S/run"
export XDG_RUNTIME_DIR=$S/run
CTL=$S/run/guardiand-control/control.sock
# The cloister's own socket, as its container would have it mounted,
# if its path fits a socket address; else the shared one.
DOOR=$S/run/guardiand-cloisters/demo/request.sock
[ ${#DOOR} -le 107 ] || DOOR=$S/run/guardiand/request.sock

if ! "$GUARDIAND" -n -f "$CONF"; then
	echo "demo: the demo configuration is invalid (see above)" >&2
	exit 1
fi

# The programs' paths as the shell should read them back.
printf -v QHOSTEXEC '%q' "$HOSTEXEC"
printf -v QGUARDIANCTL '%q' "$GUARDIANCTL"
printf -v QGUARDIAND '%q' "$GUARDIAND"
TCP="CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RPORT"
TCP="$TCP CLOISTER_TOKEN=$TOKEN $QHOSTEXEC"
UNIX="CLOISTER_GUARDIAN_SOCKET=$DOOR CLOISTER_TOKEN=$TOKEN"
UNIX="$UNIX $QHOSTEXEC"
CTLCMD="$QGUARDIANCTL -s $CTL"

cat <<EOF

guardiand demo
  scratch directory  $S
                     (removed when the demo stops)
  configuration      $CONF
                     and $S/guardiand.yaml
  cloister "demo"    worktree $S/worktree
  token              $TOKEN
  approval UI        http://127.0.0.1:$UPORT/ (log in with the URL below)
  audit log          $S/audit.log

Try these in another terminal, as the container would.

1. Auto-approved (^ls( |\$)): runs at once, in the worktree.

  $TCP ls -l

   The same through the unix socket a container would have mounted:

  $UNIX cat README

2. Needs approval (^touch ): waits until someone decides.

  $TCP touch hello.txt

   Meanwhile, in a third terminal, list and decide:

  $CTLCMD show requests
  $CTLCMD approve ID
  $CTLCMD deny ID 'not today'

   or in the browser: this prints a one-time login URL for the UI
   (guardiand also logs one when it starts, valid for a few minutes).

  $CTLCMD ui

3. Denied (^rm( |\$)): refused at once, hostexec exits 1.

  $TCP rm README

Without the daemon, what would happen to a command:

  $QGUARDIAND -n -f $CONF -- rm -rf /

The audit trail:

  tail -f $S/audit.log

EOF
if [ ! -x "$GUARDIANCTL" ]; then
	echo "(note: $GUARDIANCTL is not built yet;" \
	    "use the web UI to approve)"
	echo
fi
echo "Starting guardiand in the foreground; Ctrl-C stops it."
echo

# In the background so that this script can clean up whatever ends
# it; guardiand handles SIGINT itself, so Ctrl-C reaches it as well.
set +e
sig=0
trap 'sig=1; kill -TERM "$DPID" 2>/dev/null' INT TERM HUP
"$GUARDIAND" -d -f "$CONF" "$@" &
DPID=$!
while :; do
	sig=0
	wait "$DPID"
	rc=$?
	# A trapped signal interrupts wait: wait again for the exit.
	[ "$sig" -eq 1 ] && [ "$rc" -gt 128 ] || break
done
DPID=
echo
if [ "$rc" -eq 0 ]; then
	echo "guardiand stopped; removing $S"
else
	echo "guardiand exited with status $rc; removing $S"
fi
exit "$rc"
