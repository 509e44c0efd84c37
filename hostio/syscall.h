// The boundary between the VM and the host-IO layer. The dispatcher (vm/)
// decodes a guest's syscall into a SyscallRequest (raw integer inputs in the
// order of spec/syscalls.txt), calls handle_syscall, and delivers the outputs
// back in the guest's convention (registers for the raw trap, trailing
// pointers for the vDSO). Handlers see guest memory only through
// vm::GuestMemory's checked accessors.
#pragma once

#include <array>
#include <cstdint>

#include "abi/errno.h"
#include "abi/syscalls.h"
#include "vm/guest_memory.h"

namespace capvm::hostio {

class FdTable;

// What a syscall asks the VM to do after it returns.
enum class After : uint8_t {
  kContinue,     // resume the calling thread
  kExitProcess,  // proc_exit: end every thread, exit status = exit_code
  kExitThread,   // thread_exit: end the calling thread only
  kSignal,       // proc_raise with a terminating signal: end the process
};

struct SyscallRequest {
  uint32_t number = 0;
  uint64_t args[7] = {};  // inputs, as syscalls.txt orders them
  vm::GuestAddr pc = 0;   // guest pc of the trap, for diagnostics
  uint32_t tid = 0;       // calling guest thread
};

// Returned by every handler, so making one is on every call's path: 24
// bytes without holes, set field by field by the constructor (zeroing it as
// one block, GCC chose a `rep stos`, slow to start, in most handlers).
struct SyscallOutcome {
  uint64_t out[2];     // outputs, valid when error == 0
  uint32_t exit_code;  // kExitProcess
  abi::Errno error;
  After after;
  uint8_t signal;      // kSignal: CloudABI signal number (cloudabi.txt signal)
  constexpr SyscallOutcome()
      : out{0, 0}, exit_code(0), error(abi::E_SUCCESS), after(After::kContinue), signal(0) {}
};
static_assert(sizeof(SyscallOutcome) == 24);

// Services a syscall needs from the VM that hostio cannot provide itself
// (threads, processes). The VM implements it; hostio never includes vm/
// beyond guest memory.
class ProcessHooks {
 public:
  virtual ~ProcessHooks() = default;
  // Current guest process id (the v4 UUID given in AT_PID), 16 bytes.
  virtual const uint8_t* process_uuid() const = 0;

  // thread_create: start a guest thread at attr.entry_point with the given
  // stack; the attributes were already copied in and validated by hostio
  // (stack inside writable guest memory). Returns the new tid, EAGAIN at the
  // thread limit.
  virtual abi::Errno thread_create(uint64_t entry_point, uint64_t stack, uint64_t stack_len,
                                   uint64_t argument, uint32_t* tid) = 0;

  // proc_fork: duplicate the process. In the parent returns the child's
  // host pid in *child_pid (hostio turns it into a process fd); in the child
  // *child_pid is 0 and *tid the child's only thread. EAGAIN at the limit.
  virtual abi::Errno fork(int* child_pid, uint32_t* tid) = 0;

  // proc_exec: replace this process with the CloudABI executable open as
  // host fd `exec_fd`, giving it `argdata` and the fds in `fds` (guest fd i
  // of the new process is fds[i], rights kept exactly). Only returns on
  // failure (ENOEXEC for a bad image, ...).
  struct ExecFd {
    int host_fd;
    uint8_t filetype;
    uint64_t rights_base;
    uint64_t rights_inheriting;
    uint16_t fdflags;
  };
  virtual abi::Errno exec(int exec_fd, const uint8_t* argdata, size_t argdata_len,
                          const ExecFd* fds, size_t nfds) = 0;
};

struct SyscallContext {
  vm::GuestMemory& mem;
  FdTable& fds;
  ProcessHooks* hooks = nullptr;
};

SyscallOutcome handle_syscall(SyscallContext& ctx, const SyscallRequest& req);

// One handler per syscall number (several share a group's handler, which
// decodes the number again); for a number past the table, ENOSYS.
using SyscallHandler = SyscallOutcome (*)(SyscallContext&, const SyscallRequest&);
extern const std::array<SyscallHandler, abi::kSyscallCount> kSyscallHandlers;

// handle_syscall's body, for the VM's in-place hook to inline: the handler
// then returns straight into the hook. After a host system call every
// return up the chain mispredicts (bench/README.md, "A new machine, a
// call-heavy program"); a dispatcher of its own between them was one more.
[[gnu::always_inline]] inline SyscallOutcome dispatch_syscall(SyscallContext& ctx,
                                                              const SyscallRequest& req) {
  if (req.number >= abi::kSyscallCount) {
    SyscallOutcome o;
    o.error = abi::E_NOSYS;
    return o;
  }
  return kSyscallHandlers[req.number](ctx, req);
}

}  // namespace capvm::hostio
