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

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

namespace {

template <class F> struct Bits;
template <> struct Bits<double> {
  using U = uint64_t;
  static constexpr U kQuiet = U{1} << 51, kDefaultNaN = 0x7FF8000000000000ull, kSign = U{1} << 63;
};
template <> struct Bits<float> {
  using U = uint32_t;
  static constexpr U kQuiet = U{1} << 22, kDefaultNaN = 0x7FC00000u, kSign = U{1} << 31;
};

template <class F> typename Bits<F>::U to_bits(F f) {
  typename Bits<F>::U u;
  std::memcpy(&u, &f, sizeof f);
  return u;
}
template <class F> F from_bits(typename Bits<F>::U u) {
  F f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
template <class F> bool is_snan(F f) { return std::isnan(f) && !(to_bits(f) & Bits<F>::kQuiet); }
template <class F> F quiet(F f) { return from_bits<F>(to_bits(f) | Bits<F>::kQuiet); }
template <class F> F default_nan() { return from_bits<F>(Bits<F>::kDefaultNaN); }
template <class F> F neg(F f) { return from_bits<F>(to_bits(f) ^ Bits<F>::kSign); }
template <class F> F fabs_bits(F f) { return from_bits<F>(to_bits(f) & ~Bits<F>::kSign); }

// FPProcessNaNs: true with *out set when an operand is a NaN.
template <class F> bool process_nans(F a, F b, F* out) {
  if (is_snan(a)) { *out = quiet(a); return true; }
  if (is_snan(b)) { *out = quiet(b); return true; }
  if (std::isnan(a)) { *out = a; return true; }
  if (std::isnan(b)) { *out = b; return true; }
  return false;
}
template <class F> bool process_nans3(F a, F b, F c, F* out) {
  if (is_snan(a)) { *out = quiet(a); return true; }
  if (is_snan(b)) { *out = quiet(b); return true; }
  if (is_snan(c)) { *out = quiet(c); return true; }
  if (std::isnan(a)) { *out = a; return true; }
  if (std::isnan(b)) { *out = b; return true; }
  if (std::isnan(c)) { *out = c; return true; }
  return false;
}
template <class F> F fix_invalid(F r) { return std::isnan(r) ? default_nan<F>() : r; }

template <class F> F arith(Op op, F a, F b) {
  F r;
  if (process_nans(a, b, &r)) return r;
  switch (op) {
    case Op::FADDDrr: case Op::FADDSrr: return fix_invalid<F>(a + b);
    case Op::FSUBDrr: case Op::FSUBSrr: return fix_invalid<F>(a - b);
    case Op::FMULDrr: case Op::FMULSrr: return fix_invalid<F>(a * b);
    case Op::FDIVDrr: case Op::FDIVSrr: return fix_invalid<F>(a / b);
    default: return default_nan<F>();
  }
}

template <class F> F min_max(bool is_max, bool nm, F a, F b) {
  if (nm) {
    // FMINNM/FMAXNM: a quiet NaN loses against a number.
    const bool qa = std::isnan(a) && !is_snan(a), qb = std::isnan(b) && !is_snan(b);
    if (qa && !std::isnan(b)) a = is_max ? -std::numeric_limits<F>::infinity() : std::numeric_limits<F>::infinity();
    else if (qb && !std::isnan(a)) b = is_max ? -std::numeric_limits<F>::infinity() : std::numeric_limits<F>::infinity();
  }
  F r;
  if (process_nans(a, b, &r)) return r;
  if (a == 0 && b == 0 && std::signbit(a) != std::signbit(b))
    return is_max ? F(0) : neg(F(0));  // max(-0, +0) = +0, min = -0
  return is_max ? (a > b ? a : b) : (a < b ? a : b);
}

template <class F> F mul_add(F addend, F op1, F op2) {
  // FPMulAdd: addend + op1 * op2, one rounding.
  const bool inf_zero = (std::isinf(op1) && op2 == 0) || (op1 == 0 && std::isinf(op2));
  if (std::isnan(addend) && !is_snan(addend) && inf_zero && !std::isnan(op1) && !std::isnan(op2))
    return default_nan<F>();
  F r;
  if (process_nans3(addend, op1, op2, &r)) return r;
  return fix_invalid<F>(std::fma(op1, op2, addend));
}

inline double roundeven(double a) { return __builtin_roundeven(a); }
inline float roundeven(float a) { return __builtin_roundevenf(a); }

template <class F> F round_int(Op op, F a) {
  if (std::isnan(a)) return is_snan(a) ? quiet(a) : a;
  switch (op) {
    case Op::FRINTMDr: case Op::FRINTMSr: return std::floor(a);
    case Op::FRINTPDr: case Op::FRINTPSr: return std::ceil(a);
    case Op::FRINTZDr: case Op::FRINTZSr: return std::trunc(a);
    case Op::FRINTADr: case Op::FRINTASr: return std::round(a);
    case Op::FRINTNDr: case Op::FRINTNSr: return roundeven(a);
    default: return std::nearbyint(a);  // X, I: the FPCR rounding mode (MXCSR.RC)
  }
}

template <class I, class F> I to_int(F a) {
  // FPToFixed with round toward zero: NaN -> 0, saturating.
  if (std::isnan(a)) return 0;
  const F t = std::trunc(a);
  if (t <= static_cast<F>(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  // max+1 is exactly representable (a power of two): compare against it.
  const F lim = static_cast<F>(std::numeric_limits<I>::max() / 2 + 1) * 2;
  if (t >= lim) return std::numeric_limits<I>::max();
  return static_cast<I>(t);
}

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
