#!/usr/bin/env bash
# guardianctl(8) and the control socket: who may connect, status,
# register/unregister and persistence, show, approve/deny, reload
# (guardianctl and SIGHUP), ui, log, and the socket's own hygiene.
. "$(dirname "$0")/../lib.sh"

RP=$(free_port); UP=$(free_port)
CTL=$T/run/guardiand-control/control.sock
WT=$T/worktree
mkdir -p "$WT" "$XDG_CONFIG_HOME/cloister"
CONF=$XDG_CONFIG_HOME/cloister/config.yaml
GCONF=$XDG_CONFIG_HOME/cloister/guardiand.yaml
STOK=static-token-0123456789abcdef

# write_conf [EXTRA-AUTO-PATTERN]
write_conf() {
	cat >"$CONF" <<YAML
request:
  listen: "127.0.0.1:$RP"
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
    - pattern: "^pwd$"
    - pattern: "^sh attack.sh$"
    ${1:+- pattern: \"$1\"}
  manual_approve:
    - pattern: "^printf "
YAML
	gconf <<YAML
guardian:
  cloisters:
    - {name: static1, worktree: "$WT", token: "$STOK"}
YAML
}

ctl() { "$GUARDIANCTL" "$@"; }

# Raw protocol, for what guardianctl would never send.
# rawctl SOCKET MODE: prints "TYPE text" per answer frame.
rawctl() {
	perl -e '
use strict; use IO::Socket::UNIX; use Socket; use Time::HiRes qw(time);
my ($path, $mode) = @ARGV;
sub frame { my ($type, $payload) = @_;
	return pack("LLLL", $type, 16 + length($payload), 0, 0) . $payload; }
sub conn { IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
	or die "connect: $!\n"; }
sub readall { my ($s) = @_; my $buf = ""; my $n;
	while (($n = sysread($s, $buf, 65536, length $buf)) > 0) {}
	my @out;
	while (length($buf) >= 16) {
		my ($type, $len) = unpack("LL", $buf);
		last if length($buf) < $len;
		my $p = substr($buf, 16, $len - 16);
		my $t = length($p) >= 4 ? unpack("N/a*", $p) : "";
		push @out, "$type $t";
		$buf = substr($buf, $len);
	}
	return @out; }
if ($mode eq "badtype") {
	my $s = conn(); syswrite($s, frame(9999, ""));
	print "$_\n" for readall($s);
} elsif ($mode eq "trailing") {
	my $s = conn(); syswrite($s, frame(1001, "x"));
	print "$_\n" for readall($s);
} elsif ($mode eq "shortstr") {
	my $s = conn(); syswrite($s, frame(1004, pack("N", 50) . "abc"));
	print "$_\n" for readall($s);
} elsif ($mode eq "idle") {
	my $s = conn(); my $t0 = time; my $b;
	sysread($s, $b, 100);
	printf "%d\n", time - $t0;
} elsif ($mode eq "flood") {
	my @s = map { conn() } 1 .. 20;
	my $refused = 0;
	for my $i (16 .. 19) {
		my @a = readall($s[$i]);
		$refused++ if @a && $a[0] =~ /^1014 too many control/;
	}
	print "$refused\n";
}
' "$1" "$2"
}

write_conf
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
ok "daemon starts"

# The socket: where DESIGN 6.4 says, a socket, 0600.
[ -S "$CTL" ] && ok "control socket at \$XDG_RUNTIME_DIR/guardiand-control" ||
    not_ok "control socket at \$XDG_RUNTIME_DIR/guardiand-control"
mode=$(stat -c %a "$CTL")
[ "$mode" = 600 ] && ok "control socket mode 0600" ||
    not_ok "control socket mode 0600 (is $mode)"

# status
out=$(ctl status); rc=$?
[ $rc -eq 0 ] && ok "status: exit 0" || not_ok "status: exit 0 ($rc)"
echo "$out" | head -1 | grep -Eq "^guardiand pid $DPID, up [0-9]+s$" &&
    ok "status: pid and uptime" || not_ok "status: pid and uptime: $out"
echo "$out" | grep -qx "listening: request 127.0.0.1:$RP; ui 127.0.0.1:$UP" &&
    ok "status: listeners" || not_ok "status: listeners: $out"
echo "$out" | grep -qx "requests: 0 pending, 0 running" &&
    ok "status: request counts" || not_ok "status: request counts: $out"
echo "$out" | grep -qx "cloisters: 1" && ok "status: cloister count" ||
    not_ok "status: cloister count: $out"
out=$(ctl -s "$CTL" status) && echo "$out" | grep -q '^guardiand pid' &&
    ok "-s names the socket" || not_ok "-s names the socket"

# Usage errors: exit 2 and the usage on stderr; help: stdout, exit 0.
for args in "" "frobnicate" "show" "show nothing" "approve" \
    "approve a b" "register x" "register -w $WT" "register x -w" \
    "unregister" "log" "log loud" "status extra" "-x status" \
    "help me"; do
	# shellcheck disable=SC2086
	ctl $args >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc -eq 2 ] && grep -q '^usage: guardianctl' "$T/err" &&
	    [ ! -s "$T/out" ]; then
		ok "usage error: '$args'"
	else
		not_ok "usage error: '$args' (rc $rc)"
	fi
done
for args in help -h; do
	ctl $args >"$T/out" 2>"$T/err"; rc=$?
	[ $rc -eq 0 ] && grep -q '^usage: guardianctl' "$T/out" &&
	    grep -q 'register NAME' "$T/out" && [ ! -s "$T/err" ] &&
	    ok "guardianctl $args: usage on stdout, exit 0" ||
	    not_ok "guardianctl $args: usage on stdout, exit 0 (rc $rc)"
done
XDG_RUNTIME_DIR=$T/nowhere "$GUARDIANCTL" status 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "^guardianctl: no control socket: $T/nowhere/guardiand-control does not exist" "$T/err" &&
    ok "no runtime directory: names the path it tried" ||
    not_ok "no runtime directory: names the path it tried (rc $rc: $(cat "$T/err"))"
ctl -s "$T/nope.sock" status 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qx "guardianctl: connect $T/nope.sock: No such file or directory (is guardiand running?)" "$T/err" &&
    ok "no daemon: exit 1, clear message" ||
    not_ok "no daemon: exit 1, clear message (rc $rc: $(cat "$T/err"))"

# Another user: the socket's mode stops it ...
chmod 711 "$T" "$T/run" "$T/run/guardiand-control"
setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$GUARDIANCTL" -s "$CTL" status >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'Permission denied (is guardiand running?)' "$T/err" &&
    ok "other uid: mode 0600 refuses" ||
    not_ok "other uid: mode 0600 refuses (rc $rc: $(cat "$T/err"))"
# ... and so does the peer check when the mode does not.
chmod 666 "$CTL"
setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$GUARDIANCTL" -s "$CTL" status >"$T/out" 2>"$T/err"; rc=$?
chmod 600 "$CTL"
chmod 700 "$T" "$T/run" "$T/run/guardiand-control"
[ $rc -eq 1 ] && [ ! -s "$T/out" ] && ok "other uid: peer credentials refuse" ||
    not_ok "other uid: peer credentials refuse (rc $rc: $(cat "$T/out" "$T/err"))"
wait_log 'refused uid 65534 pid [0-9]+: another user' 5 &&
    ok "other uid: refusal logged" || not_ok "other uid: refusal logged"

# register: prints just the token, which then works.
TOK=$(ctl register dyn1 -w "$WT"); rc=$?
[ $rc -eq 0 ] && [[ $TOK =~ ^[0-9a-f]{64}$ ]] &&
    ok "register: prints a generated token" ||
    not_ok "register: prints a generated token (rc $rc: $TOK)"
out=$(hx_as "$TOK" echo hello); rc=$?
[ $rc -eq 0 ] && [ "$out" = hello ] && ok "registered token works" ||
    not_ok "registered token works (rc $rc: $out)"
out=$(hx_as "$TOK" pwd); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$(realpath "$WT")" ] &&
    ok "commands run in the registered worktree" ||
    not_ok "commands run in the registered worktree (rc $rc: $out)"
out=$(hx_as "$STOK" echo static); rc=$?
[ $rc -eq 0 ] && [ "$out" = static ] && ok "static token works" ||
    not_ok "static token works (rc $rc)"

GTOK=given-token-0123456789abcdef
mkdir -p "$WT/sub"
out=$(cd "$WT" && ctl register dyn2 -w sub -P proj2 -t "$GTOK"); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$GTOK" ] && ok "register -t: prints that token" ||
    not_ok "register -t: prints that token (rc $rc: $out)"
out=$(echo "stdin-token-0123456789abcdef" | ctl register dyn3 -w "$WT" -t -)
[ "$out" = stdin-token-0123456789abcdef ] && ok "register -t -: token from stdin" ||
    not_ok "register -t -: token from stdin ($out)"
out=$(hx_as stdin-token-0123456789abcdef echo three)
[ "$out" = three ] && ok "token from stdin works" ||
    not_ok "token from stdin works"

check_reg_err() {
	local desc=$1 want=$2; shift 2
	ctl "$@" >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc -eq 1 ] && [ ! -s "$T/out" ] && grep -qF -- "$want" "$T/err"; then
		ok "register refused: $desc"
	else
		not_ok "register refused: $desc (rc $rc: $(cat "$T/out" "$T/err"))"
	fi
}
check_reg_err "same name" "guardianctl: cloister dyn1 already exists" \
    register dyn1 -w "$WT"
check_reg_err "static name" "guardianctl: cloister static1 already exists" \
    register static1 -w "$WT"
check_reg_err "same token" "guardianctl: that token is already in use" \
    register dyn4 -w "$WT" -t "$GTOK"
check_reg_err "static token" "guardianctl: that token is already in use" \
    register dyn4 -w "$WT" -t "$STOK"
check_reg_err "bad name" "guardianctl: bad cloister name" \
    register 'a;b' -w "$WT"
check_reg_err "bad token" "guardianctl: bad token" \
    register dyn4 -w "$WT" -t short
check_reg_err "missing worktree" "guardianctl: $T/missing: No such file" \
    register dyn4 -w "$T/missing"
check_reg_err "worktree not a directory" "guardianctl: worktree: Not a directory" \
    register dyn4 -w "$CONF"

# show cloisters: names, projects, worktrees; never a token.
out=$(ctl show cloisters); rc=$?
[ $rc -eq 0 ] && echo "$out" | head -1 | grep -q '^NAME ' &&
    ok "show cloisters: header" || not_ok "show cloisters: header"
echo "$out" | grep -Eq "^dyn1 +dyn1 +dynamic +$WT\$" &&
    echo "$out" | grep -Eq "^dyn2 +proj2 +dynamic +$WT/sub\$" &&
    echo "$out" | grep -Eq "^static1 +static1 +config +$WT\$" &&
    ok "show cloisters: one line each" ||
    not_ok "show cloisters: one line each: $out"
echo "$out" | grep -qF -e "$TOK" -e "$GTOK" -e "$STOK" -e stdin-token &&
    not_ok "show cloisters: no token shown" ||
    ok "show cloisters: no token shown"
ctl status | grep -qx "cloisters: 4" && ok "status counts registrations" ||
    not_ok "status counts registrations"

# Persisted, 0600, and still there after a restart.
SF=$XDG_STATE_HOME/guardiand/cloisters
[ "$(stat -c %a "$SF" 2>/dev/null)" = 600 ] && ok "state file mode 0600" ||
    not_ok "state file mode 0600"
[ "$(stat -c %a "$XDG_STATE_HOME/guardiand" 2>/dev/null)" = 700 ] &&
    ok "state directory mode 0700" || not_ok "state directory mode 0700"
stop_daemon
start_daemon "$CONF" || { not_ok "daemon restarts"; exit 1; }
out=$(hx_as "$TOK" echo again); rc=$?
[ $rc -eq 0 ] && [ "$out" = again ] && ok "registration survives a restart" ||
    not_ok "registration survives a restart (rc $rc)"
out=$(hx_as "$GTOK" pwd); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$(realpath "$WT/sub")" ] &&
    ok "relative -w resolved where guardianctl ran" ||
    not_ok "relative -w resolved where guardianctl ran (rc $rc: $out)"
ctl show cloisters | grep -Eq "^dyn2 +proj2 +dynamic +$WT/sub\$" &&
    ok "restart keeps project and worktree" ||
    not_ok "restart keeps project and worktree"

# show requests, approve, deny.
hx_as "$STOK" printf approved-output >"$T/o1" 2>"$T/e1" &
HX=$!
if id=$(wait_pending_of static1); then
	ok "show requests lists a pending request"
	out=$(ctl show requests)
	echo "$out" | head -1 | grep -Eq '^ID +CLOISTER +AGE +COMMAND$' &&
	    ok "show requests: header" || not_ok "show requests: header: $out"
	echo "$out" | grep -Eq "^$id +static1 +[0-9]+s +printf approved-output\$" &&
	    ok "show requests: id, cloister, age, command" ||
	    not_ok "show requests: id, cloister, age, command: $out"
	# The next line says why it asks: the pattern and its file:line.
	line=$(grep -n '"^printf "' "$CONF" | cut -d: -f1)
	echo "$out" | grep -A1 "^$id " | tail -1 | grep -Eq "^ {26}why: \
manual_approve pattern '\^printf ' at $CONF:$line\$" &&
	    ok "show requests: why, with the pattern's file:line" ||
	    not_ok "show requests: why, with the pattern's file:line: $out"
	[[ $id =~ ^[0-9a-f]{24}$ ]] && ok "request id: 24 hex digits" ||
	    not_ok "request id: 24 hex digits ($id)"
	ctl status | grep -qx "requests: 1 pending, 0 running" &&
	    ok "status counts the pending request" ||
	    not_ok "status counts the pending request"
	out=$(ctl approve "$id"); rc=$?
	[ $rc -eq 0 ] && ok "approve: exit 0" || not_ok "approve: exit 0 ($rc)"
	wait $HX; rc=$?
	[ $rc -eq 0 ] && [ "$(cat "$T/o1")" = approved-output ] &&
	    ok "approved command ran" || not_ok "approved command ran (rc $rc)"
	ctl approve "$id" 2>"$T/err"; rc=$?
	[ $rc -eq 1 ] && grep -qx "guardianctl: no pending request $id" "$T/err" &&
	    ok "approve twice: refused" ||
	    not_ok "approve twice: refused (rc $rc: $(cat "$T/err"))"
else
	not_ok "show requests lists a pending request"
	kill $HX 2>/dev/null
fi

# Who may not approve, even as our uid: a process in another pid,
# mount or user namespace (a container), or a command guardiand
# started (the agent's code), or that command's orphan.
hx_as "$STOK" printf not-by-you >"$T/o5" 2>"$T/e5" &
HX=$!
if id=$(wait_pending_of static1); then
	for ns in "--pid --fork" "--mount" "--user --map-root-user"; do
		# shellcheck disable=SC2086
		unshare $ns "$GUARDIANCTL" -s "$CTL" approve "$id" \
		    >"$T/out" 2>"$T/err"; rc=$?
		[ $rc -eq 1 ] && grep -q '^guardianctl: refused' "$T/err" &&
		    ok "unshare $ns: refused" ||
		    not_ok "unshare $ns: refused (rc $rc: $(cat "$T/out" "$T/err"))"
	done
	wait_log 'refused uid 0 pid [0-9]+: it runs in another pid namespace' 5 &&
	    wait_log 'refused uid 0 pid [0-9]+: it runs in another mnt namespace' 5 &&
	    wait_log 'refused uid 0 pid [0-9]+: it runs in another user namespace' 5 &&
	    ok "namespace refusals logged with uid, pid and reason" ||
	    not_ok "namespace refusals logged with uid, pid and reason"
	cat >"$WT/attack.sh" <<SH
# An orphan, reparented when the command is gone.
setsid sh -c 'sleep 0.5; "$GUARDIANCTL" -s "$CTL" approve $id \
    >"$T/orphan.out" 2>&1; echo \$? >"$T/orphan.rc"' </dev/null \
    >/dev/null 2>&1 &
exec "$GUARDIANCTL" -s "$CTL" approve $id
SH
	out=$(hx_as "$STOK" sh attack.sh 2>&1); rc=$?
	[ $rc -eq 1 ] && echo "$out" | grep -q '^guardianctl: refused' &&
	    ok "a command guardiand runs cannot approve" ||
	    not_ok "a command guardiand runs cannot approve (rc $rc: $out)"
	n=100
	while [ ! -s "$T/orphan.rc" ] && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	[ "$(cat "$T/orphan.rc" 2>/dev/null)" = 1 ] &&
	    grep -q '^guardianctl: refused' "$T/orphan.out" &&
	    ok "nor can its orphan" ||
	    not_ok "nor can its orphan ($(cat "$T/orphan.out" 2>/dev/null))"
	wait_log "refused uid 0 pid [0-9]+: it descends from guardiand" 5 &&
	    ok "descendant refusal logged" || not_ok "descendant refusal logged"
	ctl show requests | grep -q "^$id " &&
	    ok "the request is still pending" ||
	    not_ok "the request is still pending"
	ctl deny "$id" >/dev/null
	wait $HX
else
	not_ok "a pending request for the namespace checks"
	kill $HX 2>/dev/null
fi

hx_as "$STOK" printf denied-output >"$T/o2" 2>"$T/e2" &
HX=$!
if id=$(wait_pending_of static1); then
	ctl deny "$id" not   on a Friday >"$T/out"; rc=$?
	[ "$(cat "$T/out")" = "request $id denied" ] && ok "deny: says so" ||
	    not_ok "deny: says so ($(cat "$T/out"))"
	[ $rc -eq 0 ] && ok "deny: exit 0" || not_ok "deny: exit 0 ($rc)"
	wait $HX; rc=$?
	[ $rc -eq 1 ] && [ ! -s "$T/o2" ] && grep -q 'not on a Friday' "$T/e2" &&
	    ok "denied: hostexec exits 1 with the reason" ||
	    not_ok "denied: hostexec exits 1 with the reason (rc $rc: $(cat "$T/e2"))"
	ctl show requests | grep -q "$id" && not_ok "denied request gone" ||
	    ok "denied request gone"
else
	not_ok "deny: request pending"
	kill $HX 2>/dev/null
fi
ctl approve 000000000000000000000000 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qx 'guardianctl: no pending request 000000000000000000000000' "$T/err" &&
    ok "approve unknown id: exit 1" || not_ok "approve unknown id: exit 1"
ctl deny "$(printf 'x\033[2J')" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && ! grep -q "$(printf '\033')" "$T/err" &&
    ok "error messages carry no raw escape" ||
    not_ok "error messages carry no raw escape"

# unregister: the token stops working, pending requests are denied.
hx_as "$TOK" printf pending-at-unregister >"$T/o3" 2>"$T/e3" &
HX=$!
if id=$(wait_pending_of dyn1); then
	ctl unregister dyn1; rc=$?
	[ $rc -eq 0 ] && ok "unregister: exit 0" || not_ok "unregister: exit 0 ($rc)"
	wait $HX; rc=$?
	[ $rc -eq 1 ] && [ ! -s "$T/o3" ] &&
	    ok "unregister denies its pending request" ||
	    not_ok "unregister denies its pending request (rc $rc: $(cat "$T/e3"))"
else
	not_ok "unregister: request pending"
	kill $HX 2>/dev/null
	ctl unregister dyn1
fi
hx_as "$TOK" echo gone >/dev/null 2>&1; rc=$?
[ $rc -eq 255 ] && ok "unregistered token refused (255)" ||
    not_ok "unregistered token refused (255) (rc $rc)"
ctl show cloisters | grep -q '^dyn1 ' && not_ok "unregistered not listed" ||
    ok "unregistered not listed"
grep -qF "$TOK" "$SF" && not_ok "unregistered removed from the state file" ||
    ok "unregistered removed from the state file"
ctl unregister static1 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'defined in the configuration file' "$T/err" &&
    ok "unregister a static cloister: refused" ||
    not_ok "unregister a static cloister: refused (rc $rc)"
ctl unregister nosuch 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qx 'guardianctl: no cloister nosuch' "$T/err" &&
    ok "unregister unknown: refused" || not_ok "unregister unknown: refused"
stop_daemon
start_daemon "$CONF" || { not_ok "daemon restarts"; exit 1; }
hx_as "$TOK" echo gone >/dev/null 2>&1; rc=$?
[ $rc -eq 255 ] && ok "unregistration survives a restart" ||
    not_ok "unregistration survives a restart (rc $rc)"

# reload: a good file applies, a bad one changes nothing and says why;
# pending requests survive either way.
hx_as "$STOK" printf survives-reload >"$T/o4" 2>"$T/e4" &
HX=$!
id=$(wait_pending_of static1) || not_ok "reload: request pending"
write_conf '^true$'
out=$(ctl reload); rc=$?
[ $rc -eq 0 ] && [ "$out" = "configuration reloaded" ] &&
    ok "reload: exit 0" || not_ok "reload: exit 0 (rc $rc: $out)"
hx_as "$STOK" true; rc=$?
[ $rc -eq 0 ] && ok "reload: new pattern in force" ||
    not_ok "reload: new pattern in force (rc $rc)"

cp "$CONF" "$T/good.yaml"
cp "$GCONF" "$T/good-g.yaml"
printf '  bogus_key: 1\n' >>"$GCONF"
sed -i 's/\^true\$/^false$/' "$CONF"
ctl reload >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ ! -s "$T/out" ] &&
    grep -Eq "^guardianctl: $GCONF:[0-9]+: unknown key .bogus_key." "$T/err" &&
    ok "reload of a broken file: exit 1 with file:line" ||
    not_ok "reload of a broken file: exit 1 with file:line (rc $rc: $(cat "$T/err"))"
hx_as "$STOK" true; rc=$?
[ $rc -eq 0 ] && ok "broken reload: old policy kept" ||
    not_ok "broken reload: old policy kept (rc $rc)"
hx_as "$STOK" false 2>/dev/null; rc=$?
[ $rc -eq 1 ] && ok "broken reload: nothing of the new file applied" ||
    not_ok "broken reload: nothing of the new file applied (rc $rc)"

# A pattern the policy child rejects: the same.
cp "$T/good.yaml" "$CONF"
cp "$T/good-g.yaml" "$GCONF"
sed -i 's/\^true\$/(?=lookahead)/' "$CONF"
ctl reload >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -Eq "^guardianctl: $CONF:[0-9]+: " "$T/err" &&
    ok "reload of a bad pattern: exit 1 with file:line" ||
    not_ok "reload of a bad pattern: exit 1 with file:line (rc $rc: $(cat "$T/err"))"
hx_as "$STOK" true; rc=$?
[ $rc -eq 0 ] && ok "bad pattern: old policy kept" ||
    not_ok "bad pattern: old policy kept (rc $rc)"

# SIGHUP: the same, into the log.
printf 'guardian:\n  default: deny\n' >>"$CONF"
kill -HUP "$DPID"
wait_log "reload failed.*$CONF:[0-9]+: " 5 &&
    ok "SIGHUP with a broken file: logged with file:line" ||
    not_ok "SIGHUP with a broken file: logged with file:line"
hx_as "$STOK" true; rc=$?
[ $rc -eq 0 ] && ok "SIGHUP broken: old policy kept" ||
    not_ok "SIGHUP broken: old policy kept (rc $rc)"
write_conf '^false$'
n0=$(grep -c 'configuration reloaded' "$DLOG")
kill -HUP "$DPID"
n=50
while [ $n -gt 0 ] && [ "$(grep -c 'configuration reloaded' "$DLOG")" -le "$n0" ]; do
	sleep 0.1; n=$((n - 1))
done
# false exits 1 whether it ran or was denied: the message tells.
hx_as "$STOK" false 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ ! -s "$T/err" ] && ok "SIGHUP with a good file: applied" ||
    not_ok "SIGHUP with a good file: applied (rc $rc: $(cat "$T/err"))"
hx_as "$STOK" true 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ -s "$T/err" ] && ok "SIGHUP: the old pattern is gone" ||
    not_ok "SIGHUP: the old pattern is gone (rc $rc)"

if [ -n "${id:-}" ]; then
	ctl approve "$id" >/dev/null; rc=$?
	wait $HX; rc2=$?
	[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ "$(cat "$T/o4")" = survives-reload ] &&
	    ok "pending request survived the reloads" ||
	    not_ok "pending request survived the reloads ($rc, $rc2)"
else
	kill $HX 2>/dev/null
fi

# ui, log.
out=$(ctl ui); rc=$?
[ $rc -eq 0 ] && [[ $out == http://127.0.0.1:$UP/* ]] &&
    ok "ui: prints a login URL" || not_ok "ui: prints a login URL (rc $rc: $out)"
ctl log verbose && ctl status | grep -qx 'log: verbose' &&
    ok "log verbose" || not_ok "log verbose"
ctl log brief && ctl status | grep -qx 'log: brief' &&
    ok "log brief" || not_ok "log brief"

# What guardianctl would never send.
out=$(rawctl "$CTL" badtype)
[ "$out" = "1014 bad request" ] && ok "unknown request type: bad request" ||
    not_ok "unknown request type: bad request ($out)"
out=$(rawctl "$CTL" trailing)
[ "$out" = "1014 bad request" ] && ok "payload left over: bad request" ||
    not_ok "payload left over: bad request ($out)"
out=$(rawctl "$CTL" shortstr)
[ "$out" = "1014 bad request" ] && ok "truncated string: bad request" ||
    not_ok "truncated string: bad request ($out)"
out=$(rawctl "$CTL" flood)
[ "$out" = 4 ] && ok "connections beyond 16 refused" ||
    not_ok "connections beyond 16 refused ($out)"
# The flood's connections close as the daemon reads their end.
n=50
until ctl status >/dev/null 2>&1 || [ $n -eq 0 ]; do
	sleep 0.1; n=$((n - 1))
done
[ $n -gt 0 ] && ok "serves again after the flood" ||
    not_ok "serves again after the flood"
out=$(rawctl "$CTL" idle)
[ "$out" -ge 9 ] && [ "$out" -le 12 ] && ok "idle connection closed after 10s" ||
    not_ok "idle connection closed after 10s ($out)"

# A second daemon on the same socket gives up; a stale one is replaced.
RP2=$(free_port); UP2=$(free_port)
cat >"$T/conf2.yaml" <<YAML
request:
  listen: "127.0.0.1:$RP2"
hostexec:
  listen: "127.0.0.1:$UP2"
YAML
timeout 10 "$GUARDIAND" -d -f "$T/conf2.yaml" 2>"$T/d2.log"; rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'another guardiand' "$T/d2.log" &&
    ok "second daemon on the same socket refuses to start" ||
    not_ok "second daemon on the same socket refuses to start (rc $rc)"
ctl status >/dev/null && ok "first daemon still reachable" ||
    not_ok "first daemon still reachable"

kids=$(pgrep -P "$DPID")
kill -KILL "$DPID"; wait_exit "$DPID" 10; DPID=
for k in $kids; do n=100
	while [ $n -gt 0 ] && kill -0 "$k" 2>/dev/null; do sleep 0.05; n=$((n-1)); done
done
[ -S "$CTL" ] && ok "killed daemon leaves its socket" ||
    not_ok "killed daemon leaves its socket"
start_daemon "$CONF" && ctl status >/dev/null &&
    ok "stale socket replaced" || not_ok "stale socket replaced"
stop_daemon
[ ! -e "$CTL" ] && ok "SIGTERM removes the control socket" ||
    not_ok "SIGTERM removes the control socket"

# -s: a socket of the operator's choosing, nothing else created.
mkdir -m 700 "$T/elsewhere"
start_daemon "$CONF" -s "$T/elsewhere/ctl" || not_ok "start with -s"
[ -S "$T/elsewhere/ctl" ] && [ "$(stat -c %a "$T/elsewhere/ctl")" = 600 ] &&
    ok "guardiand -s: socket there, 0600" || not_ok "guardiand -s: socket there, 0600"
ctl -s "$T/elsewhere/ctl" status >/dev/null && ok "guardianctl -s reaches it" ||
    not_ok "guardianctl -s reaches it"
stop_daemon
echo "touch" >"$T/elsewhere/ctl.file"
: >"$DLOG"
spawn_daemon -d -f "$CONF" -s "$T/elsewhere/ctl.file"
if wait_exit "$DPID" 10; then
	DPID=
	[ "$RC" -ne 0 ] && grep -q 'not a socket' "$DLOG" &&
	    [ "$(cat "$T/elsewhere/ctl.file")" = touch ] &&
	    ok "a file in the way is not replaced" ||
	    not_ok "a file in the way is not replaced (rc $RC)"
else
	not_ok "a file in the way is not replaced: daemon runs"
	stop_daemon
fi
exit 0
