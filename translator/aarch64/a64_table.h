// The one table of supported A64 instructions (STYLE.md: "one instruction
// table drives the decoder and the tests"). a64_table.inc lists every LLVM MC
// opcode name capvm translates, with its lowering class, the differential
// test's generator hint and a sample encoding (its assembly in a comment).
// The decoder maps LLVM's opcode numbers onto Op by these names at start-up;
// an opcode not listed is reported unsupported (guest SIGILL), never guessed.
#pragma once

#include <cstdint>
#include <string_view>

namespace capvm::aarch64 {

// Lowering class: one lowering file per class family.
enum class InsnClass : uint8_t {
  kAddSubImm, kAddSubShifted, kAddSubExt, kAddSubCarry, kLogicImm, kLogicShifted,
  kMoveWide, kBitfield, kExtract, kShiftVar, kMulAdd, kDiv, kCondSel, kCondCmp,
  kBitOps, kPcRel, kLoadStore, kLoadLiteral, kPrefetch, kLoadStorePair,
  kBranchImm, kBranchCond, kBranchReg, kCompareBranch, kTestBranch, kSystem,
  kExclusive, kAtomic, kFpMove, kFpArith, kFpUnary, kFpFma, kFpCompare, kFpSelect,
  kFpConvert, kNeonLoadStore, kNeon,
};

// How the differential test builds inputs for an instruction.
enum class GenHint : uint8_t {
  kAny,     // random registers: no memory, no control flow
  kMem,     // a load/store: its base register is pointed into the data area
  kLit,     // pc-relative literal load: the literal lies in the code page
  kBranch,  // control flow: compare the next pc
  kExcl,    // exclusive/acquire/release: aligned address in the data area
  kNone,    // not generated (see the skip list in tests/translator_a64)
};

enum class Op : uint16_t {
#define A64_OP(name, cls, gen, sample) name,
#include "translator/aarch64/a64_table.inc"
#undef A64_OP
  kCount,
  kInvalid = kCount,
};

inline constexpr unsigned kOpCount = static_cast<unsigned>(Op::kCount);

struct OpInfo {
  const char* name;      // the LLVM MC opcode name
  InsnClass cls;
  GenHint gen;
  uint32_t sample;       // one valid encoding (for tests and tools)
};

OpInfo op_info(Op op);  // computed from constant tables: nothing to relocate or build
// Op for an LLVM opcode name, or Op::kInvalid.
Op op_by_name(std::string_view name);

}  // namespace capvm::aarch64
