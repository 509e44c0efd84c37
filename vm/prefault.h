// Populating host pages capvm is about to touch, in one call instead of one
// page fault each.
//
// On the 2-core VM capvm is measured on, a first write to a fresh page costs
// about 13 us as a page fault; madvise(MADV_POPULATE_WRITE) prepares a range
// for under 1 us a page, after which the first write still costs about 6 us
// (the hypervisor fills its own tables lazily). So populating pays only for
// pages that are certain to be touched soon: the pages capvm copies a guest's
// segments into, the code cache a window ahead of the blocks, its own heap.
// Not the lookup tables: a small guest touches one page in ten of them.
//
// Only capvm's own decisions call these, never a guest's request: populating
// is bounded by what capvm would have touched anyway (plus one window), so a
// guest cannot use it to make capvm commit memory.
//
// Best effort: a kernel without MADV_POPULATE_* (before Linux 5.14) answers
// EINVAL and the pages fault in one by one as before.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

namespace capvm::vm {

namespace prefault_detail {
constexpr int kPopulateRead = MADV_POPULATE_READ;
constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
constexpr uintptr_t kPage = 4096;  // rounding only: madvise takes any page size

inline void populate(const void* start, size_t len, int advice) {
  if (len == 0) return;
  const uintptr_t lo = reinterpret_cast<uintptr_t>(start) & ~(kPage - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(start) + len;
  const uintptr_t hi = (end + kPage - 1) & ~(kPage - 1);
  madvise(reinterpret_cast<void*>(lo), hi - lo, advice);  // errors: pages fault in later
}
}  // namespace prefault_detail

// The pages of [start, start+len) become present and writable (private pages
// are copied, anonymous ones zeroed). The range must be mapped writable.
inline void prefault_write(void* start, size_t len) {
  prefault_detail::populate(start, len, prefault_detail::kPopulateWrite);
}

// The pages of [start, start+len) become present for reading (an executable
// view of code already written through another view, file-backed text).
inline void prefault_read(const void* start, size_t len) {
  prefault_detail::populate(start, len, prefault_detail::kPopulateRead);
}

}  // namespace capvm::vm
