/* Native unit test of the guest SDK's string functions (guest/libc/string/
 * mem.c and str.c, compiled for the host with every name prefixed capvm_,
 * see CMakeLists.txt): their results must equal glibc's. The searches read
 * a word at a time from the aligned word holding the start (word.h), so
 * every start alignment is tried, with bytes before the start and after
 * the end that would match, and strings that end right before an unmapped
 * page (a read past it would fault). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "guard_page.h"

size_t capvm_strlen(const char *s);
char *capvm_strchr(const char *s, int c);
char *capvm_strrchr(const char *s, int c);
void *capvm_memchr(const void *s, int c, size_t n);
int capvm_strcmp(const char *a, const char *b);
size_t capvm_strnlen(const char *s, size_t max);

static int failures, checks;

static void fail(const char *what, size_t off, size_t len, int c, long want, long got) {
  if (++failures <= 40)
    printf("MISMATCH %s: start %zu, length %zu, byte %d: glibc %ld, capvm %ld\n", what, off, len,
           c, want, got);
}

/* Offsets from s, -1 for NULL: the two results compared as numbers. */
static long at(const void *p, const void *s) {
  return p == NULL ? -1 : (long)((const char *)p - (const char *)s);
}

/* Every search on the string at s of length len (terminated), for the bytes
 * that matter: the terminator, bytes in it (first, middle, last), a byte
 * that is not in it, and bytes with the high bit set. */
static void check_string(const char *s, size_t off, size_t len) {
  int bytes[] = {0, 'a', 'b', 'z', '%', 0x80, 0xff, 0x01, len ? (unsigned char)s[len - 1] : 'q',
                 len ? (unsigned char)s[len / 2] : 'r'};
  ++checks;
  if (strlen(s) != capvm_strlen(s)) fail("strlen", off, len, 0, (long)strlen(s), (long)capvm_strlen(s));
  for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; ++i) {
    const int c = bytes[i];
    checks += 2;
    if (strchr(s, c) != capvm_strchr(s, c)) fail("strchr", off, len, c, at(strchr(s, c), s), at(capvm_strchr(s, c), s));
    if (strrchr(s, c) != capvm_strrchr(s, c))
      fail("strrchr", off, len, c, at(strrchr(s, c), s), at(capvm_strrchr(s, c), s));
    /* memchr over every n up to one past the terminator: a match at or
     * beyond n must not count. */
    for (size_t n = 0; n <= len + 1; ++n) {
      ++checks;
      if (memchr(s, c, n) != capvm_memchr(s, c, n))
        fail("memchr", off, n, c, at(memchr(s, c, n), s), at(capvm_memchr(s, c, n), s));
    }
  }
  for (size_t max = 0; max <= len + 1; ++max) {
    ++checks;
    if (strnlen(s, max) != capvm_strnlen(s, max)) fail("strnlen", off, max, 0, (long)strnlen(s, max), (long)capvm_strnlen(s, max));
  }
}

int main(void) {
  static char buf[128];
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (size_t off = 0; off < 16; ++off) {
    for (size_t len = 0; len <= 40; ++len) {
      for (int fill = 0; fill < 3; ++fill) {
        /* Before the start: zeros, or bytes the searches look for. */
        memset(buf, fill == 0 ? 0 : fill == 1 ? 'a' : 0xff, off);
        for (size_t i = 0; i < len; ++i) {
          state ^= state << 13;
          state ^= state >> 7;
          state ^= state << 17;
          char ch = (char)("abz%\x80\xff\x01xyz"[state % 11]);
          buf[off + i] = ch;
        }
        buf[off + len] = '\0';
        /* After the end: bytes that would match. */
        memset(buf + off + len + 1, fill == 2 ? 0 : 'a', sizeof buf - off - len - 1);
        check_string(buf + off, off, len);
      }
    }
  }

  char *end = guard_page_end(); /* the unmapped page starts here */
  if (end == NULL) {
    printf("cannot map a guard page\n");
    return 1;
  }
  for (size_t len = 0; len <= 24; ++len) {
    char *s = end - len - 1; /* the terminator is the page's last byte */
    memset(s, 'a', len);
    s[len] = '\0';
    check_string(s, (uintptr_t)s & 7, len);
    /* memchr may stop at the page end without a terminator. */
    char *m = end - len;
    memset(m, 'b', len);
    checks += 2;
    if (capvm_memchr(m, 'c', len) != NULL) fail("memchr to the page end", 0, len, 'c', -1, at(capvm_memchr(m, 'c', len), m));
    if (len && capvm_memchr(m, 'b', len) != m) fail("memchr to the page end", 0, len, 'b', 0, at(capvm_memchr(m, 'b', len), m));
  }
  guard_page_free(end);

  checks += 3;
  if ((capvm_strcmp("abc", "abd") < 0) != (strcmp("abc", "abd") < 0)) fail("strcmp", 0, 3, 0, -1, 1);
  if (capvm_strcmp("", "") != 0) fail("strcmp", 0, 0, 0, 0, 1);
  if ((capvm_strcmp("\xff", "a") > 0) != (strcmp("\xff", "a") > 0)) fail("strcmp", 0, 1, 0xff, 1, -1);

  printf("%d checks, %d mismatches\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
