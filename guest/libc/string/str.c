/* String functions of <string.h>. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "word.h"

/* Word-at-a-time scanning (word.h). */
size_t strlen(const char *s) { return (size_t)(capvm_find2(s, 0, 0) - s); }

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
  /* The first byte that is c or the terminator; c may be '\0' itself. */
  const char *p = capvm_find2(s, (unsigned char)c, 0);
  return *p == (char)c ? (char *)p : NULL;
}

CAPVM_WORD_SCAN char *strrchr(const char *s, int c) {
  /* The last match in the words up to the terminator's, where matches
   * past the terminator are cut off (c == '\0' matches the terminator). */
  const capvm_word *w = capvm_word_of(s);
  const uint64_t rep = CAPVM_ONES * (unsigned char)c;
  const uint64_t first = capvm_from_byte(s);
  const char *last = NULL;
  uint64_t z = capvm_zero_bytes(*w) & first;
  uint64_t m = capvm_zero_bytes(*w ^ rep) & first;
  while (z == 0) {
    if (m != 0) last = (const char *)w + capvm_last_byte(m);
    ++w;
    z = capvm_zero_bytes(*w);
    m = capvm_zero_bytes(*w ^ rep);
  }
  m &= z ^ (z - 1); /* up to and including the terminator's byte */
  if (m != 0) last = (const char *)w + capvm_last_byte(m);
  return (char *)last;
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

