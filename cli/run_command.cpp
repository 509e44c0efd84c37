#include "cli/run_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/acceptor.h"
#include "cli/explain.h"
#include "cli/program_file.h"
#include "cli/yaml_config.h"
#include "vm/process.h"

namespace capvm::cli {
namespace {

// Reads and converts the configuration; false after reporting the error.
bool load(const Options& options, Config* config) {
  const bool from_stdin = options.config_from_stdin();
  const std::string config_name = from_stdin ? "<stdin>" : options.config_path;
  std::vector<uint8_t> text;
  std::string error;
  bool read_ok = from_stdin ? read_stream(STDIN_FILENO, kMaxConfigSize, &text, &error)
                            : read_regular_file(options.config_path, kMaxConfigSize, &text, &error);
  if (!read_ok) {
    report_error(config_name, error);
    return false;
  }
  ConfigContext context;
  context.stdin_available = !from_stdin;
  context.program_path = options.program;
  ConfigError config_error;
  if (!load_config(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()),
                   context, config, &config_error)) {
    report_error(config_name, config_error.describe());
    return false;
  }
  return true;
}

void close_grants(Config* config) {
  for (const auto& g : config->fds) close(g.host_fd);
  config->fds.clear();
  close_acceptors(&config->acceptors);
}

// --decode-cache: the memo directory, or "" for none (also when there is no
// home to keep it in).
std::string decode_memo_dir(const Options& options) {
  if (options.decode_cache_off) return "";
  std::string dir = options.decode_cache_dir;
  if (dir.empty()) {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    if (xdg != nullptr && xdg[0] == '/') dir = std::string(xdg) + "/capvm";
    else if (home != nullptr && home[0] == '/') dir = std::string(home) + "/.cache/capvm";
    else return "";
  }
  return dir;
}

}  // namespace

void report_error(const std::string& subject, const std::string& reason) {
  // One line, whatever the reason holds (paths and YAML can contain newlines).
  std::string line = "capvm: " + subject + ": " + reason;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

int explain_command(const Options& options) {
  Config config;
  if (!load(options, &config)) return vm::kExitCapvmError;
  const std::string text = explain(config.argdata, config.fd_info);
  close_grants(&config);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : vm::kExitCapvmError;
}

int run_command(const Options& options) {
  vm::RunOptions run;
  run.program_path = options.program;
  run.sandbox_size = options.sandbox_size;
  run.dump_blocks = options.dump_blocks;
  run.max_block_insns = options.max_block_insns;
  run.strace = options.strace;
  run.strace_filter = options.strace_filter;
  run.log_file = options.log_file;
  run.perf_map = options.perf_map;
  run.decode_memo_dir = decode_memo_dir(options);
  run.max_memory = options.max_memory;
  run.max_threads = options.max_threads;
  run.max_processes = options.max_processes;
  run.max_fds = options.max_fds;
  run.timeout_ns = options.timeout_ns;
  run.clock_precision_ns = options.clock_precision_ns;
  run.deterministic = options.deterministic;
  run.seed = options.seed;

  // The program first: a bad ELF is reported before any YAML resource opens.
  std::string error;
  if (!read_program(options.program, options.sandbox_size, &run.program, &error)) {
    report_error(options.program, error);
    return vm::kExitCapvmError;
  }
  Config config;
  if (!load(options, &config)) return vm::kExitCapvmError;
  if (options.max_fds != 0 && config.fds.size() > options.max_fds) {
    report_error("--max-fds", "the configuration grants " + std::to_string(config.fds.size()) +
                                  " descriptors, more than the limit of " +
                                  std::to_string(options.max_fds));
    close_grants(&config);
    return vm::kExitCapvmError;
  }
  // Listening sockets are served from here on (cli/acceptor.h).
  if (!start_acceptors(&config.acceptors, &error)) {
    report_error("!socket", error);
    close_grants(&config);
    return vm::kExitCapvmError;
  }
  run.argdata = std::move(config.argdata);
  run.fds = std::move(config.fds);
  return vm::run_program(run);
}

}  // namespace capvm::cli
