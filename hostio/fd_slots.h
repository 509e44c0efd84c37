// The numbered slots of a guest's descriptor table (FdTable keeps one under
// its lock). Guest numbers are small in practice (the lowest free one is
// handed out, and --max-fds caps the count at 65536), so numbers below
// kDense are a vector indexed by number: a lookup after a host system call,
// when little of capvm is still in the cache, touches one line for the slot
// rather than a tree's worth. Larger numbers (adopt and insert_at take any
// number from the YAML or an exec) live in an ordered map.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <vector>

#include "abi/types.h"

namespace capvm::hostio {

struct FdEntry;
using FdEntryPtr = std::shared_ptr<const FdEntry>;

class FdSlots {
 public:
  static constexpr abi::Fd kDense = 1024;

  // The slot of `fd`, or null when `fd` is free.
  FdEntryPtr* find(abi::Fd fd) {
    if (fd < kDense) return fd < dense_.size() && dense_[fd] ? &dense_[fd] : nullptr;
    auto it = sparse_.find(fd);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  const FdEntryPtr* find(abi::Fd fd) const { return const_cast<FdSlots*>(this)->find(fd); }

  // Puts `e` at the free number `fd`; false when `fd` is taken or `e` null.
  bool add(abi::Fd fd, FdEntryPtr e) {
    if (!e || find(fd) != nullptr) return false;
    if (fd < kDense) {
      if (fd >= dense_.size()) dense_.resize(fd + 1);
      dense_[fd] = std::move(e);
    } else {
      sparse_.emplace(fd, std::move(e));
    }
    ++count_;
    return true;
  }

  // Empties the slot of `fd`, handing its entry back (null when it was free).
  FdEntryPtr remove(abi::Fd fd) {
    FdEntryPtr* slot = find(fd);
    if (slot == nullptr) return nullptr;
    FdEntryPtr e = std::move(*slot);
    if (fd >= kDense) sparse_.erase(fd);
    --count_;
    return e;
  }

  // The lowest free number at or above `from`.
  abi::Fd first_free(abi::Fd from) const {
    abi::Fd n = from;
    for (; n < kDense; ++n)
      if (n >= dense_.size() || !dense_[n]) return n;
    for (auto it = sparse_.lower_bound(n); it != sparse_.end() && it->first == n; ++it) ++n;
    return n;
  }

  size_t size() const { return count_; }

  template <class F>
  void for_each(F f) const {
    for (const FdEntryPtr& e : dense_)
      if (e) f(*e);
    for (const auto& [fd, e] : sparse_) f(*e);
  }

 private:
  std::vector<FdEntryPtr> dense_;         // numbers below kDense (null: free)
  std::map<abi::Fd, FdEntryPtr> sparse_;  // the rest
  size_t count_ = 0;
};

}  // namespace capvm::hostio
