#!/usr/bin/env bash
# bench/syscall.sh [BUILD_DIR] [RUNS]: the cost capvm adds to a system call
# that enters the host kernel. bench_write_loop (bench/programs/write_loop.c:
# 300000 one-byte writes to stdout, here /dev/null) runs natively, under
# capvm as the x86_64 guest and as the aarch64 guest, in RUNS interleaved
# rounds (default 7); prints each one's median wall and CPU (user+sys)
# seconds and capvm's extra nanoseconds per call against native (median
# wall difference / 300000), start-up included (a few ms: under 0.03 us a
# call). Bounded: every run has a 60 s timeout.
set -euo pipefail

build=${1:-build}
runs=${2:-7}
top=$(cd "$(dirname "$0")/.." && pwd)
calls=300000
capvm=$build/capvm
yaml=$top/bench/stdout.yaml
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-syscall.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# one MODE CMD...: appends "wall cpu" of one run to $tmp/MODE, or n/a
one() {
  local mode=$1
  shift
  local t0 t1 c0 c1
  c0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
  t0=$(date +%s%N)
  if timeout 60 "$@" > /dev/null 2> "$tmp/err" < "$yaml"; then
    t1=$(date +%s%N)
    c1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
    awk -v w=$(( t1 - t0 )) -v c=$(( c1 - c0 )) -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%.4f %.3f\n", w / 1e9, c / hz }' >> "$tmp/$mode"
  else
    echo "n/a n/a" >> "$tmp/$mode"
    echo "$mode failed: $(head -c 200 "$tmp/err")" >&2
  fi
}
median() {  # column N of FILE
  awk -v n="$1" '$n ~ /^[0-9.]+$/ { print $n }' "$2" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for f in native x86_64 aarch64; do : > "$tmp/$f"; done
for _ in $(seq "$runs"); do
  one native "$build/bench/bench_write_loop.native"
  [ -f "$build/bench/bench_write_loop.x86_64" ] && one x86_64 "$capvm" run "$build/bench/bench_write_loop.x86_64"
  [ -f "$build/bench/bench_write_loop.aarch64" ] && one aarch64 "$capvm" run "$build/bench/bench_write_loop.aarch64"
done

nat=$(median 1 "$tmp/native")
echo "bench_write_loop: $calls one-byte writes to /dev/null, median of $runs interleaved runs ($(nproc) cpus)"
printf '%-14s %10s %10s %18s\n' "run" "wall s" "cpu s" "extra ns/call"
for f in native x86_64 aarch64; do
  w=$(median 1 "$tmp/$f")
  c=$(median 2 "$tmp/$f")
  extra=$(awk -v w="$w" -v n="$nat" -v k=$calls 'BEGIN { if (w ~ /^[0-9.]+$/ && n ~ /^[0-9.]+$/) printf "%.0f", (w - n) / k * 1e9; else print "n/a" }')
  [ "$f" = native ] && extra=-
  printf '%-14s %10s %10s %18s\n' "$f" "$w" "$c" "$extra"
done
