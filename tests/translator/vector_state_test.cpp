// The x86-64 translator's two vector-state modes (translator/x86_64/
// translator.h, "Vector state"): which instructions need the full state, a
// thread that runs only SSE code staying in the light mode, and the switch to
// the full mode keeping every value the guest had, mid-block and across
// exits (1-instruction blocks exit to the dispatcher after each instruction).
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "tests/translator/diff_harness.h"
#include "translator/x86_64/insn_rewrite.h"
#include "vm/guest_memory.h"

namespace capvm::difftest {
namespace {

using Bytes = std::vector<uint8_t>;

// needs_full_vector_state of one instruction, decoded from executable guest
// memory as the translator decodes it.
bool needs_full(const Bytes& insn) {
  std::string error;
  static auto mem = vm::GuestMemory::create(uint64_t{1} << 24, &error);
  REQUIRE(mem);
  constexpr uint64_t kAt = 0x10000;
  static bool mapped = false;
  if (!mapped) {
    vm::GuestAddr at = kAt;
    REQUIRE(mem->map(&at, vm::kGuestPageSize, vm::kProtRead | vm::kProtExec, true) == abi::E_SUCCESS);
    mapped = true;
  }
  Bytes padded = insn;
  padded.resize(16, 0x90);
  REQUIRE(mem->poke(kAt, padded.data(), padded.size()) == abi::E_SUCCESS);
  x86_64::DecodedInsn d;
  REQUIRE(x86_64::fetch_and_decode(*mem, kAt, &d) == x86_64::FetchStatus::kOk);
  REQUIRE(d.insn.length == insn.size());
  return x86_64::needs_full_vector_state(d);
}

TEST_CASE("which instructions need the full vector state", "[vector-state]") {
  struct Row {
    const char* text;
    Bytes bytes;
    bool full;
  };
  const Row rows[] = {
      {"add rax, rbx", {0x48, 0x01, 0xD8}, false},
      {"addps xmm0, xmm1", {0x0F, 0x58, 0xC1}, false},
      {"paddd xmm0, xmm1", {0x66, 0x0F, 0xFE, 0xC1}, false},
      {"pshufb xmm0, xmm1", {0x66, 0x0F, 0x38, 0x00, 0xC1}, false},
      {"cvtsi2sd xmm0, rax", {0xF2, 0x48, 0x0F, 0x2A, 0xC0}, false},
      {"movaps xmm9, [rax]", {0x44, 0x0F, 0x28, 0x08}, false},
      {"ldmxcsr [rsp]", {0x0F, 0xAE, 0x14, 0x24}, false},
      {"stmxcsr [rsp]", {0x0F, 0xAE, 0x1C, 0x24}, false},
      {"prefetchw [rax]", {0x0F, 0x0D, 0x08}, false},
      {"vaddps xmm2, xmm0, xmm1 (VEX)", {0xC5, 0xF8, 0x58, 0xD1}, true},
      {"vzeroupper", {0xC5, 0xF8, 0x77}, true},
      {"vinsertf128 ymm0, ymm0, xmm1, 1", {0xC4, 0xE3, 0x7D, 0x18, 0xC1, 0x01}, true},
      {"vaddps zmm0, zmm1, zmm2 (EVEX)", {0x62, 0xF1, 0x74, 0x48, 0x58, 0xC2}, true},
      {"andn eax, ebx, ecx (VEX, integer)", {0xC4, 0xE2, 0x60, 0xF2, 0xC1}, true},
      {"fld1", {0xD9, 0xE8}, true},
      {"faddp st(1), st(0)", {0xDE, 0xC1}, true},
      {"fninit", {0xDB, 0xE3}, true},
      {"fnstcw [rsp]", {0xD9, 0x3C, 0x24}, true},
      {"fwait", {0x9B}, true},
      {"fnclex", {0xDB, 0xE2}, true},
      {"fnstsw ax", {0xDF, 0xE0}, true},
      {"fisttp dword [rdi] (SSE3)", {0xDB, 0x0F}, true},
      {"fcmovb st(0), st(1)", {0xDA, 0xC1}, true},
      {"fldcw [rsp]", {0xD9, 0x2C, 0x24}, true},
      {"frstor [rdi]", {0xDD, 0x27}, true},
      {"pmovmskb eax, mm1", {0x0F, 0xD7, 0xC1}, true},
      {"pextrw eax, mm1, 1", {0x0F, 0xC5, 0xC1, 0x01}, true},
      {"cvtps2pi mm0, xmm1", {0x0F, 0x2D, 0xC1}, true},
      {"pmovmskb eax, xmm1", {0x66, 0x0F, 0xD7, 0xC1}, false},
      {"ptest xmm0, xmm1 (SSE4.1)", {0x66, 0x0F, 0x38, 0x17, 0xC1}, false},
      {"paddb mm0, mm1", {0x0F, 0xFC, 0xC1}, true},
      {"emms", {0x0F, 0x77}, true},
      {"cvtpi2ps xmm0, mm1", {0x0F, 0x2A, 0xC1}, true},
      {"movq2dq xmm0, mm1", {0xF3, 0x0F, 0xD6, 0xC1}, true},
      {"fxsave [rdi]", {0x0F, 0xAE, 0x07}, true},
      {"xsave [rdi]", {0x0F, 0xAE, 0x27}, true},
      {"xrstor [rdi]", {0x0F, 0xAE, 0x2F}, true},
      {"xgetbv", {0x0F, 0x01, 0xD0}, true},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    CHECK(needs_full(r.bytes) == r.full);
  }
}

CapvmRunner& runner(unsigned block) {
  static CapvmRunner big(64), single(1);
  return block == 1 ? single : big;
}

Case make_case(Bytes code) {
  Case c = unit_case("vector-state", std::move(code), 7);
  c.init.gpr[7] = kDataAddr;  // rdi: a data address
  set_xmm_pattern(&c.init);
  return c;
}

const Bytes kPadddX0X1 = {0x66, 0x0F, 0xFE, 0xC1};          // paddd xmm0, xmm1
const Bytes kVpadddX2X0X1 = {0xC5, 0xF9, 0xFE, 0xD1};       // vpaddd xmm2, xmm0, xmm1
const Bytes kVinsertY0X1 = {0xC4, 0xE3, 0x7D, 0x18, 0xC1, 0x01};   // vinsertf128 ymm0, ymm0, xmm1, 1
const Bytes kVextractX2Y0 = {0xC4, 0xE3, 0x7D, 0x19, 0xC2, 0x01};  // vextractf128 xmm2, ymm0, 1
const Bytes kVextractX3Y4 = {0xC4, 0xE3, 0x7D, 0x19, 0xE3, 0x01};  // vextractf128 xmm3, ymm4, 1
const Bytes kFld1 = {0xD9, 0xE8};
const Bytes kFaddp = {0xDE, 0xC1};                          // faddp st(1), st(0)
const Bytes kFistpRdi = {0xDB, 0x1F};                       // fistp dword [rdi]

TEST_CASE("SSE-only code keeps the thread in the light mode", "[vector-state]") {
  for (unsigned block : {64u, 1u}) {
    INFO("block size " << block);
    const Case c = make_case(cat({kPadddX0X1, kPadddX0X1}));
    const RunResult r = runner(block).run(c);
    REQUIRE(r.ok);
    CHECK_FALSE(r.vector_full);
    CHECK(r.final_state.xmm[0][0] == 0x0000000500000005ull);  // 1 + 2 + 2
    CHECK(r.final_state.xmm[0][1] == 0x0000005000000050ull);
    for (unsigned i = 1; i < 16; ++i) CHECK(r.final_state.xmm[i][0] == c.init.xmm[i][0]);
  }
}

TEST_CASE("a VEX instruction mid-block switches to the full state, keeping XMM", "[vector-state]") {
  if (!host_has_avx()) SUCCEED("host without AVX: nothing to switch to");
  else
    for (unsigned block : {64u, 1u}) {
      INFO("block size " << block);
      const Case c = make_case(cat({kPadddX0X1, kVpadddX2X0X1}));
      const RunResult r = runner(block).run(c);
      REQUIRE(r.ok);
      CHECK(r.vector_full);
      CHECK(r.final_state.xmm[0][0] == 0x0000000300000003ull);  // light-mode result kept
      CHECK(r.final_state.xmm[2][0] == 0x0000000500000005ull);  // 3 + 2
      CHECK(r.final_state.xmm[2][1] == 0x0000005000000050ull);
      for (unsigned i = 3; i < 16; ++i) CHECK(r.final_state.xmm[i][1] == c.init.xmm[i][1]);
      CHECK(r.final_state.mxcsr == c.init.mxcsr);
    }
}

TEST_CASE("upper halves start zero and survive exits in the full state", "[vector-state]") {
  if (!host_has_avx()) SUCCEED("host without AVX");
  else
    for (unsigned block : {64u, 1u}) {
      INFO("block size " << block);
      // ymm4's upper half was never written: zero, whatever host code left in
      // the register. ymm0's upper half is written, then (1-instruction
      // blocks) the thread exits to C++ and comes back before reading it.
      const Case c = make_case(cat({kVextractX3Y4, kVinsertY0X1, kVextractX2Y0}));
      const RunResult r = runner(block).run(c);
      REQUIRE(r.ok);
      CHECK(r.vector_full);
      CHECK(r.final_state.xmm[3][0] == 0);
      CHECK(r.final_state.xmm[3][1] == 0);
      CHECK(r.final_state.xmm[2][0] == c.init.xmm[1][0]);
      CHECK(r.final_state.xmm[2][1] == c.init.xmm[1][1]);
      CHECK(r.final_state.xmm[0][0] == c.init.xmm[0][0]);
    }
}

TEST_CASE("x87 code switches to the full state and its stack survives exits", "[vector-state]") {
  for (unsigned block : {64u, 1u}) {
    INFO("block size " << block);
    const Case c = make_case(cat({kFld1, kFld1, kFaddp, kFistpRdi}));
    const RunResult r = runner(block).run(c);
    REQUIRE(r.ok);
    CHECK(r.vector_full);
    int32_t stored;
    std::memcpy(&stored, r.final_state.data.data(), 4);
    CHECK(stored == 2);
    for (unsigned i = 0; i < 16; ++i) CHECK(r.final_state.xmm[i][0] == c.init.xmm[i][0]);
  }
}

}  // namespace
}  // namespace capvm::difftest
