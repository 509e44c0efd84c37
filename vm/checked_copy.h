// checked_copy and run_guarded: host accesses to guest memory that may fault.
// Guest pages can vanish while hostio works on them (another guest thread
// unmaps them: ARCHITECTURE.md, SECURITY.md "racing unmap"), so a fault
// inside such an access must become EFAULT for the system call, never a
// crash. The VM's fault handler (vm/signals.cpp) asks recover_checked_fault
// first.
//
// On an x86-64 host checked_copy is a small assembly routine: a fault at any
// of its instructions is recognised by its pc, and the copy resumes at a
// failure return (the kernel's exception-table technique). Its fast path
// then costs nothing beyond the copy itself; the sigsetjmp of run_guarded,
// which other hosts' copies use, was ~2% of a system call's round trip
// (bench/README.md, "System calls: pages, not instructions").
#pragma once

#include <setjmp.h>

#include <atomic>
#include <cstddef>

#if defined(__x86_64__)
// The assembly routine behind checked_copy (checked_copy.cpp): 1 when the
// copy completed, 0 when a fault cut it short.
extern "C" int capvm_checked_copy(void* dst, const void* src, size_t len);
// The same for exactly 4, 8 and 16 bytes.
extern "C" int capvm_checked_copy4(void* dst, const void* src);
extern "C" int capvm_checked_copy8(void* dst, const void* src);
extern "C" int capvm_checked_copy16(void* dst, const void* src);
#endif

namespace capvm::vm {

// Copies len bytes from src to dst. False: a fault on either side stopped
// it part-way (the bytes before the fault may have been copied).
#if defined(__x86_64__)
// A length of 4, 8 or 16 (an output, a word, an iovec: most of a system
// call's copies) takes the routine without the length's branches; inline,
// so a constant length picks it at compile time.
inline bool checked_copy(void* dst, const void* src, size_t len) {
  if (len == 8) return capvm_checked_copy8(dst, src) != 0;
  if (len == 16) return capvm_checked_copy16(dst, src) != 0;
  if (len == 4) return capvm_checked_copy4(dst, src) != 0;
  return capvm_checked_copy(dst, src, len) != 0;
}
#else
bool checked_copy(void* dst, const void* src, size_t len);
#endif

namespace detail {
// The calling thread's run_guarded, while one runs.
// volatile: the stores around the operation must really happen before and
// after it; the compiler may otherwise assume the operation never looks.
extern thread_local sigjmp_buf* volatile t_guarded_recover;
}  // namespace detail

// Runs `op` (a few instructions on guest memory: the futex-word operations)
// so that a fault inside it unwinds back here: false, the op cut short.
template <class Op>
bool run_guarded(Op op) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 0) != 0) {
    detail::t_guarded_recover = nullptr;
    return false;
  }
  detail::t_guarded_recover = &jb;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  op();
  std::atomic_signal_fence(std::memory_order_seq_cst);
  detail::t_guarded_recover = nullptr;
  return true;
}

// For the fault handler. A fault inside checked_copy: the interrupted
// context now resumes at the copy's failure return, and the answer is true
// (the handler must return). A fault inside run_guarded: unwinds there and
// does not come back. Otherwise false: the fault is someone else's.
bool recover_checked_fault(void* ucontext);

}  // namespace capvm::vm
