// System instructions: SVC (exit to the dispatcher), BRK (SIGTRAP), HINT
// (no-op), barriers, CLREX, and MRS/MSR of the registers EL0 may touch that
// CloudABI programs use: TPIDR_EL0, NZCV, FPCR, FPSR, the virtual counter
// CNTVCT_EL0 / CNTFRQ_EL0, CTR_EL0 and DCZID_EL0; and of the SYS space
// (C5.3) DC ZVA and the cache maintenance a JIT issues before running new
// code (DC CVAU/CVAC/CVAP/CIVAC, IC IVAU), which need nothing on a coherent
// host whose translations follow page protection changes.
#include <xmmintrin.h>

#include <ctime>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

// System register encodings as LLVM's MRS/MSR immediate:
// op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2.
constexpr int64_t sysreg(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  return op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2;
}
constexpr int64_t kTpidrEl0 = sysreg(3, 3, 13, 0, 2);
constexpr int64_t kNzcv = sysreg(3, 3, 4, 2, 0);
constexpr int64_t kFpcr = sysreg(3, 3, 4, 4, 0);
constexpr int64_t kFpsr = sysreg(3, 3, 4, 4, 1);
constexpr int64_t kCntvct = sysreg(3, 3, 14, 0, 2);
constexpr int64_t kCntfrq = sysreg(3, 3, 14, 0, 0);
constexpr int64_t kCtrEl0 = sysreg(3, 3, 0, 0, 1);
constexpr int64_t kDczidEl0 = sysreg(3, 3, 0, 0, 7);

uint64_t helper_read_nzcv(const A64Context* ctx) { return nzcv(*ctx); }
void helper_write_nzcv(A64Context* ctx, uint64_t v) { set_nzcv(*ctx, static_cast<uint32_t>(v)); }
// MSR FPCR: keep it and switch the running MXCSR to it at once (keeping
// the exception flags raised so far).
void helper_write_fpcr(A64Context* ctx, uint64_t v) {
  set_fpcr(*ctx, static_cast<uint32_t>(v));
  _mm_setcsr(guest_mxcsr(*ctx) | (_mm_getcsr() & 0x3Fu));
}
// MRS FPSR: the flags raised since the last entry are in the running MXCSR.
uint64_t helper_read_fpsr(const A64Context* ctx) {
  return ctx->fpsr | fpsr_from_mxcsr(_mm_getcsr());
}
// MSR FPSR: both its copy and the running MXCSR's flags.
void helper_write_fpsr(A64Context* ctx, uint64_t v) {
  ctx->fpsr = static_cast<uint32_t>(v) & kFpsrMask;
  _mm_setcsr((_mm_getcsr() & ~0x3Fu) | mxcsr_from_fpsr(ctx->fpsr));
}
uint64_t helper_monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// DC ZVA block: DCZID_EL0.BS = log2(words) = 4, 64 bytes; DZP = 0.
constexpr uint32_t kZvaLog2Words = 4;
constexpr uint32_t kZvaBytes = 4u << kZvaLog2Words;

Lowered lower_sys(Emitter& e) {
  auto& a = e.a;
  const int64_t op1 = e.opimm(0), crn = e.opimm(1), crm = e.opimm(2), op2 = e.opimm(3);
  if (op1 == 3 && crn == 7 && crm == 4 && op2 == 1) {
    // DC ZVA, Xt: zero the aligned block holding Xt, through the sandbox
    // like any store (a fault is the guest's, at this pc).
    e.load_gp(x86::rsi, e.reg(4));
    a.and_(x86::rsi, -static_cast<int32_t>(kZvaBytes));
    a.pxor(x86::xmm0, x86::xmm0);
    for (uint32_t off = 0; off < kZvaBytes; off += 16) a.movdqa(Emitter::guest(x86::rsi, 16, off), x86::xmm0);
    return Lowered::kContinue;
  }
  const bool dc_clean = op1 == 3 && crn == 7 && (crm == 10 || crm == 11 || crm == 12 || crm == 14) && op2 == 1;
  const bool ic_ivau = op1 == 3 && crn == 7 && crm == 5 && op2 == 1;
  if (dc_clean || ic_ivau) return Lowered::kContinue;
  return Lowered::kUnsupported;
}

}  // namespace

Lowered lower_system(Emitter& e) {
  auto& a = e.a;
  const Insn& in = *e.in;
  switch (in.op) {
    case Op::SVC:
      e.exit_with(ExitReason::kSyscall, in.pc + 4);
      return Lowered::kEndBlock;
    case Op::BRK:
      e.exit_with(ExitReason::kTrap, in.pc);
      return Lowered::kEndBlock;
    case Op::HINT:
    case Op::ISB:
      return Lowered::kContinue;
    case Op::DMB:
    case Op::DSB:
      a.mfence();  // x86 is TSO: only store->load order needs a fence
      return Lowered::kContinue;
    case Op::SYSxt:
      return lower_sys(e);
    case Op::CLREX:
      a.mov(e.ctx(CAPVM_A64_OFF(monitor_size), 8), 0);
      return Lowered::kContinue;
    case Op::MRS: {
      const Reg rt = e.reg(0);
      switch (e.opimm(1)) {
        case kTpidrEl0: a.mov(x86::rdx, e.ctx(CAPVM_A64_OFF(tpidr_el0), 8)); break;
        case kFpcr: a.mov(x86::edx, e.ctx(CAPVM_A64_OFF(fpcr), 4)); break;
        case kFpsr:
          a.mov(x86::rdi, kCtx);
          e.call(reinterpret_cast<const void*>(&helper_read_fpsr));
          a.mov(x86::rdx, x86::rax);
          break;
        case kNzcv:
          a.mov(x86::rdi, kCtx);
          e.call(reinterpret_cast<const void*>(&helper_read_nzcv));
          a.mov(x86::rdx, x86::rax);
          break;
        case kCntvct:
          e.call(e.t.options.read_counter ? reinterpret_cast<const void*>(e.t.options.read_counter)
                                          : reinterpret_cast<const void*>(&helper_monotonic_ns));
          a.mov(x86::rdx, x86::rax);
          break;
        case kCntfrq: a.mov(x86::rdx, imm(e.t.options.counter_frequency)); break;
        // 64-byte cache lines (IminLine/DminLine = 4 words log2).
        case kCtrEl0: a.mov(x86::edx, imm(0x84448004u)); break;
        case kDczidEl0: a.mov(x86::edx, imm(kZvaLog2Words)); break;
        default: return Lowered::kUnsupported;
      }
      e.store_gp(rt, x86::rdx);
      return Lowered::kContinue;
    }
    case Op::MSR: {
      const Reg rt = e.reg(1);
      e.load_gp(x86::rdx, rt);
      switch (e.opimm(0)) {
        case kTpidrEl0: a.mov(e.ctx(CAPVM_A64_OFF(tpidr_el0), 8), x86::rdx); break;
        // FPCR: RMode and FZ become the MXCSR translated code runs with;
        // DN is applied where NaNs are made (fp_exec, neon_exec).
        case kFpcr:
          a.mov(x86::rdi, kCtx);
          a.mov(x86::rsi, x86::rdx);
          e.call(reinterpret_cast<const void*>(&helper_write_fpcr));
          break;
        case kFpsr:
          a.mov(x86::rdi, kCtx);
          a.mov(x86::rsi, x86::rdx);
          e.call(reinterpret_cast<const void*>(&helper_write_fpsr));
          break;
        case kNzcv:
          a.mov(x86::rdi, kCtx);
          a.mov(x86::rsi, x86::rdx);
          e.call(reinterpret_cast<const void*>(&helper_write_nzcv));
          break;
        default: return Lowered::kUnsupported;
      }
      return Lowered::kContinue;
    }
    default:
      return Lowered::kUnsupported;
  }
}

}  // namespace capvm::aarch64
