#!/usr/bin/env bash
# make fuzz: runs each fuzz test under libFuzzer, one after the other,
# for its share of the time, on a copy of its committed corpus.
#
#	fuzz.sh BUILDDIR SECONDS MERGE NAME...
#
# New inputs go to BUILDDIR/corpus/NAME; with MERGE=1 those that add
# coverage are merged into regress/fuzz/corpus/NAME afterwards.
# regress/fuzz/NAME.dict, if there is one, is the test's dictionary,
# regress/fuzz/NAME.options its extra libFuzzer flags.  A crash, leak
# or timeout fails the run and names the input that caused it.
set -u
cd "$(dirname "$0")/../.."
B=$1 total=$2 merge=$3
shift 3
[ $# -gt 0 ] || { echo "fuzz.sh: no fuzz tests" >&2; exit 1; }
per=$((total / $#))
[ "$per" -ge 1 ] || per=1
mkdir -p "$B/logs" "$B/crashes" "$B/tmp"
# Scratch files of the tests stay inside the build directory.
export TMPDIR=$PWD/$B/tmp
failed=()

echo "fuzzing $# tests, ${per}s each"
for name in "$@"; do
	corpus=$B/corpus/$name
	log=$B/logs/$name.log
	mkdir -p "$corpus"
	opts=(-max_total_time="$per" -timeout=10 -rss_limit_mb=2048
	    -print_final_stats=1 -artifact_prefix="$B/crashes/$name-")
	[ -f "regress/fuzz/$name.dict" ] &&
	    opts+=(-dict="regress/fuzz/$name.dict")
	[ -f "regress/fuzz/$name.options" ] &&
	    read -r -a extra < "regress/fuzz/$name.options" &&
	    opts+=("${extra[@]}")
	touch "$B/tmp/start"
	"$B/fuzz_$name" "${opts[@]}" "$corpus" "regress/fuzz/corpus/$name" \
	    >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ "$rc" -ne 0 ]; then
		failed+=("$name")
		printf '%-12s FAILED after %s runs (%s), see %s\n' "$name" \
		    "${execs:-?}" "${cov:-cov: ?}" "$log"
		find "$B/crashes" -name "$name-*" -newer "$B/tmp/start" |
		    sed "s|^|    reproduce: $B/fuzz_$name |"
		grep -m 3 'ERROR: \|expectation failed\|SUMMARY' "$log" |
		    sed 's/^/    /'
		continue
	fi
	printf '%-12s %s runs, %s\n' "$name" "${execs:-?}" "${cov:-cov: ?}"
	if [ "$merge" = 1 ]; then
		"$B/fuzz_$name" -merge=1 "regress/fuzz/corpus/$name" \
		    "$corpus" >>"$log" 2>&1 ||
		    echo "    merge into regress/fuzz/corpus/$name failed"
	fi
done
if [ "${#failed[@]}" -ne 0 ]; then
	echo "fuzzing failed: ${failed[*]}"
	exit 1
fi
echo "fuzzing: no failure"
