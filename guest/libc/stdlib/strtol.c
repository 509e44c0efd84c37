/* strtol family and atoi (C11 7.22.1.4): ERANGE on overflow. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

static int digit_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

/* Parses the magnitude; *neg gets the sign; *overflow if > limit. */
static unsigned long long parse(const char *s, char **end, int base, int *neg, int *overflow) {
  const char *p = s;
  *neg = 0;
  *overflow = 0;
  while (isspace((unsigned char)*p)) ++p;
  if (*p == '+' || *p == '-') *neg = *p++ == '-';
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
      digit_value((unsigned char)p[2]) < 16) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  if (base < 2 || base > 36) {
    errno = EINVAL;
    if (end != NULL) *end = (char *)s;
    return 0;
  }
  const char *digits = p;
  unsigned long long v = 0;
  for (int d; (d = digit_value((unsigned char)*p)) < base; ++p) {
    if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base) *overflow = 1;
    v = v * (unsigned)base + (unsigned)d;
  }
  if (end != NULL) *end = (char *)(p == digits ? s : p);
  return v;
}

long long strtoll(const char *restrict s, char **restrict end, int base) {
  int neg, ovf;
  unsigned long long v = parse(s, end, base, &neg, &ovf);
  if (!neg && (ovf || v > (unsigned long long)LLONG_MAX)) {
    errno = ERANGE;
    return LLONG_MAX;
  }
  if (neg && (ovf || v > (unsigned long long)LLONG_MAX + 1)) {
    errno = ERANGE;
    return LLONG_MIN;
  }
  return neg ? (long long)(0 - v) : (long long)v;
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base) {
  int neg, ovf;
  unsigned long long v = parse(s, end, base, &neg, &ovf);
  if (ovf) {
    errno = ERANGE;
    return ULLONG_MAX;
  }
  return neg ? 0 - v : v;
}

long strtol(const char *restrict s, char **restrict end, int base) {
  return (long)strtoll(s, end, base);
}
unsigned long strtoul(const char *restrict s, char **restrict end, int base) {
  return (unsigned long)strtoull(s, end, base);
}
intmax_t strtoimax(const char *restrict s, char **restrict end, int base) {
  return strtoll(s, end, base);
}
uintmax_t strtoumax(const char *restrict s, char **restrict end, int base) {
  return strtoull(s, end, base);
}

int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
long atol(const char *s) { return strtol(s, NULL, 10); }
long long atoll(const char *s) { return strtoll(s, NULL, 10); }
