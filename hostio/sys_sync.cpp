// Userspace locks and condition variables with kernel-managed waiting,
// poll, and threads (cloudabi.txt: opaque uint32 lock, opaque uint32
// condvar, syscalls lock_unlock, condvar_signal, poll, thread_create,
// thread_exit).
//
// The lock protocol (cloudabi.txt lock): 0 is unlocked; bit 30 (wrlocked)
// with the owner's tid in the low 30 bits is a write lock; without it the
// low 30 bits count read locks; bit 31 (kernel_managed) says threads are
// waiting in the kernel, so the last owner must call lock_unlock. Guests
// take uncontended locks with atomics alone and come here (poll with a
// lock_rdlock / lock_wrlock subscription) only to wait. Waiting uses host
// futexes on the guest word (vm::GuestMemory futex_*), private for
// scope.private and shared for scope.shared.
//
// Condition variables: scope.private waiters are kept in an in-process
// registry keyed by the condvar's guest address, so condvar_signal wakes
// exactly the number asked and sets the word back to has_no_waiters (0)
// once nobody waits. scope.shared condvars (other processes may wait on
// them) use a futex on the word itself: signal bumps the word and wakes; a
// wake-up may then be spurious, which condition variables allow.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>

#include "abi/syscalls.h"
#include "hostio/errno_map.h"
#include "hostio/internal.h"
#include "vm/ready_bytes.h"
#include "rights/rights.h"

namespace capvm::hostio::detail {

namespace {

constexpr uint32_t kTidMask = 0x3fffffffu;
constexpr uint64_t kMaxSubscriptions = 4096;

int64_t mono_now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Errno check_scope(uint8_t scope, bool* shared) {
  if (scope == abi::SCOPE_PRIVATE) *shared = false;
  else if (scope == abi::SCOPE_SHARED) *shared = true;
  else return abi::E_INVAL;
  return abi::E_SUCCESS;
}

// Lock and condvar words are "ptr atomic" (cloudabi.txt): 4-byte aligned
// and on writable guest memory, even when the call happens not to store.
Errno check_word(const vm::GuestMemory& mem, GuestAddr addr) {
  if (addr % 4 != 0) return abi::E_INVAL;
  if (!mem.range_has(addr, 4, vm::kProtWrite)) return abi::E_FAULT;
  return abi::E_SUCCESS;
}

// Kernel waiters per private lock address: when a waiter takes the lock
// while others still wait, it keeps kernel_managed set so that its unlock
// comes here to wake them. Shared locks cannot be counted across
// processes: kernel_managed is always kept (costs only a syscall).
std::mutex g_lock_waiters_mutex;
std::map<GuestAddr, uint32_t> g_lock_waiters;

struct WaiterGuard {
  GuestAddr addr;
  bool shared;
  WaiterGuard(GuestAddr a, bool s) : addr(a), shared(s) {
    if (shared) return;
    std::lock_guard<std::mutex> l(g_lock_waiters_mutex);
    ++g_lock_waiters[addr];
  }
  ~WaiterGuard() {
    if (shared) return;
    std::lock_guard<std::mutex> l(g_lock_waiters_mutex);
    auto it = g_lock_waiters.find(addr);
    if (it != g_lock_waiters.end() && --it->second == 0) g_lock_waiters.erase(it);
  }
  bool others() const {
    if (shared) return true;
    std::lock_guard<std::mutex> l(g_lock_waiters_mutex);
    auto it = g_lock_waiters.find(addr);
    return it != g_lock_waiters.end() && it->second > 1;
  }
};

// Acquires the lock at `addr` for writing (tid | wrlocked) or reading
// (count + 1). deadline: monotonic ns, or -1 for none. *acquired false on
// timeout. EDEADLK when the caller already holds the write lock.
Errno lock_acquire(vm::GuestMemory& mem, GuestAddr addr, bool shared, uint32_t tid, bool write,
                   int64_t deadline, bool* acquired) {
  *acquired = false;
  if (Errno e = check_word(mem, addr)) return e;
  WaiterGuard guard(addr, shared);
  for (;;) {
    uint32_t v;
    if (Errno e = mem.load32(addr, &v)) return e;
    const uint32_t km = guard.others() ? abi::kLockKernelManaged : 0;
    if (write && (v & ~abi::kLockKernelManaged) == 0) {
      uint32_t expected = v;
      bool swapped = false;
      if (Errno e = mem.cas32(addr, &expected, (tid & kTidMask) | abi::kLockWrlocked | km, &swapped))
        return e;
      if (swapped) {
        *acquired = true;
        return abi::E_SUCCESS;
      }
      continue;
    }
    if (!write && !(v & abi::kLockWrlocked)) {
      if ((v & kTidMask) == kTidMask) return abi::E_AGAIN;  // reader count would overflow
      uint32_t expected = v;
      bool swapped = false;
      if (Errno e = mem.cas32(addr, &expected, (v + 1) | km, &swapped)) return e;
      if (swapped) {
        *acquired = true;
        return abi::E_SUCCESS;
      }
      continue;
    }
    if ((v & abi::kLockWrlocked) && (v & kTidMask) == (tid & kTidMask)) return abi::E_DEADLK;
    if (!(v & abi::kLockKernelManaged)) {
      uint32_t expected = v;
      bool swapped = false;
      if (Errno e = mem.cas32(addr, &expected, v | abi::kLockKernelManaged, &swapped)) return e;
      if (!swapped) continue;
      v |= abi::kLockKernelManaged;
    }
    int64_t timeout = -1;
    if (deadline >= 0) {
      timeout = deadline - mono_now();
      if (timeout <= 0) return abi::E_SUCCESS;  // timed out, not acquired
    }
    const Errno w = mem.futex_wait(addr, v, timeout, shared);
    if (w == abi::E_TIMEDOUT) return abi::E_SUCCESS;
    if (w != abi::E_SUCCESS && w != abi::E_AGAIN && w != abi::E_INTR) return w;
  }
}

// Releases a write lock held by `tid` and wakes every kernel waiter (they
// race again; the winner re-marks kernel_managed if others remain).
Errno lock_release(vm::GuestMemory& mem, GuestAddr addr, bool shared, uint32_t tid) {
  if (Errno e = check_word(mem, addr)) return e;
  for (;;) {
    uint32_t v;
    if (Errno e = mem.load32(addr, &v)) return e;
    // cloudabi.txt lock_unlock: "the lock must be locked for writing" by
    // the calling thread.
    if (!(v & abi::kLockWrlocked) || (v & kTidMask) != (tid & kTidMask)) return abi::E_PERM;
    uint32_t expected = v;
    bool swapped = false;
    if (Errno e = mem.cas32(addr, &expected, abi::kLockUnlocked, &swapped)) return e;
    if (!swapped) continue;
    if (v & abi::kLockKernelManaged) mem.futex_wake(addr, INT_MAX, shared);
    return abi::E_SUCCESS;
  }
}

// --- Private condition variables ----------------------------------------------
struct CvWaiter {
  bool signaled = false;
};
std::mutex g_cv_mutex;
std::condition_variable g_cv_wake;
std::map<GuestAddr, std::list<CvWaiter*>> g_cv_waiters;

Errno set_word(vm::GuestMemory& mem, GuestAddr addr, uint32_t value) {
  for (;;) {
    uint32_t v;
    if (Errno e = mem.load32(addr, &v)) return e;
    if (v == value) return abi::E_SUCCESS;
    bool swapped = false;
    if (Errno e = mem.cas32(addr, &v, value, &swapped)) return e;
    if (swapped) return abi::E_SUCCESS;
  }
}

// Waits on a condvar, releasing `lock` (write-held by tid) meanwhile and
// reacquiring it for writing afterwards whatever happened (the lock is the
// caller's again when poll returns, as cloudabi.txt eventtype.condvar).
// *signaled false on timeout.
Errno condvar_wait(vm::GuestMemory& mem, GuestAddr cv, bool cv_shared, GuestAddr lock,
                   bool lock_shared, uint32_t tid, int64_t deadline, bool* signaled) {
  *signaled = false;
  if (Errno e = check_word(mem, cv)) return e;
  if (Errno e = check_word(mem, lock)) return e;
  uint32_t lv;
  if (Errno e = mem.load32(lock, &lv)) return e;
  if (!(lv & abi::kLockWrlocked) || (lv & kTidMask) != (tid & kTidMask)) return abi::E_PERM;
  if (Errno e = mem.load32(cv, &lv)) return e;  // checks the condvar word too
  if (!cv_shared) {
    CvWaiter me;
    {
      std::unique_lock<std::mutex> l(g_cv_mutex);
      auto& list = g_cv_waiters[cv];
      list.push_back(&me);
      if (Errno e = set_word(mem, cv, 1)) {
        list.remove(&me);
        if (list.empty()) g_cv_waiters.erase(cv);
        return e;
      }
      // Registered before the lock is released: a signal from whoever takes
      // the lock next cannot be missed.
      if (Errno e = lock_release(mem, lock, lock_shared, tid)) {
        list.remove(&me);
        if (list.empty()) {
          g_cv_waiters.erase(cv);
          set_word(mem, cv, abi::kCondvarHasNoWaiters);
        }
        return e;
      }
      while (!me.signaled) {
        if (deadline < 0) {
          g_cv_wake.wait(l);
          continue;
        }
        const int64_t left = deadline - mono_now();
        if (left <= 0) break;
        g_cv_wake.wait_for(l, std::chrono::nanoseconds(left));
      }
      *signaled = me.signaled;
      if (!me.signaled) {
        auto it = g_cv_waiters.find(cv);
        if (it != g_cv_waiters.end()) {
          it->second.remove(&me);
          if (it->second.empty()) {
            g_cv_waiters.erase(it);
            set_word(mem, cv, abi::kCondvarHasNoWaiters);
          }
        }
      }
    }
  } else {
    uint32_t seq;
    for (;;) {
      if (Errno e = mem.load32(cv, &seq)) return e;
      if (seq != 0) break;
      uint32_t expected = 0;
      bool swapped = false;
      if (Errno e = mem.cas32(cv, &expected, 1, &swapped)) return e;
      if (swapped) {
        seq = 1;
        break;
      }
    }
    if (Errno e = lock_release(mem, lock, lock_shared, tid)) return e;
    int64_t timeout = -1;
    if (deadline >= 0) timeout = deadline - mono_now();
    Errno w = timeout == 0 || (deadline >= 0 && timeout < 0)
                  ? Errno{abi::E_TIMEDOUT}
                  : mem.futex_wait(cv, seq, timeout, true);
    *signaled = w != abi::E_TIMEDOUT;
  }
  bool got = false;
  return lock_acquire(mem, lock, lock_shared, tid, true, -1, &got);
}

Errno condvar_signal_impl(vm::GuestMemory& mem, GuestAddr cv, bool shared, uint32_t n) {
  if (Errno e = check_word(mem, cv)) return e;
  uint32_t v;
  if (Errno e = mem.load32(cv, &v)) return e;
  if (!shared) {
    std::lock_guard<std::mutex> l(g_cv_mutex);
    auto it = g_cv_waiters.find(cv);
    if (it != g_cv_waiters.end()) {
      auto& list = it->second;
      for (uint32_t i = 0; i < n && !list.empty(); ++i) {
        list.front()->signaled = true;
        list.pop_front();
      }
      if (list.empty()) g_cv_waiters.erase(it);
      g_cv_wake.notify_all();
    }
    // cloudabi.txt condvar_signal: all waiters woken -> has_no_waiters.
    if (g_cv_waiters.find(cv) == g_cv_waiters.end())
      return set_word(mem, cv, abi::kCondvarHasNoWaiters);
    return abi::E_SUCCESS;
  }
  for (;;) {
    if (v == 0) return abi::E_SUCCESS;  // nobody waits
    uint32_t next = v + 1 == 0 ? 1 : v + 1;
    bool swapped = false;
    uint32_t expected = v;
    if (Errno e = mem.cas32(cv, &expected, next, &swapped)) return e;
    if (!swapped) {
      v = expected;
      continue;
    }
    uint32_t woken = 0;
    mem.futex_wake(cv, n > INT_MAX ? INT_MAX : n, true, &woken);
    if (woken < n) {
      // Fewer sleepers than asked: all are awake (late arrivals see the new
      // value and return at once), so the word can say so.
      bool s2 = false;
      uint32_t e2 = next;
      mem.cas32(cv, &e2, abi::kCondvarHasNoWaiters, &s2);
    }
    return abi::E_SUCCESS;
  }
}

SyscallOutcome lock_unlock(SyscallContext& ctx, const SyscallRequest& r) {
  bool shared;
  if (Errno e = check_scope(u8(r.args[1]), &shared)) return fail(e);
  return fail(lock_release(ctx.mem, r.args[0], shared, r.tid));
}

SyscallOutcome condvar_signal(SyscallContext& ctx, const SyscallRequest& r) {
  bool shared;
  if (Errno e = check_scope(u8(r.args[1]), &shared)) return fail(e);
  return fail(condvar_signal_impl(ctx.mem, r.args[0], shared, u32(r.args[2])));
}

// --- poll ------------------------------------------------------------------------

bool host_clock_of(uint32_t id, clockid_t* c) {
  switch (id) {
    case abi::CLOCKID_MONOTONIC: *c = CLOCK_MONOTONIC; return true;
    case abi::CLOCKID_REALTIME: *c = CLOCK_REALTIME; return true;
    default: return false;  // waiting on CPU-time clocks is not supported
  }
}

// Monotonic deadline of a clock subscription; EINVAL for bad clocks/flags.
Errno clock_deadline(const abi::Subscription& s, int64_t* deadline) {
  if (s.clock.flags & ~abi::SUBSCRIPTION_CLOCK_ABSTIME) return abi::E_INVAL;
  clockid_t c;
  if (!host_clock_of(s.clock.clock_id, &c)) return abi::E_INVAL;
  const int64_t now = mono_now();
  uint64_t rel = s.clock.timeout;
  if (s.clock.flags & abi::SUBSCRIPTION_CLOCK_ABSTIME) {
    struct timespec ts;
    clock_gettime(c, &ts);
    const uint64_t cnow = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
                          static_cast<uint64_t>(ts.tv_nsec);
    rel = s.clock.timeout > cnow ? s.clock.timeout - cnow : 0;
  }
  const uint64_t room = static_cast<uint64_t>(INT64_MAX - now);
  *deadline = rel >= room ? INT64_MAX : now + static_cast<int64_t>(rel);
  return abi::E_SUCCESS;
}

abi::Event event_for(const abi::Subscription& s, Errno error) {
  abi::Event ev{};
  ev.userdata = s.userdata;
  ev.error = error;
  ev.type = s.type;
  return ev;
}

// Exit status of a child behind a pidfd, without reaping it (WNOWAIT), so
// later polls see it again. False while it runs.
bool child_status(int pidfd, uint8_t* signal, uint32_t* exitcode) {
  siginfo_t si{};
  if (waitid(static_cast<idtype_t>(3) /* P_PIDFD */, static_cast<id_t>(pidfd), &si,
             WEXITED | WNOHANG | WNOWAIT) != 0)
    return false;
  if (si.si_pid == 0) return false;
  *signal = 0;
  *exitcode = 0;
  if (si.si_code == CLD_EXITED) {
    *exitcode = static_cast<uint32_t>(si.si_status);
  } else {
    switch (si.si_status) {  // host signal -> cloudabi.txt signal
      case SIGABRT: *signal = abi::SIGNAL_ABRT; break;
      case SIGBUS: *signal = abi::SIGNAL_BUS; break;
      case SIGFPE: *signal = abi::SIGNAL_FPE; break;
      case SIGILL: *signal = abi::SIGNAL_ILL; break;
      case SIGKILL: *signal = abi::SIGNAL_KILL; break;
      case SIGSEGV: *signal = abi::SIGNAL_SEGV; break;
      case SIGTERM: *signal = abi::SIGNAL_TERM; break;
      case SIGSYS: *signal = abi::SIGNAL_SYS; break;
      case SIGTRAP: *signal = abi::SIGNAL_TRAP; break;
      default: *signal = abi::SIGNAL_KILL; break;
    }
  }
  return true;
}

SyscallOutcome poll_blocking_first(SyscallContext& ctx, const SyscallRequest& r,
                                   const std::vector<abi::Subscription>& subs, GuestAddr out) {
  // cloudabi.txt subscription.type: condvar / lock_* first, optionally
  // followed by one clock.
  if (subs.size() > 2 || (subs.size() == 2 && subs[1].type != abi::EVENTTYPE_CLOCK))
    return fail(abi::E_INVAL);
  int64_t deadline = -1;
  if (subs.size() == 2) {
    if (Errno e = clock_deadline(subs[1], &deadline)) {
      abi::Event ev = event_for(subs[1], e);
      if (Errno we = ctx.mem.write_obj(out, ev)) return fail(we);
      return ok(1);
    }
  }
  const abi::Subscription& s = subs[0];
  bool done = false;
  Errno e;
  if (s.type == abi::EVENTTYPE_CONDVAR) {
    bool cv_shared, lock_shared;
    e = check_scope(s.condvar.condvar_scope, &cv_shared);
    if (!e) e = check_scope(s.condvar.lock_scope, &lock_shared);
    if (!e) e = condvar_wait(ctx.mem, s.condvar.condvar, cv_shared, s.condvar.lock, lock_shared,
                             r.tid, deadline, &done);
  } else {
    bool shared;
    e = check_scope(s.lock.lock_scope, &shared);
    if (!e) e = lock_acquire(ctx.mem, s.lock.lock, shared, r.tid,
                             s.type == abi::EVENTTYPE_LOCK_WRLOCK, deadline, &done);
  }
  abi::Event ev = (e || done) ? event_for(s, e) : event_for(subs[1], abi::E_SUCCESS);
  if (Errno we = ctx.mem.write_obj(out, ev)) return fail(we);
  return ok(1);
}

// poll's working storage, kept per thread between calls: a server polls
// the same few dozen descriptors again and again, and fresh vectors cost a
// dozen allocations a call (each growing vector reallocates as it fills).
// Cleared on entry; `held` is released on the way out (PollScratch::Release)
// so no host descriptor outlives the call through it.
struct PollScratch {
  std::vector<abi::Subscription> subs;
  std::vector<abi::Event> events;
  std::vector<struct pollfd> pfds;
  std::vector<size_t> pfd_sub;     // subscription index of each pollfd
  std::vector<FdEntryPtr> held;    // keeps host fds alive while polling
  std::vector<int64_t> deadlines;  // per subscription, -1: not a clock
  std::vector<int> readable;
  std::vector<uint64_t> nbytes;

  struct Release {
    PollScratch& s;
    ~Release() { s.held.clear(); }
  };
};

SyscallOutcome poll_with(PollScratch& sc, SyscallContext& ctx, const SyscallRequest& r) {
  const GuestAddr in = r.args[0];
  const GuestAddr out = r.args[1];
  const uint64_t n = r.args[2];
  if (n == 0) return ok(0);
  // SECURITY.md: nsubscriptions * sizeof(subscription) overflowed in the
  // original runtime. Bounded here long before any product can wrap.
  if (n > kMaxSubscriptions) return fail(abi::E_INVAL);
  std::vector<abi::Subscription>& subs = sc.subs;
  subs.resize(n);
  if (Errno e = ctx.mem.read(in, subs.data(), n * sizeof(abi::Subscription))) return fail(e);
  if (!ctx.mem.range_has(out, n * sizeof(abi::Event), vm::kProtWrite)) return fail(abi::E_FAULT);
  const uint8_t t0 = subs[0].type;
  if (t0 == abi::EVENTTYPE_CONDVAR || t0 == abi::EVENTTYPE_LOCK_RDLOCK ||
      t0 == abi::EVENTTYPE_LOCK_WRLOCK)
    return poll_blocking_first(ctx, r, subs, out);

  std::vector<abi::Event>& events = sc.events;
  std::vector<struct pollfd>& pfds = sc.pfds;
  std::vector<size_t>& pfd_sub = sc.pfd_sub;
  std::vector<FdEntryPtr>& held = sc.held;
  std::vector<int64_t>& deadlines = sc.deadlines;
  events.clear();
  pfds.clear();
  pfd_sub.clear();
  held.clear();
  deadlines.assign(n, -1);
  int64_t earliest = -1;
  for (size_t i = 0; i < n; ++i) {
    const abi::Subscription& s = subs[i];
    switch (s.type) {
      case abi::EVENTTYPE_CLOCK: {
        int64_t d;
        if (Errno e = clock_deadline(s, &d)) {
          events.push_back(event_for(s, e));
          break;
        }
        deadlines[i] = d;
        if (earliest < 0 || d < earliest) earliest = d;
        break;
      }
      case abi::EVENTTYPE_FD_READ:
      case abi::EVENTTYPE_FD_WRITE:
      case abi::EVENTTYPE_PROC_TERMINATE: {
        const abi::Fd fdn = s.type == abi::EVENTTYPE_PROC_TERMINATE ? s.proc_terminate.fd
                                                                     : s.fd_readwrite.fd;
        FdEntryPtr fd;
        Errno e = ctx.fds.lookup(fdn, rights::for_poll(s.type), &fd);
        if (!e && s.type == abi::EVENTTYPE_PROC_TERMINATE && fd->filetype != abi::FILETYPE_PROCESS)
          e = abi::E_BADF;
        if (e) {
          events.push_back(event_for(s, e));
          break;
        }
        short want = s.type == abi::EVENTTYPE_FD_WRITE ? POLLOUT : POLLIN;
        pfds.push_back({fd->host_fd(), want, 0});
        pfd_sub.push_back(i);
        held.push_back(std::move(fd));
        break;
      }
      default:
        // condvar / lock subscriptions only come first (see above).
        events.push_back(event_for(s, abi::E_INVAL));
        break;
    }
  }
  for (;;) {
    struct timespec ts, *tsp = nullptr;
    if (!events.empty()) {
      ts = {0, 0};
      tsp = &ts;
    } else if (earliest >= 0) {
      int64_t left = earliest - mono_now();
      if (left < 0) left = 0;
      ts.tv_sec = left / 1000000000;
      ts.tv_nsec = left % 1000000000;
      tsp = &ts;
    }
    const int rc = ppoll(pfds.data(), pfds.size(), tsp, nullptr);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return fail(from_host_errno(errno));
    break;
  }
  // nbytes of every ready fd_read subscription, asked in one go.
  std::vector<int>& readable = sc.readable;
  readable.clear();
  for (size_t k = 0; k < pfds.size(); ++k)
    if (pfds[k].revents != 0 && subs[pfd_sub[k]].type == abi::EVENTTYPE_FD_READ)
      readable.push_back(pfds[k].fd);
  std::vector<uint64_t>& nbytes = sc.nbytes;
  nbytes.assign(readable.size(), 0);
  vm::ready_bytes(readable.data(), readable.size(), nbytes.data());
  size_t next_readable = 0;
  for (size_t k = 0; k < pfds.size(); ++k) {
    if (pfds[k].revents == 0) continue;
    const abi::Subscription& s = subs[pfd_sub[k]];
    abi::Event ev = event_for(s, abi::E_SUCCESS);
    if (s.type == abi::EVENTTYPE_PROC_TERMINATE) {
      if (!child_status(pfds[k].fd, &ev.proc_terminate.signal, &ev.proc_terminate.exitcode))
        continue;  // readable but not yet waitable: report next time
    } else {
      if (pfds[k].revents & POLLNVAL) ev.error = abi::E_BADF;
      if (pfds[k].revents & (POLLHUP | POLLERR)) ev.fd_readwrite.flags = abi::EVENT_FD_READWRITE_HANGUP;
      if (s.type == abi::EVENTTYPE_FD_READ) ev.fd_readwrite.nbytes = nbytes[next_readable++];
    }
    events.push_back(ev);
  }
  const int64_t now = mono_now();
  for (size_t i = 0; i < n; ++i) {
    if (deadlines[i] >= 0 && deadlines[i] <= now) {
      abi::Event ev = event_for(subs[i], abi::E_SUCCESS);
      events.push_back(ev);
    }
  }
  if (!events.empty()) {
    if (Errno e = ctx.mem.write(out, events.data(), events.size() * sizeof(abi::Event)))
      return fail(e);
  }
  return ok(events.size());
}

SyscallOutcome poll(SyscallContext& ctx, const SyscallRequest& r) {
  // Per thread: guest threads poll concurrently; a call never nests.
  thread_local PollScratch t_scratch;
  PollScratch::Release release{t_scratch};
  return poll_with(t_scratch, ctx, r);
}

// --- Threads ---------------------------------------------------------------------

SyscallOutcome thread_create(SyscallContext& ctx, const SyscallRequest& r) {
  abi::Threadattr attr;
  if (Errno e = ctx.mem.read_obj(r.args[0], &attr)) return fail(e);  // copied in once
  if (attr.stack_len == 0) return fail(abi::E_INVAL);
  // The stack must be writable guest memory (ptr + len may not wrap).
  if (!ctx.mem.range_has(attr.stack, attr.stack_len, vm::kProtRead | vm::kProtWrite))
    return fail(abi::E_FAULT);
  if (ctx.hooks == nullptr) return fail(abi::E_NOSYS);
  uint32_t tid = 0;
  if (Errno e = ctx.hooks->thread_create(attr.entry_point, attr.stack, attr.stack_len,
                                         attr.argument, &tid))
    return fail(e);
  return ok(tid);
}

SyscallOutcome thread_exit(SyscallContext& ctx, const SyscallRequest& r) {
  // cloudabi.txt thread_exit: unlock the lock (joining), then end the
  // thread. The call does not return, so a bad lock cannot be reported: the
  // thread ends regardless.
  bool shared = false;
  if (check_scope(u8(r.args[1]), &shared) == abi::E_SUCCESS)
    (void)lock_release(ctx.mem, r.args[0], shared, r.tid);
  SyscallOutcome o;
  o.after = After::kExitThread;
  return o;
}

}  // namespace

void sync_fork_lock(bool lock) {
  if (lock) {
    g_lock_waiters_mutex.lock();
    g_cv_mutex.lock();
  } else {
    g_cv_mutex.unlock();
    g_lock_waiters_mutex.unlock();
  }
}

SyscallOutcome sys_sync(SyscallContext& ctx, const SyscallRequest& r) {
  switch (static_cast<abi::Sys>(r.number)) {
    case abi::Sys::condvar_signal: return condvar_signal(ctx, r);
    case abi::Sys::lock_unlock: return lock_unlock(ctx, r);
    case abi::Sys::poll: return poll(ctx, r);
    case abi::Sys::thread_create: return thread_create(ctx, r);
    case abi::Sys::thread_exit: return thread_exit(ctx, r);
    default: return fail(abi::E_NOSYS);
  }
}

}  // namespace capvm::hostio::detail
