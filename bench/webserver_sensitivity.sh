#!/usr/bin/env bash
# bench/webserver_sensitivity.sh [BUILD_DIR] [SECONDS] [ROUNDS]: how much
# throughput the native examples/webserver loses per microsecond of extra
# work per response, on this machine, under the same load as
# bench/webserver.sh (wrk -t2 -c32 on loopback, sharing the CPUs with the
# server). An LD_PRELOAD shim (compiled here with cc) busy-waits N ns before
# every send(2) of the native server, for N = 0, 1000, 2000, 4000, 8000; each
# setting runs SECONDS (default 3) in ROUNDS interleaved rounds (default 3),
# medians reported with their ratio to N = 0.
#
# Why: capvm mediates every system call, so its server does a few
# microseconds more work per request than the native one. On a 2-CPU VM the
# ratio webserver.sh reports does not scale with that work: once the server
# cannot keep wrk busy, wrk's threads sleep between responses and every
# response pays for waking a sleeping CPU (bench/README.md, "Web server:
# sensitivity"). This script measures that curve for the native server
# itself, so capvm's ratio can be read against it.
set -euo pipefail

build=${1:-build}
secs=${2:-3}
rounds=${3:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/web_common.sh"
site=$top/examples/webserver/www
server=$build/examples/webserver.native
command -v wrk > /dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
command -v cc > /dev/null || { echo "no C compiler (cc) for the shim"; exit 1; }
[ -x "$server" ] || { echo "$server is not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-websens.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/spin_send.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
/* send(2) after busy-waiting SPIN_NS nanoseconds (CLOCK_MONOTONIC). */
static ssize_t (*real_send)(int, const void *, size_t, int);
static long spin_ns = -1;
static long elapsed(const struct timespec *a, const struct timespec *b) {
  return (b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec);
}
ssize_t send(int fd, const void *buf, size_t len, int flags) {
  if (real_send == NULL) real_send = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
  if (spin_ns < 0) {
    const char *e = getenv("SPIN_NS");
    spin_ns = e != NULL ? atol(e) : 0;
  }
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do clock_gettime(CLOCK_MONOTONIC, &t); while (elapsed(&t0, &t) < spin_ns);
  return real_send(fd, buf, len, flags);
}
C
cc -O2 -shared -fPIC "$tmp/spin_send.c" -o "$tmp/spin_send.so" -ldl

# rps SPIN_NS: requests/s of the native server with that much extra per send
rps() {
  local port pid r
  port=$(free_port)
  SPIN_NS=$1 LD_PRELOAD="$tmp/spin_send.so" "$server" "127.0.0.1:$port" "$site" > /dev/null 2>&1 &
  pid=$!
  if wait_up "$port"; then
    r=$(wrk_measure "$port" "$pid" | cut -d' ' -f1)
  fi
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  echo "${r:-n/a}"
}
spins=(0 1000 2000 4000 8000)
declare -A runs
for _ in $(seq "$rounds"); do
  for s in "${spins[@]}"; do runs[$s]="${runs[$s]:-} $(rps "$s")"; done
done
echo "native webserver, extra busy-wait before each send; wrk -t2 -c32 -d${secs}s, median of $rounds interleaved rounds ($(nproc) cpus)"
printf '%-16s %12s %8s   %s\n' "extra per send" "requests/s" "ratio" "rounds"
base=$(median ${runs[0]})
for s in "${spins[@]}"; do
  m=$(median ${runs[$s]})
  ratio=$(awk -v a="$m" -v b="$base" 'BEGIN { if (a ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }')
  printf '%-16s %12s %8s  %s\n' "$((s / 1000)) us" "$m" "$ratio" "${runs[$s]}"
done
