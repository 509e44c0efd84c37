// Command line of the capvm launcher:
//   capvm run [--config FILE|-] [--dump=blocks] [--max-block-insns=N]
//             [--sandbox-size=BYTES] PROGRAM
//   capvm --help | capvm --version
#pragma once

#include <cstdint>
#include <string>

#include "vm/guest_memory.h"

namespace capvm::cli {

enum class Command { kRun, kHelp, kVersion };

struct Options {
  Command command = Command::kRun;
  // Where the YAML comes from; empty (or "-") is stdin, as with cloudabi-run.
  std::string config_path;
  bool config_from_stdin() const { return config_path.empty() || config_path == "-"; }
  std::string program;
  bool dump_blocks = false;
  unsigned max_block_insns = 0;
  uint64_t sandbox_size = vm::kMaxSandboxSize;
};

// Smallest sandbox accepted: room for the null guard and a small program.
inline constexpr uint64_t kMinSandboxSize = uint64_t{1} << 20;
inline constexpr unsigned kMaxBlockInsnsLimit = 1u << 16;

// On failure sets *error to one line (without the "capvm: " prefix).
bool parse_options(int argc, const char* const* argv, Options* out, std::string* error);

// Parses BYTES for --sandbox-size: decimal or 0x hex, optional K/M/G suffix.
bool parse_size(const std::string& text, uint64_t* out);

const char* usage_text();

}  // namespace capvm::cli

namespace capvm::cli {
// The project version (CMake's PROJECT_VERSION).
const char* version();
}  // namespace capvm::cli
