// Host signal handling for guest threads. A fault inside translated code
// becomes the guest's signal (reported with the guest pc, then the process
// exits like one killed by it); a fault during a checked guest-memory copy
// becomes EFAULT; anything else is capvm's own bug and is reported as such.
#pragma once

#include <csetjmp>
#include <cstdint>
#include <string>

namespace capvm::vm {

struct HostFault {
  int signo = 0;
  uintptr_t host_pc = 0;
  uintptr_t address = 0;  // si_addr
};

// Installs the process-wide handlers (idempotent).
bool install_fault_handlers(std::string* error);
// Gives the calling thread an alternate signal stack: translated code runs
// with the guest's stack pointer in rsp, which is no host address.
bool install_thread_altstack(std::string* error);
// Takes the calling thread's alternate signal stack down and frees it: a
// guest thread does so before it ends (each one otherwise leaked its 64 KiB,
// and a sanitizer runtime that unmaps whatever stack a dying thread still
// has aborted on this malloc'd one).
void remove_thread_altstack();

// While non-null, a synchronous fault unwinds to this jump buffer with the
// fault recorded in *fault_out.
void arm_guest_fault_jump(sigjmp_buf* jb, HostFault* fault_out);
void disarm_guest_fault_jump();

// Holds the calling thread's guest fault jump back for its lifetime: capvm's
// own code running inside a run of translated code (a syscall served in
// place) is not the guest's, and a fault there is reported as capvm's.
// (Inline, as the syscall path is: see translator/x86_64/guest_context.h.)
extern __attribute__((tls_model("initial-exec"))) constinit thread_local sigjmp_buf* t_guest_jump;
class GuestFaultJumpPause {
 public:
  GuestFaultJumpPause() : saved_(t_guest_jump) { t_guest_jump = nullptr; }
  ~GuestFaultJumpPause() { t_guest_jump = saved_; }
  GuestFaultJumpPause(const GuestFaultJumpPause&) = delete;
  GuestFaultJumpPause& operator=(const GuestFaultJumpPause&) = delete;

 private:
  sigjmp_buf* saved_;
};

// Host signal name ("SIGSEGV").
const char* host_signal_name(int signo);

}  // namespace capvm::vm
