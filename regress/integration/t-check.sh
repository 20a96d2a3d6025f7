#!/usr/bin/env bash
# guardiand -n: configuration checks and the verdict form, answering
# as Go's regexp would on the sharp edges.
. "$(dirname "$0")/../lib.sh"

GD=$BIN/guardiand

# verdict PATTERN EXPECTED ARGS...: PATTERN alone in auto_approve.
verdict() {
	local pat=$1 want=$2; shift 2
	local esc=${pat//\\/\\\\}
	esc=${esc//\"/\\\"}
	printf 'hostexec:\n  auto_approve:\n    - pattern: "%s"\n' "$esc" \
	    >"$T/v.yaml"
	local out got
	out=$("$GD" -n -f "$T/v.yaml" -- "$@" 2>"$T/v.err")
	got=${out%%$'\t'*}
	if [ "$got" = "$want" ]; then
		ok "verdict: /$pat/ on $(printf '%q ' "$@")→ $want"
	else
		not_ok "verdict: /$pat/ on $(printf '%q ' "$@")→ $want (got '$out' $(cat "$T/v.err"))"
	fi
}

verdict '^git status$' auto_approve git status
verdict '^git status$' deny 'git status'
verdict '^git status$' deny git status --short
verdict 'status$' deny git status $'\n'
verdict '\w\w\w\w\w' auto_approve echo hello
verdict '\w\w\w\w\w' deny echo héllo
verdict 'x\b' auto_approve echo xé
verdict '\d' auto_approve echo 3
verdict '\d' deny echo ٣
verdict '^echo \pL+$' auto_approve echo abc
verdict '\p{Greek}' auto_approve echo αβγ
verdict '\p{Greek}' deny echo abc
verdict '(?i)^GIT STATUS$' auto_approve git status
verdict '^echo \Qa.b\E$' auto_approve echo a.b
verdict '^echo \Qa.b\E$' deny echo axb
verdict '^(?P<cmd>git) (?<sub>status)$' auto_approve git status
verdict '^echo \101$' auto_approve echo A
verdict '^echo \101$' deny echo 101
verdict '^rm -rf /$' deny rm -rf / $'\n'

# The full output line: VERDICT TAB PATTERN TAB CANONICAL.  The deny
# list is guardiand's, in its own file beside cloister's.
mkdir "$T/full"
cat >"$T/full/config.yaml" <<'YAML'
hostexec:
  auto_approve:
    - pattern: "^git status$"
  manual_approve:
    - pattern: "^git push origin"
YAML
gconf "$T/full/config.yaml" <<'YAML'
guardian:
  deny:
    - pattern: "^git push origin main --force"
YAML
out=$("$GD" -n -f "$T/full/config.yaml" -- git status)
[ "$out" = $'auto_approve\t^git status$\tgit status' ] &&
    ok "verdict line: auto_approve" || not_ok "verdict line: auto ($out)"
out=$("$GD" -n -f "$T/full/config.yaml" -- git push origin main)
[ "$out" = $'manual_approve\t^git push origin\tgit push origin main' ] &&
    ok "verdict line: manual_approve" || not_ok "verdict line: manual ($out)"
out=$("$GD" -n -f "$T/full/config.yaml" -- git push origin main --force)
[ "$out" = $'deny\t^git push origin main --force\tgit push origin main --force' ] &&
    ok "verdict line: deny wins over manual" || not_ok "verdict line: deny ($out)"
out=$("$GD" -n -f "$T/full/config.yaml" -- ls $'a\nb' "it's")
[ "$out" = "deny"$'\t\t'"ls \$'a\\nb' 'it'\\''s'"$'\n'"cloister"$'\t\t'"\"ls 'a\\nb' 'it'\\\\''s'\"" ] &&
    ok "verdict line: default deny, canonical quoting, cloister's form" ||
    not_ok "verdict line: default deny ($out)"

# Patterns match guardiand's canonical string and cloister's (DESIGN
# 5): an approval must match both, a deny pattern either.  -n shows
# cloister's form on a second line when it differs.
mkdir "$T/dual"
cat >"$T/dual/config.yaml" <<'YAML'
hostexec:
  auto_approve:
    - pattern: "^docker ps.*$"
  manual_approve:
    - pattern: "^gh pr view( .+)?$"
YAML
gconf "$T/dual/config.yaml" <<'YAML'
guardian:
  deny:
    - pattern: "\\x{202E}"
    - pattern: "[[:cntrl:]]\\[0m"
YAML
dual() {
	local want=$1; shift
	local out
	out=$("$GD" -n -f "$T/dual/config.yaml" -- "$@" 2>"$T/v.err")
	if [ "$out" = "$want" ]; then
		ok "two forms: $(printf '%q ' "$@")→ ${want%%$'\t'*}"
	else
		not_ok "two forms: $(printf '%q ' "$@")→ $(printf '%q' "$want") (got $(printf '%q' "$out") $(cat "$T/v.err"))"
	fi
}
dual $'deny\t\tdocker ps $\'a\\nb\'\ncloister\t\t"docker ps \'a\\nb\'"' \
    docker ps $'a\nb'
dual $'auto_approve\t^docker ps.*$\tdocker ps -a' docker ps -a
dual $'auto_approve\t^docker ps.*$\tdocker ps $\'a\\tb\'\ncloister\t\t"docker ps \'a\\tb\'"' \
    docker ps $'a\tb'
dual $'deny\t\tgh pr view $\'1\\n2\'\ncloister\t\t"gh pr view \'1\\n2\'"' \
    gh pr view $'1\n2'
dual $'manual_approve\t^gh pr view( .+)?$\tgh pr view 12' gh pr view 12
dual $'deny\t\\x{202E}\tgh pr view $\'\\u202e\'\ncloister\t\t"gh pr view \'\\u{202e}\'"' \
    gh pr view $'\u202e'
dual $'deny\t[[:cntrl:]]\\[0m\tdocker ps $\'\\x1b[0m\'\ncloister\t\t"docker ps \'\\x1b[0m\'"' \
    docker ps $'\e[0m'
dual $'auto_approve\t^docker ps.*$\tdocker ps $\'\\xff\'\ncloister\t\t"docker ps \'\xef\xbf\xbd\'"' \
    docker ps $'\xff'

# Per-project patterns with -p.
mkdir -p "$T/full/projects"
cat >"$T/full/projects/my-api.yaml" <<'YAML'
hostexec:
  auto_approve:
    - pattern: "^make test$"
YAML
# Both cloister's files stay good for cloister.
for f in config.yaml projects/my-api.yaml; do
	cloister_accepts "$T/full/$f" "$([ "$f" = config.yaml ] && echo global || echo project)" 2>"$T/err"
	case $? in
	0)	ok "cloister takes $f" ;;
	2)	note "no cloister schema: $f not checked" ;;
	*)	not_ok "cloister takes $f: $(cat "$T/err")" ;;
	esac
done
out=$("$GD" -n -f "$T/full/config.yaml" -p my-api -- make test)
[ "${out%%$'\t'*}" = auto_approve ] && ok "project pattern applies with -p" ||
    not_ok "project pattern applies with -p ($out)"
out=$("$GD" -n -f "$T/full/config.yaml" -p my-apx -- make test 2>"$T/err")
[ "${out%%$'\t'*}" = deny ] && grep -q "no projects/my-apx.yaml" "$T/err" &&
    ok "unknown project with -p: warned, global patterns only" ||
    not_ok "unknown project with -p ($out $(cat "$T/err"))"
out=$("$GD" -n -f "$T/full/config.yaml" -- make test)
[ "${out%%$'\t'*}" = deny ] && ok "project pattern not without -p" ||
    not_ok "project pattern not without -p ($out)"

# Constructs Go rejects: refused at load with file:line.
for pat in '(a)\1' '(?=x)' '(?!x)' '(?<=x)' '(?>x)' 'a*+' 'a++' \
    '\Z' '\C' '\K' '\R' '\X' '(?R)' 'a{1001}' '(?x)a' '[z-a]' '(' ; do
	esc=${pat//\\/\\\\}
	printf 'request:\n  timeout: 5m\nhostexec:\n  auto_approve:\n    - pattern: "x"\n    - pattern: "%s"\n' \
	    "$esc" >"$T/bad.yaml"
	if "$GD" -n -f "$T/bad.yaml" 2>"$T/err"; then
		not_ok "refused: $pat"
	elif grep -q "^$T/bad.yaml:6: " "$T/err"; then
		ok "refused with file:line: $pat ($(head -1 "$T/err" | sed "s|^$T/||"))"
	else
		not_ok "refused with file:line: $pat ($(cat "$T/err"))"
	fi
done

# Broken files: exit 1, every error as file:line: message, in both.
mkdir "$T/broken"
cat >"$T/broken/config.yaml" <<'YAML'
request:
  timeout: 5 minutes
hostexec:
  auto_approve:
    - pattern: "(?=x)"
YAML
gconf "$T/broken/config.yaml" <<'YAML'
guardian:
  defualt: manual
YAML
if "$GD" -n -f "$T/broken/config.yaml" 2>"$T/err"; then
	not_ok "broken file: exit 1"
else
	ok "broken file: exit 1"
	grep -q "^$T/broken/config.yaml:2: " "$T/err" &&
	    grep -q "^$T/broken/guardiand.yaml:2: unknown key \`defualt\` in section \`guardian\`; did you mean \`default\`?" "$T/err" &&
	    ok "broken files: errors as file:line: message, in both files" ||
	    not_ok "broken files: errors as file:line ($(cat "$T/err"))"
fi
"$GD" -n -f "$T/full/config.yaml" 2>"$T/err" && [ ! -s "$T/err" ] &&
    ok "valid file: exit 0, silent" || not_ok "valid file: exit 0"
"$GD" -n -f "$T/missing.yaml" 2>"$T/err"
[ $? -eq 1 ] && grep -q "missing.yaml" "$T/err" && ok "missing file: exit 1" ||
    not_ok "missing file: exit 1"

# The daemon refuses to start on a bad pattern, saying where.
cat >"$T/badd.yaml" <<YAML
request:
  listen: "127.0.0.1:$(free_port)"
hostexec:
  listen: "127.0.0.1:$(free_port)"
  auto_approve:
    - pattern: "(?=x)"
YAML
if "$BIN/guardiand" -d -f "$T/badd.yaml" 2>"$T/err"; then
	not_ok "daemon refuses a bad pattern"
else
	grep -q "badd.yaml:6: " "$T/err" && ok "daemon refuses a bad pattern with file:line" ||
	    not_ok "daemon refuses a bad pattern with file:line ($(cat "$T/err"))"
fi

# A pathological pattern fails closed, fast.
printf 'hostexec:\n  auto_approve:\n    - pattern: "^(a+)+$"\n' >"$T/patho.yaml"
arg=$(printf 'a%.0s' $(seq 1 20000))b
start=$(date +%s%N)
out=$("$GD" -n -f "$T/patho.yaml" -- "$arg" 2>/dev/null)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "${out%%$'\t'*}" = deny ] && ok "^(a+)+$ against a long non-match: deny" ||
    not_ok "^(a+)+$ against a long non-match: deny (${out:0:40})"
note "pathological pattern verdict in $ms ms (whole guardiand -n run)"
# Empty files are never the defaults; limits.args is bounded so that
# every message about a request fits a frame; running_per_cloister.
mkdir -p "$T/e1" "$T/e2" "$T/e3"
: >"$T/e1/config.yaml"
"$GD" -n -f "$T/e1/config.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "^$T/e1/config.yaml:1: the file is empty" "$T/err" &&
    ok "an empty config.yaml is refused" ||
    not_ok "an empty config.yaml is refused (rc $rc: $(cat "$T/err"))"
printf 'request:\n  timeout: "1m"\n' >"$T/e2/config.yaml"
printf '# nothing yet\n' >"$T/e2/guardiand.yaml"
"$GD" -n -f "$T/e2/config.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "^$T/e2/guardiand.yaml:1: the file is empty" "$T/err" &&
    ok "an empty guardiand.yaml is refused" ||
    not_ok "an empty guardiand.yaml is refused (rc $rc: $(cat "$T/err"))"
printf 'request:\n  timeout: "1m"\n' >"$T/e3/config.yaml"
printf 'guardian:\n  limits:\n    running: 8\n    running_per_cloister: 2\n    args: 16385\n' \
    >"$T/e3/guardiand.yaml"
"$GD" -n -f "$T/e3/config.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "^$T/e3/guardiand.yaml:5: .guardian.limits.args.: at most 16384" "$T/err" &&
    [ "$(wc -l <"$T/err")" -eq 1 ] &&
    ok "limits.args above 16384 is refused, running_per_cloister taken" ||
    not_ok "limits.args above 16384 is refused (rc $rc: $(cat "$T/err"))"
exit 0
