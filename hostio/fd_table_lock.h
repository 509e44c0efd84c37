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

#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define CAPVM_HAVE_SINGLE_THREADED 1
#else
#define CAPVM_HAVE_SINGLE_THREADED 0
#endif

namespace capvm::hostio {

class FdTableLock {
 public:
  FdTableLock() = default;
  FdTableLock(const FdTableLock&) = delete;
  FdTableLock& operator=(const FdTableLock&) = delete;

  void lock() {
    // A process with one thread has no one to exclude: glibc's flag goes
    // false at the first pthread_create (which no critical section of the
    // table makes) and never back. The lock is then left untouched, two
    // atomic read-modify-writes (~40 cycles) less on every descriptor
    // lookup of a single-threaded guest (the web server's case).
    if (single_threaded()) return;
    uint32_t c = 0;
    if (state_.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed))
      return;
    lock_contended(c);
  }
  void unlock() {
    // 0: the lock() was elided (a holder always sees its own 1 or 2).
    // Decided by the state, not the flag: a lock taken for real and then
    // held across fork(2) (proc_fork) is released for real in the child,
    // even by a C library that marks the child single-threaded (glibc 2.36
    // does not).
    if (state_.load(std::memory_order_relaxed) == 0) return;
    if (state_.exchange(0, std::memory_order_release) == 2) wake_one();
  }

 private:
  static bool single_threaded() {
#if CAPVM_HAVE_SINGLE_THREADED
    return __libc_single_threaded != 0;
#else
    return false;
#endif
  }
  void lock_contended(uint32_t seen);
  void wake_one();

  std::atomic<uint32_t> state_{0};
};

}  // namespace capvm::hostio
