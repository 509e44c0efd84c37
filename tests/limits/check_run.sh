#!/bin/sh
# check_run.sh STATUS STDOUT_PATTERN STDERR_PATTERN -- COMMAND...
# Runs COMMAND with stdin from /dev/null (read-only) and passes when it exits
# with STATUS, its stdout matches the extended regex STDOUT_PATTERN and its
# stderr matches STDERR_PATTERN ("" matches anything). Bounded: the test's
# own timeout stops a hung command.
set -u
want_status=$1 out_pat=$2 err_pat=$3
shift 4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-limits.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
"$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
status=$?
failed=0
if [ "$status" != "$want_status" ]; then echo "FAIL: exit status $status, expected $want_status"; failed=1; fi
if ! grep -Eq "$out_pat" "$tmp/out"; then echo "FAIL: stdout does not match /$out_pat/"; failed=1; fi
if [ -n "$err_pat" ] && ! grep -Eq "$err_pat" "$tmp/err"; then echo "FAIL: stderr does not match /$err_pat/"; failed=1; fi
if [ "$failed" != 0 ]; then
  echo "--- stdout"; head -n 20 "$tmp/out"; echo "--- stderr"; head -n 20 "$tmp/err"
fi
exit "$failed"
