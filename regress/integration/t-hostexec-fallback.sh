#!/usr/bin/env bash
# hostexec against a server without the streaming API (DESIGN 6.2), as
# cloister's own: in front of the real daemon, a small relay answers
# 404 to POST /v1/exec, as cloister's server does, and passes
# everything else through.  hostexec asks again with POST /request and
# behaves as it does when it streams: output, exit status, refusals.
. "$(dirname "$0")/../lib.sh"

request_conf 30s
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
    - pattern: "^sh -c "
    - pattern: "^no-such-command-4711$"
  manual_approve:
    - pattern: "^printf "
YAML
gconf -a <<YAML
  deny:
    - pattern: "^rm "
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }

# The relay: one process per connection; the request line of each
# goes to $T/relay.log.
PP=$(free_port)
perl -e '
use strict; use IO::Socket::INET;
my ($port, $up, $log) = @ARGV;
$SIG{CHLD} = "IGNORE";
my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port,
    Listen => 64, ReuseAddr => 1) or die "listen: $!";
open(my $lf, ">>", $log) or die; $lf->autoflush(1);
print $lf "listening\n";
while (my $c = $l->accept) {
	if (fork) { close $c; next; }
	my $head = "";
	while ($head !~ /\r\n\r\n/) {
		my $n = sysread($c, $head, 4096, length $head) or exit 0;
	}
	my ($line) = $head =~ /^([^\r\n]*)/;
	print $lf "$line\n";
	if ($line =~ m{^POST /v1/exec }) {
		my $b = "404 page not found\n";
		print $c "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; " .
		    "charset=utf-8\r\nContent-Length: " . length($b) .
		    "\r\nConnection: close\r\n\r\n$b";
		exit 0;
	}
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
	    PeerPort => $up) or exit 0;
	print $s $head;
	my $pid = fork;
	if (!$pid) {
		my $buf;
		while (sysread($c, $buf, 65536)) { print $s $buf; }
		exit 0;
	}
	my $buf;
	while (sysread($s, $buf, 65536)) { syswrite($c, $buf); }
	kill "TERM", $pid;
	exit 0;
}' "$PP" "$RP" "$T/relay.log" &
RELAY=$!
n=100
until grep -q listening "$T/relay.log" 2>/dev/null || [ $n -eq 0 ]; do
	sleep 0.05; n=$((n - 1))
done
[ $n -gt 0 ] || { not_ok "relay listens"; kill "$RELAY"; exit 1; }
trap 'kill "$RELAY" 2>/dev/null; cleanup' EXIT

# hr ARGS...: hostexec through the relay; stdout, stderr in $T/o, $T/e.
hr() {
	CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$PP \
	    CLOISTER_TOKEN=${TOK:-$TOKEN} "$HOSTEXEC" "$@" >"$T/o" 2>"$T/e"
	RC=$?
	return $RC
}

: >"$T/relay.log"
hr echo hello world
[ $RC -eq 0 ] && [ "$(cat "$T/o")" = "hello world" ] && [ ! -s "$T/e" ] &&
    ok "auto-approved: output and exit 0" ||
    not_ok "auto-approved: output and exit 0 ($RC: $(cat "$T/o" "$T/e"))"
[ "$(cut -d' ' -f1,2 "$T/relay.log" | tr '\n' ,)" = "POST /v1/exec,POST /request," ] &&
    ok "asked /v1/exec, then /request" ||
    not_ok "asked /v1/exec, then /request ($(cat "$T/relay.log"))"

hr sh -c 'printf "o\\n\\001ut"; printf "err\\n" >&2; exit 3'
[ $RC -eq 3 ] && [ "$(od -An -c "$T/o" | tr -s ' ')" = " o \n 001 u t" ] &&
    [ "$(cat "$T/e")" = err ] &&
    ok "stdout and stderr apart, bytes as they were, the exit status" ||
    not_ok "stdout, stderr, exit status ($RC: $(od -c "$T/o") $(cat "$T/e"))"

hr sh -c 'kill -TERM $$'
[ $RC -eq 143 ] && ok "killed by a signal: 128+N" ||
    not_ok "killed by a signal: 128+N ($RC)"

hr rm -rf /nothing
[ $RC -eq 1 ] && [ "$(wc -l <"$T/e")" -eq 1 ] && grep -q 'rm' "$T/e" &&
    ok "denied by a pattern: exit 1, the reason" ||
    not_ok "denied by a pattern: exit 1, the reason ($RC: $(cat "$T/e"))"

hr ls
[ $RC -eq 1 ] && [ -s "$T/e" ] && ok "denied by default: exit 1" ||
    not_ok "denied by default: exit 1 ($RC)"

hr no-such-command-4711
[ $RC -eq 127 ] && grep -q 'not found' "$T/e" &&
    ok "not found on the host: 127" ||
    not_ok "not found on the host: 127 ($RC: $(cat "$T/e"))"

# Waiting for a human: the reply comes when one decides.
hr -q printf 'approved\n' &
HX=$!
id=$(wait_pending_of t1) && "$GUARDIANCTL" approve "$id" >/dev/null
wait "$HX"; RC=$?
[ $RC -eq 0 ] && [ "$(cat "$T/o")" = approved ] &&
    ok "manual: approved with guardianctl, then output, exit 0" ||
    not_ok "manual: approved ($RC: $(cat "$T/o" "$T/e"))"
hr -q printf 'no\n' &
HX=$!
id=$(wait_pending_of t1) && "$GUARDIANCTL" deny "$id" 'not now' >/dev/null
wait "$HX"; RC=$?
[ $RC -eq 1 ] && grep -q 'not now' "$T/e" && [ ! -s "$T/o" ] &&
    ok "manual: denied with a reason: exit 1, the reason" ||
    not_ok "manual: denied ($RC: $(cat "$T/e"))"

TOK=not-the-token-0123456789 hr echo x
[ $RC -eq 255 ] && [ -s "$T/e" ] && ok "a bad token: 255 with the server's reason" ||
    not_ok "a bad token: 255 ($RC: $(cat "$T/e"))"

# Straight to guardiand nothing changes: one request, streamed.
CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
    CLOISTER_TOKEN=$TOKEN "$HOSTEXEC" echo direct >"$T/o" 2>"$T/e"; RC=$?
[ $RC -eq 0 ] && [ "$(cat "$T/o")" = direct ] &&
    [ "$(grep -c 'HOSTEXEC REQUEST .*cmd="echo direct"' "$DLOG")" = 1 ] &&
    ok "straight to guardiand: streamed as before" ||
    not_ok "straight to guardiand ($RC)"
kill "$RELAY" 2>/dev/null
exit 0
