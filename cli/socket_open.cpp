#include "cli/socket_open.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace capvm::cli {
namespace {

int host_type(SocketType t) {
  switch (t) {
    case SocketType::kStream: return SOCK_STREAM;
    case SocketType::kDgram: return SOCK_DGRAM;
    case SocketType::kSeqpacket: return SOCK_SEQPACKET;
  }
  return SOCK_STREAM;
}

std::string address_text(const sockaddr* sa, socklen_t len) {
  char host[INET6_ADDRSTRLEN] = "";
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  if (sa->sa_family == AF_UNIX) {
    auto* un = reinterpret_cast<const sockaddr_un*>(sa);
    size_t n = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    return std::string(un->sun_path, strnlen(un->sun_path, n));
  }
  return "";
}

// A UNIX socket file nobody listens on any more (left by a process that
// ended): replacing it is what a restarted server expects. Anything else
// (a regular file, a live socket) stays an error.
bool stale_unix_socket(const sockaddr* sa, socklen_t len) {
  const char* path = reinterpret_cast<const sockaddr_un*>(sa)->sun_path;
  struct stat st;
  if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  for (int type : {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM}) {
    int probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (probe < 0) return false;
    int rc = connect(probe, sa, len);
    int err = errno;
    close(probe);
    if (rc == 0) return false;                 // alive
    if (err == EPROTOTYPE) continue;           // another type: try it
    if (err != ECONNREFUSED) return false;
  }
  return true;
}

int finish(int fd, const SocketRequest& r, const sockaddr* sa, socklen_t len,
           std::string* resolved, std::string* error) {
  const char* verb = r.bind ? "bind" : "connect";
  if (r.bind) {
    int one = 1;
    if (sa->sa_family != AF_UNIX) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc = bind(fd, sa, len);
    if (rc != 0 && errno == EADDRINUSE && sa->sa_family == AF_UNIX && stale_unix_socket(sa, len)) {
      unlink(reinterpret_cast<const sockaddr_un*>(sa)->sun_path);
      rc = bind(fd, sa, len);
    }
    if (rc != 0 || (r.type != SocketType::kDgram && listen(fd, SOMAXCONN) != 0)) {
      *error = std::string("cannot ") + verb + " " + r.address + ": " + std::strerror(errno);
      close(fd);
      return -1;
    }
  } else {
    int rc;
    do rc = connect(fd, sa, len);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      *error = std::string("cannot ") + verb + " to " + r.address + ": " + std::strerror(errno);
      close(fd);
      return -1;
    }
  }
  *resolved = local_address(fd);
  if (!r.bind) {
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0)
      *resolved = address_text(reinterpret_cast<sockaddr*>(&peer), plen);
  }
  if (resolved->empty()) *resolved = r.address;
  return fd;
}

}  // namespace

std::string local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  return address_text(reinterpret_cast<sockaddr*>(&ss), len);
}

int open_socket(const SocketRequest& r, std::string* resolved, std::string* error) {
  const int type = host_type(r.type) | SOCK_CLOEXEC;
  if (r.address.empty()) {
    *error = "empty socket address";
    return -1;
  }
  if (r.address.find('/') != std::string::npos) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    if (r.address.size() >= sizeof un.sun_path) {
      *error = "UNIX socket path longer than " + std::to_string(sizeof un.sun_path - 1) +
               " bytes: " + r.address;
      return -1;
    }
    std::memcpy(un.sun_path, r.address.data(), r.address.size());
    int fd = socket(AF_UNIX, type, 0);
    if (fd < 0) {
      *error = std::string("cannot create a UNIX socket: ") + std::strerror(errno);
      return -1;
    }
    return finish(fd, r, reinterpret_cast<sockaddr*>(&un),
                  static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + r.address.size() + 1),
                  resolved, error);
  }

  // host:port, [v6]:port
  std::string host, port;
  const size_t colon = r.address.rfind(':');
  if (colon == std::string::npos || colon + 1 == r.address.size()) {
    *error = "socket address '" + r.address +
             "' is neither host:port nor a UNIX socket path (containing '/')";
    return -1;
  }
  host = r.address.substr(0, colon);
  port = r.address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos) {
    *error = "IPv6 address in '" + r.address + "' needs brackets: [" + host + "]:" + port;
    return -1;
  }
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoul(port) > 65535) {
    *error = "bad port '" + port + "' in socket address '" + r.address + "'";
    return -1;
  }
  if (r.type == SocketType::kSeqpacket) {
    *error = "seqpacket sockets need a UNIX socket path, not " + r.address;
    return -1;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = host_type(r.type);
  hints.ai_flags = AI_NUMERICSERV | (r.bind ? AI_PASSIVE : 0);
  addrinfo* list = nullptr;
  int gai = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &list);
  if (gai != 0 || list == nullptr) {
    *error = "cannot resolve '" + host + "': " + gai_strerror(gai);
    return -1;
  }
  std::string last_error;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::string("cannot create a socket: ") + std::strerror(errno);
      continue;
    }
    int got = finish(fd, r, ai->ai_addr, ai->ai_addrlen, resolved, &last_error);
    if (got >= 0) {
      freeaddrinfo(list);
      return got;
    }
  }
  freeaddrinfo(list);
  *error = last_error;
  return -1;
}

}  // namespace capvm::cli
