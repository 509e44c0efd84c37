// FdTable: adoption of launcher fds (type detection, rights), lookups.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <csignal>
#include <cerrno>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "hostio/fd_table.h"
#include "hostio/fd_table_lock.h"
#include "lock_exclusion.h"
#include "rights/rights.h"

using namespace capvm;
using namespace capvm::abi;
using capvm::hostio::FdEntryPtr;
using capvm::hostio::FdTable;

namespace {

vm::FdGrant grant(uint32_t guest, int host) {
  vm::FdGrant g;
  g.guest_fd = guest;
  g.host_fd = host;
  return g;
}

bool host_fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

// An entry for insert/insert_at: host fd `fd` (owned), socket_stream.
std::shared_ptr<hostio::FdEntry> entry(int fd, Rights base = 0) {
  auto e = std::make_shared<hostio::FdEntry>();
  e->set_host(std::make_shared<hostio::HostFd>(fd));
  e->filetype = FILETYPE_SOCKET_STREAM;
  e->rights_base = base;
  return e;
}

}  // namespace

TEST_CASE("adopt detects the file type and gives the type's maximum rights") {
  FdTable t;
  int p[2];
  REQUIRE(pipe(p) == 0);
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
  int ss[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, ss) == 0);
  const int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
  const int null = open("/dev/null", O_RDWR);
  char tmpl[] = "/tmp/capvm-fdtable-XXXXXX";
  const int file = mkstemp(tmpl);
  REQUIRE(file >= 0);
  unlink(tmpl);
  REQUIRE(t.adopt(grant(0, p[0])) == E_SUCCESS);
  REQUIRE(t.adopt(grant(1, p[1])) == E_SUCCESS);
  REQUIRE(t.adopt(grant(2, sv[0])) == E_SUCCESS);
  REQUIRE(t.adopt(grant(3, ss[0])) == E_SUCCESS);
  REQUIRE(t.adopt(grant(4, dir)) == E_SUCCESS);
  REQUIRE(t.adopt(grant(5, null)) == E_SUCCESS);
  REQUIRE(t.adopt(grant(7, file)) == E_SUCCESS);
  // The pipe's read end is O_RDONLY and its write end O_WRONLY: each loses
  // the other side's rights (rights::limit_by_access).
  const struct {
    uint32_t fd;
    uint8_t type;
    bool r, w;
  } expect[] = {{0, FILETYPE_SOCKET_STREAM, true, false}, {1, FILETYPE_SOCKET_STREAM, false, true},
                {2, FILETYPE_SOCKET_DGRAM, true, true},   {3, FILETYPE_SOCKET_STREAM, true, true},
                {4, FILETYPE_DIRECTORY, true, false},     {5, FILETYPE_CHARACTER_DEVICE, true, true},
                {7, FILETYPE_REGULAR_FILE, true, true}};
  for (const auto& x : expect) {
    INFO("fd " << x.fd);
    FdEntryPtr e;
    REQUIRE(t.lookup(x.fd, 0, &e) == E_SUCCESS);
    CHECK(e->filetype == x.type);
    CHECK(e->rights_base == (rights::max_base(x.type) & rights::limit_by_access(x.type, x.r, x.w)));
    CHECK(e->rights_inheriting == rights::max_inheriting(x.type));
  }
  CHECK(t.size() == 7);
  close(sv[1]);
  close(ss[1]);
}

TEST_CASE("adopt with explicit rights: within the type only") {
  FdTable t;
  int p[2];
  REQUIRE(pipe(p) == 0);
  vm::FdGrant g = grant(3, p[1]);
  g.has_rights = true;
  g.rights_base = RIGHT_FD_WRITE;
  REQUIRE(t.adopt(g) == E_SUCCESS);
  FdEntryPtr e;
  REQUIRE(t.lookup(3, RIGHT_FD_WRITE, &e) == E_SUCCESS);
  CHECK(e->rights_base == RIGHT_FD_WRITE);
  CHECK(t.lookup(3, RIGHT_FD_READ, &e) == E_NOTCAPABLE);

  vm::FdGrant bad = grant(4, p[0]);
  bad.has_rights = true;
  bad.rights_base = RIGHT_FD_READ | 0x800;  // undefined bit
  CHECK(t.adopt(bad) == E_INVAL);
  CHECK_FALSE(host_fd_open(p[0]));  // owned even on failure

  int q[2];
  REQUIRE(pipe(q) == 0);
  vm::FdGrant beyond = grant(5, q[0]);
  beyond.has_rights = true;
  beyond.rights_base = RIGHT_FD_READ | RIGHT_FILE_OPEN;  // not a pipe right
  CHECK(t.adopt(beyond) == E_NOTCAPABLE);
  close(q[1]);
}

TEST_CASE("adopt refuses bad host fds, reserved and duplicate guest numbers") {
  FdTable t;
  CHECK(t.adopt(grant(0, -1)) == E_BADF);
  CHECK(t.adopt(grant(0, 1 << 20)) == E_BADF);
  int p[2];
  REQUIRE(pipe(p) == 0);
  CHECK(t.adopt(grant(0xffffffffu, p[0])) == E_INVAL);
  REQUIRE(t.adopt(grant(1, p[1])) == E_SUCCESS);
  int q[2];
  REQUIRE(pipe(q) == 0);
  CHECK(t.adopt(grant(1, q[0])) == E_INVAL);
  close(q[1]);
  CHECK(t.size() == 1);
}

TEST_CASE("lookup: EBADF for unknown fds, ENOTCAPABLE for missing rights") {
  FdTable t;
  FdEntryPtr e;
  CHECK(t.lookup(0, 0, &e) == E_BADF);
  CHECK(t.lookup(0xffffffffu, 0, &e) == E_BADF);
  int p[2];
  REQUIRE(pipe(p) == 0);
  REQUIRE(t.adopt(grant(9, p[0])) == E_SUCCESS);
  close(p[1]);
  CHECK(t.lookup(9, RIGHT_FD_READ, &e) == E_SUCCESS);
  CHECK(t.lookup(9, RIGHT_FD_SEEK, &e) == E_NOTCAPABLE);
  CHECK(t.lookup(9, RIGHT_FD_READ | RIGHT_MEM_MAP, &e) == E_NOTCAPABLE);
}

TEST_CASE("close: an entry in use keeps its host fd open") {
  FdTable t;
  int p[2];
  REQUIRE(pipe(p) == 0);
  REQUIRE(t.adopt(grant(0, p[0])) == E_SUCCESS);
  FdEntryPtr held;
  REQUIRE(t.lookup(0, 0, &held) == E_SUCCESS);
  REQUIRE(t.close(0) == E_SUCCESS);
  CHECK(t.close(0) == E_BADF);
  CHECK(host_fd_open(p[0]));
  held.reset();
  CHECK_FALSE(host_fd_open(p[0]));
  close(p[1]);
}

TEST_CASE("close: the last reference closes the host fd itself; dups and process fds keep theirs") {
  // FdTable::close closes the host descriptor directly when it holds the
  // last reference to the entry and to its HostFd; otherwise the last
  // holder's ~HostFd does, and for a process descriptor always ~HostFd,
  // which also kills and reaps the child.
  FdTable t;
  int p[2];
  REQUIRE(pipe(p) == 0);
  Fd a = 0, b = 0;
  REQUIRE(t.insert(entry(p[0]), &a) == E_SUCCESS);
  REQUIRE(t.dup(a, &b) == E_SUCCESS);
  REQUIRE(t.close(a) == E_SUCCESS);
  CHECK(host_fd_open(p[0]));  // the dup still has it
  REQUIRE(t.close(b) == E_SUCCESS);
  CHECK_FALSE(host_fd_open(p[0]));
  CHECK(t.close(b) == E_BADF);

  // Two entries sharing one HostFd (fd_stat_put's copies): the same.
  auto first = entry(p[1]);
  auto second = std::make_shared<hostio::FdEntry>(*first);
  Fd c = 0, d = 0;
  REQUIRE(t.insert(first, &c) == E_SUCCESS);
  REQUIRE(t.insert(second, &d) == E_SUCCESS);
  first.reset();
  second.reset();
  REQUIRE(t.close(c) == E_SUCCESS);
  CHECK(host_fd_open(p[1]));
  REQUIRE(t.close(d) == E_SUCCESS);
  CHECK_FALSE(host_fd_open(p[1]));

  // replace lets go of the entry it overwrites the same way.
  int q[2];
  REQUIRE(pipe(q) == 0);
  Fd f = 0, g = 0;
  REQUIRE(t.insert(entry(q[0]), &f) == E_SUCCESS);
  REQUIRE(t.insert(entry(q[1]), &g) == E_SUCCESS);
  REQUIRE(t.replace(f, g) == E_SUCCESS);
  CHECK_FALSE(host_fd_open(q[1]));
  CHECK(host_fd_open(q[0]));
  REQUIRE(t.close(f) == E_SUCCESS);
  CHECK(host_fd_open(q[0]));  // g still has it
  REQUIRE(t.close(g) == E_SUCCESS);
  CHECK_FALSE(host_fd_open(q[0]));

  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  if (pidfd < 0) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    WARN("no pidfd_open on this kernel: the process descriptor case is not run");
    return;
  }
  auto proc = std::make_shared<hostio::FdEntry>();
  proc->set_host(std::make_shared<hostio::HostFd>(pidfd, true));
  proc->filetype = FILETYPE_PROCESS;
  Fd e = 0;
  REQUIRE(t.insert(std::move(proc), &e) == E_SUCCESS);
  REQUIRE(t.close(e) == E_SUCCESS);
  CHECK_FALSE(host_fd_open(pidfd));
  errno = 0;
  const pid_t waited = waitpid(child, nullptr, WNOHANG);
  CHECK(waited == -1);  // killed and reaped by ~HostFd
  CHECK(errno == ECHILD);
  if (waited == 0) {  // still there (the check failed): do not leave it behind
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
}

TEST_CASE("insert takes the lowest free number") {
  FdTable t;
  int p[2];
  REQUIRE(pipe(p) == 0);
  REQUIRE(t.adopt(grant(0, p[0])) == E_SUCCESS);
  REQUIRE(t.adopt(grant(2, p[1])) == E_SUCCESS);
  int q[2];
  REQUIRE(pipe(q) == 0);
  Fd n = 99;
  REQUIRE(t.insert(entry(q[0]), &n) == E_SUCCESS);
  CHECK(n == 1);
  REQUIRE(t.insert(entry(q[1]), &n) == E_SUCCESS);
  CHECK(n == 3);
  // Numbers freed below the last insert are found again, lowest first;
  // numbers taken by adopt or insert_at meanwhile are skipped.
  REQUIRE(t.close(3) == E_SUCCESS);
  REQUIRE(t.close(0) == E_SUCCESS);
  int r[2];
  REQUIRE(pipe(r) == 0);
  REQUIRE(t.insert_at(4, entry(r[0])) == E_SUCCESS);
  REQUIRE(t.insert(entry(dup(r[1])), &n) == E_SUCCESS);
  CHECK(n == 0);
  REQUIRE(t.insert(entry(dup(r[1])), &n) == E_SUCCESS);
  CHECK(n == 3);
  REQUIRE(t.insert(entry(r[1]), &n) == E_SUCCESS);
  CHECK(n == 5);
}

TEST_CASE("numbers far apart: dense and sparse slots behave alike") {
  // Numbers below FdSlots::kInline are in the table, those below kDense a
  // vector, the rest a map: adopt, lookup, replace, close and the lowest
  // free number across all three.
  FdTable t;
  const Fd numbers[] = {0,
                        hostio::FdSlots::kInline - 1,
                        hostio::FdSlots::kInline,
                        hostio::FdSlots::kDense - 1,
                        hostio::FdSlots::kDense,
                        70000,
                        0xfffffffe};
  for (Fd n : numbers) {
    int p[2];
    REQUIRE(pipe(p) == 0);
    close(p[1]);
    INFO("fd " << n);
    REQUIRE(t.insert_at(n, entry(p[0], RIGHT_FD_READ)) == E_SUCCESS);
    CHECK(t.insert_at(n, entry(dup(p[0]), RIGHT_FD_READ)) == E_BADF);  // taken (its copy closes)
  }
  CHECK(t.size() == 7);
  CHECK(t.insert_at(kMapAnonFd, entry(dup(2), RIGHT_FD_READ)) == E_BADF);
  for (Fd n : numbers) {
    hostio::FdEntryPtr e;
    INFO("fd " << n);
    CHECK(t.lookup(n, RIGHT_FD_READ, &e) == E_SUCCESS);
  }
  for (Fd n : {Fd{1}, hostio::FdSlots::kInline - 2, hostio::FdSlots::kInline + 1,
               hostio::FdSlots::kDense - 2, hostio::FdSlots::kDense + 1, Fd{70001}}) {
    hostio::FdEntryPtr e;
    INFO("free fd " << n);
    CHECK(t.lookup(n, 0, &e) == E_BADF);
  }
  // Closing across the boundaries, then the lowest free number from each.
  REQUIRE(t.close(hostio::FdSlots::kInline - 1) == E_SUCCESS);
  REQUIRE(t.close(hostio::FdSlots::kInline) == E_SUCCESS);
  CHECK(t.size() == 5);
  // replace from the sparse part into the dense one and back.
  hostio::FdEntryPtr a, b;
  REQUIRE(t.lookup(70000, 0, &a) == E_SUCCESS);
  REQUIRE(t.replace(70000, 0) == E_SUCCESS);
  REQUIRE(t.lookup(0, 0, &b) == E_SUCCESS);
  CHECK(a == b);
  REQUIRE(t.replace(hostio::FdSlots::kDense - 1, 0xfffffffe) == E_SUCCESS);
  // Every number below kDense - 1 but 0 is free: insert fills 1 first.
  Fd n = 0;
  REQUIRE(t.insert(entry(dup(0), RIGHT_FD_READ), &n) == E_SUCCESS);
  CHECK(n == 1);
  REQUIRE(t.close(70000) == E_SUCCESS);
  CHECK(t.close(70000) == E_BADF);
  REQUIRE(t.close(hostio::FdSlots::kDense) == E_SUCCESS);
  CHECK(t.size() == 4);
  hostio::FdEntryPtr gone;
  CHECK(t.lookup(hostio::FdSlots::kDense, 0, &gone) == E_BADF);
}

TEST_CASE("an entry's copies of its host fd and kind follow its HostFd") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  close(p[1]);
  auto host = std::make_shared<hostio::HostFd>(p[0]);
  hostio::FdEntry a;
  CHECK(a.host_fd() == -1);
  a.set_host(host);
  CHECK(a.host_fd() == p[0]);
  CHECK(a.kind() == hostio::HostFd::Kind::kUnknown);
  // A copy (an entry whose rights changed) and a dup sharing the HostFd.
  const hostio::FdEntry copy = a;
  hostio::FdEntry dup;
  dup.set_host(host);
  a.set_kind(hostio::HostFd::Kind::kNotSocket);
  CHECK(a.kind() == hostio::HostFd::Kind::kNotSocket);
  CHECK(host->kind() == hostio::HostFd::Kind::kNotSocket);
  CHECK(copy.kind() == hostio::HostFd::Kind::kNotSocket);  // learnt through the HostFd
  CHECK(dup.kind() == hostio::HostFd::Kind::kNotSocket);
  CHECK(copy.host_fd() == p[0]);
  // An entry made after the kind was learnt starts with it.
  hostio::FdEntry later;
  later.set_host(host);
  CHECK(later.kind() == hostio::HostFd::Kind::kNotSocket);
}

TEST_CASE("insert past every dense number continues in the sparse ones") {
  FdTable t;
  int p[2];
  REQUIRE(pipe(p) == 0);
  close(p[1]);
  Fd n = 0;
  for (Fd i = 0; i < hostio::FdSlots::kDense; ++i) {
    REQUIRE(t.insert(entry(dup(p[0])), &n) == E_SUCCESS);
    REQUIRE(n == i);
  }
  REQUIRE(t.insert_at(hostio::FdSlots::kDense + 1, entry(dup(p[0]))) == E_SUCCESS);
  REQUIRE(t.insert(entry(dup(p[0])), &n) == E_SUCCESS);
  CHECK(n == hostio::FdSlots::kDense);
  REQUIRE(t.insert(entry(p[0]), &n) == E_SUCCESS);
  CHECK(n == hostio::FdSlots::kDense + 2);
  REQUIRE(t.close(7) == E_SUCCESS);
  REQUIRE(t.insert(entry(dup(0)), &n) == E_SUCCESS);
  CHECK(n == 7);
}

TEST_CASE("adopt limits rights by the host access mode (sandbox.fds regression)") {
  FdTable t;
  char tmpl[] = "/tmp/capvm-fdtable-XXXXXX";
  const int file = mkstemp(tmpl);
  REQUIRE(file >= 0);
  const int ro = open(tmpl, O_RDONLY);
  const int wo = open(tmpl, O_WRONLY);
  unlink(tmpl);
  close(file);
  REQUIRE(t.adopt(grant(0, ro)) == E_SUCCESS);
  REQUIRE(t.adopt(grant(1, wo)) == E_SUCCESS);
  FdEntryPtr e;
  CHECK(t.lookup(0, RIGHT_FD_WRITE, &e) == E_NOTCAPABLE);
  CHECK(t.lookup(0, RIGHT_FILE_ALLOCATE, &e) == E_NOTCAPABLE);
  CHECK(t.lookup(0, RIGHT_FILE_STAT_FPUT_SIZE, &e) == E_NOTCAPABLE);
  CHECK(t.lookup(0, RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_MEM_MAP, &e) == E_SUCCESS);
  CHECK(t.lookup(1, RIGHT_FD_READ, &e) == E_NOTCAPABLE);
  CHECK(t.lookup(1, RIGHT_MEM_MAP, &e) == E_NOTCAPABLE);
  CHECK(t.lookup(1, RIGHT_PROC_EXEC, &e) == E_NOTCAPABLE);
  CHECK(t.lookup(1, RIGHT_FD_WRITE | RIGHT_FD_SEEK, &e) == E_SUCCESS);
  // Explicit rights are bounded the same way.
  const int ro2 = open("/dev/null", O_RDONLY);
  vm::FdGrant g = grant(2, ro2);
  g.has_rights = true;
  g.rights_base = RIGHT_FD_READ | RIGHT_FD_WRITE;
  REQUIRE(t.adopt(g) == E_SUCCESS);
  CHECK(t.lookup(2, RIGHT_FD_WRITE, &e) == E_NOTCAPABLE);
  CHECK(t.lookup(2, RIGHT_FD_READ, &e) == E_SUCCESS);
}

TEST_CASE("dup and replace keep the entry exactly; replace(x, x) is a no-op") {
  FdTable t;
  const int null = open("/dev/null", O_RDWR);
  vm::FdGrant g = grant(5, null);
  g.has_rights = true;
  g.rights_base = RIGHT_FD_READ;
  REQUIRE(t.adopt(g) == E_SUCCESS);
  Fd d = 99;
  REQUIRE(t.dup(5, &d) == E_SUCCESS);
  CHECK(d == 0);
  FdEntryPtr a, b;
  REQUIRE(t.lookup(5, 0, &a) == E_SUCCESS);
  REQUIRE(t.lookup(0, 0, &b) == E_SUCCESS);
  CHECK(a->rights_base == b->rights_base);
  CHECK(a->host_fd() == b->host_fd());
  CHECK(t.replace(5, 5) == E_SUCCESS);
  CHECK(t.lookup(5, 0, &a) == E_SUCCESS);
  CHECK(t.replace(5, 7) == E_BADF);
  CHECK(t.replace(7, 5) == E_BADF);
  CHECK(t.replace(0xffffffffu, 0xffffffffu) == E_BADF);
  CHECK(t.dup(0xffffffffu, &d) == E_BADF);
  CHECK(t.size() == 2);
}

TEST_CASE("FdTableLock: mutual exclusion under contention, waiters woken") {
  // The descriptor table's lock (hostio/fd_table_lock.h): four threads, each
  // taking it many times around a non-atomic read-modify-write that a lost
  // exclusion would corrupt; sleepers must be woken or the join hangs.
  hostio::FdTableLock lock;
  uint64_t counter = 0;
  constexpr int kThreads = 4, kRounds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        std::lock_guard<hostio::FdTableLock> hold(lock);
        const uint64_t seen = counter;
        if (i % 64 == 0) std::this_thread::yield();  // hold it across a reschedule
        counter = seen + 1;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(counter == uint64_t{kThreads} * kRounds);
}

TEST_CASE("FdTableLock: a lock held across fork is free in the child, and excludes there") {
  // proc_fork holds the table's lock across fork(2) (FdTable::lock_for_fork).
  // The child, single-threaded, must release it for real: its threads would
  // otherwise wait forever. (The elision while single-threaded is
  // fd_table_lock_single_test's.)
  hostio::FdTableLock lock;
  std::thread([] {}).join();  // the parent is multi-threaded from here on
  lock.lock();                // a real lock, held across the fork as proc_fork does
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    alarm(20);  // a lock left held would hang the threads below
    lock.unlock();
    for (int i = 0; i < 3; ++i) {
      lock.lock();
      lock.unlock();
    }
    _exit(hostio::testing::excludes(lock) ? 0 : 1);
  }
  lock.unlock();
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(hostio::testing::excludes(lock));  // and in the parent
}
