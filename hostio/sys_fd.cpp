// Descriptor syscalls: fd_create1, fd_create2, fd_datasync, fd_dup,
// fd_pread, fd_pwrite, fd_replace, fd_seek, fd_stat_put, fd_sync
// (cloudabi.txt, syscall fd_*). fd_read, fd_write, fd_close and fd_stat_get
// are in syscall.cpp.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "abi/syscalls.h"
#include "hostio/errno_map.h"
#include "hostio/internal.h"
#include "rights/rights.h"

namespace capvm::hostio::detail {

namespace {

using abi::Fd;

// cloudabi.txt fd_create1: filetype.shared_memory is the only type.
SyscallOutcome fd_create1(SyscallContext& ctx, const SyscallRequest& r) {
  if (u8(r.args[0]) != abi::FILETYPE_SHARED_MEMORY) return fail(abi::E_INVAL);
  const int h = memfd_create(kSharedMemoryName, MFD_CLOEXEC);
  if (h < 0) return fail(from_host_errno(errno));
  Fd fd;
  const uint8_t t = abi::FILETYPE_SHARED_MEMORY;
  if (Errno e = install(ctx.fds, h, t, rights::max_base(t), rights::max_inheriting(t), &fd))
    return fail(e);
  return ok(fd);
}

// cloudabi.txt fd_create2: socket_dgram / socket_stream UNIX socket pairs.
SyscallOutcome fd_create2(SyscallContext& ctx, const SyscallRequest& r) {
  const uint8_t t = u8(r.args[0]);
  int kind;
  if (t == abi::FILETYPE_SOCKET_DGRAM) kind = SOCK_DGRAM;
  else if (t == abi::FILETYPE_SOCKET_STREAM) kind = SOCK_STREAM;
  else return fail(abi::E_INVAL);
  int sv[2];
  if (socketpair(AF_UNIX, kind | SOCK_CLOEXEC, 0, sv) != 0) return fail(from_host_errno(errno));
  Fd a, b;
  // No inheriting rights: an fd of unknown origin received on a guest-made
  // pair gets none (sys_sock.cpp).
  if (Errno e = install(ctx.fds, sv[0], t, rights::max_base(t), 0, &a)) {
    close(sv[1]);
    return fail(e);
  }
  if (Errno e = install(ctx.fds, sv[1], t, rights::max_base(t), 0, &b)) {
    ctx.fds.close(a);
    return fail(e);
  }
  return ok(a, b);
}

SyscallOutcome fd_sync_common(SyscallContext& ctx, const SyscallRequest& r, bool data_only) {
  FdEntryPtr fd;
  const abi::Rights need = data_only ? abi::RIGHT_FD_DATASYNC : abi::RIGHT_FD_SYNC;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), need, &fd)) return fail(e);
  const int rc = data_only ? fdatasync(fd->host_fd()) : fsync(fd->host_fd());
  if (rc != 0) return fail(from_host_errno(errno));
  return ok();
}

SyscallOutcome fd_dup(SyscallContext& ctx, const SyscallRequest& r) {
  Fd out;
  if (Errno e = ctx.fds.dup(u32(r.args[0]), &out)) return fail(e);
  return ok(out);
}

SyscallOutcome fd_replace(SyscallContext& ctx, const SyscallRequest& r) {
  return fail(ctx.fds.replace(u32(r.args[0]), u32(r.args[1])));
}

// fd_pread / fd_pwrite: rights fd_read / fd_write plus fd_seek
// (cloudabi.txt rights.fd_read "If rights.fd_seek is set, includes the
// right to invoke fd_pread").
SyscallOutcome fd_positioned(SyscallContext& ctx, const SyscallRequest& r, bool write) {
  FdEntryPtr fd;
  const abi::Rights need = (write ? abi::RIGHT_FD_WRITE : abi::RIGHT_FD_READ) | abi::RIGHT_FD_SEEK;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), need, &fd)) return fail(e);
  const uint64_t offset = r.args[3];
  if (offset > static_cast<uint64_t>(LLONG_MAX)) return fail(abi::E_INVAL);
  HostIovecs iov;
  if (Errno e = gather_iovecs(ctx.mem, r.args[1], r.args[2], write ? vm::kProtRead : vm::kProtWrite,
                              &iov))
    return fail(e);
  if (iov.empty()) return ok(0);
  const ssize_t n = write ? pwritev(fd->host_fd(), iov.data(), static_cast<int>(iov.size()),
                                    static_cast<off_t>(offset))
                          : preadv(fd->host_fd(), iov.data(), static_cast<int>(iov.size()),
                                   static_cast<off_t>(offset));
  if (n < 0) return fail(from_host_errno(errno));
  if (write) sync_after_write(fd->host_fd(), fd->fdflags);
  return ok(static_cast<uint64_t>(n));
}

SyscallOutcome fd_seek(SyscallContext& ctx, const SyscallRequest& r) {
  const int64_t offset = static_cast<int64_t>(r.args[1]);
  const uint8_t whence = u8(r.args[2]);
  int how;
  switch (whence) {  // cloudabi.txt enum uint8 whence
    case abi::WHENCE_CUR: how = SEEK_CUR; break;
    case abi::WHENCE_END: how = SEEK_END; break;
    case abi::WHENCE_SET: how = SEEK_SET; break;
    default: return fail(abi::E_INVAL);
  }
  FdEntryPtr fd;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), rights::for_fd_seek(offset, whence), &fd))
    return fail(e);
  const off_t n = lseek(fd->host_fd(), static_cast<off_t>(offset), how);
  if (n < 0) return fail(from_host_errno(errno));
  return ok(static_cast<uint64_t>(n));
}

// cloudabi.txt fd_stat_put. fdsflags.flags: fd_stat_put_flags, plus the
// sync rights for newly set dsync/rsync/sync, plus fd_seek to clear append
// (SECURITY.md: the original runtime checked neither). fdsflags.rights:
// rights only shrink. Exactly one of the two per call, as on FreeBSD.
SyscallOutcome fd_stat_put(SyscallContext& ctx, const SyscallRequest& r) {
  const uint16_t which = u16(r.args[2]);
  if (which != abi::FDSTAT_FLAGS && which != abi::FDSTAT_RIGHTS) return fail(abi::E_INVAL);
  abi::Fdstat want;
  if (Errno e = ctx.mem.read_obj(r.args[1], &want)) return fail(e);  // copied in once
  const Fd number = u32(r.args[0]);
  if (which == abi::FDSTAT_FLAGS && (want.fs_flags & ~abi::kFdflagsAll)) return fail(abi::E_INVAL);
  for (int attempt = 0; attempt < 64; ++attempt) {
    FdEntryPtr cur;
    if (Errno e = ctx.fds.lookup(number, 0, &cur)) return fail(e);
    settle_host_flags(*cur);  // the copy below starts settled
    auto next = make_fd_entry(*cur);
    if (which == abi::FDSTAT_RIGHTS) {
      rights::RightsPair out;
      if (Errno e = rights::shrink({cur->rights_base, cur->rights_inheriting},
                                   {want.fs_rights_base, want.fs_rights_inheriting}, &out))
        return fail(e);
      next->rights_base = out.base;
      next->rights_inheriting = out.inheriting;
    } else {
      const uint16_t old_flags = live_fdflags(*cur);
      const abi::Rights need = rights::for_fd_stat_put(which, old_flags, want.fs_flags);
      if (!rights::satisfies(cur->rights_base, need)) return fail(abi::E_NOTCAPABLE);
      const int fl = fcntl(cur->host_fd(), F_GETFL);
      if (fl < 0) return fail(from_host_errno(errno));
      int nfl = fl & ~(O_APPEND | O_NONBLOCK);
      if (want.fs_flags & abi::FDFLAG_APPEND) nfl |= O_APPEND;
      if (want.fs_flags & abi::FDFLAG_NONBLOCK) nfl |= O_NONBLOCK;
      if (nfl != fl && fcntl(cur->host_fd(), F_SETFL, nfl) != 0)
        return fail(from_host_errno(errno));
      next->fdflags = want.fs_flags & (abi::FDFLAG_DSYNC | abi::FDFLAG_RSYNC | abi::FDFLAG_SYNC);
    }
    const Errno e = ctx.fds.update(number, cur, std::move(next));
    if (e != abi::E_AGAIN) return fail(e);
  }
  return fail(abi::E_AGAIN);
}

}  // namespace

SyscallOutcome sys_fd(SyscallContext& ctx, const SyscallRequest& r) {
  switch (static_cast<abi::Sys>(r.number)) {
    case abi::Sys::fd_create1: return fd_create1(ctx, r);
    case abi::Sys::fd_create2: return fd_create2(ctx, r);
    case abi::Sys::fd_datasync: return fd_sync_common(ctx, r, true);
    case abi::Sys::fd_sync: return fd_sync_common(ctx, r, false);
    case abi::Sys::fd_dup: return fd_dup(ctx, r);
    case abi::Sys::fd_pread: return fd_positioned(ctx, r, false);
    case abi::Sys::fd_pwrite: return fd_positioned(ctx, r, true);
    case abi::Sys::fd_replace: return fd_replace(ctx, r);
    case abi::Sys::fd_seek: return fd_seek(ctx, r);
    case abi::Sys::fd_stat_put: return fd_stat_put(ctx, r);
    default: return fail(abi::E_NOSYS);
  }
}

}  // namespace capvm::hostio::detail
