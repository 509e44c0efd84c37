/* %f %e %g bodies for finite doubles, exact and rounded like glibc (C11
 * 7.21.6.1 for the shapes; decimal.c for the digits). */
#include "format.h"

static char digit_at(const capvm_decimal *dec, int i) {
  return i >= 0 && i < dec->n ? dec->d[i] : '0';
}

/* %f: integer digits, '.', prec fractional digits (the tail as *zeros). */
static int body_fixed(const capvm_decimal *dec, int prec, int alt, char *out, size_t *zeros) {
  int len = 0;
  if (dec->dp <= 0) {
    out[len++] = '0';
  } else {
    for (int i = 0; i < dec->dp; ++i) out[len++] = digit_at(dec, i);
  }
  *zeros = 0;
  if (prec > 0 || alt) out[len++] = '.';
  if (prec > 0) {
    int significant = dec->n - dec->dp; /* fractional digits up to the last non-zero */
    if (significant < 0) significant = 0;
    if (significant > prec) significant = prec;
    for (int i = 0; i < significant; ++i) out[len++] = digit_at(dec, dec->dp + i);
    *zeros = (size_t)(prec - significant);
  }
  return len;
}

/* %e: d.ddd then (as suffix) e+XX. */
static int body_exp(const capvm_decimal *dec, int prec, int alt, char upper, char *out,
                    size_t *zeros, char *suffix, size_t *suffix_len) {
  int len = 0;
  out[len++] = dec->n > 0 ? dec->d[0] : '0';
  if (prec > 0 || alt) out[len++] = '.';
  int significant = dec->n - 1;
  if (significant < 0) significant = 0;
  if (significant > prec) significant = prec;
  for (int i = 1; i <= significant; ++i) out[len++] = dec->d[i];
  *zeros = (size_t)(prec - significant);
  int x = dec->n > 0 ? dec->dp - 1 : 0;
  size_t s = 0;
  suffix[s++] = upper ? 'E' : 'e';
  suffix[s++] = x < 0 ? '-' : '+';
  unsigned ax = x < 0 ? (unsigned)-x : (unsigned)x;
  char tmp[8];
  int t = 0;
  do {
    tmp[t++] = (char)('0' + ax % 10);
    ax /= 10;
  } while (ax != 0);
  if (t < 2) tmp[t++] = '0';
  while (t > 0) suffix[s++] = tmp[--t];
  *suffix_len = s;
  return len;
}

int capvm_format_float(double v, char conv, int prec, int alt, char *out, size_t *zeros,
                       char *suffix, size_t *suffix_len) {
  capvm_decimal dec;
  if (v < 0) v = -v;
  if (v == 0) {
    dec.n = 0;
    dec.dp = 1;
  } else {
    capvm_decimal_from_double(&dec, v);
  }
  if (prec < 0) prec = 6;
  *suffix_len = 0;
  char lower = conv | 0x20;
  char upper = conv != lower;
  if (lower == 'f') {
    capvm_decimal_round(&dec, dec.dp + prec);
    return body_fixed(&dec, prec, alt, out, zeros);
  }
  if (lower == 'e') {
    if (dec.n > 0) capvm_decimal_round(&dec, prec + 1);
    return body_exp(&dec, prec, alt, upper, out, zeros, suffix, suffix_len);
  }
  /* %g: P significant digits; X = exponent after rounding to P digits. */
  int p = prec == 0 ? 1 : prec;
  int x = 0;
  if (dec.n > 0) {
    capvm_decimal probe = dec;
    capvm_decimal_round(&probe, p);
    x = probe.dp - 1;
  }
  int len;
  if (p > x && x >= -4) {
    capvm_decimal_round(&dec, dec.dp + (p - 1 - x));
    len = body_fixed(&dec, p - 1 - x, alt, out, zeros);
  } else {
    /* glibc quirk, matched: when only the rounding carry pushed X up to P
     * (the unrounded value would print in %f style), the %e form keeps no
     * fraction digits: "%#g" of 999999.5 is "1.e+06". */
    int eprec = dec.n > 0 && x >= p && dec.dp - 1 < p ? 0 : p - 1;
    if (dec.n > 0) capvm_decimal_round(&dec, p);
    len = body_exp(&dec, eprec, alt, upper, out, zeros, suffix, suffix_len);
  }
  if (!alt) { /* drop trailing zeros of the fraction, and a bare point */
    *zeros = 0;
    int has_point = 0;
    for (int i = 0; i < len; ++i) has_point |= out[i] == '.';
    if (has_point) {
      while (len > 0 && out[len - 1] == '0') --len;
      if (len > 0 && out[len - 1] == '.') --len;
    }
  }
  return len;
}
