// The one table of instruction templates the differential tests are
// generated from (STYLE.md: "one instruction table drives the decoder and
// the tests"), and the list of instructions deliberately left out, with why.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tests/translator/diff_harness.h"

namespace capvm::difftest {

// Operand forms a template is generated in.
enum class Form {
  kAlu,       // op r,r / r,imm / r,m / m,r / m,imm (lock sometimes)
  kUnary,     // op r / op m
  kShift,     // op r/m, imm / cl
  kShiftD,    // shld/shrd r/m, r, imm / cl
  kMulDiv,    // mul/imul/div/idiv r/m (rdx:rax implicit)
  kImul,      // imul r, r/m and imul r, r/m, imm
  kExtend,    // movzx/movsx/movsxd r, r/m
  kLea,       // lea r, [base+index*scale+disp] and [rip+disp]
  kCmov,      // cmovcc r, r/m for all 16 conditions
  kSetcc,     // setcc r8/m8 for all 16 conditions
  kBitTest,   // bt/bts/btr/btc r/m, r/imm
  kBitScan,   // bsf/bsr/lzcnt/tzcnt/popcnt r, r/m
  kExchange,  // xchg/cmpxchg/xadd (lock)
  kMovement,  // mov r,r / r,m / m,r / m,imm
  kCustom,    // a hand-written snippet generator
};

struct Gen;
using CustomFn = void (*)(Gen&);

struct InsnTemplate {
  const char* name;
  Form form;
  uint32_t inst_id;          // asmjit::x86::Inst::Id, 0 for kCustom
  unsigned widths;           // bit set of operand bytes: 1 2 4 8
  uint64_t undefined_flags;  // Intel SDM: flags left undefined (masked)
  const char* cpu_feature;   // required host feature, or nullptr
  CustomFn custom = nullptr;
};

struct SkippedInsn {
  const char* name;
  const char* why;
};

const std::vector<InsnTemplate>& instruction_table();
const std::vector<SkippedInsn>& skipped_instructions();

// True when the host CPU has `feature` ("lzcnt", "bmi1", "popcnt").
bool host_has(const char* feature);

// Builds case `index` of template `t` from `rng`. False (with *error) when
// the template could not be assembled.
bool generate_case(const InsnTemplate& t, std::mt19937_64& rng, Case* out, std::string* error);

}  // namespace capvm::difftest
