#!/usr/bin/env bash
# The approval UI's scopes (DESIGN section 6.3) over HTTP: an approval
# or a denial "for" a while makes a grant, listed in /pending with the
# requests, that decides the same command without a card until it is
# revoked on the page (POST /revoke/ID, checked like a decision, the
# REVOKE record naming the web UI session); "always" adds the rule
# (refused for a high-risk command); a scope out of bounds is refused.
. "$(dirname "$0")/../lib.sh"

TOKEN=t-ui-token-$RANDOM$RANDOM
AUD=$T/audit.log
UI_GCONF="  audit: {file: \"$AUD\"}"
ui_daemon "$TOKEN"
[ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null ||
    { cat "$T/start"; not_ok "daemon starts"; exit 1; }
ok "daemon starts"

code() {
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 10 "$@"
}
expect() {
	local desc=$1 want=$2 got; shift 2
	got=$(code "$@")
	[ "$got" = "$want" ] && ok "$desc" ||
	    not_ok "$desc (got $got, want $want: $(cat "$T/body"))"
}
# agent NAME ARGS...: hostexec in the background; status in $T/NAME.rc.
agent() {
	local name=$1; shift
	rm -f "$T/$name.rc"
	( CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
	    CLOISTER_TOKEN=$TOKEN "$HOSTEXEC" -q "$@" >"$T/$name.out" \
	    2>"$T/$name.err"; echo $? >"$T/$name.rc" ) &
}
done_within() {
	local n=$(( $2 * 20 ))
	while [ $n -gt 0 ]; do
		[ -s "$T/$1.rc" ] && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}
pending_id() {
	local i
	for i in $(seq 200); do
		curl -s -b "$JAR" "$UI/pending" |
		    jq -r --arg t "$1" '.requests[] | select(.cmd == $t) | .id' |
		    grep . && return 0
		sleep 0.05
	done
	return 1
}
wait_audit() {
	local n=200
	while [ $n -gt 0 ]; do
		grep -Eq -- "$1" "$AUD" 2>/dev/null && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}
post() {
	local path=$1; shift
	code -b "$JAR" -X POST -H "X-CSRF-Token: $CSRF" \
	    -H 'Content-Type: application/json' "$@" "$UI/$path"
}

LOGIN=$(grep -o 'approval UI login: http://[^ ]*' "$DLOG" | tail -1 |
    sed 's/^approval UI login: //')
JAR=$T/jar
curl -s -o /dev/null -c "$JAR" "$LOGIN"
CSRF=$(curl -s -b "$JAR" "$UI/session" | jq -r .csrf)
[ "${#CSRF}" -ge 32 ] && ok "logged in" || not_ok "logged in"

agent a1 echo scoped one
ID=$(pending_id "echo scoped one") && ok "a request is pending" ||
    not_ok "a request is pending"
for body in '{"for":0}' '{"for":604801}' '{"for":"1h"}' '{"for":1.5}' \
    '{"always":"yes"}' '{"always":true,"for":60}'; do
	[ "$(post "approve/$ID" --data "$body")" = 400 ] &&
	    ok "approve $body: 400" || not_ok "approve $body: 400 ($(cat "$T/body"))"
done
[ "$(post "deny/$ID" --data '{"always":true}')" = 400 ] &&
    ok "deny always: 400" || not_ok "deny always: 400"
[ "$(curl -s -b "$JAR" "$UI/pending" | jq -r --arg i "$ID" '[.requests[] | select(.id == $i)] | length')" = 1 ] &&
    ok "refused scopes decided nothing" || not_ok "refused scopes decided nothing"

expect "approve for an hour: 200" 200 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" --data '{"for":3600}' "$UI/approve/$ID"
[ "$(jq -r .status "$T/body")" = approved ] && ok "... approved" ||
    not_ok "... approved ($(cat "$T/body"))"
done_within a1 20 && [ "$(cat "$T/a1.rc")" = 0 ] && ok "the request ran" ||
    not_ok "the request ran"
wait_audit "GRANT id=$ID .*decision=approve .*for=3600s .*user=\"[^\"]* \\(web UI, session [0-9]+\\)\"" &&
    ok "GRANT audited with the web UI session" ||
    not_ok "GRANT audited ($(grep GRANT "$AUD"))"
G=$(curl -s -b "$JAR" "$UI/pending" | jq -r '.grants[0].id')
curl -s -b "$JAR" "$UI/pending" | jq -e --arg w "$T/wt" '.grants | length == 1 and
    (.[0] | .decision == "approve" and .cloister == "alpha" and
     .folder == $w and .command == "echo scoped one" and .uses == 0 and
     (.expires | test("^20[0-9-]+T[0-9:.]+Z$")))' >/dev/null &&
    ok "/pending lists the grant" ||
    not_ok "/pending lists the grant ($(curl -s -b "$JAR" "$UI/pending"))"

agent a2 echo scoped one
done_within a2 20 && [ "$(cat "$T/a2.rc")" = 0 ] &&
    wait_audit "AUTO_APPROVE id=.* grant=$G" &&
    ok "the same command again: decided by the grant" ||
    not_ok "the same command again: decided by the grant"
n=100
while [ "$(curl -s -b "$JAR" "$UI/pending" | jq -r '.grants[0].uses')" != 1 ] &&
    [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
[ $n -gt 0 ] && ok "its use is counted on the page" ||
    not_ok "its use is counted on the page"

expect "revoke without the CSRF token: 403" 403 -b "$JAR" -X POST \
    "$UI/revoke/$G"
expect "revoke an unknown grant: 404" 404 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" "$UI/revoke/0123456789abcdef01234567"
expect "revoke: 200" 200 -b "$JAR" -X POST -H "X-CSRF-Token: $CSRF" \
    "$UI/revoke/$G"
[ "$(jq -r .status "$T/body")" = revoked ] && ok "... revoked" ||
    not_ok "... revoked ($(cat "$T/body"))"
wait_audit "REVOKE .*grant=$G uses=1 user=\"[^\"]* \\(web UI, session [0-9]+\\)\" reason=\"?revoked" &&
    ok "REVOKE audited with the web UI session" ||
    not_ok "REVOKE audited ($(grep REVOKE "$AUD"))"
[ "$(curl -s -b "$JAR" "$UI/pending" | jq '.grants | length')" = 0 ] &&
    ok "the grant is gone from the page" || not_ok "the grant is gone from the page"
agent a3 echo scoped one
ID=$(pending_id "echo scoped one") && ok "after the revoke, it asks again" ||
    not_ok "after the revoke, it asks again"

expect "deny for a minute: 200" 200 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" --data '{"for":60,"reason":"not now"}' "$UI/deny/$ID"
curl -s -b "$JAR" "$UI/pending" | jq -e '.grants | length == 1 and .[0].decision == "deny"' >/dev/null &&
    ok "a denial grant is listed" || not_ok "a denial grant is listed"
done_within a3 20

agent h1 echo 'sudo true'
ID=$(pending_id "echo 'sudo true'")
expect "approve always, a high-risk command: 409" 409 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" --data '{"always":true}' "$UI/approve/$ID"
grep -q 'high-risk' "$T/body" && ok "... saying why" || not_ok "... saying why ($(cat "$T/body"))"
[ ! -e "$T/projects/my-api.yaml" ] && ok "... no rule written" || not_ok "... no rule written"
curl -s -b "$JAR" "$UI/pending" | jq -e --arg i "$ID" 'any(.requests[]; .id == $i)' >/dev/null &&
    ok "... still pending" || not_ok "... still pending"
curl -s -o /dev/null -b "$JAR" -X POST -H "X-CSRF-Token: $CSRF" "$UI/deny/$ID"
done_within h1 10
agent h2 echo a b
ID=$(pending_id "echo a b")
expect "approve always: 200" 200 -b "$JAR" -X POST \
    -H "X-CSRF-Token: $CSRF" --data '{"always":true}' "$UI/approve/$ID"
[ "$(tail -1 "$T/projects/my-api.yaml" 2>/dev/null)" = '    - pattern: "^echo a b$"' ] &&
    ok "approve always: the rule is in projects/my-api.yaml" ||
    not_ok "approve always: the rule ($(cat "$T/projects/my-api.yaml" 2>&1))"
wait_audit "RULE_ADD id=$ID .*user=\"[^\"]* \\(web UI, session [0-9]+\\)\"" &&
    ok "RULE_ADD audited with the web UI session" || not_ok "RULE_ADD audited"
done_within h2 20

stop_daemon
exit $((NFAIL > 0))
