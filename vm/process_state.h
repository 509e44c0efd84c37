// The state of one running guest process, shared by process start-up and
// the dispatcher. Internal to vm/.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "hostio/fd_table.h"
#include "hostio/syscall.h"
#include "translator/aarch64/translator.h"
#include "translator/x86_64/translator.h"
#include "vm/elf_loader.h"
#include "vm/elf_symbols.h"
#include "vm/limits.h"
#include "vm/perf_map.h"
#include "vm/trace.h"
#include "vm/guest_memory.h"
#include "vm/process.h"
#include "vm/vdso.h"

namespace capvm::vm {

struct Process : hostio::ProcessHooks {
  const RunOptions* options = nullptr;
  std::unique_ptr<GuestMemory> memory;
  hostio::FdTable fds;
  GuestArch arch = GuestArch::kX86_64;
  std::unique_ptr<x86_64::Translator> translator;  // x86-64 guests
  std::unique_ptr<aarch64::Translator> a64;        // aarch64 guests
  LoadedImage image;
  GuestAddr vdso_base = 0;
  uint64_t vdso_size = 0;
  // The vDSO's stubs, [vdso_code, vdso_code_end): where a trap uses the C
  // calling convention (vm/vdso.h). Kept here so a syscall need not
  // recompute the layout.
  GuestAddr vdso_code = 0;
  GuestAddr vdso_code_end = 0;
  uint8_t uuid[16] = {};
  uint32_t main_tid = 0;

  // Diagnostics: --log-file or stderr; --strace; --perf-map.
  std::FILE* diag = stderr;
  std::unique_ptr<SyscallTracer> tracer;
  GuestSymbols symbols;
  PerfMap perf_map;

  // Threads: every running guest thread counts; the process ends with
  // status 0 when the last one exits (cloudabi.txt: thread_exit).
  std::mutex thread_mutex;
  std::condition_variable all_exited;
  unsigned live_threads = 1;
  unsigned max_threads = 4096;  // --max-threads, or a generous default

  // The translator's options for this process (block dumps, perf map,
  // guest counter).
  x86_64::TranslateOptions translate_options();
  aarch64::TranslateOptions translate_options_a64();
  // Creates this process's translator for its architecture (start-up, and a
  // forked child's private one) and hooks code invalidation to it.
  bool make_translator(std::string* error);  // false: the aarch64 decoder cannot load
  // Sets the calling thread's guest registers to start at `entry` with
  // stack top `sp_top` (16-byte aligned), thread area `tls`, and the first
  // two C arguments.
  void init_thread_registers(uint64_t entry, uint64_t sp_top, uint64_t tls, uint64_t arg0,
                             uint64_t arg1);
  bool prepare_translator_thread(std::string* error);

  const uint8_t* process_uuid() const override { return uuid; }
  abi::Errno thread_create(uint64_t entry_point, uint64_t stack, uint64_t stack_len,
                           uint64_t argument, uint32_t* tid) override;
  abi::Errno fork(int* child_pid, uint32_t* tid) override;
  abi::Errno exec(int exec_fd, const uint8_t* argdata, size_t argdata_len, const ExecFd* fds,
                  size_t nfds) override;
};

// The calling guest thread's tid (inline: read on every syscall).
extern __attribute__((tls_model("initial-exec"))) constinit thread_local uint32_t t_tid;
inline uint32_t current_tid() { return t_tid; }
void set_current_tid(uint32_t tid);
// A fresh thread id: nonzero, leaving the lock word's flag bits free
// (cloudabi.txt: lock), unique within the process.
uint32_t new_tid();

// How a guest thread's run ended.
struct ThreadEnd {
  bool process_ends = false;  // false: only this thread exited
  int status = 0;             // process exit status when process_ends
  int signal = 0;             // the host signal that killed the guest, if any
};

// Runs the calling thread's guest context (this_thread_context()) until the
// thread or the process ends.
ThreadEnd run_guest_thread(Process& process);
ThreadEnd run_guest_thread_a64(Process& process);

// Flushes capvm's own output and ends the host process with `status`,
// whatever other threads are doing. A forked guest process killed by a
// signal dies of that signal, so its parent's proc_terminate event reports
// the signal, not an exit code.
[[noreturn]] void end_process(int status, int signal = 0);
// Marks this host process as a guest process forked by proc_fork.
void mark_forked_child();

// Called by a thread whose guest thread exited; ends the process with
// status 0 if it was the last.
void thread_exited(Process& process);

// A guest's syscall trap in arch-neutral form: the number, the pc of the
// trap, whether it is a vDSO stub's call (the C calling convention, its
// further arguments on the stack) or a raw trap, and the argument registers
// of that convention. Filled field by field by each architecture's caller:
// no default initialisers, which would zero the frame with `rep stos` on
// every system call (bench/README.md, "System calls: pages, not
// instructions").
struct TrapFrame {
  uint32_t number;       // the vDSO convention's marker bit already removed
  uint64_t pc;
  bool vdso;             // a vDSO stub's trap in the vDSO convention
  uint64_t args[8];      // the convention's argument registers, then zeros
  unsigned reg_args;     // how many of args are registers
  uint64_t stack_args_at;  // vdso: where the first stack argument is
};
// Sets f's number, pc and convention from a trap's raw number at `pc`. The
// vDSO convention (kVdsoConventionBit, vm/vdso.h) is honoured only for the
// vDSO's own stubs: a raw trap elsewhere with that bit set is just an
// unknown number. The caller then fills the convention's registers. Inline:
// it is on every system call's path.
inline void classify_trap(const Process& p, uint32_t raw_number, uint64_t pc, TrapFrame* f) {
  f->pc = pc;
  f->vdso = (raw_number & kVdsoConventionBit) != 0 && pc >= p.vdso_code && pc < p.vdso_code_end;
  f->number = f->vdso ? raw_number & ~kVdsoConventionBit : raw_number;
}
struct TrapReply {
  bool vdso = false;
  abi::Errno error = 0;
  uint64_t out[2] = {};
  unsigned outputs = 0;
};
// Serves a trap: hostio, the trace, the vDSO's output pointers. Returns
// false when the thread or process ends (*end set); otherwise the caller
// delivers *reply in its architecture's registers.
bool serve_trap(Process& process, const TrapFrame& frame, TrapReply* reply, ThreadEnd* end);

// Serves the syscall whose trap left translated code (ctx.rip is past the
// `syscall`). Returns true to continue the guest; false when the thread or
// process ends, with *end set. `finish_vdso_stub`: a vDSO stub's call goes
// on at its caller, as the stub's `ret` would (for the run loop, which then
// need not run a block for the `ret` alone).
bool serve_syscall(Process& process, ThreadEnd* end, bool finish_vdso_stub = true);

// The x86-64 translator's syscall hook (TranslateOptions::syscall_hook):
// serves the calling thread's syscall from inside translated code, without
// the round trip through the run loop, unless it is one that changes what
// translated code may run (mem_map, mem_unmap, mem_protect, proc_fork,
// proc_exec), which it leaves to the run loop. 0: served.
uint64_t serve_syscall_in_place();
// The process whose guest code the calling thread runs, for the hook.
void set_in_place_process(Process* process);
// How the thread or process ended in a syscall served in place, after the
// hook left with ExitReason::kThreadEnd.
ThreadEnd in_place_thread_end();

// Reports a guest killed by host signal `signo` at `guest_pc` and returns
// the ThreadEnd that ends the process with 128 + signo.
ThreadEnd guest_killed(Process& process, int signo, uint64_t guest_pc, const char* detail);

// The same for a fault in translated code at `guest_pc`, naming the guest
// address of a sandbox access.
struct HostFault;
ThreadEnd guest_faulted(Process& process, const HostFault& fault, uint64_t guest_pc);

// One line on stderr: "capvm: PROGRAM: MESSAGE".
void report(const Process& process, const std::string& message);

}  // namespace capvm::vm
