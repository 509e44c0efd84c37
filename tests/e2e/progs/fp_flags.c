/* Floating-point exception flags after single operations, read from the
 * hardware (x86: MXCSR, natively and in the x86-64 guest; arm64: FPSR in
 * the aarch64 guest) and printed in one architecture-neutral form, so the
 * three runs must print the same. Flags are cleared before and read right
 * after each operation (printf itself computes); one case checks that they
 * accumulate, one that they survive system calls. */
#include <stdio.h>

enum { INVALID = 1, DIVBYZERO = 2, OVERFLOW = 4, UNDERFLOW = 8, INEXACT = 16 };

#if defined(__x86_64__)
static unsigned read_flags(void) {
  unsigned m;
  __asm__ volatile("stmxcsr %0" : "=m"(m) : : "memory");
  return ((m & 1) ? INVALID : 0) | ((m & 4) ? DIVBYZERO : 0) | ((m & 8) ? OVERFLOW : 0) |
         ((m & 16) ? UNDERFLOW : 0) | ((m & 32) ? INEXACT : 0);
}
static void clear_flags(void) {
  unsigned m;
  __asm__ volatile("stmxcsr %0" : "=m"(m) : : "memory");
  m &= ~0x3Fu;
  __asm__ volatile("ldmxcsr %0" : : "m"(m) : "memory");
}
#elif defined(__aarch64__)
static unsigned read_flags(void) {
  unsigned long f;
  __asm__ volatile("mrs %0, fpsr" : "=r"(f) : : "memory");
  return ((f & 1) ? INVALID : 0) | ((f & 2) ? DIVBYZERO : 0) | ((f & 4) ? OVERFLOW : 0) |
         ((f & 8) ? UNDERFLOW : 0) | ((f & 16) ? INEXACT : 0);
}
static void clear_flags(void) { __asm__ volatile("msr fpsr, xzr" : : : "memory"); }
#else
#error "x86_64 or aarch64"
#endif

static volatile double zero = 0.0, one = 1.0, three = 3.0, big = 1e308, tiny = 1e-300,
                       two_and_half = 2.5, huge_int = 1e10, inf = 1e308 * 10.0;
static volatile float onef = 1.0f, threef = 3.0f;
static volatile double dsink;
static volatile float fsink;
static volatile int isink;

static void show(const char* what, unsigned flags) {
  printf("%-24s%s%s%s%s%s%s\n", what, flags ? "" : " none", (flags & INVALID) ? " invalid" : "",
         (flags & DIVBYZERO) ? " divbyzero" : "", (flags & OVERFLOW) ? " overflow" : "",
         (flags & UNDERFLOW) ? " underflow" : "", (flags & INEXACT) ? " inexact" : "");
}

#define CASE(what, expr)      \
  do {                        \
    clear_flags();            \
    expr;                     \
    show(what, read_flags()); \
  } while (0)

int main(void) {
  CASE("2 + 2", dsink = two_and_half + one);
  CASE("1 / 3", dsink = one / three);
  CASE("1 / 0", dsink = one / zero);
  CASE("0 / 0", dsink = zero / zero);
  CASE("inf - inf", dsink = inf - inf);
  CASE("1e308 * 1e308", dsink = big * big);
  CASE("1e-300 * 1e-300", dsink = tiny * tiny);
  CASE("(float) 1 / 3", fsink = onef / threef);
  CASE("(float) 1e308", fsink = (float)big);
  CASE("(int) 2.5", isink = (int)two_and_half);
  CASE("(int) 1e10", isink = (int)huge_int);
  CASE("(int) 3.0", isink = (int)three);
  CASE("(long) 0/0", isink = (int)(long)(zero / zero));
  CASE("1/3 then 1/0", (dsink = one / three, dsink = one / zero));
  /* Raised before a system call (the output), read after it. */
  clear_flags();
  dsink = one / three;
  fputs("(a system call)\n", stdout);
  fflush(stdout);
  show("1/3 across a syscall", read_flags());
  return 0;
}
