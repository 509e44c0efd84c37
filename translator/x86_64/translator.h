// The x86-64 guest translator on an x86-64 host: guest blocks are decoded
// with Zydis and re-emitted with AsmJit into a W^X code cache (a writable
// and an executable view of the same memory), cached by guest address and
// chained. The dispatcher (vm/) drives it: look up or translate, run, handle
// the exit, repeat.
//
// Vector state. Every exit from translated code runs host C++ (the
// dispatcher, hostio, libc), which may use any vector register, so the stubs
// keep the guest's vector state in GuestContext::xsave_area across it. A
// guest built for x86-64 without -mavx uses only XMM0-15 and MXCSR, and
// xsaveopt/xrstor of every XCR0 component (AVX-512 included) cost about
// 150 ns more per exit than moving those 16 registers (bench/README.md,
// "Syscall path"). So a thread starts in the light mode: the stubs store and
// load XMM0-15 and MXCSR at their places in the xsave legacy region, and
// vzeroupper clears whatever upper halves host code left before the guest
// runs. The rest of the registers (x87, MMX, YMM/ZMM upper parts, XMM16-31,
// opmasks) then still hold the host's values, which no light-mode guest
// instruction can see. Each block checks, before its first instruction that
// needs more (needs_full_vector_state: any VEX/EVEX/XOP encoding, x87, MMX,
// fxsave/xsave/xgetbv), that its thread is in the full mode; if not, a
// shared stub stores the light state, marks the thread full and xrstors
// every component (x87 and AVX state from their initial values, as a fresh
// process has them), then resumes the block. Full is for good: from then on
// the stubs xsaveopt/xrstor as before.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "translator/x86_64/guest_context.h"
#include "vm/guest_memory.h"

namespace capvm::x86_64 {

struct TranslateOptions {
  unsigned max_block_insns = 64;  // 1 makes every instruction its own block
  bool dump_blocks = false;       // print guest and host disassembly per block
  // Direct exits in the compact form (block_builder.cpp, emit_exit_stub);
  // false: always the long form, which a block gets anyway when it lands
  // over 2 GiB from the shared branch-exit stub (the tests run both).
  bool compact_exit_stubs = true;
  std::FILE* dump_stream = nullptr;  // where dumps go; stderr when null
  // Called (translator lock held) for every new block: for the perf map.
  std::function<void(uint64_t guest_pc, uint64_t guest_end, const void* host, size_t size)> on_block;
  // The guest's time-stamp counter (rdtsc/rdtscp) in nanoseconds; when
  // empty, nanoseconds of the host's monotonic clock since start.
  std::function<uint64_t()> guest_counter;
  // Serves a guest `syscall` without leaving translated code, when set:
  // called from the syscall stub on the host stack, with the guest's
  // registers and flags in this thread's context (as after an exit with
  // ExitReason::kSyscall, ctx.rip the next pc). Returns 0 when it served the
  // call (the guest goes on with the registers it left there), non-zero to
  // leave to the dispatcher with the exit reason the context then holds.
  // Null: every syscall exits to the dispatcher.
  uint64_t (*syscall_hook)() = nullptr;
  // The guest's vDSO stubs [vdso_code, vdso_code_end) (vm/vdso.h): their
  // `syscall` follows the C calling convention, so with a hook it goes
  // through a stub that keeps only what that convention preserves (general
  // registers, MXCSR, x87 control word) and zeroes the vector registers.
  uint64_t vdso_code = 0;
  uint64_t vdso_code_end = 0;
};

// A translated block. The first two fields are read by generated code (the
// indirect-branch lookup), so their order is fixed.
struct Block;

// Outcome of a lookup: the block, or the guest signal for a pc that cannot
// be translated (not executable: SIGSEGV).
struct LookupResult {
  const Block* block = nullptr;
  int host_signal = 0;  // SIGSEGV when pc is not in executable guest memory
};

class Translator {
 public:
  Translator(vm::GuestMemory& memory, const TranslateOptions& options);
  ~Translator();
  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;

  // Prepares the calling thread's context for running guest code: the
  // vector-state save area, the lookup table, the sandbox segment base.
  // Call once per host thread before run().
  bool prepare_thread(std::string* error);

  // The block starting at guest `pc`, translated on first use. `indirect`:
  // pc is also a target translated code looks up (an indirect branch, a
  // return, the run loop's re-entry), so it goes into the indirect-branch
  // table; a target only direct branches reach is linked instead and stays
  // out of it (each table page a block enters is a page fault).
  LookupResult lookup(uint64_t pc, bool indirect = true);

  // Patches the direct-branch site the last exit came from so it jumps
  // straight to `target` next time.
  void link(uint64_t site, const Block* target);

  // Runs translated code from `block` on this thread until it exits to the
  // dispatcher; the reason and guest state are in this_thread_context().
  ExitReason run(const Block* block);

  // Drops every block with code in [addr, addr + len): called when guest
  // pages lose exec or are unmapped, so a guest JIT never runs stale code.
  void invalidate(uint64_t addr, uint64_t len);

  // Maps a host pc inside translated code to the guest pc of the instruction
  // it belongs to. False when the host pc is not translated code.
  bool guest_pc_for_host(uintptr_t host_pc, uint64_t* guest_pc) const;

  // Emulates the instruction at ctx.rip that translated code handed over
  // (string instructions, rdtsc/rdtscp/rdpmc) and advances ctx.rip. Returns
  // 0, or the host signal the guest takes (SIGSEGV for a bad access).
  int run_helper(GuestContext& ctx);

  uint64_t blocks_translated() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  // Copies of the indirect-branch table's address and base (the Impl's),
  // beside impl_: the run loop's lookup after an exit, when a host call has
  // evicted most of capvm, then reads this object's line, the slot and the
  // block, not the Impl's line as well.
  const int64_t* table_ = nullptr;
  uintptr_t table_base_ = 0;
};

}  // namespace capvm::x86_64
