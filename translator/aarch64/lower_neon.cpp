// AdvSIMD lowering: structure loads and stores inline through the sandbox
// segment (lower_neon_mem.cpp); the hot lane operations inline (lower_neon_sse.cpp);
// the rest calls neon_exec (neon_semantics.cpp).
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

Lowered lower_neon(Emitter& e) {
  const Insn& in = *e.in;
  if (in.info().cls == InsnClass::kNeonLoadStore)
    return lower_neon_structure(e) ? Lowered::kContinue : Lowered::kUnsupported;
  if (lower_neon_vshift(e) || lower_neon_sse(e)) return Lowered::kContinue;
  if (!neon_exec_supported(in.op)) return Lowered::kUnsupported;
  e.call_insn_helper(&neon_exec);
  return Lowered::kContinue;
}

}  // namespace capvm::aarch64
