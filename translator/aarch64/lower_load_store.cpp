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

// Loads guest [rsi + disp] into register `rt`.
void load_one(Emitter& e, const MemForm& f, Reg rt, int32_t disp) {
  auto& a = e.a;
  const x86::Gp adr = x86::rsi;
  if (f.fp) {
    switch (f.size) {
      case 16: a.movdqu(x86::xmm0, Emitter::guest(adr, 16, disp)); a.movdqu(e.vmem(rt.index), x86::xmm0); return;
      case 8: a.mov(x86::rdx, Emitter::guest(adr, 8, disp)); break;
      case 4: a.mov(x86::edx, Emitter::guest(adr, 4, disp)); break;
      case 2: a.movzx(x86::edx, Emitter::guest(adr, 2, disp)); break;
      default: a.movzx(x86::edx, Emitter::guest(adr, 1, disp)); break;
    }
    a.mov(e.vmem(rt.index, 0, 8), x86::rdx);  // the rest of V is zeroed
    a.mov(e.vmem(rt.index, 8, 8), 0);
    return;
  }
  const bool to_x = Emitter::is64(rt);
  switch (f.size) {
    case 8: a.mov(x86::rdx, Emitter::guest(adr, 8, disp)); break;
    case 4:
      if (f.sign) a.movsxd(x86::rdx, Emitter::guest(adr, 4, disp));
      else a.mov(x86::edx, Emitter::guest(adr, 4, disp));
      break;
    default: {
      const x86::Mem m = Emitter::guest(adr, f.size, disp);
      if (f.sign) a.movsx(to_x ? x86::Gp(x86::rdx) : x86::Gp(x86::edx), m);
      else a.movzx(x86::edx, m);
    }
  }
  e.store_gp(rt, x86::rdx);
}

// Stores register `rt` to guest [rsi + disp].
void store_one(Emitter& e, const MemForm& f, Reg rt, int32_t disp) {
  auto& a = e.a;
  const x86::Gp adr = x86::rsi;
  if (f.fp) {
    if (f.size == 16) {
      a.movdqu(x86::xmm0, e.vmem(rt.index));
      a.movdqu(Emitter::guest(adr, 16, disp), x86::xmm0);
      return;
    }
    a.mov(x86::rdx, e.vmem(rt.index, 0, 8));
  } else {
    e.load_gp(x86::rdx, rt);
  }
  switch (f.size) {
    case 8: a.mov(Emitter::guest(adr, 8, disp), x86::rdx); break;
    case 4: a.mov(Emitter::guest(adr, 4, disp), x86::edx); break;
    case 2: a.mov(Emitter::guest(adr, 2, disp), x86::dx); break;
    default: a.mov(Emitter::guest(adr, 1, disp), x86::dl); break;
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
  int64_t offset = 0;
  if (f.mode == Mode::kLiteral) {
    a.mov(x86::rsi, imm(in.pc + static_cast<uint64_t>(e.opimm(1) * 4)));
  } else {
    e.load_gp(x86::rsi, e.reg(rn_i));
    switch (f.mode) {
      case Mode::kScaled: offset = e.opimm(rn_i + 1) * f.size; break;
      case Mode::kUnscaled:
      case Mode::kPre:
        offset = f.pair ? e.opimm(rn_i + 1) * f.size : e.opimm(rn_i + 1);
        break;
      case Mode::kPost: break;
      case Mode::kRegX:
      case Mode::kRegW: {
        const bool sext = e.opimm(rn_i + 2) != 0, shift = e.opimm(rn_i + 3) != 0;
        e.load_gp(x86::rcx, e.reg(rn_i + 1));
        if (f.mode == Mode::kRegW && sext) a.movsxd(x86::rcx, x86::ecx);
        // (roX with sext is SXTX: the register is used as is.)
        if (shift && f.size > 1) a.shl(x86::rcx, __builtin_ctz(f.size));
        a.add(x86::rsi, x86::rcx);
        break;
      }
      default: break;
    }
  }
  // Fold the offset into the address (64-bit, for writeback) once.
  if (offset) a.add(x86::rsi, imm(offset));
  if (f.load) {
    load_one(e, f, rt, 0);
    if (f.pair) load_one(e, f, rt2, f.size);
  } else {
    store_one(e, f, rt, 0);
    if (f.pair) store_one(e, f, rt2, f.size);
  }
  if (wb) {
    if (f.mode == Mode::kPost) {
      const int64_t post = f.pair ? e.opimm(rn_i + 1) * f.size : e.opimm(rn_i + 1);
      a.add(x86::rsi, imm(post));
    }
    e.store_gp(e.reg(rn_i), x86::rsi);
  }
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
