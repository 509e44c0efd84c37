// LSE atomics (ARMv8.1, ARM ARM C6.2 "LDADD, LDADDA, LDADDAL, LDADDL" and
// the other atomic memory operations, SWP, CAS, CASP) on host atomics. Every
// locked x86 instruction is a full barrier, so the acquire (A), release (L)
// and acquire-release (AL) forms all lower to the same code.
//
//   LDADD            lock xadd
//   SWP              xchg
//   ST{ADD,CLR,EOR,SET} (Rt = zr)  lock add / and / xor / or (no old value)
//   LD{CLR,EOR,SET,SMAX,SMIN,UMAX,UMIN}  a lock cmpxchg loop
//   CAS              lock cmpxchg (compare Rs, store Rt, Rs <- old)
//   CASP (W)         one 64-bit lock cmpxchg of the packed pair
//   CASP (X)         lock cmpxchg16b; the architecture requires a 16-byte
//                    aligned address, as does cmpxchg16b (else a guest fault)
//
// Every one of them needs an address aligned to its size (CASP: the pair's),
// as ARMv8.1 without LSE2 does: a misaligned one leaves the block as a guest
// SIGBUS at its pc, as arm64 Linux reports the alignment fault, and touches
// nothing.
//
// Operands as LLVM gives them: LD<op>/SWP Rt(old), Rs, [Rn]; CAS Rs(out),
// Rs, Rt, [Rn]; CASP pair(out), pair, pair, [Rn].
#include <string_view>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

enum class AtomicOp { kAdd, kClr, kEor, kSet, kSmax, kSmin, kUmax, kUmin, kSwp, kCas, kCasp };

struct AtomicForm {
  AtomicOp op;
  unsigned size;  // bytes of one access (CASP: of one register of the pair)
};

// The form from the LLVM opcode name: "LDADDALH" = LDADD, AL, halfword.
AtomicForm form_of(Op op) {
  std::string_view n = op_info(op).name;
  static constexpr std::pair<std::string_view, AtomicOp> kPrefix[] = {
      {"CASP", AtomicOp::kCasp}, {"CAS", AtomicOp::kCas},     {"SWP", AtomicOp::kSwp},
      {"LDADD", AtomicOp::kAdd}, {"LDCLR", AtomicOp::kClr},   {"LDEOR", AtomicOp::kEor},
      {"LDSET", AtomicOp::kSet}, {"LDSMAX", AtomicOp::kSmax}, {"LDSMIN", AtomicOp::kSmin},
      {"LDUMAX", AtomicOp::kUmax}, {"LDUMIN", AtomicOp::kUmin}};
  AtomicForm f{AtomicOp::kAdd, 8};
  for (const auto& [p, o] : kPrefix) {
    if (n.substr(0, p.size()) == p) {
      f.op = o;
      break;
    }
  }
  switch (n.back()) {
    case 'X': f.size = 8; break;
    case 'W': f.size = 4; break;
    case 'H': f.size = 2; break;
    default: f.size = 1; break;  // 'B'
  }
  return f;
}

// Zero-extends the low `size` bytes of r in place (8 and 4 need nothing:
// store_gp zero-extends W writes).
void zero_extend(x86::Assembler& a, const x86::Gp& r, unsigned size) {
  if (size == 2) a.movzx(r.r32(), r.r16());
  if (size == 1) a.movzx(r.r32(), r.r8());
}

// Register `i` (0 or 1) of a CASP pair: the second of an odd-ended pair
// starting at 30 is the zero register.
Reg pair_reg(Reg pair, unsigned i) {
  const unsigned idx = pair.index + i;
  const bool x = pair.kind == RegKind::kXPair;
  if (idx >= 31) return {x ? RegKind::kXZR : RegKind::kWZR, 31};
  return {x ? RegKind::kX : RegKind::kW, static_cast<uint8_t>(idx)};
}

bool rt_is_zero(Reg r) { return r.kind == RegKind::kXZR || r.kind == RegKind::kWZR; }

void lower_casp(Emitter& e, unsigned size) {
  auto& a = e.a;
  const Reg rs = e.reg(0), rt = e.reg(2);
  e.load_gp(x86::rsi, e.reg(3));
  e.check_aligned(x86::rsi, 2 * size);  // the pair's size
  if (size == 4) {
    // Pack each W pair into one 64-bit value: first register in the low half.
    e.load_gp(x86::rax, pair_reg(rs, 0));
    e.load_gp(x86::rdx, pair_reg(rs, 1));
    a.shl(x86::rdx, 32);
    a.or_(x86::rax, x86::rdx);
    e.load_gp(x86::rcx, pair_reg(rt, 0));
    e.load_gp(x86::rdx, pair_reg(rt, 1));
    a.shl(x86::rdx, 32);
    a.or_(x86::rcx, x86::rdx);
    a.lock().cmpxchg(Emitter::guest(x86::rsi, 8), x86::rcx);
    a.mov(x86::rdx, x86::rax);
    a.shr(x86::rdx, 32);
    e.store_gp(pair_reg(rs, 0), x86::rax);
    e.store_gp(pair_reg(rs, 1), x86::rdx);
    return;
  }
  // cmpxchg16b compares rdx:rax and stores rcx:rbx. rbx is not a scratch
  // register (it may hold a guest register), so it is saved around the one
  // instruction, after every guest operand has been read.
  e.load_gp(x86::rax, pair_reg(rs, 0));
  e.load_gp(x86::rdx, pair_reg(rs, 1));
  e.load_gp(x86::rdi, pair_reg(rt, 0));
  e.load_gp(x86::rcx, pair_reg(rt, 1));
  a.push(x86::rbx);
  a.mov(x86::rbx, x86::rdi);
  a.lock().cmpxchg16b(Emitter::guest(x86::rsi, 16));
  a.pop(x86::rbx);
  e.store_gp(pair_reg(rs, 0), x86::rax);
  e.store_gp(pair_reg(rs, 1), x86::rdx);
}

}  // namespace

Lowered lower_atomic(Emitter& e) {
  auto& a = e.a;
  const AtomicForm f = form_of(e.in->op);
  const unsigned size = f.size;
  const x86::Mem m = Emitter::guest(x86::rsi, size);
  switch (f.op) {
    case AtomicOp::kCasp:
      lower_casp(e, size);
      return Lowered::kContinue;
    case AtomicOp::kCas:
      e.load_gp(x86::rsi, e.reg(3));
      e.check_aligned(x86::rsi, size);
      e.load_gp(x86::rax, e.reg(1));
      e.load_gp(x86::rdx, e.reg(2));
      a.lock().cmpxchg(m, sized(x86::rdx, size));
      zero_extend(a, x86::rax, size);
      e.store_gp(e.reg(0), x86::rax);
      return Lowered::kContinue;
    default:
      break;
  }
  const Reg rt = e.reg(0), rs = e.reg(1);
  e.load_gp(x86::rsi, e.reg(2));
  e.check_aligned(x86::rsi, size);
  e.load_gp(x86::rcx, rs);
  // Rt = zr (the ST* aliases): no old value is needed.
  if (rt_is_zero(rt)) {
    const x86::Gp v = sized(x86::rcx, size);
    switch (f.op) {
      case AtomicOp::kAdd: a.lock().add(m, v); return Lowered::kContinue;
      case AtomicOp::kClr: a.not_(v); a.lock().and_(m, v); return Lowered::kContinue;
      case AtomicOp::kEor: a.lock().xor_(m, v); return Lowered::kContinue;
      case AtomicOp::kSet: a.lock().or_(m, v); return Lowered::kContinue;
      default: break;  // swp and min/max: as with an old value
    }
  }
  switch (f.op) {
    case AtomicOp::kAdd:
      a.lock().xadd(m, sized(x86::rcx, size));
      zero_extend(a, x86::rcx, size);
      e.store_gp(rt, x86::rcx);
      return Lowered::kContinue;
    case AtomicOp::kSwp:
      a.xchg(m, sized(x86::rcx, size));
      zero_extend(a, x86::rcx, size);
      e.store_gp(rt, x86::rcx);
      return Lowered::kContinue;
    default:
      break;
  }
  // Read-modify-write loop: rax = old (zero-extended), rdx = new, rcx = Rs.
  if (f.op == AtomicOp::kClr) a.not_(x86::rcx);
  if (size == 8) a.mov(x86::rax, m);
  else if (size == 4) a.mov(x86::eax, m);
  else a.movzx(x86::eax, m);
  Label again = a.newLabel();
  a.bind(again);
  a.mov(x86::rdx, x86::rax);
  const x86::Gp old = sized(x86::rdx, size), val = sized(x86::rcx, size);
  const x86::Gp d = size == 8 ? x86::Gp(x86::rdx) : x86::Gp(x86::edx);
  const x86::Gp s = size == 8 ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx);
  switch (f.op) {
    case AtomicOp::kClr: a.and_(d, s); break;  // rcx holds NOT Rs
    case AtomicOp::kEor: a.xor_(d, s); break;
    case AtomicOp::kSet: a.or_(d, s); break;
    case AtomicOp::kSmax: a.cmp(old, val); a.cmovl(d, s); break;
    case AtomicOp::kSmin: a.cmp(old, val); a.cmovg(d, s); break;
    case AtomicOp::kUmax: a.cmp(old, val); a.cmovb(d, s); break;
    default: a.cmp(old, val); a.cmova(d, s); break;  // kUmin
  }
  a.lock().cmpxchg(m, old);
  a.jne(again);
  // A failed cmpxchg reloads only al/ax: the upper bits stay zero.
  e.store_gp(rt, x86::rax);
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
