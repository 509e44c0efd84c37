// Path resolution beneath a directory descriptor (see path.h).
#include "hostio/path.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "hostio/errno_map.h"
#include "hostio/host_call.h"

#if __has_include(<linux/openat2.h>) && defined(SYS_openat2)
#include <linux/openat2.h>
#define CAPVM_HAVE_OPENAT2 1
#endif

namespace capvm::hostio::path {

namespace {

std::atomic<Backend> g_forced{Backend::kAuto};
// Whether openat2 answered anything but ENOSYS once (cached probe).
std::atomic<int> g_openat2_state{0};  // 0 unknown, 1 works, -1 missing

#ifdef CAPVM_HAVE_OPENAT2
// -errno on failure. Inline: its caller's return is then the only one
// between the host call and open_beneath's caller (host_call.h).
[[gnu::always_inline]] inline int raw_openat2(int dirfd, const char* p, int oflags, mode_t mode) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(oflags | O_CLOEXEC);
  if (oflags & O_CREAT) how.mode = mode;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const int r = host::openat2(dirfd, p, &how, sizeof how);  // inline (host_call.h)
  return r < 0 ? -errno : r;
}
#endif

bool openat2_usable() {
#ifdef CAPVM_HAVE_OPENAT2
  int s = g_openat2_state.load(std::memory_order_relaxed);
  if (s == 0) {
    const int r = raw_openat2(AT_FDCWD, ".", O_PATH | O_DIRECTORY, 0);
    if (r >= 0) close(r);
    s = r == -ENOSYS ? -1 : 1;
    g_openat2_state.store(s, std::memory_order_relaxed);
  }
  return s > 0;
#else
  return false;
#endif
}

}  // namespace

void set_backend(Backend b) { g_forced.store(b); }

Backend active_backend() {
  const Backend f = g_forced.load();
  if (f == Backend::kPortable) return Backend::kPortable;
  if (openat2_usable()) return Backend::kOpenat2;
  return Backend::kPortable;
}

abi::Errno open_beneath(int dirfd, std::string_view p, int oflags, mode_t mode, int* out) {
  if (abi::Errno e = resolve::check_path(p)) return e;
#ifdef CAPVM_HAVE_OPENAT2
  if (active_backend() == Backend::kOpenat2) {
    const std::string s(p);
    // EAGAIN: the kernel saw a rename or mount race during a ".." walk and
    // refused to guess; retry a few times, then let the portable resolver
    // (which never walks the kernel's "..") decide.
    for (int attempt = 0; attempt < 16; ++attempt) {
      const int r = raw_openat2(dirfd, s.c_str(), oflags, mode);
      if (r >= 0) {
        *out = r;
        return abi::E_SUCCESS;
      }
      if (r == -EAGAIN) continue;
      // cloudabi.txt errno.notcapable: "Extension: Capabilities
      // insufficient" -- a path leading outside the directory.
      if (r == -EXDEV) return abi::E_NOTCAPABLE;
      return from_host_errno(-r);
    }
  }
#endif
  return resolve::portable_open(dirfd, p, oflags, mode, out);
}

abi::Errno open_parent(int dirfd, std::string_view p, Parent* out) {
  if (abi::Errno e = resolve::check_path(p)) return e;
  if (active_backend() == Backend::kPortable)
    return resolve::portable_parent(dirfd, p, &out->dir, &out->name, &out->trailing_slash);
  // Split off the last component ("a/b//" -> "a", "b"; "b" -> "", "b").
  out->trailing_slash = p.back() == '/';
  std::string_view rest = p;
  while (rest.size() > 1 && rest.back() == '/') rest.remove_suffix(1);
  const size_t slash = rest.rfind('/');
  std::string_view dir = slash == std::string_view::npos ? std::string_view() : rest.substr(0, slash);
  std::string_view name = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
  if (name == "." || name == "..") {
    // The path names a directory by "." or "..": resolve all of it (which
    // refuses a ".." above the start) and let the host call fail on ".".
    int fd = -1;
    if (abi::Errno e = open_beneath(dirfd, p, O_PATH | O_DIRECTORY, 0, &fd)) return e;
    out->dir = UniqueFd(fd);
    out->name.assign(1, '.');
    return abi::E_SUCCESS;
  }
  int fd = -1;
  if (dir.empty()) {
    fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return from_host_errno(errno);
  } else {
    // Keep "a/" for "a//b" so the kernel still checks "a" is a directory.
    const std::string d(dir);
    if (abi::Errno e = open_beneath(dirfd, d, O_PATH | O_DIRECTORY, 0, &fd)) return e;
  }
  out->dir = UniqueFd(fd);
  out->name = std::string(name);
  return abi::E_SUCCESS;
}

}  // namespace capvm::hostio::path
