// CodeCache (translator/common/code_cache.h): both ways of making its two
// views, shared anonymous memory remapped and the memfd fallback, give one
// set of pages seen read+write in one place and read+execute in another,
// never writable and executable at once (ARCHITECTURE.md, W^X).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>

#include "tests/host_perms.h"
#include "translator/common/code_cache.h"

using capvm::translator::CodeCache;

namespace {

void check_views(CodeCache& cache) {
  void* rx = nullptr;
  void* rw = nullptr;
  REQUIRE(cache.alloc(&rx, &rw, 16) == asmjit::kErrorOk);
  REQUIRE(rx != rw);
  // mov eax, 42; ret: written through one view, run through the other.
  const uint8_t code[] = {0xB8, 42, 0, 0, 0, 0xC3};
  std::memcpy(rw, code, sizeof code);
  CHECK(std::memcmp(rx, code, sizeof code) == 0);
#if defined(__x86_64__)
  auto fn = reinterpret_cast<int (*)()>(rx);
  CHECK(fn() == 42);
#endif
  const std::string x = capvm::testing::host_perms(rx), w = capvm::testing::host_perms(rw);
  INFO("executable view " << x << ", writable view " << w);
  CHECK(x.substr(0, 3) == "r-x");
  CHECK(w.substr(0, 3) == "rw-");
  // A second block lands after the first in the same views.
  void* rx2 = nullptr;
  void* rw2 = nullptr;
  REQUIRE(cache.alloc(&rx2, &rw2, 16) == asmjit::kErrorOk);
  CHECK(static_cast<uint8_t*>(rx2) - static_cast<uint8_t*>(rx) ==
        static_cast<uint8_t*>(rw2) - static_cast<uint8_t*>(rw));
}

}  // namespace

TEST_CASE("code cache: shared anonymous views, W^X") {
  CodeCache cache;
  check_views(cache);
}

TEST_CASE("code cache: memfd views (the fallback where mremap is refused), W^X") {
  CodeCache cache{CodeCache::MemfdViews{}};
  check_views(cache);
}
