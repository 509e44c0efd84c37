// proc_fork (cloudabi.txt): the host process forks; the child keeps only the
// calling thread and gets a code cache of its own, since the parent's is
// shared memory (two views of one memfd) that the child must never write.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>
#include <cstdio>
#include <new>

#include "translator/aarch64/a64_decoder.h"
#include "vm/process_state.h"

namespace capvm::vm {

abi::Errno Process::fork(int* child_pid, uint32_t* tid) {
  // --max-processes counts the whole tree; a fork bomb stops here.
  if (!process_count::reserve(options->max_processes)) return abi::E_AGAIN;
  std::fflush(nullptr);
  memory->lock_for_fork();
  aarch64::Decoder::lock_for_fork();
  const pid_t parent = getpid();
  const pid_t pid = ::fork();
  aarch64::Decoder::unlock_after_fork();
  memory->unlock_after_fork();
  if (pid < 0) {
    process_count::release();
    return errno == ENOMEM ? abi::E_NOMEM : abi::E_AGAIN;
  }
  if (pid > 0) {
    *child_pid = pid;
    return abi::E_SUCCESS;
  }
  // The child dies with its parent process (e.g. at --timeout), so nothing
  // of the guest's tree outlives the capvm that started it.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(kExitSignalBase + SIGKILL);
  mark_forked_child();
  // The child. Other threads did not come along: reset what they held.
  new (&thread_mutex) std::mutex();
  new (&all_exited) std::condition_variable();
  live_threads = 1;
  const uint32_t t = new_tid();
  set_current_tid(t);
  main_tid = t;
  // The old cache's memory stays mapped but unused; releasing it would only
  // unmap the child's views, yet its allocator's lock may be held by a
  // thread that no longer exists, so it is simply abandoned.
  (void)translator.release();
  (void)a64.release();
  std::string error;
  if (!make_translator(&error)) {  // the decoder was loaded before the fork: cannot fail
    report(*this, "forked child cannot start: " + error);
    end_process(kExitCapvmError);
  }
  if (!perf_map.reopen_for_child(&error)) report(*this, error);
  if (!prepare_translator_thread(&error)) {
    report(*this, "forked child cannot start: " + error);
    end_process(kExitCapvmError);
  }
  *child_pid = 0;
  *tid = t;
  return abi::E_SUCCESS;
}

}  // namespace capvm::vm
