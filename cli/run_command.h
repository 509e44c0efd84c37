// `capvm run`: read and check the program, turn the YAML into argdata and
// descriptors, hand everything to the VM. `capvm explain`: the same up to
// the VM, then print what the program would receive.
#pragma once

#include <string>

#include "cli/options.h"

namespace capvm::cli {

// Prints "capvm: <subject>: <reason>" as one line on stderr.
void report_error(const std::string& subject, const std::string& reason);

// Returns the process exit status (vm::kExitCapvmError on capvm's errors).
int run_command(const Options& options);
int explain_command(const Options& options);

}  // namespace capvm::cli
