#!/usr/bin/env bash
# guardianctl approve --always: the request is approved and an exact,
# anchored auto_approve pattern is appended to cloister's project
# file (one comment and one pattern, the rest of the file byte for
# byte), then the configuration is reloaded: the same command is
# auto-approved, another still asks, and cloister still takes the
# file.  Refused, the file untouched, for a high-risk command, for one
# whose two canonical forms differ, and for a file whose structure
# cannot be appended to safely.
. "$(dirname "$0")/../lib.sh"

RP=$(free_port); UP=$(free_port)
WT=$T/wt
mkdir -p "$WT" "$T/projects"
AUD=$T/audit.log
TOK1=c1-token-0123456789abcdef
TOK2=c2-token-0123456789abcdef
TOK3=c3-token-0123456789abcdef

cat >"$CONF" <<YAML
request:
  listen: "127.0.0.1:$RP"
  timeout: "60s"
hostexec:
  listen: "127.0.0.1:$UP"
YAML
gconf <<YAML
guardian:
  default: manual
  audit: {file: "$AUD"}
  cloisters:
    - {name: c1, project: "p one", worktree: "$WT", token: "$TOK1"}
    - {name: c2, project: p2, worktree: "$WT", token: "$TOK2"}
    - {name: c3, project: p3, worktree: "$WT", token: "$TOK3"}
YAML
# p2: a file of its own, with a list at the end to append to.
cat >"$T/projects/p2.yaml" <<'YAML'
# p2's own settings
remote: "git@example.org:p2.git"   # kept as is
hostexec:
  manual_approve:
    - pattern: "^make deploy$"
  auto_approve:
  - pattern: "^make test$"    # an indentless list
YAML
printf 'hostexec:\n  auto_approve: [{pattern: "^make$"}]\n' >"$T/projects/p3.yaml"
cp "$T/projects/p2.yaml" "$T/p2.before"
cp "$T/projects/p3.yaml" "$T/p3.before"

ctl() { "$GUARDIANCTL" "$@"; }

wait_audit() {
	local n=${2:-200}
	while [ $n -gt 0 ]; do
		grep -Eq -- "$1" "$AUD" 2>/dev/null && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}
nrec() { grep -Ec -- "$1" "$AUD" 2>/dev/null; }

ask() {
	local name=$1 tok=$2; shift 2
	rm -f "$T/$name.rc"
	( hx_as "$tok" "$@" >"$T/$name.out" 2>"$T/$name.err"
	  echo $? >"$T/$name.rc" ) &
}
done_within() {
	local n=$(( $2 * 20 ))
	while [ $n -gt 0 ]; do
		[ -s "$T/$1.rc" ] && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}

start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
ok "daemon starts"

# A command full of regex metacharacters.
ask a1 "$TOK1" printf '%s+(x)|[y]{2}^$.*?\\' a.b
ID=$(wait_pending_of c1) || not_ok "first request waits"
reloads=$(nrec ' RELOAD ')
out=$(ctl approve "$ID" --always 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "^request $ID approved; rule added to $T/projects/p one.yaml: " &&
    ok "--always: approved, the rule named" ||
    not_ok "--always: approved, the rule named (rc $rc: $out)"
done_within a1 20 && [ "$(cat "$T/a1.rc")" = 0 ] &&
    [ "$(cat "$T/a1.out")" = 'a.b+(x)|[y]{2}^$.*?\' ] &&
    ok "--always: the request ran" ||
    not_ok "--always: the request ran ($(cat "$T/a1.rc" "$T/a1.out" "$T/a1.err" 2>/dev/null))"
f="$T/projects/p one.yaml"
cat >"$T/want" <<'WANT'
    - pattern: "^printf '%s\\+\\(x\\)\\|\\[y\\]\\{2\\}\\^\\$\\.\\*\\?\\\\\\\\' a\\.b$"
WANT
[ "$(sed -n 1p "$f")" = "hostexec:" ] && [ "$(sed -n 2p "$f")" = "  auto_approve:" ] &&
    sed -n 3p "$f" | grep -Eq "^    # added by local:[^ ]+ on 20[0-9-]+T[0-9:]+Z for request $ID\$" &&
    sed -n 4p "$f" | cmp -s - "$T/want" &&
    [ "$(wc -l <"$f")" -eq 4 ] &&
    ok "a missing file is created: hostexec.auto_approve, a comment, the pattern" ||
    not_ok "a missing file is created ($(cat "$f"))"
wait_audit "RULE_ADD id=$ID project=\"?p one\"? cloister=c1 .*file=\"$T/projects/p one.yaml\" pattern=" &&
    ok "RULE_ADD audited" || not_ok "RULE_ADD audited ($(grep RULE_ADD "$AUD"))"
n=200
while [ "$(nrec ' RELOAD ')" -le "$reloads" ] && [ $n -gt 0 ]; do
	sleep 0.05; n=$((n - 1))
done
[ "$(nrec ' RELOAD ')" -gt "$reloads" ] && ok "a reload follows" ||
    not_ok "a reload follows"
cloister_accepts "$f" project 2>"$T/sc.err"; rc=$?
[ $rc -eq 0 ] && ok "cloister takes the new file" ||
    { [ $rc -eq 2 ] && note "no schema: skipped" ||
      not_ok "cloister takes the new file: $(cat "$T/sc.err")"; }

auto=$(nrec ' AUTO_APPROVE ')
ask a2 "$TOK1" printf '%s+(x)|[y]{2}^$.*?\\' a.b
done_within a2 20 && [ "$(cat "$T/a2.rc")" = 0 ] &&
    [ "$(nrec ' AUTO_APPROVE ')" -gt "$auto" ] &&
    grep ' AUTO_APPROVE ' "$AUD" | tail -1 | grep -q 'pattern="\^printf' &&
    ok "the same command again: auto-approved by the pattern" ||
    not_ok "the same command again: auto-approved ($(cat "$T/a2.rc" "$T/a2.err" 2>/dev/null))"
ask a3 "$TOK1" printf '%s+(x)|[y]{2}^$.*?\\' a.bc
if ID=$(wait_pending_of c1); then
	ok "another argument still asks"
	ctl deny "$ID" >/dev/null
	done_within a3 10
else
	not_ok "another argument still asks ($(cat "$T/a3.rc" 2>/dev/null))"
fi

# p2: appended to its list, the rest byte for byte.
ask b1 "$TOK2" printf ok
ID=$(wait_pending_of c2)
out=$(ctl approve "$ID" --always 2>&1); rc=$?
size=$(stat -c %s "$T/p2.before")
[ $rc -eq 0 ] && cmp -s -n "$size" "$T/p2.before" "$T/projects/p2.yaml" &&
    [ "$(wc -l <"$T/projects/p2.yaml")" -eq $(( $(wc -l <"$T/p2.before") + 2 )) ] &&
    tail -2 "$T/projects/p2.yaml" | head -1 | grep -q '^  # added by ' &&
    [ "$(tail -1 "$T/projects/p2.yaml")" = '  - pattern: "^printf ok$"' ] &&
    ok "an existing list: one comment and one pattern appended, the rest kept" ||
    not_ok "an existing list: appended ($out; $(diff "$T/p2.before" "$T/projects/p2.yaml"))"
cloister_accepts "$T/projects/p2.yaml" project 2>"$T/sc.err"; rc=$?
[ $rc -ne 1 ] && ok "cloister takes the appended file" ||
    not_ok "cloister takes the appended file: $(cat "$T/sc.err")"
done_within b1 20

# Refusals: nothing decided, nothing written.
refused() {
	local desc=$1 name=$2 tok=$3 cl=$4 re=$5; shift 5
	local sum
	sum=$(cat "$T/projects/"*.yaml | md5sum)
	ask "$name" "$tok" "$@"
	ID=$(wait_pending_of "$cl")
	out=$(ctl approve "$ID" --always 2>&1); rc=$?
	[ $rc -eq 1 ] && echo "$out" | grep -q -- "$re" &&
	    ctl show requests | grep -q "^$ID " &&
	    [ "$(cat "$T/projects/"*.yaml | md5sum)" = "$sum" ] &&
	    ok "$desc: refused, still pending, no file changed" ||
	    not_ok "$desc: refused ($rc: $out)"
	ctl deny "$ID" >/dev/null
	done_within "$name" 10
}
refused "a high-risk command" r1 "$TOK1" c1 "high-risk (sudo)" sudo true
refused "two canonical forms" r2 "$TOK1" c1 "no pattern could match both" \
    printf 'a
b'
refused "a flow list" r3 "$TOK3" c3 "not changed: its structure" printf x
cmp -s "$T/p3.before" "$T/projects/p3.yaml" && ok "the flow list file is untouched" ||
    not_ok "the flow list file is untouched"
# An indented list, a quoted key, a comment after it, no final newline.
printf 'remote: "x"\n"hostexec":\n  auto_approve:\n      - pattern: "^make$"\n# the end' >"$T/projects/p3.yaml"
cp "$T/projects/p3.yaml" "$T/p3.before"
ask c1 "$TOK3" printf y
ID=$(wait_pending_of c3)
reloads=$(nrec ' RELOAD ')
out=$(ctl approve "$ID" --always 2>&1); rc=$?
size=$(stat -c %s "$T/p3.before")
[ $rc -eq 0 ] && cmp -s -n "$size" "$T/p3.before" "$T/projects/p3.yaml" &&
    [ "$(tail -c +$((size + 1)) "$T/projects/p3.yaml" | head -1)" = "" ] &&
    [ "$(tail -1 "$T/projects/p3.yaml")" = '      - pattern: "^printf y$"' ] &&
    [ "$(wc -l <"$T/projects/p3.yaml")" -eq 7 ] &&
    ok "an indented list after a quoted key, no final newline: appended at its indentation" ||
    not_ok "an indented list: appended ($out; $(cat "$T/projects/p3.yaml"))"
cloister_accepts "$T/projects/p3.yaml" project 2>"$T/sc.err"; rc=$?
[ $rc -ne 1 ] && ok "cloister takes it" || not_ok "cloister takes it: $(cat "$T/sc.err")"
done_within c1 20
# The rule works there too, after the reload.
n=200
while [ "$(nrec ' RELOAD ')" -le "$reloads" ] && [ $n -gt 0 ]; do
	sleep 0.05; n=$((n - 1))
done
ask c2 "$TOK3" printf y
done_within c2 20 && [ "$(cat "$T/c2.rc")" = 0 ] &&
    grep -q 'AUTO_APPROVE .*cmd="printf y" pattern="\^printf y\$"' "$AUD" &&
    ok "... and approves that command" || not_ok "... and approves that command"

out=$(ctl approve abcdef --always --for 1h 2>&1); rc=$?
[ $rc -eq 2 ] && ok "--always with --for: usage error" ||
    not_ok "--always with --for: usage error ($rc)"

stop_daemon
exit $((NFAIL > 0))
