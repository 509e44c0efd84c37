// Guest-visible time and randomness (hostio/guest_time.h).
#include "hostio/guest_time.h"

#include <sys/random.h>

#include <cerrno>
#include <mutex>

namespace capvm::hostio {

namespace {
TimePolicy g_policy;
std::mutex g_mutex;
uint64_t g_virtual_ns = 0;
uint64_t g_rng[4] = {};

uint64_t splitmix64(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// xoshiro256**: a small, well-distributed generator; determinism, not
// secrecy, is the point of the seeded mode.
uint64_t next_random() {
  const uint64_t result = rotl(g_rng[1] * 5, 7) * 9;
  const uint64_t t = g_rng[1] << 17;
  g_rng[2] ^= g_rng[0];
  g_rng[3] ^= g_rng[1];
  g_rng[1] ^= g_rng[2];
  g_rng[0] ^= g_rng[3];
  g_rng[2] ^= t;
  g_rng[3] = rotl(g_rng[3], 45);
  return result;
}

// Virtual time starts at a fixed, plausible instant for the realtime clock.
constexpr uint64_t kVirtualEpochNs = 1500000000ull * 1000000000ull;
}  // namespace

void set_time_policy(const TimePolicy& policy) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_policy = policy;
  g_virtual_ns = 0;
  uint64_t x = policy.seed;
  for (uint64_t& s : g_rng) s = splitmix64(&x);
}

const TimePolicy& time_policy() { return g_policy; }

bool guest_clock_now(clockid_t c, uint64_t* ns) {
  uint64_t t;
  if (g_policy.deterministic) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_virtual_ns += 1000;  // one microsecond per observation
    t = g_virtual_ns + (c == CLOCK_REALTIME ? kVirtualEpochNs : 0);
  } else {
    timespec ts;
    if (clock_gettime(c, &ts) != 0) return false;
    t = ts.tv_sec < 0 ? 0 : uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
  }
  const uint64_t p = g_policy.precision_ns;
  *ns = p > 1 ? t - t % p : t;
  return true;
}

uint64_t guest_clock_resolution(uint64_t host_ns) {
  if (host_ns == 0) host_ns = 1;
  const uint64_t p = g_policy.precision_ns;
  return p > host_ns ? p : host_ns;
}

bool guest_random(uint8_t* buf, size_t len) {
  if (g_policy.deterministic) {
    std::lock_guard<std::mutex> lock(g_mutex);
    for (size_t i = 0; i < len; i += 8) {
      const uint64_t v = next_random();
      for (size_t k = 0; k < 8 && i + k < len; ++k) buf[i + k] = static_cast<uint8_t>(v >> (8 * k));
    }
    return true;
  }
  // getrandom(2) hands out at most 32 MiB per call: bounded chunks.
  constexpr size_t kChunk = 1 << 20;
  size_t done = 0;
  while (done < len) {
    const size_t want = len - done < kChunk ? len - done : kChunk;
    const ssize_t n = getrandom(buf + done, want, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace capvm::hostio
