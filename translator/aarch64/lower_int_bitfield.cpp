// Bitfield moves (SBFM/UBFM/BFM), EXTR, shifts by register and the bit
// operations CLZ/CLS/RBIT/REV* (ARM ARM C6.2: SBFM, UBFM, BFM, EXTR, LSLV...).
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

uint64_t helper_cls64(uint64_t v) {
  const uint64_t x = v ^ (static_cast<uint64_t>(static_cast<int64_t>(v) >> 63));
  return x == 0 ? 63 : static_cast<uint64_t>(__builtin_clzll(x) - 1);
}
uint64_t helper_cls32(uint64_t v) {
  const uint32_t w = static_cast<uint32_t>(v);
  const uint32_t x = w ^ static_cast<uint32_t>(static_cast<int32_t>(w) >> 31);
  return x == 0 ? 31 : static_cast<uint64_t>(__builtin_clz(x) - 1);
}
uint64_t helper_rbit64(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; ++i) r |= ((v >> i) & 1) << (63 - i);
  return r;
}
uint64_t helper_rbit32(uint64_t v) { return helper_rbit64(v) >> 32; }

Lowered lower_bfm(Emitter& e) {
  auto& a = e.a;
  const Op op = e.in->op;
  const bool bfm = op == Op::BFMXri || op == Op::BFMWri;
  const Reg rd = e.reg(0);
  const Reg rn = e.reg(bfm ? 2 : 1);
  const unsigned immr = e.opimm(bfm ? 3 : 2), imms = e.opimm(bfm ? 4 : 3);
  const bool wide = Emitter::is64(rd);
  const unsigned ds = wide ? 64 : 32;
  if (!bfm) {
    const bool sign = op == Op::SBFMXri || op == Op::SBFMWri;
    // Worked on in rd's host register when it is cached, else in rdx.
    x86::Gp hd, hn;
    const bool in_place = e.gp_operand(rd, &hd);
    const x86::Gp t64 = in_place ? hd.r64() : x86::rdx;
    const x86::Gp t = wide ? t64 : t64.r32();
    if (in_place && e.gp_operand(rn, &hn)) {
      if (hn != hd || !wide) a.mov(t, wide ? x86::Gp(hn.r64()) : x86::Gp(hn.r32()));  // a W view zero-extends
    } else {
      e.load_gp(t64, rn);
    }
    if (!sign && imms < immr && imms + 1 == immr) {
      a.shl(t, ds - immr);  // LSL #(ds - immr)
    } else if (immr == 0 && (imms == 7 || imms == 15 || (imms == 31 && wide))) {
      // UXTB/UXTH/SXTB/SXTH/SXTW (and UBFX of the low word: a W move).
      const x86::Gp src = imms == 7 ? x86::Gp(t64.r8()) : imms == 15 ? x86::Gp(t64.r16()) : x86::Gp(t64.r32());
      if (sign)
        imms == 31 ? a.movsxd(t64, src) : a.movsx(t, src);
      else
        imms == 31 ? a.mov(t64.r32(), src) : a.movzx(t.r32(), src);
    } else {
      // Move the field's top bit to the top, then shift back down (sign or
      // zero filling) and, for the imms < immr form, up to its position.
      if (ds - 1 - imms) a.shl(t, ds - 1 - imms);
      if (imms >= immr) {
        const unsigned down = ds - 1 - imms + immr;
        if (down) sign ? a.sar(t, down) : a.shr(t, down);
      } else {
        if (ds - 1 - imms) sign ? a.sar(t, ds - 1 - imms) : a.shr(t, ds - 1 - imms);
        a.shl(t, ds - immr);
      }
    }
    if (in_place)
      e.note_written(rd);
    else
      e.store_gp(rd, x86::rdx);
    return Lowered::kContinue;
  }
  const x86::Gp v = wide ? x86::Gp(x86::rdx) : x86::Gp(x86::edx);
  e.load_gp(x86::rdx, rn);
  // BFM: insert a field of Rn into Rd, the other bits of Rd kept.
  uint64_t mask;
  unsigned width, pos;
  if (imms >= immr) {
    width = imms - immr + 1;
    pos = 0;
    if (immr) a.shr(v, immr);
  } else {
    width = imms + 1;
    pos = ds - immr;
    a.shl(v, pos);
  }
  mask = (width == 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1)) << pos;
  if (!wide) mask &= 0xFFFFFFFFu;
  a.mov(x86::rcx, imm(mask));
  a.and_(x86::rdx, x86::rcx);
  a.not_(x86::rcx);
  e.load_gp(x86::rsi, rd);
  a.and_(x86::rsi, x86::rcx);
  a.or_(x86::rdx, x86::rsi);
  e.store_gp(rd, x86::rdx);
  return Lowered::kContinue;
}

}  // namespace

Lowered lower_int_bitfield(Emitter& e) {
  auto& a = e.a;
  const Insn& in = *e.in;
  const Reg rd = e.reg(0);
  const bool wide = Emitter::is64(rd);
  const x86::Gp d = wide ? x86::Gp(x86::rdx) : x86::Gp(x86::edx);
  switch (in.info().cls) {
    case InsnClass::kBitfield:
      return lower_bfm(e);
    case InsnClass::kExtract: {
      const unsigned lsb = e.opimm(3);
      // ROR #lsb (EXTR with Rn = Rm): one rotate into rd's host register.
      x86::Gp hd, hn;
      const Reg rn = e.reg(1);
      if (rn == e.reg(2) && rn.kind != RegKind::kXZR && rn.kind != RegKind::kWZR && e.gp_operand(rd, &hd)) {
        const auto w = [&](const x86::Gp& r) { return wide ? x86::Gp(r.r64()) : x86::Gp(r.r32()); };
        if (!e.gp_operand(rn, &hn)) {
          e.load_gp(x86::rcx, rn);
          hn = x86::rcx;
        }
        if (lsb == 0) {
          if (hd != hn || !wide) a.mov(w(hd), w(hn));  // a W form zero-extends
        } else if (host_has_bmi2()) {
          a.rorx(w(hd), w(hn), lsb);
        } else {
          if (hd != hn) a.mov(w(hd), w(hn));
          a.ror(w(hd), lsb);
        }
        e.note_written(rd);
        return Lowered::kContinue;
      }
      // EXTR: (Rn:Rm) >> lsb, low half = shrd Rm, Rn, lsb.
      e.load_gp(x86::rdx, e.reg(2));
      e.load_gp(x86::rcx, e.reg(1));
      if (lsb) a.shrd(d, wide ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx), lsb);
      e.store_gp(rd, x86::rdx);
      return Lowered::kContinue;
    }
    case InsnClass::kShiftVar: {
      // x86 masks the count to the operand size as A64 does (mod datasize).
      x86::Gp hd;
      if (in.op != Op::RORVXr && in.op != Op::RORVWr && host_has_bmi2() && e.gp_operand(rd, &hd)) {
        // shlx/shrx/sarx: three operands, straight into the cached rd.
        const auto w = [&](const x86::Gp& r) { return wide ? x86::Gp(r.r64()) : x86::Gp(r.r32()); };
        x86::Gp n, m;
        if (!e.gp_operand(e.reg(1), &n)) {
          e.load_gp(x86::rdx, e.reg(1));
          n = x86::rdx;
        }
        if (!e.gp_operand(e.reg(2), &m)) {
          e.load_gp(x86::rcx, e.reg(2));
          m = x86::rcx;
        }
        switch (in.op) {
          case Op::LSLVXr: case Op::LSLVWr: a.shlx(w(hd), w(n), w(m)); break;
          case Op::LSRVXr: case Op::LSRVWr: a.shrx(w(hd), w(n), w(m)); break;
          default: a.sarx(w(hd), w(n), w(m)); break;
        }
        e.note_written(rd);
        return Lowered::kContinue;
      }
      e.load_gp(x86::rdx, e.reg(1));
      e.load_gp(x86::rcx, e.reg(2));
      switch (in.op) {
        case Op::LSLVXr: case Op::LSLVWr: a.shl(d, x86::cl); break;
        case Op::LSRVXr: case Op::LSRVWr: a.shr(d, x86::cl); break;
        case Op::ASRVXr: case Op::ASRVWr: a.sar(d, x86::cl); break;
        default: a.ror(d, x86::cl); break;
      }
      e.store_gp(rd, x86::rdx);
      return Lowered::kContinue;
    }
    case InsnClass::kBitOps:
      break;
    default:
      return Lowered::kUnsupported;
  }
  e.load_gp(x86::rdx, e.reg(1));
  const void* helper = nullptr;
  switch (in.op) {
    case Op::CLZXr:
    case Op::CLZWr: {
      // bsr leaves the destination undefined for 0: handle it explicitly.
      Label zero = a.newLabel(), done = a.newLabel();
      a.test(d, d);
      a.jz(zero);
      a.bsr(d, d);
      a.xor_(d, wide ? 63 : 31);
      a.jmp(done);
      a.bind(zero);
      a.mov(x86::edx, wide ? 64 : 32);
      a.bind(done);
      break;
    }
    case Op::REVXr: a.bswap(x86::rdx); break;
    case Op::REVWr: a.bswap(x86::edx); break;
    case Op::REV32Xr:
      a.bswap(x86::rdx);
      a.rol(x86::rdx, 32);
      break;
    case Op::REV16Wr:
    case Op::REV16Xr:
      // Swap the bytes of every halfword.
      a.mov(x86::rcx, x86::rdx);
      a.shr(x86::rcx, 8);
      a.shl(x86::rdx, 8);
      a.mov(x86::rax, imm(0x00FF00FF00FF00FFull));
      a.and_(x86::rcx, x86::rax);
      a.not_(x86::rax);
      a.and_(x86::rdx, x86::rax);
      a.or_(x86::rdx, x86::rcx);
      break;
    case Op::CLSXr: helper = reinterpret_cast<const void*>(&helper_cls64); break;
    case Op::CLSWr: helper = reinterpret_cast<const void*>(&helper_cls32); break;
    case Op::RBITXr: helper = reinterpret_cast<const void*>(&helper_rbit64); break;
    case Op::RBITWr: helper = reinterpret_cast<const void*>(&helper_rbit32); break;
    default: return Lowered::kUnsupported;
  }
  if (helper) {
    a.mov(x86::rdi, x86::rdx);
    e.call(helper);
    a.mov(x86::rdx, x86::rax);
  }
  e.store_gp(rd, x86::rdx);
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
