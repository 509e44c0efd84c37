// Internal state of the aarch64 translator, shared by its source files, and
// the Emitter every lowering file uses.
#pragma once

#include <asmjit/x86.h>

#include <forward_list>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "translator/aarch64/a64_decoder.h"
#include "translator/aarch64/translator.h"
#include "translator/common/block_code.h"
#include "translator/common/code_cache.h"

namespace capvm::aarch64 {

struct Block {
  uint64_t guest_pc = ~uint64_t{0};  // offset 0: compared by the lookup code
  uint64_t host_code = 0;            // offset 8: jumped to by the lookup code
  uint64_t guest_end = 0;
  // Guest code the translation looked at beyond [guest_pc, guest_end) (the
  // successors' first instructions, for flag liveness): invalidating any of
  // it invalidates the block too.
  uint64_t peek_lo = 0, peek_hi = 0;
  uint8_t* rx = nullptr;
  uint8_t* rw = nullptr;
  size_t size = 0;
  std::vector<std::pair<uint32_t, uint64_t>> pc_map;  // host offset -> guest pc
  std::vector<uint64_t> incoming;
  bool valid = true;
  // Instructions executed by C++ helpers (FP, NEON) get a stable copy here;
  // the generated call passes its address. A list: nothing is allocated for
  // the many blocks without such calls (a deque allocates when created).
  std::forward_list<Insn> helper_insns;
};
static_assert(offsetof(Block, guest_pc) == 0 && offsetof(Block, host_code) == 8);

// Direct-mapped indirect-branch table, indexed by (pc >> 2) & mask.
inline constexpr uint32_t kLookupBits = 16;
inline constexpr uint32_t kLookupEntries = 1u << kLookupBits;
inline uint32_t lookup_index(uint64_t pc) { return static_cast<uint32_t>(pc >> 2) & (kLookupEntries - 1); }

struct Translator::Impl {
  Impl(vm::GuestMemory& m, const TranslateOptions& o);

  vm::GuestMemory& mem;
  TranslateOptions options;
  translator::CodeCache jit;  // W^X, perf-visible (code_cache.h)
  mutable std::mutex mutex;
  // Reused by every translation (mutex held): a soft reset keeps its
  // buffer and zone memory, so a block costs no allocations for them.
  asmjit::CodeHolder holder;
  std::unordered_map<uint64_t, Block*> blocks;
  std::vector<std::unique_ptr<Block>> owned;
  uint64_t v_cache_retries = 0;  // blocks translated again without the V cache
  std::map<uintptr_t, Block*> by_host;
  Block** table = nullptr;
  uint64_t entry_stub = 0;  // void(*)(A64Context*): enters at ctx->jump_to
  uint64_t exit_stub = 0;   // returns from entry_stub
  // Shared tail of a block's compact direct exit: link_site from link_rel,
  // the high half of pc cleared, exit reason kBranch, then the exit stub.
  uint64_t branch_exit_stub = 0;

  bool build_stubs(std::string* error);
  Block* translate_locked(uint64_t pc, int* signal);
  // Whether NZCV can be read after the block ending in `last` (`next`:
  // the address after it); widens [lo, hi) by the code it looked at.
  bool flags_live_out(const Insn& last, uint64_t next, uint64_t* lo, uint64_t* hi);
  bool flags_dead_at(uint64_t pc, uint64_t* lo, uint64_t* hi);
  bool install(asmjit::CodeHolder& code, Block* block);
  void unlink_locked(Block* b);
};

// Host registers in translated code: r15 holds the A64Context; rax, rcx,
// rdx, rsi, rdi and xmm0-xmm7 are scratch within one guest instruction.
// The other nine (kCacheHost) cache guest registers per block: a block's
// prologue loads the guest registers it uses most into them, every exit
// stores back the ones it wrote, and a call into C++ stores them before and
// reloads them after (helpers see and may change the context). Between
// blocks, and whenever the dispatcher or a helper runs, the context is the
// truth, but for the pinned registers (below), which only the dispatcher
// and helpers see there. A block that branches to its own start loops
// inside itself, keeping its registers in host registers for the whole loop.
namespace host = asmjit::x86;
inline const host::Gp kCtx = host::r15;
inline constexpr unsigned kCacheCount = 9;
inline constexpr unsigned kVCacheCount = 8;  // xmm8-xmm15 (V-register cache)
inline const host::Gp kCacheHost[kCacheCount] = {host::rbx, host::rbp, host::r12, host::r13, host::r14,
                                                 host::r8,  host::r9,  host::r10, host::r11};
// Pinned registers: SP, X29 and X30, which every call and return moves
// (stp x29, x30, [sp, #-16]!; bl; ldp; ret), live in the last
// kPinnedCount cache registers across blocks, not in the context: no
// prologue loads and no exit stores them. The entry stub loads them and the
// exit stub stores them (the dispatcher and everything after an exit see the
// context), and a helper call stores and reloads them like any cached
// register. The per-block cache uses the other kCacheCount - kPinnedCount.
inline constexpr unsigned kPinnedCount = 3;
inline constexpr unsigned kPinnedGuest[kPinnedCount] = {31, 29, 30};  // SP, X29, X30
inline constexpr uint32_t kPinnedMask = 1u << 31 | 1u << 29 | 1u << 30;
inline constexpr unsigned kPinnedSlot(unsigned k) { return kCacheCount - kPinnedCount + k; }
// Moves the pinned registers between their host registers and the context
// (reg_cache.cpp): the entry and exit stubs, helper calls, unpinned blocks.
void store_pinned(host::Assembler& a);
void load_pinned(host::Assembler& a);

enum class Lowered { kContinue, kEndBlock, kUnsupported };

// Index in A64Context::x of a general register (31 = SP), or -1 for the
// zero register and everything that is not a general register.
inline int gp_index(Reg r) {
  switch (r.kind) {
    case RegKind::kX: case RegKind::kW: return r.index;
    case RegKind::kSP: case RegKind::kWSP: return static_cast<int>(kSp);
    default: return -1;
  }
}
inline int gp_index(const Operand& o) { return o.is_reg() ? gp_index(o.reg) : -1; }

class Emitter {
 public:
  Emitter(Translator::Impl& t, host::Assembler& a) : t(t), a(a) {}

  Translator::Impl& t;
  host::Assembler& a;
  const Insn* in = nullptr;
  Block* block = nullptr;
  bool flags_live = true;  // does a later reader need this insn's NZCV?
  // Assembler offset at which the host flags hold the guest NZCV in
  // canonical form (right after save_flags); load_flags there emits nothing.
  size_t flags_in_host_at = ~size_t{0};
  // A compare (SUBS/ANDS into ZR) whose only reader comes later in the
  // block, with nothing between touching its registers or the flags: it is
  // emitted by the reader's load_flags, right before the jcc/cmov, and
  // saved to the context only when `deferred_save`.
  // Rare paths (NaN fallbacks into C++) placed after the block's last
  // instruction, so the common path falls straight through; cold_call: the
  // current instruction has one (its host code may not keep host flags).
  std::vector<std::function<void()>> cold;
  bool cold_call = false;
  void emit_cold();
  // xmm0 holds V[v_xmm0_reg] at assembler offset v_xmm0_at (set right after
  // a vector store from xmm0, e.g. ldr q1; fmul v1.2d, ...): a load of that
  // register at that offset is a register move, not a store-forwarded load.
  size_t v_xmm0_at = ~size_t{0};
  unsigned v_xmm0_reg = 0;
  void note_v_in_xmm0(unsigned v) { v_xmm0_at = a.offset(); v_xmm0_reg = v; }
  bool v_in_xmm0(unsigned v) const { return a.offset() == v_xmm0_at && v_xmm0_reg == v; }
  const Insn* deferred = nullptr;
  bool deferred_save = false;
  bool in_deferred = false;  // emit_deferred is lowering the compare
  // The current flag writer's readers all follow it directly (readers_follow
  // in block_builder.cpp): save_flags leaves the flags in the host only.
  // flags_unsaved: the context lacks the latest guest flags; a load_flags
  // then would read stale ones and sets flags_violation, and the block is
  // translated again with every save.
  bool skip_flags_save = false;
  bool deferred_unsaved = false;  // the deferred compare is not saved for that reason
  bool flags_unsaved = false;
  bool flags_violation = false;
  void emit_deferred();
  // An ADDS/SUBS/ANDS with a register result whose one reader, later in the
  // block, only asks Z or N (b.eq/ne/mi/pl, csel on them) with its flags
  // dead afterwards and the result register untouched in between: the
  // instruction is lowered without capturing flags and the reader's
  // load_flags tests the result instead (`test rd, rd`).
  Reg deferred_test{};
  bool deferred_test_pending = false;

  // Context fields.
  host::Mem ctx(int32_t off, uint32_t size) const { return host::ptr(kCtx, off, size); }
  host::Mem xmem(unsigned i) const { return ctx(CAPVM_A64_OFF(x) + 8 * i, 8); }
  // V[i] in the context. Code that may see a V register the block caches
  // (below) must not use this for it: doing so marks the translation
  // unsound and the block is translated again without the V cache.
  host::Mem vmem(unsigned i, int32_t byte = 0, uint32_t size = 16) const {
    if (v_cached(i)) v_violation |= 1u << i;
    return vctx(i, byte, size);
  }
  host::Mem vctx(unsigned i, int32_t byte = 0, uint32_t size = 16) const {
    return ctx(CAPVM_A64_OFF(v) + 16 * static_cast<int32_t>(i) + byte, size);
  }
  // Guest memory at the 32-bit truncation of `addr` (gs:[addr32]).
  static host::Mem guest(const host::Gp& addr, uint32_t size, int32_t disp = 0) {
    host::Mem m = host::ptr(addr.r32(), disp, size);
    m.setSegment(host::gs);
    return m;
  }

  // Operand access (op i of the current instruction).
  const Operand& op(unsigned i) const { return in->ops[i]; }
  Reg reg(unsigned i) const { return in->ops[i].reg; }
  int64_t opimm(unsigned i) const { return in->ops[i].imm; }
  static bool is64(Reg r);
  // General registers: W reads zero-extend, XZR/WZR read 0, SP is x[31].
  void load_gp(const host::Gp& dst, Reg r);
  // W writes zero the upper half; XZR/WZR writes are dropped. `src` may be
  // changed (zero-extended in place).
  void store_gp(Reg r, const host::Gp& src);
  void store_imm(Reg r, uint64_t value);
  // The host register an X/W/SP register is cached in for this block, if
  // any (for lowerings that can operate on it directly; W views: .r32()).
  bool gp_operand(Reg r, host::Gp* out) const;
  // Records that the code just emitted wrote cached register `r` in place
  // (its host register already holds the architectural value, W views
  // zero-extended).
  void note_written(Reg r);

  // Per-block register cache (reg_cache.cpp). begin_block picks the cached
  // registers from the block's operands and emits the prologue that loads
  // them; `body` follows it (the target of a branch to the block's start).
  void begin_block(const std::vector<Insn>& insns, bool loops, size_t loop_end);
  void choose_v_cache(const std::vector<Insn>& insns, bool loops, size_t loop_end);
  // Cached registers the block writes whole before reading: the prologue
  // does not load them (reg_cache.cpp).
  uint32_t written_first(const std::vector<Insn>& insns) const;
  void writeback();       // dirty cached registers -> context (stores only)
  // Before leaving the block: writeback, then an unpinned block's pinned
  // registers back in their host registers.
  void leave_registers();
  void store_pinned();    // the pinned registers -> context (before a call)
  void load_pinned();     // context -> the pinned registers
  // This block uses the pinned registers' host registers for its own cache
  // (reg_cache.cpp, begin_block).
  bool unpinned = false;
  void reload_cached();   // context -> every cached (and pinned) register, after a call
  // Context -> the cached general registers in `gp` and every cached V
  // register (the prologue, reload_cached).
  void load_registers(uint32_t gp);
  int8_t slot[32];        // guest register (31 = SP) -> kCacheHost index, or -1
  uint32_t cached = 0;    // bit i: guest register i is cached
  uint32_t dirty = 0;     // bit i: written by this block (so far)
  asmjit::Label body;
  uint64_t block_pc = 0;
  // Per-block V-register cache: up to eight of the block's V registers live
  // in xmm8-xmm15 (loaded by the prologue, stored back with the general
  // registers before exits and helper calls). A register is cached only
  // when every instruction naming it lowers through the cache-aware
  // accessors (load_fp/store_fp, load_one/store_one, lower_neon_sse's V);
  // `v_violation` is the safety net for any that does not: the registers it
  // names are left out when the block is translated again.
  int8_t vslot[32];
  uint32_t vcached = 0;   // bit i: V[i] is cached
  uint32_t vdirty = 0;    // bit i: V[i] written by this block (so far)
  uint32_t v_banned = 0;          // V registers this translation must not cache
  mutable uint32_t v_violation = 0;
  bool v_cached(unsigned i) const { return vcached >> i & 1; }
  host::Xmm vhost(unsigned i) const { return host::xmm(8 + static_cast<uint32_t>(vslot[i])); }
  void note_v_written(unsigned i) { vdirty |= 1u << i; }
  // V registers by view: scalar loads into an xmm, writes zero the rest of V.
  void load_fp(const host::Xmm& dst, Reg r);     // S/D/B/H/Q
  // The low 64 (Gp 64) or 32 bits (Gp 32) of V[v] into a general register,
  // and a 64-bit value into V[v] with the rest zeroed; and V[v] as the
  // source operand of a scalar SSE instruction (its cached xmm or memory).
  void load_v_gp(const host::Gp& dst, unsigned v);
  void store_v_gp(unsigned v, const host::Gp& src);
  asmjit::Operand v_src(unsigned v, uint32_t size) const {
    if (v_cached(v)) return vhost(v);
    return vmem(v, 0, size);
  }
  void store_fp(Reg r, const host::Xmm& src);    // zeroes above the view

  // NZCV: capture host flags after an x86 op whose CF already equals NOT C
  // (clobbers rax), or load them into host flags for a jcc/cmovcc/setcc.
  void save_flags();
  void save_flags_const(uint32_t nzcv_bits);
  void load_flags();
  static host::CondCode cond(unsigned arm_cond);

  // Exclusives and CASP fault on an address not aligned to their size
  // (ARM ARM: alignment fault whatever the alignment checking setting):
  // `addr` & (size - 1) != 0 leaves the block for a guest SIGBUS at this pc.
  void check_aligned(const host::Gp& addr, unsigned size);

  // Calls a C++ helper (SysV ABI; rsp is 16-aligned in translated code).
  void call(const void* fn);

  // Calls void fn(A64Context*, const Insn*) for the current instruction.
  void call_insn_helper(void (*fn)(A64Context*, const Insn*));

  // Exits and control flow (implemented in block_builder.cpp).
  void exit_with(ExitReason reason, uint64_t pc);
  // exit_with once the registers are where the exit needs them.
  void exit_tail(ExitReason reason, uint64_t pc);
  void direct_exit(uint64_t target);        // ends the block
  asmjit::Label exit_label(uint64_t target);  // stub emitted after the block
  void indirect_exit();                       // target in rax
  // After a conditional branch's taken exit: the block goes on with the
  // fall-through path (a superblock) unless the branch is its last
  // instruction, where the fall-through becomes a direct exit.
  Lowered fall_through(uint64_t next);
  bool last_insn = false;

  struct PendingExit {
    asmjit::Label label;
    uint64_t target;
    // The registers written on the way to the branch (dirty, vdirty when
    // exit_label was called, at the branch itself): all the stub stores.
    // Those the block writes after it are not on that path.
    uint32_t dirty;
    uint32_t vdirty;
  };
  std::vector<PendingExit> pending;
  void emit_exit_stub(const PendingExit& e);
  // Compact exit stubs (emit_exit_stub), whose link_rel immediates are
  // written once the block has its address (translator::patch_link_rels).
  // Off: the long stub only.
  bool compact_exits = true;
  std::vector<translator::LinkRelPatch> link_rel_patches;
};

// Host features the lowerings choose by, each checked once: AVX (VEX
// compares, vptest), FMA3 (with AVX), BMI2 (rorx, shlx/shrx/sarx).
bool host_has_avx();
bool host_has_fma();
bool host_has_bmi2();

// The 8-, 16-, 32- or 64-bit view of a general register.
inline host::Gp sized(const host::Gp& r, unsigned size) {
  switch (size) {
    case 8: return r.r64();
    case 4: return r.r32();
    case 2: return r.r16();
    default: return r.r8();
  }
}

// Lowerings: one per instruction class family, each in its own file.
Lowered lower_int_arith(Emitter& e);      // add/sub/adc/logic/movewide/adr
Lowered lower_int_bitfield(Emitter& e);   // bfm/extr/shift by register/bit ops
Lowered lower_int_muldiv(Emitter& e);
Lowered lower_cond(Emitter& e);           // csel family, ccmp/ccmn
Lowered lower_load_store(Emitter& e);     // single, pair, literal, prefetch
// What a load/store op writes, from the table lower_load_store decodes
// names with: a load (of one register or a pair) and whether it writes its
// base back (pre/post-indexed; the base is then operand 0). All false for
// stores and for ops lower_load_store does not translate.
struct LoadShape {
  bool load = false;
  bool pair = false;
  bool writeback = false;
};
LoadShape load_shape(Op op);
Lowered lower_branch(Emitter& e);
Lowered lower_system(Emitter& e);
Lowered lower_exclusive(Emitter& e);      // ldxr/stxr (and pairs), ldar/stlr
Lowered lower_atomic(Emitter& e);         // LSE: ldadd.., swp, cas, casp
Lowered lower_fp_scalar(Emitter& e);
Lowered lower_neon(Emitter& e);
bool lower_neon_vshift(Emitter& e);      // SSHL/USHL by register with AVX2 (false: not handled)
bool lower_neon_sse(Emitter& e);         // inline host-vector forms (false: not handled)
bool lower_neon_structure(Emitter& e);   // LD1-4/ST1-4/LDnR/lanes (false: not a form it knows)

// C++ semantics of FP and NEON instructions (fp_semantics.cpp,
// neon_semantics.cpp), called from translated code with the context.
void fp_exec(A64Context* ctx, const Insn* in);
bool fp_exec_supported(Op op);
void neon_exec(A64Context* ctx, const Insn* in);
bool neon_exec_supported(Op op);
// The FP lane forms neon_exec delegates (neon_fp.cpp); false: not one of them.
bool neon_fp_exec(A64Context* ctx, const Insn* in, bool run);
bool cond_holds(uint32_t nzcv_bits, unsigned cond);

// True when the instruction reads / writes NZCV (flag liveness in a block).
bool reads_flags(const Insn& in);
bool writes_flags(const Insn& in);

// Logical-immediate decoding (ARM ARM DecodeBitMasks); false if reserved.
bool decode_logical_imm(uint64_t encoded, unsigned width, uint64_t* out);
// FP immediate imm8 -> bits (VFPExpandImm).
uint64_t expand_fp_imm(uint8_t imm8, unsigned width);
// AdvSIMD modified immediate for MOVI v2d / MOVID: 8 bits -> 64-bit byte mask.
uint64_t expand_byte_mask(uint8_t imm8);

}  // namespace capvm::aarch64
