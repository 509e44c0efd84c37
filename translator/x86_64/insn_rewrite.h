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

// Index 0..15 of the 64-bit register enclosing `reg`, or -1.
int gpr_index(ZydisRegister reg);

inline constexpr unsigned kNoScratch = ~0u;
// A register among rax, rcx, rdx, rbx, rsi, rdi that the instruction does
// not touch in any way, or kNoScratch.
unsigned pick_scratch(const DecodedInsn& d);

const ZydisDecodedOperand* explicit_memory_operand(const DecodedInsn& d);

// Re-encodes the instruction so its memory operand is gs-relative with
// 32-bit addressing. When the operand cannot be expressed that way directly
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
