// Translation of one guest block: fetch and decode up to max_block_insns
// instructions (stopping after control flow), work out which flag results a
// later instruction reads, lower each instruction through its class's
// lowering, and end the block in typed exits.
#include <Zydis/Zydis.h>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

void Emitter::exit_with(ExitReason reason, uint64_t pc) {
  a.mov(x86::rax, imm(pc));
  a.mov(ctx(CAPVM_A64_OFF(pc), 8), x86::rax);
  a.mov(ctx(CAPVM_A64_OFF(exit_reason), 8), imm(static_cast<int32_t>(reason)));
  a.jmp(t.exit_stub);
}

Label Emitter::exit_label(uint64_t target) {
  Label l = a.newLabel();
  pending.push_back({l, target});
  return l;
}

void Emitter::direct_exit(uint64_t target) { emit_exit_stub({a.newLabel(), target}); }

void Emitter::emit_exit_stub(const PendingExit& e) {
  a.bind(e.label);
  // The patchable jmp rel32, its displacement 4-byte aligned so linking is
  // one atomic store; rel32 = 0 falls through to the slow path.
  a.align(AlignMode::kCode, 4);
  a.embed("\x0F\x1F\x00", 3);
  Label site = a.newLabel();
  a.bind(site);
  a.embed("\xE9\x00\x00\x00\x00", 5);
  a.lea(x86::rax, x86::ptr(site));
  a.mov(ctx(CAPVM_A64_OFF(link_site), 8), x86::rax);
  exit_with(ExitReason::kBranch, e.target);
}

void Emitter::indirect_exit() {
  // rax = guest target. Flags live in the context, so host flags are free.
  Label miss = a.newLabel();
  a.mov(ctx(CAPVM_A64_OFF(branch_target), 8), x86::rax);
  a.mov(x86::ecx, x86::eax);
  a.shr(x86::ecx, 2);
  a.and_(x86::ecx, kLookupEntries - 1);
  a.mov(x86::rdx, ctx(CAPVM_A64_OFF(lookup_table), 8));
  a.mov(x86::rcx, x86::ptr(x86::rdx, x86::rcx, 3));
  a.test(x86::rcx, x86::rcx);
  a.jz(miss);
  a.cmp(x86::rax, x86::ptr(x86::rcx, 0));
  a.jne(miss);
  a.jmp(x86::ptr(x86::rcx, 8));
  a.bind(miss);
  a.mov(ctx(CAPVM_A64_OFF(pc), 8), x86::rax);
  a.mov(ctx(CAPVM_A64_OFF(exit_reason), 8), imm(static_cast<int32_t>(ExitReason::kIndirectMiss)));
  a.jmp(t.exit_stub);
}

namespace {

bool is_control_flow(InsnClass c) {
  return c == InsnClass::kBranchImm || c == InsnClass::kBranchCond || c == InsnClass::kBranchReg ||
         c == InsnClass::kCompareBranch || c == InsnClass::kTestBranch;
}

Lowered lower(Emitter& e) {
  switch (e.in->info().cls) {
    case InsnClass::kAddSubImm:
    case InsnClass::kAddSubShifted:
    case InsnClass::kAddSubExt:
    case InsnClass::kAddSubCarry:
    case InsnClass::kLogicImm:
    case InsnClass::kLogicShifted:
    case InsnClass::kMoveWide:
    case InsnClass::kPcRel:
      return lower_int_arith(e);
    case InsnClass::kBitfield:
    case InsnClass::kExtract:
    case InsnClass::kShiftVar:
    case InsnClass::kBitOps:
      return lower_int_bitfield(e);
    case InsnClass::kMulAdd:
    case InsnClass::kDiv:
      return lower_int_muldiv(e);
    case InsnClass::kCondSel:
    case InsnClass::kCondCmp:
      return lower_cond(e);
    case InsnClass::kLoadStore:
    case InsnClass::kLoadLiteral:
    case InsnClass::kPrefetch:
    case InsnClass::kLoadStorePair:
      return lower_load_store(e);
    case InsnClass::kBranchImm:
    case InsnClass::kBranchCond:
    case InsnClass::kBranchReg:
    case InsnClass::kCompareBranch:
    case InsnClass::kTestBranch:
      return lower_branch(e);
    case InsnClass::kSystem:
      return lower_system(e);
    case InsnClass::kExclusive:
      return lower_exclusive(e);
    case InsnClass::kAtomic:
      return lower_atomic(e);
    case InsnClass::kFpMove:
    case InsnClass::kFpArith:
    case InsnClass::kFpUnary:
    case InsnClass::kFpFma:
    case InsnClass::kFpCompare:
    case InsnClass::kFpSelect:
    case InsnClass::kFpConvert:
      return lower_fp_scalar(e);
    case InsnClass::kNeonLoadStore:
    case InsnClass::kNeon:
      return lower_neon(e);
  }
  return Lowered::kUnsupported;
}

void dump_block(const Block& b, const std::vector<Insn>& insns) {
  std::fprintf(stderr, "capvm: a64 block guest 0x%llx-0x%llx -> host %p (%zu bytes)\n",
               static_cast<unsigned long long>(b.guest_pc), static_cast<unsigned long long>(b.guest_end),
               static_cast<void*>(b.rx), b.size);
  for (const Insn& in : insns)
    std::fprintf(stderr, "  guest %08llx  %08x  %s\n", static_cast<unsigned long long>(in.pc), in.raw,
                 Decoder::format(in).c_str());
  // The host code it became (read through the writable view).
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisFormatter fmt;
  ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
  ZydisDecodedInstruction hi;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  for (size_t off = 0; off < b.size &&
                       ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, b.rw + off, b.size - off, &hi, ops));
       off += hi.length) {
    char text[256];
    const uint64_t at = reinterpret_cast<uint64_t>(b.rx) + off;
    ZydisFormatterFormatInstruction(&fmt, &hi, ops, hi.operand_count_visible, text, sizeof text, at,
                                    nullptr);
    std::fprintf(stderr, "  host  %llx  %s\n", static_cast<unsigned long long>(at), text);
  }
}

}  // namespace

Block* Translator::Impl::translate_locked(uint64_t pc, int* signal) {
  const Decoder& dec = Decoder::get();
  const unsigned max_insns = options.max_block_insns == 0 ? 64 : options.max_block_insns;
  // Fetch and decode first: flag liveness needs the whole block.
  std::vector<Insn> insns;
  enum class End { kLimit, kNoCode, kIllegal, kControl } end = End::kLimit;
  uint64_t cur = pc;
  while (insns.size() < max_insns) {
    uint32_t raw = 0;
    if (mem.fetch_code(cur, &raw, 4) != abi::E_SUCCESS) {
      if (insns.empty()) {
        *signal = SIGSEGV;
        return nullptr;
      }
      end = End::kNoCode;  // the next block reports the fault at its pc
      break;
    }
    Insn in;
    if (dec.decode(raw, cur, &in) != DecodeStatus::kOk) {
      in = Insn{};
      in.raw = raw;
      in.pc = cur;
      insns.push_back(in);
      end = End::kIllegal;
      break;
    }
    insns.push_back(in);
    cur += 4;
    if (is_control_flow(in.info().cls)) {
      end = End::kControl;
      break;
    }
  }
  std::vector<bool> live(insns.size(), true);
  bool need = true;  // flags are live at every block end
  for (size_t i = insns.size(); i-- > 0;) {
    if (insns[i].op == Op::kInvalid) continue;
    live[i] = need;
    if (writes_flags(insns[i])) need = false;
    if (reads_flags(insns[i])) need = true;
  }

  auto block = std::make_unique<Block>();
  block->guest_pc = pc;
  CodeHolder code;
  code.init(Environment::host());
  x86::Assembler a(&code);
  Emitter e(*this, a);
  e.block = block.get();
  uint64_t end_pc = pc;
  bool ended = false;
  for (size_t i = 0; i < insns.size() && !ended; ++i) {
    const Insn& in = insns[i];
    block->pc_map.emplace_back(static_cast<uint32_t>(a.offset()), in.pc);
    end_pc = in.pc + 4;
    Lowered r = Lowered::kUnsupported;
    if (in.op != Op::kInvalid) {
      e.in = &in;
      e.flags_live = live[i];
      r = lower(e);
    }
    if (r == Lowered::kUnsupported) {
      // A clear SIGILL with the pc and the encoding, never a guess.
      a.mov(e.ctx(CAPVM_A64_OFF(illegal_encoding), 4), imm(in.raw));
      e.exit_with(ExitReason::kIllegal, in.pc);
      ended = true;
    } else if (r == Lowered::kEndBlock) {
      ended = true;
    }
  }
  if (!ended) e.direct_exit(end_pc);
  (void)end;
  block->guest_end = end_pc;
  for (const Emitter::PendingExit& p : e.pending) e.emit_exit_stub(p);
  if (!install(code, block.get())) {
    *signal = SIGKILL;
    return nullptr;
  }
  if (options.dump_blocks) dump_block(*block, insns);
  if (options.on_block) options.on_block(block->guest_pc, block->guest_end, block->rx, block->size);
  Block* raw = block.get();
  owned.push_back(std::move(block));
  return raw;
}

}  // namespace capvm::aarch64
