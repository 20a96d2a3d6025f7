#!/usr/bin/env bash
# When limits.running commands run, an approved request waits briefly
# for a slot: it runs if one frees in time, and otherwise gets the busy
# answer, which is not a denial: hostexec exits 75 and says so, and the
# audit record is BUSY.
. "$(dirname "$0")/../lib.sh"

request_conf 60s
AUDIT=$T/audit.log
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
    - pattern: "^sh -c "
YAML
gconf -a <<YAML
  audit:
    file: "$AUDIT"
  limits:
    running: 1
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
mkfifo "$T/gate"

# hold: a command that runs until the gate opens.
hold() {
	hx_as "$TOKEN" sh -c "read x <'$T/gate'; echo released" \
	    >"$T/hold.out" 2>&1 &
	HOLD=$!
	# Until the command runs on the host.
	n=200
	until pgrep -f "^sh -c read x <'$T/gate'" >/dev/null || [ $n -eq 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
}
release() { echo go >"$T/gate"; wait "$HOLD"; }

# A slot frees while the second request waits: it runs.
hold
hx_as "$TOKEN" echo second >"$T/o2" 2>"$T/e2" &
SECOND=$!
wait_log 'AUTO_APPROVE .*cmd="echo second"' 10
release
wait "$SECOND"; rc=$?
[ $rc -eq 0 ] && [ "$(cat "$T/o2")" = second ] &&
    ok "a request waiting for a slot runs when one frees" ||
    not_ok "a request waiting for a slot runs when one frees (rc $rc: $(cat "$T/o2" "$T/e2"))"
[ "$(cat "$T/hold.out")" = released ] && ok "the first command finished" ||
    not_ok "the first command finished ($(cat "$T/hold.out"))"

# No slot frees: busy.
hold
hx_as "$TOKEN" echo third >"$T/o3" 2>"$T/e3"; rc=$?
[ $rc -eq 75 ] && [ ! -s "$T/o3" ] && grep -q 'guardiand is busy' "$T/e3" &&
    ok "no slot in time: hostexec exits 75, 'guardiand is busy'" ||
    not_ok "no slot in time: hostexec exits 75 (rc $rc: $(cat "$T/o3" "$T/e3"))"
id=$(sed -n 's/.* HOSTEXEC AUTO_APPROVE id=\([0-9a-f]*\) .*cmd="echo third".*/\1/p' "$AUDIT")
recs=$(grep " id=$id " "$AUDIT" | awk '{ print $3 }' | tr '\n' ' ')
[ "$recs" = "REQUEST AUTO_APPROVE BUSY " ] &&
    ok "audited as BUSY, not as a denial" ||
    not_ok "audited as BUSY, not as a denial ($recs)"
# The buffered API answers busy with 503 and Retry-After.
curl -s -D "$T/head" -o "$T/out" -w '%{http_code}' \
    -H "X-Cloister-Token: $TOKEN" --data-binary '{"args":["echo","fourth"]}' \
    "http://127.0.0.1:$RP/request" >"$T/code"
[ "$(cat "$T/code")" = 503 ] && grep -qi '^Retry-After: 1' "$T/head" &&
    grep -q '"reason":"guardiand is busy' "$T/out" &&
    ok "/request: 503 with Retry-After" ||
    not_ok "/request: 503 with Retry-After ($(cat "$T/code") $(cat "$T/out"))"
release
out=$(hx_as "$TOKEN" echo after); rc=$?
[ $rc -eq 0 ] && [ "$out" = after ] && ok "serves as before once the slot is free" ||
    not_ok "serves as before once the slot is free (rc $rc: $out)"
# The parent pinged its children all along: none was taken for silent
# (guardian.ping_timeout, the default), and every one is still there.
! grep -q 'not answering' "$DLOG" && kill -0 "$DPID" &&
    ok "liveness: no child reported as not answering under this load" ||
    not_ok "liveness: a child reported as not answering ($(grep 'not answering' "$DLOG"))"
exit 0
