// The portable, component-by-component path resolver (see resolve.h).
#include "hostio/resolve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "hostio/errno_map.h"

namespace capvm::hostio {

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}
UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

namespace resolve {

namespace {

using abi::Errno;

struct Component {
  std::string name;
  bool dir_required;  // followed by a '/' in the text it came from
};

// Splits `path` into components, dropping empty ones and ".": a trailing
// "/" or "/." marks the last component as having to be a directory.
void split(std::string_view path, std::deque<Component>* out, bool at_front) {
  std::vector<Component> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    const bool slash = j < path.size();
    if (c.empty() || c == ".") {
      if (!parts.empty()) parts.back().dir_required = true;
    } else {
      parts.push_back({std::string(c), slash});
    }
    i = j + 1;
  }
  if (at_front) {
    out->insert(out->begin(), parts.begin(), parts.end());
  } else {
    out->insert(out->end(), parts.begin(), parts.end());
  }
}

// The stack of directories from the start down. Index 0 is the start
// directory, not owned.
class Walk {
 public:
  explicit Walk(int start) : start_(start) {}
  int top() const { return stack_.empty() ? start_ : stack_.back().get(); }
  bool at_start() const { return stack_.empty(); }
  void push(UniqueFd fd) { stack_.push_back(std::move(fd)); }
  void pop() { stack_.pop_back(); }

 private:
  int start_;
  std::vector<UniqueFd> stack_;
};

// Reads the target of symlink `name` in directory `dir` ("" with an O_PATH
// descriptor of the link itself). EINVAL when it is not a symlink.
Errno read_link(int dir, const char* name, std::string* target) {
  char buf[kMaxPath];
  const ssize_t n = readlinkat(dir, name, buf, sizeof buf);
  if (n < 0) return from_host_errno(errno);
  if (static_cast<size_t>(n) >= sizeof buf) return abi::E_NAMETOOLONG;
  target->assign(buf, static_cast<size_t>(n));
  return abi::E_SUCCESS;
}

// Splices a symlink's target in front of the remaining components.
Errno expand(const std::string& target, bool dir_required, unsigned* links,
             std::deque<Component>* queue) {
  if (++*links > kMaxSymlinks) return abi::E_LOOP;
  if (target.empty()) return abi::E_NOENT;
  if (target[0] == '/') return abi::E_NOTCAPABLE;  // absolute: no root here
  const size_t before = queue->size();
  split(target, queue, true);
  const size_t added = queue->size() - before;
  // "link/" means the link's target must be a directory.
  if (dir_required && added > 0) (*queue)[added - 1].dir_required = true;
  return abi::E_SUCCESS;
}

// Walks every component but the last (what the caller does with the last
// one is its business). On return *last is the last component, or empty
// when the path names the top of the walk itself ("", ".", "a/..").
// `follow_last`: a symlink as the last component is expanded and the walk
// goes on (the caller asks by calling step again).
Errno walk_to_last(Walk* w, std::deque<Component>* queue, unsigned* links, Component* last) {
  last->name.clear();
  last->dir_required = false;
  while (!queue->empty()) {
    Component c = std::move(queue->front());
    queue->pop_front();
    if (c.name == "..") {
      if (w->at_start()) return abi::E_NOTCAPABLE;
      w->pop();
      // "a/.." with nothing after: names the directory itself.
      continue;
    }
    if (queue->empty()) {
      *last = std::move(c);
      return abi::E_SUCCESS;
    }
    const int fd = openat(w->top(), c.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return from_host_errno(errno);
    UniqueFd owned(fd);
    struct stat st;
    if (fstat(fd, &st) != 0) return from_host_errno(errno);
    if (S_ISLNK(st.st_mode)) {
      std::string target;
      if (Errno e = read_link(fd, "", &target)) return e;
      if (Errno e = expand(target, true, links, queue)) return e;
      continue;
    }
    if (!S_ISDIR(st.st_mode)) return abi::E_NOTDIR;
    w->push(std::move(owned));
  }
  return abi::E_SUCCESS;
}

}  // namespace

Errno check_path(std::string_view path) {
  if (path.empty()) return abi::E_NOENT;
  if (path.find('\0') != std::string_view::npos) return abi::E_INVAL;
  if (path.size() >= kMaxPath) return abi::E_NAMETOOLONG;
  if (path[0] == '/') return abi::E_NOTCAPABLE;
  return abi::E_SUCCESS;
}

Errno portable_open(int dirfd, std::string_view path, int oflags, mode_t mode, int* out) {
  if (Errno e = check_path(path)) return e;
  const bool follow = (oflags & O_NOFOLLOW) == 0;
  const int base_flags = (oflags & ~O_NOFOLLOW) | O_CLOEXEC;
  Walk w(dirfd);
  std::deque<Component> queue;
  split(path, &queue, false);
  unsigned links = 0;
  bool path_dir_required = !path.empty() && path.back() == '/';
  for (;;) {
    Component last;
    if (Errno e = walk_to_last(&w, &queue, &links, &last)) return e;
    if (last.name.empty()) {
      // The path names the directory at the top of the walk.
      if (oflags & O_CREAT && oflags & O_EXCL) return abi::E_EXIST;
      int flags = base_flags & ~(O_CREAT | O_EXCL);
      const int fd = openat(w.top(), ".", flags);
      if (fd < 0) return from_host_errno(errno);
      *out = fd;
      return abi::E_SUCCESS;
    }
    const bool must_dir = last.dir_required || (queue.empty() && path_dir_required);
    int flags = base_flags | O_NOFOLLOW;
    if (must_dir) {
      if (flags & O_CREAT) return abi::E_ISDIR;  // as Linux: "newname/" cannot be a file
      flags |= O_DIRECTORY;
    }
    const int fd = openat(w.top(), last.name.c_str(), flags, mode);
    if (fd >= 0) {
      UniqueFd owned(fd);
      if (flags & O_PATH) {
        // O_PATH | O_NOFOLLOW opens a symlink itself: follow it if asked.
        struct stat st;
        if (fstat(fd, &st) != 0) return from_host_errno(errno);
        if (S_ISLNK(st.st_mode) && (follow || must_dir)) {
          std::string target;
          if (Errno e = read_link(fd, "", &target)) return e;
          if (Errno e = expand(target, must_dir, &links, &queue)) return e;
          continue;
        }
      }
      *out = owned.release();
      return abi::E_SUCCESS;
    }
    const int err = errno;
    if (err != ELOOP && err != ENOTDIR && err != EEXIST) return from_host_errno(err);
    // Maybe a symlink as the last component.
    std::string target;
    if (read_link(w.top(), last.name.c_str(), &target) != abi::E_SUCCESS)
      return from_host_errno(err);
    if (err == EEXIST) return abi::E_EXIST;  // O_CREAT|O_EXCL on a symlink: exists
    if (!follow && !must_dir) return abi::E_LOOP;
    if (Errno e = expand(target, must_dir, &links, &queue)) return e;
  }
}

Errno portable_parent(int dirfd, std::string_view path, UniqueFd* dir, std::string* name,
                      bool* trailing_slash) {
  if (Errno e = check_path(path)) return e;
  *trailing_slash = path.back() == '/';
  Walk w(dirfd);
  std::deque<Component> queue;
  split(path, &queue, false);
  unsigned links = 0;
  Component last;
  if (Errno e = walk_to_last(&w, &queue, &links, &last)) return e;
  const int fd = openat(w.top(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return from_host_errno(errno);
  *dir = UniqueFd(fd);
  *name = last.name.empty() ? std::string(".") : last.name;
  return abi::E_SUCCESS;
}

}  // namespace resolve
}  // namespace capvm::hostio
