// File and directory syscalls (cloudabi.txt, syscall file_*). Every path
// goes through path::open_beneath / path::open_parent: resolution stays
// beneath the directory descriptor.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "abi/syscalls.h"
#include "hostio/errno_map.h"
#include "hostio/internal.h"
#include "hostio/path.h"
#include "rights/rights.h"

namespace capvm::hostio::detail {

uint8_t filetype_of_mode(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return abi::FILETYPE_REGULAR_FILE;
    case S_IFDIR: return abi::FILETYPE_DIRECTORY;
    case S_IFCHR: return abi::FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return abi::FILETYPE_BLOCK_DEVICE;
    case S_IFIFO: return abi::FILETYPE_SOCKET_STREAM;  // as host_filetype
    case S_IFSOCK: return abi::FILETYPE_SOCKET_STREAM;
    case S_IFLNK: return abi::FILETYPE_SYMBOLIC_LINK;
    default: return abi::FILETYPE_UNKNOWN;
  }
}

namespace {
uint64_t ts_ns(const struct timespec& t) {
  if (t.tv_sec < 0) return 0;
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}
}  // namespace

abi::Filestat to_filestat(const struct ::stat& st) {
  abi::Filestat f{};
  f.st_dev = st.st_dev;
  f.st_ino = st.st_ino;
  f.st_filetype = filetype_of_mode(st.st_mode);
  f.st_nlink = static_cast<abi::Linkcount>(st.st_nlink);
  f.st_size = static_cast<uint64_t>(st.st_size);
  f.st_atim = ts_ns(st.st_atim);
  f.st_mtim = ts_ns(st.st_mtim);
  f.st_ctim = ts_ns(st.st_ctim);
  return f;
}

namespace {

using abi::Fd;

// cloudabi.txt struct lookup, passed as one 64-bit argument: fd in the low
// half, lookupflags in the high half (spec/README.md).
struct LookupArg {
  Fd fd;
  uint32_t flags;
};
Errno decode_lookup(uint64_t v, LookupArg* out) {
  out->fd = static_cast<Fd>(v);
  out->flags = static_cast<uint32_t>(v >> 32);
  if (out->flags & ~abi::kLookupflagsAll) return abi::E_INVAL;
  return abi::E_SUCCESS;
}
bool follows(const LookupArg& l) { return (l.flags & abi::LOOKUP_SYMLINK_FOLLOW) != 0; }

// Host timespecs for futimens/utimensat from a guest filestat and fsflags.
Errno to_times(const abi::Filestat& st, uint16_t flags, struct timespec ts[2]) {
  if ((flags & abi::FILESTAT_ATIM) && (flags & abi::FILESTAT_ATIM_NOW)) return abi::E_INVAL;
  if ((flags & abi::FILESTAT_MTIM) && (flags & abi::FILESTAT_MTIM_NOW)) return abi::E_INVAL;
  auto one = [](uint64_t ns, bool set, bool now, struct timespec* t) {
    if (now) {
      t->tv_sec = 0;
      t->tv_nsec = UTIME_NOW;
    } else if (set) {
      t->tv_sec = static_cast<time_t>(ns / 1000000000ull);
      t->tv_nsec = static_cast<long>(ns % 1000000000ull);
    } else {
      t->tv_sec = 0;
      t->tv_nsec = UTIME_OMIT;
    }
  };
  one(st.st_atim, flags & abi::FILESTAT_ATIM, flags & abi::FILESTAT_ATIM_NOW, &ts[0]);
  one(st.st_mtim, flags & abi::FILESTAT_MTIM, flags & abi::FILESTAT_MTIM_NOW, &ts[1]);
  return abi::E_SUCCESS;
}

SyscallOutcome file_advise(SyscallContext& ctx, const SyscallRequest& r) {
  const uint64_t off = r.args[1], len = r.args[2];
  int advice;
  switch (u8(r.args[3])) {  // cloudabi.txt enum uint8 advice
    case abi::ADVICE_DONTNEED: advice = POSIX_FADV_DONTNEED; break;
    case abi::ADVICE_NOREUSE: advice = POSIX_FADV_NOREUSE; break;
    case abi::ADVICE_NORMAL: advice = POSIX_FADV_NORMAL; break;
    case abi::ADVICE_RANDOM: advice = POSIX_FADV_RANDOM; break;
    case abi::ADVICE_SEQUENTIAL: advice = POSIX_FADV_SEQUENTIAL; break;
    case abi::ADVICE_WILLNEED: advice = POSIX_FADV_WILLNEED; break;
    default: return fail(abi::E_INVAL);
  }
  if (off > static_cast<uint64_t>(LLONG_MAX) || len > static_cast<uint64_t>(LLONG_MAX))
    return fail(abi::E_INVAL);
  FdEntryPtr fd;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FILE_ADVISE, &fd)) return fail(e);
  const int rc = posix_fadvise(fd->host_fd(), static_cast<off_t>(off), static_cast<off_t>(len), advice);
  return fail(rc == 0 ? Errno{abi::E_SUCCESS} : from_host_errno(rc));
}

SyscallOutcome file_allocate(SyscallContext& ctx, const SyscallRequest& r) {
  const uint64_t off = r.args[1], len = r.args[2];
  if (off > static_cast<uint64_t>(LLONG_MAX) || len > static_cast<uint64_t>(LLONG_MAX) ||
      off + len > static_cast<uint64_t>(LLONG_MAX) || len == 0)
    return fail(abi::E_INVAL);
  FdEntryPtr fd;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FILE_ALLOCATE, &fd)) return fail(e);
  const int rc = posix_fallocate(fd->host_fd(), static_cast<off_t>(off), static_cast<off_t>(len));
  return fail(rc == 0 ? Errno{abi::E_SUCCESS} : from_host_errno(rc));
}

// cloudabi.txt file_create: only filetype.directory.
SyscallOutcome file_create(SyscallContext& ctx, const SyscallRequest& r) {
  if (u8(r.args[3]) != abi::FILETYPE_DIRECTORY) return fail(abi::E_INVAL);
  std::string p;
  if (Errno e = copy_path(ctx.mem, r.args[1], r.args[2], &p)) return fail(e);
  FdEntryPtr dir;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FILE_CREATE_DIRECTORY, &dir))
    return fail(e);
  path::Parent parent;
  if (Errno e = path::open_parent(dir->host_fd(), p, &parent)) return fail(e);
  if (mkdirat(parent.dir.get(), parent.name.c_str(), 0777) != 0)
    return fail(from_host_errno(errno));
  return ok();
}

SyscallOutcome file_link(SyscallContext& ctx, const SyscallRequest& r) {
  LookupArg l1;
  if (Errno e = decode_lookup(r.args[0], &l1)) return fail(e);
  std::string p1, p2;
  if (Errno e = copy_path(ctx.mem, r.args[1], r.args[2], &p1)) return fail(e);
  if (Errno e = copy_path(ctx.mem, r.args[4], r.args[5], &p2)) return fail(e);
  FdEntryPtr d1, d2;
  if (Errno e = ctx.fds.lookup(l1.fd, abi::RIGHT_FILE_LINK_SOURCE, &d1)) return fail(e);
  if (Errno e = ctx.fds.lookup(u32(r.args[3]), abi::RIGHT_FILE_LINK_TARGET, &d2)) return fail(e);
  path::Parent to;
  if (follows(l1)) {
    // Follow the source inside the sandbox, then link the object itself
    // through its /proc/self/fd magic link (open(2), O_PATH: linkat with
    // AT_SYMLINK_FOLLOW); the host never resolves the guest's text.
    int src = -1;
    if (Errno e = path::open_beneath(d1->host_fd(), p1, O_PATH, 0, &src)) return fail(e);
    UniqueFd owned(src);
    if (Errno e = path::open_parent(d2->host_fd(), p2, &to)) return fail(e);
    char proc[64];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", src);
    if (linkat(AT_FDCWD, proc, to.dir.get(), to.name.c_str(), AT_SYMLINK_FOLLOW) != 0)
      return fail(from_host_errno(errno));
    return ok();
  }
  path::Parent from;
  if (Errno e = path::open_parent(d1->host_fd(), p1, &from)) return fail(e);
  if (Errno e = path::open_parent(d2->host_fd(), p2, &to)) return fail(e);
  if (linkat(from.dir.get(), from.name.c_str(), to.dir.get(), to.name.c_str(), 0) != 0)
    return fail(from_host_errno(errno));
  return ok();
}

// cloudabi.txt file_open. Rights on the directory: file_open plus
// for_file_open's variants; the new fd's rights are requested ∩ the
// directory's inheriting ∩ what the type can hold (rights::derive_open),
// bounded by the host access mode it was opened with.
SyscallOutcome file_open(SyscallContext& ctx, const SyscallRequest& r) {
  LookupArg l;
  if (Errno e = decode_lookup(r.args[0], &l)) return fail(e);
  const uint16_t oflags = u16(r.args[3]);
  if (oflags & ~abi::kOflagsAll) return fail(abi::E_INVAL);
  abi::Fdstat want;
  if (Errno e = ctx.mem.read_obj(r.args[4], &want)) return fail(e);  // copied in once
  if (want.fs_flags & ~abi::kFdflagsAll) return fail(abi::E_INVAL);
  if (!rights::known(want.fs_rights_base) || !rights::known(want.fs_rights_inheriting))
    return fail(abi::E_INVAL);
  std::string p;
  if (Errno e = copy_path(ctx.mem, r.args[1], r.args[2], &p)) return fail(e);
  FdEntryPtr dir;
  if (Errno e = ctx.fds.lookup(l.fd, rights::for_file_open(oflags, want.fs_flags), &dir))
    return fail(e);
  // Refuse a request beyond the directory's inheriting rights before
  // anything is created or truncated (no side effect on ENOTCAPABLE).
  if (!rights::satisfies(dir->rights_inheriting, want.fs_rights_base) ||
      !rights::satisfies(dir->rights_inheriting, want.fs_rights_inheriting))
    return fail(abi::E_NOTCAPABLE);

  int flags = O_NOCTTY | O_CLOEXEC;
  if (oflags & abi::OFLAG_CREAT) flags |= O_CREAT;
  if (oflags & abi::OFLAG_EXCL) flags |= O_EXCL;
  if (oflags & abi::OFLAG_TRUNC) flags |= O_TRUNC;
  if (oflags & abi::OFLAG_DIRECTORY) flags |= O_DIRECTORY;
  if (!follows(l)) flags |= O_NOFOLLOW;
  if (want.fs_flags & abi::FDFLAG_APPEND) flags |= O_APPEND;
  if (want.fs_flags & abi::FDFLAG_SYNC) flags |= O_SYNC;
  else if (want.fs_flags & abi::FDFLAG_DSYNC) flags |= O_DSYNC;
  if (want.fs_flags & abi::FDFLAG_RSYNC) flags |= O_RSYNC;
  const bool rd = rights::needs_read(want.fs_rights_base);
  const bool wr = rights::needs_write(want.fs_rights_base) || (oflags & abi::OFLAG_TRUNC);
  int access = O_RDONLY;
  if (!(oflags & abi::OFLAG_DIRECTORY)) access = wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  // Opened non-blocking so a FIFO without a peer cannot hang the call;
  // the guest's nonblock flag is restored afterwards. `opened` is what the
  // successful open asked for: F_GETFL would report exactly its access
  // mode and append/nonblock/sync bits, so it need not be asked.
  int host = -1;
  int opened = flags | access | O_NONBLOCK;
  Errno e = path::open_beneath(dir->host_fd(), p, opened, 0666, &host);
  if (e == abi::E_ISDIR && !(oflags & abi::OFLAG_CREAT) && access != O_RDONLY) {
    // A directory asked for with write rights: open it read-only; the
    // write rights are trimmed as not applying to the type.
    opened = (flags & ~O_TRUNC) | O_RDONLY | O_NONBLOCK;
    e = path::open_beneath(dir->host_fd(), p, opened, 0, &host);
  }
  if (e == abi::E_NXIO) {
    // A FIFO opened write-only with no reader: open it read-write instead
    // (Linux allows it), which never blocks.
    opened = (flags & ~O_TRUNC) | O_RDWR | O_NONBLOCK;
    e = path::open_beneath(dir->host_fd(), p, opened, 0, &host);
  }
  if (e) return fail(e);
  UniqueFd owned(host);
  // The type, and with it the type's trim of the rights, is learnt by the
  // first lookup of the new fd (DeferredType in fd_table.h); so is whether
  // the open-time O_NONBLOCK must go at once (FIFOs, devices) or may wait
  // for an observer (regular files, directories: PendingNonblockClear).
  auto entry = make_fd_entry();
  entry->deferred.pending.store(true, std::memory_order_relaxed);
  entry->deferred.dir_inheriting = dir->rights_inheriting;
  entry->deferred.base = want.fs_rights_base;
  entry->deferred.inheriting = want.fs_rights_inheriting;
  access_from_host_flags(opened, &entry->deferred.readable, &entry->deferred.writable);
  if (!(want.fs_flags & abi::FDFLAG_NONBLOCK)) {
    opened &= ~O_NONBLOCK;  // what the guest sees from now on
    entry->nonblock_clear.pending.store(true, std::memory_order_relaxed);
  }
  entry->set_host(make_host_fd(owned.release()));
  entry->filetype = abi::FILETYPE_UNKNOWN;
  entry->rights_base = 0;  // until resolved; lookup never shows these
  entry->rights_inheriting = 0;
  entry->fdflags = fdflags_from_host_flags(opened);
  Fd out;
  if (Errno ie = ctx.fds.insert(std::move(entry), &out)) return fail(ie);
  return ok(out);
}

// cloudabi.txt file_readdir: dirent + name records, the last one possibly
// truncated; d_next is the cookie of the following entry (the host's
// getdents64 d_off, which lseek accepts back).
SyscallOutcome file_readdir(SyscallContext& ctx, const SyscallRequest& r) {
  const GuestAddr buf = r.args[1];
  const uint64_t buf_len = r.args[2];
  const uint64_t cookie = r.args[3];
  FdEntryPtr fd;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FILE_READDIR, &fd)) return fail(e);
  if (buf_len == 0) return ok(0);
  if (buf_len > (uint64_t{1} << 30)) return fail(abi::E_INVAL);
  vm::GuestMemory::HostSpan span;
  if (Errno e = ctx.mem.span(buf, buf_len, vm::kProtWrite, &span)) return fail(e);
  if (cookie > static_cast<uint64_t>(LLONG_MAX)) return fail(abi::E_INVAL);
  // A private open of the directory: the shared offset of the guest's fd
  // is not disturbed and concurrent readdirs do not interfere.
  const int d = openat(fd->host_fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return fail(from_host_errno(errno));
  UniqueFd own(d);
  if (lseek(d, static_cast<off_t>(cookie), SEEK_SET) < 0) return fail(from_host_errno(errno));
  std::vector<uint8_t> out;
  out.reserve(buf_len < 65536 ? buf_len : 65536);
  alignas(8) char hbuf[32768];
  while (out.size() < buf_len) {
    const long n = syscall(SYS_getdents64, d, hbuf, sizeof hbuf);
    if (n < 0) return fail(from_host_errno(errno));
    if (n == 0) break;
    for (long pos = 0; pos < n && out.size() < buf_len;) {
      // struct linux_dirent64 (getdents64(2)): d_ino u64 at 0, d_off s64 at
      // 8, d_reclen u16 at 16, d_type u8 at 18, NUL-terminated name at 19.
      // Read field by field with memcpy (no casts of buffer bytes).
      uint64_t ino;
      int64_t next;
      unsigned short reclen;
      unsigned char dtype;
      std::memcpy(&ino, hbuf + pos, 8);
      std::memcpy(&next, hbuf + pos + 8, 8);
      std::memcpy(&reclen, hbuf + pos + 16, 2);
      std::memcpy(&dtype, hbuf + pos + 18, 1);
      const char* name = hbuf + pos + 19;
      const size_t namelen = strnlen(name, static_cast<size_t>(reclen) - 19);
      pos += reclen;
      abi::Dirent de{};
      de.d_next = static_cast<uint64_t>(next);
      de.d_ino = ino;
      de.d_namlen = static_cast<uint32_t>(namelen);
      switch (dtype) {
        case DT_REG: de.d_type = abi::FILETYPE_REGULAR_FILE; break;
        case DT_DIR: de.d_type = abi::FILETYPE_DIRECTORY; break;
        case DT_LNK: de.d_type = abi::FILETYPE_SYMBOLIC_LINK; break;
        case DT_CHR: de.d_type = abi::FILETYPE_CHARACTER_DEVICE; break;
        case DT_BLK: de.d_type = abi::FILETYPE_BLOCK_DEVICE; break;
        case DT_FIFO: case DT_SOCK: de.d_type = abi::FILETYPE_SOCKET_STREAM; break;
        default: de.d_type = abi::FILETYPE_UNKNOWN; break;
      }
      uint8_t rec[sizeof de];
      std::memcpy(rec, &de, sizeof de);
      for (size_t i = 0; i < sizeof de && out.size() < buf_len; ++i) out.push_back(rec[i]);
      for (size_t i = 0; i < namelen && out.size() < buf_len; ++i)
        out.push_back(static_cast<uint8_t>(name[i]));
    }
  }
  if (!out.empty()) {
    if (Errno e = ctx.mem.write(buf, out.data(), out.size())) return fail(e);
  }
  return ok(out.size());
}

SyscallOutcome file_readlink(SyscallContext& ctx, const SyscallRequest& r) {
  std::string p;
  if (Errno e = copy_path(ctx.mem, r.args[1], r.args[2], &p)) return fail(e);
  const GuestAddr buf = r.args[3];
  const uint64_t buf_len = r.args[4];
  FdEntryPtr dir;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FILE_READLINK, &dir)) return fail(e);
  if (buf_len != 0 && !ctx.mem.range_has(buf, buf_len, vm::kProtWrite)) return fail(abi::E_FAULT);
  int link = -1;
  if (Errno e = path::open_beneath(dir->host_fd(), p, O_PATH | O_NOFOLLOW, 0, &link)) return fail(e);
  UniqueFd own(link);
  char text[4096];
  const ssize_t n = readlinkat(link, "", text, sizeof text);
  if (n < 0) return fail(from_host_errno(errno == ENOENT ? EINVAL : errno));
  const size_t used = static_cast<size_t>(n) < buf_len ? static_cast<size_t>(n) : buf_len;
  if (used != 0) {
    if (Errno e = ctx.mem.write(buf, text, used)) return fail(e);
  }
  return ok(used);
}

SyscallOutcome file_rename(SyscallContext& ctx, const SyscallRequest& r) {
  std::string p1, p2;
  if (Errno e = copy_path(ctx.mem, r.args[1], r.args[2], &p1)) return fail(e);
  if (Errno e = copy_path(ctx.mem, r.args[4], r.args[5], &p2)) return fail(e);
  FdEntryPtr d1, d2;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FILE_RENAME_SOURCE, &d1)) return fail(e);
  if (Errno e = ctx.fds.lookup(u32(r.args[3]), abi::RIGHT_FILE_RENAME_TARGET, &d2)) return fail(e);
  path::Parent from, to;
  if (Errno e = path::open_parent(d1->host_fd(), p1, &from)) return fail(e);
  if (Errno e = path::open_parent(d2->host_fd(), p2, &to)) return fail(e);
  if (renameat(from.dir.get(), from.name.c_str(), to.dir.get(), to.name.c_str()) != 0)
    return fail(from_host_errno(errno));
  return ok();
}

SyscallOutcome file_stat_fget(SyscallContext& ctx, const SyscallRequest& r) {
  FdEntryPtr fd;
  struct stat st;
  bool fresh = false;  // the lookup's own fstat (a just-opened fd) serves
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FILE_STAT_FGET, &fd, &st, &fresh))
    return fail(e);
  if (!fresh && fstat(fd->host_fd(), &st) != 0) return fail(from_host_errno(errno));
  abi::Filestat f = to_filestat(st);
  f.st_filetype = fd->filetype;  // shared memory, process, sockets: as the fd says
  return fail(ctx.mem.write_obj(r.args[1], f));
}

SyscallOutcome file_stat_fput(SyscallContext& ctx, const SyscallRequest& r) {
  const uint16_t flags = u16(r.args[2]);
  if (flags & ~abi::kFsflagsAll) return fail(abi::E_INVAL);
  // Size and times are separate operations (as FreeBSD's CloudABI).
  if ((flags & abi::FILESTAT_SIZE) && (flags & abi::kFsflagsTimes)) return fail(abi::E_INVAL);
  if (flags == 0) return fail(abi::E_INVAL);
  abi::Filestat st;
  if (Errno e = ctx.mem.read_obj(r.args[1], &st)) return fail(e);  // copied in once
  FdEntryPtr fd;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), rights::for_file_stat_fput(flags), &fd))
    return fail(e);
  if (flags & abi::FILESTAT_SIZE) {
    if (st.st_size > static_cast<uint64_t>(LLONG_MAX)) return fail(abi::E_INVAL);
    if (ftruncate(fd->host_fd(), static_cast<off_t>(st.st_size)) != 0)
      return fail(from_host_errno(errno));
    return ok();
  }
  struct timespec ts[2];
  if (Errno e = to_times(st, flags, ts)) return fail(e);
  if (futimens(fd->host_fd(), ts) != 0) return fail(from_host_errno(errno));
  return ok();
}

SyscallOutcome file_stat_get(SyscallContext& ctx, const SyscallRequest& r) {
  LookupArg l;
  if (Errno e = decode_lookup(r.args[0], &l)) return fail(e);
  std::string p;
  if (Errno e = copy_path(ctx.mem, r.args[1], r.args[2], &p)) return fail(e);
  FdEntryPtr dir;
  if (Errno e = ctx.fds.lookup(l.fd, abi::RIGHT_FILE_STAT_GET, &dir)) return fail(e);
  int h = -1;
  if (Errno e = path::open_beneath(dir->host_fd(), p, O_PATH | (follows(l) ? 0 : O_NOFOLLOW), 0, &h))
    return fail(e);
  UniqueFd own(h);
  struct stat st;
  if (fstat(h, &st) != 0) return fail(from_host_errno(errno));
  return fail(ctx.mem.write_obj(r.args[3], to_filestat(st)));
}

SyscallOutcome file_stat_put(SyscallContext& ctx, const SyscallRequest& r) {
  LookupArg l;
  if (Errno e = decode_lookup(r.args[0], &l)) return fail(e);
  const uint16_t flags = u16(r.args[4]);
  // Only times by path (cloudabi.txt rights.file_stat_put_times).
  if ((flags & ~abi::kFsflagsTimes) || flags == 0) return fail(abi::E_INVAL);
  abi::Filestat st;
  if (Errno e = ctx.mem.read_obj(r.args[3], &st)) return fail(e);
  std::string p;
  if (Errno e = copy_path(ctx.mem, r.args[1], r.args[2], &p)) return fail(e);
  struct timespec ts[2];
  if (Errno e = to_times(st, flags, ts)) return fail(e);
  FdEntryPtr dir;
  if (Errno e = ctx.fds.lookup(l.fd, rights::for_file_stat_put(flags), &dir)) return fail(e);
  int h = -1;
  if (Errno e = path::open_beneath(dir->host_fd(), p, O_PATH | (follows(l) ? 0 : O_NOFOLLOW), 0, &h))
    return fail(e);
  UniqueFd own(h);
  if (utimensat(h, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
    return fail(from_host_errno(errno));
  return ok();
}

SyscallOutcome file_symlink(SyscallContext& ctx, const SyscallRequest& r) {
  std::string target, p;
  // The link's text is stored, not resolved; following it later is
  // confined like any other path.
  if (Errno e = copy_path(ctx.mem, r.args[0], r.args[1], &target)) return fail(e);
  if (target.empty() || target.find('\0') != std::string::npos) return fail(abi::E_INVAL);
  if (Errno e = copy_path(ctx.mem, r.args[3], r.args[4], &p)) return fail(e);
  FdEntryPtr dir;
  if (Errno e = ctx.fds.lookup(u32(r.args[2]), abi::RIGHT_FILE_SYMLINK, &dir)) return fail(e);
  path::Parent parent;
  if (Errno e = path::open_parent(dir->host_fd(), p, &parent)) return fail(e);
  if (parent.trailing_slash) return fail(abi::E_NOENT);
  if (symlinkat(target.c_str(), parent.dir.get(), parent.name.c_str()) != 0)
    return fail(from_host_errno(errno));
  return ok();
}

SyscallOutcome file_unlink(SyscallContext& ctx, const SyscallRequest& r) {
  const uint8_t flags = u8(r.args[3]);
  if (flags & ~abi::kUlflagsAll) return fail(abi::E_INVAL);
  std::string p;
  if (Errno e = copy_path(ctx.mem, r.args[1], r.args[2], &p)) return fail(e);
  FdEntryPtr dir;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FILE_UNLINK, &dir)) return fail(e);
  path::Parent parent;
  if (Errno e = path::open_parent(dir->host_fd(), p, &parent)) return fail(e);
  const bool removedir = (flags & abi::UNLINK_REMOVEDIR) != 0;
  if (parent.trailing_slash && !removedir) {
    // "name/" names a directory: unlinking it as a file is refused.
    struct stat st;
    if (fstatat(parent.dir.get(), parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return fail(from_host_errno(errno));
    return fail(S_ISDIR(st.st_mode) ? abi::E_ISDIR : abi::E_NOTDIR);
  }
  if (unlinkat(parent.dir.get(), parent.name.c_str(), removedir ? AT_REMOVEDIR : 0) != 0)
    return fail(from_host_errno(errno));
  return ok();
}

}  // namespace

SyscallOutcome sys_file(SyscallContext& ctx, const SyscallRequest& r) {
  switch (static_cast<abi::Sys>(r.number)) {
    case abi::Sys::file_advise: return file_advise(ctx, r);
    case abi::Sys::file_allocate: return file_allocate(ctx, r);
    case abi::Sys::file_create: return file_create(ctx, r);
    case abi::Sys::file_link: return file_link(ctx, r);
    case abi::Sys::file_open: return file_open(ctx, r);
    case abi::Sys::file_readdir: return file_readdir(ctx, r);
    case abi::Sys::file_readlink: return file_readlink(ctx, r);
    case abi::Sys::file_rename: return file_rename(ctx, r);
    case abi::Sys::file_stat_fget: return file_stat_fget(ctx, r);
    case abi::Sys::file_stat_fput: return file_stat_fput(ctx, r);
    case abi::Sys::file_stat_get: return file_stat_get(ctx, r);
    case abi::Sys::file_stat_put: return file_stat_put(ctx, r);
    case abi::Sys::file_symlink: return file_symlink(ctx, r);
    case abi::Sys::file_unlink: return file_unlink(ctx, r);
    default: return fail(abi::E_NOSYS);
  }
}

}  // namespace capvm::hostio::detail
