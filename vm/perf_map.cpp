// The perf map writer (vm/perf_map.h).
#include "vm/perf_map.h"

#include <unistd.h>

namespace capvm::vm {

bool PerfMap::open(std::string* error) {
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  file_ = std::fopen(path.c_str(), "w");
  if (file_ == nullptr) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

bool PerfMap::reopen_for_child(std::string* error) {
  if (file_ == nullptr) return true;
  std::fclose(file_);  // the child's copy of the parent's stream only
  file_ = nullptr;
  return open(error);
}

PerfMap::~PerfMap() {
  if (file_ != nullptr) std::fclose(file_);
}

void PerfMap::add(uint64_t guest_pc, const void* host, size_t size, const GuestSymbols& symbols) {
  if (file_ == nullptr) return;
  std::string name = symbols.describe(guest_pc);
  if (name.empty()) name = "guest";
  std::fprintf(file_, "%llx %zx %s [0x%llx]\n",
               static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(host)), size,
               name.c_str(), static_cast<unsigned long long>(guest_pc));
  std::fflush(file_);
}

}  // namespace capvm::vm
