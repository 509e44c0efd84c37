// The ELF64 structures the loader reads, spelled out here so nothing
// CloudABI-specific depends on the host's <elf.h> (which is used only for the
// generic constants). Field layout follows the System V gABI, ELF-64 object
// file format; all files the loader accepts are little-endian, like the host.
#pragma once

#include <cstdint>

namespace capvm::vm::elf {

inline constexpr unsigned kIdentSize = 16;
// spec/README.md: "Executables are static position-independent ELF
// (ET_DYN, EI_OSABI 17)".
inline constexpr uint8_t kOsAbiCloudAbi = 17;

struct Elf64Ehdr {
  uint8_t e_ident[kIdentSize];
  uint16_t e_type;
  uint16_t e_machine;
  uint32_t e_version;
  uint64_t e_entry;
  uint64_t e_phoff;
  uint64_t e_shoff;
  uint32_t e_flags;
  uint16_t e_ehsize;
  uint16_t e_phentsize;
  uint16_t e_phnum;
  uint16_t e_shentsize;
  uint16_t e_shnum;
  uint16_t e_shstrndx;
};
static_assert(sizeof(Elf64Ehdr) == 64);

struct Elf64Phdr {
  uint32_t p_type;
  uint32_t p_flags;
  uint64_t p_offset;
  uint64_t p_vaddr;
  uint64_t p_paddr;
  uint64_t p_filesz;
  uint64_t p_memsz;
  uint64_t p_align;
};
static_assert(sizeof(Elf64Phdr) == 56);

}  // namespace capvm::vm::elf
