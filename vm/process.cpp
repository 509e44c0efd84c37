// Process start-up: the sandbox, the program image, the vDSO, the stack, the
// initial TLS area, argdata and the auxiliary vector (cloudabi.txt: auxv and
// tcb; spec/README.md "How a guest enters a syscall"), then the run loop.
#include <sched.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "abi/types.h"
#include "hostio/guest_time.h"
#include "translator/aarch64/a64_context.h"
#include "translator/aarch64/a64_decoder.h"
#include "translator/x86_64/guest_context.h"
#include "vm/process_state.h"
#include "vm/signals.h"
#include "vm/vdso.h"

namespace capvm::vm {

namespace {

constexpr uint64_t kStackSize = 8 * 1024 * 1024;
constexpr uint64_t kStackGuard = 64 * 1024;

void fill_random(void* buf, size_t len) {
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    const ssize_t n = getrandom(p, len, 0);
    if (n <= 0) continue;
    p += n;
    len -= static_cast<size_t>(n);
  }
}

// The vDSO, auxiliary vector and argdata region is at most this large (the
// launcher's argdata is bounded far below it; cli/yaml_config.h).
constexpr uint64_t kStartRegionMax = uint64_t{1} << 31;

// CPUs this process may run on (what nproc(1) prints): the guest's ncpus.
long available_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return sysconf(_SC_NPROCESSORS_ONLN);
}

struct Auxv {
  uint64_t type;
  uint64_t value;
};

bool start_process(Process& p, std::string* error) {
  const RunOptions& o = *p.options;
  if (o.log_fd >= 0) {
    p.diag = fdopen(o.log_fd, "a");
    if (p.diag == nullptr) p.diag = stderr;
  } else if (!o.log_file.empty()) {
    p.diag = std::fopen(o.log_file.c_str(), "w");
    if (p.diag == nullptr) {
      p.diag = stderr;
      *error = "cannot open the log file " + o.log_file;
      return false;
    }
  }
  if (o.strace) p.tracer = std::make_unique<SyscallTracer>(p.diag, o.strace_filter);
  hostio::set_time_policy({o.clock_precision_ns, o.deterministic, o.seed});
  p.fds.set_limit(o.max_fds);
  if (o.max_threads != 0) p.max_threads = o.max_threads;
  if (!process_count::init(o.max_processes, o.process_count_fd, error)) return false;
  if (o.timeout_ns != 0) {
    Process* pp = &p;
    start_watchdog(o.timeout_ns, [pp] {
      report(*pp, "stopped by --timeout");
      end_process(kExitTimeout);
    });
  }
  p.memory = GuestMemory::create(o.sandbox_size, error);
  if (!p.memory) return false;
  GuestMemory& mem = *p.memory;
  mem.set_memory_limit(o.max_memory);

  if (!load_elf(o.program.data(), o.program.size(), mem, &p.image, error)) return false;
  p.arch = p.image.arch;

  // Stack with an inaccessible guard below it.
  GuestAddr stack = 0;
  if (mem.map(&stack, kStackSize + kStackGuard, kProtRead | kProtWrite, false) != abi::E_SUCCESS ||
      mem.protect(stack, kStackGuard, kProtNone) != abi::E_SUCCESS) {
    *error = "cannot map the stack";
    return false;
  }
  const GuestAddr stack_top = stack + kStackGuard + kStackSize;

  // Canary, process UUID (v4), the main thread's tid.
  struct {
    uint8_t canary[16];
    uint8_t uuid[16];
  } blob;
  fill_random(&blob, sizeof blob);  // canary and UUID from one call
  std::memcpy(p.uuid, blob.uuid, 16);
  p.uuid[6] = static_cast<uint8_t>((p.uuid[6] & 0x0F) | 0x40);  // version 4
  p.uuid[8] = static_cast<uint8_t>((p.uuid[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::memcpy(blob.uuid, p.uuid, 16);
  p.main_tid = new_tid();
  set_current_tid(p.main_tid);

  // Initial TLS area: fs points at a word holding the TCB's address, and the
  // TCB (cloudabi.txt: tcb) follows it.
  struct {
    uint64_t tcb_address;
    uint64_t tcb_parent;
  } tls_area = {0, 0};
  GuestAddr tls = 0;
  if (mem.map(&tls, kGuestPageSize, kProtRead | kProtWrite, false) != abi::E_SUCCESS) {
    *error = "cannot map the TLS area";
    return false;
  }
  tls_area.tcb_address = tls + 8;
  mem.write(tls, &tls_area, sizeof tls_area);

  // The vDSO (laid out with vaddr 0 at its ELF header), then the auxiliary
  // vector, the data it points to and the argdata: one read-only region, so
  // one fill and one change of host protection instead of four (each such
  // change rewrites page-table entries, which is slow under virtualised
  // paging: bench/README.md, start-up). The vDSO's pages are then made
  // read+exec for the guest; on the host they stay read-only either way.
  const std::vector<uint8_t> vdso =
      build_vdso(p.arch == GuestArch::kAarch64 ? VdsoArch::kAarch64 : VdsoArch::kX86_64);
  const uint64_t vdso_len = (vdso.size() + kGuestPageSize - 1) & ~(kGuestPageSize - 1);
  constexpr size_t kAuxvEntries = 13;
  const uint64_t auxv_off = vdso_len;
  const uint64_t blob_off = auxv_off + kAuxvEntries * sizeof(Auxv);
  const uint64_t argdata_off = blob_off + sizeof blob;
  const uint64_t region_len = argdata_off + o.argdata.size();
  GuestAddr region = 0;
  if (region_len > kStartRegionMax || mem.map(&region, region_len, kProtNone, false) != abi::E_SUCCESS) {
    *error = "cannot map the vDSO, argdata and auxiliary vector";
    return false;
  }
  p.vdso_base = region;
  p.vdso_size = vdso.size();
  const VdsoLayout vdso_parts =
      vdso_layout(p.arch == GuestArch::kAarch64 ? VdsoArch::kAarch64 : VdsoArch::kX86_64);
  p.vdso_code = region + vdso_parts.code_offset;
  p.vdso_code_end = p.vdso_code + vdso_parts.code_size;
  const GuestAddr blob_at = region + blob_off;
  const long ncpus = available_cpus();
  const Auxv auxv[kAuxvEntries] = {
      {abi::AUX_ARGDATA, region + argdata_off},
      {abi::AUX_ARGDATALEN, o.argdata.size()},
      {abi::AUX_BASE, p.image.base},
      {abi::AUX_CANARY, blob_at},
      {abi::AUX_CANARYLEN, 16},
      {abi::AUX_NCPUS, static_cast<uint64_t>(ncpus > 0 ? ncpus : 1)},
      {abi::AUX_PAGESZ, kGuestPageSize},
      {abi::AUX_PHDR, p.image.phdr},
      {abi::AUX_PHNUM, p.image.phnum},
      {abi::AUX_PID, blob_at + 16},
      {abi::AUX_SYSINFO_EHDR, p.vdso_base},
      {abi::AUX_TID, p.main_tid},
      {abi::AUX_NULL, 0},
  };
  std::vector<uint8_t> bytes(region_len);
  std::memcpy(bytes.data(), vdso.data(), vdso.size());
  std::memcpy(bytes.data() + auxv_off, auxv, sizeof auxv);
  std::memcpy(bytes.data() + blob_off, &blob, sizeof blob);
  if (!o.argdata.empty()) std::memcpy(bytes.data() + argdata_off, o.argdata.data(), o.argdata.size());
  if (mem.map_filled(&region, region_len, kProtRead, true, {0, bytes.data(), bytes.size()}) !=
          abi::E_SUCCESS ||
      mem.protect(region, vdso_len, kProtRead | kProtExec) != abi::E_SUCCESS) {
    *error = "cannot map the vDSO, argdata and auxiliary vector";
    return false;
  }
  const GuestAddr auxv_at = region + auxv_off;

  // Fds named by the launcher.
  for (const FdGrant& g : o.fds) {
    const abi::Errno e = p.fds.adopt(g);
    if (e != abi::E_SUCCESS) {
      *error = "cannot hand fd " + std::to_string(g.guest_fd) + " to the guest: " + abi::errno_name(e);
      return false;
    }
  }

  if (o.perf_map) {
    p.symbols.load(o.program.data(), o.program.size(), p.image.base);
    if (!p.perf_map.open(error)) return false;
  }
  if (!p.make_translator(error)) return false;
  if (!install_fault_handlers(error) || !install_thread_altstack(error) ||
      !p.prepare_translator_thread(error))
    return false;
  // The entry point is called like a C function taking the auxv address.
  p.init_thread_registers(p.image.entry, stack_top, tls, auxv_at, 0);
  return true;
}

}  // namespace

bool Process::make_translator(std::string* error) {
  if (arch == GuestArch::kAarch64) {
    // LLVM's disassembler is loaded now, for aarch64 guests only, unless the
    // decode memo knows this capvm and plugin (then at its first miss).
    const std::string& memo = options->decode_memo_dir;
    if (!(memo.empty() ? aarch64::Decoder::load(error)
                       : aarch64::Decoder::load_with_memo(memo, options->program.data(),
                                                          options->program.size(), error)))
      return false;
    a64 = std::make_unique<aarch64::Translator>(*memory, translate_options_a64());
    aarch64::Translator* tr = a64.get();
    memory->set_exec_invalidator([tr](GuestAddr a, uint64_t len) { tr->invalidate(a, len); });
  } else {
    translator = std::make_unique<x86_64::Translator>(*memory, translate_options());
    x86_64::Translator* tr = translator.get();
    memory->set_exec_invalidator([tr](GuestAddr a, uint64_t len) { tr->invalidate(a, len); });
  }
  return true;
}

bool Process::prepare_translator_thread(std::string* error) {
  return arch == GuestArch::kAarch64 ? a64->prepare_thread(error) : translator->prepare_thread(error);
}

void Process::init_thread_registers(uint64_t entry, uint64_t sp_top, uint64_t tls, uint64_t arg0,
                                    uint64_t arg1) {
  // The thread area holds a word with the TCB's address, then the TCB
  // (cloudabi.txt: tcb; spec/README.md "Thread-local storage").
  if (arch == GuestArch::kAarch64) {
    // sp 16-byte aligned; tpidr_el0 holds the TCB address.
    aarch64::A64Context& ctx = aarch64::this_thread_context();
    std::memset(ctx.x, 0, sizeof ctx.x);
    std::memset(ctx.v, 0, sizeof ctx.v);
    ctx.x[0] = arg0;
    ctx.x[1] = arg1;
    ctx.x[aarch64::kSp] = sp_top & ~uint64_t{15};
    ctx.pc = entry;
    ctx.tpidr_el0 = tls + 8;
    aarch64::set_fpcr(ctx, 0);
    ctx.fpsr = 0;
    ctx.monitor_size = 0;
    aarch64::set_nzcv(ctx, 0);
    return;
  }
  // rsp is 8 modulo 16, a (zero) return-address slot; fs points at the word.
  x86_64::GuestContext& ctx = x86_64::this_thread_context();
  std::memset(ctx.gpr, 0, sizeof ctx.gpr);
  ctx.gpr[x86_64::kRdi] = arg0;
  ctx.gpr[x86_64::kRsi] = arg1;
  ctx.gpr[x86_64::kRsp] = (sp_top & ~uint64_t{15}) - 8;
  ctx.rflags = 0x202;
  ctx.rip = entry;
  ctx.fs_base = tls;
}

namespace {
uint64_t a64_counter() {
  // cntvct_el0: the guest's monotonic clock like every clock it sees
  // (coarsened or virtual), counted from the first read.
  static const uint64_t origin = [] {
    uint64_t ns = 0;
    hostio::guest_clock_now(CLOCK_MONOTONIC, &ns);
    return ns;
  }();
  uint64_t ns = 0;
  hostio::guest_clock_now(CLOCK_MONOTONIC, &ns);
  return ns - origin;
}
}  // namespace

aarch64::TranslateOptions Process::translate_options_a64() {
  aarch64::TranslateOptions t;
  t.max_block_insns = options->max_block_insns == 0 ? 64 : options->max_block_insns;
  t.dump_blocks = options->dump_blocks;
  t.dump_stream = diag;
  t.read_counter = a64_counter;
  t.counter_frequency = 1000000000;
  if (options->perf_map) {
    t.on_block = [this](uint64_t guest_pc, uint64_t, const void* host, size_t size) {
      perf_map.add(guest_pc, host, size, symbols);
    };
  }
  return t;
}

x86_64::TranslateOptions Process::translate_options() {
  x86_64::TranslateOptions t;
  t.max_block_insns = options->max_block_insns;
  t.dump_blocks = options->dump_blocks;
  t.dump_stream = diag;
  t.syscall_hook = serve_syscall_in_place;
  t.vdso_code = vdso_code;
  t.vdso_code_end = vdso_code_end;
  if (options->perf_map) {
    t.on_block = [this](uint64_t guest_pc, uint64_t, const void* host, size_t size) {
      perf_map.add(guest_pc, host, size, symbols);
    };
  }
  // rdtsc/rdtscp: the guest's monotonic clock (coarsened or virtual like
  // every clock it sees), counted from the first read so it reveals nothing
  // of the host's uptime.
  t.guest_counter = [] {
    static const uint64_t origin = [] {
      uint64_t ns = 0;
      hostio::guest_clock_now(CLOCK_MONOTONIC, &ns);
      return ns;
    }();
    uint64_t ns = 0;
    hostio::guest_clock_now(CLOCK_MONOTONIC, &ns);
    return ns - origin;
  };
  return t;
}

int run_program(const RunOptions& options) {
  Process p;
  p.options = &options;
  std::string error;
  if (!start_process(p, &error)) {
    report(p, error);
    return kExitCapvmError;
  }
  const ThreadEnd end = run_guest_thread(p);
  if (end.process_ends) end_process(end.status, end.signal);
  // The main guest thread exited: the process lives on while others run.
  thread_exited(p);
  std::unique_lock<std::mutex> lock(p.thread_mutex);
  p.all_exited.wait(lock, [&] { return p.live_threads == 0; });
  end_process(0);
}

}  // namespace capvm::vm
