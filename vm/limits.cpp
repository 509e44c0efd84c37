// Limits and clocks (vm/limits.h).
#include "vm/limits.h"

#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace capvm::vm {

namespace {
std::chrono::steady_clock::time_point g_deadline;
bool g_has_deadline = false;
}  // namespace

uint64_t remaining_timeout_ns() {
  if (!g_has_deadline) return 0;
  const auto left = g_deadline - std::chrono::steady_clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  return ns > 0 ? static_cast<uint64_t>(ns) : 1;
}

void start_watchdog(uint64_t timeout_ns, std::function<void()> on_expiry) {
  g_deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  g_has_deadline = true;
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

}  // namespace capvm::vm
