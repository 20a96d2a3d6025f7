#!/usr/bin/env bash
# Each cloister's own socket (DESIGN 6.4): where it lives, that only
# its cloister's token opens it, what guardianctl register prints, and
# that the directory lives as long as the cloister: across restarts,
# gone with unregister or with the configuration's entry.
. "$(dirname "$0")/../lib.sh"

request_conf 60s
T2TOKEN=t2-token-0123456789abcdef
DOORS=$T/run/guardiand-cloisters
write_conf() {
	cat >"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
YAML
	gconf <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP", "unix:$SOCK"]
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
$1
YAML
}
write_conf "    - {name: t2, worktree: \"$WT\", token: \"$T2TOKEN\"}"
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }

# hx_door DIR TOKEN COMMAND...: hostexec through the socket in DIR,
# named relative to it as a container names it, short.
hx_door() {
	local dir=$1 tok=$2; shift 2
	(cd "$dir" && CLOISTER_GUARDIAN_SOCKET=request.sock \
	    CLOISTER_TOKEN=$tok "$HOSTEXEC" -q "$@")
}

for c in t1 t2; do
	d=$DOORS/$c
	[ -d "$d" ] && [ "$(stat -c %a "$d")" = 700 ] &&
	    [ "$(stat -c %u "$d")" = "$(id -u)" ] &&
	    ok "$c: its own directory, ours, 0700" ||
	    not_ok "$c: its own directory, ours, 0700"
	[ -S "$d/request.sock" ] && [ "$(ls -A "$d")" = request.sock ] &&
	    ok "$c: holds its socket and nothing else" ||
	    not_ok "$c: holds its socket and nothing else ($(ls -A "$d"))"
done
[ "$(ls -A "$T/run/guardiand")" = request.sock ] &&
    ok "the shared directory holds the shared socket alone" ||
    not_ok "the shared directory holds the shared socket alone: $(ls -A "$T/run/guardiand")"

out=$(hx_door "$DOORS/t1" "$TOKEN" echo via door); rc=$?
[ $rc -eq 0 ] && [ "$out" = "via door" ] && ok "t1's token opens t1's door" ||
    not_ok "t1's token opens t1's door (rc $rc: $out)"
hx_door "$DOORS/t1" "$T2TOKEN" echo stolen >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 255 ] && [ ! -s "$T/out" ] &&
    ok "t2's token is refused on t1's door" ||
    not_ok "t2's token is refused on t1's door (rc $rc: $(cat "$T/out" "$T/err"))"
wait_log 'AUTH_FAIL .*cmd="echo stolen".*reason="token of another cloister on this socket".*socket=t1' 5 &&
    ok "the refusal is audited with the socket's cloister" ||
    not_ok "the refusal is audited with the socket's cloister"
hx_door "$DOORS/t1" "" echo nothing >/dev/null 2>&1; rc=$?
[ $rc -eq 255 ] && ok "no token on a door: refused" ||
    not_ok "no token on a door: refused (rc $rc)"
out=$(CLOISTER_GUARDIAN_SOCKET=$SOCK CLOISTER_TOKEN=$T2TOKEN "$HOSTEXEC" -q \
    echo shared); rc=$?
[ $rc -eq 0 ] && [ "$out" = shared ] &&
    ok "the shared socket still takes any cloister's token" ||
    not_ok "the shared socket still takes any cloister's token (rc $rc: $out)"

# register: the token alone on stdout, then the container's flags.
TOK=$("$GUARDIANCTL" register dyn1 -w "$WT" 2>"$T/flags"); rc=$?
[ $rc -eq 0 ] && [[ $TOK =~ ^[0-9a-f]{64}$ ]] &&
    ok "register: the token alone on stdout" ||
    not_ok "register: the token alone on stdout (rc $rc: $TOK)"
grep -qxF -- "    -v $DOORS/dyn1:/run/guardiand:ro \\" "$T/flags" &&
    grep -qxF -- "    -e CLOISTER_GUARDIAN_SOCKET=/run/guardiand/request.sock \\" "$T/flags" &&
    grep -qxF -- "    -e CLOISTER_TOKEN=$TOK" "$T/flags" &&
    ok "register: prints the read-only mount and the environment" ||
    not_ok "register: prints the read-only mount and the environment: $(cat "$T/flags")"
out=$(hx_door "$DOORS/dyn1" "$TOK" echo dynamic); rc=$?
[ $rc -eq 0 ] && [ "$out" = dynamic ] && ok "a registered cloister's door opens" ||
    not_ok "a registered cloister's door opens (rc $rc: $out)"
hx_door "$DOORS/dyn1" "$TOKEN" echo other >/dev/null 2>&1; rc=$?
[ $rc -eq 255 ] && ok "and only to its own token" ||
    not_ok "and only to its own token (rc $rc)"

# A name as long as names go: the socket is still bound.
LONG=$(printf 'l%.0s' $(seq 64))
LTOK=$("$GUARDIANCTL" register "$LONG" -w "$WT" 2>/dev/null); rc=$?
out=$(hx_door "$DOORS/$LONG" "$LTOK" echo long); rc2=$?
[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ "$out" = long ] &&
    ok "a 64-character name gets a working door" ||
    not_ok "a 64-character name gets a working door (rc $rc/$rc2: $out)"

"$GUARDIANCTL" unregister dyn1 >/dev/null; rc=$?
[ $rc -eq 0 ] && [ ! -e "$DOORS/dyn1" ] && ok "unregister removes the directory" ||
    not_ok "unregister removes the directory (rc $rc: $(ls -A "$DOORS"))"

# A restart: the same directories (a container's mount stays good),
# new sockets in them.
ino=$(stat -c %i "$DOORS/t1")
stop_daemon
[ -d "$DOORS/t1" ] && [ ! -e "$DOORS/t1/request.sock" ] &&
    ok "shutdown: the socket goes, the directory stays" ||
    not_ok "shutdown: the socket goes, the directory stays"
# A cloister removed from the configuration while we were down.
write_conf ""
start_daemon "$CONF" || { not_ok "daemon restarts"; exit 1; }
[ "$(stat -c %i "$DOORS/t1")" = "$ino" ] && [ -S "$DOORS/t1/request.sock" ] &&
    ok "restart: the same directory, a new socket" ||
    not_ok "restart: the same directory, a new socket"
out=$(hx_door "$DOORS/t1" "$TOKEN" echo again); rc=$?
[ $rc -eq 0 ] && [ "$out" = again ] && ok "restart: the door opens again" ||
    not_ok "restart: the door opens again (rc $rc: $out)"
[ ! -e "$DOORS/t2" ] && ok "restart: a cloister gone from the file loses its directory" ||
    not_ok "restart: a cloister gone from the file loses its directory"
[ -S "$DOORS/$LONG/request.sock" ] && ok "restart: registered cloisters keep theirs" ||
    not_ok "restart: registered cloisters keep theirs"

# Reload: a new cloister gets a door, a removed one loses it.
write_conf "    - {name: t3, worktree: \"$WT\", token: \"$T2TOKEN\"}"
"$GUARDIANCTL" reload >/dev/null 2>&1
out=$(hx_door "$DOORS/t3" "$T2TOKEN" echo reloaded); rc=$?
[ $rc -eq 0 ] && [ "$out" = reloaded ] && ok "reload: a new cloister's door opens" ||
    not_ok "reload: a new cloister's door opens (rc $rc: $out)"
write_conf ""
"$GUARDIANCTL" reload >/dev/null 2>&1
[ ! -e "$DOORS/t3" ] && ok "reload: a removed cloister's directory goes" ||
    not_ok "reload: a removed cloister's directory goes"
hx_door "$DOORS/t1" "$TOKEN" echo still >/dev/null; rc=$?
[ $rc -eq 0 ] && ok "reload: the others stay open" ||
    not_ok "reload: the others stay open (rc $rc)"

# The control socket never goes where a request socket is.
stop_daemon
: >"$DLOG"
timeout 10 "$GUARDIAND" -d -f "$CONF" -s "$T/run/guardiand/control.sock" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'share a directory' "$T/err" &&
    ok "a control socket beside the shared request socket is refused" ||
    not_ok "a control socket beside the shared request socket is refused (rc $rc: $(cat "$T/err"))"
timeout 10 "$GUARDIAND" -d -f "$CONF" -s "$T/run/guardiand/sub/control.sock" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'share a directory' "$T/err" &&
    ok "... and so is one below it" ||
    not_ok "... and so is one below it (rc $rc: $(cat "$T/err"))"
exit 0
