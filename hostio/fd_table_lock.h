// FdTableLock: the descriptor table's mutex. Every guest system call that
// names a descriptor takes it once or twice, almost always uncontended, so
// its fast paths are inline: one compare-and-swap to take it, one exchange
// to give it back, no call into libc (pthread_mutex_lock's type dispatch,
// and its text, GOT entry and data pages after a host system call, which
// leaves the TLB empty on this host; bench/README.md, "System calls: pages,
// not instructions"). Contended, a waiter sleeps on a futex: the classic
// three-state lock (0 free, 1 held, 2 held with waiters; U. Drepper,
// "Futexes Are Tricky", mutex 2). Satisfies BasicLockable, so
// std::lock_guard works with it.
#pragma once

#include <atomic>
#include <cstdint>

namespace capvm::hostio {

class FdTableLock {
 public:
  FdTableLock() = default;
  FdTableLock(const FdTableLock&) = delete;
  FdTableLock& operator=(const FdTableLock&) = delete;

  void lock() {
    uint32_t c = 0;
    if (state_.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed))
      return;
    lock_contended(c);
  }
  void unlock() {
    if (state_.exchange(0, std::memory_order_release) == 2) wake_one();
  }

 private:
  void lock_contended(uint32_t seen);
  void wake_one();

  std::atomic<uint32_t> state_{0};
};

}  // namespace capvm::hostio
