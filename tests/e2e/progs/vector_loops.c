/* Loops clang vectorises at -O2 (SSE on x86_64, NEON on aarch64): integer
 * sums, element-wise scaling of floats and doubles, saturating clamps. */
#include <stdint.h>
#include <stdio.h>

#define N 4099

static int32_t ia[N], ib[N];
static float fa[N], fb[N], fc[N];
static double da[N], db[N];
static uint8_t bytes[N];

__attribute__((noinline)) static int64_t sum_i32(const int32_t *a, int n) {
  int64_t s = 0;
  for (int i = 0; i < n; ++i) s += a[i];
  return s;
}

__attribute__((noinline)) static void saxpy(float *restrict y, const float *restrict x, float a, int n) {
  for (int i = 0; i < n; ++i) y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) static void scale_d(double *restrict d, const double *restrict s, double k, int n) {
  for (int i = 0; i < n; ++i) d[i] = s[i] * k - 0.5;
}

__attribute__((noinline)) static uint32_t sum_u8(const uint8_t *b, int n) {
  uint32_t s = 0;
  for (int i = 0; i < n; ++i) s += b[i];
  return s;
}

__attribute__((noinline)) static void clamp_add(int32_t *restrict d, const int32_t *restrict s, int n) {
  for (int i = 0; i < n; ++i) {
    int32_t v = d[i] + s[i];
    d[i] = v > 1000 ? 1000 : v < -1000 ? -1000 : v;
  }
}

__attribute__((noinline)) static int32_t max_i32(const int32_t *a, int n) {
  int32_t m = a[0];
  for (int i = 1; i < n; ++i) m = a[i] > m ? a[i] : m;
  return m;
}

int main(void) {
  for (int i = 0; i < N; ++i) {
    ia[i] = (i * 7919) % 2003 - 1000;
    ib[i] = (i * 104729) % 1999 - 999;
    fa[i] = (float)i * 0.25f;
    fb[i] = (float)(N - i) * 0.5f;
    da[i] = (double)i / 8.0;
    bytes[i] = (uint8_t)(i * 31);
  }
  for (int len = 1; len <= N; len = len * 3 + 1) {
    printf("len %d: sum_i32=%lld sum_u8=%u max=%d\n", len, (long long)sum_i32(ia, len),
           sum_u8(bytes, len), max_i32(ib, len));
  }
  for (int rep = 0; rep < 3; ++rep) {
    saxpy(fb, fa, 1.5f, N);
    scale_d(db, da, 3.0, N);
    clamp_add(ia, ib, N);
  }
  double fsum = 0, dsum = 0;
  for (int i = 0; i < N; ++i) {
    fsum += fb[i];
    dsum += db[i];
    fc[i] = fb[i];
  }
  printf("fb[0]=%.9g fb[N-1]=%.9g fsum=%.17g\n", (double)fb[0], (double)fb[N - 1], fsum);
  printf("db[1]=%.17g db[N-1]=%.17g dsum=%.17g\n", db[1], db[N - 1], dsum);
  printf("clamped sum=%lld first=%d last=%d\n", (long long)sum_i32(ia, N), ia[0], ia[N - 1]);
  printf("fc[100]=%g\n", (double)fc[100]);
  return 0;
}
