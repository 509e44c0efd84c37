// The aarch64 translator's API and exits: svc, brk, an instruction outside
// the table (SIGILL with pc and encoding), misaligned and non-executable
// pcs, system registers, an exclusive pair, fault pc mapping, invalidation.
#include <catch2/catch.hpp>

#include <csetjmp>
#include <csignal>
#include <cstring>
#include <limits>

#include "translator/aarch64/translator_impl.h"
#include "vm/signals.h"

using namespace capvm;
using namespace capvm::aarch64;

namespace {

constexpr uint64_t kCode = 0x100000, kData = 0x200000;

// capvm's SIGSEGV handler, captured before Catch2 installs its own.
struct sigaction g_capvm_segv;
const bool g_installed = [] {
  std::string err;
  const bool ok = vm::install_fault_handlers(&err);
  sigaction(SIGSEGV, nullptr, &g_capvm_segv);
  return ok;
}();

struct Fixture {
  std::unique_ptr<vm::GuestMemory> mem;
  std::unique_ptr<Translator> tr;
  Fixture() {
    std::string err;
    mem = vm::GuestMemory::create(uint64_t{1} << 30, &err);
    REQUIRE(mem);
    uint64_t a = kCode;
    REQUIRE(mem->map(&a, 0x1000, vm::kProtRead | vm::kProtExec, true) == abi::E_SUCCESS);
    a = kData;
    REQUIRE(mem->map(&a, 0x1000, vm::kProtRead | vm::kProtWrite, true) == abi::E_SUCCESS);
    tr = std::make_unique<Translator>(*mem, TranslateOptions{});
    REQUIRE(tr->prepare_thread(&err));
  }
  void code(std::initializer_list<uint32_t> words) { code(std::vector<uint32_t>(words)); }
  void code(const std::vector<uint32_t>& w) {
    mem->poke(kCode, w.data(), 4 * w.size());
    tr->invalidate(kCode, 0x1000);
  }
  // Runs from kCode until an exit other than a branch inside the snippet.
  ExitReason run() {
    A64Context& ctx = this_thread_context();
    ctx.pc = kCode;
    for (;;) {
      const LookupResult lr = tr->lookup(ctx.pc);
      REQUIRE(lr.block != nullptr);
      const ExitReason r = tr->run(lr.block);
      if (r != ExitReason::kBranch && r != ExitReason::kIndirectMiss) return r;
      if (ctx.pc < kCode || ctx.pc >= kCode + 0x1000) return r;
    }
  }
};

}  // namespace

TEST_CASE("svc exits with the next pc and brk traps at its pc", "[a64api]") {
  Fixture f;
  A64Context& ctx = this_thread_context();
  f.code({0xD2800BA8 /* mov x8, #93 */, 0xD4000001 /* svc #0 */});
  CHECK(f.run() == ExitReason::kSyscall);
  CHECK(ctx.pc == kCode + 8);
  CHECK(ctx.x[8] == 93);
  f.code({0xD4200020 /* brk #1 */});
  CHECK(f.run() == ExitReason::kTrap);
  CHECK(ctx.pc == kCode);
}

TEST_CASE("an instruction outside the table is SIGILL with pc and encoding", "[a64api]") {
  Fixture f;
  A64Context& ctx = this_thread_context();
  // nop; then sqdmulh v0.4s, v1.4s, v2.4s (valid AdvSIMD, not in the
  // table); then udf.
  f.code({0xD503201F, 0x4EA2B420});
  CHECK(f.run() == ExitReason::kIllegal);
  CHECK(ctx.pc == kCode + 4);
  CHECK(ctx.illegal_encoding == 0x4EA2B420);
  f.code({0x00000000});  // udf #0
  CHECK(f.run() == ExitReason::kIllegal);
  CHECK(ctx.illegal_encoding == 0);
}

TEST_CASE("lookup refuses misaligned and non-executable pcs", "[a64api]") {
  Fixture f;
  CHECK(f.tr->lookup(kCode + 2).host_signal == SIGBUS);
  CHECK(f.tr->lookup(kData).host_signal == SIGSEGV);
  CHECK(f.tr->lookup(0x5000000).host_signal == SIGSEGV);
}

TEST_CASE("tpidr_el0, nzcv, cntfrq through mrs/msr", "[a64api]") {
  Fixture f;
  A64Context& ctx = this_thread_context();
  ctx.x[1] = 0x1234;
  ctx.x[3] = 0x60000000;  // Z and C
  // msr tpidr_el0, x1; mrs x2, tpidr_el0; msr nzcv, x3; mrs x4, nzcv;
  // csinc x5, xzr, xzr, ne (x5 = 0 when Z); mrs x6, cntfrq_el0; mrs x7, cntvct_el0; svc
  f.code({0xD51BD041, 0xD53BD042, 0xD51B4203, 0xD53B4204, 0x9A9F17E5, 0xD53BE006, 0xD53BE047, 0xD4000001});
  REQUIRE(f.run() == ExitReason::kSyscall);
  CHECK(ctx.tpidr_el0 == 0x1234);
  CHECK(ctx.x[2] == 0x1234);
  CHECK(ctx.x[4] == 0x60000000);
  CHECK(nzcv(ctx) == 0x60000000u);
  CHECK(ctx.x[5] == 1);  // ne is false: Z set -> xzr + 1
  CHECK(ctx.x[6] == 1000000000);
  CHECK(ctx.x[7] != 0);
}

TEST_CASE("ldxr/stxr succeed as a pair and fail without a reservation", "[a64api]") {
  Fixture f;
  A64Context& ctx = this_thread_context();
  ctx.x[1] = kData;
  ctx.x[3] = 77;
  uint64_t zero = 0;
  f.mem->write(kData, &zero, 8);
  // ldxr x0, [x1]; stxr w2, x3, [x1]; stxr w4, x3, [x1]; svc
  f.code({0xC85F7C20, 0xC8027C23, 0xC8047C23, 0xD4000001});
  ctx.monitor_size = 0;
  REQUIRE(f.run() == ExitReason::kSyscall);
  uint64_t v = 0;
  f.mem->read(kData, &v, 8);
  CHECK(ctx.x[2] == 0);  // first store-exclusive succeeds
  CHECK(ctx.x[4] == 1);  // the reservation is used up
  CHECK(v == 77);
}

TEST_CASE("a faulting load maps back to its guest pc and invalidate retranslates", "[a64api]") {
  Fixture f;
  A64Context& ctx = this_thread_context();
  ctx.x[1] = 0x800000;  // unmapped
  f.code({0xD503201F, 0xF9400020 /* ldr x0, [x1] */, 0xD4000001});
  std::string err;
  REQUIRE(g_installed);
  REQUIRE(vm::install_thread_altstack(&err));
  const LookupResult lr = f.tr->lookup(kCode);
  REQUIRE(lr.block);
  // Catch2 replaces fatal-signal handlers per test case: capvm's for the run.
  struct sigaction catch_segv;
  sigaction(SIGSEGV, &g_capvm_segv, &catch_segv);
  vm::HostFault fault;
  sigjmp_buf jb;
  volatile bool faulted = false;  // set after a siglongjmp
  if (sigsetjmp(jb, 0) == 0) {
    vm::arm_guest_fault_jump(&jb, &fault);
    f.tr->run(lr.block);
  } else {
    faulted = true;
  }
  vm::disarm_guest_fault_jump();
  sigaction(SIGSEGV, &catch_segv, nullptr);
  REQUIRE(faulted);
  uint64_t gpc = 0;
  REQUIRE(f.tr->guest_pc_for_host(fault.host_pc, &gpc));
  CHECK(gpc == kCode + 4);
  // New code at the same address runs after invalidate.
  ctx.x[0] = 0;
  f.code({0xD2800540 /* mov x0, #42 */, 0xD4000001});
  CHECK(f.run() == ExitReason::kSyscall);
  CHECK(ctx.x[0] == 42);
}

TEST_CASE("a block that skipped saving flags its successor overwrote is retranslated with it", "[a64api]") {
  // Block A (cmp x0, #5; b B) leaves NZCV in host flags only when B starts
  // by overwriting them. Rewriting B into a flag reader and invalidating
  // just B must invalidate A too, or B would read stale flags.
  Fixture f;
  A64Context& ctx = this_thread_context();
  f.code({0xF100141F /* cmp x0, #5 */, 0x14000007 /* b +0x1c */});
  const uint32_t b1[] = {0xEB01003F /* cmp x1, x1 */, 0xD4200020 /* brk #1 */};
  f.mem->poke(kCode + 0x20, b1, sizeof b1);
  f.tr->invalidate(kCode + 0x20, sizeof b1);
  ctx.x[0] = 5;
  ctx.x[1] = 7;
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(nzcv(ctx) == 0x60000000u);  // Z and C from cmp x1, x1
  const uint32_t b2[] = {0x9A9F17E2 /* cset x2, eq */, 0xD4200020 /* brk #1 */};
  f.mem->poke(kCode + 0x20, b2, sizeof b2);
  f.tr->invalidate(kCode + 0x20, sizeof b2);
  ctx.x[2] = 99;
  set_nzcv(ctx, 0);  // Z clear: what a stale context would give
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.x[2] == 1);  // eq, from cmp x0, #5
}

TEST_CASE("flags reach the target of a side exit inside a superblock", "[a64api]") {
  // Conditional branches do not end a block. The fall-through overwrites
  // the flags, the taken target reads them: they must be in the context
  // when the side exit leaves, whether the compare was deferred to the
  // branch (b.ne) or the branch does not read flags at all (cbz).
  Fixture f;
  A64Context& ctx = this_thread_context();
  f.code({0xF100141F /* cmp x0, #5 */, 0x54000061 /* b.ne +0xc */, 0xEB01003F /* cmp x1, x1 */,
          0xD4200020 /* brk #1 */, 0x9A9F07E2 /* cset x2, ne */, 0xD4200020 /* brk #1 */});
  ctx.x[0] = 7;
  ctx.x[1] = 3;
  ctx.x[2] = 99;
  set_nzcv(ctx, 0x40000000u);  // Z set: what a stale context would give
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.pc == kCode + 0x14);
  CHECK(ctx.x[2] == 1);

  f.code({0xF100141F /* cmp x0, #5 */, 0xB4000061 /* cbz x1, +0xc */, 0xEB01003F /* cmp x1, x1 */,
          0xD4200020 /* brk #1 */, 0x9A9F07E2 /* cset x2, ne */, 0xD4200020 /* brk #1 */});
  ctx.x[0] = 7;
  ctx.x[1] = 0;
  ctx.x[2] = 99;
  set_nzcv(ctx, 0x40000000u);
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.pc == kCode + 0x14);
  CHECK(ctx.x[2] == 1);
}

TEST_CASE("a block that loops on itself keeps registers written after a helper call", "[a64api]") {
  // sub x2, x2, #1; movi v0.8b, #77 (a C++ helper); add x1, x1, #1;
  // cbnz x2, start; brk. The cbnz re-enters the block past its prologue:
  // x1, written after the helper call in the previous iteration, must be
  // stored before the next call (which reloads every cached register).
  Fixture f;
  A64Context& ctx = this_thread_context();
  f.code({0xD1000442, 0x0F02E5A0, 0x91000421, 0xB5FFFFA2, 0xD4200020});
  ctx.x[1] = 0;
  ctx.x[2] = 10;
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.x[1] == 10);
  CHECK(ctx.x[2] == 0);
}

TEST_CASE("flags a reader needs only Z or N of come from testing the result", "[a64api]") {
  // adds x0, x0, #1; fadd d1, d1, d2 (host code that changes the host
  // flags); add x3, x3, #2; b.ne start; cmp x3, x3; brk. The b.ne is the
  // adds' only reader and the flags are dead after it: the adds captures
  // nothing and the b.ne tests x0.
  Fixture f;
  A64Context& ctx = this_thread_context();
  f.code({0xB1000400, 0x1E622821, 0x91000863, 0x54FFFFA1, 0xEB03007F, 0xD4200020});
  ctx.x[0] = static_cast<uint64_t>(-3);
  ctx.x[3] = 0;
  const double one = 1.0, half = 0.5;
  std::memcpy(ctx.v[1], &one, 8);
  std::memcpy(ctx.v[2], &half, 8);
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.x[0] == 0);
  CHECK(ctx.x[3] == 6);
  double d1 = 0;
  std::memcpy(&d1, ctx.v[1], 8);
  CHECK(d1 == 2.5);

  // subs w0, w0, #1; add x3, x3, #1; b.pl start; cmp x3, x3; brk: N of a
  // W result (bit 31), three iterations from 2 down to -1.
  f.code({0x71000400, 0x91000463, 0x54FFFFC5, 0xEB03007F, 0xD4200020});
  ctx.x[0] = 2;
  ctx.x[3] = 0;
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.x[0] == 0xFFFFFFFFu);
  CHECK(ctx.x[3] == 3);
}

TEST_CASE("a compare deferred to its reader sets the host flags even when it is not saved", "[a64api]") {
  // cmp x1, #5; add x3, x3, #1; b.eq +0x10; cmp x3, x3; mov x4, #1; brk;
  // cmp x3, x3; mov x4, #2; brk. The flags are dead after the b.eq on both
  // paths, so the deferred cmp is emitted right before the jcc and never
  // stored; it must still be emitted.
  Fixture f;
  A64Context& ctx = this_thread_context();
  const std::vector<uint32_t> code = {0xF100143F, 0x91000463, 0x54000080, 0xEB03007F, 0xD2800024,
                                      0xD4200020, 0xEB03007F, 0xD2800044, 0xD4200020};
  for (uint64_t x1 : {uint64_t{5}, uint64_t{6}}) {
    f.code(code);
    ctx.x[1] = x1;
    ctx.x[3] = 0;
    ctx.x[4] = 0;
    set_nzcv(ctx, x1 == 5 ? 0 : 0x40000000u);  // a stale Z that would mislead
    REQUIRE(f.run() == ExitReason::kTrap);
    CHECK(ctx.x[4] == (x1 == 5 ? 2u : 1u));
    CHECK(ctx.x[3] == 1);
  }
}

TEST_CASE("exclusives and CASP at a misaligned address leave with an alignment fault at their pc", "[a64api]") {
  // ldxr x0, [x1]; brk  /  casp x2, x3, x4, x5, [x1]; brk  /  stxr w6, x0, [x1]; brk.
  // Aligned, each runs to the brk; misaligned, each stops at itself (the
  // dispatcher turns kAlignment into SIGBUS) with nothing written.
  Fixture f;
  A64Context& ctx = this_thread_context();
  const uint64_t pattern = 0x1122334455667788ull;
  for (uint32_t insn : {0xC85F7C20u, 0x48227C24u, 0xC8067C20u}) {
    for (uint64_t addr : {kData + 16, kData + 4, kData + 8, kData + 1}) {
      INFO(std::hex << insn << " at " << addr);
      f.mem->write(kData, &pattern, 8);
      f.mem->write(kData + 8, &pattern, 8);
      f.mem->write(kData + 16, &pattern, 8);
      f.mem->write(kData + 24, &pattern, 8);
      f.code({insn, 0xD4200020});
      ctx.x[1] = addr;
      ctx.x[0] = ctx.x[2] = ctx.x[3] = 7;
      ctx.x[4] = ctx.x[5] = 9;
      ctx.x[6] = 5;
      ctx.monitor_size = 0;
      const bool x_pair = insn == 0x48227C24u;  // 16-byte pair
      const bool aligned = x_pair ? addr % 16 == 0 : addr % 8 == 0;
      const ExitReason r = f.run();
      if (aligned) {
        CHECK(r == ExitReason::kTrap);
        CHECK(ctx.pc == kCode + 4);
      } else {
        CHECK(r == ExitReason::kAlignment);
        CHECK(ctx.pc == kCode);
        CHECK(ctx.x[0] == 7);  // ldxr read nothing
        CHECK(ctx.x[6] == 5);  // stxr wrote no status
        uint8_t after[32];
        f.mem->read(kData, after, sizeof after);
        for (unsigned i = 0; i < 32; i += 8) CHECK(std::memcmp(after + i, &pattern, 8) == 0);
      }
    }
  }
}

TEST_CASE("acquire/release and LSE atomics at a misaligned address leave with an alignment fault at their pc",
          "[a64api]") {
  // Each followed by brk. As on ARMv8.0/8.1 without LSE2 (arm64 Linux:
  // SIGBUS): aligned, each runs to the brk; misaligned, each stops at itself
  // with no register or byte of memory changed.
  struct Case {
    uint32_t insn;
    unsigned size;
    const char* text;
  };
  const Case cases[] = {
      {0xC8DFFC20u, 8, "ldar x0, [x1]"},       {0xC89FFC20u, 8, "stlr x0, [x1]"},
      {0x48DFFC20u, 2, "ldarh w0, [x1]"},      {0xF8220020u, 8, "ldadd x2, x0, [x1]"},
      {0xC8A07C22u, 8, "cas x0, x2, [x1]"},    {0xF8224020u, 8, "ldsmax x2, x0, [x1]"},
      {0xF822003Fu, 8, "stadd x2, [x1]"},      {0xF8228020u, 8, "swp x2, x0, [x1]"},
  };
  Fixture f;
  A64Context& ctx = this_thread_context();
  const uint64_t pattern = 0x1122334455667788ull;
  for (const Case& c : cases) {
    for (uint64_t addr : {kData + 8, kData + 4, kData + 2, kData + 1}) {
      INFO(c.text << " at +" << addr - kData);
      for (unsigned i = 0; i < 32; i += 8) f.mem->write(kData + i, &pattern, 8);
      f.code({c.insn, 0xD4200020});
      ctx.x[1] = addr;
      ctx.x[0] = 7;
      ctx.x[2] = 9;
      const ExitReason r = f.run();
      if (addr % c.size == 0) {
        CHECK(r == ExitReason::kTrap);
        CHECK(ctx.pc == kCode + 4);
      } else {
        CHECK(r == ExitReason::kAlignment);
        CHECK(ctx.pc == kCode);
        CHECK(ctx.x[0] == 7);
        CHECK(ctx.x[2] == 9);
        uint8_t after[32];
        f.mem->read(kData, after, sizeof after);
        for (unsigned i = 0; i < 32; i += 8) CHECK(std::memcmp(after + i, &pattern, 8) == 0);
      }
    }
  }
}

TEST_CASE("FPSR: exception flags accumulate across exits, read and cleared with mrs/msr", "[a64api]") {
  // FPSR's cumulative flags live in the host's MXCSR while translated code
  // runs (a64_context.h): the exit stub must fold them into the context and
  // the entry stub load them back, mrs read the live ones, msr clear both.
  Fixture f;
  A64Context& ctx = this_thread_context();
  constexpr uint32_t kBrk = 0xD4200020, kFdivD0D1D2 = 0x1E621820, kMrsX0 = 0xD53B4420,
                     kMsrXzr = 0xD51B443F, kMrsX1 = 0xD53B4421, kFaddS0S1S2 = 0x1E222820,
                     kSqadd16b = 0x4E220C20, kFcmpeD1D2 = 0x1E622030, kFcmpD1D2 = 0x1E622020;
  auto set_d = [&](unsigned v, double x) {
    std::memset(ctx.v[v], 0, 16);
    std::memcpy(ctx.v[v], &x, 8);
  };
  set_fpcr(ctx, 0);
  ctx.fpsr = 0;
  set_d(1, 1.0);
  set_d(2, 0.0);
  f.code({kFdivD0D1D2, kBrk});  // 1/0: DZC
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.fpsr == 0x2u);  // folded into the context at the exit

  f.code({kMrsX0, kBrk});  // a later entry reads it back
  ctx.x[0] = 99;
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.x[0] == 0x2u);

  // Raised and read in one block, then cleared: nothing survives the exit.
  float one = 1.0f, tiny = 1e-10f;
  std::memset(ctx.v[1], 0, 16);
  std::memset(ctx.v[2], 0, 16);
  std::memcpy(ctx.v[1], &one, 4);
  std::memcpy(ctx.v[2], &tiny, 4);
  f.code({kFaddS0S1S2, kMrsX0, kMsrXzr, kMrsX1, kBrk});  // inexact: IXC
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.x[0] == (0x2u | 0x10u));
  CHECK(ctx.x[1] == 0);
  CHECK(ctx.fpsr == 0);

  // Saturation: QC.
  std::memset(ctx.v[1], 0x70, 16);
  std::memset(ctx.v[2], 0x70, 16);
  f.code({kSqadd16b, kBrk});
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.fpsr == (1u << 27));
  ctx.fpsr = 0;

  // A compare no one reads still raises Invalid: FCMPE for a quiet NaN,
  // FCMP only for a signalling one.
  set_d(1, std::numeric_limits<double>::quiet_NaN());
  set_d(2, 1.0);
  f.code({kFcmpD1D2, kBrk});
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.fpsr == 0);
  f.code({kFcmpeD1D2, kBrk});
  REQUIRE(f.run() == ExitReason::kTrap);
  CHECK(ctx.fpsr == 0x1u);
  ctx.fpsr = 0;

  // inf * 0 plus a quiet NaN: Invalid on arm64 (FPMulAdd), where x86's FMA
  // stays quiet; vector and scalar forms.
  constexpr uint32_t kFmla2d = 0x4E62CC20, kFmaddD = 0x1F420C20;  // fmla v0.2d, v1.2d, v2.2d; fmadd d0, d1, d2, d3
  const double qnan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (uint32_t insn : {kFmla2d, kFmaddD}) {
    INFO(std::hex << insn);
    ctx.fpsr = 0;
    set_d(0, qnan);
    set_d(3, qnan);  // fmadd's addend
    set_d(1, inf);
    set_d(2, 0.0);
    f.code({insn, kBrk});
    REQUIRE(f.run() == ExitReason::kTrap);
    CHECK(ctx.fpsr == 0x1u);
    uint64_t bits;
    std::memcpy(&bits, ctx.v[0], 8);
    CHECK(bits == 0x7FF8000000000000ull);  // the default NaN
  }
  ctx.fpsr = 0;
}
