#!/usr/bin/env bash
# guardianctl(8): ids by a unique prefix, and grants (approve and deny
# --for): the same command from the same cloister in the same folder
# is decided without asking until the grant is revoked, expires or
# its cloister goes; anything else still asks; a deny pattern wins;
# every use, creation and end is audited.
. "$(dirname "$0")/../lib.sh"

RP=$(free_port); UP=$(free_port)
WT=$T/wt; WT2=$T/wt2
mkdir -p "$WT" "$WT2"
AUD=$T/audit.log
TOK1=c1-token-0123456789abcdef
TOK2=c2-token-0123456789abcdef
# Every id begins with abcd (a test hook), so prefixes collide.
export GUARDIAND_TEST_ID_PREFIX=abcd

# write_conf WORKTREE-OF-C1 [DENY-PATTERN]
write_conf() {
	cat >"$CONF" <<YAML
request:
  listen: "127.0.0.1:$RP"
  timeout: "60s"
hostexec:
  listen: "127.0.0.1:$UP"
  manual_approve:
    - pattern: "^printf "
    - pattern: "^\\\\./tool$"
YAML
	gconf <<YAML
guardian:
  audit: {file: "$AUD"}
  deny:
    - pattern: "^printf never$"
    ${2:+- pattern: \"$2\"}
  cloisters:
    - {name: c1, worktree: "$1", token: "$TOK1"}
    - {name: c2, worktree: "$WT", token: "$TOK2"}
YAML
}

ctl() { "$GUARDIANCTL" "$@"; }

# wait_audit REGEX: until a record matches (10 s at most).
wait_audit() {
	local n=200
	while [ $n -gt 0 ]; do
		grep -Eq -- "$1" "$AUD" 2>/dev/null && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

# ask NAME TOKEN ARGS...: hostexec in the background, its output in
# $T/NAME.out, its status in $T/NAME.rc.
ask() {
	local name=$1 tok=$2; shift 2
	rm -f "$T/$name.rc"
	( hx_as "$tok" "$@" >"$T/$name.out" 2>"$T/$name.err"
	  echo $? >"$T/$name.rc" ) &
}

# done_within NAME SECONDS: the background hostexec NAME ended.
done_within() {
	local n=$(( $2 * 20 ))
	while [ $n -gt 0 ]; do
		[ -s "$T/$1.rc" ] && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

# asks NAME TOKEN ARGS...: ok if the request waits for a human (then
# it is denied, to go on); its id in ID.
asks() {
	local desc=$1 name=$2 tok=$3 cl; shift 3
	[ "$tok" = "$TOK1" ] && cl=c1 || cl=c2
	ask "$name" "$tok" "$@"
	if ID=$(wait_pending_of "$cl"); then
		ok "$desc: asks"
		ctl deny "$ID" >/dev/null
		done_within "$name" 10
	else
		not_ok "$desc: asks ($(cat "$T/$name.rc" "$T/$name.out" 2>/dev/null))"
	fi
}

write_conf "$WT"
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
ok "daemon starts"

# Prefixes: two pending requests share abcd.
ask p1 "$TOK1" printf one
ask p2 "$TOK1" printf two
n=200
while [ "$(ctl show requests | grep -c '^abcd')" -lt 2 ] && [ $n -gt 0 ]; do
	sleep 0.05; n=$((n - 1))
done
ids=$(ctl show requests | awk 'NR > 1 { print $1 }')
id1=$(ctl show requests | awk '$NF == "one" { print $1 }')
id2=$(ctl show requests | awk '$NF == "two" { print $1 }')
ctl approve abcd >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ ! -s "$T/out" ] &&
    grep -qx 'guardianctl: abcd is ambiguous: 2 pending requests match it' "$T/err" &&
    grep -Eq "^guardianctl: +$id1 +c1 +printf one\$" "$T/err" &&
    grep -Eq "^guardianctl: +$id2 +c1 +printf two\$" "$T/err" &&
    ok "ambiguous prefix: refused, the matches listed" ||
    not_ok "ambiguous prefix: refused, the matches listed (rc $rc: $(cat "$T/err"))"
[ "$(ctl show requests | grep -c '^abcd')" -eq 2 ] &&
    ok "ambiguous prefix: nothing decided" ||
    not_ok "ambiguous prefix: nothing decided"
ctl approve ABC >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q '^usage: guardianctl' "$T/err" &&
    ok "a prefix of 3 characters: usage error" ||
    not_ok "a prefix of 3 characters: usage error (rc $rc)"
out=$(ctl approve "${id1:0:8}"); rc=$?
[ $rc -eq 0 ] && [ "$out" = "request $id1 approved" ] &&
    ok "a unique prefix (8 characters) approves" ||
    not_ok "a unique prefix (8 characters) approves (rc $rc: $out)"
done_within p1 10 && [ "$(cat "$T/p1.rc")" = 0 ] &&
    [ "$(cat "$T/p1.out")" = one ] &&
    ok "approved by prefix: the command ran" ||
    not_ok "approved by prefix: the command ran"
out=$(ctl deny "$(echo "${id2:0:10}" | tr a-f A-F)" not now); rc=$?
[ $rc -eq 0 ] && [ "$out" = "request $id2 denied" ] &&
    ok "a prefix in upper case denies" ||
    not_ok "a prefix in upper case denies (rc $rc: $out)"
done_within p2 10 && [ "$(cat "$T/p2.rc")" = 1 ] &&
    ok "denied by prefix: hostexec exits 1" ||
    not_ok "denied by prefix: hostexec exits 1"
ctl approve "${id1:0:8}" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qx "guardianctl: no pending request ${id1:0:8}" "$T/err" &&
    ok "a prefix of nothing pending: refused" ||
    not_ok "a prefix of nothing pending: refused (rc $rc: $(cat "$T/err"))"

# Durations.
for d in 0s 8d 10x 1h30m -5m ""; do
	ctl approve abcdef --for "$d" >/dev/null 2>"$T/err"; rc=$?
	[ $rc -eq 2 ] && ok "--for '$d': usage error" ||
	    not_ok "--for '$d': usage error (rc $rc: $(cat "$T/err"))"
done

# approve --for: the same request again goes through unasked.
ask g1 "$TOK1" printf granted
id=$(wait_pending_of c1)
out=$(ctl approve "${id:0:8}" --for 1m); rc=$?
gid=$(echo "$out" | sed -n 's/.*; grant \([0-9a-f]*\) approves the same command for 60s$/\1/p')
[ $rc -eq 0 ] && [ -n "$gid" ] && echo "$out" | grep -q "^request $id approved" &&
    ok "approve --for 1m: approved, and a grant made" ||
    not_ok "approve --for 1m: approved, and a grant made (rc $rc: $out)"
done_within g1 10 && [ "$(cat "$T/g1.out")" = granted ] &&
    ok "approve --for: the request ran" || not_ok "approve --for: the request ran"
wait_audit " HOSTEXEC GRANT id=$id project=c1 cloister=c1 cmd=\"printf granted\" grant=$gid decision=approve worktree=\"$WT\" exe=\"?/usr/bin/printf\"? for=60s expires=[0-9TZ:-]+ user=\"local:[^\"]+\"" &&
    ok "GRANT audited" || not_ok "GRANT audited: $(grep GRANT "$AUD")"
ask g2 "$TOK1" printf granted
if done_within g2 10; then
	[ "$(cat "$T/g2.rc")" = 0 ] && [ "$(cat "$T/g2.out")" = granted ] &&
	    ok "the same request: runs without asking" ||
	    not_ok "the same request: runs without asking ($(cat "$T/g2.rc" "$T/g2.err"))"
else
	not_ok "the same request: runs without asking (still waiting)"
	ctl deny "$(wait_pending_of c1)" >/dev/null
fi
wait_audit " HOSTEXEC AUTO_APPROVE id=[0-9a-f]+ project=c1 cloister=c1 cmd=\"printf granted\" grant=$gid user=" &&
    ok "the grant's use audited: AUTO_APPROVE grant=ID" ||
    not_ok "the grant's use audited: $(grep AUTO_APPROVE "$AUD")"
out=$(ctl show grants)
echo "$out" | head -1 | grep -Eq '^ID +DECISION +CLOISTER +FOLDER +LEFT +USES +COMMAND$' &&
    echo "$out" | grep -Eq "^$gid +approve +c1 +$WT +[0-9hms]+ +1 +printf granted\$" &&
    ok "show grants: id, decision, cloister, folder, time left, uses, command" ||
    not_ok "show grants: $out"

asks "another argument" a1 "$TOK1" printf granted2
asks "another cloister" a2 "$TOK2" printf granted
asks "one argument more" a3 "$TOK1" printf granted ''
write_conf "$WT2"
ctl reload >/dev/null && ok "reload: c1 moves to another folder" ||
    not_ok "reload: c1 moves to another folder"
asks "another folder" a4 "$TOK1" printf granted
write_conf "$WT" '^printf granted$'
ctl reload >/dev/null
ask dp "$TOK1" printf granted
done_within dp 10 && [ "$(cat "$T/dp.rc")" = 1 ] &&
    grep -q 'deny pattern' "$T/dp.err" &&
    ok "a deny pattern wins over a grant" ||
    not_ok "a deny pattern wins over a grant ($(cat "$T/dp.rc" "$T/dp.err" 2>/dev/null))"
write_conf "$WT"
ctl reload >/dev/null
ask g3 "$TOK1" printf granted
done_within g3 10 && [ "$(cat "$T/g3.rc")" = 0 ] &&
    ok "back in the folder: the grant holds again" ||
    not_ok "back in the folder: the grant holds again"

# The program is part of the key: the same words that now run another
# file ask again.
mkprog() {
	printf '#!/bin/sh\necho %s\n' "$1" >"$WT/tool.new"
	chmod +x "$WT/tool.new"
	mv -f "$WT/tool.new" "$WT/tool"
}
mkprog tool-one
ask x1 "$TOK1" ./tool
xid=$(wait_pending_of c1)
out=$(ctl approve "$xid" --for 1m); rc=$?
xgid=$(echo "$out" | sed -n 's/.*; grant \([0-9a-f]*\) approves.*/\1/p')
done_within x1 10 && [ "$(cat "$T/x1.out")" = tool-one ] &&
    wait_audit " GRANT id=$xid .* grant=$xgid .* exe=\"?$WT/tool\"? for=60s" &&
    ok "a grant for a program: GRANT names the program" ||
    not_ok "a grant for a program: GRANT names the program (rc $rc: $out)"
ask x2 "$TOK1" ./tool
done_within x2 10 && [ "$(cat "$T/x2.out")" = tool-one ] &&
    ok "the same program: runs without asking" ||
    not_ok "the same program: runs without asking ($(cat "$T/x2.rc" "$T/x2.err" 2>/dev/null))"
mkprog tool-two
asks "the program replaced" x3 "$TOK1" ./tool
ctl revoke "$xgid" >/dev/null

# revoke: asked again.
ctl revoke abc >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "revoke: a prefix of 3 characters is a usage error" ||
    not_ok "revoke: a prefix of 3 characters is a usage error (rc $rc)"
out=$(ctl revoke "${gid:0:8}"); rc=$?
[ $rc -eq 0 ] && [ "$out" = "grant $gid revoked" ] &&
    ok "revoke by prefix" || not_ok "revoke by prefix (rc $rc: $out)"
wait_audit " HOSTEXEC REVOKE project=c1 cloister=c1 cmd=\"printf granted\" grant=$gid uses=2 user=\"local:[^\"]+\" reason=\"revoked\"" &&
    ok "REVOKE audited" || not_ok "REVOKE audited: $(grep REVOKE "$AUD")"
ctl show grants | grep -q "^$gid" && not_ok "revoked: not listed" ||
    ok "revoked: not listed"
asks "after revoke" r1 "$TOK1" printf granted
ctl revoke "$gid" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qx "guardianctl: no grant $gid" "$T/err" &&
    ok "revoke twice: no such grant" || not_ok "revoke twice: no such grant ($rc)"

# Two grants share abcd: revoke abcd is ambiguous.
ask x1 "$TOK1" printf x1
ctl approve "$(wait_pending_of c1)" --for 1h >/dev/null
ask x2 "$TOK1" printf x2
ctl approve "$(wait_pending_of c1)" --for 1h >/dev/null
ctl revoke abcd 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qx 'guardianctl: abcd is ambiguous: 2 grants match it' "$T/err" &&
    [ "$(grep -c 'printf x[12]$' "$T/err")" = 2 ] &&
    ok "revoke: an ambiguous prefix is refused with the matches" ||
    not_ok "revoke: an ambiguous prefix is refused ($(cat "$T/err"))"

# Expiry: a 2 s grant ends by itself.
ask e1 "$TOK1" printf brief
ctl approve "$(wait_pending_of c1)" --for 2s >"$T/out"
eg=$(sed -n 's/.*; grant \([0-9a-f]*\) .*/\1/p' "$T/out")
wait_audit " HOSTEXEC REVOKE .*grant=$eg uses=0 reason=\"expired\"" &&
    ok "an expired grant ends, audited" ||
    not_ok "an expired grant ends, audited ($eg: $(grep REVOKE "$AUD"))"
ctl show grants | grep -q "^$eg" && not_ok "expired: not listed" ||
    ok "expired: not listed"
asks "after expiry" e2 "$TOK1" printf brief

# deny --for: refused at once, with the reason.
ask d1 "$TOK1" printf refused
id=$(wait_pending_of c1)
out=$(ctl deny "${id:0:6}" --for 10m not this one); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "^request $id denied; grant [0-9a-f]* denies" &&
    ok "deny --for: denied, a grant made" ||
    not_ok "deny --for: denied, a grant made (rc $rc: $out)"
dg=$(echo "$out" | sed -n 's/.*; grant \([0-9a-f]*\) .*/\1/p')
done_within d1 10
ask d2 "$TOK1" printf refused
done_within d2 10 && [ "$(cat "$T/d2.rc")" = 1 ] &&
    grep -q 'not this one' "$T/d2.err" &&
    ok "deny --for: a repeat is refused at once, with the reason" ||
    not_ok "deny --for: a repeat is refused at once ($(cat "$T/d2.rc" "$T/d2.err" 2>/dev/null))"
wait_audit " HOSTEXEC DENY id=[0-9a-f]+ project=c1 cloister=c1 cmd=\"printf refused\" grant=$dg user=\"local:[^\"]+\" reason=\"not this one\"" &&
    ok "the denial by a grant audited: DENY grant=ID" ||
    not_ok "the denial by a grant audited: $(grep 'DENY' "$AUD" | tail -2)"
ctl show grants | grep -Eq "^$dg +deny +c1 .* 1 +printf refused\$" &&
    ok "show grants: the deny grant, used once" ||
    not_ok "show grants: the deny grant: $(ctl show grants)"

# A cloister that goes takes its grants along.
DTOK=$(ctl register dyn -w "$WT" 2>/dev/null)
ask y1 "$DTOK" printf mine
ctl approve "$(wait_pending_of dyn)" --for 1h >"$T/out"
yg=$(sed -n 's/.*; grant \([0-9a-f]*\) .*/\1/p' "$T/out")
ctl show grants | grep -q "^$yg " && ctl unregister dyn &&
    ! ctl show grants | grep -q "^$yg " &&
    ok "unregister: its grants are dropped" ||
    not_ok "unregister: its grants are dropped"
wait_audit " HOSTEXEC REVOKE .*grant=$yg uses=0 reason=\"cloister unregistered\"" &&
    ok "dropped grant audited" || not_ok "dropped grant audited"
gconf <<YAML
guardian:
  audit: {file: "$AUD"}
  cloisters:
    - {name: c2, worktree: "$WT", token: "$TOK2"}
YAML
ctl reload >/dev/null
ctl show grants | grep -Eq ' c1 ' && not_ok "reload: a removed cloister's grants are dropped" ||
    ok "reload: a removed cloister's grants are dropped"
wait_audit " HOSTEXEC REVOKE .*grant=$dg .*reason=\"cloister removed from the configuration\"" &&
    ok "reload: the dropped grants audited" ||
    not_ok "reload: the dropped grants audited"
ctl status >/dev/null && ok "daemon still up" || not_ok "daemon still up"
exit 0
