// Running one guest program: the interface the launcher (cli/) uses. The
// launcher has already opened every host resource the YAML names, assigned
// guest fd numbers and encoded argdata; the VM owns everything after that.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace capvm::vm {

// One file descriptor handed to the guest at start-up.
struct FdGrant {
  uint32_t guest_fd = 0;  // the number the argdata refers to
  int host_fd = -1;       // owned by the VM from now on
  // Explicit rights; when has_rights is false, hostio gives the maximum
  // rights that the descriptor's type allows (cloudabi-run's behaviour).
  bool has_rights = false;
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
};

struct RunOptions {
  std::string program_path;          // for diagnostics
  std::vector<uint8_t> program;      // the ELF image, already read
  std::vector<uint8_t> argdata;      // encoded per spec/argdata.md
  std::vector<FdGrant> fds;
  uint64_t sandbox_size = uint64_t{1} << 32;
  bool dump_blocks = false;          // --dump=blocks
  unsigned max_block_insns = 0;      // 0: translator default; 1: single-step blocks
};

// Process exit statuses (documented in README and docs/capvm.1).
inline constexpr int kExitCapvmError = 127;      // capvm itself failed (bad ELF, bad YAML, ...)
inline constexpr int kExitSignalBase = 128;      // guest killed by signal: 128 + host signal number

// Loads and runs the program to completion. Returns the process exit status:
// the guest's proc_exit code, 128 + host signal number when the guest was
// killed by a signal (one line on stderr names the signal and the guest pc),
// or kExitCapvmError with a one-line message on stderr.
int run_program(const RunOptions& options);

}  // namespace capvm::vm
