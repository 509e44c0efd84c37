#!/bin/sh
# check_log_file.sh CAPVM CONFIG GUEST: --log-file takes every diagnostic,
# the --strace lines and the --dump=blocks listing (guest and host
# disassembly), for either guest architecture; stderr stays empty and stdout
# is the guest's alone.
set -u
capvm=$1 config=$2 guest=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$capvm" run --strace --dump=blocks --log-file="$dir/log" --config "$config" "$guest" \
  > "$dir/out" 2> "$dir/err" < /dev/null || { echo "FAIL: run failed"; cat "$dir/err"; exit 1; }
[ -s "$dir/err" ] && { echo "FAIL: stderr not empty:"; head -5 "$dir/err"; exit 1; }
grep -q 'block guest 0x[0-9a-f]*-0x[0-9a-f]* -> host ' "$dir/log" || {
  echo "FAIL: no block header in the log"; head -5 "$dir/log"; exit 1; }
grep -q '^  guest [0-9a-f]* ' "$dir/log" || { echo "FAIL: no guest disassembly"; exit 1; }
grep -q '^  host  [0-9a-f]* ' "$dir/log" || { echo "FAIL: no host disassembly"; exit 1; }
grep -q 'fd_write(' "$dir/log" || { echo "FAIL: no strace line for fd_write"; exit 1; }
if grep -q 'block guest\|fd_write(' "$dir/out"; then echo "FAIL: diagnostics on stdout"; exit 1; fi
echo "log: $(grep -c 'block guest' "$dir/log") blocks, $(grep -c '^\[' "$dir/log") trace lines"
