// The run loop for aarch64 guests: the same typed exits as the x86-64 loop
// (vm/dispatch.cpp) with the aarch64 translator, and the aarch64 syscall
// conventions (spec/README.md): svc #0, number in w8, raw arguments x0..x5,
// results in x0/x1 with the C flag clear, errno in x0 with C set; the vDSO
// stubs mark the C convention (arguments and output pointers in x0..x7).
#include <csetjmp>
#include <csignal>
#include <cstdio>

#include "translator/aarch64/a64_context.h"
#include "vm/process_state.h"
#include "vm/signals.h"
#include "vm/vdso.h"

namespace capvm::vm {

namespace {

using aarch64::A64Context;
using aarch64::ExitReason;

constexpr uint32_t kFlagC = 1u << 29;  // NZCV: C is bit 29

bool run_block(aarch64::Translator& tr, const aarch64::Block* block, HostFault* fault) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 0) != 0) return false;
  arm_guest_fault_jump(&jb, fault);
  tr.run(block);
  disarm_guest_fault_jump();
  return true;
}

bool serve_syscall_a64(Process& p, ThreadEnd* end) {
  A64Context& ctx = aarch64::this_thread_context();
  TrapFrame f;
  classify_trap(p, static_cast<uint32_t>(ctx.x[8]), ctx.pc - 4, &f);
  // A raw trap takes x0-x5 (spec/README.md); the C convention x0-x7.
  f.reg_args = f.vdso ? 8 : 6;
  for (unsigned i = 0; i < 8; ++i) f.args[i] = i < f.reg_args ? ctx.x[i] : 0;
  f.stack_args_at = ctx.x[aarch64::kSp];  // AAPCS64: ninth argument at [sp]
  TrapReply reply;
  if (!serve_trap(p, f, &reply, end)) return false;
  if (reply.vdso) {
    ctx.x[0] = reply.error;
    // A stub's svc is followed by its ret (vm/vdso.cpp): the run loop goes
    // straight on to x30, as the ret would, without a block for the ret.
    if (vdso_stub_trap_at(VdsoArch::kAarch64, f.pc - p.vdso_base))
      ctx.pc = ctx.x[30];
  } else if (reply.error != abi::E_SUCCESS) {
    ctx.x[0] = reply.error;
    aarch64::set_nzcv(ctx, aarch64::nzcv(ctx) | kFlagC);
  } else {
    if (reply.outputs > 0) ctx.x[0] = reply.out[0];
    if (reply.outputs > 1) ctx.x[1] = reply.out[1];
    aarch64::set_nzcv(ctx, aarch64::nzcv(ctx) & ~kFlagC);
  }
  return true;
}

}  // namespace

ThreadEnd run_guest_thread_a64(Process& p) {
  A64Context& ctx = aarch64::this_thread_context();
  uint64_t pending_link = 0;
  for (;;) {
    // Re-read each time: a forked child replaces the translator.
    aarch64::Translator& tr = *p.a64;
    // A direct branch's target is linked below, not looked up by code.
    const aarch64::LookupResult lr = tr.lookup(ctx.pc, pending_link == 0);
    if (lr.block == nullptr) {
      return guest_killed(p, lr.host_signal, ctx.pc,
                          lr.host_signal == SIGBUS ? " (misaligned pc)" : " (no executable code there)");
    }
    if (pending_link != 0) {
      tr.link(pending_link, lr.block);
      pending_link = 0;
    }
    HostFault fault;
    if (!run_block(tr, lr.block, &fault)) {
      uint64_t guest_pc = 0;
      if (!tr.guest_pc_for_host(fault.host_pc, &guest_pc)) guest_pc = ctx.pc;
      return guest_faulted(p, fault, guest_pc);
    }
    switch (static_cast<ExitReason>(ctx.exit_reason)) {
      case ExitReason::kBranch:
        pending_link = ctx.link_site;
        break;
      case ExitReason::kIndirectMiss:
        break;  // ctx.pc holds the target
      case ExitReason::kSyscall: {
        ThreadEnd end;
        if (!serve_syscall_a64(p, &end)) return end;
        break;
      }
      case ExitReason::kIllegal: {
        char detail[96];
        std::snprintf(detail, sizeof detail, " (unsupported instruction, encoding 0x%08x)",
                      ctx.illegal_encoding);
        return guest_killed(p, SIGILL, ctx.pc, detail);
      }
      case ExitReason::kTrap:
        return guest_killed(p, SIGTRAP, ctx.pc, "");
      case ExitReason::kAlignment:
        // An alignment fault, as arm64 Linux reports it (BUS_ADRALN).
        return guest_killed(p, SIGBUS, ctx.pc, " (misaligned exclusive or pair-atomic access)");
      case ExitReason::kNone:
      case ExitReason::kFault:
        report(p, "internal error: translated code exited without a reason");
        return ThreadEnd{true, kExitCapvmError};
    }
  }
}

}  // namespace capvm::vm
