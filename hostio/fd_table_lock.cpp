// FdTableLock's slow paths (see fd_table_lock.h).
#include "hostio/fd_table_lock.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace capvm::hostio {

namespace {
// The kernel sees the atomic's own address as the futex word.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "a futex word is 32 bits");
static_assert(std::atomic<uint32_t>::is_always_lock_free, "a futex word is a plain word");

long futex(std::atomic<uint32_t>* word, int op, uint32_t value) {
  return syscall(SYS_futex, static_cast<void*>(word), op | FUTEX_PRIVATE_FLAG, value, nullptr,
                 nullptr, 0);
}
}  // namespace

void FdTableLock::lock_contended(uint32_t seen) {
  // Announce a waiter (2) before sleeping, so the holder's unlock wakes us;
  // taking it from 0 with 2 costs at most one needless wake later.
  if (seen != 2) seen = state_.exchange(2, std::memory_order_acquire);
  while (seen != 0) {
    futex(&state_, FUTEX_WAIT, 2);  // returns at once unless still 2
    seen = state_.exchange(2, std::memory_order_acquire);
  }
}

void FdTableLock::wake_one() { futex(&state_, FUTEX_WAKE, 1); }

}  // namespace capvm::hostio
