#!/usr/bin/env bash
# cloister's configuration stays valid for cloister (DESIGN 6.6): its
# files are read with cloister's schema (../shared/testdata/cloister/
# schema.txt, what cloister's own configuration code accepts), checked
# here against an independent reading of it (regress/schemacheck.c);
# guardiand's own settings live in guardiand.yaml.  Key by key, every
# right type is accepted and every wrong type or unknown key refused
# with file:line; the files we ship and the file cloister writes pass;
# the old single-file example is refused with where to move things;
# project files of any name load, and one cloister would ignore is
# ignored with a warning; guardiand -n checks what a start checks.
. "$(dirname "$0")/../lib.sh"

SHARED=$TOP/../shared/testdata/cloister
for f in schema.txt cloister-default.yaml; do
	if [ ! -f "$SHARED/$f" ]; then
		echo "ok - # SKIP $SHARED/$f is missing"
		exit 0
	fi
done
GD=$BIN/guardiand
[ -x "$BIN/regress/schemacheck" ] ||
    { not_ok "$BIN/regress/schemacheck is built"; exit 1; }

# cl_ok DESC FILE [global|project]: cloister would take FILE.
cl_ok() {
	if cloister_accepts "$2" "${3:-global}" 2>"$T/sc.err"; then
		ok "cloister takes $1"
	else
		not_ok "cloister takes $1: $(head -3 "$T/sc.err")"
	fi
}
# cl_refuses DESC FILE [global|project]
cl_refuses() {
	cloister_accepts "$2" "${3:-global}" 2>/dev/null
	[ $? -eq 1 ] && ok "cloister refuses $1" ||
	    not_ok "cloister refuses $1"
}
# gd_ok DESC CONFIG: guardiand -n takes it, silently.
gd_ok() {
	"$GD" -n -f "$2" >/dev/null 2>"$T/gd.err"
	[ $? -eq 0 ] && [ ! -s "$T/gd.err" ] && ok "guardiand takes $1" ||
	    not_ok "guardiand takes $1: $(head -3 "$T/gd.err")"
}

## The independent reading refuses what cloister refuses.

mkdir "$T/sc"
printf 'proxy:\n  listen: ":3128"\n' >"$T/sc/good.yaml"
cl_ok "a file of its keys (schemacheck)" "$T/sc/good.yaml"
printf 'proxy:\n  listn: ":3128"\n' >"$T/sc/f1.yaml"
cl_refuses "an unknown key (schemacheck)" "$T/sc/f1.yaml"
printf 'proxy:\n  rate_limit: "120"\n' >"$T/sc/f2.yaml"
cl_refuses "a quoted int (schemacheck)" "$T/sc/f2.yaml"
printf 'log:\n  stdout: maybe\n' >"$T/sc/f3.yaml"
cl_refuses "a non-bool (schemacheck)" "$T/sc/f3.yaml"
printf 'request:\n  listen: [":1"]\n' >"$T/sc/f4.yaml"
cl_refuses "a list for a string (schemacheck)" "$T/sc/f4.yaml"
printf 'hostexec:\n  deny: []\n' >"$T/sc/f5.yaml"
cl_refuses "hostexec.deny (schemacheck)" "$T/sc/f5.yaml"
printf 'hostexec:\n  auto_approve: []\n' >"$T/sc/p1.yaml"
cl_ok "a project file (schemacheck)" "$T/sc/p1.yaml" project
printf 'commands:\n  auto_approve: []\n' >"$T/sc/p2.yaml"
cl_refuses "commands: in a project file (schemacheck)" "$T/sc/p2.yaml" project

## What we ship, and what cloister writes, stays good for cloister.

cl_ok "etc/config.example.yaml" "$TOP/etc/config.example.yaml"
cl_ok "cloister-default.yaml" "$SHARED/cloister-default.yaml"
mkdir "$T/ex"
cp "$TOP/etc/config.example.yaml" "$T/ex/config.yaml"
cp "$TOP/etc/guardiand.example.yaml" "$T/ex/guardiand.yaml"
gd_ok "the two example files together" "$T/ex/config.yaml"
mkdir "$T/def"
cp "$SHARED/cloister-default.yaml" "$T/def/config.yaml"
"$GD" -n -f "$T/def/config.yaml" 2>"$T/gd.err"; rc=$?
[ $rc -eq 0 ] && ! grep -qv ':[0-9]*: warning: listening on non-loopback' "$T/gd.err" &&
    ok "guardiand takes cloister-default.yaml (warning only of :9998)" ||
    not_ok "guardiand takes cloister-default.yaml ($rc: $(cat "$T/gd.err"))"
out=$("$GD" -n -f "$T/def/config.yaml" -- gh pr view 12 2>/dev/null)
[ "$out" = $'manual_approve\t^gh pr (view|list|status|checks|diff)( .+)?$\tgh pr view 12' ] &&
    ok "cloister-default.yaml's patterns decide as cloister's" ||
    not_ok "cloister-default.yaml's patterns ($out)"

# The demo's files, as `make run` writes them: it runs, and its
# config.yaml is cloister's.
(cd "$TOP" && TMPDIR=$T exec bash etc/demo.sh "$BIN") >"$T/demo.out" 2>&1 &
DEMO=$!
n=200
until grep -q 'ready: ' "$T/demo.out" 2>/dev/null || [ $n -eq 0 ]; do
	sleep 0.05; n=$((n - 1))
done
DS=$(sed -n 's/^  scratch directory  //p' "$T/demo.out")
if [ $n -gt 0 ] && [ -f "$DS/config.yaml" ]; then
	ok "the demo starts on its two files"
	cp "$DS/config.yaml" "$T/demo-config.yaml"
	cp "$DS/guardiand.yaml" "$T/demo-guardiand.yaml"
	cl_ok "the demo's config.yaml" "$T/demo-config.yaml"
	grep -q '^guardian:' "$T/demo-guardiand.yaml" &&
	    ok "the demo's guardiand.yaml holds the guardian section" ||
	    not_ok "the demo's guardiand.yaml holds the guardian section"
else
	not_ok "the demo starts on its two files: $(tail -5 "$T/demo.out")"
fi
kill -TERM "$DEMO" 2>/dev/null
wait "$DEMO" 2>/dev/null
[ -n "$DS" ] && [ ! -e "$DS" ] && ok "the demo cleans up" ||
    not_ok "the demo cleans up ($DS)"

## Key by key: the right type is taken, a wrong type or an unknown
## sibling refused with file:line (cloister's project files: ignored
## with a warning at file:line).

# yaml_at PATH VALUE: PATH (schema notation: a.b[].c, a{}.c) set to
# VALUE, in block style; the value is on the last line.
yaml_at() {
	local path=$1 val=$2 ind="" pre="" c name i n
	local -a comps
	IFS=. read -r -a comps <<<"$path"
	n=${#comps[@]}
	for ((i = 0; i < n; i++)); do
		c=${comps[i]}
		name=${c%'[]'}
		name=${name%'{}'}
		if [ $i -eq $((n - 1)) ]; then
			printf '%s%s%s: %s\n' "$ind" "$pre" "$name" "$val"
			return
		fi
		printf '%s%s%s:\n' "$ind" "$pre" "$name"
		[ -n "$pre" ] && ind="$ind  "
		pre=
		ind="$ind  "
		case $c in
		*'[]')	pre="- " ;;
		*'{}')	printf '%sclaude:\n' "$ind"; ind="$ind  " ;;
		esac
	done
}

RPORT=$(free_port); UPORT=$(free_port)
good_value() {
	case $2 in
	int)	echo 7 ;;
	bool)	echo true ;;
	list)	echo '["a", "b"]' ;;
	*)	case $1 in
		request.listen)		echo "\"127.0.0.1:$RPORT\"" ;;
		hostexec.listen)	echo "\"127.0.0.1:$UPORT\"" ;;
		request.timeout)	echo '"5m"' ;;
		hostexec.*.pattern)	echo '"^x$"' ;;
		*)			echo '"x"' ;;
		esac ;;
	esac
}
bad_value() {
	case $1 in
	int)	echo '"7"' ;;
	bool)	echo maybe ;;
	list)	echo '"a"' ;;
	*)	echo '[x]' ;;
	esac
}

# try SCOPE PATH VALUE WANT DESC: WANT is ok or refused.
N=0
try() {
	local scope=$1 path=$2 val=$3 want=$4 desc=$5 d f line rc
	N=$((N + 1))
	d=$T/k/$N
	mkdir -p "$d/projects"
	if [ "$scope" = global ]; then
		f=$d/config.yaml
		yaml_at "$path" "$val" >"$f"
		"$GD" -n -f "$f" >/dev/null 2>"$d/err"; rc=$?
	else
		f=$d/projects/p.yaml
		echo "hostexec: {}" >"$d/config.yaml"
		yaml_at "$path" "$val" >"$f"
		"$GD" -n -f "$d/config.yaml" -p p -- true >/dev/null \
		    2>"$d/err"; rc=$?
	fi
	line=$(wc -l <"$f")
	cloister_accepts "$f" "$scope" 2>/dev/null
	local sc=$?
	if [ "$want" = ok ]; then
		[ $rc -eq 0 ] && [ ! -s "$d/err" ] && [ $sc -eq 0 ] &&
		    ok "$scope $path: $desc taken, as by cloister" ||
		    not_ok "$scope $path: $desc taken (rc $rc, schemacheck $sc: $(head -2 "$d/err"))"
	elif [ "$scope" = global ]; then
		[ $rc -eq 1 ] && grep -q "^$f:$line: " "$d/err" && [ $sc -eq 1 ] &&
		    ok "$scope $path: $desc refused at line $line, as by cloister" ||
		    not_ok "$scope $path: $desc refused at line $line (rc $rc, schemacheck $sc: $(head -2 "$d/err"))"
	else
		[ $rc -eq 0 ] && grep -q "^$f:$line: warning: " "$d/err" &&
		    grep -q "^$f: warning: ignored" "$d/err" && [ $sc -eq 1 ] &&
		    ok "$scope $path: $desc: file ignored with a warning at line $line, as by cloister" ||
		    not_ok "$scope $path: $desc: file ignored with a warning at line $line (rc $rc, schemacheck $sc: $(head -2 "$d/err"))"
	fi
}

declare -A containers
nkeys=0
while read -r scope path type; do
	nkeys=$((nkeys + 1))
	try "$scope" "$path" "$(good_value "$path" "$type")" ok "a $type"
	try "$scope" "$path" "$(bad_value "$type")" refused \
	    "$(bad_value "$type") for a $type"
	parent=${path%.*}
	if [ "$parent" = "$path" ]; then
		try "$scope" bogus_key '"x"' refused "an unknown key beside it"
	else
		try "$scope" "$parent.bogus_key" '"x"' refused \
		    "an unknown key beside it"
		containers["$scope $parent"]=1
	fi
done < <(awk '
	/^global \(/	{ w = "global"; next }
	/^project \(/	{ w = "project"; next }
	/^$/		{ w = ""; next }
	w != "" && !/^#/ && NF >= 2 { print w, $1, $2 }' "$SHARED/schema.txt")
[ "$nkeys" -ge 40 ] && ok "every key of the schema tried ($nkeys)" ||
    not_ok "every key of the schema tried ($nkeys)"
# A scalar where a mapping or a list is.
for c in "${!containers[@]}"; do
	try "${c%% *}" "${c#* }" '"x"' refused "a scalar for a collection"
done

## The old single-file example: refused, saying what goes where.

mkdir "$T/old"
cp "$TOP/regress/data/config.example.old.yaml" "$T/old/config.yaml"
cl_refuses "the old example" "$T/old/config.yaml"
"$GD" -n -f "$T/old/config.yaml" 2>"$T/err"; rc=$?
dl=$(grep -n '^  deny:' "$T/old/config.yaml" | cut -d: -f1)
gl=$(grep -n '^guardian:' "$T/old/config.yaml" | cut -d: -f1)
[ $rc -eq 1 ] &&
    grep -qxF "$T/old/config.yaml:$dl: \`hostexec.deny\` is guardiand's, which cloister refuses: move it to $T/old/guardiand.yaml as \`guardian.deny\`" "$T/err" &&
    grep -qxF "$T/old/config.yaml:$gl: \`guardian\` is guardiand's own section, which cloister refuses: move it to $T/old/guardiand.yaml" "$T/err" &&
    [ "$(wc -l <"$T/err")" -eq 2 ] &&
    ok "the old example: two errors, each saying what to move where" ||
    not_ok "the old example: what to move where ($rc: $(cat "$T/err"))"
# Moved as told, both files are good: the deny list (its key and its
# entries) and the guardian section go to guardiand.yaml.
mv "$T/old/config.yaml" "$T/old/orig.yaml"
awk -v gl="$gl" 'NR >= gl { print }' "$T/old/orig.yaml" >"$T/old/guardiand.yaml"
awk -v dl="$dl" 'NR == dl { print; next } NR > dl && /^    - / { print; next }
	NR > dl { exit }' "$T/old/orig.yaml" >>"$T/old/guardiand.yaml"
awk -v dl="$dl" -v gl="$gl" 'NR == dl { skip = 1; next }
	skip && /^    - / { next } { skip = 0 } NR < gl { print }' \
    "$T/old/orig.yaml" >"$T/old/config.yaml"
grep -c 'pattern: "^rm' "$T/old/guardiand.yaml" | grep -qx 1 &&
    ! grep -q 'deny:' "$T/old/config.yaml" &&
    ok "the old example, moved: deny and guardian in guardiand.yaml" ||
    not_ok "the old example, moved: deny and guardian in guardiand.yaml"
cl_ok "the old example, once moved" "$T/old/config.yaml"
gd_ok "the old example, once moved" "$T/old/config.yaml"

## Typos guardiand used to pass over.

mkdir "$T/typo"
printf 'guardain:\n  env:\n    pass: [PATH]\n' >"$T/typo/config.yaml"
"$GD" -n -f "$T/typo/config.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "^$T/typo/config.yaml:1: unknown key \`guardain\` at the top level, which cloister refuses; did you mean \`guardian\`? It is guardiand's, and goes in $T/typo/guardiand.yaml" "$T/err" &&
    ok "guardain: refused, with the hint" ||
    not_ok "guardain: refused ($rc: $(cat "$T/err"))"
printf 'Hostexec:\n  auto_approve:\n    - pattern: "^ls$"\n' >"$T/typo/config.yaml"
"$GD" -n -f "$T/typo/config.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "^$T/typo/config.yaml:1: unknown key \`Hostexec\` at the top level, which cloister refuses; did you mean \`hostexec\`?" "$T/err" &&
    ok "Hostexec: refused, with the hint" ||
    not_ok "Hostexec: refused ($rc: $(cat "$T/err"))"
echo "hostexec: {}" >"$T/typo/config.yaml"
printf 'guardian:\n  evn:\n    pass: [PATH]\n' >"$T/typo/guardiand.yaml"
"$GD" -n -f "$T/typo/config.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "^$T/typo/guardiand.yaml:2: unknown key \`evn\` in section \`guardian\`; did you mean \`env\`?" "$T/err" &&
    ok "a typo in guardiand.yaml: refused, with the hint" ||
    not_ok "a typo in guardiand.yaml ($rc: $(cat "$T/err"))"

## Project files: every name cloister takes; one cloister would ignore
## is ignored, and its project falls back to the global patterns.

P=$T/proj
mkdir -p "$P/projects" "$P/guardiand.d"
cat >"$P/config.yaml" <<'YAML'
hostexec:
  manual_approve:
    - pattern: "^make"
YAML
LONG=$(printf 'l%.0s' $(seq 1 200))
for name in "my proj" "c++lib" "prøject" "_proj" "$LONG"; do
	printf 'hostexec:\n  auto_approve:\n    - pattern: "^make test$"\n' \
	    >"$P/projects/$name.yaml"
	cl_ok "project file \"${name:0:20}\"" "$P/projects/$name.yaml" project
done
printf 'hostexec:\n  auto_approve:\n    - pattern: "^make test$"\n  colour: blue\n' \
    >"$P/projects/odd.yaml"
printf 'hostexec:\n  auto_approve:\n    - pattern: "^make (?=test)"\n' \
    >"$P/projects/badre.yaml"
printf 'guardian:\n  deny:\n    - pattern: "^make test --all$"\n' \
    >"$P/guardiand.d/odd.yaml"
cl_refuses "a project file with an unknown key" "$P/projects/odd.yaml" project
"$GD" -n -f "$P/config.yaml" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] &&
    grep -qxF "$P/projects/odd.yaml:4: warning: unknown key \`colour\` in section \`hostexec\`, which cloister refuses" "$T/err" &&
    grep -qxF "$P/projects/odd.yaml: warning: ignored, as cloister ignores it: project \`odd\` gets the global patterns only" "$T/err" &&
    grep -q "^$P/projects/badre.yaml:3: warning: " "$T/err" &&
    grep -qxF "$P/projects/badre.yaml: warning: ignored, as cloister ignores it: project \`badre\` gets the global patterns only" "$T/err" &&
    [ "$(wc -l <"$T/err")" -eq 4 ] &&
    ok "-n: ignored project files are warnings, exit 0" ||
    not_ok "-n: ignored project files ($rc: $(cat "$T/err"))"
for name in "my proj" "c++lib" "prøject" "_proj" "$LONG"; do
	out=$("$GD" -n -f "$P/config.yaml" -p "$name" -- make test 2>/dev/null)
	[ "$out" = $'auto_approve\t^make test$\tmake test' ] &&
	    ok "-p \"${name:0:20}\": its patterns apply" ||
	    not_ok "-p \"${name:0:20}\": its patterns apply ($out)"
done
for name in odd badre; do
	out=$("$GD" -n -f "$P/config.yaml" -p "$name" -- make test 2>"$T/err")
	[ "$out" = $'manual_approve\t^make\tmake test' ] &&
	    grep -q "projects/$name.yaml is ignored: only the global patterns apply" "$T/err" &&
	    ok "-p $name: ignored, the global patterns apply" ||
	    not_ok "-p $name: the global patterns apply ($out $(cat "$T/err"))"
done
out=$("$GD" -n -f "$P/config.yaml" -p odd -- make test --all 2>/dev/null)
[ "${out%%$'\t'*}" = deny ] &&
    ok "-p odd: its deny list in guardiand.d still applies" ||
    not_ok "-p odd: its deny list in guardiand.d still applies ($out)"

## guardiand -n checks what a start checks.

C=$T/chk
mkdir -p "$C/wt" "$C/run/x"
echo "hostexec: {}" >"$C/config.yaml"
# nck DESC WANT-RC REGEX: guardiand -n on $C, its stderr matched.
nck() {
	"$GD" -n -f "$C/config.yaml" 2>"$T/err"; rc=$?
	[ $rc -eq "$2" ] && grep -Eq -- "$3" "$T/err" && ok "-n: $1" ||
	    not_ok "-n: $1 ($rc: $(cat "$T/err"))"
}
printf 'hostexec:\n  listen: "0.0.0.0:%s"\n' "$UPORT" >"$C/config.yaml"
nck "a non-loopback UI address is refused" 1 \
    "^$C/config.yaml:2: 0.0.0.0:$UPORT: the approval UI listens on loopback only"
printf 'guardian:\n  ui_allow_remote: true\n' >"$C/guardiand.yaml"
nck "... unless ui_allow_remote" 0 \
    "^$C/config.yaml:2: warning: listening on non-loopback address 0.0.0.0:$UPORT"
echo "hostexec: {}" >"$C/config.yaml"
printf 'guardian:\n  request_listen: "no-such-host.invalid:1"\n' >"$C/guardiand.yaml"
nck "an address that does not resolve is refused" 1 \
    "^$C/guardiand.yaml:2: no-such-host.invalid:1: "
printf 'guardian:\n  request_listen: "unix:%s/none/deeper/s.sock"\n' "$C" >"$C/guardiand.yaml"
nck "a unix socket whose directory cannot be made is refused" 1 \
    "^$C/guardiand.yaml:2: $C/none/deeper/s.sock: cannot be made"
printf 'guardian:\n  cloisters:\n    - {name: a, worktree: "%s/wt", token_file: "%s/nope"}\n' \
    "$C" "$C" >"$C/guardiand.yaml"
nck "a missing token file is refused" 1 \
    "^$C/guardiand.yaml:3: cloister \`a\`: token file $C/nope: No such file"
printf 'guardian:\n  control: "%s/run/x/control.sock"\n  request_listen: ["unix:%s/run/x/request.sock"]\n' \
    "$C" "$C" >"$C/guardiand.yaml"
nck "a control socket beside a request socket is refused" 1 \
    "control socket $C/run/x/control.sock and request socket $C/run/x/request.sock share a directory"
printf 'guardian:\n  request_listen: ["unix:%s/run/x/request.sock"]\n' "$C" >"$C/guardiand.yaml"
"$GD" -n -f "$C/config.yaml" -s "$C/run/x/sub/control.sock" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'share a directory' "$T/err" &&
    ok "-n: ... and so is one below it, given with -s" ||
    not_ok "-n: ... and so is one below it ($rc: $(cat "$T/err"))"
printf 'guardian:\n  cloisters:\n    - {name: a, worktree: "%s/gone", token: 0123456789abcdef}\n' \
    "$C" >"$C/guardiand.yaml"
nck "a missing worktree is a warning" 0 \
    "^$C/guardiand.yaml:3: warning: cloister \`a\`: worktree $C/gone does not exist"

## A daemon with cloisters of such projects.

RP=$(free_port); UP=$(free_port)
WT=$T/wt
mkdir -p "$WT"
cp -r "$P/projects" "$T/"
cat >"$CONF" <<YAML
request:
  listen: "127.0.0.1:$RP"
hostexec:
  listen: "127.0.0.1:$UP"
YAML
gconf <<YAML
guardian:
  cloisters:
    - {name: c1, project: "my proj", worktree: "$WT", token: c1-token-0123456789}
YAML
cl_ok "the daemon's config.yaml" "$CONF"
start_daemon "$CONF" || { not_ok "daemon starts"; exit 1; }
hx_as c1-token-0123456789 echo hi >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && ok "cloister of \"my proj\": echo is not its pattern" ||
    not_ok "cloister of \"my proj\": echo denied ($rc)"
printf 'hostexec:\n  auto_approve:\n    - pattern: "^echo "\n' >"$T/projects/my proj.yaml"
"$GUARDIANCTL" reload >/dev/null 2>&1
out=$(hx_as c1-token-0123456789 echo hi 2>&1)
[ "$out" = hi ] && ok "cloister of \"my proj\": its file applies" ||
    not_ok "cloister of \"my proj\": its file applies ($out)"
TOK=$("$GUARDIANCTL" register c2 -w "$WT" -P "prøject" 2>/dev/null)
printf 'hostexec:\n  auto_approve:\n    - pattern: "^pwd$"\n' >"$T/projects/prøject.yaml"
"$GUARDIANCTL" reload >/dev/null 2>&1
out=$(hx_as "$TOK" pwd 2>&1)
[ "$out" = "$WT" ] && ok "register -P prøject: its file applies" ||
    not_ok "register -P prøject: its file applies ($out)"
"$GUARDIANCTL" show cloisters | grep -q '^c2  *prøject ' &&
    ok "show cloisters: the project's name as it is" ||
    not_ok "show cloisters: $("$GUARDIANCTL" show cloisters)"
printf 'hostexec:\n  auto_approve:\n    - pattern: "^pwd$"\n  colour: blue\n' \
    >"$T/projects/prøject.yaml"
: >"$DLOG.mark"
"$GUARDIANCTL" reload >"$T/out" 2>&1; rc=$?
[ $rc -eq 0 ] && wait_log "prøject.yaml: warning: ignored, as cloister ignores it" 5 &&
    ok "reload: an ignored project file is logged, the reload done" ||
    not_ok "reload: an ignored project file is logged ($rc: $(cat "$T/out"))"
hx_as "$TOK" pwd >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && ok "... and its project falls back to the global patterns" ||
    not_ok "... and its project falls back to the global patterns ($rc)"
exit 0
