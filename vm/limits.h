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

// The count of live guest processes in this capvm's tree, kept in a page
// shared across fork. init() once in the first process.
namespace process_count {
bool init(std::string* error);
// Reserves a slot for a child about to be forked; false at `limit` (0: none).
bool reserve(unsigned limit);
// Gives a reserved slot back (fork failed) or this process's slot (exit).
void release();
}  // namespace process_count

// Guest-visible time in nanoseconds.
class GuestClock {
 public:
  GuestClock(uint64_t precision_ns, bool deterministic)
      : precision_(precision_ns), deterministic_(deterministic) {}
  // Monotonic nanoseconds since the run started, coarsened; virtual and
  // strictly increasing by a fixed step per read under --deterministic.
  uint64_t monotonic_ns();
  uint64_t precision_ns() const { return precision_; }
  bool deterministic() const { return deterministic_; }

 private:
  uint64_t precision_;
  bool deterministic_;
  uint64_t virtual_ns_ = 0;
};

}  // namespace capvm::vm
