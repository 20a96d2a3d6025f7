#!/usr/bin/env bash
# A container without Docker, set up the way the README and guardianctl
# register tell a user to: its own mount, pid and network namespaces,
# joined to the host by a veth pair with addresses as Docker's bridge
# does, a root of its own holding /usr, hostexec and, read-only, the
# cloister's socket directory and nothing else of the host's.  The
# daemon runs as an ordinary user; the container's process runs first
# as that same uid, then as root with Docker's default capabilities.
# From inside: its own door works; no control socket is there to find,
# and one mounted in anyway refuses it; its socket cannot be replaced;
# another cloister's token is refused on it; the approval UI and the
# loopback listeners are out of reach over the veth, while the request
# listener on the bridge address is not.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null ||
    ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null; then
	echo "ok - # SKIP needs root, ip(8), unshare(1) and setpriv(1)"
	exit 0
fi

DUID=65534			# the daemon's user: nobody
NS=gdt$$
VH=gdh$$ VC=gdc$$
NET=10.$((200 + RANDOM % 50)).$((RANDOM % 250)).0
HOSTIP=${NET%.0}.1 CTRIP=${NET%.0}.2

netdown() {
	ip netns del "$NS" 2>/dev/null
	ip link del "$VH" 2>/dev/null
}
trap 'netdown; cleanup' EXIT

# The bridge: a veth pair, the host's end with its address.
ip netns add "$NS" &&
    ip link add "$VH" type veth peer name "$VC" &&
    ip link set "$VC" netns "$NS" &&
    ip addr add "$HOSTIP/24" dev "$VH" && ip link set "$VH" up &&
    ip -n "$NS" addr add "$CTRIP/24" dev "$VC" &&
    ip -n "$NS" link set "$VC" up && ip -n "$NS" link set lo up ||
    { not_ok "veth pair and network namespace"; exit 1; }
ok "veth pair and network namespace"

# The daemon's user and its directories; the binaries where it can
# read them.
chmod 711 "$T"
U=$T/u
mkdir -p "$U/home" "$U/run" "$U/state" "$U/config" "$U/wt" "$T/bin"
chmod 700 "$U/run"
chown -R "$DUID:$DUID" "$U"
cp "$BIN/guardiand-test" "$HOSTEXEC" "$GUARDIANCTL" "$T/bin/"
chmod 755 "$T/bin" "$T/bin"/*
export HOME=$U/home XDG_RUNTIME_DIR=$U/run XDG_STATE_HOME=$U/state
export XDG_CONFIG_HOME=$U/config
as_duid() {
	setpriv --reuid="$DUID" --regid="$DUID" --clear-groups "$@"
}
printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups %s "$@"\n' \
    "$DUID" "$DUID" "$T/bin/guardiand-test" >"$T/bin/gd"
chmod 755 "$T/bin/gd"
GUARDIAND=$T/bin/gd
ctl() { as_duid "$T/bin/guardianctl" "$@"; }

RP=$(free_port); RP2=$(free_port); UP=$(free_port)
ATOK=alpha-token-0123456789abcdef BTOK=beta-token-0123456789abcdef
CONF=$U/config/config.yaml
cat >"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
    - pattern: "^id -u$"
YAML
gconf <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP", "$HOSTIP:$RP2", "unix:$U/run/guardiand/request.sock"]
  cloisters:
    - {name: beta, worktree: "$U/wt", token: "$BTOK"}
YAML
chown "$DUID:$DUID" "$CONF" "$U/config/guardiand.yaml"
start_daemon "$CONF" || { not_ok "daemon starts as uid $DUID"; exit 1; }
[ "$(stat -c %u /proc/"$DPID")" = "$DUID" ] && ok "daemon runs as uid $DUID" ||
    not_ok "daemon runs as uid $DUID"

# What guardianctl register tells the user to give the container.
ATOK=$(ctl register alpha -w "$U/wt" -t "$ATOK" 2>"$T/flags") ||
    { not_ok "register alpha: $(cat "$T/flags")"; exit 1; }
MOUNT=$(sed -n 's/^ *-v \([^ ]*\) \\$/\1/p' "$T/flags")
SRC=${MOUNT%%:*} rest=${MOUNT#*:} DST=${rest%%:*} MODE=${rest#*:}
SOCKENV=$(sed -n 's/^ *-e CLOISTER_GUARDIAN_SOCKET=\([^ ]*\) \\$/\1/p' "$T/flags")
TOKENV=$(sed -n 's/^ *-e CLOISTER_TOKEN=\([^ ]*\)$/\1/p' "$T/flags")
[ -d "$SRC" ] && [ "$DST" = /run/guardiand ] && [ "$MODE" = ro ] &&
    [ "$SOCKENV" = /run/guardiand/request.sock ] && [ "$TOKENV" = "$ATOK" ] &&
    ok "register prints a read-only mount of the cloister's directory" ||
    not_ok "register prints a read-only mount of the cloister's directory: $(cat "$T/flags")"
curl -s -m 5 "http://127.0.0.1:$RP/healthz" >/dev/null &&
    curl -s -m 5 -o /dev/null "http://127.0.0.1:$UP/" &&
    ok "on the host, the loopback listeners answer" ||
    not_ok "on the host, the loopback listeners answer"

# ctr EXTRA-MOUNT CREDS... -- SCRIPT: run SCRIPT with /bin/sh in the
# container, as setpriv CREDS make it.  EXTRA-MOUNT is a host
# directory mounted at /run/extra (read-only), or "".
ctr() {
	local extra=$1; shift
	local creds=()
	while [ "$1" != -- ]; do creds+=("$1"); shift; done
	shift
	ip netns exec "$NS" unshare --mount --pid --fork --propagation private \
	    /bin/sh -e -c '
		R=$1 SRC=$2 DST=$3 HX=$4 CTL=$5 EXTRA=$6; shift 6
		mount -t tmpfs -o mode=755 tmpfs "$R"
		mkdir -p "$R/usr" "$R/proc" "$R/tmp" "$R/dev" "$R$DST" \
		    "$R/run/extra"
		chmod 1777 "$R/tmp"
		for l in bin lib lib64 sbin; do ln -s "usr/$l" "$R/$l"; done
		mount --bind /usr "$R/usr"
		mount -o remount,bind,ro "$R/usr"
		mount --bind "$SRC" "$R$DST"
		mount -o remount,bind,ro "$R$DST"
		if [ -n "$EXTRA" ]; then
			mount --bind "$EXTRA" "$R/run/extra"
			mount -o remount,bind,ro "$R/run/extra"
		fi
		: >"$R/dev/null"
		mount --bind /dev/null "$R/dev/null"
		: >"$R/hostexec"; mount --bind "$HX" "$R/hostexec"
		: >"$R/guardianctl"; mount --bind "$CTL" "$R/guardianctl"
		mount -t proc proc "$R/proc"
		exec chroot "$R" "$@"
	' sh "$T/root" "$SRC" "$DST" "$T/bin/hostexec" "$T/bin/guardianctl" \
	    "$extra" setpriv "${creds[@]}" /bin/sh -c "$1"
}
mkdir -p "$T/root"

# Everything the container tries, one "name=result" line each.
INSIDE='
export CLOISTER_GUARDIAN_SOCKET='"$SOCKENV"' CLOISTER_TOKEN='"$TOKENV"'
r() { printf "%s=%s\n" "$1" "$2"; }
out=$(/hostexec -q echo from-container 2>&1); r door "$?:$out"
out=$(/hostexec -q id -u 2>&1); r hostuid "$?:$out"
r sockets "$(find / -type s 2>/dev/null | tr "\n" " ")"
rm -f /run/guardiand/request.sock 2>/dev/null; r rm "$?"
touch /run/guardiand/planted 2>/dev/null; r plant "$?"
mount -o remount,rw /run/guardiand 2>/dev/null; r remount "$?"
umount /run/guardiand 2>/dev/null; r umount "$?"
out=$(/hostexec -q echo still 2>&1); r after "$?:$out"
CLOISTER_TOKEN='"$BTOK"' /hostexec -q echo stolen >/dev/null 2>&1; r stolen "$?"
curl -s -m 3 -o /dev/null http://'"$HOSTIP:$UP"'/; r ui "$?"
curl -s -m 3 -o /dev/null http://'"$HOSTIP:$RP"'/healthz; r loopback "$?"
curl -s -m 3 -o /dev/null http://127.0.0.1:'"$RP"'/healthz; r ownlo "$?"
out=$(CLOISTER_GUARDIAN_SOCKET= CLOISTER_GUARDIAN_HOST='"$HOSTIP"' \
    CLOISTER_REQUEST_PORT='"$RP2"' /hostexec -q echo over-bridge 2>&1)
r bridge "$?:$out"
if [ -S /run/extra/control.sock ]; then
	/guardianctl -s /run/extra/control.sock status >/dev/null 2>&1
	r control "$?"
else
	r control absent
fi
'

# check_inside WHO RESULTS: the verdicts on one run.
check_inside() {
	local who=$1 res=$2 want_uid=$3
	get() { sed -n "s/^$1=//p" <<<"$res"; }
	[ "$(get door)" = "0:from-container" ] &&
	    ok "$who: hostexec works through its own socket" ||
	    not_ok "$who: hostexec works through its own socket ($(get door))"
	[ "$(get hostuid)" = "0:$want_uid" ] &&
	    ok "$who: the command ran on the host as the daemon's user" ||
	    not_ok "$who: the command ran on the host as the daemon's user ($(get hostuid))"
	[ "$(get sockets)" = "/run/guardiand/request.sock " ] &&
	    ok "$who: its socket is the only socket it can see" ||
	    not_ok "$who: its socket is the only socket it can see ($(get sockets))"
	[ "$(get rm)" != 0 ] && [ "$(get plant)" != 0 ] &&
	    [ "$(get remount)" != 0 ] && [ "$(get umount)" != 0 ] &&
	    [ "$(get after)" = "0:still" ] &&
	    ok "$who: its socket cannot be removed, replaced or unmounted" ||
	    not_ok "$who: its socket cannot be removed, replaced or unmounted ($res)"
	[ "$(get stolen)" = 255 ] &&
	    ok "$who: another cloister's token is refused on its socket" ||
	    not_ok "$who: another cloister's token is refused on its socket ($(get stolen))"
	[ "$(get ui)" != 0 ] && [ "$(get loopback)" != 0 ] &&
	    [ "$(get ownlo)" != 0 ] &&
	    ok "$who: the UI and the loopback listeners are out of reach" ||
	    not_ok "$who: the UI and the loopback listeners are out of reach ($res)"
	[ "$(get bridge)" = "0:over-bridge" ] &&
	    ok "$who: the listener on the bridge address is reachable" ||
	    not_ok "$who: the listener on the bridge address is reachable ($(get bridge))"
}

# As the daemon's own uid.
res=$(ctr "" --reuid="$DUID" --regid="$DUID" --clear-groups -- "$INSIDE" 2>&1)
check_inside "uid $DUID" "$res" "$DUID"
[ "$(sed -n 's/^control=//p' <<<"$res")" = absent ] ||
    not_ok "no extra mount in the plain run"

# As root with Docker's default capabilities (no CAP_SYS_ADMIN).
DOCKER_CAPS=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap
res=$(ctr "" --bounding-set="$DOCKER_CAPS" --inh-caps=-all -- "$INSIDE" 2>&1)
check_inside "root" "$res" "$DUID"

# A careless mount of the control socket's directory: the socket is
# there, and still refuses, the same uid by its namespaces, root by
# its uid.
CTLDIR=$U/run/guardiand-control
res=$(ctr "$CTLDIR" --reuid="$DUID" --regid="$DUID" --clear-groups -- \
    "$INSIDE" 2>&1)
[ "$(sed -n 's/^control=//p' <<<"$res")" = 1 ] &&
    ok "uid $DUID: a control socket mounted in refuses it" ||
    not_ok "uid $DUID: a control socket mounted in refuses it ($res)"
wait_log "refused uid $DUID pid [0-9]+: it runs in another (pid|mnt) namespace" 5 &&
    ok "uid $DUID: the refusal is logged with the namespace" ||
    not_ok "uid $DUID: the refusal is logged with the namespace"
res=$(ctr "$CTLDIR" --bounding-set="$DOCKER_CAPS" --inh-caps=-all -- \
    "$INSIDE" 2>&1)
[ "$(sed -n 's/^control=//p' <<<"$res")" = 1 ] &&
    ok "root: a control socket mounted in refuses it" ||
    not_ok "root: a control socket mounted in refuses it ($res)"
wait_log "refused uid 0 pid [0-9]+: another user" 5 &&
    ok "root: the refusal is logged" || not_ok "root: the refusal is logged"

# The mount outlives a restart of the daemon: the same directory, a new
# socket in it.
stop_daemon
start_daemon "$CONF" || { not_ok "daemon restarts"; exit 1; }
res=$(ctr "" --reuid="$DUID" --regid="$DUID" --clear-groups -- \
    "CLOISTER_GUARDIAN_SOCKET=$SOCKENV CLOISTER_TOKEN=$TOKENV \
    /hostexec -q echo after-restart" 2>&1)
[ "$res" = after-restart ] && ok "the same mount works after a restart" ||
    not_ok "the same mount works after a restart ($res)"
ctl status >/dev/null && ok "the operator on the host still gets in" ||
    not_ok "the operator on the host still gets in"
exit 0
