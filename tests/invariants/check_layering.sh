#!/bin/sh
# check_layering.sh SRC_DIR RULE
# Guards ARCHITECTURE.md's "Never" list by reading the sources:
#   translator_includes  translator/ includes nothing from hostio/ or rights/
#   rights_includes      rights/ includes nothing from vm/, translator/, hostio/
#   hostio_pointers      hostio/ never forms a host pointer from a guest value:
#                        no host_base(), no integer-to-pointer casts
#                        (reinterpret_cast, C casts to pointer types,
#                        bit_cast), no loader/translator-only accessors
#                        (poke, fetch_code), no access to GuestMemory internals
#   link_deps            the CMake targets keep the same layering
# Exits non-zero listing every offending line.
set -u
src=$1 rule=$2
cd "$src" || exit 1
status=0

# offenders DESCRIPTION ERE DIR...: lists matching lines (comments excluded).
offenders() {
  desc=$1 re=$2
  shift 2
  hits=$(grep -rnE --include='*.h' --include='*.hpp' --include='*.cpp' --include='*.cc' \
           --include='*.inc' --include='*.c' -e "$re" "$@" 2>/dev/null |
         grep -vE '^[^:]+:[0-9]+:[[:space:]]*(//|\*|/\*)')
  if [ -n "$hits" ]; then
    echo "FAIL: $desc:"
    echo "$hits"
    status=1
  fi
}

inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]'

case $rule in
  translator_includes)
    [ -d translator ] || { echo "FAIL: no translator/ in $src"; exit 1; }
    offenders "translator/ includes hostio/ or rights/" "${inc}(\\./|\\.\\./)*(hostio|rights)/" translator
    # Also relative includes that climb out into them.
    offenders "translator/ includes hostio/ or rights/ by a relative path" \
      "${inc}(\\.\\./)+(hostio|rights)/" translator
    ;;
  rights_includes)
    [ -d rights ] || { echo "FAIL: no rights/ in $src"; exit 1; }
    offenders "rights/ includes vm/, translator/ or hostio/" \
      "${inc}(\\./|\\.\\./)*(vm|translator|hostio)/" rights
    ;;
  hostio_pointers)
    [ -d hostio ] || { echo "FAIL: no hostio/ in $src"; exit 1; }
    offenders "hostio/ uses GuestMemory::host_base()" 'host_base[[:space:]]*\(' hostio
    offenders "hostio/ uses reinterpret_cast (a guest value must not become a host pointer)" \
      'reinterpret_cast[[:space:]]*<' hostio
    offenders "hostio/ uses std::bit_cast to a pointer" 'bit_cast[[:space:]]*<[^>]*\*' hostio
    offenders "hostio/ casts to a pointer type C-style" \
      '\((const[[:space:]]+)?(void|char|signed char|unsigned char|u?int(8|16|32|64)_t|uintptr_t|intptr_t|std::byte|abi::[A-Za-z_]+|struct[[:space:]]+[A-Za-z_]+)[[:space:]]*\*+[[:space:]]*\)[[:space:]]*[A-Za-z_(]' \
      hostio
    offenders "hostio/ uses a loader- or translator-only accessor" \
      '(\.|->)[[:space:]]*(poke|fetch_code|contains_host)[[:space:]]*\(' hostio
    offenders "hostio/ touches GuestMemory internals" '(\.|->)[[:space:]]*(base_|page_prot_)\b' hostio
    ;;
  link_deps)
    # capvm_library(NAME SOURCES ... LINK deps...) calls, one per line.
    bad=0
    check_links() {
      file=$1 lib=$2 forbidden=$3
      [ -f "$file" ] || return 0
      line=$(tr '\n' ' ' < "$file" | grep -oE "capvm_library\\($lib [^)]*\\)" || true)
      for f in $forbidden; do
        if echo "$line" | grep -qE "(^|[[:space:]])$f([[:space:]]|\\)|$)"; then
          echo "FAIL: $lib links $f ($file)"
          bad=1
        fi
      done
    }
    for f in translator/x86_64/CMakeLists.txt translator/aarch64/CMakeLists.txt translator/CMakeLists.txt; do
      for lib in capvm_translator_x86_64 capvm_translator_aarch64 capvm_translator; do
        check_links "$f" "$lib" "capvm_hostio capvm_rights capvm_vm"
      done
    done
    check_links rights/CMakeLists.txt capvm_rights \
      "capvm_vm capvm_memory capvm_loader capvm_vdso capvm_hostio capvm_translator_x86_64 capvm_translator_aarch64"
    check_links vm/CMakeLists.txt capvm_memory "capvm_hostio capvm_rights capvm_translator_x86_64"
    [ "$bad" = 0 ] || status=1
    ;;
  *)
    echo "unknown rule $rule"; exit 2 ;;
esac

[ "$status" = 0 ] && echo "ok: $rule"
exit "$status"
