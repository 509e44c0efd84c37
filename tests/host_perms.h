// Test helper: the host protection string of the mapping holding an address,
// as /proc/self/maps shows it ("r--p", "rw-p", "---p"), or "" when none does.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace capvm::testing {

inline std::string host_perms(const void* p) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const auto a = reinterpret_cast<uintptr_t>(p);
  while (std::getline(maps, line)) {
    std::istringstream is(line);
    std::string range, perms;
    is >> range >> perms;
    const auto dash = range.find('-');
    const uintptr_t lo = std::stoull(range.substr(0, dash), nullptr, 16);
    const uintptr_t hi = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (a >= lo && a < hi) return perms;
  }
  return "";
}

}  // namespace capvm::testing
