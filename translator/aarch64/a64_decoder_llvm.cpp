// LLVM MC -> Insn: the body of libcapvm-a64-llvm.so, loaded by capvm only for
// aarch64 guests (a64_decoder_abi.h says why and what crosses). The only file
// that includes LLVM headers.
#include "translator/aarch64/a64_decoder.h"
#include "translator/aarch64/a64_decoder_abi.h"

#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCDisassembler/MCDisassembler.h>
#include <llvm/MC/MCInst.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

extern "C" void LLVMInitializeAArch64TargetInfo();
extern "C" void LLVMInitializeAArch64TargetMC();
extern "C" void LLVMInitializeAArch64Disassembler();

namespace capvm::aarch64 {

namespace {
constexpr const char* kTriple = "aarch64-unknown-linux-gnu";

// Parses an LLVM AArch64 register name into our id; kNone when unmodelled.
Reg reg_from_llvm_name(const std::string& n) {
  auto num = [&](size_t from, int* out) {
    if (from >= n.size()) return false;
    int v = 0;
    for (size_t i = from; i < n.size(); ++i) {
      if (n[i] < '0' || n[i] > '9') return false;
      v = v * 10 + (n[i] - '0');
    }
    *out = v;
    return true;
  };
  if (n == "SP") return {RegKind::kSP, 31};
  if (n == "WSP") return {RegKind::kWSP, 31};
  if (n == "XZR") return {RegKind::kXZR, 31};
  if (n == "WZR") return {RegKind::kWZR, 31};
  if (n == "FP") return {RegKind::kX, 29};
  if (n == "LR") return {RegKind::kX, 30};
  int v = 0;
  // Lists: "Q0_Q1", "D3_D4_D5".
  if (n.find('_') != std::string::npos && (n[0] == 'X' || n[0] == 'W')) {
    // Sequential pairs: "X4_X5", "W30_WZR".
    const size_t us = n.find('_');
    if (n.find('_', us + 1) != std::string::npos) return {};
    v = std::atoi(n.substr(1, us - 1).c_str());
    if (v > 30) return {};
    return {n[0] == 'X' ? RegKind::kXPair : RegKind::kWPair, static_cast<uint8_t>(v), 2};
  }
  if (n.find('_') != std::string::npos && (n[0] == 'Q' || n[0] == 'D')) {
    unsigned count = 1;
    for (char c : n) count += c == '_';
    const size_t us = n.find('_');
    v = std::atoi(n.substr(1, us - 1).c_str());
    return {n[0] == 'Q' ? RegKind::kQList : RegKind::kDList, static_cast<uint8_t>(v),
            static_cast<uint8_t>(count)};
  }
  if (n.size() < 2 || !num(1, &v)) return {};
  switch (n[0]) {
    case 'X': return v <= 30 ? Reg{RegKind::kX, static_cast<uint8_t>(v)} : Reg{};
    case 'W': return v <= 30 ? Reg{RegKind::kW, static_cast<uint8_t>(v)} : Reg{};
    case 'B': return v <= 31 ? Reg{RegKind::kB, static_cast<uint8_t>(v)} : Reg{};
    case 'H': return v <= 31 ? Reg{RegKind::kH, static_cast<uint8_t>(v)} : Reg{};
    case 'S': return v <= 31 ? Reg{RegKind::kS, static_cast<uint8_t>(v)} : Reg{};
    case 'D': return v <= 31 ? Reg{RegKind::kD, static_cast<uint8_t>(v)} : Reg{};
    case 'Q': return v <= 31 ? Reg{RegKind::kQ, static_cast<uint8_t>(v)} : Reg{};
    default: return {};
  }
}

struct LlvmDecoder {
  std::unique_ptr<llvm::MCRegisterInfo> mri;
  std::unique_ptr<llvm::MCAsmInfo> mai;
  std::unique_ptr<llvm::MCSubtargetInfo> sti;
  std::unique_ptr<llvm::MCInstrInfo> mii;
  std::unique_ptr<llvm::MCContext> ctx;
  std::unique_ptr<llvm::MCDisassembler> dis;
  std::vector<Op> op_of;    // LLVM opcode -> Op
  std::vector<Reg> reg_of;  // LLVM register -> Reg
  uint32_t mapped_regs = 0;
  uint32_t unknown_ops = 0;

  bool init(const char* const* op_names, uint32_t op_count, std::string* err);
  DecodeStatus decode(uint32_t raw, uint64_t pc, Insn* out) const;
  bool get(uint32_t raw, uint64_t pc, llvm::MCInst* mi) const;
};

bool LlvmDecoder::init(const char* const* op_names, uint32_t op_count, std::string* err) {
  LLVMInitializeAArch64TargetInfo();
  LLVMInitializeAArch64TargetMC();
  LLVMInitializeAArch64Disassembler();
  const llvm::Target* t = llvm::TargetRegistry::lookupTarget(kTriple, *err);
  if (t == nullptr) return false;
  mri.reset(t->createMCRegInfo(kTriple));
  llvm::MCTargetOptions opts;
  mai.reset(t->createMCAsmInfo(*mri, kTriple, opts));
  sti.reset(t->createMCSubtargetInfo(kTriple, "generic", "+neon,+fp-armv8,+lse"));
  mii.reset(t->createMCInstrInfo());
  if (!mri || !mai || !sti || !mii) {
    *err = "LLVM AArch64 target objects unavailable";
    return false;
  }
  ctx = std::make_unique<llvm::MCContext>(llvm::Triple(kTriple), mai.get(), mri.get(), sti.get());
  dis.reset(t->createMCDisassembler(*sti, *ctx));
  if (!dis) {
    *err = "LLVM AArch64 disassembler unavailable";
    return false;
  }
  // Opcodes and registers by name, once. The names are capvm's table, so
  // the Op values are capvm's whatever build this plugin came from.
  std::unordered_map<std::string_view, Op> by_name;
  by_name.reserve(op_count);
  for (uint32_t i = 0; i < op_count; ++i) by_name.emplace(op_names[i], static_cast<Op>(i));
  op_of.assign(mii->getNumOpcodes(), Op::kInvalid);
  std::vector<bool> seen(op_count, false);
  for (unsigned i = 0; i < mii->getNumOpcodes(); ++i) {
    const llvm::StringRef name = mii->getName(i);
    const auto it = by_name.find(std::string_view(name.data(), name.size()));
    if (it == by_name.end()) continue;
    op_of[i] = it->second;
    seen[static_cast<unsigned>(it->second)] = true;
  }
  for (uint32_t i = 0; i < op_count; ++i) unknown_ops += !seen[i];
  reg_of.assign(mri->getNumRegs(), Reg{});
  for (unsigned i = 1; i < mri->getNumRegs(); ++i) {
    reg_of[i] = reg_from_llvm_name(mri->getName(i));
    mapped_regs += reg_of[i].kind != RegKind::kNone;
  }
  return true;
}

bool LlvmDecoder::get(uint32_t raw, uint64_t pc, llvm::MCInst* mi) const {
  uint8_t bytes[4];
  std::memcpy(bytes, &raw, 4);
  uint64_t size = 0;
  // getInstruction is const and keeps no per-call state in the AArch64
  // disassembler, so concurrent decodes from several threads are fine.
  return dis->getInstruction(*mi, size, llvm::ArrayRef<uint8_t>(bytes, 4), pc, llvm::nulls()) ==
             llvm::MCDisassembler::Success &&
         size == 4;
}

DecodeStatus LlvmDecoder::decode(uint32_t raw, uint64_t pc, Insn* out) const {
  *out = Insn{};
  out->raw = raw;
  out->pc = pc;
  llvm::MCInst mi;
  if (!get(raw, pc, &mi)) return DecodeStatus::kUndefined;
  const Op op = mi.getOpcode() < op_of.size() ? op_of[mi.getOpcode()] : Op::kInvalid;
  if (op == Op::kInvalid || mi.getNumOperands() > kMaxOperands) return DecodeStatus::kUnsupported;
  out->op = op;
  out->num_ops = static_cast<uint8_t>(mi.getNumOperands());
  for (unsigned i = 0; i < mi.getNumOperands(); ++i) {
    const llvm::MCOperand& o = mi.getOperand(i);
    Operand& d = out->ops[i];
    if (o.isReg()) {
      const unsigned r = o.getReg();
      if (r >= reg_of.size() || reg_of[r].kind == RegKind::kNone) return DecodeStatus::kUnsupported;
      d.kind = Operand::Kind::kReg;
      d.reg = reg_of[r];
    } else if (o.isImm()) {
      d.kind = Operand::Kind::kImm;
      d.imm = o.getImm();
    } else {
      return DecodeStatus::kUnsupported;  // expressions, FP immediates: not produced by the disassembler
    }
  }
  return DecodeStatus::kOk;
}

void copy_message(const std::string& m, char* buf, size_t len) {
  if (len == 0) return;
  const size_t n = std::min(m.size(), len - 1);
  std::memcpy(buf, m.data(), n);
  buf[n] = 0;
}
}  // namespace

}  // namespace capvm::aarch64

using capvm::aarch64::LlvmDecoder;
using capvm::aarch64::copy_message;

// The plugin's whole interface (a64_decoder_abi.h); everything else in it,
// LLVM and its own C++ runtime included, is hidden.
extern "C" __attribute__((visibility("default"))) void* capvm_a64_llvm_open(
    uint32_t abi_version, uint32_t insn_size, const char* const* op_names, uint32_t op_count,
    char* err, size_t err_len) {
  using namespace capvm::aarch64;
  if (abi_version != kDecoderAbiVersion || insn_size != sizeof(Insn) || op_count != kOpCount) {
    copy_message("plugin built for another capvm (ABI " + std::to_string(kDecoderAbiVersion) + ", " +
                     std::to_string(kOpCount) + " ops; capvm has ABI " + std::to_string(abi_version) +
                     ", " + std::to_string(op_count) + " ops)",
                 err, err_len);
    return nullptr;
  }
  auto* d = new LlvmDecoder;
  std::string msg;
  if (!d->init(op_names, op_count, &msg)) {
    copy_message("LLVM AArch64 target: " + msg, err, err_len);
    delete d;
    return nullptr;
  }
  return d;
}

extern "C" __attribute__((visibility("default"))) int capvm_a64_llvm_decode(const void* decoder,
                                                                            uint32_t raw, uint64_t pc,
                                                                            void* out) {
  return static_cast<int>(static_cast<const LlvmDecoder*>(decoder)->decode(
      raw, pc, static_cast<capvm::aarch64::Insn*>(out)));
}

extern "C" __attribute__((visibility("default"))) size_t capvm_a64_llvm_name(const void* decoder,
                                                                             uint32_t raw, char* buf,
                                                                             size_t len) {
  const auto* d = static_cast<const LlvmDecoder*>(decoder);
  llvm::MCInst mi;
  std::string name;
  if (d->get(raw, 0, &mi)) name = d->mii->getName(mi.getOpcode()).str();
  copy_message(name, buf, len);
  return name.size();
}

extern "C" __attribute__((visibility("default"))) void capvm_a64_llvm_stats(
    const void* decoder, uint32_t* mapped_registers, uint32_t* unknown_table_ops) {
  const auto* d = static_cast<const LlvmDecoder*>(decoder);
  *mapped_registers = d->mapped_regs;
  *unknown_table_ops = d->unknown_ops;
}
