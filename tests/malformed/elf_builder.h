// Builds small CloudABI ELF images in memory for the loader tests and for
// the malformed-input generator: a valid image that each test then breaks in
// exactly one way.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "vm/elf_types.h"

namespace capvm::testing {

struct ElfBuilder {
  vm::elf::Elf64Ehdr eh{};
  std::vector<vm::elf::Elf64Phdr> ph;
  size_t file_size = 0;

  // Layout (page size 4 KiB, like lld's x86_64 output):
  //   load 0  R    offset 0x0000 vaddr 0x0000  ELF header + program headers
  //   load 1  R+X  offset 0x1000 vaddr 0x1000  code; the entry point
  //   load 2  R+W  offset 0x2000 vaddr 0x2000  0x10 bytes of data, then bss
  //   PT_PHDR, PT_TLS and PT_DYNAMIC pointing inside those.
  static ElfBuilder valid(uint16_t machine = EM_X86_64) {
    ElfBuilder b;
    std::memcpy(b.eh.e_ident, ELFMAG, SELFMAG);
    b.eh.e_ident[EI_CLASS] = ELFCLASS64;
    b.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    b.eh.e_ident[EI_VERSION] = EV_CURRENT;
    b.eh.e_ident[EI_OSABI] = vm::elf::kOsAbiCloudAbi;
    b.eh.e_type = ET_DYN;
    b.eh.e_machine = machine;
    b.eh.e_version = EV_CURRENT;
    b.eh.e_entry = 0x1000;
    b.eh.e_phoff = sizeof(vm::elf::Elf64Ehdr);
    b.eh.e_ehsize = sizeof(vm::elf::Elf64Ehdr);
    b.eh.e_phentsize = sizeof(vm::elf::Elf64Phdr);
    b.ph = {
        {PT_PHDR, PF_R, 64, 64, 64, 6 * 56, 6 * 56, 8},
        {PT_LOAD, PF_R, 0x0, 0x0, 0x0, 0x1000, 0x1000, 0x1000},
        {PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000},
        {PT_LOAD, PF_R | PF_W, 0x2000, 0x2000, 0x2000, 0x10, 0x3000, 0x1000},
        {PT_TLS, PF_R, 0x2000, 0x2000, 0x2000, 0x8, 0x10, 8},
        {PT_DYNAMIC, PF_R | PF_W, 0x2008, 0x2008, 0x2008, 0x8, 0x8, 8},
    };
    b.eh.e_phnum = static_cast<uint16_t>(b.ph.size());
    b.file_size = 0x2010;
    return b;
  }

  // Index into ph of the n-th PT_LOAD.
  vm::elf::Elf64Phdr& load(size_t n) {
    for (auto& p : ph)
      if (p.p_type == PT_LOAD && n-- == 0) return p;
    return ph.front();
  }

  std::vector<uint8_t> build() const {
    std::vector<uint8_t> out(file_size, 0);
    // Recognisable contents: code is "jmp ." (x86) repeated, data is 0x11.
    for (size_t i = 0x1000; i + 1 < 0x2000 && i + 1 < out.size(); i += 2) {
      out[i] = 0xEB;
      out[i + 1] = 0xFE;
    }
    for (size_t i = 0x2000; i < out.size(); ++i) out[i] = 0x11;
    std::memcpy(out.data(), &eh, std::min(out.size(), sizeof eh));
    const size_t table = ph.size() * sizeof(vm::elf::Elf64Phdr);
    if (eh.e_phoff < out.size()) {
      size_t n = std::min<size_t>(table, out.size() - eh.e_phoff);
      std::memcpy(out.data() + eh.e_phoff, ph.data(), n);
    }
    return out;
  }
};

}  // namespace capvm::testing
