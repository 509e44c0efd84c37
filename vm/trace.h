// --strace: one line per syscall with the thread, the name, the decoded
// arguments, the result and the errno by name; a denial names the rights
// the descriptor lacked. Written to the diagnostics stream (--log-file or
// stderr) in one write per line, so threads never interleave within a line.
#pragma once

#include <cstdio>
#include <string>

#include "hostio/fd_table.h"
#include "hostio/syscall.h"
#include "vm/guest_memory.h"
#include "vm/strace_filter.h"

namespace capvm::vm {

class SyscallTracer {
 public:
  SyscallTracer(std::FILE* out, const std::string& filter) : out_(out), filter_(filter) {}

  void trace(uint32_t tid, const hostio::SyscallRequest& req, const hostio::SyscallOutcome& res,
             const GuestMemory& mem, const hostio::FdTable& fds) const;

  // The line (without newline) for a call; exposed for tests.
  static std::string format(uint32_t tid, const hostio::SyscallRequest& req,
                            const hostio::SyscallOutcome& res, const GuestMemory& mem,
                            const hostio::FdTable& fds);

 private:
  std::FILE* out_;
  StraceFilter filter_;
};

}  // namespace capvm::vm
