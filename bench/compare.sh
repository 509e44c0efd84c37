#!/usr/bin/env bash
# bench/compare.sh [BUILD_DIR]
#
# Times the compute benchmarks (bench/programs) in one run, each program
# several ways:
#   native     the x86-64 Linux build (bench_NAME.native)
#   capvm-x86  `capvm run` on the x86-64 guest (bench_NAME.x86_64)
#   capvm-a64  `capvm run` on the aarch64 guest (bench_NAME.aarch64)
#   qemu-a64   qemu-aarch64 (qemu-user) on the aarch64 Linux build of the
#              same source (bench_NAME.aarch64-linux, static)
#   qemu-x86   qemu-x86_64 on the native binary (CAPVM_BENCH_QEMU_X86=1)
# checks that every run prints the same output as the native one; prints the
# median of REPS runs (wall and user+sys CPU seconds), the ratios
# capvm-x86/native, capvm-a64/native, qemu-a64/native, qemu-a64/capvm-a64
# (and qemu-x86/native) and their geometric means; then the start-to-exit
# time of hello world the same ways. A mode whose build or tool is missing
# prints "n/a".
#
# Environment:
#   CAPVM_BENCH_REPS=3        runs per program and mode (median reported)
#   CAPVM_BENCH_TIMEOUT=120   seconds before a single run is killed
#   CAPVM_BENCH_AARCH64=0     leave out the capvm aarch64-guest column
#   CAPVM_BENCH_QEMU_X86=1    also run qemu-x86_64 (off by default: ~3 min,
#                             most of it matmul)
#   CAPVM_BENCH_PROGRAMS="intmix sha256 sort matmul strings format"
#
# "geomean" averages each ratio column over the programs that have it; when
# some mode failed for a program, "geo-common" averages every column over
# only the programs that all columns have.
#
# Needs bash, awk, timeout; hyperfine for the hello-world timing (falls back
# to a timed loop). The build directory must have the bench targets built
# (they are part of `all`):
#   ninja -C BUILD_DIR
set -u
export LC_ALL=C

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" 2>/dev/null && pwd) || { echo "compare.sh: no build directory ${1:-$src/build}" >&2; exit 2; }
reps=${CAPVM_BENCH_REPS:-3}
limit=${CAPVM_BENCH_TIMEOUT:-120}
programs=${CAPVM_BENCH_PROGRAMS:-intmix sha256 sort matmul strings format}
capvm=$build/capvm
config=$src/bench/stdout.yaml
a64=${CAPVM_BENCH_AARCH64:-1}
qemu_a64=$(command -v qemu-aarch64 || true)
qemu_x86=""
if [ "${CAPVM_BENCH_QEMU_X86:-0}" = 1 ]; then qemu_x86=$(command -v qemu-x86_64 || true); fi

[ -x "$capvm" ] || { echo "compare.sh: $capvm is not built" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-bench.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# timed OUT CMD...: runs CMD (bounded by $limit seconds) with stdout in OUT;
# prints "WALL CPU" seconds, or "fail STATUS".
timed() {
  local out=$1 t status
  shift
  t=$( { TIMEFORMAT='%R %U %S'; time timeout "$limit" "$@" > "$out" 2> "$out.err" < /dev/null; } 2>&1 )
  status=$?
  # `time` reports the pipeline's status through $? of the group
  if [ "$status" != 0 ]; then echo "fail $status"; return; fi
  echo "$t" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else print v[int((NR + 1) / 2)] }'; }

# run_once NAME MODE R CMD...: run R of MODE; appends its wall and CPU
# seconds to walls_NAME_MODE / cpus_NAME_MODE, sets out_NAME=DIFF when its
# output differs from the native one, and marks the mode failed (no more
# runs) when it fails.
run_once() {
  local name=$1 mode=$2 r=$3 res
  shift 3
  eval "[ \"\${failed_${name}_$mode:-}\" = 1 ]" && return
  res=$(timed "$tmp/$name.$mode.$r.out" "$@")
  case $res in
    fail*)
      echo "  $name/$mode run $r failed (exit ${res#fail }): $(head -c 300 "$tmp/$name.$mode.$r.out.err")" >&2
      eval "failed_${name}_$mode=1"
      status_all=1
      return ;;
  esac
  eval "walls_${name}_$mode=\"\${walls_${name}_$mode:-} ${res% *}\""
  eval "cpus_${name}_$mode=\"\${cpus_${name}_$mode:-} ${res#* }\""
  if ! cmp -s "$tmp/$name.native.1.out" "$tmp/$name.$mode.$r.out"; then
    echo "  $name/$mode run $r: output differs from native:" >&2
    diff "$tmp/$name.native.1.out" "$tmp/$name.$mode.$r.out" | head -n 6 >&2
    eval "out_$name=DIFF"
    status_all=1
  fi
}

# finish NAME MODE: wall_NAME_MODE and cpu_NAME_MODE, the medians of its
# runs (fail when one failed; unset when the mode did not run).
finish() {
  local name=$1 mode=$2 w c f
  eval "f=\${failed_${name}_$mode:-} w=\${walls_${name}_$mode:-} c=\${cpus_${name}_$mode:-}"
  if [ "$f" = 1 ]; then eval "wall_${name}_$mode=fail cpu_${name}_$mode=fail"; return; fi
  [ -n "$w" ] || return
  eval "wall_${name}_$mode=$(printf '%s\n' $w | median)"
  eval "cpu_${name}_$mode=$(printf '%s\n' $c | median)"
}

status_all=0
echo "capvm benchmark comparison: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cpus," \
     "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), median of $reps runs"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "capvm: $capvm; qemu-aarch64: ${qemu_a64:-not installed}; qemu-x86_64: ${qemu_x86:-off (CAPVM_BENCH_QEMU_X86=1)}"
# The modes take turns within each program (round r runs native, capvm,
# capvm-a64, qemu once each): this VM's speed changes from one minute to the
# next, and back-to-back runs of one mode would put each mode in a different
# phase and skew the ratios.
for p in $programs; do
  native=$build/bench/bench_$p.native
  if [ ! -x "$native" ]; then
    echo "compare.sh: bench_$p.native is not built in $build/bench (it is the reference output)" >&2
    exit 2
  fi
  eval "out_$p=ok"
  echo "  running $p ..." >&2
  guest=$build/bench/bench_$p.x86_64
  guest_a64=$build/bench/bench_$p.aarch64
  linux_a64=$build/bench/bench_$p.aarch64-linux
  [ -f "$guest" ] || echo "  $p: $guest not built (n/a)" >&2
  if [ "$a64" = 1 ] && [ ! -f "$guest_a64" ]; then echo "  $p: $guest_a64 not built (n/a)" >&2; fi
  if [ -n "$qemu_a64" ] && [ ! -x "$linux_a64" ]; then
    echo "  $p: $linux_a64 not built (n/a; needs gcc-aarch64-linux-gnu libc6-dev-arm64-cross)" >&2
  fi
  for r in $(seq 1 "$reps"); do
    run_once "$p" native "$r" "$native"
    if [ -f "$guest" ]; then run_once "$p" capvm "$r" "$capvm" run --config "$config" "$guest"; fi
    if [ "$a64" = 1 ] && [ -f "$guest_a64" ]; then
      run_once "$p" a64 "$r" "$capvm" run --config "$config" "$guest_a64"
    fi
    if [ -n "$qemu_a64" ] && [ -x "$linux_a64" ]; then run_once "$p" qa64 "$r" "$qemu_a64" "$linux_a64"; fi
    if [ -n "$qemu_x86" ]; then run_once "$p" qx86 "$r" "$qemu_x86" "$native"; fi
  done
  for mode in native capvm a64 qa64 qx86; do finish "$p" "$mode"; done
done

# table METRIC TITLE: seconds per mode, then ratios and their geometric means
table() {
  local metric=$1 p n c a q x
  echo
  echo "$2"
  {
    for p in $programs; do
      eval "n=\${${metric}_${p}_native:-n/a} c=\${${metric}_${p}_capvm:-n/a} a=\${${metric}_${p}_a64:-n/a}" \
           "q=\${${metric}_${p}_qa64:-n/a} x=\${${metric}_${p}_qx86:-n/a} o=\$out_$p"
      echo "$p $n $c $a $q $x $o"
    done
  } | awk '
    function num(x) { return x ~ /^[0-9.]+$/ && x > 0 }
    function ratio(x, base) { return (num(x) && num(base)) ? sprintf("%.2f", x / base) : "n/a" }
    function add(i, r) { if (r != "n/a") { lg[i] += log(r); ng[i]++ } }
    BEGIN {
      fmt = "%-10s %7s %9s %9s %8s %8s | %7s %7s %8s %8s %8s  %s\n"
      printf fmt, "program", "native", "capvm-x86", "capvm-a64", "qemu-a64", "qemu-x86",
        "x86/nat", "a64/nat", "qa64/nat", "qa64/a64", "qx86/nat", "output"
    }
    {
      r[1] = ratio($3, $2); r[2] = ratio($4, $2); r[3] = ratio($5, $2); r[4] = ratio($5, $4); r[5] = ratio($6, $2)
      for (i = 1; i <= 5; i++) { add(i, r[i]); row[NR, i] = r[i]; if (r[i] != "n/a") used[i] = 1 }
      printf fmt, $1, $2, $3, $4, $5, $6, r[1], r[2], r[3], r[4], r[5], $7
    }
    END {
      for (i = 1; i <= 5; i++) g[i] = ng[i] ? sprintf("%.2f", exp(lg[i] / ng[i])) : "n/a"
      printf fmt, "geomean", "", "", "", "", "", g[1], g[2], g[3], g[4], g[5], ""
      # When a mode failed or is missing for some programs, the geomeans
      # above average different programs; also print them over the programs
      # every column that has any value has a value for.
      common = 0; partial = 0
      for (n = 1; n <= NR; n++) {
        all = 1
        for (i = 1; i <= 5; i++) if (used[i] && row[n, i] == "n/a") all = 0
        if (!all) { partial = 1; continue }
        common++
        for (i = 1; i <= 5; i++) if (used[i]) { lc[i] += log(row[n, i]) }
      }
      if (partial && common) {
        for (i = 1; i <= 5; i++) g[i] = used[i] ? sprintf("%.2f", exp(lc[i] / common)) : "n/a"
        printf fmt, "geo-common", "", "", "", "", "", g[1], g[2], g[3], g[4], g[5], sprintf("(%d programs)", common)
      }
    }'
}
table wall "Wall-clock seconds (median of $reps) and ratios:"
table cpu "CPU seconds, user+sys (median of $reps) and ratios:"

# Hello world, start to exit.
echo
echo "Hello world, start to exit (milliseconds, median of 30):"
hello_yaml=$src/examples/hello/hello.yaml
hello_native=$build/bench/bench_hello.native
hello_linux_a64=$build/bench/bench_hello.aarch64-linux
hello_ms() {  # CMD...: prints the median wall time in ms, or n/a
  if timeout 10 "$@" > "$tmp/hello.out" 2>&1 < /dev/null && grep -q 'Hello, world!' "$tmp/hello.out"; then :; else
    echo "n/a (fails: $(head -c 200 "$tmp/hello.out"))"; return
  fi
  if command -v hyperfine > /dev/null; then
    timeout 120 hyperfine -N --warmup 3 --runs 30 --export-json "$tmp/hello.json" "$(printf '%q ' "$@")" > /dev/null 2>&1 &&
      awk -F'[:,]' '/"median"/ { printf "%.2f\n", $2 * 1000; exit }' "$tmp/hello.json" && return
  fi
  local i t0 t1 ts=""
  for i in $(seq 1 30); do
    t0=$(date +%s%N); timeout 10 "$@" > /dev/null 2>&1 < /dev/null; t1=$(date +%s%N)
    ts="$ts $(( (t1 - t0) / 1000 ))"
  done
  printf '%s\n' $ts | median | awk '{ printf "%.2f\n", $1 / 1000 }'
}
# hello_row LABEL FILE CMD...: times CMD when FILE exists, else n/a
hello_row() {
  local label=$1 file=$2
  shift 2
  if [ -f "$file" ]; then printf '  %-10s %s\n' "$label" "$(hello_ms "$@")"
  else printf '  %-10s %s\n' "$label" "n/a ($file not built)"; fi
}
hello_row capvm-x86 "$build/examples/hello.x86_64" "$capvm" run --config "$hello_yaml" "$build/examples/hello.x86_64"
if [ "$a64" = 1 ]; then
  # Warm: the decode memo (--decode-cache) filled by the first run; cold:
  # without one, LLVM's decoder is loaded at every start.
  hello_row capvm-a64 "$build/examples/hello.aarch64" "$capvm" run --decode-cache="$tmp/memo" \
    --config "$hello_yaml" "$build/examples/hello.aarch64"
  hello_row a64-cold "$build/examples/hello.aarch64" "$capvm" run --decode-cache=off \
    --config "$hello_yaml" "$build/examples/hello.aarch64"
else
  printf '  %-10s %s\n' capvm-a64 "n/a (CAPVM_BENCH_AARCH64=0)"
fi
hello_row native "$hello_native" "$hello_native"
if [ -n "$qemu_a64" ]; then hello_row qemu-a64 "$hello_linux_a64" "$qemu_a64" "$hello_linux_a64"
else printf '  %-10s %s\n' qemu-a64 "n/a (qemu-aarch64 not installed)"; fi
if [ -n "$qemu_x86" ]; then hello_row qemu-x86 "$hello_native" "$qemu_x86" "$hello_native"
else printf '  %-10s %s\n' qemu-x86 "n/a (CAPVM_BENCH_QEMU_X86=1 to run)"; fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status_all"
