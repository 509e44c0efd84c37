// Guest function symbols from the ELF section headers (vm/elf_symbols.h).
// Every offset and size is bounds-checked against the image: the file is
// untrusted.
#include "vm/elf_symbols.h"

#include <elf.h>

#include <algorithm>
#include <cstring>

namespace capvm::vm {

namespace {
template <class T>
bool read_at(const uint8_t* image, size_t size, uint64_t off, T* out) {
  if (off > size || sizeof(T) > size - off) return false;
  std::memcpy(out, image + off, sizeof(T));
  return true;
}
}  // namespace

void GuestSymbols::load(const uint8_t* image, size_t size, uint64_t base) {
  syms_.clear();
  Elf64_Ehdr eh;
  if (!read_at(image, size, 0, &eh) || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum > 4096)
    return;
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    if (!read_at(image, size, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), &sh)) return;
    if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
    Elf64_Shdr strtab;
    if (sh.sh_link >= eh.e_shnum ||
        !read_at(image, size, eh.e_shoff + uint64_t{sh.sh_link} * sizeof(Elf64_Shdr), &strtab))
      return;
    if (strtab.sh_offset > size || strtab.sh_size > size - strtab.sh_offset) return;
    const uint64_t count = sh.sh_size / sizeof(Elf64_Sym);
    for (uint64_t k = 0; k < count && k < (1u << 20); ++k) {
      Elf64_Sym s;
      if (!read_at(image, size, sh.sh_offset + k * sizeof(Elf64_Sym), &s)) break;
      if (ELF64_ST_TYPE(s.st_info) != STT_FUNC || s.st_value == 0 || s.st_name >= strtab.sh_size)
        continue;
      const char* name = reinterpret_cast<const char*>(image + strtab.sh_offset + s.st_name);
      const size_t max = strtab.sh_size - s.st_name;
      syms_.push_back({base + s.st_value, s.st_size, std::string(name, strnlen(name, max))});
    }
  }
  std::sort(syms_.begin(), syms_.end(), [](const Sym& a, const Sym& b) { return a.start < b.start; });
}

std::string GuestSymbols::describe(uint64_t addr) const {
  auto it = std::upper_bound(syms_.begin(), syms_.end(), addr,
                             [](uint64_t a, const Sym& s) { return a < s.start; });
  if (it == syms_.begin()) return "";
  --it;
  if (addr - it->start >= std::max<uint64_t>(it->size, 1)) return "";
  char off[32];
  std::snprintf(off, sizeof off, "+0x%llx", static_cast<unsigned long long>(addr - it->start));
  return it->name + off;
}

}  // namespace capvm::vm
