// Scalar floating point with A64 results (ARM ARM A1.5, "Floating-point
// support"; pseudocode FPProcessNaNs, FPMulAdd, FPMin/FPMax(NM), FPToFixed,
// FPRoundInt), executed in C++ from translated code. Host IEEE arithmetic
// gives the right numbers for non-NaN inputs in round-to-nearest; what
// differs is NaN selection (ARM: first signalling NaN, then first quiet NaN,
// quietened) and the default NaN (ARM 0x7FF8..., positive; x86 produces a
// negative one), both handled here, and saturating conversions.
//
// FPCR: these helpers run under the MXCSR translated code runs with (the
// guest's RMode and FZ as rounding control and FTZ/DAZ, see set_fpcr), so
// host arithmetic and conversions here round and flush as the guest asked;
// FPCR.DN (default NaN) is applied to the result (with_default_nan).
// FPSR cumulative exception bits are not kept.
#include <cmath>
#include <cstring>
#include <limits>

#include "translator/aarch64/fp_rules.h"
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

namespace {

using namespace fprules;

// FPCompare -> NZCV (equal 0110, less 1000, greater 0010, unordered 0011).
template <class F> uint32_t compare(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return 0x3u << 28;
  if (a == b) return 0x6u << 28;
  if (a < b) return 0x8u << 28;
  return 0x2u << 28;
}

template <class F> F get(const A64Context* c, Reg r) {
  F f;
  std::memcpy(&f, c->v[r.index], sizeof f);
  return f;
}
template <class F> void put(A64Context* c, Reg r, F f) {
  std::memset(c->v[r.index], 0, 16);
  std::memcpy(c->v[r.index], &f, sizeof f);
}
uint64_t gp(const A64Context* c, Reg r) {
  if (r.kind == RegKind::kXZR || r.kind == RegKind::kWZR) return 0;
  return r.kind == RegKind::kW ? static_cast<uint32_t>(c->x[r.index]) : c->x[r.index];
}
void set_gp(A64Context* c, Reg r, uint64_t v) {
  if (r.kind == RegKind::kXZR || r.kind == RegKind::kWZR) return;
  c->x[r.index] = r.kind == RegKind::kW ? static_cast<uint32_t>(v) : v;
}

template <class F> void exec_typed(A64Context* c, const Insn* in) {
  const Op op = in->op;
  const Operand* o = in->ops;
  switch (in->info().cls) {
    case InsnClass::kFpArith: {
      const F a = get<F>(c, o[1].reg), b = get<F>(c, o[2].reg);
      F r;
      switch (op) {
        case Op::FMINDrr: case Op::FMINSrr: r = min_max(false, false, a, b); break;
        case Op::FMAXDrr: case Op::FMAXSrr: r = min_max(true, false, a, b); break;
        case Op::FMINNMDrr: case Op::FMINNMSrr: r = min_max(false, true, a, b); break;
        case Op::FMAXNMDrr: case Op::FMAXNMSrr: r = min_max(true, true, a, b); break;
        case Op::FNMULDrr: r = neg(arith(Op::FMULDrr, a, b)); break;
        case Op::FNMULSrr: r = neg(arith(Op::FMULSrr, a, b)); break;
        case Op::FABD64: r = fabs_bits(arith(Op::FSUBDrr, a, b)); break;
        case Op::FABD32: r = fabs_bits(arith(Op::FSUBSrr, a, b)); break;
        default: r = arith(op, a, b); break;
      }
      put(c, o[0].reg, r);
      return;
    }
    case InsnClass::kFpFma: {
      F n = get<F>(c, o[1].reg), m = get<F>(c, o[2].reg), a = get<F>(c, o[3].reg);
      switch (op) {
        case Op::FMSUBDrrr: case Op::FMSUBSrrr: n = neg(n); break;
        case Op::FNMADDDrrr: case Op::FNMADDSrrr: n = neg(n); a = neg(a); break;
        case Op::FNMSUBDrrr: case Op::FNMSUBSrrr: a = neg(a); break;
        default: break;
      }
      put(c, o[0].reg, mul_add(a, n, m));
      return;
    }
    case InsnClass::kFpUnary: {
      const F a = get<F>(c, o[1].reg);
      F r;
      switch (op) {
        case Op::FSQRTDr: case Op::FSQRTSr:
          r = std::isnan(a) ? (is_snan(a) ? quiet(a) : a) : fix_invalid<F>(std::sqrt(a));
          break;
        case Op::FABSDr: case Op::FABSSr: r = fabs_bits(a); break;
        case Op::FNEGDr: case Op::FNEGSr: r = neg(a); break;
        default: r = round_int(op, a); break;
      }
      put(c, o[0].reg, r);
      return;
    }
    case InsnClass::kFpCompare: {
      uint32_t flags;
      if (op == Op::FCCMPDrr || op == Op::FCCMPSrr) {
        flags = cond_holds(nzcv(*c), o[3].imm & 15) ? compare(get<F>(c, o[0].reg), get<F>(c, o[1].reg))
                                                     : static_cast<uint32_t>(o[2].imm & 15) << 28;
      } else {
        const F b = in->num_ops > 1 ? get<F>(c, o[1].reg) : F(0);
        flags = compare(get<F>(c, o[0].reg), b);
      }
      set_nzcv(*c, flags);
      return;
    }
    case InsnClass::kFpSelect: {
      const bool t = cond_holds(nzcv(*c), o[3].imm & 15);
      put(c, o[0].reg, get<F>(c, t ? o[1].reg : o[2].reg));
      return;
    }
    default:
      return;
  }
}

}  // namespace

bool fp_exec_supported(Op op) {
  const InsnClass c = op_info(op).cls;
  return c == InsnClass::kFpArith || c == InsnClass::kFpFma || c == InsnClass::kFpUnary ||
         c == InsnClass::kFpCompare || c == InsnClass::kFpSelect || c == InsnClass::kFpConvert;
}

namespace {

void fp_exec_ieee(A64Context* c, const Insn* in);

// FPCR.DN: every NaN an FP operation produces is the default NaN (the
// moves FABS/FNEG/FMOV/FCSEL never reach here with DN effects).
// FNMUL negates after the multiply made its NaN: the negated default NaN.
void with_default_nan(A64Context* c, const Insn* in) {
  const Reg d = in->ops[0].reg;
  const bool negated = in->op == Op::FNMULDrr || in->op == Op::FNMULSrr;
  if (d.kind == RegKind::kD) {
    if (std::isnan(get<double>(c, d)))
      put<double>(c, d, negated ? neg(default_nan<double>()) : default_nan<double>());
  } else if (d.kind == RegKind::kS) {
    if (std::isnan(get<float>(c, d))) put<float>(c, d, negated ? neg(default_nan<float>()) : default_nan<float>());
  }
}

}  // namespace

void fp_exec(A64Context* c, const Insn* in) {
  fp_exec_ieee(c, in);
  if (!(c->fpcr & kFpcrDn)) return;
  switch (in->info().cls) {
    case InsnClass::kFpArith: case InsnClass::kFpFma: case InsnClass::kFpUnary: case InsnClass::kFpConvert:
      if (in->op != Op::FABSDr && in->op != Op::FABSSr && in->op != Op::FNEGDr && in->op != Op::FNEGSr)
        with_default_nan(c, in);
      break;
    default:
      break;
  }
}

namespace {

void fp_exec_ieee(A64Context* c, const Insn* in) {
  const Op op = in->op;
  const Operand* o = in->ops;
  switch (op) {
    case Op::FCVTDSr: {
      const float a = get<float>(c, o[1].reg);
      put<double>(c, o[0].reg, is_snan(a) ? static_cast<double>(quiet(a)) : static_cast<double>(a));
      return;
    }
    case Op::FCVTSDr: {
      const double a = get<double>(c, o[1].reg);
      put<float>(c, o[0].reg, is_snan(a) ? static_cast<float>(quiet(a)) : static_cast<float>(a));
      return;
    }
    case Op::SCVTFUWSri: put<float>(c, o[0].reg, static_cast<float>(static_cast<int32_t>(gp(c, o[1].reg)))); return;
    case Op::SCVTFUWDri: put<double>(c, o[0].reg, static_cast<double>(static_cast<int32_t>(gp(c, o[1].reg)))); return;
    case Op::SCVTFUXSri: put<float>(c, o[0].reg, static_cast<float>(static_cast<int64_t>(gp(c, o[1].reg)))); return;
    case Op::SCVTFUXDri: put<double>(c, o[0].reg, static_cast<double>(static_cast<int64_t>(gp(c, o[1].reg)))); return;
    case Op::UCVTFUWSri: put<float>(c, o[0].reg, static_cast<float>(static_cast<uint32_t>(gp(c, o[1].reg)))); return;
    case Op::UCVTFUWDri: put<double>(c, o[0].reg, static_cast<double>(static_cast<uint32_t>(gp(c, o[1].reg)))); return;
    case Op::UCVTFUXSri: put<float>(c, o[0].reg, static_cast<float>(gp(c, o[1].reg))); return;
    case Op::UCVTFUXDri: put<double>(c, o[0].reg, static_cast<double>(gp(c, o[1].reg))); return;
    case Op::FCVTZSUWSr: set_gp(c, o[0].reg, static_cast<uint32_t>(to_int<int32_t>(get<float>(c, o[1].reg)))); return;
    case Op::FCVTZSUWDr: set_gp(c, o[0].reg, static_cast<uint32_t>(to_int<int32_t>(get<double>(c, o[1].reg)))); return;
    case Op::FCVTZSUXSr: set_gp(c, o[0].reg, static_cast<uint64_t>(to_int<int64_t>(get<float>(c, o[1].reg)))); return;
    case Op::FCVTZSUXDr: set_gp(c, o[0].reg, static_cast<uint64_t>(to_int<int64_t>(get<double>(c, o[1].reg)))); return;
    case Op::FCVTZUUWSr: set_gp(c, o[0].reg, to_int<uint32_t>(get<float>(c, o[1].reg))); return;
    case Op::FCVTZUUWDr: set_gp(c, o[0].reg, to_int<uint32_t>(get<double>(c, o[1].reg))); return;
    case Op::FCVTZUUXSr: set_gp(c, o[0].reg, to_int<uint64_t>(get<float>(c, o[1].reg))); return;
    case Op::FCVTZUUXDr: set_gp(c, o[0].reg, to_int<uint64_t>(get<double>(c, o[1].reg))); return;
    default: break;
  }
  // The register view of the first FP operand picks the precision.
  const unsigned fi = op_info(op).cls == InsnClass::kFpCompare ? 0 : 0;
  if (o[fi].reg.kind == RegKind::kS) exec_typed<float>(c, in);
  else exec_typed<double>(c, in);
}

}  // namespace

}  // namespace capvm::aarch64
