#!/usr/bin/env bash
# The approval UI's HTTP surface (DESIGN section 6.3) with curl: sessions,
# one-time login links, sessions kept across restarts (the state file,
# its mode, its cap, bad files), DNS rebinding, cross-site requests and CSRF,
# security headers, bad input; then the page itself in a real browser
# (regress/browser/ui.test.mjs).
. "$(dirname "$0")/../lib.sh"
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}

TOKEN=t-ui-token-$RANDOM$RANDOM
ui_daemon "$TOKEN"
[ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null ||
    { cat "$T/start"; not_ok "daemon starts"; exit 1; }
UIPID=$(child_pid ui)
ok "daemon starts (ui child $UIPID)"

# code [curl args...]: the HTTP status; headers in $T/hdr, body in $T/body.
code() {
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 10 "$@"
}
# expect DESC WANT [curl args...]
expect() {
	local desc=$1 want=$2 got; shift 2
	got=$(code "$@")
	[ "$got" = "$want" ] && ok "$desc" || not_ok "$desc (got $got, want $want)"
}
header() { grep -i "^$1:" "$T/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# An agent's request, waiting in the background.
agent() {
	CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
	    CLOISTER_TOKEN=$TOKEN "$HOSTEXEC" "$@" \
	    >"$T/agent.out" 2>"$T/agent.err" &
	APID=$!
}
# pending_id TEXT: the id of the pending request whose cmd contains TEXT.
pending_id() {
	local i
	for i in $(seq 100); do
		curl -s -b "$JAR" "$UI/pending" |
		    jq -r --arg t "$1" '.requests[] | select(.cmd | contains($t)) | .id' |
		    grep . && return 0
		sleep 0.05
	done
	return 1
}
is_pending() {
	curl -s -b "$JAR" "$UI/pending" | jq -e --arg i "$1" \
	    'any(.requests[]; .id == $i)' >/dev/null
}
# Still serving, and the same processes.
alive() {
	kill -0 "$DPID" 2>/dev/null && kill -0 "$UIPID" 2>/dev/null &&
	    [ "$(code "$UI/app.css")" = 200 ]
}

## Without a session.

expect "GET / without a session: 401" 401 "$UI/"
grep -q 'guardianctl ui' "$T/body" && ok "the 401 page explains guardianctl ui" ||
    not_ok "the 401 page explains guardianctl ui"
case $(header Content-Type) in
text/html*) ok "the 401 page is HTML" ;;
*) not_ok "the 401 page is HTML ($(header Content-Type))" ;;
esac
for p in /pending /session /events /index.html; do
	expect "GET $p without a session: 401" 401 "$UI$p"
done
expect "POST /approve without a session: 401" 401 -X POST \
    "$UI/approve/0123456789abcdef01234567"
expect "/app.css needs no session" 200 "$UI/app.css"
expect "/app.js needs no session" 200 "$UI/app.js"
case $(header Content-Type) in
text/javascript*) ok "app.js is served as JavaScript" ;;
*) not_ok "app.js is served as JavaScript ($(header Content-Type))" ;;
esac
cmp -s "$T/body" "$TOP/www/app.js" && ok "app.js is the embedded www/app.js" ||
    not_ok "app.js is the embedded www/app.js"
expect "unknown path without a session: 401" 401 "$UI/nope"
case $(code -X PUT "$UI/") in
405|501) ok "PUT: refused" ;;
*) not_ok "PUT: refused ($(code -X PUT "$UI/"))" ;;
esac

## Security headers, on pages, API, assets and errors alike.

CSP="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
for p in / /app.js /app.css /pending /nope; do
	code "$UI$p" >/dev/null
	[ "$(header Content-Security-Policy)" = "$CSP" ] &&
	    ok "$p: strict CSP" || not_ok "$p: strict CSP ($(header Content-Security-Policy))"
	[ "$(header X-Frame-Options)" = DENY ] && ok "$p: X-Frame-Options DENY" ||
	    not_ok "$p: X-Frame-Options DENY"
	[ "$(header Cache-Control)" = no-store ] && ok "$p: Cache-Control no-store" ||
	    not_ok "$p: Cache-Control no-store"
	[ "$(header X-Content-Type-Options)" = nosniff ] &&
	    ok "$p: X-Content-Type-Options nosniff" ||
	    not_ok "$p: X-Content-Type-Options nosniff"
done
! grep -Eqi '<script>|[[:space:]]style=|[[:space:]]on[a-z]+=' \
    "$TOP/www/index.html" &&
    ok "index.html: no inline script, style or handler" ||
    not_ok "index.html: no inline script, style or handler"
! grep -Eqi '(src|href)="(https?:)?//' "$TOP/www/index.html" &&
    ! grep -Eq 'https?://' "$TOP/www/app.css" &&
    ok "no external resources" || not_ok "no external resources"

## DNS rebinding: the Host header must name this listener.

LOGIN=$(grep -o 'approval UI login: http://[^ ]*' "$DLOG" | tail -1 |
    sed 's/^approval UI login: //')
[ -n "$LOGIN" ] && ok "the start-up log names a login URL" ||
    not_ok "the start-up log names a login URL"
TOKPATH=${LOGIN#http://*/}
expect "foreign Host: refused" 403 -H "Host: evil.example:$UP" "$UI/"
expect "foreign Host on the login link: refused" 403 \
    -H "Host: evil.example:$UP" "$UI/$TOKPATH"
expect "Host with another port: refused" 403 -H "Host: 127.0.0.1:1" "$UI/"
expect "Host without a port: refused" 403 -H "Host: 127.0.0.1" "$UI/"
expect "empty Host: refused" 403 -H "Host:" "$UI/app.css"
expect "Host localhost:PORT: accepted" 401 -H "Host: localhost:$UP" "$UI/"

## The login link: once, and only the real one.

JAR=$T/jar
expect "a wrong login token: refused" 403 "$UI/login?token=00$RANDOM"
expect "no login token: refused" 403 "$UI/login"
expect "the login link (after a refused foreign Host): 303" 303 \
    -c "$JAR" "$LOGIN"
[ "$(header Location)" = / ] && ok "login redirects to /" ||
    not_ok "login redirects to / ($(header Location))"
cookie=$(header Set-Cookie)
case $cookie in
guardiand_session=*) ok "login sets the session cookie" ;;
*) not_ok "login sets the session cookie ($cookie)" ;;
esac
for attr in HttpOnly SameSite=Strict Path=/; do
	case "; $cookie;" in
	*"; $attr;"*) ok "session cookie: $attr" ;;
	*) not_ok "session cookie: $attr ($cookie)" ;;
	esac
done
expect "the login link a second time: refused" 403 "$LOGIN"
grep -q 'guardianctl ui' "$T/body" && ok "a used link says how to get a new one" ||
    not_ok "a used link says how to get a new one"
expect "with the session: the page" 200 -b "$JAR" "$UI/"
cmp -s "$T/body" "$TOP/www/index.html" && ok "it is the embedded www/index.html" ||
    not_ok "it is the embedded www/index.html"
grep -q 'src="/app.js"' "$T/body" && ok "the page loads app.js" ||
    not_ok "the page loads app.js"
expect "with the session, an unknown path: 404" 404 -b "$JAR" "$UI/nope"
expect "a made-up session cookie: 401" 401 \
    -b "guardiand_session=$(printf '%064d' 7)" "$UI/pending"
L2=$("$GUARDIANCTL" ui 2>/dev/null | grep -o 'http://[^ ]*login?token=[0-9a-f]*')
[ -n "$L2" ] && ok "guardianctl ui prints a login URL" ||
    not_ok "guardianctl ui prints a login URL"
expect "the guardianctl ui link works" 303 -c "$T/jar2" "$L2"
expect "... once" 403 "$L2"
expect "its session is a different one" 200 -b "$T/jar2" "$UI/session"

expect "GET /session" 200 -b "$JAR" "$UI/session"
CSRF=$(jq -r .csrf "$T/body")
[ "${#CSRF}" -ge 32 ] && ok "the session has a CSRF token" ||
    not_ok "the session has a CSRF token ($CSRF)"
[ "$(jq -r .csrf "$T/body")" != "$(curl -s -b "$T/jar2" "$UI/session" | jq -r .csrf)" ] &&
    ok "each session has its own CSRF token" ||
    not_ok "each session has its own CSRF token"

## State changes: same origin, CSRF token, session, real id.

agent echo t-ui-csrf
ID=$(pending_id t-ui-csrf) && ok "a request is pending ($ID)" ||
    not_ok "a request is pending"
[ "$(curl -s -b "$JAR" "$UI/pending" | jq -r --arg i "$ID" \
    '.requests[] | select(.id == $i) | [.cloister, .project, .cmd, .cwd] | join("|")')" = \
    "alpha|my-api|echo t-ui-csrf|$T/wt" ] && ok "/pending describes it" ||
    not_ok "/pending describes it"
curl -s -b "$JAR" "$UI/pending" | jq -e --arg i "$ID" '.requests[] |
    select(.id == $i) | (.timestamp | test("^[0-9-]+T[0-9:]+\\.[0-9]{3}Z$")) and
    (.expires | test("Z$"))' >/dev/null && ok "/pending: RFC 3339 UTC times" ||
    not_ok "/pending: RFC 3339 UTC times"
line=$(grep -n '"^echo "' "$CONF" | cut -d: -f1)
curl -s -b "$JAR" "$UI/pending" | jq -e --arg i "$ID" --arg f "$CONF" \
    --argjson l "$line" '.requests[] | select(.id == $i) |
    .why == "manual_approve pattern '"'^echo '"' at \($f):\($l)" and
    .rule == {kind: "manual_approve", pattern: "^echo ", file: $f, line: $l}' \
    >/dev/null && ok "/pending: why it asks, the pattern and its file:line" ||
    not_ok "/pending: why it asks: $(curl -s -b "$JAR" "$UI/pending")"

A="$UI/approve/$ID"
expect "POST without the CSRF token: 403" 403 -b "$JAR" -X POST "$A"
# The token with its last digit changed (never to itself).
case $CSRF in *0) BAD=${CSRF%?}1 ;; *) BAD=${CSRF%?}0 ;; esac
expect "POST with a wrong CSRF token: 403" 403 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $BAD" "$A"
expect "POST with another session's CSRF token: 403" 403 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $(curl -s -b "$T/jar2" "$UI/session" | jq -r .csrf)" "$A"
expect "POST with a cross-site Origin: 403" 403 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" -H "Origin: http://evil.example" "$A"
expect "POST with Origin: null: 403" 403 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" -H "Origin: null" "$A"
expect "POST with a same-site, other-port Origin: 403" 403 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" -H "Origin: http://127.0.0.1:1" "$A"
expect "POST with Sec-Fetch-Site: cross-site: 403" 403 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" -H "Sec-Fetch-Site: cross-site" "$A"
expect "POST with Sec-Fetch-Site: same-site: 403" 403 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" -H "Sec-Fetch-Site: same-site" "$A"
expect "POST with the token but no session: 401" 401 -X POST \
    -H "X-CSRF-Token: $CSRF" "$A"
expect "a form-style POST (no custom header): 403" 403 -b "$JAR" -X POST \
    -H "Content-Type: application/x-www-form-urlencoded" \
    --data "csrf=$CSRF" "$A"
expect "GET /approve/ID changes nothing: 404" 404 -b "$JAR" "$A"

# The container-facing listener cannot approve, with any credentials.
expect "approve sent to the request listener: 404" 404 -X POST \
    -b "$JAR" -H "X-CSRF-Token: $CSRF" "http://127.0.0.1:$RP/approve/$ID"
expect "... with the cloister's token: 404" 404 -X POST \
    -H "X-Cloister-Token: $TOKEN" "http://127.0.0.1:$RP/approve/$ID"
expect "deny sent to the request listener: 404" 404 -X POST \
    -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$RP/deny/$ID"
expect "the request listener has no /pending" 404 \
    -H "X-Cloister-Token: $TOKEN" "http://127.0.0.1:$RP/pending"
sleep 0.3
is_pending "$ID" && kill -0 "$APID" 2>/dev/null && [ ! -s "$T/agent.out" ] &&
    ok "after all of that, the request is still pending and nothing ran" ||
    not_ok "after all of that, the request is still pending and nothing ran"
grep -q "APPROVE id=$ID\|DENY id=$ID" "$DLOG" &&
    not_ok "no APPROVE/DENY audit record for the refused attempts" ||
    ok "no APPROVE/DENY audit record for the refused attempts"

expect "unknown id: 404" 404 -b "$JAR" -X POST -H "X-CSRF-Token: $CSRF" \
    "$UI/approve/0123456789abcdef01234567"
expect "unknown id (deny): 404" 404 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" "$UI/deny/0123456789abcdef01234567"
for bad in x "${ID^^}" "$ID/" "$ID%00" "../$ID" "${ID}0" "$(printf 'a%.0s' $(seq 300))"; do
	expect "malformed id ${bad:0:30}: 404" 404 --path-as-is -b "$JAR" -X POST \
	    -H "X-CSRF-Token: $CSRF" "$UI/approve/$bad"
done
expect "deny: a body that is not JSON: 400" 400 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" --data 'reason=no' "$UI/deny/$ID"
expect "deny: a JSON array: 400" 400 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" --data '["no"]' "$UI/deny/$ID"
expect "deny: a reason that is not a string: 400" 400 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" --data '{"reason":7}' "$UI/deny/$ID"
expect "deny: a reason over 1024 bytes: 400" 400 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" \
    --data "{\"reason\":\"$(printf 'x%.0s' $(seq 1025))\"}" "$UI/deny/$ID"
expect "deny: duplicate keys: 400" 400 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" --data '{"reason":"a","reason":"b"}' \
    "$UI/deny/$ID"
is_pending "$ID" && ok "bad deny bodies decide nothing" ||
    not_ok "bad deny bodies decide nothing"

expect "approve, same origin, with the token: 200" 200 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" -H "Origin: $UI" -H "Sec-Fetch-Site: same-origin" "$A"
[ "$(jq -r '.status + " " + .id' "$T/body")" = "approved $ID" ] &&
    ok "the answer says approved, with the id" ||
    not_ok "the answer says approved ($(cat "$T/body"))"
wait "$APID"; rc=$?
[ "$rc" = 0 ] && [ "$(cat "$T/agent.out")" = t-ui-csrf ] &&
    ok "hostexec prints the approved command's output" ||
    not_ok "hostexec prints the approved command's output (rc $rc)"
grep -q "APPROVE id=$ID .*web UI, session" "$DLOG" &&
    ok "the audit names the web UI session" ||
    not_ok "the audit names the web UI session"
expect "approving it again: 404" 404 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" "$A"

agent echo t-ui-deny
ID=$(pending_id t-ui-deny)
expect "deny with a reason: 200" 200 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data '{"reason":"not on a Friday"}' "$UI/deny/$ID"
[ "$(jq -r .status "$T/body")" = denied ] && ok "the answer says denied" ||
    not_ok "the answer says denied"
wait "$APID"; rc=$?
[ "$rc" = 1 ] && grep -q 'not on a Friday' "$T/agent.err" &&
    [ ! -s "$T/agent.out" ] && ok "hostexec prints the reason, exit 1" ||
    not_ok "hostexec prints the reason, exit 1 (rc $rc)"

# The event stream: the whole state first.
timeout 2 curl -s -N -b "$JAR" "$UI/events" >"$T/sse" 2>/dev/null
head -2 "$T/sse" | grep -q '^event: state$' && ok "/events starts with a state event" ||
    not_ok "/events starts with a state event"
sed -n 2p "$T/sse" | sed 's/^data: //' | jq -e --arg i "$ID" \
    '.requests == [] and any(.recent[]; .id == $i and .outcome == "denied")' \
    >/dev/null && ok "the state event carries pending and recent decisions" ||
    not_ok "the state event carries pending and recent decisions"
code -b "$JAR" --max-time 1 "$UI/events" >/dev/null
[ "$(header Content-Type)" = text/event-stream ] &&
    ok "/events is text/event-stream" || not_ok "/events is text/event-stream"

## Bad input of every kind leaves the daemon serving.

# raw DESC BYTES: send bytes as they are, read whatever comes back.
raw() {
	local desc=$1
	( exec 3<>"/dev/tcp/127.0.0.1/$UP" || exit 1
	  printf '%b' "$2" >&3
	  timeout 3 cat <&3 >/dev/null ) 2>/dev/null
	if alive; then ok "still serving after $desc"
	else not_ok "still serving after $desc"; fi
}
raw "garbage" '\x00\x01\x02 garbage\r\n\r\n'
raw "a request line without a version" 'GET /\r\n\r\n'
raw "HTTP/0.9" 'GET /\n'
raw "a bad version" "GET / HTTP/9.9\r\nHost: 127.0.0.1:$UP\r\n\r\n"
raw "a huge header" "GET / HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\nX: $(printf 'a%.0s' $(seq 40000))\r\n\r\n"
raw "many headers" "GET / HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\n$(for i in $(seq 2000); do printf 'X%d: y\\r\\n' $i; done)\r\n"
raw "a huge Content-Length" "POST /deny/$ID HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\nContent-Length: 99999999999\r\n\r\nxx"
raw "a negative Content-Length" "POST /deny/$ID HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\nContent-Length: -5\r\n\r\n"
raw "bad chunked encoding" "POST /deny/$ID HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
raw "a half request" "GET / HTTP/1.1\r\nHost: 127.0.0"
raw "a NUL in the path" "GET /\x00/ HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\n\r\n"
raw "a bad percent-encoding in the login token" "GET /login?token=%zz%00%ff HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\n\r\n"
raw "an absolute-form URI" "GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\n\r\n"
raw "a bogus cookie" "GET /pending HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\nCookie: guardiand_session=;guardiand_session=$(printf 'z%.0s' $(seq 64)); x\r\n\r\n"
raw "a long URI" "GET /$(printf 'a%.0s' $(seq 20000)) HTTP/1.1\r\nHost: 127.0.0.1:$UP\r\n\r\n"
code -b "$JAR" -X POST -H "X-CSRF-Token: $CSRF" \
    --data-binary @<(head -c 2000000 /dev/zero) "$UI/deny/0123456789abcdef01234567" >/dev/null
alive && ok "still serving after a 2 MB body" || not_ok "still serving after a 2 MB body"
pids=
for i in $(seq 40); do
	curl -s -o /dev/null --max-time 2 -b "$JAR" "$UI/events" &
	pids="$pids $!"
done
sleep 0.5
for i in $(seq 40); do
	(exec 3<>"/dev/tcp/127.0.0.1/$UP"; printf 'GET /' >&3; sleep 1) 2>/dev/null &
	pids="$pids $!"
done
wait $pids
alive && ok "still serving after 40 event streams and 40 stalled requests" ||
    not_ok "still serving after 40 event streams and 40 stalled requests"
expect "the session still works" 200 -b "$JAR" "$UI/pending"
grep -Eq 'protocol violation|child \(pid [0-9]+\) (killed|exited)' "$DLOG" &&
    not_ok "no child died and no protocol violation was logged" ||
    ok "no child died and no protocol violation was logged"
CSRF2=$(curl -s -b "$T/jar2" "$UI/session" | jq -r .csrf)
stop_daemon

## Sessions survive a restart: the parent keeps them in the state
## directory; the ui child never touches a file.

ALLLOG=$T/daemon.all
SF=$XDG_STATE_HOME/guardiand/ui-sessions
# restart DESC: start the daemon again on the same configuration, the
# previous run's log kept in $ALLLOG.
restart() {
	stop_daemon
	cat "$DLOG" >>"$ALLLOG"
	start_daemon "$CONF" >"$T/start" ||
	    { cat "$T/start"; not_ok "$1: the daemon starts"; exit 1; }
	UIPID=$(child_pid ui)
}
TAB=$'\t'
jar_id() { awk '$6 == "guardiand_session" { print $7 }' "$1"; }
nsessions() { grep -vc '^#' "$SF"; }
# login JAR: a new session from a guardianctl ui link.
login() {
	local l
	l=$("$GUARDIANCTL" ui 2>/dev/null |
	    grep -o 'http://[^ ]*login?token=[0-9a-f]*')
	[ "$(code -c "$1" "$l")" = 303 ]
}
ID1=$(jar_id "$JAR"); ID2=$(jar_id "$T/jar2")
[ "${#ID1}" = 64 ] && [ "${#ID2}" = 64 ] && [ "${#CSRF2}" = 64 ] &&
    ok "the cookie jars hold the sessions" ||
    not_ok "the cookie jars hold the sessions"
[ "$(stat -c %a "$SF" 2>/dev/null)" = 600 ] &&
    ok "the sessions file is mode 0600" ||
    not_ok "the sessions file is mode 0600 ($(stat -c %a "$SF" 2>&1))"
[ "$(stat -c %a "$(dirname "$SF")")" = 700 ] &&
    ok "in a 0700 state directory" || not_ok "in a 0700 state directory"
[ "$(nsessions)" = 2 ] && grep -q "^$ID1$TAB$CSRF${TAB}1$TAB" "$SF" &&
    grep -q "^$ID2$TAB$CSRF2${TAB}2$TAB" "$SF" &&
    ok "it holds both sessions, in order" ||
    not_ok "it holds both sessions, in order"
restart "after a restart"
grep -q 'approval UI: 2 sessions kept from the last run' "$DLOG" &&
    ok "the restarted daemon says it kept 2 sessions" ||
    not_ok "the restarted daemon says it kept 2 sessions"
expect "after a restart, the session cookie still works" 200 -b "$JAR" \
    "$UI/pending"
expect "... so does the other one" 200 -b "$T/jar2" "$UI/session"
[ "$(jq -r .csrf "$T/body")" = "$CSRF2" ] &&
    ok "a session keeps its CSRF token across the restart" ||
    not_ok "a session keeps its CSRF token across the restart"
expect "a made-up session cookie: still 401" 401 \
    -b "guardiand_session=$(printf '%064d' 7)" "$UI/pending"
agent echo t-ui-restarted
ID=$(pending_id t-ui-restarted) &&
    ok "a request is pending after the restart" ||
    not_ok "a request is pending after the restart"
expect "approve with the old session and its old CSRF token: 200" 200 \
    -b "$JAR" -X POST -H "X-CSRF-Token: $CSRF" "$UI/approve/$ID"
wait "$APID"; rc=$?
[ "$rc" = 0 ] && [ "$(cat "$T/agent.out")" = t-ui-restarted ] &&
    ok "... and the command ran" || not_ok "... and the command ran (rc $rc)"
grep -q "APPROVE id=$ID .*web UI, session 1)" "$DLOG" &&
    ok "the audit names the same session number as before the restart" ||
    not_ok "the audit names the same session number as before the restart"
login "$T/jar3" && ok "a new login after the restart" ||
    not_ok "a new login after the restart"
grep -q 'approval UI: session 3 opened' "$DLOG" &&
    ok "it is numbered after the kept sessions (3)" ||
    not_ok "it is numbered after the kept sessions (3)"
[ "$(nsessions)" = 3 ] && grep -q "^$(jar_id "$T/jar3")$TAB" "$SF" &&
    ok "the file has the new session too" ||
    not_ok "the file has the new session too"
cat "$DLOG" >>"$ALLLOG"
grep -qF -e "$ID1" -e "$ID2" -e "$(jar_id "$T/jar3")" -e "$CSRF" -e "$CSRF2" \
    "$ALLLOG" && not_ok "no session id or CSRF token in the daemon's log" ||
    ok "no session id or CSRF token in the daemon's log"

# At most 64: the oldest go.
n=0
for i in $(seq 70); do login "$T/jarN" && n=$((n + 1)); done
[ "$n" = 70 ] && ok "70 more logins" || not_ok "70 more logins ($n)"
expect "the newest session works" 200 -b "$T/jarN" "$UI/pending"
expect "beyond 64 sessions the oldest is dropped" 401 -b "$JAR" "$UI/pending"
[ "$(nsessions)" = 64 ] && ok "the file holds 64 sessions, no more" ||
    not_ok "the file holds 64 sessions, no more ($(nsessions))"
grep -qF "$ID1" "$SF" && not_ok "the dropped session left the file" ||
    ok "the dropped session left the file"
restart "with 64 sessions"
grep -q 'approval UI: 64 sessions kept from the last run' "$DLOG" &&
    ok "64 sessions kept across the restart" ||
    not_ok "64 sessions kept across the restart"
expect "after the restart the newest session works" 200 -b "$T/jarN" \
    "$UI/pending"
expect "... the dropped one does not" 401 -b "$JAR" "$UI/pending"

# A hand-made file: good, expired, garbled, too long-lived, readable by
# others.  A bad one is ignored with a warning; the daemon runs on.
HID=$(printf 'ab%.0s' $(seq 32)); HCSRF=$(printf 'c9%.0s' $(seq 32))
NOW=$(date +%s%3N)
# sessions_file MODE LINE...: the state file, by hand.
sessions_file() {
	local mode=$1; shift
	rm -f "$SF"
	printf '%s\n' "$@" >"$SF"
	chmod "$mode" "$SF"
}
# ignored DESC: restarted on a bad file, it warns and ignores it.
ignored() {
	restart "$1"
	grep -q 'approval UI sessions ignored' "$DLOG" &&
	    ok "$1: a warning is logged" || not_ok "$1: a warning is logged"
	expect "$1: its sessions are ignored" 401 \
	    -b "guardiand_session=$HID" "$UI/pending"
	alive && ok "$1: the daemon serves" || not_ok "$1: the daemon serves"
}
sessions_file 600 "$HID$TAB$HCSRF${TAB}4$TAB$((NOW + 3600000))"
restart "a good hand-made file"
expect "a good hand-made session works" 200 -b "guardiand_session=$HID" \
    "$UI/session"
[ "$(jq -r .csrf "$T/body")" = "$HCSRF" ] && ok "... with its CSRF token" ||
    not_ok "... with its CSRF token"
sessions_file 600 "$HID$TAB$HCSRF${TAB}4$TAB$((NOW - 1000))"
restart "an expired session"
grep -q 'approval UI sessions ignored' "$DLOG" &&
    not_ok "an expired session: not worth a warning" ||
    ok "an expired session: not worth a warning"
expect "an expired session: 401" 401 -b "guardiand_session=$HID" "$UI/pending"
sessions_file 600 "$HID$TAB$HCSRF${TAB}4$TAB$((NOW + 3600000))" "garbage"
ignored "a garbled line"
sessions_file 600 "$HID$TAB$HCSRF${TAB}4$TAB$((NOW + 30 * 86400000))"
ignored "a session living 30 days"
sessions_file 600 "$HID$TAB${HCSRF^^}${TAB}4$TAB$((NOW + 3600000))"
ignored "an upper-case CSRF token"
sessions_file 644 "$HID$TAB$HCSRF${TAB}4$TAB$((NOW + 3600000))"
ignored "a file others can read"
login "$T/jar4" && ok "a login after a bad file" ||
    not_ok "a login after a bad file"
[ "$(stat -c %a "$SF")" = 600 ] && [ "$(nsessions)" = 1 ] &&
    grep -q "^$(jar_id "$T/jar4")$TAB" "$SF" &&
    ok "... replaces it with a good one, mode 0600" ||
    not_ok "... replaces it with a good one, mode 0600"
rm -f "$SF"
restart "without a sessions file"
expect "the state file deleted: the old cookie needs a new login" 401 \
    -b "$T/jar4" "$UI/pending"
grep -Eq 'protocol violation|child \(pid [0-9]+\) (killed|exited)' \
    "$ALLLOG" "$DLOG" &&
    not_ok "no child died and no protocol violation was logged (restarts)" ||
    ok "no child died and no protocol violation was logged (restarts)"
stop_daemon
cat "$DLOG" >>"$ALLLOG"
grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$ALLLOG" &&
    not_ok "no sanitizer report in the daemon's log" ||
    ok "no sanitizer report in the daemon's log"

## The page in a browser.

if [ -n "${GUARDIAND_SKIP_BROWSER:-}" ]; then
	echo "ok - the page in chromium # SKIP GUARDIAND_SKIP_BROWSER is set"
else
	BIN=$BIN bash "$TOP/regress/browser/run.sh"
	rc=$?
	[ "$rc" = 0 ] || note "browser test exited $rc"
fi
exit 0
