// handle_syscall per syscall group with a real GuestMemory and FdTable:
// success, rights denials without side effects, bad input, and the
// SECURITY.md regressions of the original runtime (mem_map without rights,
// received fds widened, fd_stat_put sync flags and append, poll
// nsubscriptions * size overflow, fd_replace(x, x)).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>

#include "abi/syscalls.h"
#include "abi/types.h"
#include "hostio/fd_table.h"
#include "hostio/syscall.h"
#include "rights/rights.h"

using namespace capvm;
using namespace capvm::abi;
using capvm::hostio::SyscallOutcome;
using capvm::hostio::SyscallRequest;

namespace {

constexpr vm::GuestAddr kBuf = 0x100000;   // 16 RW pages
constexpr vm::GuestAddr kRoPage = 0x200000;

struct FakeHooks : hostio::ProcessHooks {
  uint8_t uuid[16] = {};
  const uint8_t* process_uuid() const override { return uuid; }
  int threads = 0;
  abi::Errno thread_create(uint64_t, uint64_t, uint64_t, uint64_t, uint32_t* tid) override {
    ++threads;
    *tid = 1234;
    return E_SUCCESS;
  }
  int child_exit = 7;
  bool child_sleeps = false;
  abi::Errno fork(int* child_pid, uint32_t* tid) override {
    const pid_t p = ::fork();
    if (p < 0) return E_AGAIN;
    if (p == 0) {
      if (child_sleeps) pause();
      _exit(child_exit);
    }
    *child_pid = p;
    *tid = 0;
    return E_SUCCESS;
  }
  std::vector<ExecFd> exec_fds;
  std::string exec_data;
  abi::Errno exec(int, const uint8_t* d, size_t n, const ExecFd* fds, size_t nfds) override {
    exec_data.assign(reinterpret_cast<const char*>(d), n);
    exec_fds.assign(fds, fds + nfds);
    return E_NOEXEC;
  }
};

struct Box {
  std::unique_ptr<vm::GuestMemory> mem;
  hostio::FdTable fds;
  FakeHooks hooks;
  hostio::SyscallContext ctx;
  std::string dir;  // a temporary directory, guest fd 3 with all rights
  uint32_t tid = 77;

  static std::unique_ptr<vm::GuestMemory> make() {
    signal(SIGPIPE, SIG_IGN);
    std::string err;
    auto m = vm::GuestMemory::create(uint64_t{1} << 30, &err);
    REQUIRE(m != nullptr);
    vm::GuestAddr a = kBuf;
    REQUIRE(m->map(&a, 16 * vm::kGuestPageSize, vm::kProtRead | vm::kProtWrite, true) == E_SUCCESS);
    a = kRoPage;
    REQUIRE(m->map(&a, vm::kGuestPageSize, vm::kProtRead, true) == E_SUCCESS);
    return m;
  }
  Box() : mem(make()), ctx{*mem, fds, &hooks} {
    char tmpl[] = "/tmp/capvm-groups-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    vm::FdGrant g;
    g.guest_fd = 3;
    g.host_fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fds.adopt(g) == E_SUCCESS);
  }
  ~Box() {
    std::string cmd = "rm -rf '" + dir + "'";
    if (std::system(cmd.c_str()) != 0) {
      // a leftover temporary directory; nothing to do about it here
    }
  }
  SyscallOutcome call(Sys s, std::initializer_list<uint64_t> args) {
    SyscallRequest r;
    r.number = static_cast<uint32_t>(s);
    r.tid = tid;
    size_t i = 0;
    for (uint64_t a : args) r.args[i++] = a;
    return hostio::handle_syscall(ctx, r);
  }
  Errno err(Sys s, std::initializer_list<uint64_t> args) { return call(s, args).error; }
  // Puts `s` at guest address `at`; returns its length.
  uint64_t put(vm::GuestAddr at, const std::string& s) {
    REQUIRE(mem->write(at, s.data(), s.size()) == E_SUCCESS);
    return s.size();
  }
  template <class T>
  void put_obj(vm::GuestAddr at, const T& v) {
    REQUIRE(mem->write_obj(at, v) == E_SUCCESS);
  }
  template <class T>
  T get_obj(vm::GuestAddr at) {
    T v;
    REQUIRE(mem->read_obj(at, &v) == E_SUCCESS);
    return v;
  }
  // file_open beneath fd 3; returns the errno, *fd the new fd.
  Errno open_file(const std::string& p, uint16_t oflags, Rights base, Rights inh, Fd* fd,
                  uint16_t fdflags = 0, uint32_t lookupflags = LOOKUP_SYMLINK_FOLLOW, Fd dirfd = 3) {
    Fdstat st{};
    st.fs_flags = fdflags;
    st.fs_rights_base = base;
    st.fs_rights_inheriting = inh;
    put_obj(kBuf + 0x1000, st);
    const uint64_t len = put(kBuf + 0x2000, p);
    SyscallOutcome o = call(Sys::file_open, {(uint64_t{lookupflags} << 32) | dirfd, kBuf + 0x2000,
                                             len, oflags, kBuf + 0x1000});
    if (o.error == E_SUCCESS) *fd = static_cast<Fd>(o.out[0]);
    return o.error;
  }
  Fdstat stat_fd(Fd fd) {
    REQUIRE(err(Sys::fd_stat_get, {fd, kBuf + 0x3000}) == E_SUCCESS);
    return get_obj<Fdstat>(kBuf + 0x3000);
  }
  bool host_exists(const std::string& rel) {
    struct stat st;
    return lstat((dir + "/" + rel).c_str(), &st) == 0;
  }
  // fd_write of `s` through guest memory.
  Errno write_str(Fd fd, const std::string& s, uint64_t* n = nullptr) {
    put(kBuf + 0x4000, s);
    Ciovec v{kBuf + 0x4000, s.size()};
    put_obj(kBuf + 0x3800, v);
    SyscallOutcome o = call(Sys::fd_write, {fd, kBuf + 0x3800, 1});
    if (n) *n = o.out[0];
    return o.error;
  }
};

constexpr Rights kFileRW = RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_FD_SEEK | RIGHT_FD_TELL;

// A poll subscription waiting for `fd` to be readable.
Subscription fd_read_sub(uint64_t userdata, Fd fd) {
  Subscription s{};
  s.userdata = userdata;
  s.type = EVENTTYPE_FD_READ;
  s.fd_readwrite.fd = fd;
  return s;
}

}  // namespace

TEST_CASE("fd_create1/2, dup, replace(x, x), seek, pread/pwrite, sync") {
  Box b;
  SyscallOutcome o = b.call(Sys::fd_create2, {FILETYPE_SOCKET_STREAM});
  REQUIRE(o.error == E_SUCCESS);
  const Fd s1 = static_cast<Fd>(o.out[0]), s2 = static_cast<Fd>(o.out[1]);
  CHECK(b.stat_fd(s1).fs_filetype == FILETYPE_SOCKET_STREAM);
  CHECK(b.err(Sys::fd_create2, {FILETYPE_REGULAR_FILE}) == E_INVAL);
  CHECK(b.err(Sys::fd_create2, {0xff}) == E_INVAL);
  CHECK(b.err(Sys::fd_create1, {FILETYPE_SOCKET_STREAM}) == E_INVAL);
  o = b.call(Sys::fd_create1, {FILETYPE_SHARED_MEMORY});
  REQUIRE(o.error == E_SUCCESS);
  const Fd shm = static_cast<Fd>(o.out[0]);
  const Fdstat shs = b.stat_fd(shm);
  CHECK(shs.fs_filetype == FILETYPE_SHARED_MEMORY);
  CHECK((shs.fs_rights_base & RIGHT_MEM_MAP_EXEC) == 0);  // never exec-mappable (W^X)
  // fd_replace(x, x): the SECURITY.md crash; here a successful no-op.
  CHECK(b.err(Sys::fd_replace, {s1, s1}) == E_SUCCESS);
  uint64_t n = 0;
  CHECK(b.write_str(s1, "ping", &n) == E_SUCCESS);
  CHECK(n == 4);
  CHECK(b.err(Sys::fd_replace, {0xffffffffu, 0xffffffffu}) == E_BADF);
  o = b.call(Sys::fd_dup, {s2});
  REQUIRE(o.error == E_SUCCESS);
  CHECK(b.stat_fd(static_cast<Fd>(o.out[0])).fs_rights_base == b.stat_fd(s2).fs_rights_base);
  CHECK(b.err(Sys::fd_dup, {0xffffffffu}) == E_BADF);
  // A file with data, read back positioned.
  Fd f = 0;
  REQUIRE(b.open_file("data", OFLAG_CREAT, kFileRW | RIGHT_FD_SYNC | RIGHT_FD_DATASYNC, 0, &f) ==
          E_SUCCESS);
  REQUIRE(b.write_str(f, "hello world") == E_SUCCESS);
  o = b.call(Sys::fd_seek, {f, 0, WHENCE_CUR});
  CHECK(o.out[0] == 11);
  CHECK(b.err(Sys::fd_seek, {f, 0, 0}) == E_INVAL);
  CHECK(b.err(Sys::fd_seek, {f, 0, 4}) == E_INVAL);
  Iovec v{kBuf + 0x5000, 5};
  b.put_obj(kBuf + 0x5800, v);
  o = b.call(Sys::fd_pread, {f, kBuf + 0x5800, 1, 6});
  REQUIRE(o.error == E_SUCCESS);
  CHECK(o.out[0] == 5);
  char got[6] = {};
  b.mem->read(kBuf + 0x5000, got, 5);
  CHECK(std::string(got) == "world");
  CHECK(b.err(Sys::fd_pread, {f, kBuf + 0x5800, 1, uint64_t{1} << 63}) == E_INVAL);
  CHECK(b.err(Sys::fd_pwrite, {f, kBuf + 0x5800, 1, 0}) == E_SUCCESS);
  CHECK(b.err(Sys::fd_sync, {f}) == E_SUCCESS);
  CHECK(b.err(Sys::fd_datasync, {f}) == E_SUCCESS);
  // Rights: a read-only view of the same file.
  Fd ro = 0;
  REQUIRE(b.open_file("data", 0, RIGHT_FD_READ, 0, &ro) == E_SUCCESS);
  CHECK(b.err(Sys::fd_pread, {ro, kBuf + 0x5800, 1, 0}) == E_NOTCAPABLE);  // no fd_seek
  CHECK(b.err(Sys::fd_seek, {ro, 0, WHENCE_CUR}) == E_NOTCAPABLE);        // no fd_tell
  CHECK(b.err(Sys::fd_sync, {ro}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::fd_datasync, {ro}) == E_NOTCAPABLE);
  CHECK(b.write_str(ro, "x") == E_NOTCAPABLE);
  Fd tell = 0;
  REQUIRE(b.open_file("data", 0, RIGHT_FD_READ | RIGHT_FD_TELL, 0, &tell) == E_SUCCESS);
  CHECK(b.err(Sys::fd_seek, {tell, 0, WHENCE_CUR}) == E_SUCCESS);
  CHECK(b.err(Sys::fd_seek, {tell, 1, WHENCE_CUR}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::fd_seek, {tell, 0, WHENCE_SET}) == E_NOTCAPABLE);
}

TEST_CASE("fd_stat_put: rights only shrink; sync flags and clearing append need rights") {
  Box b;
  Fd f = 0;
  REQUIRE(b.open_file("f", OFLAG_CREAT, RIGHT_FD_WRITE | RIGHT_FD_STAT_PUT_FLAGS, 0, &f,
                      FDFLAG_APPEND) == E_SUCCESS);
  CHECK(b.stat_fd(f).fs_flags == FDFLAG_APPEND);
  Fdstat st{};
  // SECURITY.md: setting sync without fd_sync, dsync without fd_datasync.
  st.fs_flags = FDFLAG_APPEND | FDFLAG_SYNC;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {f, kBuf, FDSTAT_FLAGS}) == E_NOTCAPABLE);
  st.fs_flags = FDFLAG_APPEND | FDFLAG_DSYNC;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {f, kBuf, FDSTAT_FLAGS}) == E_NOTCAPABLE);
  st.fs_flags = FDFLAG_APPEND | FDFLAG_RSYNC;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {f, kBuf, FDSTAT_FLAGS}) == E_NOTCAPABLE);
  // SECURITY.md: clearing append without fd_seek.
  st.fs_flags = 0;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {f, kBuf, FDSTAT_FLAGS}) == E_NOTCAPABLE);
  CHECK(b.stat_fd(f).fs_flags == FDFLAG_APPEND);  // no side effect
  // Nonblock is fine with fd_stat_put_flags alone.
  st.fs_flags = FDFLAG_APPEND | FDFLAG_NONBLOCK;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {f, kBuf, FDSTAT_FLAGS}) == E_SUCCESS);
  CHECK(b.stat_fd(f).fs_flags == (FDFLAG_APPEND | FDFLAG_NONBLOCK));
  // Undefined bits and combinations.
  st.fs_flags = 0x20;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {f, kBuf, FDSTAT_FLAGS}) == E_INVAL);
  CHECK(b.err(Sys::fd_stat_put, {f, kBuf, 0x4}) == E_INVAL);
  CHECK(b.err(Sys::fd_stat_put, {f, kBuf, FDSTAT_FLAGS | FDSTAT_RIGHTS}) == E_INVAL);
  CHECK(b.err(Sys::fd_stat_put, {f, 0, FDSTAT_FLAGS}) == E_FAULT);
  CHECK(b.err(Sys::fd_stat_put, {f, kRoPage + 4090, FDSTAT_FLAGS}) == E_FAULT);
  // With the rights: sync is set and visible.
  Fd g = 0;
  REQUIRE(b.open_file("g", OFLAG_CREAT,
                      RIGHT_FD_WRITE | RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_SYNC | RIGHT_FD_SEEK, 0,
                      &g, FDFLAG_APPEND) == E_SUCCESS);
  st.fs_flags = FDFLAG_SYNC;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {g, kBuf, FDSTAT_FLAGS}) == E_SUCCESS);
  CHECK(b.stat_fd(g).fs_flags == FDFLAG_SYNC);
  CHECK(b.write_str(g, "synced") == E_SUCCESS);
  // Rights: shrink yes, grow no, undefined bits no.
  const Fdstat cur = b.stat_fd(g);
  st = cur;
  st.fs_rights_base = RIGHT_FD_WRITE;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {g, kBuf, FDSTAT_RIGHTS}) == E_SUCCESS);
  CHECK(b.stat_fd(g).fs_rights_base == RIGHT_FD_WRITE);
  st.fs_rights_base = RIGHT_FD_WRITE | RIGHT_FD_READ;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {g, kBuf, FDSTAT_RIGHTS}) == E_NOTCAPABLE);
  st.fs_rights_base = RIGHT_FD_WRITE | 0x800;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {g, kBuf, FDSTAT_RIGHTS}) == E_NOTCAPABLE);
  CHECK(b.stat_fd(g).fs_rights_base == RIGHT_FD_WRITE);
  // Now without fd_stat_put_flags at all.
  st.fs_flags = 0;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::fd_stat_put, {g, kBuf, FDSTAT_FLAGS}) == E_NOTCAPABLE);
}

TEST_CASE("mem_map without rights (SECURITY.md regression) and shared memory") {
  Box b;
  SyscallOutcome o = b.call(Sys::fd_create1, {FILETYPE_SHARED_MEMORY});
  REQUIRE(o.error == E_SUCCESS);
  const Fd shm = static_cast<Fd>(o.out[0]);
  Filestat fs{};
  fs.st_size = 8192;
  b.put_obj(kBuf, fs);
  REQUIRE(b.err(Sys::file_stat_fput, {shm, kBuf, FILESTAT_SIZE}) == E_SUCCESS);
  // Exec mappings of shared memory: never (no mem_map_exec on the type).
  CHECK(b.err(Sys::mem_map, {0, 4096, MPROT_READ | MPROT_EXEC, MFLAG_PRIVATE, shm, 0}) ==
        E_NOTCAPABLE);
  o = b.call(Sys::mem_map, {0, 4096, MPROT_READ | MPROT_WRITE, MFLAG_SHARED, shm, 0});
  CHECK(o.error == E_SUCCESS);
  // Drop mem_map: every protection is refused.
  Fdstat st = b.stat_fd(shm);
  st.fs_rights_base &= ~RIGHT_MEM_MAP;
  b.put_obj(kBuf, st);
  REQUIRE(b.err(Sys::fd_stat_put, {shm, kBuf, FDSTAT_RIGHTS}) == E_SUCCESS);
  for (uint8_t prot : {uint8_t{0}, uint8_t{MPROT_READ}, uint8_t{MPROT_READ | MPROT_WRITE}}) {
    INFO("prot " << int(prot));
    CHECK(b.err(Sys::mem_map, {0, 4096, prot, MFLAG_SHARED, shm, 0}) == E_NOTCAPABLE);
    CHECK(b.err(Sys::mem_map, {0, 4096, prot, MFLAG_PRIVATE, shm, 0}) == E_NOTCAPABLE);
  }
}

TEST_CASE("file_open: rights derivation, creat/trunc/sync variants, no side effect") {
  Box b;
  Fd f = 0;
  // Beyond the directory's inheriting rights: refused, nothing created.
  Fd sub = 0;
  REQUIRE(b.err(Sys::fd_dup, {3}) == E_SUCCESS);
  REQUIRE(b.open_file(".", OFLAG_DIRECTORY, RIGHT_FILE_OPEN | RIGHT_FILE_CREATE_FILE,
                      RIGHT_FD_READ, &sub) == E_SUCCESS);
  CHECK(b.open_file("new1", OFLAG_CREAT, RIGHT_FD_WRITE, 0, &f, 0, 1, sub) == E_NOTCAPABLE);
  CHECK_FALSE(b.host_exists("new1"));
  CHECK(b.open_file("new1", OFLAG_CREAT, RIGHT_FD_READ, 0, &f, 0, 1, sub) == E_SUCCESS);
  CHECK(b.stat_fd(f).fs_rights_base == RIGHT_FD_READ);
  // creat needs file_create_file on the directory.
  Fd nocreate = 0;
  REQUIRE(b.open_file(".", OFLAG_DIRECTORY, RIGHT_FILE_OPEN, kFileRW, &nocreate) == E_SUCCESS);
  CHECK(b.open_file("new2", OFLAG_CREAT, RIGHT_FD_READ, 0, &f, 0, 1, nocreate) == E_NOTCAPABLE);
  CHECK_FALSE(b.host_exists("new2"));
  // trunc needs file_stat_fput_size: the file keeps its bytes.
  Fd w = 0;
  REQUIRE(b.open_file("keep", OFLAG_CREAT, RIGHT_FD_WRITE, 0, &w) == E_SUCCESS);
  REQUIRE(b.write_str(w, "12345") == E_SUCCESS);
  CHECK(b.open_file("keep", OFLAG_TRUNC, RIGHT_FD_READ, 0, &f, 0, 1, nocreate) == E_NOTCAPABLE);
  struct stat hs;
  REQUIRE(stat((b.dir + "/keep").c_str(), &hs) == 0);
  CHECK(hs.st_size == 5);
  // sync flags need the sync rights on the directory.
  CHECK(b.open_file("keep", 0, RIGHT_FD_READ, 0, &f, FDFLAG_SYNC, 1, nocreate) == E_NOTCAPABLE);
  CHECK(b.open_file("keep", 0, RIGHT_FD_READ, 0, &f, FDFLAG_DSYNC, 1, nocreate) == E_NOTCAPABLE);
  // Type trimming: a directory opened with file rights keeps only what applies.
  REQUIRE(b.open_file("d", 0, 0, 0, &f) == E_NOENT);
  REQUIRE(b.err(Sys::file_create, {3, kBuf + 0x2000, b.put(kBuf + 0x2000, "d"), FILETYPE_DIRECTORY}) ==
          E_SUCCESS);
  REQUIRE(b.open_file("d", OFLAG_DIRECTORY, RIGHT_FD_READ | RIGHT_FILE_OPEN, 0, &f) == E_SUCCESS);
  CHECK(b.stat_fd(f).fs_rights_base == RIGHT_FILE_OPEN);
  // Bad input.
  CHECK(b.open_file("keep", 0x10, RIGHT_FD_READ, 0, &f) == E_INVAL);
  CHECK(b.open_file("keep", 0, RIGHT_FD_READ | 0x800, 0, &f) == E_INVAL);
  CHECK(b.open_file("keep", 0, RIGHT_FD_READ, 0, &f, 0x40) == E_INVAL);
  CHECK(b.open_file("keep", 0, RIGHT_FD_READ, 0, &f, 0, 0x2) == E_INVAL);
  CHECK(b.open_file("/etc/passwd", 0, RIGHT_FD_READ, 0, &f) == E_NOTCAPABLE);
  CHECK(b.open_file("../x", OFLAG_CREAT, RIGHT_FD_READ, 0, &f) == E_NOTCAPABLE);
  CHECK(b.open_file("keep", 0, RIGHT_FD_READ, 0, &f, 0, 1, 0xffffffffu) == E_BADF);
  CHECK(b.err(Sys::file_open, {3, kBuf + 0x2000, 4, 0, 0}) == E_FAULT);
  CHECK(b.err(Sys::file_open, {3, 0, 4, 0, kBuf}) == E_FAULT);
  CHECK(b.err(Sys::file_open, {3, kBuf, 1u << 20, 0, kBuf}) == E_NAMETOOLONG);
  // nofollow on a symlink.
  REQUIRE(symlink("keep", (b.dir + "/lnk").c_str()) == 0);
  CHECK(b.open_file("lnk", 0, RIGHT_FD_READ, 0, &f, 0, 0) == E_LOOP);
  CHECK(b.open_file("lnk", 0, RIGHT_FD_READ, 0, &f) == E_SUCCESS);
  // A FIFO does not hang file_open.
  REQUIRE(mkfifo((b.dir + "/fifo").c_str(), 0644) == 0);
  CHECK(b.open_file("fifo", 0, RIGHT_FD_READ, 0, &f) == E_SUCCESS);
  CHECK(b.open_file("fifo", 0, RIGHT_FD_WRITE, 0, &f) == E_SUCCESS);
}

// file_open learns the fd flags without asking the host (F_GETFL) and leaves
// the open-time O_NONBLOCK on regular files and directories until the host
// flags are observed: the guest must never see the difference.
TEST_CASE("file_open: fdflags as asked, deferred nonblock clear never visible") {
  Box b;
  Fd w = 0, f = 0, nb = 0, d = 0;
  REQUIRE(b.open_file("data", OFLAG_CREAT, RIGHT_FD_WRITE, 0, &w, FDFLAG_APPEND) == E_SUCCESS);
  CHECK(b.stat_fd(w).fs_flags == FDFLAG_APPEND);
  REQUIRE(b.open_file("data", 0, RIGHT_FD_READ | RIGHT_FD_WRITE, 0, &f) == E_SUCCESS);
  auto host_flags = [&](Fd g) {
    hostio::FdEntryPtr e;
    REQUIRE(b.fds.lookup(g, 0, &e) == E_SUCCESS);
    return fcntl(e->host_fd(), F_GETFL);
  };
  // Not yet settled: the host still has the open-time O_NONBLOCK ...
  CHECK((host_flags(f) & O_NONBLOCK) != 0);
  // ... observed through fd_stat_get: settled, and the host agrees.
  CHECK(b.stat_fd(f).fs_flags == 0);
  CHECK(b.stat_fd(f).fs_rights_base == (RIGHT_FD_READ | RIGHT_FD_WRITE));
  CHECK((host_flags(f) & O_NONBLOCK) == 0);
  CHECK((host_flags(f) & O_ACCMODE) == O_RDWR);
  REQUIRE(b.open_file("data", 0, RIGHT_FD_READ, 0, &nb, FDFLAG_NONBLOCK) == E_SUCCESS);
  CHECK(b.stat_fd(nb).fs_flags == FDFLAG_NONBLOCK);
  CHECK((host_flags(nb) & O_NONBLOCK) != 0);
  // A dup shares the entry: settled through either number.
  REQUIRE(b.open_file(".", OFLAG_DIRECTORY, RIGHT_FILE_READDIR, 0, &d) == E_SUCCESS);
  SyscallOutcome o = b.call(Sys::fd_dup, {d});
  REQUIRE(o.error == E_SUCCESS);
  CHECK(b.stat_fd(static_cast<Fd>(o.out[0])).fs_flags == 0);
  CHECK((host_flags(d) & O_NONBLOCK) == 0);
  // fd_stat_put on a not yet settled entry: the guest's choice wins.
  Fd g = 0;
  REQUIRE(b.open_file("data", 0, RIGHT_FD_READ | RIGHT_FD_STAT_PUT_FLAGS, 0, &g) == E_SUCCESS);
  Fdstat put{};
  put.fs_flags = FDFLAG_NONBLOCK;
  b.put_obj(kBuf + 0x1000, put);
  REQUIRE(b.err(Sys::fd_stat_put, {g, kBuf + 0x1000, FDSTAT_FLAGS}) == E_SUCCESS);
  CHECK(b.stat_fd(g).fs_flags == FDFLAG_NONBLOCK);
  put.fs_flags = 0;
  b.put_obj(kBuf + 0x1000, put);
  REQUIRE(b.err(Sys::fd_stat_put, {g, kBuf + 0x1000, FDSTAT_FLAGS}) == E_SUCCESS);
  CHECK(b.stat_fd(g).fs_flags == 0);
  CHECK((host_flags(g) & O_NONBLOCK) == 0);
  // A FIFO is cleared at once: a read without a writer blocks, not EAGAIN.
  REQUIRE(mkfifo((b.dir + "/fifo").c_str(), 0644) == 0);
  Fd fifo = 0;
  REQUIRE(b.open_file("fifo", 0, RIGHT_FD_READ | RIGHT_FD_WRITE, 0, &fifo) == E_SUCCESS);
  CHECK((host_flags(fifo) & O_NONBLOCK) == 0);
  CHECK(b.stat_fd(fifo).fs_flags == 0);
}

// file_open leaves the type (and the type's trim of the rights) to the
// fd's first lookup: it must come out the same through dup, replace and
// close of the other number, and file_stat_fget must report it.
TEST_CASE("file_open: a type learnt at first use is right through dup, replace, close") {
  Box b;
  REQUIRE(b.err(Sys::file_create, {3, kBuf + 0x2000, b.put(kBuf + 0x2000, "d"), FILETYPE_DIRECTORY}) ==
          E_SUCCESS);
  Fd d = 0, f = 0, other = 0;
  // A directory asked for with file rights: only what applies survives.
  REQUIRE(b.open_file("d", OFLAG_DIRECTORY, RIGHT_FD_READ | RIGHT_FILE_OPEN | RIGHT_FILE_STAT_FGET,
                      0, &d) == E_SUCCESS);
  SyscallOutcome o = b.call(Sys::fd_dup, {d});  // before anything looked at it
  REQUIRE(o.error == E_SUCCESS);
  const Fd dup = static_cast<Fd>(o.out[0]);
  REQUIRE(b.open_file("data", OFLAG_CREAT, RIGHT_FD_WRITE | RIGHT_FILE_STAT_FGET, 0, &f) == E_SUCCESS);
  REQUIRE(b.open_file("data", 0, RIGHT_FD_READ, 0, &other) == E_SUCCESS);
  REQUIRE(b.err(Sys::fd_replace, {d, other}) == E_SUCCESS);  // still unresolved
  REQUIRE(b.err(Sys::fd_close, {d}) == E_SUCCESS);
  for (Fd g : {dup, other}) {
    const Fdstat st = b.stat_fd(g);
    CHECK(st.fs_filetype == FILETYPE_DIRECTORY);
    CHECK(st.fs_rights_base == (RIGHT_FILE_OPEN | RIGHT_FILE_STAT_FGET));
  }
  // Rights the type does not hold are refused, the first lookup included.
  Fd d2 = 0;
  REQUIRE(b.open_file("d", OFLAG_DIRECTORY, RIGHT_FD_READ | RIGHT_FILE_OPEN, 0, &d2) == E_SUCCESS);
  CHECK(b.err(Sys::fd_read, {d2, kBuf + 0x3800, 0}) == E_NOTCAPABLE);
  // file_stat_fget on a fresh fd: the resolving fstat is the answer.
  REQUIRE(b.write_str(f, "12345") == E_SUCCESS);
  Fd r = 0;
  REQUIRE(b.open_file("data", 0, RIGHT_FILE_STAT_FGET, 0, &r) == E_SUCCESS);
  REQUIRE(b.err(Sys::file_stat_fget, {r, kBuf + 0x3000}) == E_SUCCESS);
  const Filestat fs = b.get_obj<Filestat>(kBuf + 0x3000);
  CHECK(fs.st_filetype == FILETYPE_REGULAR_FILE);
  CHECK(fs.st_size == 5);
  REQUIRE(b.err(Sys::file_stat_fget, {r, kBuf + 0x3000}) == E_SUCCESS);
  CHECK(b.get_obj<Filestat>(kBuf + 0x3000).st_size == 5);
}

TEST_CASE("file_*: create, readdir with cookies, link, rename, symlink, readlink, stat, unlink") {
  Box b;
  auto path = [&](const std::string& p, vm::GuestAddr at = kBuf + 0x2000) {
    return std::pair<uint64_t, uint64_t>{at, b.put(at, p)};
  };
  auto [p, n] = path("sub");
  CHECK(b.err(Sys::file_create, {3, p, n, FILETYPE_DIRECTORY}) == E_SUCCESS);
  CHECK(b.err(Sys::file_create, {3, p, n, FILETYPE_DIRECTORY}) == E_EXIST);
  CHECK(b.err(Sys::file_create, {3, p, n, FILETYPE_REGULAR_FILE}) == E_INVAL);
  auto [pu, nu] = path("../escape");
  CHECK(b.err(Sys::file_create, {3, pu, nu, FILETYPE_DIRECTORY}) == E_NOTCAPABLE);
  Fd f = 0;
  for (int i = 0; i < 40; ++i)
    REQUIRE(b.open_file("sub/file" + std::to_string(i), OFLAG_CREAT, RIGHT_FD_WRITE, 0, &f) == E_SUCCESS);
  Fd d = 0;
  REQUIRE(b.open_file("sub", OFLAG_DIRECTORY, RIGHT_FILE_READDIR, 0, &d) == E_SUCCESS);
  // Read with a small buffer, continuing from each last complete entry's cookie.
  std::set<std::string> names;
  uint64_t cookie = 0;
  for (int round = 0; round < 200; ++round) {
    SyscallOutcome o = b.call(Sys::file_readdir, {d, kBuf + 0x6000, 100, cookie});
    REQUIRE(o.error == E_SUCCESS);
    std::vector<uint8_t> buf(o.out[0]);
    b.mem->read(kBuf + 0x6000, buf.data(), buf.size());
    size_t pos = 0;
    bool progressed = false;
    while (pos + sizeof(Dirent) <= buf.size()) {
      Dirent de;
      std::memcpy(&de, buf.data() + pos, sizeof de);
      if (pos + sizeof de + de.d_namlen > buf.size()) break;  // truncated
      names.insert(std::string(reinterpret_cast<char*>(buf.data() + pos + sizeof de), de.d_namlen));
      cookie = de.d_next;
      progressed = true;
      pos += sizeof de + de.d_namlen;
    }
    if (o.out[0] < 100) break;
    REQUIRE(progressed);
  }
  CHECK(names.size() == 42);  // 40 files, ".", ".."
  CHECK(names.count("file39") == 1);
  CHECK(b.err(Sys::file_readdir, {d, kRoPage, 100, 0}) == E_FAULT);
  CHECK(b.err(Sys::file_readdir, {3 + 100, kBuf, 100, 0}) == E_BADF);
  Fd nord = 0;
  REQUIRE(b.open_file("sub", OFLAG_DIRECTORY, RIGHT_FILE_OPEN, 0, &nord) == E_SUCCESS);
  CHECK(b.err(Sys::file_readdir, {nord, kBuf + 0x6000, 100, 0}) == E_NOTCAPABLE);
  // link, rename, symlink, readlink, stat, unlink.
  auto [a1, l1] = path("sub/file0");
  auto [a2, l2] = path("hard", kBuf + 0x2400);
  CHECK(b.err(Sys::file_link, {(uint64_t{LOOKUP_SYMLINK_FOLLOW} << 32) | 3, a1, l1, 3, a2, l2}) == E_SUCCESS);
  CHECK(b.host_exists("hard"));
  auto [a3, l3] = path("renamed", kBuf + 0x2800);
  CHECK(b.err(Sys::file_rename, {3, a2, l2, 3, a3, l3}) == E_SUCCESS);
  CHECK(b.host_exists("renamed"));
  auto [a4, l4] = path("../outside", kBuf + 0x2c00);
  CHECK(b.err(Sys::file_rename, {3, a3, l3, 3, a4, l4}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_link, {3, a3, l3, 3, a4, l4}) == E_NOTCAPABLE);
  auto [t1, tl1] = path("/etc/passwd", kBuf + 0x3000);
  auto [s1, sl1] = path("abs_link", kBuf + 0x3400);
  CHECK(b.err(Sys::file_symlink, {t1, tl1, 3, s1, sl1}) == E_SUCCESS);  // text is stored
  SyscallOutcome o = b.call(Sys::file_readlink, {3, s1, sl1, kBuf + 0x5000, 64});
  REQUIRE(o.error == E_SUCCESS);
  CHECK(o.out[0] == 11);
  o = b.call(Sys::file_readlink, {3, s1, sl1, kBuf + 0x5000, 4});
  CHECK(o.out[0] == 4);
  CHECK(b.err(Sys::file_readlink, {3, a3, l3, kBuf + 0x5000, 64}) == E_INVAL);  // not a link
  // Following it leaves the sandbox: refused; not following reads the link.
  CHECK(b.err(Sys::file_stat_get, {(uint64_t{LOOKUP_SYMLINK_FOLLOW} << 32) | 3, s1, sl1, kBuf}) ==
        E_NOTCAPABLE);
  CHECK(b.err(Sys::file_stat_get, {3, s1, sl1, kBuf}) == E_SUCCESS);
  CHECK(b.get_obj<Filestat>(kBuf).st_filetype == FILETYPE_SYMBOLIC_LINK);
  CHECK(b.err(Sys::file_link, {(uint64_t{LOOKUP_SYMLINK_FOLLOW} << 32) | 3, s1, sl1, 3, a2, l2}) ==
        E_NOTCAPABLE);
  CHECK(b.err(Sys::file_stat_get, {3, a3, l3, kBuf}) == E_SUCCESS);
  CHECK(b.get_obj<Filestat>(kBuf).st_nlink == 2);
  // stat_put times by path.
  Filestat ts{};
  ts.st_mtim = 1000000000ull * 1234567;
  b.put_obj(kBuf + 0x100, ts);
  CHECK(b.err(Sys::file_stat_put, {3, a3, l3, kBuf + 0x100, FILESTAT_MTIM}) == E_SUCCESS);
  struct stat hs;
  REQUIRE(stat((b.dir + "/renamed").c_str(), &hs) == 0);
  CHECK(hs.st_mtime == 1234567);
  CHECK(b.err(Sys::file_stat_put, {3, a3, l3, kBuf + 0x100, FILESTAT_SIZE}) == E_INVAL);
  CHECK(b.err(Sys::file_stat_put, {3, a3, l3, kBuf + 0x100, FILESTAT_MTIM | FILESTAT_MTIM_NOW}) ==
        E_INVAL);
  // unlink: files, directories, flags.
  CHECK(b.err(Sys::file_unlink, {3, a3, l3, 0x2}) == E_INVAL);
  CHECK(b.err(Sys::file_unlink, {3, a3, l3, UNLINK_REMOVEDIR}) == E_NOTDIR);
  CHECK(b.err(Sys::file_unlink, {3, a3, l3, 0}) == E_SUCCESS);
  CHECK_FALSE(b.host_exists("renamed"));
  auto [sd, sdl] = path("sub/");
  CHECK(b.err(Sys::file_unlink, {3, sd, sdl, 0}) == E_ISDIR);
  CHECK(b.err(Sys::file_unlink, {3, sd, sdl, UNLINK_REMOVEDIR}) == E_NOTEMPTY);
  auto [dd, ddl] = path("..");
  CHECK(b.err(Sys::file_unlink, {3, dd, ddl, UNLINK_REMOVEDIR}) == E_NOTCAPABLE);
  // Rights on each side.
  Fd weak = 0;
  REQUIRE(b.open_file(".", OFLAG_DIRECTORY, RIGHT_FILE_OPEN, 0, &weak) == E_SUCCESS);
  CHECK(b.err(Sys::file_unlink, {weak, a1, l1, 0}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_create, {weak, p, n, FILETYPE_DIRECTORY}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_rename, {weak, a1, l1, 3, a2, l2}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_rename, {3, a1, l1, weak, a2, l2}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_link, {weak, a1, l1, 3, a2, l2}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_link, {3, a1, l1, weak, a2, l2}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_symlink, {t1, tl1, weak, s1, sl1}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_readlink, {weak, s1, sl1, kBuf, 8}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_stat_get, {weak, a1, l1, kBuf}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_stat_put, {weak, a1, l1, kBuf + 0x100, FILESTAT_MTIM}) == E_NOTCAPABLE);
  CHECK(b.host_exists("sub/file0"));
}

TEST_CASE("file_stat_fget/fput, advise, allocate") {
  Box b;
  Fd f = 0;
  REQUIRE(b.open_file("f", OFLAG_CREAT,
                      RIGHT_FD_WRITE | RIGHT_FILE_STAT_FGET | RIGHT_FILE_ALLOCATE | RIGHT_FILE_ADVISE,
                      0, &f) == E_SUCCESS);
  CHECK(b.err(Sys::file_allocate, {f, 0, 4096}) == E_SUCCESS);
  CHECK(b.err(Sys::file_stat_fget, {f, kBuf}) == E_SUCCESS);
  CHECK(b.get_obj<Filestat>(kBuf).st_size == 4096);
  CHECK(b.get_obj<Filestat>(kBuf).st_filetype == FILETYPE_REGULAR_FILE);
  CHECK(b.err(Sys::file_allocate, {f, 0, 0}) == E_INVAL);
  CHECK(b.err(Sys::file_allocate, {f, uint64_t{1} << 63, 1}) == E_INVAL);
  CHECK(b.err(Sys::file_advise, {f, 0, 0, ADVICE_SEQUENTIAL}) == E_SUCCESS);
  CHECK(b.err(Sys::file_advise, {f, 0, 0, 0}) == E_INVAL);
  CHECK(b.err(Sys::file_advise, {f, 0, 0, 7}) == E_INVAL);
  Filestat st{};
  st.st_size = 10;
  b.put_obj(kBuf, st);
  CHECK(b.err(Sys::file_stat_fput, {f, kBuf, FILESTAT_SIZE}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_stat_fput, {f, kBuf, FILESTAT_MTIM_NOW}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_stat_fput, {f, kBuf, 0x20}) == E_INVAL);
  CHECK(b.err(Sys::file_stat_fput, {f, kBuf, FILESTAT_SIZE | FILESTAT_MTIM}) == E_INVAL);
  Fd ro = 0;
  REQUIRE(b.open_file("f", 0, RIGHT_FD_READ, 0, &ro) == E_SUCCESS);
  CHECK(b.err(Sys::file_stat_fget, {ro, kBuf}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_allocate, {ro, 0, 1}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::file_advise, {ro, 0, 0, ADVICE_NORMAL}) == E_NOTCAPABLE);
}

TEST_CASE("sock_send/recv: scatter/gather, fds keep exactly their rights (never widened)") {
  Box b;
  SyscallOutcome o = b.call(Sys::fd_create2, {FILETYPE_SOCKET_STREAM});
  REQUIRE(o.error == E_SUCCESS);
  const Fd s1 = static_cast<Fd>(o.out[0]), s2 = static_cast<Fd>(o.out[1]);
  Fd f = 0;
  REQUIRE(b.open_file("passed", OFLAG_CREAT, RIGHT_FD_READ | RIGHT_FD_WRITE, 0, &f) == E_SUCCESS);
  // Restrict to fd_read only before sending.
  Fdstat st = b.stat_fd(f);
  st.fs_rights_base = RIGHT_FD_READ;
  st.fs_rights_inheriting = 0;
  b.put_obj(kBuf, st);
  REQUIRE(b.err(Sys::fd_stat_put, {f, kBuf, FDSTAT_RIGHTS}) == E_SUCCESS);
  // Two data pieces, one fd.
  b.put(kBuf + 0x100, "abc");
  b.put(kBuf + 0x200, "defg");
  Ciovec cv[2] = {{kBuf + 0x100, 3}, {kBuf + 0x200, 4}};
  b.mem->write(kBuf + 0x300, cv, sizeof cv);
  b.put_obj(kBuf + 0x400, f);
  SendIn si{};
  si.si_data = kBuf + 0x300;
  si.si_data_len = 2;
  si.si_fds = kBuf + 0x400;
  si.si_fds_len = 1;
  b.put_obj(kBuf + 0x500, si);
  REQUIRE(b.err(Sys::sock_send, {s1, kBuf + 0x500, kBuf + 0x600}) == E_SUCCESS);
  CHECK(b.get_obj<SendOut>(kBuf + 0x600).so_datalen == 7);
  // Receive into two buffers.
  Iovec iv[2] = {{kBuf + 0x1000, 2}, {kBuf + 0x1100, 16}};
  b.mem->write(kBuf + 0x700, iv, sizeof iv);
  RecvIn ri{};
  ri.ri_data = kBuf + 0x700;
  ri.ri_data_len = 2;
  ri.ri_fds = kBuf + 0x800;
  ri.ri_fds_len = 4;
  b.put_obj(kBuf + 0x900, ri);
  REQUIRE(b.err(Sys::sock_recv, {s2, kBuf + 0x900, kBuf + 0xa00}) == E_SUCCESS);
  const RecvOut ro = b.get_obj<RecvOut>(kBuf + 0xa00);
  CHECK(ro.ro_datalen == 7);
  CHECK(ro.ro_fdslen == 1);
  char got[8] = {};
  b.mem->read(kBuf + 0x1000, got, 2);
  b.mem->read(kBuf + 0x1100, got + 2, 5);
  CHECK(std::string(got) == "abcdefg");
  const Fd received = b.get_obj<Fd>(kBuf + 0x800);
  const Fdstat rs = b.stat_fd(received);
  CHECK(rs.fs_rights_base == RIGHT_FD_READ);  // exactly what was sent
  CHECK(rs.fs_rights_inheriting == 0);
  CHECK(rs.fs_filetype == FILETYPE_REGULAR_FILE);
  CHECK(b.write_str(received, "x") == E_NOTCAPABLE);
  // Rights and bad input.
  CHECK(b.err(Sys::sock_send, {f, kBuf + 0x500, kBuf + 0x600}) == E_NOTCAPABLE);
  b.put_obj(kBuf + 0x400, Fd{0xffffffffu});
  CHECK(b.err(Sys::sock_send, {s1, kBuf + 0x500, kBuf + 0x600}) == E_BADF);
  si.si_flags = 1;
  b.put_obj(kBuf + 0x500, si);
  CHECK(b.err(Sys::sock_send, {s1, kBuf + 0x500, kBuf + 0x600}) == E_INVAL);
  CHECK(b.err(Sys::sock_send, {s1, 0, kBuf + 0x600}) == E_FAULT);
  ri.ri_flags = 0x2;
  b.put_obj(kBuf + 0x900, ri);
  CHECK(b.err(Sys::sock_recv, {s2, kBuf + 0x900, kBuf + 0xa00}) == E_INVAL);
  CHECK(b.err(Sys::sock_recv, {s2, kBuf + 0x900, kRoPage}) == E_INVAL);
  CHECK(b.err(Sys::sock_shutdown, {s1, 0}) == E_INVAL);
  CHECK(b.err(Sys::sock_shutdown, {s1, 4}) == E_INVAL);
  CHECK(b.err(Sys::sock_shutdown, {f, SDFLAG_WR}) == E_NOTCAPABLE);
  CHECK(b.err(Sys::sock_shutdown, {s1, SDFLAG_WR}) == E_SUCCESS);
}

TEST_CASE("poll: nsubscriptions * size overflow (SECURITY.md), clocks, fds, several at once") {
  Box b;
  for (uint64_t n : {~uint64_t{0}, (~uint64_t{0}) / sizeof(Subscription) + 1, uint64_t{1} << 40,
                     uint64_t{1} << 32}) {
    INFO("n " << n);
    CHECK(b.err(Sys::poll, {kBuf, kBuf + 0x8000, n}) == E_INVAL);
  }
  CHECK(b.call(Sys::poll, {kBuf, kBuf, 0}).out[0] == 0);
  CHECK(b.err(Sys::poll, {0, kBuf, 1}) == E_FAULT);
  // A relative clock, an absolute one in the past, a pipe with data, a bad fd.
  SyscallOutcome o = b.call(Sys::fd_create2, {FILETYPE_SOCKET_STREAM});
  const Fd s1 = static_cast<Fd>(o.out[0]), s2 = static_cast<Fd>(o.out[1]);
  REQUIRE(b.write_str(s1, "data") == E_SUCCESS);
  Subscription subs[4] = {};
  subs[0].userdata = 1;
  subs[0].type = EVENTTYPE_CLOCK;
  subs[0].clock.clock_id = CLOCKID_MONOTONIC;
  subs[0].clock.timeout = 5000000000ull;  // 5 s: must not fire
  subs[1] = fd_read_sub(2, s2);
  subs[2] = fd_read_sub(3, 0xffffffffu);
  subs[3].userdata = 4;
  subs[3].type = EVENTTYPE_CLOCK;
  subs[3].clock.clock_id = CLOCKID_REALTIME;
  subs[3].clock.timeout = 1;  // absolute, long past
  subs[3].clock.flags = SUBSCRIPTION_CLOCK_ABSTIME;
  b.mem->write(kBuf, subs, sizeof subs);
  o = b.call(Sys::poll, {kBuf, kBuf + 0x8000, 4});
  REQUIRE(o.error == E_SUCCESS);
  REQUIRE(o.out[0] == 3);
  Event ev[3];
  b.mem->read(kBuf + 0x8000, ev, sizeof ev);
  std::set<uint64_t> seen;
  for (const Event& e : ev) {
    seen.insert(e.userdata);
    if (e.userdata == 2) CHECK(e.fd_readwrite.nbytes == 4);
    if (e.userdata == 3) CHECK(e.error == E_BADF);
    if (e.userdata == 4) CHECK(e.error == E_SUCCESS);
  }
  CHECK(seen == std::set<uint64_t>{2, 3, 4});
  // A relative clock alone fires after about its timeout.
  subs[0].clock.timeout = 20000000;  // 20 ms
  b.put_obj(kBuf, subs[0]);
  const auto t0 = std::chrono::steady_clock::now();
  o = b.call(Sys::poll, {kBuf, kBuf + 0x8000, 1});
  CHECK(o.out[0] == 1);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(19));
  // Rights: fd_read subscription needs fd_read + poll_fd_readwrite.
  Fd wo = 0;
  REQUIRE(b.open_file("w", OFLAG_CREAT, RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE, 0, &wo) == E_SUCCESS);
  subs[1].fd_readwrite.fd = wo;
  b.put_obj(kBuf, subs[1]);
  o = b.call(Sys::poll, {kBuf, kBuf + 0x8000, 1});
  REQUIRE(o.out[0] == 1);
  CHECK(b.get_obj<Event>(kBuf + 0x8000).error == E_NOTCAPABLE);
  // Unknown event types and a lock not first: event errors.
  subs[0].type = 99;
  b.put_obj(kBuf, subs[0]);
  o = b.call(Sys::poll, {kBuf, kBuf + 0x8000, 1});
  CHECK(b.get_obj<Event>(kBuf + 0x8000).error == E_INVAL);
  // Out array not writable: EFAULT before anything happens.
  CHECK(b.err(Sys::poll, {kBuf, kRoPage, 1}) == E_FAULT);
}

TEST_CASE("poll: per-thread working storage leaves nothing behind between calls") {
  // poll keeps its vectors per thread (sys_sync.cpp, PollScratch): a later,
  // smaller call must report only its own events, and a descriptor polled
  // once must not be kept open by that storage after the guest closes it.
  Box b;
  SyscallOutcome o = b.call(Sys::fd_create2, {FILETYPE_SOCKET_STREAM});
  const Fd a1 = static_cast<Fd>(o.out[0]), a2 = static_cast<Fd>(o.out[1]);
  o = b.call(Sys::fd_create2, {FILETYPE_SOCKET_STREAM});
  const Fd c1 = static_cast<Fd>(o.out[0]), c2 = static_cast<Fd>(o.out[1]);
  REQUIRE(b.write_str(a1, "abc") == E_SUCCESS);
  REQUIRE(b.write_str(c1, "defgh") == E_SUCCESS);
  Subscription subs[3] = {};
  subs[0] = fd_read_sub(10, a2);
  subs[1] = fd_read_sub(11, c2);
  subs[2] = fd_read_sub(12, 0xfffffff0u);  // not open: an event with EBADF
  b.mem->write(kBuf, subs, sizeof subs);
  o = b.call(Sys::poll, {kBuf, kBuf + 0x8000, 3});
  REQUIRE(o.error == E_SUCCESS);
  REQUIRE(o.out[0] == 3);
  // Once the guest closes the first pair's reading end, which only that
  // call polled, its host descriptor is closed: its peer sees EPIPE rather
  // than a reader kept alive by poll's storage.
  hostio::FdEntryPtr e;
  REQUIRE(b.fds.lookup(a1, 0, &e) == E_SUCCESS);
  const int host_a1 = e->host_fd();
  e.reset();
  REQUIRE(b.call(Sys::fd_close, {a2}).error == E_SUCCESS);
  errno = 0;
  CHECK(send(host_a1, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == -1);
  CHECK(errno == EPIPE);
  // One subscription now, on the second pair only: one event, its own bytes.
  b.put_obj(kBuf, subs[1]);
  o = b.call(Sys::poll, {kBuf, kBuf + 0x8000, 1});
  REQUIRE(o.error == E_SUCCESS);
  REQUIRE(o.out[0] == 1);
  const Event ev = b.get_obj<Event>(kBuf + 0x8000);
  CHECK(ev.userdata == 11);
  CHECK(ev.error == E_SUCCESS);
  CHECK(ev.fd_readwrite.nbytes == 5);
}

TEST_CASE("locks: kernel-managed waiting, lock_unlock ownership") {
  Box b;
  const vm::GuestAddr lock = kBuf + 0x40;
  const uint32_t owner = 11, waiter = 22;
  b.put_obj(lock, uint32_t{owner | kLockWrlocked});
  // Not the owner: EPERM, lock unchanged.
  b.tid = waiter;
  CHECK(b.err(Sys::lock_unlock, {lock, SCOPE_PRIVATE}) == E_PERM);
  CHECK(b.err(Sys::lock_unlock, {lock, 0}) == E_INVAL);
  CHECK(b.err(Sys::lock_unlock, {lock + 1, SCOPE_PRIVATE}) != E_SUCCESS);
  CHECK(b.err(Sys::lock_unlock, {0, SCOPE_PRIVATE}) == E_FAULT);
  Subscription s{};
  s.type = EVENTTYPE_LOCK_WRLOCK;
  s.lock.lock = lock;
  s.lock.lock_scope = SCOPE_PRIVATE;
  b.put_obj(kBuf + 0x100, s);
  std::atomic<bool> done{false};
  std::thread t([&] {
    SyscallRequest r;
    r.number = static_cast<uint32_t>(Sys::poll);
    r.tid = waiter;
    r.args[0] = kBuf + 0x100;
    r.args[1] = kBuf + 0x200;
    r.args[2] = 1;
    SyscallOutcome o = hostio::handle_syscall(b.ctx, r);
    CHECK(o.error == E_SUCCESS);
    done = true;
  });
  // The waiter marks the lock kernel-managed and sleeps.
  uint32_t v = 0;
  for (int i = 0; i < 500 && !(v & kLockKernelManaged); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    b.mem->load32(lock, &v);
  }
  CHECK((v & kLockKernelManaged) != 0);
  CHECK_FALSE(done.load());
  b.tid = owner;
  CHECK(b.err(Sys::lock_unlock, {lock, SCOPE_PRIVATE}) == E_SUCCESS);
  t.join();
  CHECK(done.load());
  b.mem->load32(lock, &v);
  CHECK(v == (waiter | kLockWrlocked));  // no other waiters: not kernel-managed
  // A lock wait with a timeout that expires returns the clock event.
  Subscription two[2] = {s, {}};
  two[1].userdata = 9;
  two[1].type = EVENTTYPE_CLOCK;
  two[1].clock.clock_id = CLOCKID_MONOTONIC;
  two[1].clock.timeout = 10000000;
  b.mem->write(kBuf + 0x100, two, sizeof two);
  b.tid = 33;
  SyscallOutcome o = b.call(Sys::poll, {kBuf + 0x100, kBuf + 0x200, 2});
  REQUIRE(o.error == E_SUCCESS);
  CHECK(b.get_obj<Event>(kBuf + 0x200).userdata == 9);
  // Taking one's own write lock again: EDEADLK as the event's error.
  b.tid = waiter;
  o = b.call(Sys::poll, {kBuf + 0x100, kBuf + 0x200, 1});
  CHECK(b.get_obj<Event>(kBuf + 0x200).error == E_DEADLK);
  // Lock subscriptions followed by a non-clock: EINVAL.
  two[1].type = EVENTTYPE_FD_READ;
  b.mem->write(kBuf + 0x100, two, sizeof two);
  CHECK(b.err(Sys::poll, {kBuf + 0x100, kBuf + 0x200, 2}) == E_INVAL);
}

TEST_CASE("condvar: wait releases and reacquires the lock, signal wakes, word reset") {
  Box b;
  const vm::GuestAddr lock = kBuf + 0x40, cv = kBuf + 0x44;
  const uint32_t a = 5, w = 6;
  b.put_obj(lock, uint32_t{w | kLockWrlocked});
  b.put_obj(cv, uint32_t{0});
  Subscription s{};
  s.userdata = 42;
  s.type = EVENTTYPE_CONDVAR;
  s.condvar.condvar = cv;
  s.condvar.lock = lock;
  s.condvar.condvar_scope = SCOPE_PRIVATE;
  s.condvar.lock_scope = SCOPE_PRIVATE;
  b.put_obj(kBuf + 0x100, s);
  std::thread t([&] {
    SyscallRequest r;
    r.number = static_cast<uint32_t>(Sys::poll);
    r.tid = w;
    r.args[0] = kBuf + 0x100;
    r.args[1] = kBuf + 0x200;
    r.args[2] = 1;
    SyscallOutcome o = hostio::handle_syscall(b.ctx, r);
    CHECK(o.error == E_SUCCESS);
    CHECK(o.out[0] == 1);
  });
  uint32_t lv = 1, cvv = 0;
  for (int i = 0; i < 500 && (lv != 0 || cvv == 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    b.mem->load32(lock, &lv);
    b.mem->load32(cv, &cvv);
  }
  REQUIRE(lv == 0);    // released while waiting
  REQUIRE(cvv != 0);   // has waiters
  // Take the lock in "userspace", signal, unlock.
  uint32_t expect = 0;
  bool swapped = false;
  b.mem->cas32(lock, &expect, a | kLockWrlocked, &swapped);
  REQUIRE(swapped);
  b.tid = a;
  CHECK(b.err(Sys::condvar_signal, {cv, SCOPE_PRIVATE, 1}) == E_SUCCESS);
  b.mem->load32(cv, &cvv);
  CHECK(cvv == kCondvarHasNoWaiters);
  CHECK(b.err(Sys::lock_unlock, {lock, SCOPE_PRIVATE}) == E_SUCCESS);
  t.join();
  b.mem->load32(lock, &lv);
  CHECK((lv & ~kLockKernelManaged) == (w | kLockWrlocked));  // reacquired by the waiter
  CHECK(b.get_obj<Event>(kBuf + 0x200).userdata == 42);
  CHECK(b.err(Sys::condvar_signal, {cv, 3, 1}) == E_INVAL);
  CHECK(b.err(Sys::condvar_signal, {kRoPage, SCOPE_PRIVATE, 1}) == E_FAULT);
  // Waiting without holding the lock: EPERM as the event's error.
  b.tid = 99;
  b.call(Sys::poll, {kBuf + 0x100, kBuf + 0x200, 1});
  CHECK(b.get_obj<Event>(kBuf + 0x200).error == E_PERM);
}

TEST_CASE("threads: attributes copied and checked, thread_exit unlocks") {
  Box b;
  Threadattr at{0x1000, kBuf + 0x8000, 0x1000, 5};
  b.put_obj(kBuf, at);
  SyscallOutcome o = b.call(Sys::thread_create, {kBuf});
  CHECK(o.error == E_SUCCESS);
  CHECK(o.out[0] == 1234);
  at.stack = kRoPage;
  b.put_obj(kBuf, at);
  CHECK(b.err(Sys::thread_create, {kBuf}) == E_FAULT);
  at.stack = kBuf;
  at.stack_len = 0;
  b.put_obj(kBuf, at);
  CHECK(b.err(Sys::thread_create, {kBuf}) == E_INVAL);
  at.stack_len = ~uint64_t{0};
  b.put_obj(kBuf, at);
  CHECK(b.err(Sys::thread_create, {kBuf}) == E_FAULT);
  CHECK(b.err(Sys::thread_create, {0}) == E_FAULT);
  CHECK(b.hooks.threads == 1);
  b.put_obj(kBuf + 0x40, uint32_t{b.tid | kLockWrlocked | kLockKernelManaged});
  o = b.call(Sys::thread_exit, {kBuf + 0x40, SCOPE_PRIVATE});
  CHECK(o.after == hostio::After::kExitThread);
  CHECK(b.get_obj<uint32_t>(kBuf + 0x40) == 0);
}

TEST_CASE("proc_fork: process fd, poll proc_terminate, close kills; proc_exec keeps rights") {
  Box b;
  b.hooks.child_exit = 7;
  SyscallOutcome o = b.call(Sys::proc_fork, {});
  REQUIRE(o.error == E_SUCCESS);
  const Fd pfd = static_cast<Fd>(o.out[0]);
  CHECK(b.stat_fd(pfd).fs_filetype == FILETYPE_PROCESS);
  Subscription s{};
  s.userdata = 1;
  s.type = EVENTTYPE_PROC_TERMINATE;
  s.proc_terminate.fd = pfd;
  b.put_obj(kBuf, s);
  o = b.call(Sys::poll, {kBuf, kBuf + 0x100, 1});
  REQUIRE(o.out[0] == 1);
  Event ev = b.get_obj<Event>(kBuf + 0x100);
  CHECK(ev.error == E_SUCCESS);
  CHECK(ev.proc_terminate.signal == 0);
  CHECK(ev.proc_terminate.exitcode == 7);
  // proc_terminate on a non-process fd: EBADF event; without the right: ENOTCAPABLE.
  s.proc_terminate.fd = 3;
  b.put_obj(kBuf, s);
  b.call(Sys::poll, {kBuf, kBuf + 0x100, 1});
  CHECK(b.get_obj<Event>(kBuf + 0x100).error == E_NOTCAPABLE);
  CHECK(b.err(Sys::fd_close, {pfd}) == E_SUCCESS);
  // A sleeping child is killed when its last process fd closes.
  b.hooks.child_sleeps = true;
  o = b.call(Sys::proc_fork, {});
  REQUIRE(o.error == E_SUCCESS);
  const Fd p2 = static_cast<Fd>(o.out[0]);
  o = b.call(Sys::fd_dup, {p2});
  const Fd p3 = static_cast<Fd>(o.out[0]);
  CHECK(b.err(Sys::fd_close, {p2}) == E_SUCCESS);
  s.proc_terminate.fd = p3;
  s.type = EVENTTYPE_PROC_TERMINATE;
  b.put_obj(kBuf, s);
  Subscription two[2] = {s, {}};
  two[1].type = EVENTTYPE_CLOCK;
  two[1].clock.clock_id = CLOCKID_MONOTONIC;
  two[1].clock.timeout = 20000000;
  two[1].userdata = 2;
  b.mem->write(kBuf, two, sizeof two);
  o = b.call(Sys::poll, {kBuf, kBuf + 0x100, 2});
  CHECK(b.get_obj<Event>(kBuf + 0x100).userdata == 2);  // still running
  CHECK(b.err(Sys::fd_close, {p3}) == E_SUCCESS);       // last one: SIGKILL + reaped
  // proc_exec: the right, the fd list (exact rights), bad fds.
  Fd exe = 0;
  REQUIRE(b.open_file("exe", OFLAG_CREAT, RIGHT_FD_READ, 0, &exe) == E_SUCCESS);
  CHECK(b.err(Sys::proc_exec, {exe, kBuf, 0, kBuf, 0}) == E_NOTCAPABLE);
  Fd exe2 = 0;
  REQUIRE(b.open_file("exe", 0, RIGHT_FD_READ | RIGHT_PROC_EXEC, 0, &exe2) == E_SUCCESS);
  const Fd list[2] = {exe, 3};
  b.mem->write(kBuf + 0x200, list, sizeof list);
  b.put(kBuf + 0x300, "argdata");
  CHECK(b.err(Sys::proc_exec, {exe2, kBuf + 0x300, 7, kBuf + 0x200, 2}) == E_NOEXEC);
  REQUIRE(b.hooks.exec_fds.size() == 2);
  CHECK(b.hooks.exec_data == "argdata");
  CHECK(b.hooks.exec_fds[0].rights_base == RIGHT_FD_READ);
  CHECK(b.hooks.exec_fds[1].rights_base == b.stat_fd(3).fs_rights_base);
  CHECK(b.hooks.exec_fds[1].rights_inheriting == b.stat_fd(3).fs_rights_inheriting);
  const Fd bad[1] = {0xffffffffu};
  b.mem->write(kBuf + 0x200, bad, sizeof bad);
  CHECK(b.err(Sys::proc_exec, {exe2, kBuf + 0x300, 7, kBuf + 0x200, 1}) == E_BADF);
  CHECK(b.err(Sys::proc_exec, {exe2, 0, 7, kBuf + 0x200, 1}) == E_FAULT);
  CHECK(b.err(Sys::proc_exec, {exe2, kBuf, ~uint64_t{0}, kBuf + 0x200, 1}) == E_2BIG);
  CHECK(b.err(Sys::proc_exec, {exe2, kBuf, 1, kBuf + 0x200, ~uint64_t{0}}) == E_INVAL);
}

TEST_CASE("sock_recv: an fd of unknown origin gets at most the socket's inheriting rights") {
  Box b;
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  vm::FdGrant g;
  g.guest_fd = 10;
  g.host_fd = sv[0];
  g.has_rights = true;
  g.rights_base = RIGHT_FD_READ;
  g.rights_inheriting = RIGHT_FD_READ | RIGHT_FD_WRITE;
  REQUIRE(b.fds.adopt(g) == E_SUCCESS);
  // A host process (not the guest) sends a read-only descriptor.
  auto host_send = [&](int fd) {
    char byte = 'x';
    struct iovec v = {&byte, 1};
    char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg = {};
    msg.msg_iov = &v;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    REQUIRE(sendmsg(sv[1], &msg, 0) == 1);
  };
  const int ro = open("/dev/null", O_RDONLY | O_CLOEXEC);
  host_send(ro);
  close(ro);
  Iovec iv{kBuf + 0x1000, 16};
  b.put_obj(kBuf + 0x700, iv);
  RecvIn ri{};
  ri.ri_data = kBuf + 0x700;
  ri.ri_data_len = 1;
  ri.ri_fds = kBuf + 0x800;
  ri.ri_fds_len = 1;
  b.put_obj(kBuf + 0x900, ri);
  REQUIRE(b.err(Sys::sock_recv, {10, kBuf + 0x900, kBuf + 0xa00}) == E_SUCCESS);
  REQUIRE(b.get_obj<RecvOut>(kBuf + 0xa00).ro_fdslen == 1);
  const Fdstat st = b.stat_fd(b.get_obj<Fd>(kBuf + 0x800));
  CHECK(st.fs_filetype == FILETYPE_CHARACTER_DEVICE);
  CHECK(st.fs_rights_base == RIGHT_FD_READ);  // inheriting ∩ type ∩ read-only access
  CHECK(st.fs_rights_inheriting == 0);
  // On a guest-made pair (no inheriting rights) such an fd gets nothing.
  SyscallOutcome o = b.call(Sys::fd_create2, {FILETYPE_SOCKET_STREAM});
  REQUIRE(o.error == E_SUCCESS);
  CHECK(b.stat_fd(static_cast<Fd>(o.out[0])).fs_rights_inheriting == 0);
  close(sv[1]);
}
