// Fault handlers shared by every guest thread.
#include "vm/signals.h"

#include <signal.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "vm/checked_copy.h"

namespace capvm::vm {

__attribute__((tls_model("initial-exec"))) constinit thread_local sigjmp_buf* t_guest_jump = nullptr;

namespace {

thread_local HostFault* t_guest_fault = nullptr;
thread_local void* t_altstack = nullptr;

void write_stderr(const char* s) {
  ssize_t r = ::write(2, s, std::strlen(s));
  (void)r;
}

void on_fault(int signo, siginfo_t* info, void* uc_void) {
  // 1. A checked copy racing with an unmap: EFAULT for the syscall (the
  // copy resumes at its failure return, or unwinds there).
  if (recover_checked_fault(uc_void)) return;
  // 2. Translated code: the guest takes the signal.
  if (t_guest_jump != nullptr) {
    auto* uc = static_cast<ucontext_t*>(uc_void);
    t_guest_fault->signo = signo;
    t_guest_fault->host_pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
    t_guest_fault->address = reinterpret_cast<uintptr_t>(info->si_addr);
    sigjmp_buf* jb = t_guest_jump;
    t_guest_jump = nullptr;
    siglongjmp(*jb, 1);
  }
  // 3. capvm itself faulted: say so, then die of the same signal.
  write_stderr("capvm: internal error: fatal signal in the VM (not the guest)\n");
  signal(signo, SIG_DFL);
  raise(signo);
}

}  // namespace

bool install_fault_handlers(std::string* error) {
  static std::once_flag once;
  static bool ok = true;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    // ONSTACK: rsp holds a guest address while guest code runs.
    // NODEFER: the handler leaves by siglongjmp without restoring the mask.
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP})
      if (sigaction(s, &sa, nullptr) != 0) ok = false;
    // A guest writing to a closed pipe gets EPIPE, not a dead VM.
    signal(SIGPIPE, SIG_IGN);
  });
  if (!ok) *error = "cannot install signal handlers";
  return ok;
}

bool install_thread_altstack(std::string* error) {
  if (t_altstack != nullptr) return true;
  const size_t size = 64 * 1024;
  void* mem = std::malloc(size);
  if (mem == nullptr) {
    *error = "out of memory for the signal stack";
    return false;
  }
  stack_t ss;
  ss.ss_sp = mem;
  ss.ss_size = size;
  ss.ss_flags = 0;
  if (sigaltstack(&ss, nullptr) != 0) {
    std::free(mem);
    *error = "cannot install the signal stack";
    return false;
  }
  t_altstack = mem;
  return true;
}

void remove_thread_altstack() {
  if (t_altstack == nullptr) return;
  stack_t ss;
  std::memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  // Fails only while running on it, which a thread at its end is not.
  if (sigaltstack(&ss, nullptr) != 0) return;
  std::free(t_altstack);
  t_altstack = nullptr;
}

void arm_guest_fault_jump(sigjmp_buf* jb, HostFault* fault_out) {
  t_guest_fault = fault_out;
  t_guest_jump = jb;
}

void disarm_guest_fault_jump() { t_guest_jump = nullptr; }

const char* host_signal_name(int signo) {
  switch (signo) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    case SIGALRM: return "SIGALRM";
    case SIGPIPE: return "SIGPIPE";
    case SIGSYS: return "SIGSYS";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGVTALRM: return "SIGVTALRM";
    default: return "signal";
  }
}

}  // namespace capvm::vm
