// The aarch64 guest translator on an x86-64 host: guest blocks are decoded
// with LLVM MC (through a64_decoder.h), lowered with AsmJit into a W^X code
// cache (a writable and an executable view of the same memory), cached by
// guest address and chained. The same shape as x86_64::Translator so the
// dispatcher drives both alike: look up or translate, run, handle the exit.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "translator/aarch64/a64_context.h"
#include "vm/guest_memory.h"

namespace capvm::aarch64 {

struct TranslateOptions {
  unsigned max_block_insns = 64;  // 1 makes every instruction its own block
  // Direct exits in the compact form (block_builder.cpp, emit_exit_stub);
  // false: always the long form, which a block gets anyway when it lands
  // over 2 GiB from the shared branch-exit stub (the tests run both).
  bool compact_exit_stubs = true;
  bool dump_blocks = false;       // print guest instructions and host code per block
  std::FILE* dump_stream = nullptr;  // where dumps go (--log-file); stderr when null
  // cntvct_el0: a virtual counter (ticks of cntfrq_el0) read through this
  // function; null uses CLOCK_MONOTONIC in nanoseconds (cntfrq = 1 GHz).
  uint64_t (*read_counter)() = nullptr;
  uint64_t counter_frequency = 1000000000;
  // Called (translator lock held) for every new block: for the perf map.
  std::function<void(uint64_t guest_pc, uint64_t guest_end, const void* host, size_t size)> on_block;
};

struct Block;

struct LookupResult {
  const Block* block = nullptr;
  // SIGSEGV: pc not in executable guest memory; SIGBUS: pc not 4-aligned.
  int host_signal = 0;
};

class Translator {
 public:
  Translator(vm::GuestMemory& memory, const TranslateOptions& options);
  ~Translator();
  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;

  // Per host thread, before run(): the lookup table pointer in the context
  // and the sandbox segment base (gs, arch_prctl).
  bool prepare_thread(std::string* error);

  // The block starting at guest `pc`, translated on first use. `indirect`:
  // pc is not a direct branch's target (the run loop after a system call or
  // an indirect-branch miss), so the indirect-branch table translated code
  // uses is tried first, without the lock; a direct target's slot is left
  // unread (the table's pages are touched only by the targets that use it).
  LookupResult lookup(uint64_t pc, bool indirect = true);

  // Patches the direct-branch site of the last kBranch exit (ctx.link_site)
  // to jump straight to `target`.
  void link(uint64_t site, const Block* target);

  // Runs translated code from `block` until it exits to the dispatcher; the
  // reason and the guest state are in this_thread_context().
  ExitReason run(const Block* block);

  // Drops every block with code in [addr, addr + len).
  void invalidate(uint64_t addr, uint64_t len);

  // Host pc inside translated code -> guest pc of its instruction.
  bool guest_pc_for_host(uintptr_t host_pc, uint64_t* guest_pc) const;

  uint64_t blocks_translated() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace capvm::aarch64
