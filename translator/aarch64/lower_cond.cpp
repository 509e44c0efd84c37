// Conditional select (CSEL/CSINC/CSINV/CSNEG) and conditional compare
// (CCMP/CCMN, register and immediate), ARM ARM C6.2. The condition is one
// x86 cmovcc/jcc on the canonical flags (Emitter::cond).
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

Lowered lower_cond(Emitter& e) {
  auto& a = e.a;
  const Op op = e.in->op;
  if (e.in->info().cls == InsnClass::kCondSel) {
    const Reg rd = e.reg(0);
    const bool wide = Emitter::is64(rd);
    const unsigned c = e.opimm(3) & 15;
    const x86::Gp n = wide ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx), m = wide ? x86::Gp(x86::rdx) : x86::Gp(x86::edx);
    // Flags first where nothing after clobbers them (loads are movs, and
    // lea/not keep the flags), so a preceding compare's host flags are used
    // as they are.
    const bool neg = op == Op::CSNEGXr || op == Op::CSNEGWr;
    if (c < 14 && !neg) e.load_flags();
    e.load_gp(x86::rcx, e.reg(1));
    e.load_gp(x86::rdx, e.reg(2));
    switch (op) {
      case Op::CSINCXr: case Op::CSINCWr: a.lea(m, x86::ptr(x86::rdx, 1)); break;
      case Op::CSINVXr: case Op::CSINVWr: a.not_(m); break;
      case Op::CSNEGXr: case Op::CSNEGWr: a.neg(m); break;
      default: break;
    }
    if (c >= 14) {
      a.mov(x86::rdx, x86::rcx);  // AL/NV: always Rn
    } else {
      if (neg) e.load_flags();
      a.cmov(Emitter::cond(c), m, n);
    }
    e.store_gp(rd, x86::rdx);
    return Lowered::kContinue;
  }
  // CCMP/CCMN Rn, Rm|#imm5, #nzcv, cond.
  const bool imm_form = op == Op::CCMPXi || op == Op::CCMPWi || op == Op::CCMNXi || op == Op::CCMNWi;
  const bool cmn = op == Op::CCMNXr || op == Op::CCMNWr || op == Op::CCMNXi || op == Op::CCMNWi;
  const Reg rn = e.reg(0);
  const bool wide = Emitter::is64(rn);
  const uint32_t nzcv = static_cast<uint32_t>(e.opimm(2) & 15) << 28;
  const unsigned c = e.opimm(3) & 15;
  const x86::Gp n = wide ? x86::Gp(x86::rdx) : x86::Gp(x86::edx), m = wide ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx);
  Label skip = a.newLabel(), done = a.newLabel();
  if (c < 14) e.load_flags();  // first: the movs below keep the flags
  e.load_gp(x86::rdx, rn);
  if (imm_form) a.mov(x86::ecx, imm(e.opimm(1) & 31));
  else e.load_gp(x86::rcx, e.reg(1));
  if (c < 14) a.j(x86::negateCond(Emitter::cond(c)), skip);
  if (cmn) {
    a.add(n, m);
    a.cmc();
  } else {
    a.cmp(n, m);
  }
  const bool live = e.flags_live;
  e.flags_live = true;  // this path must store: the other path does
  e.save_flags();
  e.flags_live = live;
  a.jmp(done);
  a.bind(skip);
  e.save_flags_const(nzcv);
  a.bind(done);
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
