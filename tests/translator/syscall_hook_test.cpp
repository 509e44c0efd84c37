// Syscalls served in place (translator/x86_64/translator.h,
// TranslateOptions::syscall_hook): the block's `syscall` goes through the
// syscall stub to the hook and, when the hook serves it, resumes with the
// registers and flags the hook left in the context; every other guest
// register, the vector state (light and full), MXCSR and the direction flag
// survive host code that clobbers them; the hook itself runs with the host's
// MXCSR, x87 control word and a clear direction flag; a declined call leaves
// to the run loop as before, and an ending one with kThreadEnd.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "tests/translator/diff_harness.h"
#include "translator/x86_64/guest_context.h"

namespace capvm::difftest {
namespace {

using Bytes = std::vector<uint8_t>;

// What the test hook saw and does. The terminator (the runner's appended
// `syscall`, whose next pc is g_end) is always declined.
struct HookLog {
  unsigned calls = 0;
  unsigned served = 0;
  uint64_t rip_seen = 0;
  uint64_t rax_seen = 0;
  uint32_t mxcsr_seen = 0;
  uint16_t fpucw_seen = 0;
  bool df_seen = false;
};
HookLog g_log;
uint64_t g_end = 0;
enum class Mode { kServe, kDecline, kEnd } g_mode = Mode::kServe;

uint64_t test_hook() {
  x86_64::GuestContext& ctx = x86_64::this_thread_context();
  ++g_log.calls;
  g_log.rip_seen = ctx.rip;
  g_log.rax_seen = ctx.gpr[x86_64::kRax];
  asm volatile("stmxcsr %0" : "=m"(g_log.mxcsr_seen));
  asm volatile("fnstcw %0" : "=m"(g_log.fpucw_seen));
  g_log.df_seen = (__builtin_ia32_readeflags_u64() & kDF) != 0;
  if (ctx.rip == g_end || g_mode == Mode::kDecline) return 1;
  if (g_mode == Mode::kEnd) {
    ctx.exit_reason = static_cast<uint64_t>(x86_64::ExitReason::kThreadEnd);
    return 1;
  }
  // Host code may use every caller-saved register: clobber the vector
  // registers (upper halves too, where there are any) as a C++ handler's
  // memcpy would.
  asm volatile("pcmpeqd %%xmm0, %%xmm0\n\tpcmpeqd %%xmm5, %%xmm5\n\tpcmpeqd %%xmm15, %%xmm15" ::
                   : "xmm0", "xmm5", "xmm15");
  // Results as the dispatcher delivers them: rax, rdx, the carry flag.
  ctx.gpr[x86_64::kRax] = ctx.gpr[x86_64::kRax] * 6;
  ctx.gpr[x86_64::kRdx] = 5;
  ctx.rflags |= kCF;
  ++g_log.served;
  return 0;
}

CapvmRunner& runner(unsigned block) {
  static CapvmRunner big(64, true, test_hook), single(1, true, test_hook);
  return block == 1 ? single : big;
}

Case make_case(Bytes code) {
  Case c = unit_case("syscall-hook", std::move(code), 11);
  for (unsigned i = 0; i < 16; ++i)
    if (i != x86_64::kRsp) c.init.gpr[i] = 0x1111111111111111ull * (i + 1);
  c.init.gpr[x86_64::kRdi] = kDataAddr;
  set_xmm_pattern(&c.init);
  g_end = kCodeAddr + c.code.size() + 2;
  g_log = HookLog{};
  g_mode = Mode::kServe;
  return c;
}

const Bytes kMovEax7 = {0xB8, 0x07, 0x00, 0x00, 0x00};  // mov eax, 7
const Bytes kSyscall = {0x0F, 0x05};
const Bytes kSetcBl = {0x0F, 0x92, 0xC3};                 // setc bl
const Bytes kAddRaxRdx = {0x48, 0x01, 0xD0};              // add rax, rdx
const Bytes kStd = {0xFD};
const Bytes kCld = {0xFC};
const Bytes kLdmxcsrRdi = {0x0F, 0xAE, 0x17};             // ldmxcsr [rdi]
const Bytes kStmxcsrRdi8 = {0x0F, 0xAE, 0x5F, 0x08};      // stmxcsr [rdi + 8]
const Bytes kPushfq = {0x9C};
const Bytes kPopRsi = {0x5E};                             // pop rsi
const Bytes kVinsertY0X1 = {0xC4, 0xE3, 0x7D, 0x18, 0xC1, 0x01};   // vinsertf128 ymm0, ymm0, xmm1, 1
const Bytes kVextractX2Y0 = {0xC4, 0xE3, 0x7D, 0x19, 0xC2, 0x01};  // vextractf128 xmm2, ymm0, 1

TEST_CASE("a syscall served in place resumes with the hook's results", "[syscall-hook]") {
  for (unsigned block : {64u, 1u}) {
    INFO("block size " << block);
    const Case c = make_case(cat({kMovEax7, kSyscall, kSetcBl, kAddRaxRdx}));
    const RunResult r = runner(block).run(c);
    REQUIRE(r.ok);
    CHECK(g_log.calls == 2);  // the served call, then the declined terminator
    CHECK(g_log.served == 1);
    CHECK(r.final_state.gpr[x86_64::kRax] == 42 + 5);
    CHECK((r.final_state.gpr[x86_64::kRbx] & 0xFF) == 1);  // the hook's carry
    CHECK(r.final_state.rip == g_end);
    for (unsigned i : {1u, 5u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u})
      CHECK(r.final_state.gpr[i] == c.init.gpr[i]);
    CHECK(r.final_state.gpr[x86_64::kRsp] == c.init.gpr[x86_64::kRsp]);
    // The clobbered vector registers are the guest's again.
    for (unsigned i = 0; i < 16; ++i) {
      CHECK(r.final_state.xmm[i][0] == c.init.xmm[i][0]);
      CHECK(r.final_state.xmm[i][1] == c.init.xmm[i][1]);
    }
    CHECK_FALSE(r.vector_full);
  }
}

TEST_CASE("the hook runs in the host's floating-point environment; the guest's survives it",
          "[syscall-hook]") {
  uint32_t host_mxcsr;
  uint16_t host_fpucw;
  asm volatile("stmxcsr %0" : "=m"(host_mxcsr));
  asm volatile("fnstcw %0" : "=m"(host_fpucw));
  for (unsigned block : {64u, 1u}) {
    INFO("block size " << block);
    // MXCSR: round toward zero, every exception masked; then DF set, the
    // call, MXCSR and the flags read back.
    Case c = make_case(cat({kLdmxcsrRdi, kStd, kMovEax7, kSyscall, kStmxcsrRdi8, kPushfq, kPopRsi,
                            kCld}));
    const uint32_t guest_mxcsr = 0x7F80;
    std::memcpy(c.init.data.data(), &guest_mxcsr, 4);
    const RunResult r = runner(block).run(c);
    REQUIRE(r.ok);
    REQUIRE(g_log.served == 1);
    CHECK(g_log.mxcsr_seen == host_mxcsr);
    CHECK(g_log.fpucw_seen == host_fpucw);
    CHECK_FALSE(g_log.df_seen);
    uint32_t after;
    std::memcpy(&after, r.final_state.data.data() + 8, 4);
    CHECK(after == guest_mxcsr);
    CHECK((r.final_state.gpr[x86_64::kRsi] & kDF) != 0);  // DF as the guest left it
    CHECK((r.final_state.gpr[x86_64::kRsi] & kCF) != 0);  // and the hook's carry
  }
}

TEST_CASE("the full vector state survives a syscall served in place", "[syscall-hook]") {
  if (!host_has_avx()) {
    SUCCEED("host without AVX");
    return;
  }
  for (unsigned block : {64u, 1u}) {
    INFO("block size " << block);
    // ymm0's upper half gets xmm1, the call clobbers the host's ymm
    // registers, then the upper half is read back.
    const Case c = make_case(cat({kVinsertY0X1, kMovEax7, kSyscall, kVextractX2Y0}));
    const RunResult r = runner(block).run(c);
    REQUIRE(r.ok);
    CHECK(g_log.served == 1);
    CHECK(r.vector_full);
    CHECK(r.final_state.xmm[2][0] == c.init.xmm[1][0]);
    CHECK(r.final_state.xmm[2][1] == c.init.xmm[1][1]);
    CHECK(r.final_state.xmm[0][0] == c.init.xmm[0][0]);
    CHECK(r.final_state.xmm[15][1] == c.init.xmm[15][1]);
  }
}

TEST_CASE("a declined syscall leaves to the run loop; an ending one says so", "[syscall-hook]") {
  for (unsigned block : {64u, 1u}) {
    INFO("block size " << block);
    {
      // Declined: the exit the run loop sees is the usual kSyscall one, at
      // the pc after the call (the runner treats it as a stray syscall).
      Case c = make_case(cat({kMovEax7, kSyscall, kAddRaxRdx}));
      g_mode = Mode::kDecline;
      const RunResult r = runner(block).run(c);
      CHECK_FALSE(r.ok);
      CHECK(r.error.find("syscall exit with rip 0x0000000000100007") != std::string::npos);
      CHECK(g_log.calls == 1);
      CHECK(g_log.rip_seen == kCodeAddr + 7);
      CHECK(g_log.rax_seen == 7);
    }
    {
      Case c = make_case(cat({kMovEax7, kSyscall, kAddRaxRdx}));
      g_mode = Mode::kEnd;
      const RunResult r = runner(block).run(c);
      CHECK_FALSE(r.ok);
      CHECK(r.error.find("thread ended in a syscall served in place") != std::string::npos);
    }
  }
  g_mode = Mode::kServe;
}

}  // namespace
}  // namespace capvm::difftest
