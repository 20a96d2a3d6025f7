#!/usr/bin/env bash
# The container-facing HTTP API (DESIGN 6.1) with curl and raw bytes:
# POST /request field by field for every outcome, every error status,
# the limits and timeouts, and bad input of every kind, after each of
# which the request child is still the same process and still serves.
. "$(dirname "$0")/../lib.sh"
# Raw connections the daemon closes on us must not kill the script.
trap '' PIPE

request_conf 3s
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
    - pattern: "^sh -c "
    - pattern: "^touch "
  manual_approve:
    - pattern: "^git push"
    - pattern: "^printf "
YAML
gconf -a <<YAML
  deny:
    - pattern: "^rm "
  max_output: "4KiB"
  limits:
    pending_per_cloister: 1
    body: "256KiB"
    headers: "8KiB"
    args: 100
    connections: 12
    read_timeout: "1s"
    idle_timeout: "1s"
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML

start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
RPID=$(child_pid request)
URL=http://127.0.0.1:$RP

# call [curl options...]: sets CODE and CTYPE; the body is in $T/out.
call() {
	local r
	r=$(curl -s -o "$T/out" -w '%{http_code} %{content_type}' "$@")
	CODE=${r%% *}
	CTYPE=${r#* }
}

# post PATH DATA [curl options...]: POST with the token, as call.
post() {
	local path=$1 data=$2
	shift 2
	call -H "X-Cloister-Token: $TOKEN" -H 'Content-Type: application/json' \
	    --data-binary "$data" "$@" "$URL$path"
}

# bgpost FILE DATA: the same in the background, the body into FILE.
bgpost() {
	curl -s -o "$1" -H "X-Cloister-Token: $TOKEN" --data-binary "$2" \
	    "$URL/request" &
	bg=$!
}

# jcheck DESC JQ-EXPR: the last body satisfies the jq expression.
jcheck() {
	if jq -e "$2" "$T/out" >/dev/null 2>&1; then
		ok "$1"
	else
		not_ok "$1 (HTTP $CODE: $(head -c 300 "$T/out"))"
	fi
}

# err_check DESC STATUS [REGEX]: an error status with our JSON body.
err_check() {
	local desc=$1 want=$2 re=${3:-.}
	if [ "$CODE" = "$want" ] && [ "${CTYPE%%;*}" = application/json ] &&
	    jq -e --arg re "$re" '.status == "error" and
	    (.reason | type == "string" and length > 0 and test($re))' \
	    "$T/out" >/dev/null 2>&1; then
		ok "$desc: $want, JSON reason"
	else
		not_ok "$desc: want $want (HTTP $CODE $CTYPE: $(head -c 300 \
		    "$T/out"))"
	fi
	still_up "$desc"
}

# still_up DESC: after a bad input, the same request child still
# answers /healthz and runs a good request.  Counted; alive reports.
NUP=0
still_up() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")
	curl -s -o "$T/out.up" -H "X-Cloister-Token: $TOKEN" \
	    --data-binary '{"args":["echo","still","here"]}' "$URL/request"
	if [ "$(child_pid request)" = "$RPID" ] && [ "$code" = 200 ] &&
	    jq -e '.stdout == "still here\n"' "$T/out.up" >/dev/null 2>&1; then
		NUP=$((NUP + 1))
	else
		not_ok "still serving after: $1 (healthz $code)"
		RPID=$(child_pid request)
	fi
}

# alive DESC: still_up, and report how many checks passed so far.
alive() {
	still_up "$1"
	ok "after $1: still serving ($NUP checks, same process)"
	NUP=0
}

# raw BYTES (printf %b escapes): send on a fresh TCP connection, print
# the status line of the answer ("" if the connection just closed).
raw() {
	local line=
	exec 3<>"/dev/tcp/127.0.0.1/$RP" || return 1
	printf '%b' "$1" >&3 2>/dev/null
	IFS= read -r -t 5 line <&3
	exec 3<&- 3>&-
	printf '%s\n' "${line%$'\r'}"
}

# rawcheck DESC REGEX BYTES: the status line answering BYTES matches
# REGEX ("" if the connection closed), and the child lives on.
rawcheck() {
	local s
	s=$(raw "$3")
	if [[ $s =~ $2 ]]; then
		ok "$1: ${s:-closed}"
	else
		not_ok "$1 (${s:-closed})"
	fi
	still_up "$1"
}

have_ctl() { [ -x "$GUARDIANCTL" ]; }

# wait_pending: wait until guardianctl lists a pending request; its id
# in PID_REQ.
wait_pending() {
	local n=100
	PID_REQ=
	while [ $n -gt 0 ]; do
		PID_REQ=$("$GUARDIANCTL" show requests 2>/dev/null |
		    awk '$1 != "ID" && NF > 0 { print $1; exit }')
		[ -n "$PID_REQ" ] && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

#
# Outcomes, field by field.
#
post /request '{"args":["echo","hello","world"]}'
[ "$CODE" = 200 ] && [ "${CTYPE%%;*}" = application/json ] &&
    ok "auto_approved: HTTP 200 application/json" ||
    not_ok "auto_approved: HTTP 200 application/json ($CODE $CTYPE)"
jcheck "auto_approved: status, pattern, exit_code, stdout, stderr" \
    '.status == "auto_approved" and .pattern == "^echo " and
     .exit_code == 0 and .stdout == "hello world\n" and .stderr == "" and
     (has("truncated") | not) and (has("signal") | not)'
post /request '{"cmd":"ignored","args":["sh","-c","echo out; echo err >&2; exit 3"],"extra":1}'
jcheck "exit status 3, stdout and stderr apart, cmd ignored" \
    '.status == "auto_approved" and .exit_code == 3 and
     .stdout == "out\n" and .stderr == "err\n"'
post /request '{"args":["sh","-c","kill -9 $$"]}'
jcheck "killed by signal 9: exit_code 137, signal 9" \
    '.exit_code == 137 and .signal == 9'
post /request '{"args":["sh","-c","printf \"a\\377b\\001c\""]}'
jcheck "output that is not UTF-8 becomes U+FFFD, controls escaped" \
    '.stdout == "a\ufffdb\u0001c"'
post /request '{"args":["sh","-c","head -c 10000 /dev/zero | tr \"\\\\0\" a; echo e >&2"]}'
jcheck "stdout over max_output: exactly 4096 bytes, truncated" \
    '.truncated == true and (.stdout | length) == 4096 and
     (.stdout | test("^a+$")) and .stderr == "e\n" and .exit_code == 0'
post /request '{"args":["sh","-c","head -c 4096 /dev/zero | tr \"\\\\0\" b"]}'
jcheck "exactly max_output: not truncated" \
    '(has("truncated") | not) and (.stdout | length) == 4096'
post /request '{"args":["sh","-c","head -c 5000 /dev/zero | tr \"\\\\0\" c >&2"]}'
jcheck "stderr over max_output: cut, truncated" \
    '.truncated == true and (.stderr | length) == 4096 and .stdout == ""'
post /request '{"args":["sh","-c","pwd"]}'
jcheck "runs in the worktree" ".stdout == \"$(cd "$WT" && pwd -P)\\n\""

post /request '{"args":["rm","-rf","x"]}'
jcheck "denied by a deny pattern: status denied with a reason" \
    '.status == "denied" and (.reason | test("rm"))'
[ "$CODE" = 200 ] && ok "denied: HTTP 200" || not_ok "denied: HTTP 200 ($CODE)"
post /request '{"args":["ls"]}'
jcheck "nothing matches: denied" '.status == "denied" and (.reason | length > 0)'

t0=$(date +%s%N)
post /request '{"args":["git","push"]}'
t1=$(date +%s%N)
jcheck "no decision within request.timeout: status timeout" \
    '.status == "timeout" and (.reason | length > 0)'
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -ge 2900 ] && [ "$ms" -lt 8000 ] &&
    ok "waiting for approval outlives read and idle timeouts (${ms} ms)" ||
    not_ok "waiting for approval outlives read and idle timeouts (${ms} ms)"

if have_ctl; then
	bgpost "$T/out" '{"args":["printf","%s","approved-output"]}'
	if wait_pending && "$GUARDIANCTL" approve "$PID_REQ" >/dev/null; then
		wait $bg
		jcheck "approved by guardianctl: status approved, output" \
		    '.status == "approved" and .exit_code == 0 and
		     .stdout == "approved-output" and (has("pattern") | not)'
	else
		wait $bg
		not_ok "approved by guardianctl (no pending request seen)"
	fi
else
	ok "approved by a human # SKIP guardianctl not built"
fi

#
# 400
#
post /request '{"args":'
err_check "truncated JSON" 400 'byte'
post /request 'not json'
err_check "not JSON" 400
post /request ''
err_check "empty body" 400
post /request '[1,2]'
err_check "not an object" 400 'object'
post /request '{}'
err_check "missing args" 400 'args'
post /request '{"args":[]}'
err_check "empty args" 400 'args'
post /request '{"args":"echo hi"}'
err_check "args not an array" 400 'args'
post /request '{"args":["echo",1]}'
err_check "args not strings (says which)" 400 'args\[1\] is not'
post /request '{"args":["echo","a\u0000b"]}'
err_check "NUL in an argument (says which)" 400 'args\[1\].*NUL'
post /request '{"args":["echo"],"args":["rm"]}'
err_check "duplicate key" 400
printf '{"args":["echo","\377"]}' >"$T/badutf8"
post /request "@$T/badutf8"
err_check "invalid UTF-8 in JSON" 400 'byte'
printf '{"args":["echo","a\0b"]}' >"$T/nul"
post /request "@$T/nul"
err_check "raw NUL byte in the body" 400
args=$(jq -cn '{args: [range(101) | tostring]}')
post /request "$args"
err_check "more than limits.args arguments" 400 'too many'
alive "bad bodies"

#
# 401: nothing runs.
#
rm -f "$WT/m1" "$WT/m2" "$WT/m3"
call --data-binary "{\"args\":[\"touch\",\"$WT/m1\"]}" "$URL/request"
err_check "missing token" 401
call -H 'X-Cloister-Token: t1-token-0123456789abcdeX' \
    --data-binary "{\"args\":[\"touch\",\"$WT/m2\"]}" "$URL/request"
err_check "unknown token" 401
call -H 'Authorization: Bearer nope-nope-nope-nope' \
    --data-binary "{\"args\":[\"touch\",\"$WT/m2\"]}" "$URL/v1/exec"
err_check "unknown bearer token on /v1/exec" 401
sleep 0.3
[ ! -e "$WT/m1" ] && [ ! -e "$WT/m2" ] && ok "401: nothing ran" ||
    not_ok "401: nothing ran"
call -H "Authorization: Bearer $TOKEN" \
    --data-binary "{\"args\":[\"touch\",\"$WT/m3\"]}" "$URL/request"
[ "$CODE" = 200 ] && [ -e "$WT/m3" ] &&
    ok "Authorization: Bearer accepted, the command ran" ||
    not_ok "Authorization: Bearer accepted ($CODE)"
alive "bad tokens"

#
# 413
#
head -c 300000 /dev/zero | tr '\0' a | sed 's/^/{"args":["echo","/; s/$/"]}/' \
    >"$T/big"
post /request "@$T/big"
err_check "body over limits.body" 413
head -c 2000000 /dev/zero | tr '\0' a | sed 's/^/{"args":["echo","/; s/$/"]}/' \
    >"$T/big2"
post /request "@$T/big2"
err_check "2 MB body (Expect: 100-continue)" 413
post /request "@$T/big" -H 'Expect:'
err_check "body over the limit, sent at once" 413
post /request "@$T/big" -H 'Transfer-Encoding: chunked'
# evhttp 2.1 refuses an oversized chunked body itself, with its own body.
[ "$CODE" = 413 ] && ok "chunked body over the limit: 413" ||
    not_ok "chunked body over the limit: 413 ($CODE)"
args=$(jq -cn '{args: ["echo", (range(70) | "x" * 1000)]}')
post /request "$args"
err_check "arguments over 64 KiB: command too long" 413 'too long'
alive "oversized bodies"

#
# 429: a second pending request of the same cloister.
#
bgpost "$T/out.bg" '{"args":["git","push","a"]}'
if have_ctl; then wait_pending; else sleep 0.5; fi
post /request '{"args":["git","push","b"]}'
err_check "pending_per_cloister exceeded" 429
wait $bg
jq -e '.status == "timeout"' "$T/out.bg" >/dev/null &&
    ok "the first request kept waiting" ||
    not_ok "the first request kept waiting ($(cat "$T/out.bg"))"

# A client that goes away cancels its pending request.
curl -s -o /dev/null -m 0.5 -H "X-Cloister-Token: $TOKEN" \
    --data-binary '{"args":["git","push","c"]}' "$URL/request"
sleep 0.3
if have_ctl; then
	n=$("$GUARDIANCTL" show requests 2>/dev/null | awk '$1 != "ID" && NF' |
	    wc -l)
	[ "$n" -eq 0 ] && ok "client gone: pending request cancelled" ||
	    not_ok "client gone: pending request cancelled ($n pending)"
fi
post /request '{"args":["git","push","d"]}' -m 0.5
[ "$CODE" = 000 ] && ok "the next pending one is accepted again" ||
    not_ok "the next pending one is accepted again ($CODE)"

#
# Routes and methods.
#
code=$(curl -s -o "$T/out" -w '%{http_code}' "$URL/healthz")
[ "$code" = 200 ] && ok "GET /healthz: 200" || not_ok "GET /healthz ($code)"
code=$(curl -s -o /dev/null -I -w '%{http_code}' "$URL/healthz")
[ "$code" = 200 ] && ok "HEAD /healthz: 200" || not_ok "HEAD /healthz ($code)"
code=$(curl -s -o "$T/out" -w '%{http_code}' --unix-socket "$SOCK" \
    http://localhost/healthz)
[ "$code" = 200 ] && ok "/healthz on the unix socket" ||
    not_ok "/healthz on the unix socket ($code)"
call -D "$T/hdr" "$URL/request"
err_check "GET /request" 405
grep -qi '^allow: POST' "$T/hdr" && ok "405 says Allow: POST" ||
    not_ok "405 says Allow: POST"
call -X PUT -d x "$URL/v1/exec"
err_check "PUT /v1/exec" 405
call -X DELETE "$URL/healthz"
err_check "DELETE /healthz" 405
post /nope '{"args":["echo","x"]}'
err_check "unknown path" 404
post /request/ '{"args":["echo","x"]}'
err_check "path with a trailing slash" 404
post '/request?x=1' '{"args":["echo","q"]}'
jcheck "a query string is ignored" '.stdout == "q\n"'
call --unix-socket "$SOCK" -H "X-Cloister-Token: $TOKEN" \
    --data-binary '{"args":["echo","unix"]}' http://localhost/request
jcheck "/request on the unix socket" '.stdout == "unix\n"'

# /v1/exec frames: s, then 1, then x; chunked, and for HTTP/1.0 not.
want1=31000000076672616d65640a		# '1', length 7, "framed\n"
for v in --http1.1 --http1.0; do
	r=$(curl -s $v -o "$T/stream" -D "$T/hdr" -w '%{http_code}' \
	    -H "X-Cloister-Token: $TOKEN" \
	    --data-binary '{"args":["echo","framed"]}' "$URL/v1/exec")
	f=$(od -An -tx1 -v "$T/stream" | tr -d ' \n')
	x=$(tail -c 14 "$T/stream" | od -An -tx1 -v | tr -d ' \n')
	if [ "$r" = 200 ] && grep -qi \
	    '^content-type: application/vnd.guardiand.stream' "$T/hdr" &&
	    [[ $f == 73000000* && $f == *$want1* && $x == 780000000900000000* ]]
	then
		ok "/v1/exec $v: s, 1 and x frames"
	else
		not_ok "/v1/exec $v: s, 1 and x frames ($r: $f)"
	fi
done
grep -qi '^transfer-encoding: chunked' "$T/hdr" &&
    not_ok "HTTP/1.0: no chunked coding" || ok "HTTP/1.0: no chunked coding"

# Keep-alive: two requests on one connection.
curl -sv -o /dev/null -o /dev/null "$URL/healthz" "$URL/healthz" 2>"$T/v"
grep -q 'Re-using existing connection' "$T/v" &&
    ok "keep-alive: a second request on the same connection" ||
    not_ok "keep-alive: a second request on the same connection"

#
# Bad HTTP.  evhttp answers or closes; the child lives on.
#
rawcheck "garbage request line" '^HTTP/1.1 400' 'GARBAGE\r\n\r\n'
rawcheck "bad Content-Length" '^HTTP/1.1 400' \
    'POST /request HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'
rawcheck "bad chunked coding" '^(HTTP/1.1 4[01][0-9]|$)' \
    'POST /request HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'
rawcheck "NUL in the request line" '^HTTP/1.1 400' \
    'POST /req\x00uest HTTP/1.1\r\nHost: x\r\n\r\n'
rawcheck "NUL in a header value" '^HTTP/1.1 400' \
    "POST /request HTTP/1.1\r\nHost: x\r\nX-Cloister-Token: $TOKEN\x00x\r\nContent-Length: 20\r\n\r\n{\"args\":[\"echo\",\"\"]}"
rawcheck "NUL in a header name" '^HTTP/1.1 400' \
    'POST /request HTTP/1.1\r\nHost: x\r\nX-\x00: y\r\n\r\n'
rawcheck "NUL before the request line" '^HTTP/1.1 400' \
    '\x00GET /healthz HTTP/1.1\r\n\r\n'
rawcheck "obsolete line folding" '^(HTTP/1.1 [24]|$)' \
    'GET /healthz HTTP/1.1\r\nHost: x\r\n bad folding\r\n\r\n'
rawcheck "20 kB request line" '^(HTTP/1.1 4|$)' \
    "GET /$(head -c 20000 /dev/zero | tr '\0' a) HTTP/1.1\r\n\r\n"
rawcheck "binary header" '^(HTTP/1.1 [24]|$)' \
    'GET /healthz HTTP/1.1\r\n\xff\xfe: \x01\x02\r\n\r\n'
rawcheck "absurd Content-Length" '^HTTP/1.1 413' \
    'POST /request HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n'
rawcheck "negative Content-Length" '^(HTTP/1.1 4|$)' \
    'POST /request HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'
rawcheck "unknown method" '^(HTTP/1.1 (4..|501)|$)' 'BREW /request HTTP/1.1\r\n\r\n'
rawcheck "HTTP/9.9" '^(HTTP/1.1 [45]|$)' 'GET /healthz HTTP/9.9\r\n\r\n'
rawcheck "request without a version" '^(HTTP/1.1 4|$)' 'GET /healthz\r\n\r\n'
pad=$(head -c 10000 /dev/zero | tr '\0' a)
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Pad: $pad" "$URL/healthz")
[ "$CODE" != 200 ] && ok "headers over limits.headers refused ($CODE)" ||
    not_ok "headers over limits.headers refused ($CODE)"
still_up "oversized headers"
# Half a request, then the client goes.
exec 3<>"/dev/tcp/127.0.0.1/$RP"
printf 'POST /request HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"ar' >&3
exec 3<&- 3>&-
alive "malformed HTTP"

#
# Timeouts and the connection cap.
#
exec 3<>"/dev/tcp/127.0.0.1/$RP"
t0=$(date +%s%N)
( for i in 1 2 3 4 5 6 7 8; do printf 'X-Slow: %d\r\n' $i; sleep 0.3; done ) \
    >&3 2>/dev/null &
sl=$!
printf 'POST /request HTTP/1.1\r\nHost: x\r\n' >&3
timeout 5 cat <&3 >/dev/null
rc=$?
t1=$(date +%s%N)
exec 3<&- 3>&-
kill $sl 2>/dev/null; wait $sl 2>/dev/null
ms=$(( (t1 - t0) / 1000000 ))
[ $rc -ne 124 ] && [ $ms -lt 2000 ] &&
    ok "a request trickling in is cut at read_timeout (${ms} ms)" ||
    not_ok "a request trickling in is cut at read_timeout (rc $rc, ${ms} ms)"

exec 3<>"/dev/tcp/127.0.0.1/$RP"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&3
t0=$(date +%s%N)
timeout 5 cat <&3 >"$T/idle"
rc=$?
t1=$(date +%s%N)
exec 3<&- 3>&-
ms=$(( (t1 - t0) / 1000000 ))
grep -q '^HTTP/1.1 200' "$T/idle" && [ $rc -eq 0 ] && [ $ms -ge 800 ] &&
    [ $ms -lt 2500 ] &&
    ok "an idle keep-alive connection is closed at idle_timeout (${ms} ms)" ||
    not_ok "an idle keep-alive connection is closed (rc $rc, ${ms} ms)"

fds=()
for i in $(seq 12); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$RP" && fds+=("$fd")
done
s=$(raw 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
exec 3<>"/dev/tcp/127.0.0.1/$RP"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&3
timeout 3 cat <&3 >"$T/cap"
exec 3<&- 3>&-
for fd in "${fds[@]}"; do exec {fd}<&-; done
[[ $s == "HTTP/1.1 503"* ]] && grep -q '"status":"error"' "$T/cap" &&
    ok "over limits.connections: 503 with a JSON body" ||
    not_ok "over limits.connections: 503 with a JSON body ($s)"
sleep 0.2
alive "the connection cap"
exit 0
