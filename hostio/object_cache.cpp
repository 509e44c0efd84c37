// The per-thread lists of ObjectCache (object_cache.h).
#include "hostio/object_cache.h"

namespace capvm::hostio::object_cache {

constinit thread_local Lists t_lists{};

namespace {
// Gives a thread's cached blocks back to operator delete when the thread
// ends. A thread_local with a destructor is registered on its first use
// only, so it lives apart from t_lists, whose reads stay free of that check.
struct Reaper {
  bool armed = false;
  ~Reaper() {
    for (size_t c = 0; c < kClasses; ++c) {
      while (FreeBlock* b = t_lists.head[c]) {
        t_lists.head[c] = b->next;
        ::operator delete(b);
      }
      t_lists.count[c] = 0;
    }
    // A block freed after this (by a later thread_local destructor) goes
    // straight to operator delete rather than into a list no one drains.
    for (size_t c = 0; c < kClasses; ++c) t_lists.count[c] = kDepth;
  }
};
thread_local Reaper t_reaper;
}  // namespace

void arm_reaper() {
  t_lists.reaper_armed = true;
  // The first use of the object constructs it and registers its destructor.
  t_reaper.armed = true;
}

}  // namespace capvm::hostio::object_cache
