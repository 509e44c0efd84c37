// The guest's file descriptor table: guest fd number -> host descriptor,
// CloudABI file type, rights and fd flags. Thread-safe. Entries are
// immutable and shared: a syscall in progress holds its entry (and so the
// host descriptor) alive even if another thread closes or replaces the
// guest fd meanwhile, so a host fd number is never reused under it.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include <sys/stat.h>

#include "abi/errno.h"
#include "abi/types.h"
#include "hostio/fd_slots.h"
#include "hostio/fd_table_lock.h"
#include "hostio/object_cache.h"
#include "vm/process.h"

namespace capvm::hostio {

// Owns one host descriptor; closes it when the last user lets go.
class HostFd {
 public:
  explicit HostFd(int fd) : fd_(fd) {}
  // A process descriptor (pidfd): when the last guest fd referring to it
  // goes away, the child is sent SIGKILL and reaped (cloudabi.txt
  // proc_fork: "When closed, the child process is automatically signaled
  // with [signal.kill]").
  // Only the process that created the descriptor kills (a forked child
  // closing an inherited copy leaves its sibling alone).
  HostFd(int fd, bool kill_on_close);
  ~HostFd();
  HostFd(const HostFd&) = delete;
  HostFd& operator=(const HostFd&) = delete;
  int get() const { return fd_; }
  // Hands the descriptor over to a caller that closes it itself (the
  // destructor then leaves it alone); -1 for a process descriptor, whose
  // destructor must also signal and reap the child.
  int release_to_close() {
    if (kill_on_close_) return -1;
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

  // Whether the host descriptor is a socket, learnt by the first
  // send(2)/recv(2) on it: guest socket_stream also covers pipes and FIFOs
  // (host_filetype), which answer ENOTSOCK. A descriptor never changes kind.
  enum class Kind : int8_t { kUnknown, kSocket, kNotSocket };
  Kind kind() const { return kind_.load(std::memory_order_relaxed); }
  void set_kind(Kind k) const { kind_.store(k, std::memory_order_relaxed); }

 private:
  int fd_;
  mutable std::atomic<Kind> kind_{Kind::kUnknown};
  bool kill_on_close_ = false;
  int owner_pid_ = 0;
};

// An atomic an entry's copy carries over (std::atomic itself cannot be
// copied): entries are replaced by copies (fd_stat_put, dups), and what an
// entry has learnt or still owes, its copy has and owes too.
template <class T>
struct CopiedAtomic : std::atomic<T> {
  using std::atomic<T>::atomic;
  CopiedAtomic(const CopiedAtomic& o) : std::atomic<T>(o.load()) {}
  CopiedAtomic& operator=(const CopiedAtomic& o) {
    this->store(o.load());
    return *this;
  }
};

// A host O_NONBLOCK the guest did not ask for, still to be cleared. file_open
// opens with O_NONBLOCK so that a FIFO without a peer cannot hang it; on a
// regular file or directory the flag changes no I/O on Linux, so the
// F_SETFL that clears it waits until something reads the host flags or
// hands the host fd on (settle_host_flags). Copies carry the state.
struct PendingNonblockClear {
  mutable CopiedAtomic<bool> pending{false};
};

// file_open leaves learning the type (and with it the type's trim of the
// rights) to the entry's first lookup: that fstat is then usually the one
// the guest asked for anyway (file_stat_fget), or takes the place of the one
// open would have made. Until then `filetype` and `rights_*` are not final;
// FdTable::lookup resolves the entry (once, in place) before it checks
// rights or hands it out, so nothing ever sees them unresolved.
struct DeferredType {
  mutable CopiedAtomic<bool> pending{false};
  abi::Rights dir_inheriting = 0;  // rights::derive_open's inputs
  abi::Rights base = 0;
  abi::Rights inheriting = 0;
  bool readable = false;  // the host access mode it was opened with
  bool writable = false;
  DeferredType() = default;
  DeferredType(const DeferredType&) = default;
  DeferredType& operator=(const DeferredType&) = delete;
};

struct FdEntry {
  PendingNonblockClear nonblock_clear;
  DeferredType deferred;
  uint8_t filetype = abi::FILETYPE_UNKNOWN;
  abi::Rights rights_base = 0;
  abi::Rights rights_inheriting = 0;
  uint16_t fdflags = 0;

  // The host descriptor, shared with the entry's dups. The entry keeps a
  // copy of its number and of its learnt kind beside its other fields: a
  // read or write right after a host call then needs no page of the HostFd
  // (bench/README.md, "System calls: pages, not instructions").
  void set_host(std::shared_ptr<HostFd> h) {
    host_fd_ = h ? h->get() : -1;
    kind_.store(h ? h->kind() : HostFd::Kind::kUnknown, std::memory_order_relaxed);
    host_ = std::move(h);
  }
  const std::shared_ptr<HostFd>& host() const { return host_; }
  int host_fd() const { return host_fd_; }
  HostFd::Kind kind() const {
    HostFd::Kind k = kind_.load(std::memory_order_relaxed);
    if (k == HostFd::Kind::kUnknown) {
      k = host_->kind();  // learnt through a dup of this entry meanwhile?
      if (k != HostFd::Kind::kUnknown) kind_.store(k, std::memory_order_relaxed);
    }
    return k;
  }
  void set_kind(HostFd::Kind k) const {
    kind_.store(k, std::memory_order_relaxed);
    host_->set_kind(k);
  }

 private:
  std::shared_ptr<HostFd> host_;
  int host_fd_ = -1;
  mutable CopiedAtomic<HostFd::Kind> kind_{HostFd::Kind::kUnknown};
};
using FdEntryPtr = std::shared_ptr<const FdEntry>;

// Every FdEntry and HostFd of the table is made by these: their blocks come
// from a per-thread cache of freed ones (hostio/object_cache.h), as a file
// server opens and closes a descriptor on every request.
template <class... Args>
std::shared_ptr<FdEntry> make_fd_entry(Args&&... args) {
  return std::allocate_shared<FdEntry>(ObjectCache<FdEntry>(), std::forward<Args>(args)...);
}
template <class... Args>
std::shared_ptr<HostFd> make_host_fd(Args&&... args) {
  return std::allocate_shared<HostFd>(ObjectCache<HostFd>(), std::forward<Args>(args)...);
}

// CloudABI file type of host descriptor `host_fd` (fstat, and SO_TYPE for
// sockets; pipes and FIFOs are socket_stream). FILETYPE_UNKNOWN when it
// cannot be classified; EBADF when the descriptor is not open.
abi::Errno host_filetype(int host_fd, uint8_t* type);
// The same from an fstat of it already made.
uint8_t filetype_from_stat(int host_fd, const struct stat& st);
// The name capvm gives the memfds behind fd_create1(shared_memory), so a
// shared memory object can be told from a regular file after exec or
// fd passing (host_filetype reads /proc/self/fd).
inline constexpr const char* kSharedMemoryName = "capvm-shm";
// Clears a deferred host O_NONBLOCK (FdEntry::nonblock_clear) before the
// host flags are read or the host fd leaves this entry (fd_stat_get/put,
// sock_send, proc_exec, proc_fork). Cheap when nothing is pending.
void settle_host_flags(const FdEntry& e);
// CloudABI fdflags matching the host descriptor's status flags.
uint16_t host_fdflags(int host_fd);
// The same from flags already read with F_GETFL (negative: none).
uint16_t fdflags_from_host_flags(int host_flags);
// Whether F_GETFL flags allow reading and writing (O_PATH: neither).
void access_from_host_flags(int host_flags, bool* readable, bool* writable);

class FdTable {
 public:
  FdTable() = default;
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;

  // Takes ownership of grant.host_fd (closed on failure too) and installs
  // it as grant.guest_fd. Rights: the type's maximum unless has_rights,
  // else the explicit rights, refused when they hold undefined bits
  // (EINVAL) or exceed the type (ENOTCAPABLE). EBADF for a host fd that is
  // not open, EINVAL for guest fd 0xffffffff (reserved: map_anon_fd) or a
  // guest fd already in use.
  abi::Errno adopt(const vm::FdGrant& grant);

  // Whether the host descriptor is open for reading / writing (F_GETFL
  // access mode; O_PATH is neither).
  static void host_access(int host_fd, bool* readable, bool* writable);

  // The entry for `fd` if it holds every right in `need` (with the
  // implications of rights::satisfies); EBADF for an unknown fd,
  // ENOTCAPABLE when a right is missing.
  abi::Errno lookup(abi::Fd fd, abi::Rights need, FdEntryPtr* out) const;
  // The same; when the lookup had to fstat the host fd to resolve a
  // DeferredType, *st is that result and *fresh true (file_stat_fget then
  // needs no fstat of its own).
  abi::Errno lookup(abi::Fd fd, abi::Rights need, FdEntryPtr* out, struct stat* st,
                    bool* fresh) const;

  // Installs `entry` at the lowest free number; EMFILE when full.
  abi::Errno insert(FdEntryPtr entry, abi::Fd* out);
  // Removes `fd`; EBADF if unknown. The host fd closes once no syscall in
  // progress holds the entry.
  abi::Errno close(abi::Fd fd);
  // Replaces the entry of an existing fd `fd` only if it is still `expected`
  // (fd_stat_put's read-modify-write); EBADF if gone, EAGAIN if changed.
  abi::Errno update(abi::Fd fd, const FdEntryPtr& expected, FdEntryPtr entry);

  // fd_dup: a copy of `from` (same host descriptor, same rights) at the
  // lowest free number.
  abi::Errno dup(abi::Fd from, abi::Fd* out);
  // fd_replace: atomically makes `to` a copy of `from`; both must exist
  // (EBADF). replace(x, x) is a no-op that succeeds.
  abi::Errno replace(abi::Fd from, abi::Fd to);
  // Installs `entry` at exactly `fd` (fails with EBADF if taken); for tests
  // and the exec path.
  abi::Errno insert_at(abi::Fd fd, FdEntryPtr entry);

  // proc_fork: hold the table's lock across fork(2) so the child never
  // inherits it held by a thread that does not exist there. Settles every
  // entry first: parent and child then share no deferred host flag change.
  void lock_for_fork();
  void unlock_after_fork() { mutex_.unlock(); }

  size_t size() const;
  // Upper bound on guest fds (EMFILE beyond).
  static constexpr size_t kMaxFds = 1 << 16;
  // --max-fds: open descriptors allowed (initial ones counted); EMFILE
  // beyond. 0 or more than kMaxFds means kMaxFds.
  void set_limit(size_t limit) { limit_ = limit == 0 || limit > kMaxFds ? kMaxFds : limit; }

 private:
  // A reference to the entry at `fd` (taken under the lock); EBADF if none.
  abi::Errno entry(abi::Fd fd, FdEntryPtr* out) const;

  mutable FdTableLock mutex_;
  FdSlots slots_;
  abi::Fd lowest_free_ = 0;  // every fd below it is in use (insert starts here)
  size_t limit_ = kMaxFds;
};

}  // namespace capvm::hostio
