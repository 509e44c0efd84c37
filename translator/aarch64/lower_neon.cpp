// AdvSIMD lowering: LD1/ST1 (one or two registers) and LD1R inline through
// the sandbox segment; the hot lane operations inline (lower_neon_sse.cpp);
// the rest calls neon_exec (neon_semantics.cpp).
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

Lowered lower_neon(Emitter& e) {
  auto& a = e.a;
  const Insn& in = *e.in;
  switch (in.op) {
    case Op::LD1Onev16b: case Op::LD1Twov16b: case Op::ST1Onev16b: case Op::ST1Twov16b: {
      const bool load = in.op == Op::LD1Onev16b || in.op == Op::LD1Twov16b;
      const Reg list = e.reg(0);
      const unsigned count = list.kind == RegKind::kQList ? list.count : 1;
      e.load_gp(x86::rsi, e.reg(1));
      for (unsigned i = 0; i < count; ++i) {
        const unsigned v = (list.index + i) % 32;
        if (load) {
          a.movdqu(x86::xmm0, Emitter::guest(x86::rsi, 16, 16 * i));
          a.movdqu(e.vmem(v), x86::xmm0);
        } else {
          a.movdqu(x86::xmm0, e.vmem(v));
          a.movdqu(Emitter::guest(x86::rsi, 16, 16 * i), x86::xmm0);
        }
      }
      return Lowered::kContinue;
    }
    case Op::LD1Rv4s:
      e.load_gp(x86::rsi, e.reg(1));
      a.movd(x86::xmm0, Emitter::guest(x86::rsi, 4));
      a.pshufd(x86::xmm0, x86::xmm0, 0);
      a.movdqu(e.vmem(e.reg(0).index), x86::xmm0);
      return Lowered::kContinue;
    case Op::LD1Rv2d:
      e.load_gp(x86::rsi, e.reg(1));
      a.movq(x86::xmm0, Emitter::guest(x86::rsi, 8));
      a.punpcklqdq(x86::xmm0, x86::xmm0);
      a.movdqu(e.vmem(e.reg(0).index), x86::xmm0);
      return Lowered::kContinue;
    default:
      break;
  }
  if (lower_neon_vshift(e) || lower_neon_sse(e)) return Lowered::kContinue;
  if (!neon_exec_supported(in.op)) return Lowered::kUnsupported;
  e.call_insn_helper(&neon_exec);
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
