#!/bin/sh
# run_proc.sh CAPVM GUEST [EXEC_TARGET]: runs the proc conformance guest
# with stdout and, as "self", itself (!executable) or EXEC_TARGET (a !file:
# the same program built for the other architecture, so stage 2 runs after
# a cross-architecture proc_exec); passes when both stages report success.
set -u
capvm=$1 guest=$2 target=${3:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-conformance.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
{
  echo '%TAG ! tag:nuxi.nl,2015:cloudabi/'
  echo '---'
  echo 'stdout: !fd stdout'
  if [ -n "$target" ]; then
    echo "self: !file {path: $target}"
  else
    echo 'self: !executable'
  fi
} > "$tmp/config.yaml"
timeout 60 "$capvm" run --config "$tmp/config.yaml" "$guest" > "$tmp/out" 2> "$tmp/err"
status=$?
cat "$tmp/out"
if [ $status -ne 0 ]; then echo "FAIL: exit status $status"; cat "$tmp/err"; exit 1; fi
grep -q "^proc(stage 1): [0-9]* checks, 0 failures$" "$tmp/out" || { echo "FAIL: stage 1"; exit 1; }
grep -q "^exec stage 2 ok$" "$tmp/out" || { echo "FAIL: stage 2 did not run"; cat "$tmp/err"; exit 1; }
exit 0
