#!/usr/bin/env bash
# Runs the whole suite: unit tests (cmocka, TAP), the fuzz tests'
# corpora, the RE2/Go conformance corpus, then the integration scripts
# against the real daemon.  Every test prints "ok - ..." or
# "not ok - ..."; the last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
export O
export TOP=$PWD
export BIN=$PWD/$O
LOGDIR=$PWD/$O/regress-logs
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
export LOGDIR
# The sanitizer build's children write their reports here, each to a
# file of its own (ROLE.PID.log); other builds ignore it.
SANDIR=$LOGDIR/sanitizer
mkdir -p "$SANDIR"
export GUARDIAND_SANITIZER_DIR=$SANDIR

pass=0
fail=0
skip=0
failed=()

# A child's sanitizer report fails the test that ran it, naming the
# file, kept as ROLE.PID.report so that it counts once; empty logs
# are removed.
sanitizer_reports() {
	local f
	for f in "$SANDIR"/*.log; do
		[ -e "$f" ] || continue
		if [ -s "$f" ]; then
			mv "$f" "${f%.log}.report"
			echo "not ok - sanitizer report: ${f%.log}.report"
		else
			rm -f "$f"
		fi
	done
}

# Count a test program's ok / not ok lines; a crash is a failure.
run_one() {
	local name=$1; shift
	local log=$LOGDIR/${name//\//_}.log
	local rc p f s
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	sanitizer_reports >>"$log"
	# A skipped check ("ok - ... # SKIP why") is not a pass.
	s=$(grep -c '^ok .*# SKIP' "$log")
	p=$(( $(grep -c '^ok ' "$log") - s ))
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc" >>"$log"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
	if [ "$f" -ne 0 ]; then
		failed+=("$name")
		printf '%-40s %4d passed, %d FAILED (see %s)\n' "$name" "$p" \
		    "$f" "${log#$TOP/}"
		grep '^not ok ' "$log" | sed 's/^/    /' | head -20
	else
		printf '%-40s %4d passed%s\n' "$name" "$p" \
		    "$([ "$s" -eq 0 ] || echo ", $s skipped")"
	fi
	grep '^ok .*# SKIP' "$log" | sed 's/^ok - /    skipped: /'
	grep '^# ' "$log" | grep -i 'count\|agree\|refused' | sed 's/^/    /'
}

export CMOCKA_MESSAGE_OUTPUT=TAP
for t in "$O"/regress/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done

# Each fuzz test once over its committed corpus.
for t in "$O"/regress/fuzz/*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	run_one "fuzz/$name" "$t" "regress/fuzz/corpus/$name"
done

if [ -x "$O/regress/re2conf" ]; then
	run_one conformance/re2 bash -c '
	    "$O/regress/re2conf" -n search < regress/conformance/re2/re2-search.txt &&
	    gzip -dc regress/conformance/re2/re2-exhaustive.txt.gz |
	    "$O/regress/re2conf" -n exhaustive'
fi

for t in regress/integration/t-*.sh; do
	[ -f "$t" ] || continue
	run_one "integration/$(basename "$t" .sh)" timeout 600 bash "$t"
done

echo
if [ "${#failed[@]}" -ne 0 ]; then
	echo "failed: ${failed[*]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
