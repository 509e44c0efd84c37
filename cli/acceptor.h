// Connection sources for `!socket {bind: ADDR}` with type stream or
// seqpacket. CloudABI has no accept(): a server receives each connection as
// a descriptor passed over a socket it already holds (cloudabi.txt:
// sock_recv, recv_in.ri_fds; cloudabi-run.1's web server gets them from the
// Flower switchboard). capvm keeps the listening socket on the host and
// gives the guest one end of a UNIX stream socket pair instead; a helper
// process accepts on the listener and sends every new connection over the
// pair: one data byte (0) with one descriptor attached (SCM_RIGHTS). The
// guest reads it with sock_recv(source, 1-byte buffer, 1 fd slot).
#pragma once

#include <string>
#include <vector>

namespace capvm::cli {

struct Acceptor {
  int listen_fd = -1;  // the host listening socket
  int host_end = -1;   // our end of the pair; the guest holds the other
  std::string address;
};

// Starts one helper per acceptor and closes both descriptors of each in
// this process. A helper is not capvm's child (it is re-parented, so the
// VM's waiting for guest processes never sees it) and exits when every copy
// of the guest's end is closed. False with *error when a fork fails; every
// descriptor is closed either way.
bool start_acceptors(std::vector<Acceptor>* acceptors, std::string* error);

// Closes both descriptors of every acceptor (explain, or a failed start).
void close_acceptors(std::vector<Acceptor>* acceptors);

}  // namespace capvm::cli
