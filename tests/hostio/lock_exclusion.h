// excludes(lock): whether `lock` excludes for real. Two threads take it many
// times around a non-atomic read-modify-write, which a lost exclusion would
// corrupt (and sleepers not woken would hang). Starting the threads also
// makes the process multi-threaded for good (glibc's __libc_single_threaded),
// which FdTableLock's elision depends on.
#pragma once

#include <cstdint>
#include <mutex>
#include <thread>

#include "hostio/fd_table_lock.h"

namespace capvm::hostio::testing {

inline bool excludes(FdTableLock& lock) {
  uint64_t counter = 0;
  constexpr int kRounds = 20000;
  auto body = [&] {
    for (int i = 0; i < kRounds; ++i) {
      std::lock_guard<FdTableLock> hold(lock);
      const uint64_t seen = counter;
      if (i % 64 == 0) std::this_thread::yield();  // hold it across a reschedule
      counter = seen + 1;
    }
  };
  std::thread a(body), b(body);
  a.join();
  b.join();
  return counter == 2 * uint64_t{kRounds};
}

}  // namespace capvm::hostio::testing
