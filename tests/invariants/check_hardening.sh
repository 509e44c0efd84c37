#!/bin/sh
# check_hardening.sh BINARY EXPECT_PIE
# capvm (and its aarch64 decoder plugin) carries the usual exploit
# mitigations, so that a bug in capvm's own code is harder to turn into
# control of the host process:
#   full RELRO   a PT_GNU_RELRO segment and BIND_NOW: every GOT entry is
#                resolved at load and the GOT then made read-only
#   NX stack     PT_GNU_STACK without the execute flag
#   PIE          ET_DYN, so ASLR places capvm's code and data (unless
#                EXPECT_PIE is OFF: the -DCAPVM_PIE=OFF build)
# Exits non-zero listing every missing one.
set -u
bin=$1 expect_pie=$2
command -v readelf > /dev/null || { echo "readelf (binutils) is needed"; exit 1; }
status=0
fail() { echo "FAIL: $bin: $1"; status=1; }

headers=$(readelf -W -h -l "$bin") || { echo "FAIL: readelf cannot read $bin"; exit 1; }
dynamic=$(readelf -W -d "$bin") || dynamic=""

echo "$headers" | grep -q 'GNU_RELRO' || fail "no PT_GNU_RELRO segment (link with -z relro)"
# BIND_NOW appears as DT_BIND_NOW, as BIND_NOW in DT_FLAGS or as NOW in DT_FLAGS_1.
echo "$dynamic" | grep -Eq '\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*[[:space:]]NOW' ||
  fail "lazy binding: no BIND_NOW (link with -z now), so the GOT stays writable"
stack=$(echo "$headers" | grep 'GNU_STACK')
[ -n "$stack" ] || fail "no PT_GNU_STACK: the stack may be executable"
echo "$stack" | grep -q 'RWE' && fail "executable stack: $stack"
type=$(echo "$headers" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')
if [ "$expect_pie" = ON ]; then
  [ "$type" = DYN ] || fail "not position-independent (ELF type $type)"
fi
[ "$status" = 0 ] && echo "ok: full RELRO, NX stack$([ "$expect_pie" = ON ] && echo ", PIE")"
exit "$status"
