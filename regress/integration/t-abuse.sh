#!/usr/bin/env bash
# Under abuse it keeps serving everyone else: while one cloister floods
# the daemon with huge requests it cancels at once, and while a client
# without a token floods it with bad logins, a second cloister's
# requests through its own socket still succeed, no process exits, and
# the audit log grows by a bounded amount.  The same attacks at full
# size are in make stress.
. "$(dirname "$0")/../lib.sh"
trap '' PIPE

request_conf 60s
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
  limits:
    running: 4
    running_per_cloister: 2
    connections_per_peer: 128
  audit:
    file: "$AUDIT"
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
    - {name: beta, worktree: "$WT", token: "$BTOKEN"}
YAML
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
PIDS="$DPID $(child_pid policy) $(child_pid request) $(child_pid ui)"
BDOOR=$T/run/guardiand-cloisters/beta

# flood SECONDS TOKEN: connections from several processes, each sending
# a /v1/exec whose canonical form is ~256 KiB (64,000 bytes of \x01)
# and closing at once; prints how many were sent.
flood() {
	perl -e '
use strict; use IO::Socket::INET; use Time::HiRes qw(time);
my ($port, $secs, $token, $dir) = @ARGV;
my $body = "{\"args\":[\"echo\",\"" . ("\\u0001" x 64000) . "\"]}";
my $head = "POST /v1/exec HTTP/1.1\r\nHost: x\r\n" .
    ($token ne "" ? "X-Cloister-Token: $token\r\n" : "") .
    "Content-Type: application/json\r\nContent-Length: " .
    length($body) . "\r\n\r\n";
my $n = 0; my $end = time + $secs;
my @kids;
for my $k (1 .. 4) {
	my $pid = fork();
	if ($pid == 0) {
		my $sent = 0;
		while (time < $end) {
			my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			    PeerPort => $port, Timeout => 2) or next;
			print $s $head, $body;
			close $s;
			$sent++;
		}
		open(my $fh, ">", "$dir/sent.$k") or exit 1;
		print $fh "$sent\n";
		exit 0;
	}
	push @kids, $pid;
}
for (@kids) { waitpid($_, 0); }
for my $k (1 .. 4) {
	open(my $fh, "<", "$dir/sent.$k") or next;
	$n += <$fh>;
}
print "$n\n";
' "$RP" "$1" "$2" "$T"
}

# legit N: beta's requests through its own socket, one after another,
# while the flood goes on; prints how many succeeded.
legit() {
	local i good=0 out
	for i in $(seq "$1"); do
		out=$(cd "$BDOOR" && CLOISTER_GUARDIAN_SOCKET=request.sock \
		    CLOISTER_TOKEN=$BTOKEN "$HOSTEXEC" -q echo "ok $i" 2>&1)
		if [ "$out" = "ok $i" ]; then
			good=$((good + 1))
		else
			echo "$out" >>"$T/legit.err"
		fi
	done
	echo "$good"
}

alive() {
	local p
	for p in $PIDS; do
		kill -0 "$p" 2>/dev/null || return 1
	done
}

# 1. A cloister floods huge requests and cancels each at once.
before=$(stat -c %s "$AUDIT")
flood 8 "$TOKEN" >"$T/sent" &
FL=$!
good=$(legit 100)
wait $FL
sent=$(cat "$T/sent")
note "huge cancelled requests: $sent sent; beta: $good of 100"
[ -s "$T/legit.err" ] && note "what failed: $(sort "$T/legit.err" | uniq -c)"
rm -f "$T/legit.err"
[ "$sent" -ge 100 ] && ok "the flood sent $sent huge requests" ||
    not_ok "the flood sent $sent huge requests"
[ "$good" -ge 99 ] && ok "flood of huge cancelled requests: the other cloister is served ($good/100)" ||
    not_ok "flood of huge cancelled requests: the other cloister is served ($good/100)"
n=$(grep -c " REQUEST .*cloister=t1 " "$AUDIT")
note "t1's records: $(grep "cloister=t1 " "$AUDIT" | awk '{ print $3 }' |
    sort | uniq -c | tr -s ' \n' ' ')"
[ "$n" -ge 10 ] && ok "the huge requests reached the parent ($n)" ||
    not_ok "the huge requests reached the parent ($n)"
# Each record of a request holds its whole command (~256 KiB here): the
# cloister's audit budget (32 MiB at once, 1 MiB a second) bounds what
# it makes the log grow by; beyond it, busy answers, BUSY records at
# most one a second, each with a prefix of the command only.
grown=$(( $(stat -c %s "$AUDIT") - before ))
note "huge cancelled requests: the audit log grew $grown bytes"
[ "$grown" -lt $((96 * 1024 * 1024)) ] &&
    ok "flood of huge cancelled requests: the audit log grew $grown bytes, within t1's budget" ||
    not_ok "flood of huge cancelled requests: the audit log grew $grown bytes"
nb=$(grep -c " BUSY .*cloister=t1 .*audit budget" "$AUDIT")
[ "$nb" -ge 1 ] && [ "$nb" -le 30 ] &&
    ok "t1 was told it is busy, in $nb BUSY records" ||
    not_ok "t1 was told it is busy, in $nb BUSY records"
big=$(grep " BUSY .*cloister=t1 .*audit budget" "$AUDIT" | awk '{ print length }' | sort -n | tail -1)
[ "${big:-0}" -lt 2048 ] && ok "a BUSY record holds a prefix only (${big:-0} bytes)" ||
    not_ok "a BUSY record holds a prefix only (${big:-0} bytes)"
alive && ok "flood of huge cancelled requests: no process exits" ||
    not_ok "flood of huge cancelled requests: no process exits"
grep -q 'protocol violation\|fatal' "$DLOG" &&
    not_ok "no protocol violation logged: $(grep -m1 'protocol violation\|fatal' "$DLOG")" ||
    ok "no protocol violation logged"

# 2. Without a token: bad logins as fast as they go.
before=$(stat -c %s "$AUDIT")
flood 8 "" >"$T/sent" &
FL=$!
good=$(legit 100)
wait $FL
sent=$(cat "$T/sent")
grown=$(( $(stat -c %s "$AUDIT") - before ))
note "token-less flood: $sent sent, audit grew $grown bytes; beta: $good of 100"
[ "$good" -ge 99 ] && ok "token-less flood: the other cloister is served ($good/100)" ||
    not_ok "token-less flood: the other cloister is served ($good/100)"
alive && ok "token-less flood: no process exits" ||
    not_ok "token-less flood: no process exits"
# beta's own 100 requests write ~3 records each; the flood at most a
# few dozen records of at most a few hundred bytes.
[ "$grown" -lt 200000 ] && ok "token-less flood: the audit log grew $grown bytes" ||
    not_ok "token-less flood: the audit log grew $grown bytes"
n=$(grep -c ' AUTH_FAIL ' "$AUDIT")
long=$(awk '/ AUTH_FAIL / && length($0) > 1024' "$AUDIT" | wc -l)
[ "$n" -ge 1 ] && [ "$long" -eq 0 ] &&
    ok "AUTH_FAIL records hold a short prefix of the command ($n records)" ||
    not_ok "AUTH_FAIL records hold a short prefix of the command ($n records, $long long)"
# 3. 600 connections from one peer: idle ones on the shared TCP
# listener (from 127.0.0.2) and on the shared unix socket (this uid),
# then 600 clients with a bad token from 127.0.0.2.  Each peer may
# hold limits.connections_per_peer of them: the other cloister's door
# is not touched, the shared TCP listener still serves another
# address, and waiting out the bad-token delay holds no place.
FLOOD=$TOP/regress/connflood.pl
# held TARGET: connections open to it now.
held() {
	case $1 in
	unix:*)	ss -xH state connected | grep -cF "${1#unix:}" ;;
	*)	ss -tnH state established "( src 127.0.0.2 )" | wc -l ;;
	esac
}
for attack in "idle 127.0.0.1:$RP 127.0.0.2" "idle unix:$SOCK -" \
    "badtoken 127.0.0.1:$RP 127.0.0.2"; do
	set -- $attack
	mode=$1 target=$2 from=$3
	what="$mode connections ($target)"
	: >"$T/legit.err"
	before=$(stat -c %s "$AUDIT")
	perl "$FLOOD" hold "$target" "$from" "$mode" 8 600 >"$T/opened" &
	HO=$!
	# Until the peer is at its limit.
	n=400
	until [ "$(held "$target")" -ge 128 ] || [ $n -eq 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
	good=$(legit 50)
	tcp=0
	for i in $(seq 20); do
		out=$(hx_as "$BTOKEN" echo "tcp $i" 2>>"$T/legit.err") &&
		    [ "$out" = "tcp $i" ] && tcp=$((tcp + 1))
	done
	wait $HO
	grown=$(( $(stat -c %s "$AUDIT") - before ))
	note "$what: $(cat "$T/opened") opened; beta: $good of 50 on its door, $tcp of 20 on TCP; audit grew $grown bytes"
	[ "$good" -ge 50 ] && ok "$what: the other cloister's door serves ($good/50)" ||
	    not_ok "$what: the other cloister's door serves ($good/50)"
	[ "$tcp" -ge 20 ] &&
	    ok "$what: the shared TCP listener serves another address ($tcp/20)" ||
	    not_ok "$what: the shared TCP listener serves another address ($tcp/20)"
	alive && ok "$what: no process exits" ||
	    not_ok "$what: no process exits"
	# beta's 70 requests write ~3 records each; bad logins at most
	# 10 a minute of a few hundred bytes, and a summary.
	[ "$grown" -lt 100000 ] && ok "$what: the audit log grew $grown bytes" ||
	    not_ok "$what: the audit log grew $grown bytes"
	[ -s "$T/legit.err" ] && note "what failed: $(sort "$T/legit.err" | uniq -c)"
done

# 4. A cloister holding every slot it may: six commands that run until
# a gate opens; two run, the rest wait, then are told busy.  The other
# cloister's commands run all the while.
mkfifo "$T/gate"
: >"$T/legit.err"
for i in 1 2 3 4 5 6; do
	hx_as "$TOKEN" sh -c "read x <'$T/gate'" >/dev/null 2>"$T/hog.$i" &
	echo $! >>"$T/hogs"
done
n=200
until [ "$(pgrep -fc "^sh -c read x <'$T/gate'")" -ge 2 ] || [ $n -eq 0 ]; do
	sleep 0.05; n=$((n - 1))
done
good=$(legit 20)
running=$(pgrep -fc "^sh -c read x <'$T/gate'")
[ "$good" -ge 20 ] && [ "$running" -eq 2 ] &&
    ok "one cloister at its own limit ($running running): the other is served ($good/20)" ||
    not_ok "one cloister at its own limit ($running running): the other is served ($good/20)"
# The four beyond its limit wait for a slot of their cloister's, then
# hear "busy"; only then does the gate open for the two running.
nbusy() {
	cat "$T"/hog.* 2>/dev/null | grep -c 'guardiand is busy'
}
n=200
until [ "$(nbusy)" -ge 4 ] || [ $n -eq 0 ]; do
	sleep 0.05; n=$((n - 1))
done
busy=$(nbusy)
[ "$busy" -eq 4 ] && ok "the four beyond its limit were told busy" ||
    not_ok "the four beyond its limit were told busy ($busy)"
exec 3>"$T/gate"; exec 3>&-	# the running ones read end of file
for p in $(cat "$T/hogs"); do
	wait "$p"
done
# The parent pinged its children all along: none was taken for silent
# (guardian.ping_timeout, the default), and every one is still there.
! grep -q 'not answering' "$DLOG" && kill -0 "$DPID" &&
    ok "liveness: no child reported as not answering under this load" ||
    not_ok "liveness: a child reported as not answering ($(grep 'not answering' "$DLOG"))"
exit 0
