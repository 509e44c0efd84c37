#!/bin/sh
# run_case.sh CAPVM GUEST CASE STATUS EXPECTED_STDOUT STDERR_ERE [YAML_LINE...]
#
# Runs GUEST under `CAPVM run --config CFG` where CFG passes stdout and
# `case: CASE` (plus any YAML_LINEs, e.g. "stdin: !fd stdin"), with stdin
# from /dev/null. Passes when
#   - the exit status is STATUS,
#   - stdout, without its "expect-pc"/"expect-addr" lines, equals the file
#     EXPECTED_STDOUT (so the last line shows where the guest stopped),
#   - STDERR_ERE empty: stderr is empty; else stderr is exactly one line
#     matching the extended regex STDERR_ERE,
#   - for each "expect-pc 0xN" line the guest printed, stderr says "at pc 0xN",
#     and for each "expect-addr 0xN", "(guest address 0xN)".
set -u
capvm=$1 guest=$2 case=$3 status=$4 expected=$5 errre=$6
shift 6

if [ ! -x "$capvm" ]; then echo "FAIL: $capvm is not built"; exit 1; fi
if [ ! -f "$guest" ]; then echo "FAIL: $guest is not built"; exit 1; fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-sandbox.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

{
  echo '%TAG ! tag:nuxi.nl,2015:cloudabi/'
  echo '---'
  echo 'stdout: !fd stdout'
  echo "case: $case"
  for line in "$@"; do echo "$line"; done
} > "$tmp/config.yaml"

"$capvm" run --config "$tmp/config.yaml" "$guest" > "$tmp/out" 2> "$tmp/err" < /dev/null
got=$?

failed=0
fail() { echo "FAIL: $*"; failed=1; }

[ "$got" = "$status" ] || fail "exit status $got, expected $status"

grep -v -e '^expect-pc ' -e '^expect-addr ' "$tmp/out" > "$tmp/out.plain"
if ! cmp -s "$expected" "$tmp/out.plain"; then
  fail "stdout differs (--- expected, +++ guest):"
  diff -u "$expected" "$tmp/out.plain" | head -n 60
fi

nerr=$(wc -l < "$tmp/err")
if [ -z "$errre" ]; then
  [ -s "$tmp/err" ] && fail "unexpected stderr"
else
  [ "$nerr" = 1 ] || fail "stderr has $nerr lines, expected 1"
  grep -E -q -e "$errre" "$tmp/err" || fail "stderr does not match /$errre/"
fi
for pc in $(sed -n 's/^expect-pc //p' "$tmp/out"); do
  grep -E -q -e " at pc $pc( |\$)" "$tmp/err" || fail "stderr does not report pc $pc"
done
for a in $(sed -n 's/^expect-addr //p' "$tmp/out"); do
  grep -F -q -e "(guest address $a)" "$tmp/err" || fail "stderr does not report guest address $a"
done

if [ "$failed" != 0 ]; then
  echo "--- guest stdout:"; head -n 40 "$tmp/out"
  echo "--- guest stderr:"; head -n 20 "$tmp/err"
  exit 1
fi
echo "ok: $case: exit status $got, $(wc -l < "$tmp/out.plain") lines"
exit 0
