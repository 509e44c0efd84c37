// Instruction templates and the random case generator. Instruction
// semantics and undefined flags: Intel SDM vol. 2, per instruction.
#include "tests/translator/insn_table.h"

#include <asmjit/x86.h>
#include <cpuid.h>

#include <cstring>

namespace capvm::difftest {

using namespace asmjit;
using Id = x86::Inst::Id;

namespace {
constexpr unsigned kW8 = 1, kW16 = 2, kW32 = 4, kW64 = 8, kWAll = 15, kW16Up = 14;
constexpr uint64_t kSZAP = kSF | kZF | kAF | kPF;
}  // namespace

// Generation context: the assembler, the case being built, register roles.
struct Gen {
  std::mt19937_64& rng;
  x86::Assembler& a;
  Case& c;
  const InsnTemplate& t;
  bool reserved[16] = {};
  bool failed = false;

  uint64_t u64() { return rng(); }
  unsigned below(unsigned n) { return static_cast<unsigned>(rng() % n); }
  bool coin() { return rng() & 1; }

  // An interesting value: mostly random, sometimes an edge.
  uint64_t value() {
    static const uint64_t edges[] = {0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
                                     0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF,
                                     0x8000000000000000, ~uint64_t{0}, ~uint64_t{0} - 1};
    switch (below(8)) {
      case 0: return edges[below(sizeof edges / sizeof edges[0])];
      case 1: return u64() & 0xFF;
      default: return u64();
    }
  }

  // A random general register other than rsp and reserved ones; reserves it
  // when asked.
  unsigned reg(bool reserve = false) {
    for (;;) {
      const unsigned r = below(16);
      if (r == 4 || reserved[r]) continue;
      if (reserve) reserved[r] = true;
      return r;
    }
  }
  void reserve(unsigned r) { reserved[r] = true; }

  unsigned width() {
    for (;;) {
      const unsigned w = 1u << below(4);
      if (t.widths & w) return w;
    }
  }

  static x86::Gp gp(unsigned w, unsigned id) {
    switch (w) {
      case 1: return x86::gpb_lo(id);
      case 2: return x86::gpw(id);
      case 4: return x86::gpd(id);
      default: return x86::gpq(id);
    }
  }

  // A memory operand of `size` bytes at a data-page address aligned to
  // `align`, through a random base (+ index*scale + disp). The base and
  // index registers get values that form the address with full 64-bit
  // arithmetic (wrapping), as a real program's would. `margin` keeps room
  // around the address (bit offsets, string runs).
  x86::Mem mem(unsigned size, uint64_t* ea_out = nullptr, unsigned align = 1, unsigned margin = 0) {
    const uint64_t lo = kDataAddr + margin, hi = kDataAddr + kDataSize - 16 - margin;
    uint64_t ea = lo + u64() % (hi - lo);
    ea &= ~uint64_t{align - 1};
    if (ea_out) *ea_out = ea;
    const unsigned base = reg(true);
    const int32_t disp = below(3) == 0 ? 0 : static_cast<int32_t>(static_cast<int64_t>(u64() % 0x2000) - 0x1000);
    if (coin()) {
      const unsigned index = reg(true);
      const unsigned shift = below(4);
      const uint64_t iv = below(4) == 0 ? u64() : u64() % 256;
      c.init.gpr[index] = iv;
      c.init.gpr[base] = ea - (iv << shift) - static_cast<uint64_t>(static_cast<int64_t>(disp));
      return x86::ptr(x86::gpq(base), x86::gpq(index), shift, disp, size);
    }
    c.init.gpr[base] = ea - static_cast<uint64_t>(static_cast<int64_t>(disp));
    return x86::ptr(x86::gpq(base), disp, size);
  }

  void store(uint64_t ea, uint64_t v, unsigned size) {
    std::memcpy(c.init.data.data() + (ea - kDataAddr), &v, size);
  }

  void check(Error e) {
    if (e != kErrorOk) failed = true;
  }
  template <class... Ops>
  void emit(uint32_t id, const Ops&... ops) {
    check(a.emit(static_cast<InstId>(id), ops...));
  }
};

namespace {

Imm imm_for(Gen& g, unsigned w) {
  const uint64_t v = g.value();
  switch (w) {
    case 1: return Imm(static_cast<int8_t>(v));
    case 2: return Imm(static_cast<int16_t>(v));
    default: return Imm(static_cast<int32_t>(v));  // sign-extended imm32
  }
}

// --- Table-driven forms ------------------------------------------------------

void gen_alu(Gen& g) {
  const unsigned w = g.width();
  const uint32_t id = g.t.inst_id;
  const bool is_test = id == Id::kIdTest, is_cmp = id == Id::kIdCmp;
  const bool lockable = !is_test && !is_cmp;
  const unsigned r = g.reg();
  switch (g.below(5)) {
    case 0: g.emit(id, Gen::gp(w, r), Gen::gp(w, g.reg())); break;
    case 1: g.emit(id, Gen::gp(w, r), imm_for(g, w)); break;
    case 2:
      if (is_test) g.emit(id, g.mem(w), Gen::gp(w, r));
      else g.emit(id, Gen::gp(w, r), g.mem(w));
      break;
    case 3: {
      const x86::Mem m = g.mem(w);
      if (lockable && g.coin()) g.a.lock();
      g.emit(id, m, Gen::gp(w, r));
      break;
    }
    default: {
      const x86::Mem m = g.mem(w);
      if (lockable && g.coin()) g.a.lock();
      g.emit(id, m, imm_for(g, w));
      break;
    }
  }
}

void gen_unary(Gen& g) {
  const unsigned w = g.width();
  if (g.coin()) {
    g.emit(g.t.inst_id, Gen::gp(w, g.reg()));
  } else {
    const x86::Mem m = g.mem(w);
    // Unicorn (QEMU 5) computes wrong PF/SF for `lock neg`; hardware is right.
    if (g.t.inst_id != Id::kIdNeg && g.coin()) g.a.lock();
    g.emit(g.t.inst_id, m);
  }
}

// Shift and rotate counts decide which flags are defined (SDM: SAL/SAR/SHL/
// SHR, RCL/RCR/ROL/ROR "Flags Affected").
uint64_t shift_undefined(uint32_t id, unsigned w, unsigned raw_count) {
  const unsigned count = raw_count & (w == 8 ? 63 : 31);
  if (count == 0) return 0;
  const bool rotate = id == Id::kIdRol || id == Id::kIdRor || id == Id::kIdRcl || id == Id::kIdRcr;
  uint64_t u = 0;
  if (count != 1) u |= kOF;
  if (!rotate) {
    u |= kAF;
    if (count >= w * 8) u |= kCF | kOF;  // count past the width (8/16-bit)
  }
  return u;
}

void gen_shift(Gen& g) {
  const unsigned w = g.width();
  const uint32_t id = g.t.inst_id;
  const bool by_cl = g.coin();
  unsigned count;
  if (by_cl) {
    g.reserve(1);
    count = g.below(4) == 0 ? static_cast<unsigned>(g.u64() & 0xFF) : g.below(w * 8 + 2);
  } else {
    count = g.below(4) == 0 ? static_cast<unsigned>(g.u64() & 0xFF) : g.below(w * 8 + 2);
  }
  const Operand dst = g.coin() ? Operand(Gen::gp(w, g.reg())) : Operand(g.mem(w));
  if (by_cl) {
    g.c.init.gpr[1] = (g.u64() & ~uint64_t{0xFF}) | count;
    g.emit(id, dst, x86::cl);
  } else {
    g.emit(id, dst, Imm(static_cast<uint8_t>(count)));
  }
  g.c.undefined_flags |= shift_undefined(id, w, count);
}

void gen_shiftd(Gen& g) {
  const unsigned w = g.width();
  const bool by_cl = g.coin();
  unsigned count = g.below(4) == 0 ? static_cast<unsigned>(g.u64() & 0xFF) : g.below(w * 8 + 2);
  if (by_cl) g.reserve(1);
  const unsigned src = g.reg();
  const Operand dst = g.coin() ? Operand(Gen::gp(w, g.reg())) : Operand(g.mem(w));
  if (by_cl) {
    g.c.init.gpr[1] = (g.u64() & ~uint64_t{0xFF}) | count;
    g.emit(g.t.inst_id, dst, Gen::gp(w, src), x86::cl);
  } else {
    g.emit(g.t.inst_id, dst, Gen::gp(w, src), Imm(static_cast<uint8_t>(count)));
  }
  const unsigned masked = count & (w == 8 ? 63 : 31);
  if (masked != 0) {
    g.c.undefined_flags |= kAF;
    if (masked != 1) g.c.undefined_flags |= kOF;
    // A count past the operand size leaves the result and flags undefined.
    if (masked > w * 8) g.failed = true;  // regenerated by the caller
  }
}

void gen_muldiv(Gen& g) {
  const unsigned w = g.width();
  const uint32_t id = g.t.inst_id;
  const bool divide = id == Id::kIdDiv || id == Id::kIdIdiv;
  g.reserve(0);
  g.reserve(2);
  const uint64_t mask = w == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * w)) - 1;
  const unsigned bits = 8 * w;
  uint64_t divisor = g.value() & mask;
  if (divide) {
    if (divisor == 0) divisor = 1 + (g.u64() & mask & 0xFFF);
    if (id == Id::kIdIdiv && divisor == mask) divisor = 3;  // -1: INT_MIN / -1 overflows
  }
  Operand src;
  if (g.coin()) {
    const unsigned r = g.reg();
    g.c.init.gpr[r] = (g.u64() & ~mask) | divisor;
    src = Gen::gp(w, r);
  } else {
    uint64_t ea;
    src = g.mem(w, &ea);
    g.store(ea, divisor, w);
  }
  uint64_t lo = g.value() & mask;
  uint64_t hi;
  if (id == Id::kIdDiv) {
    hi = g.u64() % divisor;
  } else if (id == Id::kIdIdiv) {
    // Sign-extended dividend: |quotient| <= |dividend| fits unless
    // dividend = INT_MIN and divisor = -1 (excluded above).
    hi = ((lo >> (bits - 1)) & 1) ? mask : 0;
  } else {
    hi = g.value() & mask;
  }
  if (w == 1) {
    g.c.init.gpr[0] = (g.u64() & ~uint64_t{0xFFFF}) | (hi & 0xFF) << 8 | (lo & 0xFF);
  } else {
    g.c.init.gpr[0] = (g.u64() & ~mask) | lo;
    g.c.init.gpr[2] = (g.u64() & ~mask) | hi;
  }
  g.emit(id, src);
}

void gen_imul(Gen& g) {
  const unsigned w = g.width();
  const unsigned dst = g.reg();
  const Operand src = g.coin() ? Operand(Gen::gp(w, g.reg())) : Operand(g.mem(w));
  if (g.coin())
    g.emit(Id::kIdImul, Gen::gp(w, dst), src);
  else
    g.emit(Id::kIdImul, Gen::gp(w, dst), src, imm_for(g, w == 1 ? 4 : w));
}

void gen_extend(Gen& g) {
  const uint32_t id = g.t.inst_id;
  unsigned dw, sw;
  if (id == Id::kIdMovsxd) {
    dw = 8;
    sw = 4;
  } else {
    sw = g.coin() ? 1 : 2;
    do dw = 1u << (1 + g.below(3)); while (dw <= sw);
  }
  const unsigned dst = g.reg();
  const Operand src = g.coin() ? Operand(Gen::gp(sw, g.reg())) : Operand(g.mem(sw));
  g.emit(id, Gen::gp(dw, dst), src);
}

void gen_lea(Gen& g) {
  static const unsigned ws[] = {2, 4, 8};
  const unsigned w = ws[g.below(3)];
  const unsigned dst = g.reg();
  const int32_t disp = static_cast<int32_t>(g.value());
  switch (g.below(4)) {
    case 0: {  // rip-relative: a label in the snippet plus a displacement
      Label l = g.a.newLabel();
      g.emit(Id::kIdLea, Gen::gp(w, dst), x86::ptr(l, static_cast<int32_t>(g.u64() % 0x10000) - 0x8000));
      g.a.bind(l);
      break;
    }
    case 1: g.emit(Id::kIdLea, Gen::gp(w, dst), x86::ptr(x86::gpq(g.reg()), disp)); break;
    default:
      g.emit(Id::kIdLea, Gen::gp(w, dst),
             x86::ptr(x86::gpq(g.below(16)), x86::gpq(g.reg()), g.below(4), disp));
      break;
  }
}

void gen_cmov(Gen& g) {
  static const unsigned ws[] = {2, 4, 8};
  const unsigned w = ws[g.below(3)];
  const auto cc = static_cast<x86::CondCode>(g.below(16));
  const unsigned dst = g.reg();
  const Operand src = g.coin() ? Operand(Gen::gp(w, g.reg())) : Operand(g.mem(w));
  g.emit(x86::Inst::cmovccFromCond(cc), Gen::gp(w, dst), src);
}

void gen_setcc(Gen& g) {
  const auto cc = static_cast<x86::CondCode>(g.below(16));
  const Operand dst = g.coin() ? Operand(Gen::gp(1, g.reg())) : Operand(g.mem(1));
  g.emit(x86::Inst::setccFromCond(cc), dst);
}

void gen_bittest(Gen& g) {
  static const unsigned ws[] = {2, 4, 8};
  const unsigned w = ws[g.below(3)];
  const uint32_t id = g.t.inst_id;
  const bool lockable = id != Id::kIdBt;
  switch (g.below(4)) {
    case 0: g.emit(id, Gen::gp(w, g.reg()), Gen::gp(w, g.reg())); break;
    case 1: g.emit(id, Gen::gp(w, g.reg()), Imm(static_cast<uint8_t>(g.u64()))); break;
    case 2: {
      const x86::Mem m = g.mem(w, nullptr, 1, 0);
      if (lockable && g.coin()) g.a.lock();
      g.emit(id, m, Imm(static_cast<uint8_t>(g.u64())));
      break;
    }
    default: {
      // Register bit offset: the access may land before or after the
      // operand (SDM: BT "bit base"), so keep a margin around it.
      const unsigned r = g.reg(true);
      const x86::Mem m = g.mem(w, nullptr, 1, 64);
      g.c.init.gpr[r] = (g.u64() & ~uint64_t{0xFFFF}) * 0 + static_cast<uint64_t>(static_cast<int64_t>(g.below(512)) - 256);
      if (w == 2) g.c.init.gpr[r] = (g.u64() & ~uint64_t{0xFFFF}) | (g.c.init.gpr[r] & 0xFFFF);
      if (w == 4) g.c.init.gpr[r] = (g.u64() & ~uint64_t{0xFFFFFFFF}) | (g.c.init.gpr[r] & 0xFFFFFFFF);
      if (lockable && g.coin()) g.a.lock();
      g.emit(id, m, Gen::gp(w, r));
      break;
    }
  }
}

void gen_bitscan(Gen& g) {
  static const unsigned ws[] = {2, 4, 8};
  const unsigned w = ws[g.below(3)];
  const uint32_t id = g.t.inst_id;
  const bool bs = id == Id::kIdBsf || id == Id::kIdBsr;
  const unsigned dst = g.reg();
  const uint64_t mask = w == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * w)) - 1;
  uint64_t v = g.below(8) == 0 ? (uint64_t{1} << g.below(8 * w)) : g.value() & mask;
  if (bs && v == 0) v = 1;  // destination undefined for a zero source
  if (g.coin()) {
    const unsigned src = g.reg(true);
    g.c.init.gpr[src] = (g.u64() & ~mask) | v;
    g.emit(id, Gen::gp(w, dst), Gen::gp(w, src));
  } else {
    uint64_t ea;
    const x86::Mem m = g.mem(w, &ea);
    g.store(ea, v, w);
    g.emit(id, Gen::gp(w, dst), m);
  }
}

void gen_exchange(Gen& g) {
  const unsigned w = g.width();
  const uint32_t id = g.t.inst_id;
  if (id == Id::kIdCmpxchg) g.reserve(0);
  const unsigned r = g.reg();
  if (g.below(4) == 0) {
    const unsigned d = g.reg();
    // Unicorn (QEMU 5) zero-extends a 32-bit cmpxchg register destination
    // even when hardware leaves it alone: keep its upper half zero.
    if (id == Id::kIdCmpxchg && w == 4) {
      g.c.init.gpr[d] &= 0xFFFFFFFF;
      g.c.init.gpr[0] &= 0xFFFFFFFF;
    }
    g.emit(id, Gen::gp(w, d), Gen::gp(w, r));
    return;
  }
  uint64_t ea;
  const x86::Mem m = g.mem(w, &ea);
  if (id == Id::kIdCmpxchg && g.coin()) {
    uint64_t v = 0;
    std::memcpy(&v, g.c.init.data.data() + (ea - kDataAddr), w);
    const uint64_t mask = w == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * w)) - 1;
    g.c.init.gpr[0] = (g.u64() & ~mask) | v;  // equal: the store happens
  }
  // Unicorn (QEMU 5) zero-extends rax even when a 32-bit cmpxchg succeeds
  // (hardware leaves rax alone then): keep the upper half zero.
  if (id == Id::kIdCmpxchg && w == 4) g.c.init.gpr[0] &= 0xFFFFFFFF;
  if (g.coin()) g.a.lock();
  g.emit(id, m, Gen::gp(w, r));
}

void gen_movement(Gen& g) {
  const unsigned w = g.width();
  const unsigned r = g.reg();
  switch (g.below(5)) {
    case 0: g.emit(Id::kIdMov, Gen::gp(w, r), Gen::gp(w, g.reg())); break;
    case 1: g.emit(Id::kIdMov, Gen::gp(w, r), g.mem(w)); break;
    case 2: g.emit(Id::kIdMov, g.mem(w), Gen::gp(w, r)); break;
    case 3: g.emit(Id::kIdMov, g.mem(w), imm_for(g, w)); break;
    default:
      if (w == 8) g.emit(Id::kIdMov, Gen::gp(w, r), Imm(g.value()));  // movabs
      else g.emit(Id::kIdMov, Gen::gp(w, r), imm_for(g, w));
      break;
  }
}

// --- Hand-written snippets ---------------------------------------------------

x86::Gp q(unsigned id) { return x86::gpq(id); }

void gen_push_pop(Gen& g) {
  const unsigned n = 1 + g.below(4);
  std::vector<unsigned> pushed;
  for (unsigned i = 0; i < n; ++i) {
    switch (g.below(5)) {
      case 0: g.a.push(imm_for(g, 4)); break;
      case 1: g.a.push(g.mem(8)); break;
      case 2: g.a.push(x86::rsp); break;
      default: g.a.push(q(g.reg())); break;
    }
  }
  for (unsigned i = 0; i < n; ++i) {
    const unsigned k = g.below(5);
    if (k == 0) g.a.add(x86::rsp, 8);
    // pop m64 only first: later pops could overwrite its address registers.
    else if (k == 1 && i == 0) g.a.pop(g.mem(8));
    else g.a.pop(q(g.reg()));
  }
  if (g.below(8) == 0) {
    // pop rsp: rsp takes a value from the stack. The value is kept
    // canonical: with a non-canonical rsp the host kernel's return to user
    // mode (iret after any interrupt) faults, natively as under capvm, so
    // the outcome would depend on timing, not on the translation.
    g.a.push(imm(static_cast<int32_t>(g.below(0x7FFFFFFF))));
    g.a.pop(x86::rsp);
  }
}

void gen_pushf_popf(Gen& g) {
  // popfq may only change the arithmetic flags and DF; pushfq then shows
  // what the guest sees.
  const unsigned r = g.reg(true);
  g.c.init.gpr[r] = (g.u64() & kCompared) | 0x202;
  g.a.push(q(r));
  g.a.popfq();
  g.a.pushfq();
  g.a.pop(q(g.reg()));
  g.a.cld();
}

void gen_call_ret(Gen& g) {
  Label fn = g.a.newLabel(), done = g.a.newLabel();
  const unsigned r1 = g.reg(), r2 = g.reg();
  switch (g.below(4)) {
    case 0: g.a.call(fn); break;
    case 1: {
      const unsigned t = g.reg(true);
      g.a.lea(q(t), x86::ptr(fn));
      g.a.call(q(t));
      break;
    }
    case 2: {
      const unsigned t = g.reg(true);
      uint64_t ea;
      const x86::Mem m = g.mem(8, &ea);
      g.a.lea(q(t), x86::ptr(fn));
      g.a.mov(m, q(t));
      g.a.call(m);
      break;
    }
    default:
      g.a.push(q(r2));  // ret 8 drops it
      g.a.call(fn);
      break;
  }
  g.a.add(q(r1), q(r2));
  g.a.jmp(done);
  g.a.bind(fn);
  g.a.xor_(q(r2), q(r1));
  g.a.mov(q(g.reg()), x86::qword_ptr(x86::rsp));  // the return address
  if (g.c.code.empty() && g.below(2) == 0) {
    g.a.ret();
  } else {
    g.a.ret();
  }
  g.a.bind(done);
}

void gen_call_ret_imm(Gen& g) {
  Label fn = g.a.newLabel(), done = g.a.newLabel();
  g.a.push(q(g.reg()));
  g.a.push(q(g.reg()));
  g.a.call(fn);
  g.a.jmp(done);
  g.a.bind(fn);
  g.a.ret(16);
  g.a.bind(done);
}

void gen_jcc_forward(Gen& g) {
  const auto cc = static_cast<x86::CondCode>(g.below(16));
  Label skip = g.a.newLabel();
  const unsigned r = g.reg();
  g.emit(x86::Inst::jccFromCond(cc), skip);
  g.a.add(q(r), 0x11);
  if (g.coin()) for (int i = 0; i < 40; ++i) g.a.nop();  // forces a near jcc
  g.a.bind(skip);
  g.a.lea(q(g.reg()), x86::ptr(q(r), 1));
}

void gen_jcc_loop(Gen& g) {
  g.reserve(1);
  const unsigned r = g.reg(), s = g.reg();
  g.c.init.gpr[1] = 1 + g.below(20);  // loop/jrcxz count all of rcx
  Label top = g.a.newLabel();
  g.a.bind(top);
  g.a.add(q(r), q(s));
  g.a.rol(q(s), 3);
  switch (g.below(3)) {
    case 0:
      g.a.dec(x86::ecx);
      g.a.jnz(top);
      break;
    case 1:
      g.a.loop(top);
      break;
    default: {
      Label out = g.a.newLabel();
      g.a.dec(x86::rcx);
      g.a.jecxz(x86::rcx, out);
      g.a.jmp(top);
      g.a.bind(out);
      break;
    }
  }
  if (g.c.init.gpr[1] == 0) g.c.init.gpr[1] = 1;
}

void gen_indirect_jmp(Gen& g) {
  Label target = g.a.newLabel();
  const unsigned t = g.reg(true);
  const unsigned r = g.reg();
  g.a.lea(q(t), x86::ptr(target));
  if (g.coin()) {
    g.a.jmp(q(t));
  } else {
    const x86::Mem m = g.mem(8);
    g.a.mov(m, q(t));
    g.a.jmp(m);
  }
  g.a.add(q(r), 1);  // skipped
  g.a.ud2();
  g.a.bind(target);
  g.a.sub(q(r), 7);
}

// rip-relative: loads from constants in the code page, stores into the data
// page (displacement patched to reach it).
void gen_rip_relative(Gen& g) {
  Label konst = g.a.newLabel(), over = g.a.newLabel();
  const unsigned r = g.reg();
  static const unsigned ws[] = {1, 2, 4, 8};
  const unsigned w = ws[g.below(4)];
  switch (g.below(5)) {
    case 0: g.emit(Id::kIdMov, Gen::gp(w, r), x86::ptr(konst, g.below(8), w)); break;
    case 1: g.emit(Id::kIdAdd, Gen::gp(w, r), x86::ptr(konst, g.below(8), w)); break;
    case 2: g.emit(Id::kIdCmp, x86::ptr(konst, g.below(8), w), imm_for(g, w)); break;
    default: {
      // mov/add [rip+disp32], reg with disp32 reaching the data page.
      const size_t start = g.a.offset();
      const uint32_t id = g.coin() ? Id::kIdMov : Id::kIdAdd;
      g.emit(id, x86::ptr(x86::rip, 0, w), Gen::gp(w, r));
      const size_t end = g.a.offset();
      const uint64_t target = kDataAddr + g.u64() % (kDataSize - 8);
      const int32_t disp = static_cast<int32_t>(target - (kCodeAddr + end));
      std::memcpy(g.a.code()->textSection()->data() + end - 4, &disp, 4);
      (void)start;
      break;
    }
  }
  g.a.jmp(over);
  g.a.bind(konst);
  for (int i = 0; i < 2; ++i) g.a.dq(g.u64());
  g.a.bind(over);
}

void gen_fs_relative(Gen& g) {
  const unsigned r = g.reg();
  static const unsigned ws[] = {1, 2, 4, 8};
  const unsigned w = ws[g.below(4)];
  x86::Mem m;
  switch (g.below(3)) {
    case 0: m = x86::ptr_abs(0x10 + g.below(0xF00), w); break;
    case 1: {
      const unsigned b = g.reg(true);
      const uint64_t off = g.below(0xF00);
      g.c.init.gpr[b] = off;
      m = x86::ptr(q(b), static_cast<int32_t>(g.below(0x80)), w);
      break;
    }
    default: {
      const unsigned b = g.reg(true), i = g.reg(true);
      g.c.init.gpr[b] = g.below(0x400);
      g.c.init.gpr[i] = g.below(0x100);
      m = x86::ptr(q(b), q(i), 2, static_cast<int32_t>(g.below(0x80)), w);
      break;
    }
  }
  m.setSegment(x86::fs);
  switch (g.below(4)) {
    case 0: g.emit(Id::kIdMov, Gen::gp(w, r), m); break;
    case 1: g.emit(Id::kIdMov, m, Gen::gp(w, r)); break;
    case 2: g.emit(Id::kIdAdd, m, Gen::gp(w, r)); break;
    default: g.emit(Id::kIdCmp, Gen::gp(w, r), m); break;
  }
}

uint64_t random_double_bits(Gen& g) {
  switch (g.below(6)) {
    case 0: return g.u64();  // any pattern, NaNs and denormals included
    case 1: return 0;
    default: {
      double d = static_cast<double>(static_cast<int64_t>(g.u64() % 2000000) - 1000000) / (1 + g.below(1000));
      uint64_t b;
      std::memcpy(&b, &d, 8);
      return b;
    }
  }
}

void seed_xmm(Gen& g) {
  for (int i = 0; i < 16; ++i) {
    g.c.init.xmm[i][0] = g.coin() ? random_double_bits(g) : g.u64();
    g.c.init.xmm[i][1] = g.coin() ? random_double_bits(g) : g.u64();
  }
}

void gen_sse(Gen& g) {
  struct Op { uint32_t id; unsigned mem_size; unsigned align; bool imm8; };
  static const Op ops[] = {
      {Id::kIdAddsd, 8, 1, false},  {Id::kIdSubsd, 8, 1, false},   {Id::kIdMulsd, 8, 1, false},
      {Id::kIdDivsd, 8, 1, false},  {Id::kIdSqrtsd, 8, 1, false},  {Id::kIdMinsd, 8, 1, false},
      {Id::kIdMaxsd, 8, 1, false},  {Id::kIdAddpd, 16, 16, false}, {Id::kIdMulpd, 16, 16, false},
      {Id::kIdPaddd, 16, 16, false}, {Id::kIdPaddq, 16, 16, false}, {Id::kIdPsubd, 16, 16, false},
      {Id::kIdPxor, 16, 16, false}, {Id::kIdPand, 16, 16, false},  {Id::kIdPor, 16, 16, false},
      {Id::kIdPcmpeqd, 16, 16, false}, {Id::kIdPshufd, 16, 16, true}, {Id::kIdUnpcklpd, 16, 16, false},
      {Id::kIdShufps, 16, 16, true}, {Id::kIdMovaps, 16, 16, false}, {Id::kIdMovdqu, 16, 1, false},
      {Id::kIdMovsd, 8, 1, false},
  };
  seed_xmm(g);
  const Op& op = ops[g.below(sizeof ops / sizeof ops[0])];
  const x86::Xmm dst = x86::xmm(g.below(16));
  Operand src;
  uint64_t ea = 0;
  if (g.coin()) {
    src = x86::xmm(g.below(16));
  } else {
    src = g.mem(op.mem_size, &ea, op.align);
    if (op.mem_size == 8 && g.coin()) g.store(ea, random_double_bits(g), 8);
  }
  if (op.imm8) g.emit(op.id, dst, src, Imm(static_cast<uint8_t>(g.u64())));
  else g.emit(op.id, dst, src);
}

void gen_sse_store(Gen& g) {
  seed_xmm(g);
  const x86::Xmm s = x86::xmm(g.below(16));
  switch (g.below(4)) {
    case 0: g.a.movdqu(g.mem(16), s); break;
    case 1: g.a.movaps(g.mem(16, nullptr, 16), s); break;
    case 2: g.a.movsd(g.mem(8), s); break;
    default: g.a.movq(g.mem(8), s); break;
  }
}

void gen_sse_convert(Gen& g) {
  seed_xmm(g);
  const x86::Xmm x = x86::xmm(g.below(16));
  const unsigned r = g.reg();
  const unsigned w = g.coin() ? 8 : 4;
  switch (g.below(6)) {
    case 0: g.a.cvtsi2sd(x, Gen::gp(w, r)); break;
    case 1: g.a.cvtsi2sd(x, g.mem(w)); break;
    case 2: g.a.cvttsd2si(Gen::gp(w, r), x); break;
    case 3: {
      uint64_t ea;
      const x86::Mem m = g.mem(8, &ea);
      g.store(ea, random_double_bits(g), 8);
      g.a.cvttsd2si(Gen::gp(w, r), m);
      break;
    }
    case 4: g.a.cvtsd2si(Gen::gp(w, r), x); break;
    default:
      if (g.coin()) g.a.movq(x, q(r));
      else g.a.movq(q(r), x);
      break;
  }
}

void gen_sse_compare(Gen& g) {
  seed_xmm(g);
  const x86::Xmm x = x86::xmm(g.below(16));
  const Operand src = g.coin() ? Operand(x86::xmm(g.below(16))) : Operand(g.mem(8));
  g.emit(g.coin() ? Id::kIdUcomisd : Id::kIdComisd, x, src);
}

// String instructions with DF clear or set, rsi/rdi inside the data page
// with room for the whole run in either direction.
void gen_string(Gen& g) {
  g.reserve(0);
  g.reserve(1);
  g.reserve(6);
  g.reserve(7);
  const bool down = g.coin();
  const uint64_t room = 0x200;
  const uint64_t span = kDataSize - 2 * room;
  g.c.init.gpr[6] = kDataAddr + room + g.u64() % span;
  g.c.init.gpr[7] = g.coin() ? kDataAddr + room + g.u64() % span
                             : g.c.init.gpr[6] + static_cast<uint64_t>(static_cast<int64_t>(g.below(32)) - 16);  // overlapping runs
  g.c.init.gpr[1] = g.below(40);
  if (g.below(4) == 0) g.c.init.gpr[0] = g.u64();
  else g.c.init.gpr[0] = g.c.init.data[g.c.init.gpr[7] - kDataAddr + g.below(8)];  // a likely match
  if (down) g.a.std();
  else g.a.cld();
  // Raw encodings: asmjit wants explicit string operands.
  static const std::vector<uint8_t> forms[] = {
      {0xF3, 0xA4}, {0xF3, 0x48, 0xA5}, {0xF3, 0xAA}, {0xF3, 0x48, 0xAB}, {0xAC},
      {0x48, 0xAD}, {0xF3, 0xA6},       {0xF2, 0xA6}, {0xF3, 0xAE},       {0xF2, 0xAE},
      {0xA4},       {0xF3, 0xAB},       {0x64, 0xAC}, {0xF3, 0x66, 0xA5}, {0xF2, 0x48, 0xAF}};
  const std::vector<uint8_t>& f = forms[g.below(sizeof forms / sizeof forms[0])];
  if (f[0] == 0x64) g.c.init.gpr[6] -= kFsBase;  // fs: lodsb reads fs_base + rsi
  g.a.embed(f.data(), f.size());
  if (g.coin()) g.a.cld();
}

void gen_convert(Gen& g) {
  g.reserve(0);
  g.reserve(2);
  switch (g.below(7)) {
    case 0: g.a.cqo(); break;
    case 1: g.a.cdq(); break;
    case 2: g.a.cwd(); break;
    case 3: g.a.cbw(); break;
    case 4: g.a.cwde(); break;
    case 5: g.a.cdqe(); break;
    default:
      if (g.coin()) g.a.bswap(q(g.reg()));
      else g.a.bswap(x86::gpd(g.reg()));
      break;
  }
}

void gen_flags_misc(Gen& g) {
  switch (g.below(6)) {
    case 0: g.a.sahf(); break;
    case 1: g.a.lahf(); break;
    case 2: g.a.cmc(); break;
    case 3: g.a.stc(); break;
    case 4: g.a.clc(); break;
    default: g.a.xchg(q(g.reg()), q(g.reg())); break;
  }
}

}  // namespace

// --- The table ---------------------------------------------------------------

const std::vector<InsnTemplate>& instruction_table() {
  static const std::vector<InsnTemplate> table = {
      {"add", Form::kAlu, Id::kIdAdd, kWAll, 0, nullptr},
      {"adc", Form::kAlu, Id::kIdAdc, kWAll, 0, nullptr},
      {"sub", Form::kAlu, Id::kIdSub, kWAll, 0, nullptr},
      {"sbb", Form::kAlu, Id::kIdSbb, kWAll, 0, nullptr},
      {"and", Form::kAlu, Id::kIdAnd, kWAll, kAF, nullptr},
      {"or", Form::kAlu, Id::kIdOr, kWAll, kAF, nullptr},
      {"xor", Form::kAlu, Id::kIdXor, kWAll, kAF, nullptr},
      {"cmp", Form::kAlu, Id::kIdCmp, kWAll, 0, nullptr},
      {"test", Form::kAlu, Id::kIdTest, kWAll, kAF, nullptr},
      {"inc", Form::kUnary, Id::kIdInc, kWAll, 0, nullptr},
      {"dec", Form::kUnary, Id::kIdDec, kWAll, 0, nullptr},
      {"neg", Form::kUnary, Id::kIdNeg, kWAll, 0, nullptr},
      {"not", Form::kUnary, Id::kIdNot, kWAll, 0, nullptr},
      {"shl", Form::kShift, Id::kIdShl, kWAll, 0, nullptr},
      {"shr", Form::kShift, Id::kIdShr, kWAll, 0, nullptr},
      {"sar", Form::kShift, Id::kIdSar, kWAll, 0, nullptr},
      {"rol", Form::kShift, Id::kIdRol, kWAll, 0, nullptr},
      {"ror", Form::kShift, Id::kIdRor, kWAll, 0, nullptr},
      {"rcl", Form::kShift, Id::kIdRcl, kWAll, 0, nullptr},
      {"rcr", Form::kShift, Id::kIdRcr, kWAll, 0, nullptr},
      {"shld", Form::kShiftD, Id::kIdShld, kW16Up, 0, nullptr},
      {"shrd", Form::kShiftD, Id::kIdShrd, kW16Up, 0, nullptr},
      {"mul", Form::kMulDiv, Id::kIdMul, kWAll, kSZAP, nullptr},
      {"imul1", Form::kMulDiv, Id::kIdImul, kWAll, kSZAP, nullptr},
      {"div", Form::kMulDiv, Id::kIdDiv, kWAll, kArith, nullptr},
      {"idiv", Form::kMulDiv, Id::kIdIdiv, kWAll, kArith, nullptr},
      {"imul", Form::kImul, Id::kIdImul, kW16Up, kSZAP, nullptr},
      {"movzx", Form::kExtend, Id::kIdMovzx, kW16Up, 0, nullptr},
      {"movsx", Form::kExtend, Id::kIdMovsx, kW16Up, 0, nullptr},
      {"movsxd", Form::kExtend, Id::kIdMovsxd, kW64, 0, nullptr},
      {"lea", Form::kLea, Id::kIdLea, kW16Up, 0, nullptr},
      {"cmovcc", Form::kCmov, 0, kW16Up, 0, nullptr},
      {"setcc", Form::kSetcc, 0, kW8, 0, nullptr},
      {"bt", Form::kBitTest, Id::kIdBt, kW16Up, kOF | kSF | kAF | kPF, nullptr},
      {"bts", Form::kBitTest, Id::kIdBts, kW16Up, kOF | kSF | kAF | kPF, nullptr},
      {"btr", Form::kBitTest, Id::kIdBtr, kW16Up, kOF | kSF | kAF | kPF, nullptr},
      {"btc", Form::kBitTest, Id::kIdBtc, kW16Up, kOF | kSF | kAF | kPF, nullptr},
      {"bsf", Form::kBitScan, Id::kIdBsf, kW16Up, kCF | kOF | kSF | kAF | kPF, nullptr},
      {"bsr", Form::kBitScan, Id::kIdBsr, kW16Up, kCF | kOF | kSF | kAF | kPF, nullptr},
      {"xchg", Form::kExchange, Id::kIdXchg, kWAll, 0, nullptr},
      {"cmpxchg", Form::kExchange, Id::kIdCmpxchg, kWAll, 0, nullptr},
      {"xadd", Form::kExchange, Id::kIdXadd, kWAll, 0, nullptr},
      {"mov", Form::kMovement, Id::kIdMov, kWAll, 0, nullptr},
      {"push/pop", Form::kCustom, 0, 0, 0, nullptr, gen_push_pop},
      {"pushfq/popfq", Form::kCustom, 0, 0, 0, nullptr, gen_pushf_popf},
      {"call/ret", Form::kCustom, 0, 0, 0, nullptr, gen_call_ret},
      {"call/ret imm16", Form::kCustom, 0, 0, 0, nullptr, gen_call_ret_imm},
      {"jcc forward", Form::kCustom, 0, 0, 0, nullptr, gen_jcc_forward},
      {"jcc/loop/jrcxz backward", Form::kCustom, 0, 0, 0, nullptr, gen_jcc_loop},
      {"jmp indirect", Form::kCustom, 0, 0, 0, nullptr, gen_indirect_jmp},
      {"rip-relative", Form::kCustom, 0, 0, 0, nullptr, gen_rip_relative},
      {"fs-relative", Form::kCustom, 0, 0, 0, nullptr, gen_fs_relative},
      {"sse2 arith", Form::kCustom, 0, 0, 0, nullptr, gen_sse},
      {"sse2 store", Form::kCustom, 0, 0, 0, nullptr, gen_sse_store},
      {"sse2 convert", Form::kCustom, 0, 0, 0, nullptr, gen_sse_convert},
      {"sse2 compare", Form::kCustom, 0, 0, kOF | kSF | kAF, nullptr, gen_sse_compare},
      {"string ops", Form::kCustom, 0, 0, 0, nullptr, gen_string},
      {"cqo/cdq/bswap", Form::kCustom, 0, 0, 0, nullptr, gen_convert},
      {"flag ops", Form::kCustom, 0, 0, 0, nullptr, gen_flags_misc},
  };
  return table;
}

const std::vector<SkippedInsn>& skipped_instructions() {
  static const std::vector<SkippedInsn> skips = {
      {"rdtsc/rdtscp", "virtualised (a monotonic-ns counter): differs from any CPU by design"},
      {"rdpmc", "user-mode #GP by design (SIGSEGV)"},
      {"cpuid", "host CPU versus Unicorn's model: differs by design"},
      {"syscall", "the snippet terminator; tested by every case"},
      {"int3/int n/ud2", "traps: exit kinds, not state changes (see unit tests)"},
      {"mov moffs (a0-a3)", "translator: SIGILL by design (no ModRM to confine)"},
      {"xlat/enter/maskmovdqu", "translator: forbidden (implicit host-relative memory)"},
      {"gs: prefixes, wrfsbase & co", "translator: forbidden (the sandbox segment)"},
      {"pushf/popf 16-bit, jecxz", "translator: SIGILL by design"},
      {"AVX/AVX2/AVX-512", "Unicorn 2 (QEMU 5 TCG) does not emulate VEX/EVEX"},
      {"popcnt/lzcnt/tzcnt", "oracle: Unicorn 2.0.1 raises invalid-instruction for popcnt in every CPU model and decodes lzcnt/tzcnt as bsr/bsf"},
      {"x87", "not yet templated; 80-bit state outside XMM comparison"},
      {"shld/shrd count > width", "result undefined (SDM); regenerated"},
      {"bsf/bsr with zero source", "destination undefined (SDM); source forced nonzero"},
      {"div/idiv overflow", "#DE: operands chosen so the quotient fits"},
  };
  return skips;
}

bool host_has(const char* f) {
  unsigned a, b, c, d;
  const std::string s = f;
  if (s == "popcnt") {
    __cpuid(1, a, b, c, d);
    return c & (1u << 23);
  }
  if (s == "lzcnt") {
    __cpuid(0x80000001, a, b, c, d);
    return c & (1u << 5);
  }
  if (s == "bmi1") {
    __cpuid_count(7, 0, a, b, c, d);
    return b & (1u << 3);
  }
  return false;
}

bool generate_case(const InsnTemplate& t, std::mt19937_64& rng, Case* out, std::string* error) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    Case c;
    c.name = t.name;
    c.undefined_flags = t.undefined_flags;
    c.init.data.resize(kDataSize);
    c.init.stack.resize(kStackSize);
    fill_pattern(&c.init.data, rng());
    fill_pattern(&c.init.stack, rng());
    CodeHolder code;
    code.init(Environment(Arch::kX64), kCodeAddr);
    x86::Assembler a(&code);
    Gen g{rng, a, c, t};
    for (int i = 0; i < 16; ++i) c.init.gpr[i] = g.value();
    c.init.gpr[4] = kStackAddr + 0x1000 + 8 * (static_cast<int64_t>(g.below(64)) - 32);
    c.init.rflags = 0x202 | (g.u64() & kArith);
    switch (t.form) {
      case Form::kAlu: gen_alu(g); break;
      case Form::kUnary: gen_unary(g); break;
      case Form::kShift: gen_shift(g); break;
      case Form::kShiftD: gen_shiftd(g); break;
      case Form::kMulDiv: gen_muldiv(g); break;
      case Form::kImul: gen_imul(g); break;
      case Form::kExtend: gen_extend(g); break;
      case Form::kLea: gen_lea(g); break;
      case Form::kCmov: gen_cmov(g); break;
      case Form::kSetcc: gen_setcc(g); break;
      case Form::kBitTest: gen_bittest(g); break;
      case Form::kBitScan: gen_bitscan(g); break;
      case Form::kExchange: gen_exchange(g); break;
      case Form::kMovement: gen_movement(g); break;
      case Form::kCustom: t.custom(g); break;
    }
    if (g.failed) continue;
    if (code.flatten() != kErrorOk || code.resolveUnresolvedLinks() != kErrorOk ||
        code.relocateToBase(kCodeAddr) != kErrorOk) {
      continue;
    }
    c.code.resize(code.codeSize());
    code.copyFlattenedData(c.code.data(), c.code.size(), CopySectionFlags::kPadSectionBuffer);
    if (c.code.size() + 2 > kCodeSize) continue;
    *out = std::move(c);
    return true;
  }
  *error = std::string("cannot assemble template ") + t.name;
  return false;
}

}  // namespace capvm::difftest
