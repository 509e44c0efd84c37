// ready_bytes: FIONREAD for many descriptors in one io_uring_enter (see the
// header). The ring is the calling thread's (poll runs on any guest thread),
// made on first use and rebuilt in a forked child (the child's copy of the
// ring descriptor names the parent's ring). Any failure of the ring itself
// turns io_uring off for the process; per-descriptor failures fall back to
// ioctl for that descriptor.
#include "vm/ready_bytes.h"

#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace capvm::vm {
namespace {

// include/uapi/linux/io_uring.h (Linux 6.7): the socket command for SIOCINQ.
// Debian 12's headers predate it.
constexpr uint32_t kSocketUringOpSiocinq = 0;
constexpr unsigned kRingEntries = 64;

uint64_t fionread(int fd) {
  int avail = 0;
  return ioctl(fd, FIONREAD, &avail) == 0 && avail > 0 ? static_cast<uint64_t>(avail) : 0;
}

std::atomic<bool> g_uring_off{false};
// Bumped in a forked child: a ring made before belongs to the parent.
std::atomic<unsigned> g_fork_generation{0};
std::once_flag g_atfork_once;

class Ring {
 public:
  ~Ring() { release(); }

  // Ready for use in this process; false when io_uring is not available.
  bool ready() {
    const unsigned gen = g_fork_generation.load(std::memory_order_relaxed);
    if (fd_ >= 0 && gen == generation_) return true;
    release();  // a parent's ring, inherited by fork: ours is a fresh one
    if (g_uring_off.load(std::memory_order_relaxed)) return false;
    if (!setup()) {
      release();
      g_uring_off.store(true, std::memory_order_relaxed);
      return false;
    }
    generation_ = gen;
    return true;
  }

  // Submits fds[0..n) (n <= kRingEntries) and waits for every completion:
  // res[i] is fds[i]'s byte count or -errno. False when the ring itself
  // failed (results unknown, the ring unusable).
  bool run(const int* fds, size_t n, int32_t* res) {
    unsigned tail = *sq_tail_;
    for (size_t i = 0; i < n; ++i) {
      const unsigned idx = tail & *sq_mask_;
      io_uring_sqe& e = sqes_[idx];
      std::memset(&e, 0, sizeof e);
      e.opcode = IORING_OP_URING_CMD;
      e.fd = fds[i];
      e.cmd_op = kSocketUringOpSiocinq;
      e.user_data = i;
      sq_array_[idx] = idx;
      ++tail;
    }
    __atomic_store_n(sq_tail_, tail, __ATOMIC_RELEASE);
    size_t reaped = 0;
    unsigned to_submit = static_cast<unsigned>(n);
    while (reaped < n) {
      const long rc = syscall(__NR_io_uring_enter, fd_, to_submit, static_cast<unsigned>(n - reaped),
                              IORING_ENTER_GETEVENTS, nullptr, 0);
      if (rc < 0 && errno != EINTR) return false;
      if (rc > 0) to_submit -= static_cast<unsigned>(rc) < to_submit ? static_cast<unsigned>(rc) : to_submit;
      unsigned head = *cq_head_;
      const unsigned ctail = __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
      for (; head != ctail; ++head) {
        const io_uring_cqe& c = cqes_[head & *cq_mask_];
        if (c.user_data >= n) return false;  // not ours: the ring is confused
        res[c.user_data] = c.res;
        ++reaped;
      }
      __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
    }
    return true;
  }

 private:
  bool setup() {
    io_uring_params p;
    std::memset(&p, 0, sizeof p);
    fd_ = static_cast<int>(syscall(__NR_io_uring_setup, kRingEntries, &p));
    if (fd_ < 0) return false;
    if (!(p.features & IORING_FEAT_SINGLE_MMAP)) return false;  // Linux 5.4+
    const size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    const size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    ring_size_ = sq_size > cq_size ? sq_size : cq_size;
    void* ring = mmap(nullptr, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
                      IORING_OFF_SQ_RING);
    if (ring == MAP_FAILED) return false;
    ring_ = static_cast<char*>(ring);
    sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
    void* sqes = mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
                      IORING_OFF_SQES);
    if (sqes == MAP_FAILED) return false;
    sqes_ = static_cast<io_uring_sqe*>(sqes);
    sq_tail_ = reinterpret_cast<unsigned*>(ring_ + p.sq_off.tail);
    sq_mask_ = reinterpret_cast<unsigned*>(ring_ + p.sq_off.ring_mask);
    sq_array_ = reinterpret_cast<unsigned*>(ring_ + p.sq_off.array);
    cq_head_ = reinterpret_cast<unsigned*>(ring_ + p.cq_off.head);
    cq_tail_ = reinterpret_cast<unsigned*>(ring_ + p.cq_off.tail);
    cq_mask_ = reinterpret_cast<unsigned*>(ring_ + p.cq_off.ring_mask);
    cqes_ = reinterpret_cast<io_uring_cqe*>(ring_ + p.cq_off.cqes);
    return p.sq_entries >= kRingEntries && p.cq_entries >= kRingEntries;
  }

  void release() {
    if (sqes_ != nullptr) munmap(sqes_, sqes_size_);
    if (ring_ != nullptr) munmap(ring_, ring_size_);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    ring_ = nullptr;
    sqes_ = nullptr;
  }

  int fd_ = -1;
  unsigned generation_ = 0;
  char* ring_ = nullptr;
  size_t ring_size_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_size_ = 0;
  unsigned *sq_tail_ = nullptr, *sq_mask_ = nullptr, *sq_array_ = nullptr;
  unsigned *cq_head_ = nullptr, *cq_tail_ = nullptr, *cq_mask_ = nullptr;
  io_uring_cqe* cqes_ = nullptr;
};

thread_local Ring t_ring;
thread_local bool t_used_uring = false;

}  // namespace

void ready_bytes(const int* fds, size_t n, uint64_t* out) {
  t_used_uring = false;
  if (n >= 2 && !g_uring_off.load(std::memory_order_relaxed)) {
    std::call_once(g_atfork_once, [] {
      pthread_atfork(nullptr, nullptr,
                     [] { g_fork_generation.fetch_add(1, std::memory_order_relaxed); });
    });
    if (t_ring.ready()) {
      int32_t res[kRingEntries];
      size_t done = 0;
      bool ok = true;
      while (ok && done < n) {
        const size_t k = n - done < kRingEntries ? n - done : kRingEntries;
        ok = t_ring.run(fds + done, k, res);
        if (!ok) break;
        for (size_t i = 0; i < k; ++i)
          out[done + i] = res[i] >= 0 ? static_cast<uint64_t>(res[i]) : fionread(fds[done + i]);
        done += k;
      }
      if (ok) {
        t_used_uring = true;
        return;
      }
      // The ring itself failed: never again in this process; the rest by ioctl.
      g_uring_off.store(true, std::memory_order_relaxed);
      for (size_t i = done; i < n; ++i) out[i] = fionread(fds[i]);
      return;
    }
  }
  for (size_t i = 0; i < n; ++i) out[i] = fionread(fds[i]);
}

bool ready_bytes_used_io_uring() { return t_used_uring; }

}  // namespace capvm::vm
