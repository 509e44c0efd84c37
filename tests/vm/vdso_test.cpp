// The vDSO image: parsed back exactly the way a CloudABI guest's start-up
// code binds it (spec/README.md), plus ELF invariants a readelf would check.
#include <catch2/catch.hpp>

#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>

#include "abi/syscalls.h"
#include "vm/vdso.h"

using namespace capvm;
using vm::VdsoArch;

namespace {

template <class T>
T at(const std::vector<uint8_t>& img, uint64_t off) {
  REQUIRE(off <= img.size());
  REQUIRE(sizeof(T) <= img.size() - off);
  T v;
  std::memcpy(&v, img.data() + off, sizeof(T));
  return v;
}

std::string cstr(const std::vector<uint8_t>& img, uint64_t off, uint64_t limit) {
  std::string s;
  while (true) {
    REQUIRE(off < limit);
    if (img[off] == 0) return s;
    s.push_back(static_cast<char>(img[off++]));
  }
}

// The guest's binder: PT_DYNAMIC via the program headers, then DT_HASH
// (nchain = symbol count), DT_SYMTAB, DT_STRTAB; every global, default
// visibility STT_FUNC named cloudabi_sys_* is bound at base + st_value.
std::map<std::string, uint64_t> bind_like_a_guest(const std::vector<uint8_t>& img) {
  const auto eh = at<Elf64_Ehdr>(img, 0);
  uint64_t dyn_off = 0;
  bool found = false;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    const auto ph = at<Elf64_Phdr>(img, eh.e_phoff + i * sizeof(Elf64_Phdr));
    if (ph.p_type == PT_DYNAMIC) {
      dyn_off = ph.p_vaddr;
      found = true;
      break;
    }
  }
  REQUIRE(found);
  uint64_t strtab = 0, symtab = 0, nsyms = 0, strsz = 0, syment = 0;
  for (uint64_t d = dyn_off;; d += sizeof(Elf64_Dyn)) {
    const auto dyn = at<Elf64_Dyn>(img, d);
    if (dyn.d_tag == DT_NULL) break;
    switch (dyn.d_tag) {
      case DT_HASH: nsyms = at<uint32_t>(img, dyn.d_un.d_ptr + 4); break;
      case DT_STRTAB: strtab = dyn.d_un.d_ptr; break;
      case DT_SYMTAB: symtab = dyn.d_un.d_ptr; break;
      case DT_STRSZ: strsz = dyn.d_un.d_val; break;
      case DT_SYMENT: syment = dyn.d_un.d_val; break;
    }
  }
  REQUIRE(strtab != 0);
  REQUIRE(symtab != 0);
  CHECK(syment == sizeof(Elf64_Sym));
  CHECK(strsz > 0);
  std::map<std::string, uint64_t> bound;
  for (uint64_t i = 0; i < nsyms; ++i) {
    const auto s = at<Elf64_Sym>(img, symtab + i * sizeof(Elf64_Sym));
    if (ELF64_ST_BIND(s.st_info) != STB_GLOBAL || ELF64_ST_TYPE(s.st_info) != STT_FUNC ||
        ELF64_ST_VISIBILITY(s.st_other) != STV_DEFAULT || s.st_name == 0)
      continue;
    REQUIRE(s.st_name < strsz);
    const std::string name = cstr(img, strtab + s.st_name, strtab + strsz);
    if (name.rfind("cloudabi_sys_", 0) == 0) {
      CHECK(bound.count(name) == 0);
      bound[name] = s.st_value;
    }
  }
  return bound;
}

uint32_t elf_hash(const std::string& name) {
  uint32_t h = 0;
  for (unsigned char c : name) {
    h = (h << 4) + c;
    uint32_t g = h & 0xf0000000u;
    if (g) h ^= g >> 24;
    h &= ~g;
  }
  return h;
}

// The stub's syscall number, decoded from its instructions; -1 if the
// bytes are not the expected stub.
int64_t decode_stub(const std::vector<uint8_t>& img, uint64_t off, VdsoArch arch) {
  if (arch == VdsoArch::kX86_64) {
    if (img[off] != 0xb8 || img[off + 5] != 0x0f || img[off + 6] != 0x05 || img[off + 7] != 0xc3)
      return -1;
    const uint32_t n = at<uint32_t>(img, off + 1);
    if ((n & vm::kVdsoConventionBit) == 0) return -1;
    return n & ~vm::kVdsoConventionBit;
  }
  const uint32_t movz = at<uint32_t>(img, off), movk = at<uint32_t>(img, off + 4);
  if ((movz & 0xffe0001f) != 0x52800008 || (movk & 0xffe0001f) != 0x72a00008) return -1;
  if (at<uint32_t>(img, off + 8) != 0xd4000001 || at<uint32_t>(img, off + 12) != 0xd65f03c0)
    return -1;
  const uint32_t n = ((movz >> 5) & 0xffff) | (((movk >> 5) & 0xffff) << 16);
  if ((n & vm::kVdsoConventionBit) == 0) return -1;
  return n & ~vm::kVdsoConventionBit;
}

}  // namespace

TEST_CASE("vDSO: a guest binds all 49 syscalls to stubs with the right number") {
  for (VdsoArch arch : {VdsoArch::kX86_64, VdsoArch::kAarch64}) {
    INFO((arch == VdsoArch::kX86_64 ? "x86_64" : "aarch64"));
    const auto img = vm::build_vdso(arch);
    const auto layout = vm::vdso_layout(arch);
    const auto bound = bind_like_a_guest(img);
    CHECK(bound.size() == abi::kSyscallCount);
    for (uint32_t n = 0; n < abi::kSyscallCount; ++n) {
      const std::string name = std::string("cloudabi_sys_") + abi::syscall_name(n);
      INFO(name);
      auto it = bound.find(name);
      REQUIRE(it != bound.end());
      const uint64_t off = it->second;
      CHECK(off == vm::vdso_stub_offset(arch, n));
      CHECK(off >= layout.code_offset);
      CHECK(off + vm::kVdsoStubStride <= layout.code_offset + layout.code_size);
      CHECK(decode_stub(img, off, arch) == n);
      CHECK(vm::vdso_stub_at(arch, off) == static_cast<int>(n));
      CHECK(vm::vdso_stub_at(arch, off + 1) == -1);
      CHECK(vm::vdso_stub_at(arch, off + 8) == -1);
    }
    CHECK(vm::vdso_stub_at(arch, 0) == -1);
    CHECK(vm::vdso_stub_at(arch, layout.code_offset - vm::kVdsoStubStride) == -1);
    CHECK(vm::vdso_stub_at(arch, layout.code_offset + layout.code_size) == -1);
    CHECK(vm::vdso_stub_at(arch, ~uint64_t{0}) == -1);
  }
}

TEST_CASE("vDSO: each stub's trap instruction is found, and nothing else") {
  // The run loop performs a stub's ret after the call made at exactly these
  // offsets: each must hold the trap (x86-64 syscall 0f 05; aarch64 svc #0,
  // d4000001) with the stub's ret right after it (c3; d65f03c0).
  for (VdsoArch arch : {VdsoArch::kX86_64, VdsoArch::kAarch64}) {
    INFO((arch == VdsoArch::kX86_64 ? "x86_64" : "aarch64"));
    const auto img = vm::build_vdso(arch);
    const auto layout = vm::vdso_layout(arch);
    unsigned traps = 0;
    for (uint64_t off = 0; off < img.size(); ++off) {
      if (!vm::vdso_stub_trap_at(arch, off)) continue;
      ++traps;
      INFO("offset " << off);
      REQUIRE(off + 8 <= img.size());
      if (arch == VdsoArch::kX86_64) {
        CHECK(img[off] == 0x0f);
        CHECK(img[off + 1] == 0x05);
        CHECK(img[off + 2] == 0xc3);
      } else {
        uint32_t svc, ret;
        std::memcpy(&svc, img.data() + off, 4);
        std::memcpy(&ret, img.data() + off + 4, 4);
        CHECK(svc == 0xd4000001u);
        CHECK(ret == 0xd65f03c0u);
      }
    }
    CHECK(traps == abi::kSyscallCount);
    CHECK_FALSE(vm::vdso_stub_trap_at(arch, ~uint64_t{0}));
    CHECK_FALSE(vm::vdso_stub_trap_at(arch, layout.code_offset + layout.code_size + 5));
  }
}

TEST_CASE("vDSO: ELF header, program headers and hash table are well formed") {
  for (VdsoArch arch : {VdsoArch::kX86_64, VdsoArch::kAarch64}) {
    INFO((arch == VdsoArch::kX86_64 ? "x86_64" : "aarch64"));
    const auto img = vm::build_vdso(arch);
    const auto layout = vm::vdso_layout(arch);
    REQUIRE(img.size() == layout.image_size);
    CHECK(img.size() % 4096 == 0);
    const auto eh = at<Elf64_Ehdr>(img, 0);
    CHECK(std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
    CHECK(eh.e_ident[EI_CLASS] == ELFCLASS64);
    CHECK(eh.e_ident[EI_DATA] == ELFDATA2LSB);
    CHECK(eh.e_ident[EI_VERSION] == EV_CURRENT);
    CHECK(eh.e_ident[EI_OSABI] == 17);
    CHECK(eh.e_type == ET_DYN);
    CHECK(eh.e_machine == (arch == VdsoArch::kX86_64 ? EM_X86_64 : EM_AARCH64));
    CHECK(eh.e_phentsize == sizeof(Elf64_Phdr));
    CHECK(eh.e_ehsize == sizeof(Elf64_Ehdr));
    CHECK(eh.e_phoff + eh.e_phnum * sizeof(Elf64_Phdr) <= img.size());
    CHECK(eh.e_shoff + eh.e_shnum * sizeof(Elf64_Shdr) <= img.size());
    int loads = 0, dynamics = 0;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
      const auto ph = at<Elf64_Phdr>(img, eh.e_phoff + i * sizeof(Elf64_Phdr));
      CHECK(ph.p_offset == ph.p_vaddr);  // virtual address 0 at the header
      CHECK(ph.p_filesz == ph.p_memsz);
      CHECK(ph.p_offset + ph.p_filesz <= img.size());
      CHECK_FALSE(ph.p_flags & PF_W);  // never writable
      if (ph.p_type == PT_LOAD) {
        ++loads;
        CHECK(ph.p_offset == 0);
        CHECK(ph.p_filesz == img.size());
        CHECK(ph.p_flags == (PF_R | PF_X));
      } else if (ph.p_type == PT_DYNAMIC) {
        ++dynamics;
        CHECK(ph.p_offset % 8 == 0);
      }
    }
    CHECK(loads == 1);
    CHECK(dynamics == 1);
    // The hash table finds every symbol by name, as a dynamic linker would.
    uint64_t hash = 0, symtab = 0, strtab = 0;
    const auto ph_dyn = at<Elf64_Phdr>(img, eh.e_phoff + sizeof(Elf64_Phdr));
    for (uint64_t d = ph_dyn.p_vaddr;; d += sizeof(Elf64_Dyn)) {
      const auto dyn = at<Elf64_Dyn>(img, d);
      if (dyn.d_tag == DT_NULL) break;
      if (dyn.d_tag == DT_HASH) hash = dyn.d_un.d_ptr;
      if (dyn.d_tag == DT_SYMTAB) symtab = dyn.d_un.d_ptr;
      if (dyn.d_tag == DT_STRTAB) strtab = dyn.d_un.d_ptr;
    }
    const uint32_t nbucket = at<uint32_t>(img, hash), nchain = at<uint32_t>(img, hash + 4);
    REQUIRE(nbucket > 0);
    CHECK(nchain == abi::kSyscallCount + 1);
    const auto sym0 = at<Elf64_Sym>(img, symtab);
    CHECK(sym0.st_name == 0);
    CHECK(sym0.st_info == 0);
    for (uint32_t n = 0; n < abi::kSyscallCount; ++n) {
      const std::string name = std::string("cloudabi_sys_") + abi::syscall_name(n);
      uint32_t idx = at<uint32_t>(img, hash + 8 + 4 * (elf_hash(name) % nbucket));
      int steps = 0;
      bool found = false;
      while (idx != 0 && steps++ <= static_cast<int>(nchain)) {
        REQUIRE(idx < nchain);
        const auto s = at<Elf64_Sym>(img, symtab + idx * sizeof(Elf64_Sym));
        if (cstr(img, strtab + s.st_name, img.size()) == name) {
          CHECK(s.st_value == vm::vdso_stub_offset(arch, n));
          found = true;
          break;
        }
        idx = at<uint32_t>(img, hash + 8 + 4 * nbucket + 4 * idx);
      }
      CHECK(found);
    }
  }
}

TEST_CASE("vDSO: readelf and objdump accept the image") {
  if (system("command -v readelf >/dev/null 2>&1") != 0) return;
  for (VdsoArch arch : {VdsoArch::kX86_64, VdsoArch::kAarch64}) {
    const auto img = vm::build_vdso(arch);
    char path[] = "/tmp/capvm-vdso-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, img.data(), img.size()) == static_cast<ssize_t>(img.size()));
    close(fd);
    const std::string out = std::string(path) + ".txt";
    const std::string cmd = "readelf -a -W " + std::string(path) + " >" + out + " 2>&1";
    CHECK(system(cmd.c_str()) == 0);
    std::ifstream in(out);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(text);
    CHECK(text.find("Warning") == std::string::npos);
    CHECK(text.find("Error") == std::string::npos);
    CHECK(text.find("cloudabi_sys_thread_yield") != std::string::npos);
    CHECK(text.find("cloudabi_sys_clock_res_get") != std::string::npos);
    if (arch == VdsoArch::kX86_64 && system("command -v objdump >/dev/null 2>&1") == 0) {
      const std::string dis = "objdump -d " + std::string(path) + " >" + out + " 2>&1";
      CHECK(system(dis.c_str()) == 0);
      std::ifstream in2(out);
      const std::string d((std::istreambuf_iterator<char>(in2)), std::istreambuf_iterator<char>());
      INFO(d);
      CHECK(d.find("mov    $0x40000030,%eax") != std::string::npos);  // thread_yield = 48
      CHECK(d.find("syscall") != std::string::npos);
    }
    unlink(path);
    unlink(out.c_str());
  }
}
