// AdvSIMD floating-point lane operations in C++ (ARM ARM C7.2): FMLA/FMLS
// (vector and by element, fused), FMUL by element, FDIV, FMAX/FMIN(NM),
// FABD, FADDP (vector and scalar pairwise), FNEG, FABS, FSQRT, FRINT*,
// FCVTZS/FCVTZU, UCVTF, FCVTL(2)/FCVTN(2), with the A64 NaN rules of
// fp_rules.h and FPCR.DN. Arrangement from the LLVM opcode name:
// "FMLAv4f32" (4 lanes of f32), "FMLAv2i64_indexed" (by element, 2 x 64),
// "FMLAv1i32_indexed" (scalar S by element), "FADDPv2i32p" (scalar pair).
#include <cmath>
#include <cstring>
#include <string>

#include "translator/aarch64/fp_rules.h"
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

namespace {

using namespace fprules;

enum class K : uint8_t {
  kNone, kMla, kMls, kMulIdx, kMlaIdx, kMlsIdx, kDiv, kMax, kMin, kMaxNm, kMinNm, kAbd, kAddp, kAddpScalar,
  kNeg, kAbs, kSqrt, kRint, kCvtzs, kCvtzu, kUcvtf, kCvtl, kCvtn,
  kCmEq, kCmGe, kCmGt, kCmEqZ, kCmGeZ, kCmGtZ, kCmLeZ, kCmLtZ,  // masks
  kScvtfScalar, kUcvtfScalar,  // SCVTF/UCVTF Sd, Sn / Dd, Dn
  kMaxNmV, kMinNmV, kMaxV, kMinV,  // across lanes, "FMAXNMVv4i32v"
};

struct Form {
  K k = K::kNone;
  unsigned lanes = 0, bits = 0;  // of the name's arrangement
  char rint = 0;                 // FRINT kind: N M P Z A I X
};

Form parse(const std::string& name) {
  Form f;
  const size_t v = name.find('v');
  if (v == std::string::npos || v + 1 >= name.size() || !isdigit(static_cast<unsigned char>(name[v + 1]))) return f;
  const std::string base = name.substr(0, v);
  size_t p = v + 1;
  f.lanes = static_cast<unsigned>(std::stoul(name.substr(p)));
  while (p < name.size() && isdigit(static_cast<unsigned char>(name[p]))) ++p;
  if (p >= name.size()) return f;
  const char type = name[p++];
  if ((type != 'f' && type != 'i') || p >= name.size() || !isdigit(static_cast<unsigned char>(name[p]))) return f;
  f.bits = static_cast<unsigned>(std::stoul(name.substr(p)));
  while (p < name.size() && isdigit(static_cast<unsigned char>(name[p]))) ++p;
  const std::string tail = name.substr(p);
  if (f.bits != 32 && f.bits != 64) return f;
  if (tail == "_indexed" && type == 'i') {
    if (base == "FMUL") f.k = K::kMulIdx;
    else if (base == "FMLA") f.k = K::kMlaIdx;
    else if (base == "FMLS") f.k = K::kMlsIdx;
    return f;
  }
  if (tail == "v" && type == 'i') {
    static const std::pair<const char*, K> kV[] = {
        {"FMAXNMV", K::kMaxNmV}, {"FMINNMV", K::kMinNmV}, {"FMAXV", K::kMaxV}, {"FMINV", K::kMinV}};
    for (const auto& [b, k] : kV)
      if (base == b) f.k = k;
    return f;
  }
  if (tail == "p" && type == 'i' && base == "FADDP") {
    f.k = K::kAddpScalar;
    return f;
  }
  if (type == 'i' && tail == "rz") {
    static const std::pair<const char*, K> kZ[] = {{"FCMEQ", K::kCmEqZ}, {"FCMGE", K::kCmGeZ}, {"FCMGT", K::kCmGtZ},
                                                   {"FCMLE", K::kCmLeZ}, {"FCMLT", K::kCmLtZ}};
    for (const auto& [b, k] : kZ)
      if (base == b) f.k = k;
    return f;
  }
  if (type == 'i' && tail.empty() && f.lanes == 1) {
    if (base == "SCVTF") f.k = K::kScvtfScalar;
    if (base == "UCVTF") f.k = K::kUcvtfScalar;
    return f;
  }
  if (type == 'i' && tail.empty()) {
    // FCVTLv2i32 (fcvtl: 2s -> 2d), FCVTLv4i32 (fcvtl2), FCVTNv2i32
    // (fcvtn: 2d -> 2s), FCVTNv4i32 (fcvtn2): the name's lanes are the
    // single-precision side.
    if (f.bits == 32 && base == "FCVTL") f.k = K::kCvtl;
    if (f.bits == 32 && base == "FCVTN") f.k = K::kCvtn;
    return f;
  }
  if (type != 'f' || !tail.empty()) return f;
  static const std::pair<const char*, K> kBases[] = {
      {"FMLA", K::kMla},   {"FMLS", K::kMls},     {"FDIV", K::kDiv},   {"FMAX", K::kMax},
      {"FMIN", K::kMin},   {"FMAXNM", K::kMaxNm}, {"FMINNM", K::kMinNm}, {"FABD", K::kAbd},
      {"FADDP", K::kAddp}, {"FNEG", K::kNeg},     {"FABS", K::kAbs},   {"FSQRT", K::kSqrt},
      {"FCVTZS", K::kCvtzs}, {"FCVTZU", K::kCvtzu}, {"UCVTF", K::kUcvtf}, {"FCMEQ", K::kCmEq},
      {"FCMGE", K::kCmGe}, {"FCMGT", K::kCmGt}};
  for (const auto& [b, k] : kBases)
    if (base == b) f.k = k;
  if (base.size() == 6 && base.compare(0, 5, "FRINT") == 0) {
    f.k = K::kRint;
    f.rint = base[5];
  }
  return f;
}

const Form& form_of(Op op) {
  static const Form* forms = [] {
    auto* t = new Form[kOpCount];
    for (unsigned i = 0; i < kOpCount; ++i)
      if (op_info(static_cast<Op>(i)).cls == InsnClass::kNeon) t[i] = parse(op_info(static_cast<Op>(i)).name);
    return t;
  }();
  return forms[static_cast<unsigned>(op)];
}

struct Lanes {
  uint8_t b[16];
  template <class F> F get(unsigned i) const {
    F f;
    std::memcpy(&f, b + sizeof(F) * i, sizeof(F));
    return f;
  }
  template <class F> void set(unsigned i, F f) { std::memcpy(b + sizeof(F) * i, &f, sizeof(F)); }
  uint64_t raw(unsigned bytes, unsigned i) const {
    uint64_t v = 0;
    std::memcpy(&v, b + bytes * i, bytes);
    return v;
  }
  void set_raw(unsigned bytes, unsigned i, uint64_t v) { std::memcpy(b + bytes * i, &v, bytes); }
};

Lanes load(const A64Context* c, Reg r) {
  Lanes l;
  std::memcpy(l.b, c->v[r.index], 16);
  return l;
}
void store(A64Context* c, Reg r, Lanes l, unsigned bytes) {
  if (bytes < 16) std::memset(l.b + bytes, 0, 16 - bytes);
  std::memcpy(c->v[r.index], l.b, 16);
}

template <class F> F dn(const A64Context* c, F r) {
  return (c->fpcr & kFpcrDn) && std::isnan(r) ? default_nan<F>() : r;
}

template <class F, class I, class U> void exec_typed(A64Context* c, const Insn* in, const Form& f) {
  const Operand* o = in->ops;
  const unsigned lanes = f.lanes, bytes = lanes * sizeof(F);
  Lanes r{};
  switch (f.k) {
    case K::kMla: case K::kMls: {  // d, d, n, m
      const Lanes d = load(c, o[0].reg), n = load(c, o[2].reg), m = load(c, o[3].reg);
      for (unsigned i = 0; i < lanes; ++i) {
        const F x = f.k == K::kMls ? neg(n.get<F>(i)) : n.get<F>(i);
        r.set<F>(i, dn(c, mul_add(d.get<F>(i), x, m.get<F>(i))));
      }
      break;
    }
    case K::kMulIdx: case K::kMlaIdx: case K::kMlsIdx: {
      const bool acc = f.k != K::kMulIdx;
      const Lanes d = load(c, o[0].reg), n = load(c, o[acc ? 2 : 1].reg), m = load(c, o[acc ? 3 : 2].reg);
      const F e = m.get<F>(static_cast<unsigned>(o[acc ? 4 : 3].imm));
      for (unsigned i = 0; i < lanes; ++i) {
        F x = n.get<F>(i);
        if (!acc) {
          r.set<F>(i, dn(c, arith(sizeof(F) == 8 ? Op::FMULDrr : Op::FMULSrr, x, e)));
        } else {
          if (f.k == K::kMlsIdx) x = neg(x);
          r.set<F>(i, dn(c, mul_add(d.get<F>(i), x, e)));
        }
      }
      break;
    }
    case K::kDiv: case K::kMax: case K::kMin: case K::kMaxNm: case K::kMinNm: case K::kAbd: {
      const Lanes n = load(c, o[1].reg), m = load(c, o[2].reg);
      for (unsigned i = 0; i < lanes; ++i) {
        const F a = n.get<F>(i), b = m.get<F>(i);
        F x;
        switch (f.k) {
          case K::kDiv: x = arith(sizeof(F) == 8 ? Op::FDIVDrr : Op::FDIVSrr, a, b); break;
          case K::kMax: x = min_max(true, false, a, b); break;
          case K::kMin: x = min_max(false, false, a, b); break;
          case K::kMaxNm: x = min_max(true, true, a, b); break;
          case K::kMinNm: x = min_max(false, true, a, b); break;
          default: x = fabs_bits(arith(sizeof(F) == 8 ? Op::FSUBDrr : Op::FSUBSrr, a, b)); break;
        }
        r.set<F>(i, dn(c, x));
      }
      break;
    }
    case K::kAddp: {  // pairs of n, then pairs of m
      const Lanes n = load(c, o[1].reg), m = load(c, o[2].reg);
      const Op add = sizeof(F) == 8 ? Op::FADDDrr : Op::FADDSrr;
      for (unsigned i = 0; i < lanes; ++i) {
        const Lanes& s = i < lanes / 2 ? n : m;
        const unsigned k = (i % (lanes / 2)) * 2;
        r.set<F>(i, dn(c, arith(add, s.get<F>(k), s.get<F>(k + 1))));
      }
      break;
    }
    case K::kAddpScalar: {
      const Lanes n = load(c, o[1].reg);
      r.set<F>(0, dn(c, arith(sizeof(F) == 8 ? Op::FADDDrr : Op::FADDSrr, n.get<F>(0), n.get<F>(1))));
      store(c, o[0].reg, r, sizeof(F));
      return;
    }
    case K::kNeg: case K::kAbs: case K::kSqrt: case K::kRint: case K::kCvtzs: case K::kCvtzu: case K::kUcvtf: {
      const Lanes n = load(c, o[1].reg);
      for (unsigned i = 0; i < lanes; ++i) {
        const F a = n.get<F>(i);
        switch (f.k) {
          case K::kNeg: r.set<F>(i, neg(a)); break;
          case K::kAbs: r.set<F>(i, fabs_bits(a)); break;
          case K::kSqrt:
            r.set<F>(i, dn(c, std::isnan(a) ? (is_snan(a) ? quiet(a) : a) : fix_invalid<F>(std::sqrt(a))));
            break;
          case K::kRint: r.set<F>(i, dn(c, round_kind(f.rint, a))); break;
          case K::kCvtzs: r.set<I>(i, to_int<I>(a)); break;
          case K::kCvtzu: r.set<U>(i, to_int<U>(a)); break;
          default: r.set<F>(i, static_cast<F>(n.get<U>(i))); break;  // UCVTF
        }
      }
      break;
    }
    case K::kCmEq: case K::kCmGe: case K::kCmGt:
    case K::kCmEqZ: case K::kCmGeZ: case K::kCmGtZ: case K::kCmLeZ: case K::kCmLtZ: {
      // FPCompareEQ/GE/GT: false when unordered; all ones or zero.
      const bool zero = f.k >= K::kCmEqZ;
      const Lanes n = load(c, o[1].reg), m = zero ? Lanes{} : load(c, o[2].reg);
      for (unsigned i = 0; i < lanes; ++i) {
        const F a = n.get<F>(i), b = zero ? F(0) : m.get<F>(i);
        bool t;
        switch (f.k) {
          case K::kCmEq: case K::kCmEqZ: t = a == b; break;
          case K::kCmGe: case K::kCmGeZ: t = a >= b; break;
          case K::kCmGt: case K::kCmGtZ: t = a > b; break;
          case K::kCmLeZ: t = a <= b; break;
          default: t = a < b; break;
        }
        r.set<U>(i, t ? ~U{0} : U{0});
      }
      break;
    }
    case K::kMaxNmV: case K::kMinNmV: case K::kMaxV: case K::kMinV: {
      // Reduce() halves recursively: op(op(e0, e1), op(e2, e3)).
      const bool is_max = f.k == K::kMaxNmV || f.k == K::kMaxV, nm = f.k == K::kMaxNmV || f.k == K::kMinNmV;
      // A64 has these for 4S only; a vector of two doubles (no such
      // encoding) would reduce its pair, and nothing reads past the 16 bytes.
      const Lanes n = load(c, o[1].reg);
      F v;
      if constexpr (sizeof(F) >= 8) {
        v = min_max(is_max, nm, n.get<F>(0), n.get<F>(1));
      } else {
        const F lo = min_max(is_max, nm, n.get<F>(0), n.get<F>(1));
        const F hi = min_max(is_max, nm, n.get<F>(2), n.get<F>(3));
        v = min_max(is_max, nm, lo, hi);
      }
      r.set<F>(0, dn(c, v));
      store(c, o[0].reg, r, sizeof(F));
      return;
    }
    case K::kScvtfScalar:
      r.set<F>(0, static_cast<F>(load(c, o[1].reg).get<I>(0)));
      break;
    case K::kUcvtfScalar:
      r.set<F>(0, static_cast<F>(load(c, o[1].reg).get<U>(0)));
      break;
    default:
      return;
  }
  store(c, o[0].reg, r, bytes);
}

void exec_cvt(A64Context* c, const Insn* in, const Form& f) {
  const Operand* o = in->ops;
  const bool upper = f.lanes == 4;  // the "2" forms use / fill the upper half
  if (f.k == K::kCvtl) {
    const Lanes n = load(c, o[1].reg);
    Lanes r{};
    for (unsigned i = 0; i < 2; ++i) {
      const float a = n.get<float>(i + (upper ? 2 : 0));
      r.set<double>(i, dn(c, is_snan(a) ? static_cast<double>(quiet(a)) : static_cast<double>(a)));
    }
    store(c, o[0].reg, r, 16);
    return;
  }
  // FCVTN: d, n; FCVTN2: d, d, n (the lower half kept).
  const Lanes n = load(c, o[upper ? 2 : 1].reg);
  Lanes r = upper ? load(c, o[0].reg) : Lanes{};
  for (unsigned i = 0; i < 2; ++i) {
    const double a = n.get<double>(i);
    r.set<float>(i + (upper ? 2 : 0), dn(c, is_snan(a) ? static_cast<float>(quiet(a)) : static_cast<float>(a)));
  }
  store(c, o[0].reg, r, upper ? 16 : 8);
}

}  // namespace

bool neon_fp_exec(A64Context* c, const Insn* in, bool run) {
  const Form& f = form_of(in->op);
  if (f.k == K::kNone) return false;
  if (!run) return true;
  if (f.k == K::kCvtl || f.k == K::kCvtn) exec_cvt(c, in, f);
  else if (f.bits == 64) exec_typed<double, int64_t, uint64_t>(c, in, f);
  else exec_typed<float, int32_t, uint32_t>(c, in, f);
  return true;
}

}  // namespace capvm::aarch64
