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
#include "translator/aarch64/decode_memo.h"

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

// The plugin to load: the first candidate present; else false, with the
// places looked at in *tried.
bool find_plugin(std::string* path, std::string* tried = nullptr) {
  for (const std::string& c : candidates()) {
    if (access(c.c_str(), F_OK) == 0) {
      *path = c;
      return true;
    }
    if (tried) *tried += (tried->empty() ? "" : ", ") + c;
  }
  return false;
}

Decoder::Impl* open_plugin(std::string* error) {
  std::string path, tried;
  if (!find_plugin(&path, &tried)) {
    *error = std::string(kDecoderPluginName) + " not found (looked at " + tried + ")";
    return nullptr;
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

// What a memo's decodings depend on: this capvm (its op table and Insn
// layout come with it) and the plugin file, each by identity and times (the
// change time too: a chmod or a replacement makes the memo cold, so the
// plugin is checked again by open_plugin before anything runs).
bool memo_key(uint64_t* key) {
  std::string plugin;
  struct stat exe, lib;
  if (!find_plugin(&plugin) || stat("/proc/self/exe", &exe) != 0 || stat(plugin.c_str(), &lib) != 0)
    return false;
  const uint64_t parts[] = {
      kDecoderAbiVersion, sizeof(Insn), kOpCount,
      static_cast<uint64_t>(exe.st_dev), static_cast<uint64_t>(exe.st_ino),
      static_cast<uint64_t>(exe.st_size), static_cast<uint64_t>(exe.st_mtim.tv_sec),
      static_cast<uint64_t>(exe.st_mtim.tv_nsec), static_cast<uint64_t>(exe.st_ctim.tv_sec),
      static_cast<uint64_t>(exe.st_ctim.tv_nsec),
      static_cast<uint64_t>(lib.st_dev), static_cast<uint64_t>(lib.st_ino),
      static_cast<uint64_t>(lib.st_size), static_cast<uint64_t>(lib.st_mtim.tv_sec),
      static_cast<uint64_t>(lib.st_mtim.tv_nsec), static_cast<uint64_t>(lib.st_ctim.tv_sec),
      static_cast<uint64_t>(lib.st_ctim.tv_nsec)};
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t v : parts)
    for (int b = 0; b < 8; ++b) h = (h ^ ((v >> (8 * b)) & 0xff)) * 0x100000001b3ull;
  *key = h;
  return true;
}

std::mutex g_mu;                           // orders the plugin's one loading
std::atomic<const Decoder::Impl*> g_impl{nullptr};
std::string g_error;                       // the first failure, kept
std::atomic<const Decoder*> g_decoder{nullptr};  // created with g_mu held
std::mutex g_memo_mu;                      // guards g_memo's contents
std::atomic<DecodeMemo*> g_memo{nullptr};  // set once, never freed

}  // namespace

Decoder::Decoder() = default;

bool Decoder::load(std::string* error) {
  if (g_impl.load(std::memory_order_acquire) != nullptr) return true;
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_impl.load(std::memory_order_relaxed) == nullptr) {
    if (g_error.empty()) {
      if (Impl* impl = open_plugin(&g_error)) g_impl.store(impl, std::memory_order_release);
      else g_error = "cannot load the aarch64 decoder: " + g_error;
    }
    if (g_impl.load(std::memory_order_relaxed) == nullptr) {
      *error = g_error;
      return false;
    }
  }
  if (g_decoder.load(std::memory_order_relaxed) == nullptr)
    g_decoder.store(new Decoder(), std::memory_order_release);  // process lifetime
  return true;
}

bool Decoder::load_with_memo(const std::string& memo_dir, const uint8_t* image, size_t size,
                             std::string* error) {
  uint64_t key = 0;
  if (!memo_key(&key)) return load(error);  // no plugin: load() says so
  key = DecodeMemo::hash(image, size, key);
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_memo.load(std::memory_order_relaxed) == nullptr)
      g_memo.store(DecodeMemo::open(DecodeMemo::file_for(memo_dir, key), key).release(),
                   std::memory_order_release);
    if (g_decoder.load(std::memory_order_relaxed) == nullptr)
      g_decoder.store(new Decoder(), std::memory_order_release);  // process lifetime
  }
  // A cold memo means LLVM is needed at once: load it now, so that a broken
  // plugin is reported before the guest runs.
  if (g_memo.load(std::memory_order_acquire)->loaded() == 0) return load(error);
  return true;
}

void Decoder::save_memo() {
  DecodeMemo* memo = g_memo.load(std::memory_order_acquire);
  if (memo == nullptr || !g_memo_mu.try_lock()) return;
  std::string error;
  memo->save(&error);  // a cache: a failure to write it costs the next run time only
  g_memo_mu.unlock();
}

void Decoder::lock_for_fork() {
  g_mu.lock();
  g_memo_mu.lock();
}

void Decoder::unlock_after_fork() {
  g_memo_mu.unlock();
  g_mu.unlock();
}

const Decoder& Decoder::get() {
  if (const Decoder* d = g_decoder.load(std::memory_order_acquire)) return *d;
  std::string error;
  if (!load(&error)) throw std::runtime_error(error);
  return *g_decoder.load(std::memory_order_acquire);
}

const Decoder::Impl& Decoder::plugin() const {
  if (const Impl* impl = g_impl.load(std::memory_order_acquire)) return *impl;
  std::string error;
  if (!load(&error)) {
    // Only in memo mode: the plugin that was fine when the memo was made is
    // not any more, and translation cannot go on (vm: exit status 127).
    std::fprintf(stderr, "capvm: %s\n", error.c_str());
    std::fflush(stderr);
    _exit(127);
  }
  return *g_impl.load(std::memory_order_acquire);
}

unsigned Decoder::mapped_registers() const { return plugin().mapped_regs; }
unsigned Decoder::unknown_table_ops() const { return plugin().unknown_ops; }

DecodeStatus Decoder::decode(uint32_t raw, uint64_t pc, Insn* out) const {
  DecodeMemo* memo = g_memo.load(std::memory_order_acquire);
  if (memo != nullptr) {
    std::lock_guard<std::mutex> lock(g_memo_mu);
    DecodeStatus status;
    if (memo->find(raw, out, &status)) {
      out->pc = pc;
      return status;
    }
  }
  const Impl& impl = plugin();
  const auto status = static_cast<DecodeStatus>(impl.decode(impl.decoder, raw, pc, out));
  if (status != DecodeStatus::kOk) {
    // Only the word of an instruction we cannot translate means anything,
    // from the plugin as from the memo.
    *out = Insn{};
    out->raw = raw;
    out->pc = pc;
  }
  if (memo != nullptr) {
    std::lock_guard<std::mutex> lock(g_memo_mu);
    memo->add(raw, status, *out);
  }
  return status;
}

std::string Decoder::llvm_name(uint32_t raw) const {
  char buf[128];
  const Impl& impl = plugin();
  impl.name(impl.decoder, raw, buf, sizeof buf);
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
