// Serialization of a process image for proc_exec (vm/exec_state.h).
#include "vm/exec_state.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace capvm::vm {

namespace {
constexpr char kMagic[8] = {'C', 'A', 'P', 'V', 'M', 'E', 'X', '1'};
constexpr uint64_t kMaxBlob = uint64_t{1} << 30;

void put64(std::vector<uint8_t>* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_bytes(std::vector<uint8_t>* out, const void* data, size_t len) {
  put64(out, len);
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + len);
}

struct Reader {
  const std::vector<uint8_t>& buf;
  size_t pos = 0;
  bool ok = true;
  uint64_t u64() {
    if (buf.size() - pos < 8) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{buf[pos + i]} << (8 * i);
    pos += 8;
    return v;
  }
  bool bytes(std::vector<uint8_t>* out) {
    const uint64_t n = u64();
    if (!ok || n > kMaxBlob || buf.size() - pos < n) return ok = false;
    out->assign(buf.begin() + static_cast<long>(pos), buf.begin() + static_cast<long>(pos + n));
    pos += n;
    return true;
  }
};
}  // namespace

int write_exec_state(const RunOptions& o, std::string* error) {
  std::vector<uint8_t> out(kMagic, kMagic + sizeof kMagic);
  put_bytes(&out, o.program_path.data(), o.program_path.size());
  put_bytes(&out, o.program.data(), o.program.size());
  put_bytes(&out, o.argdata.data(), o.argdata.size());
  put64(&out, o.sandbox_size);
  put64(&out, o.dump_blocks ? 1 : 0);
  put64(&out, o.max_block_insns);
  put_bytes(&out, o.strace_filter.data(), o.strace_filter.size());
  put_bytes(&out, o.decode_memo_dir.data(), o.decode_memo_dir.size());
  put64(&out, (o.strace ? 1 : 0) | (o.perf_map ? 2 : 0) | (o.deterministic ? 4 : 0));
  put64(&out, static_cast<uint64_t>(static_cast<int64_t>(o.log_fd)));
  put64(&out, static_cast<uint64_t>(static_cast<int64_t>(o.process_count_fd)));
  put64(&out, o.max_memory);
  put64(&out, o.max_threads);
  put64(&out, o.max_processes);
  put64(&out, o.max_fds);
  put64(&out, o.timeout_ns);
  put64(&out, o.clock_precision_ns);
  put64(&out, o.seed);
  put64(&out, o.fds.size());
  for (const FdGrant& g : o.fds) {
    put64(&out, g.guest_fd);
    put64(&out, static_cast<uint64_t>(g.host_fd));
    put64(&out, g.rights_base);
    put64(&out, g.rights_inheriting);
  }
  const int fd = memfd_create("capvm-exec", 0);
  if (fd < 0) {
    *error = std::string("memfd_create: ") + std::strerror(errno);
    return -1;
  }
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = write(fd, out.data() + done, out.size() - done);
    if (n <= 0) {
      *error = "cannot write the exec state";
      close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

bool read_exec_state(int fd, RunOptions* o, std::string* error) {
  std::vector<uint8_t> buf;
  uint8_t chunk[65536];
  if (lseek(fd, 0, SEEK_SET) != 0) {
    *error = "exec state is not seekable";
    return false;
  }
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "cannot read the exec state";
      return false;
    }
    if (n == 0) break;
    buf.insert(buf.end(), chunk, chunk + n);
    if (buf.size() > 3 * kMaxBlob) {
      *error = "exec state too large";
      return false;
    }
  }
  close(fd);
  if (buf.size() < sizeof kMagic || std::memcmp(buf.data(), kMagic, sizeof kMagic) != 0) {
    *error = "not an exec state";
    return false;
  }
  Reader r{buf, sizeof kMagic};
  std::vector<uint8_t> path;
  r.bytes(&path);
  o->program_path.assign(path.begin(), path.end());
  r.bytes(&o->program);
  r.bytes(&o->argdata);
  o->sandbox_size = r.u64();
  o->dump_blocks = r.u64() != 0;
  o->max_block_insns = static_cast<unsigned>(r.u64());
  std::vector<uint8_t> filter;
  r.bytes(&filter);
  o->strace_filter.assign(filter.begin(), filter.end());
  std::vector<uint8_t> memo_path;
  r.bytes(&memo_path);
  o->decode_memo_dir.assign(memo_path.begin(), memo_path.end());
  const uint64_t flags = r.u64();
  o->strace = (flags & 1) != 0;
  o->perf_map = (flags & 2) != 0;
  o->deterministic = (flags & 4) != 0;
  o->log_fd = static_cast<int>(static_cast<int64_t>(r.u64()));
  o->process_count_fd = static_cast<int>(static_cast<int64_t>(r.u64()));
  o->max_memory = r.u64();
  o->max_threads = static_cast<unsigned>(r.u64());
  o->max_processes = static_cast<unsigned>(r.u64());
  o->max_fds = static_cast<unsigned>(r.u64());
  o->timeout_ns = r.u64();
  o->clock_precision_ns = r.u64();
  o->seed = r.u64();
  const uint64_t nfds = r.u64();
  if (!r.ok || nfds > (1u << 16)) {
    *error = "corrupt exec state";
    return false;
  }
  for (uint64_t i = 0; i < nfds && r.ok; ++i) {
    FdGrant g;
    g.guest_fd = static_cast<uint32_t>(r.u64());
    g.host_fd = static_cast<int>(r.u64());
    g.has_rights = true;
    g.rights_base = r.u64();
    g.rights_inheriting = r.u64();
    o->fds.push_back(g);
  }
  if (!r.ok) {
    *error = "corrupt exec state";
    return false;
  }
  return true;
}

int run_exec_state(const char* fd_text) {
  char* end = nullptr;
  const long fd = std::strtol(fd_text, &end, 10);
  RunOptions o;
  std::string error;
  if (end == fd_text || *end != '\0' || fd < 0 || fd > 1 << 20 ||
      !read_exec_state(static_cast<int>(fd), &o, &error)) {
    std::fprintf(stderr, "capvm: proc_exec: %s\n", error.empty() ? "bad exec state" : error.c_str());
    return kExitCapvmError;
  }
  return run_program(o);
}

}  // namespace capvm::vm
