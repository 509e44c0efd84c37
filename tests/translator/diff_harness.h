// Differential testing of the x86-64 translator: one guest snippet runs from
// the same initial state under capvm's translator and under Unicorn, and the
// final general registers, flags, XMM registers and data/stack bytes are
// compared (STYLE.md, "Differential testing from day one").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "translator/x86_64/translator.h"
#include "vm/guest_memory.h"

namespace capvm::difftest {

// Guest layout shared by both engines.
inline constexpr uint64_t kCodeAddr = 0x100000;   // R+X: snippet + syscall
inline constexpr uint64_t kCodeSize = 0x1000;
inline constexpr uint64_t kDataAddr = 0x200000;   // RW, seeded pattern
inline constexpr uint64_t kDataSize = 0x4000;
inline constexpr uint64_t kStackAddr = 0x300000;  // RW
inline constexpr uint64_t kStackSize = 0x2000;
inline constexpr uint64_t kFsBase = kDataAddr + 0x3000;  // fs-relative tests
inline constexpr uint64_t kUnmappedAddr = 0x400000;     // never mapped

// RFLAGS bits compared (arithmetic flags and DF).
inline constexpr uint64_t kCF = 1 << 0, kPF = 1 << 2, kAF = 1 << 4, kZF = 1 << 6,
                          kSF = 1 << 7, kDF = 1 << 10, kOF = 1 << 11;
inline constexpr uint64_t kArith = kCF | kPF | kAF | kZF | kSF | kOF;
inline constexpr uint64_t kCompared = kArith | kDF;

struct MachineState {
  uint64_t gpr[16] = {};  // x86 encoding order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15
  uint64_t rflags = 0x202;
  uint64_t rip = 0;
  uint64_t xmm[16][2] = {};
  uint32_t mxcsr = 0x1F80;
  std::vector<uint8_t> data;   // kDataSize bytes at kDataAddr
  std::vector<uint8_t> stack;  // kStackSize bytes at kStackAddr
};

// A test case: guest code (the runner appends `syscall`), initial state and
// the flags the instruction leaves undefined (masked in the comparison).
struct Case {
  std::string name;
  std::vector<uint8_t> code;
  MachineState init;
  uint64_t undefined_flags = 0;
  bool compare_mxcsr = true;
};

// Outcome of running a case in one engine.
struct RunResult {
  bool ok = false;
  std::string error;  // why not ok: fault, illegal exit, engine error
  MachineState final_state;
  // capvm only: the thread ended in the full vector-state mode
  // (translator/x86_64/translator.h, "Vector state"). Every case starts light.
  bool vector_full = false;
};

// capvm side: one sandbox, translators recreated now and then (blocks are
// never freed, by design, so a long run would grow without bound).
class CapvmRunner {
 public:
  // compact_exits: TranslateOptions::compact_exit_stubs; syscall_hook:
  // TranslateOptions::syscall_hook (the terminator must be left to the run
  // loop: the hook declines it).
  explicit CapvmRunner(unsigned max_block_insns, bool compact_exits = true,
                       uint64_t (*syscall_hook)() = nullptr);
  bool ready(std::string* error) const;
  RunResult run(const Case& c);
  vm::GuestMemory& memory() { return *mem_; }
  x86_64::Translator& translator() { return *tr_; }

 private:
  void fresh_translator();
  std::unique_ptr<vm::GuestMemory> mem_;
  std::unique_ptr<x86_64::Translator> tr_;
  unsigned max_block_insns_;
  bool compact_exits_;
  uint64_t (*syscall_hook_)();
  unsigned runs_since_fresh_ = 0;
  std::string setup_error_;
};

class UnicornRunner {
 public:
  UnicornRunner();
  ~UnicornRunner();
  bool ready(std::string* error) const;
  RunResult run(const Case& c);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The comparison: empty when equal, else one line per differing field.
std::string compare_states(const Case& c, const MachineState& expected, const MachineState& actual,
                           bool compare_rip);
// Full report of a mismatch: template, bytes, initial and both final states.
std::string describe_mismatch(const Case& c, const char* engine_a, const RunResult& a,
                              const char* engine_b, const RunResult& b, const std::string& diff);
std::string hex_bytes(const std::vector<uint8_t>& bytes);
std::string format_state(const MachineState& s);

// Seeded data pattern.
void fill_pattern(std::vector<uint8_t>* bytes, uint64_t seed);

// A hand-written case: data and stack filled from `seed` and `seed + 1`,
// rsp in the middle of the stack, every other register zero.
Case unit_case(std::string name, std::vector<uint8_t> code, uint64_t seed);
// Distinct values in every XMM register: dwords i + 1 in the low half of
// XMMi, 16 (i + 1) in the high half.
void set_xmm_pattern(MachineState* state);
// Instruction bytes, one after another.
std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts);
// Whether the host runs AVX (CPUID and the OS's XCR0).
bool host_has_avx();

}  // namespace capvm::difftest
