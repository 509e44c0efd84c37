// The per-block guest-register cache: which guest registers a block keeps
// in host registers, the prologue that loads them, and the stores that put
// the written ones back before anything outside the block can look.
#include <algorithm>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

x86::Mem xslot(unsigned i) { return x86::ptr(kCtx, CAPVM_A64_OFF(x) + 8 * static_cast<int32_t>(i), 8); }

}  // namespace

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
  unsigned order[32];
  for (unsigned i = 0; i < 32; ++i) order[i] = i;
  std::stable_sort(order, order + 32, [&](unsigned l, unsigned r) { return uses[l] > uses[r]; });
  std::fill(slot, slot + 32, int8_t{-1});
  cached = dirty = 0;
  for (unsigned k = 0; k < kCacheCount && uses[order[k]] > 0; ++k) {
    slot[order[k]] = static_cast<int8_t>(k);
    cached |= 1u << order[k];
  }
  reload_cached();
  body = a.newLabel();
  a.bind(body);
  // A branch back to `body` arrives with whatever the loop wrote still in
  // host registers only; code emitted for the first iteration cannot know
  // that, so in a looping block every cached register counts as written
  // (helper calls and exits store them all).
  if (loops) dirty = cached;
}

void Emitter::writeback() {
  for (unsigned i = 0; i < 32; ++i)
    if (dirty >> i & 1) a.mov(xslot(i), kCacheHost[slot[i]]);
}

void Emitter::reload_cached() {
  for (unsigned i = 0; i < 32; ++i)
    if (cached >> i & 1) a.mov(kCacheHost[slot[i]], xslot(i));
}

}  // namespace capvm::aarch64
