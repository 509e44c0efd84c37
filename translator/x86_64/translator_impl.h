// Internal state of the x86-64 translator, shared by its source files.
#pragma once

#include <asmjit/x86.h>

#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "translator/common/code_cache.h"
#include "translator/x86_64/translator.h"

namespace capvm::x86_64 {

// Patching a rel32 (jmp/jcc displacement) while other threads may execute
// it: one 4-byte store is atomic on x86 when it stays within a cache line,
// aligned or not (Intel SDM vol. 3A 9.1.1; AMD APM vol. 2 7.3.2), and the
// code cache is 64-byte aligned, so offsets decide it at emission time.
inline bool rel32_patchable(uint64_t addr) { return addr / 64 == (addr + 3) / 64; }
inline void store_rel32(uint8_t* p, int32_t v) {
  asm volatile("movl %1, (%0)" : : "r"(p), "r"(v) : "memory");
}
inline int32_t load_rel32(const uint8_t* p) {
  int32_t v;
  asm volatile("movl (%1), %0" : "=r"(v) : "r"(p) : "memory");
  return v;
}

struct Block {
  // Read by the inline lookup (block_builder.cpp, lookup_rax): ~guest_pc,
  // so that one lea against the target gives zero on a match; and the
  // indirect entry, a load of rdx (which the lookup used) from scratch[2]
  // right before host_code.
  uint64_t lookup_key = 0;
  uint64_t indirect_entry = 0;
  uint64_t guest_pc = ~uint64_t{0};
  uint64_t host_code = 0;  // the direct entry: links and the run loop
  uint32_t direct_entry_offset = 0;  // host_code - indirect_entry
  uint64_t guest_end = 0;            // one past the last guest byte
  uint8_t* rx = nullptr;
  uint8_t* rw = nullptr;
  size_t size = 0;
  // Host offset of each guest instruction's first host byte, in order.
  std::vector<std::pair<uint32_t, uint64_t>> pc_map;
  // Link sites patched to jump here: the rx address of each rel32 field and
  // the value it held before (restored when this block is invalidated).
  std::vector<std::pair<uint64_t, int32_t>> incoming;
  bool valid = true;
};
static_assert(offsetof(Block, lookup_key) == 0 && offsetof(Block, indirect_entry) == 8);

// Size of the direct-mapped indirect-branch table (entries of Block*).
inline constexpr uint32_t kLookupBits = 16;
inline constexpr uint32_t kLookupEntries = 1u << kLookupBits;

struct Translator::Impl {
  Impl(vm::GuestMemory& m, const TranslateOptions& o);

  vm::GuestMemory& mem;
  TranslateOptions options;
  translator::CodeCache jit;  // W^X, perf-visible (code_cache.h)
  mutable std::mutex mutex;
  asmjit::CodeHolder holder;  // reused by translate_locked (mutex held)
  std::unordered_map<uint64_t, Block*> blocks;   // valid blocks by guest pc
  std::vector<std::unique_ptr<Block>> owned;     // every block ever made
  std::map<uintptr_t, Block*> by_host;           // host start -> block
  // Indirect-branch lookup: each slot holds (block - &sentinel), so the
  // zero pages of a fresh table all mean "the sentinel" and creating the
  // table touches no memory. The sentinel's pc (1, inside the never-mapped
  // null guard) matches no real target; its indirect entry is the miss
  // stub, in case a guest jumps to 1.
  Block sentinel;
  int64_t* table = nullptr;
  int64_t slot_value(const Block* b) const {
    return static_cast<int64_t>(reinterpret_cast<uintptr_t>(b) - reinterpret_cast<uintptr_t>(&sentinel));
  }
  uint64_t miss_stub = 0;  // the sentinel's indirect entry
  uint64_t entry_stub = 0;  // void(*)(void): enters guest code at ctx.jump_to
  uint64_t exit_stub = 0;   // saves guest state, returns from entry_stub
  uint64_t full_state_stub = 0;  // light -> full vector state, then jmp ctx.jump_to
  // Shared tail of a block's compact direct exit: link_site from link_rel,
  // the high half of rip cleared, exit reason kBranch, then the exit stub.
  uint64_t branch_exit_stub = 0;
  // An inline indirect-branch lookup's miss: rax, rcx, rdx back from
  // scratch[0..2], exit reason kIndirectMiss, then the exit stub.
  uint64_t lookup_miss_stub = 0;
  // With options.syscall_hook: saves the guest's state, calls the hook on
  // the host stack, and goes back to ctx.jump_to or out (stubs.cpp).
  uint64_t syscall_stub = 0;
  // The same for a vDSO stub's `syscall` (options.vdso_code): the C
  // convention's dead vector registers and flags are not saved (stubs.cpp).
  uint64_t syscall_vdso_stub = 0;
  uint32_t xsave_size = 0;
  uint64_t xsave_mask = 0;
  bool has_xsaveopt = false;
  bool has_avx = false;     // vzeroupper before light-mode guest code
  int32_t ctx_off = 0;      // fs displacement of GuestContext

  bool build_stubs(std::string* error);
  // Translates the block at pc (mutex held). Null with *signal set when the
  // first instruction cannot be fetched.
  Block* translate_locked(uint64_t pc, int* signal);
  // Emits and installs assembled code; returns rx address or null.
  bool install(asmjit::CodeHolder& code, Block* block);
  asmjit::x86::Mem ctx_mem(int32_t field_offset, uint32_t size) const;
  void unlink_locked(Block* b);
};

inline uint32_t lookup_index(uint64_t pc) { return static_cast<uint32_t>(pc) & (kLookupEntries - 1); }

}  // namespace capvm::x86_64
