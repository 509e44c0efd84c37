// Scalar FP lowering: register moves and FMOV immediates inline; arithmetic,
// compares, selects, rounding and conversions call fp_exec (fp_semantics.cpp),
// which implements the A64 results (NaN selection, default NaN, saturation).
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

Lowered lower_fp_scalar(Emitter& e) {
  auto& a = e.a;
  const Insn& in = *e.in;
  switch (in.op) {
    case Op::FMOVDXr:  // X <- D
    case Op::FMOVSWr:  // W <- S
      a.mov(x86::rdx, e.vmem(e.reg(1).index, 0, 8));
      e.store_gp(e.reg(0), x86::rdx);
      return Lowered::kContinue;
    case Op::FMOVXDr:  // D <- X
    case Op::FMOVWSr:  // S <- W
      e.load_gp(x86::rdx, e.reg(1));
      a.mov(e.vmem(e.reg(0).index, 0, 8), x86::rdx);
      a.mov(e.vmem(e.reg(0).index, 8, 8), 0);
      return Lowered::kContinue;
    case Op::FMOVDr:
    case Op::FMOVSr:
      a.mov(x86::rdx, e.vmem(e.reg(1).index, 0, 8));
      if (in.op == Op::FMOVSr) a.mov(x86::edx, x86::edx);
      a.mov(e.vmem(e.reg(0).index, 0, 8), x86::rdx);
      a.mov(e.vmem(e.reg(0).index, 8, 8), 0);
      return Lowered::kContinue;
    case Op::FMOVDi:
    case Op::FMOVSi: {
      const uint64_t v = expand_fp_imm(static_cast<uint8_t>(e.opimm(1)), in.op == Op::FMOVDi ? 64 : 32);
      a.mov(x86::rdx, imm(v));
      a.mov(e.vmem(e.reg(0).index, 0, 8), x86::rdx);
      a.mov(e.vmem(e.reg(0).index, 8, 8), 0);
      return Lowered::kContinue;
    }
    default:
      break;
  }
  if (!fp_exec_supported(in.op)) return Lowered::kUnsupported;
  e.call_insn_helper(&fp_exec);
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
