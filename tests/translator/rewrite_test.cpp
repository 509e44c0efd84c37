// Unit tests of memory-operand confinement: effective addresses are
// truncated to 32 bits inside the sandbox, 64-bit address arithmetic wraps
// before truncation, and a fault in translated code maps back to the guest
// instruction that caused it.
#include <catch2/catch.hpp>

#include <cstring>

#include "tests/translator/diff_harness.h"

namespace capvm::difftest {
namespace {

Case make_case(std::vector<uint8_t> code) { return unit_case("unit", std::move(code), 42); }

uint64_t data_qword(const Case& c, uint64_t addr) {
  uint64_t v;
  std::memcpy(&v, c.init.data.data() + (addr - kDataAddr), 8);
  return v;
}

CapvmRunner& runner(unsigned block) {
  static CapvmRunner big(64), single(1);
  return block == 1 ? single : big;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(v));
  return b;
}

// mov rax, [rbx]
const std::vector<uint8_t> kLoadRbx = {0x48, 0x8B, 0x03};
// mov rax, [rbx + rcx*1 + 0x10]
const std::vector<uint8_t> kLoadRbxRcx = {0x48, 0x8B, 0x44, 0x0B, 0x10};

TEST_CASE("an effective address is truncated to 32 bits", "[rewrite]") {
  for (unsigned block : {64u, 1u}) {
    Case c = make_case(kLoadRbx);
    c.init.gpr[3] = 0xFFFFFFFF00000000ull + kDataAddr + 0x40;  // high half ignored
    const RunResult r = runner(block).run(c);
    REQUIRE(r.ok);
    CHECK(r.final_state.gpr[0] == data_qword(c, kDataAddr + 0x40));
  }
}

TEST_CASE("EA 0xFFFFFFFFFFFFFFF0 reaches guest 0xFFFFFFF0, not below the sandbox", "[rewrite]") {
  for (unsigned block : {64u, 1u}) {
    Case c = make_case(kLoadRbx);
    c.init.gpr[3] = 0xFFFFFFFFFFFFFFF0ull;
    const RunResult r = runner(block).run(c);
    // The 1 GiB sandbox ends well below 0xFFFFFFF0: the access hits the
    // guard at exactly base + 0xFFFFFFF0 and faults there.
    REQUIRE_FALSE(r.ok);
    INFO(r.error);
    CHECK(r.error.find("guest " + hex(0xFFFFFFF0)) != std::string::npos);
    CHECK(r.error.find("at guest pc " + hex(kCodeAddr)) != std::string::npos);
  }
}

TEST_CASE("64-bit base plus index wraps, then stays inside", "[rewrite]") {
  for (unsigned block : {64u, 1u}) {
    Case c = make_case(kLoadRbxRcx);
    c.init.gpr[3] = 0x8000000000000000ull;
    c.init.gpr[1] = 0x8000000000000000ull + kDataAddr + 0x100 - 0x10;  // sum wraps to data
    RunResult r = runner(block).run(c);
    REQUIRE(r.ok);
    CHECK(r.final_state.gpr[0] == data_qword(c, kDataAddr + 0x100));
    // A sum past 4 GiB without 64-bit wrap is truncated: same page.
    c.init.gpr[3] = 0x100000000ull;
    c.init.gpr[1] = kDataAddr + 0x200 - 0x10;
    r = runner(block).run(c);
    REQUIRE(r.ok);
    CHECK(r.final_state.gpr[0] == data_qword(c, kDataAddr + 0x200));
  }
}

TEST_CASE("a store into the sandbox never touches anything past 4 GiB", "[rewrite]") {
  for (unsigned block : {64u, 1u}) {
    // mov [rbx], rcx with rbx = 0x1_0020_0008: lands at guest 0x200008.
    Case c = make_case({0x48, 0x89, 0x0B});
    c.init.gpr[3] = 0x100000000ull + kDataAddr + 8;
    c.init.gpr[1] = 0x1122334455667788ull;
    const RunResult r = runner(block).run(c);
    REQUIRE(r.ok);
    uint64_t v;
    std::memcpy(&v, r.final_state.data.data() + 8, 8);
    CHECK(v == 0x1122334455667788ull);
  }
}

TEST_CASE("an access to an unmapped page faults at the right guest pc", "[rewrite]") {
  // nop; add rcx, 1; mov rax, [rbx+8]; add rax, 1
  const std::vector<uint8_t> code = {0x90, 0x48, 0x83, 0xC1, 0x01, 0x48, 0x8B, 0x43,
                                     0x08, 0x48, 0x83, 0xC0, 0x01};
  for (unsigned block : {64u, 1u}) {
    Case c = make_case(code);
    c.init.gpr[3] = kUnmappedAddr;
    const RunResult r = runner(block).run(c);
    REQUIRE_FALSE(r.ok);
    INFO(r.error);
    CHECK(r.error.find("SIGSEGV") != std::string::npos);
    CHECK(r.error.find("at guest pc " + hex(kCodeAddr + 5)) != std::string::npos);
    CHECK(r.error.find("guest " + hex(kUnmappedAddr + 8)) != std::string::npos);
  }
}

TEST_CASE("a store to the read-only code page faults", "[rewrite]") {
  // mov [rbx], eax with rbx in the code page (R+X).
  for (unsigned block : {64u, 1u}) {
    Case c = make_case({0x90, 0x89, 0x03});
    c.init.gpr[3] = kCodeAddr + 0x800;
    const RunResult r = runner(block).run(c);
    REQUIRE_FALSE(r.ok);
    INFO(r.error);
    CHECK(r.error.find("at guest pc " + hex(kCodeAddr + 1)) != std::string::npos);
  }
}

TEST_CASE("a push below the stack mapping faults at the push", "[rewrite]") {
  for (unsigned block : {64u, 1u}) {
    Case c = make_case({0x90, 0x53});  // nop; push rbx
    c.init.gpr[4] = kStackAddr;         // next push writes below the mapping
    const RunResult r = runner(block).run(c);
    REQUIRE_FALSE(r.ok);
    INFO(r.error);
    CHECK(r.error.find("at guest pc " + hex(kCodeAddr + 1)) != std::string::npos);
  }
}

TEST_CASE("fs-relative loads add the guest fs base, confined", "[rewrite]") {
  for (unsigned block : {64u, 1u}) {
    // mov rax, fs:[0x10]; mov rdx, fs:[rbx+0x8]
    Case c = make_case({0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00,
                        0x64, 0x48, 0x8B, 0x53, 0x08});
    c.init.gpr[3] = 0xFFFFFFFF00000020ull;  // + fs base + 8, truncated
    const RunResult r = runner(block).run(c);
    REQUIRE(r.ok);
    CHECK(r.final_state.gpr[0] == data_qword(c, kFsBase + 0x10));
    CHECK(r.final_state.gpr[2] == data_qword(c, kFsBase + 0x28));
  }
}

}  // namespace
}  // namespace capvm::difftest

namespace capvm::difftest {
namespace {

// Regression tests for translator bugs the differential tests found.
// A value popped into rsp is kept canonical: with a non-canonical rsp the
// host kernel's return to user mode after any interrupt faults (natively
// too), so such a case would test timing, not the translation.
TEST_CASE("regression: pop rsp in its own block", "[rewrite][regression]") {
  for (unsigned block : {64u, 1u}) {
    INFO("max_block_insns " << block);
    Case c = make_case({0x5C});  // pop rsp
    for (uint64_t v : {kStackAddr + 0x800, uint64_t{0x7badf00d8badf00d}}) {
      std::memcpy(c.init.stack.data() + 0x1000, &v, 8);
      const RunResult r = runner(block).run(c);
      INFO(r.error);
      REQUIRE(r.ok);
      CHECK(r.final_state.gpr[4] == v);
    }
  }
}

TEST_CASE("regression: push [rsp+8] then pop rsp", "[rewrite][regression]") {
  for (unsigned block : {64u, 1u}) {
    INFO("max_block_insns " << block);
    Case c = make_case({0x90, 0xFF, 0x74, 0x24, 0x08, 0x5C});  // nop; push [rsp+8]; pop rsp
    uint64_t v = 0x7badf00d8badf00dull;
    std::memcpy(c.init.stack.data() + 0x1008, &v, 8);
    const RunResult r = runner(block).run(c);
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(r.final_state.gpr[4] == v);
  }
}

TEST_CASE("regression: lea r16, [rip+disp]", "[rewrite][regression]") {
  for (unsigned block : {64u, 1u}) {
    Case c = make_case({0x66, 0x8D, 0x05, 0x10, 0x00, 0x00, 0x00});  // lea ax, [rip+0x10]
    c.init.gpr[0] = 0x1111111111111111ull;
    const RunResult r = runner(block).run(c);
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(r.final_state.gpr[0] == ((0x1111111111111111ull & ~0xFFFFull) | ((kCodeAddr + 7 + 0x10) & 0xFFFF)));
  }
}

}  // namespace
}  // namespace capvm::difftest
