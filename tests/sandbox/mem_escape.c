/* Loads and stores far outside the sandbox: every guest pointer value is
 * confined to [base, base + 4 GiB) and lands on an unmapped page, so the
 * guest is killed by SIGSEGV at the faulting instruction, with the confined
 * (32-bit) guest address in the report. A host access below the base or
 * past the guard would either succeed ("survived" is printed) or not be a
 * guest fault (no "guest address" in the report). One case per run. */
#include "sandbox.h"

/* The faulting accesses, at known pcs. */
uint8_t probe_load8(uintptr_t p);
void probe_store8(uintptr_t p);
uint64_t probe_load64(uintptr_t p);
void probe_store64(uintptr_t p);
uint64_t probe_load_negdisp(uintptr_t p);   /* 8 bytes at p - 0x1000 */
void probe_store_negidx(uintptr_t p, intptr_t i);  /* 1 byte at p + 4*i - 8 */
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl probe_load8\nprobe_load8:\n movzbl (%rdi), %eax\n ret\n"
        ".globl probe_store8\nprobe_store8:\n movb $0x5a, (%rdi)\n ret\n"
        ".globl probe_load64\nprobe_load64:\n movq (%rdi), %rax\n ret\n"
        ".globl probe_store64\nprobe_store64:\n movq %rdi, (%rdi)\n ret\n"
        ".globl probe_load_negdisp\nprobe_load_negdisp:\n movq -0x1000(%rdi), %rax\n ret\n"
        ".globl probe_store_negidx\nprobe_store_negidx:\n movb $0x5a, -8(%rdi,%rsi,4)\n ret\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".globl probe_load8\nprobe_load8:\n ldrb w0, [x0]\n ret\n"
        ".globl probe_store8\nprobe_store8:\n mov w1, #0x5a\n strb w1, [x0]\n ret\n"
        ".globl probe_load64\nprobe_load64:\n ldr x0, [x0]\n ret\n"
        ".globl probe_store64\nprobe_store64:\n str x0, [x0]\n ret\n"
        ".globl probe_load_negdisp\nprobe_load_negdisp:\n sub x0, x0, #0x1000\n ldr x0, [x0]\n ret\n"
        ".globl probe_store_negidx\nprobe_store_negidx:\n add x0, x0, x1, lsl #2\n mov w1, #0x5a\n"
        " sturb w1, [x0, #-8]\n ret\n");
#endif

int main(void) {
  say("start");
  if (is_case("load_4g")) {             /* 2^32: confined to guest address 0 */
    expect_pc(probe_load8); expect_addr(0);
    say("load 0x100000000");
    probe_load8(0x100000000ull);
  } else if (is_case("store_4g")) {
    expect_pc(probe_store64); expect_addr(0);
    say("store 0x100000000");
    probe_store64(0x100000000ull);
  } else if (is_case("store_top_page")) {  /* 0xFFFFFFFFFFFFF000 -> 0xfffff000 */
    expect_pc(probe_store8); expect_addr(0xfffff000ull);
    say("store 0xfffffffffffff000");
    probe_store8(0xfffffffffffff000ull);
  } else if (is_case("load_minus1")) {  /* (char*)-1 -> 0xffffffff */
    expect_pc(probe_load8); expect_addr(0xffffffffull);
    say("load (char*)-1");
    probe_load8((uintptr_t)(char *)-1);
  } else if (is_case("store_minus1")) {
    expect_pc(probe_store8); expect_addr(0xffffffffull);
    say("store (char*)-1");
    probe_store8((uintptr_t)(char *)-1);
  } else if (is_case("store_2p40")) {   /* 2^40 + 0x1234 -> 0x1234 (null guard) */
    expect_pc(probe_store8); expect_addr(0x1234);
    say("store 2^40+0x1234");
    probe_store8((1ull << 40) + 0x1234);
  } else if (is_case("load_negdisp")) { /* 0 + disp32 -0x1000 -> 0xfffff000, not base-4096 */
    expect_pc(probe_load_negdisp); expect_addr(0xfffff000ull);
    say("load 0-0x1000");
    probe_load_negdisp(0);
  } else if (is_case("store_negidx")) { /* 0x10 + 4*(-0x100) - 8 -> 0xfffffc08 */
    expect_pc(probe_store_negidx); expect_addr(0xfffffc08ull);
    say("store 0x10+4*-256-8");
    probe_store_negidx(0x10, -0x100);
  } else if (is_case("load_last_byte")) { /* 0xffffffff as a 32-bit value */
    expect_pc(probe_load8); expect_addr(0xffffffffull);
    say("load 0xffffffff");
    probe_load8(0xffffffffull);
  } else if (is_case("load_straddle")) {  /* 8 bytes at 0xfffffffc straddle 4 GiB */
    expect_pc(probe_load64);
    say("load8 0xfffffffc");
    probe_load64(0xfffffffcull);
  } else if (is_case("store_straddle")) {
    expect_pc(probe_store64);
    say("store8 0xfffffffc");
    probe_store64(0xfffffffcull);
  } else if (is_case("load_null")) {
    expect_pc(probe_load8); expect_addr(0);
    say("load null");
    probe_load8(0);
  } else if (is_case("store_null")) {
    expect_pc(probe_store64); expect_addr(0);
    say("store null");
    probe_store64(0);
  } else {
    say("unknown case");
    return 2;
  }
  say("survived");
  return 1;
}
