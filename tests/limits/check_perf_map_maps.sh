#!/bin/sh
# check_perf_map_maps.sh CAPVM CONFIG GUEST: while GUEST runs under
# --perf-map (GUEST prints a line, then blocks), every block start in
# /tmp/perf-<pid>.map lies in an executable, non-writable mapping that
# /proc/<pid>/maps shows as anonymous memory ("/dev/zero (deleted)": shared
# anonymous pages, which perf looks up in the map; a memfd it would not),
# and no mapping of the process is writable and executable at once.
set -u
capvm=$1 config=$2 guest=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/capvm-perfmaps.XXXXXX")
mkfifo "$dir/out"
"$capvm" run --perf-map --timeout=20s --config "$config" "$guest" > "$dir/out" 2> /dev/null < /dev/null &
pid=$!
trap 'kill "$pid" 2> /dev/null; rm -rf "$dir" "/tmp/perf-$pid.map"' EXIT
read -r line < "$dir/out" || { echo "FAIL: the guest printed nothing"; exit 1; }
map=/tmp/perf-$pid.map
[ -s "$map" ] || { echo "FAIL: $map missing or empty"; exit 1; }
cp "/proc/$pid/maps" "$dir/maps" || { echo "FAIL: cannot read /proc/$pid/maps"; exit 1; }
status=0
# No mapping writable and executable at once.
if awk '$2 ~ /w/ && $2 ~ /x/' "$dir/maps" | grep -q .; then
  echo "FAIL: writable and executable mappings:"; awk '$2 ~ /w/ && $2 ~ /x/' "$dir/maps"; status=1
fi
# The executable views of the code cache: anonymous to perf, never writable.
awk '$6 == "/dev/zero" && $2 == "r-xs" {split($1, r, "-"); print r[1], r[2]}' "$dir/maps" > "$dir/code"
[ -s "$dir/code" ] || { echo "FAIL: no r-xs /dev/zero mapping (the code cache)"; status=1; }
blocks=0 outside=0
while read -r start size name rest; do
  a=$((0x$start)); blocks=$((blocks + 1)); inside=0
  while read -r lo hi; do
    if [ "$a" -ge $((0x$lo)) ] && [ $((a + 0x$size)) -le $((0x$hi)) ]; then inside=1; break; fi
  done < "$dir/code"
  if [ "$inside" -eq 0 ]; then
    outside=$((outside + 1))
    [ "$outside" -le 3 ] && echo "FAIL: block $start ($name) outside the executable code-cache view"
  fi
done < "$map"
[ "$outside" -eq 0 ] || status=1
[ "$status" -eq 0 ] && echo "perf map: $blocks blocks, all inside r-xs /dev/zero (deleted) views; no W+X mapping"
exit "$status"
