// Integer add/subtract (immediate, shifted, extended, with carry), logical
// (immediate, shifted), move wide and pc-relative addresses
// (ARM ARM C4.1.92 "Data Processing -- Immediate", C4.1.95 "-- Register").
// Results are computed in rdx with the second operand in rcx; rax is left to
// the flag capture.
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

enum class Kind { kAdd, kSub, kAnd, kOrr, kEor };

struct Form {
  Kind kind;
  bool set_flags;
  bool invert_rm;  // BIC/ORN/EON
};

Form form_of(Op op) {
  switch (op) {
    case Op::ADDXri: case Op::ADDWri: case Op::ADDXrs: case Op::ADDWrs: case Op::ADDXrx:
    case Op::ADDXrx64: case Op::ADDWrx: case Op::ADCXr: case Op::ADCWr:
      return {Kind::kAdd, false, false};
    case Op::ADDSXri: case Op::ADDSWri: case Op::ADDSXrs: case Op::ADDSWrs: case Op::ADDSXrx:
    case Op::ADDSXrx64: case Op::ADDSWrx: case Op::ADCSXr: case Op::ADCSWr:
      return {Kind::kAdd, true, false};
    case Op::SUBXri: case Op::SUBWri: case Op::SUBXrs: case Op::SUBWrs: case Op::SUBXrx:
    case Op::SUBXrx64: case Op::SUBWrx: case Op::SBCXr: case Op::SBCWr:
      return {Kind::kSub, false, false};
    case Op::SUBSXri: case Op::SUBSWri: case Op::SUBSXrs: case Op::SUBSWrs: case Op::SUBSXrx:
    case Op::SUBSXrx64: case Op::SUBSWrx: case Op::SBCSXr: case Op::SBCSWr:
      return {Kind::kSub, true, false};
    case Op::ANDXri: case Op::ANDWri: case Op::ANDXrs: case Op::ANDWrs: return {Kind::kAnd, false, false};
    case Op::ANDSXri: case Op::ANDSWri: case Op::ANDSXrs: case Op::ANDSWrs: return {Kind::kAnd, true, false};
    case Op::BICXrs: case Op::BICWrs: return {Kind::kAnd, false, true};
    case Op::BICSXrs: case Op::BICSWrs: return {Kind::kAnd, true, true};
    case Op::ORRXri: case Op::ORRWri: case Op::ORRXrs: case Op::ORRWrs: return {Kind::kOrr, false, false};
    case Op::ORNXrs: case Op::ORNWrs: return {Kind::kOrr, false, true};
    case Op::EORXri: case Op::EORWri: case Op::EORXrs: case Op::EORWrs: return {Kind::kEor, false, false};
    default: return {Kind::kEor, false, true};  // EON
  }
}

// Shifted-register operand: rcx <<>> amount (type LSL/LSR/ASR/ROR).
void shift_rm(Emitter& e, bool wide, int64_t shifter) {
  const unsigned type = shifter >> 6 & 7, amount = shifter & 63;
  if (amount == 0) return;
  const x86::Gp r = wide ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx);
  switch (type) {
    case 0: e.a.shl(r, amount); break;
    case 1: e.a.shr(r, amount); break;
    case 2: e.a.sar(r, amount); break;
    default: e.a.ror(r, amount); break;
  }
}

// Extended-register operand (UXTB..SXTX, then LSL #0-4).
void extend_rm(Emitter& e, bool wide, int64_t ext) {
  const unsigned type = ext >> 3 & 7, amount = ext & 7;
  switch (type) {
    case 0: e.a.movzx(x86::ecx, x86::cl); break;
    case 1: e.a.movzx(x86::ecx, x86::cx); break;
    case 2: e.a.mov(x86::ecx, x86::ecx); break;
    case 3: break;
    case 4: e.a.movsx(x86::rcx, x86::cl); break;
    case 5: e.a.movsx(x86::rcx, x86::cx); break;
    case 6: e.a.movsxd(x86::rcx, x86::ecx); break;
    default: break;
  }
  if (amount) e.a.shl(wide ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx), amount);
}

Lowered lower_move_wide(Emitter& e) {
  const Reg rd = e.reg(0);
  const bool wide = Emitter::is64(rd);
  const bool movk = e.in->op == Op::MOVKXi || e.in->op == Op::MOVKWi;
  const unsigned vi = movk ? 2 : 1;
  const uint64_t part = static_cast<uint64_t>(e.opimm(vi) & 0xFFFF) << e.opimm(vi + 1);
  switch (e.in->op) {
    case Op::MOVZXi: case Op::MOVZWi: e.store_imm(rd, part); break;
    case Op::MOVNXi: case Op::MOVNWi: e.store_imm(rd, ~part); break;
    default: {
      const uint64_t keep = ~(uint64_t{0xFFFF} << e.opimm(vi + 1));
      e.load_gp(x86::rdx, rd);
      e.a.mov(x86::rcx, imm(wide ? keep : (keep & 0xFFFFFFFFu)));
      e.a.and_(x86::rdx, x86::rcx);
      if (part) {
        e.a.mov(x86::rcx, imm(part));
        e.a.or_(x86::rdx, x86::rcx);
      }
      e.store_gp(rd, x86::rdx);
    }
  }
  return Lowered::kContinue;
}

// dst op= src (an immediate or a register of dst's width), with the carry
// of the canonical flags: ADDS inverts CF (canonical CF = NOT C), ANDS sets
// it (C = 0).
void emit_op(x86::Assembler& a, const Form& f, const asmjit::Operand_& dst, const asmjit::Operand_& src) {
  static constexpr InstId kIds[] = {x86::Inst::kIdAdd, x86::Inst::kIdSub, x86::Inst::kIdAnd, x86::Inst::kIdOr,
                                    x86::Inst::kIdXor};
  a.emit(kIds[static_cast<int>(f.kind)], dst, src);
  if (f.set_flags && f.kind == Kind::kAdd) a.cmc();
  if (f.set_flags && f.kind == Kind::kAnd) a.stc();
}

// The common forms straight on cached host registers: add/sub/logic with an
// immediate or an unshifted register, no carry in, no inverted operand.
// Produces exactly the host flags of the general path below. False when
// the instruction is not one of them (nothing emitted then).
bool lower_fast(Emitter& e, const Form& f, bool wide) {
  const Insn& in = *e.in;
  const InsnClass cls = in.info().cls;
  auto& a = e.a;
  const Reg rd = e.reg(0), rn = e.reg(1);
  if (f.invert_rm && cls != InsnClass::kLogicShifted) return false;
  const auto w = [&](const x86::Gp& r) -> x86::Gp { return wide ? x86::Gp(r.r64()) : x86::Gp(r.r32()); };
  const bool rn_zero = rn.kind == RegKind::kXZR || rn.kind == RegKind::kWZR;
  x86::Gp hd;
  const bool d_cached = e.gp_operand(rd, &hd);
  const bool d_zero = rd.kind == RegKind::kXZR || rd.kind == RegKind::kWZR;
  // Second operand: an immediate or a register as it is.
  bool is_imm = false;
  int64_t value = 0;
  x86::Gp m;
  switch (cls) {
    case InsnClass::kAddSubImm:
      is_imm = true;
      value = e.opimm(2) << e.opimm(3);
      break;
    case InsnClass::kLogicImm: {
      uint64_t v = 0;
      if (!decode_logical_imm(static_cast<uint64_t>(e.opimm(2)), wide ? 64 : 32, &v)) return false;
      if (wide && static_cast<int64_t>(v) != static_cast<int32_t>(v)) return false;
      is_imm = true;
      value = wide ? static_cast<int64_t>(v) : static_cast<int32_t>(static_cast<uint32_t>(v));
      break;
    }
    case InsnClass::kAddSubShifted:
    case InsnClass::kLogicShifted: {
      const int64_t shifter = e.opimm(3);
      const bool m_zero = e.reg(2).kind == RegKind::kXZR || e.reg(2).kind == RegKind::kWZR;
      if ((shifter & 63) == 0 && !f.invert_rm) {
        if (m_zero) {
          is_imm = true;  // #0
        } else if (!e.gp_operand(e.reg(2), &m)) {
          e.load_gp(x86::rcx, e.reg(2));
          m = x86::rcx;
        }
        break;
      }
      // A shifted or inverted (BIC/ORN/EON/BICS) operand, computed into rcx
      // first; so only where nothing below declines the instruction after
      // that code exists.
      if (d_zero && f.set_flags && f.kind != Kind::kSub && f.kind != Kind::kAnd) return false;
      if (!d_cached && !d_zero && rn_zero) return false;
      const unsigned type = static_cast<unsigned>(shifter >> 6 & 7), amount = static_cast<unsigned>(shifter & 63);
      x86::Gp src;
      if (m_zero) {
        a.xor_(x86::ecx, x86::ecx);
      } else if (type == 3 && amount != 0 && host_has_bmi2() && e.gp_operand(e.reg(2), &src)) {
        a.rorx(w(x86::rcx), w(src), amount);  // ROR without touching the source
      } else {
        if (e.gp_operand(e.reg(2), &src)) a.mov(w(x86::rcx), w(src));
        else e.load_gp(x86::rcx, e.reg(2));
        shift_rm(e, wide, shifter);
      }
      if (f.invert_rm) a.not_(w(x86::rcx));
      m = x86::rcx;
      break;
    }
    default:
      return false;
  }
  // MOV (ORR rd, zr, rm) and MOV to/from SP (ADD rd, rn, #0).
  // Flag-setting compares into ZR: cmp / test on the operands.
  if (d_zero) {
    if (!f.set_flags) return true;  // result and flags discarded (a NOP)
    if (f.kind != Kind::kSub && f.kind != Kind::kAnd) return false;
    x86::Gp n;
    if (!e.gp_operand(rn, &n)) {
      e.load_gp(x86::rdx, rn);
      n = x86::rdx;
    }
    if (f.kind == Kind::kSub) {
      if (is_imm) a.cmp(w(n), imm(value)); else a.cmp(w(n), w(m));
    } else {
      if (is_imm) a.test(w(n), imm(value)); else a.test(w(n), w(m));
      a.stc();
    }
    e.save_flags();
    return true;
  }
  if (f.kind == Kind::kOrr && rn_zero && !f.set_flags) {
    if (is_imm) {
      e.store_imm(rd, static_cast<uint64_t>(value));
    } else if (d_cached) {
      a.mov(w(hd), w(m));
      e.note_written(rd);
    } else {
      if (m != x86::rcx) a.mov(x86::rcx, m);
      e.store_gp(rd, x86::rcx);
    }
    return true;
  }
  x86::Gp n;
  const bool n_cached = e.gp_operand(rn, &n);
  const auto src = [&]() -> asmjit::Operand_ {
    if (is_imm) return imm(value);
    return w(m);
  };
  if (!d_cached) {
    if (rn_zero) return false;
    if (wide && rd.kind == rn.kind && rd.index == rn.index) {
      // X op= operand on the context in place.
      emit_op(a, f, e.xmem(static_cast<unsigned>(gp_index(rd))), src());
    } else {
      // Through rdx (a W result is zero-extended by store_gp's mov).
      e.load_gp(x86::rdx, rn);
      emit_op(a, f, w(x86::rdx), src());
      e.store_gp(rd, x86::rdx);  // movs: the host flags stay
    }
    if (f.set_flags) e.save_flags();
    return true;
  }
  // Non-flag add/sub of an immediate or register: one lea.
  if (!f.set_flags && (f.kind == Kind::kAdd || (f.kind == Kind::kSub && is_imm)) && n_cached) {
    if (is_imm)
      a.lea(w(hd), x86::ptr(n, static_cast<int32_t>(f.kind == Kind::kSub ? -value : value)));
    else
      a.lea(w(hd), x86::ptr(n, m));
    e.note_written(rd);
    return true;
  }
  // Two-address form in rd's host register. When rd is the register
  // operand of a commutative operation (orr x13, x14, x13), the other
  // operand goes in instead; flags of add/and/orr/eor do not depend on the
  // order.
  if (!is_imm && m == hd && rd.index != rn.index) {
    if (f.kind == Kind::kSub || rn_zero) return false;
    if (!n_cached) {
      e.load_gp(x86::rdx, rn);
      n = x86::rdx;
    }
    emit_op(a, f, w(hd), w(n));
    e.note_written(rd);
    if (f.set_flags) e.save_flags();
    return true;
  }
  if (rn_zero)
    a.mov(hd.r32(), 0);
  else if (!n_cached)
    e.load_gp(hd, rn);
  else if (n != hd)
    a.mov(w(hd), w(n));
  // (rd == rn: the operation below works in place; a W form zero-extends.)
  emit_op(a, f, w(hd), src());
  e.note_written(rd);
  if (f.set_flags) e.save_flags();
  return true;
}

}  // namespace

Lowered lower_int_arith(Emitter& e) {
  const Insn& in = *e.in;
  const InsnClass cls = in.info().cls;
  if (cls == InsnClass::kMoveWide) return lower_move_wide(e);
  if (cls == InsnClass::kPcRel) {
    const uint64_t value = in.op == Op::ADR ? in.pc + e.opimm(1)
                                            : (in.pc & ~uint64_t{0xFFF}) + (static_cast<uint64_t>(e.opimm(1)) << 12);
    e.store_imm(e.reg(0), value);
    return Lowered::kContinue;
  }
  const Reg rd = e.reg(0);
  const bool wide = Emitter::is64(rd) ||
                    (cls == InsnClass::kAddSubImm && e.reg(1).kind == RegKind::kSP) ||
                    rd.kind == RegKind::kSP;
  const Form f = form_of(in.op);
  if (cls != InsnClass::kAddSubCarry) {
    // Flags nobody reads need not be made: no cmc/stc, and lea serves.
    Form fast = f;
    // (A deferred compare needs its host flags even when it is not saved.)
    fast.set_flags = f.set_flags && (e.flags_live || e.in_deferred);
    if (lower_fast(e, fast, wide)) return Lowered::kContinue;
  }
  const x86::Gp d = wide ? x86::Gp(x86::rdx) : x86::Gp(x86::edx);
  const x86::Gp m = wide ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx);
  e.load_gp(x86::rdx, e.reg(1));
  // Second operand into rcx.
  switch (cls) {
    case InsnClass::kAddSubImm: {
      const int64_t v = e.opimm(2) << e.opimm(3);
      e.a.mov(x86::ecx, imm(static_cast<uint32_t>(v)));
      break;
    }
    case InsnClass::kLogicImm: {
      uint64_t v = 0;
      if (!decode_logical_imm(static_cast<uint64_t>(e.opimm(2)), wide ? 64 : 32, &v)) return Lowered::kUnsupported;
      e.a.mov(x86::rcx, imm(v));
      break;
    }
    case InsnClass::kAddSubShifted:
    case InsnClass::kLogicShifted:
      e.load_gp(x86::rcx, e.reg(2));
      shift_rm(e, wide, e.opimm(3));
      break;
    case InsnClass::kAddSubExt:
      e.load_gp(x86::rcx, e.reg(2));
      extend_rm(e, wide, e.opimm(3));
      break;
    case InsnClass::kAddSubCarry:
      e.load_gp(x86::rcx, e.reg(2));
      break;
    default:
      return Lowered::kUnsupported;
  }
  if (f.invert_rm) e.a.not_(m);
  switch (f.kind) {
    case Kind::kAdd:
      if (cls == InsnClass::kAddSubCarry) {
        // adc: x86 CF must be C; the canonical form holds NOT C.
        e.load_flags();
        e.a.cmc();
        e.a.adc(d, m);
      } else {
        e.a.add(d, m);
      }
      if (f.set_flags) e.a.cmc();  // ARM C = carry out; canonical CF = NOT C
      break;
    case Kind::kSub:
      if (cls == InsnClass::kAddSubCarry) {
        // sbc: Rn - Rm - NOT C = x86 sbb with CF = NOT C (canonical as is).
        e.load_flags();
        e.a.sbb(d, m);
      } else {
        e.a.sub(d, m);  // x86 CF = borrow = NOT C
      }
      break;
    case Kind::kAnd:
      e.a.and_(d, m);
      if (f.set_flags) e.a.stc();  // ANDS: C = 0, so canonical CF = 1 (V = 0 from and)
      break;
    case Kind::kOrr: e.a.or_(d, m); break;
    case Kind::kEor: e.a.xor_(d, m); break;
  }
  e.store_gp(rd, x86::rdx);  // mov keeps host flags
  if (f.set_flags) e.save_flags();
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
