// Exclusive and acquire/release accesses (ARM ARM B2.9, C6.2 LDXR/STXR,
// LDAR/STLR) on host atomics. LDXR records a per-thread monitor (address,
// size, the value read); STXR succeeds only for the same address and size,
// as one `lock cmpxchg` against the value read, so a store by another
// thread in between makes it fail (an ABA write of the same value does not:
// the usual cmpxchg emulation of LL/SC). x86 loads already have acquire and
// stores release order; STLR uses xchg so it is not reordered with a later
// LDAR (release/acquire sequential consistency). All of them need an address
// aligned to the access size (ARMv8.0, no LSE2): a misaligned one is a guest
// SIGBUS at its pc, reading and writing nothing.
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

unsigned size_of(Op op) {
  switch (op) {
    case Op::LDXRX: case Op::LDAXRX: case Op::STXRX: case Op::STLXRX: case Op::LDARX: case Op::STLRX: return 8;
    case Op::LDXRW: case Op::LDAXRW: case Op::STXRW: case Op::STLXRW: case Op::LDARW: case Op::STLRW: return 4;
    case Op::LDXRH: case Op::LDAXRH: case Op::STXRH: case Op::STLXRH: case Op::LDARH: case Op::STLRH: return 2;
    default: return 1;
  }
}

void load_sized(Emitter& e, unsigned size) {
  const x86::Mem m = Emitter::guest(x86::rsi, size);
  if (size == 8) e.a.mov(x86::rdx, m);
  else if (size == 4) e.a.mov(x86::edx, m);
  else e.a.movzx(x86::edx, m);
}

// Store-exclusive framing, shared by single and pair forms. begin: rsi =
// the address (alignment-checked), compared with the reservation's address
// and size (a mismatch goes to `fail`), rax = the value the load-exclusive
// read. end, after the cmpxchg (ZF set: stored): Ws = 0 on success, 1 on
// failure, in `status`; the reservation is used up either way.
void begin_store_exclusive(Emitter& e, Reg addr, unsigned size, Label fail) {
  auto& a = e.a;
  e.load_gp(x86::rsi, addr);
  e.check_aligned(x86::rsi, size);
  a.cmp(e.ctx(CAPVM_A64_OFF(monitor_size), 8), size);
  a.jne(fail);
  a.cmp(e.ctx(CAPVM_A64_OFF(monitor_addr), 8), x86::rsi);
  a.jne(fail);
  a.mov(x86::rax, e.ctx(CAPVM_A64_OFF(monitor_value), 8));
}

void end_store_exclusive(Emitter& e, Label fail, const x86::Gp& status) {
  auto& a = e.a;
  Label done = a.newLabel();
  a.jne(fail);
  a.xor_(status.r32(), status.r32());
  a.jmp(done);
  a.bind(fail);
  a.mov(status.r32(), 1);
  a.bind(done);
  a.mov(e.ctx(CAPVM_A64_OFF(monitor_size), 8), 0);
  e.store_gp(e.reg(0), status.r64());
}

// LDXP/LDAXP Rt, Rt2, [Xn] and STXP/STLXP Ws, Rt, Rt2, [Xn].
Lowered lower_exclusive_pair(Emitter& e) {
  auto& a = e.a;
  const Op op = e.in->op;
  const bool x = op == Op::LDXPX || op == Op::LDAXPX || op == Op::STXPX || op == Op::STLXPX;
  const bool load = op == Op::LDXPX || op == Op::LDAXPX || op == Op::LDXPW || op == Op::LDAXPW;
  if (load) {
    e.load_gp(x86::rsi, e.reg(2));
    e.check_aligned(x86::rsi, x ? 16 : 8);
    if (x) {
      a.mov(x86::rax, Emitter::guest(x86::rsi, 8));
      a.mov(x86::rdx, Emitter::guest(x86::rsi, 8, 8));
      a.mov(e.ctx(CAPVM_A64_OFF(monitor_value_hi), 8), x86::rdx);
    } else {
      a.mov(x86::rax, Emitter::guest(x86::rsi, 8));
      a.mov(x86::rdx, x86::rax);
      a.shr(x86::rdx, 32);
    }
    a.mov(e.ctx(CAPVM_A64_OFF(monitor_addr), 8), x86::rsi);
    a.mov(e.ctx(CAPVM_A64_OFF(monitor_value), 8), x86::rax);
    a.mov(e.ctx(CAPVM_A64_OFF(monitor_size), 8), x ? 16 : 8);
    e.store_gp(e.reg(0), x86::rax);
    e.store_gp(e.reg(1), x86::rdx);
    return Lowered::kContinue;
  }
  Label fail = a.newLabel();
  begin_store_exclusive(e, e.reg(3), x ? 16 : 8, fail);
  if (x) {
    // cmpxchg16b: compare rdx:rax, store rcx:rbx. rbx may hold a guest
    // register: saved around the instruction, after every operand is read.
    a.mov(x86::rdx, e.ctx(CAPVM_A64_OFF(monitor_value_hi), 8));
    e.load_gp(x86::rdi, e.reg(1));
    e.load_gp(x86::rcx, e.reg(2));
    a.push(x86::rbx);
    a.mov(x86::rbx, x86::rdi);
    a.lock().cmpxchg16b(Emitter::guest(x86::rsi, 16));
    a.pop(x86::rbx);
  } else {
    e.load_gp(x86::rcx, e.reg(1));
    e.load_gp(x86::rdx, e.reg(2));
    a.shl(x86::rdx, 32);
    a.or_(x86::rcx, x86::rdx);
    a.lock().cmpxchg(Emitter::guest(x86::rsi, 8), x86::rcx);
  }
  end_store_exclusive(e, fail, x86::rdi);
  return Lowered::kContinue;
}

}  // namespace

Lowered lower_exclusive(Emitter& e) {
  auto& a = e.a;
  const Op op = e.in->op;
  switch (op) {
    case Op::LDXPX: case Op::LDXPW: case Op::LDAXPX: case Op::LDAXPW:
    case Op::STXPX: case Op::STXPW: case Op::STLXPX: case Op::STLXPW:
      return lower_exclusive_pair(e);
    default:
      break;
  }
  const unsigned size = size_of(op);
  switch (op) {
    case Op::LDXRX: case Op::LDXRW: case Op::LDXRH: case Op::LDXRB:
    case Op::LDAXRX: case Op::LDAXRW: case Op::LDAXRH: case Op::LDAXRB:
      e.load_gp(x86::rsi, e.reg(1));
      e.check_aligned(x86::rsi, size);
      load_sized(e, size);
      a.mov(e.ctx(CAPVM_A64_OFF(monitor_addr), 8), x86::rsi);
      a.mov(e.ctx(CAPVM_A64_OFF(monitor_value), 8), x86::rdx);
      a.mov(e.ctx(CAPVM_A64_OFF(monitor_size), 8), size);
      e.store_gp(e.reg(0), x86::rdx);
      return Lowered::kContinue;
    case Op::LDARX: case Op::LDARW: case Op::LDARH: case Op::LDARB:
      e.load_gp(x86::rsi, e.reg(1));
      e.check_aligned(x86::rsi, size);  // as on ARMv8.0 (no LSE2): SIGBUS
      load_sized(e, size);
      e.store_gp(e.reg(0), x86::rdx);
      return Lowered::kContinue;
    case Op::STLRX: case Op::STLRW: case Op::STLRH: case Op::STLRB:
      e.load_gp(x86::rsi, e.reg(1));
      e.check_aligned(x86::rsi, size);
      e.load_gp(x86::rdx, e.reg(0));
      a.xchg(Emitter::guest(x86::rsi, size), sized(x86::rdx, size));
      return Lowered::kContinue;
    default:
      break;
  }
  // STXR/STLXR Ws, Rt, [Xn].
  Label fail = a.newLabel();
  begin_store_exclusive(e, e.reg(2), size, fail);
  e.load_gp(x86::rdx, e.reg(1));
  a.lock().cmpxchg(Emitter::guest(x86::rsi, size), sized(x86::rdx, size));
  end_store_exclusive(e, fail, x86::rcx);
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
