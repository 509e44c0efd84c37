// The guest's sandbox: one reserved host region per process. A guest address
// is an offset into it; translated code confines every access to
// [base, base + 4 GiB) and the region is followed by a guard larger than any
// access the translator can emit, so a stray access faults instead of
// touching host memory. hostio reaches guest memory only through the checked
// accessors below (ARCHITECTURE.md, "Never").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "abi/errno.h"
#include "vm/checked_copy.h"

namespace capvm::vm {

// A guest virtual address. Never a host pointer: turn it into one only through
// GuestMemory.
using GuestAddr = uint64_t;

inline constexpr uint64_t kGuestPageSize = 4096;
// Architectural span of a guest address: translated code truncates effective
// addresses to 32 bits, so the sandbox is at most this large.
inline constexpr uint64_t kMaxSandboxSize = uint64_t{1} << 32;
// PROT_NONE reserve after the sandbox: far larger than the widest access
// (64-byte vector store straddling the end) the translator emits.
inline constexpr uint64_t kGuardSize = uint64_t{1} << 32;
// Addresses below this are never mapped, so guest null dereferences fault.
inline constexpr uint64_t kNullGuardSize = 64 * 1024;

enum GuestProt : unsigned {
  kProtNone = 0,
  kProtRead = 1,   // cloudabi.txt mprot.read
  kProtWrite = 2,  // cloudabi.txt mprot.write
  kProtExec = 4,   // cloudabi.txt mprot.exec
};

class GuestMemory {
 public:
  // Reserves a sandbox of `size` bytes (a multiple of the page size, at most
  // kMaxSandboxSize) plus guards. Returns nullptr and sets *error on failure.
  static std::unique_ptr<GuestMemory> create(uint64_t size, std::string* error);
  ~GuestMemory();
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;

  // Host address of guest address 0. Only the translator and the dispatcher
  // use it (to set the confining segment base); hostio must not.
  uint8_t* host_base() const { return base_; }
  uint64_t size() const { return size_; }

  // --- Mapping (the mem_* syscalls and the loader) ---------------------------
  // Maps `len` bytes with guest protection `prot`. With `fixed`, exactly at
  // *addr (replacing what was there); otherwise at a free range near *addr
  // (or anywhere). host_fd < 0 maps anonymous zeroed memory, else maps the
  // host file at `offset` (shared or private). Writable+executable is refused
  // with ENOTSUP (W^X). On success *addr holds the guest address.
  abi::Errno map(GuestAddr* addr, uint64_t len, unsigned prot, bool fixed,
                 int host_fd = -1, uint64_t offset = 0, bool shared = false);
  // Loader only: map() of anonymous memory whose bytes from `offset` on are
  // `size` bytes of `data`, copied in before the pages take guest protection
  // `prot` (so read-only and executable segments are filled without a second
  // change of protection). EINVAL unless the data lies inside the mapping.
  struct Fill {
    uint64_t offset;
    const void* data;
    size_t size;
  };
  abi::Errno map_filled(GuestAddr* addr, uint64_t len, unsigned prot, bool fixed,
                        const Fill& fill);
  // The same with several pieces of data (`count` of them at `fills`), each
  // inside the mapping; the bytes between them are zero.
  abi::Errno map_filled(GuestAddr* addr, uint64_t len, unsigned prot, bool fixed,
                        const Fill* fills, size_t count);
  abi::Errno protect(GuestAddr addr, uint64_t len, unsigned prot);
  abi::Errno unmap(GuestAddr addr, uint64_t len);
  // cloudabi.txt mem_advise / mem_sync: range must be page aligned and mapped.
  abi::Errno advise(GuestAddr addr, uint64_t len, int host_advice);
  abi::Errno sync(GuestAddr addr, uint64_t len, int host_msync_flags);

  // --max-memory: bytes the guest may have mapped at once (0: no limit);
  // a map that would exceed it fails with ENOMEM.
  void set_memory_limit(uint64_t bytes) { limit_pages_ = bytes / kGuestPageSize; }
  uint64_t mapped_bytes() const { return mapped_pages_ * kGuestPageSize; }

  // Guest protection of the page holding `addr` (kProtNone when unmapped).
  unsigned prot_at(GuestAddr addr) const;
  // True when every page of [addr, addr+len) has all bits of `need`.
  // Overflow-safe; len 0 is true only for an address inside the sandbox.
  // Inline for the usual range on one page (a system call's structs and
  // iovecs): a call and a loop less on every guest access of hostio.
  bool range_has(GuestAddr addr, uint64_t len, unsigned need) const {
    if (addr >= size_ || len > size_ - addr) return false;  // also rejects wrapping
    if (len == 0) return true;
    const uint64_t first = page_index(addr);
    const uint64_t last = page_index(addr + len - 1);
    if (first == last) return page_has(first, need);
    return pages_have(first, last, need);
  }

  // Called (with the range, page aligned) whenever pages that were executable
  // lose exec, are unmapped or remapped, so translated code for them is
  // dropped before the guest can run again.
  using ExecInvalidator = std::function<void(GuestAddr, uint64_t)>;
  void set_exec_invalidator(ExecInvalidator fn) { invalidate_ = std::move(fn); }

  // --- The checked accessor --------------------------------------------------
  // Copies guest [addr, addr+len) into dst. EFAULT unless every byte is on a
  // readable page; a concurrent unmap during the copy also gives EFAULT (the
  // copy recovers from the fault), never a crash.
  // Always inline: with a constant len the range check and checked_copy's
  // choice of routine fold.
  [[gnu::always_inline]] abi::Errno read(GuestAddr addr, void* dst, size_t len) const {
    if (!range_has(addr, len, kProtRead)) return abi::E_FAULT;
    if (len == 0) return abi::E_SUCCESS;
    return checked_copy(dst, base_ + addr, len) ? abi::E_SUCCESS : abi::E_FAULT;
  }
  // Copies src into guest [addr, addr+len); EFAULT unless every byte is on a
  // writable page.
  [[gnu::always_inline]] abi::Errno write(GuestAddr addr, const void* src, size_t len) {
    if (!range_has(addr, len, kProtWrite)) return abi::E_FAULT;
    if (len == 0) return abi::E_SUCCESS;
    return checked_copy(base_ + addr, src, len) ? abi::E_SUCCESS : abi::E_FAULT;
  }

  template <class T>
  abi::Errno read_obj(GuestAddr addr, T* out) const {
    return read(addr, out, sizeof(T));
  }
  template <class T>
  abi::Errno write_obj(GuestAddr addr, const T& value) {
    return write(addr, &value, sizeof(T));
  }

  // A host view of guest memory for handing straight to a host system call
  // (read(2)/write(2) into guest buffers). The kernel, not capvm, touches the
  // bytes, so a racing unmap yields EFAULT from the host call, not a fault.
  struct HostSpan {
    uint8_t* data = nullptr;
    size_t len = 0;
  };
  // EFAULT unless [addr, addr+len) lies on pages with all bits of `need`.
  // Inline, as read and write are: one is on every fd_read and fd_write.
  abi::Errno span(GuestAddr addr, uint64_t len, unsigned need, HostSpan* out) {
    if (!range_has(addr, len, need)) return abi::E_FAULT;
    out->data = base_ + addr;
    out->len = len;
    return abi::E_SUCCESS;
  }

  // --- Atomics and waiting on guest words (CloudABI locks, condvars) -------
  // Each checks that the 4-byte-aligned word is on a writable page (EFAULT,
  // EINVAL when unaligned) and recovers from a racing unmap.
  abi::Errno load32(GuestAddr addr, uint32_t* value) const;
  // Atomic compare-and-exchange: on return *expected holds the old value;
  // *swapped tells whether the exchange happened.
  abi::Errno cas32(GuestAddr addr, uint32_t* expected, uint32_t desired, bool* swapped);
  // Atomic fetch-or / fetch-and; *old receives the previous value.
  abi::Errno fetch_or32(GuestAddr addr, uint32_t bits, uint32_t* old);
  abi::Errno fetch_and32(GuestAddr addr, uint32_t bits, uint32_t* old);
  // Host futex on the guest word. `shared` selects a futex that works across
  // processes sharing the page (cloudabi scope.shared); otherwise private.
  // wait: blocks while the word equals `expected`, up to `timeout_ns`
  // (negative: forever). Returns 0, EAGAIN (value differed), ETIMEDOUT or
  // EINTR. wake: wakes up to `count` waiters, *woken receives how many.
  abi::Errno futex_wait(GuestAddr addr, uint32_t expected, int64_t timeout_ns, bool shared);
  abi::Errno futex_wake(GuestAddr addr, uint32_t count, bool shared, uint32_t* woken = nullptr);

  // Translator only: copies code bytes from pages mapped executable. EFAULT
  // unless every byte of [addr, addr+len) is on an executable page.
  abi::Errno fetch_code(GuestAddr addr, void* dst, size_t len) const;

  // Loader only: copies bytes into guest memory ignoring guest protection
  // (to fill read-only or executable segments before the guest runs).
  abi::Errno poke(GuestAddr addr, const void* src, size_t len);

  // proc_fork: hold the mapping lock across fork(2) so the child never
  // inherits it held by a thread that does not exist there.
  void lock_for_fork() { mutex_.lock(); }
  void unlock_after_fork() { mutex_.unlock(); }

  // True when a host address lies in the reserved region (sandbox + guard);
  // used by the fault handler to classify faults.
  bool contains_host(const void* p) const;

 private:
  GuestMemory() = default;
  uint64_t page_index(GuestAddr a) const { return a / kGuestPageSize; }
  // page_prot_ holds a page's GuestProt bits and kPageMapped.
  static constexpr uint8_t kPageMapped = 0x80;
  bool page_has(uint64_t i, unsigned need) const {
    const uint8_t p = __atomic_load_n(&page_prot_[i], __ATOMIC_RELAXED);
    return (p & kPageMapped) != 0 && (p & need) == need;
  }
  bool pages_have(uint64_t first, uint64_t last, unsigned need) const;
  bool find_free_locked(uint64_t len, GuestAddr hint, GuestAddr* out) const;
  abi::Errno map_impl(GuestAddr* addr, uint64_t len, unsigned prot, bool fixed, int host_fd,
                      uint64_t offset, bool shared, const Fill* fills, size_t fill_count);

  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint64_t reserved_ = 0;
  // GuestProt per page, 0x80 = mapped: a fresh zero mapping of its own, so
  // a 4 GiB sandbox costs nothing until pages are used.
  uint8_t* page_prot_ = nullptr;
  uint64_t page_count_ = 0;
  uint64_t mapped_pages_ = 0;  // pages with the mapped bit
  uint64_t limit_pages_ = 0;   // 0: no limit
  mutable std::mutex mutex_;
  ExecInvalidator invalidate_;
};

}  // namespace capvm::vm
