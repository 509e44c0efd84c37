// vm::ready_bytes: the byte counts poll reports as nbytes, for TCP sockets
// (one io_uring_enter when the kernel has SOCKET_URING_OP_SIOCINQ), pipes
// and UNIX sockets (ioctl fallback per descriptor), more descriptors than
// one ring holds, and a forked child, which must not use its parent's ring.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include <string>
#include <vector>

#include "vm/ready_bytes.h"

namespace capvm::vm {
namespace {

// A connected TCP pair on loopback: {server side, client side}.
std::pair<int, int> tcp_pair() {
  const int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(l >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(bind(l, reinterpret_cast<sockaddr*>(&a), len) == 0);
  REQUIRE(listen(l, 4) == 0);
  REQUIRE(getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(connect(c, reinterpret_cast<sockaddr*>(&a), len) == 0);
  const int s = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(s >= 0);
  close(l);
  return {s, c};
}

// Whether this kernel serves SIOCINQ as an io_uring socket command (Linux
// 6.7) and allows io_uring (kernel.io_uring_disabled = 0): then ready_bytes
// must use it.
bool kernel_has_uring_siocinq() {
  utsname u{};
  if (uname(&u) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  if (major < 6 || (major == 6 && minor < 7)) return false;
  FILE* f = std::fopen("/proc/sys/kernel/io_uring_disabled", "r");
  int disabled = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%d", &disabled) != 1) disabled = 0;
    std::fclose(f);
  }
  return disabled == 0;
}

uint64_t fionread(int fd) {
  int n = 0;
  REQUIRE(ioctl(fd, FIONREAD, &n) == 0);
  return static_cast<uint64_t>(n);
}

// Writes `n` bytes to `fd` and waits until `reader` sees them all.
void feed(int fd, int reader, size_t n) {
  const std::string data(n, 'x');
  REQUIRE(write(fd, data.data(), n) == static_cast<ssize_t>(n));
  for (int i = 0; i < 1000 && fionread(reader) < n; ++i) usleep(1000);
  REQUIRE(fionread(reader) == n);
}

struct Fds {
  std::vector<int> read_ends, others;
  ~Fds() {
    for (int fd : read_ends) close(fd);
    for (int fd : others) close(fd);
  }
  // Keeps a read end and its writer, with `n` bytes waiting on the read end.
  void add(int read_end, int writer, size_t n) {
    read_ends.push_back(read_end);
    others.push_back(writer);
    if (n != 0) feed(writer, read_end, n);
  }
  void add_tcp(size_t n) {
    auto [s, c] = tcp_pair();
    add(s, c, n);
  }
};

TEST_CASE("ready_bytes counts bytes on TCP sockets, pipes and UNIX sockets") {
  Fds f;
  std::vector<uint64_t> want;
  for (size_t i = 0; i < 3; ++i) {
    f.add_tcp(10 + i);
    want.push_back(10 + i);
  }
  int p[2];
  REQUIRE(pipe(p) == 0);
  f.add(p[0], p[1], 7);
  want.push_back(7);
  int u[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, u) == 0);
  f.add(u[0], u[1], 5);
  want.push_back(5);
  // An empty socket: 0.
  f.add_tcp(0);
  want.push_back(0);

  std::vector<uint64_t> got(f.read_ends.size(), 99);
  ready_bytes(f.read_ends.data(), f.read_ends.size(), got.data());
  CHECK(got == want);
  if (kernel_has_uring_siocinq()) CHECK(ready_bytes_used_io_uring());
  // One descriptor: a plain ioctl.
  uint64_t one = 99;
  ready_bytes(&f.read_ends[0], 1, &one);
  CHECK(one == 10);
  CHECK_FALSE(ready_bytes_used_io_uring());
  // A descriptor that is not open: 0, and the others still right.
  std::vector<int> with_bad = {f.read_ends[1], 1 << 20, f.read_ends[3]};
  std::vector<uint64_t> got2(3, 99);
  ready_bytes(with_bad.data(), with_bad.size(), got2.data());
  CHECK(got2 == std::vector<uint64_t>{11, 0, 7});
}

TEST_CASE("ready_bytes handles more descriptors than one ring holds") {
  Fds f;
  std::vector<uint64_t> want;
  for (size_t i = 0; i < 150; ++i) {
    f.add_tcp(1 + i % 37);
    want.push_back(1 + i % 37);
  }
  std::vector<uint64_t> got(f.read_ends.size(), 0);
  ready_bytes(f.read_ends.data(), f.read_ends.size(), got.data());
  CHECK(got == want);
  if (kernel_has_uring_siocinq()) CHECK(ready_bytes_used_io_uring());
}

// A ring shared with the parent goes wrong only when both use it at once:
// the two loops below overlap for tens of milliseconds, which catches a
// shared ring often but not every time.
TEST_CASE("a forked child gets its own ring and the parent keeps working") {
  Fds f;
  for (size_t i = 0; i < 2; ++i) {
    f.add_tcp(3 + i);
  }
  std::vector<uint64_t> got(2, 0);
  ready_bytes(f.read_ends.data(), 2, got.data());  // the parent's ring exists now
  REQUIRE(got == std::vector<uint64_t>{3, 4});
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int ok = 1;
    for (int round = 0; round < 20000; ++round) {
      uint64_t r[2] = {0, 0};
      ready_bytes(f.read_ends.data(), 2, r);
      ok &= r[0] == 3 && r[1] == 4;
    }
    _exit(ok ? 0 : 1);
  }
  bool parent_ok = true;
  for (int round = 0; round < 20000; ++round) {
    uint64_t r[2] = {0, 0};
    ready_bytes(f.read_ends.data(), 2, r);
    parent_ok &= r[0] == 3 && r[1] == 4;
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(parent_ok);
  if (kernel_has_uring_siocinq()) CHECK(ready_bytes_used_io_uring());
}

}  // namespace
}  // namespace capvm::vm
