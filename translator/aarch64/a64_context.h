// Per-thread state of an aarch64 guest. It is the truth at every block
// boundary and whenever C++ runs: generated code addresses it from a pinned
// host register (r15), and a block caches the general registers it uses
// most in host registers only between its prologue and its exits
// (reg_cache.cpp). The host rsp stays a real host stack, so translated
// code can call C++ helpers. Guest memory is reached through the gs segment
// (base = sandbox) with 32-bit addressing, as for x86-64 guests.
#pragma once

#include <cstddef>
#include <cstdint>

namespace capvm::aarch64 {

// Why translated code returned to the dispatcher.
enum class ExitReason : uint64_t {
  kNone = 0,
  kBranch = 1,        // direct branch to a block not linked yet: link_site, pc = target
  kIndirectMiss = 2,  // br/blr/ret whose target is not in the lookup table: pc = target
  kSyscall = 3,       // svc #0: pc is the next instruction; number in w8
  kIllegal = 4,       // unsupported or undefined instruction at pc (illegal_encoding)
  kTrap = 5,          // brk at pc
  kFault = 6,         // set by the signal path
  kAlignment = 7,     // exclusive access or CASP to a misaligned address at pc (SIGBUS)
};

inline constexpr unsigned kSp = 31;  // x[31] is SP (XZR is never stored)

struct alignas(64) A64Context {
  uint64_t x[32];            // X0..X30, then SP
  uint64_t pc;               // guest pc to continue at / of the exit
  // NZCV in canonical host form: low byte = x86 OF (seto), high byte = x86
  // flags as lahf stores them, with CF = NOT C so that every ARM condition
  // is one x86 jcc (cond_to_x86). See nzcv()/set_nzcv().
  uint64_t flags;
  uint64_t tpidr_el0;
  uint32_t fpcr;
  uint32_t fpsr;
  alignas(16) uint8_t v[32][16];  // V0..V31 (little-endian lanes)
  // Exit and run-time fields.
  uint64_t exit_reason;      // ExitReason
  uint64_t link_site;        // kBranch: host address of the patchable jmp
  uint64_t branch_target;    // indirect branch target (guest)
  uint64_t jump_to;          // host code address to enter
  uint64_t lookup_table;     // host pointer to the indirect-branch table
  uint64_t host_rsp;         // host stack pointer inside the entry stub
  uint32_t illegal_encoding; // kIllegal: the instruction word
  uint32_t pad0;
  // Exclusive monitor (ldxr/stxr): address, the value loaded, and the size
  // in bytes (0: open, no reservation).
  uint64_t monitor_addr;
  uint64_t monitor_value;
  uint64_t monitor_size;
  uint64_t counter_base;     // cntvct_el0 offset (virtualised counter)
  uint64_t monitor_value_hi; // ldxp/ldaxp of an X pair: the second doubleword read
  // FPCR as host MXCSR bits (rounding control, FTZ, DAZ): translated code
  // runs with MXCSR = 0x1F80 | mxcsr_bits (all exceptions masked), loaded
  // by the entry stub, the host's own MXCSR (host_mxcsr) put back on exit.
  // Zero (FPCR = 0) is the host default. Written only by set_fpcr().
  uint32_t mxcsr_bits;
  uint32_t host_mxcsr;
  // kBranch through the shared branch-exit stub: the link site's distance
  // from that stub, stored by a block's compact exit stub (the stub turns
  // it into link_site).
  int32_t link_rel;
  uint32_t pad1;
};

#define CAPVM_A64_OFF(field) static_cast<int32_t>(offsetof(::capvm::aarch64::A64Context, field))

A64Context& this_thread_context();

// NZCV as the architecture defines it (bits 31..28) <-> canonical form.
uint32_t nzcv(const A64Context& ctx);
void set_nzcv(A64Context& ctx, uint32_t nzcv_bits);
uint64_t canonical_flags(uint32_t nzcv_bits);

// FPCR bits capvm keeps (the rest read as zero, as on a core without
// trapped FP exceptions): AHP, DN, FZ, RMode, FZ16.
inline constexpr uint32_t kFpcrAhp = 1u << 26, kFpcrDn = 1u << 25, kFpcrFz = 1u << 24,
                          kFpcrRModeShift = 22, kFpcrFz16 = 1u << 19;
inline constexpr uint32_t kFpcrMask = kFpcrAhp | kFpcrDn | kFpcrFz | (3u << kFpcrRModeShift) | kFpcrFz16;
// Sets FPCR and its host MXCSR form (does not touch the host's MXCSR).
void set_fpcr(A64Context& ctx, uint32_t value);

// FPSR bits capvm keeps: QC, IDC and the cumulative exception flags IXC,
// UFC, OFC, DZC, IOC (the rest are RES0 in AArch64).
inline constexpr uint32_t kFpsrQc = 1u << 27, kFpsrIdc = 1u << 7, kFpsrIxc = 1u << 4,
                          kFpsrIoc = 1u << 0, kFpsrCumulative = 0x1Fu;
inline constexpr uint32_t kFpsrMask = kFpsrQc | kFpsrIdc | kFpsrCumulative;
// While translated code runs, the cumulative flags accumulate in the host's
// MXCSR exception flags, which map one to one: IE (bit 0) = IOC (0), ZE (2)
// = DZC (1), OE (3) = OFC (2), UE (4) = UFC (3), PE (5) = IXC (4). MXCSR's
// DE (bit 1, a denormal operand) has no FPSR counterpart and is dropped.
// The entry stub loads them from ctx.fpsr, the exit stub ORs them back; C++
// helpers may also OR flags into ctx.fpsr directly.
inline uint32_t fpsr_from_mxcsr(uint32_t m) { return (m & 1u) | ((m >> 1) & 0x1Eu); }
inline uint32_t mxcsr_from_fpsr(uint32_t f) { return (f & 1u) | ((f & 0x1Eu) << 1); }
// MXCSR for guest code with this context's FPCR and FPSR flags.
inline uint32_t guest_mxcsr(const A64Context& ctx) {
  return 0x1F80u | ctx.mxcsr_bits | mxcsr_from_fpsr(ctx.fpsr);
}

}  // namespace capvm::aarch64
