// The rights model (see rights.h). Every table cites cloudabi.txt: the
// "The right to invoke [...]" lines of flags uint64 rights.
#include "rights/rights.h"

namespace capvm::rights {

using namespace capvm::abi;
using abi::Sys;

namespace {

// Regular files: data, offset, sync, size/times, mapping and exec.
constexpr Rights kRegularFileBase =
    RIGHT_FD_DATASYNC | RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_STAT_PUT_FLAGS |
    RIGHT_FD_SYNC | RIGHT_FD_TELL | RIGHT_FD_WRITE | RIGHT_FILE_ADVISE |
    RIGHT_FILE_ALLOCATE | RIGHT_FILE_STAT_FGET | RIGHT_FILE_STAT_FPUT_SIZE |
    RIGHT_FILE_STAT_FPUT_TIMES | RIGHT_MEM_MAP | RIGHT_MEM_MAP_EXEC |
    RIGHT_POLL_FD_READWRITE | RIGHT_PROC_EXEC;

// Directories: everything path-based. The sync rights and
// file_stat_fput_size are here because cloudabi.txt attaches file_open's
// dsync/rsync/sync and trunc variants to the directory's rights.
constexpr Rights kDirectoryBase =
    RIGHT_FD_DATASYNC | RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_SYNC |
    RIGHT_FILE_CREATE_DIRECTORY | RIGHT_FILE_CREATE_FILE | RIGHT_FILE_LINK_SOURCE |
    RIGHT_FILE_LINK_TARGET | RIGHT_FILE_OPEN | RIGHT_FILE_READDIR |
    RIGHT_FILE_READLINK | RIGHT_FILE_RENAME_SOURCE | RIGHT_FILE_RENAME_TARGET |
    RIGHT_FILE_STAT_FGET | RIGHT_FILE_STAT_FPUT_SIZE | RIGHT_FILE_STAT_FPUT_TIMES |
    RIGHT_FILE_STAT_GET | RIGHT_FILE_STAT_PUT_TIMES | RIGHT_FILE_SYMLINK |
    RIGHT_FILE_UNLINK;

// Sockets, and pipes/FIFOs (which CloudABI reports as socket_stream).
constexpr Rights kSocketBase = RIGHT_FD_READ | RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_WRITE |
                               RIGHT_FILE_STAT_FGET | RIGHT_POLL_FD_READWRITE |
                               RIGHT_SOCK_SHUTDOWN;

// Character and block devices: I/O only. No mem_map: mapping a host device
// could expose host memory (/dev/mem-like devices).
constexpr Rights kDeviceBase =
    RIGHT_FD_DATASYNC | RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_STAT_PUT_FLAGS |
    RIGHT_FD_SYNC | RIGHT_FD_TELL | RIGHT_FD_WRITE | RIGHT_FILE_ADVISE |
    RIGHT_FILE_STAT_FGET | RIGHT_POLL_FD_READWRITE;

// Shared memory: no mem_map_exec. The same object could be mapped writable
// elsewhere, which would defeat W^X (SECURITY.md: shared memory mapped twice).
constexpr Rights kSharedMemoryBase = RIGHT_FD_READ | RIGHT_FD_STAT_PUT_FLAGS |
                                     RIGHT_FD_WRITE | RIGHT_FILE_STAT_FGET |
                                     RIGHT_FILE_STAT_FPUT_SIZE | RIGHT_MEM_MAP;

constexpr Rights kProcessBase = RIGHT_FILE_STAT_FGET | RIGHT_POLL_PROC_TERMINATE;

static_assert(known(kRegularFileBase) && known(kDirectoryBase) && known(kSocketBase) &&
              known(kDeviceBase) && known(kSharedMemoryBase) && known(kProcessBase));

}  // namespace

Rights required(Sys s, unsigned which) {
  if (which == 1) {
    switch (s) {
      case Sys::file_link: return RIGHT_FILE_LINK_TARGET;      // fd2
      case Sys::file_rename: return RIGHT_FILE_RENAME_TARGET;  // fd2
      default: return 0;
    }
  }
  if (which != 0) return 0;
  switch (s) {
    case Sys::fd_datasync: return RIGHT_FD_DATASYNC;
    case Sys::fd_pread: return RIGHT_FD_READ | RIGHT_FD_SEEK;   // rights.fd_read
    case Sys::fd_pwrite: return RIGHT_FD_WRITE | RIGHT_FD_SEEK; // rights.fd_write
    case Sys::fd_read: return RIGHT_FD_READ;
    case Sys::fd_seek: return RIGHT_FD_SEEK;
    case Sys::fd_stat_put: return 0;  // by fdsflags: for_fd_stat_put
    case Sys::fd_sync: return RIGHT_FD_SYNC;
    case Sys::fd_write: return RIGHT_FD_WRITE;
    case Sys::file_advise: return RIGHT_FILE_ADVISE;
    case Sys::file_allocate: return RIGHT_FILE_ALLOCATE;
    case Sys::file_create: return RIGHT_FILE_CREATE_DIRECTORY;
    case Sys::file_link: return RIGHT_FILE_LINK_SOURCE;
    case Sys::file_open: return RIGHT_FILE_OPEN;
    case Sys::file_readdir: return RIGHT_FILE_READDIR;
    case Sys::file_readlink: return RIGHT_FILE_READLINK;
    case Sys::file_rename: return RIGHT_FILE_RENAME_SOURCE;
    case Sys::file_stat_fget: return RIGHT_FILE_STAT_FGET;
    case Sys::file_stat_fput: return 0;  // by fsflags: for_file_stat_fput
    case Sys::file_stat_get: return RIGHT_FILE_STAT_GET;
    case Sys::file_stat_put: return 0;   // by fsflags: for_file_stat_put
    case Sys::file_symlink: return RIGHT_FILE_SYMLINK;
    case Sys::file_unlink: return RIGHT_FILE_UNLINK;
    case Sys::mem_map: return RIGHT_MEM_MAP;
    case Sys::proc_exec: return RIGHT_PROC_EXEC;
    case Sys::sock_recv: return RIGHT_FD_READ;   // rights.fd_read
    case Sys::sock_send: return RIGHT_FD_WRITE;  // rights.fd_write
    case Sys::sock_shutdown: return RIGHT_SOCK_SHUTDOWN;
    default: return 0;  // fd_close, fd_dup, fd_replace, fd_stat_get: any valid fd
  }
}

bool takes_fd(Sys s) {
  switch (s) {
    case Sys::fd_close: case Sys::fd_datasync: case Sys::fd_dup: case Sys::fd_pread:
    case Sys::fd_pwrite: case Sys::fd_read: case Sys::fd_replace: case Sys::fd_seek:
    case Sys::fd_stat_get: case Sys::fd_stat_put: case Sys::fd_sync: case Sys::fd_write:
    case Sys::file_advise: case Sys::file_allocate: case Sys::file_create:
    case Sys::file_link: case Sys::file_open: case Sys::file_readdir:
    case Sys::file_readlink: case Sys::file_rename: case Sys::file_stat_fget:
    case Sys::file_stat_fput: case Sys::file_stat_get: case Sys::file_stat_put:
    case Sys::file_symlink: case Sys::file_unlink: case Sys::mem_map: case Sys::poll:
    case Sys::proc_exec: case Sys::sock_recv: case Sys::sock_send: case Sys::sock_shutdown:
      return true;
    default:
      return false;
  }
}

Rights for_fd_seek(int64_t offset, uint8_t whence) {
  // rights.fd_tell: fd_seek that leaves the offset unaltered.
  if (whence == WHENCE_CUR && offset == 0) return RIGHT_FD_TELL;
  return RIGHT_FD_SEEK;
}

Rights for_fdflags(uint16_t fdflags) {
  Rights r = 0;
  if (fdflags & FDFLAG_DSYNC) r |= RIGHT_FD_DATASYNC;  // rights.fd_datasync
  if (fdflags & (FDFLAG_RSYNC | FDFLAG_SYNC)) r |= RIGHT_FD_SYNC;  // rights.fd_sync
  return r;
}

Rights for_file_open(uint16_t oflags, uint16_t fdflags) {
  Rights r = RIGHT_FILE_OPEN;
  if (oflags & OFLAG_CREAT) r |= RIGHT_FILE_CREATE_FILE;     // rights.file_create_file
  if (oflags & OFLAG_TRUNC) r |= RIGHT_FILE_STAT_FPUT_SIZE;  // rights.file_stat_fput_size
  return r | for_fdflags(fdflags);
}

Rights for_fd_stat_put(uint16_t fdsflags, uint16_t old_fdflags, uint16_t new_fdflags) {
  Rights r = 0;
  if (fdsflags & FDSTAT_FLAGS) {
    r |= RIGHT_FD_STAT_PUT_FLAGS;
    r |= for_fdflags(static_cast<uint16_t>(new_fdflags & ~old_fdflags));
    if ((old_fdflags & FDFLAG_APPEND) && !(new_fdflags & FDFLAG_APPEND)) r |= RIGHT_FD_SEEK;
  }
  return r;
}

Rights for_file_stat_fput(uint16_t fsflags) {
  Rights r = 0;
  if (fsflags & FILESTAT_SIZE) r |= RIGHT_FILE_STAT_FPUT_SIZE;
  if (fsflags & kFsflagsTimes) r |= RIGHT_FILE_STAT_FPUT_TIMES;
  return r;
}

Rights for_file_stat_put(uint16_t fsflags) {
  return (fsflags & kFsflagsTimes) ? RIGHT_FILE_STAT_PUT_TIMES : 0;
}

Rights for_file_create(uint8_t filetype) {
  return filetype == FILETYPE_DIRECTORY ? RIGHT_FILE_CREATE_DIRECTORY : 0;
}

Rights for_mem_map(uint8_t mprot, uint8_t mflags) {
  Rights r = RIGHT_MEM_MAP;
  if (mprot & MPROT_READ) r |= RIGHT_FD_READ;
  if ((mprot & MPROT_WRITE) && (mflags & MFLAG_SHARED)) r |= RIGHT_FD_WRITE;
  if (mprot & MPROT_EXEC) r |= RIGHT_MEM_MAP_EXEC;
  return r;
}

Rights for_poll(uint8_t eventtype) {
  switch (eventtype) {
    case EVENTTYPE_FD_READ: return RIGHT_FD_READ | RIGHT_POLL_FD_READWRITE;
    case EVENTTYPE_FD_WRITE: return RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE;
    case EVENTTYPE_PROC_TERMINATE: return RIGHT_POLL_PROC_TERMINATE;
    default: return 0;
  }
}

Rights max_base(uint8_t filetype) {
  switch (filetype) {
    case FILETYPE_REGULAR_FILE: return kRegularFileBase;
    case FILETYPE_DIRECTORY: return kDirectoryBase;
    case FILETYPE_SOCKET_DGRAM:
    case FILETYPE_SOCKET_STREAM: return kSocketBase;
    case FILETYPE_CHARACTER_DEVICE:
    case FILETYPE_BLOCK_DEVICE: return kDeviceBase;
    case FILETYPE_SHARED_MEMORY: return kSharedMemoryBase;
    case FILETYPE_PROCESS: return kProcessBase;
    default: return 0;  // unknown, symbolic_link: nothing to do through an fd
  }
}

Rights max_inheriting(uint8_t filetype) {
  // Only directories create descriptors from themselves (file_open); what
  // they open is a file, a directory, or a FIFO (socket_stream).
  if (filetype == FILETYPE_DIRECTORY) return kDirectoryBase | kRegularFileBase | kSocketBase;
  // A socket's inheriting rights bound what an fd of unknown origin
  // received on it may hold (hostio sys_sock.cpp): a launcher's connection
  // source hands out connected sockets. fd_create2 pairs start with none.
  if (filetype == FILETYPE_SOCKET_STREAM || filetype == FILETYPE_SOCKET_DGRAM) return kSocketBase;
  return 0;
}

Rights read_side(uint8_t filetype) {
  if (filetype == FILETYPE_DIRECTORY) return 0;
  // fd_read and sock_recv, file mappings (mmap(2) needs a readable
  // descriptor for any protection), proc_exec (the image is read).
  return RIGHT_FD_READ | RIGHT_MEM_MAP | RIGHT_MEM_MAP_EXEC | RIGHT_PROC_EXEC;
}

Rights write_side(uint8_t filetype) {
  if (filetype == FILETYPE_DIRECTORY) return 0;
  // fd_write/sock_send, and the calls the host refuses on a descriptor not
  // open for writing: fallocate(2), ftruncate(2), fdatasync on some hosts.
  return RIGHT_FD_WRITE | RIGHT_FILE_ALLOCATE | RIGHT_FILE_STAT_FPUT_SIZE;
}

Rights limit_by_access(uint8_t filetype, bool readable, bool writable) {
  Rights r = kRightsAll;
  if (!readable) r &= ~read_side(filetype);
  if (!writable) r &= ~write_side(filetype);
  return r;
}

bool needs_read(Rights base) {
  return (base & (RIGHT_FD_READ | RIGHT_MEM_MAP | RIGHT_MEM_MAP_EXEC | RIGHT_PROC_EXEC |
                  RIGHT_FILE_READDIR)) != 0;
}
bool needs_write(Rights base) {
  return (base & (RIGHT_FD_WRITE | RIGHT_FILE_ALLOCATE | RIGHT_FILE_STAT_FPUT_SIZE)) != 0;
}

abi::Errno derive_open(Rights dir_inheriting, const RightsPair& requested, uint8_t filetype,
                       RightsPair* out) {
  if (!known(requested.base) || !known(requested.inheriting)) return E_INVAL;
  // cloudabi.txt: file_open may return fewer rights than asked only where
  // they do not apply to the type, so asking beyond the directory's
  // inheriting rights is refused rather than silently trimmed.
  if (!satisfies(dir_inheriting, requested.base) ||
      !satisfies(dir_inheriting, requested.inheriting))
    return E_NOTCAPABLE;
  out->base = requested.base & implied(dir_inheriting) & max_base(filetype);
  out->inheriting = requested.inheriting & implied(dir_inheriting) & max_inheriting(filetype);
  return E_SUCCESS;
}

abi::Errno shrink(const RightsPair& current, const RightsPair& requested, RightsPair* out) {
  if ((requested.base & ~current.base) != 0 ||
      (requested.inheriting & ~current.inheriting) != 0)
    return E_NOTCAPABLE;
  *out = requested;
  return E_SUCCESS;
}

abi::Errno grant(uint8_t filetype, const RightsPair* explicit_rights, RightsPair* out) {
  RightsPair max{max_base(filetype), max_inheriting(filetype)};
  if (explicit_rights == nullptr) {
    *out = max;
    return E_SUCCESS;
  }
  if (!known(explicit_rights->base) || !known(explicit_rights->inheriting)) return E_INVAL;
  return shrink(max, *explicit_rights, out);
}

std::string format(Rights r) {
  if (r == 0) return "0";
  std::string s;
  const Rights* list = all_rights();
  for (unsigned i = 0; i < kRightsCount; ++i) {
    if (!(r & list[i])) continue;
    if (!s.empty()) s += '|';
    s += right_name(list[i]);
  }
  if (Rights rest = r & ~kRightsAll) {
    static const char kHex[] = "0123456789abcdef";
    std::string hex;
    for (; rest != 0; rest >>= 4) hex.insert(hex.begin(), kHex[rest & 0xf]);
    if (!s.empty()) s += '|';
    s += "0x" + hex;
  }
  return s;
}

bool parse(std::string_view text, Rights* out) {
  Rights r = 0;
  bool any = false;
  while (true) {
    size_t sep = text.find_first_of("|,");
    std::string_view tok = text.substr(0, sep);
    while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t')) tok.remove_prefix(1);
    while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) tok.remove_suffix(1);
    if (tok == "all") {
      r |= kRightsAll;
    } else if (tok == "none") {
    } else {
      Rights bit = right_from_name(tok.data(), tok.size());
      if (bit == 0) return false;
      r |= bit;
    }
    any = true;
    if (sep == std::string_view::npos) break;
    text.remove_prefix(sep + 1);
  }
  if (!any) return false;
  *out = r;
  return true;
}

}  // namespace capvm::rights
