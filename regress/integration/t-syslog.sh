#!/usr/bin/env bash
# guardian.audit.syslog_required (DESIGN 6.7), in a mount namespace of
# its own whose /dev is a tmpfs, so that /dev/log is the test's: with
# a syslog socket that takes records, an auto-approved command runs and
# its records arrive there; once the socket is gone (or takes nothing)
# the next command does not run and hostexec says why, within a
# bounded time; without a socket the daemon does not start.
if [ -z "${GUARDIAND_IN_NS:-}" ]; then
	if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
		echo "ok - syslog_required # SKIP needs root and unshare -m"
		exit 0
	fi
	GUARDIAND_IN_NS=1 exec unshare -m bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

# A /dev of our own: a tmpfs, with the few devices anyone here opens
# bound in one by one (never a bind of the whole /dev: cleanup's
# rm -rf must find nothing of the host's under $T).
mount --make-rprivate /
mkdir -p "$T/devs"
for d in null zero full random urandom tty; do
	: >"$T/devs/$d"
	mount --bind "/dev/$d" "$T/devs/$d"
done
mount -t tmpfs -o mode=755 tmpfs /dev
for d in null zero full random urandom tty; do
	: >"/dev/$d"
	mount --bind "$T/devs/$d" "/dev/$d"
	umount "$T/devs/$d"
done
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mkdir /dev/shm

request_conf 60s
cat >>"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^touch "
YAML
gconf -a <<YAML
  audit:
    syslog: local5
    syslog_required: true
  cloisters:
    - {name: t1, worktree: "$WT", token: "$TOKEN"}
YAML

# syslogd MODE: a datagram socket at /dev/log writing what it gets to
# $T/syslog (MODE read), or taking nothing (MODE stuck); sets SYSLOGD.
syslogd() {
	rm -f /dev/log "$T/syslog.up"
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[2] + ".up", "w").close()
if sys.argv[1] == "stuck":
    time.sleep(3600)
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(65536).decode(errors="replace") + "\n")
' "$1" "$T/syslog" &
	SYSLOGD=$!
	n=200
	until [ -e "$T/syslog.up" ] || [ $n -eq 0 ]; do sleep 0.05; n=$((n - 1)); done
}

# --- No socket: no START record, no daemon.
out=$(timeout 20 "$GUARDIAND" -d -f "$CONF" 2>&1 </dev/null); rc=$?
[ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q 'START record not written to syslog /dev/log' &&
    printf '%s\n' "$out" | grep -q 'the audit log cannot be written: not starting' &&
    ok "no /dev/log: the daemon does not start, and says why" ||
    not_ok "no /dev/log: the daemon does not start (rc $rc: $out)"

# --- A socket that takes records: the command runs, its records arrive.
syslogd read
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
out=$(hx_as "$TOKEN" touch "$WT/ran" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -e "$WT/ran" ] && ok "with /dev/log: the command runs" ||
    not_ok "with /dev/log: the command runs (rc $rc: $out)"
n=200
until grep -q 'HOSTEXEC COMPLETE .*cmd="touch' "$T/syslog" || [ $n -eq 0 ]; do
	sleep 0.05; n=$((n - 1))
done
grep -Eq '^<(1[3-9][0-9])>.* guardiand\[[0-9]+\]: HOSTEXEC START ' "$T/syslog" &&
    grep -q "HOSTEXEC AUTO_APPROVE .*cmd=\"touch $WT/ran\"" "$T/syslog" &&
    grep -q 'HOSTEXEC COMPLETE .*cmd="touch' "$T/syslog" &&
    ok "with /dev/log: START, AUTO_APPROVE and COMPLETE arrive there" ||
    not_ok "with /dev/log: the records arrive ($(cat "$T/syslog"))"
# local5 is facility 21: priorities 168..175.
grep -Eq '^<17[0-5]>' "$T/syslog" && ok "with /dev/log: facility local5" ||
    not_ok "with /dev/log: facility local5 ($(head -c 20 "$T/syslog"))"

# --- The socket goes away: the next command does not run.
kill "$SYSLOGD"; wait "$SYSLOGD" 2>/dev/null
rm -f /dev/log
out=$(hx_as "$TOKEN" touch "$WT/refused" 2>&1); rc=$?
[ $rc -eq 1 ] && [ ! -e "$WT/refused" ] &&
    printf '%s\n' "$out" | grep -q 'the audit log cannot be written' &&
    ok "/dev/log gone: the command does not run, hostexec says why" ||
    not_ok "/dev/log gone: the command does not run (rc $rc: $out)"
grep -q 'record not written to syslog /dev/log' "$DLOG" &&
    ok "/dev/log gone: the failure is logged" ||
    not_ok "/dev/log gone: the failure is logged"

# --- A syslog daemon that takes nothing: its queue fills, a record
# waits a second at most, and a burst of them does not wait each; the
# daemon stays responsive.
syslogd stuck
start=$SECONDS
for i in $(seq 20); do
	hx_as "$TOKEN" touch "$WT/stuck.$i" >/dev/null 2>&1
done
took=$((SECONDS - start))
ls "$WT"/stuck.* >/dev/null 2>&1 && ran=$(ls "$WT"/stuck.* | wc -l) || ran=0
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "http://127.0.0.1:$RP/healthz")
[ "$code" = 200 ] && kill -0 "$DPID" && [ $took -lt 30 ] &&
    ! grep -q 'not answering' "$DLOG" &&
    ok "stuck syslog daemon: still serving ($ran of 20 ran, ${took}s)" ||
    not_ok "stuck syslog daemon: still serving ($code, ${took}s)"
kill "$SYSLOGD" 2>/dev/null; wait "$SYSLOGD" 2>/dev/null
stop_daemon
exit 0
