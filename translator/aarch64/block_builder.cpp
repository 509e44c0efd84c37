// Translation of one guest block: fetch and decode up to max_block_insns
// instructions (stopping after control flow), work out which flag results a
// later instruction reads, lower each instruction through its class's
// lowering, and end the block in typed exits.
#include <Zydis/Zydis.h>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

void Emitter::exit_with(ExitReason reason, uint64_t pc) {
  leave_registers();
  exit_tail(reason, pc);
}

void Emitter::exit_tail(ExitReason reason, uint64_t pc) {
  a.mov(x86::rax, imm(pc));
  a.mov(ctx(CAPVM_A64_OFF(pc), 8), x86::rax);
  a.mov(ctx(CAPVM_A64_OFF(exit_reason), 8), imm(static_cast<int32_t>(reason)));
  a.jmp(t.exit_stub);
}

Label Emitter::exit_label(uint64_t target) {
  if (target == block_pc) return body;  // a loop: stay in the block
  Label l = a.newLabel();
  pending.push_back({l, target, dirty, vdirty});
  return l;
}

void Emitter::direct_exit(uint64_t target) {
  if (target == block_pc) {
    a.jmp(body);
    return;
  }
  emit_exit_stub({a.newLabel(), target, dirty, vdirty});
}

void Emitter::emit_exit_stub(const PendingExit& e) {
  a.bind(e.label);
  // The target block loads what it needs from the context. Only what was
  // written before the branch: a side exit's stub is emitted after the
  // whole block, whose later writes are not on its path.
  const uint32_t written = dirty, vwritten = vdirty;
  dirty = e.dirty;
  vdirty = e.vdirty;
  leave_registers();
  // The patchable jmp rel32, its displacement 4-byte aligned so linking is
  // one atomic store; rel32 = 0 falls through to the slow path.
  a.align(AlignMode::kCode, 4);
  a.embed("\x0F\x1F\x00", 3);
  Label site = a.newLabel();
  a.bind(site);
  a.embed("\xE9\x00\x00\x00\x00", 5);
  if (compact_exits && e.target >> 32 == 0) {
    // 27 bytes instead of about 45: the low half of the pc, the site's
    // distance from the shared branch-exit stub (patched in at install),
    // and a jump to that stub, which does the rest.
    a.mov(ctx(CAPVM_A64_OFF(pc), 4), imm(static_cast<uint32_t>(e.target)));
    a.mov(ctx(CAPVM_A64_OFF(link_rel), 4), imm(0));
    link_rel_patches.push_back({a.offset() - 4, site, 0});  // site: the jmp itself
    a.jmp(t.branch_exit_stub);
  } else {
    a.lea(x86::rax, x86::ptr(site));
    a.mov(ctx(CAPVM_A64_OFF(link_site), 8), x86::rax);
    exit_tail(ExitReason::kBranch, e.target);
  }
  dirty = written;
  vdirty = vwritten;
}

void Emitter::emit_cold() {
  // After the last instruction: nothing falls into this code. Each path
  // jumps back into the block; the register cache's dirty set is the
  // block's final one, a superset that stores values still current then.
  const Insn* last = in;
  for (auto& path : cold) path();
  cold.clear();
  in = last;
}

Lowered Emitter::fall_through(uint64_t next) {
  if (!last_insn) return Lowered::kContinue;
  direct_exit(next);
  return Lowered::kEndBlock;
}

void Emitter::indirect_exit() {
  // rax = guest target. Flags live in the context, so host flags are free.
  Label miss = a.newLabel();
  leave_registers();  // moves only: rax survives
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

// A conditional branch: a side exit inside a superblock.
bool is_side_exit(const Insn& in) {
  switch (in.op) {
    case Op::Bcc: return (in.ops[0].imm & 15) < 14;
    case Op::CBZX: case Op::CBZW: case Op::CBNZX: case Op::CBNZW:
    case Op::TBZX: case Op::TBZW: case Op::TBNZX: case Op::TBNZW:
      return true;
    default: return false;
  }
}

// Target of a direct branch (B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ); false for
// anything else.
bool direct_target(const Insn& in, uint64_t* target) {
  unsigned op;
  switch (in.op) {
    case Op::B: case Op::BL: op = 0; break;
    case Op::Bcc: case Op::CBZX: case Op::CBZW: case Op::CBNZX: case Op::CBNZW: op = 1; break;
    case Op::TBZX: case Op::TBZW: case Op::TBNZX: case Op::TBNZW: op = 2; break;
    default: return false;
  }
  *target = in.pc + static_cast<uint64_t>(in.ops[op].imm * 4);
  return true;
}

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

void dump_block(std::FILE* out, const Block& b, const std::vector<Insn>& insns) {
  std::fprintf(out, "capvm: a64 block guest 0x%llx-0x%llx -> host %p (%zu bytes)\n",
               static_cast<unsigned long long>(b.guest_pc), static_cast<unsigned long long>(b.guest_end),
               static_cast<void*>(b.rx), b.size);
  for (const Insn& in : insns)
    std::fprintf(out, "  guest %08llx  %08x  %s\n", static_cast<unsigned long long>(in.pc), in.raw,
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
    std::fprintf(out, "  host  %llx  %s\n", static_cast<unsigned long long>(at), text);
  }
}

// Condition operand of a flag reader that loads the flags before emitting
// anything else (B.cond, CSEL/CSINC/CSINV, CCMP/CCMN), or -1.
int first_load_cond(const Insn& in) {
  switch (in.op) {
    case Op::Bcc: return static_cast<int>(in.ops[0].imm & 15);
    case Op::CSELXr: case Op::CSELWr: case Op::CSINCXr: case Op::CSINCWr:
    case Op::CSINVXr: case Op::CSINVWr:
    case Op::CCMPXr: case Op::CCMPWr: case Op::CCMPXi: case Op::CCMPWi:
    case Op::CCMNXr: case Op::CCMNWr: case Op::CCMNXi: case Op::CCMNWi:
      return static_cast<int>(in.ops[3].imm & 15);
    default: return -1;
  }
}

// The first flags reader after instruction i, when nothing before it writes
// flags, is a system instruction, leaves the block or names one of the
// general registers in `regs` (bit per gp_index); else 0. The reader's load
// condition goes to *cond (-1 when it has none the caller can use).
size_t next_reader_untouched(const std::vector<Insn>& insns, size_t i, uint32_t regs, int* cond) {
  for (size_t j = i + 1; j < insns.size(); ++j) {
    const Insn& x = insns[j];
    if (x.op == Op::kInvalid) return 0;
    if (reads_flags(x)) {
      *cond = first_load_cond(x);
      return j;
    }
    if (writes_flags(x) || x.info().cls == InsnClass::kSystem || is_control_flow(x.info().cls)) return 0;
    for (unsigned k = 0; k < x.num_ops; ++k)
      if (const int r = gp_index(x.ops[k]); r >= 0 && (regs >> r & 1)) return 0;
  }
  return 0;
}

uint32_t reg_bit(const Operand& o) {
  const int r = gp_index(o);
  return r >= 0 ? 1u << r : 0;
}

// If insns[i] is a compare into ZR (SUBS/ANDS, immediate or register) whose
// flags are read first by a later instruction j of the block that loads
// them first, and nothing in between reads or writes the flags or names the
// compare's registers: j. Otherwise 0.
size_t deferrable_compare(const std::vector<Insn>& insns, size_t i) {
  const Insn& w = insns[i];
  switch (w.op) {
    case Op::SUBSXri: case Op::SUBSWri: case Op::SUBSXrs: case Op::SUBSWrs:
    case Op::ANDSXri: case Op::ANDSWri: case Op::ANDSXrs: case Op::ANDSWrs:
      break;
    default: return 0;
  }
  if (w.ops[0].reg.kind != RegKind::kXZR && w.ops[0].reg.kind != RegKind::kWZR) return 0;
  int c = -1;
  const size_t j = next_reader_untouched(insns, i, reg_bit(w.ops[1]) | reg_bit(w.ops[2]), &c);
  return j != 0 && c >= 0 && c < 14 ? j : 0;
}

// For an ADDS/SUBS/ANDS (immediate or shifted register) into a register:
// the index of its only flags reader when that reader needs only Z or N,
// the flags are dead after it, and nothing in between writes flags, leaves
// the block or names the result register; else 0 (see Emitter::deferred_test).
size_t deferrable_result_test(const std::vector<Insn>& insns, size_t i, const std::vector<bool>& after) {
  const Insn& w = insns[i];
  switch (w.op) {
    case Op::ADDSXri: case Op::ADDSWri: case Op::ADDSXrs: case Op::ADDSWrs:
    case Op::SUBSXri: case Op::SUBSWri: case Op::SUBSXrs: case Op::SUBSWrs:
    case Op::ANDSXri: case Op::ANDSWri: case Op::ANDSXrs: case Op::ANDSWrs:
      break;
    default: return 0;
  }
  const Reg rd = w.ops[0].reg;
  if (rd.kind != RegKind::kX && rd.kind != RegKind::kW) return 0;
  int c = -1;
  const size_t j = next_reader_untouched(insns, i, reg_bit(w.ops[0]), &c);
  // EQ, NE (Z) and MI, PL (N) only; nothing may read these flags later.
  const bool zn = c == 0 || c == 1 || c == 4 || c == 5;
  return j != 0 && zn && !writes_flags(insns[j]) && !after[j] ? j : 0;
}

// Whether the flags instruction i (an integer add/sub/logic that captures
// them with save_flags) writes are read only by a run of readers right after
// it (b.cond, csel and its kin, none writing flags) and are dead after the
// last one: then they need not be stored to the context, since the readers
// find them in the host flags. Should a reader's lowering still have to load
// them from the context, the block is translated again with the stores
// (Emitter::flags_violation).
// Whether insns[first..] begins with at least one flag reader of that kind
// and the flags are dead after the run's last reader.
bool run_ends_dead(const std::vector<Insn>& insns, size_t first, const std::vector<bool>& after) {
  size_t k = first;
  while (k < insns.size() && insns[k].op != Op::kInvalid && reads_flags(insns[k]) && !writes_flags(insns[k]) &&
         first_load_cond(insns[k]) >= 0) {
    // A b.cond ends the run: after[] of the last reader then also covers
    // the branch target's need for the flags.
    if (is_control_flow(insns[k++].info().cls)) break;
  }
  return k > first && !after[k - 1];
}

bool readers_follow(const std::vector<Insn>& insns, size_t i, const std::vector<bool>& after) {
  switch (insns[i].info().cls) {
    case InsnClass::kAddSubImm: case InsnClass::kAddSubShifted: case InsnClass::kAddSubExt:
    case InsnClass::kAddSubCarry: case InsnClass::kLogicImm: case InsnClass::kLogicShifted:
      break;
    default:
      return false;
  }
  return run_ends_dead(insns, i + 1, after);
}

// Whether host code [from, to) may change the host's status flags: any
// instruction that writes one of them, or a call (the callee may).
bool clobbers_host_flags(const uint8_t* code, size_t from, size_t to) {
  static const ZydisDecoder dec = [] {
    ZydisDecoder d;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    return d;
  }();
  constexpr ZydisAccessedFlagsMask kStatus = ZYDIS_CPUFLAG_CF | ZYDIS_CPUFLAG_PF | ZYDIS_CPUFLAG_AF |
                                             ZYDIS_CPUFLAG_ZF | ZYDIS_CPUFLAG_SF | ZYDIS_CPUFLAG_OF;
  for (size_t off = from; off < to;) {
    ZydisDecodedInstruction hi;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, nullptr, code + off, to - off, &hi))) return true;
    if (hi.mnemonic == ZYDIS_MNEMONIC_CALL) return true;
    const ZydisAccessedFlags* f = hi.cpu_flags;
    if (f != nullptr && ((f->modified | f->set_0 | f->set_1 | f->undefined) & kStatus) != 0) return true;
    off += hi.length;
  }
  return false;
}

}  // namespace

bool Translator::Impl::flags_live_out(const Insn& last, uint64_t next, uint64_t* lo, uint64_t* hi) {
  // The successors: a direct branch's target, and the fall-through of a
  // conditional branch or of a block that stopped at its size limit.
  uint64_t succ[2];
  unsigned count = 0;
  if (direct_target(last, &succ[0])) {
    count = 1;
    if (is_side_exit(last)) succ[count++] = next;
  } else if (is_control_flow(last.info().cls)) {
    return true;  // BR/BLR/RET: unknown target
  } else {
    succ[count++] = next;
  }
  for (unsigned s = 0; s < count; ++s)
    if (!flags_dead_at(succ[s], lo, hi)) return true;
  return false;
}

bool Translator::Impl::flags_dead_at(uint64_t pc, uint64_t* lo, uint64_t* hi) {
  // Dead only if the code at pc overwrites NZCV before anything can read
  // it, within a few straight-line instructions of guest code that is
  // executable now (the block is invalidated with that code: peek range).
  const Decoder& dec = Decoder::get();
  uint64_t at = pc;
  for (unsigned k = 0; k < 8; ++k, at += 4) {
    uint32_t raw = 0;
    Insn in;
    if (mem.fetch_code(at, &raw, 4) != abi::E_SUCCESS || dec.decode(raw, at, &in) != DecodeStatus::kOk)
      return false;
    *lo = std::min(*lo, at);
    *hi = std::max(*hi, at + 4);
    if (reads_flags(in) || in.info().cls == InsnClass::kSystem || is_control_flow(in.info().cls)) return false;
    if (writes_flags(in)) return true;
  }
  return false;
}

Block* Translator::Impl::translate_locked(uint64_t pc, int* signal) {
  const Decoder& dec = Decoder::get();
  const unsigned max_insns = options.max_block_insns == 0 ? 64 : options.max_block_insns;
  // Working vectors, one set per thread, reused from block to block (their
  // capacity stays; this runs under the translator's mutex and is not
  // reentered): the block keeps an exactly-sized copy of its pc map.
  struct Scratch {
    std::vector<Insn> insns;
    std::vector<bool> live, after;
    std::vector<std::pair<uint32_t, uint64_t>> pc_map;
  };
  static thread_local Scratch scratch;
  // Fetch and decode first: flag liveness needs the whole block.
  std::vector<Insn>& insns = scratch.insns;
  insns.clear();
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
    if (is_control_flow(in.info().cls) && !is_side_exit(in)) {
      end = End::kControl;
      break;
    }
  }
  // Flag liveness: backwards from the block's end, where the flags are live
  // unless every successor overwrites them before reading them.
  uint64_t peek_lo = pc, peek_hi = cur;
  bool need = end == End::kControl || end == End::kLimit ? flags_live_out(insns.back(), cur, &peek_lo, &peek_hi)
                                                           : true;
  std::vector<bool>& live = scratch.live;    // flags written by i are read later
  std::vector<bool>& after = scratch.after;  // flags are live after i
  live.assign(insns.size(), true);
  after.assign(insns.size(), true);
  for (size_t i = insns.size(); i-- > 0;) {
    // A side exit that is not the block's last instruction: after it the
    // flags are also live if its target may read them.
    uint64_t target;
    if (i + 1 < insns.size() && is_side_exit(insns[i]) && !need && direct_target(insns[i], &target))
      need = !flags_dead_at(target, &peek_lo, &peek_hi);
    after[i] = need;
    if (insns[i].op == Op::kInvalid) {
      need = true;  // SIGILL: the state is reported as it is
      continue;
    }
    live[i] = need;
    if (writes_flags(insns[i])) need = false;
    if (reads_flags(insns[i])) need = true;
  }

  uint32_t v_banned = 0;
  bool allow_unsaved_flags = true;
  bool compact_exits = options.compact_exit_stubs;
  for (int attempt = 0;; ++attempt) {
    auto block = std::make_unique<Block>();
    block->guest_pc = pc;
    CodeHolder& code = holder;
    code.reset(ResetPolicy::kSoft);
    code.init(Environment::host());
    x86::Assembler a(&code);
    Emitter e(*this, a);
    // V registers may live in host registers; should a lowering still have
    // addressed a cached one in the context, the block is translated again
    // without caching that one (v_violation: a safety net, not a path; each
    // attempt caches strictly fewer, the last none).
    e.v_banned = attempt < 3 ? v_banned : ~uint32_t{0};
    e.block = block.get();
    e.block_pc = pc;
    e.compact_exits = compact_exits;
    // Does a direct branch of the block lead back to its start (a loop)?
    // (loop_end: the last such branch; the loop body is insns[0..loop_end].)
    size_t loop_end = 0;
    bool loops = false;
    for (size_t k = 0; k < insns.size(); ++k) {
      uint64_t target;
      if (direct_target(insns[k], &target) && target == pc) {
        loops = true;
        loop_end = k;
      }
    }
    e.begin_block(insns, loops, loop_end);
    std::vector<std::pair<uint32_t, uint64_t>>& pc_map = scratch.pc_map;
    pc_map.clear();
    uint64_t end_pc = pc;
    bool ended = false;
    size_t deferred_reader = 0;
    for (size_t i = 0; i < insns.size() && !ended; ++i) {
      const Insn& in = insns[i];
      pc_map.emplace_back(static_cast<uint32_t>(a.offset()), in.pc);
      end_pc = in.pc + 4;
      Lowered r = Lowered::kUnsupported;
      if (in.op != Op::kInvalid) {
        if (const size_t j = deferrable_compare(insns, i); j != 0) {
          e.deferred = &in;
          e.deferred_save = !writes_flags(insns[j]) && after[j];
          // Several readers in a row from j on, and nothing after them: they
          // all find the compare in the host flags (checked: flags_violation).
          e.deferred_unsaved = e.deferred_save && allow_unsaved_flags && run_ends_dead(insns, j, after);
          if (e.deferred_unsaved) e.deferred_save = false;
          deferred_reader = j;
          continue;  // emitted by instruction j's load_flags
        }
        e.in = &in;
        e.flags_live = live[i];
        if (const size_t j = live[i] ? deferrable_result_test(insns, i, after) : 0; j != 0) {
          e.flags_live = false;  // the reader tests the result instead
          e.deferred_test = in.ops[0].reg;
          e.deferred_test_pending = true;
        }
        if (writes_flags(in)) e.flags_unsaved = false;  // older flags are no one's now
        e.skip_flags_save = e.flags_live && allow_unsaved_flags && readers_follow(insns, i, after);
        e.last_insn = i + 1 == insns.size();
        const size_t start = a.offset();
        const bool in_host = e.flags_in_host_at == start;
        e.cold_call = false;
        r = lower(e);
        // Guest flags that were in the host flags stay there across host code
        // that leaves them alone (checked on the code itself), so the next
        // reader need not reload them. Not across an instruction that changes
        // the guest flags some other way (a constant, a helper, MSR).
        if (in_host && r == Lowered::kContinue && e.flags_in_host_at != a.offset() && !writes_flags(in) &&
            in.info().cls != InsnClass::kSystem && !e.cold_call &&
            !clobbers_host_flags(code.textSection()->buffer().data(), start, a.offset()))
          e.flags_in_host_at = a.offset();
        if (i == deferred_reader && e.deferred != nullptr) {
          // (Cannot happen: such a reader loads the flags first.) Stay exact.
          e.emit_deferred();
        }
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
    block->pc_map.assign(pc_map.begin(), pc_map.end());
    block->peek_lo = std::min(peek_lo, pc);
    block->peek_hi = std::max(peek_hi, end_pc);
    e.emit_cold();
    for (const Emitter::PendingExit& p : e.pending) e.emit_exit_stub(p);
    if (e.v_violation != 0 || e.flags_violation) {
      v_banned |= e.v_violation;
      if (e.flags_violation) allow_unsaved_flags = false;
      ++v_cache_retries;
      continue;
    }
    if (!install(code, block.get())) {
      *signal = SIGKILL;
      return nullptr;
    }
    if (!translator::patch_link_rels(code, e.link_rel_patches, block->rx, block->rw, branch_exit_stub)) {
      compact_exits = false;  // placed over 2 GiB from the shared stub: long stubs
      continue;
    }
    if (options.dump_blocks)
      dump_block(options.dump_stream != nullptr ? options.dump_stream : stderr, *block, insns);
    if (options.on_block) options.on_block(block->guest_pc, block->guest_end, block->rx, block->size);
    Block* raw = block.get();
    owned.push_back(std::move(block));
    return raw;
  }
}

}  // namespace capvm::aarch64
