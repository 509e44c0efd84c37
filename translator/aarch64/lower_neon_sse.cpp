// Inline SSE2/SSSE3/SSE4.1 lowering of the hot AdvSIMD instructions: lane
// arithmetic, compares, bitwise ops, permutes, moves, reductions and shifts
// as host vector instructions on the V registers in the context. FP lane
// arithmetic takes the fast host path and calls neon_exec (the A64 NaN
// rules) only when a lane of the result is a NaN, before anything is stored.
// Everything not handled here stays with neon_exec (lower_neon.cpp).
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

struct V {
  Emitter& e;
  x86::Assembler& a;
  const Insn& in;
  unsigned v(unsigned i) const { return in.ops[i].reg.index; }
  void ld(const x86::Xmm& x, unsigned op) {
    if (e.v_cached(v(op))) {
      a.movdqa(x, e.vhost(v(op)));
      return;
    }
    if (e.v_in_xmm0(v(op))) {  // the previous instruction's result
      if (x.id() != 0) a.movdqa(x, x86::xmm0);
      return;
    }
    a.movdqu(x, e.vmem(v(op)));
  }
  // Writes x to V[op]; `half`: a 64-bit arrangement, upper half zeroed.
  void st(unsigned op, const x86::Xmm& x, bool half) {
    if (half) a.movq(x, x);
    if (e.v_cached(v(op))) {
      a.movdqa(e.vhost(v(op)), x);
      e.note_v_written(v(op));
      if (x.id() == 0) e.note_v_in_xmm0(v(op));
      return;
    }
    a.movdqu(e.vmem(v(op)), x);
    if (x.id() == 0) e.note_v_in_xmm0(v(op));
  }
  void ones(const x86::Xmm& x) { a.pcmpeqd(x, x); }
  void splat32(const x86::Xmm& x, uint32_t value) {
    a.mov(x86::eax, value);
    a.movd(x, x86::eax);
    a.pshufd(x, x, 0);
  }
  void const128(const x86::Xmm& x, uint64_t lo, uint64_t hi) {
    a.mov(x86::rax, imm(lo));
    a.movq(x, x86::rax);
    a.mov(x86::rax, imm(hi));
    a.pinsrq(x, x86::rax, 1);
  }
  void store_const(unsigned op, uint64_t lo, uint64_t hi) {
    if (e.v_cached(v(op))) {
      const x86::Xmm c = e.vhost(v(op));
      e.note_v_written(v(op));
      if (lo == 0 && hi == 0) {
        a.pxor(c, c);
        return;
      }
      a.mov(x86::rax, imm(lo));
      a.movq(c, x86::rax);
      if (hi == lo) {
        a.punpcklqdq(c, c);
        return;
      }
      if (hi != 0) {
        a.mov(x86::rax, imm(hi));
        a.pinsrq(c, x86::rax, 1);
      }
      return;
    }
    a.mov(x86::rax, imm(lo));
    a.mov(e.vmem(v(op), 0, 8), x86::rax);
    if (hi != lo) a.mov(x86::rax, imm(hi));
    a.mov(e.vmem(v(op), 8, 8), x86::rax);
  }
  // Scalar result in the low `bytes` of x86 eax/rax to V[op], rest zeroed.
  void st_scalar_gp(unsigned op) {
    if (e.v_cached(v(op))) {
      a.movq(e.vhost(v(op)), x86::rax);  // upper half zeroed
      e.note_v_written(v(op));
      return;
    }
    a.mov(e.vmem(v(op), 0, 8), x86::rax);
    a.mov(e.vmem(v(op), 8, 8), 0);
  }
};

using Bin = Error (x86::Assembler::*)(const x86::Xmm&, const x86::Xmm&);

uint64_t replicate(uint64_t e, unsigned bits) {
  uint64_t r = 0;
  for (unsigned i = 0; i < 64; i += bits) r |= (e & (bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1)) << i;
  return r;
}

}  // namespace

bool lower_neon_sse(Emitter& e) {
  auto& a = e.a;
  const Insn& in = *e.in;
  V s{e, a, in};
  const x86::Xmm x0 = x86::xmm0, x1 = x86::xmm1, x2 = x86::xmm2;
  const Operand* o = in.ops;

  // Three-register forms: x0 = n op m.
  // Loads n into x0 and m into x1; m first when it is the value xmm0 still
  // holds (V::ld), which loading n would overwrite.
  // Returns the register holding m: x1, or m's cached xmm itself.
  auto ld_nm = [&]() -> x86::Xmm {
    if (e.v_cached(s.v(2))) {
      s.ld(x0, 1);
      return e.vhost(s.v(2));
    }
    if (e.v_in_xmm0(s.v(2)) && !e.v_in_xmm0(s.v(1))) {
      s.ld(x1, 2);
      s.ld(x0, 1);
    } else {
      s.ld(x0, 1);
      s.ld(x1, 2);
    }
    return x1;
  };
  auto binary = [&](Bin fn, bool half) {
    const x86::Xmm m = ld_nm();
    (a.*fn)(x0, m);
    s.st(0, x0, half);
    return true;
  };

  // Ends an FP fast path: a NaN lane in x (of the lanes the form has)
  // leaves it for neon_exec (A64 NaN rules, FPCR.DN), nothing stored yet.
  // The fallback is cold code after the block, which leaves V[d] in xmm0
  // like the fast path's store does.
  auto nan_fallback_store = [&](const x86::Xmm& x, bool dbl, bool half) {
    Label slow = a.newLabel(), done = a.newLabel();
    if (host_has_avx() && (dbl || !half)) {
      // Every lane counts: one compare into x2, one test of all of it.
      if (dbl) a.vcmppd(x2, x, x, 3); else a.vcmpps(x2, x, x, 3);  // unordered
      a.vptest(x2, x2);
    } else {
      a.movdqa(x2, x);
      if (dbl) {
        a.cmppd(x2, x2, 3);  // unordered
        a.movmskpd(x86::eax, x2);
      } else {
        a.cmpps(x2, x2, 3);
        a.movmskps(x86::eax, x2);
      }
      a.test(x86::eax, dbl ? 3 : half ? 3 : 0xF);
    }
    a.jnz(slow);
    s.st(0, x, half);
    a.bind(done);
    e.cold_call = true;
    Emitter* em = &e;
    const Insn* insn = e.in;
    const unsigned d = s.v(0);
    const bool in_xmm0 = x.id() == 0;
    e.cold.push_back([em, insn, slow, done, d, in_xmm0] {
      em->in = insn;
      em->a.bind(slow);
      em->call_insn_helper(&neon_exec);
      if (in_xmm0) {
        if (em->v_cached(d)) em->a.movdqa(x86::xmm0, em->vhost(d));  // reloaded after the call
        else em->a.movdqu(x86::xmm0, em->vmem(d));
      }
      em->a.jmp(done);
    });
    return true;
  };

  // A 64-bit arrangement computes on the low half only: the upper lanes of
  // its SSE operands are zeroed first, so that they raise no exception flag
  // (FPSR; for a divisor they are 1.0). Returns the register holding m.
  auto half_operands = [&](const x86::Xmm& m, bool divisor) -> x86::Xmm {
    a.movq(x0, x0);
    a.movq(x1, m);
    if (divisor) {
      a.mov(x86::rax, imm(0x3F8000003F800000ull));  // 1.0f, 1.0f
      a.movq(x2, x86::rax);
      a.punpcklqdq(x1, x2);
    }
    return x1;
  };

  // FP three-register forms with the NaN fallback.
  auto fp_binary = [&](Bin fn, bool dbl, bool half) {
    x86::Xmm m = ld_nm();
    if (half) m = half_operands(m, in.op == Op::FDIVv2f32);
    (a.*fn)(x0, m);
    return nan_fallback_store(x0, dbl, half);
  };

  // FMLA/FMLS (vector: d, d, n, m; by element: d, d, n, m, lane) as one
  // FMA3 per vector: d + n*m, d - n*m (= d + (-n)*m, the same rounding).
  auto fp_fma = [&](bool dbl, bool half, bool sub, bool indexed) {
    if (!host_has_fma()) return false;
    const x86::Xmm x3 = x86::xmm3;
    s.ld(x0, 0);
    s.ld(x1, 2);
    s.ld(x3, 3);
    if (indexed) {
      const unsigned lane = static_cast<unsigned>(o[4].imm);
      if (dbl) a.pshufd(x3, x3, lane ? 0xEE : 0x44);
      else a.pshufd(x3, x3, lane * 0x55);
    }
    if (half) {  // no exception flags from the upper lanes (FPSR)
      a.movq(x0, x0);
      a.movq(x1, x1);
      a.movq(x3, x3);
    }
    if (dbl) { if (sub) a.vfnmadd231pd(x0, x1, x3); else a.vfmadd231pd(x0, x1, x3); }
    else { if (sub) a.vfnmadd231ps(x0, x1, x3); else a.vfmadd231ps(x0, x1, x3); }
    return nan_fallback_store(x0, dbl, half);
  };

  // FMAX/FMIN/FMAXNM/FMINNM without NaN operands (else neon_exec): both
  // operand orders of max/min combined, AND for max, OR for min (the
  // -0 < +0 order; equal non-zero values have equal bits).
  auto fp_minmax = [&](bool dbl, bool half, bool is_max) {
    Label slow = a.newLabel(), done = a.newLabel();
    s.ld(x0, 1);
    s.ld(x1, 2);
    if (half) {
      a.movq(x0, x0);
      a.movq(x1, x1);
    }
    a.movdqa(x2, x0);
    if (dbl) { a.cmppd(x2, x1, 3); a.movmskpd(x86::eax, x2); }
    else { a.cmpps(x2, x1, 3); a.movmskps(x86::eax, x2); }
    a.test(x86::eax, dbl ? 3 : half ? 3 : 0xF);
    a.jnz(slow);
    a.movdqa(x2, x0);
    if (dbl) {
      if (is_max) { a.maxpd(x0, x1); a.maxpd(x1, x2); a.andpd(x0, x1); }
      else { a.minpd(x0, x1); a.minpd(x1, x2); a.orpd(x0, x1); }
    } else {
      if (is_max) { a.maxps(x0, x1); a.maxps(x1, x2); a.andps(x0, x1); }
      else { a.minps(x0, x1); a.minps(x1, x2); a.orps(x0, x1); }
    }
    s.st(0, x0, half);
    a.jmp(done);
    a.bind(slow);
    e.call_insn_helper(&neon_exec);
    a.bind(done);
    return true;
  };

  // FNEG/FABS: the sign bits flipped or cleared.
  auto fp_sign = [&](bool dbl, bool half, bool is_abs) {
    s.ld(x0, 1);
    a.pcmpeqd(x1, x1);
    if (is_abs) { if (dbl) a.psrlq(x1, 1); else a.psrld(x1, 1); a.pand(x0, x1); }
    else { if (dbl) a.psllq(x1, 63); else a.pslld(x1, 31); a.pxor(x0, x1); }
    s.st(0, x0, half);
    return true;
  };

  switch (in.op) {
    // Integer lane arithmetic.
    case Op::ADDv2i64: return binary(&x86::Assembler::paddq, false);
    case Op::ADDv4i32: return binary(&x86::Assembler::paddd, false);
    case Op::ADDv2i32: return binary(&x86::Assembler::paddd, true);
    case Op::ADDv16i8: return binary(&x86::Assembler::paddb, false);
    case Op::ADDv8i16: return binary(&x86::Assembler::paddw, false);
    case Op::SUBv2i64: return binary(&x86::Assembler::psubq, false);
    case Op::SUBv4i32: return binary(&x86::Assembler::psubd, false);
    case Op::SUBv2i32: return binary(&x86::Assembler::psubd, true);
    case Op::SUBv16i8: return binary(&x86::Assembler::psubb, false);
    case Op::SUBv8i16: return binary(&x86::Assembler::psubw, false);
    case Op::MULv4i32: return binary(&x86::Assembler::pmulld, false);
    case Op::MULv2i32: return binary(&x86::Assembler::pmulld, true);
    case Op::SMAXv4i32: return binary(&x86::Assembler::pmaxsd, false);
    case Op::SMINv4i32: return binary(&x86::Assembler::pminsd, false);
    case Op::UMAXv16i8: return binary(&x86::Assembler::pmaxub, false);
    case Op::UMINv16i8: return binary(&x86::Assembler::pminub, false);
    case Op::ADDPv4i32: return binary(&x86::Assembler::phaddd, false);
    case Op::ZIP1v4i32: return binary(&x86::Assembler::punpckldq, false);
    case Op::ZIP2v4i32: return binary(&x86::Assembler::punpckhdq, false);
    case Op::ZIP1v16i8: return binary(&x86::Assembler::punpcklbw, false);
    // Bitwise.
    case Op::ANDv16i8: return binary(&x86::Assembler::pand, false);
    case Op::ANDv8i8: return binary(&x86::Assembler::pand, true);
    case Op::ORRv16i8: return binary(&x86::Assembler::por, false);
    case Op::ORRv8i8: return binary(&x86::Assembler::por, true);
    case Op::EORv16i8: return binary(&x86::Assembler::pxor, false);
    case Op::EORv8i8: return binary(&x86::Assembler::pxor, true);
    case Op::BICv16i8: case Op::BICv8i8:  // n & ~m
      s.ld(x0, 2);
      s.ld(x1, 1);
      a.pandn(x0, x1);
      s.st(0, x0, in.op == Op::BICv8i8);
      return true;
    case Op::BITv8i8: case Op::BITv16i8:  // d ^ ((d ^ n) & m)
    case Op::BIFv16i8:                    // d ^ ((d ^ n) & ~m)
    case Op::BSLv16i8: {                  // m ^ ((m ^ n) & d)
      const bool bsl = in.op == Op::BSLv16i8;
      s.ld(x0, bsl ? 3 : 0);  // base
      s.ld(x1, 2);            // n
      s.ld(x2, bsl ? 0 : 3);  // selector
      a.pxor(x1, x0);
      if (in.op == Op::BIFv16i8) a.pandn(x2, x1); else a.pand(x2, x1);
      a.pxor(x0, x2);
      s.st(0, x0, in.op == Op::BITv8i8);
      return true;
    }
    case Op::NOTv8i8: case Op::NOTv16i8:
      s.ld(x0, 1);
      s.ones(x1);
      a.pxor(x0, x1);
      s.st(0, x0, in.op == Op::NOTv8i8);
      return true;
    // Compares.
    case Op::CMEQv4i16: return binary(&x86::Assembler::pcmpeqw, true);
    case Op::CMEQv2i32: return binary(&x86::Assembler::pcmpeqd, true);
    case Op::CMEQv16i8: return binary(&x86::Assembler::pcmpeqb, false);
    case Op::CMEQv4i32: return binary(&x86::Assembler::pcmpeqd, false);
    case Op::CMGTv2i32: return binary(&x86::Assembler::pcmpgtd, true);
    case Op::CMGTv4i32: return binary(&x86::Assembler::pcmpgtd, false);
    case Op::CMEQv16i8rz:
      s.ld(x0, 1);
      a.pxor(x1, x1);
      a.pcmpeqb(x0, x1);
      s.st(0, x0, false);
      return true;
    case Op::CMHSv16i8:  // n >= m  <=>  max(n, m) == n
    case Op::CMHIv16i8:  // n > m   <=>  max(n, m) != m
      s.ld(x0, 1);
      s.ld(x1, 2);
      a.movdqa(x2, in.op == Op::CMHSv16i8 ? x0 : x1);
      a.pmaxub(x0, x1);
      a.pcmpeqb(x0, x2);
      if (in.op == Op::CMHIv16i8) {
        s.ones(x1);
        a.pxor(x0, x1);
      }
      s.st(0, x0, false);
      return true;
    case Op::CMTSTv16i8:
      s.ld(x0, 1);
      s.ld(x1, 2);
      a.pand(x0, x1);
      a.pxor(x1, x1);
      a.pcmpeqb(x0, x1);
      s.ones(x1);
      a.pxor(x0, x1);
      s.st(0, x0, false);
      return true;
    // Permutes.
    case Op::REV64v8i8: case Op::REV64v16i8:
      s.ld(x0, 1);
      s.const128(x1, 0x0001020304050607ull, 0x08090A0B0C0D0E0Full);
      a.pshufb(x0, x1);
      s.st(0, x0, in.op == Op::REV64v8i8);
      return true;
    case Op::EXTv16i8:
      s.ld(x0, 2);
      s.ld(x1, 1);
      if (o[3].imm) a.palignr(x0, x1, static_cast<uint32_t>(o[3].imm)); else a.movdqa(x0, x1);
      s.st(0, x0, false);
      return true;
    case Op::UZP1v4i32: case Op::UZP2v4i32:
      s.ld(x0, 1);
      s.ld(x1, 2);
      a.shufps(x0, x1, in.op == Op::UZP1v4i32 ? 0x88 : 0xDD);
      s.st(0, x0, false);
      return true;
    case Op::UZP1v8i16: case Op::UZP1v16i8:
      s.ld(x0, 1);
      s.ld(x1, 2);
      s.ones(x2);
      if (in.op == Op::UZP1v8i16) {
        a.psrld(x2, 16);
        a.pand(x0, x2);
        a.pand(x1, x2);
        a.packusdw(x0, x1);
      } else {
        a.psrlw(x2, 8);
        a.pand(x0, x2);
        a.pand(x1, x2);
        a.packuswb(x0, x1);
      }
      s.st(0, x0, false);
      return true;
    case Op::TBLv16i8One:
      s.ld(x0, 1);
      s.ld(x1, 2);
      s.splat32(x2, 0x70707070u);
      a.paddusb(x1, x2);  // indices >= 16 get bit 7: pshufb writes 0
      a.pshufb(x0, x1);
      s.st(0, x0, false);
      return true;
    // Moves and immediates.
    case Op::DUPv16i8gpr: case Op::DUPv8i8gpr:
      e.load_gp(x86::eax, o[1].reg);
      a.movd(x0, x86::eax);
      a.pxor(x1, x1);
      a.pshufb(x0, x1);
      s.st(0, x0, in.op == Op::DUPv8i8gpr);
      return true;
    case Op::DUPv4i16gpr: case Op::DUPv8i16gpr:
      e.load_gp(x86::eax, o[1].reg);
      a.movd(x0, x86::eax);
      a.pshuflw(x0, x0, 0);
      a.pshufd(x0, x0, 0);
      s.st(0, x0, in.op == Op::DUPv4i16gpr);
      return true;
    case Op::DUPv2i32gpr: case Op::DUPv4i32gpr:
      e.load_gp(x86::eax, o[1].reg);
      a.movd(x0, x86::eax);
      a.pshufd(x0, x0, 0);
      s.st(0, x0, in.op == Op::DUPv2i32gpr);
      return true;
    case Op::DUPv2i64gpr:
      e.load_gp(x86::rax, o[1].reg);
      a.movq(x0, x86::rax);
      a.punpcklqdq(x0, x0);
      s.st(0, x0, false);
      return true;
    case Op::DUPv4i32lane:
      s.ld(x0, 1);
      a.pshufd(x0, x0, static_cast<uint32_t>(0x55 * (o[2].imm & 3)));
      s.st(0, x0, false);
      return true;
    case Op::DUPi32:
      a.mov(x86::eax, e.vmem(s.v(1), 4 * static_cast<int32_t>(o[2].imm), 4));
      s.st_scalar_gp(0);
      return true;
    case Op::DUPi64:
      a.mov(x86::rax, e.vmem(s.v(1), 8 * static_cast<int32_t>(o[2].imm), 8));
      s.st_scalar_gp(0);
      return true;
    case Op::UMOVvi8: case Op::UMOVvi16: case Op::UMOVvi32: case Op::UMOVvi64:
    case Op::UMOVvi8_idx0: case Op::UMOVvi16_idx0: case Op::UMOVvi32_idx0: case Op::UMOVvi64_idx0: {
      // The _idx0 opcodes are lane 0 (LLVM still gives the 0 as operand 2).
      const unsigned n = s.v(1);
      const int32_t lane = static_cast<int32_t>(o[2].imm);
      switch (in.op) {
        case Op::UMOVvi8: case Op::UMOVvi8_idx0: a.movzx(x86::eax, e.vmem(n, lane, 1)); break;
        case Op::UMOVvi16: case Op::UMOVvi16_idx0: a.movzx(x86::eax, e.vmem(n, 2 * lane, 2)); break;
        case Op::UMOVvi32: case Op::UMOVvi32_idx0: a.mov(x86::eax, e.vmem(n, 4 * lane, 4)); break;
        default: a.mov(x86::rax, e.vmem(n, 8 * lane, 8)); break;
      }
      e.store_gp(o[0].reg, x86::rax);
      return true;
    }
    case Op::INSvi8gpr: case Op::INSvi16gpr: case Op::INSvi32gpr: case Op::INSvi64gpr: {
      const unsigned d = s.v(0);
      const int32_t lane = static_cast<int32_t>(o[2].imm);
      e.load_gp(x86::rax, o[3].reg);
      switch (in.op) {
        case Op::INSvi8gpr: a.mov(e.vmem(d, lane, 1), x86::al); break;
        case Op::INSvi16gpr: a.mov(e.vmem(d, 2 * lane, 2), x86::ax); break;
        case Op::INSvi32gpr: a.mov(e.vmem(d, 4 * lane, 4), x86::eax); break;
        default: a.mov(e.vmem(d, 8 * lane, 8), x86::rax); break;
      }
      return true;
    }
    case Op::INSvi32lane:
      a.mov(x86::eax, e.vmem(s.v(3), 4 * static_cast<int32_t>(o[4].imm), 4));
      a.mov(e.vmem(s.v(0), 4 * static_cast<int32_t>(o[2].imm), 4), x86::eax);
      return true;
    case Op::INSvi64lane:
      a.mov(x86::rax, e.vmem(s.v(3), 8 * static_cast<int32_t>(o[4].imm), 8));
      a.mov(e.vmem(s.v(0), 8 * static_cast<int32_t>(o[2].imm), 8), x86::rax);
      return true;
    case Op::MOVIv2d_ns: { const uint64_t m = expand_byte_mask(o[1].imm); s.store_const(0, m, m); return true; }
    case Op::MOVID: s.store_const(0, expand_byte_mask(o[1].imm), 0); return true;
    case Op::MOVIv16b_ns: { const uint64_t m = replicate(o[1].imm, 8); s.store_const(0, m, m); return true; }
    case Op::MOVIv4i32: { const uint64_t m = replicate(static_cast<uint64_t>(o[1].imm & 0xFF) << o[2].imm, 32); s.store_const(0, m, m); return true; }
    case Op::MVNIv4i32: { const uint64_t m = ~replicate(static_cast<uint64_t>(o[1].imm & 0xFF) << o[2].imm, 32); s.store_const(0, m, m); return true; }
    case Op::MOVIv4i16: s.store_const(0, replicate(static_cast<uint64_t>(o[1].imm & 0xFF) << o[2].imm, 16), 0); return true;
    case Op::MOVIv2i32: s.store_const(0, replicate(static_cast<uint64_t>(o[1].imm & 0xFF) << o[2].imm, 32), 0); return true;
    case Op::FMOVv2f64_ns: { const uint64_t m = expand_fp_imm(o[1].imm, 64); s.store_const(0, m, m); return true; }
    case Op::FMOVv4f32_ns: { const uint64_t m = replicate(expand_fp_imm(o[1].imm, 32), 32); s.store_const(0, m, m); return true; }
    case Op::FMOVv2f32_ns: s.store_const(0, replicate(expand_fp_imm(o[1].imm, 32), 32), 0); return true;
    case Op::BICv4i32: case Op::ORRv4i32: case Op::BICv4i16: {
      const unsigned bits = in.op == Op::BICv4i16 ? 16 : 32;
      const uint64_t m = replicate(static_cast<uint64_t>(o[2].imm & 0xFF) << o[3].imm, bits);
      s.ld(x0, 1);
      s.const128(x1, m, m);
      if (in.op == Op::ORRv4i32) a.por(x0, x1); else a.pandn(x1, x0);
      s.st(0, in.op == Op::ORRv4i32 ? x0 : x1, in.op == Op::BICv4i16);
      return true;
    }
    // Shifts (immediates are 1..bits for right shifts, 0..bits-1 for SHL).
    case Op::USHRv2i64_shift: case Op::USHRv4i32_shift: case Op::SHLv2i64_shift:
    case Op::SHLv4i32_shift: case Op::SSHRv4i32_shift: {
      const uint32_t sh = static_cast<uint32_t>(o[2].imm);
      s.ld(x0, 1);
      switch (in.op) {
        case Op::USHRv2i64_shift: a.psrlq(x0, sh); break;
        case Op::USHRv4i32_shift: a.psrld(x0, sh); break;
        case Op::SHLv2i64_shift: a.psllq(x0, sh); break;
        case Op::SHLv4i32_shift: a.pslld(x0, sh); break;
        default: a.psrad(x0, sh); break;
      }
      s.st(0, x0, false);
      return true;
    }
    case Op::USRAv2i64_shift:
      s.ld(x0, 2);
      a.psrlq(x0, static_cast<uint32_t>(o[3].imm));
      s.ld(x1, 0);
      a.paddq(x0, x1);
      s.st(0, x0, false);
      return true;
    case Op::USHLLv8i8_shift: case Op::USHLLv4i16_shift: case Op::SSHLLv2i32_shift: {
      const uint32_t sh = static_cast<uint32_t>(o[2].imm);
      switch (in.op) {
        case Op::USHLLv8i8_shift: a.pmovzxbw(x0, e.vmem(s.v(1), 0, 8)); if (sh) a.psllw(x0, sh); break;
        case Op::USHLLv4i16_shift: a.pmovzxwd(x0, e.vmem(s.v(1), 0, 8)); if (sh) a.pslld(x0, sh); break;
        default: a.pmovsxdq(x0, e.vmem(s.v(1), 0, 8)); if (sh) a.psllq(x0, sh); break;
      }
      s.st(0, x0, false);
      return true;
    }
    case Op::SADDWv2i32_v2i64:
      a.pmovsxdq(x0, e.vmem(s.v(2), 0, 8));
      s.ld(x1, 1);
      a.paddq(x0, x1);
      s.st(0, x0, false);
      return true;
    case Op::UADDWv4i16_v4i32:
      a.pmovzxwd(x0, e.vmem(s.v(2), 0, 8));
      s.ld(x1, 1);
      a.paddd(x0, x1);
      s.st(0, x0, false);
      return true;
    case Op::XTNv8i8: case Op::XTNv4i16: case Op::XTNv2i32:
      s.ld(x0, 1);
      if (in.op == Op::XTNv2i32) {
        a.pshufd(x0, x0, 0x08);
      } else {
        s.ones(x1);
        if (in.op == Op::XTNv8i8) { a.psrlw(x1, 8); a.pand(x0, x1); a.packuswb(x0, x0); }
        else { a.psrld(x1, 16); a.pand(x0, x1); a.packusdw(x0, x0); }
      }
      s.st(0, x0, true);
      return true;
    // Reductions.
    case Op::ADDVv4i32v:
      s.ld(x0, 1);
      a.pshufd(x1, x0, 0x4E);
      a.paddd(x0, x1);
      a.pshufd(x1, x0, 0xB1);
      a.paddd(x0, x1);
      a.movd(x86::eax, x0);
      s.st_scalar_gp(0);
      return true;
    case Op::SMAXVv4i32v:
      s.ld(x0, 1);
      a.pshufd(x1, x0, 0x4E);
      a.pmaxsd(x0, x1);
      a.pshufd(x1, x0, 0xB1);
      a.pmaxsd(x0, x1);
      a.movd(x86::eax, x0);
      s.st_scalar_gp(0);
      return true;
    case Op::ADDVv16i8v:
      s.ld(x0, 1);
      a.pxor(x1, x1);
      a.psadbw(x0, x1);
      a.pshufd(x1, x0, 0x4E);
      a.paddq(x0, x1);
      a.movd(x86::eax, x0);
      a.movzx(x86::eax, x86::al);
      s.st_scalar_gp(0);
      return true;
    case Op::UADDLVv8i8v:
      a.movq(x0, e.vmem(s.v(1), 0, 8));
      a.pxor(x1, x1);
      a.psadbw(x0, x1);
      a.movd(x86::eax, x0);
      s.st_scalar_gp(0);
      return true;
    case Op::UMAXVv16i8v: case Op::UMINVv16i8v: {
      const Bin op = in.op == Op::UMAXVv16i8v ? static_cast<Bin>(&x86::Assembler::pmaxub) : static_cast<Bin>(&x86::Assembler::pminub);
      s.ld(x0, 1);
      a.pshufd(x1, x0, 0x4E); (a.*op)(x0, x1);
      a.pshufd(x1, x0, 0xB1); (a.*op)(x0, x1);
      a.pshuflw(x1, x0, 0xB1); (a.*op)(x0, x1);
      a.movdqa(x1, x0); a.psrlw(x1, 8); (a.*op)(x0, x1);
      a.movd(x86::eax, x0);
      a.movzx(x86::eax, x86::al);
      s.st_scalar_gp(0);
      return true;
    }
    case Op::ADDPv2i64p:
      s.ld(x0, 1);
      a.pshufd(x1, x0, 0x4E);
      a.paddq(x0, x1);
      s.st(0, x0, true);
      return true;
    // Conversions.
    case Op::SCVTFv4f32: case Op::SCVTFv2f32:
      s.ld(x0, 1);
      if (in.op == Op::SCVTFv2f32) a.movq(x0, x0);  // no flags from the upper lanes
      a.cvtdq2ps(x0, x0);
      s.st(0, x0, in.op == Op::SCVTFv2f32);
      return true;
    case Op::SCVTFv1i64:
      a.mov(x86::rax, e.vmem(s.v(1), 0, 8));
      a.xorps(x0, x0);
      a.cvtsi2sd(x0, x86::rax);
      s.st(0, x0, true);
      return true;
    // FP lane arithmetic.
    case Op::FADDv4f32: return fp_binary(&x86::Assembler::addps, false, false);
    case Op::FADDv2f64: return fp_binary(&x86::Assembler::addpd, true, false);
    case Op::FSUBv2f64: return fp_binary(&x86::Assembler::subpd, true, false);
    case Op::FMULv4f32: return fp_binary(&x86::Assembler::mulps, false, false);
    case Op::FMULv2f64: return fp_binary(&x86::Assembler::mulpd, true, false);
    case Op::FMULv2f32: return fp_binary(&x86::Assembler::mulps, false, true);
    case Op::FADDv2f32: return fp_binary(&x86::Assembler::addps, false, true);
    case Op::FSUBv4f32: return fp_binary(&x86::Assembler::subps, false, false);
    case Op::FSUBv2f32: return fp_binary(&x86::Assembler::subps, false, true);
    case Op::FDIVv4f32: return fp_binary(&x86::Assembler::divps, false, false);
    case Op::FDIVv2f32: return fp_binary(&x86::Assembler::divps, false, true);
    case Op::FDIVv2f64: return fp_binary(&x86::Assembler::divpd, true, false);
    case Op::FMLAv4f32: return fp_fma(false, false, false, false);
    case Op::FMLAv2f32: return fp_fma(false, true, false, false);
    case Op::FMLAv2f64: return fp_fma(true, false, false, false);
    case Op::FMLSv4f32: return fp_fma(false, false, true, false);
    case Op::FMLSv2f32: return fp_fma(false, true, true, false);
    case Op::FMLSv2f64: return fp_fma(true, false, true, false);
    case Op::FMLAv4i32_indexed: return fp_fma(false, false, false, true);
    case Op::FMLAv2i32_indexed: return fp_fma(false, true, false, true);
    case Op::FMLAv2i64_indexed: return fp_fma(true, false, false, true);
    case Op::FMLSv4i32_indexed: return fp_fma(false, false, true, true);
    case Op::FMLSv2i32_indexed: return fp_fma(false, true, true, true);
    case Op::FMLSv2i64_indexed: return fp_fma(true, false, true, true);
    case Op::FMAXv4f32: case Op::FMAXNMv4f32: return fp_minmax(false, false, true);
    case Op::FMAXv2f32: case Op::FMAXNMv2f32: return fp_minmax(false, true, true);
    case Op::FMAXv2f64: case Op::FMAXNMv2f64: return fp_minmax(true, false, true);
    case Op::FMINv4f32: case Op::FMINNMv4f32: return fp_minmax(false, false, false);
    case Op::FMINv2f32: case Op::FMINNMv2f32: return fp_minmax(false, true, false);
    case Op::FMINv2f64: case Op::FMINNMv2f64: return fp_minmax(true, false, false);
    case Op::FNEGv4f32: return fp_sign(false, false, false);
    case Op::FNEGv2f32: return fp_sign(false, true, false);
    case Op::FNEGv2f64: return fp_sign(true, false, false);
    case Op::FABSv4f32: return fp_sign(false, false, true);
    case Op::FABSv2f32: return fp_sign(false, true, true);
    case Op::FABSv2f64: return fp_sign(true, false, true);
    default:
      return false;
  }
}

}  // namespace capvm::aarch64
