// The per-thread context and the NZCV <-> canonical flags conversion.
#include "translator/aarch64/a64_context.h"

namespace capvm::aarch64 {

namespace {
thread_local A64Context t_context;
// x86 flag bits as lahf puts them in ah.
constexpr uint64_t kAhCF = 1, kAhZF = 1 << 6, kAhSF = 1 << 7, kAhFixed = 1 << 1;
}  // namespace

A64Context& this_thread_context() { return t_context; }

uint64_t canonical_flags(uint32_t bits) {
  const bool n = bits >> 31 & 1, z = bits >> 30 & 1, c = bits >> 29 & 1, v = bits >> 28 & 1;
  const uint64_t ah = kAhFixed | (n ? kAhSF : 0) | (z ? kAhZF : 0) | (c ? 0 : kAhCF);
  return ah << 8 | (v ? 1 : 0);
}

uint32_t nzcv(const A64Context& ctx) {
  const uint64_t ah = ctx.flags >> 8 & 0xFF;
  uint32_t bits = 0;
  if (ah & kAhSF) bits |= 1u << 31;
  if (ah & kAhZF) bits |= 1u << 30;
  if (!(ah & kAhCF)) bits |= 1u << 29;
  if (ctx.flags & 1) bits |= 1u << 28;
  return bits;
}

void set_nzcv(A64Context& ctx, uint32_t bits) { ctx.flags = canonical_flags(bits); }

void set_fpcr(A64Context& ctx, uint32_t value) {
  ctx.fpcr = value & kFpcrMask;
  // FPCR.RMode 0 RN, 1 RP, 2 RM, 3 RZ -> MXCSR.RC 0 RN, 2 up, 1 down, 3 RZ.
  static constexpr uint32_t kRc[4] = {0, 2, 1, 3};
  uint32_t bits = kRc[ctx.fpcr >> kFpcrRModeShift & 3] << 13;
  // FZ flushes denormal inputs (DAZ, bit 6) and outputs (FTZ, bit 15).
  if (ctx.fpcr & kFpcrFz) bits |= 1u << 15 | 1u << 6;
  ctx.mxcsr_bits = bits;
}

}  // namespace capvm::aarch64
