// The two engines of the differential tester and the state comparison.
#include "tests/translator/diff_harness.h"

#include <unicorn/unicorn.h>

#include <cpuid.h>

#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "translator/x86_64/guest_context.h"
#include "vm/signals.h"

namespace capvm::difftest {

namespace {

constexpr size_t kXsaveXmmOffset = 160;   // legacy region (Intel SDM 13.4.1)
constexpr size_t kXsaveMxcsrOffset = 24;
constexpr size_t kXsaveBvOffset = 512;    // XSAVE header: XSTATE_BV
constexpr unsigned kRecreateEvery = 400;  // runs per translator (blocks are never freed)
constexpr unsigned kMaxExits = 20000;

const char* const kGprNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                   "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

std::vector<uint8_t> code_page(const Case& c) {
  std::vector<uint8_t> page(kCodeSize, 0xCC);  // int3 past the terminator
  std::memcpy(page.data(), c.code.data(), c.code.size());
  page[c.code.size()] = 0x0F;  // syscall: the terminator
  page[c.code.size() + 1] = 0x05;
  return page;
}

uint64_t terminator(const Case& c) { return kCodeAddr + c.code.size(); }

// Runs translated code once with fault recovery; false when it faulted.
__attribute__((noinline)) bool run_block_guarded(x86_64::Translator& tr, const x86_64::Block* b,
                                                 vm::HostFault* fault) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 0) != 0) return false;
  vm::arm_guest_fault_jump(&jb, fault);
  tr.run(b);
  vm::disarm_guest_fault_jump();
  return true;
}

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string flags_text(uint64_t f) {
  std::string s;
  const struct { uint64_t bit; const char* name; } names[] = {
      {kCF, "CF"}, {kPF, "PF"}, {kAF, "AF"}, {kZF, "ZF"}, {kSF, "SF"}, {kDF, "DF"}, {kOF, "OF"}};
  for (const auto& n : names)
    if (f & n.bit) s += std::string(s.empty() ? "" : " ") + n.name;
  return s.empty() ? "-" : s;
}

// Catch2 installs its own fatal-signal handlers around every test case, over
// capvm's; capvm's are captured once and put back while guest code runs.
constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
struct sigaction g_capvm_handlers[5];
bool g_captured = false;

void capture_capvm_handlers() {
  if (g_captured) return;
  for (int i = 0; i < 5; ++i) sigaction(kFaultSignals[i], nullptr, &g_capvm_handlers[i]);
  g_captured = true;
}

class CapvmHandlersInstalled {
 public:
  CapvmHandlersInstalled() {
    for (int i = 0; i < 5; ++i) sigaction(kFaultSignals[i], &g_capvm_handlers[i], &saved_[i]);
  }
  ~CapvmHandlersInstalled() {
    for (int i = 0; i < 5; ++i) sigaction(kFaultSignals[i], &saved_[i], nullptr);
  }

 private:
  struct sigaction saved_[5];
};

}  // namespace

void fill_pattern(std::vector<uint8_t>* bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < bytes->size(); i += 8) {
    const uint64_t v = rng();
    std::memcpy(bytes->data() + i, &v, std::min<size_t>(8, bytes->size() - i));
  }
}

Case unit_case(std::string name, std::vector<uint8_t> code, uint64_t seed) {
  Case c;
  c.name = std::move(name);
  c.code = std::move(code);
  c.init.data.resize(kDataSize);
  c.init.stack.resize(kStackSize);
  fill_pattern(&c.init.data, seed);
  fill_pattern(&c.init.stack, seed + 1);
  c.init.gpr[4] = kStackAddr + 0x1000;
  return c;
}

void set_xmm_pattern(MachineState* state) {
  for (unsigned i = 0; i < 16; ++i) {
    state->xmm[i][0] = 0x0000000100000001ull * (i + 1);
    state->xmm[i][1] = 0x0000001000000010ull * (i + 1);
  }
}

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bool host_has_avx() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx) return false;
  uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (lo & 6) == 6;
}

// --- capvm -------------------------------------------------------------------

CapvmRunner::CapvmRunner(unsigned max_block_insns, bool compact_exits, uint64_t (*syscall_hook)())
    : max_block_insns_(max_block_insns), compact_exits_(compact_exits), syscall_hook_(syscall_hook) {
  std::string err;
  mem_ = vm::GuestMemory::create(uint64_t{1} << 30, &err);
  if (!mem_) {
    setup_error_ = "GuestMemory::create: " + err;
    return;
  }
  if (!vm::install_fault_handlers(&err) || !vm::install_thread_altstack(&err)) {
    setup_error_ = "signals: " + err;
    return;
  }
  capture_capvm_handlers();
  uint64_t a = kCodeAddr;
  if (mem_->map(&a, kCodeSize, vm::kProtRead | vm::kProtExec, true) != abi::E_SUCCESS)
    setup_error_ = "map code";
  a = kDataAddr;
  if (mem_->map(&a, kDataSize, vm::kProtRead | vm::kProtWrite, true) != abi::E_SUCCESS)
    setup_error_ = "map data";
  a = kStackAddr;
  if (mem_->map(&a, kStackSize, vm::kProtRead | vm::kProtWrite, true) != abi::E_SUCCESS)
    setup_error_ = "map stack";
  fresh_translator();
}

void CapvmRunner::fresh_translator() {
  x86_64::TranslateOptions o;
  o.max_block_insns = max_block_insns_;
  o.compact_exit_stubs = compact_exits_;
  o.syscall_hook = syscall_hook_;
  o.dump_blocks = std::getenv("CAPVM_DIFF_DUMP") != nullptr;  // guest and host code per block
  tr_.reset();
  tr_ = std::make_unique<x86_64::Translator>(*mem_, o);
  runs_since_fresh_ = 0;
}

bool CapvmRunner::ready(std::string* error) const {
  if (!setup_error_.empty()) *error = setup_error_;
  return setup_error_.empty();
}

RunResult CapvmRunner::run(const Case& c) {
  RunResult r;
  // CAPVM_DIFF_FRESH: a new translator for every case (isolates stale-cache bugs).
  static const unsigned every = std::getenv("CAPVM_DIFF_FRESH") ? 1 : kRecreateEvery;
  if (++runs_since_fresh_ > every) fresh_translator();
  const std::vector<uint8_t> page = code_page(c);
  mem_->poke(kCodeAddr, page.data(), page.size());
  tr_->invalidate(kCodeAddr, kCodeSize);
  mem_->write(kDataAddr, c.init.data.data(), kDataSize);
  mem_->write(kStackAddr, c.init.stack.data(), kStackSize);

  std::string err;
  if (!tr_->prepare_thread(&err)) {
    r.error = "prepare_thread: " + err;
    return r;
  }
  x86_64::GuestContext& ctx = x86_64::this_thread_context();
  std::memcpy(ctx.gpr, c.init.gpr, sizeof ctx.gpr);
  ctx.rflags = c.init.rflags;
  ctx.rip = kCodeAddr;
  ctx.fs_base = kFsBase;
  // Every case starts as a fresh thread does: the light vector state, the
  // legacy region and XSAVE header cleared, only the SSE bit in XSTATE_BV
  // (x87 and AVX state initial on a switch to the full mode).
  ctx.vector_full = 0;
  std::memset(ctx.xsave_area, 0, kXsaveBvOffset + 64);
  std::memcpy(ctx.xsave_area + kXsaveXmmOffset, c.init.xmm, sizeof c.init.xmm);
  std::memcpy(ctx.xsave_area + kXsaveMxcsrOffset, &c.init.mxcsr, 4);
  const uint64_t bv = 2;  // SSE state present: xrstor loads XMM from the area
  std::memcpy(ctx.xsave_area + kXsaveBvOffset, &bv, 8);

  const uint64_t end = terminator(c) + 2;
  const CapvmHandlersInstalled handlers;
  uint64_t pending_link = 0;
  bool done = false;
  for (unsigned exits = 0; exits < kMaxExits && !done; ++exits) {
    const x86_64::LookupResult lr = tr_->lookup(ctx.rip);
    if (lr.block == nullptr) {
      r.error = "lookup failed at " + hex64(ctx.rip) + " (signal " + std::to_string(lr.host_signal) + ")";
      return r;
    }
    if (pending_link != 0) {
      tr_->link(pending_link, lr.block);
      pending_link = 0;
    }
    vm::HostFault fault;
    if (!run_block_guarded(*tr_, lr.block, &fault)) {
      uint64_t gpc = 0;
      const bool known = tr_->guest_pc_for_host(fault.host_pc, &gpc);
      const uint64_t base = reinterpret_cast<uintptr_t>(mem_->host_base());
      r.error = std::string("fault ") + vm::host_signal_name(fault.signo) + " at guest pc " +
                (known ? hex64(gpc) : std::string("?")) + ", address " +
                (fault.address >= base ? "guest " + hex64(fault.address - base) : hex64(fault.address)) +
                ", host pc " + hex64(fault.host_pc);
      return r;
    }
    switch (static_cast<x86_64::ExitReason>(ctx.exit_reason)) {
      case x86_64::ExitReason::kBranch:
        pending_link = ctx.link_site;
        break;
      case x86_64::ExitReason::kIndirectMiss:
        ctx.rip = ctx.branch_target;
        break;
      case x86_64::ExitReason::kHelper:
        if (const int sig = tr_->run_helper(ctx); sig != 0) {
          r.error = "helper at " + hex64(ctx.rip) + " gave signal " + std::to_string(sig);
          return r;
        }
        break;
      case x86_64::ExitReason::kSyscall:
        if (ctx.rip != end) {
          r.error = "syscall exit with rip " + hex64(ctx.rip) + ", expected " + hex64(end);
          return r;
        }
        done = true;
        break;
      case x86_64::ExitReason::kIllegal:
        r.error = "illegal-instruction exit at " + hex64(ctx.rip);
        return r;
      case x86_64::ExitReason::kTrap:
        r.error = "trap exit at " + hex64(ctx.rip);
        return r;
      case x86_64::ExitReason::kThreadEnd:
        r.error = "thread ended in a syscall served in place, at " + hex64(ctx.rip);
        return r;
      default:
        r.error = "exit reason " + std::to_string(ctx.exit_reason);
        return r;
    }
  }
  if (!done) {
    r.error = "no syscall exit after many exits";
    return r;
  }
  MachineState& s = r.final_state;
  std::memcpy(s.gpr, ctx.gpr, sizeof s.gpr);
  s.rflags = ctx.rflags;
  s.rip = ctx.rip;
  std::memcpy(s.xmm, ctx.xsave_area + kXsaveXmmOffset, sizeof s.xmm);
  uint64_t saved_bv;
  std::memcpy(&saved_bv, ctx.xsave_area + kXsaveBvOffset, 8);
  // In the full mode xsaveopt leaves the XMM slots alone when the registers
  // are in their initial state (all zero): XSTATE_BV says so.
  if (ctx.vector_full != 0 && !(saved_bv & 2)) std::memset(s.xmm, 0, sizeof s.xmm);
  std::memcpy(&s.mxcsr, ctx.xsave_area + kXsaveMxcsrOffset, 4);
  r.vector_full = ctx.vector_full != 0;
  s.data.resize(kDataSize);
  s.stack.resize(kStackSize);
  mem_->read(kDataAddr, s.data.data(), kDataSize);
  mem_->read(kStackAddr, s.stack.data(), kStackSize);
  r.ok = true;
  return r;
}

// --- Unicorn -----------------------------------------------------------------

namespace {
const int kUcGpr[16] = {UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
                        UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
                        UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
                        UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};
}

struct UnicornRunner::Impl {
  uc_engine* uc = nullptr;
  std::string error;
};

UnicornRunner::UnicornRunner() : impl_(std::make_unique<Impl>()) {
  uc_err e = uc_open(UC_ARCH_X86, UC_MODE_64, &impl_->uc);
  if (e != UC_ERR_OK) {
    impl_->error = std::string("uc_open: ") + uc_strerror(e);
    impl_->uc = nullptr;
    return;
  }
  // A model with the bit-manipulation extensions (lzcnt/tzcnt/popcnt);
  // QEMU TCG drops what it cannot emulate.
  uc_ctl_set_cpu_model(impl_->uc, UC_CPU_X86_HASWELL);
  if (uc_mem_map(impl_->uc, kCodeAddr, kCodeSize, UC_PROT_READ | UC_PROT_EXEC) != UC_ERR_OK ||
      uc_mem_map(impl_->uc, kDataAddr, kDataSize, UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK ||
      uc_mem_map(impl_->uc, kStackAddr, kStackSize, UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK)
    impl_->error = "uc_mem_map failed";
}

UnicornRunner::~UnicornRunner() {
  if (impl_->uc != nullptr) uc_close(impl_->uc);
}

bool UnicornRunner::ready(std::string* error) const {
  if (!impl_->error.empty()) *error = impl_->error;
  return impl_->error.empty();
}

RunResult UnicornRunner::run(const Case& c) {
  RunResult r;
  uc_engine* uc = impl_->uc;
  const std::vector<uint8_t> page = code_page(c);
  uc_mem_write(uc, kCodeAddr, page.data(), page.size());
  uc_ctl_remove_cache(uc, kCodeAddr, kCodeAddr + kCodeSize);
  uc_mem_write(uc, kDataAddr, c.init.data.data(), kDataSize);
  uc_mem_write(uc, kStackAddr, c.init.stack.data(), kStackSize);
  for (int i = 0; i < 16; ++i) uc_reg_write(uc, kUcGpr[i], &c.init.gpr[i]);
  uint64_t fl = c.init.rflags;
  uc_reg_write(uc, UC_X86_REG_EFLAGS, &fl);
  uint64_t fs = kFsBase;
  uc_reg_write(uc, UC_X86_REG_FS_BASE, &fs);
  for (int i = 0; i < 16; ++i) {
    uint64_t v[2] = {c.init.xmm[i][0], c.init.xmm[i][1]};
    uc_reg_write(uc, UC_X86_REG_XMM0 + i, v);
  }
  uint32_t mx = c.init.mxcsr;
  uc_reg_write(uc, UC_X86_REG_MXCSR, &mx);

  const uint64_t stop = terminator(c);
  const uc_err e = uc_emu_start(uc, kCodeAddr, stop, 0, 0);
  uint64_t rip = 0;
  uc_reg_read(uc, UC_X86_REG_RIP, &rip);
  if (e != UC_ERR_OK) {
    r.error = std::string("uc_emu_start: ") + uc_strerror(e) + " at " + hex64(rip);
    return r;
  }
  if (rip != stop) {
    r.error = "unicorn stopped at " + hex64(rip);
    return r;
  }
  MachineState& s = r.final_state;
  for (int i = 0; i < 16; ++i) uc_reg_read(uc, kUcGpr[i], &s.gpr[i]);
  uc_reg_read(uc, UC_X86_REG_EFLAGS, &s.rflags);
  s.rip = stop + 2;  // capvm reports the pc after the syscall
  for (int i = 0; i < 16; ++i) uc_reg_read(uc, UC_X86_REG_XMM0 + i, s.xmm[i]);
  uc_reg_read(uc, UC_X86_REG_MXCSR, &s.mxcsr);
  s.data.resize(kDataSize);
  s.stack.resize(kStackSize);
  uc_mem_read(uc, kDataAddr, s.data.data(), kDataSize);
  uc_mem_read(uc, kStackAddr, s.stack.data(), kStackSize);
  r.ok = true;
  return r;
}

// --- Comparison and reports --------------------------------------------------

std::string compare_states(const Case& c, const MachineState& x, const MachineState& y,
                           bool compare_rip) {
  std::string out;
  char line[160];
  for (int i = 0; i < 16; ++i)
    if (x.gpr[i] != y.gpr[i]) {
      std::snprintf(line, sizeof line, "  %s: %s vs %s\n", kGprNames[i], hex64(x.gpr[i]).c_str(),
                    hex64(y.gpr[i]).c_str());
      out += line;
    }
  const uint64_t m = kCompared & ~c.undefined_flags;
  if ((x.rflags & m) != (y.rflags & m)) {
    std::snprintf(line, sizeof line, "  flags: [%s] vs [%s] (differ: %s)\n",
                  flags_text(x.rflags & m).c_str(), flags_text(y.rflags & m).c_str(),
                  flags_text((x.rflags ^ y.rflags) & m).c_str());
    out += line;
  }
  if (compare_rip && x.rip != y.rip) out += "  rip: " + hex64(x.rip) + " vs " + hex64(y.rip) + "\n";
  for (int i = 0; i < 16; ++i)
    if (x.xmm[i][0] != y.xmm[i][0] || x.xmm[i][1] != y.xmm[i][1]) {
      std::snprintf(line, sizeof line, "  xmm%d: %016llx:%016llx vs %016llx:%016llx\n", i,
                    (unsigned long long)x.xmm[i][1], (unsigned long long)x.xmm[i][0],
                    (unsigned long long)y.xmm[i][1], (unsigned long long)y.xmm[i][0]);
      out += line;
    }
  // Exception status bits (0-5) are not tracked by Unicorn's softfloat glue.
  if (c.compare_mxcsr && (x.mxcsr & ~0x3Fu) != (y.mxcsr & ~0x3Fu)) {
    std::snprintf(line, sizeof line, "  mxcsr: 0x%x vs 0x%x\n", x.mxcsr, y.mxcsr);
    out += line;
  }
  auto bytes = [&](const char* what, uint64_t base, const std::vector<uint8_t>& a,
                   const std::vector<uint8_t>& b) {
    unsigned shown = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
      if (a[i] != b[i]) {
        if (shown++ < 16) {
          std::snprintf(line, sizeof line, "  %s byte 0x%llx: %02x vs %02x\n", what,
                        (unsigned long long)(base + i), a[i], b[i]);
          out += line;
        }
      }
    if (shown > 16) out += "  ... " + std::to_string(shown - 16) + " more " + what + " bytes\n";
  };
  bytes("data", kDataAddr, x.data, y.data);
  bytes("stack", kStackAddr, x.stack, y.stack);
  return out;
}

std::string hex_bytes(const std::vector<uint8_t>& b) {
  std::string s;
  char t[4];
  for (uint8_t v : b) {
    std::snprintf(t, sizeof t, "%02x ", v);
    s += t;
  }
  if (!s.empty()) s.pop_back();
  return s;
}

std::string format_state(const MachineState& s) {
  std::string out;
  char line[200];
  for (int i = 0; i < 16; i += 4) {
    std::snprintf(line, sizeof line, "    %-3s=%s %-3s=%s %-3s=%s %-3s=%s\n", kGprNames[i],
                  hex64(s.gpr[i]).c_str(), kGprNames[i + 1], hex64(s.gpr[i + 1]).c_str(),
                  kGprNames[i + 2], hex64(s.gpr[i + 2]).c_str(), kGprNames[i + 3],
                  hex64(s.gpr[i + 3]).c_str());
    out += line;
  }
  std::snprintf(line, sizeof line, "    rflags=0x%llx [%s] rip=%s mxcsr=0x%x\n",
                (unsigned long long)s.rflags, flags_text(s.rflags).c_str(), hex64(s.rip).c_str(),
                s.mxcsr);
  out += line;
  for (int i = 0; i < 16; ++i)
    if (s.xmm[i][0] != 0 || s.xmm[i][1] != 0) {
      std::snprintf(line, sizeof line, "    xmm%d=%016llx:%016llx\n", i, (unsigned long long)s.xmm[i][1],
                    (unsigned long long)s.xmm[i][0]);
      out += line;
    }
  return out;
}

std::string describe_mismatch(const Case& c, const char* na, const RunResult& a, const char* nb,
                              const RunResult& b, const std::string& diff) {
  std::string out = "template: " + c.name + "\n  bytes: " + hex_bytes(c.code) + " (+ 0f 05)\n";
  out += "  initial state:\n" + format_state(c.init);
  out += std::string("  ") + na + (a.ok ? ":\n" + format_state(a.final_state) : ": " + a.error + "\n");
  out += std::string("  ") + nb + (b.ok ? ":\n" + format_state(b.final_state) : ": " + b.error + "\n");
  if (!diff.empty()) out += std::string("  differences (") + na + " vs " + nb + "):\n" + diff;
  return out;
}

}  // namespace capvm::difftest
