// The guest fd table (see fd_table.h).
#include "hostio/fd_table.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "hostio/errno_map.h"
#include "rights/rights.h"

namespace capvm::hostio {

HostFd::~HostFd() {
  if (fd_ >= 0) ::close(fd_);
}

abi::Errno host_filetype(int host_fd, uint8_t* type) {
  struct stat st;
  if (fstat(host_fd, &st) != 0) return from_host_errno(errno);
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: *type = abi::FILETYPE_REGULAR_FILE; break;
    case S_IFDIR: *type = abi::FILETYPE_DIRECTORY; break;
    case S_IFCHR: *type = abi::FILETYPE_CHARACTER_DEVICE; break;
    case S_IFBLK: *type = abi::FILETYPE_BLOCK_DEVICE; break;
    // CloudABI has no pipe type; a pipe is a one-way byte stream.
    case S_IFIFO: *type = abi::FILETYPE_SOCKET_STREAM; break;
    case S_IFSOCK: {
      int so_type = 0;
      socklen_t len = sizeof(so_type);
      if (getsockopt(host_fd, SOL_SOCKET, SO_TYPE, &so_type, &len) != 0) {
        *type = abi::FILETYPE_UNKNOWN;
        break;
      }
      // No seqpacket type in cloudabi.txt: it keeps message boundaries, so
      // it is closest to a datagram socket.
      if (so_type == SOCK_STREAM) *type = abi::FILETYPE_SOCKET_STREAM;
      else if (so_type == SOCK_DGRAM || so_type == SOCK_SEQPACKET) *type = abi::FILETYPE_SOCKET_DGRAM;
      else *type = abi::FILETYPE_UNKNOWN;
      break;
    }
    default: *type = abi::FILETYPE_UNKNOWN; break;
  }
  return abi::E_SUCCESS;
}

uint16_t host_fdflags(int host_fd) {
  const int fl = fcntl(host_fd, F_GETFL);
  if (fl < 0) return 0;
  uint16_t r = 0;
  if (fl & O_APPEND) r |= abi::FDFLAG_APPEND;
  if (fl & O_NONBLOCK) r |= abi::FDFLAG_NONBLOCK;
  // Linux: O_SYNC contains the O_DSYNC bit; O_RSYNC == O_SYNC.
  if ((fl & O_SYNC) == O_SYNC) r |= abi::FDFLAG_SYNC;
  else if (fl & O_DSYNC) r |= abi::FDFLAG_DSYNC;
  return r;
}

abi::Errno FdTable::adopt(const vm::FdGrant& grant) {
  auto host = std::make_shared<HostFd>(grant.host_fd);  // owns it from here
  if (grant.host_fd < 0) return abi::E_BADF;
  if (grant.guest_fd == abi::kMapAnonFd) return abi::E_INVAL;
  auto e = std::make_shared<FdEntry>();
  e->host = std::move(host);
  if (abi::Errno err = host_filetype(grant.host_fd, &e->filetype)) return err;
  rights::RightsPair explicit_rights{grant.rights_base, grant.rights_inheriting};
  rights::RightsPair r;
  if (abi::Errno err = rights::grant(e->filetype, grant.has_rights ? &explicit_rights : nullptr, &r))
    return err;
  e->rights_base = r.base;
  e->rights_inheriting = r.inheriting;
  e->fdflags = host_fdflags(grant.host_fd);
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.size() >= kMaxFds) return abi::E_MFILE;
  if (!entries_.emplace(grant.guest_fd, std::move(e)).second) return abi::E_INVAL;
  return abi::E_SUCCESS;
}

abi::Errno FdTable::lookup(abi::Fd fd, abi::Rights need, FdEntryPtr* out) const {
  FdEntryPtr e;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(fd);
    if (it == entries_.end()) return abi::E_BADF;
    e = it->second;
  }
  if (!rights::satisfies(e->rights_base, need)) return abi::E_NOTCAPABLE;
  *out = std::move(e);
  return abi::E_SUCCESS;
}

abi::Errno FdTable::insert(FdEntryPtr entry, abi::Fd* out) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.size() >= kMaxFds) return abi::E_MFILE;
  abi::Fd n = 0;
  for (const auto& [fd, e] : entries_) {  // ordered: the first gap is the lowest free
    if (fd != n) break;
    ++n;
  }
  entries_.emplace(n, std::move(entry));
  *out = n;
  return abi::E_SUCCESS;
}

abi::Errno FdTable::close(abi::Fd fd) {
  FdEntryPtr victim;  // released outside the lock: close(2) may block
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(fd);
  if (it == entries_.end()) return abi::E_BADF;
  victim = std::move(it->second);
  entries_.erase(it);
  return abi::E_SUCCESS;
}

abi::Errno FdTable::update(abi::Fd fd, const FdEntryPtr& expected, FdEntryPtr entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(fd);
  if (it == entries_.end()) return abi::E_BADF;
  if (it->second != expected) return abi::E_AGAIN;
  it->second = std::move(entry);
  return abi::E_SUCCESS;
}

size_t FdTable::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace capvm::hostio
