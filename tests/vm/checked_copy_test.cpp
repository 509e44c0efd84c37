// vm::checked_copy, the copy under every GuestMemory read and write: equal
// to memcpy for every length and alignment it handles differently (bytes,
// words, fast strings), and false, with the thread still usable, when the
// source or destination faults part-way (vm/checked_copy.h).
// recover_checked_fault claims only faults whose pc lies inside the copy
// (or inside a run_guarded operation, which none is here).
#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "vm/checked_copy.h"
#include "vm/signals.h"

using capvm::vm::checked_copy;
using capvm::vm::recover_checked_fault;

namespace {

// Two pages: the first read-write, the second `second_prot`.
struct TwoPages {
  explicit TwoPages(int second_prot) {
    page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    base = static_cast<uint8_t*>(p);
    std::memset(base, 0x5A, 2 * page);
    REQUIRE(mprotect(base + page, page, second_prot) == 0);
  }
  ~TwoPages() { munmap(base, 2 * page); }
  uint8_t* base = nullptr;
  size_t page = 0;
};

}  // namespace

TEST_CASE("checked_copy: equals memcpy for every length and alignment", "[checked_copy]") {
  std::vector<uint8_t> src(1200), dst(1200), want(1200);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 7 + 3);
  for (size_t len : {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 255, 256, 257, 511, 1000}) {
    for (size_t so = 0; so < 8; ++so) {
      for (size_t d_o : {size_t{0}, size_t{3}, size_t{8}}) {
        std::fill(dst.begin(), dst.end(), 0xEE);
        want = dst;
        std::memcpy(want.data() + d_o, src.data() + so, len);
        INFO("len " << len << " src offset " << so << " dst offset " << d_o);
        REQUIRE(checked_copy(dst.data() + d_o, src.data() + so, len));
        REQUIRE(dst == want);  // nothing outside [d_o, d_o + len) touched
      }
    }
  }
}

TEST_CASE("checked_copy: a fault part-way is a false return, not a crash", "[checked_copy]") {
  std::string error;
  REQUIRE(capvm::vm::install_fault_handlers(&error));
  std::vector<uint8_t> buf(8192, 0);
  // Lengths that end in each of the copy's loops: bytes, words, strings.
  // (No SECTIONs: Catch re-installs its own fault handler for every run of
  // a test case, and install_fault_handlers installs capvm's only once.)
  for (size_t len : {size_t{5}, size_t{24}, size_t{300}, size_t{5000}}) {
    INFO("len " << len);
    {
      // The source runs into an inaccessible page.
      TwoPages pages(PROT_NONE);
      const uint8_t* src = pages.base + pages.page - 3;  // 3 readable bytes
      std::fill(buf.begin(), buf.end(), 0);
      CHECK_FALSE(checked_copy(buf.data(), src, len));
      // Nothing past the source's 3 bytes can have been written.
      CHECK(std::all_of(buf.begin() + 3, buf.end(), [](uint8_t b) { return b == 0; }));
    }
    {
      // The destination runs into a read-only page.
      TwoPages pages(PROT_READ);
      std::vector<uint8_t> src(len, 0x11);
      CHECK_FALSE(checked_copy(pages.base + pages.page - 3, src.data(), len));
      CHECK(pages.base[pages.page] == 0x5A);  // the read-only page is unchanged
    }
  }
  // The thread goes on copying normally afterwards.
  uint64_t a = 0x0123456789ABCDEFull, b = 0;
  CHECK(checked_copy(&b, &a, sizeof a));
  CHECK(b == a);
}

namespace {
// checked_copy with a length the compiler sees as a constant, which takes
// the fixed-size routines (checked_copy.h).
template <size_t N>
bool copy_fixed(void* dst, const void* src) {
  return checked_copy(dst, src, N);
}
template <size_t N>
void check_fixed_size() {
  INFO("constant length " << N);
  // Equal to memcpy at every alignment, nothing around the copy touched.
  std::vector<uint8_t> src(64), dst(64), want(64);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 13 + 1);
  for (size_t so = 0; so < 8; ++so) {
    for (size_t d_o : {size_t{0}, size_t{1}, size_t{5}, size_t{8}}) {
      std::fill(dst.begin(), dst.end(), 0xEE);
      want = dst;
      std::memcpy(want.data() + d_o, src.data() + so, N);
      REQUIRE(copy_fixed<N>(dst.data() + d_o, src.data() + so));
      REQUIRE(dst == want);
    }
  }
  // Faults part-way, on either side, at every split of the N bytes.
  for (size_t readable = 0; readable < N; ++readable) {
    INFO(readable << " bytes before the bad page");
    {
      TwoPages pages(PROT_NONE);
      std::vector<uint8_t> out(N + 8, 0);
      CHECK_FALSE(copy_fixed<N>(out.data(), pages.base + pages.page - readable));
    }
    {
      TwoPages pages(PROT_READ);
      std::vector<uint8_t> in(N, 0x11);
      CHECK_FALSE(copy_fixed<N>(pages.base + pages.page - readable, in.data()));
      CHECK(pages.base[pages.page] == 0x5A);
    }
  }
}
}  // namespace

TEST_CASE("checked_copy: 4, 8 and 16 constant bytes copy exactly and recover faults",
          "[checked_copy]") {
  std::string error;
  REQUIRE(capvm::vm::install_fault_handlers(&error));
  check_fixed_size<4>();
  check_fixed_size<8>();
  check_fixed_size<16>();
  uint32_t a = 0xA5A5F00Du, b = 0;
  CHECK(copy_fixed<4>(&b, &a));
  CHECK(b == a);
}

TEST_CASE("checked_copy: the fixup claims only faults inside the copy", "[checked_copy]") {
  ucontext_t uc;
  std::memset(&uc, 0, sizeof uc);
#if defined(__x86_64__)
  // A pc in this test's own code: not the copy's.
  uc.uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(&recover_checked_fault);
  CHECK_FALSE(recover_checked_fault(&uc));
  CHECK(uc.uc_mcontext.gregs[REG_RIP] == reinterpret_cast<greg_t>(&recover_checked_fault));
  uc.uc_mcontext.gregs[REG_RIP] = 0;
  CHECK_FALSE(recover_checked_fault(&uc));
  CHECK(uc.uc_mcontext.gregs[REG_RIP] == 0);
#else
  CHECK_FALSE(recover_checked_fault(&uc));  // no copy is running on this thread
#endif
}
