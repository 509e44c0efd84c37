// The A64 floating-point rules shared by the scalar (fp_semantics.cpp) and
// vector (neon_fp.cpp) C++ semantics: ARM ARM FPProcessNaNs, FPMulAdd,
// FPMin/FPMax(NM), FPRoundInt, FPToFixed (toward zero), on host float and
// double. Host arithmetic runs under the guest's MXCSR (FPCR.RMode, FZ).
#pragma once

#include <smmintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "translator/aarch64/a64_table.h"
#include "translator/aarch64/host_fma.h"

namespace capvm::aarch64::fprules {

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

// Raises MXCSR exception flags (IE 0x01, PE 0x20): the running guest's
// FPSR flags while a helper runs (a64_context.h). Not feraiseexcept, which
// raises Inexact in the x87 status word.
inline void raise_mxcsr(unsigned flags) { _mm_setcsr(_mm_getcsr() | flags); }
inline constexpr unsigned kMxcsrInvalid = 0x01, kMxcsrInexact = 0x20;

template <class F> F mul_add(F addend, F op1, F op2) {
  // FPMulAdd: addend + op1 * op2, one rounding.
  const bool inf_zero = (std::isinf(op1) && op2 == 0) || (op1 == 0 && std::isinf(op2));
  if (std::isnan(addend) && !is_snan(addend) && inf_zero && !std::isnan(op1) && !std::isnan(op2)) {
    // Invalid on arm64 even with a quiet NaN addend (x86's FMA stays quiet).
    raise_mxcsr(kMxcsrInvalid);
    return default_nan<F>();
  }
  F r;
  if (process_nans3(addend, op1, op2, &r)) return r;
  return fix_invalid<F>(host_fma(op1, op2, addend));
}

// FPCR.FZ for code the compiler may expand without SSE arithmetic (floor,
// ceil, ... as integer conversions): a denormal input is a signed zero when
// the running MXCSR has DAZ (set from FZ by set_fpcr).
template <class F> F flush_input(F a) {
  return std::fpclassify(a) == FP_SUBNORMAL && (_mm_getcsr() & 0x40) ? std::copysign(F(0), a) : a;
}

// SSE4.1 round with a constant mode (imm: 0 nearest even, 1 down, 2 up,
// 3 toward zero, 4 MXCSR.RC, +8 no inexact): C++ floor/ceil/round may be
// expanded into add/subtract sequences whose zero results take the sign of
// the running rounding mode (-0 in round-down), and which ignore DAZ.
template <int kImm> __attribute__((target("sse4.1"))) inline double sse_round(double a) {
  const __m128d v = _mm_set_sd(a);
  return _mm_cvtsd_f64(_mm_round_sd(v, v, kImm));
}
template <int kImm> __attribute__((target("sse4.1"))) inline float sse_round(float a) {
  const __m128 v = _mm_set_ss(a);
  return _mm_cvtss_f32(_mm_round_ss(v, v, kImm));
}

// FPRoundInt by rounding kind: 'N' nearest even, 'M' down, 'P' up, 'Z'
// toward zero, 'A' ties away, 'I'/'X' the current (FPCR) mode.
template <class F> F round_kind(char k, F a) {
  if (std::isnan(a)) {
    if (!is_snan(a)) return a;
    raise_mxcsr(kMxcsrInvalid);  // a signalling NaN: Invalid (FPSR.IOC)
    return quiet(a);
  }
  a = flush_input(a);
  switch (k) {
    case 'N': return sse_round<8>(a);
    case 'M': return sse_round<9>(a);
    case 'P': return sse_round<10>(a);
    case 'Z': return sse_round<11>(a);
    case 'X': return sse_round<4>(a);
    case 'A': {
      // On the magnitude: one more than trunc(|a|) from a remainder of 0.5.
      const F m = std::fabs(a);
      // From 2^52 (2^23) on, and infinite, a is integral: no arithmetic
      // (inf - inf would raise Invalid).
      if (!(m < (sizeof(F) == 8 ? F(4503599627370496.0) : F(8388608.0)))) return a;
      F t = sse_round<11>(m);
      if (m - t >= F(0.5)) t += F(1);
      return std::copysign(t, a);
    }
    default: return sse_round<12>(a);  // 'I'
  }
}

template <class F> F round_int(Op op, F a) {
  switch (op) {
    case Op::FRINTMDr: case Op::FRINTMSr: return round_kind('M', a);
    case Op::FRINTPDr: case Op::FRINTPSr: return round_kind('P', a);
    case Op::FRINTZDr: case Op::FRINTZSr: return round_kind('Z', a);
    case Op::FRINTADr: case Op::FRINTASr: return round_kind('A', a);
    case Op::FRINTNDr: case Op::FRINTNSr: return round_kind('N', a);
    case Op::FRINTXDr: case Op::FRINTXSr: return round_kind('X', a);
    default: return round_kind('I', a);
  }
}

template <class I, class F> I to_int(F a) {
  // FPToFixed with round toward zero: NaN -> 0, saturating; a NaN or a
  // value out of range raises Invalid (FPSR.IOC), a fraction cut off
  // Inexact (IXC).
  if (std::isnan(a)) {
    raise_mxcsr(kMxcsrInvalid);
    return 0;
  }
  const unsigned csr = _mm_getcsr();
  const F t = std::trunc(a);
  _mm_setcsr(csr);  // the host's trunc may raise Inexact: not its to decide
  if (t < static_cast<F>(std::numeric_limits<I>::min())) {
    raise_mxcsr(kMxcsrInvalid);
    return std::numeric_limits<I>::min();
  }
  // max+1 is exactly representable (a power of two): compare against it.
  const F lim = static_cast<F>(std::numeric_limits<I>::max() / 2 + 1) * 2;
  if (t >= lim) {
    raise_mxcsr(kMxcsrInvalid);
    return std::numeric_limits<I>::max();
  }
  if (t != a) raise_mxcsr(kMxcsrInexact);
  return static_cast<I>(t);
}


}  // namespace capvm::aarch64::fprules
