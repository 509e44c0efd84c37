// ObjectCache<T>: an allocator for std::allocate_shared that keeps a few
// freed blocks of each size per thread for the next allocation. file_open
// makes two shared objects (FdEntry and HostFd) and fd_close frees both, on
// every request of a file server; malloc and free cost ~150 instructions a
// pair here, the cache ~10 (bench/README.md, "A leaner system-call path").
//
// A block freed by another thread than the one that allocated it simply
// joins the freeing thread's cache: every block of a size class has the
// same size, whoever made it. Each class holds at most kDepth blocks; the
// rest go back to operator delete, and a thread's blocks go back when it
// ends. Sanitizer builds bypass the cache, so that AddressSanitizer still
// sees every use after free.
#pragma once

#include <cstddef>
#include <new>

namespace capvm::hostio {

namespace object_cache {
// Size classes of 16 bytes up to kMaxSize; larger blocks are not cached.
inline constexpr size_t kGrain = 16;
inline constexpr size_t kMaxSize = 256;
inline constexpr size_t kClasses = kMaxSize / kGrain;
inline constexpr unsigned kDepth = 32;

struct FreeBlock {
  FreeBlock* next;
};
struct Lists {
  FreeBlock* head[kClasses];
  unsigned count[kClasses];
  bool reaper_armed;
};
// Zero-initialised and trivially destructible: reading it needs no TLS
// initialisation check. The blocks go back at thread exit through a
// separate object armed on the first free (object_cache.cpp).
extern constinit thread_local Lists t_lists;
void arm_reaper();

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kEnabled = false;
#else
inline constexpr bool kEnabled = true;
#endif
#else
inline constexpr bool kEnabled = true;
#endif

inline void* allocate(size_t bytes) {
  if (kEnabled && bytes - 1 < kMaxSize) {  // 1..kMaxSize
    const size_t c = (bytes - 1) / kGrain;
    if (FreeBlock* b = t_lists.head[c]) {
      t_lists.head[c] = b->next;
      --t_lists.count[c];
      return b;
    }
    return ::operator new((c + 1) * kGrain);
  }
  return ::operator new(bytes);
}

inline void deallocate(void* p, size_t bytes) {
  if (kEnabled && bytes - 1 < kMaxSize) {  // 1..kMaxSize
    const size_t c = (bytes - 1) / kGrain;
    if (t_lists.count[c] < kDepth) {
      if (!t_lists.reaper_armed) arm_reaper();
      auto* b = static_cast<FreeBlock*>(p);
      b->next = t_lists.head[c];
      t_lists.head[c] = b;
      ++t_lists.count[c];
      return;
    }
    ::operator delete(p);
    return;
  }
  ::operator delete(p);
}
}  // namespace object_cache

template <class T>
struct ObjectCache {
  using value_type = T;
  ObjectCache() = default;
  template <class U>
  ObjectCache(const ObjectCache<U>&) {}
  T* allocate(size_t n) {
    static_assert(alignof(T) <= object_cache::kGrain, "cached blocks are 16-byte aligned");
    return static_cast<T*>(object_cache::allocate(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) { object_cache::deallocate(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const ObjectCache<U>&) const { return true; }
};

}  // namespace capvm::hostio
