#!/bin/sh
# --decode-cache end to end (translator/aarch64/decode_memo.h).
#   decode_cache_test.sh CAPVM HELLO_AARCH64 HELLO_X86_64 WORK
# A first run of an aarch64 guest loads LLVM's decoder and leaves a private
# memo; the next run gives the same output without loading it (LD_DEBUG=files
# shows every shared object the dynamic loader opens). A memo that is
# damaged, or in a directory others can write, is not used; off writes none.
set -eu
capvm=$1 a64=$2 x86=$3 work=$4
rm -rf "$work"; mkdir -p "$work"
cfg=$work/hello.yaml
printf '%%TAG ! tag:nuxi.nl,2015:cloudabi/\n---\nstdout: !fd stdout\n' > "$cfg"
fail() { echo "FAIL: $*"; exit 1; }

# run PROGRAM [OPTIONS...]: the guest's output in $work/out, and in $loads
# how many times the decoder plugin was loaded.
run() {
  prog=$1; shift
  LD_DEBUG=files "$capvm" run "$@" --config "$cfg" "$prog" > "$work/out" 2> "$work/err" ||
    fail "capvm $* $prog: exit $?: $(grep -v '^ *[0-9]*:' "$work/err" | head -3)"
  [ "$(cat "$work/out")" = "Hello, world!" ] || fail "output of $prog: $(cat "$work/out")"
  loads=$(grep -c 'file=.*libcapvm-a64-llvm.so .*dynamically loaded' "$work/err" || true)
}
mode() { stat -c %a "$1"; }

export XDG_CACHE_HOME="$work/xdg"

run "$a64"
[ "$loads" = 1 ] || fail "cold run: plugin loaded $loads times, not once"
set -- "$work"/xdg/capvm/a64-*.memo
[ $# = 1 ] && [ -f "$1" ] || fail "not one memo in $work/xdg/capvm after a cold run: $*"
memo=$1
[ "$(mode "$memo")" = 600 ] || fail "memo mode $(mode "$memo")"
[ "$(mode "$work/xdg/capvm")" = 700 ] || fail "memo directory mode $(mode "$work/xdg/capvm")"
cp "$memo" "$work/memo.copy"

run "$a64"
[ "$loads" = 0 ] || fail "warm run loaded the plugin"
cmp -s "$memo" "$work/memo.copy" || fail "a warm run that decoded nothing new rewrote the memo"

# The x86-64 guest never needs a memo.
XDG_CACHE_HOME="$work/x86" run "$x86"
[ ! -e "$work/x86/capvm" ] || fail "an x86_64 guest made a memo"

# An explicit directory; off (flag and variable) reads and writes nothing.
run "$a64" --decode-cache="$work/explicit"
[ "$loads" = 1 ] && cmp -s "$work"/explicit/a64-*.memo "$memo" || fail "--decode-cache=DIR: loads $loads"
XDG_CACHE_HOME="$work/off" run "$a64" --decode-cache=off
[ "$loads" = 1 ] && [ ! -e "$work/off" ] || fail "--decode-cache=off: loads $loads, or a memo was written"
XDG_CACHE_HOME="$work/off" CAPVM_DECODE_CACHE=off run "$a64"
[ "$loads" = 1 ] && [ ! -e "$work/off" ] || fail "CAPVM_DECODE_CACHE=off: loads $loads, or a memo was written"

# No home to keep a memo in: runs as before.
env -u HOME -u XDG_CACHE_HOME LD_DEBUG=files "$capvm" run --config "$cfg" "$a64" > "$work/out" 2>&1 ||
  fail "without HOME: exit $?"
grep -q "Hello, world!" "$work/out" || fail "without HOME: no output"

# A directory others can write: the memo there is neither read nor replaced.
chmod 777 "$work/xdg/capvm"
run "$a64"
[ "$loads" = 1 ] || fail "memo in a world-writable directory was used"
cmp -s "$memo" "$work/memo.copy" || fail "memo in a world-writable directory was rewritten"
chmod 700 "$work/xdg/capvm"

# Another program (the same code with one byte of its image changed past
# the code): a memo of its own, cold first.
cp "$a64" "$work/other.aarch64"
printf 'x' >> "$work/other.aarch64"
run "$work/other.aarch64"
[ "$loads" = 1 ] || fail "another program used the first program's memo"
[ "$(ls "$work"/xdg/capvm/a64-*.memo | wc -l)" = 2 ] || fail "no second memo for another program"

# A damaged memo: ignored, then rewritten whole.
head -c 100 "$work/memo.copy" > "$memo"
run "$a64"
[ "$loads" = 1 ] || fail "a damaged memo was used"
run "$a64"
[ "$loads" = 0 ] || fail "the memo rewritten after damage is not used"
echo "ok"
