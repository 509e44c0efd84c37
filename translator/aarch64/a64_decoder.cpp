// Decoder: loads libcapvm-a64-llvm.so, the LLVM MC adapter, the first time
// an aarch64 guest needs it (a64_decoder_abi.h), and formats instructions.
#include "translator/aarch64/a64_decoder.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <memory>
#include <stdexcept>
#include <vector>

#include "translator/aarch64/a64_decoder_abi.h"

namespace capvm::aarch64 {

struct Decoder::Impl {
  void* handle = nullptr;   // dlopen handle, never closed
  void* decoder = nullptr;  // the plugin's decoder object
  capvm_a64_llvm_decode_fn decode = nullptr;
  capvm_a64_llvm_name_fn name = nullptr;
  uint32_t mapped_regs = 0;
  uint32_t unknown_ops = 0;
};

namespace {

std::string exe_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<size_t>(n));
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// Where the plugin may be: beside the executable (the build tree's capvm),
// in ../lib/capvm (an installed tree), and where this build put it (test
// executables live elsewhere in the build tree). Absolute paths only: the
// library search path plays no part.
std::vector<std::string> candidates() {
  std::vector<std::string> c;
  const std::string dir = exe_dir();
  if (!dir.empty()) {
    c.push_back(dir + "/" + kDecoderPluginName);
    c.push_back(dir + "/../lib/capvm/" + kDecoderPluginName);
  }
#ifdef CAPVM_A64_PLUGIN_BUILD_PATH
  c.push_back(CAPVM_A64_PLUGIN_BUILD_PATH);
#endif
  return c;
}

template <typename Fn>
bool sym(void* handle, const char* name, Fn* out) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
  return *out != nullptr;
}

Decoder::Impl* open_plugin(std::string* error) {
  std::string tried;
  for (const std::string& path : candidates()) {
    if (access(path.c_str(), F_OK) != 0) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    // Code that will run inside the sandbox's host process: refuse a file
    // someone else could have replaced.
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      *error = path + ": not a regular file";
      return nullptr;
    }
    if ((st.st_mode & S_IWOTH) != 0) {
      *error = path + ": writable by any user, refused";
      return nullptr;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
      *error = path + ": owned by another user, refused";
      return nullptr;
    }
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* e = dlerror();
      *error = e != nullptr ? e : path + ": cannot load";
      return nullptr;
    }
    auto fail = [&](std::string why) -> Decoder::Impl* {
      *error = path + ": " + why;
      dlclose(h);
      return nullptr;
    };
    auto impl = std::make_unique<Decoder::Impl>();
    impl->handle = h;
    capvm_a64_llvm_open_fn open = nullptr;
    capvm_a64_llvm_stats_fn stats = nullptr;
    if (!sym(h, "capvm_a64_llvm_open", &open) || !sym(h, "capvm_a64_llvm_decode", &impl->decode) ||
        !sym(h, "capvm_a64_llvm_name", &impl->name) || !sym(h, "capvm_a64_llvm_stats", &stats)) {
      return fail("not a capvm aarch64 decoder (no capvm_a64_llvm_* functions)");
    }
    std::vector<const char*> names(kOpCount);
    for (unsigned i = 0; i < kOpCount; ++i) names[i] = op_info(static_cast<Op>(i)).name;
    char err[256] = "";
    impl->decoder = open(kDecoderAbiVersion, sizeof(Insn), names.data(), kOpCount, err, sizeof err);
    if (impl->decoder == nullptr) return fail(err);
    stats(impl->decoder, &impl->mapped_regs, &impl->unknown_ops);
    return impl.release();
  }
  *error = std::string(kDecoderPluginName) + " not found (looked at " + tried + ")";
  return nullptr;
}

std::mutex g_mu;                           // orders the one creation
std::atomic<const Decoder*> g_decoder{nullptr};
std::string g_error;                       // the first failure, kept

}  // namespace

Decoder::Decoder() = default;

bool Decoder::load(std::string* error) {
  if (g_decoder.load(std::memory_order_acquire) != nullptr) return true;
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_decoder.load(std::memory_order_relaxed) != nullptr) return true;
  if (g_error.empty()) {
    Impl* impl = open_plugin(&g_error);
    if (impl != nullptr) {
      auto* d = new Decoder();  // process lifetime, like the plugin
      d->impl_ = impl;
      g_decoder.store(d, std::memory_order_release);
      return true;
    }
    g_error = "cannot load the aarch64 decoder: " + g_error;
  }
  *error = g_error;
  return false;
}

const Decoder& Decoder::get() {
  if (const Decoder* d = g_decoder.load(std::memory_order_acquire)) return *d;
  std::string error;
  if (!load(&error)) throw std::runtime_error(error);
  return *g_decoder.load(std::memory_order_acquire);
}

unsigned Decoder::mapped_registers() const { return impl_->mapped_regs; }
unsigned Decoder::unknown_table_ops() const { return impl_->unknown_ops; }

DecodeStatus Decoder::decode(uint32_t raw, uint64_t pc, Insn* out) const {
  return static_cast<DecodeStatus>(impl_->decode(impl_->decoder, raw, pc, out));
}

std::string Decoder::llvm_name(uint32_t raw) const {
  char buf[128];
  impl_->name(impl_->decoder, raw, buf, sizeof buf);
  return buf;
}

const char* reg_name(Reg r, char* buf, size_t len) {
  static const char* const kPrefix[] = {"?", "X", "W", "SP", "WSP", "XZR", "WZR", "B", "H", "S", "D", "Q", "D", "Q", "X", "W"};
  const unsigned k = static_cast<unsigned>(r.kind);
  if (r.kind == RegKind::kSP || r.kind == RegKind::kWSP || r.kind == RegKind::kXZR || r.kind == RegKind::kWZR) {
    std::snprintf(buf, len, "%s", kPrefix[k]);
  } else if (r.kind == RegKind::kDList || r.kind == RegKind::kQList || r.kind == RegKind::kXPair ||
             r.kind == RegKind::kWPair) {
    std::snprintf(buf, len, "{%s%u x%u}", kPrefix[k], r.index, r.count);
  } else {
    std::snprintf(buf, len, "%s%u", kPrefix[k], r.index);
  }
  return buf;
}

std::string Decoder::format(const Insn& in) {
  std::string s = op_info(in.op).name;
  for (unsigned i = 0; i < in.num_ops; ++i) {
    char buf[32];
    if (in.ops[i].is_reg()) {
      s += " ";
      s += reg_name(in.ops[i].reg, buf, sizeof buf);
    } else {
      std::snprintf(buf, sizeof buf, " #%lld", static_cast<long long>(in.ops[i].imm));
      s += buf;
    }
  }
  return s;
}

}  // namespace capvm::aarch64
