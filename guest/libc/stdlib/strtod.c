/* strtod: decimal (and inf/nan) input. Simple: exact for up to 19
 * significant digits with small exponents, otherwise within a few ulps. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

static double pow10_int(int e) {
  double r = 1.0, b = 10.0;
  unsigned k = e < 0 ? (unsigned)-e : (unsigned)e;
  while (k != 0) {
    if (k & 1) r *= b;
    b *= b;
    k >>= 1;
  }
  return r;
}

static int match(const char *p, const char *word) {
  int i = 0;
  for (; word[i] != '\0'; ++i)
    if (tolower((unsigned char)p[i]) != word[i]) return 0;
  return i;
}

double strtod(const char *restrict s, char **restrict end) {
  const char *p = s;
  while (isspace((unsigned char)*p)) ++p;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  int n;
  if ((n = match(p, "infinity")) != 0 || (n = match(p, "inf")) != 0) {
    if (end != NULL) *end = (char *)(p + n);
    return neg ? -INFINITY : INFINITY;
  }
  if ((n = match(p, "nan")) != 0) {
    if (end != NULL) *end = (char *)(p + n);
    return neg ? -NAN : NAN;
  }
  unsigned long long mant = 0;
  int exp10 = 0, digits = 0;
  const char *start = p;
  for (; isdigit((unsigned char)*p); ++p, ++digits) {
    if (mant < 1000000000000000000ull) mant = mant * 10 + (unsigned)(*p - '0');
    else ++exp10;
  }
  if (*p == '.') {
    ++p;
    for (; isdigit((unsigned char)*p); ++p, ++digits) {
      if (mant < 1000000000000000000ull) {
        mant = mant * 10 + (unsigned)(*p - '0');
        --exp10;
      }
    }
  }
  if (digits == 0) {
    if (end != NULL) *end = (char *)s;
    return 0.0;
  }
  (void)start;
  if (*p == 'e' || *p == 'E') {
    const char *q = p + 1;
    int eneg = 0, e = 0;
    if (*q == '+' || *q == '-') eneg = *q++ == '-';
    if (isdigit((unsigned char)*q)) {
      for (; isdigit((unsigned char)*q); ++q)
        if (e < 100000) e = e * 10 + (*q - '0');
      exp10 += eneg ? -e : e;
      p = q;
    }
  }
  if (end != NULL) *end = (char *)p;
  double v = (double)mant;
  if (exp10 < -300) { /* two steps to avoid underflowing the power */
    v /= pow10_int(300);
    exp10 += 300;
  }
  if (exp10 < 0) v /= pow10_int(exp10 < -400 ? -400 : exp10);
  else if (exp10 > 0) v *= pow10_int(exp10 > 400 ? 400 : exp10);
  if ((v == 0 && mant != 0) || isinf(v)) errno = ERANGE;
  return neg ? -v : v;
}

double atof(const char *s) { return strtod(s, NULL); }
