// How many bytes are ready to read on each of several host descriptors: the
// nbytes poll reports for every ready fd_read subscription (cloudabi.txt
// event.fd_readwrite.nbytes), which Linux's poll does not give. One
// ioctl(FIONREAD) per descriptor is one host system call per ready
// connection per poll, a large share of a busy server's per-request cost
// (bench/README.md, "Web server: sensitivity"). With two or more, the
// question goes to the kernel in one io_uring_enter instead: a socket
// command (SOCKET_URING_OP_SIOCINQ, Linux 6.7) per descriptor. Descriptors
// the command does not serve (pipes, FIFOs, UNIX sockets, whose protocols
// have no ioctl for it) and kernels without io_uring or the command get
// ioctl(FIONREAD), which is also what a single descriptor gets.
#pragma once

#include <cstddef>
#include <cstdint>

namespace capvm::vm {

// out[i]: the bytes ready to read on fds[i], 0 when none or unknown.
void ready_bytes(const int* fds, size_t n, uint64_t* out);

// Whether this thread's last ready_bytes of two or more descriptors went
// through io_uring (for tests).
bool ready_bytes_used_io_uring();

}  // namespace capvm::vm
