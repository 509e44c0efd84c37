/* Structure loops clang vectorises with interleaving loads and stores
 * (LD2/LD3/LD4/ST2 on aarch64), and atomics: on aarch64 the ARMv8.1 LSE
 * instructions (LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDUMIN, SWP, CAS, CASP),
 * the exclusive pair LDAXP/STLXP and DC ZVA, written as inline assembly;
 * elsewhere the same operations through the __atomic builtins and memset,
 * so every build prints the same numbers. FP values are small integers:
 * results are exact with or without fused multiply-add. */
#include <stdint.h>
#include <stdio.h>

#define N 1027

struct cplx { float re, im; };
struct rgb { uint8_t r, g, b; };
struct quad { int32_t a, b, c, d; };

static struct cplx ca[N], cb[N], cc[N];
static struct rgb px[N];
static uint8_t gray[N];
static struct quad qs[N];
static int32_t qout[N];
static float inter[2 * N];

__attribute__((noinline)) static void cmul(struct cplx *restrict d, const struct cplx *restrict a,
                                           const struct cplx *restrict b, int n) {
  for (int i = 0; i < n; ++i) {
    d[i].re = a[i].re * b[i].re - a[i].im * b[i].im;
    d[i].im = a[i].re * b[i].im + a[i].im * b[i].re;
  }
}

__attribute__((noinline)) static void to_gray(uint8_t *restrict d, const struct rgb *restrict p, int n) {
  for (int i = 0; i < n; ++i) d[i] = (uint8_t)((p[i].r * 77 + p[i].g * 150 + p[i].b * 29) >> 8);
}

__attribute__((noinline)) static void quads(int32_t *restrict d, const struct quad *restrict q, int n) {
  for (int i = 0; i < n; ++i) d[i] = q[i].a + q[i].b * q[i].c - q[i].d;
}

__attribute__((noinline)) static void interleave(float *restrict d, const float *restrict s, int n) {
  for (int i = 0; i < n; ++i) {
    d[2 * i] = s[i];
    d[2 * i + 1] = -s[i] * 2.0f;
  }
}

#if defined(__aarch64__)
#define LSE ".arch_extension lse\n"
#define AMO(name, insn)                                                                  \
  static uint64_t name(uint64_t *p, uint64_t v) {                                        \
    uint64_t old;                                                                        \
    __asm__ volatile(LSE insn " %x1, %x0, [%2]" : "=&r"(old) : "r"(v), "r"(p) : "memory"); \
    return old;                                                                          \
  }
AMO(amo_add, "ldaddal")
AMO(amo_clr, "ldclra")
AMO(amo_eor, "ldeorl")
AMO(amo_set, "ldset")
AMO(amo_smax, "ldsmaxal")
AMO(amo_umin, "lduminal")
AMO(amo_swp, "swpal")
static uint32_t amo_addh(uint16_t *p, uint32_t v) {
  uint32_t old;
  __asm__ volatile(LSE "ldaddalh %w1, %w0, [%2]" : "=&r"(old) : "r"(v), "r"(p) : "memory");
  return old;
}
static uint64_t cas64(uint64_t *p, uint64_t expected, uint64_t desired) {
  __asm__ volatile(LSE "casal %x0, %x2, [%1]" : "+r"(expected) : "r"(p), "r"(desired) : "memory");
  return expected;  /* the value that was there */
}
static void casp128(uint64_t *p, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi) {
  register uint64_t x0 __asm__("x0") = *lo, x1 __asm__("x1") = *hi;
  register uint64_t x2 __asm__("x2") = nlo, x3 __asm__("x3") = nhi;
  __asm__ volatile(LSE "caspal x0, x1, x2, x3, [%4]" : "+r"(x0), "+r"(x1) : "r"(x2), "r"(x3), "r"(p) : "memory");
  *lo = x0;
  *hi = x1;
}
static void pair_add(uint64_t *p, uint64_t a, uint64_t b) {
  uint64_t lo, hi;
  uint32_t fail;
  do {
    __asm__ volatile("ldaxp %0, %1, [%2]" : "=&r"(lo), "=&r"(hi) : "r"(p) : "memory");
    lo += a;
    hi += b;
    __asm__ volatile("stlxp %w0, %1, %2, [%3]" : "=&r"(fail) : "r"(lo), "r"(hi), "r"(p) : "memory");
  } while (fail);
}
static unsigned zero_block(uint8_t *p) {
  uint64_t dczid;
  __asm__ volatile("mrs %0, dczid_el0" : "=r"(dczid));
  const unsigned size = 4u << (dczid & 15);
  __asm__ volatile("dc zva, %0" : : "r"(p) : "memory");
  return size;
}
#else
static uint64_t amo_add(uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
static uint64_t amo_clr(uint64_t *p, uint64_t v) { return __atomic_fetch_and(p, ~v, __ATOMIC_SEQ_CST); }
static uint64_t amo_eor(uint64_t *p, uint64_t v) { return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); }
static uint64_t amo_set(uint64_t *p, uint64_t v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }
static uint64_t amo_smax(uint64_t *p, uint64_t v) {
  uint64_t old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
  while (!__atomic_compare_exchange_n(p, &old, (int64_t)old > (int64_t)v ? old : v, 0, __ATOMIC_SEQ_CST,
                                      __ATOMIC_SEQ_CST)) {
  }
  return old;
}
static uint64_t amo_umin(uint64_t *p, uint64_t v) {
  uint64_t old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
  while (!__atomic_compare_exchange_n(p, &old, old < v ? old : v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
  }
  return old;
}
static uint64_t amo_swp(uint64_t *p, uint64_t v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
static uint32_t amo_addh(uint16_t *p, uint32_t v) { return __atomic_fetch_add(p, (uint16_t)v, __ATOMIC_SEQ_CST); }
static uint64_t cas64(uint64_t *p, uint64_t expected, uint64_t desired) {
  __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}
static void casp128(uint64_t *p, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi) {
  const uint64_t olo = p[0], ohi = p[1];
  if (olo == *lo && ohi == *hi) {
    p[0] = nlo;
    p[1] = nhi;
  }
  *lo = olo;
  *hi = ohi;
}
static void pair_add(uint64_t *p, uint64_t a, uint64_t b) {
  p[0] += a;
  p[1] += b;
}
static unsigned zero_block(uint8_t *p) {
  uint8_t *b = (uint8_t *)((uintptr_t)p & ~(uintptr_t)63);
  for (int i = 0; i < 64; ++i) b[i] = 0;
  return 64;
}
#endif

static uint64_t words[4] __attribute__((aligned(16)));
static uint16_t halves[4];
static uint8_t block[256] __attribute__((aligned(64)));

int main(void) {
  for (int i = 0; i < N; ++i) {
    ca[i].re = (float)(i % 13);
    ca[i].im = (float)(i % 7) - 3;
    cb[i].re = (float)(i % 5) - 2;
    cb[i].im = (float)(i % 11);
    px[i].r = (uint8_t)(i * 7);
    px[i].g = (uint8_t)(i * 13 + 5);
    px[i].b = (uint8_t)(i * 31 + 1);
    qs[i].a = i;
    qs[i].b = i % 17 - 8;
    qs[i].c = i % 23;
    qs[i].d = i * 3;
  }
  cmul(cc, ca, cb, N);
  to_gray(gray, px, N);
  quads(qout, qs, N);
  interleave(inter, &ca[0].re, N);
  double fsum = 0;
  for (int i = 0; i < N; ++i) fsum += cc[i].re * (i % 3) + cc[i].im;
  for (int i = 0; i < 2 * N; ++i) fsum += inter[i];
  uint64_t isum = 0;
  for (int i = 0; i < N; ++i) isum = isum * 31 + gray[i] + (uint32_t)qout[i];
  printf("structs: %.1f %llu\n", fsum, (unsigned long long)isum);

  words[0] = 100;
  printf("ldadd %llu", (unsigned long long)amo_add(&words[0], 23));
  printf(" ldclr %llu", (unsigned long long)amo_clr(&words[0], 3));
  printf(" ldeor %llu", (unsigned long long)amo_eor(&words[0], 0xF0));
  printf(" ldset %llu", (unsigned long long)amo_set(&words[0], 0x10001));
  printf(" ldsmax %llu", (unsigned long long)amo_smax(&words[0], (uint64_t)-5));
  printf(" ldumin %llu", (unsigned long long)amo_umin(&words[0], 7));
  printf(" swp %llu", (unsigned long long)amo_swp(&words[0], 0x123456789ull));
  printf(" now %llu\n", (unsigned long long)words[0]);
  halves[1] = 0xFFF0;
  printf("ldaddh %u -> %u\n", amo_addh(&halves[1], 0x25), halves[1]);
  printf("cas hit %llu", (unsigned long long)cas64(&words[0], 0x123456789ull, 42));
  printf(" miss %llu now %llu\n", (unsigned long long)cas64(&words[0], 41, 7), (unsigned long long)words[0]);
  words[2] = 5;
  words[3] = 6;
  uint64_t lo = 5, hi = 6;
  casp128(&words[2], &lo, &hi, 50, 60);
  printf("casp hit %llu %llu now %llu %llu", (unsigned long long)lo, (unsigned long long)hi,
         (unsigned long long)words[2], (unsigned long long)words[3]);
  lo = 1;
  hi = 2;
  casp128(&words[2], &lo, &hi, 8, 9);
  printf(" miss %llu %llu now %llu %llu\n", (unsigned long long)lo, (unsigned long long)hi,
         (unsigned long long)words[2], (unsigned long long)words[3]);
  for (int i = 0; i < 1000; ++i) pair_add(&words[2], 1, 3);
  printf("pair %llu %llu\n", (unsigned long long)words[2], (unsigned long long)words[3]);
  for (int i = 0; i < 256; ++i) block[i] = (uint8_t)(i + 1);
  const unsigned zsize = zero_block(&block[64 + 17]);
  unsigned bsum = 0;
  for (int i = 0; i < 256; ++i) bsum = bsum * 3 + block[i];
  printf("dc zva %u %u\n", zsize, bsum);
  return 0;
}
