// The synthesized vDSO a guest binds its system calls from (spec/README.md,
// "How a guest enters a syscall"; cloudabi.txt: auxtype.sysinfo_ehdr).
//
// The image is a small ELF64 shared object laid out with virtual address 0
// at its ELF header (every p_vaddr, d_ptr and st_value is relative to the
// header), one PT_LOAD covering the whole image read+execute, and a
// dynamic section (DT_HASH, DT_SYMTAB, DT_STRTAB, DT_STRSZ, DT_SYMENT)
// exporting one global STT_FUNC symbol `cloudabi_sys_<name>` per syscall.
// Each symbol points at a tiny stub that traps into the VM:
//
//   x86_64:  mov eax, N | kVdsoConventionBit ; syscall ; ret
//   aarch64: movz w8, #N ; movk w8, #0x4000, lsl #16 ; svc #0 ; ret
//
// The stubs are called with the ordinary C calling convention, so their
// arguments are where a C function finds them (x86_64: rdi rsi rdx rcx r8
// r9, then the stack; aarch64: x0..x7), outputs are trailing pointer
// arguments and the return value is the errno. kVdsoConventionBit in the
// syscall number tells the dispatcher to decode that convention instead of
// the raw trap convention (x86_64 r10 for the fourth argument, results in
// registers and the carry flag).
#pragma once

#include <cstdint>
#include <vector>

namespace capvm::vm {

enum class VdsoArch : uint8_t { kX86_64, kAarch64 };

// Marker ORed into the syscall number by every vDSO stub: "arguments follow
// the C calling convention, outputs go through trailing pointers".
inline constexpr uint32_t kVdsoConventionBit = 1u << 30;

// Bytes reserved per stub (the code is shorter on x86_64, padded with int3).
inline constexpr uint64_t kVdsoStubStride = 16;

// Where the stubs live inside the image (offsets from the ELF header). Stub
// for syscall n starts at code_offset + n * kVdsoStubStride.
struct VdsoLayout {
  uint64_t code_offset = 0;
  uint64_t code_size = 0;   // all stubs: kSyscallCount * kVdsoStubStride
  uint64_t image_size = 0;  // a multiple of the page size
};
VdsoLayout vdso_layout(VdsoArch arch);

// The complete image, ready to be copied into guest memory and mapped
// read+execute at a page-aligned guest address.
std::vector<uint8_t> build_vdso(VdsoArch arch);

// The syscall whose stub starts exactly at vDSO-relative `offset`, or -1
// (inside a stub, outside the code region).
int vdso_stub_at(VdsoArch arch, uint64_t offset);
// Whether `offset` (from the image's start) is the trap instruction of a
// stub (syscall on x86-64, svc on aarch64), which the stub's ret follows:
// after serving that call the run loop performs the ret itself
// (vm/dispatch_syscall.cpp, vm/dispatch_a64.cpp).
bool vdso_stub_trap_at(VdsoArch arch, uint64_t offset);

// vDSO-relative offset of the stub of syscall `number` (< kSyscallCount).
uint64_t vdso_stub_offset(VdsoArch arch, uint32_t number);

}  // namespace capvm::vm
