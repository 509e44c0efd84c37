// Scalar FP lowering: register moves, FMOV immediates, FABS/FNEG, compares
// and selects inline; arithmetic, square root, FCVT, FMADD family (FMA3
// hosts) and integer conversions inline on a fast path that calls fp_exec
// (fp_semantics.cpp: A64 NaN selection, default NaN, saturation) only when
// the host result is a NaN or an out-of-range conversion, before anything is
// stored. FMIN/FMAX/FMINNM/FMAXNM and FRINT* are inline too (NaN operands
// or results go to fp_exec); the rest calls fp_exec. Rounding control and
// flush-to-zero come from MXCSR, which holds the guest's FPCR (set_fpcr).
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

// Inline forms; false: not handled here.
bool lower_fp_sse(Emitter& e) {
  auto& a = e.a;
  const Insn& in = *e.in;
  const Operand* o = in.ops;
  const x86::Xmm x0 = x86::xmm0, x1 = x86::xmm1, x2 = x86::xmm2;
  // A V operand's value as an SSE source: its cached xmm, or the context.
  auto vm = [&](unsigned i, uint32_t size) -> asmjit::Operand { return e.v_src(o[i].reg.index, size); };
  // Scalar loads into an xmm (upper lanes zeroed).
  auto ldq = [&](const x86::Xmm& x, unsigned i) { e.load_fp(x, Reg{RegKind::kD, o[i].reg.index}); };
  auto ldd = [&](const x86::Xmm& x, unsigned i) { e.load_fp(x, Reg{RegKind::kS, o[i].reg.index}); };
  Label slow = a.newLabel(), done = a.newLabel();
  // Ends a fast path with its result in x0; `slow` leads to fp_exec.
  auto fast_end = [&]() {
    e.store_fp(o[0].reg, x0);
    a.jmp(done);
    a.bind(slow);
    e.call_insn_helper(&fp_exec);
    a.bind(done);
    return true;
  };
  // ... whose result may be a NaN: NaN -> fp_exec.
  auto nan_check_store = [&](bool dbl) {
    if (dbl) a.ucomisd(x0, x0); else a.ucomiss(x0, x0);
    a.jp(slow);
    return fast_end();
  };
  auto gp_fast_end = [&]() {
    e.store_gp(o[0].reg, x86::rax);
    a.jmp(done);
    a.bind(slow);
    e.call_insn_helper(&fp_exec);
    a.bind(done);
    return true;
  };
  switch (in.op) {
    case Op::FADDDrr: case Op::FSUBDrr: case Op::FMULDrr: case Op::FDIVDrr: case Op::FNMULDrr:
      ldq(x0, 1);
      switch (in.op) {
        case Op::FADDDrr: a.emit(x86::Inst::kIdAddsd, x0, vm(2, 8)); break;
        case Op::FSUBDrr: a.emit(x86::Inst::kIdSubsd, x0, vm(2, 8)); break;
        case Op::FDIVDrr: a.emit(x86::Inst::kIdDivsd, x0, vm(2, 8)); break;
        default: a.emit(x86::Inst::kIdMulsd, x0, vm(2, 8)); break;
      }
      if (in.op == Op::FNMULDrr) {
        a.ucomisd(x0, x0);
        a.jp(slow);
        a.pcmpeqd(x1, x1);
        a.psllq(x1, 63);
        a.xorpd(x0, x1);
      }
      return nan_check_store(true);
    case Op::FADDSrr: case Op::FSUBSrr: case Op::FMULSrr: case Op::FDIVSrr: case Op::FNMULSrr:
      ldd(x0, 1);
      switch (in.op) {
        case Op::FADDSrr: a.emit(x86::Inst::kIdAddss, x0, vm(2, 4)); break;
        case Op::FSUBSrr: a.emit(x86::Inst::kIdSubss, x0, vm(2, 4)); break;
        case Op::FDIVSrr: a.emit(x86::Inst::kIdDivss, x0, vm(2, 4)); break;
        default: a.emit(x86::Inst::kIdMulss, x0, vm(2, 4)); break;
      }
      if (in.op == Op::FNMULSrr) {
        a.ucomiss(x0, x0);
        a.jp(slow);
        a.pcmpeqd(x1, x1);
        a.pslld(x1, 31);
        a.xorps(x0, x1);
      }
      return nan_check_store(false);
    case Op::FSQRTDr:
      a.emit(x86::Inst::kIdSqrtsd, x0, vm(1, 8));
      return nan_check_store(true);
    case Op::FSQRTSr:
      a.emit(x86::Inst::kIdSqrtss, x0, vm(1, 4));
      return nan_check_store(false);
    case Op::FCVTDSr:
      a.emit(x86::Inst::kIdCvtss2sd, x0, vm(1, 4));
      return nan_check_store(true);
    case Op::FCVTSDr:
      a.emit(x86::Inst::kIdCvtsd2ss, x0, vm(1, 8));
      return nan_check_store(false);
    case Op::FMADDDrrr: case Op::FMSUBDrrr: case Op::FNMADDDrrr: case Op::FNMSUBDrrr:
    case Op::FMADDSrrr: case Op::FMSUBSrrr: case Op::FNMADDSrrr: case Op::FNMSUBSrrr: {
      if (!host_has_fma()) return false;
      const bool dbl = o[0].reg.kind == RegKind::kD;
      const uint32_t sz = dbl ? 8 : 4;
      // x0 = addend; x1 = n; memory m.
      if (dbl) { ldq(x0, 3); ldq(x1, 1); } else { ldd(x0, 3); ldd(x1, 1); }
      switch (in.op) {
        case Op::FMADDDrrr: a.emit(x86::Inst::kIdVfmadd231sd, x0, x1, vm(2, sz)); break;    //  n*m + a
        case Op::FMSUBDrrr: a.emit(x86::Inst::kIdVfnmadd231sd, x0, x1, vm(2, sz)); break;   // -n*m + a
        case Op::FNMADDDrrr: a.emit(x86::Inst::kIdVfnmsub231sd, x0, x1, vm(2, sz)); break;  // -n*m - a
        case Op::FNMSUBDrrr: a.emit(x86::Inst::kIdVfmsub231sd, x0, x1, vm(2, sz)); break;   //  n*m - a
        case Op::FMADDSrrr: a.emit(x86::Inst::kIdVfmadd231ss, x0, x1, vm(2, sz)); break;
        case Op::FMSUBSrrr: a.emit(x86::Inst::kIdVfnmadd231ss, x0, x1, vm(2, sz)); break;
        case Op::FNMADDSrrr: a.emit(x86::Inst::kIdVfnmsub231ss, x0, x1, vm(2, sz)); break;
        default: a.emit(x86::Inst::kIdVfmsub231ss, x0, x1, vm(2, sz)); break;
      }
      return nan_check_store(dbl);
    }
    case Op::FMINDrr: case Op::FMAXDrr: case Op::FMINNMDrr: case Op::FMAXNMDrr:
    case Op::FMINSrr: case Op::FMAXSrr: case Op::FMINNMSrr: case Op::FMAXNMSrr: {
      // FPMin/FPMax(NM) without NaN operands (a NaN goes to fp_exec: the
      // propagating and the number-preferring forms differ only there).
      // x86 min/max return the second operand on equality, so both orders
      // are taken and combined: OR for min (-0 < +0), AND for max; equal
      // non-zero values have equal bits.
      const bool dbl = o[0].reg.kind == RegKind::kD;
      const bool is_max = in.op == Op::FMAXDrr || in.op == Op::FMAXNMDrr || in.op == Op::FMAXSrr ||
                          in.op == Op::FMAXNMSrr;
      if (dbl) { ldq(x0, 1); ldq(x1, 2); a.ucomisd(x0, x1); }
      else { ldd(x0, 1); ldd(x1, 2); a.ucomiss(x0, x1); }
      a.jp(slow);
      a.movaps(x2, x0);
      if (dbl) {
        if (is_max) { a.maxsd(x0, x1); a.maxsd(x1, x2); a.andpd(x0, x1); }
        else { a.minsd(x0, x1); a.minsd(x1, x2); a.orpd(x0, x1); }
      } else {
        if (is_max) { a.maxss(x0, x1); a.maxss(x1, x2); a.andps(x0, x1); }
        else { a.minss(x0, x1); a.minss(x1, x2); a.orps(x0, x1); }
      }
      return fast_end();
    }
    case Op::FRINTNDr: case Op::FRINTPDr: case Op::FRINTMDr: case Op::FRINTZDr: case Op::FRINTIDr: case Op::FRINTXDr:
    case Op::FRINTNSr: case Op::FRINTPSr: case Op::FRINTMSr: case Op::FRINTZSr: case Op::FRINTISr: case Op::FRINTXSr: {
      // FPRoundInt as SSE4.1 roundsd/roundss: imm bits 1:0 the mode (0
      // nearest even, 1 down, 2 up, 3 toward zero), bit 2 "MXCSR.RC
      // instead" (the FPCR mode: FRINTI, FRINTX), bit 3 no inexact.
      const bool dbl = o[0].reg.kind == RegKind::kD;
      uint32_t mode;
      switch (in.op) {
        case Op::FRINTNDr: case Op::FRINTNSr: mode = 8; break;
        case Op::FRINTMDr: case Op::FRINTMSr: mode = 9; break;
        case Op::FRINTPDr: case Op::FRINTPSr: mode = 10; break;
        case Op::FRINTZDr: case Op::FRINTZSr: mode = 11; break;
        case Op::FRINTIDr: case Op::FRINTISr: mode = 12; break;
        default: mode = 4; break;  // FRINTX: inexact signalled
      }
      if (dbl) a.emit(x86::Inst::kIdRoundsd, x0, vm(1, 8), imm(mode)); else a.emit(x86::Inst::kIdRoundss, x0, vm(1, 4), imm(mode));
      return nan_check_store(dbl);
    }
    case Op::FRINTADr: case Op::FRINTASr: {
      // Ties away from zero on the magnitude: t = trunc(|x|), one more when
      // |x| - t >= 0.5 (exact: both below 2^53), then x's sign put back
      // (FRINTA(-0.3) = -0.0). An infinity gives inf - inf = NaN, which
      // fails the compare; a NaN input goes to fp_exec.
      const bool dbl = in.op == Op::FRINTADr;
      const x86::Xmm x3 = x86::xmm3, x4 = x86::xmm4;
      Label whole = a.newLabel();
      if (dbl) {
        ldq(x0, 1);
        a.mov(x86::rax, imm(uint64_t{1} << 63));
        a.movq(x3, x86::rax);              // sign mask
        a.movaps(x4, x3);
        a.andnpd(x4, x0);                  // |x|
        // |x| >= 2^52 (infinities too) is integral already: x itself, no
        // arithmetic that could raise a flag (FPSR); a NaN: fp_exec.
        a.mov(x86::rax, imm(uint64_t{0x4330000000000000}));
        a.movq(x2, x86::rax);
        a.ucomisd(x4, x2);
        a.jp(slow);
        a.jae(whole);
        a.roundsd(x1, x4, 11);             // t
        a.subsd(x4, x1);                   // |x| - t
        a.mov(x86::rax, imm(uint64_t{0x3FE0000000000000}));
        a.movq(x2, x86::rax);              // 0.5
        a.cmpsd(x2, x4, 2);                // 0.5 <= |x| - t: all ones
        a.mov(x86::rax, imm(uint64_t{0x3FF0000000000000}));
        a.movq(x4, x86::rax);
        a.andpd(x2, x4);                   // 1.0 or +0.0
        a.addsd(x1, x2);
        a.andpd(x0, x3);
        a.orpd(x0, x1);
      } else {
        ldd(x0, 1);
        a.mov(x86::eax, 0x80000000u);
        a.movd(x3, x86::eax);
        a.movaps(x4, x3);
        a.andnps(x4, x0);
        a.mov(x86::eax, 0x4B000000u);  // 2^23 (as for the double form)
        a.movd(x2, x86::eax);
        a.ucomiss(x4, x2);
        a.jp(slow);
        a.jae(whole);
        a.roundss(x1, x4, 11);
        a.subss(x4, x1);
        a.mov(x86::eax, 0x3F000000u);
        a.movd(x2, x86::eax);
        a.cmpss(x2, x4, 2);  // LE
        a.mov(x86::eax, 0x3F800000u);
        a.movd(x4, x86::eax);
        a.andps(x2, x4);
        a.addss(x1, x2);
        a.andps(x0, x3);
        a.orps(x0, x1);
      }
      a.bind(whole);
      return nan_check_store(dbl);
    }
    case Op::FABSDr: case Op::FNEGDr:
      e.load_v_gp(x86::rax, o[1].reg.index);
      if (in.op == Op::FABSDr) a.btr(x86::rax, 63); else a.btc(x86::rax, 63);
      e.store_v_gp(o[0].reg.index, x86::rax);
      return true;
    case Op::FABSSr: case Op::FNEGSr:
      e.load_v_gp(x86::eax, o[1].reg.index);
      if (in.op == Op::FABSSr) a.btr(x86::eax, 31); else a.btc(x86::eax, 31);
      e.store_v_gp(o[0].reg.index, x86::rax);
      return true;
    case Op::FCMPDrr: case Op::FCMPDri: case Op::FCMPSrr: case Op::FCMPSri:
    case Op::FCMPEDrr: case Op::FCMPEDri: case Op::FCMPESrr: case Op::FCMPESri:
    case Op::FCCMPDrr: case Op::FCCMPSrr: {
      // The compare is made also when no one reads NZCV: its exception
      // flags (FPSR.IOC for a NaN) are observable.
      const bool dbl = o[0].reg.kind == RegKind::kD;
      // FCMPE signals Invalid for any NaN (comis), FCMP for a signalling
      // one only (ucomis).
      const bool signalling = in.op == Op::FCMPEDrr || in.op == Op::FCMPEDri ||
                              in.op == Op::FCMPESrr || in.op == Op::FCMPESri;
      const bool ccmp = in.op == Op::FCCMPDrr || in.op == Op::FCCMPSrr;
      Label skip = a.newLabel();
      if (ccmp) {
        const unsigned c = static_cast<unsigned>(o[3].imm & 15);
        if (c < 14) {
          e.load_flags();
          a.j(x86::negateCond(Emitter::cond(c)), skip);
        }
      }
      if (dbl) ldq(x0, 0); else ldd(x0, 0);
      const InstId cmp = dbl ? (signalling ? x86::Inst::kIdComisd : x86::Inst::kIdUcomisd)
                                  : (signalling ? x86::Inst::kIdComiss : x86::Inst::kIdUcomiss);
      if (in.num_ops > 1 && o[1].is_reg()) {
        a.emit(cmp, x0, vm(1, dbl ? 8 : 4));
      } else {
        a.xorps(x2, x2);
        a.emit(cmp, x0, x2);
      }
      if (!e.flags_live) {  // only the compare's exception flags are observable
        a.bind(skip);
        return true;
      }
      a.mov(x86::eax, static_cast<uint32_t>(canonical_flags(0x2u << 28)));  // greater: C
      a.mov(x86::edx, static_cast<uint32_t>(canonical_flags(0x8u << 28)));  // less: N
      a.cmovb(x86::eax, x86::edx);
      a.mov(x86::edx, static_cast<uint32_t>(canonical_flags(0x6u << 28)));  // equal: ZC
      a.cmove(x86::eax, x86::edx);
      a.mov(x86::edx, static_cast<uint32_t>(canonical_flags(0x3u << 28)));  // unordered: CV
      a.cmovp(x86::eax, x86::edx);
      a.mov(e.ctx(CAPVM_A64_OFF(flags), 8), x86::rax);
      if (ccmp) {
        a.jmp(done);
        a.bind(skip);
        e.save_flags_const(static_cast<uint32_t>(o[2].imm & 15) << 28);
        a.bind(done);
      }
      return true;
    }
    case Op::FCSELDrrr: case Op::FCSELSrrr: {
      const bool dbl = in.op == Op::FCSELDrrr;
      const unsigned c = static_cast<unsigned>(o[3].imm & 15);
      const x86::Gp r = dbl ? x86::Gp(x86::rax) : x86::Gp(x86::eax);
      if (c >= 14) {
        e.load_v_gp(r, o[1].reg.index);
      } else {
        const x86::Gp t = dbl ? x86::Gp(x86::rdx) : x86::Gp(x86::edx);
        e.load_flags();  // may use rax: the loads come after (mov/movq leave the flags)
        e.load_v_gp(r, o[2].reg.index);
        e.load_v_gp(t, o[1].reg.index);
        a.cmov(Emitter::cond(c), r, t);
      }
      e.store_v_gp(o[0].reg.index, x86::rax);
      return true;
    }
    case Op::SCVTFUWSri: case Op::SCVTFUWDri: case Op::SCVTFUXSri: case Op::SCVTFUXDri:
    case Op::UCVTFUWSri: case Op::UCVTFUWDri: case Op::UCVTFUXSri: case Op::UCVTFUXDri: {
      const bool dbl = o[0].reg.kind == RegKind::kD;
      const bool w32 = !Emitter::is64(o[1].reg);
      const bool is_unsigned = in.op == Op::UCVTFUWSri || in.op == Op::UCVTFUWDri ||
                               in.op == Op::UCVTFUXSri || in.op == Op::UCVTFUXDri;
      e.load_gp(x86::rax, o[1].reg);
      const x86::Gp src = (w32 && !is_unsigned) ? x86::Gp(x86::eax) : x86::Gp(x86::rax);
      if (is_unsigned && !w32) {
        a.test(x86::rax, x86::rax);
        a.js(slow);
      }
      a.xorps(x0, x0);
      if (dbl) a.cvtsi2sd(x0, src); else a.cvtsi2ss(x0, src);
      e.store_fp(o[0].reg, x0);
      if (is_unsigned && !w32) {
        a.jmp(done);
        a.bind(slow);
        e.call_insn_helper(&fp_exec);
        a.bind(done);
      }
      return true;
    }
    case Op::FCVTZSUWSr: case Op::FCVTZSUWDr: case Op::FCVTZSUXSr: case Op::FCVTZSUXDr:
    case Op::FCVTZUUWSr: case Op::FCVTZUUWDr: case Op::FCVTZUUXSr: case Op::FCVTZUUXDr: {
      const bool dbl = o[1].reg.kind == RegKind::kD;
      const bool w32 = !Emitter::is64(o[0].reg);
      const bool is_unsigned = in.op == Op::FCVTZUUWSr || in.op == Op::FCVTZUUWDr ||
                               in.op == Op::FCVTZUUXSr || in.op == Op::FCVTZUUXDr;
      const x86::Gp dst = (w32 && !is_unsigned) ? x86::Gp(x86::eax) : x86::Gp(x86::rax);
      if (is_unsigned) {
        // Only a value in [0, 2^32) (W) or [0, 2^63) (X) is converted here,
        // so that the x86 conversion raises exactly FPSR's flags (IXC when
        // inexact); below zero, above, or NaN: fp_exec (IOC, IXC by rule).
        if (dbl) ldq(x1, 1); else ldd(x1, 1);
        a.xorps(x2, x2);
        if (dbl) a.ucomisd(x1, x2); else a.ucomiss(x1, x2);
        a.jb(slow);  // below zero or unordered
        const unsigned exp = w32 ? 32 : 63;
        a.mov(x86::rax, imm(dbl ? uint64_t{1023 + exp} << 52 : uint64_t{127 + exp} << 23));
        a.movq(x2, x86::rax);
        if (dbl) a.ucomisd(x1, x2); else a.ucomiss(x1, x2);
        a.jae(slow);
        if (dbl) a.cvttsd2si(x86::rax, x1); else a.cvttss2si(x86::rax, x1);
        return gp_fast_end();
      }
      if (dbl) a.emit(x86::Inst::kIdCvttsd2si, dst, vm(1, 8)); else a.emit(x86::Inst::kIdCvttss2si, dst, vm(1, 4));
      // The x86 "integer indefinite" (INT_MIN): NaN, overflow (both raise
      // IE = IOC, as FPSR wants), or exactly INT_MIN.
      if (w32) {
        a.cmp(x86::eax, 0x80000000u);
      } else {
        a.mov(x86::rdx, imm(uint64_t{1} << 63));
        a.cmp(x86::rax, x86::rdx);
      }
      a.je(slow);
      return gp_fast_end();
    }
    default:
      return false;
  }
}

}  // namespace

Lowered lower_fp_scalar(Emitter& e) {
  auto& a = e.a;
  const Insn& in = *e.in;
  switch (in.op) {
    case Op::FMOVDXr:  // X <- D
    case Op::FMOVSWr:  // W <- S
      e.load_v_gp(x86::rdx, e.reg(1).index);
      e.store_gp(e.reg(0), x86::rdx);
      return Lowered::kContinue;
    case Op::FMOVXDr:  // D <- X
    case Op::FMOVWSr:  // S <- W
      e.load_gp(x86::rdx, e.reg(1));
      e.store_v_gp(e.reg(0).index, x86::rdx);
      return Lowered::kContinue;
    case Op::FMOVDr:
    case Op::FMOVSr:
      e.load_v_gp(x86::rdx, e.reg(1).index);
      if (in.op == Op::FMOVSr) a.mov(x86::edx, x86::edx);
      e.store_v_gp(e.reg(0).index, x86::rdx);
      return Lowered::kContinue;
    case Op::FMOVDi:
    case Op::FMOVSi: {
      const uint64_t v = expand_fp_imm(static_cast<uint8_t>(e.opimm(1)), in.op == Op::FMOVDi ? 64 : 32);
      a.mov(x86::rdx, imm(v));
      e.store_v_gp(e.reg(0).index, x86::rdx);
      return Lowered::kContinue;
    }
    default:
      break;
  }
  if (lower_fp_sse(e)) return Lowered::kContinue;
  if (!fp_exec_supported(in.op)) return Lowered::kUnsupported;
  e.call_insn_helper(&fp_exec);
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
