// Decoding guest instructions and confining their memory operands.
//
// Every explicit memory operand is re-encoded with the gs segment (whose
// base is the sandbox) and the address-size prefix 0x67, so the CPU itself
// truncates the effective address to 32 bits before adding the base: no
// guest value can form an address outside [base, base + 4 GiB + 64).
#include "translator/x86_64/insn_rewrite.h"

#include <cstring>

namespace capvm::x86_64 {

using namespace asmjit;

namespace {
const x86::Gp kGp64[16] = {x86::rax, x86::rcx, x86::rdx, x86::rbx, x86::rsp, x86::rbp,
                           x86::rsi, x86::rdi, x86::r8,  x86::r9,  x86::r10, x86::r11,
                           x86::r12, x86::r13, x86::r14, x86::r15};

ZydisDecoder make_decoder() {
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  return dec;
}

bool is_segment_prefix(uint8_t b) {
  return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
}

bool writes_segment_register(const DecodedInsn& d) {
  for (unsigned i = 0; i < d.insn.operand_count; ++i) {
    const ZydisDecodedOperand& op = d.ops[i];
    if (op.type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ZydisRegisterGetClass(op.reg.value) == ZYDIS_REGCLASS_SEGMENT &&
        (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
      return true;
  }
  return false;
}

bool has_hidden_memory(const DecodedInsn& d) {
  for (unsigned i = 0; i < d.insn.operand_count; ++i) {
    const ZydisDecodedOperand& op = d.ops[i];
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
      return true;
  }
  return false;
}
}  // namespace

namespace {
// Decodes out->bytes[0, avail) at out->pc.
FetchStatus decode_fetched(size_t avail, DecodedInsn* out) {
  static thread_local const ZydisDecoder decoder = make_decoder();
  const ZyanStatus st = ZydisDecoderDecodeFull(&decoder, out->bytes, avail, &out->insn, out->ops);
  if (!ZYAN_SUCCESS(st)) {
    // Ran off the end of executable memory mid-instruction: a fetch fault.
    if (st == ZYDIS_STATUS_NO_MORE_DATA && avail < ZYDIS_MAX_INSTRUCTION_LENGTH)
      return FetchStatus::kNoCode;
    return FetchStatus::kInvalid;
  }
  if (out->insn.meta.branch_type != ZYDIS_BRANCH_TYPE_NONE && out->insn.operand_count > 0 &&
      out->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && out->ops[0].imm.is_relative) {
    ZyanU64 target = 0;
    ZydisCalcAbsoluteAddress(&out->insn, &out->ops[0], out->pc, &target);
    out->branch_target = target;
  }
  return FetchStatus::kOk;
}
}  // namespace

FetchStatus fetch_and_decode(const vm::GuestMemory& mem, uint64_t pc, DecodedInsn* out) {
  out->pc = pc;
  // Take at most 15 bytes, and none from a page that is not executable.
  size_t avail = 0;
  const uint64_t page_end = (pc | (vm::kGuestPageSize - 1)) + 1;
  if (!mem.range_has(pc, 1, vm::kProtExec)) return FetchStatus::kNoCode;
  avail = page_end - pc >= ZYDIS_MAX_INSTRUCTION_LENGTH ? ZYDIS_MAX_INSTRUCTION_LENGTH : page_end - pc;
  if (avail < ZYDIS_MAX_INSTRUCTION_LENGTH && mem.range_has(page_end, 1, vm::kProtExec))
    avail = ZYDIS_MAX_INSTRUCTION_LENGTH;
  if (mem.fetch_code(pc, out->bytes, avail) != abi::E_SUCCESS) return FetchStatus::kNoCode;
  return decode_fetched(avail, out);
}

bool CodeWindow::refill(uint64_t pc) {
  len_ = 0;
  if (!mem_.range_has(pc, 1, vm::kProtExec)) return false;
  // To the end of pc's page, then on through executable pages, at most
  // kBytes in all. range_has is false past the sandbox's end, so `end`
  // cannot run beyond it.
  const uint64_t limit = pc + kBytes;
  uint64_t end = (pc | (vm::kGuestPageSize - 1)) + 1;
  while (end < limit && mem_.range_has(end, 1, vm::kProtExec)) end += vm::kGuestPageSize;
  ends_code_ = end < limit;
  if (end > limit) end = limit;
  if (mem_.fetch_code(pc, buf_, end - pc) != abi::E_SUCCESS) return false;
  start_ = pc;
  len_ = end - pc;
  return true;
}

size_t CodeWindow::at(uint64_t pc, const uint8_t** bytes) {
  const bool inside = pc >= start_ && pc - start_ < len_;
  if (!inside || (len_ - (pc - start_) < ZYDIS_MAX_INSTRUCTION_LENGTH && !ends_code_)) {
    if (!refill(pc)) return 0;
  }
  const size_t off = pc - start_;
  *bytes = buf_ + off;
  return len_ - off < ZYDIS_MAX_INSTRUCTION_LENGTH ? len_ - off : ZYDIS_MAX_INSTRUCTION_LENGTH;
}

FetchStatus fetch_and_decode(CodeWindow& window, uint64_t pc, DecodedInsn* out) {
  out->pc = pc;
  const uint8_t* bytes = nullptr;
  const size_t avail = window.at(pc, &bytes);
  if (avail == 0) return FetchStatus::kNoCode;
  std::memcpy(out->bytes, bytes, avail);
  return decode_fetched(avail, out);
}

bool needs_full_vector_state(const DecodedInsn& d) {
  const ZydisDecodedInstruction& in = d.insn;
  // VEX, EVEX, XOP, MVEX and 3DNow! encodings all reach state past XMM0-15.
  if (in.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY) return true;
  switch (in.meta.isa_ext) {
    case ZYDIS_ISA_EXT_X87:  // including fwait, fnstcw, fninit: no register operand
    case ZYDIS_ISA_EXT_MMX:  // emms
    case ZYDIS_ISA_EXT_AMD3DNOW:
    case ZYDIS_ISA_EXT_XSAVE:
    case ZYDIS_ISA_EXT_XSAVEC:
    case ZYDIS_ISA_EXT_XSAVEOPT:
    case ZYDIS_ISA_EXT_XSAVES:
      return true;
    default:
      break;
  }
  switch (in.mnemonic) {
    case ZYDIS_MNEMONIC_FXSAVE:
    case ZYDIS_MNEMONIC_FXSAVE64:
    case ZYDIS_MNEMONIC_FXRSTOR:
    case ZYDIS_MNEMONIC_FXRSTOR64:
    case ZYDIS_MNEMONIC_XGETBV:
    case ZYDIS_MNEMONIC_EMMS:
    case ZYDIS_MNEMONIC_FEMMS:
      return true;
    default:
      break;
  }
  // Any register operand, visible or hidden, outside the general, XMM and
  // flag/ip/segment classes: x87 and MMX registers (cvtpi2ps, movq2dq) and
  // anything else a legacy encoding might name.
  for (unsigned i = 0; i < in.operand_count; ++i) {
    if (d.ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
    switch (ZydisRegisterGetClass(d.ops[i].reg.value)) {
      case ZYDIS_REGCLASS_INVALID:
      case ZYDIS_REGCLASS_GPR8:
      case ZYDIS_REGCLASS_GPR16:
      case ZYDIS_REGCLASS_GPR32:
      case ZYDIS_REGCLASS_GPR64:
      case ZYDIS_REGCLASS_XMM:
      case ZYDIS_REGCLASS_FLAGS:
      case ZYDIS_REGCLASS_IP:
      case ZYDIS_REGCLASS_SEGMENT:
        break;
      default:
        return true;
    }
  }
  return false;
}

int gpr_index(ZydisRegister reg) {
  if (reg == ZYDIS_REGISTER_NONE) return -1;
  const ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
  if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15) return big - ZYDIS_REGISTER_RAX;
  return -1;
}

unsigned pick_scratch(const DecodedInsn& d) {
  bool used[16] = {};
  for (unsigned i = 0; i < d.insn.operand_count; ++i) {
    const ZydisDecodedOperand& op = d.ops[i];
    if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
      const int r = gpr_index(op.reg.value);
      if (r >= 0) used[r] = true;
    } else if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) {
      const int b = gpr_index(op.mem.base);
      const int x = gpr_index(op.mem.index);
      if (b >= 0) used[b] = true;
      if (x >= 0) used[x] = true;
    }
  }
  for (unsigned r : {0u, 1u, 2u, 3u, 6u, 7u})
    if (!used[r]) return r;
  return kNoScratch;
}

const ZydisDecodedOperand* explicit_memory_operand(const DecodedInsn& d) {
  const ZydisDecodedOperand* found = nullptr;
  for (unsigned i = 0; i < d.insn.operand_count; ++i) {
    const ZydisDecodedOperand& op = d.ops[i];
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
      continue;
    if (found != nullptr) return nullptr;  // two explicit memory operands: not supported
    found = &op;
  }
  return found;
}

InsnClass classify(const DecodedInsn& d) {
  const ZydisDecodedInstruction& in = d.insn;
  switch (in.mnemonic) {
    case ZYDIS_MNEMONIC_SYSCALL:
      return InsnClass::kSyscall;
    case ZYDIS_MNEMONIC_INT3:
    case ZYDIS_MNEMONIC_INT:
    case ZYDIS_MNEMONIC_INT1:
    case ZYDIS_MNEMONIC_INTO:
      return InsnClass::kTrap;
    case ZYDIS_MNEMONIC_RDTSC:
    case ZYDIS_MNEMONIC_RDTSCP:
    case ZYDIS_MNEMONIC_RDPMC:
      return InsnClass::kHelper;  // virtualised: never the host's counter
    case ZYDIS_MNEMONIC_PUSH:
    case ZYDIS_MNEMONIC_POP:
    case ZYDIS_MNEMONIC_PUSHFQ:
    case ZYDIS_MNEMONIC_POPFQ:
    case ZYDIS_MNEMONIC_LEAVE:
    case ZYDIS_MNEMONIC_ENTER:
      return InsnClass::kStack;
    case ZYDIS_MNEMONIC_LOOP:
    case ZYDIS_MNEMONIC_LOOPE:
    case ZYDIS_MNEMONIC_LOOPNE:
    case ZYDIS_MNEMONIC_JRCXZ:
    case ZYDIS_MNEMONIC_JECXZ:
      return InsnClass::kBranch;
    // Anything that could change or reveal host segment state, reach host
    // memory through an implicit operand, or leave user mode.
    case ZYDIS_MNEMONIC_SYSENTER:
    case ZYDIS_MNEMONIC_SYSEXIT:
    case ZYDIS_MNEMONIC_SYSRET:
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ:
    case ZYDIS_MNEMONIC_RDFSBASE:
    case ZYDIS_MNEMONIC_RDGSBASE:
    case ZYDIS_MNEMONIC_WRFSBASE:
    case ZYDIS_MNEMONIC_WRGSBASE:
    case ZYDIS_MNEMONIC_SWAPGS:
    case ZYDIS_MNEMONIC_LFS:
    case ZYDIS_MNEMONIC_LGS:
    case ZYDIS_MNEMONIC_LSS:
    case ZYDIS_MNEMONIC_XLAT:
    case ZYDIS_MNEMONIC_MASKMOVQ:
    case ZYDIS_MNEMONIC_MASKMOVDQU:
    case ZYDIS_MNEMONIC_VMASKMOVDQU:
    case ZYDIS_MNEMONIC_MOVDIR64B:
    case ZYDIS_MNEMONIC_ENQCMD:
    case ZYDIS_MNEMONIC_ENQCMDS:
    case ZYDIS_MNEMONIC_SGDT:
    case ZYDIS_MNEMONIC_SIDT:
    case ZYDIS_MNEMONIC_SLDT:
    case ZYDIS_MNEMONIC_STR:
    case ZYDIS_MNEMONIC_SMSW:
    case ZYDIS_MNEMONIC_HLT:
    case ZYDIS_MNEMONIC_IN:
    case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB:
    case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD:
    case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW:
    case ZYDIS_MNEMONIC_OUTSD:
    case ZYDIS_MNEMONIC_UD0:
    case ZYDIS_MNEMONIC_UD1:
    case ZYDIS_MNEMONIC_UD2:
    case ZYDIS_MNEMONIC_PUSHF:
    case ZYDIS_MNEMONIC_POPF:
      return InsnClass::kIllegal;
    default:
      break;
  }
  if (in.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED) return InsnClass::kIllegal;
  if (writes_segment_register(d)) return InsnClass::kIllegal;
  switch (in.meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
      return InsnClass::kBranch;
    case ZYDIS_CATEGORY_STRINGOP:
      return InsnClass::kHelper;
    default:
      break;
  }
  // Any other instruction touching memory implicitly is not one we model.
  if (has_hidden_memory(d)) return InsnClass::kIllegal;
  const ZydisDecodedOperand* mem = nullptr;
  for (unsigned i = 0; i < in.operand_count; ++i)
    if (d.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) mem = &d.ops[i];
  if (mem == nullptr) return InsnClass::kCopy;
  if (mem->mem.type == ZYDIS_MEMOP_TYPE_MIB) return InsnClass::kIllegal;
  if (mem->mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
    // Address generation without an access (lea, multi-byte nop).
    if (mem->mem.base == ZYDIS_REGISTER_RIP)
      return in.mnemonic == ZYDIS_MNEMONIC_LEA ? InsnClass::kLeaRip : InsnClass::kMemory;
    return InsnClass::kCopy;
  }
  // moffs forms (mov al, [imm64]) have no ModRM to rewrite.
  if (!(in.attributes & ZYDIS_ATTRIB_HAS_MODRM)) return InsnClass::kIllegal;
  return InsnClass::kMemory;
}

bool rewrite_memory_insn(const DecodedInsn& d, const ZydisDecodedOperand& op,
                         std::vector<uint8_t>* bytes, unsigned* scratch) {
  const ZydisDecodedInstruction& in = d.insn;
  *scratch = kNoScratch;
  if (op.mem.segment == ZYDIS_REGISTER_GS) return false;  // no guest use of gs
  if (!(in.attributes & ZYDIS_ATTRIB_HAS_MODRM)) return false;
  const bool via_scratch = op.mem.segment == ZYDIS_REGISTER_FS;
  const bool rip = op.mem.base == ZYDIS_REGISTER_RIP;
  if (via_scratch && op.mem.type == ZYDIS_MEMOP_TYPE_VSIB) return false;
  if (via_scratch) {
    *scratch = pick_scratch(d);
    if (*scratch == kNoScratch) return false;
  }

  uint8_t b[ZYDIS_MAX_INSTRUCTION_LENGTH];
  std::memcpy(b, d.bytes, in.length);
  // Register-extension bits that named the old base/index must not leak
  // into the new addressing form.
  const bool clear_b = via_scratch;
  const bool clear_x = via_scratch || rip;
  if (in.attributes & ZYDIS_ATTRIB_HAS_REX) {
    uint8_t& rex = b[in.raw.rex.offset];
    if (clear_x) rex &= ~0x02;
    if (clear_b) rex &= ~0x01;
  }
  switch (in.encoding) {
    case ZYDIS_INSTRUCTION_ENCODING_VEX:
      if (b[in.raw.vex.offset] == 0xC4) {  // 3-byte VEX: inverted R X B
        if (clear_x) b[in.raw.vex.offset + 1] |= 0x40;
        if (clear_b) b[in.raw.vex.offset + 1] |= 0x20;
      }
      break;
    case ZYDIS_INSTRUCTION_ENCODING_XOP:
      if (clear_x) b[in.raw.xop.offset + 1] |= 0x40;
      if (clear_b) b[in.raw.xop.offset + 1] |= 0x20;
      break;
    case ZYDIS_INSTRUCTION_ENCODING_EVEX:
      if (clear_x) b[in.raw.evex.offset + 1] |= 0x40;
      if (clear_b) b[in.raw.evex.offset + 1] |= 0x20;
      break;
    case ZYDIS_INSTRUCTION_ENCODING_LEGACY:
    case ZYDIS_INSTRUCTION_ENCODING_3DNOW:
      break;
    default:
      return false;
  }

  std::vector<uint8_t>& out = *bytes;
  out.clear();
  out.push_back(0x65);  // gs: the sandbox
  bool has_addr32 = false;
  for (unsigned i = 0; i < in.raw.prefix_count; ++i)
    if (b[i] == 0x67) has_addr32 = true;
  if (!has_addr32) out.push_back(0x67);  // 32-bit effective address
  for (unsigned i = 0; i < in.raw.prefix_count; ++i)
    if (!is_segment_prefix(b[i])) out.push_back(b[i]);
  const unsigned modrm_off = in.raw.modrm.offset;
  for (unsigned i = in.raw.prefix_count; i < modrm_off; ++i) out.push_back(b[i]);
  const uint8_t modrm = b[modrm_off];
  const unsigned sib_len = (in.attributes & ZYDIS_ATTRIB_HAS_SIB) ? 1 : 0;
  const unsigned disp_len = in.raw.disp.size / 8;
  const unsigned rest = modrm_off + 1 + sib_len + disp_len;
  if (via_scratch) {
    out.push_back(static_cast<uint8_t>((modrm & 0x38) | (*scratch & 7)));  // mod 00, rm = S
  } else if (rip) {
    // [rip + disp32] becomes [disp32] (SIB, no base, no index) holding the
    // absolute guest address, computed now.
    const uint32_t target =
        static_cast<uint32_t>(d.pc + in.length + static_cast<uint64_t>(op.mem.disp.value));
    out.push_back(static_cast<uint8_t>((modrm & 0x38) | 0x04));
    out.push_back(0x25);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(target >> (8 * i)));
  } else {
    for (unsigned i = modrm_off; i < rest; ++i) out.push_back(b[i]);
  }
  for (unsigned i = rest; i < in.length; ++i) out.push_back(b[i]);
  return out.size() <= ZYDIS_MAX_INSTRUCTION_LENGTH;
}

void emit_effective_address(x86::Assembler& a, const Translator::Impl& t, const DecodedInsn& d,
                            const ZydisDecodedOperand& op, unsigned dst) {
  const x86::Gp s = kGp64[dst];
  int64_t disp = op.mem.disp.value;
  int base = gpr_index(op.mem.base);
  const int index = gpr_index(op.mem.index);
  uint32_t shift = 0;
  for (uint32_t sc = op.mem.scale; sc > 1; sc >>= 1) ++shift;
  if (op.mem.base == ZYDIS_REGISTER_RIP) {
    disp += static_cast<int64_t>(d.pc + d.insn.length);
    base = -1;
  }
  // Only lea and mov: guest flags stay untouched.
  bool have = false;
  if (op.mem.segment == ZYDIS_REGISTER_FS) {
    a.mov(s, t.ctx_mem(CAPVM_CTX_OFF(fs_base), 8));
    have = true;
  }
  if (!have) {
    if (base >= 0) {
      a.lea(s, index >= 0 ? x86::ptr(kGp64[base], kGp64[index], shift, static_cast<int32_t>(disp))
                          : x86::ptr(kGp64[base], static_cast<int32_t>(disp)));
      return;
    }
    a.mov(s, imm(disp));
    if (index >= 0) a.lea(s, x86::ptr(s, kGp64[index], shift));
    return;
  }
  if (base >= 0)
    a.lea(s, base == kRsp ? x86::ptr(kGp64[base], s) : x86::ptr(s, kGp64[base]));
  if (index >= 0)
    a.lea(s, x86::ptr(s, kGp64[index], shift, static_cast<int32_t>(disp)));
  else if (disp != 0)
    a.lea(s, x86::ptr(s, static_cast<int32_t>(disp)));
}

void emit_confined(x86::Assembler& a, const Translator::Impl& t, const DecodedInsn& d,
                   const ZydisDecodedOperand& op, const std::vector<uint8_t>& bytes,
                   unsigned scratch) {
  if (scratch == kNoScratch) {
    a.embed(bytes.data(), bytes.size());
    return;
  }
  const int32_t slot = CAPVM_CTX_OFF(scratch) + 24;
  a.mov(t.ctx_mem(slot, 8), kGp64[scratch]);
  emit_effective_address(a, t, d, op, scratch);
  a.embed(bytes.data(), bytes.size());
  a.mov(kGp64[scratch], t.ctx_mem(slot, 8));
}

}  // namespace capvm::x86_64
