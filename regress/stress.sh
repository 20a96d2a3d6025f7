#!/usr/bin/env bash
# make stress: the attacks of t-abuse, t-busy and t-uiflood at full
# size, STRESS_SECONDS (default 60) each, while a second cloister,
# beta, sends requests through its own socket one after another.
# Prints a table: beta's requests served and their p99 during each
# attack, the bytes the audit log grew, and the peak resident memory
# (VmHWM) of each daemon process so far.  Only this machine's loopback
# addresses are used.
. "$(dirname "$0")/lib.sh"
trap '' PIPE
SECS=${STRESS_SECONDS:-60}
FLOOD=$TOP/regress/connflood.pl

request_conf 5m
BTOKEN=beta-token-0123456789abcdef
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
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
    - {name: beta, worktree: "$WT", token: "$BTOKEN"}
YAML
start_daemon "$CONF" || { echo "the daemon does not start" >&2; exit 1; }
declare -A PID=([parent]=$DPID [policy]=$(child_pid policy)
    [request]=$(child_pid request) [ui]=$(child_pid ui))
BDOOR=$T/run/guardiand-cloisters/beta

hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo -; }

# legit: beta's requests through its door until $T/stop exists;
# one line per request: OK|FAIL milliseconds.
legit() {
	local i=0 t0 t1 out
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1))
		t0=$(date +%s%N)
		out=$(cd "$BDOOR" && CLOISTER_GUARDIAN_SOCKET=request.sock \
		    CLOISTER_TOKEN=$BTOKEN timeout 120 "$HOSTEXEC" -q \
		    echo "ok $i" 2>&1)
		t1=$(date +%s%N)
		[ "$out" = "ok $i" ] && echo "OK $(( (t1 - t0) / 1000000 ))" ||
		    echo "FAIL $(( (t1 - t0) / 1000000 ))"
	done
}

# p99 FILE: the 99th percentile of the times of FILE's lines.
p99() {
	awk '{ print $2 }' "$1" | sort -n |
	    awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
		i = int(NR * 0.99 + 0.999); if (i > NR) i = NR; print v[i] }'
}

# run NAME COMMAND...: the attack for SECS seconds, beta measured.
run() {
	local name=$1 before n good p99 ms
	shift
	settle
	rm -f "$T/stop"
	before=$(stat -c %s "$AUDIT")
	legit >"$T/legit" &
	LG=$!
	"$@" >"$T/attack.out" 2>&1
	touch "$T/stop"
	wait $LG
	n=$(wc -l <"$T/legit")
	good=$(grep -c '^OK' "$T/legit")
	p99=$(p99 "$T/legit")
	for p in "${PID[@]}"; do
		kill -0 "$p" 2>/dev/null || name="$name (A PROCESS EXITED)"
	done
	printf '| %-34s | %9s | %7s | %11s | %6s | %6s | %7s | %6s |\n' \
	    "$name" "$good/$n" "$p99" "$(( $(stat -c %s "$AUDIT") - before ))" \
	    "$(hwm "${PID[parent]}")" "$(hwm "${PID[policy]}")" \
	    "$(hwm "${PID[request]}")" "$(hwm "${PID[ui]}")"
}

# uiflood: connections to the approval page from 127.0.0.2 as fast as
# they go, while the operator loads the page from 127.0.0.1 (a browser
# retries a connection closed before its request was read; so does
# curl); its answers are counted like beta's, in $T/page.
uiflood() {
	local t0 t1 code
	perl "$FLOOD" flood "127.0.0.1:$UP" 127.0.0.2 1000000 2000 "$SECS" &
	FP=$!
	: >"$T/page"
	while kill -0 $FP 2>/dev/null; do
		t0=$(date +%s%N)
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
		    --retry 3 --retry-delay 0 --retry-all-errors \
		    "http://127.0.0.1:$UP/app.css")
		t1=$(date +%s%N)
		[ "$code" = 200 ] && echo "OK $(( (t1 - t0) / 1000000 ))" ||
		    echo "FAIL $(( (t1 - t0) / 1000000 ))"
	done >>"$T/page"
	wait $FP
}

# hog: t1 holds every slot it may, and asks for more, for SECS.
hog() {
	local i pids=
	mkfifo "$T/gate"
	for i in $(seq 40); do
		hx_as "$TOKEN" sh -c "read x <'$T/gate'" >/dev/null 2>&1 &
		pids="$pids $!"
	done
	sleep "$SECS"
	exec 3<>"$T/gate"; exec 3>&-
	# The running ones read end of file; the rest were told busy.
	wait $pids
	rm -f "$T/gate"
}

# settle: until the audit log stops growing (what an attack queued is
# written), 60 s at most, so that it is not counted to the next one.
settle() {
	local n=120 a b
	a=$(stat -c %s "$AUDIT")
	while [ $n -gt 0 ]; do
		sleep 0.5
		b=$(stat -c %s "$AUDIT")
		[ "$a" = "$b" ] && return
		a=$b; n=$((n - 1))
	done
}

echo "# make stress: $SECS s per attack; VmHWM in kB"
printf '| %-34s | %9s | %7s | %11s | %6s | %6s | %7s | %6s |\n' \
    attack "served" "p99 ms" "audit bytes" parent policy request ui
echo "|------------------------------------|-----------|---------|-------------|--------|--------|---------|--------|"
run "none" sleep "$SECS"
run "huge cancelled requests (t1)" \
    perl "$FLOOD" huge "127.0.0.1:$RP" "$TOKEN" "$SECS" 8
run "token-less audit flood" \
    perl "$FLOOD" huge "127.0.0.1:$RP" "" "$SECS" 8
run "1000 idle TCP connections" \
    perl "$FLOOD" hold "127.0.0.1:$RP" 127.0.0.2 idle "$SECS" 1000
run "1000 idle unix connections" \
    perl "$FLOOD" hold "unix:$SOCK" - idle "$SECS" 1000
run "bad-token storm (600)" \
    perl "$FLOOD" hold "127.0.0.1:$RP" 127.0.0.2 badtoken "$SECS" 600
run "t1 holding every slot it may" hog
run "UI connection flood" uiflood
echo "# during the UI connection flood the page answered" \
    "$(grep -c '^OK' "$T/page")/$(wc -l <"$T/page"), p99 $(p99 "$T/page") ms"
stop_daemon
exit 0
