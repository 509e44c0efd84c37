// ARCHITECTURE.md "Never": nothing of the VM's own state (fd table, code
// cache, host stacks, per-thread guest context) is inside the guest's
// region. With a sandbox reserved, every such object must lie outside
// [host_base, host_base + 4 GiB sandbox + 4 GiB guard), and the reservation
// must stay whole (no hole another allocation could land in) through
// map/unmap churn.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hostio/fd_table.h"
#include "translator/x86_64/guest_context.h"
#include "translator/x86_64/translator.h"
#include "translator/x86_64/translator_impl.h"
#include "vm/guest_memory.h"
#include "vm/signals.h"

using namespace capvm;

namespace {

constexpr uint64_t kRegion = vm::kMaxSandboxSize + vm::kGuardSize;  // 8 GiB

struct Region {
  uintptr_t lo, hi;
  explicit Region(const vm::GuestMemory& m)
      : lo(reinterpret_cast<uintptr_t>(m.host_base())), hi(lo + kRegion) {}
  // True when [p, p + len) does not overlap the region.
  bool outside(const void* p, size_t len = 1) const {
    const auto a = reinterpret_cast<uintptr_t>(p);
    return a + len <= lo || a >= hi;
  }
};

// Sorted [lo, hi) ranges of /proc/self/maps.
std::vector<std::pair<uintptr_t, uintptr_t>> host_maps() {
  std::vector<std::pair<uintptr_t, uintptr_t>> out;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto dash = line.find('-');
    const auto sp = line.find(' ');
    out.emplace_back(std::stoull(line.substr(0, dash), nullptr, 16),
                     std::stoull(line.substr(dash + 1, sp - dash - 1), nullptr, 16));
  }
  return out;
}

// True when [lo, hi) is covered by mappings without a gap.
bool fully_mapped(uintptr_t lo, uintptr_t hi) {
  uintptr_t at = lo;
  for (const auto& [a, b] : host_maps()) {
    if (b <= at) continue;
    if (a > at) return false;
    at = b;
    if (at >= hi) return true;
  }
  return at >= hi;
}

std::unique_ptr<vm::GuestMemory> make_sandbox() {
  std::string error;
  auto mem = vm::GuestMemory::create(vm::kMaxSandboxSize, &error);
  INFO(error);
  REQUIRE(mem != nullptr);
  return mem;
}

}  // namespace

TEST_CASE("invariants: translator state lies outside the guest region", "[invariants]") {
  std::string error;
  REQUIRE(vm::install_fault_handlers(&error));
  auto mem = make_sandbox();
  const Region region(*mem);

  x86_64::Translator tr(*mem, x86_64::TranslateOptions{});
  REQUIRE(tr.prepare_thread(&error));

  // This thread's guest context and what it points to.
  x86_64::GuestContext& ctx = x86_64::this_thread_context();
  CHECK(region.outside(&ctx, sizeof ctx));
  REQUIRE(ctx.xsave_area != nullptr);
  CHECK(region.outside(ctx.xsave_area, 512));
  REQUIRE(ctx.lookup_table != 0);
  CHECK(region.outside(reinterpret_cast<void*>(ctx.lookup_table),
                       sizeof(void*) * x86_64::kLookupEntries));
  // The host stack of this thread.
  int local = 0;
  CHECK(region.outside(&local));

  // Code: many small blocks, enough to make the code cache grow.
  vm::GuestAddr code = 0x100000;
  const uint64_t len = 64 * vm::kGuestPageSize;
  REQUIRE(mem->map(&code, len, vm::kProtRead | vm::kProtExec, true) == abi::E_SUCCESS);
  std::vector<uint8_t> bytes(len);
  for (size_t i = 0; i + 6 <= len; i += 8) {
    const uint8_t block[8] = {0xb8, uint8_t(i), uint8_t(i >> 8), 0, 0, 0xc3, 0x90, 0x90};
    std::copy(block, block + 8, bytes.begin() + static_cast<long>(i));
  }
  REQUIRE(mem->poke(code, bytes.data(), bytes.size()) == abi::E_SUCCESS);
  size_t checked = 0;
  for (uint64_t off = 0; off < len; off += 8) {
    const x86_64::LookupResult r = tr.lookup(code + off);
    REQUIRE(r.block != nullptr);
    const x86_64::Block* b = r.block;
    CHECK(region.outside(b, sizeof *b));
    REQUIRE(b->rx != nullptr);
    CHECK(region.outside(b->rx, b->size));
    CHECK(region.outside(b->rw, b->size));
    CHECK(region.outside(reinterpret_cast<void*>(b->host_code)));
    uint64_t gpc = 0;
    CHECK(tr.guest_pc_for_host(reinterpret_cast<uintptr_t>(b->rx), &gpc));
    CHECK(gpc == code + off);
    ++checked;
  }
  CHECK(checked == len / 8);
  // A pc outside the executable pages is not translated (no host code).
  CHECK(tr.lookup(0x200000).block == nullptr);
  CHECK(tr.lookup(code + len).block == nullptr);
  CHECK(tr.lookup(code + (uint64_t{1} << 32)).block == nullptr);
}

TEST_CASE("invariants: the fd table lies outside the guest region", "[invariants]") {
  auto mem = make_sandbox();
  const Region region(*mem);
  auto table = std::make_unique<hostio::FdTable>();
  CHECK(region.outside(table.get(), sizeof *table));
  for (uint32_t i = 0; i < 64; ++i) {
    vm::FdGrant g;
    g.guest_fd = i;
    g.host_fd = dup(STDERR_FILENO);
    REQUIRE(g.host_fd >= 0);
    REQUIRE(table->adopt(g) == abi::E_SUCCESS);
  }
  for (uint32_t i = 0; i < 64; ++i) {
    hostio::FdEntryPtr e;
    REQUIRE(table->lookup(i, 0, &e) == abi::E_SUCCESS);
    CHECK(region.outside(e.get(), sizeof *e));
    CHECK(region.outside(e->host().get(), sizeof *e->host()));
  }
}

TEST_CASE("invariants: the reservation stays whole through map/unmap churn", "[invariants]") {
  auto mem = make_sandbox();
  const Region region(*mem);
  CHECK(fully_mapped(region.lo, region.hi));
  vm::GuestAddr a = 0;
  REQUIRE(mem->map(&a, 1 << 20, vm::kProtRead | vm::kProtWrite, false) == abi::E_SUCCESS);
  REQUIRE(mem->unmap(a + 4096, 1 << 19) == abi::E_SUCCESS);
  vm::GuestAddr top = vm::kMaxSandboxSize - (1 << 20);
  REQUIRE(mem->map(&top, 1 << 20, vm::kProtRead, true) == abi::E_SUCCESS);
  REQUIRE(mem->unmap(top, 1 << 20) == abi::E_SUCCESS);
  // A failed fixed map must not leave a hole either.
  vm::GuestAddr bad = 0x10000000;
  mem->map(&bad, 4096, vm::kProtRead, true, /*host_fd=*/9999);
  CHECK(fully_mapped(region.lo, region.hi));
  // Heap allocations made now land outside.
  std::vector<std::unique_ptr<uint8_t[]>> blobs;
  for (int i = 0; i < 16; ++i) {
    blobs.emplace_back(new uint8_t[(size_t{1} << 20) * (i + 1)]);
    CHECK(region.outside(blobs.back().get(), (size_t{1} << 20) * (i + 1)));
  }
}
