// The guest sandbox: reservation, page protections, and the checked accessor.
#include "vm/guest_memory.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "vm/checked_copy.h"
#include "vm/prefault.h"

namespace capvm::vm {
namespace {

constexpr uint8_t kProtMask = kProtRead | kProtWrite | kProtExec;

// Host protection for a guest protection. Executable guest pages are only
// readable on the host: the translator reads them, nothing executes them.
int host_prot(unsigned prot) {
  int p = PROT_NONE;
  if (prot & (kProtRead | kProtExec)) p |= PROT_READ;
  if (prot & kProtWrite) p |= PROT_READ | PROT_WRITE;
  return p;
}

abi::Errno from_host_errno(int e) {
  switch (e) {
    case ENOMEM: return abi::E_NOMEM;
    case EACCES: return abi::E_ACCES;
    case EBADF: return abi::E_BADF;
    case ENODEV: return abi::E_NODEV;
    case EPERM: return abi::E_PERM;
    case EAGAIN: return abi::E_AGAIN;
    case EOVERFLOW: return abi::E_OVERFLOW;
    default: return abi::E_INVAL;
  }
}

}  // namespace

std::unique_ptr<GuestMemory> GuestMemory::create(uint64_t size, std::string* error) {
  if (size == 0 || size % kGuestPageSize != 0 || size > kMaxSandboxSize ||
      size <= kNullGuardSize) {
    *error = "sandbox size must be a page multiple between 64 KiB and 4 GiB";
    return nullptr;
  }
  // Translated code forms addresses as base + (32-bit offset) + (access size),
  // so the reservation always spans the full 4 GiB plus the guard, even when
  // the usable sandbox is smaller: everything past `size` stays PROT_NONE.
  const uint64_t reserve = kMaxSandboxSize + kGuardSize;
  void* p = mmap(nullptr, reserve, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    *error = std::string("cannot reserve the guest sandbox: ") + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<GuestMemory> mem(new GuestMemory());
  mem->base_ = static_cast<uint8_t*>(p);
  mem->size_ = size;
  mem->reserved_ = reserve;
  mem->page_count_ = size / kGuestPageSize;
  void* table = mmap(nullptr, mem->page_count_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (table == MAP_FAILED) {
    *error = "cannot allocate the guest page table";
    return nullptr;
  }
  mem->page_prot_ = static_cast<uint8_t*>(table);
  return mem;
}

GuestMemory::~GuestMemory() {
  if (base_ != nullptr) munmap(base_, reserved_);
  if (page_prot_ != nullptr) munmap(page_prot_, page_count_);
}

bool GuestMemory::contains_host(const void* p) const {
  auto a = reinterpret_cast<uintptr_t>(p);
  auto b = reinterpret_cast<uintptr_t>(base_);
  return a >= b && a - b < reserved_;
}

// Checks read the page table without the lock: one check is a snapshot
// either way, since the mapping can change as soon as the lock would be
// released, before the copy or the host call that follows it. What keeps
// that sound is the reservation: every guest address stays inside it for
// the process's life, so a racing unmap or protect makes the access fault
// (recovered by the guarded copies) or the host call fail with EFAULT, and
// never reach anything outside guest memory. Entries are written with
// atomic stores under the lock and read here with atomic loads.
unsigned GuestMemory::prot_at(GuestAddr addr) const {
  if (addr >= size_) return kProtNone;
  return __atomic_load_n(&page_prot_[page_index(addr)], __ATOMIC_RELAXED) & kProtMask;
}

// A range over several pages (fd_read's 64 KiB buffer is 16 of them): eight
// entries a load once the index is 8-aligned. Each byte must hold the mapped
// bit and every bit of `need`; an aligned 8-byte load reads every byte of it
// single-copy atomically on the hosts capvm runs on (x86-64, arm64), as the
// one-byte loads of page_has do.
bool GuestMemory::pages_have(uint64_t first, uint64_t last, unsigned need) const {
  const uint8_t want = static_cast<uint8_t>(kPageMapped | need);
  uint64_t i = first;
  for (; i <= last && i % 8 != 0; ++i)
    if (!page_has(i, need)) return false;
  using Word = uint64_t __attribute__((may_alias));
  const uint64_t all = uint64_t{want} * 0x0101010101010101u;
  for (; i + 7 <= last; i += 8) {
    const uint64_t w = __atomic_load_n(reinterpret_cast<const Word*>(page_prot_ + i), __ATOMIC_RELAXED);
    if ((w & all) != all) return false;
  }
  for (; i <= last; ++i)
    if (!page_has(i, need)) return false;
  return true;
}

abi::Errno GuestMemory::load32(GuestAddr addr, uint32_t* value) const {
  if (addr % 4 != 0) return abi::E_INVAL;
  if (!range_has(addr, 4, kProtRead)) return abi::E_FAULT;
  auto* w = reinterpret_cast<uint32_t*>(base_ + addr);
  return run_guarded([&] { *value = __atomic_load_n(w, __ATOMIC_ACQUIRE); }) ? abi::E_SUCCESS
                                                                          : abi::E_FAULT;
}

abi::Errno GuestMemory::cas32(GuestAddr addr, uint32_t* expected, uint32_t desired, bool* swapped) {
  if (addr % 4 != 0) return abi::E_INVAL;
  if (!range_has(addr, 4, kProtRead | kProtWrite)) return abi::E_FAULT;
  auto* w = reinterpret_cast<uint32_t*>(base_ + addr);
  return run_guarded([&] {
           *swapped = __atomic_compare_exchange_n(w, expected, desired, false, __ATOMIC_ACQ_REL,
                                                  __ATOMIC_ACQUIRE);
         })
             ? abi::E_SUCCESS
             : abi::E_FAULT;
}

abi::Errno GuestMemory::fetch_or32(GuestAddr addr, uint32_t bits, uint32_t* old) {
  if (addr % 4 != 0) return abi::E_INVAL;
  if (!range_has(addr, 4, kProtRead | kProtWrite)) return abi::E_FAULT;
  auto* w = reinterpret_cast<uint32_t*>(base_ + addr);
  return run_guarded([&] { *old = __atomic_fetch_or(w, bits, __ATOMIC_ACQ_REL); })
             ? abi::E_SUCCESS
             : abi::E_FAULT;
}

abi::Errno GuestMemory::fetch_and32(GuestAddr addr, uint32_t bits, uint32_t* old) {
  if (addr % 4 != 0) return abi::E_INVAL;
  if (!range_has(addr, 4, kProtRead | kProtWrite)) return abi::E_FAULT;
  auto* w = reinterpret_cast<uint32_t*>(base_ + addr);
  return run_guarded([&] { *old = __atomic_fetch_and(w, bits, __ATOMIC_ACQ_REL); })
             ? abi::E_SUCCESS
             : abi::E_FAULT;
}

abi::Errno GuestMemory::futex_wait(GuestAddr addr, uint32_t expected, int64_t timeout_ns,
                                   bool shared) {
  if (addr % 4 != 0) return abi::E_INVAL;
  if (!range_has(addr, 4, kProtRead)) return abi::E_FAULT;
  timespec ts;
  timespec* tsp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1000000000;
    ts.tv_nsec = timeout_ns % 1000000000;
    tsp = &ts;
  }
  const int op = FUTEX_WAIT | (shared ? 0 : FUTEX_PRIVATE_FLAG);
  // The kernel reads the word itself: an unmapped page gives EFAULT.
  if (syscall(SYS_futex, base_ + addr, op, expected, tsp, nullptr, 0) == 0) return abi::E_SUCCESS;
  switch (errno) {
    case EAGAIN: return abi::E_AGAIN;
    case ETIMEDOUT: return abi::E_TIMEDOUT;
    case EINTR: return abi::E_INTR;
    case EFAULT: return abi::E_FAULT;
    default: return abi::E_INVAL;
  }
}

abi::Errno GuestMemory::futex_wake(GuestAddr addr, uint32_t count, bool shared, uint32_t* woken) {
  if (addr % 4 != 0) return abi::E_INVAL;
  if (!range_has(addr, 4, kProtNone)) return abi::E_FAULT;
  const int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);
  const int n = static_cast<int>(count > 0x7FFFFFFF ? 0x7FFFFFFF : count);
  const long r = syscall(SYS_futex, base_ + addr, op, n, nullptr, nullptr, 0);
  if (r < 0) return errno == EFAULT ? abi::E_FAULT : abi::E_INVAL;
  if (woken != nullptr) *woken = static_cast<uint32_t>(r);
  return abi::E_SUCCESS;
}

abi::Errno GuestMemory::fetch_code(GuestAddr addr, void* dst, size_t len) const {
  if (!range_has(addr, len, kProtExec)) return abi::E_FAULT;
  if (len == 0) return abi::E_SUCCESS;
  return checked_copy(dst, base_ + addr, len) ? abi::E_SUCCESS : abi::E_FAULT;
}

abi::Errno GuestMemory::poke(GuestAddr addr, const void* src, size_t len) {
  if (addr >= size_ || len > size_ - addr) return abi::E_FAULT;
  if (len == 0) return abi::E_SUCCESS;
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t first = page_index(addr);
  const uint64_t last = page_index(addr + len - 1);
  for (uint64_t i = first; i <= last; ++i)
    if (!(page_prot_[i] & kPageMapped)) return abi::E_FAULT;
  // Open a writable host view of the pages for the copy, then restore.
  const uint64_t pstart = first * kGuestPageSize;
  const uint64_t plen = (last - first + 1) * kGuestPageSize;
  if (mprotect(base_ + pstart, plen, PROT_READ | PROT_WRITE) != 0) return abi::E_NOMEM;
  prefault_write(base_ + addr, len);  // every page is written next
  std::memcpy(base_ + addr, src, len);
  // Restore each run of pages that share a protection with one call.
  for (uint64_t i = first; i <= last;) {
    const uint8_t prot = page_prot_[i] & kProtMask;
    uint64_t j = i + 1;
    while (j <= last && (page_prot_[j] & kProtMask) == prot) ++j;
    mprotect(base_ + i * kGuestPageSize, (j - i) * kGuestPageSize, host_prot(prot));
    i = j;
  }
  return abi::E_SUCCESS;
}

bool GuestMemory::find_free_locked(uint64_t len, GuestAddr hint, GuestAddr* out) const {
  const uint64_t npages = len / kGuestPageSize;
  const uint64_t total = page_count_;
  const uint64_t lowest = kNullGuardSize / kGuestPageSize;
  uint64_t start = hint / kGuestPageSize;
  if (start < lowest || start >= total) start = lowest;
  // Two passes: from the hint upward, then from the bottom.
  for (int pass = 0; pass < 2; ++pass) {
    uint64_t run = 0;
    for (uint64_t i = pass == 0 ? start : lowest; i < total; ++i) {
      if (page_prot_[i] & kPageMapped) {
        run = 0;
        continue;
      }
      if (++run == npages) {
        *out = (i + 1 - npages) * kGuestPageSize;
        return true;
      }
    }
  }
  return false;
}

abi::Errno GuestMemory::map(GuestAddr* addr, uint64_t len, unsigned prot, bool fixed,
                            int host_fd, uint64_t offset, bool shared) {
  return map_impl(addr, len, prot, fixed, host_fd, offset, shared, nullptr, 0);
}

abi::Errno GuestMemory::map_filled(GuestAddr* addr, uint64_t len, unsigned prot, bool fixed,
                                   const Fill& fill) {
  return map_filled(addr, len, prot, fixed, &fill, 1);
}

abi::Errno GuestMemory::map_filled(GuestAddr* addr, uint64_t len, unsigned prot, bool fixed,
                                   const Fill* fills, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (fills[i].offset > len || fills[i].size > len - fills[i].offset) return abi::E_INVAL;
  return map_impl(addr, len, prot, fixed, -1, 0, false, fills, count);
}

abi::Errno GuestMemory::map_impl(GuestAddr* addr, uint64_t len, unsigned prot, bool fixed,
                                 int host_fd, uint64_t offset, bool shared, const Fill* fills,
                                 size_t fill_count) {
  if (prot & ~unsigned{kProtMask}) return abi::E_INVAL;
  if ((prot & kProtWrite) && (prot & kProtExec)) return abi::E_NOTSUP;  // W^X
  if (len == 0 || len > size_) return len == 0 ? abi::E_INVAL : abi::E_NOMEM;
  len = (len + kGuestPageSize - 1) & ~(kGuestPageSize - 1);
  if (host_fd >= 0 && offset % kGuestPageSize != 0) return abi::E_INVAL;

  bool had_exec = false;
  GuestAddr where = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fixed) {
      where = *addr;
      if (where % kGuestPageSize != 0) return abi::E_INVAL;
      if (where < kNullGuardSize || where >= size_ || len > size_ - where) return abi::E_NOMEM;
      for (uint64_t i = page_index(where); i < page_index(where + len); ++i)
        if (page_prot_[i] & kProtExec) had_exec = true;
    } else if (!find_free_locked(len, *addr, &where)) {
      return abi::E_NOMEM;
    }
    uint64_t fresh = 0;  // pages this mapping adds to the guest's total
    for (uint64_t i = page_index(where); i < page_index(where + len); ++i)
      if (!(page_prot_[i] & kPageMapped)) ++fresh;
    if (limit_pages_ != 0 && mapped_pages_ + fresh > limit_pages_) return abi::E_NOMEM;
    int flags = MAP_FIXED | (shared ? MAP_SHARED : MAP_PRIVATE);
    if (host_fd < 0) flags |= MAP_ANONYMOUS | MAP_NORESERVE;
    // A mapping to fill starts writable and takes its protection once filled.
    const int final_prot = host_prot(prot);
    const int first_prot = fills != nullptr ? PROT_READ | PROT_WRITE : final_prot;
    void* p = mmap(base_ + where, len, first_prot, flags, host_fd < 0 ? -1 : host_fd,
                   host_fd < 0 ? 0 : static_cast<off_t>(offset));
    if (p != MAP_FAILED && fills != nullptr) {
      // Every page from the first piece to the end of the last is written
      // next (the pieces are adjacent segments): populate them in one go.
      uint64_t lo = len, hi = 0;
      for (size_t f = 0; f < fill_count; ++f) {
        if (fills[f].size == 0) continue;
        lo = std::min(lo, fills[f].offset);
        hi = std::max(hi, fills[f].offset + fills[f].size);
      }
      if (lo < hi) prefault_write(base_ + where + lo, hi - lo);
      for (size_t f = 0; f < fill_count; ++f)
        if (fills[f].size != 0) std::memcpy(base_ + where + fills[f].offset, fills[f].data, fills[f].size);
      if (first_prot != final_prot && mprotect(p, len, final_prot) != 0) {
        // Back to reserved (never unmapped: the host could place something
        // else inside the sandbox); the failure path below does the rest.
        const int e = errno;
        mmap(p, len, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        p = MAP_FAILED;
        errno = e;
      }
    }
    if (p == MAP_FAILED) {
      const int e = errno;
      // A failed MAP_FIXED may leave the old mapping or nothing: make the
      // range a clean hole either way.
      if (fixed) {
        mmap(base_ + where, len, PROT_NONE,
             MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        for (uint64_t i = page_index(where); i < page_index(where + len); ++i) {
          if (page_prot_[i] & kPageMapped) --mapped_pages_;
          __atomic_store_n(&page_prot_[i], uint8_t{0}, __ATOMIC_RELAXED);
        }
      }
      return from_host_errno(e);
    }
    mapped_pages_ += fresh;
    for (uint64_t i = page_index(where); i < page_index(where + len); ++i)
      __atomic_store_n(&page_prot_[i], static_cast<uint8_t>(kPageMapped | prot), __ATOMIC_RELAXED);
  }
  if (had_exec && invalidate_) invalidate_(where, len);
  *addr = where;
  return abi::E_SUCCESS;
}

abi::Errno GuestMemory::protect(GuestAddr addr, uint64_t len, unsigned prot) {
  if (prot & ~unsigned{kProtMask}) return abi::E_INVAL;
  if ((prot & kProtWrite) && (prot & kProtExec)) return abi::E_NOTSUP;  // W^X
  if (addr % kGuestPageSize != 0) return abi::E_INVAL;
  if (len == 0) return abi::E_SUCCESS;
  if (addr >= size_ || len > size_ - addr) return abi::E_NOMEM;
  len = (len + kGuestPageSize - 1) & ~(kGuestPageSize - 1);
  if (len > size_ - addr) return abi::E_NOMEM;
  bool lost_exec = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    bool host_same = true;  // every page already has the host protection
    for (uint64_t i = page_index(addr); i < page_index(addr + len); ++i) {
      if (!(page_prot_[i] & kPageMapped)) return abi::E_NOMEM;
      if ((page_prot_[i] & kProtExec) && !(prot & kProtExec)) lost_exec = true;
      if (host_prot(page_prot_[i] & kProtMask) != host_prot(prot)) host_same = false;
    }
    // Drop exec from the translator's view before the pages become
    // writable, so no thread can translate bytes that are about to change.
    // Read-only to read+exec (or back) changes nothing on the host: guest
    // code is never run in place, so no mprotect (it is costly under
    // virtualised paging even when nothing changes).
    if (!host_same && mprotect(base_ + addr, len, host_prot(prot)) != 0)
      return from_host_errno(errno);
    for (uint64_t i = page_index(addr); i < page_index(addr + len); ++i)
      __atomic_store_n(&page_prot_[i], static_cast<uint8_t>(kPageMapped | prot), __ATOMIC_RELAXED);
  }
  if (lost_exec && invalidate_) invalidate_(addr, len);
  return abi::E_SUCCESS;
}

abi::Errno GuestMemory::unmap(GuestAddr addr, uint64_t len) {
  if (addr % kGuestPageSize != 0 || len == 0) return abi::E_INVAL;
  if (addr >= size_ || len > size_ - addr) return abi::E_INVAL;
  len = (len + kGuestPageSize - 1) & ~(kGuestPageSize - 1);
  if (len > size_ - addr) return abi::E_INVAL;
  bool had_exec = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (uint64_t i = page_index(addr); i < page_index(addr + len); ++i)
      if (page_prot_[i] & kProtExec) had_exec = true;
    // Replace with a fresh PROT_NONE reservation: the hole stays ours.
    if (mmap(base_ + addr, len, PROT_NONE,
             MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
      return from_host_errno(errno);
    for (uint64_t i = page_index(addr); i < page_index(addr + len); ++i) {
      if (page_prot_[i] & kPageMapped) --mapped_pages_;
      __atomic_store_n(&page_prot_[i], uint8_t{0}, __ATOMIC_RELAXED);
    }
  }
  if (had_exec && invalidate_) invalidate_(addr, len);
  return abi::E_SUCCESS;
}

abi::Errno GuestMemory::advise(GuestAddr addr, uint64_t len, int host_advice) {
  if (addr % kGuestPageSize != 0) return abi::E_INVAL;
  if (len == 0) return abi::E_SUCCESS;
  if (!range_has(addr, len, kProtNone)) return abi::E_NOMEM;
  // MADV_DONTNEED on a private mapping zeroes it; that matches the guest's
  // expectation for cloudabi advice.dontneed, and stays inside the sandbox.
  if (madvise(base_ + addr, len, host_advice) != 0) return from_host_errno(errno);
  return abi::E_SUCCESS;
}

abi::Errno GuestMemory::sync(GuestAddr addr, uint64_t len, int host_flags) {
  if (addr % kGuestPageSize != 0) return abi::E_INVAL;
  if (len == 0) return abi::E_SUCCESS;
  if (!range_has(addr, len, kProtNone)) return abi::E_NOMEM;
  if (msync(base_ + addr, len, host_flags) != 0) return from_host_errno(errno);
  return abi::E_SUCCESS;
}

}  // namespace capvm::vm
