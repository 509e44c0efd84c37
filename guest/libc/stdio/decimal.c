/* Exact binary-to-decimal conversion of doubles with a small bignum, and
 * round-half-even at any digit position (the printf engine's %f %e %g). */
#include <stdint.h>
#include "format.h"

#define LIMBS 90 /* 2^1077 * 5^1074 needs < 2560 bits */

typedef struct {
  uint32_t w[LIMBS]; /* little-endian limbs */
  int len;
} bignum;

static void big_mul_small(bignum *b, uint32_t k) {
  uint64_t carry = 0;
  for (int i = 0; i < b->len; ++i) {
    uint64_t t = (uint64_t)b->w[i] * k + carry;
    b->w[i] = (uint32_t)t;
    carry = t >> 32;
  }
  if (carry != 0 && b->len < LIMBS) b->w[b->len++] = (uint32_t)carry;
}

/* Divides by d in place, returning the remainder. */
static uint32_t big_divmod_small(bignum *b, uint32_t d) {
  uint64_t rem = 0;
  for (int i = b->len - 1; i >= 0; --i) {
    uint64_t cur = rem << 32 | b->w[i];
    b->w[i] = (uint32_t)(cur / d);
    rem = cur % d;
  }
  while (b->len > 0 && b->w[b->len - 1] == 0) --b->len;
  return (uint32_t)rem;
}

/* Writes the decimal digits of b (destroyed) into out; returns the count. */
static int big_to_decimal(bignum *b, char *out) {
  char rev[CAPVM_DECIMAL_MAX + 16];
  int n = 0;
  while (b->len > 0) {
    uint32_t chunk = big_divmod_small(b, 1000000000u);
    for (int k = 0; k < 9; ++k) {
      rev[n++] = (char)('0' + chunk % 10);
      chunk /= 10;
    }
  }
  while (n > 0 && rev[n - 1] == '0') --n; /* leading zeros of the top chunk */
  for (int i = 0; i < n; ++i) out[i] = rev[n - 1 - i];
  return n;
}

void capvm_decimal_from_double(capvm_decimal *dec, double v) {
  union { double d; uint64_t u; } bits = {v};
  uint64_t mant = bits.u & ((UINT64_C(1) << 52) - 1);
  int bexp = (int)((bits.u >> 52) & 0x7ff);
  int e;
  if (bexp == 0) {
    e = -1074;
  } else {
    mant |= UINT64_C(1) << 52;
    e = bexp - 1075;
  }
  bignum b;
  b.w[0] = (uint32_t)mant;
  b.w[1] = (uint32_t)(mant >> 32);
  b.len = b.w[1] != 0 ? 2 : 1;
  /* value = mant * 2^e: for e < 0 that is mant * 5^-e / 10^-e. */
  int k = e >= 0 ? e : -e;
  uint32_t unit = e >= 0 ? 2 : 5;
  uint32_t chunk_mul = e >= 0 ? (1u << 31) : 1220703125u; /* 2^31, 5^13 */
  int chunk = e >= 0 ? 31 : 13;
  while (k >= chunk) {
    big_mul_small(&b, chunk_mul);
    k -= chunk;
  }
  while (k-- > 0) big_mul_small(&b, unit);
  int n = big_to_decimal(&b, dec->d);
  dec->dp = e >= 0 ? n : n + e;
  while (n > 0 && dec->d[n - 1] == '0') --n;
  dec->n = n;
}

void capvm_decimal_round(capvm_decimal *dec, int keep) {
  if (keep >= dec->n) return;
  int up;
  if (keep < 0) {
    up = 0;
  } else {
    char next = dec->d[keep];
    if (next != '5') up = next > '5';
    else if (dec->n > keep + 1) up = 1; /* more non-zero digits follow */
    else up = keep > 0 && ((dec->d[keep - 1] - '0') & 1); /* exact tie: to even */
  }
  if (!up) {
    dec->n = keep > 0 ? keep : 0;
  } else {
    int i = keep - 1;
    while (i >= 0 && dec->d[i] == '9') --i;
    if (i < 0) { /* all nines (or keep == 0): becomes 1 x 10^(dp+1) */
      dec->d[0] = '1';
      dec->n = 1;
      dec->dp += 1;
      return;
    }
    dec->d[i]++;
    dec->n = i + 1;
  }
  while (dec->n > 0 && dec->d[dec->n - 1] == '0') --dec->n;
}
