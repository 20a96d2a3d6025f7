#!/usr/bin/env bash
# hostexec reads the /v1/exec stream however its bytes are cut (DESIGN
# 6.1, 6.2): a server that is not guardiand (a peer hostexec must not
# trust) sends the frames in pieces of random sizes, inside HTTP chunks
# of their own sizes; output comes out byte for byte, as it comes, and a
# stream that breaks the format is refused with a clear message.
. "$(dirname "$0")/../lib.sh"

command -v perl >/dev/null || { note "skip: no perl"; exit 0; }

# The server: one connection per run of hostexec, its behaviour named
# by the file $T/mode; what it sent as output is in $T/sent.
PP=$(free_port)
perl -e '
use strict; use IO::Socket::INET;
my ($port, $dir) = @ARGV;
srand(4711);
my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port,
    Listen => 8, ReuseAddr => 1) or die "listen: $!";
open(my $r, ">", "$dir/ready") or die; close $r;
sub frame { my ($t, $p) = @_; return $t . pack("N", length $p) . $p; }
while (my $c = $l->accept) {
	my $head = "";
	while ($head !~ /\r\n\r\n/) {
		sysread($c, $head, 4096, length $head) or last;
	}
	open(my $mf, "<", "$dir/mode") or die; my $mode = <$mf>; close $mf;
	chomp $mode;
	my $out = join("", map { chr(32 + ($_ * 7919) % 95) } 1 .. 300000);
	my $s;
	if ($mode eq "split") {
		$s = frame("s", "") . frame("1", $out) . frame("k", "") .
		    frame("2", "to stderr\n") . frame("1", "") .
		    frame("1", "tail\n") . frame("x", pack("CNN", 0, 3, 5));
		open(my $sf, ">", "$dir/sent") or die;
		print $sf $out, "tail\n"; close $sf;
	} elsif ($mode eq "unknown") {
		$s = frame("s", "") . frame("1", "before\n") . "Z";
	} elsif ($mode eq "oversized") {
		$s = frame("s", "") . "1" . pack("N", 2 * 1024 * 1024) . "x" x 64;
	} elsif ($mode eq "truncated") {
		$s = frame("s", "") . "1" . pack("N", 100) . "y" x 50;
	}
	print $c "HTTP/1.1 200 OK\r\nContent-Type: " .
	    "application/vnd.guardiand.stream\r\n" .
	    "Transfer-Encoding: chunked\r\n\r\n";
	$c->autoflush(1);
	# Chunks of random sizes, each written in random pieces.
	while (length $s) {
		my $n = 1 + int(rand(9000));
		$n = length $s if $n > length $s;
		my $chunk = sprintf("%x\r\n", $n) . substr($s, 0, $n, "") . "\r\n";
		while (length $chunk) {
			my $k = 1 + int(rand(3000));
			syswrite($c, substr($chunk, 0, $k, ""));
		}
	}
	syswrite($c, "0\r\n\r\n") if $mode eq "split";
	close $c;
}
' "$PP" "$T" 2>"$T/server.err" &
SPID=$!
trap 'kill $SPID 2>/dev/null; cleanup' EXIT
n=0
until [ -e "$T/ready" ] || [ $n -ge 300 ]; do sleep 0.1; n=$((n + 1)); done
[ -e "$T/ready" ] || { not_ok "the test server starts"; exit 1; }

hx() {
	CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$PP \
	    CLOISTER_TOKEN=t-frames-token "$CLIENT" "$@"
}

# Both clients, the dynamic one and the static one containers get.
for CLIENT in "$HOSTEXEC" "$BIN/hostexec-static"; do
[ -x "$CLIENT" ] || { note "skip: no $CLIENT"; continue; }
note "client: $CLIENT"

echo split >"$T/mode"
hx anything >"$T/out" 2>"$T/err"
RC=$?
[ "$RC" = 3 ] && ok "the command's exit status comes through (3)" ||
    not_ok "the command's exit status comes through ($RC: $(cat "$T/err"))"
cmp -s "$T/out" "$T/sent" &&
    ok "output cut anywhere comes out byte for byte ($(wc -c <"$T/out") bytes)" ||
    not_ok "output cut anywhere comes out byte for byte"
grep -qx "to stderr" "$T/err" && ok "and the command's stderr too" ||
    not_ok "and the command's stderr too: $(cat "$T/err")"

# bad MODE MESSAGE: refused with MESSAGE, exit 255.
bad() {
	echo "$1" >"$T/mode"
	hx anything >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" = 255 ] && grep -q -- "$2" "$T/err"; then
		ok "$1 stream: refused ($2)"
	else
		not_ok "$1 stream: refused with '$2' ($RC: $(cat "$T/err"))"
	fi
}
bad unknown "protocol error from guardiand: unknown frame type 0x5a"
grep -qx before "$T/out" && ok "what came before it was written" ||
    not_ok "what came before it was written"
bad oversized "protocol error from guardiand: oversized frame"
bad truncated "connection to guardiand lost"
done
exit 0
