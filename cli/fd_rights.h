// Rights the launcher grants (issue 5, "least privilege"): `mode: ro` is the
// type's maximum without every right that creates, writes, renames or
// removes anything; `mode: rw` is the type's maximum (rights::max_base /
// max_inheriting). Explicit `rights:` lists must stay within the mode.
#pragma once

#include <cstdint>

#include "abi/types.h"
#include "rights/rights.h"

namespace capvm::cli {

// Rights that change something: data, size, times, names, links.
inline constexpr abi::Rights kWriteRights =
    abi::RIGHT_FD_WRITE | abi::RIGHT_FD_DATASYNC | abi::RIGHT_FD_SYNC |
    abi::RIGHT_FILE_ALLOCATE | abi::RIGHT_FILE_CREATE_DIRECTORY | abi::RIGHT_FILE_CREATE_FILE |
    abi::RIGHT_FILE_LINK_SOURCE | abi::RIGHT_FILE_LINK_TARGET | abi::RIGHT_FILE_RENAME_SOURCE |
    abi::RIGHT_FILE_RENAME_TARGET | abi::RIGHT_FILE_STAT_FPUT_SIZE |
    abi::RIGHT_FILE_STAT_FPUT_TIMES | abi::RIGHT_FILE_STAT_PUT_TIMES | abi::RIGHT_FILE_SYMLINK |
    abi::RIGHT_FILE_UNLINK;

// The most a descriptor of `filetype` given with mode ro / rw may hold.
inline rights::RightsPair mode_rights(uint8_t filetype, bool rw) {
  rights::RightsPair r{rights::max_base(filetype), rights::max_inheriting(filetype)};
  if (!rw) {
    r.base &= ~kWriteRights;
    r.inheriting &= ~kWriteRights;
  }
  return r;
}

}  // namespace capvm::cli
