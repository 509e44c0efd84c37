/* The guest's vector and floating-point state survives a system call: every
 * register is loaded with a distinct pattern, a raw trap is made in the same
 * asm block (so the compiler cannot save anything around it), and every
 * register is read back. capvm serves the call in C++ whose memcpy and
 * friends use the same registers (AVX-512 ones included), so the exit and
 * entry stubs must save and restore all of it. x86-64: ymm0-15, zmm16-31
 * (when the CPU has AVX-512), two x87 stack entries, MXCSR. aarch64: v0-v31
 * and FPCR. Natively (Linux x86-64) the same asm with getpid. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned char pattern[32 * 64] __attribute__((aligned(64)));
static unsigned char after[32 * 64] __attribute__((aligned(64)));

static void fill(void) {
  uint32_t x = 0x12345678u;  /* xorshift: a serial chain, not vectorized */
  for (unsigned i = 0; i < sizeof pattern; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    pattern[i] = (unsigned char)x;
  }
}

#if defined(__x86_64__)
#ifdef __CloudABI__
#define TRAP_NR 1 /* clock_time_get(monotonic, 0) */
#else
#define TRAP_NR 39 /* getpid */
#endif

static void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static int has_avx512(void) {
  unsigned r[4];
  cpuid(0, 0, r);
  if (r[0] < 7) return 0;
  cpuid(1, 0, r);
  if (!(r[2] & (1u << 27))) return 0; /* OSXSAVE */
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xe6) != 0xe6) return 0; /* SSE, AVX, opmask, ZMM state enabled */
  cpuid(7, 0, r);
  return (r[1] >> 16) & 1; /* AVX512F */
}

static int check(int avx512) {
  static const double x87_in[2] = {3.25, -7.5};
  double x87_out[2] = {0, 0};
  uint32_t mxcsr_set = 0x1f80 | 0x6000 | 0x8000 | 0x40; /* toward zero, FTZ, DAZ */
  uint32_t mxcsr_out = 0, mxcsr_saved = 0;
  memset(after, 0, sizeof after);
  register const unsigned char *in __asm__("r12") = pattern;
  register unsigned char *out __asm__("r13") = after;
  register long nr __asm__("rax") = TRAP_NR;
  register long a0 __asm__("rdi") = 1;
  register long a1 __asm__("rsi") = 0;
  __asm__ volatile(
      "stmxcsr %[saved]\n\t"
      "vmovdqu 0(%[in]), %%ymm0\n\t vmovdqu 32(%[in]), %%ymm1\n\t"
      "vmovdqu 64(%[in]), %%ymm2\n\t vmovdqu 96(%[in]), %%ymm3\n\t"
      "vmovdqu 128(%[in]), %%ymm4\n\t vmovdqu 160(%[in]), %%ymm5\n\t"
      "vmovdqu 192(%[in]), %%ymm6\n\t vmovdqu 224(%[in]), %%ymm7\n\t"
      "vmovdqu 256(%[in]), %%ymm8\n\t vmovdqu 288(%[in]), %%ymm9\n\t"
      "vmovdqu 320(%[in]), %%ymm10\n\t vmovdqu 352(%[in]), %%ymm11\n\t"
      "vmovdqu 384(%[in]), %%ymm12\n\t vmovdqu 416(%[in]), %%ymm13\n\t"
      "vmovdqu 448(%[in]), %%ymm14\n\t vmovdqu 480(%[in]), %%ymm15\n\t"
      "fldl 0(%[x87in])\n\t fldl 8(%[x87in])\n\t"
      "ldmxcsr %[set]\n\t"
      "syscall\n\t"
      "stmxcsr %[mxout]\n\t"
      "ldmxcsr %[saved]\n\t"
      "fstpl 8(%[x87out])\n\t fstpl 0(%[x87out])\n\t"
      "vmovdqu %%ymm0, 0(%[out])\n\t vmovdqu %%ymm1, 32(%[out])\n\t"
      "vmovdqu %%ymm2, 64(%[out])\n\t vmovdqu %%ymm3, 96(%[out])\n\t"
      "vmovdqu %%ymm4, 128(%[out])\n\t vmovdqu %%ymm5, 160(%[out])\n\t"
      "vmovdqu %%ymm6, 192(%[out])\n\t vmovdqu %%ymm7, 224(%[out])\n\t"
      "vmovdqu %%ymm8, 256(%[out])\n\t vmovdqu %%ymm9, 288(%[out])\n\t"
      "vmovdqu %%ymm10, 320(%[out])\n\t vmovdqu %%ymm11, 352(%[out])\n\t"
      "vmovdqu %%ymm12, 384(%[out])\n\t vmovdqu %%ymm13, 416(%[out])\n\t"
      "vmovdqu %%ymm14, 448(%[out])\n\t vmovdqu %%ymm15, 480(%[out])\n\t"
      "vzeroupper"
      : "+r"(nr), "+r"(a0), "+r"(a1), [saved] "+m"(mxcsr_saved), [mxout] "=m"(mxcsr_out)
      : [in] "r"(in), [out] "r"(out), [x87in] "r"(x87_in), [x87out] "r"(x87_out),
        [set] "m"(mxcsr_set)
      : "rcx", "rdx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
        "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  int ok = memcmp(after, pattern, 512) == 0;
  if (!ok) printf("ymm0-15 changed by a system call\n");
  if (x87_out[0] != 3.25 || x87_out[1] != -7.5) {
    printf("x87 stack changed by a system call\n");
    ok = 0;
  }
  if (mxcsr_out != mxcsr_set) {
    printf("MXCSR changed by a system call: %#x -> %#x\n", mxcsr_set, mxcsr_out);
    ok = 0;
  }
  if (avx512) {
    nr = TRAP_NR;
    a0 = 1;
    a1 = 0;
    memset(after, 0, sizeof after);
    __asm__ volatile(
        "vmovdqu64 0(%[in]), %%zmm16\n\t vmovdqu64 64(%[in]), %%zmm17\n\t"
        "vmovdqu64 128(%[in]), %%zmm18\n\t vmovdqu64 192(%[in]), %%zmm19\n\t"
        "vmovdqu64 256(%[in]), %%zmm20\n\t vmovdqu64 320(%[in]), %%zmm21\n\t"
        "vmovdqu64 384(%[in]), %%zmm22\n\t vmovdqu64 448(%[in]), %%zmm23\n\t"
        "vmovdqu64 512(%[in]), %%zmm24\n\t vmovdqu64 576(%[in]), %%zmm25\n\t"
        "vmovdqu64 640(%[in]), %%zmm26\n\t vmovdqu64 704(%[in]), %%zmm27\n\t"
        "vmovdqu64 768(%[in]), %%zmm28\n\t vmovdqu64 832(%[in]), %%zmm29\n\t"
        "vmovdqu64 896(%[in]), %%zmm30\n\t vmovdqu64 960(%[in]), %%zmm31\n\t"
        "vmovdqu64 1024(%[in]), %%zmm0\n\t"
        "syscall\n\t"
        "vmovdqu64 %%zmm16, 0(%[out])\n\t vmovdqu64 %%zmm17, 64(%[out])\n\t"
        "vmovdqu64 %%zmm18, 128(%[out])\n\t vmovdqu64 %%zmm19, 192(%[out])\n\t"
        "vmovdqu64 %%zmm20, 256(%[out])\n\t vmovdqu64 %%zmm21, 320(%[out])\n\t"
        "vmovdqu64 %%zmm22, 384(%[out])\n\t vmovdqu64 %%zmm23, 448(%[out])\n\t"
        "vmovdqu64 %%zmm24, 512(%[out])\n\t vmovdqu64 %%zmm25, 576(%[out])\n\t"
        "vmovdqu64 %%zmm26, 640(%[out])\n\t vmovdqu64 %%zmm27, 704(%[out])\n\t"
        "vmovdqu64 %%zmm28, 768(%[out])\n\t vmovdqu64 %%zmm29, 832(%[out])\n\t"
        "vmovdqu64 %%zmm30, 896(%[out])\n\t vmovdqu64 %%zmm31, 960(%[out])\n\t"
        "vmovdqu64 %%zmm0, 1024(%[out])\n\t"
        "vzeroupper"
        : "+r"(nr), "+r"(a0), "+r"(a1)
        : [in] "r"(in), [out] "r"(out)
        : "rcx", "rdx", "r11", "memory", "cc", "xmm0", "xmm16", "xmm17", "xmm18", "xmm19",
          "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28",
          "xmm29", "xmm30", "xmm31");
    if (memcmp(after, pattern, 1088) != 0) {
      printf("zmm0, zmm16-31 changed by a system call\n");
      ok = 0;
    }
  }
  return ok;
}

int main(void) {
  fill();
  const int avx512 = has_avx512();
  int ok = 1;
  for (int round = 0; round < 3; ++round) ok &= check(avx512);
  printf("vector and FP state kept across system calls: %d\n", ok);
  return 0;
}

#elif defined(__aarch64__)
static int check(void) {
  uint64_t fpcr_saved, fpcr_out;
  const uint64_t fpcr_set = (3u << 22) | (1u << 24); /* round toward zero, flush to zero */
  memset(after, 0, sizeof after);
  register uint64_t x0 __asm__("x0") = 1; /* clock_time_get(monotonic, 0) */
  register uint64_t x1 __asm__("x1") = 0;
  register uint64_t x8 __asm__("x8") = 1;
  register const unsigned char *in __asm__("x19") = pattern;
  register unsigned char *out __asm__("x20") = after;
  __asm__ volatile(
      "mrs %[saved], fpcr\n\t"
      "mov x9, %[in]\n\t"
      "ldp q0, q1, [x9], #32\n\t"
      "ldp q2, q3, [x9], #32\n\t"
      "ldp q4, q5, [x9], #32\n\t"
      "ldp q6, q7, [x9], #32\n\t"
      "ldp q8, q9, [x9], #32\n\t"
      "ldp q10, q11, [x9], #32\n\t"
      "ldp q12, q13, [x9], #32\n\t"
      "ldp q14, q15, [x9], #32\n\t"
      "ldp q16, q17, [x9], #32\n\t"
      "ldp q18, q19, [x9], #32\n\t"
      "ldp q20, q21, [x9], #32\n\t"
      "ldp q22, q23, [x9], #32\n\t"
      "ldp q24, q25, [x9], #32\n\t"
      "ldp q26, q27, [x9], #32\n\t"
      "ldp q28, q29, [x9], #32\n\t"
      "ldp q30, q31, [x9], #32\n\t"
      "msr fpcr, %[set]\n\t"
      "svc #0\n\t"
      "mrs %[fpout], fpcr\n\t"
      "msr fpcr, %[saved]\n\t"
      "mov x9, %[out]\n\t"
      "stp q0, q1, [x9], #32\n\t"
      "stp q2, q3, [x9], #32\n\t"
      "stp q4, q5, [x9], #32\n\t"
      "stp q6, q7, [x9], #32\n\t"
      "stp q8, q9, [x9], #32\n\t"
      "stp q10, q11, [x9], #32\n\t"
      "stp q12, q13, [x9], #32\n\t"
      "stp q14, q15, [x9], #32\n\t"
      "stp q16, q17, [x9], #32\n\t"
      "stp q18, q19, [x9], #32\n\t"
      "stp q20, q21, [x9], #32\n\t"
      "stp q22, q23, [x9], #32\n\t"
      "stp q24, q25, [x9], #32\n\t"
      "stp q26, q27, [x9], #32\n\t"
      "stp q28, q29, [x9], #32\n\t"
      "stp q30, q31, [x9], #32\n\t"
      : "+r"(x0), "+r"(x1), "+r"(x8), [saved] "=&r"(fpcr_saved), [fpout] "=&r"(fpcr_out)
      : [in] "r"(in), [out] "r"(out), [set] "r"(fpcr_set)
      : "x9", "memory", "cc", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10",
        "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
        "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  int ok = memcmp(after, pattern, 512) == 0;
  if (!ok) printf("v0-v31 changed by a system call\n");
  if (fpcr_out != fpcr_set) {
    printf("FPCR changed by a system call\n");
    ok = 0;
  }
  return ok;
}

int main(void) {
  fill();
  int ok = 1;
  for (int round = 0; round < 3; ++round) ok &= check();
  printf("vector and FP state kept across system calls: %d\n", ok);
  return 0;
}
#else
#error "vector_syscall.c: x86-64 or aarch64"
#endif
