// FdTableLock in a process that has one thread: lock and unlock are elided
// (hostio/fd_table_lock.h), and once a second thread exists the lock
// excludes for real. Its own executable: the flag it relies on
// (__libc_single_threaded) goes false for good at the first thread, which
// other test cases make.
#include <catch2/catch.hpp>

#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#endif

#include "hostio/fd_table_lock.h"
#include "lock_exclusion.h"

using capvm::hostio::FdTableLock;

TEST_CASE("FdTableLock: elided while the process has one thread, exclusive once it has more") {
#if CAPVM_HAVE_SINGLE_THREADED
  REQUIRE(__libc_single_threaded != 0);
  FdTableLock lock;
  // Elided: taking it twice does not wait (a real lock would hang here).
  lock.lock();
  lock.lock();
  lock.unlock();
  lock.unlock();
  // Threads from here on: the same lock must now exclude.
  CHECK(capvm::hostio::testing::excludes(lock));
  CHECK(__libc_single_threaded == 0);
#else
  SUCCEED("no __libc_single_threaded: the lock is never elided");
#endif
}
