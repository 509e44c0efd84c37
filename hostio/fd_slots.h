// The numbered slots of a guest's descriptor table (FdTable keeps one under
// its lock). Guest numbers are small in practice (the lowest free one is
// handed out, and --max-fds caps the count at 65536), so numbers below
// kDense are an array indexed by number (the first kInline in the table
// object, the rest in a vector): a lookup after a host system call, when
// every page is a TLB miss, touches one line for the slot rather than a
// tree's worth. Larger numbers (adopt and insert_at take any
// number from the YAML or an exec) live in an ordered map.
#pragma once

#include <array>
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
  // The lowest numbers live in the table object itself, beside its lock:
  // a lookup after a host call then touches no page of the heap for them.
  static constexpr abi::Fd kInline = 64;

  // The slot of `fd`, or null when `fd` is free.
  FdEntryPtr* find(abi::Fd fd) {
    if (fd < kInline) return first_[fd] ? &first_[fd] : nullptr;
    if (fd < kDense) {
      const size_t i = fd - kInline;
      return i < dense_.size() && dense_[i] ? &dense_[i] : nullptr;
    }
    auto it = sparse_.find(fd);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  const FdEntryPtr* find(abi::Fd fd) const { return const_cast<FdSlots*>(this)->find(fd); }

  // Puts `e` at the free number `fd`; false when `fd` is taken or `e` null.
  bool add(abi::Fd fd, FdEntryPtr e) {
    if (!e || find(fd) != nullptr) return false;
    if (fd < kInline) {
      first_[fd] = std::move(e);
    } else if (fd < kDense) {
      const size_t i = fd - kInline;
      if (i >= dense_.size()) dense_.resize(i + 1);
      dense_[i] = std::move(e);
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
      if (find(n) == nullptr) return n;
    for (auto it = sparse_.lower_bound(n); it != sparse_.end() && it->first == n; ++it) ++n;
    return n;
  }

  size_t size() const { return count_; }

  template <class F>
  void for_each(F f) const {
    for (const FdEntryPtr& e : first_)
      if (e) f(*e);
    for (const FdEntryPtr& e : dense_)
      if (e) f(*e);
    for (const auto& [fd, e] : sparse_) f(*e);
  }

 private:
  std::array<FdEntryPtr, kInline> first_;   // numbers below kInline (null: free)
  std::vector<FdEntryPtr> dense_;          // kInline up to kDense
  std::map<abi::Fd, FdEntryPtr> sparse_;   // the rest
  size_t count_ = 0;
};

}  // namespace capvm::hostio
