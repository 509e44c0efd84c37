// handle_syscall against a real sandbox: argument checking (pointers,
// flags, fds), rights, and the host effect (or its absence).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "abi/syscalls.h"
#include "abi/types.h"
#include "hostio/fd_table.h"
#include "hostio/syscall.h"
#include "rights/rights.h"

using namespace capvm;
using namespace capvm::abi;
using capvm::hostio::After;
using capvm::hostio::SyscallOutcome;
using capvm::hostio::SyscallRequest;

namespace {

constexpr vm::GuestAddr kData = 0x100000;  // one RW page of test data
constexpr vm::GuestAddr kRo = 0x200000;    // one read-only page

struct Sandbox {
  std::unique_ptr<vm::GuestMemory> mem;
  hostio::FdTable fds;
  hostio::SyscallContext ctx;

  static std::unique_ptr<vm::GuestMemory> make() {
    signal(SIGPIPE, SIG_IGN);  // the VM's job; writes to closed pipes give EPIPE
    std::string err;
    auto m = vm::GuestMemory::create(uint64_t{1} << 30, &err);
    REQUIRE(m != nullptr);
    vm::GuestAddr a = kData;
    REQUIRE(m->map(&a, 4 * vm::kGuestPageSize, vm::kProtRead | vm::kProtWrite, true) == E_SUCCESS);
    a = kRo;
    REQUIRE(m->map(&a, vm::kGuestPageSize, vm::kProtRead, true) == E_SUCCESS);
    return m;
  }
  Sandbox() : mem(make()), ctx{*mem, fds, nullptr} {}

  SyscallOutcome call(Sys s, std::initializer_list<uint64_t> args) {
    SyscallRequest r;
    r.number = static_cast<uint32_t>(s);
    size_t i = 0;
    for (uint64_t a : args) r.args[i++] = a;
    return hostio::handle_syscall(ctx, r);
  }
  void put_iov(vm::GuestAddr at, std::initializer_list<std::pair<uint64_t, uint64_t>> v) {
    for (auto [buf, len] : v) {
      Ciovec c{buf, len};
      REQUIRE(mem->write_obj(at, c) == E_SUCCESS);
      at += sizeof(c);
    }
  }
  // A pipe; the write end is guest fd `wfd` with `rights` (all if 0).
  int pipe_to_guest(Fd wfd, Rights rights = 0, bool read_end = false) {
    int p[2];
    REQUIRE(pipe(p) == 0);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    vm::FdGrant g;
    g.guest_fd = wfd;
    g.host_fd = read_end ? p[0] : p[1];
    g.has_rights = rights != 0;
    g.rights_base = rights;
    REQUIRE(fds.adopt(g) == E_SUCCESS);
    return read_end ? p[1] : p[0];
  }
};

std::string drain(int fd) {
  std::string s;
  char buf[256];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

}  // namespace

TEST_CASE("fd_write gathers iovecs into a pipe") {
  Sandbox sb;
  const int rd = sb.pipe_to_guest(1);
  REQUIRE(sb.mem->write(kData + 0x100, "hello, ", 7) == E_SUCCESS);
  REQUIRE(sb.mem->write(kData + 0x200, "world", 5) == E_SUCCESS);
  sb.put_iov(kData, {{kData + 0x100, 7}, {0xdead0000, 0}, {kData + 0x200, 5}});
  auto o = sb.call(Sys::fd_write, {1, kData, 3});
  REQUIRE(o.error == E_SUCCESS);
  CHECK(o.out[0] == 12);
  CHECK(o.after == After::kContinue);
  CHECK(drain(rd) == "hello, world");
  // Zero iovecs: nothing to do.
  o = sb.call(Sys::fd_write, {1, kData, 0});
  CHECK(o.error == E_SUCCESS);
  CHECK(o.out[0] == 0);
  // Narrow arguments: the upper half of the fd register is ignored.
  o = sb.call(Sys::fd_write, {0xabcdef0000000001ull, kData, 1});
  CHECK(o.error == E_SUCCESS);
  CHECK(drain(rd) == "hello, ");
  close(rd);
}

TEST_CASE("one-buffer fd_read/fd_write: recv/send on sockets, read/write on pipes") {
  // Both are socket_stream to the guest; the host call differs, and which
  // one a descriptor takes is learnt once (HostFd::kind).
  Sandbox sb;
  const int rd = sb.pipe_to_guest(1);
  int sp[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
  vm::FdGrant g;
  g.guest_fd = 2;
  g.host_fd = sp[0];
  REQUIRE(sb.fds.adopt(g) == E_SUCCESS);
  REQUIRE(sb.mem->write(kData + 0x100, "ping", 4) == E_SUCCESS);
  sb.put_iov(kData, {{kData + 0x100, 4}});
  for (int round = 0; round < 2; ++round) {
    auto o = sb.call(Sys::fd_write, {1, kData, 1});
    REQUIRE(o.error == E_SUCCESS);
    CHECK(drain(rd) == "ping");
    o = sb.call(Sys::fd_write, {2, kData, 1});
    REQUIRE(o.error == E_SUCCESS);
    char got[8] = {};
    CHECK(read(sp[1], got, sizeof got) == 4);
    CHECK(std::string(got, 4) == "ping");
    REQUIRE(write(sp[1], "pong", 4) == 4);
    sb.put_iov(kData + 0x40, {{kData + 0x200, 16}});
    o = sb.call(Sys::fd_read, {2, kData + 0x40, 1});
    REQUIRE(o.error == E_SUCCESS);
    CHECK(o.out[0] == 4);
    REQUIRE(sb.mem->read(kData + 0x200, got, 4) == E_SUCCESS);
    CHECK(std::string(got, 4) == "pong");
  }
  hostio::FdEntryPtr pipe_entry, sock_entry;
  REQUIRE(sb.fds.lookup(1, 0, &pipe_entry) == E_SUCCESS);
  REQUIRE(sb.fds.lookup(2, 0, &sock_entry) == E_SUCCESS);
  CHECK(pipe_entry->filetype == abi::FILETYPE_SOCKET_STREAM);
  CHECK(sock_entry->filetype == abi::FILETYPE_SOCKET_STREAM);
  CHECK(pipe_entry->host()->kind() == hostio::HostFd::Kind::kNotSocket);
  CHECK(sock_entry->host()->kind() == hostio::HostFd::Kind::kSocket);
  // The entries' own copies agree with their HostFds.
  CHECK(pipe_entry->kind() == hostio::HostFd::Kind::kNotSocket);
  CHECK(sock_entry->kind() == hostio::HostFd::Kind::kSocket);
  CHECK(pipe_entry->host_fd() == pipe_entry->host()->get());
  CHECK(sock_entry->host_fd() == sock_entry->host()->get());
  // A write to a socket whose peer is gone is EPIPE, never a SIGPIPE: with
  // the default action for the call, this process would die of it.
  close(sp[1]);
  struct sigaction dfl {}, old {};
  dfl.sa_handler = SIG_DFL;
  REQUIRE(sigaction(SIGPIPE, &dfl, &old) == 0);
  const Errno after_close = sb.call(Sys::fd_write, {2, kData, 1}).error;
  sigaction(SIGPIPE, &old, nullptr);
  CHECK(after_close == E_PIPE);
  close(rd);
}

TEST_CASE("fd_read scatters into guest buffers, short counts returned") {
  Sandbox sb;
  const int wr = sb.pipe_to_guest(4, 0, /*read_end=*/true);
  REQUIRE(write(wr, "abcdefgh", 8) == 8);
  sb.put_iov(kData, {{kData + 0x100, 3}, {kData + 0x200, 100}});
  auto o = sb.call(Sys::fd_read, {4, kData, 2});
  REQUIRE(o.error == E_SUCCESS);
  CHECK(o.out[0] == 8);
  char got[8];
  REQUIRE(sb.mem->read(kData + 0x100, got, 3) == E_SUCCESS);
  CHECK(std::string(got, 3) == "abc");
  REQUIRE(sb.mem->read(kData + 0x200, got, 5) == E_SUCCESS);
  CHECK(std::string(got, 5) == "defgh");
  // Empty non-blocking pipe: EAGAIN mapped through.
  CHECK(sb.call(Sys::fd_read, {4, kData, 2}).error == E_AGAIN);
  // Reading into a read-only page: EFAULT, nothing consumed.
  REQUIRE(write(wr, "xy", 2) == 2);
  sb.put_iov(kData, {{kRo, 2}});
  CHECK(sb.call(Sys::fd_read, {4, kData, 1}).error == E_FAULT);
  sb.put_iov(kData, {{kData + 0x300, 2}});
  o = sb.call(Sys::fd_read, {4, kData, 1});
  CHECK(o.error == E_SUCCESS);
  CHECK(o.out[0] == 2);
  close(wr);
}

TEST_CASE("rights: a read-only fd cannot be written, and nothing is written") {
  Sandbox sb;
  const int rd = sb.pipe_to_guest(2, RIGHT_FD_READ | RIGHT_FILE_STAT_FGET);
  REQUIRE(sb.mem->write(kData + 0x100, "no", 2) == E_SUCCESS);
  sb.put_iov(kData, {{kData + 0x100, 2}});
  CHECK(sb.call(Sys::fd_write, {2, kData, 1}).error == E_NOTCAPABLE);
  CHECK(drain(rd).empty());
  // Rights are checked before the arguments: a bad iovec still gives ENOTCAPABLE.
  CHECK(sb.call(Sys::fd_write, {2, 0, 1}).error == E_NOTCAPABLE);
  // A write-only fd cannot be read.
  const int wr = sb.pipe_to_guest(3, RIGHT_FD_WRITE, /*read_end=*/true);
  REQUIRE(write(wr, "z", 1) == 1);
  CHECK(sb.call(Sys::fd_read, {3, kData, 1}).error == E_NOTCAPABLE);
  close(rd);
  close(wr);
}

TEST_CASE("bad pointers give EFAULT and write nothing") {
  Sandbox sb;
  const int rd = sb.pipe_to_guest(1);
  const uint64_t size = sb.mem->size();
  struct Case {
    const char* what;
    uint64_t buf, len;
  };
  const Case cases[] = {
      {"null", 0, 1},
      {"unmapped", 0x300000, 16},
      {"end of sandbox", size - 8, 16},
      {"outside the sandbox", size, 1},
      {"at 2^32", uint64_t{1} << 32, 1},
      {"far outside", uint64_t{1} << 40, 1},
      {"negative", ~uint64_t{0} - 15, 8},
      {"ptr+len wraps", kData + 0x100, ~uint64_t{0} - 0x80},
      {"straddles mapped and unmapped", kData + 4 * vm::kGuestPageSize - 8, 16},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    sb.put_iov(kData, {{kData + 0x100, 4}, {c.buf, c.len}});
    CHECK(sb.call(Sys::fd_write, {1, kData, 2}).error == E_FAULT);
    CHECK(drain(rd).empty());  // the good first iovec was not written either
  }
  // The same buffers alone (fd_read and fd_write take one buffer without
  // the host iovec array): EFAULT, nothing written, nothing consumed.
  const int wr = sb.pipe_to_guest(5, 0, /*read_end=*/true);
  for (const auto& c : cases) {
    INFO(c.what << ", one buffer");
    sb.put_iov(kData, {{c.buf, c.len}});
    CHECK(sb.call(Sys::fd_write, {1, kData, 1}).error == E_FAULT);
    CHECK(drain(rd).empty());
    REQUIRE(write(wr, "q", 1) == 1);
    CHECK(sb.call(Sys::fd_read, {5, kData, 1}).error == E_FAULT);
    sb.put_iov(kData, {{kData + 0x100, 8}});
    auto o = sb.call(Sys::fd_read, {5, kData, 1});
    CHECK(o.error == E_SUCCESS);
    CHECK(o.out[0] == 1);  // the byte the failed read left
  }
  // One empty buffer, anywhere: 0 bytes, no host call (the pipe's byte stays).
  REQUIRE(write(wr, "r", 1) == 1);
  sb.put_iov(kData, {{0xdead0000, 0}});
  auto o = sb.call(Sys::fd_read, {5, kData, 1});
  CHECK(o.error == E_SUCCESS);
  CHECK(o.out[0] == 0);
  o = sb.call(Sys::fd_write, {1, kData, 1});
  CHECK(o.error == E_SUCCESS);
  CHECK(o.out[0] == 0);
  CHECK(drain(rd).empty());
  sb.put_iov(kData, {{kData + 0x100, 8}});
  o = sb.call(Sys::fd_read, {5, kData, 1});
  CHECK(o.out[0] == 1);
  close(wr);
  // The iovec array itself unmapped, outside, or wrapping.
  CHECK(sb.call(Sys::fd_read, {5, 0x300000, 1}).error == E_FAULT);
  CHECK(sb.call(Sys::fd_read, {5, size - 8, 1}).error == E_FAULT);
  CHECK(sb.call(Sys::fd_write, {1, 0x300000, 1}).error == E_FAULT);
  CHECK(sb.call(Sys::fd_write, {1, 0, 1}).error == E_FAULT);
  CHECK(sb.call(Sys::fd_write, {1, size - 8, 1}).error == E_FAULT);
  CHECK(sb.call(Sys::fd_write, {1, ~uint64_t{0} - 7, 1}).error == E_FAULT);
  CHECK(sb.call(Sys::fd_write, {1, kData + 4 * vm::kGuestPageSize - 16, 2}).error == E_FAULT);
  // Too many iovecs: EINVAL before anything is read (no huge allocation).
  CHECK(sb.call(Sys::fd_write, {1, kData, 1025}).error == E_INVAL);
  CHECK(sb.call(Sys::fd_write, {1, kData, ~uint64_t{0}}).error == E_INVAL);
  CHECK(sb.call(Sys::fd_write, {1, kData, uint64_t{1} << 60}).error == E_INVAL);
  CHECK(drain(rd).empty());
  // fd_stat_get into a read-only page or outside: EFAULT.
  CHECK(sb.call(Sys::fd_stat_get, {1, kRo}).error == E_FAULT);
  CHECK(sb.call(Sys::fd_stat_get, {1, size - 8}).error == E_FAULT);
  CHECK(sb.call(Sys::fd_stat_get, {1, 0}).error == E_FAULT);
  close(rd);
}

TEST_CASE("fd 0xffffffff and unknown fds: EBADF") {
  Sandbox sb;
  sb.put_iov(kData, {{kData + 0x100, 1}});
  for (Sys s : {Sys::fd_write, Sys::fd_read}) {
    CHECK(sb.call(s, {0xffffffffu, kData, 1}).error == E_BADF);
    CHECK(sb.call(s, {7, kData, 1}).error == E_BADF);
  }
  CHECK(sb.call(Sys::fd_close, {0xffffffffu}).error == E_BADF);
  CHECK(sb.call(Sys::fd_stat_get, {0xffffffffu, kData}).error == E_BADF);
}

TEST_CASE("fd_stat_get and fd_close") {
  Sandbox sb;
  const int rd = sb.pipe_to_guest(5, RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE);
  auto o = sb.call(Sys::fd_stat_get, {5, kData + 8});
  REQUIRE(o.error == E_SUCCESS);
  Fdstat st;
  REQUIRE(sb.mem->read_obj(kData + 8, &st) == E_SUCCESS);
  CHECK(st.fs_filetype == FILETYPE_SOCKET_STREAM);
  CHECK(st.fs_flags == FDFLAG_NONBLOCK);
  CHECK(st.fs_rights_base == (RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE));
  CHECK(st.fs_rights_inheriting == 0);
  CHECK(sb.call(Sys::fd_close, {5}).error == E_SUCCESS);
  CHECK(sb.call(Sys::fd_close, {5}).error == E_BADF);
  CHECK(sb.call(Sys::fd_stat_get, {5, kData}).error == E_BADF);
  // The write end is closed on the host now: reading gives EOF.
  char c;
  CHECK(read(rd, &c, 1) == 0);
  close(rd);
}

TEST_CASE("mem_map: anonymous mappings, flag checks, W^X") {
  Sandbox sb;
  const uint64_t anon = kMapAnonFd;
  const uint64_t rw = MPROT_READ | MPROT_WRITE;
  auto o = sb.call(Sys::mem_map, {0, 3 * 4096, rw, MFLAG_ANON | MFLAG_PRIVATE, anon, 0});
  REQUIRE(o.error == E_SUCCESS);
  const vm::GuestAddr a = o.out[0];
  CHECK(a % 4096 == 0);
  CHECK(sb.mem->range_has(a, 3 * 4096, vm::kProtRead | vm::kProtWrite));
  // W+X: refused up front, for anonymous and file mappings alike.
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw | MPROT_EXEC, MFLAG_ANON | MFLAG_PRIVATE, anon, 0})
            .error == E_NOTSUP);
  CHECK(sb.call(Sys::mem_map, {0, 4096, MPROT_WRITE | MPROT_EXEC, MFLAG_PRIVATE, 1, 0}).error ==
        E_NOTSUP);
  // Undefined bits, neither/both of private and shared, anon misuse.
  CHECK(sb.call(Sys::mem_map, {0, 4096, 0x08, MFLAG_ANON | MFLAG_PRIVATE, anon, 0}).error ==
        E_INVAL);
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw, 0x10 | MFLAG_ANON | MFLAG_PRIVATE, anon, 0}).error ==
        E_INVAL);
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw, MFLAG_ANON, anon, 0}).error == E_INVAL);
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw, MFLAG_ANON | MFLAG_PRIVATE | MFLAG_SHARED, anon, 0})
            .error == E_INVAL);
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw, MFLAG_ANON | MFLAG_PRIVATE, 3, 0}).error == E_INVAL);
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw, MFLAG_ANON | MFLAG_PRIVATE, anon, 4096}).error ==
        E_INVAL);
  CHECK(sb.call(Sys::mem_map, {0, 0, rw, MFLAG_ANON | MFLAG_PRIVATE, anon, 0}).error == E_INVAL);
  // Fixed outside the sandbox or over the null guard: never mapped.
  CHECK(sb.call(Sys::mem_map, {uint64_t{1} << 32, 4096, rw, MFLAG_ANON | MFLAG_PRIVATE | MFLAG_FIXED,
                               anon, 0})
            .error != E_SUCCESS);
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw, MFLAG_ANON | MFLAG_PRIVATE | MFLAG_FIXED, anon, 0})
            .error != E_SUCCESS);
  CHECK(sb.call(Sys::mem_map, {0, ~uint64_t{0}, rw, MFLAG_ANON | MFLAG_PRIVATE, anon, 0}).error !=
        E_SUCCESS);
  // File mapping of an unknown fd.
  CHECK(sb.call(Sys::mem_map, {0, 4096, MPROT_READ, MFLAG_PRIVATE, 42, 0}).error == E_BADF);
  // mem_protect to W+X refused; to R+X allowed; undefined bits EINVAL.
  CHECK(sb.call(Sys::mem_protect, {a, 4096, rw | MPROT_EXEC}).error == E_NOTSUP);
  CHECK(sb.mem->range_has(a, 4096, vm::kProtWrite));
  CHECK(sb.call(Sys::mem_protect, {a, 4096, MPROT_READ | MPROT_EXEC}).error == E_SUCCESS);
  CHECK(sb.mem->prot_at(a) == (vm::kProtRead | vm::kProtExec));
  CHECK(sb.call(Sys::mem_protect, {a, 4096, 0x80 | MPROT_READ}).error == E_INVAL);
  // mem_advise / mem_sync flag checks.
  CHECK(sb.call(Sys::mem_advise, {a, 4096, ADVICE_WILLNEED}).error == E_SUCCESS);
  CHECK(sb.call(Sys::mem_advise, {a, 4096, 0}).error == E_INVAL);
  CHECK(sb.call(Sys::mem_advise, {a, 4096, 7}).error == E_INVAL);
  CHECK(sb.call(Sys::mem_sync, {a, 4096, MSFLAG_SYNC}).error == E_SUCCESS);
  CHECK(sb.call(Sys::mem_sync, {a, 4096, MSFLAG_SYNC | MSFLAG_ASYNC}).error == E_INVAL);
  CHECK(sb.call(Sys::mem_sync, {a, 4096, MSFLAG_INVALIDATE}).error == E_INVAL);
  CHECK(sb.call(Sys::mem_sync, {a, 4096, 0x08 | MSFLAG_SYNC}).error == E_INVAL);
  // mem_unmap.
  CHECK(sb.call(Sys::mem_unmap, {a, 3 * 4096}).error == E_SUCCESS);
  CHECK_FALSE(sb.mem->range_has(a, 1, vm::kProtNone));
}

TEST_CASE("mem_map of a file: rights per protection, exec mappings are snapshots") {
  Sandbox sb;
  char tmpl[] = "/tmp/capvm-memmap-XXXXXX";
  const int f = mkstemp(tmpl);
  REQUIRE(f >= 0);
  unlink(tmpl);
  std::string content(8192, 'q');
  content.replace(0, 5, "code!");
  REQUIRE(write(f, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  auto adopt = [&](Fd gfd, Rights r) {
    vm::FdGrant g;
    g.guest_fd = gfd;
    g.host_fd = dup(f);
    g.has_rights = true;
    g.rights_base = r;
    REQUIRE(sb.fds.adopt(g) == E_SUCCESS);
  };
  adopt(10, RIGHT_FD_READ);                                  // no mem_map
  adopt(11, RIGHT_MEM_MAP | RIGHT_FD_READ);                  // read mappings
  adopt(12, RIGHT_MEM_MAP | RIGHT_FD_READ | RIGHT_MEM_MAP_EXEC);
  adopt(13, RIGHT_MEM_MAP | RIGHT_FD_READ | RIGHT_FD_WRITE);
  close(f);
  const uint64_t r = MPROT_READ, rw = MPROT_READ | MPROT_WRITE, rx = MPROT_READ | MPROT_EXEC;
  CHECK(sb.call(Sys::mem_map, {0, 4096, r, MFLAG_PRIVATE, 10, 0}).error == E_NOTCAPABLE);
  auto o = sb.call(Sys::mem_map, {0, 8192, r, MFLAG_PRIVATE, 11, 0});
  REQUIRE(o.error == E_SUCCESS);
  char got[5];
  REQUIRE(sb.mem->read(o.out[0], got, 5) == E_SUCCESS);
  CHECK(std::string(got, 5) == "code!");
  // Private writable mapping: needs no fd_write (the file never changes).
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw, MFLAG_PRIVATE, 11, 0}).error == E_SUCCESS);
  // Shared writable: needs fd_write.
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw, MFLAG_SHARED, 11, 0}).error == E_NOTCAPABLE);
  CHECK(sb.call(Sys::mem_map, {0, 4096, rw, MFLAG_SHARED, 13, 0}).error == E_SUCCESS);
  // Exec: needs mem_map_exec; shared exec refused; private exec is a copy.
  CHECK(sb.call(Sys::mem_map, {0, 4096, rx, MFLAG_PRIVATE, 11, 0}).error == E_NOTCAPABLE);
  CHECK(sb.call(Sys::mem_map, {0, 4096, rx, MFLAG_SHARED, 12, 0}).error == E_NOTSUP);
  o = sb.call(Sys::mem_map, {0, 12288, rx, MFLAG_PRIVATE, 12, 0});
  REQUIRE(o.error == E_SUCCESS);
  CHECK(sb.mem->prot_at(o.out[0]) == (vm::kProtRead | vm::kProtExec));
  REQUIRE(sb.mem->read(o.out[0], got, 5) == E_SUCCESS);
  CHECK(std::string(got, 5) == "code!");
  char tail = 1;
  REQUIRE(sb.mem->read(o.out[0] + 8192, &tail, 1) == E_SUCCESS);  // past EOF: zero
  CHECK(tail == 0);
  // Misaligned file offset.
  CHECK(sb.call(Sys::mem_map, {0, 4096, r, MFLAG_PRIVATE, 11, 100}).error == E_INVAL);
}

TEST_CASE("clocks") {
  Sandbox sb;
  for (uint64_t id : {CLOCKID_MONOTONIC, CLOCKID_REALTIME, CLOCKID_PROCESS_CPUTIME_ID,
                      CLOCKID_THREAD_CPUTIME_ID}) {
    INFO("clock " << id);
    auto res = sb.call(Sys::clock_res_get, {id});
    REQUIRE(res.error == E_SUCCESS);
    CHECK(res.out[0] >= 1);
    CHECK(res.out[0] <= 1000000000ull);
    auto t = sb.call(Sys::clock_time_get, {id, 0});
    REQUIRE(t.error == E_SUCCESS);
  }
  auto a = sb.call(Sys::clock_time_get, {CLOCKID_MONOTONIC, 0});
  auto b = sb.call(Sys::clock_time_get, {CLOCKID_MONOTONIC, 0});
  CHECK(b.out[0] >= a.out[0]);
  auto rt = sb.call(Sys::clock_time_get, {CLOCKID_REALTIME, 0});
  CHECK(rt.out[0] > 1500000000ull * 1000000000ull);  // after 2017
  for (uint64_t bad : {0ull, 5ull, 0xffffffffull}) {
    CHECK(sb.call(Sys::clock_res_get, {bad}).error == E_INVAL);
    CHECK(sb.call(Sys::clock_time_get, {bad, 0}).error == E_INVAL);
  }
}

TEST_CASE("random_get") {
  Sandbox sb;
  uint8_t zero[64] = {};
  REQUIRE(sb.mem->write(kData, zero, sizeof zero) == E_SUCCESS);
  REQUIRE(sb.call(Sys::random_get, {kData, 64}).error == E_SUCCESS);
  uint8_t got[64];
  REQUIRE(sb.mem->read(kData, got, 64) == E_SUCCESS);
  CHECK(std::memcmp(got, zero, 64) != 0);
  CHECK(sb.call(Sys::random_get, {kData, 0}).error == E_SUCCESS);
  CHECK(sb.call(Sys::random_get, {kData, 4 * 4096}).error == E_SUCCESS);
  CHECK(sb.call(Sys::random_get, {kRo, 16}).error == E_FAULT);
  CHECK(sb.call(Sys::random_get, {0, 16}).error == E_FAULT);
  CHECK(sb.call(Sys::random_get, {kData, ~uint64_t{0}}).error == E_FAULT);
  CHECK(sb.call(Sys::random_get, {kData, 4 * 4096 + 1}).error == E_FAULT);
}

TEST_CASE("proc_exit and proc_raise") {
  Sandbox sb;
  auto o = sb.call(Sys::proc_exit, {0x1234500000007ull});
  CHECK(o.after == After::kExitProcess);
  CHECK(o.exit_code == 7);
  o = sb.call(Sys::proc_raise, {SIGNAL_SEGV});
  CHECK(o.error == E_SUCCESS);
  CHECK(o.after == After::kSignal);
  CHECK(o.signal == SIGNAL_SEGV);
  o = sb.call(Sys::proc_raise, {SIGNAL_KILL});
  CHECK(o.after == After::kSignal);
  for (uint64_t ignored : {SIGNAL_CHLD, SIGNAL_URG, SIGNAL_PIPE}) {
    o = sb.call(Sys::proc_raise, {ignored});
    CHECK(o.error == E_SUCCESS);
    CHECK(o.after == After::kContinue);
  }
  CHECK(sb.call(Sys::proc_raise, {0}).error == E_INVAL);
  CHECK(sb.call(Sys::proc_raise, {27}).error == E_INVAL);
  CHECK(sb.call(Sys::proc_raise, {255}).error == E_INVAL);
}

TEST_CASE("thread_yield, unimplemented and unknown syscalls") {
  Sandbox sb;
  CHECK(sb.call(Sys::thread_yield, {}).error == E_SUCCESS);
  SyscallRequest r;
  for (uint32_t n : {kSyscallCount, 1000u, 0x40000000u, 0xffffffffu}) {
    r.number = n;
    CHECK(hostio::handle_syscall(sb.ctx, r).error == E_NOSYS);
  }
  // Every number below kSyscallCount is served now: a null fdstat is EFAULT.
  CHECK(sb.call(Sys::file_open, {0, 0, 0, 0, 0}).error == E_FAULT);
}
