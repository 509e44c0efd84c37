// The rights model against cloudabi.txt: every syscall and flag variant,
// the per-type maxima, derivation and names.
#include <catch2/catch.hpp>

#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "rights/rights.h"

using namespace capvm;
using namespace capvm::abi;
using capvm::rights::RightsPair;

namespace {

struct SyscallCase {
  Sys sys;
  Rights first;   // on the first fd argument
  Rights second;  // on the second fd argument
};

// cloudabi.txt: "The right to invoke [...]" of each right, read per syscall.
const SyscallCase kSyscalls[] = {
    {Sys::clock_res_get, 0, 0},
    {Sys::clock_time_get, 0, 0},
    {Sys::condvar_signal, 0, 0},
    {Sys::fd_close, 0, 0},
    {Sys::fd_create1, 0, 0},
    {Sys::fd_create2, 0, 0},
    {Sys::fd_datasync, RIGHT_FD_DATASYNC, 0},
    {Sys::fd_dup, 0, 0},
    {Sys::fd_pread, RIGHT_FD_READ | RIGHT_FD_SEEK, 0},
    {Sys::fd_pwrite, RIGHT_FD_WRITE | RIGHT_FD_SEEK, 0},
    {Sys::fd_read, RIGHT_FD_READ, 0},
    {Sys::fd_replace, 0, 0},
    {Sys::fd_seek, RIGHT_FD_SEEK, 0},
    {Sys::fd_stat_get, 0, 0},
    {Sys::fd_stat_put, 0, 0},
    {Sys::fd_sync, RIGHT_FD_SYNC, 0},
    {Sys::fd_write, RIGHT_FD_WRITE, 0},
    {Sys::file_advise, RIGHT_FILE_ADVISE, 0},
    {Sys::file_allocate, RIGHT_FILE_ALLOCATE, 0},
    {Sys::file_create, RIGHT_FILE_CREATE_DIRECTORY, 0},
    {Sys::file_link, RIGHT_FILE_LINK_SOURCE, RIGHT_FILE_LINK_TARGET},
    {Sys::file_open, RIGHT_FILE_OPEN, 0},
    {Sys::file_readdir, RIGHT_FILE_READDIR, 0},
    {Sys::file_readlink, RIGHT_FILE_READLINK, 0},
    {Sys::file_rename, RIGHT_FILE_RENAME_SOURCE, RIGHT_FILE_RENAME_TARGET},
    {Sys::file_stat_fget, RIGHT_FILE_STAT_FGET, 0},
    {Sys::file_stat_fput, 0, 0},
    {Sys::file_stat_get, RIGHT_FILE_STAT_GET, 0},
    {Sys::file_stat_put, 0, 0},
    {Sys::file_symlink, RIGHT_FILE_SYMLINK, 0},
    {Sys::file_unlink, RIGHT_FILE_UNLINK, 0},
    {Sys::lock_unlock, 0, 0},
    {Sys::mem_advise, 0, 0},
    {Sys::mem_map, RIGHT_MEM_MAP, 0},
    {Sys::mem_protect, 0, 0},
    {Sys::mem_sync, 0, 0},
    {Sys::mem_unmap, 0, 0},
    {Sys::poll, 0, 0},
    {Sys::proc_exec, RIGHT_PROC_EXEC, 0},
    {Sys::proc_exit, 0, 0},
    {Sys::proc_fork, 0, 0},
    {Sys::proc_raise, 0, 0},
    {Sys::random_get, 0, 0},
    {Sys::sock_recv, RIGHT_FD_READ, 0},
    {Sys::sock_send, RIGHT_FD_WRITE, 0},
    {Sys::sock_shutdown, RIGHT_SOCK_SHUTDOWN, 0},
    {Sys::thread_create, 0, 0},
    {Sys::thread_exit, 0, 0},
    {Sys::thread_yield, 0, 0},
};
static_assert(sizeof(kSyscalls) / sizeof(kSyscalls[0]) == kSyscallCount);

}  // namespace

TEST_CASE("every syscall requires the rights cloudabi.txt names") {
  for (uint32_t i = 0; i < kSyscallCount; ++i) {
    const auto& c = kSyscalls[i];
    INFO(syscall_name(i));
    REQUIRE(static_cast<uint32_t>(c.sys) == i);
    CHECK(rights::required(c.sys, 0) == c.first);
    CHECK(rights::required(c.sys, 1) == c.second);
    CHECK(rights::required(c.sys, 2) == 0);
    // A required right is one a descriptor can hold at all.
    CHECK(rights::known(c.first));
  }
}

TEST_CASE("missing any one required right fails, having all passes") {
  for (const auto& c : kSyscalls) {
    INFO(syscall_name(static_cast<uint32_t>(c.sys)));
    CHECK(rights::satisfies(c.first, c.first));
    CHECK(rights::satisfies(c.second, c.second));
    for (unsigned i = 0; i < kRightsCount; ++i) {
      const Rights bit = all_rights()[i];
      if (!(c.first & bit)) continue;
      // Everything except the right and whatever implies it.
      Rights have = kRightsAll & ~bit;
      if (bit == RIGHT_FD_TELL) have &= ~RIGHT_FD_SEEK;
      if (bit == RIGHT_FD_DATASYNC) have &= ~RIGHT_FD_SYNC;
      CHECK_FALSE(rights::satisfies(have, c.first));
    }
  }
}

TEST_CASE("fd_seek: fd_tell suffices only for whence cur, offset 0") {
  CHECK(rights::for_fd_seek(0, WHENCE_CUR) == RIGHT_FD_TELL);
  CHECK(rights::for_fd_seek(1, WHENCE_CUR) == RIGHT_FD_SEEK);
  CHECK(rights::for_fd_seek(-1, WHENCE_CUR) == RIGHT_FD_SEEK);
  CHECK(rights::for_fd_seek(0, WHENCE_SET) == RIGHT_FD_SEEK);
  CHECK(rights::for_fd_seek(0, WHENCE_END) == RIGHT_FD_SEEK);
  CHECK(rights::for_fd_seek(INT64_MIN, WHENCE_CUR) == RIGHT_FD_SEEK);
  // fd_seek implies fd_tell; fd_tell does not imply fd_seek.
  CHECK(rights::satisfies(RIGHT_FD_SEEK, RIGHT_FD_TELL));
  CHECK_FALSE(rights::satisfies(RIGHT_FD_TELL, RIGHT_FD_SEEK));
}

TEST_CASE("file_open variants") {
  struct Case {
    uint16_t oflags;
    uint16_t fdflags;
    Rights need;
  };
  const Case cases[] = {
      {0, 0, RIGHT_FILE_OPEN},
      {OFLAG_CREAT, 0, RIGHT_FILE_OPEN | RIGHT_FILE_CREATE_FILE},
      {OFLAG_CREAT | OFLAG_EXCL, 0, RIGHT_FILE_OPEN | RIGHT_FILE_CREATE_FILE},
      {OFLAG_TRUNC, 0, RIGHT_FILE_OPEN | RIGHT_FILE_STAT_FPUT_SIZE},
      {OFLAG_DIRECTORY, 0, RIGHT_FILE_OPEN},
      {OFLAG_EXCL, 0, RIGHT_FILE_OPEN},
      {OFLAG_CREAT | OFLAG_TRUNC, 0,
       RIGHT_FILE_OPEN | RIGHT_FILE_CREATE_FILE | RIGHT_FILE_STAT_FPUT_SIZE},
      {0, FDFLAG_DSYNC, RIGHT_FILE_OPEN | RIGHT_FD_DATASYNC},
      {0, FDFLAG_RSYNC, RIGHT_FILE_OPEN | RIGHT_FD_SYNC},
      {0, FDFLAG_SYNC, RIGHT_FILE_OPEN | RIGHT_FD_SYNC},
      {0, FDFLAG_APPEND, RIGHT_FILE_OPEN},
      {0, FDFLAG_NONBLOCK, RIGHT_FILE_OPEN},
      {0, FDFLAG_DSYNC | FDFLAG_SYNC, RIGHT_FILE_OPEN | RIGHT_FD_DATASYNC | RIGHT_FD_SYNC},
  };
  for (const auto& c : cases) {
    INFO("oflags " << c.oflags << " fdflags " << c.fdflags);
    CHECK(rights::for_file_open(c.oflags, c.fdflags) == c.need);
  }
  // cloudabi.txt rights.fd_sync: includes file_open with dsync.
  CHECK(rights::satisfies(RIGHT_FILE_OPEN | RIGHT_FD_SYNC,
                          rights::for_file_open(0, FDFLAG_DSYNC)));
  CHECK_FALSE(rights::satisfies(RIGHT_FILE_OPEN | RIGHT_FD_DATASYNC,
                                rights::for_file_open(0, FDFLAG_SYNC)));
  // A directory can hold everything any file_open variant needs.
  CHECK(rights::satisfies(rights::max_base(FILETYPE_DIRECTORY),
                          rights::for_file_open(kOflagsAll, kFdflagsAll)));
}

TEST_CASE("fd_stat_put variants: sync flags and clearing append need rights") {
  CHECK(rights::for_fd_stat_put(0, 0, 0) == 0);
  CHECK(rights::for_fd_stat_put(FDSTAT_RIGHTS, 0, 0) == 0);
  CHECK(rights::for_fd_stat_put(FDSTAT_FLAGS, 0, 0) == RIGHT_FD_STAT_PUT_FLAGS);
  CHECK(rights::for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_NONBLOCK) == RIGHT_FD_STAT_PUT_FLAGS);
  CHECK(rights::for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_APPEND) == RIGHT_FD_STAT_PUT_FLAGS);
  CHECK(rights::for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_DSYNC) ==
        (RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_DATASYNC));
  CHECK(rights::for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_RSYNC) ==
        (RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_SYNC));
  CHECK(rights::for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_SYNC) ==
        (RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_SYNC));
  // Keeping an existing sync flag needs nothing new.
  CHECK(rights::for_fd_stat_put(FDSTAT_FLAGS, FDFLAG_SYNC, FDFLAG_SYNC) ==
        RIGHT_FD_STAT_PUT_FLAGS);
  // Clearing append needs fd_seek (SECURITY.md).
  CHECK(rights::for_fd_stat_put(FDSTAT_FLAGS, FDFLAG_APPEND, 0) ==
        (RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_SEEK));
  CHECK(rights::for_fd_stat_put(FDSTAT_FLAGS | FDSTAT_RIGHTS, FDFLAG_APPEND, FDFLAG_DSYNC) ==
        (RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_SEEK | RIGHT_FD_DATASYNC));
}

TEST_CASE("file_stat_fput / file_stat_put / file_create variants") {
  CHECK(rights::for_file_stat_fput(0) == 0);
  CHECK(rights::for_file_stat_fput(FILESTAT_SIZE) == RIGHT_FILE_STAT_FPUT_SIZE);
  for (uint16_t t : {FILESTAT_ATIM, FILESTAT_ATIM_NOW, FILESTAT_MTIM, FILESTAT_MTIM_NOW}) {
    CHECK(rights::for_file_stat_fput(t) == RIGHT_FILE_STAT_FPUT_TIMES);
    CHECK(rights::for_file_stat_put(t) == RIGHT_FILE_STAT_PUT_TIMES);
  }
  CHECK(rights::for_file_stat_fput(kFsflagsAll) ==
        (RIGHT_FILE_STAT_FPUT_SIZE | RIGHT_FILE_STAT_FPUT_TIMES));
  CHECK(rights::for_file_create(FILETYPE_DIRECTORY) == RIGHT_FILE_CREATE_DIRECTORY);
  CHECK(rights::for_file_create(FILETYPE_REGULAR_FILE) == 0);
}

TEST_CASE("mem_map variants") {
  CHECK(rights::for_mem_map(0, MFLAG_PRIVATE) == RIGHT_MEM_MAP);
  CHECK(rights::for_mem_map(MPROT_READ, MFLAG_PRIVATE) == (RIGHT_MEM_MAP | RIGHT_FD_READ));
  CHECK(rights::for_mem_map(MPROT_READ | MPROT_WRITE, MFLAG_PRIVATE) ==
        (RIGHT_MEM_MAP | RIGHT_FD_READ));
  CHECK(rights::for_mem_map(MPROT_READ | MPROT_WRITE, MFLAG_SHARED) ==
        (RIGHT_MEM_MAP | RIGHT_FD_READ | RIGHT_FD_WRITE));
  CHECK(rights::for_mem_map(MPROT_WRITE, MFLAG_SHARED) == (RIGHT_MEM_MAP | RIGHT_FD_WRITE));
  CHECK(rights::for_mem_map(MPROT_READ | MPROT_EXEC, MFLAG_PRIVATE) ==
        (RIGHT_MEM_MAP | RIGHT_FD_READ | RIGHT_MEM_MAP_EXEC));
  CHECK(rights::for_mem_map(MPROT_EXEC, MFLAG_SHARED) == (RIGHT_MEM_MAP | RIGHT_MEM_MAP_EXEC));
}

TEST_CASE("poll variants") {
  CHECK(rights::for_poll(EVENTTYPE_FD_READ) == (RIGHT_FD_READ | RIGHT_POLL_FD_READWRITE));
  CHECK(rights::for_poll(EVENTTYPE_FD_WRITE) == (RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE));
  CHECK(rights::for_poll(EVENTTYPE_PROC_TERMINATE) == RIGHT_POLL_PROC_TERMINATE);
  CHECK(rights::for_poll(EVENTTYPE_CLOCK) == 0);
}

TEST_CASE("per-type maxima") {
  using rights::max_base;
  using rights::max_inheriting;
  CHECK(max_base(FILETYPE_UNKNOWN) == 0);
  CHECK(max_base(FILETYPE_SYMBOLIC_LINK) == 0);
  CHECK(max_base(0x42) == 0);
  for (uint8_t t : {FILETYPE_REGULAR_FILE, FILETYPE_DIRECTORY, FILETYPE_SOCKET_DGRAM,
                    FILETYPE_SOCKET_STREAM, FILETYPE_CHARACTER_DEVICE, FILETYPE_BLOCK_DEVICE,
                    FILETYPE_SHARED_MEMORY, FILETYPE_PROCESS}) {
    INFO(filetype_name(t));
    CHECK(rights::known(max_base(t)));
    CHECK(rights::known(max_inheriting(t)));
    CHECK(max_base(t) != 0);
    // Directories hand rights to what they open; sockets to fds of unknown
    // origin they receive (a launcher's connection source); nothing else.
    if (t == FILETYPE_SOCKET_DGRAM || t == FILETYPE_SOCKET_STREAM)
      CHECK(max_inheriting(t) == max_base(FILETYPE_SOCKET_STREAM));
    else if (t != FILETYPE_DIRECTORY)
      CHECK(max_inheriting(t) == 0);
  }
  // Regular files: data and mapping, no path operations.
  CHECK((max_base(FILETYPE_REGULAR_FILE) & (RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_FD_SEEK |
                                            RIGHT_MEM_MAP | RIGHT_MEM_MAP_EXEC)) ==
        (RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_FD_SEEK | RIGHT_MEM_MAP | RIGHT_MEM_MAP_EXEC));
  CHECK_FALSE(max_base(FILETYPE_REGULAR_FILE) & RIGHT_FILE_OPEN);
  CHECK_FALSE(max_base(FILETYPE_REGULAR_FILE) & RIGHT_SOCK_SHUTDOWN);
  // Directories: no data I/O, no mapping.
  CHECK_FALSE(max_base(FILETYPE_DIRECTORY) & (RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_MEM_MAP));
  CHECK(max_base(FILETYPE_DIRECTORY) & RIGHT_FILE_OPEN);
  CHECK((max_inheriting(FILETYPE_DIRECTORY) & max_base(FILETYPE_REGULAR_FILE)) ==
        max_base(FILETYPE_REGULAR_FILE));
  // Sockets: no seek, no mapping, shutdown yes.
  CHECK_FALSE(max_base(FILETYPE_SOCKET_STREAM) & (RIGHT_FD_SEEK | RIGHT_MEM_MAP | RIGHT_FILE_OPEN));
  CHECK(max_base(FILETYPE_SOCKET_STREAM) & RIGHT_SOCK_SHUTDOWN);
  // Devices are never mapped; shared memory never mapped executable.
  CHECK_FALSE(max_base(FILETYPE_CHARACTER_DEVICE) & RIGHT_MEM_MAP);
  CHECK_FALSE(max_base(FILETYPE_SHARED_MEMORY) & RIGHT_MEM_MAP_EXEC);
  CHECK(max_base(FILETYPE_SHARED_MEMORY) & RIGHT_MEM_MAP);
  CHECK(max_base(FILETYPE_PROCESS) & RIGHT_POLL_PROC_TERMINATE);
}

TEST_CASE("derive_open: requested within the directory's inheriting, trimmed to the type") {
  const Rights dir_inh = rights::max_inheriting(FILETYPE_DIRECTORY);
  RightsPair out;
  // Asking for everything a directory can pass on, opening a regular file.
  REQUIRE(rights::derive_open(dir_inh, {dir_inh, dir_inh}, FILETYPE_REGULAR_FILE, &out) ==
          E_SUCCESS);
  CHECK(out.base == rights::max_base(FILETYPE_REGULAR_FILE));
  CHECK(out.inheriting == 0);
  // Opening a directory keeps directory rights and inheriting rights.
  REQUIRE(rights::derive_open(dir_inh, {dir_inh, dir_inh}, FILETYPE_DIRECTORY, &out) ==
          E_SUCCESS);
  CHECK(out.base == rights::max_base(FILETYPE_DIRECTORY));
  CHECK(out.inheriting == dir_inh);
  // Beyond the directory's inheriting rights: refused, not widened.
  const Rights ro = RIGHT_FD_READ | RIGHT_FILE_STAT_FGET;
  CHECK(rights::derive_open(ro, {RIGHT_FD_READ | RIGHT_FD_WRITE, 0}, FILETYPE_REGULAR_FILE,
                            &out) == E_NOTCAPABLE);
  CHECK(rights::derive_open(ro, {RIGHT_FD_READ, RIGHT_FD_WRITE}, FILETYPE_REGULAR_FILE, &out) ==
        E_NOTCAPABLE);
  REQUIRE(rights::derive_open(ro, {RIGHT_FD_READ, 0}, FILETYPE_REGULAR_FILE, &out) == E_SUCCESS);
  CHECK(out.base == RIGHT_FD_READ);
  // Undefined bits: EINVAL, even when the directory "has" everything.
  CHECK(rights::derive_open(~Rights{0}, {RIGHT_FD_READ | 0x800, 0}, FILETYPE_REGULAR_FILE,
                            &out) == E_INVAL);
  CHECK(rights::derive_open(~Rights{0}, {0, Rights{1} << 63}, FILETYPE_REGULAR_FILE, &out) ==
        E_INVAL);
  // Result is always within requested ∩ inheriting ∩ type max.
  for (uint8_t t : {FILETYPE_REGULAR_FILE, FILETYPE_DIRECTORY, FILETYPE_SOCKET_STREAM}) {
    REQUIRE(rights::derive_open(dir_inh, {dir_inh, dir_inh}, t, &out) == E_SUCCESS);
    CHECK((out.base & ~(dir_inh & rights::max_base(t))) == 0);
    CHECK((out.inheriting & ~(dir_inh & rights::max_inheriting(t))) == 0);
  }
}

TEST_CASE("shrink: rights only shrink") {
  RightsPair cur{RIGHT_FD_READ | RIGHT_FD_WRITE, RIGHT_FD_READ};
  RightsPair out;
  REQUIRE(rights::shrink(cur, {RIGHT_FD_READ, 0}, &out) == E_SUCCESS);
  CHECK(out.base == RIGHT_FD_READ);
  CHECK(out.inheriting == 0);
  CHECK(rights::shrink(cur, {RIGHT_FD_READ | RIGHT_FD_SEEK, 0}, &out) == E_NOTCAPABLE);
  CHECK(rights::shrink(cur, {RIGHT_FD_READ, RIGHT_FD_WRITE}, &out) == E_NOTCAPABLE);
  CHECK(rights::shrink(cur, {RIGHT_FD_READ | 0x800, 0}, &out) == E_NOTCAPABLE);
  CHECK(rights::shrink(cur, cur, &out) == E_SUCCESS);
}

TEST_CASE("grant: launcher-handed descriptors") {
  RightsPair out;
  REQUIRE(rights::grant(FILETYPE_REGULAR_FILE, nullptr, &out) == E_SUCCESS);
  CHECK(out.base == rights::max_base(FILETYPE_REGULAR_FILE));
  RightsPair ro{RIGHT_FD_READ, 0};
  REQUIRE(rights::grant(FILETYPE_REGULAR_FILE, &ro, &out) == E_SUCCESS);
  CHECK(out.base == RIGHT_FD_READ);
  RightsPair bad{RIGHT_FD_READ | 0x800, 0};
  CHECK(rights::grant(FILETYPE_REGULAR_FILE, &bad, &out) == E_INVAL);
  RightsPair beyond{RIGHT_FILE_OPEN, 0};
  CHECK(rights::grant(FILETYPE_REGULAR_FILE, &beyond, &out) == E_NOTCAPABLE);
  // Inheriting rights only where the type can pass them on.
  RightsPair inh{RIGHT_FD_READ, RIGHT_FD_READ};
  CHECK(rights::grant(FILETYPE_REGULAR_FILE, &inh, &out) == E_NOTCAPABLE);
  CHECK(rights::grant(FILETYPE_SOCKET_STREAM, &inh, &out) == E_SUCCESS);
  RightsPair inh_file{RIGHT_FD_READ, RIGHT_FD_SEEK};
  CHECK(rights::grant(FILETYPE_SOCKET_STREAM, &inh_file, &out) == E_NOTCAPABLE);
}

TEST_CASE("names: every right round-trips, unknown names refused") {
  CHECK(kRightsAll == 0x000000815ffff7ffull);
  Rights seen = 0;
  for (unsigned i = 0; i < kRightsCount; ++i) {
    const Rights bit = all_rights()[i];
    REQUIRE(right_name(bit) != nullptr);
    CHECK((bit & (bit - 1)) == 0);
    CHECK((seen & bit) == 0);
    seen |= bit;
    Rights parsed = 0;
    REQUIRE(rights::parse(right_name(bit), &parsed));
    CHECK(parsed == bit);
  }
  CHECK(seen == kRightsAll);
  CHECK(right_name(0x800) == nullptr);
  CHECK(right_name(RIGHT_FD_READ | RIGHT_FD_WRITE) == nullptr);
  CHECK(std::string(right_name(RIGHT_FD_READ)) == "fd_read");
  CHECK(std::string(right_name(RIGHT_SOCK_SHUTDOWN)) == "sock_shutdown");
  Rights r = 0;
  CHECK(rights::parse("fd_read|fd_write", &r));
  CHECK(r == (RIGHT_FD_READ | RIGHT_FD_WRITE));
  CHECK(rights::parse(" fd_read , mem_map ", &r));
  CHECK(r == (RIGHT_FD_READ | RIGHT_MEM_MAP));
  CHECK(rights::parse("all", &r));
  CHECK(r == kRightsAll);
  CHECK(rights::parse("none", &r));
  CHECK(r == 0);
  CHECK_FALSE(rights::parse("fd_reed", &r));
  CHECK_FALSE(rights::parse("", &r));
  CHECK_FALSE(rights::parse("fd_read|", &r));
  CHECK(rights::format(0) == "0");
  CHECK(rights::format(RIGHT_FD_READ | RIGHT_FD_WRITE) == "fd_read|fd_write");
  CHECK(rights::format(RIGHT_FD_READ | 0x800) == "fd_read|0x800");
}

TEST_CASE("signal and filetype names") {
  CHECK(std::string(signal_name(SIGNAL_SEGV)) == "SIGSEGV");
  CHECK(std::string(signal_name(SIGNAL_XFSZ)) == "SIGXFSZ");
  CHECK(signal_name(0) == nullptr);
  CHECK(signal_name(27) == nullptr);
  CHECK(signal_default_action(SIGNAL_CHLD) == SignalAction::kIgnore);
  CHECK(signal_default_action(SIGNAL_URG) == SignalAction::kIgnore);
  CHECK(signal_default_action(SIGNAL_PIPE) == SignalAction::kIgnore);
  CHECK(signal_default_action(SIGNAL_KILL) == SignalAction::kTerminate);
  CHECK(signal_default_action(SIGNAL_STOP) == SignalAction::kStop);
  CHECK(signal_default_action(SIGNAL_CONT) == SignalAction::kContinue);
  CHECK(filetype_valid(FILETYPE_SOCKET_STREAM));
  CHECK_FALSE(filetype_valid(0x81));
  CHECK_FALSE(filetype_valid(0x160));
}

// --- The full matrix: every right against every syscall variant ----------------
// Each row is one syscall (or flag variant of one) with the rights
// cloudabi.txt assigns it, written out here independently of rights.cpp.
// Each cell removes one right (and whatever implies it) from a full set and
// checks the model: refused (ENOTCAPABLE) exactly when the row needs that
// right. The rows' needs are also compared with the model's functions.
namespace {

struct Variant {
  const char* name;
  Rights model;   // what rights.cpp says
  Rights expect;  // what cloudabi.txt says
};

std::vector<Variant> variants() {
  using namespace capvm::rights;
  std::vector<Variant> v;
  for (const auto& c : kSyscalls) {
    std::string n = syscall_name(static_cast<uint32_t>(c.sys));
    // Names outlive the table; a deque never moves what it holds (a vector
    // would, and the short names live inside the strings: ASan found it).
    static std::deque<std::string> keep;
    keep.push_back(n + " (fd 1)");
    v.push_back({keep.back().c_str(), required(c.sys, 0), c.first});
    if (c.second) {
      keep.push_back(n + " (fd 2)");
      v.push_back({keep.back().c_str(), required(c.sys, 1), c.second});
    }
  }
  v.push_back({"fd_seek tell", for_fd_seek(0, WHENCE_CUR), RIGHT_FD_TELL});
  v.push_back({"fd_seek cur+1", for_fd_seek(1, WHENCE_CUR), RIGHT_FD_SEEK});
  v.push_back({"fd_seek set", for_fd_seek(0, WHENCE_SET), RIGHT_FD_SEEK});
  v.push_back({"fd_seek end", for_fd_seek(0, WHENCE_END), RIGHT_FD_SEEK});
  v.push_back({"file_open", for_file_open(0, 0), RIGHT_FILE_OPEN});
  v.push_back({"file_open creat", for_file_open(OFLAG_CREAT, 0), RIGHT_FILE_OPEN | RIGHT_FILE_CREATE_FILE});
  v.push_back({"file_open trunc", for_file_open(OFLAG_TRUNC, 0), RIGHT_FILE_OPEN | RIGHT_FILE_STAT_FPUT_SIZE});
  v.push_back({"file_open excl|directory", for_file_open(OFLAG_EXCL | OFLAG_DIRECTORY, 0), RIGHT_FILE_OPEN});
  v.push_back({"file_open dsync", for_file_open(0, FDFLAG_DSYNC), RIGHT_FILE_OPEN | RIGHT_FD_DATASYNC});
  v.push_back({"file_open rsync", for_file_open(0, FDFLAG_RSYNC), RIGHT_FILE_OPEN | RIGHT_FD_SYNC});
  v.push_back({"file_open sync", for_file_open(0, FDFLAG_SYNC), RIGHT_FILE_OPEN | RIGHT_FD_SYNC});
  v.push_back({"file_open append|nonblock", for_file_open(0, FDFLAG_APPEND | FDFLAG_NONBLOCK), RIGHT_FILE_OPEN});
  v.push_back({"fd_stat_put rights", for_fd_stat_put(FDSTAT_RIGHTS, 0, 0), 0});
  v.push_back({"fd_stat_put flags", for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_NONBLOCK), RIGHT_FD_STAT_PUT_FLAGS});
  v.push_back({"fd_stat_put +sync", for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_SYNC), RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_SYNC});
  v.push_back({"fd_stat_put +dsync", for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_DSYNC), RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_DATASYNC});
  v.push_back({"fd_stat_put +rsync", for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_RSYNC), RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_SYNC});
  v.push_back({"fd_stat_put keep sync", for_fd_stat_put(FDSTAT_FLAGS, FDFLAG_SYNC, FDFLAG_SYNC), RIGHT_FD_STAT_PUT_FLAGS});
  v.push_back({"fd_stat_put -append", for_fd_stat_put(FDSTAT_FLAGS, FDFLAG_APPEND, 0), RIGHT_FD_STAT_PUT_FLAGS | RIGHT_FD_SEEK});
  v.push_back({"fd_stat_put +append", for_fd_stat_put(FDSTAT_FLAGS, 0, FDFLAG_APPEND), RIGHT_FD_STAT_PUT_FLAGS});
  v.push_back({"file_stat_fput size", for_file_stat_fput(FILESTAT_SIZE), RIGHT_FILE_STAT_FPUT_SIZE});
  v.push_back({"file_stat_fput atim", for_file_stat_fput(FILESTAT_ATIM), RIGHT_FILE_STAT_FPUT_TIMES});
  v.push_back({"file_stat_fput mtim_now", for_file_stat_fput(FILESTAT_MTIM_NOW), RIGHT_FILE_STAT_FPUT_TIMES});
  v.push_back({"file_stat_put atim_now", for_file_stat_put(FILESTAT_ATIM_NOW), RIGHT_FILE_STAT_PUT_TIMES});
  v.push_back({"file_stat_put mtim", for_file_stat_put(FILESTAT_MTIM), RIGHT_FILE_STAT_PUT_TIMES});
  v.push_back({"file_create directory", for_file_create(FILETYPE_DIRECTORY), RIGHT_FILE_CREATE_DIRECTORY});
  v.push_back({"mem_map none", for_mem_map(0, MFLAG_PRIVATE), RIGHT_MEM_MAP});
  v.push_back({"mem_map read", for_mem_map(MPROT_READ, MFLAG_PRIVATE), RIGHT_MEM_MAP | RIGHT_FD_READ});
  v.push_back({"mem_map read|write private", for_mem_map(MPROT_READ | MPROT_WRITE, MFLAG_PRIVATE), RIGHT_MEM_MAP | RIGHT_FD_READ});
  v.push_back({"mem_map read|write shared", for_mem_map(MPROT_READ | MPROT_WRITE, MFLAG_SHARED), RIGHT_MEM_MAP | RIGHT_FD_READ | RIGHT_FD_WRITE});
  v.push_back({"mem_map read|exec", for_mem_map(MPROT_READ | MPROT_EXEC, MFLAG_PRIVATE), RIGHT_MEM_MAP | RIGHT_FD_READ | RIGHT_MEM_MAP_EXEC});
  v.push_back({"poll fd_read", for_poll(EVENTTYPE_FD_READ), RIGHT_FD_READ | RIGHT_POLL_FD_READWRITE});
  v.push_back({"poll fd_write", for_poll(EVENTTYPE_FD_WRITE), RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE});
  v.push_back({"poll proc_terminate", for_poll(EVENTTYPE_PROC_TERMINATE), RIGHT_POLL_PROC_TERMINATE});
  v.push_back({"poll clock", for_poll(EVENTTYPE_CLOCK), 0});
  v.push_back({"poll lock_wrlock", for_poll(EVENTTYPE_LOCK_WRLOCK), 0});
  return v;
}

}  // namespace

TEST_CASE("rights matrix: every right against every syscall variant") {
  unsigned cells = 0;
  for (const Variant& v : variants()) {
    INFO(v.name);
    CHECK(v.model == v.expect);
    CHECK(rights::satisfies(kRightsAll, v.model));
    for (unsigned i = 0; i < kRightsCount; ++i) {
      const Rights bit = all_rights()[i];
      INFO("without " << right_name(bit));
      Rights have = kRightsAll & ~bit;
      // Take away what implies the right too (fd_seek -> fd_tell,
      // fd_sync -> fd_datasync).
      if (bit == RIGHT_FD_TELL) have &= ~RIGHT_FD_SEEK;
      if (bit == RIGHT_FD_DATASYNC) have &= ~RIGHT_FD_SYNC;
      // Refused exactly when the row needs something taken away.
      const bool needed = (v.expect & ~have) != 0;
      CHECK(rights::satisfies(have, v.model) == !needed);
      // Only that right: enough exactly when it is all the row needs.
      CHECK(rights::satisfies(rights::implied(bit), v.model) ==
            ((v.expect & ~rights::implied(bit)) == 0));
      ++cells;
    }
  }
  std::printf("rights matrix cells tested: %u\n", cells);
  CHECK(cells >= 49 * kRightsCount);
}

TEST_CASE("host access modes bound the rights") {
  for (uint8_t t : {uint8_t{FILETYPE_REGULAR_FILE}, uint8_t{FILETYPE_SOCKET_STREAM},
                    uint8_t{FILETYPE_CHARACTER_DEVICE}}) {
    const Rights ro = rights::max_base(t) & rights::limit_by_access(t, true, false);
    const Rights wo = rights::max_base(t) & rights::limit_by_access(t, false, true);
    CHECK((ro & RIGHT_FD_WRITE) == 0);
    CHECK((ro & RIGHT_FD_READ) != 0);
    CHECK((wo & RIGHT_FD_READ) == 0);
    CHECK((wo & RIGHT_FD_WRITE) != 0);
    CHECK((wo & (RIGHT_MEM_MAP | RIGHT_PROC_EXEC)) == 0);
  }
  // Directory rights are path-based: an O_RDONLY directory keeps them all.
  CHECK(rights::limit_by_access(FILETYPE_DIRECTORY, true, false) == kRightsAll);
  CHECK(rights::needs_read(RIGHT_FD_READ));
  CHECK(rights::needs_write(RIGHT_FILE_ALLOCATE));
  CHECK_FALSE(rights::needs_write(RIGHT_FD_READ | RIGHT_FILE_STAT_FGET));
}
