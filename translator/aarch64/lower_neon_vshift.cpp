// AdvSIMD shifts by a per-lane register amount (SSHL/USHL, ARM ARM C7.2
// "SSHL"): each lane shifts by the signed low byte of the matching lane of
// Vm, left when positive, right (arithmetic for SSHL) when negative, with
// amounts past the lane width giving 0 (or the sign fill). AVX2's per-lane
// variable shifts do both directions; a host without AVX2 keeps neon_exec.
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

bool lower_neon_vshift(Emitter& e) {
  static const bool avx2 = CpuInfo::host().features().x86().hasAVX2();
  if (!avx2 || e.in->op != Op::SSHLv4i32) return false;
  auto& a = e.a;
  const Insn& in = *e.in;
  const x86::Xmm n = x86::xmm0, s = x86::xmm1, left = x86::xmm2, neg = x86::xmm3, right = x86::xmm4;
  a.vmovdqu(n, e.vmem(in.ops[1].reg.index));
  a.vmovdqu(s, e.vmem(in.ops[2].reg.index));
  a.vpslld(s, s, 24);  // the signed low byte of each lane
  a.vpsrad(s, s, 24);
  // Counts are unsigned to vpsllvd/vpsravd: a negative count is huge and
  // gives 0 (left) or the sign fill (right); the blend picks the direction.
  a.vpsllvd(left, n, s);
  a.vpxor(neg, neg, neg);
  a.vpsubd(neg, neg, s);
  a.vpsravd(right, n, neg);
  a.vblendvps(n, left, right, s);  // sign of s: negative -> right shift
  a.vmovdqu(e.vmem(in.ops[0].reg.index), n);
  return true;
}

}  // namespace capvm::aarch64
