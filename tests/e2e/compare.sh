#!/bin/sh
# compare.sh CAPVM CONFIG GUEST NATIVE|EXPECTED
# Runs GUEST under `CAPVM run --config CONFIG` and NATIVE directly; passes if
# both print the same standard output and exit with the same status, else
# prints what differs. A non-executable file in place of NATIVE is the
# expected standard output of a guest that exits with status 0.
set -u
capvm=$1 config=$2 guest=$3 native=$4

if [ ! -x "$capvm" ]; then
  echo "FAIL: $capvm does not exist (the VM is not built)" >&2
  exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-e2e.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ -x "$native" ]; then
  "$native" > "$tmp/native.out" < /dev/null
  native_status=$?
else
  cp "$native" "$tmp/native.out" || exit 1
  native_status=0
fi
# CAPVM_RUN_FLAGS: extra options for `capvm run` (e.g. --max-block-insns=1).
# shellcheck disable=SC2086
"$capvm" run ${CAPVM_RUN_FLAGS:-} --config "$config" "$guest" > "$tmp/guest.out" 2> "$tmp/guest.err" < /dev/null
guest_status=$?

failed=0
if ! cmp -s "$tmp/native.out" "$tmp/guest.out"; then
  echo "FAIL: standard output differs (--- native, +++ guest):"
  diff -u "$tmp/native.out" "$tmp/guest.out" | head -n 60
  failed=1
fi
if [ "$native_status" != "$guest_status" ]; then
  echo "FAIL: exit status: native $native_status, guest $guest_status"
  failed=1
fi
if [ "$failed" != 0 ] && [ -s "$tmp/guest.err" ]; then
  echo "guest stderr:"
  head -n 30 "$tmp/guest.err"
fi
if [ "$failed" = 0 ]; then
  echo "ok: $(wc -l < "$tmp/guest.out") lines, exit status $guest_status"
fi
exit "$failed"
