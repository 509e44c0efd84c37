// Sockets: sock_recv, sock_send (scatter/gather, fd passing), sock_shutdown
// (cloudabi.txt syscall sock_*).
//
// How rights travel with a passed fd. The host kernel moves descriptors
// (SCM_RIGHTS) but knows nothing of CloudABI rights, and the message bytes
// are the guest's, so rights can neither ride in the data (a peer could
// forge them) nor be left out (the receiver would get full rights: the
// original runtime's bug, SECURITY.md). capvm keeps a process-wide
// registry keyed by the sent object's identity (st_dev, st_ino): sock_send
// records the sender's (filetype, rights) for every fd it sends;
// sock_recv looks the received object up and installs it with the
// intersection of every record still in flight for that object, consuming
// one record. So a received fd never holds a right that any copy in flight
// lacked, and fds sent to oneself (or between threads) keep exactly their
// rights.
//
// Limits: the registry is per process. A forked child inherits the records
// that existed at fork time, so fds the parent sent before forking keep
// their rights when the child receives them; records made in one process
// after the fork are invisible to the other. An fd for which no record
// exists (sent by another process, or by a peer outside capvm) gets at most
// the receiving socket's inheriting rights (cloudabi.txt fdstat
// fs_rights_inheriting: "Maximum set of rights that can be installed on new
// file descriptors that are created through this file descriptor"),
// trimmed to its type and host access mode, and no inheriting rights. Guest
// socket pairs (fd_create2) have no inheriting rights, so such fds get
// nothing there (they can still be closed; fd_stat_get shows the type);
// a launcher-made connection source (cli `!socket` bind) sets inheriting
// rights for the connections it hands out.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "abi/syscalls.h"
#include "hostio/errno_map.h"
#include "hostio/internal.h"
#include "rights/rights.h"

namespace capvm::hostio::detail {

namespace {

struct Record {
  uint8_t filetype;
  abi::Rights base;
  abi::Rights inheriting;
};
std::mutex g_registry_mutex;
std::map<std::pair<uint64_t, uint64_t>, std::vector<Record>> g_registry;

bool key_of(int host_fd, std::pair<uint64_t, uint64_t>* key) {
  struct stat st;
  if (fstat(host_fd, &st) != 0) return false;
  *key = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  return true;
}

void registry_forget(int host_fd) {
  std::pair<uint64_t, uint64_t> key;
  if (!key_of(host_fd, &key)) return;
  std::lock_guard<std::mutex> l(g_registry_mutex);
  auto it = g_registry.find(key);
  if (it == g_registry.end()) return;
  it->second.pop_back();
  if (it->second.empty()) g_registry.erase(it);
}

// At most this many fds per message (Linux SCM_MAX_FD).
constexpr uint64_t kMaxFdsPerMessage = 253;

}  // namespace

void registry_note_sent(int host_fd, uint8_t filetype, abi::Rights base, abi::Rights inheriting) {
  std::pair<uint64_t, uint64_t> key;
  if (!key_of(host_fd, &key)) return;
  std::lock_guard<std::mutex> l(g_registry_mutex);
  g_registry[key].push_back({filetype, base, inheriting});
}

bool registry_take_received(int host_fd, uint8_t* filetype, abi::Rights* base,
                            abi::Rights* inheriting, bool consume) {
  std::pair<uint64_t, uint64_t> key;
  if (!key_of(host_fd, &key)) return false;
  std::lock_guard<std::mutex> l(g_registry_mutex);
  auto it = g_registry.find(key);
  if (it == g_registry.end() || it->second.empty()) return false;
  abi::Rights b = abi::kRightsAll, i = abi::kRightsAll;
  for (const Record& r : it->second) {
    b &= r.base;
    i &= r.inheriting;
  }
  *filetype = it->second.front().filetype;
  *base = b;
  *inheriting = i;
  if (consume) {
    it->second.erase(it->second.begin());
    if (it->second.empty()) g_registry.erase(it);
  }
  return true;
}

bool registry_take_received(int host_fd, uint8_t* filetype, abi::Rights* base,
                            abi::Rights* inheriting) {
  return registry_take_received(host_fd, filetype, base, inheriting, true);
}

void registry_fork_lock(bool lock) {
  if (lock) g_registry_mutex.lock();
  else g_registry_mutex.unlock();
}

namespace {

SyscallOutcome sock_send(SyscallContext& ctx, const SyscallRequest& r) {
  abi::SendIn in;
  if (Errno e = ctx.mem.read_obj(r.args[1], &in)) return fail(e);  // copied in once
  if (in.si_flags & ~abi::kSiflagsAll) return fail(abi::E_INVAL);
  if (in.si_fds_len > kMaxFdsPerMessage) return fail(abi::E_INVAL);
  FdEntryPtr sock;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FD_WRITE, &sock)) return fail(e);
  if (!ctx.mem.range_has(r.args[2], sizeof(abi::SendOut), vm::kProtWrite)) return fail(abi::E_FAULT);
  HostIovecs iov;
  if (Errno e = gather_iovecs(ctx.mem, in.si_data, in.si_data_len, vm::kProtRead, &iov))
    return fail(e);
  std::vector<abi::Fd> guest_fds(in.si_fds_len);
  if (in.si_fds_len != 0) {
    if (Errno e = ctx.mem.read(in.si_fds, guest_fds.data(), in.si_fds_len * sizeof(abi::Fd)))
      return fail(e);
  }
  std::vector<FdEntryPtr> held;
  for (abi::Fd f : guest_fds) {
    FdEntryPtr e;
    if (Errno err = ctx.fds.lookup(f, 0, &e)) return fail(err);
    settle_host_flags(*e);  // the receiver reads the host flags
    held.push_back(std::move(e));
  }
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  std::vector<char> control;
  if (!held.empty()) {
    control.assign(CMSG_SPACE(held.size() * sizeof(int)), 0);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(held.size() * sizeof(int));
    std::vector<int> hfds(held.size());
    for (size_t i = 0; i < held.size(); ++i) {
      hfds[i] = held[i]->host_fd();
      registry_note_sent(held[i]->host_fd(), held[i]->filetype, held[i]->rights_base,
                         held[i]->rights_inheriting);
    }
    std::memcpy(CMSG_DATA(c), hfds.data(), hfds.size() * sizeof(int));
  }
  const ssize_t n = sendmsg(sock->host_fd(), &msg, MSG_NOSIGNAL);
  if (n < 0) {
    const int saved = errno;
    for (const auto& h : held) registry_forget(h->host_fd());
    return fail(from_host_errno(saved));
  }
  abi::SendOut out{static_cast<uint64_t>(n)};
  return fail(ctx.mem.write_obj(r.args[2], out));
}

SyscallOutcome sock_recv(SyscallContext& ctx, const SyscallRequest& r) {
  abi::RecvIn in;
  if (Errno e = ctx.mem.read_obj(r.args[1], &in)) return fail(e);  // copied in once
  if (in.ri_flags & ~abi::kRiflagsAll) return fail(abi::E_INVAL);
  FdEntryPtr sock;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_FD_READ, &sock)) return fail(e);
  if (!ctx.mem.range_has(r.args[2], sizeof(abi::RecvOut), vm::kProtWrite)) return fail(abi::E_FAULT);
  const uint64_t want_fds = in.ri_fds_len < kMaxFdsPerMessage ? in.ri_fds_len : kMaxFdsPerMessage;
  if (in.ri_fds_len != 0 &&
      (in.ri_fds_len > (uint64_t{1} << 32) ||
       !ctx.mem.range_has(in.ri_fds, in.ri_fds_len * sizeof(abi::Fd), vm::kProtWrite)))
    return fail(abi::E_FAULT);
  HostIovecs iov;
  if (Errno e = gather_iovecs(ctx.mem, in.ri_data, in.ri_data_len, vm::kProtWrite, &iov))
    return fail(e);
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  // Room for what the guest asked, and at least a few more so unexpected
  // descriptors are received (and closed) rather than left to the kernel.
  std::vector<char> control(CMSG_SPACE((want_fds + 16) * sizeof(int)), 0);
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  int flags = MSG_CMSG_CLOEXEC;
  if (in.ri_flags & abi::SOCK_RECV_PEEK) flags |= MSG_PEEK;
  if (in.ri_flags & abi::SOCK_RECV_WAITALL) flags |= MSG_WAITALL;
  const ssize_t n = recvmsg(sock->host_fd(), &msg, flags);
  if (n < 0) return fail(from_host_errno(errno));
  std::vector<int> got;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int h;
      std::memcpy(&h, CMSG_DATA(c) + i * sizeof(int), sizeof h);
      got.push_back(h);
    }
  }
  abi::RecvOut out{};
  out.ro_datalen = static_cast<uint64_t>(n);
  if (msg.msg_flags & MSG_TRUNC) out.ro_flags |= abi::SOCK_RECV_DATA_TRUNCATED;
  if (msg.msg_flags & MSG_CTRUNC) out.ro_flags |= abi::SOCK_RECV_FDS_TRUNCATED;
  std::vector<abi::Fd> installed;
  const bool peek = (in.ri_flags & abi::SOCK_RECV_PEEK) != 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (i >= want_fds) {
      out.ro_flags |= abi::SOCK_RECV_FDS_TRUNCATED;
      if (!peek) {
        uint8_t t;
        abi::Rights b, inh;
        registry_take_received(got[i], &t, &b, &inh, true);
      }
      close(got[i]);
      continue;
    }
    uint8_t type = abi::FILETYPE_UNKNOWN;
    abi::Rights base = 0, inheriting = 0;
    if (!registry_take_received(got[i], &type, &base, &inheriting, !peek)) {
      // Unknown origin: the socket's inheriting rights at most (see the
      // comment at the top).
      if (host_filetype(got[i], &type) != abi::E_SUCCESS) type = abi::FILETYPE_UNKNOWN;
      bool readable = false, writable = false;
      FdTable::host_access(got[i], &readable, &writable);
      base = sock->rights_inheriting & rights::max_base(type) &
             rights::limit_by_access(type, readable, writable);
      inheriting = 0;
    }
    abi::Fd fd;
    if (install(ctx.fds, got[i], type, base, inheriting, &fd) != abi::E_SUCCESS) {
      out.ro_flags |= abi::SOCK_RECV_FDS_TRUNCATED;
      continue;
    }
    installed.push_back(fd);
  }
  out.ro_fdslen = installed.size();
  if (!installed.empty()) {
    if (Errno e = ctx.mem.write(in.ri_fds, installed.data(), installed.size() * sizeof(abi::Fd))) {
      for (abi::Fd f : installed) ctx.fds.close(f);
      return fail(e);
    }
  }
  return fail(ctx.mem.write_obj(r.args[2], out));
}

SyscallOutcome sock_shutdown(SyscallContext& ctx, const SyscallRequest& r) {
  const uint8_t how = u8(r.args[1]);
  if (how == 0 || (how & ~abi::kSdflagsAll)) return fail(abi::E_INVAL);
  FdEntryPtr sock;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_SOCK_SHUTDOWN, &sock)) return fail(e);
  const int h = how == (abi::SDFLAG_RD | abi::SDFLAG_WR) ? SHUT_RDWR
                : how == abi::SDFLAG_RD                 ? SHUT_RD
                                                        : SHUT_WR;
  if (shutdown(sock->host_fd(), h) != 0) return fail(from_host_errno(errno));
  return ok();
}

}  // namespace

SyscallOutcome sys_sock(SyscallContext& ctx, const SyscallRequest& r) {
  switch (static_cast<abi::Sys>(r.number)) {
    case abi::Sys::sock_recv: return sock_recv(ctx, r);
    case abi::Sys::sock_send: return sock_send(ctx, r);
    case abi::Sys::sock_shutdown: return sock_shutdown(ctx, r);
    default: return fail(abi::E_NOSYS);
  }
}

}  // namespace capvm::hostio::detail
