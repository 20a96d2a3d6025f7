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
guardian:
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
[ "$sent" -ge 100 ] && ok "the flood sent $sent huge requests" ||
    not_ok "the flood sent $sent huge requests"
[ "$good" -ge 99 ] && ok "flood of huge cancelled requests: the other cloister is served ($good/100)" ||
    not_ok "flood of huge cancelled requests: the other cloister is served ($good/100)"
n=$(grep -c " REQUEST .*cloister=t1 " "$AUDIT")
note "t1's records: $(grep "cloister=t1 " "$AUDIT" | awk '{ print $3 }' |
    sort | uniq -c | tr -s ' \n' ' ')"
[ "$n" -ge 50 ] && ok "the huge requests reached the parent ($n)" ||
    not_ok "the huge requests reached the parent ($n)"
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
[ -s "$T/legit.err" ] && note "what failed: $(sort "$T/legit.err" | uniq -c)"
exit 0
