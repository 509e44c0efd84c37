// The thin adapter over LLVM MC's AArch64 disassembler. Nothing past this
// header sees an LLVM type: an instruction comes out as our Op, operands in
// LLVM's operand order as our register ids and immediates, and the raw
// encoding. LLVM does not install its AArch64 opcode and register enums, so
// both are mapped once, when the decoder loads, by name
// (MCInstrInfo::getName, MCRegisterInfo::getName). LLVM itself lives in
// libcapvm-a64-llvm.so, loaded on first use (a64_decoder_abi.h).
#pragma once

#include <cstdint>
#include <string>

#include "translator/aarch64/a64_table.h"

namespace capvm::aarch64 {

// Register views. A general register is its number 0..30 with a width view;
// SP and the zero register are distinct kinds because the encoding's 31 means
// one or the other depending on the instruction (LLVM names which).
enum class RegKind : uint8_t {
  kNone,
  kX, kW,        // index 0..30
  kSP, kWSP,     // stack pointer (64 / 32-bit view)
  kXZR, kWZR,    // zero register
  kB, kH, kS, kD, kQ,  // V register views, index 0..31
  kDList, kQList,      // consecutive V registers (ld1/st1/tbl): index first, count
  kXPair, kWPair,      // consecutive general registers (casp): even index first, count 2;
                       // the second of 30 is the zero register
};

struct Reg {
  RegKind kind = RegKind::kNone;
  uint8_t index = 0;  // register number (V: 0..31)
  uint8_t count = 1;  // list length for kDList/kQList
  bool operator==(const Reg&) const = default;
};

struct Operand {
  enum class Kind : uint8_t { kNone, kReg, kImm };
  Kind kind = Kind::kNone;
  Reg reg;
  int64_t imm = 0;
  bool is_reg() const { return kind == Kind::kReg; }
  bool is_imm() const { return kind == Kind::kImm; }
};

inline constexpr unsigned kMaxOperands = 8;

struct Insn {
  Op op = Op::kInvalid;
  uint32_t raw = 0;      // the 32-bit encoding
  uint64_t pc = 0;       // guest address
  uint8_t num_ops = 0;
  Operand ops[kMaxOperands];
  OpInfo info() const { return op_info(op); }
};

enum class DecodeStatus {
  kOk,
  kUndefined,    // LLVM does not decode it: not a valid A64 instruction
  kUnsupported,  // valid, but not in the table or with an operand we do not model
};

class Decoder {
 public:
  // Loads the process-wide decoder (once; later calls are one atomic read).
  // false with a one-line reason when the plugin is missing or unusable.
  static bool load(std::string* error);
  // capvm run: decodings are also looked up in, and added to, the memo of
  // the program `image` in directory `memo_dir` (decode_memo.h). When it
  // holds decodings made by this capvm with this plugin, the plugin is
  // loaded only at the first word the memo does not know (a failure then
  // ends capvm, status 127, with one line); otherwise now, as by load().
  static bool load_with_memo(const std::string& memo_dir, const uint8_t* image, size_t size,
                             std::string* error);
  // Writes the run's new decodings to the memo, if there is one; at process
  // end. Skipped when another thread is decoding at that moment.
  static void save_memo();
  // proc_fork: the decoder's locks are held across fork(2), so that the
  // child never inherits one held by a thread it does not have.
  static void lock_for_fork();
  static void unlock_after_fork();
  // The process-wide decoder; throws std::runtime_error when load() fails.
  static const Decoder& get();
  // Decodes the instruction `raw` at guest address `pc`.
  DecodeStatus decode(uint32_t raw, uint64_t pc, Insn* out) const;
  // LLVM opcode name of `raw` ("" when undefined): for diagnostics and the
  // table-coverage test.
  std::string llvm_name(uint32_t raw) const;
  // One line: "ADDXri X0 X1 #1 #0".
  static std::string format(const Insn& in);
  // Registers mapped from LLVM by name, and table ops LLVM did not know.
  unsigned mapped_registers() const;
  unsigned unknown_table_ops() const;

  struct Impl;

 private:
  Decoder();
  const Impl& plugin() const;  // loaded on first use in memo mode
};

const char* reg_name(Reg r, char* buf, size_t len);

}  // namespace capvm::aarch64
