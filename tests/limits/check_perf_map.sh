#!/bin/sh
# check_perf_map.sh CAPVM CONFIG GUEST: --perf-map writes /tmp/perf-<pid>.map
# naming translated blocks by guest symbol (main must appear), one
# "<host start> <size> <name> [<guest address>]" line per block.
set -u
capvm=$1 config=$2 guest=$3
"$capvm" run --perf-map --config "$config" "$guest" > /dev/null 2>&1 < /dev/null &
pid=$!
wait "$pid" || { echo "FAIL: guest run failed"; exit 1; }
map=/tmp/perf-$pid.map
trap 'rm -f "$map"' EXIT
[ -s "$map" ] || { echo "FAIL: $map missing or empty"; exit 1; }
grep -Eq '^[0-9a-f]+ [0-9a-f]+ main\+0x[0-9a-f]+ \[0x[0-9a-f]+\]$' "$map" || {
  echo "FAIL: no block named after main in $map"; head -5 "$map"; exit 1; }
if grep -Evq '^[0-9a-f]+ [0-9a-f]+ [^ ]+ \[0x[0-9a-f]+\]$' "$map"; then
  echo "FAIL: malformed lines"; grep -Ev '^[0-9a-f]+ [0-9a-f]+ [^ ]+ \[0x[0-9a-f]+\]$' "$map" | head -3; exit 1
fi
echo "perf map: $(wc -l < "$map") blocks named"
