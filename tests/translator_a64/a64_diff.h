// Differential testing of the aarch64 translator against Unicorn
// (UC_ARCH_ARM64): a snippet runs from the same initial state in both, and
// every general register, SP, NZCV, every V register, the final pc and
// every byte of the data area are compared (STYLE.md, "Differential testing
// from day one").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "translator/aarch64/translator.h"
#include "vm/guest_memory.h"

namespace capvm::a64diff {

inline constexpr uint64_t kCodeAddr = 0x100000;  // R+X
inline constexpr uint64_t kCodeSize = 0x1000;
inline constexpr uint64_t kDataAddr = 0x200000;  // RW
inline constexpr uint64_t kDataSize = 0x30000;
inline constexpr uint64_t kDataCenter = kDataAddr + 0x10000;

struct State {
  uint64_t x[31] = {};
  uint64_t sp = 0;
  uint64_t pc = 0;
  uint32_t nzcv = 0;
  uint64_t tpidr = 0;
  uint32_t fpsr = 0;  // the bits capvm keeps (aarch64::kFpsrMask)
  uint8_t v[32][16] = {};
  std::vector<uint8_t> data;  // kDataSize bytes
};

struct Case {
  std::string name;
  std::vector<uint32_t> code;      // executed from kCodeAddr
  std::vector<uint8_t> code_page;  // kCodeSize bytes (code + literal pool)
  State init;
  bool flush_to_zero = false;      // runs with FPCR.FZ set (compare())
};

struct Result {
  bool ok = false;
  std::string error;
  State final_state;
};

class CapvmRunner {
 public:
  // compact_exits: TranslateOptions::compact_exit_stubs.
  explicit CapvmRunner(unsigned max_block_insns, bool compact_exits = true);
  bool ready(std::string* error) const;
  Result run(const Case& c);

 private:
  void fresh_translator();
  std::unique_ptr<vm::GuestMemory> mem_;
  std::unique_ptr<aarch64::Translator> tr_;
  unsigned max_block_insns_;
  bool compact_exits_;
  unsigned runs_ = 0;
  std::string setup_error_;
};

class UnicornRunner {
 public:
  // Unicorn's default CPU (Cortex-A72) is ARMv8.0, without LSE atomics;
  // "max" has them, but its decoder aborts on some FP16 encodings that
  // random code-page words contain: it runs only the cases that need it.
  enum class Cpu { kDefault, kMax };
  explicit UnicornRunner(Cpu cpu = Cpu::kDefault);
  ~UnicornRunner();
  bool ready(std::string* error) const;
  Result run(const Case& c);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Empty when equal; else one line per difference.
// flush_to_zero: the case ran with FPCR.FZ, where a result flushed to zero
// sets UFC alone on arm64 but also IXC under capvm (x86's FTZ also raises
// Precision; docs/design.md): IXC beside UFC is not compared then.
std::string compare(const State& expected, const State& actual, bool flush_to_zero = false);
std::string describe(const Case& c, const Result& uc, const Result& cap, const std::string& diff);

}  // namespace capvm::a64diff
