/* memcpy / memmove / memset / memcmp over many sizes and alignments, checked
 * against byte loops and summarised by a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BUF 1024
static unsigned char src[BUF + 64], dst[BUF + 64], ref[BUF + 64];

static uint32_t checksum(const unsigned char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; ++i) p[i] = (unsigned char)(seed + i * 37 + (i >> 3));
}

int main(void) {
  static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65,
                                 127, 128, 129, 255, 256, 257, 511, 600, 1000};
  int errors = 0;
  uint32_t total = 0;
  for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); ++si) {
    size_t n = sizes[si];
    for (size_t so = 0; so < 8; ++so) {
      for (size_t d = 0; d < 8; ++d) {
        fill(src, sizeof(src), (unsigned)(n + so));
        memset(dst, 0xAA, sizeof(dst));
        memcpy(dst + d, src + so, n);
        memcpy(ref, dst, sizeof(ref));
        for (size_t i = 0; i < n; ++i)
          if (dst[d + i] != src[so + i]) ++errors;
        if (d > 0 && dst[d - 1] != 0xAA) ++errors;
        if (dst[d + n] != 0xAA) ++errors;
        total += checksum(dst, sizeof(dst));
        /* Overlapping moves both ways. */
        memmove(dst + d + 3, dst + d, n);
        for (size_t i = 0; i < n; ++i)
          if (dst[d + 3 + i] != ref[d + i]) ++errors;
        memcpy(dst, ref, sizeof(dst));
        memmove(dst + d, dst + d + 5, n);
        for (size_t i = 0; i < n; ++i)
          if (dst[d + i] != ref[d + 5 + i]) ++errors;
        total += checksum(dst, sizeof(dst));
        /* memset of a sub-range, then memcmp. */
        memset(dst + so, (int)(n & 0xff), n);
        for (size_t i = 0; i < n; ++i)
          if (dst[so + i] != (unsigned char)n) ++errors;
        int c = memcmp(dst, ref, sizeof(dst));
        total = total * 3 + (uint32_t)(c < 0 ? 1 : c > 0 ? 2 : 0);
      }
    }
  }
  printf("memops errors %d checksum %08x\n", errors, total);
  char a[32] = "abcdef", b[32] = "abcdeg";
  printf("memcmp %d %d %d\n", memcmp(a, b, 5) == 0, memcmp(a, b, 6) < 0, memcmp(b, a, 6) > 0);
  /* Struct copies (compiled to inline moves or memcpy calls). */
  struct big { int64_t v[40]; } x, y;
  for (int i = 0; i < 40; ++i) x.v[i] = (int64_t)i * 1000003;
  y = x;
  int64_t s = 0;
  for (int i = 0; i < 40; ++i) s += y.v[i];
  printf("struct copy sum %lld\n", (long long)s);
  return errors != 0;
}
