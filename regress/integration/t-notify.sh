#!/usr/bin/env bash
# guardian.notify: when a request starts waiting for a human, the
# notifier is started without a shell, with the request's id, cloister,
# project and command (cut to 1 KiB) in its environment and its output
# discarded; one that fails is logged; one that hangs is stopped at its
# time limit, its whole tree; neither holds up or changes the decision.
# A configuration error names file:line.
. "$(dirname "$0")/../lib.sh"

RP=$(free_port)
WT=$T/wt
mkdir -p "$WT"
TOK1=notify-c1-token-0123456789
TOK2=notify-c2-token-0123456789
TOK3=notify-c3-token-0123456789
TOK4=notify-c4-token-0123456789
TOK5=notify-c5-token-0123456789
TOK6=notify-c6-token-0123456789

# The notifier: records its environment and arguments, prints a lot
# (which must go nowhere), exits with $T/status if there is one.
cat >"$T/notifier" <<SH
#!/bin/sh
env | grep -E '^GUARDIAND_(ID|CLOISTER|PROJECT|COMMAND)=' | sort >"$T/env.\$GUARDIAND_ID.tmp"
printf '%s\n' "\$@" >"$T/args.\$GUARDIAND_ID"
printf '%s\n' "\$PWD" >"$T/cwd.\$GUARDIAND_ID"
printf '%s\n' "\$GUARDIAND_COMMAND" >"$T/cmd.\$GUARDIAND_ID"
mv "$T/env.\$GUARDIAND_ID.tmp" "$T/env.\$GUARDIAND_ID"
yes output | head -c 1000000
[ -f "$T/status" ] && exit "\$(cat "$T/status")"
exit 0
SH
# A notifier that hangs, ignoring SIGTERM, with a child of its own.
cat >"$T/hang" <<SH
#!/bin/sh
trap '' TERM
sleep 300 &
echo "\$\$ \$!" >"$T/hang.\$GUARDIAND_ID.tmp"
mv "$T/hang.\$GUARDIAND_ID.tmp" "$T/hang.\$GUARDIAND_ID"
while :; do sleep 1; done
SH
chmod +x "$T/notifier" "$T/hang"

cat >"$CONF" <<YAML
request:
  timeout: "60s"
hostexec:
  manual_approve:
    - pattern: "^printf "
YAML
# write_gconf NOTIFIER TIMEOUT
write_gconf() {
	gconf <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP"]
  notify:
    command: ["$1", "one arg", "@not-a-file", "\$HOME"]
    timeout: "$2"
  cloisters:
    - {name: c1, project: proj-one, worktree: "$WT", token: "$TOK1"}
    - {name: c2, worktree: "$WT", token: "$TOK2"}
    - {name: c3, worktree: "$WT", token: "$TOK3"}
    - {name: c4, worktree: "$WT", token: "$TOK4"}
    - {name: c5, worktree: "$WT", token: "$TOK5"}
    - {name: c6, worktree: "$WT", token: "$TOK6"}
YAML
}
write_gconf "$T/notifier" 10s

start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
ok "daemon starts"

# ask NAME TOKEN ARGS...: hostexec in the background; status in NAME.rc.
ask() {
	local name=$1 tok=$2; shift 2
	( hx_as "$tok" "$@" >"$T/$name.out" 2>"$T/$name.err"
	  echo $? >"$T/$name.rc" ) &
}
# wait_file FILE: until it exists (30 s at most).
wait_file() {
	local n=600
	while [ ! -e "$1" ] && [ $n -gt 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
	[ -e "$1" ]
}
done_within() {
	local n=$(( $2 * 20 ))
	while [ ! -s "$T/$1.rc" ] && [ $n -gt 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
	[ -s "$T/$1.rc" ]
}

# Each case has a cloister of its own: a cloister gets at most one
# notification a second.

# The environment, the arguments as written, no shell.
ask r1 "$TOK1" printf 'notify me'
ID=$(wait_pending_of c1)
if wait_file "$T/env.$ID"; then
	expect="GUARDIAND_CLOISTER=c1
GUARDIAND_COMMAND=printf 'notify me'
GUARDIAND_ID=$ID
GUARDIAND_PROJECT=proj-one"
	[ "$(cat "$T/env.$ID")" = "$expect" ] &&
	    ok "the notifier gets the request's id, cloister, project, command" ||
	    not_ok "the notifier's environment: $(cat "$T/env.$ID")"
	[ "$(cat "$T/args.$ID")" = "one arg
@not-a-file
\$HOME" ] && ok "its arguments as written, no shell" ||
	    not_ok "its arguments: $(cat "$T/args.$ID")"
	[ "$(cat "$T/cwd.$ID")" = / ] && ok "it runs in /" ||
	    not_ok "it runs in $(cat "$T/cwd.$ID")"
else
	not_ok "the notifier runs when a request waits"
fi
grep -q '^output' "$DLOG" && not_ok "its output reached the log" ||
    ok "its output is discarded"
"$GUARDIANCTL" approve "$ID" >/dev/null
done_within r1 20 && [ "$(cat "$T/r1.out")" = "notify me" ] &&
    ok "the request is decided as usual" ||
    not_ok "the request is decided as usual ($(cat "$T/r1.rc" "$T/r1.err" 2>/dev/null))"

# The command cut to 1 KiB, before a character that would not fit.
# printf 'xéé…: byte 1024 is the first half of an é.
long=x$(printf 'é%.0s' $(seq 700))
ask r2 "$TOK2" printf "$long"
ID=$(wait_pending_of c2)
if wait_file "$T/env.$ID"; then
	got=$(cat "$T/cmd.$ID")
	full="printf '$long'"
	n=$(printf '%s' "$got" | wc -c)
	[ "$n" -eq 1023 ] && [ "${full#"$got"}" != "$full" ] &&
	    printf '%s' "$got" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 &&
	    ok "GUARDIAND_COMMAND: the first $n bytes, whole characters" ||
	    not_ok "GUARDIAND_COMMAND cut: $n bytes: $got"
else
	not_ok "the notifier runs for a long command"
fi
"$GUARDIANCTL" deny "$ID" >/dev/null
done_within r2 20

# A notifier that fails: logged, the request untouched.
echo 3 >"$T/status"
ask r3 "$TOK3" printf fails
ID=$(wait_pending_of c3)
wait_log "notifier for request $ID: exited with status 3" 20 &&
    ok "a failing notifier is logged" || not_ok "a failing notifier is logged"
"$GUARDIANCTL" show requests | grep -q "^$ID " &&
    ok "and the request still waits" || not_ok "and the request still waits"
"$GUARDIANCTL" approve "$ID" >/dev/null
done_within r3 20 && [ "$(cat "$T/r3.out")" = fails ] &&
    ok "and is approved as usual" || not_ok "and is approved as usual"
rm -f "$T/status"

# A notifier that hangs: stopped at its time limit, its tree with it.
write_gconf "$T/hang" 1s
"$GUARDIANCTL" reload >/dev/null || not_ok "reload"
ask r4 "$TOK4" printf hangs
ID=$(wait_pending_of c4)
if wait_file "$T/hang.$ID"; then
	read -r hpid spid <"$T/hang.$ID"
	wait_log "notifier for request $ID: still running at its time limit: stopped" 20 &&
	    ok "a hanging notifier is stopped at its time limit" ||
	    not_ok "a hanging notifier is stopped at its time limit"
	n=400
	while { kill -0 "$hpid" || kill -0 "$spid"; } 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
	kill -0 "$hpid" 2>/dev/null || kill -0 "$spid" 2>/dev/null &&
	    not_ok "the notifier and its child are gone" ||
	    ok "the notifier (ignoring SIGTERM) and its child are gone"
else
	not_ok "the hanging notifier starts"
fi
"$GUARDIANCTL" show requests | grep -q "^$ID " &&
    ok "the request still waits" || not_ok "the request still waits"
"$GUARDIANCTL" approve "$ID" >/dev/null
done_within r4 20 && [ "$(cat "$T/r4.out")" = hangs ] &&
    ok "and is approved as usual" || not_ok "and is approved as usual"

# A notifier that is not there: logged at once.
write_gconf "$T/nowhere" 1s
"$GUARDIANCTL" reload >/dev/null
ask r5 "$TOK5" printf nowhere
ID=$(wait_pending_of c5)
wait_log "notify: $T/nowhere: No such file" 20 &&
    ok "a missing notifier is logged" || not_ok "a missing notifier is logged"
"$GUARDIANCTL" deny "$ID" >/dev/null
done_within r5 20

# The push-service example of guardiand.conf(5), as printed there, but
# for its address: the command reaches the service whole, as data.
HP=$(free_port)
sed -n '/^A message to a push service/,/^\.Ed/p' "$TOP/guardiand/guardiand.conf.5" |
    sed '1,/^\.Bd/d; /^\.Ed/d' |
    sed "s|https://push.example.net/topic/guardiand|http://127.0.0.1:$HP/topic|" |
    cat >"$T/push.yaml"
grep -q "127.0.0.1:$HP" "$T/push.yaml" || not_ok "the example is in guardiand.conf(5)"
{ grep -v '^guardian:' "$T/push.yaml" | sed -n '1,/^ *timeout:/p'
  cat <<YAML
  request_listen: ["127.0.0.1:$RP"]
  cloisters:
    - {name: c6, project: p6, worktree: "$WT", token: "$TOK6"}
YAML
} | { echo 'guardian:'; cat; } | gconf
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
	    LocalPort => $ARGV[0], Listen => 5, ReuseAddr => 1) or die "$!";
	open(my $r, ">", "$ARGV[1].ready"); close($r);
	my $c = $s->accept or die;
	my ($hdr, $len) = ("", 0);
	while (defined(my $l = <$c>)) {
		last if $l eq "\r\n";
		$hdr .= $l;
		$len = $1 if $l =~ /^Content-Length: *(\d+)/i;
	}
	read($c, my $body, $len);
	print $c "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	open(my $f, ">", "$ARGV[1].tmp"); print $f "$hdr\n$body"; close($f);
	rename("$ARGV[1].tmp", $ARGV[1]);' "$HP" "$T/push.got" &
PUSHPID=$!
wait_file "$T/push.got.ready"
"$GUARDIANCTL" reload >/dev/null || not_ok "reload with the push example: $(cat "$T/guardiand.yaml")"
ask r6 "$TOK6" printf '@/etc/passwd' 'a&b=c'
ID=$(wait_pending_of c6)
if wait_file "$T/push.got"; then
	grep -q '^POST /topic ' "$T/push.got" &&
	    tail -n 1 "$T/push.got" | grep -qx 'message=c6%3A+printf+%40%2Fetc%2Fpasswd+%27a%26b%3Dc%27' &&
	    ok "the curl example of guardiand.conf(5) posts the command as data" ||
	    not_ok "the curl example posts: $(cat "$T/push.got")"
else
	not_ok "the curl example of guardiand.conf(5) reaches the service"
fi
kill "$PUSHPID" 2>/dev/null
"$GUARDIANCTL" deny "$ID" >/dev/null
done_within r6 20

# Configuration errors: file:line, and nothing changes.
for bad in 'command: "notify-send hi"' 'command: []' 'timeout: "1h"' \
    'command: [""]' 'commnd: [x]'; do
	gconf <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP"]
  notify:
    $bad
  cloisters:
    - {name: c1, worktree: "$WT", token: "$TOK1"}
YAML
	out=$("$GUARDIAND" -n -f "$CONF" 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "guardiand.yaml:4: .*notify" <<<"$out" &&
	    ok "bad notify ($bad): $(grep -o 'guardiand.yaml:4: .*' <<<"$out" | head -1)" ||
	    not_ok "bad notify ($bad): rc $rc: $out"
done
kill -0 "$DPID" && ok "daemon still up" || not_ok "daemon still up"
