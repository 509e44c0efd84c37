// Per-thread state of an x86-64 guest, shared by translated code, the
// run-time stubs and the dispatcher.
//
// While translated code runs, guest general registers live in the same host
// registers (rax is rax), guest flags are host flags, and guest memory is
// reached through the gs segment whose base is the sandbox, with 32-bit
// addressing, so every access is confined to [base, base + 4 GiB). Host
// state the translated code needs (this context) is found through the host's
// own thread pointer: the context is a thread_local variable of the capvm
// executable, at a fixed offset from fs (initial-exec TLS). Nothing here is
// inside the guest's region (ARCHITECTURE.md, "Never").
#pragma once

#include <cstddef>
#include <cstdint>

namespace capvm::x86_64 {

// Why translated code returned to the dispatcher.
enum class ExitReason : uint64_t {
  kNone = 0,
  kBranch = 1,        // direct branch to a block not linked yet; link_site set
  kIndirectMiss = 2,  // indirect branch whose target is not in the lookup table
  kSyscall = 3,       // `syscall` at guest_rip - 2; guest_rip is the next pc
  kHelper = 4,        // an instruction emulated in C++ (helper_id, helper_pc)
  kIllegal = 5,       // unsupported or forbidden instruction at guest_rip
  kFault = 6,         // a fault in translated code (set by the signal path)
  kTrap = 7,          // int3 / int N at guest_rip
  // A syscall served in place (TranslateOptions::syscall_hook) ended the
  // thread or the process; the hook's owner knows how.
  kThreadEnd = 8,
};

enum Gpr : unsigned {
  kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
  kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};

// Aligned so that the fields and the part of the inline vector-state area a
// syscall round trip touches (its first 416 bytes) never straddle a page:
// right after a host call every distinct page is a TLB miss
// (bench/README.md, "System calls: pages, not instructions").
struct alignas(1024) GuestContext {
  uint64_t gpr[16];         // guest registers while outside translated code
  uint64_t rflags;          // guest flags while outside translated code
  uint64_t rip;             // guest pc to continue at
  uint64_t fs_base;         // guest fs base (a guest address)
  uint64_t host_rsp;        // host stack pointer of the entry trampoline
  uint64_t exit_reason;     // ExitReason
  uint64_t link_site;       // host address of a patchable jmp rel32 (kBranch)
  uint64_t helper_id;       // kHelper: which helper
  uint64_t jump_to;         // host code address for indirect jumps
  uint64_t branch_target;   // guest target of an indirect branch
  uint64_t lookup_table;    // host pointer to the indirect-branch table
  uint64_t lookup_base;     // table entries are offsets from this (the sentinel)
  uint64_t scratch[4];      // register spills around rewritten instructions
  uint64_t saved_flags;     // lahf/seto spill in the indirect lookup
  uint32_t host_mxcsr;
  uint16_t host_fpucw;
  // 0 while this thread has run only instructions that use no vector state
  // past XMM0-15 and MXCSR: the stubs then move just those, to and from the
  // legacy region of xsave_area. 1 (for good) once it reached one that does:
  // xrstor/xsaveopt of every XCR0 component (translator.h, "Vector state").
  uint8_t vector_full;
  uint8_t pad0;
  uint64_t xsave_mask;      // components saved on exit (XCR0)
  uint8_t* xsave_area;      // 64-byte aligned, holds guest x87/SSE/AVX state
  uint64_t retired_blocks;  // unused by code; statistics
  // kBranch through the shared branch-exit stub: the link site's distance
  // from that stub, stored by the block's compact exit stub (the stub turns
  // it into link_site).
  int32_t link_rel;
  uint32_t pad1;
  // xsave_area when the host's XSAVE layout fits (it is heap-allocated
  // otherwise): beside the fields, in the same TLS page.
  alignas(64) uint8_t xsave_inline[3712];
};
static_assert(sizeof(GuestContext) <= 4096, "one page of TLS");

// Offsets used by generated code.
#define CAPVM_CTX_OFF(field) static_cast<int32_t>(offsetof(::capvm::x86_64::GuestContext, field))

// The calling thread's context (initial-exec TLS; guest_context.cpp). Inline:
// the syscall path reaches it right after a host call, when every page is
// a TLB miss, and a call would add a page of text to the miss list.
extern __attribute__((tls_model("initial-exec"))) constinit thread_local GuestContext t_context;
inline GuestContext& this_thread_context() { return t_context; }
// fs-relative displacement of this thread's context: the same for every
// thread, so it is baked into translated code.
int32_t context_fs_offset();

}  // namespace capvm::x86_64
