#!/usr/bin/env bash
# A compromised ui child (the test build's GUARDIAND_TEST_UI_FORGE hook)
# approves a pending request the moment it appears, with nobody at the
# page: naming no session, an expired one, one it ended itself, or a
# made-up one.  The parent refuses each (a warning in its log, 403 to
# the ui child): nothing runs, the request stays pending and is then
# decided normally.  A ui child reporting a session the parent never
# opened breaks the protocol: the daemon goes down and nothing runs.
. "$(dirname "$0")/../lib.sh"

request_conf 60s
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  manual_approve:
    - pattern: "^touch "
YAML
gconf -a <<YAML
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML
UI=http://127.0.0.1:$UP
SF=$XDG_STATE_HOME/guardiand/ui-sessions
ME=$(id -un)
TAB=$'\t'
ALLLOG=$T/daemon.all
: >"$DLOG"

# forged WHAT: the daemon again, its ui child forging WHAT.
forged() {
	stop_daemon
	cat "$DLOG" >>"$ALLLOG"
	GUARDIAND_TEST_UI_FORGE=$1 start_daemon "$CONF" ||
	    { not_ok "$1: the daemon starts"; exit 1; }
}
# agent FILE: hostexec touch FILE, in the background (APID).
agent() {
	hx_as "$TOKEN" touch "$1" >"$T/agent.out" 2>"$T/agent.err" &
	APID=$!
}
# refused DESC FILE WHY: the request ID is refused for WHY and nothing
# ran: still pending, its client waiting, no APPROVE record, no FILE.
refused() {
	local desc=$1 file=$2 why=$3
	wait_log "approval UI: approval of request $ID refused: $why" 10 &&
	    ok "$desc: the parent refuses it ($why)" ||
	    not_ok "$desc: the parent refuses it ($why)"
	"$GUARDIANCTL" show requests | grep -q "^$ID " &&
	    kill -0 "$APID" 2>/dev/null &&
	    ok "$desc: the request is still pending" ||
	    not_ok "$desc: the request is still pending"
	[ ! -e "$file" ] && ok "$desc: the command did not run" ||
	    not_ok "$desc: the command did not run"
	grep -q "APPROVE id=$ID" "$DLOG" &&
	    not_ok "$desc: no APPROVE audit record" ||
	    ok "$desc: no APPROVE audit record"
	grep -q 'protocol violation' "$DLOG" &&
	    not_ok "$desc: not a protocol violation" ||
	    ok "$desc: not a protocol violation"
}
# finished DESC RC: the agent's hostexec exited with RC.
finished() {
	local rc
	wait "$APID"; rc=$?
	[ "$rc" = "$2" ] && ok "$1 (hostexec exit $rc)" ||
	    not_ok "$1 (hostexec exit $rc, want $2; $(cat "$T/agent.err"))"
}
# sessions_file LINE...: the parent's state file, by hand.
sessions_file() {
	mkdir -p "$(dirname "$SF")"
	chmod 700 "$(dirname "$SF")"
	rm -f "$SF"
	printf '%s\n' "$@" >"$SF"
	chmod 600 "$SF"
}

## No session at all.

forged nosession
agent "$WT/nosession"
ID=$(wait_pending_of t1) && ok "nosession: a request is pending" ||
    not_ok "nosession: a request is pending"
refused nosession "$WT/nosession" "unknown session"
# A human logs in and approves it: that still works, in the name the
# parent gives the session.
L=$("$GUARDIANCTL" ui 2>/dev/null | grep -o 'http://[^ ]*login?token=[0-9a-f]*')
[ "$(curl -s -o /dev/null -w '%{http_code}' -c "$T/jar" "$L")" = 303 ] &&
    ok "nosession: a human logs in" || not_ok "nosession: a human logs in"
CSRF=$(curl -s -b "$T/jar" "$UI/session" | jq -r .csrf)
[ "$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" -X POST \
    -H "X-CSRF-Token: $CSRF" "$UI/approve/$ID")" = 200 ] &&
    ok "nosession: the human approves it (200)" ||
    not_ok "nosession: the human approves it ($(cat "$T/body"))"
finished "nosession: then it runs" 0
[ -e "$WT/nosession" ] && ok "nosession: the file is there now" ||
    not_ok "nosession: the file is there now"
grep -qF "APPROVE id=$ID project=t1 cloister=t1 cmd=\"touch $WT/nosession\" user=\"$ME (web UI, session 1)\"" "$DLOG" &&
    ok "nosession: the audit names the parent's session" ||
    not_ok "nosession: the audit names the parent's session"

## A session that expired.

HID=$(printf '5e%.0s' $(seq 32)); HCSRF=$(printf 'c5%.0s' $(seq 32))
EXP=$(( $(date +%s%3N) + 6000 ))
sessions_file "$HID$TAB$HCSRF${TAB}4$TAB$EXP"
forged "session:$HID"
grep -q 'approval UI: 1 session kept from the last run' "$DLOG" &&
    ok "expired: the session was live at the start" ||
    not_ok "expired: the session was live at the start"
while [ "$(date +%s%3N)" -le "$EXP" ]; do sleep 0.1; done
agent "$WT/expired"
ID=$(wait_pending_of t1) && ok "expired: a request is pending" ||
    not_ok "expired: a request is pending"
refused expired "$WT/expired" "session 4 expired"
grep -q "$HID" "$SF" && not_ok "expired: the parent forgot the session" ||
    ok "expired: the parent forgot the session"
"$GUARDIANCTL" deny "$ID" >/dev/null && ok "expired: denied with guardianctl" ||
    not_ok "expired: denied with guardianctl"
finished "expired: hostexec says denied" 1
[ ! -e "$WT/expired" ] && ok "expired: the command never ran" ||
    not_ok "expired: the command never ran"

## A session the ui child ended itself, then approved through.

EID=$(printf 'e9%.0s' $(seq 32)); ECSRF=$(printf '9c%.0s' $(seq 32))
sessions_file "$EID$TAB$ECSRF${TAB}9$TAB$(( $(date +%s%3N) + 3600000 ))"
forged "ended:$EID"
agent "$WT/ended"
ID=$(wait_pending_of t1) && ok "ended: a request is pending" ||
    not_ok "ended: a request is pending"
refused ended "$WT/ended" "unknown session"
grep -q "$EID" "$SF" && not_ok "ended: the parent forgot the session" ||
    ok "ended: the parent forgot the session"
# The ui child still has it: a browser's approval through it is
# refused by the parent, and the page is told.
code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST \
    -b "guardiand_session=$EID" -H "X-CSRF-Token: $ECSRF" "$UI/approve/$ID")
[ "$code" = 403 ] && jq -e '.reason | test("no live session")' "$T/body" \
    >/dev/null && ok "ended: approving through it in the page: 403, no live session" ||
    not_ok "ended: approving through it in the page: 403 ($code $(cat "$T/body"))"
[ "$(grep -c "approval UI: approval of request $ID refused: unknown session" "$DLOG")" = 2 ] &&
    ok "ended: the parent logged that refusal too" ||
    not_ok "ended: the parent logged that refusal too"
[ "$(curl -s -o /dev/null -w '%{http_code}' -b "guardiand_session=$EID" \
    "$UI/pending")" = 401 ] && ok "ended: then the ui child drops it too (401)" ||
    not_ok "ended: then the ui child drops it too (401)"
"$GUARDIANCTL" show requests | grep -q "^$ID " && [ ! -e "$WT/ended" ] &&
    ok "ended: still pending, still not run" ||
    not_ok "ended: still pending, still not run"
"$GUARDIANCTL" approve "$ID" >/dev/null && ok "ended: approved with guardianctl" ||
    not_ok "ended: approved with guardianctl"
finished "ended: then it runs" 0
[ -e "$WT/ended" ] && ok "ended: the file is there now" ||
    not_ok "ended: the file is there now"

## A made-up session.

MID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
forged "session:$MID"
agent "$WT/madeup"
ID=$(wait_pending_of t1) && ok "made-up: a request is pending" ||
    not_ok "made-up: a request is pending"
refused made-up "$WT/madeup" "unknown session"
"$GUARDIANCTL" deny "$ID" >/dev/null && ok "made-up: denied with guardianctl" ||
    not_ok "made-up: denied with guardianctl"
finished "made-up: hostexec says denied" 1
[ ! -e "$WT/madeup" ] && ok "made-up: the command never ran" ||
    not_ok "made-up: the command never ran"
kill -0 "$DPID" 2>/dev/null && ok "made-up: the daemon serves on" ||
    not_ok "made-up: the daemon serves on"
stop_daemon
cat "$DLOG" >>"$ALLLOG"

## A session the parent never opened: a protocol violation.

: >"$DLOG"
GUARDIAND_TEST_UI_FORGE=mint spawn_daemon -d -f "$CONF"
wait_log 'ready: ' 10 || not_ok "mint: the daemon starts"
agent "$WT/minted"
if wait_exit "$DPID" 10; then
	[ "$RC" -ne 0 ] && grep -q 'protocol violation: ui child sent message type' "$DLOG" &&
	    ok "mint: a protocol violation shuts the daemon down (exit $RC)" ||
	    not_ok "mint: a protocol violation shuts the daemon down (exit $RC)"
else
	not_ok "mint: the daemon is still up"
	stop_daemon
fi
DPID=
finished "mint: hostexec is told the daemon is shutting down" 1
grep -q 'guardiand is shutting down' "$T/agent.err" &&
    ok "mint: ... in those words" ||
    not_ok "mint: ... in those words ($(cat "$T/agent.err"))"
[ ! -e "$WT/minted" ] && ok "mint: the command never ran" ||
    not_ok "mint: the command never ran"
grep -q 'APPROVE id=' "$DLOG" && not_ok "mint: no APPROVE audit record" ||
    ok "mint: no APPROVE audit record"
cat "$DLOG" >>"$ALLLOG"
grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$ALLLOG" &&
    not_ok "no sanitizer report in the daemon's log" ||
    ok "no sanitizer report in the daemon's log"
exit 0
