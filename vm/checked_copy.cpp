// checked_copy (see checked_copy.h).
#include "vm/checked_copy.h"

#include <cstdint>

#if defined(__x86_64__)
#include <sys/ucontext.h>
#else
#include <cstring>
#endif

#if defined(__x86_64__)

// rdi = dst, rsi = src, rdx = len; eax = 1 when done, 0 after a fault. A
// leaf without a frame: every instruction that can fault lies between
// capvm_checked_copy and capvm_checked_copy_fault, and resuming at the
// latter returns to the caller with rsp as it was at the call. Words while
// 8 or more bytes remain, then bytes; from 256 bytes on, `rep movsb` (fast
// strings), whose start-up cost the short copies avoid. capvm_checked_copy4,
// 8 and 16 (rdi = dst, rsi = src) are the same for the
// fixed sizes most system calls copy (an output word, an iovec), without
// the length's branches; they lie in the same range, so the same fixup
// recovers their faults.
asm(R"(
  .text
  .p2align 4
  .globl capvm_checked_copy
  .hidden capvm_checked_copy
  .type capvm_checked_copy, @function
capvm_checked_copy:
  mov %rdx, %rcx
  cmp $256, %rcx
  jae .Lcapvm_cc_strings
  cmp $8, %rcx
  jb .Lcapvm_cc_tail
.Lcapvm_cc_words:
  mov (%rsi), %rax
  mov %rax, (%rdi)
  add $8, %rsi
  add $8, %rdi
  sub $8, %rcx
  cmp $8, %rcx
  jae .Lcapvm_cc_words
.Lcapvm_cc_tail:
  test %rcx, %rcx
  jz .Lcapvm_cc_done
.Lcapvm_cc_bytes:
  movzbl (%rsi), %eax
  mov %al, (%rdi)
  inc %rsi
  inc %rdi
  dec %rcx
  jnz .Lcapvm_cc_bytes
.Lcapvm_cc_done:
  mov $1, %eax
  ret
.Lcapvm_cc_strings:
  rep movsb
  mov $1, %eax
  ret
  .p2align 4
  .globl capvm_checked_copy4
  .hidden capvm_checked_copy4
  .type capvm_checked_copy4, @function
capvm_checked_copy4:
  mov (%rsi), %eax
  mov %eax, (%rdi)
  mov $1, %eax
  ret
  .size capvm_checked_copy4, . - capvm_checked_copy4
  .p2align 4
  .globl capvm_checked_copy8
  .hidden capvm_checked_copy8
  .type capvm_checked_copy8, @function
capvm_checked_copy8:
  mov (%rsi), %rax
  mov %rax, (%rdi)
  mov $1, %eax
  ret
  .size capvm_checked_copy8, . - capvm_checked_copy8
  .p2align 4
  .globl capvm_checked_copy16
  .hidden capvm_checked_copy16
  .type capvm_checked_copy16, @function
capvm_checked_copy16:
  mov (%rsi), %rax
  mov 8(%rsi), %rdx
  mov %rax, (%rdi)
  mov %rdx, 8(%rdi)
  mov $1, %eax
  ret
  .size capvm_checked_copy16, . - capvm_checked_copy16
  .globl capvm_checked_copy_fault
  .hidden capvm_checked_copy_fault
capvm_checked_copy_fault:
  xor %eax, %eax
  ret
  .size capvm_checked_copy, . - capvm_checked_copy
)");

extern "C" void capvm_checked_copy_fault();

#endif

namespace capvm::vm {

thread_local sigjmp_buf* volatile detail::t_guarded_recover = nullptr;

namespace {
// A checked copy that faulted: true after pointing the context at the
// copy's failure return.
bool resume_copy(void* ucontext);
}  // namespace

bool recover_checked_fault(void* ucontext) {
  if (resume_copy(ucontext)) return true;
  if (detail::t_guarded_recover == nullptr) return false;
  siglongjmp(*detail::t_guarded_recover, 1);
}

#if defined(__x86_64__)

namespace {
bool resume_copy(void* ucontext) {
  auto* uc = static_cast<ucontext_t*>(ucontext);
  const auto pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  const auto begin = reinterpret_cast<uintptr_t>(&capvm_checked_copy);
  const auto fault = reinterpret_cast<uintptr_t>(&capvm_checked_copy_fault);
  if (pc < begin || pc >= fault) return false;
  uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(fault);
  return true;
}
}  // namespace

#else  // portable: the copy is a guarded memcpy

bool checked_copy(void* dst, const void* src, size_t len) {
  return run_guarded([&] { std::memcpy(dst, src, len); });
}

namespace {
bool resume_copy(void*) { return false; }
}  // namespace

#endif

}  // namespace capvm::vm
