// --perf-map: /tmp/perf-<pid>.map, one line per translated block
// ("<host start> <size> <name>"), so `perf report` names guest code.
#pragma once

#include <cstdio>
#include <string>

#include "vm/elf_symbols.h"

namespace capvm::vm {

class PerfMap {
 public:
  // Opens /tmp/perf-<pid>.map; false with *error set when it cannot.
  bool open(std::string* error);
  // In a forked child: stop writing the parent's map and start this
  // process's own /tmp/perf-<pid>.map (a no-op when no map is written).
  bool reopen_for_child(std::string* error);
  ~PerfMap();
  void add(uint64_t guest_pc, const void* host, size_t size, const GuestSymbols& symbols);

 private:
  std::FILE* file_ = nullptr;
};

}  // namespace capvm::vm
