// checked_copy: the byte copy under every GuestMemory read and write. Guest
// pages can vanish while hostio copies from or to them (another guest thread
// unmaps them: ARCHITECTURE.md, SECURITY.md "racing unmap"), so a fault
// inside the copy must become EFAULT for the system call, never a crash.
//
// On an x86-64 host the copy is a small assembly routine: a fault at any of
// its instructions is recognised by its pc in the fault handler, which
// resumes it at a failure return (the kernel's exception-table technique).
// The fast path then costs nothing beyond the copy itself; the sigsetjmp the
// portable version needs per copy was ~2% of a system call's round trip
// (bench/README.md, "System calls: pages, not instructions").
#pragma once

#include <cstddef>

namespace capvm::vm {

// Copies len bytes from src to dst. False: a fault on either side stopped
// it part-way (the bytes before the fault may have been copied).
bool checked_copy(void* dst, const void* src, size_t len);

// For the fault handler: if the fault interrupted checked_copy, points the
// interrupted context at its failure return and says true (the handler
// then returns to it). False: the fault is not checked_copy's.
bool checked_copy_fixup(void* ucontext);

}  // namespace capvm::vm
