/* malloc/calloc/realloc/free churn over many sizes with data checks and a
 * checksum (output independent of where blocks land). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512

static uint32_t rng = 2463534242u;
static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

int main(void) {
  static unsigned char *ptr[SLOTS];
  static size_t len[SLOTS];
  uint64_t checksum = 0;
  int errors = 0;
  for (int round = 0; round < 40000; ++round) {
    int s = (int)(next() % SLOTS);
    if (ptr[s] != NULL) {
      for (size_t i = 0; i < len[s]; ++i)
        if (ptr[s][i] != (unsigned char)(s + i)) {
          ++errors;
          break;
        }
      checksum = checksum * 1099511628211ull + len[s];
      if (next() % 4 == 0) {
        size_t nl = 1 + next() % 3000; /* realloc(p, 0) is implementation-defined */
        unsigned char *q = realloc(ptr[s], nl);
        if (q == NULL && nl != 0) ++errors;
        size_t keep = nl < len[s] ? nl : len[s];
        for (size_t i = 0; i < keep; ++i)
          if (q[i] != (unsigned char)(s + i)) {
            ++errors;
            break;
          }
        for (size_t i = keep; i < nl; ++i) q[i] = (unsigned char)(s + i);
        ptr[s] = q;
        len[s] = nl;
        continue;
      }
      free(ptr[s]);
      ptr[s] = NULL;
      continue;
    }
    uint32_t r = next();
    size_t n = r % 16 == 0 ? 70000 + r % 200000 : r % 512 == 1 ? 0 : r % 2048;
    if (r % 3 == 0) {
      ptr[s] = calloc(n, 1);
      for (size_t i = 0; i < n; ++i)
        if (ptr[s][i] != 0) {
          ++errors;
          break;
        }
    } else {
      ptr[s] = malloc(n);
    }
    if (ptr[s] == NULL) {
      ++errors;
      continue;
    }
    if (((uintptr_t)ptr[s] & 15) != 0) ++errors;
    memset(ptr[s], 0, n);
    for (size_t i = 0; i < n; ++i) ptr[s][i] = (unsigned char)(s + i);
    len[s] = n;
  }
  for (int s = 0; s < SLOTS; ++s) free(ptr[s]);
  void *a = aligned_alloc(256, 1000);
  printf("aligned_alloc 256: %d\n", a != NULL && ((uintptr_t)a & 255) == 0);
  free(a);
  printf("malloc churn errors %d checksum %016llx\n", errors, (unsigned long long)checksum);
  return errors != 0;
}
