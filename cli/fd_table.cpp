#include "cli/fd_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace capvm::cli {

FdTable::~FdTable() {
  for (const Entry& e : entries_)
    if (e.owned) close(e.host_fd);
}

uint32_t FdTable::add_inherited(int host_fd, const FdInfo& info) {
  for (size_t i = 0; i < entries_.size(); ++i)
    if (!entries_[i].owned && entries_[i].host_fd == host_fd) return static_cast<uint32_t>(i);
  entries_.push_back({host_fd, false, info});
  entries_.back().info.guest_fd = static_cast<uint32_t>(entries_.size() - 1);
  return static_cast<uint32_t>(entries_.size() - 1);
}

uint32_t FdTable::add_owned(int host_fd, const FdInfo& info) {
  entries_.push_back({host_fd, true, info});
  entries_.back().info.guest_fd = static_cast<uint32_t>(entries_.size() - 1);
  return static_cast<uint32_t>(entries_.size() - 1);
}

bool FdTable::is_owned(int host_fd) const {
  for (const Entry& e : entries_)
    if (e.owned && e.host_fd == host_fd) return true;
  return false;
}

bool FdTable::release(std::vector<vm::FdGrant>* out, std::vector<FdInfo>* info,
                      int* error_number) {
  std::vector<vm::FdGrant> grants;
  for (size_t i = 0; i < entries_.size(); ++i) {
    vm::FdGrant g;
    g.guest_fd = static_cast<uint32_t>(i);
    g.has_rights = true;
    g.rights_base = entries_[i].info.rights_base;
    g.rights_inheriting = entries_[i].info.rights_inheriting;
    if (entries_[i].owned) {
      g.host_fd = entries_[i].host_fd;
    } else {
      // The VM closes what it is given; capvm's own stdout must survive that.
      g.host_fd = fcntl(entries_[i].host_fd, F_DUPFD_CLOEXEC, 0);
      if (g.host_fd < 0) {
        *error_number = errno;
        for (size_t j = 0; j < grants.size(); ++j)
          if (!entries_[j].owned) close(grants[j].host_fd);
        return false;
      }
    }
    grants.push_back(g);
  }
  for (const Entry& e : entries_) info->push_back(e.info);
  entries_.clear();  // every descriptor now belongs to the grants
  out->insert(out->end(), grants.begin(), grants.end());
  return true;
}

}  // namespace capvm::cli
