#!/bin/sh
# run.sh CAPVM GUEST: runs a conformance guest with stdout and a fresh
# temporary directory ("dir"); passes when the guest exits 0 (every CHECK
# held). The guest prints each failed check.
set -u
capvm=$1 guest=$2
if [ ! -x "$capvm" ]; then echo "FAIL: $capvm is not built"; exit 1; fi
if [ ! -f "$guest" ]; then echo "FAIL: $guest is not built"; exit 1; fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-conformance.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/dir"
{
  echo '%TAG ! tag:nuxi.nl,2015:cloudabi/'
  echo '---'
  echo 'stdout: !fd stdout'
  echo "dir: !file {path: $tmp/dir, mode: rw}"
} > "$tmp/config.yaml"
timeout 60 "$capvm" run --config "$tmp/config.yaml" "$guest"
status=$?
if [ $status -ne 0 ]; then echo "FAIL: exit status $status"; exit 1; fi
exit 0
