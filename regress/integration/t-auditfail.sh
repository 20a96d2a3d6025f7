#!/usr/bin/env bash
# The audit log fails closed (DESIGN 6.7): a command whose record
# cannot be written does not run; on_failure: continue runs it and
# says so in the log; a torn last line is ended at start; a request
# left open by a crash of the parent is closed by ABORT at the next
# start, so every request has exactly one closing record.
. "$(dirname "$0")/../lib.sh"

TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
MNT=$T/full
AUD=$MNT/audit.log

umount_full() { mountpoint -q "$MNT" 2>/dev/null && umount "$MNT"; }
trap 'umount_full; cleanup' EXIT

# write_conf ON_FAILURE AUDIT-FILE
write_conf() {
	request_conf 60s
	cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^touch "
    - pattern: "^sleep "
  manual_approve:
    - pattern: "^echo "
YAML
	gconf -a <<YAML
  audit: {syslog: local5, file: "$2", on_failure: $1}
  cloisters:
    - {name: t1, project: p1, worktree: "$WT", token: "$TOKEN"}
YAML
}

# fill: no room left on the tmpfs.  tmpfs gives whole pages, so the
# audit file is first padded to the end of its last page.
fill() {
	local size pad
	size=$(stat -c %s "$AUD")
	pad=$(( (4096 - size % 4096) % 4096 ))
	[ $pad -gt 0 ] && head -c $((pad - 1)) /dev/zero | tr '\0' '#' >>"$AUD" &&
	    echo >>"$AUD"
	dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
	printf x >>"$AUD" 2>/dev/null && not_ok "the tmpfs is full"
}

# --- A full filesystem: refuse (the default) and continue.
if [ "$(id -u)" -ne 0 ] || ! mkdir -p "$MNT" ||
    ! mount -t tmpfs -o size=64k tmpfs "$MNT" 2>/dev/null; then
	note "skip: a tmpfs cannot be mounted here (not root)"
else
	write_conf refuse "$AUD"
	start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
	grep -Eq "^$TS HOSTEXEC START version=[^ ]+ config=\"?$CONF\"? listen=" \
	    "$AUD" && ok "START record with version, config, listeners" ||
	    not_ok "START record: $(cat "$AUD")"
	fill
	out=$(hx_as "$TOKEN" touch "$WT/refused" 2>&1); rc=$?
	[ ! -e "$WT/refused" ] && ok "full audit file: the command did not run" ||
	    not_ok "full audit file: the command ran"
	[ $rc -eq 1 ] && ok "full audit file: hostexec exits 1" ||
	    not_ok "full audit file: hostexec exits 1 ($rc)"
	case $out in
	*"audit log cannot be written"*) ok "hostexec says why" ;;
	*) not_ok "hostexec says why: $out" ;;
	esac
	wait_log 'audit: REQUEST record not written to .*refusing' 5 &&
	    ok "the failure is logged" || not_ok "the failure is logged"
	stop_daemon

	# Room for the START record again, none for what follows.
	rm -f "$MNT/filler"
	write_conf continue "$AUD"
	start_daemon "$CONF" || { not_ok "daemon starts (continue)"; exit 1; }
	fill
	hx_as "$TOKEN" touch "$WT/continued" >/dev/null 2>&1; rc=$?
	[ $rc -eq 0 ] && [ -e "$WT/continued" ] &&
	    ok "on_failure: continue: the command ran" ||
	    not_ok "on_failure: continue: the command ran ($rc)"
	wait_log 'audit: REQUEST record not written to .*continue' 5 &&
	    ok "on_failure: continue: the failure is logged" ||
	    not_ok "on_failure: continue: the failure is logged"
	stop_daemon
	umount_full
fi

# --- A torn last line is ended at start.
AUD=$T/logs/audit.log
mkdir -p "$T/logs"
printf '2026-01-15T14:32:05Z HOSTEXEC RELOAD by="guardian' >"$AUD"
write_conf refuse "$AUD"
start_daemon "$CONF" || { not_ok "daemon starts (torn)"; exit 1; }
sed -n 2p "$AUD" | grep -Eq "^$TS HOSTEXEC START " &&
    ok "torn last line ended: START on a line of its own" ||
    not_ok "torn last line ended: $(head -3 "$AUD")"

# --- kill -9 with requests pending and running, then a restart.
hx_as "$TOKEN" echo pending-one >/dev/null 2>&1 &
id1=$(wait_pending_of t1)
hx_as "$TOKEN" sleep 5 >/dev/null 2>&1 &
hx_as "$TOKEN" touch "$WT/done" >/dev/null 2>&1
n=100
while [ $n -gt 0 ] && ! grep -q 'AUTO_APPROVE .*cmd="sleep 5"' "$AUD"; do
	sleep 0.05; n=$((n - 1))
done
[ -n "$id1" ] && ok "a request pending, one running" ||
    not_ok "a request pending, one running"
kids=$(pgrep -P "$DPID")
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=
# Its children see their channel close and go, freeing the listeners.
n=200
for k in $kids; do
	while [ $n -gt 0 ] && [ -d /proc/$k ] &&
	    ! grep -q '^State:.*Z' /proc/$k/status 2>/dev/null; do
		sleep 0.05; n=$((n - 1))
	done
done
start_daemon "$CONF" || { not_ok "daemon restarts"; exit 1; }
stop_daemon
grep -Eq "HOSTEXEC ABORT id=$id1 project=p1 cloister=t1 cmd=\"echo pending-one\"" \
    "$AUD" && ok "ABORT record of the pending request, with its command" ||
    not_ok "ABORT record of the pending request"
grep -Eq 'HOSTEXEC STOP reason="SIGTERM"$' "$AUD" && ok "STOP record" ||
    not_ok "STOP record"
# Every request id seen has exactly one closing record (a running
# request's CANCEL is followed by its COMPLETE, which closes it).
bad=$(awk '
	$2 != "HOSTEXEC" || $4 !~ /^id=/ { next }
	$3 == "AUTH_FAIL" { next }
	{ id = substr($4, 4); seen[id] = 1 }
	$3 ~ /^(COMPLETE|DENY|TIMEOUT|SPAWN_FAIL|BUSY|ABORT)$/ ||
	    ($3 == "CANCEL" && $0 !~ / state=running/) { closed[id]++ }
	END { for (id in seen) if (closed[id] != 1)
		printf "%s:%d ", id, closed[id] }' "$AUD")
n=$(grep -c ' HOSTEXEC REQUEST ' "$AUD")
[ -z "$bad" ] && [ "$n" -ge 3 ] &&
    ok "every request ($n) has exactly one closing record" ||
    not_ok "closing records: $bad (requests: $n)"

# --- The keys, with file:line errors.
gconf <<YAML
guardian:
  audit:
    on_failure: maybe
    syslog_required: yes
YAML
out=$("$GUARDIAND" -n -f "$CONF" 2>&1) && not_ok "bad audit keys refused" || {
	echo "$out" | grep -q 'guardiand.yaml:3: `guardian.audit.on_failure`' &&
	echo "$out" | grep -q 'guardiand.yaml:4: `guardian.audit.syslog_required`' &&
	    ok "bad audit keys refused with file:line" ||
	    not_ok "bad audit keys refused with file:line: $out"
}
exit 0
