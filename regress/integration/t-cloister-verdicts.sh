#!/usr/bin/env bash
# Never more permissive than cloister (DESIGN 5), over HTTP, under
# cloister's own default patterns (../shared/testdata/cloister/
# cloister-default.yaml): "docker ps" with an argument holding a
# newline matches ^docker ps.*$ in guardiand's canonical string
# (docker ps $'a\nb') but not in cloister's (the raw newline stops
# .* and $), so it is not auto-approved: it is denied, as cloister
# denies it.  The same patterns still approve what cloister approves.
. "$(dirname "$0")/../lib.sh"

SHARED=$TOP/../shared/testdata/cloister
if [ ! -f "$SHARED/cloister-default.yaml" ]; then
	echo "ok - # SKIP $SHARED/cloister-default.yaml is missing"
	exit 0
fi
# guardiand -n on cloister's own file says the same, and shows both
# strings.
out=$("$BIN/guardiand" -n -f "$SHARED/cloister-default.yaml" -- docker ps $'a\nb' 2>/dev/null)
[ "$out" = $'deny\t\tdocker ps $\'a\\nb\'\ncloister\t\t"docker ps \'a\\nb\'"' ] &&
    ok "guardiand -n: deny, with both strings" ||
    not_ok "guardiand -n: deny, with both strings ($out)"
out=$("$BIN/guardiand" -n -f "$SHARED/cloister-default.yaml" -- docker ps -a 2>/dev/null)
[ "$out" = $'auto_approve\t^docker ps.*$\tdocker ps -a' ] &&
    ok "guardiand -n: docker ps -a is auto-approved, one string" ||
    not_ok "guardiand -n: docker ps -a is auto-approved ($out)"

request_conf 2s
AUDIT=$T/audit.log
# cloister's hostexec section as it writes it, on a free port.
awk -v up="$UP" '
	/^hostexec:/ { on = 1; print; print "  listen: \"127.0.0.1:" up "\""; next }
	/^[^ #]/ { on = 0 }
	on && !/^  listen:/ { print }
' "$SHARED/cloister-default.yaml" >>"$CONF"
gconf -a <<YAML
  audit:
    file: "$AUDIT"
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML
grep -q '^    - pattern: "^docker ps.\*\$"' "$CONF" &&
    ok "cloister's default auto_approve pattern is in the configuration" ||
    not_ok "cloister's default auto_approve pattern is in the configuration ($(cat "$CONF"))"
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
URL=http://127.0.0.1:$RP

# post JSON: POST /request with the token; the answer in $T/out.
post() {
	curl -s -o "$T/out" -H "X-Cloister-Token: $TOKEN" \
	    -H 'Content-Type: application/json' --data-binary "$1" \
	    "$URL/request"
}

# wait_audit REGEX: until the audit file has a matching record (30 s).
wait_audit() {
	local n=600
	until grep -Eq -- "$1" "$AUDIT" 2>/dev/null || [ $n -eq 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
	grep -Eq -- "$1" "$AUDIT" 2>/dev/null
}

# The issue's example.
post '{"args": ["docker", "ps", "a\nb"]}'
jq -e '.status == "denied" and (.reason | test("no pattern allows"))' \
    "$T/out" >/dev/null &&
    ok "docker ps \$'a\\nb' is denied, not auto-approved" ||
    not_ok "docker ps \$'a\\nb' is denied, not auto-approved ($(cat "$T/out"))"
wait_audit " HOSTEXEC DENY .*cmd=\"docker ps \\\$'a\\\\\\\\nb'\".*reason=\"no pattern matched\"" &&
    ok "audited as DENY, the command in its escaped form" ||
    not_ok "audited as DENY, the command in its escaped form ($(grep -v START "$AUDIT"))"
grep -q 'AUTO_APPROVE' "$AUDIT" &&
    not_ok "nothing was auto-approved ($(grep AUTO_APPROVE "$AUDIT"))" ||
    ok "nothing was auto-approved"

# A manual_approve pattern the same way: a newline in the argument
# keeps ( .+)?$ from matching cloister's form; without it, it waits
# for a human (and times out, unanswered).
post '{"args": ["gh", "pr", "view", "1\n2"]}'
jq -e '.status == "denied"' "$T/out" >/dev/null &&
    ok "gh pr view \$'1\\n2' is denied, not left to a human" ||
    not_ok "gh pr view \$'1\\n2' is denied ($(cat "$T/out"))"
post '{"args": ["gh", "pr", "view", "12"]}'
jq -e '.status == "timeout"' "$T/out" >/dev/null &&
    wait_audit ' HOSTEXEC PENDING .*cmd="gh pr view 12"' &&
    ok "gh pr view 12 waits for a human, as in cloister" ||
    not_ok "gh pr view 12 waits for a human ($(cat "$T/out"))"
# A tab is no newline: cloister's .* takes it raw, so both forms match.
post '{"args": ["gh", "pr", "view", "1\t2"]}'
jq -e '.status == "timeout"' "$T/out" >/dev/null &&
    wait_audit " HOSTEXEC PENDING .*cmd=\"gh pr view \\\$'1\\\\\\\\t2'\"" &&
    ok "gh pr view \$'1\\t2' waits for a human, as in cloister" ||
    not_ok "gh pr view \$'1\\t2' waits for a human ($(cat "$T/out"))"
exit 0
