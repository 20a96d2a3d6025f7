#!/usr/bin/env bash
# A hostexec client in the manner of cloister's own: bash, curl and jq,
# speaking POST /request (DESIGN 6.1).  It stands for the clients that
# already live in cloister images, so the suite can check guardiand
# serves them.
#
#	cloister-hostexec.sh command [arg ...]
#
# Reaches $CLOISTER_GUARDIAN_SOCKET if set, else
# $CLOISTER_GUARDIAN_HOST on $CLOISTER_REQUEST_PORT (default 9998), with
# $CLOISTER_TOKEN.  Prints the command's output and exits with its
# status; denied or timed out: a message and 1.
set -u

if [ $# -eq 0 ]; then
	echo "usage: cloister-hostexec.sh command [arg ...]" >&2
	exit 1
fi
: "${CLOISTER_TOKEN:?CLOISTER_TOKEN is not set}"

# Every argument as one JSON string, newlines and all.
body=$(jq -cn '{args: $ARGS.positional}' --args -- "$@") || exit 1

if [ -n "${CLOISTER_GUARDIAN_SOCKET:-}" ]; then
	where=(--unix-socket "$CLOISTER_GUARDIAN_SOCKET" http://localhost/request)
else
	: "${CLOISTER_GUARDIAN_HOST:?CLOISTER_GUARDIAN_HOST is not set}"
	where=("http://$CLOISTER_GUARDIAN_HOST:${CLOISTER_REQUEST_PORT:-9998}/request")
fi

resp=$(curl -s --noproxy '*' --max-time 600 -X POST \
    -H 'Content-Type: application/json' \
    -H "X-Cloister-Token: $CLOISTER_TOKEN" \
    --data-binary "$body" "${where[@]}") || {
	echo "hostexec: cannot reach guardiand" >&2
	exit 1
}

status=$(jq -r '.status // "error"' <<<"$resp" 2>/dev/null) || status=error
case $status in
auto_approved | approved)
	# -j: the output exactly as it came, no newline added.
	jq -j '.stdout // ""' <<<"$resp"
	jq -j '.stderr // ""' <<<"$resp" >&2
	exit "$(jq -r '.exit_code // 1' <<<"$resp")"
	;;
denied)
	echo "hostexec: denied: $(jq -r '.reason // "no reason given"' \
	    <<<"$resp")" >&2
	exit 1
	;;
timeout)
	echo "hostexec: timed out waiting for approval" >&2
	exit 1
	;;
*)
	echo "hostexec: $(jq -r '.reason // "unexpected response"' \
	    <<<"$resp" 2>/dev/null || echo "unexpected response")" >&2
	exit "$(jq -r '.exit_code // 1' <<<"$resp" 2>/dev/null || echo 1)"
	;;
esac
