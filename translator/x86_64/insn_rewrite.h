// The decoder adapter and the instruction-level rewrites: fetching guest
// code from executable pages only, classifying each instruction, and
// confining explicit memory operands to the sandbox segment.
#pragma once

#include <Zydis/Zydis.h>
#include <asmjit/x86.h>

#include <cstdint>
#include <vector>

#include "translator/x86_64/translator_impl.h"

namespace capvm::x86_64 {

struct DecodedInsn {
  uint64_t pc = 0;
  uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH] = {};
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  uint64_t branch_target = 0;  // relative branches: absolute guest target
};

enum class FetchStatus { kOk, kNoCode, kInvalid };
// Decodes the instruction at pc from executable guest pages. kNoCode when pc
// (or a byte of the instruction) is not on an executable page.
FetchStatus fetch_and_decode(const vm::GuestMemory& mem, uint64_t pc, DecodedInsn* out);

// Guest code for one block, fetched a run of bytes at a time: one protection
// check and one guarded copy per run rather than per instruction. Each run is
// a snapshot taken under the same rules as a single fetch (executable pages
// only), so what a block decodes is what the guest's pages held.
class CodeWindow {
 public:
  explicit CodeWindow(const vm::GuestMemory& mem) : mem_(mem) {}
  // Points *bytes at the code at pc; returns how many may be decoded there:
  // at most 15, none from a page that is not executable. 0: pc is not on an
  // executable page (or the page went away while it was read).
  size_t at(uint64_t pc, const uint8_t** bytes);

 private:
  bool refill(uint64_t pc);
  static constexpr size_t kBytes = 1024;
  const vm::GuestMemory& mem_;
  uint64_t start_ = 0;
  size_t len_ = 0;
  bool ends_code_ = false;  // the byte after the run is not executable
  uint8_t buf_[kBytes];
};
FetchStatus fetch_and_decode(CodeWindow& window, uint64_t pc, DecodedInsn* out);

enum class InsnClass {
  kCopy,     // no memory access, no control flow: copied verbatim
  kMemory,   // explicit memory operand: confined and copied
  kLeaRip,   // lea of a rip-relative address: a constant
  kStack,    // push/pop/pushfq/popfq/leave
  kBranch,   // jmp/jcc/call/ret/loop/jrcxz
  kSyscall,  // syscall
  kHelper,   // string instructions, rdtsc & co: emulated by the dispatcher
  kTrap,     // int3 / int n
  kIllegal,  // forbidden or unsupported: guest SIGILL
};
InsnClass classify(const DecodedInsn& d);

// Whether the instruction reads or writes guest vector state beyond XMM0-15
// and MXCSR: the x87/MMX registers and control words, YMM/ZMM upper parts,
// XMM16-31, opmasks, AMX tiles, or a whole-state image (fxsave, xsave*,
// xgetbv's in-use bitmap). Until a thread runs such an instruction its
// vector state is just XMM0-15 and MXCSR (translator.h, "Vector state").
bool needs_full_vector_state(const DecodedInsn& d);

// Index 0..15 of the 64-bit register enclosing `reg`, or -1.
int gpr_index(ZydisRegister reg);

inline constexpr unsigned kNoScratch = ~0u;
// A register among rax, rcx, rdx, rbx, rsi, rdi that the instruction does
// not touch in any way, or kNoScratch.
unsigned pick_scratch(const DecodedInsn& d);

const ZydisDecodedOperand* explicit_memory_operand(const DecodedInsn& d);

// Re-encodes the instruction into *bytes (replacing what it held) so its
// memory operand is gs-relative with 32-bit addressing. When the operand cannot be expressed that way directly
// (fs-relative guest TLS) *scratch names a register S the caller must load
// with the effective address; the bytes then address gs:[S].
bool rewrite_memory_insn(const DecodedInsn& d, const ZydisDecodedOperand& op,
                         std::vector<uint8_t>* bytes, unsigned* scratch);

// Emits a rewritten instruction, wrapped (when scratch != kNoScratch) in a
// save of S, the effective-address computation into S, and its restore.
void emit_confined(asmjit::x86::Assembler& a, const Translator::Impl& t, const DecodedInsn& d,
                   const ZydisDecodedOperand& op, const std::vector<uint8_t>& bytes,
                   unsigned scratch);

// Computes the guest effective address of `op` (fs base included) into the
// 64-bit register `dst` without touching flags.
void emit_effective_address(asmjit::x86::Assembler& a, const Translator::Impl& t,
                            const DecodedInsn& d, const ZydisDecodedOperand& op, unsigned dst);

}  // namespace capvm::x86_64
