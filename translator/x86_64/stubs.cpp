// The two shared run-time stubs: entering translated code from C++ and
// leaving it for the dispatcher. Guest general registers and flags are loaded
// into the host's, the guest's x87/SSE/AVX state is restored with xrstor and
// saved with xsave, and the host's callee-saved state (registers, MXCSR, x87
// control word) is preserved across the round trip (SysV ABI).
#include <asmjit/x86.h>

#include "translator/x86_64/translator_impl.h"

namespace capvm::x86_64 {

using namespace asmjit;

x86::Mem Translator::Impl::ctx_mem(int32_t field_offset, uint32_t size) const {
  x86::Mem m = x86::ptr_abs(static_cast<uint64_t>(static_cast<int64_t>(ctx_off + field_offset)), size);
  m.setSegment(x86::fs);
  return m;
}

namespace {
const x86::Gp kGprs[16] = {x86::rax, x86::rcx, x86::rdx, x86::rbx, x86::rsp, x86::rbp,
                           x86::rsi, x86::rdi, x86::r8,  x86::r9,  x86::r10, x86::r11,
                           x86::r12, x86::r13, x86::r14, x86::r15};
}

bool Translator::Impl::build_stubs(std::string* error) {
  CodeHolder code;
  code.init(Environment::host());
  x86::Assembler a(&code);
  Label entry = a.newLabel();
  Label exit = a.newLabel();
  Label miss = a.newLabel();
  auto gpr = [&](unsigned i) { return ctx_mem(CAPVM_CTX_OFF(gpr) + 8 * i, 8); };

  // void entry(void): called from C++ with ctx.jump_to set.
  a.bind(entry);
  a.push(x86::rbx);
  a.push(x86::rbp);
  a.push(x86::r12);
  a.push(x86::r13);
  a.push(x86::r14);
  a.push(x86::r15);
  a.sub(x86::rsp, 8);  // keep the host stack 16-byte aligned
  a.stmxcsr(ctx_mem(CAPVM_CTX_OFF(host_mxcsr), 4));
  a.fnstcw(ctx_mem(CAPVM_CTX_OFF(host_fpucw), 2));
  a.mov(ctx_mem(CAPVM_CTX_OFF(host_rsp), 8), x86::rsp);
  a.mov(x86::rdi, ctx_mem(CAPVM_CTX_OFF(xsave_area), 8));
  a.mov(x86::eax, ctx_mem(CAPVM_CTX_OFF(xsave_mask), 4));
  a.mov(x86::edx, ctx_mem(CAPVM_CTX_OFF(xsave_mask) + 4, 4));
  a.xrstor64(x86::ptr(x86::rdi), x86::edx, x86::eax);
  a.push(ctx_mem(CAPVM_CTX_OFF(rflags), 8));
  a.popfq();
  for (unsigned i = 0; i < 16; ++i)
    if (i != kRsp) a.mov(kGprs[i], gpr(i));
  a.mov(x86::rsp, gpr(kRsp));
  a.jmp(ctx_mem(CAPVM_CTX_OFF(jump_to), 8));

  // exit: jumped to from translated code with ctx.exit_reason (and rip or
  // link data) already stored and every guest register still live.
  a.bind(exit);
  for (unsigned i = 0; i < 16; ++i) a.mov(gpr(i), kGprs[i]);
  a.mov(x86::rsp, ctx_mem(CAPVM_CTX_OFF(host_rsp), 8));
  a.pushfq();
  a.pop(ctx_mem(CAPVM_CTX_OFF(rflags), 8));
  a.mov(x86::rdi, ctx_mem(CAPVM_CTX_OFF(xsave_area), 8));
  a.mov(x86::eax, ctx_mem(CAPVM_CTX_OFF(xsave_mask), 4));
  a.mov(x86::edx, ctx_mem(CAPVM_CTX_OFF(xsave_mask) + 4, 4));
  // xsaveopt skips components the guest left unmodified since the last
  // xrstor from this area: the common case on a syscall round trip.
  if (has_xsaveopt) {
    a.xsaveopt64(x86::ptr(x86::rdi), x86::edx, x86::eax);
  } else {
    a.xsave64(x86::ptr(x86::rdi), x86::edx, x86::eax);
  }
  a.ldmxcsr(ctx_mem(CAPVM_CTX_OFF(host_mxcsr), 4));
  a.fldcw(ctx_mem(CAPVM_CTX_OFF(host_fpucw), 2));
  a.cld();
  a.add(x86::rsp, 8);
  a.pop(x86::r15);
  a.pop(x86::r14);
  a.pop(x86::r13);
  a.pop(x86::r12);
  a.pop(x86::rbp);
  a.pop(x86::rbx);
  a.ret();

  // The sentinel block's code: an indirect branch whose target matched the
  // sentinel (guest pc 1) is a miss like any other.
  a.bind(miss);
  a.mov(ctx_mem(CAPVM_CTX_OFF(exit_reason), 8), imm(static_cast<int32_t>(ExitReason::kIndirectMiss)));
  a.jmp(exit);

  code.flatten();
  code.resolveUnresolvedLinks();
  const size_t size = code.codeSize();
  void* rx = nullptr;
  void* rw = nullptr;
  if (jit.alloc(&rx, &rw, size) != kErrorOk) {
    *error = "cannot allocate the code cache";
    return false;
  }
  code.relocateToBase(reinterpret_cast<uint64_t>(rx));
  code.copyFlattenedData(rw, size, CopySectionFlags::kPadSectionBuffer);
  entry_stub = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(entry);
  exit_stub = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(exit);
  miss_stub = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(miss);
  return true;
}

}  // namespace capvm::x86_64
