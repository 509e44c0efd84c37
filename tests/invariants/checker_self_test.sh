#!/bin/sh
# checker_self_test.sh CHECK_LAYERING: builds small source trees with one
# planted violation each and requires check_layering.sh to reject them (and
# to accept the clean tree).
set -u
checker=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capvm-inv.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

clean_tree() {
  rm -rf "$tmp/t"
  mkdir -p "$tmp/t/translator/x86_64" "$tmp/t/rights" "$tmp/t/hostio" "$tmp/t/vm"
  printf '#include "vm/guest_memory.h"\n#include <cstdint>\n' > "$tmp/t/translator/x86_64/a.cpp"
  printf '#include "abi/types.h"\n' > "$tmp/t/rights/rights.cpp"
  printf '#include "rights/rights.h"\n// host_base() is not for us\nvoid f(vm::GuestMemory& m) { m.read(1, nullptr, 0); }\n' \
    > "$tmp/t/hostio/syscall.cpp"
  printf 'capvm_library(capvm_translator_x86_64 SOURCES a.cpp\n  LINK capvm_memory asmjit::asmjit)\n' \
    > "$tmp/t/translator/x86_64/CMakeLists.txt"
  printf 'capvm_library(capvm_rights SOURCES r.cpp LINK capvm_abi)\n' > "$tmp/t/rights/CMakeLists.txt"
}

expect() {  # expect pass|fail RULE DESCRIPTION
  if sh "$checker" "$tmp/t" "$2" > "$tmp/log" 2>&1; then got=pass; else got=fail; fi
  if [ "$got" != "$1" ]; then
    echo "FAIL: $3: rule $2 gave $got, expected $1"; cat "$tmp/log"; failed=1
  fi
}

clean_tree
for r in translator_includes rights_includes hostio_pointers link_deps; do expect pass $r "clean tree"; done

clean_tree; echo '#include "hostio/syscall.h"' >> "$tmp/t/translator/x86_64/a.cpp"
expect fail translator_includes "translator includes hostio"
clean_tree; echo '#  include <rights/rights.h>' >> "$tmp/t/translator/x86_64/a.cpp"
expect fail translator_includes "translator includes rights"
clean_tree; echo '#include "../../hostio/fd_table.h"' >> "$tmp/t/translator/x86_64/a.cpp"
expect fail translator_includes "translator includes hostio relatively"
for d in vm translator hostio; do
  clean_tree; echo "#include \"$d/x.h\"" >> "$tmp/t/rights/rights.cpp"
  expect fail rights_includes "rights includes $d"
done
clean_tree; echo 'uint8_t* p = mem.host_base() + addr;' >> "$tmp/t/hostio/syscall.cpp"
expect fail hostio_pointers "hostio uses host_base"
clean_tree; echo 'auto* p = reinterpret_cast<char*>(guest_addr);' >> "$tmp/t/hostio/syscall.cpp"
expect fail hostio_pointers "hostio reinterpret_casts"
clean_tree; echo '  write(fd, (const char *)iov.buf, n);' >> "$tmp/t/hostio/syscall.cpp"
expect fail hostio_pointers "hostio C-casts to a pointer"
clean_tree; echo '  mem.poke(a, b, c);' >> "$tmp/t/hostio/syscall.cpp"
expect fail hostio_pointers "hostio pokes"
clean_tree; printf 'capvm_library(capvm_rights SOURCES r.cpp LINK capvm_abi capvm_memory)\n' > "$tmp/t/rights/CMakeLists.txt"
expect fail link_deps "rights links vm"
clean_tree; printf 'capvm_library(capvm_translator_x86_64 SOURCES a.cpp\n  LINK capvm_memory capvm_hostio)\n' > "$tmp/t/translator/x86_64/CMakeLists.txt"
expect fail link_deps "translator links hostio"

[ "$failed" = 0 ] && echo "ok: checker catches every planted violation"
exit "$failed"
