// Branches: B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ (direct: patchable exit stubs
// linked by the dispatcher) and BR, BLR, RET (indirect: the lookup table).
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

Lowered lower_branch(Emitter& e) {
  auto& a = e.a;
  const Insn& in = *e.in;
  const uint64_t next = in.pc + 4;
  switch (in.op) {
    case Op::B:
      e.direct_exit(in.pc + static_cast<uint64_t>(e.opimm(0) * 4));
      return Lowered::kEndBlock;
    case Op::BL:
      e.store_imm(Reg{RegKind::kX, 30}, next);
      e.direct_exit(in.pc + static_cast<uint64_t>(e.opimm(0) * 4));
      return Lowered::kEndBlock;
    case Op::Bcc: {
      const unsigned c = e.opimm(0) & 15;
      const uint64_t target = in.pc + static_cast<uint64_t>(e.opimm(1) * 4);
      if (c >= 14) {
        e.direct_exit(target);
      } else {
        e.load_flags();
        a.j(Emitter::cond(c), e.exit_label(target));
        return e.fall_through(next);
      }
      return Lowered::kEndBlock;
    }
    case Op::CBZX: case Op::CBZW: case Op::CBNZX: case Op::CBNZW: {
      const bool x = in.op == Op::CBZX || in.op == Op::CBNZX;
      const bool nz = in.op == Op::CBNZX || in.op == Op::CBNZW;
      const Reg rt = e.reg(0);
      if (rt.kind == RegKind::kXZR || rt.kind == RegKind::kWZR) {
        e.direct_exit(nz ? next : in.pc + static_cast<uint64_t>(e.opimm(1) * 4));
        return Lowered::kEndBlock;
      }
      if (x86::Gp h; e.gp_operand(rt, &h)) {
        if (x) a.test(h, h); else a.test(h.r32(), h.r32());
      } else {
        a.cmp(e.ctx(CAPVM_A64_OFF(x) + 8 * rt.index, x ? 8 : 4), 0);
      }
      a.j(nz ? x86::CondCode::kNE : x86::CondCode::kE,
          e.exit_label(in.pc + static_cast<uint64_t>(e.opimm(1) * 4)));
      return e.fall_through(next);
    }
    case Op::TBZX: case Op::TBZW: case Op::TBNZX: case Op::TBNZW: {
      const bool nz = in.op == Op::TBNZX || in.op == Op::TBNZW;
      const unsigned bit = e.opimm(1) & 63;
      const uint64_t target = in.pc + static_cast<uint64_t>(e.opimm(2) * 4);
      const Reg rt = e.reg(0);
      if (rt.kind == RegKind::kXZR || rt.kind == RegKind::kWZR) {
        e.direct_exit(nz ? next : target);
        return Lowered::kEndBlock;
      }
      // test byte [x + bit/8], 1 << bit%8: little-endian register image.
      if (x86::Gp h; e.gp_operand(rt, &h)) {
        a.bt(h, bit);  // CF = the bit
        a.j(nz ? x86::CondCode::kC : x86::CondCode::kNC, e.exit_label(target));
        return e.fall_through(next);
      }
      a.test(e.ctx(CAPVM_A64_OFF(x) + 8 * rt.index + static_cast<int32_t>(bit / 8), 1), imm(1u << (bit % 8)));
      a.j(nz ? x86::CondCode::kNE : x86::CondCode::kE, e.exit_label(target));
      return e.fall_through(next);
    }
    case Op::BR: case Op::BLR: case Op::RET:
      e.load_gp(x86::rax, e.reg(0));  // read before BLR writes X30 (blr x30)
      if (in.op == Op::BLR) {
        e.store_imm(Reg{RegKind::kX, 30}, next);
      }
      e.indirect_exit();
      return Lowered::kEndBlock;
    default:
      return Lowered::kUnsupported;
  }
}

}  // namespace capvm::aarch64
