// The --strace=FILTER language (vm::RunOptions::strace_filter), header-only
// so the VM's tracer can match with it without linking cli/:
//
//   FILTER := ITEM ("," ITEM)*
//   ITEM   := ["!"] (NAME | PREFIX "*" | "denied")
//
// NAME is a syscall name as in cloudabi.txt ("fd_read"), PREFIX* a prefix
// glob ("file_*", "*" for all), "denied" the calls that failed with
// ENOTCAPABLE. A syscall is traced when some non-'!' item matches it (or
// when every item is a '!' item) and no '!' item matches it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace capvm::vm {

class StraceFilter {
 public:
  StraceFilter() = default;  // traces everything
  explicit StraceFilter(std::string_view text) {
    while (!text.empty()) {
      size_t comma = text.find(',');
      std::string_view item = text.substr(0, comma);
      text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
      Item it;
      if (!item.empty() && item.front() == '!') {
        it.exclude = true;
        item.remove_prefix(1);
      }
      if (!item.empty() && item.back() == '*') {
        it.prefix = true;
        item.remove_suffix(1);
      }
      it.text = std::string(item);
      if (!it.prefix && it.text.empty()) continue;  // "a,,b": empty items ignored
      (it.exclude ? excludes_ : includes_).push_back(std::move(it));
    }
  }

  // `name`: the syscall's cloudabi.txt name; `denied`: it failed with
  // ENOTCAPABLE. A filter holding "denied" can only be decided after the
  // call, so a tracer should call this once the result is known.
  bool matches(std::string_view name, bool denied) const {
    bool in = includes_.empty();
    for (const Item& it : includes_)
      if (it.hits(name, denied)) in = true;
    if (!in) return false;
    for (const Item& it : excludes_)
      if (it.hits(name, denied)) return false;
    return true;
  }

 private:
  struct Item {
    std::string text;
    bool prefix = false;
    bool exclude = false;
    bool hits(std::string_view name, bool denied) const {
      if (!prefix && text == "denied") return denied;
      if (prefix) return name.substr(0, text.size()) == text;
      return name == text;
    }
  };
  std::vector<Item> includes_;
  std::vector<Item> excludes_;
};

}  // namespace capvm::vm
