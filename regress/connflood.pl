#!/usr/bin/env perl
# Connections that abuse a listener, for the tests and make stress.
# Bounded in count and time; every address is the caller's, on this
# machine.  TARGET is HOST:PORT (from LOCAL, an address of this
# machine, or "-") or unix:PATH.
#
#   connflood.pl hold TARGET LOCAL MODE SECONDS N [TOKEN]
#	N connections for SECONDS, each reopened when closed: "idle"
#	ones send nothing, "badtoken" ones a request with a wrong
#	token; prints how many were opened.
#   connflood.pl flood TARGET LOCAL ATTEMPTS KEEP SECONDS
#	ATTEMPTS connections (at most SECONDS), sending nothing, the
#	last KEEP of them kept open; prints how many were made.
#   connflood.pl huge TARGET TOKEN SECONDS WORKERS
#	WORKERS processes sending, for SECONDS, a /v1/exec whose
#	canonical form is ~256 KiB (TOKEN "" for none) and closing at
#	once; prints how many were sent.
#   connflood.pl loris TARGET PATH SECONDS
#	a request head one byte a second; prints after how many
#	seconds the server closed the connection (SECONDS: gave up).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';
my $cmd = shift @ARGV or die "usage\n";
my $target = shift @ARGV or die "usage\n";

sub conn {
	my ($local) = @_;
	if ($target =~ /^unix:(.*)$/) {
		return IO::Socket::UNIX->new(Peer => $1, Type => SOCK_STREAM);
	}
	my ($host, $port) = $target =~ /^(.*):(\d+)$/ or die "bad target\n";
	return IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
	    Timeout => 2, defined $local && $local ne "-" ?
	    (LocalAddr => $local) : ());
}

if ($cmd eq "hold") {
	my ($local, $mode, $secs, $n, $token) = @ARGV;
	$token //= "wrong-token-0123456789abcdef";
	my $body = "{\"args\":[\"echo\",\"x\"]}";
	my $req = "POST /v1/exec HTTP/1.1\r\nHost: x\r\nX-Cloister-Token: " .
	    "$token\r\nContent-Length: " . length($body) . "\r\n\r\n" . $body;
	my $sel = IO::Select->new;
	my $opened = 0;
	my $end = time + $secs;
	my $open1 = sub {
		my $s = conn($local) or return 0;
		$opened++;
		syswrite($s, $req) if $mode eq "badtoken";
		$sel->add($s);
		return 1;
	};
	for (1 .. $n) { last if time >= $end; $open1->() or sleep 0.01; }
	while (time < $end) {
		for my $s ($sel->can_read(0.2)) {
			my $b;
			my $r = sysread($s, $b, 65536);
			if (!$r) { $sel->remove($s); close $s; }
		}
		while ($sel->count < $n && time < $end) {
			$open1->() or last;
		}
	}
	print "$opened\n";
} elsif ($cmd eq "flood") {
	my ($local, $attempts, $keep, $secs) = @ARGV;
	my (@q, $made);
	my $end = time + $secs;
	$made = 0;
	while ($made < $attempts && time < $end) {
		my $s = conn($local);
		if (!$s) { sleep 0.01; next; }
		$made++;
		push @q, $s;
		close(shift @q) while @q > $keep;
	}
	print "$made\n";
} elsif ($cmd eq "huge") {
	my ($token, $secs, $workers) = @ARGV;
	my $body = "{\"args\":[\"echo\",\"" . ("\\u0001" x 64000) . "\"]}";
	my $head = "POST /v1/exec HTTP/1.1\r\nHost: x\r\n" .
	    ($token ne "" ? "X-Cloister-Token: $token\r\n" : "") .
	    "Content-Type: application/json\r\nContent-Length: " .
	    length($body) . "\r\n\r\n";
	my $end = time + $secs;
	my @kids;
	pipe(my $rd, my $wr) or die "pipe\n";
	for (1 .. $workers) {
		my $pid = fork();
		if ($pid == 0) {
			close $rd;
			my $sent = 0;
			while (time < $end) {
				my $s = conn(undef) or next;
				print $s $head, $body;
				close $s;
				$sent++;
			}
			syswrite($wr, "$sent\n");
			exit 0;
		}
		push @kids, $pid;
	}
	close $wr;
	my $n = 0;
	while (my $l = <$rd>) { $n += $l; }
	waitpid($_, 0) for @kids;
	print "$n\n";
} elsif ($cmd eq "loris") {
	my ($path, $secs) = @ARGV;
	my $s = conn(undef) or die "cannot connect\n";
	my $head = "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n" .
	    ("X-Slow: " . ("a" x 1000) . "\r\n");
	my $start = time;
	my $sel = IO::Select->new($s);
	my $i = 0;
	while (time - $start < $secs) {
		last if !defined syswrite($s, substr($head, $i++ % length($head), 1));
		if ($sel->can_read(1)) {
			my $b;
			my $r = sysread($s, $b, 65536);
			last if !$r;	# closed (an answer would be odd)
		}
	}
	printf "%.1f\n", time - $start;
} else {
	die "usage\n";
}
