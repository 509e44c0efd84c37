#include "cli/options.h"

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace capvm::cli {
namespace {

bool parse_u64(const std::string& text, int base, uint64_t* out) {
  if (text.empty() || text[0] == '-' || text[0] == '+' || text[0] == ' ') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, base);
  if (errno != 0 || end != text.c_str() + text.size()) return false;
  *out = v;
  return true;
}

}  // namespace

const char* usage_text() {
  return "usage: capvm run [--config FILE|-] [--dump=blocks] [--max-block-insns=N]\n"
         "                 [--sandbox-size=BYTES] PROGRAM\n"
         "       capvm --help\n"
         "       capvm --version\n"
         "\n"
         "Runs the CloudABI executable PROGRAM (x86_64 or aarch64) in a sandbox. Its\n"
         "argument data and file descriptors come from YAML, read from standard input\n"
         "or from --config FILE, as with cloudabi-run(1).\n"
         "\n"
         "  --config FILE        read the YAML from FILE (\"-\": standard input); stdin\n"
         "                       then stays available to the guest as !fd stdin\n"
         "  --dump=blocks        print each translated block\n"
         "  --max-block-insns=N  at most N guest instructions per block (1: single step)\n"
         "  --sandbox-size=BYTES guest address space size (K/M/G suffixes; default 4G)\n"
         "\n"
         "Exit status: the program's exit code, 128+N when it was killed by signal N,\n"
         "127 when capvm itself failed.\n";
}

bool parse_size(const std::string& text, uint64_t* out) {
  if (text.empty()) return false;
  std::string digits = text;
  uint64_t scale = 1;
  switch (digits.back()) {
    case 'k': case 'K': scale = uint64_t{1} << 10; break;
    case 'm': case 'M': scale = uint64_t{1} << 20; break;
    case 'g': case 'G': scale = uint64_t{1} << 30; break;
    default: break;
  }
  if (scale != 1) digits.pop_back();
  uint64_t v;
  bool hex = digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
  if (!parse_u64(hex ? digits.substr(2) : digits, hex ? 16 : 10, &v)) return false;
  if (v > UINT64_MAX / scale) return false;
  *out = v * scale;
  return true;
}

bool parse_options(int argc, const char* const* argv, Options* out, std::string* error) {
  Options o;
  if (argc < 2) {
    *error = "no command given (try capvm --help)";
    return false;
  }
  const std::string_view first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    o.command = Command::kHelp;
    *out = o;
    return true;
  }
  if (first == "--version") {
    o.command = Command::kVersion;
    *out = o;
    return true;
  }
  if (first != "run") {
    *error = "unknown command '" + std::string(first) + "' (try capvm --help)";
    return false;
  }

  bool options_done = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      if (!o.program.empty()) {
        *error = "unexpected argument '" + arg +
                 "': CloudABI programs take no command-line arguments, use the YAML";
        return false;
      }
      o.program = arg;
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      o.command = Command::kHelp;
      *out = o;
      return true;
    }
    // --name=value or --name value.
    std::string name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto take_value = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) {
        *error = "option " + name + " needs a value";
        return false;
      }
      value = argv[++i];
      return true;
    };
    if (name == "--config") {
      if (!take_value()) return false;
      if (value.empty()) {
        *error = "--config needs a file name";
        return false;
      }
      o.config_path = value;
    } else if (name == "--dump") {
      if (!take_value()) return false;
      if (value != "blocks") {
        *error = "--dump supports only 'blocks', not '" + value + "'";
        return false;
      }
      o.dump_blocks = true;
    } else if (name == "--max-block-insns") {
      if (!take_value()) return false;
      uint64_t n;
      if (!parse_u64(value, 10, &n) || n > kMaxBlockInsnsLimit) {
        *error = "--max-block-insns takes a number from 0 to " +
                 std::to_string(kMaxBlockInsnsLimit) + ", not '" + value + "'";
        return false;
      }
      o.max_block_insns = static_cast<unsigned>(n);
    } else if (name == "--sandbox-size") {
      if (!take_value()) return false;
      uint64_t n;
      if (!parse_size(value, &n) || n < kMinSandboxSize || n > vm::kMaxSandboxSize ||
          n % vm::kGuestPageSize != 0) {
        *error = "--sandbox-size takes a multiple of 4096 from 1M to 4G, not '" + value + "'";
        return false;
      }
      o.sandbox_size = n;
    } else {
      *error = "unknown option '" + name + "' (try capvm --help)";
      return false;
    }
  }
  if (o.program.empty()) {
    *error = "no program given (usage: capvm run [options] PROGRAM)";
    return false;
  }
  *out = o;
  return true;
}

}  // namespace capvm::cli

namespace capvm::cli {
const char* version() { return CAPVM_VERSION; }
}  // namespace capvm::cli
