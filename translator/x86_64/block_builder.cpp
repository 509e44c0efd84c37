// Translation of one guest block: decode with Zydis, copy what is safe to
// copy, rewrite every memory access into the sandbox segment with 32-bit
// addressing, and turn control flow, stack operations and traps into
// explicit host code and typed exits.
#include <Zydis/Zydis.h>

#include <cstdio>
#include <csignal>
#include <cstring>

#include "translator/common/block_code.h"
#include "translator/x86_64/insn_rewrite.h"
#include "translator/x86_64/translator_impl.h"

namespace capvm::x86_64 {

using namespace asmjit;

namespace {

const x86::Gp kGp64[16] = {x86::rax, x86::rcx, x86::rdx, x86::rbx, x86::rsp, x86::rbp,
                           x86::rsi, x86::rdi, x86::r8,  x86::r9,  x86::r10, x86::r11,
                           x86::r12, x86::r13, x86::r14, x86::r15};

x86::Mem guest_mem(const x86::Gp& base32, int32_t disp, uint32_t size) {
  x86::Mem m = x86::ptr(base32, disp, size);
  m.setSegment(x86::gs);
  return m;
}

// A direct exit whose stub is emitted after the block body.
struct DirectExit {
  Label label;     // the slow path
  uint64_t target;
  Label site;      // the rel32 field of the patchable jump that leads here
  bool inline_jmp; // the stub starts with its own patchable jmp
};

class BlockBuilder {
 public:
  // compact: direct exits to targets below 4 GiB use the short stub
  // (emit_exit_stub), whose link_rel immediates are patched after install.
  BlockBuilder(Translator::Impl& t, x86::Assembler& a, uint64_t pc, bool compact)
      : t_(t), a_(a), pc_(pc), compact_(compact), exits_(scratch().exits),
        patches_(scratch().patches), pc_map_(scratch().pc_map), rewrite_(scratch().rewrite) {
    exits_.clear();
    patches_.clear();
    pc_map_.clear();
  }

  // Returns false when the first instruction cannot be fetched (*signal set).
  bool build(Block* block, int* signal);
  const std::vector<translator::LinkRelPatch>& link_rel_patches() const { return patches_; }

 private:
  x86::Mem ctx(int32_t off, uint32_t size) const { return t_.ctx_mem(off, size); }
  void store_pc(int32_t field, uint64_t value);
  void exit_with(ExitReason reason, uint64_t rip);
  void syscall_in_place(uint64_t pc, uint64_t next);
  void require_full_vector_state();
  void direct_exit(uint64_t target);  // unconditional, ends the block
  Label new_exit(uint64_t target);
  void emit_exit_stub(const DirectExit& e);
  void cond_exit(x86::CondCode cc, uint64_t target);  // taken: exit to target
  void spill_for_lookup();  // rax, rcx, rdx to scratch[0..2]
  void lookup_rax();     // target in rax; rax, rcx, rdx spilled to scratch[0..2]
  void push_imm_pc(uint64_t value);
  // Loads a guest qword memory operand into `dst` (confined).
  bool load_operand64(const DecodedInsn& d, const ZydisDecodedOperand& op, const x86::Gp& dst);
  // Spills for the lookup and loads an indirect branch's target into rax.
  bool target_to_rax(const DecodedInsn& d);

  // Each returns false if the instruction is not supported (SIGILL exit).
  enum class Step { kContinue, kEnd, kIllegal };
  Step translate(const DecodedInsn& d);
  Step translate_stack(const DecodedInsn& d);
  Step translate_branch(const DecodedInsn& d);

  // Working vectors, one set per thread, reused from block to block (their
  // capacity stays): building a block allocates nothing but the Block and
  // its exactly-sized pc map. A builder runs under the translator's mutex
  // and is done with them before the next one starts (the compact-stub
  // retry in translate_locked builds again only after using the patches).
  struct Scratch {
    std::vector<DirectExit> exits;
    std::vector<translator::LinkRelPatch> patches;
    std::vector<std::pair<uint32_t, uint64_t>> pc_map;
    std::vector<uint8_t> rewrite;  // a rewritten memory instruction
  };
  static Scratch& scratch() {
    static thread_local Scratch s;
    return s;
  }

  Translator::Impl& t_;
  x86::Assembler& a_;
  uint64_t pc_;
  bool compact_;
  std::vector<DirectExit>& exits_;
  std::vector<translator::LinkRelPatch>& patches_;
  std::vector<std::pair<uint32_t, uint64_t>>& pc_map_;
  std::vector<uint8_t>& rewrite_;
  bool full_vector_checked_ = false;  // the block already made sure of it
};

void BlockBuilder::store_pc(int32_t field, uint64_t value) {
  a_.mov(ctx(field, 4), imm(static_cast<uint32_t>(value)));
  a_.mov(ctx(field + 4, 4), imm(static_cast<uint32_t>(value >> 32)));
}

void BlockBuilder::exit_with(ExitReason reason, uint64_t rip) {
  store_pc(CAPVM_CTX_OFF(rip), rip);
  a_.mov(ctx(CAPVM_CTX_OFF(exit_reason), 8), imm(static_cast<int32_t>(reason)));
  a_.jmp(t_.exit_stub);
}

// A syscall served through the hook (translator.h, TranslateOptions): the
// context says what an exit would (the next pc, kSyscall) and where to come
// back, the stub saves the guest's state and calls the hook, and a served
// call resumes here, where the block ends in a direct exit to the next pc.
// The block ends anyway: if the next pc's code is invalidated during the
// call, the guest does not run the stale translation of it. No flags are
// touched: rcx is spilled to scratch[0].
void BlockBuilder::syscall_in_place(uint64_t pc, uint64_t next) {
  Label resume = a_.newLabel();
  store_pc(CAPVM_CTX_OFF(rip), next);
  a_.mov(ctx(CAPVM_CTX_OFF(exit_reason), 8), imm(static_cast<int32_t>(ExitReason::kSyscall)));
  a_.mov(ctx(CAPVM_CTX_OFF(scratch), 8), x86::rcx);
  a_.lea(x86::rcx, x86::ptr(resume));
  a_.mov(ctx(CAPVM_CTX_OFF(jump_to), 8), x86::rcx);
  a_.mov(x86::rcx, ctx(CAPVM_CTX_OFF(scratch), 8));
  const bool vdso = pc >= t_.options.vdso_code && pc < t_.options.vdso_code_end;
  a_.jmp(vdso ? t_.syscall_vdso_stub : t_.syscall_stub);
  a_.bind(resume);
  direct_exit(next);
}

// Before the block's first instruction that needs the full vector state
// (translator.h, "Vector state"): a thread still in the light mode goes
// through the shared stub, which switches it and comes back here. No flags
// are touched: rcx is spilled to scratch[0] and tested with jrcxz.
void BlockBuilder::require_full_vector_state() {
  Label light = a_.newLabel();
  Label resume = a_.newLabel();
  a_.mov(ctx(CAPVM_CTX_OFF(scratch), 8), x86::rcx);
  a_.movzx(x86::ecx, ctx(CAPVM_CTX_OFF(vector_full), 1));
  a_.jecxz(x86::rcx, light);
  a_.short_().jmp(resume);
  a_.bind(light);
  a_.lea(x86::rcx, x86::ptr(resume));
  a_.mov(ctx(CAPVM_CTX_OFF(jump_to), 8), x86::rcx);
  a_.jmp(t_.full_state_stub);
  a_.bind(resume);
  a_.mov(x86::rcx, ctx(CAPVM_CTX_OFF(scratch), 8));
}

Label BlockBuilder::new_exit(uint64_t target) {
  Label l = a_.newLabel();
  exits_.push_back({l, target, a_.newLabel(), true});
  return l;
}

void BlockBuilder::direct_exit(uint64_t target) {
  // The first direct exit's stub goes right here: no extra jump.
  DirectExit e{a_.newLabel(), target, a_.newLabel(), true};
  emit_exit_stub(e);
}

void BlockBuilder::cond_exit(x86::CondCode cc, uint64_t target) {
  // jcc rel32 is itself the patchable site: linked, the taken branch goes
  // straight to the target block. Its rel32 lies within one cache line, so
  // the patch is one atomic store (rel32_patchable); padding is rarely
  // needed, and a compare stays next to its jcc (macro-fusion).
  while (!rel32_patchable(a_.offset() + 2)) a_.nop();
  DirectExit e{a_.newLabel(), target, a_.newLabel(), false};
  a_.long_().j(cc, e.label);
  a_.bind(e.site);  // bound after the 6-byte jcc: the site is 4 bytes back
  exits_.push_back(e);
}

void BlockBuilder::emit_exit_stub(const DirectExit& e) {
  a_.bind(e.label);
  if (e.inline_jmp) {
    // A patchable jmp whose rel32 (within one cache line) is 0 until
    // linked: it falls through to the slow path below.
    while (!rel32_patchable(a_.offset() + 1)) a_.nop();
    a_.embed("\xE9\x00\x00\x00\x00", 5);
    a_.bind(e.site);  // just past the jmp: the site is 4 bytes back
  }
  if (compact_ && e.target >> 32 == 0) {
    // 29 bytes instead of 77: the low half of the pc, the link site as a
    // distance from the shared branch-exit stub (patched in at install,
    // when the block's address is known), and a jump to that stub, which
    // does the rest. Flags and registers are left alone, as below.
    a_.mov(ctx(CAPVM_CTX_OFF(rip), 4), imm(static_cast<uint32_t>(e.target)));
    a_.mov(ctx(CAPVM_CTX_OFF(link_rel), 4), imm(0));
    patches_.push_back({a_.offset() - 4, e.site, -4});  // e.site: just past the rel32
    a_.jmp(t_.branch_exit_stub);
    return;
  }
  store_pc(CAPVM_CTX_OFF(rip), e.target);
  a_.mov(ctx(CAPVM_CTX_OFF(scratch), 8), x86::rax);
  a_.lea(x86::rax, x86::ptr(e.site, -4));
  a_.mov(ctx(CAPVM_CTX_OFF(link_site), 8), x86::rax);
  a_.mov(x86::rax, ctx(CAPVM_CTX_OFF(scratch), 8));
  a_.mov(ctx(CAPVM_CTX_OFF(exit_reason), 8), imm(static_cast<int32_t>(ExitReason::kBranch)));
  a_.jmp(t_.exit_stub);
}

void BlockBuilder::spill_for_lookup() {
  const int32_t s = CAPVM_CTX_OFF(scratch);
  a_.mov(ctx(s, 8), x86::rax);
  a_.mov(ctx(s + 8, 8), x86::rcx);
  a_.mov(ctx(s + 16, 8), x86::rdx);
}

void BlockBuilder::lookup_rax() {
  // Look the guest target (rax; rax, rcx, rdx spilled) up in the
  // direct-mapped table without touching flags: a block's lookup key is
  // ~guest_pc, so rcx = key + target + 1 = target - guest_pc, tested by
  // jrcxz. Empty slots hold a sentinel block whose pc is never a target.
  // A hit jumps to the block's indirect entry, which reloads rdx: the jump
  // goes through the block itself, and its target is known one load after
  // the key (no store and reload of it on the way).
  const int32_t s = CAPVM_CTX_OFF(scratch);
  Label hit = a_.newLabel();
  a_.movzx(x86::ecx, x86::ax);  // lookup_index: low kLookupBits bits
  static_assert(kLookupBits == 16);
  a_.mov(x86::rdx, ctx(CAPVM_CTX_OFF(lookup_table), 8));
  a_.mov(x86::rdx, x86::ptr(x86::rdx, x86::rcx, 3));  // block - sentinel
  a_.mov(x86::rcx, ctx(CAPVM_CTX_OFF(lookup_base), 8));
  a_.lea(x86::rdx, x86::ptr(x86::rdx, x86::rcx));     // the block
  a_.mov(x86::rcx, x86::ptr(x86::rdx, 0));             // ~guest_pc
  a_.lea(x86::rcx, x86::ptr(x86::rcx, x86::rax, 0, 1));
  a_.jecxz(x86::rcx, hit);      // jrcxz: a 64-bit operand
  a_.jmp(t_.lookup_miss_stub);  // shared: stores the target, restores rax, rcx, rdx and exits
  a_.bind(hit);
  a_.mov(x86::rax, ctx(s, 8));
  a_.mov(x86::rcx, ctx(s + 8, 8));
  a_.jmp(x86::ptr(x86::rdx, 8));  // the indirect entry
}

void BlockBuilder::push_imm_pc(uint64_t value) {
  a_.lea(x86::rsp, x86::ptr(x86::rsp, -8));
  if (value < 0x80000000u) {
    // One 8-byte store (imm32 sign-extends to the address): the `ret` that
    // reads it back gets it by store forwarding, which two 4-byte halves
    // would defeat.
    a_.mov(guest_mem(x86::esp, 0, 8), imm(static_cast<int32_t>(value)));
  } else {
    a_.mov(guest_mem(x86::esp, 0, 4), imm(static_cast<uint32_t>(value)));
    a_.mov(guest_mem(x86::esp, 4, 4), imm(static_cast<uint32_t>(value >> 32)));
  }
}

bool BlockBuilder::load_operand64(const DecodedInsn& d, const ZydisDecodedOperand& op,
                                  const x86::Gp& dst) {
  if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
    const int r = gpr_index(op.reg.value);
    if (r < 0 || ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, op.reg.value) != 64) return false;
    if (r != static_cast<int>(dst.id())) a_.mov(dst, kGp64[r]);
    return true;
  }
  if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.size != 64) return false;
  if (op.mem.segment == ZYDIS_REGISTER_GS) return false;
  // mov dst, qword gs:[ea32]
  emit_effective_address(a_, t_, d, op, dst.id());
  a_.mov(dst, guest_mem(dst.r32(), 0, 8));
  return true;
}

bool BlockBuilder::target_to_rax(const DecodedInsn& d) {
  // rax, rcx and rdx are spilled first; the operand still reads the
  // guest's values (a register operand is never changed before it is read:
  // rax is only written by the move itself, and rcx and rdx not at all).
  spill_for_lookup();
  return load_operand64(d, d.ops[0], x86::rax);
}

BlockBuilder::Step BlockBuilder::translate_branch(const DecodedInsn& d) {
  const uint64_t next = d.pc + d.insn.length;
  const ZydisDecodedOperand& op0 = d.ops[0];
  switch (d.insn.mnemonic) {
    case ZYDIS_MNEMONIC_JMP:
      if (d.insn.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) return Step::kIllegal;
      if (op0.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        direct_exit(d.branch_target);
        return Step::kEnd;
      }
      if (!target_to_rax(d)) return Step::kIllegal;
      lookup_rax();
      return Step::kEnd;
    case ZYDIS_MNEMONIC_CALL:
      if (d.insn.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) return Step::kIllegal;
      if (op0.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        push_imm_pc(next);
        direct_exit(d.branch_target);
        return Step::kEnd;
      }
      // The target is read before the return address is pushed (a call
      // through [rsp+N] uses the old rsp).
      if (!target_to_rax(d)) return Step::kIllegal;
      push_imm_pc(next);
      lookup_rax();
      return Step::kEnd;
    case ZYDIS_MNEMONIC_RET: {
      if (d.insn.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) return Step::kIllegal;
      uint32_t extra = 0;
      if (d.insn.operand_count_visible > 0 && op0.type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
        extra = static_cast<uint32_t>(op0.imm.value.u & 0xFFFF);
      spill_for_lookup();
      a_.mov(x86::rax, guest_mem(x86::esp, 0, 8));
      a_.lea(x86::rsp, x86::ptr(x86::rsp, static_cast<int32_t>(8 + extra)));
      lookup_rax();
      return Step::kEnd;
    }
    case ZYDIS_MNEMONIC_LOOP:
    case ZYDIS_MNEMONIC_LOOPE:
    case ZYDIS_MNEMONIC_LOOPNE:
    case ZYDIS_MNEMONIC_JRCXZ: {
      if (d.insn.attributes & ZYDIS_ATTRIB_HAS_ADDRESSSIZE) return Step::kIllegal;  // ecx forms
      Label taken = a_.newLabel();
      Label fall = a_.newLabel();
      const InstId id = d.insn.mnemonic == ZYDIS_MNEMONIC_LOOP    ? x86::Inst::kIdLoop
                        : d.insn.mnemonic == ZYDIS_MNEMONIC_LOOPE ? x86::Inst::kIdLoope
                        : d.insn.mnemonic == ZYDIS_MNEMONIC_LOOPNE ? x86::Inst::kIdLoopne
                                                                   : x86::Inst::kIdJecxz;
      if (id == x86::Inst::kIdJecxz) {
        a_.emit(id, x86::rcx, taken);
      } else {
        a_.emit(id, taken);
      }
      a_.jmp(fall);
      a_.bind(taken);
      a_.jmp(new_exit(d.branch_target));
      a_.bind(fall);
      direct_exit(next);
      return Step::kEnd;
    }
    default:
      break;
  }
  if (d.insn.meta.category == ZYDIS_CATEGORY_COND_BR) {
    const auto cc = static_cast<x86::CondCode>(d.insn.opcode & 0x0F);
    // A side exit: translation goes on with the fall-through path, so a
    // loop's not-taken branches cost no jump (superblock; the block still
    // covers one contiguous guest range).
    cond_exit(cc, d.branch_target);
    return Step::kContinue;
  }
  return Step::kIllegal;
}

BlockBuilder::Step BlockBuilder::translate_stack(const DecodedInsn& d) {
  const ZydisDecodedOperand& op0 = d.ops[0];
  const int32_t s = CAPVM_CTX_OFF(scratch);
  switch (d.insn.mnemonic) {
    case ZYDIS_MNEMONIC_PUSH: {
      if (d.insn.operand_width != 64) return Step::kIllegal;
      if (op0.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        a_.lea(x86::rsp, x86::ptr(x86::rsp, -8));
        a_.mov(guest_mem(x86::esp, 0, 8), imm(static_cast<int32_t>(op0.imm.value.s)));
        return Step::kContinue;
      }
      if (op0.type == ZYDIS_OPERAND_TYPE_REGISTER) {
        const int r = gpr_index(op0.reg.value);
        if (r < 0) return Step::kIllegal;  // segment registers
        if (r == kRsp) {  // pushes the value before the decrement
          a_.mov(ctx(s, 8), x86::rax);
          a_.mov(x86::rax, x86::rsp);
          a_.lea(x86::rsp, x86::ptr(x86::rsp, -8));
          a_.mov(guest_mem(x86::esp, 0, 8), x86::rax);
          a_.mov(x86::rax, ctx(s, 8));
        } else {
          a_.lea(x86::rsp, x86::ptr(x86::rsp, -8));
          a_.mov(guest_mem(x86::esp, 0, 8), kGp64[r]);
        }
        return Step::kContinue;
      }
      const unsigned tmp = pick_scratch(d);
      if (tmp == kNoScratch) return Step::kIllegal;
      a_.mov(ctx(s, 8), kGp64[tmp]);
      if (!load_operand64(d, op0, kGp64[tmp])) return Step::kIllegal;
      a_.lea(x86::rsp, x86::ptr(x86::rsp, -8));
      a_.mov(guest_mem(x86::esp, 0, 8), kGp64[tmp]);
      a_.mov(kGp64[tmp], ctx(s, 8));
      return Step::kContinue;
    }
    case ZYDIS_MNEMONIC_POP: {
      if (d.insn.operand_width != 64) return Step::kIllegal;
      if (op0.type == ZYDIS_OPERAND_TYPE_REGISTER) {
        const int r = gpr_index(op0.reg.value);
        if (r < 0) return Step::kIllegal;
        a_.mov(kGp64[r], guest_mem(x86::esp, 0, 8));
        if (r != kRsp) a_.lea(x86::rsp, x86::ptr(x86::rsp, 8));
        return Step::kContinue;
      }
      // pop m64: the address is computed after rsp is incremented
      // (Intel SDM, POP: "if the destination operand uses rsp as a base
      // register, its value is computed after the increment").
      const unsigned tmp = pick_scratch(d);
      if (tmp == kNoScratch || op0.type != ZYDIS_OPERAND_TYPE_MEMORY) return Step::kIllegal;
      if (op0.mem.segment == ZYDIS_REGISTER_GS) return Step::kIllegal;
      const int32_t s2 = CAPVM_CTX_OFF(scratch) + 24;
      a_.mov(ctx(s, 8), kGp64[tmp]);
      a_.mov(kGp64[tmp], guest_mem(x86::esp, 0, 8));
      a_.lea(x86::rsp, x86::ptr(x86::rsp, 8));
      a_.mov(ctx(s2, 8), kGp64[tmp]);  // the value
      emit_effective_address(a_, t_, d, op0, tmp);
      a_.mov(ctx(s + 8, 8), x86::rax);
      if (tmp != kRax) {
        a_.mov(x86::rax, ctx(s2, 8));
        a_.mov(guest_mem(kGp64[tmp].r32(), 0, 8), x86::rax);
        a_.mov(x86::rax, ctx(s + 8, 8));
      } else {
        // tmp is rax: use rcx (not in the address, which is computed).
        a_.mov(ctx(s + 16, 8), x86::rcx);
        a_.mov(x86::rcx, ctx(s2, 8));
        a_.mov(guest_mem(x86::eax, 0, 8), x86::rcx);
        a_.mov(x86::rcx, ctx(s + 16, 8));
      }
      a_.mov(kGp64[tmp], ctx(s, 8));
      return Step::kContinue;
    }
    case ZYDIS_MNEMONIC_ENTER: {
      // enter imm16, 0 (nesting level 0): push rbp; rbp = rsp; rsp -= size.
      const uint32_t size = static_cast<uint32_t>(d.ops[0].imm.value.u & 0xFFFF);
      const uint32_t level = static_cast<uint32_t>(d.ops[1].imm.value.u & 0x1F);
      if (level != 0) return Step::kIllegal;
      a_.lea(x86::rsp, x86::ptr(x86::rsp, -8));
      a_.mov(guest_mem(x86::esp, 0, 8), x86::rbp);
      a_.mov(x86::rbp, x86::rsp);
      a_.lea(x86::rsp, x86::ptr(x86::rsp, -static_cast<int32_t>(size)));
      return Step::kContinue;
    }
    case ZYDIS_MNEMONIC_LEAVE:
      a_.mov(x86::rsp, x86::rbp);
      a_.mov(x86::rbp, guest_mem(x86::esp, 0, 8));
      a_.lea(x86::rsp, x86::ptr(x86::rsp, 8));
      return Step::kContinue;
    case ZYDIS_MNEMONIC_PUSHFQ:
      // pushfq needs a stack: borrow the host's for one push.
      a_.mov(ctx(s + 8, 8), x86::rsp);
      a_.mov(x86::rsp, ctx(CAPVM_CTX_OFF(host_rsp), 8));
      a_.pushfq();
      a_.pop(ctx(s + 16, 8));
      a_.mov(x86::rsp, ctx(s + 8, 8));
      a_.lea(x86::rsp, x86::ptr(x86::rsp, -8));
      a_.mov(ctx(s, 8), x86::rax);
      a_.mov(x86::rax, ctx(s + 16, 8));
      a_.mov(guest_mem(x86::esp, 0, 8), x86::rax);
      a_.mov(x86::rax, ctx(s, 8));
      return Step::kContinue;
    case ZYDIS_MNEMONIC_POPFQ:
      // Only the arithmetic flags and DF may be set by the guest: TF would
      // single-step the host, AC would fault host code.
      a_.mov(ctx(s, 8), x86::rax);
      a_.mov(x86::rax, guest_mem(x86::esp, 0, 8));
      a_.lea(x86::rsp, x86::ptr(x86::rsp, 8));
      a_.and_(x86::eax, imm(0x0CD5));
      a_.or_(x86::eax, imm(0x2));
      a_.mov(ctx(s + 16, 8), x86::rax);
      a_.mov(x86::rax, ctx(s, 8));
      a_.mov(ctx(s + 8, 8), x86::rsp);
      a_.mov(x86::rsp, ctx(CAPVM_CTX_OFF(host_rsp), 8));
      a_.push(ctx(s + 16, 8));
      a_.popfq();
      a_.mov(x86::rsp, ctx(s + 8, 8));
      return Step::kContinue;
    default:
      return Step::kIllegal;
  }
}

BlockBuilder::Step BlockBuilder::translate(const DecodedInsn& d) {
  const uint64_t next = d.pc + d.insn.length;
  switch (classify(d)) {
    case InsnClass::kCopy:
      a_.embed(d.bytes, d.insn.length);
      return Step::kContinue;
    case InsnClass::kMemory: {
      unsigned scratch = kNoScratch;
      const ZydisDecodedOperand* mop = explicit_memory_operand(d);
      if (mop == nullptr) return Step::kIllegal;
      if (!rewrite_memory_insn(d, *mop, &rewrite_, &scratch)) return Step::kIllegal;
      emit_confined(a_, t_, d, *mop, rewrite_, scratch);
      return Step::kContinue;
    }
    case InsnClass::kLeaRip: {
      // lea reg, [rip + disp]: the guest address is a translation-time constant.
      const int r = gpr_index(d.ops[0].reg.value);
      const uint64_t value = next + static_cast<uint64_t>(d.ops[1].mem.disp.value);
      if (r < 0) return Step::kIllegal;
      if (d.ops[0].size == 64) {
        a_.mov(kGp64[r], imm(value));
      } else if (d.ops[0].size == 32) {
        a_.mov(kGp64[r].r32(), imm(static_cast<uint32_t>(value)));
      } else if (d.ops[0].size == 16) {
        a_.mov(kGp64[r].r16(), imm(static_cast<uint16_t>(value)));
      } else {
        return Step::kIllegal;
      }
      return Step::kContinue;
    }
    case InsnClass::kStack:
      return translate_stack(d);
    case InsnClass::kBranch:
      return translate_branch(d);
    case InsnClass::kSyscall:
      if (t_.syscall_stub != 0) {
        syscall_in_place(d.pc, next);
      } else {
        exit_with(ExitReason::kSyscall, next);
      }
      return Step::kEnd;
    case InsnClass::kHelper:
      a_.mov(ctx(CAPVM_CTX_OFF(helper_id), 8), imm(0));
      exit_with(ExitReason::kHelper, d.pc);
      return Step::kEnd;
    case InsnClass::kTrap:
      exit_with(ExitReason::kTrap, d.pc);
      return Step::kEnd;
    case InsnClass::kIllegal:
      return Step::kIllegal;
  }
  return Step::kIllegal;
}

bool BlockBuilder::build(Block* block, int* signal) {
  const unsigned max_insns = t_.options.max_block_insns == 0 ? 64 : t_.options.max_block_insns;
  uint64_t pc = pc_;
  unsigned count = 0;
  CodeWindow window(t_.mem);
  // The indirect entry (lookup_rax): rdx back from scratch[2].
  a_.mov(x86::rdx, ctx(CAPVM_CTX_OFF(scratch) + 16, 8));
  block->direct_entry_offset = static_cast<uint32_t>(a_.offset());
  for (;;) {
    DecodedInsn d;
    const FetchStatus st = fetch_and_decode(window, pc, &d);
    if (st == FetchStatus::kNoCode) {
      if (count == 0) {
        *signal = SIGSEGV;
        return false;
      }
      direct_exit(pc);  // the next block reports the fault precisely
      break;
    }
    pc_map_.emplace_back(static_cast<uint32_t>(a_.offset()), pc);
    if (st == FetchStatus::kInvalid) {
      exit_with(ExitReason::kIllegal, pc);
      pc += 1;
      break;
    }
    const size_t mark = a_.offset();
    (void)mark;
    if (!full_vector_checked_ && needs_full_vector_state(d)) {
      require_full_vector_state();
      full_vector_checked_ = true;
    }
    const Step step = translate(d);
    if (step == Step::kIllegal) {
      exit_with(ExitReason::kIllegal, pc);
      pc += d.insn.length;
      break;
    }
    pc += d.insn.length;
    ++count;
    if (step == Step::kEnd) break;
    if (count >= max_insns) {
      direct_exit(pc);
      break;
    }
  }
  block->guest_end = pc;
  block->pc_map.assign(pc_map_.begin(), pc_map_.end());
  for (const DirectExit& e : exits_) emit_exit_stub(e);
  return true;
}

void dump_block(const Block& b, const Translator::Impl& t) {
  std::FILE* out = t.options.dump_stream != nullptr ? t.options.dump_stream : stderr;
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisFormatter fmt;
  ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
  std::fprintf(out, "capvm: block guest 0x%llx-0x%llx -> host %p (%zu bytes)\n",
               static_cast<unsigned long long>(b.guest_pc),
               static_cast<unsigned long long>(b.guest_end), static_cast<void*>(b.rx), b.size);
  auto print = [&](const char* tag, const uint8_t* code, size_t len, uint64_t addr) {
    size_t off = 0;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    while (off < len && ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + off, len - off, &in, ops))) {
      char text[256];
      ZydisFormatterFormatInstruction(&fmt, &in, ops, in.operand_count_visible, text, sizeof text,
                                      addr + off, nullptr);
      std::fprintf(out, "  %s %08llx  %s\n", tag, static_cast<unsigned long long>(addr + off), text);
      off += in.length;
    }
  };
  std::vector<uint8_t> guest(b.guest_end - b.guest_pc);
  if (t.mem.fetch_code(b.guest_pc, guest.data(), guest.size()) == abi::E_SUCCESS)
    print("guest", guest.data(), guest.size(), b.guest_pc);
  print("host ", b.rw, b.size, reinterpret_cast<uint64_t>(b.rx));
}

}  // namespace

Block* Translator::Impl::translate_locked(uint64_t pc, int* signal) {
  std::unique_ptr<Block> block;
  // Compact exit stubs first; with the long ones in the (never seen) case
  // that the block landed more than 2 GiB from the branch-exit stub.
  for (bool compact : {options.compact_exit_stubs, false}) {
    block = std::make_unique<Block>();
    block->guest_pc = pc;
    block->lookup_key = ~pc;
    // One CodeHolder for every block (mutex held): a soft reset keeps its
    // zone memory, so a block costs no allocations for labels and fixups.
    CodeHolder& code = holder;
    code.reset(ResetPolicy::kSoft);
    code.init(Environment::host());
    x86::Assembler a(&code);
    BlockBuilder builder(*this, a, pc, compact);
    if (!builder.build(block.get(), signal)) return nullptr;
    if (!install(code, block.get())) {
      *signal = SIGKILL;
      return nullptr;
    }
    if (translator::patch_link_rels(code, builder.link_rel_patches(), block->rx, block->rw,
                                    branch_exit_stub))
      break;
  }
  if (options.dump_blocks) dump_block(*block, *this);
  if (options.on_block) options.on_block(block->guest_pc, block->guest_end, block->rx, block->size);
  Block* raw = block.get();
  owned.push_back(std::move(block));
  return raw;
}

}  // namespace capvm::x86_64
