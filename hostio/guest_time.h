// What the guest may learn about time and randomness (launcher options
// --clock-precision and --deterministic): every clock value it can observe
// is coarsened to the precision; in deterministic mode clocks are virtual
// (advancing a fixed step per observation) and random_get is a seeded
// stream, so two runs see the same values. Process-wide, set once at start.
#pragma once

#include <time.h>

#include <cstddef>
#include <cstdint>

namespace capvm::hostio {

struct TimePolicy {
  uint64_t precision_ns = 0;  // 0 or 1: the host's precision
  bool deterministic = false;
  uint64_t seed = 0;
};

void set_time_policy(const TimePolicy& policy);
const TimePolicy& time_policy();

// The guest's view of host clock `c` in nanoseconds.
bool guest_clock_now(clockid_t c, uint64_t* ns);
// The resolution the guest is told for a clock whose host resolution is
// `host_ns`: never finer than the precision.
uint64_t guest_clock_resolution(uint64_t host_ns);
// Fills `buf` with random bytes: the host's, or the seeded stream.
bool guest_random(uint8_t* buf, size_t len);

}  // namespace capvm::hostio
