// Loads and stores: unsigned offset, unscaled, pre/post-index writeback,
// register offset with extend/shift, pc-relative literal, pairs, and
// prefetch (a no-op). ARM ARM C4.1.94 "Loads and Stores".
//
// Every access goes through Emitter::guest: gs:[esi + disp] with 32-bit
// address size, so the guest address is truncated to 32 bits before it
// touches host memory (the sandbox). The form of each opcode (size,
// signedness, register file, addressing mode) comes from its LLVM name,
// parsed once.
#include <cstring>
#include <string_view>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

enum class Mode : uint8_t { kNone, kScaled, kUnscaled, kPre, kPost, kRegX, kRegW, kLiteral };

struct MemForm {
  Mode mode = Mode::kNone;
  bool load = false;
  bool pair = false;
  bool fp = false;      // V register
  bool sign = false;    // sign-extending load
  uint8_t size = 0;     // bytes per register
};

MemForm parse(std::string_view n) {
  MemForm f;
  std::string_view rest;
  auto starts = [&](std::string_view p) {
    if (n.substr(0, p.size()) != p) return false;
    rest = n.substr(p.size());
    return true;
  };
  // LDNP/STNP: the non-temporal hint changes nothing here.
  if (starts("LDP") || starts("LDNP")) { f.load = f.pair = true; }
  else if (starts("STP") || starts("STNP")) { f.pair = true; }
  else if (starts("LDUR") || starts("LDR")) { f.load = true; }
  else if (starts("STUR") || starts("STR")) {}
  else return f;
  const bool unscaled_name = n.substr(0, 4) == "LDUR" || n.substr(0, 4) == "STUR";
  static const std::pair<std::string_view, Mode> kSuffix[] = {
      {"post", Mode::kPost}, {"pre", Mode::kPre}, {"roX", Mode::kRegX}, {"roW", Mode::kRegW},
      {"ui", Mode::kScaled}, {"i", Mode::kScaled}, {"l", Mode::kLiteral}};
  std::string_view code;
  for (const auto& [s, m] : kSuffix) {
    if (rest.size() > s.size() && rest.substr(rest.size() - s.size()) == s) {
      f.mode = m;
      code = rest.substr(0, rest.size() - s.size());
      break;
    }
  }
  if (f.mode == Mode::kScaled && unscaled_name) f.mode = Mode::kUnscaled;
  static const struct { std::string_view code; uint8_t size; bool fp, sign; } kCodes[] = {
      {"X", 8, false, false},  {"W", 4, false, false},  {"HH", 2, false, false}, {"BB", 1, false, false},
      {"SBX", 1, false, true}, {"SBW", 1, false, true}, {"SHX", 2, false, true}, {"SHW", 2, false, true},
      {"SW", 4, false, true},  {"B", 1, true, false},   {"H", 2, true, false},   {"S", 4, true, false},
      {"D", 8, true, false},   {"Q", 16, true, false}};
  for (const auto& c : kCodes) {
    if (code == c.code) {
      f.size = c.size;
      f.fp = c.fp;
      f.sign = c.sign;
      return f;
    }
  }
  f.mode = Mode::kNone;
  return f;
}

const MemForm& form(Op op) {
  static const MemForm* forms = [] {
    auto* t = new MemForm[kOpCount];
    for (unsigned i = 0; i < kOpCount; ++i) {
      const OpInfo& info = op_info(static_cast<Op>(i));
      if (info.cls == InsnClass::kLoadStore || info.cls == InsnClass::kLoadStorePair ||
          info.cls == InsnClass::kLoadLiteral)
        t[i] = parse(info.name);
    }
    return t;
  }();
  return forms[static_cast<unsigned>(op)];
}

}  // namespace

LoadShape load_shape(Op op) {
  const MemForm& f = form(op);
  if (f.mode == Mode::kNone || !f.load) return {};
  return {true, f.pair, f.mode == Mode::kPre || f.mode == Mode::kPost};
}

namespace {

// gs:[base32 + index32 << shift + disp]: with 32-bit address size the CPU
// computes the sum modulo 2^32, which is the truncation of the 64-bit guest
// address (and, for a W index, of its sign or zero extension) to the
// sandbox.
struct Addr {
  x86::Gp base;
  x86::Gp index;  // invalid: none
  uint32_t shift = 0;
  int32_t disp = 0;
  x86::Mem mem(uint32_t size, int32_t extra = 0) const {
    x86::Mem m = index.isValid() ? x86::ptr(base.r32(), index.r32(), shift, disp + extra, size)
                                 : x86::ptr(base.r32(), disp + extra, size);
    m.setSegment(x86::gs);
    return m;
  }
};

// Loads guest memory at `m` into register `rt`.
void load_one(Emitter& e, const MemForm& f, Reg rt, const Addr& ad, int32_t extra) {
  auto& a = e.a;
  if (f.fp && e.v_cached(rt.index)) {
    const x86::Xmm c = e.vhost(rt.index);
    e.note_v_written(rt.index);
    switch (f.size) {
      case 16: a.movdqu(c, ad.mem(16, extra)); return;
      case 8: a.movq(c, ad.mem(8, extra)); return;  // the rest of V is zeroed
      case 4: a.movd(c, ad.mem(4, extra)); return;
      case 2: a.movzx(x86::edx, ad.mem(2, extra)); break;
      default: a.movzx(x86::edx, ad.mem(1, extra)); break;
    }
    a.movd(c, x86::edx);
    return;
  }
  if (f.fp) {
    switch (f.size) {
      case 16:
        a.movdqu(x86::xmm0, ad.mem(16, extra));
        a.movdqu(e.vmem(rt.index), x86::xmm0);
        e.note_v_in_xmm0(rt.index);  // the next vector op takes it from xmm0
        return;
      case 8: a.mov(x86::rdx, ad.mem(8, extra)); break;
      case 4: a.mov(x86::edx, ad.mem(4, extra)); break;
      case 2: a.movzx(x86::edx, ad.mem(2, extra)); break;
      default: a.movzx(x86::edx, ad.mem(1, extra)); break;
    }
    a.mov(e.vmem(rt.index, 0, 8), x86::rdx);  // the rest of V is zeroed
    a.mov(e.vmem(rt.index, 8, 8), 0);
    return;
  }
  const bool to_x = Emitter::is64(rt);
  x86::Gp d;
  const bool in_place = e.gp_operand(rt, &d);
  if (!in_place) d = x86::rdx;  // also the sink for XZR
  const x86::Mem m = ad.mem(f.size, extra);
  switch (f.size) {
    case 8: a.mov(d.r64(), m); break;
    case 4:
      if (f.sign) a.movsxd(d.r64(), m);  // LDRSW (X only)
      else a.mov(d.r32(), m);
      break;
    default:
      if (f.sign && to_x) a.movsx(d.r64(), m);
      else if (f.sign) a.movsx(d.r32(), m);
      else a.movzx(d.r32(), m);
  }
  if (in_place)
    e.note_written(rt);
  else
    e.store_gp(rt, x86::rdx);
}

// Stores register `rt` to guest memory at `m`.
void store_one(Emitter& e, const MemForm& f, Reg rt, const Addr& ad, int32_t extra) {
  auto& a = e.a;
  const x86::Mem m = ad.mem(f.size, extra);
  if (f.fp && e.v_cached(rt.index)) {
    const x86::Xmm c = e.vhost(rt.index);
    if (f.size == 16) {
      a.movdqu(m, c);
      return;
    }
    a.movq(x86::rdx, c);
  } else if (f.fp) {
    if (f.size == 16) {
      if (!e.v_in_xmm0(rt.index)) a.movdqu(x86::xmm0, e.vmem(rt.index));
      a.movdqu(m, x86::xmm0);
      return;
    }
    a.mov(x86::rdx, e.vmem(rt.index, 0, 8));
  } else if (rt.kind == RegKind::kXZR || rt.kind == RegKind::kWZR) {
    a.mov(m, 0);
    return;
  } else {
    x86::Gp h;
    if (e.gp_operand(rt, &h)) {
      switch (f.size) {
        case 8: a.mov(m, h.r64()); break;
        case 4: a.mov(m, h.r32()); break;
        case 2: a.mov(m, h.r16()); break;
        default: a.mov(m, h.r8()); break;
      }
      return;
    }
    e.load_gp(x86::rdx, rt);
  }
  switch (f.size) {
    case 8: a.mov(m, x86::rdx); break;
    case 4: a.mov(m, x86::edx); break;
    case 2: a.mov(m, x86::dx); break;
    default: a.mov(m, x86::dl); break;
  }
}

}  // namespace

Lowered lower_load_store(Emitter& e) {
  auto& a = e.a;
  const Insn& in = *e.in;
  if (in.info().cls == InsnClass::kPrefetch) return Lowered::kContinue;  // a hint: no access, no fault
  const MemForm& f = form(in.op);
  if (f.mode == Mode::kNone) return Lowered::kUnsupported;
  const bool wb = f.mode == Mode::kPre || f.mode == Mode::kPost;
  // Operand positions (LLVM order): [wb,] Rt, [Rt2,] Rn, offset...
  const unsigned rt_i = wb ? 1 : 0;
  const unsigned rn_i = rt_i + (f.pair ? 2 : 1);
  const Reg rt = e.reg(rt_i);
  const Reg rt2 = f.pair ? e.reg(rt_i + 1) : Reg{};
  // The offset added to the base (not for post-index: that one only
  // updates it).
  int64_t offset = 0;
  switch (f.mode) {
    case Mode::kScaled: offset = e.opimm(rn_i + 1) * f.size; break;
    case Mode::kUnscaled:
    case Mode::kPre:
      offset = f.pair ? e.opimm(rn_i + 1) * f.size : e.opimm(rn_i + 1);
      break;
    default: break;
  }
  Addr ad;
  if (f.mode == Mode::kLiteral) {
    a.mov(x86::rsi, imm(in.pc + static_cast<uint64_t>(e.opimm(1) * 4)));
    ad.base = x86::rsi;
  } else {
    const Reg rn = e.reg(rn_i);
    if (!e.gp_operand(rn, &ad.base)) {
      e.load_gp(x86::rsi, rn);
      ad.base = x86::rsi;
    }
    if (f.mode == Mode::kRegX || f.mode == Mode::kRegW) {
      const Reg rm = e.reg(rn_i + 1);
      if (!e.gp_operand(rm, &ad.index)) {
        e.load_gp(x86::rcx, rm);
        ad.index = x86::rcx;
      }
      // SXTW/UXTW/SXTX/LSL all agree modulo 2^32: see Addr.
      if (e.opimm(rn_i + 3) != 0 && f.size > 1) ad.shift = __builtin_ctz(f.size);
      if (ad.shift > 3) {  // Q: x86 scales stop at 8
        if (ad.index != x86::rcx) a.mov(x86::rcx, ad.index);
        a.shl(x86::rcx, ad.shift);
        ad.index = x86::rcx;
        ad.shift = 0;
      }
    }
  }
  ad.disp = static_cast<int32_t>(offset);
  // A load that overwrites the base or index register before the pair's
  // second access (or before writeback) reads the address from rsi.
  if (f.load && ad.base != x86::rsi) {
    const int b = gp_index(e.reg(rn_i));
    const int x = (f.mode == Mode::kRegX || f.mode == Mode::kRegW) ? gp_index(e.reg(rn_i + 1)) : -1;
    const int t1 = gp_index(rt), t2 = f.pair ? gp_index(rt2) : -1;
    if ((t1 >= 0 && (t1 == b || t1 == x)) || (t2 >= 0 && (t2 == b || t2 == x))) {
      if (ad.index.isValid())
        a.lea(x86::rsi, x86::ptr(ad.base, ad.index, ad.shift));
      else
        a.mov(x86::rsi, ad.base);
      ad.base = x86::rsi;
      ad.index = x86::Gp();
      ad.shift = 0;
    }
  }
  if (f.load) {
    load_one(e, f, rt, ad, 0);
    if (f.pair) load_one(e, f, rt2, ad, f.size);
  } else {
    store_one(e, f, rt, ad, 0);
    if (f.pair) store_one(e, f, rt2, ad, f.size);
  }
  if (wb) {
    const int64_t step = f.mode == Mode::kPost ? (f.pair ? e.opimm(rn_i + 1) * f.size : e.opimm(rn_i + 1))
                                               : offset;
    // lea, not add: guest flags in the host flags (a compare before a
    // load/store loop's post-indexed accesses) stay there for the branch.
    x86::Gp nb;
    if (ad.base != x86::rsi && e.gp_operand(e.reg(rn_i), &nb)) {
      if (step) a.lea(nb, x86::ptr(nb, static_cast<int32_t>(step)));
      e.note_written(e.reg(rn_i));
    } else {
      if (step) a.lea(x86::rsi, x86::ptr(x86::rsi, static_cast<int32_t>(step)));
      e.store_gp(e.reg(rn_i), x86::rsi);
    }
  }
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
