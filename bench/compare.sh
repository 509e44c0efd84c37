#!/usr/bin/env bash
# bench/compare.sh [BUILD_DIR]
#
# Times the compute benchmarks (bench/programs) natively, under `capvm run`
# (x86_64 guest) and, when qemu-x86_64 is installed, under qemu-user on the
# native binary; checks that every run prints the same output as the native
# one; prints the median of REPS runs (wall and user+sys CPU seconds), the
# ratios to native and their geometric means; then the start-to-exit time of
# hello world under capvm (examples/hello) and qemu (the same source built
# natively).
#
# Environment:
#   CAPVM_BENCH_REPS=3        runs per program and mode (median reported)
#   CAPVM_BENCH_TIMEOUT=120   seconds before a single run is killed
#   CAPVM_BENCH_AARCH64=1     also run NAME.aarch64 under capvm (the column
#                             stays "n/a" until capvm runs aarch64 guests)
#   CAPVM_BENCH_PROGRAMS="intmix sha256 sort matmul strings"
#
# Needs bash, awk, timeout; hyperfine for the hello-world timing (falls back
# to a timed loop). The build directory must have the bench targets built:
#   ninja -C BUILD_DIR capvm hello.guest bench_hello.native \
#     $(for p in intmix sha256 sort matmul strings; do echo bench_$p.guest bench_$p_native; done)
set -u
export LC_ALL=C

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" 2>/dev/null && pwd) || { echo "compare.sh: no build directory ${1:-$src/build}" >&2; exit 2; }
reps=${CAPVM_BENCH_REPS:-3}
limit=${CAPVM_BENCH_TIMEOUT:-120}
programs=${CAPVM_BENCH_PROGRAMS:-intmix sha256 sort matmul strings}
capvm=$build/capvm
config=$src/bench/stdout.yaml
qemu=$(command -v qemu-x86_64 || true)
a64=${CAPVM_BENCH_AARCH64:-0}

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

# measure NAME MODE CMD...: REPS runs; sets wall_NAME_MODE, cpu_NAME_MODE, ok
measure() {
  local name=$1 mode=$2 r res walls="" cpus=""
  shift 2
  for r in $(seq 1 "$reps"); do
    res=$(timed "$tmp/$name.$mode.$r.out" "$@")
    case $res in
      fail*)
        echo "  $name/$mode run $r failed (exit ${res#fail }): $(head -c 300 "$tmp/$name.$mode.$r.out.err")" >&2
        eval "wall_${name}_$mode=fail cpu_${name}_$mode=fail"
        status_all=1
        return ;;
    esac
    walls="$walls ${res% *}"
    cpus="$cpus ${res#* }"
    if ! cmp -s "$tmp/$name.native.1.out" "$tmp/$name.$mode.$r.out"; then
      echo "  $name/$mode run $r: output differs from native:" >&2
      diff "$tmp/$name.native.1.out" "$tmp/$name.$mode.$r.out" | head -n 6 >&2
      eval "out_$name=DIFF"
      status_all=1
    fi
  done
  eval "wall_${name}_$mode=$(printf '%s\n' $walls | median)"
  eval "cpu_${name}_$mode=$(printf '%s\n' $cpus | median)"
}

status_all=0
echo "capvm benchmark comparison: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cpus," \
     "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), median of $reps runs"
echo "capvm: $capvm; qemu-x86_64: ${qemu:-not installed}"
for p in $programs; do
  native=$build/bench/bench_$p.native guest=$build/bench/bench_$p.x86_64
  if [ ! -x "$native" ] || [ ! -f "$guest" ]; then
    echo "compare.sh: bench_$p is not built in $build/bench" >&2
    exit 2
  fi
  eval "out_$p=ok"
  echo "  running $p ..." >&2
  measure "$p" native "$native"
  measure "$p" capvm "$capvm" run --config "$config" "$guest"
  if [ -n "$qemu" ]; then measure "$p" qemu "$qemu" "$native"; fi
  if [ "$a64" = 1 ]; then measure "$p" a64 "$capvm" run --config "$config" "$build/bench/bench_$p.aarch64"; fi
done

# table METRIC TITLE
table() {
  local metric=$1 p n c q a
  echo
  echo "$2"
  {
    echo "program native_s capvm_s capvm/native qemu_s qemu/native capvm-aarch64_s aarch64/native output"
    for p in $programs; do
      eval "n=\${${metric}_${p}_native:-n/a} c=\${${metric}_${p}_capvm:-n/a} q=\${${metric}_${p}_qemu:-n/a} a=\${${metric}_${p}_a64:-n/a} o=\$out_$p"
      echo "$p $n $c $q $a $o"
    done
  } | awk '
    function ratio(x, base) { return (x ~ /^[0-9.]+$/ && base ~ /^[0-9.]+$/ && base > 0) ? sprintf("%.2f", x / base) : "n/a" }
    NR == 1 { printf "%-9s %9s %9s %13s %9s %12s %16s %15s %7s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9; next }
    {
      rc = ratio($3, $2); rq = ratio($4, $2); ra = ratio($5, $2)
      printf "%-9s %9s %9s %13s %9s %12s %16s %15s %7s\n", $1, $2, $3, rc, $4, rq, $5, ra, $6
      if (rc != "n/a") { lc += log(rc); nc++ }
      if (rq != "n/a") { lq += log(rq); nq++ }
      if (ra != "n/a") { la += log(ra); na++ }
    }
    END {
      printf "%-9s %9s %9s %13s %9s %12s %16s %15s\n", "geomean", "", "",
        nc ? sprintf("%.2f", exp(lc / nc)) : "n/a", "", nq ? sprintf("%.2f", exp(lq / nq)) : "n/a",
        "", na ? sprintf("%.2f", exp(la / na)) : "n/a"
    }'
}
table wall "Wall-clock seconds (median of $reps):"
table cpu "CPU seconds, user+sys (median of $reps):"

# Hello world, start to exit.
echo
echo "Hello world, start to exit (milliseconds, median):"
hello_guest=$build/examples/hello.x86_64 hello_yaml=$src/examples/hello/hello.yaml
hello_native=$build/bench/bench_hello.native
hello_ms() {  # CMD...: prints the median wall time in ms, or n/a
  if "$@" > "$tmp/hello.out" 2>&1 < /dev/null && grep -q 'Hello, world!' "$tmp/hello.out"; then :; else
    echo "n/a (fails: $(head -c 200 "$tmp/hello.out"))"; return
  fi
  if command -v hyperfine > /dev/null; then
    hyperfine -N --warmup 3 --runs 30 --export-json "$tmp/hello.json" "$(printf '%q ' "$@")" > /dev/null 2>&1 &&
      awk -F'[:,]' '/"median"/ { printf "%.2f\n", $2 * 1000; exit }' "$tmp/hello.json" && return
  fi
  local i t0 t1 ts=""
  for i in $(seq 1 30); do
    t0=$(date +%s%N); "$@" > /dev/null 2>&1 < /dev/null; t1=$(date +%s%N)
    ts="$ts $(( (t1 - t0) / 1000 ))"
  done
  printf '%s\n' $ts | median | awk '{ printf "%.2f\n", $1 / 1000 }'
}
if [ -f "$hello_guest" ]; then
  printf '  %-8s %s\n' capvm "$(hello_ms "$capvm" run --config "$hello_yaml" "$hello_guest")"
else
  printf '  %-8s %s\n' capvm "n/a ($hello_guest not built)"
fi
if [ -x "$hello_native" ]; then
  printf '  %-8s %s\n' native "$(hello_ms "$hello_native")"
  if [ -n "$qemu" ]; then printf '  %-8s %s\n' qemu "$(hello_ms "$qemu" "$hello_native")"
  else printf '  %-8s %s\n' qemu "n/a (qemu-x86_64 not installed)"; fi
else
  printf '  %-8s %s\n' native "n/a ($hello_native not built)"
fi
if [ "$a64" = 1 ] && [ -f "$build/examples/hello.aarch64" ]; then
  printf '  %-8s %s\n' aarch64 "$(hello_ms "$capvm" run --config "$hello_yaml" "$build/examples/hello.aarch64")"
else
  printf '  %-8s %s\n' aarch64 "n/a"
fi
exit "$status_all"
