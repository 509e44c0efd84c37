// Guest threads on host threads (cloudabi.txt: thread_create, thread_exit),
// thread ids, and ending the process.
#include <pthread.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>
#include <unordered_set>

#include "translator/aarch64/a64_decoder.h"
#include "vm/process_state.h"
#include "vm/signals.h"

namespace capvm::vm {

__attribute__((tls_model("initial-exec"))) constinit thread_local uint32_t t_tid = 0;

namespace {
std::mutex g_tid_mutex;
std::unordered_set<uint32_t> g_tids;
}  // namespace

void set_current_tid(uint32_t tid) { t_tid = tid; }

uint32_t new_tid() {
  std::lock_guard<std::mutex> lock(g_tid_mutex);
  for (;;) {
    uint32_t t = 0;
    if (getrandom(&t, sizeof t, 0) != sizeof t) continue;
    // Bits 30 and 31 of a lock word are flags (cloudabi.txt: lock).
    t &= 0x3FFFFFFF;
    if (t != 0 && g_tids.insert(t).second) return t;
  }
}

namespace {
bool g_forked_child = false;
}

void mark_forked_child() { g_forked_child = true; }

void end_process(int status, int signal) {
  std::fflush(nullptr);
  aarch64::Decoder::save_memo();
  process_count::release();
  if (signal != 0 && g_forked_child) {
    // No core file: the guest's fault is reported already.
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    ::signal(signal, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    raise(signal);
  }
  _exit(status);
}

void thread_exited(Process& p) {
  std::lock_guard<std::mutex> lock(p.thread_mutex);
  if (--p.live_threads == 0) p.all_exited.notify_all();
}

abi::Errno Process::thread_create(uint64_t entry_point, uint64_t stack, uint64_t stack_len,
                                  uint64_t argument, uint32_t* tid) {
  {
    std::lock_guard<std::mutex> lock(thread_mutex);
    if (live_threads >= max_threads) return abi::E_AGAIN;
    ++live_threads;
  }
  // The new thread's TLS area: fs points at a word holding the TCB's
  // address; the TCB (parent = 0) follows (cloudabi.txt: tcb).
  GuestAddr tls = 0;
  if (memory->map(&tls, kGuestPageSize, kProtRead | kProtWrite, false) != abi::E_SUCCESS) {
    thread_exited(*this);
    return abi::E_AGAIN;
  }
  const uint64_t area[2] = {tls + 8, 0};
  memory->write(tls, area, sizeof area);
  const uint32_t t = new_tid();
  const uint64_t sp_top = stack + stack_len;
  try {
    std::thread([this, t, tls, entry_point, argument, sp_top] {
      set_current_tid(t);
      std::string error;
      if (!install_thread_altstack(&error) || !prepare_translator_thread(&error)) {
        report(*this, "cannot start a guest thread: " + error);
        end_process(kExitCapvmError);
      }
      // Called like a C function threadentry(tid, argument).
      init_thread_registers(entry_point, sp_top, tls, t, argument);
      const ThreadEnd end = run_guest_thread(*this);
      if (end.process_ends) end_process(end.status, end.signal);
      memory->unmap(tls, kGuestPageSize);
      remove_thread_altstack();
      thread_exited(*this);
    }).detach();
  } catch (const std::exception&) {
    memory->unmap(tls, kGuestPageSize);
    thread_exited(*this);
    return abi::E_AGAIN;
  }
  *tid = t;
  return abi::E_SUCCESS;
}

}  // namespace capvm::vm
