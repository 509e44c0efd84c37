// ObjectCache: per-thread reuse of freed blocks for allocate_shared, bounded
// depth, blocks crossing threads, the sizes it leaves to operator new.
#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "hostio/object_cache.h"

using capvm::hostio::ObjectCache;
namespace oc = capvm::hostio::object_cache;

namespace {
struct Small {
  int a = 1;
  char pad[40] = {};
};
struct Big {
  char bytes[oc::kMaxSize + 1] = {};
};
// Class of a block of `bytes` bytes.
size_t cls(size_t bytes) { return (bytes - 1) / oc::kGrain; }
}  // namespace

TEST_CASE("a freed block is the next allocation of its size class on the same thread") {
  if (!oc::kEnabled) SUCCEED("cache off in sanitizer builds");
  void* a = oc::allocate(40);
  oc::deallocate(a, 40);
  // 33..48 bytes share a class: the freed block comes back for 48 too.
  void* b = oc::allocate(48);
  if (oc::kEnabled) CHECK(b == a);
  oc::deallocate(b, 48);
  // Another class does not take it.
  void* c = oc::allocate(64);
  CHECK(c != b);
  oc::deallocate(c, 64);
}

TEST_CASE("objects made by allocate_shared are reused and keep their values apart") {
  auto p = std::allocate_shared<Small>(ObjectCache<Small>());
  p->a = 7;
  const void* where = p.get();
  p.reset();
  auto q = std::allocate_shared<Small>(ObjectCache<Small>());
  CHECK(q->a == 1);  // constructed afresh
  if (oc::kEnabled) CHECK(static_cast<const void*>(q.get()) == where);
  // Live objects never share a block.
  std::vector<std::shared_ptr<Small>> live;
  std::set<const void*> seen;
  for (int i = 0; i < 100; ++i) {
    live.push_back(std::allocate_shared<Small>(ObjectCache<Small>()));
    CHECK(seen.insert(live.back().get()).second);
  }
}

TEST_CASE("each class keeps at most kDepth blocks; the rest go back to operator delete") {
  if (!oc::kEnabled) return;
  const size_t c = cls(96);
  std::vector<void*> blocks;
  for (unsigned i = 0; i < oc::kDepth + 10; ++i) blocks.push_back(oc::allocate(96));
  const unsigned before = oc::t_lists.count[c];
  for (void* b : blocks) oc::deallocate(b, 96);
  CHECK(oc::t_lists.count[c] == oc::kDepth);
  CHECK(before <= oc::kDepth);
  // Drain it: every cached block comes back once, then fresh ones.
  std::set<void*> again;
  for (unsigned i = 0; i < oc::kDepth; ++i) CHECK(again.insert(oc::allocate(96)).second);
  CHECK(oc::t_lists.count[c] == 0);
  for (void* b : again) oc::deallocate(b, 96);
}

TEST_CASE("blocks larger than kMaxSize and empty requests are not cached") {
  auto p = std::allocate_shared<Big>(ObjectCache<Big>());
  p.reset();
  for (size_t c = 0; c < oc::kClasses; ++c) CHECK(oc::t_lists.count[c] <= oc::kDepth);
  void* big = oc::allocate(oc::kMaxSize + 1);
  oc::deallocate(big, oc::kMaxSize + 1);
  void* again = oc::allocate(oc::kMaxSize + 1);
  oc::deallocate(again, oc::kMaxSize + 1);
  SUCCEED("no list takes blocks of that size (nothing to index past the classes)");
}

TEST_CASE("a block freed on another thread joins that thread's cache, which it drains at exit") {
  std::vector<std::shared_ptr<Small>> made;
  for (int i = 0; i < 50; ++i) made.push_back(std::allocate_shared<Small>(ObjectCache<Small>()));
  unsigned cached_there = 0;
  std::thread t([&] {
    made.clear();  // frees 50 blocks here: kDepth cached, the rest deleted
    cached_there = oc::t_lists.count[0] + oc::t_lists.count[1] + oc::t_lists.count[2] +
                   oc::t_lists.count[3] + oc::t_lists.count[4] + oc::t_lists.count[5];
    // Reused on this thread.
    auto p = std::allocate_shared<Small>(ObjectCache<Small>());
    CHECK(p->a == 1);
  });
  t.join();  // the thread's Reaper gave its blocks back (ASan/valgrind: no leak)
  if (oc::kEnabled) CHECK(cached_there == oc::kDepth);
  else CHECK(cached_there == 0);
}
