// The two shared run-time stubs: entering translated code from C++ and
// leaving it for the dispatcher. Guest state is in the context at every
// block boundary (blocks load and store their cached registers themselves),
// so the stubs only keep the host's callee-saved registers (SysV ABI) and
// pin the context pointer in r15.
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

bool Translator::Impl::build_stubs(std::string* error) {
  CodeHolder code;
  code.init(Environment::host());
  x86::Assembler a(&code);
  Label entry = a.newLabel();
  Label exit = a.newLabel();
  Label branch_exit = a.newLabel();

  // void entry(A64Context* ctx): ctx->jump_to is the host code to enter.
  a.bind(entry);
  a.push(x86::rbx);
  a.push(x86::rbp);
  a.push(x86::r12);
  a.push(x86::r13);
  a.push(x86::r14);
  a.push(x86::r15);
  a.sub(x86::rsp, 8);  // rsp 16-aligned in translated code: helpers may be called
  a.mov(kCtx, x86::rdi);
  a.mov(x86::ptr(kCtx, CAPVM_A64_OFF(host_rsp), 8), x86::rsp);
  // The guest's FPCR as MXCSR (rounding, flush-to-zero) while it runs, with
  // FPSR's cumulative flags as its exception flags (guest_mxcsr()).
  a.stmxcsr(x86::ptr(kCtx, CAPVM_A64_OFF(host_mxcsr), 4));
  a.mov(x86::eax, x86::ptr(kCtx, CAPVM_A64_OFF(mxcsr_bits), 4));
  a.or_(x86::eax, 0x1F80);
  a.mov(x86::ecx, x86::ptr(kCtx, CAPVM_A64_OFF(fpsr), 4));
  a.mov(x86::edx, x86::ecx);
  a.and_(x86::ecx, 1);      // IOC -> IE
  a.and_(x86::edx, 0x1E);   // DZC, OFC, UFC, IXC -> ZE, OE, UE, PE
  a.shl(x86::edx, 1);
  a.or_(x86::eax, x86::ecx);
  a.or_(x86::eax, x86::edx);
  a.mov(x86::ptr(x86::rsp, 0, 4), x86::eax);
  a.ldmxcsr(x86::ptr(x86::rsp, 0, 4));
  // The pinned guest registers live in host registers while guest code runs.
  load_pinned(a);
  a.jmp(x86::ptr(kCtx, CAPVM_A64_OFF(jump_to), 8));

  // exit: jumped to with ctx->exit_reason and pc stored.
  a.bind(exit);
  store_pinned(a);
  a.mov(x86::rsp, x86::ptr(kCtx, CAPVM_A64_OFF(host_rsp), 8));
  // The exception flags the guest raised go back into FPSR (fpsr_from_mxcsr).
  a.stmxcsr(x86::ptr(x86::rsp, 0, 4));
  a.mov(x86::eax, x86::ptr(x86::rsp, 0, 4));
  a.mov(x86::ecx, x86::eax);
  a.and_(x86::ecx, 1);
  a.shr(x86::eax, 1);
  a.and_(x86::eax, 0x1E);
  a.or_(x86::eax, x86::ecx);
  a.or_(x86::ptr(kCtx, CAPVM_A64_OFF(fpsr), 4), x86::eax);
  a.ldmxcsr(x86::ptr(kCtx, CAPVM_A64_OFF(host_mxcsr), 4));
  a.add(x86::rsp, 8);
  a.pop(x86::r15);
  a.pop(x86::r14);
  a.pop(x86::r13);
  a.pop(x86::r12);
  a.pop(x86::rbp);
  a.pop(x86::rbx);
  a.ret();

  // branch_exit: the shared tail of a block's compact direct exit, which
  // wrote back the cached registers and stored the low half of the target
  // pc and the link site's distance from here (block_builder.cpp,
  // emit_exit_stub). rax and rcx are scratch, the host flags free.
  a.bind(branch_exit);
  a.movsxd(x86::rax, x86::ptr(kCtx, CAPVM_A64_OFF(link_rel), 4));
  a.lea(x86::rcx, x86::ptr(branch_exit));
  a.add(x86::rax, x86::rcx);
  a.mov(x86::ptr(kCtx, CAPVM_A64_OFF(link_site), 8), x86::rax);
  a.mov(x86::ptr(kCtx, CAPVM_A64_OFF(pc) + 4, 4), 0);
  a.mov(x86::ptr(kCtx, CAPVM_A64_OFF(exit_reason), 8), imm(static_cast<int32_t>(ExitReason::kBranch)));
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
  branch_exit_stub = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(branch_exit);
  return true;
}

}  // namespace capvm::aarch64
