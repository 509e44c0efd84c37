#!/usr/bin/env bash
# bench/syscall.sh [BUILD_DIR] [RUNS]: the cost capvm adds to system calls
# that enter the host kernel, with two loops, each run natively, under capvm
# as the x86_64 guest and as the aarch64 guest, in RUNS interleaved rounds
# (default 7):
#   write_loop  bench/programs/write_loop.c: 300000 one-byte writes to
#               stdout (here /dev/null), the lightest call there is
#   open_loop   bench/programs/open_loop.c: 50000 rounds of what the web
#               server does per request minus the network (file_open
#               beneath a directory, file_stat_fget, fd_read, fd_close) on
#               examples/webserver/www/index.html
# Prints each one's median wall and CPU (user+sys) seconds and capvm's extra
# time against native (median wall difference) per call, and for open_loop
# also per round. Start-up is included (a few ms: under 0.03 us a call).
# Bounded: every run has a 60 s timeout.
set -euo pipefail

build=${1:-build}
runs=${2:-7}
top=$(cd "$(dirname "$0")/.." && pwd)
capvm=$build/capvm
site=$top/examples/webserver/www
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-syscall.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
stdout_yaml=$top/bench/stdout.yaml
root_yaml=$tmp/root.yaml
cat > "$root_yaml" <<YAML
%TAG ! tag:nuxi.nl,2015:cloudabi/
---
stdout: !fd stdout
root: !file {path: $site}
YAML

# one FILE YAML CMD...: appends "wall cpu" of one run (YAML on stdin) to
# FILE, or "n/a n/a"
one() {
  local file=$1 yaml=$2
  shift 2
  local t0 t1 c0 c1
  c0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
  t0=$(date +%s%N)
  if timeout 60 "$@" > /dev/null 2> "$tmp/err" < "$yaml"; then
    t1=$(date +%s%N)
    c1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
    awk -v w=$(( t1 - t0 )) -v c=$(( c1 - c0 )) -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%.4f %.3f\n", w / 1e9, c / hz }' >> "$file"
  else
    echo "n/a n/a" >> "$file"
    echo "$(basename "$file") failed: $(head -c 200 "$tmp/err")" >&2
  fi
}
median() {  # column N of FILE
  awk -v n="$1" '$n ~ /^[0-9.]+$/ { print $n }' "$2" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench NAME YAML CALLS ROUNDS [NATIVE_ARG]: runs bench_NAME RUNS times each
# way, interleaved, and prints the table.
bench() {
  local name=$1 yaml=$2 calls=$3 rounds=$4 arg=${5:-}
  local f
  for f in native x86_64 aarch64; do : > "$tmp/$name.$f"; done
  for _ in $(seq "$runs"); do
    one "$tmp/$name.native" "$yaml" "$build/bench/bench_$name.native" ${arg:+"$arg"}
    [ -f "$build/bench/bench_$name.x86_64" ] && one "$tmp/$name.x86_64" "$yaml" "$capvm" run "$build/bench/bench_$name.x86_64"
    [ -f "$build/bench/bench_$name.aarch64" ] && one "$tmp/$name.aarch64" "$yaml" "$capvm" run "$build/bench/bench_$name.aarch64"
  done
  local nat w c per_call per_round
  nat=$(median 1 "$tmp/$name.native")
  printf '%-14s %10s %10s %16s %16s\n' "$name" "wall s" "cpu s" "extra ns/call" "extra us/round"
  for f in native x86_64 aarch64; do
    w=$(median 1 "$tmp/$name.$f")
    c=$(median 2 "$tmp/$name.$f")
    per_call=$(awk -v w="$w" -v n="$nat" -v k="$calls" 'BEGIN { if (w ~ /^[0-9.]+$/ && n ~ /^[0-9.]+$/) printf "%.0f", (w - n) / k * 1e9; else print "n/a" }')
    per_round=-
    if [ "$rounds" != "$calls" ]; then
      per_round=$(awk -v w="$w" -v n="$nat" -v k="$rounds" 'BEGIN { if (w ~ /^[0-9.]+$/ && n ~ /^[0-9.]+$/) printf "%.2f", (w - n) / k * 1e6; else print "n/a" }')
    fi
    if [ "$f" = native ]; then per_call=-; per_round=-; fi
    printf '%-14s %10s %10s %16s %16s\n' "  $f" "$w" "$c" "$per_call" "$per_round"
  done
}

echo "median of $runs interleaved runs ($(nproc) cpus); extra: capvm's median wall time minus native's"
bench write_loop "$stdout_yaml" 300000 300000
bench open_loop "$root_yaml" 200000 50000 "$site"
