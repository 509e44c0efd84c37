// Path resolution beneath a directory descriptor (ARCHITECTURE.md "The
// sandbox"; cloudabi.txt file_* "The working directory at which the
// resolution ... starts"). On Linux, openat2(2) with RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS does the walk in the kernel (EXDEV -> ENOTCAPABLE);
// elsewhere, or when openat2 is missing, the portable resolver (resolve.h).
// Every path-taking syscall in hostio goes through here: no guest path ever
// reaches a host call that resolves it from the host's root or follows a
// symlink unconfined.
#pragma once

#include <string>
#include <string_view>

#include "abi/errno.h"
#include "hostio/resolve.h"

namespace capvm::hostio::path {

enum class Backend { kAuto, kOpenat2, kPortable };
// For tests: force a backend (kAuto: openat2 when the host has it).
void set_backend(Backend b);
// The backend open_beneath uses now (never kAuto).
Backend active_backend();

// Opens `path` beneath `dirfd` with open(2) flags `oflags` and `mode`.
// O_NOFOLLOW refuses a symlink as the last component (ELOOP), as
// cloudabi.txt lookupflags.symlink_follow cleared asks.
abi::Errno open_beneath(int dirfd, std::string_view path, int oflags, mode_t mode, int* out);

// The directory holding the last component and its name (see
// resolve::portable_parent), for calls on a directory entry itself.
struct Parent {
  UniqueFd dir;
  std::string name;
  bool trailing_slash = false;
};
abi::Errno open_parent(int dirfd, std::string_view path, Parent* out);

}  // namespace capvm::hostio::path
