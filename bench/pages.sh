#!/usr/bin/env bash
# bench/pages.sh [BUILD_DIR]: how many distinct pages one system call's round
# trip touches, natively and under capvm (x86_64 and aarch64 guests), for
# bench/programs/write_loop.c (1-byte writes to /dev/null in a loop). On
# this VM every page touched after a host system call is a TLB miss, so this
# count is most of what capvm adds to a call (bench/README.md, "System
# calls: pages, not instructions").
#
# Method: while the loop runs, clear the process's accessed bits
# (/proc/PID/clear_refs), wait, and read each mapping's Referenced: from
# /proc/PID/smaps. The loop touches the same pages on every iteration, so
# that is the per-iteration set. Pages of shared libraries (libc, ld.so,
# the vDSO) are left out of the totals: other processes' use of them marks
# them referenced too.
set -euo pipefail

build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
capvm=$build/capvm
yaml=$top/bench/stdout.yaml
settle=${CAPVM_PAGES_SETTLE:-0.03}   # seconds from start to clearing
window=${CAPVM_PAGES_WINDOW:-0.03}   # seconds the loop runs after clearing

# count LABEL CMD...: starts CMD (stdin: the YAML, stdout: /dev/null), then
# prints its referenced pages per mapping and the total.
count() {
  local label=$1
  shift
  "$@" < "$yaml" > /dev/null 2>&1 &
  local pid=$!
  sleep "$settle"
  if ! echo 1 > "/proc/$pid/clear_refs" 2> /dev/null; then
    echo "$label: the process ended or /proc/$pid/clear_refs is not writable" >&2
    wait "$pid" || true
    return
  fi
  sleep "$window"
  if ! awk -v label="$label" '
      /^[0-9a-f]+-[0-9a-f]+ / {
        name = $6; perm = $2
        if (name == "") name = "[anon]"
        sub(".*/", "", name)
      }
      /^Referenced:/ {
        if ($2 > 0 && name !~ /^(libc|ld-linux|libstdc|libm|libgcc|libZydis)|\[vdso\]|\[vvar\]/) {
          k = name " " perm; pages[k] += $2 / 4; total += $2 / 4
        }
      }
      END {
        printf "%s: %d pages\n", label, total
        for (k in pages) printf "  %4d  %s\n", pages[k], k
      }' "/proc/$pid/smaps" 2> /dev/null; then
    echo "$label: the process ended before it was measured" >&2
  fi
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
}

count "native" "$build/bench/bench_write_loop.native"
for arch in x86_64 aarch64; do
  prog=$build/bench/bench_write_loop.$arch
  if [ -x "$capvm" ] && [ -f "$prog" ]; then
    count "capvm $arch guest" "$capvm" run "$prog"
  else
    echo "capvm $arch guest: n/a ($prog not built)"
  fi
done
