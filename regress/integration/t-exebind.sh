#!/usr/bin/env bash
# What an approval binds (DESIGN 7): the program argv[0] names is
# resolved and pinned when the request arrives, shown on the card
# (/pending), by guardianctl and in the audit record, and run by its
# descriptor; a program replaced before the approval runs nothing
# ("executable changed"), whether named by path, found on a PATH entry
# in the worktree, or reached through a link retargeted since.  An
# unchanged program runs; guardian.trusted_path sends an automatic
# approval of a program from elsewhere to a human.
. "$(dirname "$0")/../lib.sh"

WT=$T/wt
mkdir -p "$WT/bin" "$T/tokens" "$T/elsewhere"
TOKEN=t-exebind-token-$RANDOM$RANDOM
RP=$(free_port); UP=$(free_port)
UI=http://127.0.0.1:$UP
cat >"$CONF" <<YAML
request:
  timeout: "60s"
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^printf auto"
    - pattern: "^auto-tool"
  manual_approve:
    - pattern: "^\\\\./tool"
    - pattern: "^pathtool"
    - pattern: "^\\\\./link"
    - pattern: "^git "
    - pattern: "^\\\\./big"
YAML
gconf <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP"]
  cloisters:
    - {name: c1, worktree: "$WT", token: "$TOKEN"}
  env:
    set: {PATH: "$WT/bin:/usr/bin:/bin"}
  trusted_path: [/usr/bin, /bin]
YAML

# mkprog FILE WORD: a script that prints WORD.
mkprog() {
	printf '#!/bin/sh\necho %s "$@"\n' "$2" >"$1.new"
	chmod +x "$1.new"
	mv -f "$1.new" "$1"
}
mkprog "$WT/tool" good
mkprog "$WT/bin/pathtool" good
mkprog "$T/elsewhere/target1" good
mkprog "$T/elsewhere/target2" evil
ln -s "$T/elsewhere/target1" "$WT/link"
mkprog "$WT/bin/auto-tool" auto

start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
ok "daemon starts"

hx() {
	CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
	    CLOISTER_TOKEN=$TOKEN "$HOSTEXEC" "$@"
}

LOGIN=$("$GUARDIANCTL" ui 2>/dev/null | grep -o 'http://[^ ]*' | head -1)
JAR=$T/jar
curl -s -o /dev/null -c "$JAR" "$LOGIN"
pending() { curl -s -b "$JAR" "$UI/pending"; }

# ask NAME CMD...: hostexec in the background, its output in $T/NAME.*;
# sets ID once it is pending.
ask() {
	local name=$1 n=0; shift
	hx "$@" >"$T/$name.out" 2>"$T/$name.err" &
	HPID=$!
	ID=
	while [ -z "$ID" ] && [ $n -lt 300 ]; do
		ID=$(pending | jq -r --arg c "$*" \
		    '.requests[] | select(.cmd == $c) | .id' 2>/dev/null |
		    head -1)
		[ -n "$ID" ] || sleep 0.1
		n=$((n + 1))
	done
	[ -n "$ID" ] || not_ok "$* is pending"
}

# The program in the worktree, by path.
ask tool ./tool arg
P=$(pending | jq -r --arg i "$ID" '.requests[] | select(.id == $i)')
[ "$(jq -r .program <<<"$P")" = "$WT/tool" ] &&
    ok "/pending names the program: $WT/tool" ||
    not_ok "/pending names the program: $P"
jq -r .program_note <<<"$P" | grep -q 'inside the worktree: the agent can change this program' &&
    ok "/pending flags a program inside the worktree" ||
    not_ok "/pending flags a program inside the worktree: $P"
SHOW=$("$GUARDIANCTL" show requests 2>&1)
grep -q "program: $WT/tool (inside the worktree" <<<"$SHOW" &&
    ok "show requests names the program and flags it" ||
    not_ok "show requests names the program and flags it: $SHOW"
[ "$(jq -c .program_flags <<<"$P")" = '["worktree"]' ] &&
    ok "/pending lists the program's flags: [\"worktree\"]" ||
    not_ok "/pending lists the program's flags: $P"
# A program the agent can rewrite is high-risk: no lasting rule for it,
# and guardianctl watch asks for a second key.
out=$("$GUARDIANCTL" approve "$ID" --always 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q 'high-risk (program inside the worktree)' <<<"$out" &&
    "$GUARDIANCTL" show requests | grep -q "^$ID " &&
    ok "--always refused for a program inside the worktree, still pending" ||
    not_ok "--always refused for a program inside the worktree ($rc: $out)"
timeout 10 "$GUARDIANCTL" watch >"$T/watch.out" 2>&1 &
WPID=$!
n=0
until grep -q "^$ID pending" "$T/watch.out" || [ $n -ge 100 ]; do
	sleep 0.1; n=$((n + 1))
done
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
grep -q "^$ID pending c1 ./tool arg (.*risk: program inside the worktree)" "$T/watch.out" &&
    ok "guardianctl watch marks it a risk" ||
    not_ok "guardianctl watch marks it a risk: $(cat "$T/watch.out")"
wait_log "PENDING id=$ID .*exe=\"?$WT/tool\"? sha256=\"?[0-9a-f]{64}\"? exe_flags=\"?worktree" 10 &&
    ok "the PENDING record names the program, its SHA-256 and flags" ||
    not_ok "the PENDING record names the program, its SHA-256 and flags"
mkprog "$WT/tool" evil
"$GUARDIANCTL" approve "$ID" >/dev/null 2>&1
wait "$HPID"; RC=$?
if [ "$RC" != 0 ] && grep -q 'executable changed' "$T/tool.err" &&
    ! grep -q evil "$T/tool.out"; then
	ok "a program replaced before the approval: nothing runs ($RC)"
else
	not_ok "a program replaced before the approval: nothing runs ($RC: $(cat "$T/tool.out" "$T/tool.err"))"
fi
wait_log "SPAWN_FAIL id=$ID .*reason=\"executable changed\"" 10 &&
    ok "SPAWN_FAIL reason=\"executable changed\"" ||
    not_ok "SPAWN_FAIL reason=\"executable changed\""

# Changed in place (same inode): refused too.
ask inplace ./tool again
printf '#!/bin/sh\necho evil\n' >>"$WT/tool"
"$GUARDIANCTL" approve "$ID" >/dev/null 2>&1
wait "$HPID"; RC=$?
[ "$RC" != 0 ] && grep -q 'executable changed' "$T/inplace.err" &&
    ok "a program changed in place: nothing runs" ||
    not_ok "a program changed in place: nothing runs ($RC: $(cat "$T/inplace.out" "$T/inplace.err"))"

# An unchanged program runs as before.
mkprog "$WT/tool" good
ask same ./tool fine
"$GUARDIANCTL" approve "$ID" >/dev/null 2>&1
wait "$HPID"; RC=$?
[ "$RC" = 0 ] && [ "$(cat "$T/same.out")" = "good fine" ] &&
    ok "an unchanged script runs ($(cat "$T/same.out"))" ||
    not_ok "an unchanged script runs ($RC: $(cat "$T/same.out" "$T/same.err"))"

# Found on a PATH entry inside the worktree, then swapped.
ask path pathtool x
P=$(pending | jq -r --arg i "$ID" '.requests[] | select(.id == $i)')
[ "$(jq -r .program <<<"$P")" = "$WT/bin/pathtool" ] &&
    jq -r .program_note <<<"$P" | grep -q 'inside the worktree' &&
    ok "a PATH entry in the worktree: the program and the flag" ||
    not_ok "a PATH entry in the worktree: the program and the flag: $P"
mkprog "$WT/bin/pathtool" evil
"$GUARDIANCTL" approve "$ID" >/dev/null 2>&1
wait "$HPID"; RC=$?
[ "$RC" != 0 ] && grep -q 'executable changed' "$T/path.err" &&
    ! grep -q evil "$T/path.out" &&
    ok "a PATH program swapped before the approval: nothing runs" ||
    not_ok "a PATH program swapped before the approval: nothing runs ($RC: $(cat "$T/path.out" "$T/path.err"))"

# A binary, run by its descriptor: an unchanged one runs.
cp /bin/echo "$WT/bin/pathtool"
ask bin pathtool binary
"$GUARDIANCTL" approve "$ID" >/dev/null 2>&1
wait "$HPID"; RC=$?
[ "$RC" = 0 ] && [ "$(cat "$T/bin.out")" = binary ] &&
    ok "an unchanged binary runs" ||
    not_ok "an unchanged binary runs ($RC: $(cat "$T/bin.out" "$T/bin.err"))"

# A program larger than the hash limit: known by its identity.
printf '#!/bin/sh\necho big\nexit 0\n' >"$WT/big"
truncate -s 17M "$WT/big"
chmod +x "$WT/big"
ask big ./big
P=$(pending | jq -r --arg i "$ID" '.requests[] | select(.id == $i)')
jq -r .program_note <<<"$P" | grep -q 'too big to hash, known by identity' &&
    ok "a program over 16 MiB: the card says it is known by identity" ||
    not_ok "a program over 16 MiB: the card says it is known by identity: $P"
wait_log "PENDING id=$ID .*sha256=\"none \\(larger than 16 MiB\\)\"" 10 &&
    ok "its PENDING record says it has no hash" ||
    not_ok "its PENDING record says it has no hash"
"$GUARDIANCTL" approve "$ID" >/dev/null 2>&1
wait "$HPID"; RC=$?
[ "$RC" = 0 ] && [ "$(cat "$T/big.out")" = big ] &&
    ok "and, unchanged, it runs" ||
    not_ok "and, unchanged, it runs ($RC: $(cat "$T/big.out" "$T/big.err"))"

# A link, retargeted.
ask link ./link y
P=$(pending | jq -r --arg i "$ID" '.requests[] | select(.id == $i)')
[ "$(jq -r .program <<<"$P")" = "$T/elsewhere/target1" ] &&
    jq -r .program_note <<<"$P" | grep -q 'symbolic link' &&
    ok "a link: the file it reaches, flagged as reached through a link" ||
    not_ok "a link: the file it reaches, flagged: $P"
ln -sfn "$T/elsewhere/target2" "$WT/link"
"$GUARDIANCTL" approve "$ID" >/dev/null 2>&1
wait "$HPID"; RC=$?
[ "$RC" != 0 ] && grep -q 'executable changed' "$T/link.err" &&
    ! grep -q evil "$T/link.out" &&
    ok "a link retargeted before the approval: nothing runs" ||
    not_ok "a link retargeted before the approval: nothing runs ($RC: $(cat "$T/link.out" "$T/link.err"))"

# git: code from the worktree can run.
if command -v git >/dev/null; then
	ask git git --version
	P=$(pending | jq -r --arg i "$ID" '.requests[] | select(.id == $i)')
	jq -r .program_note <<<"$P" | grep -q 'git runs code the worktree can change' &&
	    ok "git: the card says code from the worktree can run" ||
	    not_ok "git: the card says code from the worktree can run: $P"
	"$GUARDIANCTL" deny "$ID" >/dev/null 2>&1
	wait "$HPID"
fi

# trusted_path: an automatic approval of a program outside it waits.
OUT=$(hx printf auto 2>&1); RC=$?
[ "$RC" = 0 ] && [ "$OUT" = auto ] &&
    ok "an auto-approved program inside trusted_path runs" ||
    not_ok "an auto-approved program inside trusted_path runs ($RC: $OUT)"
wait_log 'AUTO_APPROVE .*cmd="printf auto".*exe=' 10 &&
    ok "its AUTO_APPROVE record names the program" ||
    not_ok "its AUTO_APPROVE record names the program"
ask auto auto-tool z
P=$(pending | jq -r --arg i "$ID" '.requests[] | select(.id == $i)')
jq -r .why <<<"$P" | grep -q 'outside guardian.trusted_path' &&
    ok "an auto-approved program outside trusted_path goes to a human, saying why" ||
    not_ok "an auto-approved program outside trusted_path goes to a human: $P"
"$GUARDIANCTL" approve "$ID" >/dev/null 2>&1
wait "$HPID"; RC=$?
[ "$RC" = 0 ] && [ "$(cat "$T/auto.out")" = "auto z" ] &&
    ok "and runs once approved" ||
    not_ok "and runs once approved ($RC: $(cat "$T/auto.out" "$T/auto.err"))"

stop_daemon
grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$DLOG" &&
    not_ok "no sanitizer report in the daemon's log" ||
    ok "no sanitizer report in the daemon's log"
exit 0
