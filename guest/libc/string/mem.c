/* memcpy memmove memset memcmp memchr: word-at-a-time where aligned.
 * Built with -ffreestanding so the compiler does not turn these loops back
 * into calls to themselves. */
#include <stdint.h>
#include <string.h>

#include "word.h"

typedef uint64_t __attribute__((may_alias, aligned(1))) word_u;

void *memcpy(void *restrict d, const void *restrict s, size_t n) {
  unsigned char *dp = d;
  const unsigned char *sp = s;
  while (n >= 32) {
    word_u *dw = (word_u *)dp;
    const word_u *sw = (const word_u *)sp;
    uint64_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
    dw[0] = a;
    dw[1] = b;
    dw[2] = c;
    dw[3] = e;
    dp += 32;
    sp += 32;
    n -= 32;
  }
  while (n >= 8) {
    *(word_u *)dp = *(const word_u *)sp;
    dp += 8;
    sp += 8;
    n -= 8;
  }
  while (n-- > 0) *dp++ = *sp++;
  return d;
}

void *memmove(void *d, const void *s, size_t n) {
  unsigned char *dp = d;
  const unsigned char *sp = s;
  if (dp == sp || n == 0) return d;
  if (dp < sp || dp >= sp + n) return memcpy(d, s, n);
  /* Overlapping with the destination above: copy backwards. */
  dp += n;
  sp += n;
  while (n >= 8) {
    dp -= 8;
    sp -= 8;
    *(word_u *)dp = *(const word_u *)sp;
    n -= 8;
  }
  while (n-- > 0) *--dp = *--sp;
  return d;
}

void *memset(void *d, int c, size_t n) {
  unsigned char *dp = d;
  uint64_t w = (unsigned char)c * UINT64_C(0x0101010101010101);
  while (n >= 8) {
    *(word_u *)dp = w;
    dp += 8;
    n -= 8;
  }
  while (n-- > 0) *dp++ = (unsigned char)c;
  return d;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

CAPVM_WORD_SCAN void *memchr(const void *s, int c, size_t n) {
  if (n == 0) return NULL;
  /* Block by block from the aligned block holding s (word.h); `skip` is how
   * many bytes of the current block lie before s, so a match at byte i is
   * i - skip bytes into what is left of the n. */
  const char *b = capvm_block_of(s);
  const capvm_rep rep = capvm_splat((unsigned char)c);
  size_t skip = (uintptr_t)s & (CAPVM_BLOCK - 1);
  capvm_mask m = capvm_eq(b, rep) & capvm_from(s);
  for (;;) {
    if (m != 0) {
      const size_t i = capvm_index(m);
      return i - skip < n ? (void *)(b + i) : NULL;
    }
    if (n <= CAPVM_BLOCK - skip) return NULL;
    n -= CAPVM_BLOCK - skip;
    skip = 0;
    b += CAPVM_BLOCK;
    m = capvm_eq(b, rep);
  }
}
