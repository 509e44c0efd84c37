# Guest toolchain: builds CloudABI programs (x86_64 and aarch64) with clang-14
# and ld.lld, against the capvm guest SDK in guest/ (spec/README.md: "Building
# guests with Debian's clang-14").
#
#   capvm_add_guest(NAME SOURCES a.c b.c ... [CFLAGS ...])
#     -> ${CMAKE_CURRENT_BINARY_DIR}/NAME.x86_64 and NAME.aarch64, built by
#        default (custom target NAME.guest); the paths are also set in the
#        caller's scope as NAME_X86_64 / NAME_AARCH64 and as the target
#        properties CAPVM_GUEST_X86_64 / CAPVM_GUEST_AARCH64.
#   capvm_add_native(NAME SOURCES ...)
#     -> host executable NAME.native (gcc + glibc), for output comparison.

find_program(CAPVM_GUEST_CC NAMES clang-14 REQUIRED)
find_program(CAPVM_GUEST_LD NAMES ld.lld-14 ld.lld REQUIRED)
find_program(CAPVM_GUEST_AR NAMES llvm-ar-14 llvm-ar ar REQUIRED)
if(NOT CAPVM_GUEST_CC OR NOT CAPVM_GUEST_LD)
  message(FATAL_ERROR "capvm guests need clang-14 and ld.lld")
endif()

execute_process(COMMAND ${CAPVM_GUEST_CC} -print-resource-dir
  OUTPUT_VARIABLE CAPVM_GUEST_RESOURCE_DIR OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE _capvm_rc)
if(NOT _capvm_rc EQUAL 0 OR NOT EXISTS "${CAPVM_GUEST_RESOURCE_DIR}/include/stddef.h")
  message(FATAL_ERROR "clang-14 -print-resource-dir failed: ${CAPVM_GUEST_RESOURCE_DIR}")
endif()

set(CAPVM_GUEST_ARCHES x86_64 aarch64)
set(CAPVM_GUEST_SDK_DIR ${PROJECT_SOURCE_DIR}/guest)
set(CAPVM_GUEST_SDK_BIN ${PROJECT_BINARY_DIR}/guest)

# Flags for every guest translation unit. Builtins stay on for programs; the
# SDK adds -ffreestanding for its own sources (guest/CMakeLists.txt).
# SafeStack is on by default for the CloudABI targets: turned off (spec/README.md).
set(CAPVM_GUEST_CFLAGS
  -O2 -g0 -std=gnu17 -fPIE -fno-sanitize=safe-stack -fno-stack-protector
  -ffp-contract=off
  -nostdinc -isystem ${CAPVM_GUEST_SDK_DIR}/include
  -isystem ${CAPVM_GUEST_RESOURCE_DIR}/include)
set(CAPVM_GUEST_LDFLAGS
  -Bstatic --no-dynamic-linker -pie -zrelro --eh-frame-hdr --gc-sections -e _start)

# _capvm_guest_compile(<out-var> ARCH <arch> SOURCE <src> OBJDIR <dir> [FLAGS ...])
function(_capvm_guest_compile out_var)
  cmake_parse_arguments(A "" "ARCH;SOURCE;OBJDIR" "FLAGS;DEPENDS" ${ARGN})
  get_filename_component(src "${A_SOURCE}" ABSOLUTE)
  file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}" "${src}")
  string(REPLACE "../" "__/" rel "${rel}")
  set(obj "${A_OBJDIR}/${rel}.${A_ARCH}.o")
  get_filename_component(objdir "${obj}" DIRECTORY)
  file(MAKE_DIRECTORY "${objdir}")
  file(RELATIVE_PATH objrel "${CMAKE_BINARY_DIR}" "${obj}")
  add_custom_command(OUTPUT "${obj}"
    COMMAND ${CAPVM_GUEST_CC} --target=${A_ARCH}-unknown-cloudabi
            ${CAPVM_GUEST_CFLAGS} ${A_FLAGS} -MD -MF "${obj}.d"
            -c "${src}" -o "${obj}"
    DEPENDS "${src}" ${A_DEPENDS}
    DEPFILE "${obj}.d"
    COMMENT "Guest CC (${A_ARCH}) ${objrel}"
    VERBATIM COMMAND_EXPAND_LISTS)
  set(${out_var} "${obj}" PARENT_SCOPE)
endfunction()

function(capvm_add_guest name)
  cmake_parse_arguments(A "" "" "SOURCES;CFLAGS" ${ARGN})
  if(NOT A_SOURCES)
    message(FATAL_ERROR "capvm_add_guest(${name}): no SOURCES")
  endif()
  set(outputs "")
  foreach(arch IN LISTS CAPVM_GUEST_ARCHES)
    set(objs "")
    foreach(src IN LISTS A_SOURCES)
      _capvm_guest_compile(obj ARCH ${arch} SOURCE ${src}
        OBJDIR "${CMAKE_CURRENT_BINARY_DIR}/${name}.guest-obj" FLAGS ${A_CFLAGS})
      list(APPEND objs "${obj}")
    endforeach()
    set(crt "${CAPVM_GUEST_SDK_BIN}/crt1_${arch}.o")
    set(lib "${CAPVM_GUEST_SDK_BIN}/libcapvm_guest_${arch}.a")
    set(out "${CMAKE_CURRENT_BINARY_DIR}/${name}.${arch}")
    add_custom_command(OUTPUT "${out}"
      COMMAND ${CAPVM_GUEST_LD} ${CAPVM_GUEST_LDFLAGS} -o "${out}" ${objs} "${crt}" "${lib}"
      DEPENDS ${objs} "${crt}" "${lib}" capvm_guest_sdk
      COMMENT "Guest LD (${arch}) ${name}.${arch}"
      VERBATIM COMMAND_EXPAND_LISTS)
    list(APPEND outputs "${out}")
    string(TOUPPER "${arch}" ARCH)
    set(${name}_${ARCH} "${out}" PARENT_SCOPE)
  endforeach()
  add_custom_target(${name}.guest ALL DEPENDS ${outputs})
  add_dependencies(${name}.guest capvm_guest_sdk)
  list(GET outputs 0 out_x86)
  list(GET outputs 1 out_a64)
  set_target_properties(${name}.guest PROPERTIES
    CAPVM_GUEST_X86_64 "${out_x86}" CAPVM_GUEST_AARCH64 "${out_a64}")
endfunction()

# The native build uses the guests' compiler (clang-14, same -O2) so that a
# comparison of native and guest runs measures the VM, not two compilers.
# capvm_sdk_libc_objects(PREFIX CMDS OBJS DEPS COMPILER...): for a
# non-guest build that must run the guests' libc code, the commands (into
# CMDS, for add_custom_command) that compile the SDK's string functions and
# printf engine with COMPILER, freestanding as for guests, into
# PREFIX-sdk-NAME.o (OBJS), and their sources (DEPS). The printf engine's
# names are its own (capvm_snprintf, ...), so nothing clashes with a libc.
function(capvm_sdk_libc_objects prefix cmds_var objs_var deps_var)
  set(cmds "")
  set(objs "")
  set(deps "")
  foreach(part string/mem string/str stdio/format stdio/format_float stdio/decimal)
    set(src ${PROJECT_SOURCE_DIR}/guest/libc/${part}.c)
    get_filename_component(base ${part} NAME)
    set(obj ${prefix}-sdk-${base}.o)
    list(APPEND cmds COMMAND ${ARGN} -O2 -ffreestanding -fno-builtin -w -c ${src} -o ${obj})
    list(APPEND objs ${obj})
    list(APPEND deps ${src})
  endforeach()
  set(${cmds_var} ${cmds} PARENT_SCOPE)
  set(${objs_var} ${objs} PARENT_SCOPE)
  set(${deps_var} ${deps} PARENT_SCOPE)
endfunction()

# SDK_LIBC: also link the guest SDK's own string functions and printf
# engine (capvm_sdk_libc_objects) instead of glibc's, for benchmarks whose
# native and guest runs must execute the same libc code.
function(capvm_add_native name)
  cmake_parse_arguments(A "SDK_LIBC" "" "SOURCES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.native)
  set(srcs "")
  foreach(src ${A_SOURCES})
    get_filename_component(abs ${src} ABSOLUTE)
    list(APPEND srcs ${abs})
  endforeach()
  set(extra_cmds "")
  set(extra_objs "")
  set(extra_deps "")
  if(A_SDK_LIBC)
    capvm_sdk_libc_objects(${CMAKE_CURRENT_BINARY_DIR}/${name}.native
                           extra_cmds extra_objs extra_deps ${CAPVM_GUEST_CC})
  endif()
  add_custom_command(OUTPUT ${out}
    ${extra_cmds}
    COMMAND ${CAPVM_GUEST_CC} -O2 -ffp-contract=off -w ${srcs} ${extra_objs} -o ${out} -lm
    DEPENDS ${srcs} ${extra_deps}
    COMMENT "Building native ${name} with clang-14"
    VERBATIM)
  add_custom_target(${name}_native ALL DEPENDS ${out})
endfunction()
