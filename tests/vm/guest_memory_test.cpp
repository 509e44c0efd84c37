// vm::GuestMemory, the sandbox: mapping rules (W^X, the null guard, fixed and
// free placement), the checked accessor at every boundary, the exec
// invalidator's exact calls, and recovery from a fault when another thread
// unmaps pages during a copy. Expected values come from vm/guest_memory.h and
// ARCHITECTURE.md ("The sandbox"), not from running the code.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/host_perms.h"
#include "vm/guest_memory.h"
#include "vm/signals.h"

using namespace capvm;
using vm::GuestAddr;
using vm::GuestMemory;
using vm::kGuestPageSize;
using vm::kProtExec;
using vm::kProtNone;
using vm::kProtRead;
using vm::kProtWrite;

namespace {

constexpr uint64_t kPage = kGuestPageSize;
constexpr uint64_t k4G = uint64_t{1} << 32;

std::unique_ptr<GuestMemory> make(uint64_t size) {
  std::string error;
  auto mem = GuestMemory::create(size, &error);
  INFO(error);
  REQUIRE(mem != nullptr);
  return mem;
}

GuestAddr map_fixed(GuestMemory& m, GuestAddr at, uint64_t len, unsigned prot) {
  GuestAddr a = at;
  REQUIRE(m.map(&a, len, prot, true) == abi::E_SUCCESS);
  REQUIRE(a == at);
  return a;
}

struct Calls {
  std::vector<std::pair<GuestAddr, uint64_t>> v;
};

void record(GuestMemory& m, Calls& c) {
  m.set_exec_invalidator([&c](GuestAddr a, uint64_t l) { c.v.emplace_back(a, l); });
}

using capvm::testing::host_perms;

}  // namespace

TEST_CASE("GuestMemory: create validates the size", "[guest_memory]") {
  std::string error;
  CHECK(GuestMemory::create(0, &error) == nullptr);
  CHECK(GuestMemory::create(kPage * 100 + 1, &error) == nullptr);
  CHECK(GuestMemory::create(k4G + kPage, &error) == nullptr);
  CHECK(GuestMemory::create(vm::kNullGuardSize, &error) == nullptr);
  auto full = GuestMemory::create(k4G, &error);
  REQUIRE(full != nullptr);
  CHECK(full->size() == k4G);
  // The reservation spans 4 GiB + guard whatever the size.
  auto small = make(1 << 20);
  CHECK(small->contains_host(small->host_base()));
  CHECK(small->contains_host(small->host_base() + k4G + vm::kGuardSize - 1));
  CHECK_FALSE(small->contains_host(small->host_base() + k4G + vm::kGuardSize));
  CHECK_FALSE(small->contains_host(small->host_base() - 1));
}

TEST_CASE("GuestMemory: W^X refusals", "[guest_memory]") {
  auto m = make(16 << 20);
  GuestAddr a = 0;
  CHECK(m->map(&a, kPage, kProtWrite | kProtExec, false) == abi::E_NOTSUP);
  CHECK(m->map(&a, kPage, kProtRead | kProtWrite | kProtExec, false) == abi::E_NOTSUP);
  a = 0x100000;
  CHECK(m->map(&a, kPage, kProtWrite | kProtExec, true) == abi::E_NOTSUP);
  CHECK(m->prot_at(0x100000) == kProtNone);

  GuestAddr rw = map_fixed(*m, 0x200000, 2 * kPage, kProtRead | kProtWrite);
  CHECK(m->protect(rw, kPage, kProtWrite | kProtExec) == abi::E_NOTSUP);
  CHECK(m->protect(rw, kPage, kProtRead | kProtWrite | kProtExec) == abi::E_NOTSUP);
  CHECK(m->prot_at(rw) == (kProtRead | kProtWrite));  // unchanged
  REQUIRE(m->protect(rw, kPage, kProtRead | kProtExec) == abi::E_SUCCESS);
  CHECK(m->protect(rw, kPage, kProtWrite | kProtExec) == abi::E_NOTSUP);
  CHECK(m->prot_at(rw) == (kProtRead | kProtExec));
  // Undefined protection bits.
  CHECK(m->map(&a, kPage, 8, false) == abi::E_INVAL);
  CHECK(m->protect(rw, kPage, 0x10 | kProtRead) == abi::E_INVAL);

  // On the host no sandbox page is ever executable, and executable guest
  // pages are not writable.
  const std::string rx = host_perms(m->host_base() + rw);
  const std::string rwp = host_perms(m->host_base() + rw + kPage);
  REQUIRE(rx.size() == 4);
  REQUIRE(rwp.size() == 4);
  CHECK(rx[1] == '-');
  CHECK(rx[2] == '-');
  CHECK(rwp[2] == '-');
  CHECK(host_perms(m->host_base())[2] == '-');
}

TEST_CASE("GuestMemory: the null guard is never mappable", "[guest_memory]") {
  auto m = make(16 << 20);
  for (GuestAddr at : {GuestAddr{0}, GuestAddr{kPage}, vm::kNullGuardSize - kPage}) {
    GuestAddr a = at;
    CHECK(m->map(&a, kPage, kProtRead, true) != abi::E_SUCCESS);
  }
  GuestAddr a = vm::kNullGuardSize - kPage;  // straddles into the guard
  CHECK(m->map(&a, 2 * kPage, kProtRead, true) != abi::E_SUCCESS);
  CHECK(m->prot_at(vm::kNullGuardSize - kPage) == kProtNone);
  CHECK(m->prot_at(vm::kNullGuardSize) == kProtNone);
  // Non-fixed with hint 0 or a hint inside the guard: placed above it.
  for (GuestAddr hint : {GuestAddr{0}, GuestAddr{kPage}}) {
    GuestAddr b = hint;
    REQUIRE(m->map(&b, kPage, kProtRead, false) == abi::E_SUCCESS);
    CHECK(b >= vm::kNullGuardSize);
  }
  uint8_t byte;
  CHECK(m->read(0, &byte, 1) == abi::E_FAULT);
  CHECK(m->write(0, &byte, 1) == abi::E_FAULT);
  CHECK(m->protect(0, kPage, kProtRead) != abi::E_SUCCESS);
  CHECK(m->prot_at(0) == kProtNone);
  // The lowest mappable page, and its first byte.
  map_fixed(*m, vm::kNullGuardSize, kPage, kProtRead | kProtWrite);
  CHECK(m->write(vm::kNullGuardSize, "x", 1) == abi::E_SUCCESS);
  CHECK(m->read(vm::kNullGuardSize - 1, &byte, 2) == abi::E_FAULT);
  CHECK(m->read(vm::kNullGuardSize - 1, &byte, 1) == abi::E_FAULT);
}

TEST_CASE("GuestMemory: fixed and non-fixed mapping", "[guest_memory]") {
  auto m = make(16 << 20);
  GuestAddr a = 0x300000;
  REQUIRE(m->map(&a, 3 * kPage, kProtRead | kProtWrite, false) == abi::E_SUCCESS);
  CHECK(a % kPage == 0);
  CHECK(a >= vm::kNullGuardSize);
  CHECK(m->range_has(a, 3 * kPage, kProtRead | kProtWrite));
  GuestAddr b = a;  // hint on an occupied range: placed elsewhere, no overlap
  REQUIRE(m->map(&b, 5 * kPage, kProtRead, false) == abi::E_SUCCESS);
  CHECK((b + 5 * kPage <= a || b >= a + 3 * kPage));
  CHECK(m->prot_at(a) == (kProtRead | kProtWrite));

  // Length rounded up to pages; fresh anonymous memory reads as zeros.
  GuestAddr c = 0;
  REQUIRE(m->map(&c, 10, kProtRead | kProtWrite, false) == abi::E_SUCCESS);
  CHECK(m->range_has(c, kPage, kProtRead | kProtWrite));
  std::vector<uint8_t> buf(kPage, 0xff);
  REQUIRE(m->read(c, buf.data(), kPage) == abi::E_SUCCESS);
  CHECK(std::all_of(buf.begin(), buf.end(), [](uint8_t x) { return x == 0; }));

  // Fixed replaces contents.
  REQUIRE(m->write(a, "hello", 5) == abi::E_SUCCESS);
  map_fixed(*m, a, kPage, kProtRead);
  char s[5];
  REQUIRE(m->read(a, s, 5) == abi::E_SUCCESS);
  CHECK(std::memcmp(s, "\0\0\0\0\0", 5) == 0);
  CHECK(m->prot_at(a) == kProtRead);
  CHECK(m->prot_at(a + kPage) == (kProtRead | kProtWrite));

  // Bad arguments.
  GuestAddr d = 0x400001;
  CHECK(m->map(&d, kPage, kProtRead, true) == abi::E_INVAL);     // unaligned fixed
  d = 0;
  CHECK(m->map(&d, 0, kProtRead, false) == abi::E_INVAL);        // len 0
  CHECK(m->map(&d, m->size() + kPage, kProtRead, false) != abi::E_SUCCESS);
  CHECK(m->map(&d, ~uint64_t{0}, kProtRead, false) != abi::E_SUCCESS);
  d = m->size() - kPage;                                          // runs past the end
  CHECK(m->map(&d, 2 * kPage, kProtRead, true) != abi::E_SUCCESS);
  d = m->size();
  CHECK(m->map(&d, kPage, kProtRead, true) != abi::E_SUCCESS);
  d = ~uint64_t{0} & ~(kPage - 1);                                // wraps
  CHECK(m->map(&d, 2 * kPage, kProtRead, true) != abi::E_SUCCESS);
  // Exhaustion: more than is free.
  d = 0;
  CHECK(m->map(&d, m->size() - kPage, kProtRead, false) != abi::E_SUCCESS);
}

TEST_CASE("GuestMemory: accessor boundaries of a small sandbox", "[guest_memory]") {
  const uint64_t size = 16 << 20;
  auto m = make(size);
  const GuestAddr top = map_fixed(*m, size - 2 * kPage, 2 * kPage, kProtRead | kProtWrite);
  uint8_t b[16] = {};
  CHECK(m->write(size - 1, "z", 1) == abi::E_SUCCESS);   // last byte
  CHECK(m->read(size - 1, b, 1) == abi::E_SUCCESS);
  CHECK(b[0] == 'z');
  CHECK(m->read(size - 1, b, 2) == abi::E_FAULT);        // straddles the end
  CHECK(m->write(size - 8, b, 9) == abi::E_FAULT);
  CHECK(m->read(size, b, 1) == abi::E_FAULT);            // just past
  CHECK(m->read(size, b, 0) == abi::E_FAULT);            // len 0 outside
  CHECK(m->read(size - 1, b, 0) == abi::E_SUCCESS);      // len 0 inside
  CHECK(m->read(k4G - 1, b, 1) == abi::E_FAULT);         // reserved, not sandbox
  CHECK(m->read(k4G, b, 1) == abi::E_FAULT);
  CHECK(m->read(~uint64_t{0}, b, 1) == abi::E_FAULT);
  CHECK(m->read(top, b, SIZE_MAX) == abi::E_FAULT);      // addr + len wraps
  CHECK(m->write(top, b, SIZE_MAX - top + 2) == abi::E_FAULT);
  GuestMemory::HostSpan sp;
  CHECK(m->span(top, ~uint64_t{0} - top + 2, kProtRead, &sp) == abi::E_FAULT);
  CHECK(m->span(top, 2 * kPage + 1, kProtRead, &sp) == abi::E_FAULT);
  REQUIRE(m->span(top, 2 * kPage, kProtRead | kProtWrite, &sp) == abi::E_SUCCESS);
  CHECK(sp.data == m->host_base() + top);
  CHECK(sp.len == 2 * kPage);
  CHECK(m->span(top, kPage, kProtExec, &sp) == abi::E_FAULT);
  CHECK(m->fetch_code(top, b, 1) == abi::E_FAULT);

  CHECK_FALSE(m->range_has(size, 0, kProtNone));
  CHECK(m->range_has(size - 1, 0, kProtNone));
  CHECK(m->range_has(size - 1, 1, kProtRead));
  CHECK_FALSE(m->range_has(size - 1, 2, kProtNone));
  CHECK_FALSE(m->range_has(top, ~uint64_t{0}, kProtNone));
  CHECK(m->prot_at(size) == kProtNone);
  CHECK(m->prot_at(~uint64_t{0}) == kProtNone);
}

TEST_CASE("GuestMemory: accessor boundaries of the full 4 GiB sandbox", "[guest_memory]") {
  auto m = make(k4G);
  const GuestAddr top = map_fixed(*m, k4G - 2 * kPage, 2 * kPage, kProtRead | kProtWrite);
  uint8_t b[16] = {};
  CHECK(m->write(0xffffffff, "q", 1) == abi::E_SUCCESS);
  CHECK(m->read(0xffffffff, b, 1) == abi::E_SUCCESS);
  CHECK(b[0] == 'q');
  CHECK(m->read(0xfffffffc, b, 8) == abi::E_FAULT);      // straddles 4 GiB
  CHECK(m->write(0xfffffffc, b, 8) == abi::E_FAULT);
  CHECK(m->read(k4G, b, 1) == abi::E_FAULT);
  CHECK(m->read(k4G, b, 0) == abi::E_FAULT);
  CHECK(m->read(0x1'0000'0000'0000ull, b, 1) == abi::E_FAULT);
  CHECK(m->read(0xfffffffffffff000ull, b, 1) == abi::E_FAULT);  // not truncated to 0xfffff000
  CHECK(m->write(0xfffffffffffff000ull, b, 1) == abi::E_FAULT);
  CHECK(m->read(top + k4G, b, 1) == abi::E_FAULT);        // top + 2^32 aliases top if truncated
  CHECK(m->read(top, b, SIZE_MAX) == abi::E_FAULT);
  GuestMemory::HostSpan sp;
  CHECK(m->span(top, k4G, kProtRead, &sp) == abi::E_FAULT);
  CHECK(m->span(top + k4G, 1, kProtRead, &sp) == abi::E_FAULT);
  CHECK(m->protect(k4G - kPage, 2 * kPage, kProtRead) != abi::E_SUCCESS);
  CHECK(m->prot_at(k4G - kPage) == (kProtRead | kProtWrite));
  CHECK(m->unmap(k4G - kPage, 2 * kPage) != abi::E_SUCCESS);
  CHECK(m->prot_at(k4G - kPage) == (kProtRead | kProtWrite));
  CHECK(m->unmap(k4G, kPage) != abi::E_SUCCESS);
}

TEST_CASE("GuestMemory: range_has over many pages finds one bad page anywhere",
          "[guest_memory]") {
  // 40 pages from a page-table index that is not 8-aligned, so a range meets
  // the unaligned head, whole 8-entry words and the tail of the multi-page
  // check. One page at a time is made read-only or unmapped; every range
  // over it must fail for write, every range beside it pass.
  auto m = make(16 << 20);
  const GuestAddr a = 0x103000;  // page index 0x103: 3 past an 8-aligned one
  constexpr uint64_t kPages = 40;
  map_fixed(*m, a, kPages * kPage, kProtRead | kProtWrite);
  for (uint64_t bad = 0; bad < kPages; bad += 3) {
    for (int how = 0; how < 2; ++how) {
      const GuestAddr b = a + bad * kPage;
      if (how == 0) REQUIRE(m->protect(b, kPage, kProtRead) == abi::E_SUCCESS);
      else REQUIRE(m->unmap(b, kPage) == abi::E_SUCCESS);
      for (uint64_t first = 0; first < kPages; ++first) {
        for (uint64_t last = first; last < kPages; ++last) {
          // From the middle of page `first` to the middle of page `last`.
          const GuestAddr s = a + first * kPage + 100;
          const uint64_t len = (last - first) * kPage + 1;
          const bool covers = first <= bad && bad <= last;
          INFO("bad page " << bad << (how ? " unmapped" : " read-only") << ", pages " << first
                           << ".." << last);
          REQUIRE(m->range_has(s, len, kProtWrite) == !covers);
          REQUIRE(m->range_has(s, len, kProtRead) == (how == 0 || !covers));
        }
      }
      map_fixed(*m, b, kPage, kProtRead | kProtWrite);  // whole again
    }
  }
  CHECK(m->range_has(a, kPages * kPage, kProtRead | kProtWrite));
  CHECK_FALSE(m->range_has(a, kPages * kPage + 1, kProtRead));  // one byte past the end
}

TEST_CASE("GuestMemory: protect and unmap", "[guest_memory]") {
  auto m = make(16 << 20);
  const GuestAddr a = map_fixed(*m, 0x100000, 4 * kPage, kProtRead | kProtWrite);
  REQUIRE(m->write(a + kPage, "abc", 3) == abi::E_SUCCESS);
  REQUIRE(m->protect(a + kPage, 1, kProtRead) == abi::E_SUCCESS);  // len rounds up to a page
  CHECK(m->prot_at(a + kPage) == kProtRead);
  CHECK(m->prot_at(a + 2 * kPage) == (kProtRead | kProtWrite));
  CHECK(m->write(a + kPage, "x", 1) == abi::E_FAULT);
  CHECK(m->write(a + kPage - 1, "xy", 2) == abi::E_FAULT);
  char s[3];
  REQUIRE(m->read(a + kPage, s, 3) == abi::E_SUCCESS);
  CHECK(std::memcmp(s, "abc", 3) == 0);
  REQUIRE(m->protect(a + kPage, kPage, kProtNone) == abi::E_SUCCESS);
  CHECK(m->read(a + kPage, s, 1) == abi::E_FAULT);
  CHECK(m->range_has(a + kPage, kPage, kProtNone));       // mapped, no access
  CHECK(m->protect(a + 1, kPage, kProtRead) == abi::E_INVAL);
  CHECK(m->protect(a + 4 * kPage, kPage, kProtRead) != abi::E_SUCCESS);  // unmapped
  CHECK(m->protect(a + 3 * kPage, 2 * kPage, kProtRead) != abi::E_SUCCESS);
  CHECK(m->prot_at(a + 3 * kPage) == (kProtRead | kProtWrite));  // all or nothing

  REQUIRE(m->unmap(a, 2 * kPage) == abi::E_SUCCESS);
  CHECK(m->read(a, s, 1) == abi::E_FAULT);
  CHECK(m->read(a + kPage, s, 1) == abi::E_FAULT);
  CHECK(m->prot_at(a) == kProtNone);
  CHECK_FALSE(m->range_has(a, 1, kProtNone));
  CHECK(m->write(a + 2 * kPage, "ok", 2) == abi::E_SUCCESS);
  CHECK(m->unmap(a + 1, kPage) == abi::E_INVAL);
  CHECK(m->unmap(a, 0) == abi::E_INVAL);
  CHECK(m->unmap(m->size(), kPage) == abi::E_INVAL);
  CHECK(m->unmap(a, ~uint64_t{0}) == abi::E_INVAL);
  // The hole can be mapped again.
  map_fixed(*m, a, kPage, kProtRead);
  CHECK(m->read(a, s, 1) == abi::E_SUCCESS);
  CHECK(s[0] == 0);
}

TEST_CASE("GuestMemory: host protection follows every guest change", "[guest_memory]") {
  // protect() skips mprotect when the host protection would not change (read
  // and read+exec are both read-only on the host); whatever the order of
  // changes, the host mapping must end up exactly as restrictive as the
  // guest's protection says.
  auto m = make(16 << 20);
  const GuestAddr a = map_fixed(*m, 0x100000, 2 * kPage, kProtRead | kProtWrite);
  const void* host = m->host_base() + a;
  const unsigned sequence[] = {kProtRead,  kProtRead | kProtExec, kProtExec, kProtRead | kProtWrite,
                               kProtExec,  kProtNone,             kProtRead, kProtRead | kProtExec,
                               kProtNone,  kProtRead | kProtWrite, kProtRead | kProtWrite, kProtRead};
  for (unsigned prot : sequence) {
    REQUIRE(m->protect(a, 2 * kPage, prot) == abi::E_SUCCESS);
    const std::string want = (prot & kProtWrite) ? "rw-p" : (prot & (kProtRead | kProtExec)) ? "r--p" : "---p";
    INFO("guest protection " << prot);
    CHECK(host_perms(host) == want);
    CHECK(m->prot_at(a) == prot);
    char c = 0;
    CHECK((m->read(a, &c, 1) == abi::E_SUCCESS) == ((prot & kProtRead) != 0));
    CHECK((m->write(a, &c, 1) == abi::E_SUCCESS) == ((prot & kProtWrite) != 0));
  }
  // Half the range changes host protection, half does not: one mprotect
  // covers both and both end up right.
  REQUIRE(m->protect(a, kPage, kProtRead | kProtWrite) == abi::E_SUCCESS);
  REQUIRE(m->protect(a, 2 * kPage, kProtRead | kProtExec) == abi::E_SUCCESS);
  CHECK(host_perms(host) == "r--p");
  CHECK(host_perms(static_cast<const uint8_t*>(host) + kPage) == "r--p");
}

TEST_CASE("GuestMemory: fetch_code versus read on exec-only pages", "[guest_memory]") {
  auto m = make(16 << 20);
  const GuestAddr x = map_fixed(*m, 0x100000, 2 * kPage, kProtExec);
  const uint8_t code[] = {0xb8, 0x2a, 0, 0, 0, 0xc3};
  REQUIRE(m->poke(x, code, sizeof code) == abi::E_SUCCESS);  // loader: ignores protection
  uint8_t got[8] = {};
  CHECK(m->fetch_code(x, got, sizeof code) == abi::E_SUCCESS);
  CHECK(std::memcmp(got, code, sizeof code) == 0);
  CHECK(m->read(x, got, 1) == abi::E_FAULT);        // exec-only: not readable by syscalls
  CHECK(m->write(x, got, 1) == abi::E_FAULT);
  GuestMemory::HostSpan sp;
  CHECK(m->span(x, 1, kProtRead, &sp) == abi::E_FAULT);
  CHECK(m->fetch_code(x + 2 * kPage - 2, got, 4) == abi::E_FAULT);  // runs off exec
  CHECK(m->fetch_code(x + 2 * kPage - 2, got, 2) == abi::E_SUCCESS);
  CHECK(m->poke(x + 2 * kPage, got, 1) == abi::E_FAULT);              // unmapped

  const GuestAddr r = map_fixed(*m, 0x200000, kPage, kProtRead);
  CHECK(m->fetch_code(r, got, 1) == abi::E_FAULT);  // readable is not executable
  CHECK(m->read(r, got, 1) == abi::E_SUCCESS);
  REQUIRE(m->protect(x, kPage, kProtRead | kProtExec) == abi::E_SUCCESS);
  CHECK(m->read(x, got, 1) == abi::E_SUCCESS);
  CHECK(m->fetch_code(x, got, 1) == abi::E_SUCCESS);
  REQUIRE(m->protect(x, kPage, kProtRead) == abi::E_SUCCESS);
  CHECK(m->fetch_code(x, got, 1) == abi::E_FAULT);
}

TEST_CASE("GuestMemory: map_filled fills, then protects", "[guest_memory]") {
  auto m = make(16 << 20);
  const uint8_t code[] = {0xb8, 0x2a, 0, 0, 0, 0xc3};
  // An executable segment whose bytes start mid-page, as the loader maps one.
  GuestAddr x = 0x100000;
  REQUIRE(m->map_filled(&x, 2 * kPage, kProtExec, true, {100, code, sizeof code}) ==
          abi::E_SUCCESS);
  CHECK(x == 0x100000);
  uint8_t got[sizeof code] = {};
  CHECK(m->fetch_code(x + 100, got, sizeof code) == abi::E_SUCCESS);
  CHECK(std::memcmp(got, code, sizeof code) == 0);
  CHECK(m->fetch_code(x, got, 1) == abi::E_SUCCESS);
  CHECK(got[0] == 0);  // around the data: zero
  CHECK(m->write(x + 100, got, 1) == abi::E_FAULT);
  // The host pages end read-only: never writable (and never executable).
  CHECK(host_perms(m->host_base() + x).substr(0, 3) == "r--");
  CHECK(host_perms(m->host_base() + x + kPage).substr(0, 3) == "r--");

  // Read-only data anywhere.
  const char text[] = "argdata";
  GuestAddr r = 0;
  REQUIRE(m->map_filled(&r, sizeof text, kProtRead, false, {0, text, sizeof text}) ==
          abi::E_SUCCESS);
  char back[sizeof text] = {};
  CHECK(m->read(r, back, sizeof back) == abi::E_SUCCESS);
  CHECK(std::string(back) == "argdata");
  CHECK(m->write(r, back, 1) == abi::E_FAULT);
  CHECK(host_perms(m->host_base() + r).substr(0, 3) == "r--");

  // Writable data stays writable.
  GuestAddr w = 0;
  REQUIRE(m->map_filled(&w, kPage, kProtRead | kProtWrite, false, {8, text, 4}) ==
          abi::E_SUCCESS);
  CHECK(m->read(w + 8, back, 4) == abi::E_SUCCESS);
  CHECK(std::memcmp(back, "argd", 4) == 0);
  CHECK(m->write(w, back, 1) == abi::E_SUCCESS);

  // Data outside the mapping, W^X, and the null guard are refused, and
  // nothing is left mapped by a refusal.
  GuestAddr bad = 0x300000;
  CHECK(m->map_filled(&bad, kPage, kProtRead, true, {kPage - 2, text, 4}) == abi::E_INVAL);
  CHECK(m->map_filled(&bad, kPage, kProtRead, true, {~uint64_t{0}, text, 4}) == abi::E_INVAL);
  CHECK(m->map_filled(&bad, kPage, kProtWrite | kProtExec, true, {0, text, 4}) ==
        abi::E_NOTSUP);
  CHECK(m->read(0x300000, back, 1) == abi::E_FAULT);
  GuestAddr null_page = 0;
  CHECK(m->map_filled(&null_page, kPage, kProtRead, true, {0, text, 4}) == abi::E_NOMEM);
}

TEST_CASE("GuestMemory: exec invalidator calls", "[guest_memory]") {
  auto m = make(16 << 20);
  Calls c;
  record(*m, c);
  const GuestAddr x = map_fixed(*m, 0x100000, 4 * kPage, kProtRead | kProtExec);
  const GuestAddr d = map_fixed(*m, 0x200000, 4 * kPage, kProtRead | kProtWrite);
  CHECK(c.v.empty());  // mapping code drops nothing

  SECTION("non-exec pages never invalidate") {
    REQUIRE(m->protect(d, 4 * kPage, kProtRead) == abi::E_SUCCESS);
    REQUIRE(m->protect(d, kPage, kProtRead | kProtExec) == abi::E_SUCCESS);  // gains exec
    CHECK(c.v.empty());
    REQUIRE(m->unmap(d + kPage, 3 * kPage) == abi::E_SUCCESS);
    map_fixed(*m, d + kPage, kPage, kProtRead);
    CHECK(c.v.empty());
    CHECK(m->protect(x, 4 * kPage, kProtWrite | kProtExec) == abi::E_NOTSUP);  // refused: nothing
    CHECK(c.v.empty());
  }
  SECTION("keeping exec does not invalidate") {
    REQUIRE(m->protect(x, 4 * kPage, kProtExec) == abi::E_SUCCESS);
    REQUIRE(m->protect(x, 4 * kPage, kProtRead | kProtExec) == abi::E_SUCCESS);
    CHECK(c.v.empty());
  }
  SECTION("losing exec invalidates once, with the page-aligned range") {
    REQUIRE(m->protect(x + kPage, kPage + 1, kProtRead | kProtWrite) == abi::E_SUCCESS);
    REQUIRE(c.v.size() == 1);
    CHECK(c.v[0] == std::make_pair(x + kPage, 2 * kPage));
    REQUIRE(m->protect(x, kPage, kProtRead) == abi::E_SUCCESS);
    REQUIRE(c.v.size() == 2);
    CHECK(c.v[1] == std::make_pair(x, kPage));
    REQUIRE(m->protect(x + 3 * kPage, kPage, kProtNone) == abi::E_SUCCESS);
    CHECK(c.v.size() == 3);
    // Now nothing of x is exec: protecting again does not invalidate.
    REQUIRE(m->protect(x, 4 * kPage, kProtRead) == abi::E_SUCCESS);
    CHECK(c.v.size() == 3);
  }
  SECTION("a range with some exec pages invalidates") {
    REQUIRE(m->protect(x + 2 * kPage, 2 * kPage, kProtRead) == abi::E_SUCCESS);
    c.v.clear();
    REQUIRE(m->protect(x, 4 * kPage, kProtRead) == abi::E_SUCCESS);
    REQUIRE(c.v.size() == 1);
    CHECK(c.v[0].first <= x);
    CHECK(c.v[0].first + c.v[0].second >= x + 2 * kPage);
  }
  SECTION("unmap of exec pages invalidates") {
    REQUIRE(m->unmap(x + kPage, kPage) == abi::E_SUCCESS);
    REQUIRE(c.v.size() == 1);
    CHECK(c.v[0] == std::make_pair(x + kPage, kPage));
    REQUIRE(m->unmap(x + kPage, kPage) == abi::E_SUCCESS);  // a hole now: nothing
    CHECK(c.v.size() == 1);
  }
  SECTION("a fixed map over exec pages invalidates") {
    map_fixed(*m, x + 2 * kPage, kPage, kProtRead | kProtWrite);
    REQUIRE(c.v.size() == 1);
    CHECK(c.v[0] == std::make_pair(x + 2 * kPage, kPage));
    map_fixed(*m, x, kPage, kProtRead | kProtExec);  // exec over exec: still new code
    REQUIRE(c.v.size() == 2);
    CHECK(c.v[1] == std::make_pair(x, kPage));
  }
}

TEST_CASE("GuestMemory: a concurrent unmap during a copy gives EFAULT, not a crash",
          "[guest_memory]") {
  std::string error;
  REQUIRE(vm::install_fault_handlers(&error));
  auto m = make(64 << 20);
  const uint64_t len = 8 << 20;
  const GuestAddr a = map_fixed(*m, 0x1000000, len, kProtRead | kProtWrite);
  std::vector<uint8_t> buf(len);
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    while (!stop.load()) {
      m->unmap(a + len / 2, len / 2);
      GuestAddr at = a + len / 2;
      m->map(&at, len / 2, kProtRead | kProtWrite, true);
      m->protect(a, len / 2, kProtRead);
      m->protect(a, len / 2, kProtRead | kProtWrite);
    }
  });
  int ok = 0, fault = 0, other = 0;
  for (int i = 0; i < 300; ++i) {
    abi::Errno e = (i % 2) ? m->read(a, buf.data(), len) : m->write(a, buf.data(), len);
    if (e == abi::E_SUCCESS) ++ok;
    else if (e == abi::E_FAULT) ++fault;
    else ++other;
  }
  stop = true;
  churn.join();
  INFO("ok " << ok << " efault " << fault);
  CHECK(other == 0);
  CHECK(ok + fault == 300);
  // The fault path left the thread usable: ordinary copies still work.
  map_fixed(*m, a, len, kProtRead | kProtWrite);
  CHECK(m->write(a, "after", 5) == abi::E_SUCCESS);
  char s[5];
  CHECK(m->read(a, s, 5) == abi::E_SUCCESS);
  CHECK(std::memcmp(s, "after", 5) == 0);
}
