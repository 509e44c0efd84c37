// Limits and clocks (vm/limits.h).
#include "vm/limits.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
int g_fd = -1;
}

bool init(unsigned limit, int inherited_fd, std::string* error) {
  constexpr size_t kSize = sizeof(std::atomic<int64_t>);
  int fd = inherited_fd;
  if (fd < 0) {
    if (limit == 0) return true;  // nothing to count against
    fd = memfd_create("capvm-processes", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, kSize) != 0) {
      if (fd >= 0) close(fd);
      *error = "cannot create the process counter";
      return false;
    }
  } else {
    // Handed over by proc_exec: exactly one counter word, nothing else.
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != static_cast<off_t>(kSize)) {
      *error = "proc_exec: bad process counter";
      return false;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    close(fd);
    *error = "cannot map the process counter";
    return false;
  }
  // A fresh memfd reads as zero; an inherited one keeps its count (this
  // process was counted before it exec'ed).
  g_count = inherited_fd < 0 ? new (p) std::atomic<int64_t>(1) : static_cast<std::atomic<int64_t>*>(p);
  g_fd = fd;
  return true;
}

int fd() { return g_fd; }

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
