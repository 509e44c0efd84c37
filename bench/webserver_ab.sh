#!/usr/bin/env bash
# bench/webserver_ab.sh OLD_BUILD NEW_BUILD [SECONDS] [ROUNDS]: paired A/B of
# two capvm builds on examples/webserver with the x86_64 guest (each build
# with its own guest, so SDK changes count too): in each round both run
# SECONDS (default 5) under wrk -t2 -c32 (keep-alive, GET /), in
# alternating order, ROUNDS times (default 8). Prints each round and the
# medians of the per-round ratios new/old (requests/s and CPU a request)
# with each build's median user and system µs a request. The VM's speed
# swings by 10-20% from one minute to the next (bench/README.md): the two
# runs of a round are seconds apart, so a round's ratio mostly compares
# like with like, which the ratio of two separate runs does not.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OLD_BUILD NEW_BUILD [SECONDS] [ROUNDS]" >&2; exit 2; }
old=$1 new=$2
secs=${3:-5}
rounds=${4:-8}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/web_common.sh"
site=$top/examples/webserver/www
for b in "$old" "$new"; do
  for f in capvm examples/webserver.x86_64; do
    [ -f "$b/$f" ] || { echo "$b/$f is not built" >&2; exit 1; }
  done
done
command -v wrk > /dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-ab.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# run BUILD: "RPS USER SYS" of one run of BUILD's capvm and guest.
run() { capvm_web "$1/capvm" "$1/examples/webserver.x86_64"; }

echo "wrk -t2 -c32 -d${secs}s, $rounds rounds, old $old, new $new (load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "round: old rps user sys | new rps user sys"
for i in $(seq "$rounds"); do
  if [ $((i % 2)) = 1 ]; then a=$(run "$old"); b=$(run "$new"); else b=$(run "$new"); a=$(run "$old"); fi
  echo "$i: $a | $b"
done | tee "$tmp/rounds"
awk -F'[:|]' '
  function med(v, n,   i, j, t, w) {
    for (i = 1; i <= n; i++) w[i] = v[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (w[j] < w[i]) { t = w[i]; w[i] = w[j]; w[j] = t }
    return n % 2 ? w[(n + 1) / 2] : (w[n / 2] + w[n / 2 + 1]) / 2
  }
  {
    split($2, a, " "); split($3, b, " ")
    if (a[1] !~ /^[0-9.]+$/ || b[1] !~ /^[0-9.]+$/ || a[2] !~ /^[0-9.]+$/ || b[2] !~ /^[0-9.]+$/) next
    n++; rps[n] = b[1] / a[1]; cpu[n] = (b[2] + b[3]) / (a[2] + a[3])
    ua[n] = a[2]; ub[n] = b[2]; sa[n] = a[3]; sb[n] = b[3]
  }
  END {
    if (n == 0) { print "no complete round"; exit 1 }
    printf "new/old over %d rounds (medians): requests/s %.3f, CPU a request %.3f\n", n, med(rps, n), med(cpu, n)
    printf "user us/req old %.2f new %.2f; sys us/req old %.2f new %.2f\n", med(ua, n), med(ub, n), med(sa, n), med(sb, n)
  }' "$tmp/rounds"
