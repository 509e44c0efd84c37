#!/bin/sh
# run_proc.sh CAPVM GUEST: runs the proc conformance guest with stdout and
# itself as an !executable; passes when both stages report success.
set -u
capvm=$1 guest=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-conformance.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
{
  echo '%TAG ! tag:nuxi.nl,2015:cloudabi/'
  echo '---'
  echo 'stdout: !fd stdout'
  echo 'self: !executable'
} > "$tmp/config.yaml"
timeout 60 "$capvm" run --config "$tmp/config.yaml" "$guest" > "$tmp/out" 2> "$tmp/err"
status=$?
cat "$tmp/out"
if [ $status -ne 0 ]; then echo "FAIL: exit status $status"; cat "$tmp/err"; exit 1; fi
grep -q "^proc(stage 1): [0-9]* checks, 0 failures$" "$tmp/out" || { echo "FAIL: stage 1"; exit 1; }
grep -q "^exec stage 2 ok$" "$tmp/out" || { echo "FAIL: stage 2 did not run"; cat "$tmp/err"; exit 1; }
exit 0
