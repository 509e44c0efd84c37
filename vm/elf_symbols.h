// Function symbols of a guest ELF (its .symtab, when not stripped), for
// naming translated blocks in the perf map and in diagnostics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace capvm::vm {

class GuestSymbols {
 public:
  struct Sym {
    uint64_t start, size;  // start relocated by load's base
    std::string name;
  };

  // Reads STT_FUNC symbols from `image`, relocated by `base`. A malformed
  // or missing symbol table leaves the set empty; it never fails.
  void load(const uint8_t* image, size_t size, uint64_t base);
  // "name+0xoff" for a guest address, or "" when no symbol covers it.
  std::string describe(uint64_t addr) const;
  size_t size() const { return syms_.size(); }
  // Every symbol read, by start address.
  const std::vector<Sym>& functions() const { return syms_; }

 private:
  std::vector<Sym> syms_;  // sorted by start
};

}  // namespace capvm::vm
