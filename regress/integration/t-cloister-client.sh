#!/usr/bin/env bash
# Existing cloister clients keep working (DESIGN 1, 6.1): a bash + curl
# + jq client speaking POST /request, as cloister's own hostexec script
# does, against the real daemon.
. "$(dirname "$0")/../lib.sh"

CLIENT=$(cd "$(dirname "$0")/.." && pwd)/cloister-hostexec.sh
request_conf 1s
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
    - pattern: "^printf "
    - pattern: "^sh -c "
  manual_approve:
    - pattern: "^git push"
YAML
gconf -a <<YAML
  deny:
    - pattern: "^rm "
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML

start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }

export CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP
export CLOISTER_TOKEN=$TOKEN

# cx ARGS...: the client, stdout and stderr in $T/o and $T/e; RC.
cx() {
	bash "$CLIENT" "$@" >"$T/o" 2>"$T/e" </dev/null
	RC=$?
}

for transport in tcp unix; do
	[ $transport = unix ] && export CLOISTER_GUARDIAN_SOCKET=$SOCK
	cx echo hello from cloister
	[ $RC -eq 0 ] && [ "$(cat "$T/o")" = "hello from cloister" ] &&
	    [ ! -s "$T/e" ] && ok "$transport: auto-approved command" ||
	    not_ok "$transport: auto-approved command ($RC: $(cat "$T/o" "$T/e"))"
done
unset CLOISTER_GUARDIAN_SOCKET

cx sh -c 'echo out; echo err >&2; exit 5'
[ $RC -eq 5 ] && [ "$(cat "$T/o")" = out ] && [ "$(cat "$T/e")" = err ] &&
    ok "exit status and both streams" ||
    not_ok "exit status and both streams ($RC)"

cx rm -rf /nonexistent
[ $RC -eq 1 ] && grep -q 'denied' "$T/e" && [ ! -s "$T/o" ] &&
    ok "denied: message, exit 1" || not_ok "denied: message, exit 1 ($RC)"
cx ls
[ $RC -eq 1 ] && grep -q 'denied' "$T/e" && ok "default deny: exit 1" ||
    not_ok "default deny: exit 1 ($RC)"
cx git push
[ $RC -eq 1 ] && grep -q 'timed out' "$T/e" &&
    ok "approval timeout: message, exit 1" ||
    not_ok "approval timeout: message, exit 1 ($RC: $(cat "$T/e"))"

# Arguments the JSON must carry exactly: quotes, backslashes, newlines,
# tabs, Unicode, leading dashes, empty strings.
args=("it's" 'say "hi"' 'back\slash' $'two\nlines' $'tab\there' \
    'ünïcödé €' '😀' '-n' '' '$HOME' '*' '  spaced  ')
printf '%s|' "${args[@]}" >"$T/want"
cx printf '%s|' "${args[@]}"
[ $RC -eq 0 ] && cmp -s "$T/want" "$T/o" &&
    ok "quotes, newlines, Unicode and friends arrive as given" ||
    not_ok "quotes, newlines, Unicode and friends ($RC: $(od -c "$T/o" | head -5))"

cx sh -c 'printf "no newline at the end"'
[ $RC -eq 0 ] && [ "$(od -An -c "$T/o" | tr -d ' \n' | tail -c 3)" = end ] &&
    ok "output printed exactly, no newline added" ||
    not_ok "output printed exactly ($(od -c "$T/o" | tail -2))"

CLOISTER_TOKEN=t1-token-0123456789abcdeX cx echo nope
[ $RC -ne 0 ] && grep -qi 'token' "$T/e" && [ ! -s "$T/o" ] &&
    ok "bad token: an error, exit non-zero" ||
    not_ok "bad token: an error, exit non-zero ($RC: $(cat "$T/e"))"
exit 0
