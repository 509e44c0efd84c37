// Emitter: guest register and flag access shared by every lowering, and the
// small encoders of A64 immediates.
#include <array>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

bool Emitter::is64(Reg r) {
  return r.kind == RegKind::kX || r.kind == RegKind::kSP || r.kind == RegKind::kXZR;
}

void Emitter::load_gp(const x86::Gp& dst, Reg r) {
  if (r.kind == RegKind::kXZR || r.kind == RegKind::kWZR) {
    a.mov(dst.r32(), 0);  // mov, not xor: keeps host flags
    return;
  }
  const bool wide = r.kind == RegKind::kX || r.kind == RegKind::kSP;
  const unsigned i = static_cast<unsigned>(gp_index(r));
  x86::Gp h;
  if (slot[i] >= 0) {
    h = kCacheHost[slot[i]];
    if (wide) {
      if (h.id() != dst.id()) a.mov(dst.r64(), h);
    } else {
      a.mov(dst.r32(), h.r32());
    }
    return;
  }
  if (wide)
    a.mov(dst.r64(), xmem(i));
  else
    a.mov(dst.r32(), ctx(CAPVM_A64_OFF(x) + 8 * static_cast<int32_t>(i), 4));
}

void Emitter::store_gp(Reg r, const x86::Gp& src) {
  if (r.kind == RegKind::kXZR || r.kind == RegKind::kWZR) return;  // discarded
  const bool wide = r.kind == RegKind::kX || r.kind == RegKind::kSP;
  const unsigned i = static_cast<unsigned>(gp_index(r));
  x86::Gp h;
  if (slot[i] >= 0) {
    h = kCacheHost[slot[i]];
    dirty |= 1u << i;
    if (wide) {
      if (h.id() != src.id()) a.mov(h, src.r64());
    } else {
      a.mov(h.r32(), src.r32());  // a 32-bit write zero-extends
    }
    return;
  }
  if (!wide) a.mov(src.r32(), src.r32());  // zero-extend (mov keeps host flags)
  a.mov(xmem(i), src.r64());
}

void Emitter::note_written(Reg r) {
  if (const int i = gp_index(r); i >= 0) dirty |= 1u << i;
}

bool Emitter::gp_operand(Reg r, x86::Gp* out) const {
  const int i = gp_index(r);
  if (i < 0) return false;
  const int8_t k = slot[i];
  if (k < 0) return false;
  *out = kCacheHost[k];
  return true;
}

void Emitter::store_imm(Reg r, uint64_t value) {
  if (r.kind == RegKind::kXZR || r.kind == RegKind::kWZR) return;
  if (!is64(r)) value &= 0xFFFFFFFFu;
  x86::Gp h;
  if (gp_operand(r, &h)) {
    dirty |= 1u << gp_index(r);
    if (value <= 0xFFFFFFFFu)
      a.mov(h.r32(), imm(value));  // zero-extends
    else
      a.mov(h, imm(value));
    return;
  }
  a.mov(x86::rdx, imm(value));
  store_gp(r, x86::rdx);
}

void Emitter::load_fp(const x86::Xmm& dst, Reg r) {
  const bool cached = v_cached(r.index);
  const x86::Xmm c = cached ? vhost(r.index) : x86::Xmm();
  switch (r.kind) {
    case RegKind::kS:  // lane 0, the other lanes zeroed
      if (cached) a.insertps(dst, c, 0x0E); else a.movd(dst, vmem(r.index, 0, 4));
      break;
    case RegKind::kD:  // the upper half zeroed
      if (cached) a.movq(dst, c); else a.movq(dst, vmem(r.index, 0, 8));
      break;
    case RegKind::kH:
    case RegKind::kB: {
      const bool h = r.kind == RegKind::kH;
      if (cached) {
        a.movd(x86::eax, c);
        if (h) a.movzx(x86::eax, x86::ax); else a.movzx(x86::eax, x86::al);
      } else {
        a.movzx(x86::eax, vmem(r.index, 0, h ? 2 : 1));
      }
      a.movd(dst, x86::eax);
      break;
    }
    default:
      if (!cached) a.movdqu(dst, vmem(r.index));
      else if (dst != c) a.movdqa(dst, c);
      break;
  }
}

void Emitter::store_fp(Reg r, const x86::Xmm& src) {
  const bool cached = v_cached(r.index);
  const x86::Xmm c = cached ? vhost(r.index) : x86::Xmm();
  if (cached) note_v_written(r.index);
  switch (r.kind) {
    case RegKind::kS:
      if (cached) {
        a.insertps(c, src, 0x0E);
      } else {
        a.movd(vmem(r.index, 0, 4), src);
        a.mov(vmem(r.index, 4, 4), 0);
        a.mov(vmem(r.index, 8, 8), 0);
      }
      break;
    case RegKind::kD:
      if (cached) {
        a.movq(c, src);
      } else {
        a.movq(vmem(r.index, 0, 8), src);
        a.mov(vmem(r.index, 8, 8), 0);
      }
      break;
    case RegKind::kH:
    case RegKind::kB:
      a.movd(x86::eax, src);
      if (r.kind == RegKind::kH) a.movzx(x86::eax, x86::ax); else a.movzx(x86::eax, x86::al);
      store_v_gp(r.index, x86::rax);  // the rest of V zeroed
      break;
    default:
      if (!cached) a.movdqu(vmem(r.index), src);
      else if (c != src) a.movdqa(c, src);
      break;
  }
}

bool host_has_avx() {
  static const bool avx = CpuInfo::host().features().x86().hasAVX();
  return avx;
}

bool host_has_fma() {
  static const bool fma = host_has_avx() && CpuInfo::host().features().x86().hasFMA();
  return fma;
}

bool host_has_bmi2() {
  static const bool bmi2 = CpuInfo::host().features().x86().hasBMI2();
  return bmi2;
}

void Emitter::load_v_gp(const x86::Gp& dst, unsigned v) {
  if (v_cached(v)) {
    if (dst.size() == 8) a.movq(dst, vhost(v)); else a.movd(dst, vhost(v));
    return;
  }
  a.mov(dst, vmem(v, 0, dst.size()));
}

void Emitter::store_v_gp(unsigned v, const x86::Gp& src) {
  if (v_cached(v)) {
    a.movq(vhost(v), src.r64());  // the upper half zeroed
    note_v_written(v);
    return;
  }
  a.mov(vmem(v, 0, 8), src.r64());
  a.mov(vmem(v, 8, 8), 0);
}

void Emitter::save_flags() {
  if (!flags_live) return;
  if (skip_flags_save) {  // read only by the readers right after (readers_follow)
    flags_in_host_at = a.offset();
    flags_unsaved = true;
    return;
  }
  a.lahf();
  a.seto(x86::al);
  a.mov(ctx(CAPVM_A64_OFF(flags), 2), x86::ax);
  flags_in_host_at = a.offset();  // lahf/seto/mov left the host flags alone
}

void Emitter::save_flags_const(uint32_t bits) {
  a.mov(ctx(CAPVM_A64_OFF(flags), 8), imm(static_cast<int32_t>(canonical_flags(bits))));
}

void Emitter::emit_deferred() {
  const Insn* reader = in;
  const bool live = flags_live;
  in = deferred;
  flags_live = deferred_save;
  deferred = nullptr;
  in_deferred = true;
  lower_int_arith(*this);  // cmp/test, then the capture when it is saved
  in_deferred = false;
  flags_in_host_at = a.offset();
  // Left out of the context for the readers that follow (run_ends_dead):
  // any other use of the context's flags is a violation.
  if (deferred_unsaved) flags_unsaved = true;
  deferred_unsaved = false;
  in = reader;
  flags_live = live;
}

void Emitter::load_flags() {
  if (deferred != nullptr) emit_deferred();
  if (deferred_test_pending) {
    deferred_test_pending = false;
    const Reg r = deferred_test;
    const bool wide = is64(r);
    x86::Gp h;
    if (!gp_operand(r, &h)) {
      load_gp(x86::rdx, r);
      h = x86::rdx;
    }
    if (wide) a.test(h.r64(), h.r64()); else a.test(h.r32(), h.r32());  // Z and N of the result
    flags_in_host_at = a.offset();
  }
  // Nothing emitted since the writer saved them: the host flags still are
  // the guest's (cmp; b.cond, subs; csel).
  if (a.offset() == flags_in_host_at) return;
  if (flags_unsaved) flags_violation = true;  // the context does not hold them
  a.movzx(x86::eax, ctx(CAPVM_A64_OFF(flags), 2));
  a.add(x86::al, 0x7F);  // OF = (al == 1)
  a.sahf();
}

x86::CondCode Emitter::cond(unsigned c) {
  // Canonical flags keep CF = NOT C, so the unsigned conditions are x86's.
  static const x86::CondCode kMap[14] = {
      x86::CondCode::kE,  x86::CondCode::kNE, x86::CondCode::kAE, x86::CondCode::kB,
      x86::CondCode::kS,  x86::CondCode::kNS, x86::CondCode::kO,  x86::CondCode::kNO,
      x86::CondCode::kA,  x86::CondCode::kBE, x86::CondCode::kGE, x86::CondCode::kL,
      x86::CondCode::kG,  x86::CondCode::kLE};
  return kMap[c & 15];  // callers handle AL/NV (14, 15) before asking
}

void Emitter::check_aligned(const x86::Gp& addr, unsigned size) {
  if (size <= 1) return;
  Label bad = a.newLabel();
  a.test(addr.r32(), size - 1);  // guest addresses are 32-bit offsets
  a.jnz(bad);
  cold_call = true;  // the test changes the host flags
  const Insn* insn = in;
  cold.push_back([this, insn, bad] {
    in = insn;
    a.bind(bad);
    exit_with(ExitReason::kAlignment, insn->pc);
  });
}

void Emitter::call(const void* fn) {
  // Helpers see (and may change) guest registers in the context, and the
  // SysV ABI lets them clobber r8-r11.
  writeback();
  if (!unpinned) store_pinned();  // (an unpinned block's are in the context)
  a.mov(x86::rax, imm(reinterpret_cast<uint64_t>(fn)));
  a.call(x86::rax);
  reload_cached();
}

void Emitter::call_insn_helper(void (*fn)(A64Context*, const Insn*)) {
  block->helper_insns.push_front(*in);
  a.mov(x86::rdi, kCtx);
  a.mov(x86::rsi, imm(reinterpret_cast<uint64_t>(&block->helper_insns.front())));
  call(reinterpret_cast<const void*>(fn));
}

bool cond_holds(uint32_t bits, unsigned c) {
  const bool n = bits >> 31 & 1, z = bits >> 30 & 1, cf = bits >> 29 & 1, v = bits >> 28 & 1;
  bool r;
  switch (c >> 1) {
    case 0: r = z; break;
    case 1: r = cf; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = cf && !z; break;
    case 5: r = n == v; break;
    case 6: r = n == v && !z; break;
    default: return true;  // AL, NV
  }
  return (c & 1) ? !r : r;
}

bool decode_logical_imm(uint64_t encoded, unsigned width, uint64_t* out) {
  // ARM ARM, DecodeBitMasks (immediate form: N:immr:imms).
  const unsigned n = encoded >> 12 & 1, immr = encoded >> 6 & 0x3F, imms = encoded & 0x3F;
  const unsigned combined = (n << 6) | (~imms & 0x3F);
  if (combined == 0) return false;
  const int len = 31 - __builtin_clz(combined);
  if (len < 1 || (width == 32 && n)) return false;
  const unsigned esize = 1u << len;
  const unsigned levels = esize - 1;
  const unsigned s = imms & levels, r = immr & levels;
  if (s == levels) return false;
  uint64_t welem = (s + 1 == 64) ? ~uint64_t{0} : ((uint64_t{1} << (s + 1)) - 1);
  const uint64_t emask = esize == 64 ? ~uint64_t{0} : ((uint64_t{1} << esize) - 1);
  if (r) welem = ((welem >> r) | (welem << (esize - r))) & emask;
  uint64_t v = 0;
  for (unsigned i = 0; i < 64; i += esize) v |= welem << i;
  *out = width == 32 ? (v & 0xFFFFFFFFu) : v;
  return true;
}

uint64_t expand_fp_imm(uint8_t imm8, unsigned width) {
  // ARM ARM VFPExpandImm.
  const uint64_t sign = imm8 >> 7, b6 = imm8 >> 6 & 1, low = imm8 & 0x3F;
  if (width == 32) {
    const uint64_t exp = ((b6 ^ 1) << 7) | (b6 ? 0x7C : 0) | (low >> 4);
    return sign << 31 | exp << 23 | (low & 0xF) << 19;
  }
  const uint64_t exp = ((b6 ^ 1) << 10) | (b6 ? 0x3FC : 0) | (low >> 4);
  return sign << 63 | exp << 52 | (low & 0xF) << 48;
}

uint64_t expand_byte_mask(uint8_t imm8) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; ++i)
    if (imm8 >> i & 1) v |= uint64_t{0xFF} << (8 * i);
  return v;
}

}  // namespace capvm::aarch64
