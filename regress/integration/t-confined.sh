#!/usr/bin/env bash
# Confined commands through the daemon (DESIGN 7, guardiand.conf(5)):
# guardian.confine decides which approved commands run confined, the
# spawner applies the profile, and the audit record and the card say so.
# The attacks of the issue, with real git: a container-written
# .git/config whose core.fsmonitor runs the container's code under an
# auto-approved `git status`, and a link in the worktree to a host
# secret under an auto-approved `cat`.  What the kernel cannot enforce
# does not run.  t-confine tests the profiles themselves in depth.
. "$(dirname "$0")/../lib.sh"

command -v git >/dev/null || { echo "ok - # SKIP needs git"; exit 0; }
# Whether this kernel can confine at all: confine-run, as t-confine asks.
CR=$BIN/regress/confine-run
if [ -x "$CR" ]; then
	mkdir -p "$T/probe/wt"
	echo 'hostexec: {}' >"$T/probe/config.yaml"
	printf 'guardian:\n  confine:\n    profiles: {x: {}}\n' \
	    >"$T/probe/guardiand.yaml"
	if ! "$CR" -f "$T/probe/config.yaml" -p x -w "$T/probe/wt" \
	    -T "$T/probe/tmp" -- true 2>"$T/probe/err" &&
	    grep -q 'no Landlock' "$T/probe/err"; then
		echo "ok - # SKIP this kernel has no Landlock"
		exit 0
	fi
fi

WT=$T/wt
mkdir -p "$WT" "$T/tokens"
printf 'the host secret 4711\n' >"$HOME/secret"
echo "worktree readme" >"$WT/README"
ln -s "$HOME/secret" "$WT/secretlink"
( cd "$WT" && git init -q . && git -c user.email=a@b -c user.name=a \
    commit -q --allow-empty -m init ) || { not_ok "git init"; exit 1; }
# What the container wrote: a payload git runs for `git status`.
cat >"$WT/payload" <<EOF
#!/bin/sh
touch "$WT/.payload-ran"
cat "$HOME/secret" >"$WT/.payload-read" 2>/dev/null
echo pwned >"$T/outside" 2>/dev/null
exit 0
EOF
chmod +x "$WT/payload"
git -C "$WT" config core.fsmonitor "$WT/payload"

TOKEN=t-confined-token-$RANDOM$RANDOM
CONF=$T/config.yaml
RP=$(free_port)
cat >"$CONF" <<YAML
hostexec:
  listen: "127.0.0.1:$(free_port)"
  auto_approve:
    - pattern: "^git status$"
    - pattern: "^cat secretlink$"
    - pattern: "^cat README$"
    - pattern: "^sh -c "
  manual_approve:
    - pattern: "^cat manual$"
YAML
gconf <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP"]
  cloisters:
    - {name: c1, worktree: "$WT", token: "$TOKEN"}
    - {name: home, worktree: "$HOME", token: "$TOKEN-home"}
  confine:
    default: readonly
    profiles:
      readonly: {}
    rules:
      - {pattern: "^cat README$", profile: none}
      - {pattern: "^cat manual$", profile: readonly}
YAML
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
hx() {
	CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
	    CLOISTER_TOKEN=$TOKEN "$HOSTEXEC" "$@"
}

# The link to a host file: a confined cat cannot follow it out.
OUT=$(hx cat secretlink 2>"$T/err"); RC=$?
if [ "$RC" != 0 ] && ! grep -q 4711 <<<"$OUT"; then
	ok "a confined cat cannot read a host secret through a link ($RC)"
else
	not_ok "a confined cat cannot read a host secret through a link ($RC: $OUT)"
fi
wait_log 'AUTO_APPROVE.*cat secretlink.*confined=readonly' 10 &&
    ok "its AUTO_APPROVE record says confined=readonly" ||
    not_ok "its AUTO_APPROVE record says confined=readonly"

# A rule can leave a command unconfined.
OUT=$(hx cat README 2>&1); RC=$?
[ "$RC" = 0 ] && [ "$OUT" = "worktree readme" ] &&
    ok "a command a rule leaves unconfined runs as before" ||
    not_ok "a command a rule leaves unconfined runs as before ($RC: $OUT)"
wait_log 'AUTO_APPROVE.*cat README.*confined=none' 10 &&
    ok "its record says confined=none" || not_ok "its record says confined=none"

# git status: the payload runs, but reads and writes nothing it may not.
OUT=$(hx git status 2>&1); RC=$?
if [ "$RC" = 0 ] && grep -q 'On branch' <<<"$OUT"; then
	ok "a confined git status prints the status"
else
	not_ok "a confined git status prints the status ($RC: $OUT)"
fi
[ -e "$WT/.payload-ran" ] && ok "the fsmonitor payload ran (in the worktree)" ||
    not_ok "the fsmonitor payload ran (in the worktree)"
[ -e "$T/outside" ] && not_ok "the payload wrote outside the worktree" ||
    ok "the payload could not write outside the worktree"
grep -q 4711 "$WT/.payload-read" 2>/dev/null &&
    not_ok "the payload read the secret in HOME" ||
    ok "the payload could not read the secret in HOME"

# A private temporary directory, gone when the command is.
OUT=$(hx sh -c 'echo "$TMPDIR"; touch "$TMPDIR/x" && echo made' 2>&1)
TD=$(head -n 1 <<<"$OUT")
case $TD in
"$XDG_STATE_HOME"/*/tmp/*)
	ok "TMPDIR is a private directory of the state directory ($TD)" ;;
*)	not_ok "TMPDIR is a private directory ($OUT)" ;;
esac
grep -qx made <<<"$OUT" && ok "the command can write there" ||
    not_ok "the command can write there ($OUT)"
n=0
while [ -e "$TD" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
[ -n "$TD" ] && [ ! -e "$TD" ] && ok "and it is removed after the command" ||
    not_ok "and it is removed after the command"

# A human approval: the card says it will run confined, the record too.
hx cat manual >"$T/manual.out" 2>&1 &
HPID=$!
wait_log 'PENDING.*cat manual' 20 || not_ok "cat manual waits"
SHOW=$("$GUARDIANCTL" show requests 2>&1)
grep -q 'runs confined (profile readonly)' <<<"$SHOW" &&
    ok "show requests says it would run confined" ||
    not_ok "show requests says it would run confined: $SHOW"
ID=$(awk '$1 != "ID" && $1 != "why:" { print $1; exit }' <<<"$SHOW")
"$GUARDIANCTL" approve "$ID" >/dev/null 2>&1
wait "$HPID"
wait_log 'APPROVE.*confined=readonly' 10 &&
    ok "the APPROVE record says confined=readonly" ||
    not_ok "the APPROVE record says confined=readonly"

# What cannot be confined does not run: a worktree that is HOME.
rm -f "$HOME/.payload-ran"
OUT=$(CLOISTER_GUARDIAN_HOST=127.0.0.1 CLOISTER_REQUEST_PORT=$RP \
    CLOISTER_TOKEN=$TOKEN-home "$HOSTEXEC" sh -c 'touch ran-here' 2>&1)
RC=$?
if [ "$RC" != 0 ] && [ ! -e "$HOME/ran-here" ] &&
    grep -q 'confined' <<<"$OUT"; then
	ok "a command that cannot be confined does not run ($OUT)"
else
	not_ok "a command that cannot be confined does not run ($RC: $OUT)"
fi
wait_log 'SPAWN_FAIL.*confined' 10 && ok "and SPAWN_FAIL says why" ||
    not_ok "and SPAWN_FAIL says why"
exit 0
