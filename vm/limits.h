// Process-wide limits and clocks of a capvm run (issue "launcher": Limits
// and hardening): the --timeout watchdog, the --max-processes counter shared
// by every process of the guest's tree, and the guest-visible clock with
// --clock-precision and --deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace capvm::vm {

// Starts a thread that, `timeout_ns` after now, calls `on_expiry` (which
// reports and ends the process). Works whatever the guest threads do,
// including blocking in a host syscall.
void start_watchdog(uint64_t timeout_ns, std::function<void()> on_expiry);
// Nanoseconds left before the watchdog fires (0: no timeout set, or at
// least 1 when it is about to): carried across proc_exec.
uint64_t remaining_timeout_ns();

// The count of live guest processes in this capvm's tree, for
// --max-processes: a word of shared memory (a memfd) that fork shares and
// proc_exec hands on, so a process that execs stays counted and a fork bomb
// that execs itself still stops at the limit. With no limit nothing is kept.
namespace process_count {
// Once per capvm process: with `inherited_fd` >= 0 (from the process this
// one replaced by proc_exec) joins that count, else starts one at 1 when
// `limit` is not 0.
bool init(unsigned limit, int inherited_fd, std::string* error);
// The shared count's fd to hand across proc_exec, or -1.
int fd();
// Reserves a slot for a child about to be forked; false at `limit` (0: none).
bool reserve(unsigned limit);
// Gives a reserved slot back (fork failed) or this process's slot (exit).
void release();
}  // namespace process_count

}  // namespace capvm::vm
