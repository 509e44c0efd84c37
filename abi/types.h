// CloudABI types, constants and struct layouts for the 64-bit targets
// (x86_64, aarch64). Values are read off spec/cloudabi.txt; struct offsets
// and sizes off spec/layouts-64.txt and checked below with static_assert.
// Guest pointers inside structs are plain uint64_t guest addresses: never
// host pointers.
//
// Constant names carry a prefix of their own (MPROT_, MFLAG_, OFLAG_,
// SIGNAL_, CLOCKID_, AUX_, ...) so they never collide with the host libc's
// macros (PROT_READ, O_CREAT, SIGSEGV, ...), which hostio includes too.
#pragma once

#include <cstddef>
#include <cstdint>

namespace capvm::abi {

// --- Scalar aliases (cloudabi.txt: alias/opaque) -----------------------------
using Fd = uint32_t;         // cloudabi.txt: opaque uint32 fd
using Rights = uint64_t;     // cloudabi.txt: flags uint64 rights
using Timestamp = uint64_t;  // cloudabi.txt: alias uint64 timestamp
using Filesize = uint64_t;   // cloudabi.txt: alias uint64 filesize
using Filedelta = int64_t;   // cloudabi.txt: alias int64 filedelta
using Exitcode = uint32_t;   // cloudabi.txt: alias uint32 exitcode
using Tid = uint32_t;        // cloudabi.txt: opaque uint32 tid
using Dircookie = uint64_t;  // cloudabi.txt: opaque uint64 dircookie
using Device = uint64_t;     // cloudabi.txt: opaque uint64 device
using Inode = uint64_t;      // cloudabi.txt: opaque uint64 inode
using Linkcount = uint32_t;  // cloudabi.txt: alias uint32 linkcount
using Userdata = uint64_t;   // cloudabi.txt: alias uint64 userdata
using Nthreads = uint32_t;   // cloudabi.txt: alias uint32 nthreads
using GuestPtr = uint64_t;   // a guest address stored in a struct

// cloudabi.txt: fd (process_child, map_anon_fd)
inline constexpr Fd kProcessChild = 0xffffffffu;
inline constexpr Fd kMapAnonFd = 0xffffffffu;
// cloudabi.txt: dircookie.start
inline constexpr Dircookie kDircookieStart = 0;
// cloudabi.txt: condvar.has_no_waiters
inline constexpr uint32_t kCondvarHasNoWaiters = 0;
// cloudabi.txt: lock
inline constexpr uint32_t kLockUnlocked = 0;
inline constexpr uint32_t kLockWrlocked = 0x40000000u;
inline constexpr uint32_t kLockKernelManaged = 0x80000000u;
inline constexpr uint32_t kLockBogus = 0x80000000u;

// --- Enumerations ------------------------------------------------------------
// cloudabi.txt: enum uint8 advice
enum Advice : uint8_t {
  ADVICE_DONTNEED = 1,
  ADVICE_NOREUSE = 2,
  ADVICE_NORMAL = 3,
  ADVICE_RANDOM = 4,
  ADVICE_SEQUENTIAL = 5,
  ADVICE_WILLNEED = 6,
};
inline constexpr bool advice_valid(uint64_t v) { return v >= 1 && v <= 6; }

// cloudabi.txt: enum uint32 auxtype
enum Auxtype : uint32_t {
  AUX_NULL = 0,
  AUX_PHDR = 3,
  AUX_PHNUM = 4,
  AUX_PAGESZ = 6,
  AUX_BASE = 7,
  AUX_ARGDATA = 256,
  AUX_ARGDATALEN = 257,
  AUX_CANARY = 258,
  AUX_CANARYLEN = 259,
  AUX_NCPUS = 260,
  AUX_TID = 261,
  AUX_SYSINFO_EHDR = 262,
  AUX_PID = 263,
};

// cloudabi.txt: enum uint32 clockid
enum Clockid : uint32_t {
  CLOCKID_MONOTONIC = 1,
  CLOCKID_PROCESS_CPUTIME_ID = 2,
  CLOCKID_REALTIME = 3,
  CLOCKID_THREAD_CPUTIME_ID = 4,
};

// cloudabi.txt: enum uint8 eventtype
enum Eventtype : uint8_t {
  EVENTTYPE_CLOCK = 1,
  EVENTTYPE_CONDVAR = 2,
  EVENTTYPE_FD_READ = 3,
  EVENTTYPE_FD_WRITE = 4,
  EVENTTYPE_LOCK_RDLOCK = 5,
  EVENTTYPE_LOCK_WRLOCK = 6,
  EVENTTYPE_PROC_TERMINATE = 7,
};

// cloudabi.txt: enum uint8 filetype
enum Filetype : uint8_t {
  FILETYPE_UNKNOWN = 0x00,
  FILETYPE_BLOCK_DEVICE = 0x10,
  FILETYPE_CHARACTER_DEVICE = 0x11,
  FILETYPE_DIRECTORY = 0x20,
  FILETYPE_PROCESS = 0x50,
  FILETYPE_REGULAR_FILE = 0x60,
  FILETYPE_SHARED_MEMORY = 0x70,
  FILETYPE_SOCKET_DGRAM = 0x80,
  FILETYPE_SOCKET_STREAM = 0x82,
  FILETYPE_SYMBOLIC_LINK = 0x90,
};
bool filetype_valid(uint64_t v);

// cloudabi.txt: enum uint8 scope
enum Scope : uint8_t {
  SCOPE_PRIVATE = 0x04,
  SCOPE_SHARED = 0x08,
};

// cloudabi.txt: enum uint8 signal (1..26)
enum Signal : uint8_t {
  SIGNAL_ABRT = 1,
  SIGNAL_ALRM = 2,
  SIGNAL_BUS = 3,
  SIGNAL_CHLD = 4,
  SIGNAL_CONT = 5,
  SIGNAL_FPE = 6,
  SIGNAL_HUP = 7,
  SIGNAL_ILL = 8,
  SIGNAL_INT = 9,
  SIGNAL_KILL = 10,
  SIGNAL_PIPE = 11,
  SIGNAL_QUIT = 12,
  SIGNAL_SEGV = 13,
  SIGNAL_STOP = 14,
  SIGNAL_SYS = 15,
  SIGNAL_TERM = 16,
  SIGNAL_TRAP = 17,
  SIGNAL_TSTP = 18,
  SIGNAL_TTIN = 19,
  SIGNAL_TTOU = 20,
  SIGNAL_URG = 21,
  SIGNAL_USR1 = 22,
  SIGNAL_USR2 = 23,
  SIGNAL_VTALRM = 24,
  SIGNAL_XCPU = 25,
  SIGNAL_XFSZ = 26,
};
inline constexpr uint8_t kSignalMax = 26;

// Default action of a signal (cloudabi.txt: signal, "Action:").
enum class SignalAction : uint8_t { kTerminate, kIgnore, kStop, kContinue };
// Action of signal `sig` (1..kSignalMax); kIgnore for anything else.
SignalAction signal_default_action(uint8_t sig);

// cloudabi.txt: enum uint8 whence
enum Whence : uint8_t {
  WHENCE_CUR = 1,
  WHENCE_END = 2,
  WHENCE_SET = 3,
};

// --- Flags -------------------------------------------------------------------
// cloudabi.txt: flags uint16 eventrwflags
inline constexpr uint16_t EVENT_FD_READWRITE_HANGUP = 0x01;

// cloudabi.txt: flags uint16 fdflags
enum : uint16_t {
  FDFLAG_APPEND = 0x01,
  FDFLAG_DSYNC = 0x02,
  FDFLAG_NONBLOCK = 0x04,
  FDFLAG_RSYNC = 0x08,
  FDFLAG_SYNC = 0x10,
};
inline constexpr uint16_t kFdflagsAll = 0x1f;

// cloudabi.txt: flags uint16 fdsflags
enum : uint16_t {
  FDSTAT_FLAGS = 0x01,
  FDSTAT_RIGHTS = 0x02,
};
inline constexpr uint16_t kFdsflagsAll = 0x03;

// cloudabi.txt: flags uint16 fsflags
enum : uint16_t {
  FILESTAT_ATIM = 0x01,
  FILESTAT_ATIM_NOW = 0x02,
  FILESTAT_MTIM = 0x04,
  FILESTAT_MTIM_NOW = 0x08,
  FILESTAT_SIZE = 0x10,
};
inline constexpr uint16_t kFsflagsAll = 0x1f;
inline constexpr uint16_t kFsflagsTimes =
    FILESTAT_ATIM | FILESTAT_ATIM_NOW | FILESTAT_MTIM | FILESTAT_MTIM_NOW;

// cloudabi.txt: flags uint32 lookupflags
inline constexpr uint32_t LOOKUP_SYMLINK_FOLLOW = 0x01;
inline constexpr uint32_t kLookupflagsAll = 0x01;

// cloudabi.txt: flags uint8 mflags
enum : uint8_t {
  MFLAG_ANON = 0x01,
  MFLAG_FIXED = 0x02,
  MFLAG_PRIVATE = 0x04,
  MFLAG_SHARED = 0x08,
};
inline constexpr uint8_t kMflagsAll = 0x0f;

// cloudabi.txt: flags uint8 mprot (note: exec is the low bit)
enum : uint8_t {
  MPROT_EXEC = 0x01,
  MPROT_WRITE = 0x02,
  MPROT_READ = 0x04,
};
inline constexpr uint8_t kMprotAll = 0x07;

// cloudabi.txt: flags uint8 msflags
enum : uint8_t {
  MSFLAG_ASYNC = 0x01,
  MSFLAG_INVALIDATE = 0x02,
  MSFLAG_SYNC = 0x04,
};
inline constexpr uint8_t kMsflagsAll = 0x07;

// cloudabi.txt: flags uint16 oflags
enum : uint16_t {
  OFLAG_CREAT = 0x01,
  OFLAG_DIRECTORY = 0x02,
  OFLAG_EXCL = 0x04,
  OFLAG_TRUNC = 0x08,
};
inline constexpr uint16_t kOflagsAll = 0x0f;

// cloudabi.txt: flags uint16 riflags / roflags / siflags
enum : uint16_t {
  SOCK_RECV_PEEK = 0x04,
  SOCK_RECV_WAITALL = 0x10,
};
inline constexpr uint16_t kRiflagsAll = SOCK_RECV_PEEK | SOCK_RECV_WAITALL;
enum : uint16_t {
  SOCK_RECV_FDS_TRUNCATED = 0x01,
  SOCK_RECV_DATA_TRUNCATED = 0x08,
};
inline constexpr uint16_t kSiflagsAll = 0;  // no flags defined: must be zero

// cloudabi.txt: flags uint8 sdflags
enum : uint8_t {
  SDFLAG_RD = 0x01,
  SDFLAG_WR = 0x02,
};
inline constexpr uint8_t kSdflagsAll = 0x03;

// cloudabi.txt: flags uint16 subclockflags / subrwflags
inline constexpr uint16_t SUBSCRIPTION_CLOCK_ABSTIME = 0x01;
inline constexpr uint16_t SUBSCRIPTION_FD_READWRITE_POLL = 0x01;

// cloudabi.txt: flags uint8 ulflags
inline constexpr uint8_t UNLINK_REMOVEDIR = 0x01;
inline constexpr uint8_t kUlflagsAll = 0x01;

// cloudabi.txt: flags uint64 rights. The defined bits are not contiguous
// (0x800, 0x20000000 and most of bits 32..39 are unassigned).
inline constexpr Rights RIGHT_FD_DATASYNC = 0x0000000000000001ull;
inline constexpr Rights RIGHT_FD_READ = 0x0000000000000002ull;
inline constexpr Rights RIGHT_FD_SEEK = 0x0000000000000004ull;
inline constexpr Rights RIGHT_FD_STAT_PUT_FLAGS = 0x0000000000000008ull;
inline constexpr Rights RIGHT_FD_SYNC = 0x0000000000000010ull;
inline constexpr Rights RIGHT_FD_TELL = 0x0000000000000020ull;
inline constexpr Rights RIGHT_FD_WRITE = 0x0000000000000040ull;
inline constexpr Rights RIGHT_FILE_ADVISE = 0x0000000000000080ull;
inline constexpr Rights RIGHT_FILE_ALLOCATE = 0x0000000000000100ull;
inline constexpr Rights RIGHT_FILE_CREATE_DIRECTORY = 0x0000000000000200ull;
inline constexpr Rights RIGHT_FILE_CREATE_FILE = 0x0000000000000400ull;
inline constexpr Rights RIGHT_FILE_LINK_SOURCE = 0x0000000000001000ull;
inline constexpr Rights RIGHT_FILE_LINK_TARGET = 0x0000000000002000ull;
inline constexpr Rights RIGHT_FILE_OPEN = 0x0000000000004000ull;
inline constexpr Rights RIGHT_FILE_READDIR = 0x0000000000008000ull;
inline constexpr Rights RIGHT_FILE_READLINK = 0x0000000000010000ull;
inline constexpr Rights RIGHT_FILE_RENAME_SOURCE = 0x0000000000020000ull;
inline constexpr Rights RIGHT_FILE_RENAME_TARGET = 0x0000000000040000ull;
inline constexpr Rights RIGHT_FILE_STAT_FGET = 0x0000000000080000ull;
inline constexpr Rights RIGHT_FILE_STAT_FPUT_SIZE = 0x0000000000100000ull;
inline constexpr Rights RIGHT_FILE_STAT_FPUT_TIMES = 0x0000000000200000ull;
inline constexpr Rights RIGHT_FILE_STAT_GET = 0x0000000000400000ull;
inline constexpr Rights RIGHT_FILE_STAT_PUT_TIMES = 0x0000000000800000ull;
inline constexpr Rights RIGHT_FILE_SYMLINK = 0x0000000001000000ull;
inline constexpr Rights RIGHT_FILE_UNLINK = 0x0000000002000000ull;
inline constexpr Rights RIGHT_MEM_MAP = 0x0000000004000000ull;
inline constexpr Rights RIGHT_MEM_MAP_EXEC = 0x0000000008000000ull;
inline constexpr Rights RIGHT_POLL_FD_READWRITE = 0x0000000010000000ull;
inline constexpr Rights RIGHT_POLL_PROC_TERMINATE = 0x0000000040000000ull;
inline constexpr Rights RIGHT_PROC_EXEC = 0x0000000100000000ull;
inline constexpr Rights RIGHT_SOCK_SHUTDOWN = 0x0000008000000000ull;
inline constexpr Rights kRightsAll =
    RIGHT_FD_DATASYNC | RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_STAT_PUT_FLAGS |
    RIGHT_FD_SYNC | RIGHT_FD_TELL | RIGHT_FD_WRITE | RIGHT_FILE_ADVISE |
    RIGHT_FILE_ALLOCATE | RIGHT_FILE_CREATE_DIRECTORY | RIGHT_FILE_CREATE_FILE |
    RIGHT_FILE_LINK_SOURCE | RIGHT_FILE_LINK_TARGET | RIGHT_FILE_OPEN |
    RIGHT_FILE_READDIR | RIGHT_FILE_READLINK | RIGHT_FILE_RENAME_SOURCE |
    RIGHT_FILE_RENAME_TARGET | RIGHT_FILE_STAT_FGET | RIGHT_FILE_STAT_FPUT_SIZE |
    RIGHT_FILE_STAT_FPUT_TIMES | RIGHT_FILE_STAT_GET | RIGHT_FILE_STAT_PUT_TIMES |
    RIGHT_FILE_SYMLINK | RIGHT_FILE_UNLINK | RIGHT_MEM_MAP | RIGHT_MEM_MAP_EXEC |
    RIGHT_POLL_FD_READWRITE | RIGHT_POLL_PROC_TERMINATE | RIGHT_PROC_EXEC |
    RIGHT_SOCK_SHUTDOWN;
inline constexpr unsigned kRightsCount = 31;

// "fd_read" for RIGHT_FD_READ; nullptr unless `bit` is exactly one defined right.
const char* right_name(Rights bit);
// The defined right named `name` ("fd_read"); 0 if none.
Rights right_from_name(const char* name, size_t len);
// Every defined right, lowest bit first (kRightsCount entries).
const Rights* all_rights();

// "SIGSEGV" for SIGNAL_SEGV; nullptr outside 1..kSignalMax.
const char* signal_name(uint8_t sig);
// "regular_file" for FILETYPE_REGULAR_FILE; nullptr for an undefined value.
const char* filetype_name(uint8_t type);

// --- Structs (spec/layouts-64.txt) -------------------------------------------
// cloudabi.txt: struct auxv (a_val / a_ptr share offset 8).
struct Auxv {
  uint32_t a_type;
  uint32_t pad0;
  uint64_t a_val;  // a_ptr for the pointer-valued types
};

// cloudabi.txt: struct ciovec / iovec
struct Ciovec {
  GuestPtr buf;
  uint64_t buf_len;
};
struct Iovec {
  GuestPtr buf;
  uint64_t buf_len;
};

// cloudabi.txt: struct dirent (followed in the buffer by d_namlen name bytes)
struct Dirent {
  Dircookie d_next;
  Inode d_ino;
  uint32_t d_namlen;
  uint8_t d_type;
  uint8_t pad0[3];
};

// cloudabi.txt: struct event
struct Event {
  Userdata userdata;
  uint16_t error;
  uint8_t type;
  uint8_t pad0[5];
  union {
    struct {
      Filesize nbytes;
      uint8_t unused[4];
      uint16_t flags;
      uint8_t pad1[2];
    } fd_readwrite;
    struct {
      uint8_t unused[4];
      uint8_t signal;
      uint8_t pad1[3];
      Exitcode exitcode;
      uint8_t pad2[4];
    } proc_terminate;
  };
};

// cloudabi.txt: struct fdstat
struct Fdstat {
  uint8_t fs_filetype;
  uint8_t pad0;
  uint16_t fs_flags;
  uint8_t pad1[4];
  Rights fs_rights_base;
  Rights fs_rights_inheriting;
};

// cloudabi.txt: struct filestat
struct Filestat {
  Device st_dev;
  Inode st_ino;
  uint8_t st_filetype;
  uint8_t pad0[3];
  Linkcount st_nlink;
  Filesize st_size;
  Timestamp st_atim;
  Timestamp st_mtim;
  Timestamp st_ctim;
};

// cloudabi.txt: struct lookup (passed to syscalls as one 64-bit argument:
// fd in the low half, flags in the high half; spec/README.md)
struct Lookup {
  Fd fd;
  uint32_t flags;
};

// cloudabi.txt: struct recv_in / recv_out / send_in / send_out
struct RecvIn {
  GuestPtr ri_data;  // const iovec*
  uint64_t ri_data_len;
  GuestPtr ri_fds;   // fd*
  uint64_t ri_fds_len;
  uint16_t ri_flags;
  uint8_t pad0[6];
};
struct RecvOut {
  uint64_t ro_datalen;
  uint64_t ro_fdslen;
  uint8_t ro_unused[40];
  uint16_t ro_flags;
  uint8_t pad0[6];
};
struct SendIn {
  GuestPtr si_data;  // const ciovec*
  uint64_t si_data_len;
  GuestPtr si_fds;   // const fd*
  uint64_t si_fds_len;
  uint16_t si_flags;
  uint8_t pad0[6];
};
struct SendOut {
  uint64_t so_datalen;
};

// cloudabi.txt: struct subscription
struct Subscription {
  Userdata userdata;
  uint16_t unused;
  uint8_t type;
  uint8_t pad0[5];
  union {
    struct {
      Userdata identifier;
      uint32_t clock_id;
      uint8_t pad1[4];
      Timestamp timeout;
      Timestamp precision;
      uint16_t flags;
      uint8_t pad2[6];
    } clock;
    struct {
      GuestPtr condvar;
      GuestPtr lock;
      uint8_t condvar_scope;
      uint8_t lock_scope;
    } condvar;
    struct {
      Fd fd;
      uint16_t flags;
    } fd_readwrite;
    struct {
      GuestPtr lock;
      uint8_t lock_scope;
    } lock;
    struct {
      Fd fd;
    } proc_terminate;
  };
};

// cloudabi.txt: struct tcb / threadattr
struct Tcb {
  GuestPtr parent;
};
struct Threadattr {
  GuestPtr entry_point;
  GuestPtr stack;
  uint64_t stack_len;
  GuestPtr argument;
};

// --- Layout checks against spec/layouts-64.txt -------------------------------
#define CAPVM_LAYOUT(T, m, off) static_assert(offsetof(T, m) == (off), #T "." #m)
#define CAPVM_SIZE(T, sz, al) \
  static_assert(sizeof(T) == (sz) && alignof(T) == (al), "sizeof/alignof " #T)

CAPVM_LAYOUT(Dirent, d_next, 0);
CAPVM_LAYOUT(Dirent, d_ino, 8);
CAPVM_LAYOUT(Dirent, d_namlen, 16);
CAPVM_LAYOUT(Dirent, d_type, 20);
CAPVM_SIZE(Dirent, 24, 8);

CAPVM_LAYOUT(Event, userdata, 0);
CAPVM_LAYOUT(Event, error, 8);
CAPVM_LAYOUT(Event, type, 10);
CAPVM_LAYOUT(Event, fd_readwrite.nbytes, 16);
CAPVM_LAYOUT(Event, fd_readwrite.unused, 24);
CAPVM_LAYOUT(Event, fd_readwrite.flags, 28);
CAPVM_LAYOUT(Event, proc_terminate.unused, 16);
CAPVM_LAYOUT(Event, proc_terminate.signal, 20);
CAPVM_LAYOUT(Event, proc_terminate.exitcode, 24);
CAPVM_SIZE(Event, 32, 8);

CAPVM_LAYOUT(Fdstat, fs_filetype, 0);
CAPVM_LAYOUT(Fdstat, fs_flags, 2);
CAPVM_LAYOUT(Fdstat, fs_rights_base, 8);
CAPVM_LAYOUT(Fdstat, fs_rights_inheriting, 16);
CAPVM_SIZE(Fdstat, 24, 8);

CAPVM_LAYOUT(Filestat, st_dev, 0);
CAPVM_LAYOUT(Filestat, st_ino, 8);
CAPVM_LAYOUT(Filestat, st_filetype, 16);
CAPVM_LAYOUT(Filestat, st_nlink, 20);
CAPVM_LAYOUT(Filestat, st_size, 24);
CAPVM_LAYOUT(Filestat, st_atim, 32);
CAPVM_LAYOUT(Filestat, st_mtim, 40);
CAPVM_LAYOUT(Filestat, st_ctim, 48);
CAPVM_SIZE(Filestat, 56, 8);

CAPVM_LAYOUT(Lookup, fd, 0);
CAPVM_LAYOUT(Lookup, flags, 4);
CAPVM_SIZE(Lookup, 8, 4);

CAPVM_LAYOUT(Auxv, a_type, 0);
CAPVM_LAYOUT(Auxv, a_val, 8);
CAPVM_SIZE(Auxv, 16, 8);

CAPVM_LAYOUT(Ciovec, buf, 0);
CAPVM_LAYOUT(Ciovec, buf_len, 8);
CAPVM_SIZE(Ciovec, 16, 8);
CAPVM_LAYOUT(Iovec, buf, 0);
CAPVM_LAYOUT(Iovec, buf_len, 8);
CAPVM_SIZE(Iovec, 16, 8);

CAPVM_LAYOUT(RecvIn, ri_data, 0);
CAPVM_LAYOUT(RecvIn, ri_data_len, 8);
CAPVM_LAYOUT(RecvIn, ri_fds, 16);
CAPVM_LAYOUT(RecvIn, ri_fds_len, 24);
CAPVM_LAYOUT(RecvIn, ri_flags, 32);
CAPVM_SIZE(RecvIn, 40, 8);

CAPVM_LAYOUT(RecvOut, ro_datalen, 0);
CAPVM_LAYOUT(RecvOut, ro_fdslen, 8);
CAPVM_LAYOUT(RecvOut, ro_unused, 16);
CAPVM_LAYOUT(RecvOut, ro_flags, 56);
CAPVM_SIZE(RecvOut, 64, 8);

CAPVM_LAYOUT(SendIn, si_data, 0);
CAPVM_LAYOUT(SendIn, si_data_len, 8);
CAPVM_LAYOUT(SendIn, si_fds, 16);
CAPVM_LAYOUT(SendIn, si_fds_len, 24);
CAPVM_LAYOUT(SendIn, si_flags, 32);
CAPVM_SIZE(SendIn, 40, 8);

CAPVM_LAYOUT(SendOut, so_datalen, 0);
CAPVM_SIZE(SendOut, 8, 8);

CAPVM_LAYOUT(Subscription, userdata, 0);
CAPVM_LAYOUT(Subscription, unused, 8);
CAPVM_LAYOUT(Subscription, type, 10);
CAPVM_LAYOUT(Subscription, clock.identifier, 16);
CAPVM_LAYOUT(Subscription, clock.clock_id, 24);
CAPVM_LAYOUT(Subscription, clock.timeout, 32);
CAPVM_LAYOUT(Subscription, clock.precision, 40);
CAPVM_LAYOUT(Subscription, clock.flags, 48);
CAPVM_LAYOUT(Subscription, condvar.condvar, 16);
CAPVM_LAYOUT(Subscription, condvar.lock, 24);
CAPVM_LAYOUT(Subscription, condvar.condvar_scope, 32);
CAPVM_LAYOUT(Subscription, condvar.lock_scope, 33);
CAPVM_LAYOUT(Subscription, fd_readwrite.fd, 16);
CAPVM_LAYOUT(Subscription, fd_readwrite.flags, 20);
CAPVM_LAYOUT(Subscription, lock.lock, 16);
CAPVM_LAYOUT(Subscription, lock.lock_scope, 24);
CAPVM_LAYOUT(Subscription, proc_terminate.fd, 16);
CAPVM_SIZE(Subscription, 56, 8);

CAPVM_LAYOUT(Tcb, parent, 0);
CAPVM_SIZE(Tcb, 8, 8);

CAPVM_LAYOUT(Threadattr, entry_point, 0);
CAPVM_LAYOUT(Threadattr, stack, 8);
CAPVM_LAYOUT(Threadattr, stack_len, 16);
CAPVM_LAYOUT(Threadattr, argument, 24);
CAPVM_SIZE(Threadattr, 32, 8);

#undef CAPVM_LAYOUT
#undef CAPVM_SIZE

}  // namespace capvm::abi
