/* Instructions a guest must not execute natively: writing or reading the gs
 * base or selector (the sandbox base lives there), hlt, ud2, int3; and rdtsc,
 * which is virtualised (it must still count up). One case per run; each
 * forbidden instruction is at a known pc and the report must name it. */
#include "sandbox.h"

#if defined(__x86_64__)
void probe_wrgsbase(uint64_t v);
uint64_t probe_rdgsbase(void);
void probe_mov_gs(uint16_t sel);
void probe_int3(void);
void probe_ud2(void);
void probe_hlt(void);
void probe_wrfsbase(uint64_t v);
__asm__(".text\n"
        ".globl probe_wrgsbase\nprobe_wrgsbase:\n wrgsbase %rdi\n ret\n"
        ".globl probe_rdgsbase\nprobe_rdgsbase:\n rdgsbase %rax\n ret\n"
        ".globl probe_mov_gs\nprobe_mov_gs:\n movw %di, %gs\n ret\n"
        ".globl probe_int3\nprobe_int3:\n int3\n ret\n"
        ".globl probe_ud2\nprobe_ud2:\n ud2\n ret\n"
        ".globl probe_hlt\nprobe_hlt:\n hlt\n ret\n"
        ".globl probe_wrfsbase\nprobe_wrfsbase:\n wrfsbase %rdi\n ret\n");

static uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
#endif

int main(void) {
  say("start");
#if defined(__x86_64__)
  if (is_case("wrgsbase")) {
    expect_pc(probe_wrgsbase);
    say("wrgsbase");
    probe_wrgsbase(0x1000);
  } else if (is_case("rdgsbase")) {
    expect_pc(probe_rdgsbase);
    say("rdgsbase");
    say("gs base 0x%llx", (unsigned long long)probe_rdgsbase());
  } else if (is_case("wrfsbase")) {
    expect_pc(probe_wrfsbase);
    say("wrfsbase");
    probe_wrfsbase(0x1000);
  } else if (is_case("mov_gs")) {
    expect_pc(probe_mov_gs);
    say("mov gs");
    probe_mov_gs(0);
  } else if (is_case("int3")) {
    expect_pc(probe_int3);
    say("int3");
    probe_int3();
  } else if (is_case("ud2")) {
    expect_pc(probe_ud2);
    say("ud2");
    probe_ud2();
  } else if (is_case("hlt")) {
    expect_pc(probe_hlt);
    say("hlt");
    probe_hlt();
  } else if (is_case("rdtsc")) {
    uint64_t prev = rdtsc();
    int monotonic = 1;
    for (int i = 0; i < 100000; ++i) {
      uint64_t t = rdtsc();
      if (t < prev) monotonic = 0;
      prev = t;
    }
    uint64_t a = rdtsc();
    for (volatile int i = 0; i < 1000000; ++i) {
    }
    uint64_t b = rdtsc();
    say("rdtsc monotonic: %d", monotonic);
    say("rdtsc advances: %d", b > a);
    say("done");
    return 0;
  } else {
    say("unknown case");
    return 2;
  }
  say("survived");
  return 1;
#else
  say("x86_64 only");
  return 0;
#endif
}
