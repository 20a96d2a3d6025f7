#!/usr/bin/env bash
# The approval UI under a flood of connections: far more connections
# than its limits, from the operator's own address and from another,
# neither run the ui child out of descriptors nor keep the page from
# answering; a connection that sends its request a byte a second is
# closed at the read deadline, on the UI and on the request listener;
# an event stream is not.
. "$(dirname "$0")/../lib.sh"
FLOOD=$TOP/regress/connflood.pl
ATTEMPTS=${ATTEMPTS:-20000}
CAP=64

UI_GCONF="  limits: {ui_connections: $CAP, ui_connections_per_peer: 32, read_timeout: 3s}"
ui_daemon ui-flood-token-0123456789 ||
    { cat "$T/start"; not_ok "daemon starts"; exit 1; }
PIDS="$DPID $(child_pid policy) $(child_pid request) $(child_pid ui)"
UIPID=$(child_pid ui)
alive() {
	local p
	for p in $PIDS; do
		kill -0 "$p" 2>/dev/null || return 1
	done
}
nfd() { ls "/proc/$UIPID/fd" 2>/dev/null | wc -l; }

# The flood: ATTEMPTS connections from each address, sending nothing,
# the last 500 kept open, while the operator loads the page.
perl "$FLOOD" flood "127.0.0.1:$UP" 127.0.0.1 "$ATTEMPTS" 500 60 \
    >"$T/made.1" &
F1=$!
perl "$FLOOD" flood "127.0.0.1:$UP" 127.0.0.2 "$ATTEMPTS" 500 60 \
    >"$T/made.2" &
F2=$!
good=0 tries=0 maxfd=0
while kill -0 $F1 2>/dev/null || kill -0 $F2 2>/dev/null; do
	tries=$((tries + 1))
	# A connection from the flooding address itself may be taken
	# for a flood's before its request is read: a browser would
	# retry, so does curl.
	code=$(curl -s -o "$T/page" -w '%{http_code}' --max-time 20 \
	    --retry 3 --retry-delay 0 --retry-all-errors "$UI/")
	[ "$code" = 401 ] && grep -q 'guardianctl ui' "$T/page" &&
	    good=$((good + 1)) || note "page: $code"
	n=$(nfd); [ "$n" -gt "$maxfd" ] && maxfd=$n
	sleep 0.2
done
wait $F1 $F2
made=$(( $(cat "$T/made.1") + $(cat "$T/made.2") ))
note "$made connections made; the page answered $good of $tries; the ui child had at most $maxfd descriptors"
[ "$made" -ge $((CAP * 10)) ] && ok "the flood made $made connections" ||
    not_ok "the flood made $made connections"
[ "$tries" -ge 1 ] && [ "$good" -eq "$tries" ] &&
    ok "the page answers during the flood ($good/$tries)" ||
    not_ok "the page answers during the flood ($good/$tries)"
# One turn of the loop accepts whatever the listen backlog holds (511)
# before the connections over the cap are closed: that much, not more.
[ "$maxfd" -le $((CAP + 511 + 32)) ] &&
    ok "the ui child's descriptors stay bounded ($maxfd)" ||
    not_ok "the ui child's descriptors stay bounded ($maxfd)"
grep -q 'approval UI: 64 connections' "$DLOG" &&
    ok "the limit is logged" || not_ok "the limit is logged"
alive && ok "the flood: no process exits" || not_ok "the flood: no process exits"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$UI/app.css")
[ "$code" = 200 ] && ok "the page answers after the flood" ||
    not_ok "the page answers after the flood ($code)"

# Slow loris: a byte a second is not a request; closed at the 3 s
# deadline (an inactivity timer would never close it).
for target in "127.0.0.1:$UP /" "127.0.0.1:$RP /request"; do
	set -- $target
	secs=$(perl "$FLOOD" loris "$1" "$2" 30)
	note "$1: closed after $secs s"
	awk -v s="$secs" 'BEGIN { exit !(s >= 2.5 && s < 15) }' &&
	    ok "a byte a second is closed at the read deadline ($1, ${secs}s)" ||
	    not_ok "a byte a second is closed at the read deadline ($1, ${secs}s)"
done

# An event stream has no deadline: open past several read deadlines
# (and no heartbeat in them), it still hears of a new request.
LOGIN=$(grep -o 'approval UI login: http://[^ ]*' "$DLOG" | tail -1 |
    sed 's/^approval UI login: //')
curl -s -o /dev/null -c "$T/jar" "$LOGIN"
curl -s -N --max-time 60 -b "$T/jar" "$UI/events" >"$T/events" &
EPID=$!
n=200
until grep -q '^event: state' "$T/events" || [ $n -eq 0 ]; do
	sleep 0.05; n=$((n - 1))
done
grep -q '^event: state' "$T/events" && ok "an event stream opens" ||
    not_ok "an event stream opens"
# Three deadlines of 3 s go by (a closed stream ends curl).
n=0
while [ $n -lt 90 ] && kill -0 "$EPID" 2>/dev/null; do
	sleep 0.1; n=$((n + 1))
done
hx_as ui-flood-token-0123456789 echo t-uiflood-late >/dev/null 2>&1 &
HPID=$!
n=200
until grep -q 't-uiflood-late' "$T/events" || [ $n -eq 0 ]; do
	sleep 0.05; n=$((n - 1))
done
kill -0 "$EPID" 2>/dev/null && grep -q 't-uiflood-late' "$T/events" &&
    ok "an event stream outlives the read deadline and stays current" ||
    not_ok "an event stream outlives the read deadline and stays current"
kill "$EPID" "$HPID" 2>/dev/null
pkill -P $$ -x hostexec 2>/dev/null
alive && ok "no process exits" || not_ok "no process exits"
exit 0
