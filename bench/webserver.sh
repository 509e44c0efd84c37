#!/usr/bin/env bash
# bench/webserver.sh [BUILD_DIR] [SECONDS] [ROUNDS]: requests per second of
# examples/webserver on loopback, natively and under capvm with the x86_64
# and the aarch64 guest (same YAML: a listening socket and the read-only
# www directory), measured with wrk (keep-alive, 2 threads, 32 connections)
# for SECONDS each (default 5), in ROUNDS interleaved rounds (default 3:
# native, x86_64, aarch64, native, ...), reporting each server's median,
# the ratios of the medians, the median of each round's own ratio and
# the spread of those (lowest, quartiles, highest). The
# measured VM's speed swings from one minute to the next (bench/README.md),
# so one run each can put native and capvm in different phases; a round's
# runs are seconds apart. Bounded in time: every server is stopped when its
# run ends; a guest that is not built or does not start prints n/a.
set -euo pipefail
build=${1:-build}
secs=${2:-5}
rounds=${3:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/web_common.sh"
site=$top/examples/webserver/www
command -v wrk > /dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-webbench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT


# native: the Linux build's requests/s (it must start: it is the reference).
native() {
  local port pid r
  port=$(free_port)
  "$build/examples/webserver.native" "127.0.0.1:$port" "$site" > /dev/null 2>&1 &
  pid=$!
  trap "kill $pid 2> /dev/null || true" EXIT
  wait_up "$port" || { echo "native server did not start" >&2; kill "$pid"; exit 1; }
  r=$(wrk_measure "$port" "$pid")
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  echo "${r:-n/a n/a n/a}"
}

# guest BINARY: one run of BINARY under this build's capvm (web_common.sh).
guest() { capvm_web "$build/capvm" "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# Each run prints "RPS USER SYS"; the columns are kept apart.
declare -A col
for _ in $(seq "$rounds"); do
  for mode in native x86 a64; do
    case $mode in
      native) line=$(native) ;;
      x86) line=$(guest "$build/examples/webserver.x86_64") ;;
      a64) line=$(guest "$build/examples/webserver.aarch64") ;;
    esac
    read -r rps usr sys <<< "$line"
    col[$mode.rps]+="${rps:-n/a} " col[$mode.usr]+="${usr:-n/a} " col[$mode.sys]+="${sys:-n/a} "
  done
done
med() { median ${col[$1]}; }
# paired MODE: the median over the rounds of MODE's requests/s over native's
# in the same round (the two ran seconds apart, so mostly in one phase of
# the VM's speed), n/a when a round has no figure.
# round_ratios MODE: each round's requests/s of MODE over native's, a line each.
round_ratios() {
  paste -d' ' <(tr ' ' '\n' <<< "${col[$1.rps]}") <(tr ' ' '\n' <<< "${col[native.rps]}") |
    awk '$1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9.]+$/ && $2 > 0 { printf "%.3f\n", $1 / $2 }'
}
paired() { median $(round_ratios "$1"); }
# spread MODE: the lowest, the quartiles and the highest of the rounds' own
# ratios (how far the VM's phases moved single rounds).
spread() {
  round_ratios "$1" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    printf "%s  %s  %s  %s\n", v[1], v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)], v[NR] }'
}

echo "wrk -t2 -c32 -d${secs}s, keep-alive, GET /, median of $rounds interleaved rounds ($(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "rounds (requests/s): native ${col[native.rps]}; x86_64 ${col[x86.rps]}; aarch64 ${col[a64.rps]}"
echo "ratio: of the medians; paired: the median of the rounds' own ratios"
printf '%-22s %12s %8s %8s %14s %14s\n' "server" "requests/s" "ratio" "paired" "user us/req" "sys us/req"
printf '%-22s %12s %8s %8s %14s %14s\n' "native x86_64" "$(med native.rps)" "1.00" "1.00" "$(med native.usr)" "$(med native.sys)"
printf '%-22s %12s %8s %8s %14s %14s\n' "capvm x86_64 guest" "$(med x86.rps)" "$(ratio "$(med x86.rps)" "$(med native.rps)")" "$(paired x86)" "$(med x86.usr)" "$(med x86.sys)"
printf '%-22s %12s %8s %8s %14s %14s\n' "capvm aarch64 guest" "$(med a64.rps)" "$(ratio "$(med a64.rps)" "$(med native.rps)")" "$(paired a64)" "$(med a64.usr)" "$(med a64.sys)"
echo "rounds' own ratios, lowest  lower quartile  upper quartile  highest: x86_64 $(spread x86); aarch64 $(spread a64)"
