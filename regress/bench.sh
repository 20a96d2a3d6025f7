#!/usr/bin/env bash
# make bench: how fast guardiand serves hostexec, measured against the
# real daemon ($O/guardiand, the installed build) on a scratch
# configuration.  Every number is a ratio to, or sits beside, a
# baseline timed by the same harness in the same run, so that a busy or
# slow machine moves both alike.  Benchmarks report, they do not fail:
# a missed target is marked MISSED and the exit status is still 0 (it
# is 1 only if the benchmarks cannot run at all).
#
#   1. hostexec true (auto-approved) against spawning /bin/true, over
#      TCP and the unix socket: medians, p90s, their ratio.
#   2. hostexec cat of a 256 MiB file into /dev/null: throughput, with
#      cat FILE >/dev/null and cat FILE | cat beside it (the ratio to
#      the pipe), for hostexec and hostexec-static over TCP and the
#      unix socket; and the request child's VmRSS while a client reads
#      the same output at about 8 MB/s.
#   3. cloister's kind of client (bash, curl, jq: POST /request) running
#      true, beside hostexec.
#   4. Requests per second and p99 latency of POST /request running
#      true with 1, 8 and 64 requests in flight (regress/bench/loadgen.c),
#      on a quiet machine and with every core kept busy by a background
#      load, each beside the floor: a one-process accept-spawn-wait-
#      reply server (regress/bench/spawnserver.c) under the same load.
#   5. the approval page's event stream: the ui child's memory per open
#      page and the time one event takes from the first page to the
#      last, at 1,000 and 5,000 pages, beside a process that only
#      writes the event to as many streams.
#   6. hostexec true behind 0, 100, 1,000 and 10,000 auto_approve
#      patterns: latency and the policy child's CPU per request.
#   7. The daemon's CPU per request (all its processes) against the
#      CPU of the command it runs, POST /request running true with 1
#      and 64 requests in flight.
#
# Output: a table, then one line per metric,
#   bench: NAME VALUE UNIT (target OP VALUE UNIT) [MISSED]
# or "(context)" for a number without a target.  Per-run times are
# kept in $O/bench/.  Knobs (environment): RUNS (500), CURL_RUNS (50),
# SIZE_MB (256), CAT_RUNS (7), SLOW_SECS (10), LOAD_SECS (5: each
# throughput run, after a second of warm-up), INFLIGHT ("1 8 64"),
# SSE_CLIENTS ("1000 5000"), PATTERN_COUNTS ("0 100 1000 10000"),
# PATTERN_RUNS (RUNS), SECTIONS (all: "1 2 3 4 5 6 7"; the numbers
# above, to run only those).
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
case $O in
/*) BIN=$O ;;
*) BIN=$PWD/$O ;;
esac
export BIN
export GUARDIAND=$BIN/guardiand
. regress/lib.sh

RUNS=${RUNS:-500}
CURL_RUNS=${CURL_RUNS:-50}
SIZE_MB=${SIZE_MB:-256}
CAT_RUNS=${CAT_RUNS:-7}
SLOW_SECS=${SLOW_SECS:-10}
LOAD_SECS=${LOAD_SECS:-5}
INFLIGHT=${INFLIGHT:-"1 8 64"}
CLIENT_SH=$PWD/regress/cloister-hostexec.sh
STATIC=$BIN/hostexec-static	# make static; measured if present

SECTIONS=" ${SECTIONS:-1 2 3 4 5 6 7} "

die() { echo "bench: $*" >&2; exit 1; }
# section N: 0 if section N is to run.
section() { [ "${SECTIONS#* "$1" }" != "$SECTIONS" ]; }
say() { echo "bench: $*" >&2; }

for f in "$GUARDIAND" "$HOSTEXEC"; do
	[ -x "$f" ] || die "$f not built (make all)"
done

# The helpers, built with the project's warnings.
BB=$BIN/bench
mkdir -p "$BB"
CWARN="-O2 -Wall -Wextra -Werror -Wshadow -Wpointer-arith
    -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
    -std=gnu11 -D_GNU_SOURCE -D_FORTIFY_SOURCE=2"
for h in spawnbench slowread spawnserver loadgen; do
	# shellcheck disable=SC2086
	${CC:-cc} $CWARN -pthread -o "$BB/$h" "regress/bench/$h.c" ||
	    die "cannot build regress/bench/$h.c"
done
SB=$BB/spawnbench

# The daemon: auto-approves true and cat, asks a human for the event
# stream's marker, knows one cloister.
RP=$(free_port); UP=$(free_port)
SOCK=$T/run/guardiand/request.sock
TOKEN=bench-token-0123456789abcdef
WT=$T/wt
mkdir -p "$WT"
cat >"$T/config.yaml" <<YAML
hostexec:
  listen: "127.0.0.1:$UP"
  auto_approve:
    - pattern: "^true\$"
    - pattern: "^cat "
  manual_approve:
    - pattern: "^echo bench-sse-"
YAML
gconf "$T/config.yaml" <<YAML
guardian:
  request_listen: ["127.0.0.1:$RP", "unix:$SOCK"]
  # 64 in flight must all run, none wait for a slot; the event stream
  # rows open 5,000 pages from this one address.
  limits: {running: 128, running_per_cloister: 128, ui_connections: 6000,
    ui_connections_per_peer: 6000}
  cloisters:
    - {name: bench, worktree: "$WT", token: "$TOKEN"}
YAML
start_daemon "$T/config.yaml" || die "the daemon did not start"
RPID=$(child_pid request) || die "no request child"

# TCP unless a group sets the socket: the harness can add to the
# environment, not take away.
export CLOISTER_TOKEN=$TOKEN CLOISTER_GUARDIAN_HOST=127.0.0.1
export CLOISTER_REQUEST_PORT=$RP
unset CLOISTER_GUARDIAN_SOCKET
UNIX="CLOISTER_GUARDIAN_SOCKET=$SOCK"
"$HOSTEXEC" true && env "$UNIX" "$HOSTEXEC" true ||
    die "hostexec true fails: $(tail -n 5 "$DLOG")"

METRICS=()

# sbstat FILE LABEL FIELD: a field of spawnbench's summary line.
sbstat() {
	sed -n "s/^# $2 .* $3=\([0-9]*\).*/\1/p" "$1"
}
# calc EXPR [DECIMALS]: floating point arithmetic.
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
ms() { calc "$1 / 1000" 2; }
# verdict VALUE OP TARGET: ok or MISSED; OP is <=, < or >=.
verdict() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		r = (op == "<=") ? v <= t : (op == "<") ? v < t : v >= t
		print r ? "ok" : "MISSED" }'
}
# metric NAME VALUE UNIT [OP TARGET]: one "bench:" line for the end.
metric() {
	local line="bench: $1 $2 $3"
	if [ $# -lt 5 ]; then
		METRICS+=("$line (context)")
	elif [ "$(verdict "$2" "$4" "$5")" = ok ]; then
		METRICS+=("$line (target $4 $5 $3)")
	else
		METRICS+=("$line (target $4 $5 $3) MISSED")
	fi
}
# lgstat LINE FIELD: a field of loadgen's line.
lgstat() { printf '%s\n' "$1" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p"; }
# ticks FIELD PID...: the sum of a /proc/PID/stat time (utime, stime,
# cutime, cstime: 14 to 17) over those processes, in clock ticks.
ticks() {
	local f=$(($1 - 2)) p t=0 v
	shift
	for p in "$@"; do
		# The fields after the name, which may hold anything.
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null |
		    awk -v f="$f" '{ print $f + $(f + 1) }')
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
# The table, one file per section, printed in order at the end.
TAB=$T/table.1
row() { printf '%-46s %10s %10s   %s\n' "$@" >>"$TAB"; }
sb_failed() { note "$1: $(sort -u "$T/sb.err" | head -3 | tr '\n' ' ')"; }

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
say "started $(date -u '+%Y-%m-%d %H:%M UTC'); takes a minute or two"

# 1. Latency.  The denied command runs nothing on the host: what the
# client and the daemon cost without the host's fork and exec.
bench_latency() {
	say "1: latency of hostexec true, $RUNS runs each"
	L=$BB/latency.txt
	extra=()
	[ -x "$STATIC" ] &&
	    extra=(:: static-unix "$UNIX" "$STATIC" true)
	"$SB" -s -n "$RUNS" -b 25 -w 10 \
	    spawn-true /bin/true :: \
	    hostexec-tcp "$HOSTEXEC" true :: \
	    hostexec-unix "$UNIX" "$HOSTEXEC" true :: \
	    denied-unix:1 "$UNIX" "$HOSTEXEC" not-allowed "${extra[@]}" \
	    >"$L" 2>"$T/sb.err" || sb_failed latency

	b_med=$(sbstat "$L" spawn-true median)
	b_p90=$(sbstat "$L" spawn-true p90)
	[ -n "$b_med" ] || die "latency: no baseline ($(cat "$T/sb.err"))"
	row "hostexec true (auto-approved), $RUNS runs" median p90 target
	row "  spawn /bin/true (baseline)" "$(ms "$b_med") ms" \
	    "$(ms "$b_p90") ms" ""
	metric spawn_true_median "$(ms "$b_med")" ms
	metric spawn_true_p90 "$(ms "$b_p90")" ms
	for tr in tcp unix; do
		med=$(sbstat "$L" hostexec-$tr median)
		p90=$(sbstat "$L" hostexec-$tr p90)
		if [ -z "$med" ]; then
			row "  hostexec true, $tr" failed
			continue
		fi
		ratio=$(calc "$med / $b_med")
		row "  hostexec true, $tr" "$(ms "$med") ms" "$(ms "$p90") ms" \
		    "<= 1.5 ms $(verdict "$(ms "$med")" "<=" 1.5)"
		row "    median ratio to spawn /bin/true" "${ratio}x" "" \
		    "<= 4x $(verdict "$ratio" "<=" 4)"
		metric hostexec_true_${tr}_median "$(ms "$med")" ms "<=" 1.5
		metric hostexec_true_${tr}_p90 "$(ms "$p90")" ms
		metric hostexec_true_${tr}_ratio "$ratio" x "<=" 4
	done
	med=$(sbstat "$L" denied-unix median)
	p90=$(sbstat "$L" denied-unix p90)
	if [ -n "$med" ]; then
		row "  hostexec, denied: nothing runs, unix" "$(ms "$med") ms" \
		    "$(ms "$p90") ms" ""
		metric hostexec_denied_unix_median "$(ms "$med")" ms
	fi
	med=$(sbstat "$L" static-unix median)
	p90=$(sbstat "$L" static-unix p90)
	if [ -n "$med" ]; then
		row "  hostexec-static (musl) true, unix" "$(ms "$med") ms" \
		    "$(ms "$p90") ms" "ratio $(calc "$med / $b_med")x"
		metric hostexec_static_true_unix_median "$(ms "$med")" ms
	fi
}

# 2. Streaming a file from the worktree (so from the page cache).
bench_streaming() {
	say "2: streaming a $SIZE_MB MiB file"
	BYTES=$((SIZE_MB * 1048576))
	head -c "$BYTES" /dev/zero >"$WT/big" || die "cannot write $WT/big"

	# First the request child's resident size while a client reads slowly
	# (64 KiB, then 8 ms of sleep) for SLOW_SECS, then fast to the end;
	# before the throughput runs, whose full-speed buffers would otherwise
	# already be resident.
	TAB=$T/table.3
	row "request child VmRSS, client reading ~8 MB/s" growth peak target
	rss() { awk "/^$1:/ { print \$2 }" "/proc/$RPID/status" 2>/dev/null; }
	for tr in tcp unix; do
		env=()
		[ $tr = unix ] && env=("$UNIX")
		r0=$(rss VmRSS); h0=$(rss VmHWM); max=$r0
		{
			env "${env[@]}" "$HOSTEXEC" cat big
			echo $? >"$T/rc"
		} | "$BB/slowread" -b 65536 -d 8 -t "$SLOW_SECS" >"$T/slow" &
		pp=$!
		while kill -0 $pp 2>/dev/null; do
			r=$(rss VmRSS)
			[ -n "$r" ] && [ "$r" -gt "$max" ] && max=$r
			sleep 0.1
		done
		wait $pp
		# A peak between two samples still shows in the high-water mark.
		h1=$(rss VmHWM)
		[ "$h1" -gt "$h0" ] && [ "$h1" -gt "$max" ] && max=$h1
		slow=0 us=1 total=0
		read -r _ slow us _ total <"$T/slow"
		rc=$(cat "$T/rc")
		if [ "$total" -ne "$BYTES" ] || [ "$rc" != 0 ]; then
			note "slow reader, $tr: $total of $BYTES bytes," \
			    "status $rc"
		fi
		rate=$(calc "$slow / $us" 1)
		grow=$(calc "($max - $r0) / 1024" 1)
		row "  $tr, reader at $rate MB/s for ${SLOW_SECS}s" \
		    "$grow MiB" "$(calc "$max / 1024" 1) MiB" \
		    "< 16 MiB $(verdict "$grow" "<" 16)"
		metric request_rss_growth_$tr "$grow" MiB "<" 16
		metric request_rss_peak_$tr "$(calc "$max / 1024" 1)" MiB
		metric slow_reader_rate_$tr "$rate" MB/s
	done

	# Then throughput, as fast as everything goes; beside it the
	# baselines: cat alone, and cat FILE | cat, the pipe a copy through
	# a second process costs (what hostexec adds, at the least, is one
	# more such hop, over a socket).
	TAB=$T/table.2
	S=$BB/stream.txt
	local extra=() tr cl v best med pmed ratio
	[ -x "$STATIC" ] && extra=(:: static-cat-tcp "$STATIC" cat big ::
	    static-cat-unix "$UNIX" "$STATIC" cat big)
	# shellcheck disable=SC2016
	"$SB" -s -n "$CAT_RUNS" -b 1 -w 1 \
	    cat /bin/cat "$WT/big" :: \
	    pipe /bin/sh -c 'cat "$1" | cat' sh "$WT/big" :: \
	    hostexec-cat-tcp "$HOSTEXEC" cat big :: \
	    hostexec-cat-unix "$UNIX" "$HOSTEXEC" cat big "${extra[@]}" \
	    >"$S" 2>"$T/sb.err" || sb_failed streaming
	gbs() { calc "$BYTES / ($1 * 1000)" 2; }	# bytes/us / 1000 = GB/s
	# The median run is the result; the best shows what a quiet machine
	# gives, as other work only ever slows a run down.
	row "$SIZE_MB MiB file into /dev/null, $CAT_RUNS runs, GB/s" \
	    median best "target; ratio to cat | cat"
	med=$(sbstat "$S" cat median)
	if [ -n "$med" ]; then
		row "  cat FILE >/dev/null (baseline)" "$(gbs "$med")" \
		    "$(gbs "$(sbstat "$S" cat min)")" ""
		metric cat_direct_throughput "$(gbs "$med")" GB/s
	fi
	pmed=$(sbstat "$S" pipe median)
	if [ -n "$pmed" ]; then
		row "  cat FILE | cat >/dev/null (baseline)" "$(gbs "$pmed")" \
		    "$(gbs "$(sbstat "$S" pipe min)")" ""
		metric cat_pipe_throughput "$(gbs "$pmed")" GB/s
	fi
	for cl in hostexec static; do
		for tr in tcp unix; do
			med=$(sbstat "$S" $cl-cat-$tr median)
			if [ -z "$med" ]; then
				# No static client: no row.
				if [ $cl = hostexec ] || [ ${#extra[@]} != 0 ]
				then
					row "  $cl cat FILE, $tr" failed
				fi
				continue
			fi
			v=$(gbs "$med")
			best=$(gbs "$(sbstat "$S" $cl-cat-$tr min)")
			ratio=
			[ -n "$pmed" ] && ratio="$(calc "$pmed / $med")x"
			if [ $cl = hostexec ]; then
				row "  hostexec cat FILE, $tr" "$v" "$best" \
				    ">= 1 GB/s $(verdict "$v" ">=" 1); $ratio"
				metric hostexec_cat_${tr}_throughput "$v" \
				    GB/s ">=" 1
			else
				row "  hostexec-static cat FILE, $tr" "$v" \
				    "$best" "$ratio"
				metric static_cat_${tr}_throughput "$v" GB/s
			fi
			metric ${cl}_cat_${tr}_throughput_best "$best" GB/s
			[ -n "$ratio" ] && metric ${cl}_cat_${tr}_vs_pipe \
			    "${ratio%x}" x
		done
	done
}

# 3. A bash + curl + jq client beside hostexec, and curl alone (one
# POST /request, no jq) to show where that client's time goes.
bench_client() {
	TAB=$T/table.4
	if [ -f "$CLIENT_SH" ] && command -v curl >/dev/null &&
	    command -v jq >/dev/null; then
		say "3: bash + curl + jq client, $CURL_RUNS runs each"
		C=$BB/curl.txt
		"$SB" -s -n "$CURL_RUNS" -b 10 -w 3 \
		    hostexec-tcp "$HOSTEXEC" true :: \
		    script-tcp /bin/bash "$CLIENT_SH" true :: \
		    hostexec-unix "$UNIX" "$HOSTEXEC" true :: \
		    script-unix "$UNIX" /bin/bash "$CLIENT_SH" true :: \
		    curl-tcp "$(command -v curl)" -s --noproxy '*' \
		    -o /dev/null --fail -H "X-Cloister-Token: $TOKEN" \
		    --data-binary '{"args":["true"]}' \
		    "http://127.0.0.1:$RP/request" \
		    >"$C" 2>"$T/sb.err" || sb_failed "curl client"
		row "true, bash + curl + jq client ($CURL_RUNS runs)" \
		    median p90 \
		    "vs hostexec"
		for tr in tcp unix; do
			hm=$(sbstat "$C" hostexec-$tr median)
			cm=$(sbstat "$C" script-$tr median)
			cp=$(sbstat "$C" script-$tr p90)
			if [ -z "$cm" ] || [ -z "$hm" ]; then
				row "  cloister-hostexec.sh true, $tr" failed
				continue
			fi
			ratio=$(calc "$cm / $hm" 1)
			row "  cloister-hostexec.sh true, $tr" \
			    "$(ms "$cm") ms" \
			    "$(ms "$cp") ms" "${ratio}x ($(ms "$hm") ms)"
			metric script_client_true_${tr}_median "$(ms "$cm")" ms
			metric script_client_vs_hostexec_${tr} "$ratio" x
		done
		cm=$(sbstat "$C" curl-tcp median)
		cp=$(sbstat "$C" curl-tcp p90)
		if [ -n "$cm" ]; then
			row "  curl alone, one POST /request, tcp" \
			    "$(ms "$cm") ms" \
			    "$(ms "$cp") ms" ""
			metric curl_post_request_tcp_median "$(ms "$cm")" ms
		fi
	else
		row "bash + curl + jq client: skipped" "" "" \
		    "no $CLIENT_SH, curl or jq"
	fi
}

# 6. Patterns: hostexec true behind 0, 100, 1,000 and 10,000
# auto_approve patterns (each `^cmd-N( |$)`, all before `^true$`), one
# daemon each, all running at once and timed interleaved: latency, and
# the policy child's CPU per request from /proc, against no patterns.
bench_patterns() {
	TAB=$T/table.6
	say "6: latency and policy CPU with many patterns"
	PRUNS=${PATTERN_RUNS:-$RUNS}
	PCOUNTS=(${PATTERN_COUNTS:-0 100 1000 10000})
	pgroups=() ppids=()
	for np in "${PCOUNTS[@]}"; do
		d=$T/pat$np
		mkdir -p "$d/run" "$d/state"
		chmod 700 "$d/run"
		{
			echo "hostexec:"
			echo "  listen: \"127.0.0.1:$(free_port)\""
			echo "  auto_approve:"
			awk -v n="$np" 'BEGIN { for (i = 0; i < n; i++)
			    printf "    - pattern: \"^cmd-%d( |$)\"\n", i }'
			echo "    - pattern: \"^true\$\""
		} >"$d/config.yaml"
		cat >"$d/guardiand.yaml" <<YAML
guardian:
  request_listen: ["unix:$d/request.sock"]
  cloisters:
    - {name: bench, worktree: "$WT", token: "$TOKEN"}
YAML
		XDG_RUNTIME_DIR=$d/run XDG_STATE_HOME=$d/state \
		    "$GUARDIAND" -d -f "$d/config.yaml" 2>"$d/log" &
		ppids+=("$!")
		pgroups+=(:: "patterns-$np"
		    "CLOISTER_GUARDIAN_SOCKET=$d/request.sock"
		    "$HOSTEXEC" true)
	done
	# Ready when each answers.
	for np in "${PCOUNTS[@]}"; do
		k=0
		until CLOISTER_GUARDIAN_SOCKET=$T/pat$np/request.sock \
		    "$HOSTEXEC" \
		    true 2>/dev/null || [ $k -ge 300 ]; do
			sleep 0.1; k=$((k + 1))
		done
	done
	# policy_cpu PID: the CPU time its policy child has used, in ns
	# (schedstat), or in clock ticks turned into ns where that is absent.
	policy_cpu() {
		local p
		for p in $(pgrep -P "$1"); do
			tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
			    grep -q policy ||
			    continue
			if [ -r "/proc/$p/schedstat" ]; then
				awk '{ print $1 }' "/proc/$p/schedstat"
			else
				awk -v t="$(getconf CLK_TCK)" \
				    '{ printf "%d\n", ($14 + $15) * 1e9 / t }' \
				    "/proc/$p/stat"
			fi
			return
		done
		echo 0
	}
	cpu0=()
	for i in "${!PCOUNTS[@]}"; do
		cpu0+=("$(policy_cpu "${ppids[$i]}")")
	done
	P=$BB/patterns.txt
	"$SB" -s -n "$PRUNS" -b 25 -w 10 "${pgroups[@]:1}" >"$P" \
	    2>"$T/sb.err" ||
	    sb_failed patterns
	base=$(sbstat "$P" patterns-0 median)
	basecpu=
	row "hostexec true behind N auto_approve patterns" median "policy CPU" \
	    "vs 0 patterns"
	for i in "${!PCOUNTS[@]}"; do
		np=${PCOUNTS[$i]}
		med=$(sbstat "$P" "patterns-$np" median)
		cpu1=$(policy_cpu "${ppids[$i]}")
		# Per request, in microseconds: the runs plus the warm-up ones.
		pcpu=$(calc "($cpu1 - ${cpu0[$i]}) / 1000 / ($PRUNS + 10)" 0)
		kill "${ppids[$i]}" 2>/dev/null
		[ -n "$med" ] && [ -n "$base" ] ||
		    { row "  $np patterns" failed; continue; }
		[ -n "$basecpu" ] || basecpu=$pcpu
		ratio=$(calc "$med / $base")
		if [ "$np" = "${PCOUNTS[-1]}" ] && [ "$np" != 0 ]; then
			row "  $np patterns" "$(ms "$med") ms" "$pcpu us" \
			    "${ratio}x (<= 1.2x $(verdict "$ratio" "<=" 1.2))"
			metric patterns_${np}_latency_ratio "$ratio" x "<=" 1.2
		else
			row "  $np patterns" "$(ms "$med") ms" "$pcpu us" \
			    "${ratio}x"
			metric patterns_${np}_latency_ratio "$ratio" x
		fi
		metric patterns_${np}_policy_cpu "$pcpu" us
	done
	wait "${ppids[@]}" 2>/dev/null
}

# 5. The approval page's event stream: what each open page costs the ui
# child, and how long one event takes to reach every page, at 1,000
# and 5,000 pages: from the first page's socket to the last's, in the
# kernel's time of arrival; and, beside it, as the one program holding
# all the pages read them (its own reading is in that figure).  The
# baselines: for memory, the ui child before they connect; for the
# fan-out, the floor, a process that does nothing but write the event
# to each of as many streams (sse-load -F), timed the same way.
bench_sse() {
	TAB=$T/table.5
	SSE_LOAD=$BB/sse-load
	# shellcheck disable=SC2086
	${CC:-cc} $CWARN -o "$SSE_LOAD" regress/sse-load.c ||
	    die "cannot build regress/sse-load.c"
	LOGIN=$(grep -o 'approval UI login: http://[^ ]*' "$DLOG" | tail -1 |
	    sed 's/^approval UI login: //')
	curl -s -o /dev/null -c "$T/jar" "$LOGIN"
	COOKIE=$(awk '$6 == "guardiand_session" { print $7 }' "$T/jar")
	UIPID=$(child_pid ui)
	row "approval page event stream (SSE)" "per page" fan-out target
	HARD=$(ulimit -Hn)
	# Before any page: what a run with fewer pages left in the heap counts
	# against the larger run, never for it.
	rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$UIPID/status")
	for n in ${SSE_CLIENTS:-1000 5000}; do
		if [ "$HARD" != unlimited ] &&
		    [ "$HARD" -lt $((n + 100)) ]; then
			row "  $n pages" skipped "" \
			    "hard descriptor limit $HARD"
			continue
		fi
		say "5: event stream, $n pages"
		# The floor first: one process writing to n streams.
		ffan=$( (ulimit -Sn $((n + 100)); exec "$SSE_LOAD" -F \
		    -n "$n" -w floor -t 120) 2>&1 |
		    sed -n 's/^fanout \([0-9.]*\) ms$/\1/p')
		mark=bench-sse-$n-$RANDOM
		(ulimit -Sn $((n + 100))
		    exec "$SSE_LOAD" -p "$UP" -c "$COOKIE" \
		    -n "$n" -w "$mark" -t 120) >"$T/sse.out" 2>&1 &
		lpid=$!
		k=0
		until grep -qs "^ready $n\$" "$T/sse.out" || [ $k -ge 1200 ] ||
		    ! kill -0 "$lpid" 2>/dev/null; do
			sleep 0.1; k=$((k + 1))
		done
		rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$UIPID/status")
		# Not auto-approved: it waits, and the page hears of it.
		"$HOSTEXEC" -q echo "$mark" >/dev/null 2>&1 &
		hpid=$!
		wait "$lpid"
		kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null
		fan=$(sed -n 's/^fanout \([0-9.]*\) ms$/\1/p' "$T/sse.out")
		fanr=$(sed -n 's/^fanout-read \([0-9.]*\) ms$/\1/p' \
		    "$T/sse.out")
		if [ -z "$fan" ]; then
			row "  $n pages" failed "" "$(tail -1 "$T/sse.out")"
			continue
		fi
		per=$(( (rss1 - rss0) * 1024 / n ))
		row "  $n pages" "$per B" "$fan ms" "<= 4096 B, <= 50 ms"
		row "    fan-out as the one client program read it" "" \
		    "${fanr:-?} ms" ""
		metric sse_${n}_bytes_per_page "$per" B "<=" 4096
		metric sse_${n}_fanout "$fan" ms "<=" 50
		metric sse_${n}_fanout_read "${fanr:-0}" ms
		metric sse_${n}_ui_rss "$rss1" kB
		[ -n "$ffan" ] || { row "    floor" failed; continue; }
		row "    floor: a process that only writes to each" "" \
		    "$ffan ms" "ratio $(calc "$fan / $ffan")x"
		metric sse_${n}_fanout_floor "$ffan" ms
		metric sse_${n}_fanout_ratio "$(calc "$fan / $ffan")" x
	done
}

# 4. Requests in flight, against the floor, quiet and busy.
bench_inflight() {
	TAB=$T/table.7
	say "4: requests in flight ($INFLIGHT), ${LOAD_SECS}s each," \
	    "quiet and busy"
	"$BB/spawnserver" "$T/floor.port" /bin/true 2>"$T/floor.err" &
	FLOOR=$!
	n=200
	until [ -s "$T/floor.port" ] || [ $n -eq 0 ]; do
		sleep 0.05; n=$((n - 1))
	done
	FPORT=$(cat "$T/floor.port" 2>/dev/null)
	: >"$BB/inflight.txt"
	[ -n "$FPORT" ] ||
	    die "the floor server did not start: $(cat "$T/floor.err")"
	BUSY=
	busy_start() {
		local i
		for i in $(seq "$(nproc)"); do
			( while :; do :; done ) &
			BUSY="$BUSY $!"
		done
	}
	busy_stop() { kill $BUSY 2>/dev/null; wait $BUSY 2>/dev/null; BUSY=; }
	trap 'busy_stop; kill "$FLOOR" 2>/dev/null; cleanup' EXIT
	row "true via POST /request, in flight, ${LOAD_SECS}s" "req/s" "p99" \
	    "ratio to the floor (req/s, p99)"
	for load in quiet busy; do
		[ $load = busy ] && busy_start
		for c in $INFLIGHT; do
			f=$("$BB/loadgen" -c "$c" -t "$LOAD_SECS" \
			    -p "$FPORT" floor)
			g=$("$BB/loadgen" -c "$c" -t "$LOAD_SECS" -p "$RP" \
			    -k "$TOKEN" guardiand)
			printf '%s\n%s\n' "$f" "$g" >>"$BB/inflight.txt"
			frps=$(lgstat "$f" rps); fp99=$(lgstat "$f" p99)
			grps=$(lgstat "$g" rps); gp99=$(lgstat "$g" p99)
			gerr=$(lgstat "$g" errors)
			if [ -z "$frps" ] || [ -z "$grps" ] ||
			    [ "$frps" = 0.0 ] ||
			    [ "${fp99:-0}" = 0 ]; then
				row "  $load, $c in flight" failed
				continue
			fi
			row "  $load, $c in flight: floor (baseline)" "$frps" \
			    "$(ms "$fp99") ms" ""
			ratios="$(calc "$grps / $frps")x,"
			ratios="$ratios $(calc "$gp99 / $fp99")x"
			[ "${gerr:-0}" = 0 ] || ratios="$ratios, $gerr errors"
			row "  $load, $c in flight: guardiand" "$grps" \
			    "$(ms "$gp99") ms" "$ratios"
			metric inflight_${load}_${c}_floor_rps "$frps" req/s
			metric inflight_${load}_${c}_floor_p99 \
			    "$(ms "$fp99")" ms
			metric inflight_${load}_${c}_rps "$grps" req/s
			metric inflight_${load}_${c}_p99 "$(ms "$gp99")" ms
			metric inflight_${load}_${c}_rps_ratio \
			    "$(calc "$grps / $frps")" x
			metric inflight_${load}_${c}_p99_ratio \
			    "$(calc "$gp99 / $fp99")" x
		done
		[ $load = busy ] && busy_stop
	done
	kill "$FLOOR" 2>/dev/null; wait "$FLOOR" 2>/dev/null
}

# 7. The daemon's CPU per request against the command's own: POST
# /request running true, 1 and 64 in flight, LOAD_SECS each.  The
# daemon's is the user and system time of its own processes (the
# parent and its children: spawner, policy, request, ui); the
# command's, what the spawner's children used (its cutime and cstime:
# each command from its fork to its exit), both from /proc over the
# run, per request answered.
bench_cpu() {
	local c g n pids spw d0 d1 k0 k1 dus kus tck p role
	local -A r0
	TAB=$T/table.8
	say "7: daemon CPU per request, 1 and 64 in flight," \
	    "${LOAD_SECS}s each"
	tck=$(getconf CLK_TCK)
	if ! spw=$(child_pid spawner); then
		row "daemon CPU: no spawner" failed
		return
	fi
	mapfile -t pids < <(echo "$DPID"; pgrep -P "$DPID")
	row "CPU per request, true via POST /request" daemon command \
	    "daemon/command"
	for c in 1 64; do
		d0=$(ticks 14 "${pids[@]}"); k0=$(ticks 16 "$spw")
		for p in "${pids[@]}"; do r0[$p]=$(ticks 14 "$p"); done
		g=$("$BB/loadgen" -c "$c" -t "$LOAD_SECS" -w 0 -p "$RP" \
		    -k "$TOKEN" cpu)
		d1=$(ticks 14 "${pids[@]}"); k1=$(ticks 16 "$spw")
		n=$(lgstat "$g" total)
		if [ -z "$n" ] || [ "$n" = 0 ] || [ "$k1" = "$k0" ]; then
			row "  $c in flight" failed "" "$g"
			continue
		fi
		dus=$(calc "($d1 - $d0) * 1000000 / $tck / $n" 0)
		kus=$(calc "($k1 - $k0) * 1000000 / $tck / $n" 0)
		row "  $c in flight, $n requests" "$dus us" "$kus us" \
		    "$(calc "$dus / $kus")x"
		metric cpu_${c}_daemon_per_request "$dus" us
		metric cpu_${c}_command_per_request "$kus" us
		metric cpu_${c}_daemon_vs_command "$(calc "$dus / $kus")" x
		for p in "${pids[@]}"; do
			role=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
			    awk '{ print $2 }')
			[ "$p" = "$DPID" ] && role=parent
			d1=$(ticks 14 "$p")
			dus=$(calc "($d1 - ${r0[$p]}) * 1000000 / $tck / $n" 0)
			row "    of which $role" "$dus us" "" ""
		done
	done
}

# In this order: the event stream's baseline is the ui child before
# any page, and the busy load of 4 comes last.
section 1 && bench_latency
section 2 && bench_streaming
section 3 && bench_client
section 6 && bench_patterns
section 5 && bench_sse
section 7 && bench_cpu
section 4 && bench_inflight

stop_daemon
echo
echo "guardiand benchmarks, $(date -u '+%Y-%m-%d'), $(nproc) cores" \
    "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
    "Linux $(uname -r)); load average $LOAD at the start"
for f in "$T"/table.[0-9]*; do
	echo
	cat "$f"
done
echo
printf '%s\n' "${METRICS[@]}"
echo "bench: per-run times (microseconds) in $O/bench/*.txt"
exit 0
