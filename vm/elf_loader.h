// Validating and mapping a CloudABI executable (spec/README.md: static PIE,
// ET_DYN, EI_OSABI 17, x86_64 or aarch64) into a guest sandbox.
//
// validate_elf() is a pure check of untrusted bytes (SECURITY.md, "Malformed
// input"): it never reads outside [data, data+size) and never trusts a header
// field before bounding it. load_elf() validates again, then maps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "vm/guest_memory.h"

namespace capvm::vm {

enum class GuestArch { kX86_64, kAarch64 };
const char* guest_arch_name(GuestArch arch);

// Upper bound on e_phnum: far above what linkers emit, small enough that the
// table is never a resource problem.
inline constexpr unsigned kMaxProgramHeaders = 512;

struct ElfSegment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t offset = 0;
  uint64_t filesz = 0;
  uint64_t align = 0;
  unsigned prot = kProtNone;  // GuestProt bits
};

struct ElfInfo {
  GuestArch arch = GuestArch::kX86_64;
  uint64_t entry = 0;            // e_entry (relative to the load base)
  uint64_t phoff = 0;
  uint16_t phnum = 0;
  uint16_t phentsize = 0;
  std::vector<ElfSegment> loads;  // PT_LOAD segments in header order
  uint64_t span_start = 0;       // page-aligned lowest PT_LOAD vaddr
  uint64_t span_end = 0;         // page-aligned end of the highest PT_LOAD
  uint64_t max_align = 0;        // largest PT_LOAD p_align
  // Where the program headers are in the image (vaddr), when they are:
  // PT_PHDR, else a PT_LOAD whose file range covers them.
  bool phdr_in_image = false;
  uint64_t phdr_vaddr = 0;
  bool has_tls = false;          // PT_TLS
  ElfSegment tls;
  bool has_dynamic = false;      // PT_DYNAMIC
  uint64_t dynamic_vaddr = 0;
};

// Checks that `data` is a CloudABI executable the VM can load into a sandbox
// of `sandbox_size` bytes. On failure sets *error to one sentence (no file
// name, no trailing period) and returns false.
bool validate_elf(const uint8_t* data, size_t size, ElfInfo* out,
                  std::string* error, uint64_t sandbox_size = kMaxSandboxSize);

struct LoadedImage {
  GuestAddr base = 0;        // guest address of vaddr 0 (AT_BASE)
  GuestAddr entry = 0;       // base + e_entry
  GuestAddr phdr = 0;        // AT_PHDR
  uint16_t phnum = 0;        // AT_PHNUM
  uint16_t phentsize = 0;    // AT_PHENT
  GuestArch arch = GuestArch::kX86_64;
  GuestAddr image_start = 0;  // the reserved span [image_start, image_end)
  GuestAddr image_end = 0;
  bool has_tls = false;       // PT_TLS, with tls_image = base + p_vaddr
  GuestAddr tls_image = 0;
  uint64_t tls_filesz = 0;
  uint64_t tls_memsz = 0;
  uint64_t tls_align = 0;
};

// Validates, picks a base (aligned to the largest p_align, away from the
// null guard), maps every PT_LOAD with its protection and copies its bytes.
bool load_elf(const uint8_t* data, size_t size, GuestMemory& mem,
              LoadedImage* out, std::string* error);

}  // namespace capvm::vm
