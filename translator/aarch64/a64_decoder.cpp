// LLVM MC -> Insn. The only file that includes LLVM headers.
#include "translator/aarch64/a64_decoder.h"

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

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
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
}  // namespace

struct Decoder::Impl {
  std::unique_ptr<llvm::MCRegisterInfo> mri;
  std::unique_ptr<llvm::MCAsmInfo> mai;
  std::unique_ptr<llvm::MCSubtargetInfo> sti;
  std::unique_ptr<llvm::MCInstrInfo> mii;
  std::unique_ptr<llvm::MCContext> ctx;
  std::unique_ptr<llvm::MCDisassembler> dis;
  std::vector<Op> op_of;    // LLVM opcode -> Op
  std::vector<Reg> reg_of;  // LLVM register -> Reg
  unsigned mapped_regs = 0;
  unsigned unknown_ops = 0;
};

Decoder::Decoder() : impl_(new Impl) {
  LLVMInitializeAArch64TargetInfo();
  LLVMInitializeAArch64TargetMC();
  LLVMInitializeAArch64Disassembler();
  std::string err;
  const llvm::Target* t = llvm::TargetRegistry::lookupTarget(kTriple, err);
  if (t == nullptr) throw std::runtime_error("LLVM AArch64 target: " + err);
  Impl& m = *impl_;
  m.mri.reset(t->createMCRegInfo(kTriple));
  llvm::MCTargetOptions opts;
  m.mai.reset(t->createMCAsmInfo(*m.mri, kTriple, opts));
  m.sti.reset(t->createMCSubtargetInfo(kTriple, "generic", "+neon,+fp-armv8,+lse"));
  m.mii.reset(t->createMCInstrInfo());
  m.ctx = std::make_unique<llvm::MCContext>(llvm::Triple(kTriple), m.mai.get(), m.mri.get(), m.sti.get());
  m.dis.reset(t->createMCDisassembler(*m.sti, *m.ctx));
  if (!m.dis) throw std::runtime_error("LLVM AArch64 disassembler unavailable");
  // Opcodes and registers by name, once.
  m.op_of.assign(m.mii->getNumOpcodes(), Op::kInvalid);
  std::vector<bool> seen(kOpCount, false);
  for (unsigned i = 0; i < m.mii->getNumOpcodes(); ++i) {
    const llvm::StringRef name = m.mii->getName(i);
    const Op op = op_by_name(std::string_view(name.data(), name.size()));
    m.op_of[i] = op;
    if (op != Op::kInvalid) seen[static_cast<unsigned>(op)] = true;
  }
  for (unsigned i = 0; i < kOpCount; ++i) m.unknown_ops += !seen[i];
  m.reg_of.assign(m.mri->getNumRegs(), Reg{});
  for (unsigned i = 1; i < m.mri->getNumRegs(); ++i) {
    m.reg_of[i] = reg_from_llvm_name(m.mri->getName(i));
    m.mapped_regs += m.reg_of[i].kind != RegKind::kNone;
  }
}

const Decoder& Decoder::get() {
  static const Decoder* d = new Decoder();  // process lifetime; LLVM objects are not thread-hostile to read
  return *d;
}

unsigned Decoder::mapped_registers() const { return impl_->mapped_regs; }
unsigned Decoder::unknown_table_ops() const { return impl_->unknown_ops; }

DecodeStatus Decoder::decode(uint32_t raw, uint64_t pc, Insn* out) const {
  *out = Insn{};
  out->raw = raw;
  out->pc = pc;
  uint8_t bytes[4];
  std::memcpy(bytes, &raw, 4);
  llvm::MCInst mi;
  uint64_t size = 0;
  // getInstruction is const and keeps no per-call state in the AArch64
  // disassembler, so concurrent decodes from several threads are fine.
  if (impl_->dis->getInstruction(mi, size, llvm::ArrayRef<uint8_t>(bytes, 4), pc, llvm::nulls()) !=
          llvm::MCDisassembler::Success ||
      size != 4)
    return DecodeStatus::kUndefined;
  const Op op = mi.getOpcode() < impl_->op_of.size() ? impl_->op_of[mi.getOpcode()] : Op::kInvalid;
  if (op == Op::kInvalid || mi.getNumOperands() > kMaxOperands) return DecodeStatus::kUnsupported;
  out->op = op;
  out->num_ops = static_cast<uint8_t>(mi.getNumOperands());
  for (unsigned i = 0; i < mi.getNumOperands(); ++i) {
    const llvm::MCOperand& o = mi.getOperand(i);
    Operand& d = out->ops[i];
    if (o.isReg()) {
      const unsigned r = o.getReg();
      if (r >= impl_->reg_of.size() || impl_->reg_of[r].kind == RegKind::kNone) return DecodeStatus::kUnsupported;
      d.kind = Operand::Kind::kReg;
      d.reg = impl_->reg_of[r];
    } else if (o.isImm()) {
      d.kind = Operand::Kind::kImm;
      d.imm = o.getImm();
    } else {
      return DecodeStatus::kUnsupported;  // expressions, FP immediates: not produced by the disassembler
    }
  }
  return DecodeStatus::kOk;
}

std::string Decoder::llvm_name(uint32_t raw) const {
  uint8_t bytes[4];
  std::memcpy(bytes, &raw, 4);
  llvm::MCInst mi;
  uint64_t size = 0;
  if (impl_->dis->getInstruction(mi, size, llvm::ArrayRef<uint8_t>(bytes, 4), 0, llvm::nulls()) !=
      llvm::MCDisassembler::Success)
    return "";
  return impl_->mii->getName(mi.getOpcode()).str();
}

const char* reg_name(Reg r, char* buf, size_t len) {
  static const char* const kPrefix[] = {"?", "X", "W", "SP", "WSP", "XZR", "WZR", "B", "H", "S", "D", "Q", "D", "Q", "X", "W"};
  const unsigned k = static_cast<unsigned>(r.kind);
  if (r.kind == RegKind::kSP || r.kind == RegKind::kWSP || r.kind == RegKind::kXZR || r.kind == RegKind::kWZR) {
    std::snprintf(buf, len, "%s", kPrefix[k]);
  } else if (r.kind == RegKind::kDList || r.kind == RegKind::kQList || r.kind == RegKind::kXPair ||
             r.kind == RegKind::kWPair) {
    std::snprintf(buf, len, "{%s%u x%u}", kPrefix[k], r.index, r.count);
  } else {
    std::snprintf(buf, len, "%s%u", kPrefix[k], r.index);
  }
  return buf;
}

std::string Decoder::format(const Insn& in) {
  std::string s = op_info(in.op).name;
  for (unsigned i = 0; i < in.num_ops; ++i) {
    char buf[32];
    if (in.ops[i].is_reg()) {
      s += " ";
      s += reg_name(in.ops[i].reg, buf, sizeof buf);
    } else {
      std::snprintf(buf, sizeof buf, " #%lld", static_cast<long long>(in.ops[i].imm));
      s += buf;
    }
  }
  return s;
}

}  // namespace capvm::aarch64
