#!/usr/bin/env bash
# The audit trail (DESIGN 6.7) as the running daemon writes it: one
# record per transition, in the file with a timestamp, one line each,
# no way for an argument to forge or split a record.
. "$(dirname "$0")/../lib.sh"

RP=$(free_port); UP=$(free_port)
WT=$T/worktree
mkdir -p "$WT"
AUD=$T/logs/audit.log
CONF=$T/config.yaml
STOK=static-token-0123456789abcdef
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

# write_conf [APPROVAL-TIMEOUT]
write_conf() {
	cat >"$CONF" <<YAML
request:
  listen: "127.0.0.1:$RP"
  timeout: "${1:-5m}"
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^echo "
  manual_approve:
    - pattern: "^printf "
YAML
	gconf <<YAML
guardian:
  deny:
    - pattern: "^rm "
  audit: {syslog: local5, file: "$AUD"}
  cloisters:
    - {name: api, project: api-proj, worktree: "$WT", token: "$STOK"}
YAML
}

ctl() { "$GUARDIANCTL" -s "$T/run/guardiand-control/control.sock" "$@"; }

# wait_audit REGEX: until a record matches (records may trail the reply).
wait_audit() {
	local n=100
	while [ $n -gt 0 ]; do
		grep -Eq -- "$1" "$AUD" 2>/dev/null && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

# The records of one request id, without timestamps, in order.
records() { grep -E "^$TS HOSTEXEC [A-Z_]+ id=$1 " "$AUD" | cut -d' ' -f2-; }

# check_rec DESC ID EXTENDED-REGEX: one record of that id matches.
check_rec() {
	if records "$2" | grep -Eq -- "$3"; then
		ok "$1"
	else
		not_ok "$1: want /$3/ in:"
		records "$2" | sed 's/^/#   /'
	fi
}

write_conf
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
ok "daemon starts"

[ -f "$AUD" ] && ok "audit file created (with its directory)" ||
    not_ok "audit file created (with its directory)"
[ "$(stat -c %a "$AUD" 2>/dev/null)" = 600 ] && ok "audit file mode 0600" ||
    not_ok "audit file mode 0600"

# Auto-approved: REQUEST, AUTO_APPROVE, COMPLETE.
out=$(hx_as "$STOK" echo hello world); rc=$?
[ $rc -eq 0 ] && [ "$out" = "hello world" ] && ok "auto command runs" ||
    not_ok "auto command runs"
wait_audit ' HOSTEXEC COMPLETE .*cmd="echo hello world"' ||
    not_ok "COMPLETE record written"
id=$(grep -E ' HOSTEXEC REQUEST .*cmd="echo hello world"' "$AUD" |
    sed -E 's/.* id=([^ ]*) .*/\1/' | head -1)
[[ $id =~ ^[0-9a-f]{24}$ ]] && ok "REQUEST record with a random id" ||
    not_ok "REQUEST record with a random id ($id)"
check_rec "REQUEST record" "$id" \
    "^HOSTEXEC REQUEST id=$id project=api-proj cloister=api cmd=\"echo hello world\"\$"
check_rec "AUTO_APPROVE record with its pattern" "$id" \
    "^HOSTEXEC AUTO_APPROVE id=$id project=api-proj cloister=api cmd=\"echo hello world\" .*pattern=\"\\^echo \""
check_rec "COMPLETE record with exit status and duration" "$id" \
    "^HOSTEXEC COMPLETE id=$id project=api-proj cloister=api cmd=\"echo hello world\" .*exit=0 duration=[0-9.]+m?s"
order=$(records "$id" | awk '{ print $2 }' | tr '\n' ' ')
[ "$order" = "REQUEST AUTO_APPROVE COMPLETE " ] &&
    ok "auto: one record per transition, in order" ||
    not_ok "auto: one record per transition, in order ($order)"

# Denied by policy.
hx_as "$STOK" rm -rf /nonexistent 2>/dev/null; rc=$?
[ $rc -eq 1 ] && ok "policy deny: hostexec exits 1" ||
    not_ok "policy deny: hostexec exits 1 ($rc)"
wait_audit ' HOSTEXEC DENY .*cmd="rm -rf /nonexistent"'
id=$(grep -E ' HOSTEXEC REQUEST .*cmd="rm -rf /nonexistent"' "$AUD" |
    sed -E 's/.* id=([^ ]*) .*/\1/' | head -1)
check_rec "policy DENY record with its pattern" "$id" \
    "^HOSTEXEC DENY id=$id project=api-proj cloister=api cmd=\"rm -rf /nonexistent\" .*pattern=\"\\^rm \""
order=$(records "$id" | awk '{ print $2 }' | tr '\n' ' ')
[ "$order" = "REQUEST DENY " ] && ok "policy deny: REQUEST then DENY" ||
    not_ok "policy deny: REQUEST then DENY ($order)"

# Approved by the operator: APPROVE names the user.
hx_as "$STOK" printf approved >"$T/o" 2>"$T/e" &
HX=$!
if id=$(wait_pending_of api); then
	ctl approve "$id" >/dev/null
	wait $HX
	wait_audit " HOSTEXEC COMPLETE id=$id "
	check_rec "APPROVE record names the local operator" "$id" \
	    "^HOSTEXEC APPROVE id=$id project=api-proj cloister=api cmd=\"printf approved\" .*user=\"local:$(id -un)\""
	order=$(records "$id" | awk '{ print $2 }' | tr '\n' ' ')
	[ "$order" = "REQUEST PENDING APPROVE COMPLETE " ] ||
	    [ "$order" = "REQUEST APPROVE COMPLETE " ] &&
	    ok "approve: records in order ($order)" ||
	    not_ok "approve: records in order ($order)"
else
	not_ok "approve: request pending"; kill $HX
fi

# Denied by the operator: DENY with user and reason.
hx_as "$STOK" printf denied >"$T/o" 2>"$T/e" &
HX=$!
if id=$(wait_pending_of api); then
	ctl deny "$id" 'not "now"' >/dev/null
	wait $HX
	wait_audit " HOSTEXEC DENY id=$id "
	check_rec "DENY record with user and quoted reason" "$id" \
	    "^HOSTEXEC DENY id=$id project=api-proj cloister=api cmd=\"printf denied\" .*user=\"local:$(id -un)\" reason=\"not \\\\\"now\\\\\"\""
else
	not_ok "deny: request pending"; kill $HX
fi

# Cancelled: the client goes away while pending.
# hostexec itself, not a subshell: the signal must reach it.
CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
    CLOISTER_TOKEN=$STOK "$HOSTEXEC" -q printf cancelled >/dev/null 2>&1 &
HX=$!
if id=$(wait_pending_of api); then
	kill -TERM $HX; wait $HX 2>/dev/null
	wait_audit "^$TS HOSTEXEC CANCEL id=$id " &&
	    ok "cancelled request audited" ||
	    not_ok "cancelled request audited: $(records "$id" | tr '\n' '|')"
else
	not_ok "cancel: request pending"; kill $HX
fi

# Registration.
TOK=$(ctl register dyn1 -w "$WT" -P dynproj)
wait_audit ' HOSTEXEC REGISTER '
grep -Eq "^$TS HOSTEXEC REGISTER cloister=dyn1 project=dynproj worktree=\"$(realpath "$WT")\" user=\"local:$(id -un)\"\$" "$AUD" &&
    ok "REGISTER record" || not_ok "REGISTER record: $(grep REGISTER "$AUD")"
grep -qF "$TOK" "$AUD" && not_ok "no token in the audit file" ||
    ok "no token in the audit file"
ctl unregister dyn1
grep -Eq "^$TS HOSTEXEC UNREGISTER cloister=dyn1 project=dynproj user=\"local:$(id -un)\"\$" "$AUD" &&
    ok "UNREGISTER record" || not_ok "UNREGISTER record: $(grep UNREGISTER "$AUD")"
grep -qF "$STOK" "$AUD" && not_ok "no static token in the audit file" ||
    ok "no static token in the audit file"

# An argument holding a newline and a fake record forges nothing.
FAKE=$'x\nHOSTEXEC APPROVE id=fakefakefakefakefakefake project=p cloister=c cmd="rm -rf /" user="alice"'
FAKE2=$'y\r\n2026-01-01T00:00:00Z HOSTEXEC COMPLETE id=forged exit=0\x1b[2K'
out=$(hx_as "$STOK" echo "$FAKE" "$FAKE2"); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$FAKE $FAKE2" ] && ok "argument with newlines runs intact" ||
    not_ok "argument with newlines runs intact (rc $rc)"
wait_audit ' HOSTEXEC COMPLETE .*fakefake'
bad=$(grep -Ev "^$TS HOSTEXEC [A-Z_]+( |\$)" "$AUD")
[ -z "$bad" ] && ok "every line is a timestamped record" ||
    not_ok "every line is a timestamped record: $bad"
grep -Eq "HOSTEXEC APPROVE id=fakefake" "$AUD" &&
    ! grep -Eq "^$TS HOSTEXEC APPROVE id=fakefake" "$AUD" &&
    ! grep -Eq "^HOSTEXEC|^2026-01-01T00:00:00Z" "$AUD" &&
    ok "fake records stay inside a quoted value" ||
    not_ok "fake records stay inside a quoted value"
grep -q "$(printf '[\001-\037\177]')" <(tr -d '\n' <"$AUD") &&
    not_ok "no raw control character in the file" ||
    ok "no raw control character in the file"
n=$(grep -c ' HOSTEXEC ' "$AUD"); l=$(wc -l <"$AUD")
[ "$n" -eq "$l" ] && ok "one record per line ($l)" ||
    not_ok "one record per line ($n records, $l lines)"
hx_as "$STOK" echo $'abc\xe2\x80\xaedef' >/dev/null
wait_audit 'u202e'
grep -q $'\xe2\x80\xae' "$AUD" && not_ok "bidi character escaped" ||
    ok "bidi character escaped"
# A tag character (U+E0041) and a word joiner (U+2060): the canonical
# string writes them as \U and \u escapes, whose backslash the record
# escapes in turn.
hx_as "$STOK" echo $'tag\xf3\xa0\x81\x81\xe2\x81\xa0x' >/dev/null
wait_audit 'U000e0041'
grep -qF "cmd=\"echo \$'tag\\\\U000e0041\\\\u2060x'\"" "$AUD" &&
    ! grep -q -e $'\xf3\xa0\x81\x81' -e $'\xe2\x81\xa0' "$AUD" &&
    ok "tag character and word joiner escaped" ||
    not_ok "tag character and word joiner escaped"

# Syslog is not checked here (no syslogd needed); in -d mode the
# daemon echoes each record to stderr, as one line.
grep -q 'audit: HOSTEXEC REQUEST' "$DLOG" && ok "records echoed in debug mode" ||
    not_ok "records echoed in debug mode"

# Rotation: reload opens the file again.
mv "$AUD" "$AUD.1"
ctl reload >/dev/null; rc=$?
hx_as "$STOK" echo after rotation >/dev/null
wait_audit 'cmd="echo after rotation"'
[ $rc -eq 0 ] && [ -f "$AUD" ] && grep -q 'cmd="echo after rotation"' "$AUD" &&
    ! grep -q 'after rotation' "$AUD.1" &&
    ok "reload reopens the audit file" || not_ok "reload reopens the audit file"
[ "$(stat -c %a "$AUD")" = 600 ] && ok "reopened file mode 0600" ||
    not_ok "reopened file mode 0600"

# Approval timeout: TIMEOUT.
write_conf 1s
ctl reload >/dev/null
hx_as "$STOK" printf too-late >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && ok "approval timeout: hostexec exits 1" ||
    not_ok "approval timeout: hostexec exits 1 ($rc)"
wait_audit ' HOSTEXEC TIMEOUT .*cmd="printf too-late"' &&
    ok "TIMEOUT record" || not_ok "TIMEOUT record"

# A wrong token: audited, without the token.
hx_as wrong-token-0123456789abcdef echo x >/dev/null 2>&1; rc=$?
[ $rc -eq 255 ] && ok "bad token: hostexec exits 255" ||
    not_ok "bad token: hostexec exits 255 ($rc)"
grep -q 'wrong-token' "$AUD" && not_ok "bad token not written down" ||
    ok "bad token not written down"
exit 0
