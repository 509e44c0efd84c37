// The shared run-time stubs: entering translated code from C++, leaving it
// for the dispatcher, and switching a thread to the full vector state. Guest
// general registers and flags are loaded into the host's; the guest's vector
// state is XMM0-15 and MXCSR moved one by one in the light mode, every XCR0
// component restored with xrstor and saved with xsaveopt in the full mode
// (translator.h, "Vector state"); the host's callee-saved state (registers,
// MXCSR, x87 control word) is preserved across the round trip (SysV ABI).
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

// The light vector state (translator.h): XMM0-15 and MXCSR at their places in
// the legacy region of the xsave area rdi points to, so that a switch to the
// full mode xrstors them from there.
constexpr int32_t kXsaveMxcsr = 24;
constexpr int32_t kXsaveXmm0 = 160;

void store_light_state(x86::Assembler& a) {
  for (unsigned i = 0; i < 16; ++i) a.movaps(x86::ptr(x86::rdi, kXsaveXmm0 + 16 * i), x86::Xmm(i));
  a.stmxcsr(x86::ptr(x86::rdi, kXsaveMxcsr));
}

void load_light_state(x86::Assembler& a) {
  for (unsigned i = 0; i < 16; ++i) a.movaps(x86::Xmm(i), x86::ptr(x86::rdi, kXsaveXmm0 + 16 * i));
  a.ldmxcsr(x86::ptr(x86::rdi, kXsaveMxcsr));
}

}  // namespace

bool Translator::Impl::build_stubs(std::string* error) {
  CodeHolder code;
  code.init(Environment::host());
  x86::Assembler a(&code);
  Label entry = a.newLabel();
  Label exit = a.newLabel();
  Label miss = a.newLabel();
  Label full_state = a.newLabel();
  Label branch_exit = a.newLabel();
  Label lookup_miss = a.newLabel();
  Label exit_tail = a.newLabel();
  Label syscall = a.newLabel();
  Label syscall_vdso = a.newLabel();
  auto gpr = [&](unsigned i) { return ctx_mem(CAPVM_CTX_OFF(gpr) + 8 * i, 8); };

  // Loads the guest's vector state, flags and registers from the context,
  // then jumps to ctx.jump_to.
  // `save_host_fpucw`: entering from C++, when the host's x87 control word
  // is kept for the way out (a syscall served in place comes back with it
  // kept already).
  // The general registers to and from the context: the guest's rsp is
  // swapped for the host's on the way out, and the way in ends at
  // ctx.jump_to with the guest's.
  auto save_gprs_to_host_stack = [&] {
    for (unsigned i = 0; i < 16; ++i) a.mov(gpr(i), kGprs[i]);
    a.mov(x86::rsp, ctx_mem(CAPVM_CTX_OFF(host_rsp), 8));
  };
  auto load_gprs_and_resume = [&] {
    for (unsigned i = 0; i < 16; ++i)
      if (i != kRsp) a.mov(kGprs[i], gpr(i));
    a.mov(x86::rsp, gpr(kRsp));
    a.jmp(ctx_mem(CAPVM_CTX_OFF(jump_to), 8));
  };

  auto load_guest_state = [&](bool save_host_fpucw) {
    a.mov(x86::rdi, ctx_mem(CAPVM_CTX_OFF(xsave_area), 8));
    Label light = a.newLabel();
    Label loaded = a.newLabel();
    a.cmp(ctx_mem(CAPVM_CTX_OFF(vector_full), 1), 0);
    a.je(light);
    if (save_host_fpucw) a.fnstcw(ctx_mem(CAPVM_CTX_OFF(host_fpucw), 2));
    a.mov(x86::eax, ctx_mem(CAPVM_CTX_OFF(xsave_mask), 4));
    a.mov(x86::edx, ctx_mem(CAPVM_CTX_OFF(xsave_mask) + 4, 4));
    a.xrstor64(x86::ptr(x86::rdi), x86::edx, x86::eax);
    a.jmp(loaded);
    a.bind(light);
    if (has_avx) a.vzeroupper();  // no host data in upper halves; no SSE/AVX transition
    load_light_state(a);
    a.bind(loaded);
    a.push(ctx_mem(CAPVM_CTX_OFF(rflags), 8));
    a.popfq();
    load_gprs_and_resume();
  };

  // Saves every guest register, the flags and the vector state into the
  // context, and puts back the host's stack, MXCSR, x87 control word and
  // direction flag: the first half of every way out.
  auto save_guest_state = [&] {
    save_gprs_to_host_stack();
    a.pushfq();
    a.pop(ctx_mem(CAPVM_CTX_OFF(rflags), 8));
    a.mov(x86::rdi, ctx_mem(CAPVM_CTX_OFF(xsave_area), 8));
    Label light = a.newLabel();
    Label saved = a.newLabel();
    a.cmp(ctx_mem(CAPVM_CTX_OFF(vector_full), 1), 0);
    a.je(light);
    a.mov(x86::eax, ctx_mem(CAPVM_CTX_OFF(xsave_mask), 4));
    a.mov(x86::edx, ctx_mem(CAPVM_CTX_OFF(xsave_mask) + 4, 4));
    // xsaveopt skips components the guest left unmodified since the last
    // xrstor from this area: the common case on a syscall round trip.
    if (has_xsaveopt) {
      a.xsaveopt64(x86::ptr(x86::rdi), x86::edx, x86::eax);
    } else {
      a.xsave64(x86::ptr(x86::rdi), x86::edx, x86::eax);
    }
    a.fldcw(ctx_mem(CAPVM_CTX_OFF(host_fpucw), 2));
    a.jmp(saved);
    a.bind(light);
    store_light_state(a);
    a.bind(saved);
    a.ldmxcsr(ctx_mem(CAPVM_CTX_OFF(host_mxcsr), 4));
    a.cld();
  };

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
  a.mov(ctx_mem(CAPVM_CTX_OFF(host_rsp), 8), x86::rsp);
  load_guest_state(true);

  // exit: jumped to from translated code with ctx.exit_reason (and rip or
  // link data) already stored and every guest register still live.
  a.bind(exit);
  save_guest_state();
  a.bind(exit_tail);
  a.add(x86::rsp, 8);
  a.pop(x86::r15);
  a.pop(x86::r14);
  a.pop(x86::r13);
  a.pop(x86::r12);
  a.pop(x86::rbp);
  a.pop(x86::rbx);
  a.ret();

  // syscall: jumped to from a block's `syscall` (block_builder.cpp) with
  // ctx.rip the next pc, ctx.exit_reason kSyscall, the resume address in
  // ctx.jump_to and every guest register live. The hook serves the call on
  // the host stack, below the entry stub's frame, with the guest's state in
  // the context as the dispatcher sees it after an exit. It returns 0 when
  // it served the call: the guest goes on at jump_to with the registers the
  // hook left in the context. Anything else leaves through the exit's
  // second half, with the exit reason the context then holds. Nothing is
  // pushed before the state is saved: rsp holds a guest address until then.
  // Calls the hook (rsp is host_rsp, 16-byte aligned: see entry); ZF clear
  // when it declined.
  auto call_hook = [&] {
    a.mov(x86::rax, imm(reinterpret_cast<uint64_t>(options.syscall_hook)));
    a.call(x86::rax);
    a.test(x86::rax, x86::rax);
  };
  if (options.syscall_hook != nullptr) {
    a.bind(syscall);
    save_guest_state();
    call_hook();
    a.jnz(exit_tail);
    load_guest_state(false);
  }

  // syscall_vdso: the same for the `syscall` of a vDSO stub (mov eax;
  // syscall; ret), which the guest calls as a C function: under the SysV
  // ABI its vector registers and flags are dead across the call, MXCSR's
  // control bits and the x87 control word survive it. In the light mode
  // (no AVX state: the usual thread) the vector registers are neither saved
  // nor restored but zeroed on the way back, so no host value reaches the
  // guest; MXCSR is kept where the light state keeps it (a declined call
  // finds it there); the direction flag is cleared for the host, whatever
  // the guest left. A thread in the full mode takes the stub above. A guest
  // that jumps to a vDSO stub's `syscall` outside the C convention loses
  // only its own vector registers. Every general register is saved and
  // restored, as above: the hook reads them, and a declined call leaves
  // through the exit with the context complete but for the dead flags and
  // vector registers.
  if (options.syscall_hook != nullptr) {
    a.bind(syscall_vdso);
    a.cmp(ctx_mem(CAPVM_CTX_OFF(vector_full), 1), 0);
    a.jne(syscall);
    save_gprs_to_host_stack();
    a.mov(x86::rdi, ctx_mem(CAPVM_CTX_OFF(xsave_area), 8));
    a.stmxcsr(x86::ptr(x86::rdi, kXsaveMxcsr));
    a.ldmxcsr(ctx_mem(CAPVM_CTX_OFF(host_mxcsr), 4));
    a.cld();
    call_hook();
    Label declined = a.newLabel();
    a.jnz(declined);
    a.mov(x86::rdi, ctx_mem(CAPVM_CTX_OFF(xsave_area), 8));
    a.ldmxcsr(x86::ptr(x86::rdi, kXsaveMxcsr));
    if (has_avx) {
      a.vzeroall();
    } else {
      for (unsigned i = 0; i < 16; ++i) a.pxor(x86::Xmm(i), x86::Xmm(i));
    }
    load_gprs_and_resume();
    // Declined (or the thread ends): the flags the context gets are the
    // host's (dead for the guest, and clean: no trap or direction flag).
    a.bind(declined);
    a.pushfq();
    a.pop(ctx_mem(CAPVM_CTX_OFF(rflags), 8));
    a.jmp(exit_tail);
  }

  // full_state: jumped to from a block whose thread is still in the light
  // mode, right before the first instruction that needs more, with every
  // guest register and flag live and the resume address in ctx.jump_to.
  // Touches no flags; rax, rdx and rdi go through scratch[1..3] (a block's
  // check holds rcx in scratch[0]).
  a.bind(full_state);
  a.mov(ctx_mem(CAPVM_CTX_OFF(scratch) + 8, 8), x86::rax);
  a.mov(ctx_mem(CAPVM_CTX_OFF(scratch) + 16, 8), x86::rdx);
  a.mov(ctx_mem(CAPVM_CTX_OFF(scratch) + 24, 8), x86::rdi);
  a.mov(x86::rdi, ctx_mem(CAPVM_CTX_OFF(xsave_area), 8));
  store_light_state(a);
  // The x87 control word is still the host's: the light mode never loads
  // the guest's. The exit stub restores it from here in the full mode.
  a.fnstcw(ctx_mem(CAPVM_CTX_OFF(host_fpucw), 2));
  a.mov(ctx_mem(CAPVM_CTX_OFF(vector_full), 1), 1);
  // XSTATE_BV has the SSE bit set since the area was made (prepare_thread):
  // XMM0-15 and MXCSR come from what was just stored, every other component
  // from its initial state.
  a.mov(x86::eax, ctx_mem(CAPVM_CTX_OFF(xsave_mask), 4));
  a.mov(x86::edx, ctx_mem(CAPVM_CTX_OFF(xsave_mask) + 4, 4));
  a.xrstor64(x86::ptr(x86::rdi), x86::edx, x86::eax);
  a.mov(x86::rax, ctx_mem(CAPVM_CTX_OFF(scratch) + 8, 8));
  a.mov(x86::rdx, ctx_mem(CAPVM_CTX_OFF(scratch) + 16, 8));
  a.mov(x86::rdi, ctx_mem(CAPVM_CTX_OFF(scratch) + 24, 8));
  a.jmp(ctx_mem(CAPVM_CTX_OFF(jump_to), 8));

  // branch_exit: the shared tail of a block's compact direct exit, which
  // stored the low half of the target pc in rip and the link site's distance
  // from this stub in link_rel (block_builder.cpp, emit_exit_stub). Touches
  // no flags; rax and rcx go through scratch[0..1], dead at any exit.
  a.bind(branch_exit);
  a.mov(ctx_mem(CAPVM_CTX_OFF(scratch), 8), x86::rax);
  a.mov(ctx_mem(CAPVM_CTX_OFF(scratch) + 8, 8), x86::rcx);
  a.movsxd(x86::rax, ctx_mem(CAPVM_CTX_OFF(link_rel), 4));
  a.lea(x86::rcx, x86::ptr(branch_exit));
  a.lea(x86::rax, x86::ptr(x86::rax, x86::rcx));
  a.mov(ctx_mem(CAPVM_CTX_OFF(link_site), 8), x86::rax);
  a.mov(x86::rax, ctx_mem(CAPVM_CTX_OFF(scratch), 8));
  a.mov(x86::rcx, ctx_mem(CAPVM_CTX_OFF(scratch) + 8, 8));
  a.mov(ctx_mem(CAPVM_CTX_OFF(rip) + 4, 4), 0);
  a.mov(ctx_mem(CAPVM_CTX_OFF(exit_reason), 8), imm(static_cast<int32_t>(ExitReason::kBranch)));
  a.jmp(exit);

  // lookup_miss: the miss path of every inline indirect-branch lookup
  // (block_builder.cpp, lookup_rax), with the target in rax and rax, rcx
  // and rdx spilled to scratch[0..2].
  a.bind(lookup_miss);
  a.mov(ctx_mem(CAPVM_CTX_OFF(branch_target), 8), x86::rax);
  a.mov(x86::rax, ctx_mem(CAPVM_CTX_OFF(scratch), 8));
  a.mov(x86::rcx, ctx_mem(CAPVM_CTX_OFF(scratch) + 8, 8));
  a.mov(x86::rdx, ctx_mem(CAPVM_CTX_OFF(scratch) + 16, 8));
  a.mov(ctx_mem(CAPVM_CTX_OFF(exit_reason), 8), imm(static_cast<int32_t>(ExitReason::kIndirectMiss)));
  a.jmp(exit);

  // The sentinel block's indirect entry: a lookup whose target matched the
  // sentinel (guest pc 1) is a miss like any other. rax and rcx are back;
  // rdx is still in scratch[2].
  a.bind(miss);
  a.mov(x86::rdx, ctx_mem(CAPVM_CTX_OFF(scratch) + 16, 8));
  a.mov(ctx_mem(CAPVM_CTX_OFF(branch_target), 8), 1);
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
  full_state_stub = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(full_state);
  branch_exit_stub = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(branch_exit);
  lookup_miss_stub = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(lookup_miss);
  if (options.syscall_hook != nullptr) {
    syscall_stub = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(syscall);
    syscall_vdso_stub = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(syscall_vdso);
  }
  return true;
}

}  // namespace capvm::x86_64
