// The portable path resolver: resolves a guest path beneath a directory
// descriptor one component at a time, without ever asking the host kernel
// to interpret "..", an absolute path or a symlink. Used where openat2(2)
// with RESOLVE_BENEATH is not available (non-Linux hosts, old kernels) and
// tested on its own (tests/hostio/resolve_test.cpp).
//
// How it stays beneath the start (ARCHITECTURE.md "The sandbox", cloudabi.txt
// file_open "The working directory at which the resolution ... starts"):
// - it keeps its own stack of open directory descriptors from the start
//   directory down; ".." pops that stack, and popping the start itself is
//   ENOTCAPABLE. The kernel's ".." is never used, so a directory renamed
//   elsewhere meanwhile cannot carry the walk outside (the openat2 selftests'
//   rename race);
// - each component is opened with O_PATH | O_NOFOLLOW relative to the top of
//   the stack; a symlink is read (readlinkat) and its target spliced in front
//   of the remaining components; an absolute target is ENOTCAPABLE; more
//   than kMaxSymlinks expansions is ELOOP;
// - magic links (/proc/self/fd/N) are ordinary symlinks to it: their text
//   ("/..." or "pipe:[...]") is resolved like any other, never "jumped".
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "abi/errno.h"

namespace capvm::hostio {

// An owned host descriptor (-1: none).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

namespace resolve {

inline constexpr unsigned kMaxSymlinks = 40;   // as Linux's MAXSYMLINKS
inline constexpr size_t kMaxPath = 4096;       // PATH_MAX, including the NUL

// Checks a guest path before any resolution: EINVAL for an embedded NUL,
// ENOENT for an empty path, ENAMETOOLONG beyond kMaxPath - 1 bytes,
// ENOTCAPABLE for an absolute path (cloudabi.txt has no root to start from).
abi::Errno check_path(std::string_view path);

// Opens `path` beneath host directory `dirfd` with open(2) flags `oflags`
// (O_NOFOLLOW: do not follow a symlink in the last component; O_CREAT with
// `mode`). A trailing slash requires a directory. *out receives the new
// descriptor (close-on-exec).
abi::Errno portable_open(int dirfd, std::string_view path, int oflags, mode_t mode, int* out);

// The directory that holds the last component of `path` (opened O_PATH)
// and that component's name, for the calls that act on a directory entry
// itself (mkdirat, unlinkat, renameat, linkat, symlinkat). The last
// component is never followed. When the path ends in "." or ".." the
// directory is the one the whole path names and *name is "." (the host
// call then fails as it would on that name; it never acts outside).
// *trailing_slash tells whether the path ended in "/".
abi::Errno portable_parent(int dirfd, std::string_view path, UniqueFd* dir, std::string* name,
                           bool* trailing_slash);

}  // namespace resolve
}  // namespace capvm::hostio
