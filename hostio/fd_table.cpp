// The guest fd table (see fd_table.h).
#include "hostio/fd_table.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "hostio/errno_map.h"
#include "hostio/host_call.h"
#include "rights/rights.h"

namespace capvm::hostio {

HostFd::HostFd(int fd, bool kill_on_close)
    : fd_(fd), kill_on_close_(kill_on_close), owner_pid_(kill_on_close ? getpid() : 0) {}

HostFd::~HostFd() {
  if (fd_ < 0) return;
  if (kill_on_close_ && getpid() == owner_pid_) {
#ifdef SYS_pidfd_send_signal
    // Only our own children are reaped; for anyone else waitid fails with
    // ECHILD and nothing happens beyond the signal.
    if (syscall(SYS_pidfd_send_signal, fd_, SIGKILL, nullptr, 0) == 0) {
      siginfo_t si;
      while (waitid(static_cast<idtype_t>(3) /* P_PIDFD */, static_cast<id_t>(fd_), &si,
                    WEXITED) != 0 &&
             errno == EINTR) {
      }
    }
#endif
  }
  ::close(fd_);
}

namespace {
// What /proc/self/fd/N says the descriptor is ("anon_inode:[pidfd]",
// "/memfd:capvm-shm (deleted)"); empty when unknown.
std::string proc_fd_link(int host_fd) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", host_fd);
  char buf[256];
  const ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}
}  // namespace

namespace {
// The device of pidfs, learned once from a pidfd of our own (0: none, i.e.
// pidfds are anonymous inodes without S_IFREG on this kernel).
bool is_pidfs_device(dev_t dev) {
  static const dev_t pidfs = [] {
    const int fd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
    if (fd < 0) return dev_t{0};
    struct stat st;
    const bool ok = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG;
    close(fd);
    return ok ? st.st_dev : dev_t{0};
  }();
  return pidfs != 0 && dev == pidfs;
}
}  // namespace

abi::Errno host_filetype(int host_fd, uint8_t* type) {
  struct stat st;
  if (fstat(host_fd, &st) != 0) return from_host_errno(errno);
  *type = filetype_from_stat(host_fd, st);
  return abi::E_SUCCESS;
}

uint8_t filetype_from_stat(int host_fd, const struct stat& st) {
  uint8_t type = abi::FILETYPE_UNKNOWN;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: {
      type = abi::FILETYPE_REGULAR_FILE;
      // An unlinked file may be one of our shared memory objects.
      if (st.st_nlink == 0) {
        const std::string link = proc_fd_link(host_fd);
        const std::string want = std::string("/memfd:") + kSharedMemoryName;
        if (link.compare(0, want.size(), want) == 0) type = abi::FILETYPE_SHARED_MEMORY;
      }
      // Newer kernels (pidfs) report pidfds as S_IFREG on their own
      // device: compare devices rather than read /proc for every file.
      if (is_pidfs_device(st.st_dev)) type = abi::FILETYPE_PROCESS;
      break;
    }
    case S_IFDIR: type = abi::FILETYPE_DIRECTORY; break;
    case S_IFCHR: type = abi::FILETYPE_CHARACTER_DEVICE; break;
    case S_IFBLK: type = abi::FILETYPE_BLOCK_DEVICE; break;
    // CloudABI has no pipe type; a pipe is a one-way byte stream.
    case S_IFIFO: type = abi::FILETYPE_SOCKET_STREAM; break;
    case S_IFSOCK: {
      int so_type = 0;
      socklen_t len = sizeof(so_type);
      if (getsockopt(host_fd, SOL_SOCKET, SO_TYPE, &so_type, &len) != 0) break;
      // No seqpacket type in cloudabi.txt: it keeps message boundaries, so
      // it is closest to a datagram socket.
      if (so_type == SOCK_STREAM) type = abi::FILETYPE_SOCKET_STREAM;
      else if (so_type == SOCK_DGRAM || so_type == SOCK_SEQPACKET) type = abi::FILETYPE_SOCKET_DGRAM;
      break;
    }
    default:
      if (proc_fd_link(host_fd) == "anon_inode:[pidfd]") type = abi::FILETYPE_PROCESS;
      break;
  }
  return type;
}

void settle_host_flags(const FdEntry& e) {
  if (!e.nonblock_clear.pending.load(std::memory_order_acquire)) return;
  // One settler at a time: a second caller must not read the host flags
  // between the first one's check and its F_SETFL.
  static FdTableLock settling;  // elided while single-threaded (fd_table_lock.h)
  std::lock_guard<FdTableLock> lock(settling);
  if (!e.nonblock_clear.pending.load(std::memory_order_relaxed)) return;
  const int fl = fcntl(e.host_fd(), F_GETFL);
  if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(e.host_fd(), F_SETFL, fl & ~O_NONBLOCK);
  e.nonblock_clear.pending.store(false, std::memory_order_release);
}

void FdTable::lock_for_fork() {
  mutex_.lock();
  slots_.for_each([](const FdEntry& e) { settle_host_flags(e); });
}

uint16_t host_fdflags(int host_fd) { return fdflags_from_host_flags(fcntl(host_fd, F_GETFL)); }

uint16_t fdflags_from_host_flags(int fl) {
  if (fl < 0) return 0;
  uint16_t r = 0;
  if (fl & O_APPEND) r |= abi::FDFLAG_APPEND;
  if (fl & O_NONBLOCK) r |= abi::FDFLAG_NONBLOCK;
  // Linux: O_SYNC contains the O_DSYNC bit; O_RSYNC == O_SYNC.
  if ((fl & O_SYNC) == O_SYNC) r |= abi::FDFLAG_SYNC;
  else if (fl & O_DSYNC) r |= abi::FDFLAG_DSYNC;
  return r;
}

void FdTable::host_access(int host_fd, bool* readable, bool* writable) {
  access_from_host_flags(fcntl(host_fd, F_GETFL), readable, writable);
}

void access_from_host_flags(int fl, bool* readable, bool* writable) {
  *readable = *writable = false;
  if (fl < 0 || (fl & O_PATH)) return;
  const int acc = fl & O_ACCMODE;
  *readable = acc == O_RDONLY || acc == O_RDWR;
  *writable = acc == O_WRONLY || acc == O_RDWR;
}

abi::Errno FdTable::adopt(const vm::FdGrant& grant) {
  if (grant.host_fd < 0) return abi::E_BADF;
  uint8_t type = abi::FILETYPE_UNKNOWN;
  const abi::Errno type_err = host_filetype(grant.host_fd, &type);
  // Owns the host fd from here (closed on failure too). A process
  // descriptor handed over by exec keeps killing the child when its last
  // guest fd goes away.
  auto host = make_host_fd(grant.host_fd, type_err == 0 && type == abi::FILETYPE_PROCESS);
  if (grant.guest_fd == abi::kMapAnonFd) return abi::E_INVAL;
  if (type_err) return type_err;
  auto e = make_fd_entry();
  e->set_host(std::move(host));
  e->filetype = type;
  rights::RightsPair explicit_rights{grant.rights_base, grant.rights_inheriting};
  rights::RightsPair r;
  if (abi::Errno err = rights::grant(e->filetype, grant.has_rights ? &explicit_rights : nullptr, &r))
    return err;
  // The host access mode bounds the rights: a read-only host fd never holds
  // fd_write (SECURITY.md; sandbox.fds.x86_64 found the gap).
  bool readable = false, writable = false;
  host_access(grant.host_fd, &readable, &writable);
  const abi::Rights limit = rights::limit_by_access(e->filetype, readable, writable);
  e->rights_base = r.base & limit;
  e->rights_inheriting = r.inheriting;
  e->fdflags = host_fdflags(grant.host_fd);
  std::lock_guard<FdTableLock> lock(mutex_);
  if (slots_.size() >= limit_) return abi::E_MFILE;
  if (!slots_.add(grant.guest_fd, std::move(e))) return abi::E_INVAL;
  return abi::E_SUCCESS;
}

namespace {
// Resolves a DeferredType in place (see fd_table.h); the first caller does
// the fstat, later ones find it done. Writes only fields that no one reads
// before this returns: every reader comes through lookup. Inline (its
// fstat is a host call: host_call.h).
[[gnu::always_inline]] inline abi::Errno resolve_type(const FdEntry& e, struct stat* st, bool* fresh) {
  if (!e.deferred.pending.load(std::memory_order_acquire)) return abi::E_SUCCESS;
  static FdTableLock resolving;  // elided while single-threaded (fd_table_lock.h)
  std::lock_guard<FdTableLock> lock(resolving);
  if (!e.deferred.pending.load(std::memory_order_relaxed)) return abi::E_SUCCESS;
  if (host::fstat(e.host_fd(), st) != 0) return from_host_errno(errno);  // inline (host_call.h)
  *fresh = true;
  const uint8_t type = filetype_from_stat(e.host_fd(), *st);
  rights::RightsPair got;
  if (abi::Errno err = rights::derive_open(e.deferred.dir_inheriting,
                                           {e.deferred.base, e.deferred.inheriting}, type, &got))
    return err;  // not reached: file_open checked what does not depend on the type
  got.base &= rights::limit_by_access(type, e.deferred.readable, e.deferred.writable);
  auto& w = const_cast<FdEntry&>(e);  // made non-const by file_open (make_fd_entry)
  w.filetype = type;
  w.rights_base = got.base;
  w.rights_inheriting = got.inheriting;
  // FIFOs and devices block for real without O_NONBLOCK: a deferred clear
  // cannot wait for an observer there (FdEntry::nonblock_clear).
  if (type != abi::FILETYPE_REGULAR_FILE && type != abi::FILETYPE_DIRECTORY) settle_host_flags(e);
  e.deferred.pending.store(false, std::memory_order_release);
  return abi::E_SUCCESS;
}
}  // namespace

namespace {
// Lets go of an entry that has left the table (close, replace). The usual
// case is the last reference to the entry and to its host descriptor (no
// dup, no call in progress holding it; out of the table, neither count can
// grow): the entry is freed first and the host descriptor closed here,
// rather than by ~HostFd at the bottom of the destructors' chain, whose every
// frame would return mispredicted after the host call (host_call.h); for
// the same reason inline into its callers.
[[gnu::always_inline]] inline void release(FdEntryPtr victim) {
  int last = -1;
  if (victim.use_count() == 1 && victim->host() && victim->host().use_count() == 1)
    last = victim->host()->release_to_close();
  victim.reset();
  if (last >= 0) host::close(last);
}
}  // namespace

[[gnu::always_inline]] inline abi::Errno FdTable::entry(abi::Fd fd, FdEntryPtr* out) const {
  std::lock_guard<FdTableLock> lock(mutex_);
  const FdEntryPtr* slot = slots_.find(fd);
  if (slot == nullptr) return abi::E_BADF;
  *out = *slot;
  return abi::E_SUCCESS;
}

namespace {
// resolve_type for a lookup that has no use for the fstat: out of line, so
// the usual lookup (entry resolved long ago) keeps no struct stat on its
// stack, nor the stack protector's check that comes with it.
[[gnu::noinline]] abi::Errno resolve_type_discarding_stat(const FdEntry& e) {
  struct stat st;
  bool fresh = false;
  return resolve_type(e, &st, &fresh);
}
}  // namespace

abi::Errno FdTable::lookup(abi::Fd fd, abi::Rights need, FdEntryPtr* out) const {
  FdEntryPtr e;
  if (abi::Errno err = entry(fd, &e)) return err;
  if (e->deferred.pending.load(std::memory_order_acquire)) {
    if (abi::Errno err = resolve_type_discarding_stat(*e)) return err;
  }
  if (!rights::satisfies(e->rights_base, need)) return abi::E_NOTCAPABLE;
  *out = std::move(e);
  return abi::E_SUCCESS;
}

abi::Errno FdTable::lookup(abi::Fd fd, abi::Rights need, FdEntryPtr* out, struct stat* st,
                           bool* fresh) const {
  *fresh = false;
  FdEntryPtr e;
  if (abi::Errno err = entry(fd, &e)) return err;
  if (abi::Errno err = resolve_type(*e, st, fresh)) return err;
  if (!rights::satisfies(e->rights_base, need)) return abi::E_NOTCAPABLE;
  *out = std::move(e);
  return abi::E_SUCCESS;
}

abi::Errno FdTable::insert(FdEntryPtr entry, abi::Fd* out) {
  std::lock_guard<FdTableLock> lock(mutex_);
  if (slots_.size() >= limit_) return abi::E_MFILE;
  // Every number below the hint is taken: the first gap from it on.
  const abi::Fd n = slots_.first_free(lowest_free_);
  if (!slots_.add(n, std::move(entry))) return abi::E_BADF;  // a null entry
  lowest_free_ = n + 1;
  *out = n;
  return abi::E_SUCCESS;
}

abi::Errno FdTable::close(abi::Fd fd) {
  FdEntryPtr victim;
  {
    std::lock_guard<FdTableLock> lock(mutex_);
    victim = slots_.remove(fd);
    if (!victim) return abi::E_BADF;
    if (fd < lowest_free_) lowest_free_ = fd;
  }
  release(std::move(victim));  // outside the lock: close(2) may block
  return abi::E_SUCCESS;
}

abi::Errno FdTable::update(abi::Fd fd, const FdEntryPtr& expected, FdEntryPtr entry) {
  std::lock_guard<FdTableLock> lock(mutex_);
  FdEntryPtr* slot = slots_.find(fd);
  if (slot == nullptr) return abi::E_BADF;
  if (*slot != expected) return abi::E_AGAIN;
  *slot = std::move(entry);
  return abi::E_SUCCESS;
}

abi::Errno FdTable::dup(abi::Fd from, abi::Fd* out) {
  FdEntryPtr e;
  if (abi::Errno err = entry(from, &e)) return err;
  // Entries are immutable: sharing one keeps rights and host fd exactly.
  return insert(std::move(e), out);
}

abi::Errno FdTable::replace(abi::Fd from, abi::Fd to) {
  FdEntryPtr victim;
  {
    std::lock_guard<FdTableLock> lock(mutex_);
    FdEntryPtr* src = slots_.find(from);
    FdEntryPtr* dst = slots_.find(to);
    if (src == nullptr || dst == nullptr) return abi::E_BADF;
    // cloudabi.txt fd_replace; SECURITY.md: fd_replace(x, x) crashed the
    // original runtime. Here it is a no-op (the entry is replaced by itself).
    if (from == to) return abi::E_SUCCESS;
    victim = std::move(*dst);
    *dst = *src;
  }
  release(std::move(victim));  // outside the lock
  return abi::E_SUCCESS;
}

abi::Errno FdTable::insert_at(abi::Fd fd, FdEntryPtr entry) {
  if (fd == abi::kMapAnonFd) return abi::E_BADF;
  std::lock_guard<FdTableLock> lock(mutex_);
  if (slots_.size() >= limit_) return abi::E_MFILE;
  if (!slots_.add(fd, std::move(entry))) return abi::E_BADF;  // taken, or a null entry
  return abi::E_SUCCESS;
}

size_t FdTable::size() const {
  std::lock_guard<FdTableLock> lock(mutex_);
  return slots_.size();
}

}  // namespace capvm::hostio
