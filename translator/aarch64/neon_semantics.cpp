// AdvSIMD (NEON) instructions executed lane by lane in C++ from translated
// code (ARM ARM C7.2). The arrangement (lanes x element bits) comes from the
// LLVM opcode name ("ADDv4i32" = 4 lanes of 32 bits), parsed once; the
// instruction-specific cases are by Op. 64-bit arrangements zero the upper
// half of the destination, as every AdvSIMD write to a D view does.
#include <cmath>
#include <cstring>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

namespace {

// Opcode-name parts are interned once, so executing an instruction compares
// small integers, never strings (this runs for every NEON instruction).
int intern(const std::string& s) {
  static std::mutex mu;
  static std::vector<std::string>* names = new std::vector<std::string>();
  std::lock_guard<std::mutex> lock(mu);
  for (size_t i = 0; i < names->size(); ++i)
    if ((*names)[i] == s) return static_cast<int>(i);
  names->push_back(s);
  return static_cast<int>(names->size() - 1);
}
// The id of a literal name, computed on first use at each call site.
#define NAME_ID(lit) ([]() -> int { static const int id_ = intern(lit); return id_; }())

struct VForm {
  int base = -1;      // interned "ADD", "CMEQ", ...
  unsigned lanes = 0;
  unsigned bits = 0;  // element size
  bool fp = false;
  int tail = -1;      // interned "_shift", "gpr", "rz", "v", "p", "" ...
};

const VForm& vform(Op op) {
  static const VForm* forms = [] {
    auto* t = new VForm[kOpCount];
    const std::regex re("^([A-Z0-9]+?)v(\\d+)([if])(\\d+)(.*)$");
    for (unsigned i = 0; i < kOpCount; ++i) {
      std::cmatch m;
      if (op_info(static_cast<Op>(i)).cls != InsnClass::kNeon) continue;
      if (std::regex_match(op_info(static_cast<Op>(i)).name, m, re)) {
        t[i].base = intern(m[1].str());
        t[i].lanes = std::stoul(m[2]);
        t[i].fp = m[3] == "f";
        t[i].bits = std::stoul(m[4]);
        t[i].tail = intern(m[5].str());
      }
    }
    return t;
  }();
  return forms[static_cast<unsigned>(op)];
}

struct Vec {
  uint8_t b[16];
  // Fixed-size copies the compiler turns into single loads and stores.
  uint64_t get(unsigned bits, unsigned i) const {
    switch (bits) {
      case 8: return b[i];
      case 16: { uint16_t v; std::memcpy(&v, b + 2 * i, 2); return v; }
      case 32: { uint32_t v; std::memcpy(&v, b + 4 * i, 4); return v; }
      default: { uint64_t v; std::memcpy(&v, b + 8 * i, 8); return v; }
    }
  }
  int64_t sget(unsigned bits, unsigned i) const {
    const uint64_t v = get(bits, i);
    return bits == 64 ? static_cast<int64_t>(v) : static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
  }
  void set(unsigned bits, unsigned i, uint64_t v) {
    switch (bits) {
      case 8: b[i] = static_cast<uint8_t>(v); break;
      case 16: { const uint16_t x = static_cast<uint16_t>(v); std::memcpy(b + 2 * i, &x, 2); break; }
      case 32: { const uint32_t x = static_cast<uint32_t>(v); std::memcpy(b + 4 * i, &x, 4); break; }
      default: std::memcpy(b + 8 * i, &v, 8); break;
    }
  }
};

Vec vget(const A64Context* c, Reg r) {
  Vec v;
  std::memcpy(v.b, c->v[r.index], 16);
  return v;
}
// Writes `v`, keeping only `bytes` (8: the D view, the upper half zeroed).
void vput(A64Context* c, Reg r, Vec v, unsigned bytes) {
  if (bytes < 16) std::memset(v.b + bytes, 0, 16 - bytes);
  std::memcpy(c->v[r.index], v.b, 16);
}
uint64_t gp(const A64Context* c, Reg r) {
  if (r.kind == RegKind::kXZR || r.kind == RegKind::kWZR) return 0;
  return r.kind == RegKind::kW ? static_cast<uint32_t>(c->x[r.index]) : c->x[r.index];
}
uint64_t mask(unsigned bits) { return bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

double fget(const Vec& v, unsigned bits, unsigned i) {
  if (bits == 64) {
    double d;
    const uint64_t u = v.get(64, i);
    std::memcpy(&d, &u, 8);
    return d;
  }
  float f;
  const uint32_t u = static_cast<uint32_t>(v.get(32, i));
  std::memcpy(&f, &u, 4);
  return f;
}
// FP lane arithmetic with A64 NaN rules (first SNaN, then first QNaN,
// quietened; default NaN 0x7FF8.. / 0x7FC0.. for invalid operations).
uint64_t farith(char op, const Vec& x, const Vec& y, unsigned bits, unsigned i) {
  const uint64_t ua = x.get(bits, i), ub = y.get(bits, i);
  const uint64_t quiet = bits == 64 ? uint64_t{1} << 51 : uint64_t{1} << 22;
  const double a = fget(x, bits, i), b = fget(y, bits, i);
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na && !(ua & quiet)) return ua | quiet;
  if (nb && !(ub & quiet)) return ub | quiet;
  if (na) return ua;
  if (nb) return ub;
  uint64_t out;
  if (bits == 64) {
    const double r = op == '+' ? a + b : op == '-' ? a - b : a * b;
    if (std::isnan(r)) return 0x7FF8000000000000ull;
    std::memcpy(&out, &r, 8);
  } else {
    const float fa = static_cast<float>(a), fb = static_cast<float>(b);
    const float r = op == '+' ? fa + fb : op == '-' ? fa - fb : fa * fb;
    if (std::isnan(r)) return 0x7FC00000u;
    uint32_t u;
    std::memcpy(&u, &r, 4);
    out = u;
  }
  return out;
}

// AdvSIMDExpandImm for the MOVI/MVNI/ORR/BIC (vector, immediate) shifted forms.
uint64_t shifted_imm(int64_t imm8, int64_t shift) { return static_cast<uint64_t>(imm8 & 0xFF) << shift; }

bool exec(A64Context* c, const Insn* in, bool run) {
  const Op op = in->op;
  const Operand* o = in->ops;
  // Instruction-specific forms first.
  switch (op) {
    case Op::MOVIv2d_ns: case Op::MOVID: case Op::MOVIv16b_ns: case Op::MOVIv8b_ns:
    case Op::MOVIv4i32: case Op::MOVIv4i16: case Op::MOVIv2i32: case Op::MVNIv4i32:
    case Op::FMOVv2f64_ns: case Op::FMOVv4f32_ns: case Op::FMOVv2f32_ns: {
      if (!run) return true;
      Vec v{};
      unsigned bytes = 16, bits = 64;
      uint64_t e = 0;
      switch (op) {
        case Op::MOVIv2d_ns: e = expand_byte_mask(o[1].imm); break;
        case Op::MOVID: e = expand_byte_mask(o[1].imm); bytes = 8; break;
        case Op::MOVIv16b_ns: bits = 8; e = o[1].imm & 0xFF; break;
        case Op::MOVIv8b_ns: bits = 8; bytes = 8; e = o[1].imm & 0xFF; break;
        case Op::MOVIv4i32: bits = 32; e = shifted_imm(o[1].imm, o[2].imm); break;
        case Op::MVNIv4i32: bits = 32; e = ~shifted_imm(o[1].imm, o[2].imm) & 0xFFFFFFFFu; break;
        case Op::MOVIv4i16: bits = 16; bytes = 8; e = shifted_imm(o[1].imm, o[2].imm); break;
        case Op::MOVIv2i32: bits = 32; bytes = 8; e = shifted_imm(o[1].imm, o[2].imm); break;
        case Op::FMOVv2f64_ns: e = expand_fp_imm(o[1].imm, 64); break;
        case Op::FMOVv4f32_ns: bits = 32; e = expand_fp_imm(o[1].imm, 32); break;
        default: bits = 32; bytes = 8; e = expand_fp_imm(o[1].imm, 32); break;
      }
      for (unsigned i = 0; i < 16 * 8 / bits; ++i) v.set(bits, i, e);
      vput(c, o[0].reg, v, bytes);
      return true;
    }
    case Op::BICv4i16: case Op::BICv4i32: case Op::ORRv4i32: {
      if (!run) return true;
      Vec v = vget(c, o[1].reg);
      const unsigned bits = op == Op::BICv4i16 ? 16 : 32, bytes = op == Op::BICv4i16 ? 8 : 16;
      const uint64_t e = shifted_imm(o[2].imm, o[3].imm);
      for (unsigned i = 0; i < bytes * 8 / bits; ++i)
        v.set(bits, i, op == Op::ORRv4i32 ? (v.get(bits, i) | e) : (v.get(bits, i) & ~e));
      vput(c, o[0].reg, v, bytes);
      return true;
    }
    case Op::UMOVvi8: case Op::UMOVvi16: case Op::UMOVvi32: case Op::UMOVvi64: {
      if (!run) return true;
      const unsigned bits = op == Op::UMOVvi8 ? 8 : op == Op::UMOVvi16 ? 16 : op == Op::UMOVvi32 ? 32 : 64;
      const uint64_t v = vget(c, o[1].reg).get(bits, o[2].imm);
      if (o[0].reg.kind != RegKind::kXZR && o[0].reg.kind != RegKind::kWZR) c->x[o[0].reg.index] = v;
      return true;
    }
    case Op::INSvi8gpr: case Op::INSvi16gpr: case Op::INSvi32gpr: case Op::INSvi64gpr: {
      if (!run) return true;
      const unsigned bits = op == Op::INSvi8gpr ? 8 : op == Op::INSvi16gpr ? 16 : op == Op::INSvi32gpr ? 32 : 64;
      Vec v = vget(c, o[0].reg);
      v.set(bits, o[2].imm, gp(c, o[3].reg) & mask(bits));
      vput(c, o[0].reg, v, 16);
      return true;
    }
    case Op::INSvi32lane: case Op::INSvi64lane: {
      if (!run) return true;
      const unsigned bits = op == Op::INSvi32lane ? 32 : 64;
      Vec v = vget(c, o[0].reg);
      v.set(bits, o[2].imm, vget(c, o[3].reg).get(bits, o[4].imm));
      vput(c, o[0].reg, v, 16);
      return true;
    }
    case Op::DUPi32: case Op::DUPi64: {
      if (!run) return true;
      const unsigned bits = op == Op::DUPi32 ? 32 : 64;
      Vec v{};
      v.set(bits, 0, vget(c, o[1].reg).get(bits, o[2].imm));
      vput(c, o[0].reg, v, bits / 8);
      return true;
    }
    case Op::DUPv4i32lane: {
      if (!run) return true;
      Vec v{};
      const uint64_t e = vget(c, o[1].reg).get(32, o[2].imm);
      for (unsigned i = 0; i < 4; ++i) v.set(32, i, e);
      vput(c, o[0].reg, v, 16);
      return true;
    }
    case Op::EXTv16i8: {
      if (!run) return true;
      const Vec n = vget(c, o[1].reg), m = vget(c, o[2].reg);
      Vec v;
      for (unsigned i = 0; i < 16; ++i) {
        const unsigned k = i + static_cast<unsigned>(o[3].imm);
        v.b[i] = k < 16 ? n.b[k] : m.b[k - 16];
      }
      vput(c, o[0].reg, v, 16);
      return true;
    }
    case Op::TBLv16i8One: {
      if (!run) return true;
      const Vec t = vget(c, o[1].reg), idx = vget(c, o[2].reg);
      Vec v;
      for (unsigned i = 0; i < 16; ++i) v.b[i] = idx.b[i] < 16 ? t.b[idx.b[i]] : 0;
      vput(c, o[0].reg, v, 16);
      return true;
    }
    case Op::ADDPv2i64p: {
      if (!run) return true;
      const Vec n = vget(c, o[1].reg);
      Vec v{};
      v.set(64, 0, n.get(64, 0) + n.get(64, 1));
      vput(c, o[0].reg, v, 8);
      return true;
    }
    case Op::SCVTFv1i64: {
      if (!run) return true;
      const double d = static_cast<double>(static_cast<int64_t>(vget(c, o[1].reg).get(64, 0)));
      Vec v{};
      std::memcpy(v.b, &d, 8);
      vput(c, o[0].reg, v, 8);
      return true;
    }
    default:
      break;
  }
  // FP lane operations beyond FADD/FSUB/FMUL/SCVTF (neon_fp.cpp).
  if (neon_fp_exec(c, in, run)) return true;
  const VForm& f = vform(op);
  if (f.lanes == 0) return false;
  const unsigned bits = f.bits, lanes = f.lanes, bytes = lanes * bits / 8;
  const int b = f.base;
  // Bitwise three-register forms (v8i8/v16i8).
  if (b == NAME_ID("AND") || b == NAME_ID("ORR") || b == NAME_ID("EOR") || b == NAME_ID("BIC") || b == NAME_ID("BIT") || b == NAME_ID("BSL") || b == NAME_ID("BIF")) {
    if (!run) return true;
    const bool tied = b == NAME_ID("BIT") || b == NAME_ID("BSL") || b == NAME_ID("BIF");
    const Vec d = vget(c, o[0].reg);
    const Vec n = vget(c, o[tied ? 2 : 1].reg), m = vget(c, o[tied ? 3 : 2].reg);
    Vec v;
    for (unsigned i = 0; i < 16; ++i) {
      const uint8_t x = n.b[i], y = m.b[i], z = d.b[i];
      v.b[i] = b == NAME_ID("AND") ? x & y : b == NAME_ID("ORR") ? x | y : b == NAME_ID("EOR") ? x ^ y : b == NAME_ID("BIC") ? x & ~y
               : b == NAME_ID("BIT") ? (z & ~y) | (x & y) : b == NAME_ID("BSL") ? (x & z) | (y & ~z) : (z & y) | (x & ~y);
    }
    vput(c, o[0].reg, v, bytes);
    return true;
  }
  if (b == NAME_ID("NOT") || b == NAME_ID("REV64") || b == NAME_ID("REV32") || b == NAME_ID("REV16") || b == NAME_ID("CNT") || (b == NAME_ID("CMEQ") && f.tail == NAME_ID("rz")) || b == NAME_ID("XTN") ||
      ((b == NAME_ID("ABS") || b == NAME_ID("NEG")) && f.tail == NAME_ID("")) ||
      (b == NAME_ID("SCVTF") && f.fp)) {
    if (!run) return true;
    const Vec n = vget(c, o[1].reg);
    Vec v{};
    if (b == NAME_ID("XTN")) {
      // XTN Vd.<T>, Vn.<2T>: lanes of the name are the narrow destination;
      // XTN2 (16 x 8 bits..., tied d, d, n) fills the upper half.
      if (lanes * bits == 128) {
        const Vec wide = vget(c, o[2].reg);
        v = vget(c, o[0].reg);
        for (unsigned i = 0; i < lanes / 2; ++i) v.set(bits, lanes / 2 + i, wide.get(bits * 2, i));
        vput(c, o[0].reg, v, 16);
        return true;
      }
      for (unsigned i = 0; i < lanes; ++i) v.set(bits, i, n.get(bits * 2, i));
      vput(c, o[0].reg, v, 8);
      return true;
    }
    for (unsigned i = 0; i < lanes; ++i) {
      uint64_t r;
      if (b == NAME_ID("NOT")) r = ~n.get(bits, i);
      else if (b == NAME_ID("REV64")) r = n.get(bits, (i / (64 / bits)) * (64 / bits) + (64 / bits - 1 - i % (64 / bits)));
      else if (b == NAME_ID("REV32")) r = n.get(bits, (i / (32 / bits)) * (32 / bits) + (32 / bits - 1 - i % (32 / bits)));
      else if (b == NAME_ID("REV16")) r = n.get(bits, i ^ 1);  // bytes within halfwords
      else if (b == NAME_ID("CNT")) r = __builtin_popcountll(n.get(bits, i));
      else if (b == NAME_ID("CMEQ")) r = n.get(bits, i) == 0 ? ~uint64_t{0} : 0;
      else if (b == NAME_ID("ABS")) r = n.sget(bits, i) < 0 ? 0 - n.get(bits, i) : n.get(bits, i);
      else if (b == NAME_ID("NEG")) r = 0 - n.get(bits, i);
      else {
        if (bits == 64) {
          const double d = static_cast<double>(n.sget(64, i));
          std::memcpy(&r, &d, 8);
        } else {
          const float fl = static_cast<float>(static_cast<int32_t>(n.get(32, i)));
          uint32_t u;
          std::memcpy(&u, &fl, 4);
          r = u;
        }
      }
      v.set(bits, i, r & mask(bits));
    }
    vput(c, o[0].reg, v, bytes);
    return true;
  }
  if (f.tail == NAME_ID("lane") && b == NAME_ID("DUP")) {  // DUP Vd.<T>, Vn.<Ts>[lane]
    if (!run) return true;
    Vec v{};
    const uint64_t e = vget(c, o[1].reg).get(bits, static_cast<unsigned>(o[2].imm));
    for (unsigned i = 0; i < lanes; ++i) v.set(bits, i, e);
    vput(c, o[0].reg, v, bytes);
    return true;
  }
  // Widening three-register forms, "UMULLv8i8_v8i16": the name's lanes are
  // the source's; the "2" forms (16 x 8 bits) read the upper halves. The
  // accumulating ones (xMLAL) are tied: d, d, n, m.
  if ((b == NAME_ID("UMULL") || b == NAME_ID("SMULL") || b == NAME_ID("UMLAL") || b == NAME_ID("SMLAL") ||
       b == NAME_ID("UADDL") || b == NAME_ID("SADDL") || b == NAME_ID("USUBL") || b == NAME_ID("SSUBL")) &&
      f.tail != NAME_ID("")) {
    if (!run) return true;
    const bool acc = b == NAME_ID("UMLAL") || b == NAME_ID("SMLAL");
    const bool is_signed = b == NAME_ID("SMULL") || b == NAME_ID("SMLAL") || b == NAME_ID("SADDL") || b == NAME_ID("SSUBL");
    const unsigned out = 64 / bits, first = lanes * bits == 128 ? out : 0;
    const Vec n = vget(c, o[acc ? 2 : 1].reg), m = vget(c, o[acc ? 3 : 2].reg);
    Vec v = acc ? vget(c, o[0].reg) : Vec{};
    for (unsigned i = 0; i < out; ++i) {
      const uint64_t x = is_signed ? static_cast<uint64_t>(n.sget(bits, first + i)) : n.get(bits, first + i);
      const uint64_t y = is_signed ? static_cast<uint64_t>(m.sget(bits, first + i)) : m.get(bits, first + i);
      uint64_t r;
      if (b == NAME_ID("UADDL") || b == NAME_ID("SADDL")) r = x + y;
      else if (b == NAME_ID("USUBL") || b == NAME_ID("SSUBL")) r = x - y;
      else r = x * y;
      if (acc) r += v.get(bits * 2, i);
      v.set(bits * 2, i, r & mask(bits * 2));
    }
    vput(c, o[0].reg, v, 16);
    return true;
  }
  // Pairwise add long, "UADDLPv16i8_v8i16" (source arrangement in the
  // name); xADALP accumulate (tied: d, d, n).
  if ((b == NAME_ID("UADDLP") || b == NAME_ID("SADDLP") || b == NAME_ID("UADALP") || b == NAME_ID("SADALP")) &&
      f.tail != NAME_ID("")) {
    if (!run) return true;
    const bool acc = b == NAME_ID("UADALP") || b == NAME_ID("SADALP");
    const bool is_signed = b == NAME_ID("SADDLP") || b == NAME_ID("SADALP");
    const Vec n = vget(c, o[acc ? 2 : 1].reg);
    Vec v = acc ? vget(c, o[0].reg) : Vec{};
    for (unsigned i = 0; i < lanes / 2; ++i) {
      const uint64_t x = is_signed ? static_cast<uint64_t>(n.sget(bits, 2 * i)) : n.get(bits, 2 * i);
      const uint64_t y = is_signed ? static_cast<uint64_t>(n.sget(bits, 2 * i + 1)) : n.get(bits, 2 * i + 1);
      v.set(bits * 2, i, (x + y + (acc ? v.get(bits * 2, i) : 0)) & mask(bits * 2));
    }
    vput(c, o[0].reg, v, bytes);
    return true;
  }
  // MLA/MLS Vd, Vn, Vm (tied: d, d, n, m).
  if ((b == NAME_ID("MLA") || b == NAME_ID("MLS")) && f.tail == NAME_ID("")) {
    if (!run) return true;
    const Vec d = vget(c, o[0].reg), n = vget(c, o[2].reg), m = vget(c, o[3].reg);
    Vec v{};
    for (unsigned i = 0; i < lanes; ++i) {
      const uint64_t p = n.get(bits, i) * m.get(bits, i);
      v.set(bits, i, (b == NAME_ID("MLA") ? d.get(bits, i) + p : d.get(bits, i) - p) & mask(bits));
    }
    vput(c, o[0].reg, v, bytes);
    return true;
  }
  if (f.tail == NAME_ID("gpr") && b == NAME_ID("DUP")) {
    if (!run) return true;
    Vec v{};
    const uint64_t e = gp(c, o[1].reg) & mask(bits);
    for (unsigned i = 0; i < lanes; ++i) v.set(bits, i, e);
    vput(c, o[0].reg, v, bytes);
    return true;
  }
  // SHRN Vd.<T>, Vn.<2T>, #sh: the name's lanes are the narrow result's.
  // SHRN2 (16 x 8 bits..., tied d, d, n, #sh) fills the upper half.
  if (f.tail == NAME_ID("_shift") && b == NAME_ID("SHRN")) {
    if (!run) return true;
    const bool upper = lanes * bits == 128;
    const Vec n = vget(c, o[upper ? 2 : 1].reg);
    const unsigned sh = static_cast<unsigned>(o[upper ? 3 : 2].imm), count = upper ? lanes / 2 : lanes;
    Vec v = upper ? vget(c, o[0].reg) : Vec{};
    for (unsigned i = 0; i < count; ++i) v.set(bits, (upper ? count : 0) + i, (n.get(bits * 2, i) >> sh) & mask(bits));
    vput(c, o[0].reg, v, upper ? 16 : 8);
    return true;
  }
  // ADDHN/SUBHN Vd.<T>, Vn.<2T>, Vm.<2T> ("ADDHNv8i16_v8i8": the name's
  // lanes and bits are the wide sources'): the high half of each sum.
  // ADDHN2/SUBHN2 are tied (d, d, n, m) and fill the upper half.
  if ((b == NAME_ID("ADDHN") || b == NAME_ID("SUBHN")) && f.tail != NAME_ID("")) {
    if (!run) return true;
    const bool upper = in->num_ops == 4;
    const Vec n = vget(c, o[upper ? 2 : 1].reg), m = vget(c, o[upper ? 3 : 2].reg);
    Vec v = upper ? vget(c, o[0].reg) : Vec{};
    for (unsigned i = 0; i < lanes; ++i) {
      const uint64_t t = b == NAME_ID("ADDHN") ? n.get(bits, i) + m.get(bits, i) : n.get(bits, i) - m.get(bits, i);
      v.set(bits / 2, (upper ? lanes : 0) + i, (t & mask(bits)) >> (bits / 2));
    }
    vput(c, o[0].reg, v, upper ? 16 : 8);
    return true;
  }
  if (f.tail == NAME_ID("_shift")) {
    if (!run) return true;
    const unsigned sh = static_cast<unsigned>(o[b == NAME_ID("USRA") ? 3 : 2].imm);
    if (b == NAME_ID("USHLL") || b == NAME_ID("SSHLL")) {
      // Source lanes are the name's arrangement (8i8 -> 8h); the "2" forms
      // (16i8 -> 8h) widen the upper half.
      const Vec n = vget(c, o[1].reg);
      const unsigned out = lanes * bits == 128 ? lanes / 2 : lanes, first = lanes - out;
      Vec v{};
      for (unsigned i = 0; i < out; ++i) {
        const uint64_t x = b == NAME_ID("USHLL") ? n.get(bits, first + i) : static_cast<uint64_t>(n.sget(bits, first + i));
        v.set(bits * 2, i, (x << sh) & mask(bits * 2));
      }
      vput(c, o[0].reg, v, 16);
      return true;
    }
    const Vec n = vget(c, o[b == NAME_ID("USRA") ? 2 : 1].reg);
    Vec v = b == NAME_ID("USRA") ? vget(c, o[0].reg) : Vec{};
    for (unsigned i = 0; i < lanes; ++i) {
      uint64_t r;
      if (b == NAME_ID("SHL")) r = sh >= bits ? 0 : n.get(bits, i) << sh;
      else if (b == NAME_ID("USHR") || b == NAME_ID("USRA")) r = sh >= bits ? 0 : n.get(bits, i) >> sh;
      else r = static_cast<uint64_t>(n.sget(bits, i) >> (sh >= bits ? bits - 1 : sh));
      if (b == NAME_ID("USRA")) r += v.get(bits, i);
      v.set(bits, i, r & mask(bits));
    }
    vput(c, o[0].reg, v, bytes);
    return true;
  }
  if (f.tail == NAME_ID("v")) {  // reductions across lanes into a scalar
    if (!run) return true;
    const Vec n = vget(c, o[1].reg);
    uint64_t acc = b == NAME_ID("UMINV") ? mask(bits) : 0;
    int64_t sacc = n.sget(bits, 0);
    for (unsigned i = 0; i < lanes; ++i) {
      const uint64_t x = n.get(bits, i);
      if (b == NAME_ID("ADDV") || b == NAME_ID("UADDLV")) acc += x;
      else if (b == NAME_ID("UMAXV")) acc = x > acc ? x : acc;
      else if (b == NAME_ID("UMINV")) acc = x < acc ? x : acc;
      else if (b == NAME_ID("SMAXV")) sacc = n.sget(bits, i) > sacc ? n.sget(bits, i) : sacc;
    }
    if (b == NAME_ID("SMAXV")) acc = static_cast<uint64_t>(sacc);
    const unsigned out_bits = b == NAME_ID("UADDLV") ? bits * 2 : bits;
    Vec v{};
    v.set(out_bits, 0, acc & mask(out_bits));
    vput(c, o[0].reg, v, out_bits / 8);
    return true;
  }
  if (b == NAME_ID("SADDW") || b == NAME_ID("UADDW")) {
    // SADDW Vd.2d, Vn.2d, Vm.2s: the name's first arrangement is the narrow one.
    if (!run) return true;
    const Vec n = vget(c, o[1].reg), m = vget(c, o[2].reg);
    Vec v{};
    for (unsigned i = 0; i < lanes; ++i) {
      const uint64_t w = b == NAME_ID("UADDW") ? m.get(bits, i) : static_cast<uint64_t>(m.sget(bits, i));
      v.set(bits * 2, i, (n.get(bits * 2, i) + w) & mask(bits * 2));
    }
    vput(c, o[0].reg, v, 16);
    return true;
  }
  if (f.tail != NAME_ID("")) return false;
  // Three-register same-arrangement forms.
  static const char* const kBinary[] = {"ADD", "SUB", "MUL", "SMAX", "SMIN", "UMAX", "UMIN", "CMEQ",
                                        "CMGT", "CMHI", "CMHS", "CMTST", "ADDP", "UZP1", "UZP2", "SSHL",
                                        "ZIP1", "ZIP2", "TRN1", "TRN2", "FADD", "FSUB", "FMUL",
                                        "URHADD", "SRHADD", "UHADD", "SHADD", "UQADD", "SQADD",
                                        "UQSUB", "SQSUB", "UABD", "SABD", "USHL"};
  static const std::vector<int> kBinaryIds = [] {
    std::vector<int> ids;
    for (const char* k : kBinary) ids.push_back(intern(k));
    return ids;
  }();
  bool known = false;
  for (int k : kBinaryIds) known |= b == k;
  if (!known) return false;
  if (!run) return true;
  const Vec n = vget(c, o[1].reg), m = vget(c, o[2].reg);
  Vec v{};
  bool saturated = false;  // FPSR.QC (the saturating forms)
  for (unsigned i = 0; i < lanes; ++i) {
    const uint64_t x = n.get(bits, i), y = m.get(bits, i);
    const int64_t sx = n.sget(bits, i), sy = m.sget(bits, i);
    uint64_t r = 0;
    if (b == NAME_ID("ADD")) r = x + y;
    else if (b == NAME_ID("SUB")) r = x - y;
    else if (b == NAME_ID("MUL")) r = x * y;
    else if (b == NAME_ID("SMAX")) r = static_cast<uint64_t>(sx > sy ? sx : sy);
    else if (b == NAME_ID("SMIN")) r = static_cast<uint64_t>(sx < sy ? sx : sy);
    else if (b == NAME_ID("UMAX")) r = x > y ? x : y;
    else if (b == NAME_ID("UMIN")) r = x < y ? x : y;
    else if (b == NAME_ID("CMEQ")) r = x == y ? ~uint64_t{0} : 0;
    else if (b == NAME_ID("CMGT")) r = sx > sy ? ~uint64_t{0} : 0;
    else if (b == NAME_ID("CMHI")) r = x > y ? ~uint64_t{0} : 0;
    else if (b == NAME_ID("CMHS")) r = x >= y ? ~uint64_t{0} : 0;
    else if (b == NAME_ID("CMTST")) r = (x & y) ? ~uint64_t{0} : 0;
    else if (b == NAME_ID("URHADD") || b == NAME_ID("UHADD"))
      r = static_cast<uint64_t>((static_cast<unsigned __int128>(x) + y + (b == NAME_ID("URHADD"))) >> 1);
    else if (b == NAME_ID("SRHADD") || b == NAME_ID("SHADD"))
      r = static_cast<uint64_t>((static_cast<__int128>(sx) + sy + (b == NAME_ID("SRHADD"))) >> 1);
    else if (b == NAME_ID("UQADD")) {
      const unsigned __int128 t = static_cast<unsigned __int128>(x) + y;
      saturated |= t > mask(bits);
      r = t > mask(bits) ? mask(bits) : static_cast<uint64_t>(t);
    } else if (b == NAME_ID("UQSUB")) {
      saturated |= x < y;
      r = x > y ? x - y : 0;
    } else if (b == NAME_ID("SQADD") || b == NAME_ID("SQSUB")) {
      // Saturate to the signed range of the lane.
      const __int128 t = b == NAME_ID("SQADD") ? static_cast<__int128>(sx) + sy : static_cast<__int128>(sx) - sy;
      const __int128 hi = static_cast<__int128>(mask(bits) >> 1), lo = -hi - 1;
      saturated |= t > hi || t < lo;
      r = static_cast<uint64_t>(static_cast<int64_t>(t > hi ? hi : t < lo ? lo : t));
    } else if (b == NAME_ID("UABD")) r = x > y ? x - y : y - x;
    else if (b == NAME_ID("SABD")) r = sx > sy ? static_cast<uint64_t>(sx - sy) : static_cast<uint64_t>(sy - sx);
    else if (b == NAME_ID("USHL")) {
      // Shift by the signed low byte of each m lane, logical right if negative.
      const int sh = static_cast<int8_t>(y & 0xFF);
      if (sh >= 0) r = sh >= static_cast<int>(bits) ? 0 : x << sh;
      else r = -sh >= static_cast<int>(bits) ? 0 : x >> -sh;
    }
    else if (b == NAME_ID("SSHL")) {
      // Shift by the signed low byte of each m lane: left if positive,
      // arithmetic right if negative (ARM ARM SSHL, non-rounding).
      const int sh = static_cast<int8_t>(y & 0xFF);
      if (sh >= 0) r = sh >= static_cast<int>(bits) ? 0 : x << sh;
      else r = static_cast<uint64_t>(-sh >= static_cast<int>(bits) ? (sx < 0 ? -1 : 0) : sx >> -sh);
    }
    else if (b == NAME_ID("ADDP")) {
      const Vec& src = i < lanes / 2 ? n : m;
      const unsigned k = (i % (lanes / 2)) * 2;
      r = src.get(bits, k) + src.get(bits, k + 1);
    } else if (b == NAME_ID("UZP1") || b == NAME_ID("UZP2")) {
      const unsigned k = 2 * i + (b == NAME_ID("UZP2"));
      r = k < lanes ? n.get(bits, k) : m.get(bits, k - lanes);
    } else if (b == NAME_ID("TRN1") || b == NAME_ID("TRN2")) {
      // Even result lanes from n, odd from m, at the pair's first (TRN1)
      // or second (TRN2) element.
      const unsigned k = (i & ~1u) + (b == NAME_ID("TRN2"));
      r = (i & 1) ? m.get(bits, k) : n.get(bits, k);
    } else if (b == NAME_ID("ZIP1") || b == NAME_ID("ZIP2")) {
      const unsigned k = i / 2 + (b == NAME_ID("ZIP2") ? lanes / 2 : 0);
      r = (i & 1) ? m.get(bits, k) : n.get(bits, k);
    } else {
      r = farith(b == NAME_ID("FADD") ? '+' : b == NAME_ID("FSUB") ? '-' : '*', n, m, bits, i);
    }
    v.set(bits, i, r & mask(bits));
  }
  vput(c, o[0].reg, v, bytes);
  if (saturated) c->fpsr |= kFpsrQc;
  return true;
}

}  // namespace

bool neon_exec_supported(Op op) {
  Insn probe;
  probe.op = op;
  return exec(nullptr, &probe, false);
}

namespace {

// FPCR.DN: a NaN lane of an FP arithmetic result is the default NaN.
void default_nan_lanes(A64Context* c, const Insn* in) {
  const VForm& f = vform(in->op);
  static const char* const kFpArith[] = {"FADD", "FSUB", "FMUL", "FDIV", "FMLA", "FMLS", "FMAX",
                                         "FMIN", "FMAXNM", "FMINNM", "FABD", "FADDP", "FSQRT", "FMULX"};
  static const std::vector<int> kIds = [] {
    std::vector<int> ids;
    for (const char* k : kFpArith) ids.push_back(intern(k));
    return ids;
  }();
  bool fp = false;
  for (int k : kIds) fp |= f.base == k;
  if (!fp || (f.bits != 32 && f.bits != 64)) return;
  Vec v = vget(c, in->ops[0].reg);
  for (unsigned i = 0; i < 128 / f.bits; ++i)
    if (std::isnan(fget(v, f.bits, i))) v.set(f.bits, i, f.bits == 64 ? 0x7FF8000000000000ull : 0x7FC00000u);
  vput(c, in->ops[0].reg, v, 16);
}

}  // namespace

void neon_exec(A64Context* ctx, const Insn* in) {
  exec(ctx, in, true);
  if (ctx->fpcr & kFpcrDn) default_nan_lanes(ctx, in);
}

}  // namespace capvm::aarch64
