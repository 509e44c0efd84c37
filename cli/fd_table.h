// The guest's initial descriptors as the YAML names them: guest numbers are
// handed out 0, 1, 2, ... in document order (cloudabi-run.1, IMPLEMENTATION
// NOTES: "renumbered to be contiguous, starting at file descriptor zero"),
// and one host descriptor named twice gets one guest number.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vm/process.h"

namespace capvm::cli {

// What `capvm explain` says about one guest descriptor.
struct FdInfo {
  uint32_t guest_fd = 0;
  std::string origin;     // "!fd stdout", "!file /srv/www (ro)", ...
  uint8_t filetype = 0;   // CloudABI file type (abi::FILETYPE_*)
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
};

class FdTable {
 public:
  FdTable() = default;
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;
  ~FdTable();  // closes every descriptor not yet released

  // A descriptor capvm inherited (stdout, `!fd 3`): not owned; release()
  // hands the VM a duplicate.
  uint32_t add_inherited(int host_fd, const FdInfo& info);
  // A descriptor capvm opened for the guest (`!file`): owned from now on.
  uint32_t add_owned(int host_fd, const FdInfo& info);
  // True when host_fd is one capvm opened itself, so `!fd N` cannot name it.
  bool is_owned(int host_fd) const;
  size_t size() const { return entries_.size(); }

  // The grants for vm::RunOptions (always with explicit rights, those of
  // the FdInfo) and their descriptions; the caller (then the VM) owns every
  // host_fd in them. Returns false and sets *error_number when a dup fails.
  bool release(std::vector<vm::FdGrant>* out, std::vector<FdInfo>* info, int* error_number);

 private:
  struct Entry {
    int host_fd;
    bool owned;
    FdInfo info;
  };
  std::vector<Entry> entries_;
};

}  // namespace capvm::cli
