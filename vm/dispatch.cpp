// The run loop: guest pc -> translated block (translating on a miss), run it,
// and act on the typed exit it comes back with. Every path out of translated
// code (branches to untranslated code, syscalls, emulated instructions,
// traps, faults) is handled here, with the guest state saved in one place.
#include <csetjmp>
#include <csignal>
#include <cstdio>

#include "translator/x86_64/guest_context.h"
#include "vm/process_state.h"
#include "vm/signals.h"

namespace capvm::vm {

using x86_64::ExitReason;
using x86_64::GuestContext;

void report(const Process& p, const std::string& message) {
  std::string line = "capvm: " + p.options->program_path + ": " + message + "\n";
  std::fwrite(line.data(), 1, line.size(), p.diag);
  std::fflush(p.diag);
}

ThreadEnd guest_killed(Process& p, int signo, uint64_t guest_pc, const char* detail) {
  char line[256];
  std::snprintf(line, sizeof line, "guest killed by %s at pc 0x%llx%s", host_signal_name(signo),
                static_cast<unsigned long long>(guest_pc), detail);
  report(p, line);
  return ThreadEnd{true, kExitSignalBase + signo, signo};
}

ThreadEnd guest_faulted(Process& p, const HostFault& fault, uint64_t guest_pc) {
  char detail[96] = "";
  if (fault.signo == SIGSEGV || fault.signo == SIGBUS) {
    // Name the guest address of a sandbox access (the guard included).
    const auto base = reinterpret_cast<uintptr_t>(p.memory->host_base());
    if (fault.address >= base && fault.address - base < (uint64_t{1} << 33))
      std::snprintf(detail, sizeof detail, " (guest address 0x%llx)",
                    static_cast<unsigned long long>(fault.address - base));
  }
  return guest_killed(p, fault.signo, guest_pc, detail);
}

namespace {

// Runs one block chain; false when it faulted (fault filled in).
bool run_block(x86_64::Translator& tr, const x86_64::Block* block, HostFault* fault) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 0) != 0) return false;
  arm_guest_fault_jump(&jb, fault);
  tr.run(block);
  disarm_guest_fault_jump();
  return true;
}

}  // namespace

ThreadEnd run_guest_thread(Process& p) {
  if (p.arch == GuestArch::kAarch64) return run_guest_thread_a64(p);
  GuestContext& ctx = x86_64::this_thread_context();
  set_in_place_process(&p);
  uint64_t pending_link = 0;
  for (;;) {
    // Re-read each time: a forked child replaces the translator.
    x86_64::Translator& tr = *p.translator;
    // A direct branch's target is linked below, not looked up by code.
    const x86_64::LookupResult lr = tr.lookup(ctx.rip, pending_link == 0);
    if (lr.block == nullptr) {
      return guest_killed(p, lr.host_signal, ctx.rip, " (no executable code there)");
    }
    if (pending_link != 0) {
      tr.link(pending_link, lr.block);
      pending_link = 0;
    }
    HostFault fault;
    if (!run_block(tr, lr.block, &fault)) {
      uint64_t guest_pc = 0;
      if (!tr.guest_pc_for_host(fault.host_pc, &guest_pc)) guest_pc = ctx.rip;
      return guest_faulted(p, fault, guest_pc);
    }
    switch (static_cast<ExitReason>(ctx.exit_reason)) {
      case ExitReason::kBranch:
        pending_link = ctx.link_site;
        break;
      case ExitReason::kIndirectMiss:
        ctx.rip = ctx.branch_target;
        break;
      case ExitReason::kSyscall: {
        ThreadEnd end;
        if (!serve_syscall(p, &end)) return end;
        break;
      }
      case ExitReason::kHelper: {
        const uint64_t pc = ctx.rip;
        if (const int sig = tr.run_helper(ctx); sig != 0) return guest_killed(p, sig, pc, "");
        break;
      }
      case ExitReason::kIllegal:
        return guest_killed(p, SIGILL, ctx.rip, " (unsupported or forbidden instruction)");
      case ExitReason::kTrap:
        return guest_killed(p, SIGTRAP, ctx.rip, "");
      case ExitReason::kThreadEnd:
        return in_place_thread_end();
      case ExitReason::kNone:
      case ExitReason::kFault:
        report(p, "internal error: translated code exited without a reason");
        return ThreadEnd{true, kExitCapvmError};
    }
  }
}

}  // namespace capvm::vm
