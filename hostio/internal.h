// Helpers shared by the syscall handlers in hostio/ (not a public API).
#pragma once

#include <sys/stat.h>
#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

#include "abi/errno.h"
#include "abi/types.h"
#include "hostio/fd_table.h"
#include "hostio/syscall.h"
#include "vm/guest_memory.h"

namespace capvm::hostio::detail {

using abi::Errno;
using vm::GuestAddr;

inline SyscallOutcome fail(Errno e) {
  SyscallOutcome o;
  o.error = e;
  return o;
}
inline SyscallOutcome ok(uint64_t out0 = 0, uint64_t out1 = 0) {
  SyscallOutcome o;
  o.out[0] = out0;
  o.out[1] = out1;
  return o;
}

// Narrow arguments are truncated to their declared width (cloudabi.txt type
// of each input): the bits above are unspecified in both C conventions.
inline uint32_t u32(uint64_t v) { return static_cast<uint32_t>(v); }
inline uint16_t u16(uint64_t v) { return static_cast<uint16_t>(v); }
inline uint8_t u8(uint64_t v) { return static_cast<uint8_t>(v); }

// Like the host's IOV_MAX: bounds the copy-in and the host iovec array.
inline constexpr uint64_t kMaxIovecs = 1024;

// The host iovecs of one call: the first eight in place (on the caller's
// stack, which the call touches anyway), more on the heap. A syscall right
// after a host call pays for every distinct page it touches
// (bench/README.md, "System calls: pages, not instructions").
class HostIovecs {
 public:
  static constexpr size_t kInline = 8;
  HostIovecs() = default;
  HostIovecs(const HostIovecs&) = delete;
  HostIovecs& operator=(const HostIovecs&) = delete;
  void clear() {
    n_ = 0;
    more_.clear();
  }
  void reserve(size_t n) {
    if (n > kInline) more_.reserve(n);
  }
  void push_back(const struct iovec& v) {
    if (n_ < kInline) {
      inline_[n_] = v;
    } else {
      if (n_ == kInline) more_.assign(inline_, inline_ + kInline);
      more_.push_back(v);
    }
    ++n_;
  }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  struct iovec* data() { return n_ <= kInline ? inline_ : more_.data(); }
  const struct iovec& operator[](size_t i) const { return n_ <= kInline ? inline_[i] : more_[i]; }

 private:
  struct iovec inline_[kInline];
  std::vector<struct iovec> more_;
  size_t n_ = 0;
};

// The one guest iovec at `iovs` as a checked host span with protection
// `need` (len 0, unchecked, for an empty buffer): gather_iovecs for an
// iovcnt of 1, without the host iovec array.
Errno one_iovec(vm::GuestMemory& mem, GuestAddr iovs, unsigned need,
                vm::GuestMemory::HostSpan* out);

// Copies the guest iovec array [iovs, iovs + iovcnt) in once and turns
// every buffer into a checked host span with protection `need` (writable
// for reads into the guest). Zero-length buffers are dropped unchecked.
// EINVAL beyond kMaxIovecs or SSIZE_MAX bytes in total, EFAULT for any
// buffer outside guest memory with that protection.
Errno gather_iovecs(vm::GuestMemory& mem, GuestAddr iovs, uint64_t iovcnt, unsigned need,
                    HostIovecs* out);

// Copies a guest path (crange char) in once: ENAMETOOLONG beyond PATH_MAX
// (checked before touching memory), EFAULT when unreadable. The content
// checks (NUL, empty, absolute) are the resolver's (resolve::check_path).
Errno copy_path(vm::GuestMemory& mem, GuestAddr p, uint64_t len, std::string* out);

// Guest-facing groups of syscalls (one file each).
SyscallOutcome sys_fd(SyscallContext& ctx, const SyscallRequest& r);
SyscallOutcome sys_file(SyscallContext& ctx, const SyscallRequest& r);
SyscallOutcome sys_sync(SyscallContext& ctx, const SyscallRequest& r);
SyscallOutcome sys_proc(SyscallContext& ctx, const SyscallRequest& r);
SyscallOutcome sys_sock(SyscallContext& ctx, const SyscallRequest& r);

// Host filestat -> cloudabi.txt struct filestat.
abi::Filestat to_filestat(const struct ::stat& st);
// Host mode -> cloudabi.txt filetype (best effort: regular/dir/link/...).
uint8_t filetype_of_mode(unsigned mode);

// A host descriptor's fdflags as the guest sees them right now (the
// open file description's status flags; shared with dups).
uint16_t live_fdflags(const FdEntry& e);

// fd_stat_put can set dsync/sync on a descriptor, which Linux's F_SETFL
// cannot: they are kept in the entry (fdflags) and honoured after each write.
void sync_after_write(int host_fd, uint16_t fdflags);

// Installs a new host fd with the given type and rights; closes it on
// failure. Process descriptors are killed when their last fd closes.
Errno install(FdTable& fds, int host_fd, uint8_t filetype, abi::Rights base,
              abi::Rights inheriting, abi::Fd* out);

// The fd-rights registry for SCM_RIGHTS (sys_sock.cpp, see there).
void registry_note_sent(int host_fd, uint8_t filetype, abi::Rights base, abi::Rights inheriting);
bool registry_take_received(int host_fd, uint8_t* filetype, abi::Rights* base,
                            abi::Rights* inheriting);

// proc_fork: hold (lock = true) or release every hostio-global mutex around
// fork(2), so the child never inherits one held by a vanished thread.
void sync_fork_lock(bool lock);
void registry_fork_lock(bool lock);

}  // namespace capvm::hostio::detail
