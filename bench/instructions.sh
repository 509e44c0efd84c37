#!/usr/bin/env bash
# bench/instructions.sh [BUILD_DIR] [SECONDS]: host instructions per request
# of examples/webserver, counted by valgrind's callgrind, natively and under
# capvm with the x86_64 guest (wrk -t2 -c32, keep-alive, GET /, SECONDS
# each, default 5). Prints, per
# request: every instruction the server process ran in user space, and for
# capvm the translated guest code (with capvm's stubs), the system-call
# path (serve_syscall_in_place and all it calls) and the functions that cost
# most. Instruction counts do not depend on the machine's speed from one
# minute to the next, which wall-clock ratios here do (bench/README.md),
# so this tells whether a change to the system-call path or the translator
# removed work, to a fraction of a percent.
#
# Under valgrind the throughput is ~1/10 of a normal run, so more requests
# wait per poll and the mix differs a little from a real run; and valgrind
# (3.19) does not know openat2, so capvm's file_open falls back to its
# portable resolver (hostio/resolve.cpp): its cost is shown and left out of
# the system-call path. Valgrind runs a `bt` with a register operand through
# memory below the stack pointer, which in translated x86-64 guest code holds
# a guest address: a guest whose request path has one is killed by SIGSEGV
# here (only here); the SDK's printf avoids it (guest/libc/stdio/format.c,
# format_int). Needs valgrind and wrk (apt-get install valgrind wrk).
# CAPVM_KEEP_TMP=1 keeps the callgrind files (the directory is printed).
set -euo pipefail
build=${1:-build}
secs=${2:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/web_common.sh"
site=$top/examples/webserver/www
for tool in valgrind callgrind_annotate wrk; do
  command -v "$tool" > /dev/null || { echo "$tool is not installed (apt-get install valgrind wrk)"; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-instr.XXXXXX")
cleanup() { [ -n "${CAPVM_KEEP_TMP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT

# measure NAME CMD...: runs CMD (@PORT@ replaced by a free port, which
# $tmp/web.port.yaml also binds) under callgrind, loads it for $secs
# seconds, stops it; leaves $tmp/NAME.out and prints the number of
# requests. Start-up is counted too (for capvm ~1% at 5 s; translation is
# shown on its own line). Zeroing the counts after a warm-up
# (callgrind_control) would be cleaner, but leaves the frames active at that
# moment with the whole run as their own cost.
measure() {
  local name=$1 port pid
  shift
  port=$(free_port)
  sed "s/@PORT@/$port/" "$tmp/web.yaml" > "$tmp/web.port.yaml"
  local cmd=("${@//@PORT@/$port}")
  # %p: capvm forks a helper (the socket acceptor), whose counts must not
  # overwrite the server's (valgrind runs the server as $pid itself).
  # --smc-check=all: translated code is written through another view of
  # the pages it runs from, and linking patches it in place.
  valgrind -q --tool=callgrind --smc-check=all --callgrind-out-file="$tmp/$name.%p.out" "${cmd[@]}" \
    > /dev/null 2> "$tmp/$name.err" &
  pid=$!
  # Runs in a command substitution: it stops its own server, also on exit.
  trap "kill $pid 2> /dev/null || true" EXIT
  wait_up "$port" 30 || true  # wrk then counts no requests
  local n
  n=$(timeout $((secs + 30)) wrk -t2 -c32 -d"${secs}s" "http://127.0.0.1:$port/" | awk '/requests in/ { print $1 }')
  pkill -P "$pid" 2> /dev/null || true  # the helper, if any
  kill "$pid"
  wait "$pid" 2> /dev/null || true
  mv "$tmp/$name.$pid.out" "$tmp/$name.out"
  echo "${n:-0}"
}

# Callgrind's totals: self cost of every function, and inclusive costs.
self() { callgrind_annotate --auto=no --inclusive=no --threshold=100 "$tmp/$1.out" 2> /dev/null; }
incl() { callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$tmp/$1.out" 2> /dev/null; }
# count FILE PATTERN: the first line's count matching PATTERN (0 if none).
count() { grep -m1 -F -- "$2" "$1" | awk '{ gsub(",", "", $1); print $1 + 0 }' || true; }

web_yaml @PORT@ "$site" > "$tmp/web.yaml"
n_nat=$(measure native "$build/examples/webserver.native" "127.0.0.1:@PORT@" "$site")
n_cap=$(measure capvm "$build/capvm" run --config "$tmp/web.port.yaml" "$build/examples/webserver.x86_64")
[ "$n_nat" -gt 0 ] && [ "$n_cap" -gt 0 ] || { echo "a server did not answer (see $tmp)"; exit 1; }

self native > "$tmp/native.self"
self capvm > "$tmp/capvm.self"
incl capvm > "$tmp/capvm.incl"
total_nat=$(count "$tmp/native.self" "PROGRAM TOTALS")
total_cap=$(count "$tmp/capvm.self" "PROGRAM TOTALS")
# Translated code has neither symbols nor an object: ???:0xADDRESS [???].
jit=$(grep -F '[???]' "$tmp/capvm.self" | awk '{ gsub(",", "", $1); s += $1 } END { print s + 0 }')
path=$(count "$tmp/capvm.incl" "capvm::vm::serve_syscall_in_place()")
portable=$(count "$tmp/capvm.incl" "capvm::hostio::resolve::portable_open(")
translate=$(count "$tmp/capvm.incl" "::translate_locked(")

[ -z "${CAPVM_KEEP_TMP:-}" ] || echo "callgrind files: $tmp"
per() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%8.0f", a / n }'; }
echo "wrk -t2 -c32 -d${secs}s under callgrind: native $n_nat requests, capvm (x86_64 guest) $n_cap"
echo "instructions per request (user space):"
echo "  native server, all           $(per "$total_nat" "$n_nat")"
echo "  capvm, all                   $(per "$total_cap" "$n_cap")"
echo "    translated guest code      $(per "$jit" "$n_cap")"
echo "    system-call path           $(per $((path - portable)) "$n_cap")   (serve_syscall_in_place, inclusive, without the portable resolver)"
echo "    portable resolver          $(per "$portable" "$n_cap")   (valgrind lacks openat2; a normal run does not use it)"
echo "    translation                $(per "$translate" "$n_cap")"
echo "top functions of capvm by own instructions per request:"
grep -v -F '[???]' "$tmp/capvm.self" | grep -E '^ *[0-9,]+ ' | grep -v "PROGRAM TOTALS" | head -12 |
  sed 's/([^)]*%)//; s/(anonymous namespace)/anon/g' |
  awk -v n="$n_cap" '{ c = $1; gsub(",", "", c); $1 = ""; printf "  %8.0f %s\n", c / n, substr($0, 2, 110) }'
