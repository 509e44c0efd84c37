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

void run_all(unsigned max_block_insns) {
  UnicornRunner uc(UnicornRunner::Cpu::kMax);  // CASP/CAS are LSE
  CapvmRunner cap(max_block_insns);
  std::string err;
  REQUIRE(uc.ready(&err));
  REQUIRE(cap.ready(&err));
  std::mt19937_64 rng(0xD1EC7ED + max_block_insns);
  unsigned cases = 0;
  for (const Snippet& sn : snippets()) {
    for (int i = 0; i < 20; ++i) {
      const Case c = make(sn, rng);
      const Result a = uc.run(c);
      const Result b = cap.run(c);
      ++cases;
      INFO(describe(c, a, b, b.ok && a.ok ? compare(a.final_state, b.final_state) : ""));
      REQUIRE(a.ok);
      REQUIRE(b.ok);
      REQUIRE(compare(a.final_state, b.final_state).empty());
    }
  }
  std::printf("directed snippets (%u-instruction blocks): %u cases\n", max_block_insns, cases);
}

}  // namespace

TEST_CASE("directed snippets against Unicorn: exclusive pairs, DC ZVA, CAS hits", "[a64diff]") {
  run_all(1);
  run_all(64);
}
