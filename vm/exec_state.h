// proc_exec hands a new program to a fresh capvm: the current host process
// re-executes capvm itself with the new image, argdata and fd table
// serialized into a memfd, so nothing of the old guest (threads, memory,
// code cache, fds not listed) survives.
#pragma once

#include <string>

#include "vm/process.h"

namespace capvm::vm {

// The hidden command-line option a re-executed capvm receives.
inline constexpr const char* kExecStateOption = "--exec-state";

// Writes `options` (program image, argdata, fds with their rights) to a new
// memfd; returns its fd or -1 with *error set.
int write_exec_state(const RunOptions& options, std::string* error);
// Reads what write_exec_state wrote. The fds' host descriptors are the ones
// inherited across execve.
bool read_exec_state(int fd, RunOptions* options, std::string* error);

// main() of a re-executed capvm: runs the program the state describes.
int run_exec_state(const char* fd_text);

}  // namespace capvm::vm
