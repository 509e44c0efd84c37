// Command line of the capvm launcher:
//   capvm run [OPTIONS] PROGRAM            (YAML on stdin or --config FILE)
//   capvm explain [--config FILE] [CONFIG] [PROGRAM]
//   capvm --help | capvm --version
// Every `run` option OPT is also read from the environment variable
// CAPVM_<OPT> (upper case, '-' as '_'); a flag on the command line wins.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "vm/guest_memory.h"

namespace capvm::cli {

enum class Command { kRun, kExplain, kHelp, kVersion };

struct Options {
  Command command = Command::kRun;
  // Where the YAML comes from; empty (or "-") is stdin, as with cloudabi-run.
  std::string config_path;
  bool config_from_stdin() const { return config_path.empty() || config_path == "-"; }
  std::string program;  // for `explain`: optional, needed by !executable

  // Debugging.
  bool dump_blocks = false;
  unsigned max_block_insns = 0;
  uint64_t sandbox_size = vm::kMaxSandboxSize;
  bool perf_map = false;

  // The aarch64 decode memo's directory (--decode-cache); empty: the
  // default, $XDG_CACHE_HOME/capvm or ~/.cache/capvm. decode_cache_off: none.
  std::string decode_cache_dir;
  bool decode_cache_off = false;

  // Tracing (vm::RunOptions has the exact semantics).
  bool strace = false;
  std::string strace_filter;  // validated: see vm/strace_filter.h
  std::string log_file;

  // Limits: 0 is "no limit".
  uint64_t max_memory = 0;
  unsigned max_threads = 0;
  unsigned max_processes = 0;
  unsigned max_fds = 0;
  uint64_t timeout_ns = 0;

  // Clocks.
  uint64_t clock_precision_ns = 0;
  bool deterministic = false;
  uint64_t seed = 0;
};

// Smallest sandbox accepted: room for the null guard and a small program.
inline constexpr uint64_t kMinSandboxSize = uint64_t{1} << 20;
inline constexpr unsigned kMaxBlockInsnsLimit = 1u << 16;
// Upper bounds of the count limits (a bigger value is surely a typo).
inline constexpr unsigned kMaxThreadsLimit = 1u << 20;
inline constexpr unsigned kMaxProcessesLimit = 1u << 20;
inline constexpr unsigned kMaxFdsLimit = 1u << 16;  // hostio::FdTable::kMaxFds

// Reads an environment variable; nullptr when unset.
using EnvLookup = std::function<const char*(const char* name)>;

// On failure sets *error to one line (without the "capvm: " prefix).
// `env` defaults to getenv.
bool parse_options(int argc, const char* const* argv, Options* out, std::string* error,
                   const EnvLookup& env = nullptr);

// BYTES: decimal or 0x hex, optional K/M/G/T suffix (powers of 1024),
// optionally followed by "B" or "iB" ("512M", "4GiB", "0x1000").
bool parse_size(const std::string& text, uint64_t* out);
// DURATION: a decimal number (fraction allowed) and a unit: ns, us, ms, s,
// m (minutes), h ("10ms", "1.5s", "2m"); "0" alone is zero. Result in ns.
bool parse_duration(const std::string& text, uint64_t* out_ns);
// Checks a --strace FILTER (vm/strace_filter.h): every name must be a
// syscall of cloudabi.txt and every prefix must match one.
bool validate_strace_filter(const std::string& filter, std::string* error);

const char* usage_text();
// "capvm 0.1.0" and the ABI line(s).
std::string version_text();

}  // namespace capvm::cli

namespace capvm::cli {
// The project version (CMake's PROJECT_VERSION).
const char* version();
}  // namespace capvm::cli
