#include "cli/run_command.h"

#include <unistd.h>

#include <cstdio>

#include "cli/program_file.h"
#include "cli/yaml_config.h"
#include "vm/process.h"

namespace capvm::cli {

void report_error(const std::string& subject, const std::string& reason) {
  // One line, whatever the reason holds (paths and YAML can contain newlines).
  std::string line = "capvm: " + subject + ": " + reason;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

int run_command(const Options& options) {
  vm::RunOptions run;
  run.program_path = options.program;
  run.sandbox_size = options.sandbox_size;
  run.dump_blocks = options.dump_blocks;
  run.max_block_insns = options.max_block_insns;

  // The program first: a bad ELF is reported before any YAML resource opens.
  std::string error;
  if (!read_program(options.program, options.sandbox_size, &run.program, &error)) {
    report_error(options.program, error);
    return vm::kExitCapvmError;
  }

  const bool from_stdin = options.config_from_stdin();
  const std::string config_name = from_stdin ? "<stdin>" : options.config_path;
  std::vector<uint8_t> text;
  bool read_ok = from_stdin ? read_stream(STDIN_FILENO, kMaxConfigSize, &text, &error)
                            : read_regular_file(options.config_path, kMaxConfigSize, &text, &error);
  if (!read_ok) {
    report_error(config_name, error);
    return vm::kExitCapvmError;
  }

  ConfigContext context;
  context.stdin_available = !from_stdin;
  context.program_path = options.program;
  Config config;
  ConfigError config_error;
  if (!load_config(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()),
                   context, &config, &config_error)) {
    report_error(config_name, config_error.describe());
    return vm::kExitCapvmError;
  }
  run.argdata = std::move(config.argdata);
  run.fds = std::move(config.fds);
  return vm::run_program(run);
}

}  // namespace capvm::cli
