// The two engines of the aarch64 differential tester and the comparison.
#include "tests/translator_a64/a64_diff.h"

#include <unicorn/unicorn.h>

#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "translator/aarch64/a64_decoder.h"
#include "vm/signals.h"

namespace capvm::a64diff {

namespace {

constexpr unsigned kRecreateEvery = 400;  // blocks are never freed: bound the cache
constexpr unsigned kMaxExits = 1000;

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(v));
  return b;
}

__attribute__((noinline)) bool run_guarded(aarch64::Translator& tr, const aarch64::Block* b,
                                           vm::HostFault* fault) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 0) != 0) return false;
  vm::arm_guest_fault_jump(&jb, fault);
  tr.run(b);
  vm::disarm_guest_fault_jump();
  return true;
}

// Catch2 installs its own fatal-signal handlers per test case; capvm's are
// put back while guest code runs (as in tests/translator/diff_harness.cpp).
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
struct sigaction g_capvm[5];
bool g_captured = false;

class HandlersInstalled {
 public:
  HandlersInstalled() {
    for (int i = 0; i < 5; ++i) sigaction(kSignals[i], &g_capvm[i], &saved_[i]);
  }
  ~HandlersInstalled() {
    for (int i = 0; i < 5; ++i) sigaction(kSignals[i], &saved_[i], nullptr);
  }

 private:
  struct sigaction saved_[5];
};

}  // namespace

// --- capvm -------------------------------------------------------------------

CapvmRunner::CapvmRunner(unsigned max_block_insns, bool compact_exits)
    : max_block_insns_(max_block_insns), compact_exits_(compact_exits) {
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
  if (!g_captured) {
    for (int i = 0; i < 5; ++i) sigaction(kSignals[i], nullptr, &g_capvm[i]);
    g_captured = true;
  }
  uint64_t a = kCodeAddr;
  if (mem_->map(&a, kCodeSize, vm::kProtRead | vm::kProtExec, true) != abi::E_SUCCESS) setup_error_ = "map code";
  a = kDataAddr;
  if (mem_->map(&a, kDataSize, vm::kProtRead | vm::kProtWrite, true) != abi::E_SUCCESS) setup_error_ = "map data";
  fresh_translator();
}

void CapvmRunner::fresh_translator() {
  aarch64::TranslateOptions o;
  o.max_block_insns = max_block_insns_;
  o.compact_exit_stubs = compact_exits_;
  o.dump_blocks = std::getenv("CAPVM_DIFF_DUMP") != nullptr;
  tr_.reset();
  tr_ = std::make_unique<aarch64::Translator>(*mem_, o);
  runs_ = 0;
}

bool CapvmRunner::ready(std::string* error) const {
  if (!setup_error_.empty()) *error = setup_error_;
  return setup_error_.empty();
}

Result CapvmRunner::run(const Case& c) {
  Result r;
  if (++runs_ > kRecreateEvery) fresh_translator();
  mem_->poke(kCodeAddr, c.code_page.data(), kCodeSize);
  tr_->invalidate(kCodeAddr, kCodeSize);
  mem_->write(kDataAddr, c.init.data.data(), kDataSize);
  std::string err;
  if (!tr_->prepare_thread(&err)) {
    r.error = "prepare_thread: " + err;
    return r;
  }
  aarch64::A64Context& ctx = aarch64::this_thread_context();
  std::memcpy(ctx.x, c.init.x, sizeof c.init.x);
  ctx.x[aarch64::kSp] = c.init.sp;
  ctx.pc = kCodeAddr;
  aarch64::set_nzcv(ctx, c.init.nzcv);
  ctx.tpidr_el0 = c.init.tpidr;
  aarch64::set_fpcr(ctx, 0);
  ctx.fpsr = 0;
  ctx.monitor_size = 0;
  std::memcpy(ctx.v, c.init.v, sizeof ctx.v);
  const uint64_t end = kCodeAddr + 4 * c.code.size();
  const HandlersInstalled handlers;
  uint64_t pending = 0;
  unsigned exits = 0;
  bool done = false;
  while (!done && ctx.pc >= kCodeAddr && ctx.pc < end) {
    if (++exits > kMaxExits) {
      r.error = "too many exits";
      return r;
    }
    const aarch64::LookupResult lr = tr_->lookup(ctx.pc);
    if (lr.block == nullptr) {
      r.error = "lookup failed at " + hex(ctx.pc);
      return r;
    }
    if (pending) {
      tr_->link(pending, lr.block);
      pending = 0;
    }
    vm::HostFault fault;
    if (!run_guarded(*tr_, lr.block, &fault)) {
      uint64_t gpc = 0;
      tr_->guest_pc_for_host(fault.host_pc, &gpc);
      r.error = std::string("fault ") + vm::host_signal_name(fault.signo) + " at guest pc " + hex(gpc) +
                " host address " + hex(fault.address);
      return r;
    }
    switch (static_cast<aarch64::ExitReason>(ctx.exit_reason)) {
      case aarch64::ExitReason::kBranch: pending = ctx.link_site; break;
      case aarch64::ExitReason::kIndirectMiss: break;
      case aarch64::ExitReason::kSyscall:
        // The terminator after the snippet (Unicorn stops in front of it).
        if (ctx.pc == end + 4) {
          ctx.pc = end;
          done = true;
          break;
        }
        r.error = "unexpected svc at " + hex(ctx.pc - 4);
        return r;
      case aarch64::ExitReason::kIllegal: {
        char b[96];
        std::snprintf(b, sizeof b, "SIGILL at %s encoding %08x", hex(ctx.pc).c_str(), ctx.illegal_encoding);
        r.error = b;
        return r;
      }
      default:
        r.error = "unexpected exit " + std::to_string(ctx.exit_reason) + " at " + hex(ctx.pc);
        return r;
    }
  }
  State& s = r.final_state;
  std::memcpy(s.x, ctx.x, sizeof s.x);
  s.sp = ctx.x[aarch64::kSp];
  s.pc = ctx.pc;
  s.nzcv = aarch64::nzcv(ctx);
  s.tpidr = ctx.tpidr_el0;
  s.fpsr = ctx.fpsr & aarch64::kFpsrMask;
  std::memcpy(s.v, ctx.v, sizeof s.v);
  s.data.resize(kDataSize);
  mem_->read(kDataAddr, s.data.data(), kDataSize);
  r.ok = true;
  return r;
}

// --- Unicorn -----------------------------------------------------------------

struct UnicornRunner::Impl {
  uc_engine* uc = nullptr;
  std::string error;
};

UnicornRunner::UnicornRunner(Cpu cpu) : impl_(std::make_unique<Impl>()) {
  if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &impl_->uc) != UC_ERR_OK ||
      (cpu == Cpu::kMax && uc_ctl_set_cpu_model(impl_->uc, UC_CPU_ARM64_MAX) != UC_ERR_OK)) {
    impl_->error = "uc_open";
    return;
  }
  if (uc_mem_map(impl_->uc, kCodeAddr, kCodeSize, UC_PROT_READ | UC_PROT_EXEC) != UC_ERR_OK ||
      uc_mem_map(impl_->uc, kDataAddr, kDataSize, UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK)
    impl_->error = "uc_mem_map";
}

UnicornRunner::~UnicornRunner() {
  if (impl_->uc) uc_close(impl_->uc);
}

bool UnicornRunner::ready(std::string* error) const {
  if (!impl_->error.empty()) *error = impl_->error;
  return impl_->error.empty();
}

Result UnicornRunner::run(const Case& c) {
  Result r;
  uc_engine* uc = impl_->uc;
  uc_mem_write(uc, kCodeAddr, c.code_page.data(), kCodeSize);
  uc_ctl_remove_cache(uc, kCodeAddr, kCodeAddr + kCodeSize);
  uc_mem_write(uc, kDataAddr, c.init.data.data(), kDataSize);
  for (int i = 0; i < 29; ++i) uc_reg_write(uc, UC_ARM64_REG_X0 + i, &c.init.x[i]);
  uc_reg_write(uc, UC_ARM64_REG_X29, &c.init.x[29]);
  uc_reg_write(uc, UC_ARM64_REG_X30, &c.init.x[30]);
  uc_reg_write(uc, UC_ARM64_REG_SP, &c.init.sp);
  uint64_t nzcv = c.init.nzcv;
  uc_reg_write(uc, UC_ARM64_REG_NZCV, &nzcv);
  uc_reg_write(uc, UC_ARM64_REG_TPIDR_EL0, &c.init.tpidr);
  uint64_t zero = 0;
  uc_reg_write(uc, UC_ARM64_REG_FPCR, &zero);
  uc_reg_write(uc, UC_ARM64_REG_FPSR, &zero);
  for (int i = 0; i < 32; ++i) {
    uint64_t q[2];
    std::memcpy(q, c.init.v[i], 16);
    uc_reg_write(uc, UC_ARM64_REG_Q0 + i, q);
  }
  const uint64_t end = kCodeAddr + 4 * c.code.size();
  const uc_err e = uc_emu_start(uc, kCodeAddr, end, 0, c.code.size());
  if (e != UC_ERR_OK) {
    r.error = std::string("unicorn: ") + uc_strerror(e);
    return r;
  }
  State& s = r.final_state;
  for (int i = 0; i < 29; ++i) uc_reg_read(uc, UC_ARM64_REG_X0 + i, &s.x[i]);
  uc_reg_read(uc, UC_ARM64_REG_X29, &s.x[29]);
  uc_reg_read(uc, UC_ARM64_REG_X30, &s.x[30]);
  uc_reg_read(uc, UC_ARM64_REG_SP, &s.sp);
  uc_reg_read(uc, UC_ARM64_REG_PC, &s.pc);
  uint64_t f = 0;
  uc_reg_read(uc, UC_ARM64_REG_NZCV, &f);
  s.nzcv = static_cast<uint32_t>(f) & 0xF0000000u;
  uc_reg_read(uc, UC_ARM64_REG_TPIDR_EL0, &s.tpidr);
  uint64_t fpsr = 0;
  uc_reg_read(uc, UC_ARM64_REG_FPSR, &fpsr);
  // Not IDC (an input flushed to zero under FPCR.FZ): capvm does not raise it
  // (x86's DAZ reports nothing; docs/design.md).
  s.fpsr = static_cast<uint32_t>(fpsr) & aarch64::kFpsrMask & ~aarch64::kFpsrIdc;
  for (int i = 0; i < 32; ++i) {
    uint64_t q[2];
    uc_reg_read(uc, UC_ARM64_REG_Q0 + i, q);
    std::memcpy(s.v[i], q, 16);
  }
  s.data.resize(kDataSize);
  uc_mem_read(uc, kDataAddr, s.data.data(), kDataSize);
  r.ok = true;
  return r;
}

// --- Comparison ----------------------------------------------------------------

std::string compare(const State& a, const State& b, bool flush_to_zero) {
  std::string d;
  for (int i = 0; i < 31; ++i)
    if (a.x[i] != b.x[i]) d += "  x" + std::to_string(i) + ": unicorn " + hex(a.x[i]) + " capvm " + hex(b.x[i]) + "\n";
  if (a.sp != b.sp) d += "  sp: unicorn " + hex(a.sp) + " capvm " + hex(b.sp) + "\n";
  if (a.pc != b.pc) d += "  pc: unicorn " + hex(a.pc) + " capvm " + hex(b.pc) + "\n";
  if (a.nzcv != b.nzcv) d += "  nzcv: unicorn " + hex(a.nzcv >> 28) + " capvm " + hex(b.nzcv >> 28) + "\n";
  if (a.tpidr != b.tpidr) d += "  tpidr_el0: unicorn " + hex(a.tpidr) + " capvm " + hex(b.tpidr) + "\n";
  uint32_t fa = a.fpsr, fb = b.fpsr;
  constexpr uint32_t kUfc = 1u << 3;
  if (flush_to_zero && (fa & kUfc) && (fb & kUfc)) {
    fa &= ~aarch64::kFpsrIxc;
    fb &= ~aarch64::kFpsrIxc;
  }
  if (fa != fb) d += "  fpsr: unicorn " + hex(a.fpsr) + " capvm " + hex(b.fpsr) + "\n";
  for (int i = 0; i < 32; ++i) {
    if (std::memcmp(a.v[i], b.v[i], 16) != 0) {
      uint64_t al[2], bl[2];
      std::memcpy(al, a.v[i], 16);
      std::memcpy(bl, b.v[i], 16);
      d += "  v" + std::to_string(i) + ": unicorn " + hex(al[1]) + ":" + hex(al[0]) + " capvm " + hex(bl[1]) +
           ":" + hex(bl[0]) + "\n";
    }
  }
  for (size_t i = 0; i < a.data.size() && i < b.data.size(); ++i) {
    if (a.data[i] != b.data[i]) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "  data byte at 0x%llx: unicorn %02x capvm %02x\n",
                    static_cast<unsigned long long>(kDataAddr + i), a.data[i], b.data[i]);
      d += buf;
      break;
    }
  }
  return d;
}

std::string describe(const Case& c, const Result& uc, const Result& cap, const std::string& diff) {
  const aarch64::Decoder& dec = aarch64::Decoder::get();
  std::string s = "case " + c.name + "\n";
  for (size_t i = 0; i < c.code.size(); ++i) {
    aarch64::Insn in;
    char b[32];
    std::snprintf(b, sizeof b, "  %08x  ", c.code[i]);
    s += b;
    s += dec.decode(c.code[i], kCodeAddr + 4 * i, &in) == aarch64::DecodeStatus::kOk ? aarch64::Decoder::format(in)
                                                                                     : dec.llvm_name(c.code[i]);
    s += "\n";
  }
  s += "initial:";
  for (int i = 0; i < 31; ++i) s += " x" + std::to_string(i) + "=" + hex(c.init.x[i]);
  s += " sp=" + hex(c.init.sp) + " nzcv=" + hex(c.init.nzcv >> 28) + "\n";
  for (int i = 0; i < 4; ++i) {
    uint64_t l[2];
    std::memcpy(l, c.init.v[i], 16);
    s += "  v" + std::to_string(i) + "=" + hex(l[1]) + ":" + hex(l[0]);
  }
  s += "\n";
  if (!uc.ok) s += "unicorn error: " + uc.error + "\n";
  if (!cap.ok) s += "capvm error: " + cap.error + "\n";
  return s + diff;
}

}  // namespace capvm::a64diff
