/* String functions of <string.h>. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t strlen(const char *s) {
  const char *p = s;
  while (*p != '\0') ++p;
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
  for (;; ++s) {
    if (*s == (char)c) return (char *)s;
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

size_t strspn(const char *s, const char *accept) {
  size_t n = 0;
  while (s[n] != '\0' && strchr(accept, s[n]) != NULL) ++n;
  return n;
}

size_t strcspn(const char *s, const char *reject) {
  size_t n = 0;
  while (s[n] != '\0' && strchr(reject, s[n]) == NULL) ++n;
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

char *strerror(int errnum) {
  switch (errnum) {
    case 0: return "Success";
    case EBADF: return "Bad file descriptor";
    case EINVAL: return "Invalid argument";
    case ENOMEM: return "Out of memory";
    case ENOENT: return "No such file or directory";
    case ERANGE: return "Result out of range";
    case EDOM: return "Mathematics argument out of domain";
    case ENOSYS: return "Function not implemented";
    case ENOTCAPABLE: return "Capabilities insufficient";
    default: return "Unknown error";
  }
}
