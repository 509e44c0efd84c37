// capvm_elf_mutate CASE IN OUT: writes a corrupted copy of the executable IN
// (or, with IN "-", of the builder's valid image) to OUT. Used by the
// malformed.cli.* tests; each case breaks exactly one thing.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tests/malformed/elf_builder.h"

namespace {

using capvm::vm::elf::Elf64Ehdr;
using capvm::vm::elf::Elf64Phdr;

bool phdrs(std::vector<uint8_t>& f, std::vector<Elf64Phdr*>* loads) {
  if (f.size() < sizeof(Elf64Ehdr)) return false;
  Elf64Ehdr eh;
  std::memcpy(&eh, f.data(), sizeof eh);
  if (eh.e_phoff + uint64_t{eh.e_phnum} * sizeof(Elf64Phdr) > f.size()) return false;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    auto* p = reinterpret_cast<Elf64Phdr*>(f.data() + eh.e_phoff + i * sizeof(Elf64Phdr));
    if (p->p_type == PT_LOAD) loads->push_back(p);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s CASE IN|- OUT\n", argv[0]);
    return 2;
  }
  const std::string kase = argv[1];
  std::vector<uint8_t> f;
  if (std::string(argv[2]) == "-") {
    f = capvm::testing::ElfBuilder::valid().build();
  } else {
    std::ifstream in(argv[2], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[2]);
      return 2;
    }
    f.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  std::vector<Elf64Phdr*> loads;
  if (kase == "copy") {
  } else if (kase == "empty") {
    f.clear();
  } else if (kase == "random") {
    std::mt19937 rng(7);
    f.resize(4096);
    for (auto& b : f) b = static_cast<uint8_t>(rng());
  } else if (kase.rfind("truncate_", 0) == 0) {
    std::string n = kase.substr(9);
    size_t len;
    if (n == "half") {
      len = f.size() / 2;
    } else if (n == "segment_end") {
      // One byte short of the last loaded file byte (section headers and
      // symbols after it are not needed to load, so cutting those is fine).
      if (!phdrs(f, &loads) || loads.empty()) {
        std::fprintf(stderr, "need an ELF with a PT_LOAD segment\n");
        return 2;
      }
      uint64_t end = 0;
      for (auto* p : loads) end = std::max<uint64_t>(end, p->p_offset + p->p_filesz);
      len = end - 1;
    } else {
      len = std::stoul(n);
    }
    if (len < f.size()) f.resize(len);
  } else if (kase == "osabi") {
    if (f.size() > 7) f[7] = 0;  // EI_OSABI: System V instead of CloudABI
  } else if (kase == "overlap" || kase == "wx") {
    if (!phdrs(f, &loads) || loads.size() < 2) {
      std::fprintf(stderr, "need an ELF with two PT_LOAD segments\n");
      return 2;
    }
    if (kase == "overlap") {
      // The second segment claims the first one's pages.
      loads[1]->p_vaddr = loads[0]->p_vaddr;
      loads[1]->p_offset = loads[0]->p_offset;
      loads[1]->p_filesz = std::min<uint64_t>(loads[1]->p_filesz, f.size() - loads[0]->p_offset);
      loads[1]->p_memsz = std::max(loads[1]->p_memsz, loads[1]->p_filesz);
    } else {
      for (auto* p : loads)
        if (p->p_flags & PF_X) p->p_flags |= PF_W;
    }
  } else {
    std::fprintf(stderr, "unknown case %s\n", kase.c_str());
    return 2;
  }

  std::ofstream out(argv[3], std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
  return out ? 0 : 2;
}
