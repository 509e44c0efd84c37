/* String functions of <string.h>. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Word-at-a-time scanning: an aligned 8-byte load never crosses a page, so
 * reading past the terminator inside the word is safe. has_zero(w) is
 * nonzero iff some byte of w is zero. */
typedef uint64_t __attribute__((may_alias)) word_a;
#define ONES ((uint64_t)0x0101010101010101ull)
#define HIGHS ((uint64_t)0x8080808080808080ull)
static inline uint64_t has_zero(uint64_t w) { return (w - ONES) & ~w & HIGHS; }

size_t strlen(const char *s) {
  const char *p = s;
  for (; ((uintptr_t)p & 7) != 0; ++p)
    if (*p == '\0') return (size_t)(p - s);
  const word_a *w = (const word_a *)p;
  while (!has_zero(*w)) ++w;
  for (p = (const char *)w; *p != '\0'; ++p) {
  }
  return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') ++n;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n > 0; --n, ++a, ++b) {
    if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
    if (*a == '\0') break;
  }
  return 0;
}

char *strcpy(char *restrict d, const char *restrict s) {
  char *r = d;
  while ((*d++ = *s++) != '\0') {
  }
  return r;
}

char *strncpy(char *restrict d, const char *restrict s, size_t n) {
  size_t i = 0;
  for (; i < n && s[i] != '\0'; ++i) d[i] = s[i];
  for (; i < n; ++i) d[i] = '\0';
  return d;
}

char *strcat(char *restrict d, const char *restrict s) {
  strcpy(d + strlen(d), s);
  return d;
}

char *strncat(char *restrict d, const char *restrict s, size_t n) {
  char *p = d + strlen(d);
  while (n-- > 0 && *s != '\0') *p++ = *s++;
  *p = '\0';
  return d;
}

char *strchr(const char *s, int c) {
  const unsigned char ch = (unsigned char)c;
  for (; ((uintptr_t)s & 7) != 0; ++s) {
    if (*s == (char)ch) return (char *)s;
    if (*s == '\0') return NULL;
  }
  const uint64_t rep = ONES * ch;
  const word_a *w = (const word_a *)s;
  while (!has_zero(*w) && !has_zero(*w ^ rep)) ++w;
  for (s = (const char *)w;; ++s) {
    if (*s == (char)ch) return (char *)s;
    if (*s == '\0') return NULL;
  }
}

char *strrchr(const char *s, int c) {
  const char *last = NULL;
  for (;; ++s) {
    if (*s == (char)c) last = s;
    if (*s == '\0') return (char *)last;
  }
}

char *strstr(const char *h, const char *n) {
  size_t nl = strlen(n);
  if (nl == 0) return (char *)h;
  for (; *h != '\0'; ++h)
    if (*h == *n && strncmp(h, n, nl) == 0) return (char *)h;
  return NULL;
}

/* Byte-set membership as a 256-bit table. */
static void byteset(uint64_t set[4], const char *chars) {
  set[0] = set[1] = set[2] = set[3] = 0;
  for (const unsigned char *c = (const unsigned char *)chars; *c != 0; ++c)
    set[*c >> 6] |= (uint64_t)1 << (*c & 63);
}

size_t strspn(const char *s, const char *accept) {
  uint64_t set[4];
  byteset(set, accept);
  size_t n = 0;
  for (unsigned char c; (c = (unsigned char)s[n]) != 0 && (set[c >> 6] >> (c & 63)) & 1;) ++n;
  return n;
}

size_t strcspn(const char *s, const char *reject) {
  uint64_t set[4];
  byteset(set, reject);
  size_t n = 0;
  for (unsigned char c; (c = (unsigned char)s[n]) != 0 && !((set[c >> 6] >> (c & 63)) & 1);) ++n;
  return n;
}

char *strndup(const char *s, size_t n) {
  size_t len = strnlen(s, n);
  char *p = malloc(len + 1);
  if (p == NULL) return NULL;
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

char *strdup(const char *s) { return strndup(s, (size_t)-1); }

