/* The exactly-rounded part of <math.h>: IEEE operations and rounding
 * functions, hardware instructions where both targets have them. */
#include <errno.h>
#include <math.h>
#include <stdint.h>

double sqrt(double x) {
  if (x < 0) errno = EDOM;
  return __builtin_sqrt(x);
}
float sqrtf(float x) {
  if (x < 0) errno = EDOM;
  return __builtin_sqrtf(x);
}
double fabs(double x) { return __builtin_fabs(x); }
float fabsf(float x) { return __builtin_fabsf(x); }
double copysign(double a, double b) { return __builtin_copysign(a, b); }
#if defined(__aarch64__)
/* frintm / frintp / frintz / frintx */
double floor(double x) { return __builtin_floor(x); }
float floorf(float x) { return __builtin_floorf(x); }
double ceil(double x) { return __builtin_ceil(x); }
float ceilf(float x) { return __builtin_ceilf(x); }
double trunc(double x) { return __builtin_trunc(x); }
float truncf(float x) { return __builtin_truncf(x); }
double rint(double x) { return __builtin_rint(x); }
#else
/* Baseline x86_64 (SSE2) has no rounding instruction, and __builtin_floor &
 * co. would become calls to these very functions: done on the bits. */
double trunc(double x) {
  union { double d; uint64_t u; } f = {x};
  int e = (int)((f.u >> 52) & 0x7ff) - 1023;
  if (e >= 52) return x; /* integral, inf or nan */
  if (e < 0) {
    f.u &= UINT64_C(1) << 63; /* |x| < 1: signed zero */
    return f.d;
  }
  f.u &= ~((UINT64_C(1) << (52 - e)) - 1);
  return f.d;
}
float truncf(float x) { return (float)trunc(x); }
double floor(double x) {
  double t = trunc(x);
  return t > x ? t - 1.0 : t;
}
float floorf(float x) { return (float)floor(x); }
double ceil(double x) {
  double t = trunc(x);
  return t < x ? t + 1.0 : t;
}
float ceilf(float x) { return (float)ceil(x); }
double rint(double x) {
  /* Adding and subtracting 2^52 rounds in the current mode (to even). */
  const double two52 = 4503599627370496.0;
  double a = __builtin_fabs(x);
  if (!(a < two52)) return x;
  volatile double r = a + two52;
  r = r - two52;
  return __builtin_copysign(r, x);
}
#endif

double round(double x) {
  double t = trunc(x);
  if (__builtin_fabs(x - t) >= 0.5) t += __builtin_copysign(1.0, x);
  return t;
}
float roundf(float x) {
  float t = truncf(x);
  if (__builtin_fabsf(x - t) >= 0.5f) t += __builtin_copysignf(1.0f, x);
  return t;
}
long lround(double x) { return (long)round(x); }

double fmin(double a, double b) {
  if (a != a) return b;
  if (b != b) return a;
  if (a == b) return __builtin_signbit(a) ? a : b;
  return a < b ? a : b;
}
double fmax(double a, double b) {
  if (a != a) return b;
  if (b != b) return a;
  if (a == b) return __builtin_signbit(a) ? b : a;
  return a > b ? a : b;
}
float fminf(float a, float b) { return (float)fmin(a, b); }
float fmaxf(float a, float b) { return (float)fmax(a, b); }

/* Both targets' baseline ISAs: aarch64 has fmadd; x86_64 without FMA3 needs
 * the exact software path below. */
#if defined(__aarch64__) || defined(__FMA__)
double fma(double a, double b, double c) { return __builtin_fma(a, b, c); }
float fmaf(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
#else
/* Exact product as a double-double (Dekker's splitting). */
static void two_prod(double a, double b, double *hi, double *lo) {
  const double split = 134217729.0; /* 2^27 + 1 */
  double p = a * b;
  double ta = a * split, ah = ta - (ta - a), al = a - ah;
  double tb = b * split, bh = tb - (tb - b), bl = b - bh;
  *hi = p;
  *lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
static void two_sum(double a, double b, double *s, double *e) {
  double t = a + b, bb = t - a;
  *s = t;
  *e = (a - (t - bb)) + (b - bb);
}
static double add_round_odd(double a, double b) {
  double s, e;
  two_sum(a, b, &s, &e);
  union { double d; uint64_t u; } v = {s};
  if (e != 0 && (v.u & 1) == 0) {
    /* Inexact: move s one ulp toward the exact value to make it odd. */
    if ((e > 0) == (s > 0)) v.u += 1;
    else v.u -= 1;
  }
  return v.d;
}
double fma(double a, double b, double c) {
  if (!__builtin_isfinite(a) || !__builtin_isfinite(b) || !__builtin_isfinite(c) || a == 0 ||
      b == 0)
    return a * b + c;
  double uh, ul;
  two_prod(a, b, &uh, &ul);
  double m = __builtin_fabs(uh);
  if (!__builtin_isfinite(uh) || m > 0x1p900 || m < 0x1p-900 || __builtin_fabs(c) > 0x1p900)
    return a * b + c; /* outside the range where the splitting is exact */
  /* Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved
   * algorithms using rounding to odd" (2008). */
  double th, tl, vh, vl;
  two_sum(c, ul, &th, &tl);
  two_sum(uh, th, &vh, &vl);
  return vh + add_round_odd(tl, vl);
}
float fmaf(float a, float b, float c) { return (float)((double)a * b + (double)c); }
#endif

double fmod(double a, double b) {
  if (b == 0 || a != a || b != b || __builtin_isinf(a)) return (a * b) / (a * b);
  double r = __builtin_fabs(a), m = __builtin_fabs(b);
  if (r < m) return a;
  /* Subtract shifted copies of m: every step is exact. */
  while (r >= m) {
    double t = m;
    while (t <= r / 2) t *= 2;
    r -= t;
  }
  return __builtin_copysign(r, a);
}

double ldexp(double x, int e) {
  while (e > 1000) { x *= 0x1p1000; e -= 1000; }
  while (e < -1000) { x *= 0x1p-1000; e += 1000; }
  union { double d; uint64_t u; } f = {0};
  if (e >= -1022) {
    f.u = (uint64_t)(e + 1023) << 52;
    return x * f.d;
  }
  f.u = (uint64_t)(e + 1022 + 1023) << 52;
  return x * f.d * 0x1p-1022;
}

double frexp(double x, int *e) {
  *e = 0;
  if (x == 0 || !__builtin_isfinite(x)) return x;
  union { double d; uint64_t u; } f = {x};
  int bexp = (int)((f.u >> 52) & 0x7ff);
  if (bexp == 0) { /* subnormal: normalise first */
    f.d = x * 0x1p64;
    bexp = (int)((f.u >> 52) & 0x7ff) - 64;
  }
  *e = bexp - 1022;
  f.u = (f.u & ~((uint64_t)0x7ff << 52)) | ((uint64_t)1022 << 52);
  return f.d;
}

double modf(double x, double *ip) {
  double t = trunc(x);
  *ip = t;
  if (__builtin_isinf(x)) return __builtin_copysign(0.0, x);
  return __builtin_copysign(x - t, x);
}
