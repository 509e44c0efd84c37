// proc_exec (cloudabi.txt): replace the process with another CloudABI
// executable. The image is read and validated first, so a bad executable
// fails with an errno and the caller keeps running; then capvm re-executes
// itself with the new state (vm/exec_state.h).
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "translator/aarch64/a64_decoder.h"
#include "vm/elf_loader.h"
#include "vm/exec_state.h"
#include "vm/limits.h"
#include "vm/process_state.h"

extern char** environ;

namespace capvm::vm {

namespace {
bool read_whole(int fd, std::vector<uint8_t>* out) {
  uint8_t chunk[65536];
  off_t at = 0;
  for (;;) {
    const ssize_t n = pread(fd, chunk, sizeof chunk, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out->insert(out->end(), chunk, chunk + n);
    at += n;
    if (out->size() > (uint64_t{1} << 30)) return false;
  }
}

// Marks every host fd close-on-exec except those in `keep` and capvm's own
// standard streams.
void close_on_exec_except(const std::vector<int>& keep) {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return;
  const int dfd = dirfd(d);
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == dfd || fd <= 2) continue;
    bool kept = false;
    for (int k : keep) kept = kept || k == fd;
    const int flags = fcntl(static_cast<int>(fd), F_GETFD);
    if (flags < 0) continue;
    fcntl(static_cast<int>(fd), F_SETFD, kept ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC));
  }
  closedir(d);
}
}  // namespace

abi::Errno Process::exec(int exec_fd, const uint8_t* argdata, size_t argdata_len,
                         const ExecFd* fds, size_t nfds) {
  RunOptions next;
  next.program_path = options->program_path + " (exec)";
  if (!read_whole(exec_fd, &next.program)) return abi::E_IO;
  ElfInfo info;
  std::string error;
  if (!validate_elf(next.program.data(), next.program.size(), &info, &error, options->sandbox_size))
    return abi::E_NOEXEC;
  next.argdata.assign(argdata, argdata + argdata_len);
  next.sandbox_size = options->sandbox_size;
  next.dump_blocks = options->dump_blocks;
  next.max_block_insns = options->max_block_insns;
  next.strace = options->strace;
  next.strace_filter = options->strace_filter;
  next.perf_map = options->perf_map;
  next.decode_memo_dir = options->decode_memo_dir;
  next.max_memory = options->max_memory;
  next.max_threads = options->max_threads;
  next.max_processes = options->max_processes;
  next.max_fds = options->max_fds;
  next.timeout_ns = remaining_timeout_ns();
  next.clock_precision_ns = options->clock_precision_ns;
  next.deterministic = options->deterministic;
  next.seed = options->seed;
  std::vector<int> keep;
  // Diagnostics continue in the same stream.
  if (diag != stderr) {
    std::fflush(diag);
    next.log_fd = fileno(diag);
    keep.push_back(next.log_fd);
  }
  // The process stays counted against --max-processes after it execs.
  next.process_count_fd = process_count::fd();
  if (next.process_count_fd >= 0) keep.push_back(next.process_count_fd);
  const size_t first_guest_dup = keep.size();
  for (size_t i = 0; i < nfds; ++i) {
    // A private duplicate per slot: the same host fd may be listed twice.
    const int dup_fd = fcntl(fds[i].host_fd, F_DUPFD_CLOEXEC, 3);
    if (dup_fd < 0) {
      for (size_t k = first_guest_dup; k < keep.size(); ++k) close(keep[k]);
      return abi::E_MFILE;
    }
    keep.push_back(dup_fd);
    FdGrant g;
    g.guest_fd = static_cast<uint32_t>(i);
    g.host_fd = dup_fd;
    g.has_rights = true;
    g.rights_base = fds[i].rights_base;
    g.rights_inheriting = fds[i].rights_inheriting;
    next.fds.push_back(g);
  }
  const int state_fd = write_exec_state(next, &error);
  if (state_fd < 0) {
    for (size_t k = first_guest_dup; k < keep.size(); ++k) close(keep[k]);
    return abi::E_NOMEM;
  }
  keep.push_back(state_fd);
  std::fflush(nullptr);
  aarch64::Decoder::save_memo();  // the next image's start may need them
  close_on_exec_except(keep);
  const std::string fd_text = std::to_string(state_fd);
  char arg0[] = "capvm";
  char* argv[] = {arg0, const_cast<char*>(kExecStateOption), const_cast<char*>(fd_text.c_str()),
                  nullptr};
  execve("/proc/self/exe", argv, environ);
  // Only reached when the host refused: the old guest keeps running.
  for (size_t k = first_guest_dup; k < keep.size(); ++k) close(keep[k]);
  for (size_t k = 0; k < first_guest_dup; ++k) fcntl(keep[k], F_SETFD, FD_CLOEXEC);
  return abi::E_NOEXEC;
}

}  // namespace capvm::vm
