/* matmul: double-precision matrix multiply (C = A * B, i-k-j loop order,
 * then a blocked variant), plus a sqrt-normalized checksum. Every c[i][j]
 * is accumulated in the same order in both variants and on every build, so
 * results are bit-identical natively and under capvm. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define N 576
#define BLK 64

static void matmul_ikj(const double *a, const double *b, double *c) {
  memset(c, 0, sizeof(double) * N * N);
  for (int i = 0; i < N; ++i)
    for (int k = 0; k < N; ++k) {
      const double aik = a[i * N + k];
      double *ci = c + i * N;
      const double *bk = b + k * N;
      for (int j = 0; j < N; ++j) ci[j] += aik * bk[j];
    }
}

/* Blocked over i and j only: k still runs 0..N-1 in order per element. */
static void matmul_blocked(const double *a, const double *b, double *c) {
  memset(c, 0, sizeof(double) * N * N);
  for (int ii = 0; ii < N; ii += BLK)
    for (int jj = 0; jj < N; jj += BLK)
      for (int i = ii; i < ii + BLK; ++i)
        for (int k = 0; k < N; ++k) {
          const double aik = a[i * N + k];
          for (int j = jj; j < jj + BLK; ++j) c[i * N + j] += aik * b[k * N + j];
        }
}

static double frobenius(const double *c) {
  double s = 0;
  for (int i = 0; i < N * N; ++i) s += c[i] * c[i];
  return sqrt(s);
}

int main(void) {
  double *a = malloc(sizeof(double) * N * N);
  double *b = malloc(sizeof(double) * N * N);
  double *c1 = malloc(sizeof(double) * N * N);
  double *c2 = malloc(sizeof(double) * N * N);
  if (!a || !b || !c1 || !c2) return 1;
  uint64_t rng = 0x5EED5EED5EED5EEDULL;
  for (int i = 0; i < N * N; ++i) {
    a[i] = (double)(int64_t)(bench_rand(&rng) % 2001 - 1000) / 256.0;
    b[i] = (double)(int64_t)(bench_rand(&rng) % 2001 - 1000) / 512.0;
  }
  double norm = 0;
  for (int rep = 0; rep < 4; ++rep) {
    matmul_ikj(a, b, c1);
    matmul_blocked(a, b, c2);
    if (memcmp(c1, c2, sizeof(double) * N * N) != 0) {
      printf("matmul: blocked and plain results differ\n");
      return 1;
    }
    norm += frobenius(c1);
    /* feed back so repetitions differ */
    for (int i = 0; i < N * N; i += N + 1) a[i] += c1[i] / 65536.0;
  }
  uint64_t bits;
  memcpy(&bits, &norm, 8);
  printf("matmul n=%d norm=%.10e bits=%016llx c[7][11]=%.6f trace=%.6f\n", N, norm,
         (unsigned long long)bits, c1[7 * N + 11], c1[0] + c1[N * N - 1]);
  return 0;
}
