// The syscall glue: decode a guest's syscall from its registers in either
// convention, hand it to hostio, deliver the results.
//
// Raw trap (spec/README.md): number in eax, inputs in rdi rsi rdx r10 r8 r9,
// results in rax/rdx with the carry flag clear, or errno in rax with carry
// set. vDSO stubs (vm/vdso.h) mark the number with kVdsoConventionBit and
// keep the C calling convention: inputs then output pointers in rdi rsi rdx
// rcx r8 r9 and the stack, errno returned in rax.
#include <csignal>

#include "abi/syscalls.h"
#include "abi/types.h"
#include "translator/x86_64/guest_context.h"
#include "vm/process_state.h"
#include "vm/signals.h"
#include "vm/vdso.h"

namespace capvm::vm {

using x86_64::GuestContext;

namespace {
constexpr uint64_t kCarry = 1;

int host_signal_for(uint8_t cloudabi_signal) {
  switch (cloudabi_signal) {
    case abi::SIGNAL_ABRT: return SIGABRT;
    case abi::SIGNAL_ALRM: return SIGALRM;
    case abi::SIGNAL_BUS: return SIGBUS;
    case abi::SIGNAL_FPE: return SIGFPE;
    case abi::SIGNAL_HUP: return SIGHUP;
    case abi::SIGNAL_ILL: return SIGILL;
    case abi::SIGNAL_INT: return SIGINT;
    case abi::SIGNAL_KILL: return SIGKILL;
    case abi::SIGNAL_PIPE: return SIGPIPE;
    case abi::SIGNAL_QUIT: return SIGQUIT;
    case abi::SIGNAL_SEGV: return SIGSEGV;
    case abi::SIGNAL_SYS: return SIGSYS;
    case abi::SIGNAL_TERM: return SIGTERM;
    case abi::SIGNAL_TRAP: return SIGTRAP;
    case abi::SIGNAL_USR1: return SIGUSR1;
    case abi::SIGNAL_USR2: return SIGUSR2;
    case abi::SIGNAL_VTALRM: return SIGVTALRM;
    case abi::SIGNAL_XCPU: return SIGXCPU;
    case abi::SIGNAL_XFSZ: return SIGXFSZ;
    default: return SIGKILL;
  }
}
}  // namespace

// A call whose outcome ends the thread or the process (thread_exit,
// proc_exit, proc_raise): sets *end, returns false. Out of line: a stack
// frame with a message buffer that the usual call has no use for.
[[gnu::noinline]] bool end_thread(Process& p, const hostio::SyscallRequest& req,
                                  const hostio::SyscallOutcome& res, ThreadEnd* end) {
  switch (res.after) {
    case hostio::After::kContinue:
      break;
    case hostio::After::kExitProcess:
      end->process_ends = true;
      end->status = static_cast<int>(res.exit_code & 0xFF);
      break;
    case hostio::After::kExitThread:
      end->process_ends = false;
      break;
    case hostio::After::kSignal: {
      const int host = host_signal_for(res.signal);
      char line[160];
      std::snprintf(line, sizeof line, "guest raised %s (proc_raise at pc 0x%llx)",
                    abi::signal_name(res.signal) ? abi::signal_name(res.signal) : "a signal",
                    static_cast<unsigned long long>(req.pc));
      report(p, line);
      end->process_ends = true;
      end->status = kExitSignalBase + host;
      end->signal = host;
      break;
    }
  }
  return false;
}

// The shape's `inputs` arguments into req (args has at least 7 slots); the
// slots past them keep the request's zeros (a handler reading past its
// inputs sees 0, not a register's leftovers). A jump into a run of stores,
// not two loops (~30 instructions a call).
[[gnu::always_inline]] inline void copy_inputs(const uint64_t* args, unsigned inputs,
                                               hostio::SyscallRequest* req) {
  static_assert(sizeof req->args / sizeof req->args[0] == 7);
  switch (inputs) {
    default:  // no shape has more
    case 7: req->args[6] = args[6]; [[fallthrough]];
    case 6: req->args[5] = args[5]; [[fallthrough]];
    case 5: req->args[4] = args[4]; [[fallthrough]];
    case 4: req->args[3] = args[3]; [[fallthrough]];
    case 3: req->args[2] = args[2]; [[fallthrough]];
    case 2: req->args[1] = args[1]; [[fallthrough]];
    case 1: req->args[0] = args[0]; [[fallthrough]];
    case 0: break;
  }
}

// The vDSO convention's outputs, through the pointers the call passed after
// its inputs: EFAULT when one cannot be written. (Outputs are 4 or 8 bytes,
// syscalls.h, which checked_copy copies without its length loop.)
[[gnu::always_inline]] inline abi::Errno write_outputs(GuestMemory& mem,
                                                       const abi::SyscallShape& shape,
                                                       const uint64_t out_ptrs[2],
                                                       const hostio::SyscallOutcome& res) {
  for (unsigned i = 0; i < shape.outputs && i < 2; ++i)
    if (mem.write(out_ptrs[i], &res.out[i], shape.output_sizes[i]) != abi::E_SUCCESS)
      return abi::E_FAULT;
  return abi::E_SUCCESS;
}

// The bodies of serve_trap and serve_syscall, inlined into the in-place
// hook: after a host system call every return up the host call chain
// mispredicts (this host's kernel refills the return stack buffer on each
// exit, a Spectre mitigation), ~10 ns a level (bench/README.md, "A new
// machine, a call-heavy program"), so the path from the hook to hostio is one frame.
namespace {
[[gnu::always_inline]] inline bool serve_trap_inline(Process& p, const TrapFrame& f,
                                                     TrapReply* reply, ThreadEnd* end) {
  const bool vdso = f.vdso;
  const abi::SyscallShape* shape = abi::syscall_shape(f.number);

  hostio::SyscallRequest req;
  req.number = f.number;
  req.pc = f.pc;
  req.tid = current_tid();
  uint64_t out_ptrs[2] = {};
  hostio::SyscallOutcome res;
  if (shape == nullptr) {
    res.error = abi::E_NOSYS;
  } else {
    const unsigned total = vdso ? shape->inputs + shape->outputs : shape->inputs;
    // The registers, unless the call has arguments on the stack (a raw
    // trap never does: shapes have at most 6 inputs). Fixed trip counts
    // below, not loops bounded by `total` (a `rep movs`, slow to start for
    // a few words).
    const uint64_t* args = f.args;
    uint64_t spilled[9];
    if (vdso && total > f.reg_args) {
      for (unsigned i = 0; i < 8; ++i) spilled[i] = f.args[i];
      spilled[8] = 0;
      // Stack arguments, 8 bytes apart from the first.
      for (unsigned i = f.reg_args; i < total && res.error == abi::E_SUCCESS; ++i) {
        const uint64_t at = static_cast<uint32_t>(f.stack_args_at + 8 * (i - f.reg_args));
        if (p.memory->read(at, &spilled[i], 8) != abi::E_SUCCESS) res.error = abi::E_FAULT;
      }
      args = spilled;
    }
    copy_inputs(args, shape->inputs, &req);
    if (vdso)
      for (unsigned i = 0; i < 2; ++i)
        out_ptrs[i] = i < shape->outputs ? args[shape->inputs + i] : 0;
    if (res.error == abi::E_SUCCESS) {
      hostio::SyscallContext sc{*p.memory, p.fds, &p};
      res = hostio::dispatch_syscall(sc, req);
    }
  }
  if (p.tracer) p.tracer->trace(req.tid, req, res, *p.memory, p.fds);

  if (res.after != hostio::After::kContinue) return end_thread(p, req, res, end);

  reply->vdso = vdso;
  reply->outputs = shape != nullptr ? shape->outputs : 0;
  if (vdso && res.error == abi::E_SUCCESS && shape != nullptr)
    res.error = write_outputs(*p.memory, *shape, out_ptrs, res);
  reply->error = res.error;
  reply->out[0] = res.out[0];
  reply->out[1] = res.out[1];
  return true;
}

[[gnu::always_inline]] inline bool serve_syscall_inline(Process& p, ThreadEnd* end,
                                                        bool finish_vdso_stub) {
  GuestContext& ctx = x86_64::this_thread_context();
  uint64_t* r = ctx.gpr;
  TrapFrame f;
  classify_trap(p, static_cast<uint32_t>(r[x86_64::kRax]), ctx.rip - 2, &f);
  // Register by register (a loop over index tables reads the tables from
  // .rodata, one more cold line after every host system call). The C
  // convention's fourth argument is rcx; the trap's is r10 (syscall
  // clobbers rcx).
  f.reg_args = 6;
  f.args[0] = r[x86_64::kRdi];
  f.args[1] = r[x86_64::kRsi];
  f.args[2] = r[x86_64::kRdx];
  f.args[3] = f.vdso ? r[x86_64::kRcx] : r[x86_64::kR10];
  f.args[4] = r[x86_64::kR8];
  f.args[5] = r[x86_64::kR9];
  f.args[6] = f.args[7] = 0;
  // Above the return address of the call into the stub.
  f.stack_args_at = r[x86_64::kRsp] + 8;
  TrapReply reply;
  if (!serve_trap_inline(p, f, &reply, end)) return false;
  if (reply.vdso) {
    r[x86_64::kRax] = reply.error;
    // A stub's syscall is followed by its ret (vm/vdso.cpp). Done here, the
    // run loop goes straight on to the caller instead of looking up, entering
    // and running a block for the ret alone, which then looks the caller up
    // itself. The same pop the translated ret makes (its 32-bit effective
    // address); when the stack cannot be read, the ret block runs and faults.
    uint64_t caller;
    if (finish_vdso_stub && vdso_stub_trap_at(VdsoArch::kX86_64, f.pc - p.vdso_base) &&
        p.memory->read(static_cast<uint32_t>(r[x86_64::kRsp]), &caller, 8) == abi::E_SUCCESS) {
      ctx.rip = caller;
      r[x86_64::kRsp] += 8;
    }
  } else if (reply.error != abi::E_SUCCESS) {
    r[x86_64::kRax] = reply.error;
    ctx.rflags |= kCarry;
  } else {
    if (reply.outputs > 0) r[x86_64::kRax] = reply.out[0];
    if (reply.outputs > 1) r[x86_64::kRdx] = reply.out[1];
    ctx.rflags &= ~kCarry;
  }
  return true;
}

}  // namespace

bool serve_trap(Process& p, const TrapFrame& f, TrapReply* reply, ThreadEnd* end) {
  return serve_trap_inline(p, f, reply, end);
}

bool serve_syscall(Process& p, ThreadEnd* end, bool finish_vdso_stub) {
  return serve_syscall_inline(p, end, finish_vdso_stub);
}

namespace {
thread_local Process* t_in_place_process = nullptr;
thread_local ThreadEnd t_in_place_end;

// Whether the hook may serve `number` with the guest's block still on the
// way back: not when the call can change the translator, the code cache or
// which guest pages are executable (the run loop serves those, after the
// block is left, and looks up what runs next afresh).
bool servable_in_place(uint32_t number) {
  switch (static_cast<abi::Sys>(number)) {
    case abi::Sys::mem_map:
    case abi::Sys::mem_unmap:
    case abi::Sys::mem_protect:
    case abi::Sys::proc_fork:
    case abi::Sys::proc_exec:
      return false;
    default:
      return true;
  }
}
}  // namespace

void set_in_place_process(Process* process) { t_in_place_process = process; }

ThreadEnd in_place_thread_end() { return t_in_place_end; }

namespace {
// The usual call, served without TrapFrame and TrapReply: a vDSO stub's
// (the C convention), untraced, with every input and output pointer in a
// register. The same steps as serve_trap_inline for that case, with the
// registers read straight into the request (bench/README.md, "A
// leaner system-call path"). Returns false when the thread or process ends (*end set).
[[gnu::always_inline]] inline bool serve_vdso_registers(Process& p, GuestContext& ctx,
                                                        const abi::SyscallShape& shape,
                                                        uint32_t number, uint64_t pc,
                                                        ThreadEnd* end) {
  uint64_t* r = ctx.gpr;
  hostio::SyscallRequest req;  // args past the inputs stay 0
  req.number = number;
  req.pc = pc;
  req.tid = current_tid();
  // The C convention's registers in order; inputs first, then the outputs'
  // pointers (inputs + outputs <= 6, checked by the caller).
  // The seventh slot: copy_inputs reads seven.
  const uint64_t a[7] = {r[x86_64::kRdi], r[x86_64::kRsi], r[x86_64::kRdx],
                         r[x86_64::kRcx], r[x86_64::kR8],  r[x86_64::kR9], 0};
  copy_inputs(a, shape.inputs, &req);
  const unsigned in = shape.inputs < 6 ? shape.inputs : 6;
  const uint64_t out_ptrs[2] = {in < 6 ? a[in] : 0, in < 5 ? a[in + 1] : 0};
  hostio::SyscallContext sc{*p.memory, p.fds, &p};
  hostio::SyscallOutcome res = hostio::dispatch_syscall(sc, req);
  if (res.after != hostio::After::kContinue) return end_thread(p, req, res, end);
  if (res.error == abi::E_SUCCESS) res.error = write_outputs(*p.memory, shape, out_ptrs, res);
  r[x86_64::kRax] = res.error;
  return true;
}

// The rest (raw traps, traced calls, stack arguments): serve_syscall's
// path, out of line so that its frame (TrapFrame, TrapReply, spilled stack
// arguments) is not the usual call's.
[[gnu::noinline]] bool serve_syscall_out_of_line(Process& p, ThreadEnd* end) {
  return serve_syscall_inline(p, end, false);
}
}  // namespace

uint64_t serve_syscall_in_place() {
  GuestContext& ctx = x86_64::this_thread_context();
  Process* p = t_in_place_process;
  const uint32_t raw = static_cast<uint32_t>(ctx.gpr[x86_64::kRax]);
  const uint32_t number = raw & ~kVdsoConventionBit;
  if (p == nullptr || !servable_in_place(number)) return 1;
  // capvm's own code runs here: a fault in it is capvm's, not the guest's.
  GuestFaultJumpPause pause;
  ThreadEnd end;
  // The stub's `ret` is translated code after the call: it runs next.
  const uint64_t pc = ctx.rip - 2;
  const abi::SyscallShape* shape = abi::syscall_shape(number);
  const bool registers_only = (raw & kVdsoConventionBit) != 0 && pc >= p->vdso_code &&
                              pc < p->vdso_code_end && p->tracer == nullptr &&
                              shape != nullptr && shape->inputs + shape->outputs <= 6;
  if (registers_only ? serve_vdso_registers(*p, ctx, *shape, number, pc, &end)
                     : serve_syscall_out_of_line(*p, &end))
    return 0;
  t_in_place_end = end;
  ctx.exit_reason = static_cast<uint64_t>(x86_64::ExitReason::kThreadEnd);
  return 1;
}

}  // namespace capvm::vm
