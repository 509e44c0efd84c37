// capvm's options: one table (kOptions) drives the parser, the CAPVM_*
// environment variables and the grouped --help text.
#include "cli/options.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "abi/syscalls.h"
#include "vm/strace_filter.h"

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

// Decimal or 0x hex.
bool parse_number(const std::string& text, uint64_t* out) {
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  return parse_u64(hex ? text.substr(2) : text, hex ? 16 : 10, out);
}

enum class Value { kNone, kOptional, kRequired };

struct OptionDef {
  std::string_view name;  // without "--"
  Value value;
  std::string_view metavar;
  std::string_view group;
  std::string_view help;
  // `value` is null when the option was given without one (kNone/kOptional).
  bool (*apply)(const std::string* value, Options& o, std::string* error);
};

bool set_count(const std::string* v, unsigned limit, std::string_view name, unsigned* out,
               std::string* error) {
  uint64_t n;
  if (!parse_u64(*v, 10, &n) || n > limit) {
    *error = "--" + std::string(name) + " takes a number from 0 (no limit) to " +
             std::to_string(limit) + ", not '" + *v + "'";
    return false;
  }
  *out = static_cast<unsigned>(n);
  return true;
}

bool set_duration(const std::string* v, std::string_view name, uint64_t* out,
                  std::string* error) {
  if (!parse_duration(*v, out)) {
    *error = "--" + std::string(name) +
             " takes a duration with a unit (ns, us, ms, s, m, h) such as 500ms, 10s or 2m, "
             "not '" + *v + "'";
    return false;
  }
  return true;
}

const OptionDef kOptions[] = {
    {"config", Value::kRequired, "FILE", "Configuration",
     "read the YAML from FILE (\"-\": standard input, the default); stdin then\n"
     "stays available to the guest as !fd stdin",
     [](const std::string* v, Options& o, std::string* e) {
       if (v->empty()) {
         *e = "--config needs a file name";
         return false;
       }
       o.config_path = *v;
       return true;
     }},

    {"strace", Value::kOptional, "FILTER", "Tracing",
     "print one line per syscall: thread, name, arguments, result, errno;\n"
     "FILTER: comma-separated syscall names, prefixes (file_*), 'denied',\n"
     "'!'-excludes (--strace=file_*,denied,!file_stat_*)",
     [](const std::string* v, Options& o, std::string* e) {
       if (v && !validate_strace_filter(*v, e)) return false;
       o.strace = true;
       o.strace_filter = v ? *v : "";
       return true;
     }},
    {"log-file", Value::kRequired, "PATH", "Tracing",
     "write the trace and other diagnostics to PATH instead of stderr",
     [](const std::string* v, Options& o, std::string* e) {
       if (v->empty()) {
         *e = "--log-file needs a path";
         return false;
       }
       o.log_file = *v;
       return true;
     }},
    {"dump", Value::kRequired, "blocks", "Tracing",
     "print each translated block: guest and host disassembly",
     [](const std::string* v, Options& o, std::string* e) {
       if (*v != "blocks") {
         *e = "--dump supports only 'blocks', not '" + *v + "'";
         return false;
       }
       o.dump_blocks = true;
       return true;
     }},
    {"perf-map", Value::kNone, "", "Tracing",
     "write /tmp/perf-PID.map naming translated blocks, for perf report",
     [](const std::string*, Options& o, std::string*) {
       o.perf_map = true;
       return true;
     }},

    {"max-memory", Value::kRequired, "BYTES", "Limits (0: no limit)",
     "guest memory mapped at once (K/M/G/T suffixes); beyond: ENOMEM",
     [](const std::string* v, Options& o, std::string* e) {
       if (!parse_size(*v, &o.max_memory)) {
         *e = "--max-memory takes a size such as 512M or 4G, not '" + *v + "'";
         return false;
       }
       return true;
     }},
    {"max-threads", Value::kRequired, "N", "Limits (0: no limit)",
     "live threads per guest process; beyond: thread_create fails EAGAIN",
     [](const std::string* v, Options& o, std::string* e) {
       return set_count(v, kMaxThreadsLimit, "max-threads", &o.max_threads, e);
     }},
    {"max-processes", Value::kRequired, "N", "Limits (0: no limit)",
     "live guest processes in all; beyond: proc_fork fails EAGAIN",
     [](const std::string* v, Options& o, std::string* e) {
       return set_count(v, kMaxProcessesLimit, "max-processes", &o.max_processes, e);
     }},
    {"max-fds", Value::kRequired, "N", "Limits (0: no limit)",
     "open descriptors per guest process; beyond: EMFILE",
     [](const std::string* v, Options& o, std::string* e) {
       return set_count(v, kMaxFdsLimit, "max-fds", &o.max_fds, e);
     }},
    {"timeout", Value::kRequired, "DURATION", "Limits (0: no limit)",
     "stop the guest after DURATION of wall-clock time (exit status 124)",
     [](const std::string* v, Options& o, std::string* e) {
       return set_duration(v, "timeout", &o.timeout_ns, e);
     }},
    {"sandbox-size", Value::kRequired, "BYTES", "Limits (0: no limit)",
     "guest address space size, a multiple of 4096 from 1M to 4G (default 4G)",
     [](const std::string* v, Options& o, std::string* e) {
       uint64_t n;
       if (!parse_size(*v, &n) || n < kMinSandboxSize || n > vm::kMaxSandboxSize ||
           n % vm::kGuestPageSize != 0) {
         *e = "--sandbox-size takes a multiple of 4096 from 1M to 4G, not '" + *v + "'";
         return false;
       }
       o.sandbox_size = n;
       return true;
     }},

    {"clock-precision", Value::kRequired, "DURATION", "Clocks",
     "round every clock the guest can read down to DURATION (e.g. 1ms)",
     [](const std::string* v, Options& o, std::string* e) {
       return set_duration(v, "clock-precision", &o.clock_precision_ns, e);
     }},
    {"deterministic", Value::kOptional, "SEED", "Clocks",
     "virtual clocks and random_get seeded with SEED (default 0): two runs\n"
     "give identical traces",
     [](const std::string* v, Options& o, std::string* e) {
       uint64_t seed = 0;
       if (v && !parse_number(*v, &seed)) {
         *e = "--deterministic takes a seed (a 64-bit decimal or 0x hex number), not '" + *v +
              "'";
         return false;
       }
       o.deterministic = true;
       o.seed = seed;
       return true;
     }},

    {"decode-cache", Value::kRequired, "DIR|off", "Caches",
     "aarch64 guests: keep LLVM's instruction decodings in DIR, a file per\n"
     "program (default $XDG_CACHE_HOME/capvm, else ~/.cache/capvm), so that\n"
     "later starts skip loading the decoder; off: neither read nor write them",
     [](const std::string* v, Options& o, std::string* e) {
       if (v->empty()) {
         *e = "--decode-cache needs a directory or 'off'";
         return false;
       }
       o.decode_cache_off = *v == "off";
       o.decode_cache_dir = o.decode_cache_off ? "" : *v;
       return true;
     }},

    {"max-block-insns", Value::kRequired, "N", "Debugging",
     "at most N guest instructions per translated block (1: single step)",
     [](const std::string* v, Options& o, std::string* e) {
       uint64_t n;
       if (!parse_u64(*v, 10, &n) || n > kMaxBlockInsnsLimit) {
         *e = "--max-block-insns takes a number from 0 to " +
              std::to_string(kMaxBlockInsnsLimit) + ", not '" + *v + "'";
         return false;
       }
       o.max_block_insns = static_cast<unsigned>(n);
       return true;
     }},
};

const OptionDef* find_option(std::string_view name) {
  for (const OptionDef& d : kOptions)
    if (d.name == name) return &d;
  return nullptr;
}

std::string env_name(std::string_view option) {
  std::string s = "CAPVM_";
  for (char c : option) s += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return s;
}

bool is_true_word(const std::string& v) {
  return v == "1" || v == "true" || v == "yes" || v == "on";
}
bool is_false_word(const std::string& v) {
  return v.empty() || v == "0" || v == "false" || v == "no" || v == "off";
}

// CAPVM_<OPTION>: flags with no value take 1/true/yes/on (set) or
// 0/false/no/off/empty (unset); options with an optional value take those
// words too, anything else is the value; others take the value.
bool apply_env(const EnvLookup& env, const std::vector<std::string_view>& on_command_line,
               Options& o, std::string* error) {
  for (const OptionDef& d : kOptions) {
    bool overridden = false;
    for (std::string_view n : on_command_line) overridden |= n == d.name;
    if (overridden) continue;  // the flag wins; its variable is not even read
    const std::string name = env_name(d.name);
    const char* raw = env(name.c_str());
    if (raw == nullptr) continue;
    const std::string v = raw;
    std::string e;
    bool ok = true;
    if (d.value == Value::kRequired) {
      if (v.empty()) continue;  // an empty variable is as good as unset
      ok = d.apply(&v, o, &e);
    } else if (is_false_word(v)) {
      continue;
    } else if (is_true_word(v)) {
      ok = d.apply(nullptr, o, &e);
    } else if (d.value == Value::kOptional) {
      ok = d.apply(&v, o, &e);
    } else {
      e = "takes 1 or 0, not '" + v + "'";
      ok = false;
    }
    if (!ok) {
      *error = "environment variable " + name + ": " + e;
      return false;
    }
  }
  return true;
}

}  // namespace

bool parse_size(const std::string& text, uint64_t* out) {
  if (text.empty()) return false;
  std::string digits = text;
  auto ends_with = [&](std::string_view s) {
    return digits.size() > s.size() && digits.compare(digits.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with("iB")) digits.resize(digits.size() - 2);
  else if (ends_with("B") && digits.size() > 1 &&
           std::string_view("kKmMgGtT").find(digits[digits.size() - 2]) != std::string_view::npos)
    digits.pop_back();
  uint64_t scale = 1;
  switch (digits.back()) {
    case 'k': case 'K': scale = uint64_t{1} << 10; break;
    case 'm': case 'M': scale = uint64_t{1} << 20; break;
    case 'g': case 'G': scale = uint64_t{1} << 30; break;
    case 't': case 'T': scale = uint64_t{1} << 40; break;
    default: break;
  }
  if (scale != 1) digits.pop_back();
  uint64_t v;
  if (!parse_number(digits, &v)) return false;
  if (v > UINT64_MAX / scale) return false;
  *out = v * scale;
  return true;
}

bool parse_duration(const std::string& text, uint64_t* out_ns) {
  if (text == "0") {
    *out_ns = 0;
    return true;
  }
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  const std::string number = text.substr(0, i), unit = text.substr(i);
  if (number.empty() || number.find_first_of("0123456789") == std::string::npos ||
      number.find('.') != number.rfind('.'))
    return false;
  uint64_t scale;
  if (unit == "ns") scale = 1;
  else if (unit == "us" || unit == "\u00b5s") scale = 1'000;
  else if (unit == "ms") scale = 1'000'000;
  else if (unit == "s") scale = 1'000'000'000;
  else if (unit == "m" || unit == "min") scale = 60'000'000'000;
  else if (unit == "h") scale = 3'600'000'000'000;
  else return false;
  // Integer part exactly; the fraction to the nanosecond, truncated.
  const size_t dot = number.find('.');
  uint64_t whole = 0;
  const std::string int_part = number.substr(0, dot);
  if (!int_part.empty() && !parse_u64(int_part, 10, &whole)) return false;
  if (whole > UINT64_MAX / scale) return false;
  uint64_t ns = whole * scale;
  if (dot != std::string::npos) {
    uint64_t frac_scale = scale;
    for (size_t k = dot + 1; k < number.size() && frac_scale > 1; ++k) {
      frac_scale /= 10;
      const uint64_t add = static_cast<uint64_t>(number[k] - '0') * frac_scale;
      if (ns > UINT64_MAX - add) return false;
      ns += add;
    }
  }
  *out_ns = ns;
  return true;
}

bool validate_strace_filter(const std::string& filter, std::string* error) {
  std::string_view text = filter;
  if (text.empty()) {
    *error = "--strace= needs a filter (or use --strace alone for every syscall)";
    return false;
  }
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    std::string_view name = item;
    if (!name.empty() && name.front() == '!') name.remove_prefix(1);
    bool prefix = !name.empty() && name.back() == '*';
    if (prefix) name.remove_suffix(1);
    bool ok = false;
    if (!prefix && name == "denied") {
      ok = true;
    } else if (prefix || !name.empty()) {
      for (uint32_t n = 0; n < abi::kSyscallCount && !ok; ++n) {
        std::string_view s = abi::syscall_name(n);
        ok = prefix ? s.substr(0, name.size()) == name : s == name;
      }
    }
    if (!ok) {
      *error = "--strace: '" + std::string(item) + "' " +
               (prefix ? "matches no syscall" : "is not a syscall of cloudabi.txt") +
               " (items: NAME, PREFIX*, denied, !ITEM)";
      return false;
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return true;
}

const char* usage_text() {
  static const std::string text = [] {
    std::string s =
        "usage: capvm run [OPTIONS] PROGRAM < CONFIG.yaml\n"
        "       capvm run [OPTIONS] --config CONFIG.yaml PROGRAM\n"
        "       capvm explain [--config] CONFIG.yaml [PROGRAM]\n"
        "       capvm --help | --version\n"
        "\n"
        "Runs the CloudABI executable PROGRAM (x86_64 or aarch64) in a sandbox. Its\n"
        "argument data and file descriptors come from YAML, read from standard input\n"
        "or from --config, as with cloudabi-run(1); `explain` prints what the program\n"
        "would receive: the argdata tree and each descriptor's type and rights.\n";
    std::string_view group;
    for (const OptionDef& d : kOptions) {
      if (d.group != group) {
        group = d.group;
        s += "\n";
        s += group;
        s += ":\n";
      }
      std::string left = "  --" + std::string(d.name);
      if (d.value == Value::kRequired) left += "=" + std::string(d.metavar);
      if (d.value == Value::kOptional) left += "[=" + std::string(d.metavar) + "]";
      if (left.size() < 28) left.resize(28, ' ');
      else left += "\n" + std::string(28, ' ');
      std::string help(d.help);
      for (size_t p = 0; (p = help.find('\n', p)) != std::string::npos; p += 29)
        help.insert(p + 1, std::string(28, ' '));
      s += left + help + "\n";
    }
    s +=
        "\n"
        "Every option can also be set with an environment variable CAPVM_<OPTION>\n"
        "(CAPVM_STRACE=1, CAPVM_TIMEOUT=5s, CAPVM_MAX_MEMORY=512M); flags win.\n"
        "DURATION: 500ms, 10s, 2m, 1.5h (ns us ms s m h). BYTES: 4096, 512M, 4G.\n"
        "\n"
        "Exit status: the program's exit code (0-255); 128+N when it was killed by\n"
        "signal N; 124 when --timeout stopped it; 125 when a limit stopped it; 127\n"
        "when capvm itself failed (bad ELF, bad YAML, bad option). See capvm(1).\n";
    return s;
  }();
  return text.c_str();
}

std::string version_text() {
  return std::string("capvm ") + version() +
         "\n"
         "ABI: CloudABI (cloudabi.txt, all 49 syscalls) for x86_64 and aarch64 guests;\n"
         "arguments as argdata; configuration compatible with cloudabi-run(1)\n"
         "(%TAG ! tag:nuxi.nl,2015:cloudabi/).\n";
}

bool parse_options(int argc, const char* const* argv, Options* out, std::string* error,
                   const EnvLookup& env_in) {
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
  if (first == "--version" || first == "version") {
    o.command = Command::kVersion;
    *out = o;
    return true;
  }
  if (first == "explain") {
    o.command = Command::kExplain;
  } else if (first != "run") {
    *error = "unknown command '" + std::string(first) + "' (try capvm --help)";
    return false;
  }
  const bool explain = o.command == Command::kExplain;

  // The environment first, so the command line overrides it.
  if (!explain) {
    std::vector<std::string_view> given;
    for (int i = 2; i < argc; ++i) {
      std::string_view a = argv[i];
      if (a == "--") break;
      if (a.size() > 2 && a.substr(0, 2) == "--") given.push_back(a.substr(2, a.find('=') - 2));
    }
    EnvLookup env = env_in ? env_in : [](const char* n) -> const char* { return std::getenv(n); };
    if (!apply_env(env, given, o, error)) return false;
  }

  std::vector<std::string> positional;
  bool options_done = false, config_flag = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
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
    const OptionDef* def = name.size() > 2 && name.compare(0, 2, "--") == 0
                               ? find_option(std::string_view(name).substr(2))
                               : nullptr;
    if (def == nullptr) {
      *error = "unknown option '" + name + "' (try capvm --help)";
      return false;
    }
    if (explain && def->name != "config") {
      *error = "option " + name + " applies to capvm run, not capvm explain";
      return false;
    }
    if (def->value == Value::kNone && has_value) {
      *error = "option " + name + " takes no value";
      return false;
    }
    if (def->value == Value::kRequired && !has_value) {
      if (i + 1 >= argc) {
        *error = "option " + name + " needs a value";
        return false;
      }
      value = argv[++i];
      has_value = true;
    }
    if (!def->apply(has_value ? &value : nullptr, o, error)) return false;
    if (def->name == "config") config_flag = true;
  }

  if (explain) {
    // capvm explain [CONFIG] [PROGRAM], or --config CONFIG [PROGRAM].
    size_t next = 0;
    if (!config_flag && next < positional.size()) o.config_path = positional[next++];
    if (next < positional.size()) o.program = positional[next++];
    if (next < positional.size()) {
      *error = "unexpected argument '" + positional[next] +
               "' (usage: capvm explain [--config] CONFIG [PROGRAM])";
      return false;
    }
    *out = o;
    return true;
  }
  if (positional.size() > 1) {
    *error = "unexpected argument '" + positional[1] +
             "': CloudABI programs take no command-line arguments, use the YAML";
    return false;
  }
  if (positional.empty()) {
    *error = "no program given (usage: capvm run [options] PROGRAM)";
    return false;
  }
  o.program = positional[0];
  *out = o;
  return true;
}

}  // namespace capvm::cli

namespace capvm::cli {
const char* version() { return CAPVM_VERSION; }
}  // namespace capvm::cli
