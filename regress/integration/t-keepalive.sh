#!/usr/bin/env bash
# Keep-alive frames (DESIGN 6.1): a client that sends
# Guardiand-Keepalive: 1 gets a 'k' frame every 3 seconds while its
# command runs or waits for a human, driven by the parent; a client
# without the header never sees one.  hostexec asks for them, keeps
# waiting through a command that says nothing for longer than it would
# wait for a silent daemon, and gives up, exit 255 with "guardiand is
# not responding", once the parent is stopped.
. "$(dirname "$0")/../lib.sh"

request_conf 120s
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^sleep "
    - pattern: "^echo hi\$"
  manual_approve:
    - pattern: "^echo wait\$"
YAML
gconf -a <<YAML
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
URL=http://127.0.0.1:$RP

# frames FILE: the types of the frames of a /v1/exec body, one string.
frames() {
	python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
i, t = 0, ""
while i + 5 <= len(b):
    t += chr(b[i])
    i += 5 + int.from_bytes(b[i + 1:i + 5], "big")
print(t + ("?" if i != len(b) else ""))' "$1"
}

# exec_sleep OUT SECS [curl options]: /v1/exec of sleep SECS, headers
# in OUT.hdr.
exec_sleep() {
	local out=$1 secs=$2
	shift 2
	curl -s -o "$out" -D "$out.hdr" -H "X-Cloister-Token: $TOKEN" \
	    "$@" --data-binary "{\"args\":[\"sleep\",\"$secs\"]}" "$URL/v1/exec"
}

# hostexec through a command silent for longer than it waits for a
# silent daemon (5 intervals of 3 s).
start=$SECONDS
hx_as "$TOKEN" sleep 18 >"$T/long.out" 2>&1 &
LONG=$!

exec_sleep "$T/ka" 7 -H 'Guardiand-Keepalive: 1' &
KA=$!
exec_sleep "$T/plain" 7 &
PLAIN=$!
wait "$KA" "$PLAIN"
f=$(frames "$T/ka")
[[ $f == sk*x ]] && [ "${#f}" -ge 3 ] && [[ ! $f == *\?* ]] &&
    ok "with the header: keep-alives while the command runs ($f)" ||
    not_ok "with the header: keep-alives while the command runs ($f)"
grep -qi '^Guardiand-Keepalive: 3' "$T/ka.hdr" &&
    ok "with the header: the answer says every 3 seconds" ||
    not_ok "with the header: the answer says every 3 seconds"
f=$(frames "$T/plain")
[ "$f" = sx ] && ok "without the header: no keep-alive frame ($f)" ||
    not_ok "without the header: no keep-alive frame ($f)"
! grep -qi '^Guardiand-Keepalive' "$T/plain.hdr" &&
    ok "without the header: no Guardiand-Keepalive in the answer" ||
    not_ok "without the header: no Guardiand-Keepalive in the answer"
# The buffered API never streams, header or not.
r=$(curl -s -o "$T/buf" -w '%{http_code}' -H "X-Cloister-Token: $TOKEN" \
    -H 'Guardiand-Keepalive: 1' --data-binary '{"args":["sleep","4"]}' \
    "$URL/request")
[ "$r" = 200 ] && jq -e '.exit_code == 0' "$T/buf" >/dev/null &&
    ok "/request with the header: one JSON answer, as before" ||
    not_ok "/request with the header ($r: $(cat "$T/buf"))"

wait "$LONG"; rc=$?
[ $rc -eq 0 ] && [ $((SECONDS - start)) -ge 18 ] && [ ! -s "$T/long.out" ] &&
    ok "hostexec through 18 silent seconds of a command: exit 0" ||
    not_ok "hostexec through 18 silent seconds (rc $rc: $(cat "$T/long.out"))"

# The parent stopped while a request waits for approval: no more
# keep-alives, and hostexec gives up within 5 intervals of the last.
CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
    CLOISTER_TOKEN=$TOKEN "$HOSTEXEC" echo wait >"$T/w.out" 2>"$T/w.err" &
W=$!
wait_log 'PENDING|waiting for approval' 10 || wait_pending_of t1 >/dev/null
n=200
until grep -q 'waiting for approval' "$T/w.err" || [ $n -eq 0 ]; do
	sleep 0.05; n=$((n - 1))
done
sleep 4		# a keep-alive or two, then the stop
kill -STOP "$DPID"
stopped=$SECONDS
wait "$W"; rc=$?
took=$((SECONDS - stopped))
kill -CONT "$DPID"
[ $rc -eq 255 ] && grep -q 'guardiand is not responding' "$T/w.err" &&
    ok "parent stopped: hostexec exits 255, 'guardiand is not responding'" ||
    not_ok "parent stopped: hostexec exits 255 (rc $rc: $(cat "$T/w.err"))"
[ $took -ge 11 ] && [ $took -le 22 ] &&
    ok "parent stopped: hostexec gave up after ${took}s (15 after the last frame)" ||
    not_ok "parent stopped: hostexec gave up after ${took}s (want 12 to 18, some slack)"
# Continued, the daemon was not silent for its own stop: it serves.
out=$(hx_as "$TOKEN" echo hi 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = hi ] && kill -0 "$DPID" &&
    ! grep -q 'not answering' "$DLOG" &&
    ok "parent continued: serves, no child taken for silent" ||
    not_ok "parent continued: serves (rc $rc: $out)"
exit 0
