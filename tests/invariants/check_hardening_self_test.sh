#!/bin/sh
# check_hardening_self_test.sh CHECKER FIXTURE: the checker must fail on a
# program linked with lazy binding, no RELRO, an executable stack and no
# PIE, naming each.
set -u
out=$(sh "$1" "$2" ON 2>&1)
rc=$?
status=0
[ "$rc" != 0 ] || { echo "the checker passed a binary without mitigations"; status=1; }
for reason in "no PT_GNU_RELRO" "lazy binding" "executable stack" "not position-independent"; do
  echo "$out" | grep -q "$reason" || { echo "the checker did not report: $reason"; status=1; }
done
[ "$status" = 0 ] && echo "ok: all four reported"
[ "$status" = 0 ] || echo "$out"
exit "$status"
