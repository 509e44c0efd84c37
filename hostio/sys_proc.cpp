// Processes: proc_fork (with process descriptors) and proc_exec
// (cloudabi.txt syscall proc_fork, proc_exec). proc_exit, proc_raise are in
// syscall.cpp; the VM does the forking and exec'ing (ProcessHooks).
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "abi/syscalls.h"
#include "hostio/errno_map.h"
#include "hostio/internal.h"
#include "rights/rights.h"

namespace capvm::hostio::detail {

namespace {

// Upper bound on proc_exec's argument data (the kernel's ARG_MAX is
// similar in spirit): E2BIG beyond.
constexpr uint64_t kMaxExecData = uint64_t{64} << 20;

SyscallOutcome proc_fork(SyscallContext& ctx, const SyscallRequest&) {
  if (ctx.hooks == nullptr) return fail(abi::E_NOSYS);
  int child = -1;
  uint32_t tid = 0;
  ctx.fds.lock_for_fork();
  sync_fork_lock(true);
  registry_fork_lock(true);
  const Errno e = ctx.hooks->fork(&child, &tid);
  registry_fork_lock(false);
  sync_fork_lock(false);
  ctx.fds.unlock_after_fork();
  if (e) return fail(e);
  // cloudabi.txt proc_fork: the child sees fd.process_child and its tid.
  if (child == 0) return ok(abi::kProcessChild, tid);
#ifdef SYS_pidfd_open
  const long pidfd = syscall(SYS_pidfd_open, child, 0);  // close-on-exec by default
#else
  const long pidfd = -1;
  errno = ENOSYS;
#endif
  if (pidfd < 0) {
    const int saved = errno;
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    return fail(from_host_errno(saved));
  }
  abi::Fd fd;
  const uint8_t t = abi::FILETYPE_PROCESS;
  if (Errno ie = install(ctx.fds, static_cast<int>(pidfd), t, rights::max_base(t),
                         rights::max_inheriting(t), &fd))
    return fail(ie);  // the HostFd kills and reaps the child
  return ok(fd, tid);
}

SyscallOutcome proc_exec(SyscallContext& ctx, const SyscallRequest& r) {
  FdEntryPtr exe;
  if (Errno e = ctx.fds.lookup(u32(r.args[0]), abi::RIGHT_PROC_EXEC, &exe)) return fail(e);
  const uint64_t data_len = r.args[2];
  const uint64_t nfds = r.args[4];
  if (data_len > kMaxExecData) return fail(abi::E_2BIG);
  if (nfds > FdTable::kMaxFds) return fail(abi::E_INVAL);
  // Both copied in once: the new image gets exactly what was checked.
  std::vector<uint8_t> data(data_len);
  if (data_len != 0) {
    if (Errno e = ctx.mem.read(r.args[1], data.data(), data_len)) return fail(e);
  }
  std::vector<abi::Fd> list(nfds);
  if (nfds != 0) {
    if (Errno e = ctx.mem.read(r.args[3], list.data(), nfds * sizeof(abi::Fd))) return fail(e);
  }
  std::vector<FdEntryPtr> held;
  std::vector<ProcessHooks::ExecFd> out;
  held.reserve(nfds);
  out.reserve(nfds);
  for (abi::Fd f : list) {
    FdEntryPtr e;
    if (Errno err = ctx.fds.lookup(f, 0, &e)) return fail(err);
    // Rights kept exactly (cloudabi.txt proc_exec "the layout of the file
    // descriptor table after execution").
    out.push_back({e->host_fd(), e->filetype, e->rights_base, e->rights_inheriting,
                   live_fdflags(*e)});
    held.push_back(std::move(e));
  }
  if (ctx.hooks == nullptr) return fail(abi::E_NOSYS);
  return fail(ctx.hooks->exec(exe->host_fd(), data.data(), data.size(), out.data(), out.size()));
}

}  // namespace

SyscallOutcome sys_proc(SyscallContext& ctx, const SyscallRequest& r) {
  switch (static_cast<abi::Sys>(r.number)) {
    case abi::Sys::proc_fork: return proc_fork(ctx, r);
    case abi::Sys::proc_exec: return proc_exec(ctx, r);
    default: return fail(abi::E_NOSYS);
  }
}

}  // namespace capvm::hostio::detail
