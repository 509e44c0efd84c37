// Names of CloudABI rights, signals and file types, for diagnostics and for
// parsing rights by name (cloudabi.txt: rights, signal, filetype).
#include <cstring>

#include "abi/types.h"

namespace capvm::abi {

namespace {

struct RightName {
  Rights bit;
  const char* name;
};

// cloudabi.txt: flags uint64 rights, lowest bit first.
constexpr RightName kRightNames[kRightsCount] = {
    {RIGHT_FD_DATASYNC, "fd_datasync"},
    {RIGHT_FD_READ, "fd_read"},
    {RIGHT_FD_SEEK, "fd_seek"},
    {RIGHT_FD_STAT_PUT_FLAGS, "fd_stat_put_flags"},
    {RIGHT_FD_SYNC, "fd_sync"},
    {RIGHT_FD_TELL, "fd_tell"},
    {RIGHT_FD_WRITE, "fd_write"},
    {RIGHT_FILE_ADVISE, "file_advise"},
    {RIGHT_FILE_ALLOCATE, "file_allocate"},
    {RIGHT_FILE_CREATE_DIRECTORY, "file_create_directory"},
    {RIGHT_FILE_CREATE_FILE, "file_create_file"},
    {RIGHT_FILE_LINK_SOURCE, "file_link_source"},
    {RIGHT_FILE_LINK_TARGET, "file_link_target"},
    {RIGHT_FILE_OPEN, "file_open"},
    {RIGHT_FILE_READDIR, "file_readdir"},
    {RIGHT_FILE_READLINK, "file_readlink"},
    {RIGHT_FILE_RENAME_SOURCE, "file_rename_source"},
    {RIGHT_FILE_RENAME_TARGET, "file_rename_target"},
    {RIGHT_FILE_STAT_FGET, "file_stat_fget"},
    {RIGHT_FILE_STAT_FPUT_SIZE, "file_stat_fput_size"},
    {RIGHT_FILE_STAT_FPUT_TIMES, "file_stat_fput_times"},
    {RIGHT_FILE_STAT_GET, "file_stat_get"},
    {RIGHT_FILE_STAT_PUT_TIMES, "file_stat_put_times"},
    {RIGHT_FILE_SYMLINK, "file_symlink"},
    {RIGHT_FILE_UNLINK, "file_unlink"},
    {RIGHT_MEM_MAP, "mem_map"},
    {RIGHT_MEM_MAP_EXEC, "mem_map_exec"},
    {RIGHT_POLL_FD_READWRITE, "poll_fd_readwrite"},
    {RIGHT_POLL_PROC_TERMINATE, "poll_proc_terminate"},
    {RIGHT_PROC_EXEC, "proc_exec"},
    {RIGHT_SOCK_SHUTDOWN, "sock_shutdown"},
};

constexpr Rights or_all() {
  Rights r = 0;
  for (const auto& n : kRightNames) r |= n.bit;
  return r;
}
static_assert(or_all() == kRightsAll, "right name table and kRightsAll disagree");

const Rights* rights_list() {
  static const auto* list = [] {
    static Rights l[kRightsCount];
    for (unsigned i = 0; i < kRightsCount; ++i) l[i] = kRightNames[i].bit;
    return l;
  }();
  return list;
}

// cloudabi.txt: enum uint8 signal, 1..26.
constexpr const char* kSignalNames[kSignalMax + 1] = {
    nullptr,   "SIGABRT", "SIGALRM", "SIGBUS",  "SIGCHLD",   "SIGCONT", "SIGFPE",
    "SIGHUP",  "SIGILL",  "SIGINT",  "SIGKILL", "SIGPIPE",   "SIGQUIT", "SIGSEGV",
    "SIGSTOP", "SIGSYS",  "SIGTERM", "SIGTRAP", "SIGTSTP",   "SIGTTIN", "SIGTTOU",
    "SIGURG",  "SIGUSR1", "SIGUSR2", "SIGVTALRM", "SIGXCPU", "SIGXFSZ",
};

}  // namespace

const char* right_name(Rights bit) {
  for (const auto& n : kRightNames)
    if (n.bit == bit) return n.name;
  return nullptr;
}

Rights right_from_name(const char* name, size_t len) {
  for (const auto& n : kRightNames)
    if (std::strlen(n.name) == len && std::memcmp(n.name, name, len) == 0) return n.bit;
  return 0;
}

const Rights* all_rights() { return rights_list(); }

const char* signal_name(uint8_t sig) {
  return sig >= 1 && sig <= kSignalMax ? kSignalNames[sig] : nullptr;
}

// cloudabi.txt: signal, the "Action:" line of each.
SignalAction signal_default_action(uint8_t sig) {
  switch (sig) {
    case SIGNAL_CHLD:
    case SIGNAL_PIPE:
    case SIGNAL_URG:
      return SignalAction::kIgnore;
    case SIGNAL_CONT:
      return SignalAction::kContinue;
    case SIGNAL_STOP:
    case SIGNAL_TSTP:
    case SIGNAL_TTIN:
    case SIGNAL_TTOU:
      return SignalAction::kStop;
    default:
      return sig >= 1 && sig <= kSignalMax ? SignalAction::kTerminate : SignalAction::kIgnore;
  }
}

bool filetype_valid(uint64_t v) { return v <= 0xff && filetype_name(static_cast<uint8_t>(v)) != nullptr; }

const char* filetype_name(uint8_t type) {
  switch (type) {
    case FILETYPE_UNKNOWN: return "unknown";
    case FILETYPE_BLOCK_DEVICE: return "block_device";
    case FILETYPE_CHARACTER_DEVICE: return "character_device";
    case FILETYPE_DIRECTORY: return "directory";
    case FILETYPE_PROCESS: return "process";
    case FILETYPE_REGULAR_FILE: return "regular_file";
    case FILETYPE_SHARED_MEMORY: return "shared_memory";
    case FILETYPE_SOCKET_DGRAM: return "socket_dgram";
    case FILETYPE_SOCKET_STREAM: return "socket_stream";
    case FILETYPE_SYMBOLIC_LINK: return "symbolic_link";
    default: return nullptr;
  }
}

}  // namespace capvm::abi
