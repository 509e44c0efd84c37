// The code cache: blocks by guest pc, direct-branch linking, the
// indirect-branch table, invalidation, and entering translated code.
#include "translator/x86_64/translator.h"

#include <asm/prctl.h>
#include <cpuid.h>
#include <sys/platform/x86.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <new>

#include "translator/common/block_code.h"
#include "translator/x86_64/translator_impl.h"

namespace capvm::x86_64 {

Translator::Impl::Impl(vm::GuestMemory& m, const TranslateOptions& o)
    : mem(m), options(o) {
  table = static_cast<int64_t*>(std::calloc(kLookupEntries, sizeof(int64_t)));
  if (table == nullptr) throw std::bad_alloc();
  sentinel.guest_pc = 1;
  sentinel.lookup_key = ~uint64_t{1};
  ctx_off = context_fs_offset();
  unsigned eax, ebx, ecx, edx;
  __cpuid_count(0xD, 0, eax, ebx, ecx, edx);
  xsave_size = ebx;  // bytes needed for the components enabled in XCR0
  // From glibc's record of CPU features (no second cpuid: each one leaves
  // the virtual machine on many hosts).
  has_xsaveopt = CPU_FEATURE_ACTIVE(XSAVEOPT);
  has_avx = CPU_FEATURE_ACTIVE(AVX);
  uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  xsave_mask = (uint64_t{hi} << 32) | lo;
}

Translator::Translator(vm::GuestMemory& memory, const TranslateOptions& options)
    : impl_(std::make_unique<Impl>(memory, options)) {
  std::string error;
  if (!impl_->build_stubs(&error)) {
    impl_.reset();
    return;
  }
  impl_->sentinel.indirect_entry = impl_->miss_stub;
  table_ = impl_->table;
  table_base_ = reinterpret_cast<uintptr_t>(&impl_->sentinel);
}

Translator::~Translator() {
  if (impl_) std::free(impl_->table);
}

bool Translator::prepare_thread(std::string* error) {
  if (!impl_) {
    *error = "the code cache could not be created";
    return false;
  }
  GuestContext& ctx = this_thread_context();
  if (ctx.xsave_area == nullptr) {
    void* area = impl_->xsave_size <= sizeof ctx.xsave_inline
                     ? ctx.xsave_inline
                     : std::aligned_alloc(64, (impl_->xsave_size + 63) & ~size_t{63});
    if (area == nullptr) {
      *error = "out of memory for the vector-state area";
      return false;
    }
    std::memset(area, 0, impl_->xsave_size);
    // Legacy area: MXCSR at byte 24 with every exception masked (the state a
    // process starts in). XSTATE_BV (byte 512) has only the SSE bit: the
    // first xrstor takes XMM0-15 from the legacy region, where the light
    // mode keeps them (translator.h, "Vector state"), and puts every other
    // component in its initial state.
    const uint32_t mxcsr = 0x1F80;
    std::memcpy(static_cast<uint8_t*>(area) + 24, &mxcsr, 4);
    const uint64_t xstate_bv = 2;
    std::memcpy(static_cast<uint8_t*>(area) + 512, &xstate_bv, 8);
    ctx.xsave_area = static_cast<uint8_t*>(area);
    ctx.vector_full = 0;
  }
  ctx.xsave_mask = impl_->xsave_mask;
  ctx.lookup_table = reinterpret_cast<uint64_t>(impl_->table);
  ctx.lookup_base = reinterpret_cast<uint64_t>(&impl_->sentinel);
  // The guest's memory segment: translated code addresses guest memory as
  // gs:[32-bit offset]. glibc does not use gs on x86-64.
  if (syscall(SYS_arch_prctl, ARCH_SET_GS, reinterpret_cast<unsigned long>(impl_->mem.host_base())) != 0) {
    *error = "cannot set the sandbox segment base (arch_prctl)";
    return false;
  }
  return true;
}

LookupResult Translator::lookup(uint64_t pc, bool indirect) {
  // First the indirect-branch table translated code itself trusts: a slot
  // names a block of exactly that pc, and invalidation clears it. The run
  // loop comes here after every syscall; this spares it the lock. Not for
  // direct targets: reading a slot of a page nobody touched yet is a fault.
  if (indirect && table_ != nullptr) {
    const int64_t slot = __atomic_load_n(&table_[lookup_index(pc)], __ATOMIC_ACQUIRE);
    if (slot != 0) {
      const auto* b = reinterpret_cast<const Block*>(table_base_ + slot);
      if (b->guest_pc == pc) return {b, 0};
    }
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Block* b = nullptr;
  auto it = impl_->blocks.find(pc);
  if (it != impl_->blocks.end()) {
    b = it->second;
  } else {
    int signal = 0;
    b = impl_->translate_locked(pc, &signal);
    if (b == nullptr) return {nullptr, signal};
    impl_->blocks.emplace(pc, b);
    impl_->by_host.emplace(reinterpret_cast<uintptr_t>(b->rx), b);
  }
  if (indirect) __atomic_store_n(&impl_->table[lookup_index(pc)], impl_->slot_value(b), __ATOMIC_RELEASE);
  return {b, 0};
}

void Translator::link(uint64_t site, const Block* target) {
  // `site`: the rx address of a patchable rel32 field (within one line).
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Block* t = const_cast<Block*>(target);
  if (!t->valid || !rel32_patchable(site)) return;
  // Find the block that owns the site, to write through its writable view.
  auto it = impl_->by_host.upper_bound(static_cast<uintptr_t>(site));
  if (it == impl_->by_host.begin()) return;
  --it;
  Block* src = it->second;
  if (!src->valid || site < reinterpret_cast<uint64_t>(src->rx) ||
      site + 4 > reinterpret_cast<uint64_t>(src->rx) + src->size)
    return;
  const int64_t rel = static_cast<int64_t>(t->host_code) - static_cast<int64_t>(site + 4);
  if (rel < INT32_MIN || rel > INT32_MAX) return;  // too far: stay unlinked
  uint8_t* rel_rw = src->rw + (site - reinterpret_cast<uint64_t>(src->rx));
  const int32_t before = load_rel32(rel_rw);
  store_rel32(rel_rw, static_cast<int32_t>(rel));
  t->incoming.emplace_back(site, before);
}

void Translator::Impl::unlink_locked(Block* b) {
  // Point every site that jumps here back at its own slow path.
  for (const auto& [site, before] : b->incoming) {
    auto it = by_host.upper_bound(static_cast<uintptr_t>(site));
    if (it == by_host.begin()) continue;
    --it;
    Block* src = it->second;
    store_rel32(src->rw + (site - reinterpret_cast<uint64_t>(src->rx)), before);
  }
  b->incoming.clear();
}

void Translator::invalidate(uint64_t addr, uint64_t len) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const uint64_t end = addr + len;
  for (auto it = impl_->blocks.begin(); it != impl_->blocks.end();) {
    Block* b = it->second;
    if (b->guest_pc < end && b->guest_end > addr) {
      b->valid = false;
      impl_->unlink_locked(b);
      int64_t& slot = impl_->table[lookup_index(b->guest_pc)];
      if (slot == impl_->slot_value(b)) __atomic_store_n(&slot, int64_t{0}, __ATOMIC_RELEASE);
      // The host code stays allocated: another thread may still be inside
      // it, and its pc map still serves fault reports.
      it = impl_->blocks.erase(it);
    } else {
      ++it;
    }
  }
}

ExitReason Translator::run(const Block* block) {
  GuestContext& ctx = this_thread_context();
  ctx.jump_to = block->host_code;
  ctx.exit_reason = static_cast<uint64_t>(ExitReason::kNone);
  reinterpret_cast<void (*)()>(impl_->entry_stub)();
  return static_cast<ExitReason>(ctx.exit_reason);
}

bool Translator::guest_pc_for_host(uintptr_t host_pc, uint64_t* guest_pc) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return translator::guest_pc_for_host_pc(impl_->by_host, host_pc, guest_pc);
}

uint64_t Translator::blocks_translated() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->owned.size();
}

bool Translator::Impl::install(asmjit::CodeHolder& code, Block* block) {
  translator::InstalledCode out;
  if (!translator::install_code(jit, code, &out)) return false;
  block->rx = out.rx;
  block->rw = out.rw;
  block->size = out.size;
  block->indirect_entry = reinterpret_cast<uint64_t>(out.rx);
  block->host_code = reinterpret_cast<uint64_t>(out.rx) + block->direct_entry_offset;
  return true;
}

}  // namespace capvm::x86_64
