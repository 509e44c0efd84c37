// Limits and clocks (vm/limits.h).
#include "vm/limits.h"

#include <sys/mman.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace capvm::vm {

void start_watchdog(uint64_t timeout_ns, std::function<void()> on_expiry) {
  std::thread([timeout_ns, fn = std::move(on_expiry)] {
    std::this_thread::sleep_for(std::chrono::nanoseconds(timeout_ns));
    fn();
  }).detach();
}

namespace process_count {
namespace {
std::atomic<int64_t>* g_count = nullptr;
}

bool init(std::string* error) {
  void* p = mmap(nullptr, sizeof(std::atomic<int64_t>), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    *error = "cannot create the process counter";
    return false;
  }
  g_count = new (p) std::atomic<int64_t>(1);
  return true;
}

bool reserve(unsigned limit) {
  if (g_count == nullptr) return true;
  int64_t n = g_count->load();
  do {
    if (limit != 0 && n >= static_cast<int64_t>(limit)) return false;
  } while (!g_count->compare_exchange_weak(n, n + 1));
  return true;
}

void release() {
  if (g_count != nullptr) g_count->fetch_sub(1);
}
}  // namespace process_count

uint64_t GuestClock::monotonic_ns() {
  uint64_t t;
  if (deterministic_) {
    // Virtual time: one microsecond per observation, identical every run.
    t = __atomic_add_fetch(&virtual_ns_, 1000, __ATOMIC_RELAXED);
  } else {
    static const uint64_t origin = [] {
      timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
    }();
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t = uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec) - origin;
  }
  return precision_ > 1 ? t - t % precision_ : t;
}

}  // namespace capvm::vm
