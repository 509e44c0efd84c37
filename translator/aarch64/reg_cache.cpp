// The per-block guest-register cache: which guest registers a block keeps
// in host registers, the prologue that loads them, and the stores that put
// the written ones back before anything outside the block can look.
#include <algorithm>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

x86::Mem xslot(unsigned i) { return x86::ptr(kCtx, CAPVM_A64_OFF(x) + 8 * static_cast<int32_t>(i), 8); }

// order[] = 0..31 by descending uses[], ties by register number: a stable
// insertion sort, where std::stable_sort would allocate a buffer per block.
void order_by_uses(const unsigned (&uses)[32], unsigned (&order)[32]) {
  for (unsigned i = 0; i < 32; ++i) {
    unsigned j = i;
    while (j > 0 && uses[order[j - 1]] < uses[i]) {
      order[j] = order[j - 1];
      --j;
    }
    order[j] = i;
  }
}

// Operand positions an instruction only writes (bit per position): the
// general-register destinations of the data-processing and load forms
// whose destination is not also a source (MOVK and BFM insert into theirs;
// a pre/post-indexed load's first operand is its written-back base). Every
// other instruction, and every other position, counts as a read.
uint32_t pure_destinations(const Insn& in) {
  const OpInfo info = in.info();
  switch (info.cls) {
    case InsnClass::kAddSubImm: case InsnClass::kAddSubShifted: case InsnClass::kAddSubExt:
    case InsnClass::kAddSubCarry: case InsnClass::kLogicImm: case InsnClass::kLogicShifted:
    case InsnClass::kExtract: case InsnClass::kShiftVar: case InsnClass::kMulAdd:
    case InsnClass::kDiv: case InsnClass::kCondSel: case InsnClass::kBitOps:
    case InsnClass::kPcRel: case InsnClass::kLoadLiteral:
      return 1;
    case InsnClass::kMoveWide:
      return in.op == Op::MOVKXi || in.op == Op::MOVKWi ? 0 : 1;
    case InsnClass::kBitfield:
      return in.op == Op::BFMXri || in.op == Op::BFMWri ? 0 : 1;
    case InsnClass::kLoadStore:
    case InsnClass::kLoadStorePair: {
      const LoadShape ls = load_shape(in.op);
      if (!ls.load) return 0;
      const uint32_t first = ls.writeback ? 2 : 1;  // position 0 or 1
      return ls.pair ? first | first << 1 : first;
    }
    default:
      return 0;
  }
}

// Classes whose lowerings may add cold paths (emit_cold), which store the
// block's final dirty set from a point before some of those writes.
bool may_add_cold_path(const Insn& in) {
  switch (in.info().cls) {
    case InsnClass::kExclusive: case InsnClass::kAtomic:
    case InsnClass::kNeon: case InsnClass::kNeonLoadStore:
      return true;
    default:
      return false;
  }
}

}  // namespace

uint32_t Emitter::written_first(const std::vector<Insn>& insns) const {
  // Registers the block writes whole before it reads them: their prologue
  // load would be dead. Sound because the block stores back only what it
  // wrote: a side exit or helper call before the write stores nothing for
  // such a register, whose value is still the context's. Not in a block
  // that loops (every cached register counts as written there) or that may
  // have cold paths.
  uint32_t decided = 0, first = 0;
  for (const Insn& in : insns) {
    // An undecodable word ends the block there (its SIGILL exit stores
    // only what was written before it): what was decided up to it holds.
    if (in.op == Op::kInvalid) break;
    if (may_add_cold_path(in)) return 0;
    const uint32_t dest = pure_destinations(in);
    uint32_t read = 0, written = 0;
    for (unsigned k = 0; k < in.num_ops; ++k) {
      const int i = gp_index(in.ops[k]);
      if (i < 0) continue;
      if (dest >> k & 1) written |= 1u << i;
      else read |= 1u << i;
    }
    first |= written & ~read & ~decided;
    decided |= read | written;
  }
  return first;
}

void Emitter::begin_block(const std::vector<Insn>& insns, bool loops, size_t loop_end) {
  // Cache the registers the block names most often (operands only: a
  // register a lowering writes implicitly, like BL's X30, goes through
  // store_gp and reaches the context when it is not cached). A use inside
  // the loop of a block that loops on itself counts many times over: the
  // code after the loop runs once per loop exit.
  unsigned uses[32] = {};
  for (size_t n = 0; n < insns.size(); ++n) {
    const Insn& in = insns[n];
    if (in.op == Op::kInvalid) continue;
    const unsigned weight = loops && n <= loop_end ? 16 : 1;
    for (unsigned k = 0; k < in.num_ops; ++k)
      if (const int i = gp_index(in.ops[k]); i >= 0) uses[i] += weight;
  }
  // A block that loops on itself, if it names more registers than the
  // cache has slots beside the pinned ones, unpins them: they go to the
  // context in the prologue and come back before every exit and call
  // (writeback), and the loop keeps what it uses most in all kCacheCount
  // registers. (Elsewhere that round trip costs more than it saves.)
  unsigned distinct = 0;
  for (unsigned i = 0; i < 32; ++i)
    if (uses[i] > 0 && !(kPinnedMask >> i & 1)) ++distinct;
  unpinned = loops && distinct > kCacheCount - kPinnedCount;
  if (!unpinned)
    for (unsigned k = 0; k < kPinnedCount; ++k) uses[kPinnedGuest[k]] = 0;
  const unsigned pool = unpinned ? kCacheCount : kCacheCount - kPinnedCount;
  unsigned order[32];
  order_by_uses(uses, order);
  std::fill(slot, slot + 32, int8_t{-1});
  cached = dirty = 0;
  for (unsigned k = 0; k < pool && uses[order[k]] > 0; ++k) {
    slot[order[k]] = static_cast<int8_t>(k);
    cached |= 1u << order[k];
  }
  if (unpinned) {
    store_pinned();
  } else {
    // Pinned: in their host registers (translator_impl.h), never in `cached`
    // or `dirty`, which say what this block loads and stores.
    for (unsigned k = 0; k < kPinnedCount; ++k) slot[kPinnedGuest[k]] = static_cast<int8_t>(kPinnedSlot(k));
  }
  choose_v_cache(insns, loops, loop_end);
  load_registers(cached & ~(loops ? 0 : written_first(insns)));
  body = a.newLabel();
  a.bind(body);
  // A branch back to `body` arrives with whatever the loop wrote still in
  // host registers only; code emitted for the first iteration cannot know
  // that, so in a looping block every cached register counts as written
  // (helper calls and exits store them all).
  if (loops) {
    dirty = cached;
    vdirty = vcached;
  }
}

namespace {

bool is_v_view(RegKind k) {
  return k == RegKind::kB || k == RegKind::kH || k == RegKind::kS || k == RegKind::kD || k == RegKind::kQ;
}

// Instructions whose lowering reaches V registers only through the
// cache-aware accessors: FP and NEON register operations and single/pair
// loads and stores. Structure loads/stores (lists, lanes) and literal loads
// address the context directly.
bool v_cache_aware(const Insn& in) {
  switch (in.info().cls) {
    case InsnClass::kNeonLoadStore:
    case InsnClass::kLoadLiteral:
      return false;
    default:
      return true;
  }
}

}  // namespace

void Emitter::choose_v_cache(const std::vector<Insn>& insns, bool loops, size_t loop_end) {
  std::fill(vslot, vslot + 32, int8_t{-1});
  vcached = vdirty = 0;
  v_violation = 0;
  unsigned uses[32] = {};
  uint32_t banned = v_banned;
  for (size_t n = 0; n < insns.size(); ++n) {
    const Insn& in = insns[n];
    if (in.op == Op::kInvalid) continue;
    const unsigned weight = loops && n <= loop_end ? 16 : 1;
    const bool aware = v_cache_aware(in);
    for (unsigned k = 0; k < in.num_ops; ++k) {
      const Operand& o = in.ops[k];
      if (!o.is_reg()) continue;
      if (is_v_view(o.reg.kind)) {
        if (aware) uses[o.reg.index] += weight;
        else banned |= 1u << o.reg.index;
      } else if (o.reg.kind == RegKind::kDList || o.reg.kind == RegKind::kQList) {
        for (unsigned j = 0; j < o.reg.count; ++j) banned |= 1u << ((o.reg.index + j) & 31);
      }
    }
  }
  unsigned order[32];
  order_by_uses(uses, order);
  unsigned k = 0;
  for (unsigned j = 0; j < 32 && k < kVCacheCount; ++j) {
    const unsigned v = order[j];
    if (uses[v] == 0) break;
    // A register used once is not worth a load in the prologue and a store
    // at every exit.
    if (banned >> v & 1 || uses[v] < 2) continue;
    vslot[v] = static_cast<int8_t>(k++);
    vcached |= 1u << v;
  }
}

void Emitter::writeback() {
  const uint32_t stored = unpinned ? dirty : dirty & ~kPinnedMask;
  for (unsigned i = 0; i < 32; ++i)
    if (stored >> i & 1) a.mov(xslot(i), kCacheHost[slot[i]]);
  for (unsigned i = 0; i < 32; ++i)
    if (vdirty >> i & 1) a.movdqu(vctx(i), vhost(i));
}

void Emitter::leave_registers() {
  writeback();
  // The next block finds the pinned registers in place.
  if (unpinned) load_pinned();
}

void store_pinned(x86::Assembler& a) {
  for (unsigned k = 0; k < kPinnedCount; ++k) a.mov(xslot(kPinnedGuest[k]), kCacheHost[kPinnedSlot(k)]);
}

void load_pinned(x86::Assembler& a) {
  for (unsigned k = 0; k < kPinnedCount; ++k) a.mov(kCacheHost[kPinnedSlot(k)], xslot(kPinnedGuest[k]));
}

void Emitter::store_pinned() { aarch64::store_pinned(a); }

void Emitter::load_pinned() { aarch64::load_pinned(a); }

void Emitter::reload_cached() {
  if (!unpinned) load_pinned();
  load_registers(cached);
}

void Emitter::load_registers(uint32_t gp) {
  for (unsigned i = 0; i < 32; ++i)
    if (gp >> i & 1) a.mov(kCacheHost[slot[i]], xslot(i));
  for (unsigned i = 0; i < 32; ++i)
    if (vcached >> i & 1) a.movdqu(vhost(i), vctx(i));
}

}  // namespace capvm::aarch64
