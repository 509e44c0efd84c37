// Multiply(-add/-subtract), widening multiplies, multiply-high and division
// (ARM ARM C6.2: MADD, SMADDL, UMULH, SDIV, UDIV). Division by zero gives 0;
// INT_MIN / -1 gives INT_MIN (x86 idiv would fault on both).
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

Lowered lower_int_muldiv(Emitter& e) {
  auto& a = e.a;
  const Op op = e.in->op;
  const Reg rd = e.reg(0);
  const bool wide = Emitter::is64(rd);
  switch (op) {
    case Op::MADDXrrr: case Op::MADDWrrr: case Op::MSUBXrrr: case Op::MSUBWrrr: {
      const x86::Gp n = wide ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx);
      const bool add = op == Op::MADDXrrr || op == Op::MADDWrrr;
      const auto w = [&](const x86::Gp& r) -> x86::Gp { return wide ? x86::Gp(r.r64()) : x86::Gp(r.r32()); };
      x86::Gp hm, hd, ha;
      const Reg ra = e.reg(3);
      const bool a_zero = ra.kind == RegKind::kXZR || ra.kind == RegKind::kWZR;
      // rcx = n * m with cached operands used in place; MUL (ra = ZR) and
      // an accumulator that is rd itself work on rd's host register.
      e.load_gp(x86::rcx, e.reg(1));
      if (e.gp_operand(e.reg(2), &hm)) a.imul(n, w(hm));
      else {
        e.load_gp(x86::rsi, e.reg(2));
        a.imul(n, wide ? x86::Gp(x86::rsi) : x86::Gp(x86::esi));
      }
      if (e.gp_operand(rd, &hd)) {
        if (a_zero) {
          if (add) a.mov(w(hd), n); else { a.neg(n); a.mov(w(hd), n); }
          e.note_written(rd);
          return Lowered::kContinue;
        }
        if (e.gp_operand(ra, &ha) && ha.id() == hd.id()) {
          if (add) a.add(w(hd), n); else a.sub(w(hd), n);
          e.note_written(rd);
          return Lowered::kContinue;
        }
      }
      e.load_gp(x86::rdx, ra);
      if (add) a.add(wide ? x86::Gp(x86::rdx) : x86::Gp(x86::edx), n);
      else a.sub(wide ? x86::Gp(x86::rdx) : x86::Gp(x86::edx), n);
      e.store_gp(rd, x86::rdx);
      return Lowered::kContinue;
    }
    case Op::SMADDLrrr: case Op::SMSUBLrrr: case Op::UMADDLrrr: case Op::UMSUBLrrr: {
      const bool sign = op == Op::SMADDLrrr || op == Op::SMSUBLrrr;
      e.load_gp(x86::rcx, e.reg(1));
      e.load_gp(x86::rsi, e.reg(2));
      if (sign) {
        a.movsxd(x86::rcx, x86::ecx);
        a.movsxd(x86::rsi, x86::esi);
      }
      a.imul(x86::rcx, x86::rsi);  // low 64 bits are the same signed or not
      e.load_gp(x86::rdx, e.reg(3));
      if (op == Op::SMADDLrrr || op == Op::UMADDLrrr) a.add(x86::rdx, x86::rcx);
      else a.sub(x86::rdx, x86::rcx);
      e.store_gp(rd, x86::rdx);
      return Lowered::kContinue;
    }
    case Op::SMULHrr: case Op::UMULHrr:
      e.load_gp(x86::rax, e.reg(1));
      e.load_gp(x86::rcx, e.reg(2));
      if (op == Op::SMULHrr) a.imul(x86::rcx); else a.mul(x86::rcx);
      e.store_gp(rd, x86::rdx);
      return Lowered::kContinue;
    case Op::SDIVXr: case Op::SDIVWr: case Op::UDIVXr: case Op::UDIVWr: {
      const bool sign = op == Op::SDIVXr || op == Op::SDIVWr;
      const x86::Gp ax = wide ? x86::Gp(x86::rax) : x86::Gp(x86::eax), cx = wide ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx);
      Label zero = a.newLabel(), store = a.newLabel(), normal = a.newLabel();
      e.load_gp(x86::rax, e.reg(1));
      e.load_gp(x86::rcx, e.reg(2));
      a.test(cx, cx);
      a.jz(zero);
      if (sign) {
        // INT_MIN / -1 overflows on x86; A64 gives INT_MIN (the dividend).
        a.cmp(cx, -1);
        a.jne(normal);
        a.neg(ax);  // -INT_MIN wraps to INT_MIN; any other n gives -n, correct
        a.jmp(store);
        a.bind(normal);
        if (wide) a.cqo(); else a.cdq();
        a.idiv(cx);
      } else {
        a.bind(normal);
        a.xor_(x86::edx, x86::edx);
        a.div(cx);
      }
      a.jmp(store);
      a.bind(zero);
      a.xor_(x86::eax, x86::eax);
      a.bind(store);
      e.store_gp(rd, x86::rax);
      return Lowered::kContinue;
    }
    default:
      return Lowered::kUnsupported;
  }
}

}  // namespace capvm::aarch64
