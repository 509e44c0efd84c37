/* Native unit test of the guest SDK's printf engine (guest/libc/stdio/
 * format.c, format_float.c, decimal.c compiled for the host): its output
 * must equal glibc's snprintf byte for byte. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../guest/libc/stdio/format.h"
#include "guard_page.h"

static int failures, checks;

#define CHECK(...)                                                             \
  do {                                                                         \
    char want_[4096], got_[4096];                                              \
    int wn_ = snprintf(want_, sizeof(want_), __VA_ARGS__);                     \
    int gn_ = capvm_snprintf(got_, sizeof(got_), __VA_ARGS__);                 \
    ++checks;                                                                  \
    if (wn_ != gn_ || strcmp(want_, got_) != 0) {                              \
      if (++failures <= 40)                                                    \
        printf("MISMATCH %s: glibc [%s] (%d) capvm [%s] (%d)\n", #__VA_ARGS__, \
               want_, wn_, got_, gn_);                                         \
    }                                                                          \
  } while (0)

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) { /* xorshift64* */
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ull;
}

static double from_bits(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof(d));
  return d;
}

static void check_double(double v) {
  static const char *const formats[] = {
      "%f", "%e", "%g", "%.0f", "%.0e", "%.0g", "%.1f", "%.3e", "%.17g", "%.20e", "%.15g",
      "%#g", "%#.2g", "%#.4g", "%#.0f", "%#.0e", "%+.3f", "% .4e", "%12.4f", "%-12.3e|", "%012.3g", "%G",
      "%E", "%.30f", "%.40g", "%a0"};
  for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]) - 1; ++i) CHECK(formats[i], v);
}

int main(void) {
  const double specials[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 9.5,
                             99.5, 999.5, 0.05, 0.15, 0.25, 0.35, 1e-5, 1e-4, 9.9999e-5,
                             123456.0, 999999.5, 1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 0.1,
                             0.2, 0.3, 1.0 / 3.0, 2.0 / 3.0, 3.141592653589793,
                             2.718281828459045, DBL_MAX, -DBL_MAX, DBL_MIN, DBL_EPSILON,
                             4.9406564584124654e-324, 2.2250738585072009e-308,
                             1.7976931348623157e308, 5e-324, 1e-300, 123.456, 1e100,
                             INFINITY, -INFINITY, NAN, -NAN, 9.999999e-5, 0.000099999995,
                             5.5, 6.5, 0.045, 1e-10, 65536.0, 4294967296.0};
  for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); ++i) check_double(specials[i]);
  for (int i = 0; i < 20000; ++i) check_double(from_bits(next_random()));
  for (int i = 0; i < 5000; ++i) { /* "human" numbers: small decimals, ties */
    double v = (double)(int64_t)(next_random() % 2000001 - 1000000) / (double)(1 << (i % 12));
    check_double(v);
  }
  for (int e = -330; e <= 310; ++e) check_double(pow(10.0, e));

  /* Integers, strings, characters, pointers and flags. */
  const long long ints[] = {0, 1, -1, 7, 42, -42, 255, 65535, 2147483647, -2147483648LL,
                            4294967295LL, 9223372036854775807LL, (long long)0x8000000000000000ull};
  for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); ++i) {
    long long v = ints[i];
    CHECK("%d|%i|%5d|%-5d|%05d|%+d|% d|%.3d|%.0d|%8.3d", (int)v, (int)v, (int)v, (int)v,
          (int)v, (int)v, (int)v, (int)v, (int)v, (int)v);
    CHECK("%u|%x|%X|%o|%#x|%#X|%#o|%#.0o|%08x|%-8o|", (unsigned)v, (unsigned)v, (unsigned)v,
          (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v,
          (unsigned)v);
    CHECK("%lld|%llu|%llx|%lo|%ld|%zu|%jd|%td", v, (unsigned long long)v,
          (unsigned long long)v, (unsigned long)v, (long)v, (size_t)v, (intmax_t)v,
          (ptrdiff_t)v);
    CHECK("%hhd|%hhu|%hd|%hu|%hx", (int)v, (int)v, (int)v, (int)v, (int)v);
  }
  CHECK("%s|%10s|%-10s|%.2s|%c|%3c|%-3c|%%|%5%", "hello", "hi", "left", "truncate", 'x', 'y',
        'z');
  CHECK("%*d|%-*d|%.*f|%*.*e", 6, 42, 6, 42, 2, 3.14159, 12, 3, 2.5e10);
  CHECK("%p|%p|%20p|%-20p|", (void *)0x1234, (void *)&failures, (void *)0xdeadbeef,
        (void *)0x10);
  CHECK("[%s]", "");
  CHECK("%5.1s|%.0s|", "abc", "abc");
  CHECK("%08.3f|%-08.3f|%+08.2e|%08f|%-8g|", -3.5, 2.25, 12345.678, -INFINITY, NAN);
  CHECK("%#x|%#o|%#.3x", 0u, 0u, 0u);

  /* Truncation: every buffer size from none to one past the output, with
   * the bytes beyond the terminator left as they were. */
  for (size_t cap = 0; cap <= 40; ++cap) {
    char want[48], got[48];
    memset(want, '#', sizeof want);
    memset(got, '#', sizeof got);
    const char *fmt = "%-6s|%05d|%x|%8.3f|%c%%";
    int wn = snprintf(cap ? want : NULL, cap, fmt, "abc", 42, 0xbeefu, 2.5, 'z');
    int gn = capvm_snprintf(cap ? got : NULL, cap, fmt, "abc", 42, 0xbeefu, 2.5, 'z');
    ++checks;
    if (wn != gn || memcmp(want, got, sizeof want) != 0) {
      if (++failures <= 40)
        printf("MISMATCH truncated to %zu: glibc [%.48s] (%d) capvm [%.48s] (%d)\n", cap, want,
               wn, got, gn);
    }
  }

  /* The literal runs and %s strings are scanned a word at a time from the
   * aligned word holding their start (bytes before it that would match
   * must not count): every start alignment, every length
   * around a word, and strings that end right before an unmapped page (a
   * read past the page would fault). */
  {
    static char fmtbuf[64], sbuf[64];
    const char *pieces = "HTTP/1.1 200 OK\r\nContent-Length: ";
    for (size_t off = 0; off < 16; ++off) {
      for (size_t len = 0; len <= 24; ++len) {
        /* Bytes before the start that would match if not masked off. */
        memset(fmtbuf, '%', off);
        memset(sbuf, '\0', off);
        memcpy(fmtbuf + off, pieces, len);
        memcpy(fmtbuf + off + len, "%d|%s|", 7);
        memcpy(sbuf + off, pieces, len);
        sbuf[off + len] = '\0';
        CHECK(fmtbuf + off, (int)(off * 100 + len), sbuf + off);
        CHECK("[%s][%.3s]", sbuf + off, sbuf + off);
      }
    }
    char *end = guard_page_end(); /* the unmapped page starts here */
    if (end == NULL) {
      printf("cannot map a guard page\n");
      return 1;
    }
    for (size_t len = 1; len <= 17; ++len) {
      char *f = end - len; /* a format of len bytes with its terminator last */
      memset(f, 'a', len - 1);
      f[len - 1] = '\0';
      CHECK(f, 0);
      CHECK("<%s>", f);
      if (len >= 3) {
        f[0] = '%';
        f[1] = 's';
        CHECK(f, "x");
      }
    }
    guard_page_free(end);
  }

  printf("%d checks, %d mismatches\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
