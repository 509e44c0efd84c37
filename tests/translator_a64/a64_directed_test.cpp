// Directed differential tests against Unicorn for what one random
// instruction cannot reach: LDXP/STXP pairs that succeed (a single STXP
// always finds the monitor open), DC ZVA with DCZID_EL0, and stores after
// exclusive loads. Each snippet runs with random registers and data in both
// engines, with one-instruction and with large blocks.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "tests/translator_a64/a64_diff.h"
#include "translator/aarch64/a64_decoder.h"

using namespace capvm;
using namespace capvm::a64diff;

namespace {

constexpr uint32_t kClrex = 0xD503305F;

struct Snippet {
  const char* name;
  std::vector<uint32_t> code;  // x2 is pointed at a 16-aligned data address
};

// Assembled with llvm-mc -triple=aarch64 (the comments are the source).
const std::vector<Snippet>& snippets() {
  static const std::vector<Snippet> s = {
      {"ldxp/stxp x", {0xc87f0440, 0xc8231c46}},     // ldxp x0, x1, [x2]; stxp w3, x6, x7, [x2]
      {"ldaxp/stlxp x", {0xc87f8440, 0xc8239c46}},   // ldaxp x0, x1, [x2]; stlxp w3, x6, x7, [x2]
      {"ldxp/stxp w", {0x887f0440, 0x88231c46}},     // ldxp w0, w1, [x2]; stxp w3, w6, w7, [x2]
      {"ldaxp/stlxp w", {0x887f8440, 0x88239c46}},   // ldaxp w0, w1, [x2]; stlxp w3, w6, w7, [x2]
      // The pair stored back, then a second stxp with the monitor used up.
      {"ldxp/stxp x twice", {0xc87f0440, 0xc8230440, 0xc8251c46}},  // ldxp x0,x1,[x2]; stxp w3,x0,x1,[x2]; stxp w5,x6,x7,[x2]
      // Exclusive store to another address than the load's: fails.
      {"ldxp/stxp elsewhere", {0xc87f0440, 0x91004048, 0xc8231d06}},  // ldxp x0,x1,[x2]; add x8,x2,#16; stxp w3,x6,x7,[x8]
      // A single-register exclusive store after a pair load (size differs).
      {"ldxr after ldxp", {0x887f0440, 0xc8037c46}},  // ldxp w0,w1,[x2]; stxr w3,x6,[x2]
      {"ldxr/stxr x", {0xc85f7c40, 0xc8037c46}},      // ldxr x0,[x2]; stxr w3,x6,[x2]
      // DC ZVA at the address in x2 plus a random offset below 64 (x4),
      // and DCZID_EL0.
      {"dc zva", {0x8b040045, 0xd50b7425, 0xd53b00e9}},  // add x5,x2,x4; dc zva,x5; mrs x9,dczid_el0
      {"dc zva twice", {0xd50b7422, 0x91010045, 0xd50b7425}},  // dc zva,x2; add x5,x2,#64; dc zva,x5
      // Cache maintenance a JIT issues: no effect on registers or data.
      {"dc civac / ic ivau", {0xd50b7e22, 0xd50b7522, 0xd50b7b22}},  // dc civac,x2; ic ivau,x2; dc cvau,x2
      // CASP round trip: compare with what is there (loaded by ldp first).
      {"casp x hit", {0xa9401444, 0x48247c46}},   // ldp x4,x5,[x2]; casp x4,x5,x6,x7,[x2]
      {"casp w hit", {0x29401444, 0x08247c46}},   // ldp w4,w5,[x2]; casp w4,w5,w6,w7,[x2]
      {"cas x hit", {0xf9400044, 0xc8a47c46}},    // ldr x4,[x2]; cas x4,x6,[x2]
      {"casb hit", {0x39400044, 0x08a47c46}},     // ldrb w4,[x2]; casb w4,w6,[x2]
  };
  return s;
}

Case make(const Snippet& sn, std::mt19937_64& rng) {
  Case c;
  c.name = sn.name;
  c.code.push_back(kClrex);
  c.code.insert(c.code.end(), sn.code.begin(), sn.code.end());
  c.code_page.resize(kCodeSize);
  std::memcpy(c.code_page.data(), c.code.data(), 4 * c.code.size());
  const uint32_t svc = 0xD4000001;
  std::memcpy(c.code_page.data() + 4 * c.code.size(), &svc, 4);
  State& s = c.init;
  for (auto& x : s.x) x = rng();
  s.x[2] = kDataCenter + 16 * (rng() % 1024);
  s.x[4] = rng() % 64;
  s.sp = kDataCenter;
  for (auto& v : s.v)
    for (auto& b : v) b = static_cast<uint8_t>(rng());
  s.data.resize(kDataSize);
  for (auto& b : s.data) b = static_cast<uint8_t>(rng());
  return c;
}

// Runs c in both engines: both must finish, in the same state.
void expect_same(UnicornRunner& uc, CapvmRunner& cap, const Case& c) {
  const Result a = uc.run(c);
  const Result b = cap.run(c);
  INFO(describe(c, a, b, b.ok && a.ok ? compare(a.final_state, b.final_state) : ""));
  REQUIRE(a.ok);
  REQUIRE(b.ok);
  REQUIRE(compare(a.final_state, b.final_state).empty());
}

void run_all(unsigned max_block_insns, bool compact_exits = true) {
  UnicornRunner uc(UnicornRunner::Cpu::kMax);  // CASP/CAS are LSE
  CapvmRunner cap(max_block_insns, compact_exits);
  std::string err;
  REQUIRE(uc.ready(&err));
  REQUIRE(cap.ready(&err));
  std::mt19937_64 rng(0xD1EC7ED + max_block_insns);
  unsigned cases = 0;
  for (const Snippet& sn : snippets()) {
    for (int i = 0; i < 20; ++i) {
      expect_same(uc, cap, make(sn, rng));
      ++cases;
    }
  }
  std::printf("directed snippets (%u-instruction blocks%s): %u cases\n", max_block_insns,
              compact_exits ? "" : ", long exit stubs", cases);
}

}  // namespace

TEST_CASE("directed snippets against Unicorn: exclusive pairs, DC ZVA, CAS hits", "[a64diff]") {
  run_all(1);
  run_all(64);
  run_all(1, false);
  run_all(64, false);
}

// A loop over blocks, so that direct exits are linked and then taken, with
// compact and long exit stubs (the Unicorn runner stops at the snippet's
// length, so the result is checked against its closed form):
//   movz x1, #50
//   loop: add x0, x0, #3; cbz x4, skip; add x0, x0, #1
//   skip: subs x1, x1, #1; b.ne loop
TEST_CASE("a loop over blocks links and takes its exits, compact and long stubs", "[a64diff]") {
  const Snippet loop{"loop over blocks", {0xd2800641, 0x91000c00, 0xb4000044, 0x91000400, 0xf1000421, 0x54ffff81}};
  std::mt19937_64 rng(0x100B);
  for (bool compact : {true, false}) {
    for (unsigned max_block_insns : {1u, 2u, 64u}) {
      CapvmRunner cap(max_block_insns, compact);
      std::string err;
      REQUIRE(cap.ready(&err));
      for (uint64_t x4 : {uint64_t{0}, uint64_t{7}}) {
        Case c = make(loop, rng);
        c.init.x[4] = x4;
        const Result r = cap.run(c);
        INFO("compact " << compact << ", blocks of " << max_block_insns << ", x4 " << x4 << ": " << r.error);
        REQUIRE(r.ok);
        CHECK(r.final_state.x[0] == c.init.x[0] + 50 * (x4 == 0 ? 3 : 4));
        CHECK(r.final_state.x[1] == 0);
        CHECK(r.final_state.nzcv == 0x60000000u);  // Z and C: 1 - 1 without borrow
      }
    }
  }
}

// Registers a block writes before it reads them are not loaded by its
// prologue (reg_cache.cpp, written_first): an exit taken before the write
// must leave them as they were, and the block must compute with what it
// wrote. x4 decides whether the side exits (cbz, cbnz) are taken; the
// instructions after them write x0, x5-x15 first, through data-processing
// forms, loads, a pair load, a post-indexed load, and around a helper call
// (dc zva):
//   cbz x4, 1f; add x0, x1, #1; ldr x6, [x2]; ldp x7, x8, [x2, #16]
//   1: add x5, x0, x6; add x9, x7, x8; cbnz x4, 2f; orr w10, wzr, #7
//   mov x11, x3; 2: add x12, x10, x11; dc zva, x2; add x13, x1, #5
//   ldr x14, [x2], #8; add x15, x14, x13
// And a block that loops on itself, where every cached register counts as
// written at every exit, so all of them must be loaded: its first pass
// (x4 = 2: the block after the snippet's first instruction, clrex, does
// the first iteration) leaves before it writes x0:
//   loop: subs x4, x4, #1; b.eq 1f; add x0, x1, #1; b loop; 1:
TEST_CASE("registers written before they are read keep their values on earlier exits", "[a64diff]") {
  const Snippet straight{"written first", {0xb4000084, 0x91000420, 0xf9400046, 0xa9412047, 0x8b060005,
                                             0x8b0800e9, 0xb5000064, 0x32000bea, 0xaa0303eb, 0x8b0b014c,
                                             0xd50b7422, 0x9100142d, 0xf840844e, 0x8b0d01cf}};
  const Snippet loop{"written first in a loop", {0xf1000484, 0x54000060, 0x91000420, 0x17fffffd}};
  UnicornRunner uc(UnicornRunner::Cpu::kMax);
  std::string err;
  REQUIRE(uc.ready(&err));
  std::mt19937_64 rng(0x3717);
  for (unsigned max_block_insns : {1u, 3u, 64u}) {
    CapvmRunner cap(max_block_insns);
    REQUIRE(cap.ready(&err));
    for (uint64_t x4 : {uint64_t{1}, uint64_t{2}, uint64_t{3}}) {
      INFO("blocks of " << max_block_insns << ", x4 " << x4);
      for (int i = 0; i < 10; ++i) {
        Case c = make(straight, rng);
        c.init.x[4] = x4;
        expect_same(uc, cap, c);
      }
      // The loop against its closed form (the Unicorn runner stops after
      // as many instructions as the snippet has).
      Case c = make(loop, rng);
      c.init.x[4] = x4;
      const Result r = cap.run(c);
      INFO(r.error);
      REQUIRE(r.ok);
      CHECK(r.final_state.x[0] == (x4 == 1 ? c.init.x[0] : c.init.x[1] + 1));
      CHECK(r.final_state.x[4] == 0);
      for (unsigned k : {1u, 2u, 3u, 5u, 30u}) CHECK(r.final_state.x[k] == c.init.x[k]);
    }
  }
}

// A block whose NEON arithmetic may leave for its C++ fallback (a NaN
// lane: a cold path after the block, which stores the block's final set of
// written registers) loads every cached register, also those written
// before read: else the cold path would store x0 unloaded, and the side
// exit taken after it (x4 = 0) would leave that in the context.
//   fadd v0.4s, v1.4s, v2.4s; cbz x4, 1f; add x0, x1, #1; 1: add x5, x5, #1
TEST_CASE("a cold path before a side exit leaves registers written later intact", "[a64diff]") {
  const Snippet sn{"cold path, then a side exit", {0x4e22d420, 0xb4000044, 0x91000420, 0x910004a5}};
  UnicornRunner uc(UnicornRunner::Cpu::kMax);
  std::string err;
  REQUIRE(uc.ready(&err));
  std::mt19937_64 rng(0xC01D);
  for (unsigned max_block_insns : {1u, 64u}) {
    CapvmRunner cap(max_block_insns);
    REQUIRE(cap.ready(&err));
    for (uint64_t x4 : {uint64_t{0}, uint64_t{1}}) {
      for (int i = 0; i < 5; ++i) {
        Case c = make(sn, rng);
        c.init.x[4] = x4;
        const uint32_t nan = 0x7FC00000;
        std::memcpy(c.init.v[1] + 4 * (i % 4), &nan, 4);  // one NaN lane: the fallback
        INFO("blocks of " << max_block_insns << ", x4 " << x4);
        expect_same(uc, cap, c);
      }
    }
  }
}

// SP, X29 and X30 stay in host registers across blocks (translator_impl.h,
// "Pinned registers"), except in a loop that needs every cache register,
// which puts them in the context for its run and back before each exit and
// helper call. This loop names eight other registers, changes all three
// pinned ones, and calls a helper (dc zva) every iteration; its first
// iteration runs in the block that starts with the snippet's clrex, the
// others in the loop's own block (against the closed form: the Unicorn
// runner stops after as many instructions as the snippet has):
//   loop: add x0, x0, #1; add x1, x1, #2; add x9, x9, #3; add x3, x3, #4
//   add x5, x5, #5; add x6, x6, #6; add x7, x7, #7; dc zva, x2
//   sub sp, sp, #16; add x30, x30, #1; add x29, x30, x29
//   subs x4, x4, #1; b.ne loop
TEST_CASE("pinned registers survive loops that take their host registers", "[a64diff]") {
  const Snippet loop{"pinned in a loop", {0x91000400, 0x91000821, 0x91000d29, 0x91001063, 0x910014a5, 0x910018c6,
                                          0x91001ce7, 0xd50b7422, 0xd10043ff, 0x910007de, 0x8b1d03dd, 0xf1000484,
                                          0x54fffe81}};
  std::mt19937_64 rng(0x919);
  for (unsigned max_block_insns : {1u, 3u, 64u}) {
    CapvmRunner cap(max_block_insns);
    std::string err;
    REQUIRE(cap.ready(&err));
    for (uint64_t n : {uint64_t{1}, uint64_t{2}, uint64_t{5}}) {
      Case c = make(loop, rng);
      c.init.x[4] = n;
      const Result r = cap.run(c);
      INFO("blocks of " << max_block_insns << ", " << n << " iterations: " << r.error);
      REQUIRE(r.ok);
      const State& i = c.init;
      const State& f = r.final_state;
      CHECK(f.x[0] == i.x[0] + n);
      CHECK(f.x[1] == i.x[1] + 2 * n);
      CHECK(f.x[9] == i.x[9] + 3 * n);
      CHECK(f.x[3] == i.x[3] + 4 * n);
      CHECK(f.x[5] == i.x[5] + 5 * n);
      CHECK(f.x[6] == i.x[6] + 6 * n);
      CHECK(f.x[7] == i.x[7] + 7 * n);
      CHECK(f.x[4] == 0);
      CHECK(f.sp == i.sp - 16 * n);
      CHECK(f.x[30] == i.x[30] + n);
      CHECK(f.x[29] == i.x[29] + n * i.x[30] + n * (n + 1) / 2);
      for (unsigned k : {2u, 8u, 10u, 19u, 28u}) CHECK(f.x[k] == i.x[k]);
    }
  }
}

namespace {

// FP special values in every lane combination the instructions below see:
// signalling and quiet NaNs, infinities, zeros, denormals, extremes.
Case special_case(uint32_t insn, unsigned k) {
  static const uint64_t kD[] = {0x7FF4000000000000, 0x7FF8000000000000, 0x7FF0000000000000,
                                0xFFF0000000000000, 0x0000000000000000, 0x8000000000000000,
                                0x0000000000000001, 0x3FF0000000000000, 0x7FEFFFFFFFFFFFFF,
                                0xBFF8000000000000, 0x4330000000000001, 0x3FE0000000000000};
  static const uint32_t kS[] = {0x7FA00000, 0x7FC00000, 0x7F800000, 0xFF800000, 0x00000000, 0x80000000,
                                0x00000001, 0x3F800000, 0x7F7FFFFF, 0xBFC00000, 0x4B000001, 0x3F000000};
  constexpr unsigned n = sizeof kD / sizeof kD[0];
  Case c;
  c.name = "special values";
  c.code = {kClrex, insn};
  c.code_page.resize(kCodeSize);
  std::memcpy(c.code_page.data(), c.code.data(), 4 * c.code.size());
  const uint32_t svc = 0xD4000001;
  std::memcpy(c.code_page.data() + 4 * c.code.size(), &svc, 4);
  State& s = c.init;
  for (unsigned i = 0; i < 31; ++i) s.x[i] = 0;
  s.sp = kDataCenter;
  for (unsigned r = 0; r < 32; ++r) {
    const unsigned a = (r * 5 + k) % n, b = (r * 7 + k / n) % n;
    if (k % 2) {  // double lanes
      std::memcpy(s.v[r], &kD[a], 8);
      std::memcpy(s.v[r] + 8, &kD[b], 8);
    } else {      // float lanes
      for (unsigned l = 0; l < 4; ++l) std::memcpy(s.v[r] + 4 * l, &kS[(l % 2 ? b : a + l) % n], 4);
    }
  }
  s.data.assign(kDataSize, 0);
  return c;
}

}  // namespace

TEST_CASE("FP instructions on special values against Unicorn, FPSR included", "[a64directed]") {
  // Assembled with llvm-mc -triple=aarch64.
  const uint32_t insns[] = {
      0x1e797b99,  // fminnm d25, d28, d25
      0x1e797b99 & ~(1u << 22),  // fminnm s25, s28, s25
      0x4e619b2d,  // frintm v13.2d, v25.2d
      0x4fd9509e,  // fmls v30.2d, v4.2d, v25.d[0]
      0x1e6e0aa4,  // fmul d4, d21, d14
      0x4e60cf39,  // fmla v25.2d, v25.2d, v0.2d
      0x1e2303b3,  // ucvtf s19, w29
      0x4e20d400,  // fadd v0.4s, v0.4s, v0.4s
      0x4e61d441,  // fadd v1.2d, v2.2d, v1.2d
      0x6e21fc20,  // fdiv v0.4s, v1.4s, v1.4s
      0x4ea1f420,  // fmax v0.4s, v1.4s, v1.4s
      0x4ee2c420,  // fmaxnm v0.2d, v1.2d, v2.2d
      0x1e622030,  // fcmpe d1, d2
      0x1e622020,  // fcmp d1, d2
      0x4ea1b820,  // fcvtzs v0.4s, v1.4s
      0x6ee1b820,  // fcvtzu v0.2d, v1.2d
      0x1e780020,  // fcvtzs w0, d1
      0x1e790020,  // fcvtzu w0, d1
      0x1e264020,  // frinta s0, s1
      0x4e618820,  // frintn v0.2d, v1.2d
      0x1e61c020,  // fsqrt d0, d1
      0x1e624020,  // fcvt s0, d1 (fcvt d->s)
  };
  UnicornRunner uc(UnicornRunner::Cpu::kMax);
  CapvmRunner cap(1);
  std::string err;
  REQUIRE(uc.ready(&err));
  REQUIRE(cap.ready(&err));
  const aarch64::Decoder& dec = aarch64::Decoder::get();
  unsigned cases = 0;
  for (uint32_t insn : insns) {
    aarch64::Insn in;
    INFO(std::hex << insn);
    REQUIRE(dec.decode(insn, 0, &in) == aarch64::DecodeStatus::kOk);
    for (unsigned k = 0; k < 2 * 144; ++k) {
      expect_same(uc, cap, special_case(insn, k));
      ++cases;
    }
  }
  std::printf("FP special values: %u cases\n", cases);
}
