// Host sockets for `!socket {bind: ADDR}` / `!socket {connect: ADDR}`.
// ADDR is `host:port` (TCP for stream, UDP for dgram; IPv6 as `[::1]:80`;
// the host may be a name, resolved once) or, when it contains a '/', the
// path of a UNIX socket (stream, dgram or seqpacket).
#pragma once

#include <string>

namespace capvm::cli {

enum class SocketType { kStream, kDgram, kSeqpacket };

struct SocketRequest {
  std::string address;
  bool bind = false;  // else connect
  SocketType type = SocketType::kStream;
};

// Creates the socket (close-on-exec). A bound stream or seqpacket socket is
// also listening. Returns the host fd, or -1 with *error set (one line).
// *resolved is the address in numeric form after bind/connect (the chosen
// port when the request said port 0).
int open_socket(const SocketRequest& request, std::string* resolved, std::string* error);

// The socket's local address as text ("127.0.0.1:8080", "[::1]:80",
// "/run/x.sock"); empty if unknown.
std::string local_address(int fd);

}  // namespace capvm::cli
