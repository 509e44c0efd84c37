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

  // ---- Tracing and diagnostics (issue 5; parsed and validated by cli/) ----
  // --strace[=FILTER]: one line per syscall (thread, name, decoded arguments,
  // result, errno by name; a denial names the missing right).
  bool strace = false;
  // The syscalls traced when `strace` is set; empty: all. Already validated
  // by cli/options.cpp: comma-separated items, each a syscall name as in
  // cloudabi.txt ("fd_read"), a prefix glob ending in '*' ("file_*"), or
  // "denied" (only calls that failed with ENOTCAPABLE); an item starting
  // with '!' excludes ("!clock_*"). Exclusions apply after inclusions; a
  // filter made only of exclusions starts from "all". vm/strace_filter.h
  // is a header-only matcher for it (depends on nothing but the standard
  // library).
  std::string strace_filter;
  // --log-file=PATH: the strace output and other diagnostics (block dumps,
  // fault reports) go to this file (created or truncated, mode 0644)
  // instead of stderr; empty: stderr.
  std::string log_file;
  // --perf-map: write /tmp/perf-<host pid>.map naming each translated block
  // "<guest symbol or 'guest'>+0x<off> [0x<guest addr>]".
  bool perf_map = false;
  // --decode-cache: the directory aarch64 decodings are memoized in across
  // runs, a file per program (translator/aarch64/decode_memo.h); empty: none.
  std::string decode_memo_dir;

  // ---- Limits; 0 always means "no limit" (issue 5, "Limits") ----
  // --max-memory: bytes of guest memory mapped at once (mem_map, stacks,
  // the loaded image); mem_map beyond it fails with ENOMEM.
  uint64_t max_memory = 0;
  // --max-threads: live guest threads per process, the main thread counted;
  // thread_create beyond it fails with EAGAIN.
  unsigned max_threads = 0;
  // --max-processes: live guest processes in the whole tree started by this
  // capvm, the first counted; proc_fork beyond it fails with EAGAIN.
  unsigned max_processes = 0;
  // --max-fds: open guest descriptors per process, the initial ones
  // counted; creating one more fails with EMFILE.
  unsigned max_fds = 0;
  // --timeout: wall-clock nanoseconds from start until the whole guest
  // (every thread and child process, also while blocked in a syscall) is
  // stopped; capvm then exits with kExitTimeout.
  uint64_t timeout_ns = 0;

  // ---- Clocks and determinism ----
  // --clock-precision=DURATION: every clock value the guest can observe
  // (clock_time_get, clock_res_get reports at least this, poll clock
  // subscriptions, virtualised rdtsc/cntvct) is rounded down to a multiple
  // of this many nanoseconds; 0: host precision.
  uint64_t clock_precision_ns = 0;
  // --deterministic[=SEED]: clocks are virtual (advance only with guest
  // progress, identical across runs) and random_get returns a stream seeded
  // by `seed`, so two runs of the same program produce identical traces.
  bool deterministic = false;
  uint64_t seed = 0;                 // meaningful when deterministic; default 0

  // Internal, set across proc_exec: the diagnostics stream already open in
  // the process being replaced (appended to, not truncated); -1: none.
  int log_fd = -1;
  // Internal, set across proc_exec: the --max-processes count shared with
  // the rest of the process tree (vm/limits.h); -1: none.
  int process_count_fd = -1;
};

// Process exit statuses (documented in README and docs/capvm.1).
inline constexpr int kExitCapvmError = 127;      // capvm itself failed (bad ELF, bad YAML, ...)
inline constexpr int kExitSignalBase = 128;      // guest killed by signal: 128 + host signal number
inline constexpr int kExitLimit = 125;           // guest stopped by a limit (--max-*) it could not recover from
inline constexpr int kExitTimeout = 124;         // guest stopped by --timeout (as timeout(1))

// Loads and runs the program to completion. Returns the process exit status:
// the guest's proc_exit code, 128 + host signal number when the guest was
// killed by a signal (one line on stderr names the signal and the guest pc),
// or kExitCapvmError with a one-line message on stderr.
int run_program(const RunOptions& options);

}  // namespace capvm::vm
