#!/usr/bin/env bash
# Reloads and shutdown close what they end: a reload writes one RELOAD
# record saying what changed; a cloister the reload removes has its
# pending requests denied, as after unregister; a shutdown tells every
# waiting client so before it closes.
. "$(dirname "$0")/../lib.sh"

request_conf 60s
AUDIT=$T/audit.log
T2TOKEN=t2-token-0123456789abcdef
# write_conf EXTRA-AUTO EXTRA-CLOISTER
write_conf() {
	cat >"$CONF" <<YAML
request:
  listen: "127.0.0.1:$RP"
  timeout: "60s"
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
$1
  manual_approve:
    - pattern: "^printf "
YAML
	gconf <<YAML
guardian:
  audit:
    file: "$AUDIT"
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
$2
YAML
}
write_conf "" "    - {name: t2, worktree: \"$WT\", token: \"$T2TOKEN\"}"
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }

# A pending request of t2, which the next reload removes.
hx_as "$T2TOKEN" printf pending-t2 >"$T/o" 2>"$T/e" &
HX=$!
wait_pending_of t2 >/dev/null || not_ok "t2's request is pending"
write_conf '    - pattern: "^true$"
    - pattern: "^date$"' ""
"$GUARDIANCTL" reload >"$T/r" 2>&1; rc=$?
[ $rc -eq 0 ] && ok "reload" || not_ok "reload (rc $rc: $(cat "$T/r"))"
wait "$HX"; rc=$?
[ $rc -eq 1 ] && grep -q 'removed from the configuration' "$T/e" &&
    ok "a removed cloister's pending request is denied" ||
    not_ok "a removed cloister's pending request is denied (rc $rc: $(cat "$T/e"))"
grep -q 'HOSTEXEC DENY .*cloister=t2 .*reason="cloister removed from the configuration"' \
    "$AUDIT" && ok "... and audited" || not_ok "... and audited"
n=$(grep -c ' HOSTEXEC RELOAD ' "$AUDIT")
rec=$(grep ' HOSTEXEC RELOAD ' "$AUDIT" | tail -1)
[ "$n" -eq 1 ] && ok "one RELOAD record" || not_ok "one RELOAD record ($n)"
echo "$rec" | grep -q 'auto_approve="+2 -0"' &&
    echo "$rec" | grep -q 'deny="+0 -0"' &&
    echo "$rec" | grep -q 'cloisters_removed=t2' &&
    echo "$rec" | grep -q 'by=local:' &&
    ok "RELOAD says what changed and who asked" ||
    not_ok "RELOAD says what changed and who asked: $rec"
kill -HUP "$DPID"
n=50
until [ "$(grep -c ' HOSTEXEC RELOAD ' "$AUDIT")" -ge 2 ] || [ $n -eq 0 ]; do
	sleep 0.1; n=$((n - 1))
done
grep ' HOSTEXEC RELOAD ' "$AUDIT" | tail -1 | grep -q 'by=SIGHUP .*auto_approve="+0 -0"' &&
    ok "SIGHUP writes its RELOAD record too, nothing changed" ||
    not_ok "SIGHUP writes its RELOAD record too: $(grep ' HOSTEXEC RELOAD ' "$AUDIT" | tail -1)"

# An empty file, as a failed editor leaves it, changes nothing.
cp "$CONF" "$T/conf.saved"
: >"$CONF"
"$GUARDIANCTL" reload >"$T/r" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q 'the file is empty' "$T/r" &&
    ok "reload of an empty file is refused" ||
    not_ok "reload of an empty file is refused (rc $rc: $(cat "$T/r"))"
out=$(hx_as "$TOKEN" echo still); rc=$?
[ $rc -eq 0 ] && [ "$out" = still ] && ok "... and the old configuration serves on" ||
    not_ok "... and the old configuration serves on (rc $rc: $out)"
cp "$T/conf.saved" "$CONF"

# Shutdown: a waiting client hears why.
hx_as "$TOKEN" printf at-shutdown >"$T/o" 2>"$T/e" &
HX=$!
wait_pending_of t1 >/dev/null || not_ok "t1's request is pending"
stop_daemon
wait "$HX"; rc=$?
[ $rc -eq 1 ] && grep -q 'guardiand is shutting down' "$T/e" &&
    ok "shutdown: a waiting client is told so" ||
    not_ok "shutdown: a waiting client is told so (rc $rc: $(cat "$T/e"))"
grep -q 'HOSTEXEC DENY .*cmd="printf at-shutdown".*reason="guardiand is shutting down"' \
    "$AUDIT" && ok "shutdown: the request is closed in the audit" ||
    not_ok "shutdown: the request is closed in the audit"
exit 0
