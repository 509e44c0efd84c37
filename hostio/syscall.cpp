// handle_syscall: decodes the raw inputs of each CloudABI syscall, checks
// them (types, flags, pointers, rights) and calls the host. Every guest
// pointer goes through vm::GuestMemory (read/write/span): nothing here turns
// a guest value into a host pointer by itself (ARCHITECTURE.md, "Never").
//
// Narrow arguments are truncated to their declared width (cloudabi.txt
// type of each input) before any check: in both C calling conventions the
// bits above a 32-, 16- or 8-bit argument are unspecified, so a guest
// compiler may leave garbage there.
#include "hostio/syscall.h"

#include "hostio/guest_time.h"

#include <sched.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <vector>

#include "abi/syscalls.h"
#include "abi/types.h"
#include "hostio/errno_map.h"
#include "hostio/fd_table.h"
#include "hostio/host_call.h"
#include "hostio/internal.h"
#include "rights/rights.h"

namespace capvm::hostio {

using namespace detail;
using abi::Sys;

namespace {
// One guest iovec as a checked host span with protection `need` (len 0,
// and no check, for an empty buffer); EINVAL once the running total passes
// SSIZE_MAX.
[[gnu::always_inline]] inline Errno iovec_span(vm::GuestMemory& mem, const abi::Iovec& v,
                                               unsigned need, uint64_t* total,
                                               vm::GuestMemory::HostSpan* s) {
  if (v.buf_len == 0) {
    s->len = 0;
    return abi::E_SUCCESS;
  }
  if (Errno e = mem.span(v.buf, v.buf_len, need, s)) return e;
  *total += s->len;
  if (*total > static_cast<uint64_t>(SSIZE_MAX)) return abi::E_INVAL;
  return abi::E_SUCCESS;
}

// One guest iovec of gather_iovecs, appended unless empty.
[[gnu::always_inline]] inline Errno append_iovec(vm::GuestMemory& mem, const abi::Iovec& v,
                                                 unsigned need, uint64_t* total,
                                                 HostIovecs* out) {
  vm::GuestMemory::HostSpan s;
  if (Errno e = iovec_span(mem, v, need, total, &s)) return e;
  if (s.len != 0) out->push_back({s.data, s.len});
  return abi::E_SUCCESS;
}
}  // namespace

Errno detail::one_iovec(vm::GuestMemory& mem, GuestAddr iovs, unsigned need,
                        vm::GuestMemory::HostSpan* out) {
  abi::Iovec v;
  if (Errno e = mem.read_obj(iovs, &v)) return e;
  uint64_t total = 0;
  return iovec_span(mem, v, need, &total, out);
}

Errno detail::gather_iovecs(vm::GuestMemory& mem, GuestAddr iovs, uint64_t iovcnt, unsigned need,
                            HostIovecs* out) {
  out->clear();
  uint64_t total = 0;
  if (iovcnt == 1) {
    vm::GuestMemory::HostSpan s;
    if (Errno e = one_iovec(mem, iovs, need, &s)) return e;
    if (s.len != 0) out->push_back({s.data, s.len});
    return abi::E_SUCCESS;
  }
  if (iovcnt > kMaxIovecs) return abi::E_INVAL;
  // Ciovec and Iovec share one layout (layouts-64.txt). Copied in once;
  // a few without a heap allocation.
  abi::Iovec small[8];
  std::vector<abi::Iovec> large;
  abi::Iovec* guest = small;
  if (iovcnt > sizeof small / sizeof small[0]) {
    large.resize(iovcnt);
    guest = large.data();
  }
  if (iovcnt != 0) {
    if (Errno e = mem.read(iovs, guest, iovcnt * sizeof(abi::Iovec))) return e;
  }
  out->reserve(iovcnt);
  for (uint64_t i = 0; i < iovcnt; ++i)
    if (Errno e = append_iovec(mem, guest[i], need, &total, out)) return e;
  return abi::E_SUCCESS;
}

Errno detail::copy_path(vm::GuestMemory& mem, GuestAddr p, uint64_t len, std::string* out) {
  if (len >= 4096) return abi::E_NAMETOOLONG;  // PATH_MAX, with room for the NUL
  out->assign(len, '\0');
  if (len == 0) return abi::E_SUCCESS;  // the resolver says ENOENT
  return mem.read(p, out->data(), len);
}

uint16_t detail::live_fdflags(const FdEntry& e) {
  // append/nonblock live in the host open file description (shared with
  // dups); the sync flags are kept per entry (see sys_fd.cpp fd_stat_put).
  settle_host_flags(e);
  const uint16_t host = host_fdflags(e.host_fd());
  const uint16_t sync = abi::FDFLAG_DSYNC | abi::FDFLAG_RSYNC | abi::FDFLAG_SYNC;
  return static_cast<uint16_t>((host & ~sync) | ((host | e.fdflags) & sync));
}

namespace {
// One buffer through `on_socket` (recv/send) when the host descriptor may be
// a socket, else through `on_file` (read/write). A guest socket_stream may be
// a pipe or FIFO (host_filetype): its first ENOTSOCK settles that for good.
template <class OnSocket, class OnFile>
[[gnu::always_inline]] inline ssize_t one_buffer(const FdEntry& e, OnSocket on_socket,
                                                 OnFile on_file) {
  // Only socket types ask the kind: a file's is never learnt, and asking
  // would reach its HostFd on every call.
  if (e.filetype == abi::FILETYPE_SOCKET_STREAM || e.filetype == abi::FILETYPE_SOCKET_DGRAM) {
    const HostFd::Kind kind = e.kind();
    if (kind != HostFd::Kind::kNotSocket) {
      const ssize_t n = on_socket(e.host_fd());
      if (n >= 0 || errno != ENOTSOCK) {
        if (kind == HostFd::Kind::kUnknown) e.set_kind(HostFd::Kind::kSocket);
        return n;
      }
      e.set_kind(HostFd::Kind::kNotSocket);
    }
  }
  return on_file(e.host_fd());
}

// One buffer into or out of a descriptor: on a host socket recv(2)/send(2)
// rather than read(2)/write(2), the same result without the kernel's file
// layer (vfs_read/vfs_write, fdget_pos): measurably less kernel time per
// call. A guest socket_stream may be a pipe: HostFd::kind finds out once.
// Inline, with the host call inline too (host_call.h): after the call, the
// way back to the hook is then one frame shorter for each.
[[gnu::always_inline]] inline ssize_t read_one(const FdEntry& e, void* buf, size_t len) {
  return one_buffer(
      e, [&](int fd) { return host::recv(fd, buf, len, 0); },
      [&](int fd) { return host::read(fd, buf, len); });
}

[[gnu::always_inline]] inline ssize_t write_one(const FdEntry& e, const void* buf, size_t len) {
  // MSG_NOSIGNAL: EPIPE, as write(2) gives it with SIGPIPE ignored.
  return one_buffer(
      e, [&](int fd) { return host::send(fd, buf, len, MSG_NOSIGNAL); },
      [&](int fd) { return host::write(fd, buf, len); });
}
}  // namespace

void detail::sync_after_write(int host_fd, uint16_t fdflags) {
  if (fdflags & abi::FDFLAG_SYNC) fsync(host_fd);
  else if (fdflags & abi::FDFLAG_DSYNC) fdatasync(host_fd);
}

Errno detail::install(FdTable& fds, int host_fd, uint8_t filetype, abi::Rights base,
                      abi::Rights inheriting, abi::Fd* out) {
  auto e = make_fd_entry();
  e->set_host(make_host_fd(host_fd, filetype == abi::FILETYPE_PROCESS));
  e->filetype = filetype;
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  e->fdflags = host_fdflags(host_fd);
  return fds.insert(std::move(e), out);
}

namespace {

// fd_read's and fd_write's buffers: one (the usual case) through
// `one(data, len)`, with no host iovec array and none for the kernel to copy
// in; several through `many(iovecs, count)`. *n is the host call's result;
// *called false when there were no bytes to transfer (no host call then).
// `one` must be always_inline: it is used twice, and an outlined copy would
// put a frame between the host call and the hook (host_call.h).
template <class One, class Many>
[[gnu::always_inline]] inline Errno transfer(vm::GuestMemory& mem, GuestAddr iovs,
                                             uint64_t iovcnt, unsigned need, One one, Many many,
                                             ssize_t* n, bool* called) {
  *called = false;
  if (iovcnt == 1) {
    vm::GuestMemory::HostSpan s;
    if (Errno e = one_iovec(mem, iovs, need, &s)) return e;
    if (s.len == 0) return abi::E_SUCCESS;
    *n = one(s.data, s.len);
  } else {
    HostIovecs iov;
    if (Errno e = gather_iovecs(mem, iovs, iovcnt, need, &iov)) return e;
    if (iov.empty()) return abi::E_SUCCESS;
    *n = iov.size() == 1 ? one(iov[0].iov_base, iov[0].iov_len)
                         : many(iov.data(), static_cast<int>(iov.size()));
  }
  *called = true;
  return abi::E_SUCCESS;
}

SyscallOutcome sys_fd_read(SyscallContext& ctx, const SyscallRequest& r) {
  FdEntryPtr fd;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FD_READ, &fd)) return fail(e);
  ssize_t n = 0;
  bool called;
  if (Errno e = transfer(
          ctx.mem, r.args[1], r.args[2], vm::kProtWrite,
          [&](void* buf, size_t len) __attribute__((always_inline)) {
            return read_one(*fd, buf, len);
          },
          [&](const struct iovec* iov, int cnt) { return readv(fd->host_fd(), iov, cnt); }, &n,
          &called))
    return fail(e);
  if (n < 0) return fail(from_host_errno(errno));
  return ok(static_cast<uint64_t>(n));
}

SyscallOutcome sys_fd_write(SyscallContext& ctx, const SyscallRequest& r) {
  FdEntryPtr fd;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FD_WRITE, &fd)) return fail(e);
  // Read before the call: after it the entry is usually out of the cache.
  const uint16_t sync = fd->fdflags;
  ssize_t n = 0;
  bool called;
  if (Errno e = transfer(
          ctx.mem, r.args[1], r.args[2], vm::kProtRead,
          [&](const void* buf, size_t len) __attribute__((always_inline)) {
            return write_one(*fd, buf, len);
          },
          [&](const struct iovec* iov, int cnt) { return writev(fd->host_fd(), iov, cnt); }, &n,
          &called))
    return fail(e);
  if (!called) return ok(0);
  if (n < 0) return fail(from_host_errno(errno));
  sync_after_write(fd->host_fd(), sync);
  return ok(static_cast<uint64_t>(n));
}

// --- Descriptors -------------------------------------------------------------

SyscallOutcome sys_fd_close(SyscallContext& ctx, const SyscallRequest& r) {
  return fail(ctx.fds.close(u32(r.args[0])));
}

SyscallOutcome sys_fd_stat_get(SyscallContext& ctx, const SyscallRequest& r) {
  FdEntryPtr fd;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), 0, &fd)) return fail(e);
  abi::Fdstat st{};
  st.fs_filetype = fd->filetype;
  st.fs_flags = live_fdflags(*fd);
  st.fs_rights_base = fd->rights_base;
  st.fs_rights_inheriting = fd->rights_inheriting;
  return fail(ctx.mem.write_obj(r.args[1], st));
}

// --- Process -------------------------------------------------------------------

SyscallOutcome sys_proc_exit(SyscallContext&, const SyscallRequest& r) {
  SyscallOutcome o;
  o.after = After::kExitProcess;
  o.exit_code = u32(r.args[0]);  // cloudabi.txt: alias uint32 exitcode
  return o;
}

SyscallOutcome sys_proc_raise(SyscallContext&, const SyscallRequest& r) {
  const uint8_t sig = u8(r.args[0]);
  if (sig < 1 || sig > abi::kSignalMax) return fail(abi::E_INVAL);
  SyscallOutcome o;
  // cloudabi.txt: signal, "Action:". The guest cannot install handlers, so
  // the default action is what happens. Stop/continue have no meaning for
  // a process nobody can resume: treated like ignored signals.
  if (abi::signal_default_action(sig) == abi::SignalAction::kTerminate) {
    o.after = After::kSignal;
    o.signal = sig;
  }
  return o;
}

// --- Clocks and randomness -----------------------------------------------------

bool host_clock(uint32_t id, clockid_t* out) {
  switch (id) {  // cloudabi.txt: enum uint32 clockid
    case abi::CLOCKID_MONOTONIC: *out = CLOCK_MONOTONIC; return true;
    case abi::CLOCKID_PROCESS_CPUTIME_ID: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case abi::CLOCKID_REALTIME: *out = CLOCK_REALTIME; return true;
    case abi::CLOCKID_THREAD_CPUTIME_ID: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

uint64_t to_ns(const struct timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

SyscallOutcome sys_clock_res_get(SyscallContext&, const SyscallRequest& r) {
  clockid_t c;
  if (!host_clock(u32(r.args[0]), &c)) return fail(abi::E_INVAL);
  struct timespec ts;
  if (clock_getres(c, &ts) != 0) return fail(from_host_errno(errno));
  return ok(guest_clock_resolution(to_ns(ts)));
}

SyscallOutcome sys_clock_time_get(SyscallContext&, const SyscallRequest& r) {
  clockid_t c;
  if (!host_clock(u32(r.args[0]), &c)) return fail(abi::E_INVAL);
  uint64_t ns;
  if (!guest_clock_now(c, &ns)) return fail(from_host_errno(errno));
  return ok(ns);  // args[1], the precision, is a hint only
}

SyscallOutcome sys_random_get(SyscallContext& ctx, const SyscallRequest& r) {
  const GuestAddr buf = r.args[0];
  const uint64_t len = r.args[1];
  if (len == 0) return ok();
  vm::GuestMemory::HostSpan s;
  if (Errno e = ctx.mem.span(buf, len, vm::kProtWrite, &s)) return fail(e);
  if (!guest_random(s.data, s.len)) return fail(from_host_errno(errno));
  return ok();
}

// --- Memory --------------------------------------------------------------------

// cloudabi.txt mprot (exec=1, write=2, read=4) -> vm::GuestProt.
unsigned guest_prot(uint8_t mprot) {
  unsigned p = vm::kProtNone;
  if (mprot & abi::MPROT_READ) p |= vm::kProtRead;
  if (mprot & abi::MPROT_WRITE) p |= vm::kProtWrite;
  if (mprot & abi::MPROT_EXEC) p |= vm::kProtExec;
  return p;
}

Errno check_mprot(uint8_t prot) {
  if (prot & ~abi::kMprotAll) return abi::E_INVAL;
  // cloudabi.txt mprot: W^X is enforced.
  if ((prot & abi::MPROT_WRITE) && (prot & abi::MPROT_EXEC)) return abi::E_NOTSUP;
  return abi::E_SUCCESS;
}

// Executable file mappings are private snapshots: the file's bytes are
// copied into fresh anonymous pages, which then become read+exec. A mapping
// of the file itself could change under the translator (a write(2) to the
// file, or another shared mapping of it made writable), which W^X forbids.
Errno map_exec_snapshot(vm::GuestMemory& mem, GuestAddr* addr, uint64_t len, unsigned prot,
                        bool fixed, int host_fd, uint64_t off) {
  GuestAddr where = *addr;
  if (Errno e = mem.map(&where, len, vm::kProtRead | vm::kProtWrite, fixed)) return e;
  uint64_t done = 0;
  while (done < len) {
    vm::GuestMemory::HostSpan s;
    Errno e = mem.span(where + done, len - done, vm::kProtWrite, &s);
    if (e) {
      mem.unmap(where, len);
      return e;
    }
    const ssize_t n = pread(host_fd, s.data, s.len, static_cast<off_t>(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      mem.unmap(where, len);
      return from_host_errno(saved);
    }
    if (n == 0) break;  // past the end of the file: the rest stays zero
    done += static_cast<uint64_t>(n);
  }
  if (Errno e = mem.protect(where, len, prot)) {
    mem.unmap(where, len);
    return e;
  }
  *addr = where;
  return abi::E_SUCCESS;
}

SyscallOutcome sys_mem_map(SyscallContext& ctx, const SyscallRequest& r) {
  GuestAddr addr = r.args[0];
  const uint64_t len = r.args[1];
  const uint8_t prot = u8(r.args[2]);
  const uint8_t flags = u8(r.args[3]);
  const abi::Fd fd = u32(r.args[4]);
  const uint64_t off = r.args[5];
  if (Errno e = check_mprot(prot)) return fail(e);
  if (flags & ~abi::kMflagsAll) return fail(abi::E_INVAL);
  // Exactly one of private and shared.
  const uint8_t share = flags & (abi::MFLAG_PRIVATE | abi::MFLAG_SHARED);
  if (share != abi::MFLAG_PRIVATE && share != abi::MFLAG_SHARED) return fail(abi::E_INVAL);
  const bool fixed = (flags & abi::MFLAG_FIXED) != 0;
  const bool shared = share == abi::MFLAG_SHARED;
  if (len == 0) return fail(abi::E_INVAL);
  const unsigned gprot = guest_prot(prot);

  if (flags & abi::MFLAG_ANON) {
    // cloudabi.txt mflags.anon: fd must be map_anon_fd and the offset zero.
    if (fd != abi::kMapAnonFd || off != 0) return fail(abi::E_INVAL);
    // Anonymous shared memory stays shared with processes forked later
    // (shared-scope locks and condvars across proc_fork rely on it).
    if (Errno e = ctx.mem.map(&addr, len, gprot, fixed, -1, 0, shared)) return fail(e);
    return ok(addr);
  }

  FdEntryPtr entry;
  if (Errno e = ctx.fds.lookup(fd, rights::for_mem_map(prot, flags), &entry)) return fail(e);
  if (off % vm::kGuestPageSize != 0) return fail(abi::E_INVAL);
  if (gprot & vm::kProtExec) {
    if (shared) return fail(abi::E_NOTSUP);  // see map_exec_snapshot
    if (Errno e = map_exec_snapshot(ctx.mem, &addr, len, gprot, fixed, entry->host_fd(), off))
      return fail(e);
    return ok(addr);
  }
  if (Errno e = ctx.mem.map(&addr, len, gprot, fixed, entry->host_fd(), off, shared))
    return fail(e);
  return ok(addr);
}

SyscallOutcome sys_mem_unmap(SyscallContext& ctx, const SyscallRequest& r) {
  return fail(ctx.mem.unmap(r.args[0], r.args[1]));
}

SyscallOutcome sys_mem_protect(SyscallContext& ctx, const SyscallRequest& r) {
  const uint8_t prot = u8(r.args[2]);
  if (Errno e = check_mprot(prot)) return fail(e);
  return fail(ctx.mem.protect(r.args[0], r.args[1], guest_prot(prot)));
}

SyscallOutcome sys_mem_advise(SyscallContext& ctx, const SyscallRequest& r) {
  int advice;
  switch (u8(r.args[2])) {  // cloudabi.txt: enum uint8 advice
    // Advice never changes contents: Linux MADV_DONTNEED would zero private
    // pages, so "dontneed" (and "noreuse") is accepted as no advice.
    case abi::ADVICE_DONTNEED:
    case abi::ADVICE_NOREUSE:
    case abi::ADVICE_NORMAL: advice = MADV_NORMAL; break;
    case abi::ADVICE_RANDOM: advice = MADV_RANDOM; break;
    case abi::ADVICE_SEQUENTIAL: advice = MADV_SEQUENTIAL; break;
    case abi::ADVICE_WILLNEED: advice = MADV_WILLNEED; break;
    default: return fail(abi::E_INVAL);
  }
  return fail(ctx.mem.advise(r.args[0], r.args[1], advice));
}

SyscallOutcome sys_thread_yield(SyscallContext&, const SyscallRequest&) {
  sched_yield();
  return ok();
}

SyscallOutcome sys_mem_sync(SyscallContext& ctx, const SyscallRequest& r) {
  const uint8_t flags = u8(r.args[2]);
  if (flags & ~abi::kMsflagsAll) return fail(abi::E_INVAL);
  // One of async and sync, as msync(2) requires.
  const uint8_t mode = flags & (abi::MSFLAG_ASYNC | abi::MSFLAG_SYNC);
  if (mode != abi::MSFLAG_ASYNC && mode != abi::MSFLAG_SYNC) return fail(abi::E_INVAL);
  int host = mode == abi::MSFLAG_SYNC ? MS_SYNC : MS_ASYNC;
  if (flags & abi::MSFLAG_INVALIDATE) host |= MS_INVALIDATE;
  return fail(ctx.mem.sync(r.args[0], r.args[1], host));
}

SyscallOutcome sys_nosys(SyscallContext&, const SyscallRequest&) { return fail(abi::E_NOSYS); }

// Handler by syscall number (cloudabi.txt's numbering, abi/syscalls.h).
// The groups (sys_fd, sys_file, ...) decode the number again themselves.
constexpr std::array<SyscallHandler, abi::kSyscallCount> handler_table() {
  std::array<SyscallHandler, abi::kSyscallCount> t{};
  for (SyscallHandler& h : t) h = sys_nosys;
  auto at = [&t](Sys s) -> SyscallHandler& { return t[static_cast<uint32_t>(s)]; };
  at(Sys::clock_res_get) = sys_clock_res_get;
  at(Sys::clock_time_get) = sys_clock_time_get;
  at(Sys::fd_close) = sys_fd_close;
  at(Sys::fd_read) = sys_fd_read;
  at(Sys::fd_stat_get) = sys_fd_stat_get;
  at(Sys::fd_write) = sys_fd_write;
  at(Sys::mem_advise) = sys_mem_advise;
  at(Sys::mem_map) = sys_mem_map;
  at(Sys::mem_protect) = sys_mem_protect;
  at(Sys::mem_sync) = sys_mem_sync;
  at(Sys::mem_unmap) = sys_mem_unmap;
  at(Sys::proc_exit) = sys_proc_exit;
  at(Sys::proc_raise) = sys_proc_raise;
  at(Sys::random_get) = sys_random_get;
  at(Sys::thread_yield) = sys_thread_yield;
  for (Sys s : {Sys::fd_create1, Sys::fd_create2, Sys::fd_datasync, Sys::fd_dup, Sys::fd_pread,
                Sys::fd_pwrite, Sys::fd_replace, Sys::fd_seek, Sys::fd_stat_put, Sys::fd_sync})
    at(s) = sys_fd;
  for (Sys s : {Sys::file_advise, Sys::file_allocate, Sys::file_create, Sys::file_link,
                Sys::file_open, Sys::file_readdir, Sys::file_readlink, Sys::file_rename,
                Sys::file_stat_fget, Sys::file_stat_fput, Sys::file_stat_get,
                Sys::file_stat_put, Sys::file_symlink, Sys::file_unlink})
    at(s) = sys_file;
  for (Sys s : {Sys::condvar_signal, Sys::lock_unlock, Sys::poll, Sys::thread_create,
                Sys::thread_exit})
    at(s) = sys_sync;
  for (Sys s : {Sys::proc_exec, Sys::proc_fork}) at(s) = sys_proc;
  for (Sys s : {Sys::sock_recv, Sys::sock_send, Sys::sock_shutdown}) at(s) = sys_sock;
  return t;
}

// All 49 are implemented (cloudabi.txt): a number left on sys_nosys is a
// gap in the table above, caught here rather than as ENOSYS at run time.
// (A sentinel, not null: with the sanitizers' -fno-delete-null-pointer-checks
// GCC does not fold a function's address compared with null.)
constexpr bool every_number_served() {
  for (SyscallHandler h : handler_table())
    if (h == sys_nosys) return false;
  return true;
}
static_assert(every_number_served(), "a syscall number without its handler in handler_table");

}  // namespace

// Read-only after relocation; indexed only below a bounds check
// (dispatch_syscall, syscall.h).
constinit const std::array<SyscallHandler, abi::kSyscallCount> kSyscallHandlers = handler_table();

SyscallOutcome handle_syscall(SyscallContext& ctx, const SyscallRequest& req) {
  return dispatch_syscall(ctx, req);
}

}  // namespace capvm::hostio
