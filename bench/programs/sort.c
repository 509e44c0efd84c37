/* sort: quicksort and merge sort of a few million pseudo-random ints (own
 * implementations, so the same code runs natively and as a guest), each
 * checked sorted; prints checksums of the sorted arrays. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define N (3u << 20)  /* 3 Mi ints */

static void insertion(int32_t *a, long lo, long hi) {
  for (long i = lo + 1; i <= hi; ++i) {
    const int32_t v = a[i];
    long j = i - 1;
    while (j >= lo && a[j] > v) { a[j + 1] = a[j]; --j; }
    a[j + 1] = v;
  }
}

static void quicksort(int32_t *a, long lo, long hi) {
  while (hi - lo > 16) {
    /* median of three */
    const long mid = lo + (hi - lo) / 2;
    int32_t x = a[lo], y = a[mid], z = a[hi];
    int32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) ++i;
      while (a[j] > pivot) --j;
      if (i <= j) {
        const int32_t t = a[i]; a[i] = a[j]; a[j] = t;
        ++i; --j;
      }
    }
    /* recurse into the smaller side */
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
    else { quicksort(a, i, hi); hi = j; }
  }
  insertion(a, lo, hi);
}

static void mergesort_rec(int32_t *a, int32_t *tmp, size_t n) {
  if (n <= 16) {
    insertion(a, 0, (long)n - 1);
    return;
  }
  const size_t h = n / 2;
  mergesort_rec(a, tmp, h);
  mergesort_rec(a + h, tmp, n - h);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
  while (i < h) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, n * sizeof *a);
}

static uint64_t check(const int32_t *a, size_t n, const char *what) {
  uint64_t h = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && a[i - 1] > a[i]) {
      printf("sort: %s not sorted at %zu\n", what, i);
      exit(1);
    }
    if ((i & 1023) == 0) h = bench_mix(h, (uint32_t)a[i]);
  }
  return h;
}

int main(void) {
  int32_t *a = malloc(N * sizeof *a);
  int32_t *b = malloc(N * sizeof *b);
  int32_t *tmp = malloc(N * sizeof *tmp);
  if (!a || !b || !tmp) return 1;
  uint64_t rng = 0xA5A5A5A55A5A5A5AULL;
  uint64_t in = 0;
  for (size_t i = 0; i < N; ++i) {
    a[i] = (int32_t)(bench_rand(&rng) >> 32);
    if (i % 5 == 0) a[i] &= 0xFFFF;  /* some duplicates */
    in += (uint32_t)a[i];
  }
  memcpy(b, a, N * sizeof *a);
  quicksort(a, 0, (long)N - 1);
  const uint64_t hq = check(a, N, "quicksort");
  mergesort_rec(b, tmp, N);
  const uint64_t hm = check(b, N, "mergesort");
  if (memcmp(a, b, N * sizeof *a) != 0) {
    printf("sort: quicksort and mergesort disagree\n");
    return 1;
  }
  printf("sort n=%u sum=%llu quick=%016llx merge=%016llx min=%d max=%d\n", N,
         (unsigned long long)in, (unsigned long long)hq, (unsigned long long)hm, a[0], a[N - 1]);
  return 0;
}
