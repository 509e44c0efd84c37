// The aarch64 code cache: blocks by guest pc, direct-branch linking, the
// indirect-branch table, invalidation, and entering translated code.
#include "translator/aarch64/translator.h"

#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <new>

#include "translator/common/block_code.h"
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

Translator::Impl::Impl(vm::GuestMemory& m, const TranslateOptions& o)
    : mem(m), options(o) {
  table = static_cast<Block**>(std::calloc(kLookupEntries, sizeof(Block*)));
  if (table == nullptr) throw std::bad_alloc();
}

Translator::Translator(vm::GuestMemory& memory, const TranslateOptions& options)
    : impl_(std::make_unique<Impl>(memory, options)) {
  std::string error;
  if (!impl_->build_stubs(&error)) {
    impl_.reset();
  }
}

Translator::~Translator() {
  if (impl_) std::free(impl_->table);
}

bool Translator::prepare_thread(std::string* error) {
  if (!impl_) {
    *error = "the code cache could not be created";
    return false;
  }
  A64Context& ctx = this_thread_context();
  ctx.lookup_table = reinterpret_cast<uint64_t>(impl_->table);
  // The guest's memory segment: translated code addresses guest memory as
  // gs:[32-bit offset]. glibc does not use gs on x86-64.
  if (syscall(SYS_arch_prctl, ARCH_SET_GS, reinterpret_cast<unsigned long>(impl_->mem.host_base())) != 0) {
    *error = "cannot set the sandbox segment base (arch_prctl)";
    return false;
  }
  return true;
}

LookupResult Translator::lookup(uint64_t pc, bool indirect) {
  // A64 instructions are 4-aligned; Linux delivers SIGBUS (BUS_ADRALN) for
  // a misaligned pc.
  if (pc & 3) return {nullptr, SIGBUS};
  // The table translated code trusts for indirect branches: a slot names a
  // block of exactly that pc, invalidation clears it, and blocks are never
  // freed (so a slot read here stays a Block to read). The run loop comes
  // here after every system call; this spares it the lock and the hash.
  if (indirect) {
    const Block* b = __atomic_load_n(&impl_->table[lookup_index(pc)], __ATOMIC_ACQUIRE);
    if (b != nullptr && b->guest_pc == pc) return {b, 0};
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->blocks.find(pc);
  if (it != impl_->blocks.end()) return {it->second, 0};
  int signal = 0;
  Block* b = impl_->translate_locked(pc, &signal);
  if (b == nullptr) return {nullptr, signal};
  impl_->blocks.emplace(pc, b);
  impl_->by_host.emplace(reinterpret_cast<uintptr_t>(b->rx), b);
  __atomic_store_n(&impl_->table[lookup_index(pc)], b, __ATOMIC_RELEASE);
  return {b, 0};
}

void Translator::link(uint64_t site, const Block* target) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Block* t = const_cast<Block*>(target);
  if (!t->valid) return;
  // Find the block that owns the site, to write through its writable view.
  auto it = impl_->by_host.upper_bound(static_cast<uintptr_t>(site));
  if (it == impl_->by_host.begin()) return;
  --it;
  Block* src = it->second;
  if (!src->valid || site < reinterpret_cast<uint64_t>(src->rx) ||
      site + 5 > reinterpret_cast<uint64_t>(src->rx) + src->size)
    return;
  const int64_t rel = static_cast<int64_t>(t->host_code) - static_cast<int64_t>(site + 5);
  if (rel < INT32_MIN || rel > INT32_MAX) return;  // too far: stay unlinked
  auto* rel_rw = reinterpret_cast<int32_t*>(src->rw + (site + 1 - reinterpret_cast<uint64_t>(src->rx)));
  __atomic_store_n(rel_rw, static_cast<int32_t>(rel), __ATOMIC_RELEASE);
  t->incoming.push_back(site);
}

void Translator::Impl::unlink_locked(Block* b) {
  // Point every site that jumps here back at its own slow path (rel32 = 0
  // continues at the instruction after the jmp).
  for (uint64_t site : b->incoming) {
    auto it = by_host.upper_bound(static_cast<uintptr_t>(site));
    if (it == by_host.begin()) continue;
    --it;
    Block* src = it->second;
    auto* rel_rw = reinterpret_cast<int32_t*>(src->rw + (site + 1 - reinterpret_cast<uint64_t>(src->rx)));
    __atomic_store_n(rel_rw, 0, __ATOMIC_RELEASE);
  }
  b->incoming.clear();
}

void Translator::invalidate(uint64_t addr, uint64_t len) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const uint64_t end = addr + len;
  for (auto it = impl_->blocks.begin(); it != impl_->blocks.end();) {
    Block* b = it->second;
    if (b->peek_lo < end && b->peek_hi > addr) {
      b->valid = false;
      impl_->unlink_locked(b);
      Block*& slot = impl_->table[lookup_index(b->guest_pc)];
      if (slot == b) __atomic_store_n(&slot, static_cast<Block*>(nullptr), __ATOMIC_RELEASE);
      // The host code stays allocated: another thread may still be inside
      // it, and its pc map still serves fault reports.
      it = impl_->blocks.erase(it);
    } else {
      ++it;
    }
  }
}

ExitReason Translator::run(const Block* block) {
  A64Context& ctx = this_thread_context();
  ctx.jump_to = block->host_code;
  ctx.exit_reason = static_cast<uint64_t>(ExitReason::kNone);
  reinterpret_cast<void (*)(A64Context*)>(impl_->entry_stub)(&ctx);
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
  block->host_code = reinterpret_cast<uint64_t>(out.rx);
  return true;
}

}  // namespace capvm::aarch64
