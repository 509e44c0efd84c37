/* qsort (introspective: median-of-three quicksort, insertion sort for small
 * ranges, heapsort when recursion gets too deep) and bsearch. */
#include <stdint.h>
#include <stdlib.h>

typedef int (*cmp_fn)(const void *, const void *);

static void swap_bytes(unsigned char *a, unsigned char *b, size_t size) {
  if (a == b) return;
  while (size-- > 0) {
    unsigned char t = *a;
    *a++ = *b;
    *b++ = t;
  }
}

#define AT(i) (base + (i) * size)

static void insertion_sort(unsigned char *base, size_t n, size_t size, cmp_fn cmp) {
  for (size_t i = 1; i < n; ++i)
    for (size_t j = i; j > 0 && cmp(AT(j - 1), AT(j)) > 0; --j) swap_bytes(AT(j - 1), AT(j), size);
}

static void sift_down(unsigned char *base, size_t root, size_t n, size_t size, cmp_fn cmp) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && cmp(AT(child), AT(child + 1)) < 0) ++child;
    if (cmp(AT(root), AT(child)) >= 0) return;
    swap_bytes(AT(root), AT(child), size);
    root = child;
  }
}

static void heap_sort(unsigned char *base, size_t n, size_t size, cmp_fn cmp) {
  for (size_t i = n / 2; i-- > 0;) sift_down(base, i, n, size, cmp);
  for (size_t end = n; end-- > 1;) {
    swap_bytes(AT(0), AT(end), size);
    sift_down(base, 0, end, size, cmp);
  }
}

static void sort(unsigned char *base, size_t n, size_t size, cmp_fn cmp, int depth) {
  while (n > 16) {
    if (depth-- == 0) {
      heap_sort(base, n, size, cmp);
      return;
    }
    size_t mid = n / 2;
    /* Median of three into position 0 as the pivot. */
    if (cmp(AT(mid), AT(0)) < 0) swap_bytes(AT(mid), AT(0), size);
    if (cmp(AT(n - 1), AT(0)) < 0) swap_bytes(AT(n - 1), AT(0), size);
    if (cmp(AT(n - 1), AT(mid)) < 0) swap_bytes(AT(n - 1), AT(mid), size);
    swap_bytes(AT(0), AT(mid), size);
    size_t i = 1, j = n - 1;
    for (;;) {
      while (i <= j && cmp(AT(i), AT(0)) < 0) ++i;
      while (j >= i && cmp(AT(j), AT(0)) > 0) --j;
      if (i >= j) break;
      swap_bytes(AT(i), AT(j), size);
      ++i;
      --j;
    }
    swap_bytes(AT(0), AT(j), size);
    /* Recurse into the smaller side, loop on the larger. */
    if (j < n - j - 1) {
      sort(base, j, size, cmp, depth);
      base = AT(j + 1);
      n = n - j - 1;
    } else {
      sort(AT(j + 1), n - j - 1, size, cmp, depth);
      n = j;
    }
  }
  insertion_sort(base, n, size, cmp);
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (n < 2 || size == 0) return;
  int depth = 0;
  for (size_t k = n; k > 0; k >>= 1) depth += 2;
  sort(base, n, size, cmp, depth);
}

void *bsearch(const void *key, const void *base, size_t n, size_t size,
              int (*cmp)(const void *, const void *)) {
  const unsigned char *b = base;
  while (n > 0) {
    size_t half = n / 2;
    const unsigned char *mid = b + half * size;
    int r = cmp(key, mid);
    if (r == 0) return (void *)mid;
    if (r > 0) {
      b = mid + size;
      n -= half + 1;
    } else {
      n = half;
    }
  }
  return NULL;
}
