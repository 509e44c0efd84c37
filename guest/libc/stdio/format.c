/* The printf engine: flags - + space # 0, width and precision (also *),
 * length modifiers hh h l ll z j t L, conversions d i u o x X c s p n % and
 * f F e E g G (format_float.c). Output matches glibc's for these. */
#include <stdint.h>
#include <string.h>
#include "format.h"
#include "../string/word.h"

enum { F_MINUS = 1, F_PLUS = 2, F_SPACE = 4, F_ALT = 8, F_ZERO = 16 };

/* Where output goes: a sink function (FILE output), or, when sink is NULL,
 * straight into buf (snprintf), keeping what fits below keep bytes. The
 * buffer case copies in place: under a binary translator every call
 * through a pointer, and every return, is a lookup of its target, and a
 * header line is a dozen pieces. */
typedef struct {
  capvm_sink_fn *sink;
  void *ctx;
  char *buf;
  size_t keep;
  size_t total;
} out_t;

typedef uint64_t __attribute__((may_alias, aligned(1))) uword;

static void emit(out_t *o, const char *s, size_t n) {
  if (n == 0) return;
  if (o->sink != NULL) {
    o->sink(o->ctx, s, n);
  } else if (o->total < o->keep) {
    size_t k = o->keep - o->total;
    if (k > n) k = n;
    char *d = o->buf + o->total;
    if (k >= 8 && k <= 128) { /* words, the last one overlapping: no memcpy call */
      size_t i = 0;
      for (; i + 8 < k; i += 8) *(uword *)(d + i) = *(const uword *)(s + i);
      *(uword *)(d + k - 8) = *(const uword *)(s + k - 8);
    } else if (k < 8) {
      for (size_t i = 0; i < k; ++i) d[i] = s[i];
    } else {
      memcpy(d, s, k);
    }
  }
  o->total += n;
}

static void emit_repeat_some(out_t *o, char c, size_t n) {
  char buf[64];
  const size_t fill = n < sizeof(buf) ? n : sizeof(buf);
  for (size_t i = 0; i < fill; ++i) buf[i] = c;
  while (n > 0) {
    size_t k = n < sizeof(buf) ? n : sizeof(buf);
    emit(o, buf, k);
    n -= k;
  }
}

/* Every field asks for its paddings, which are nearly always none: that
 * case is decided inline (under a binary translator a call and its return
 * cost a table lookup). */
static inline void emit_repeat(out_t *o, char c, size_t n) {
  if (n != 0) emit_repeat_some(o, c, n);
}

/* %s's length: up to the terminator, or at most max bytes when max >= 0
 * (then the array need not be terminated, and nothing past it is read). */
static size_t cstrlen(const char *s, int max) {
  if (max < 0) return (size_t)(capvm_find2(s, 0, 0) - s);
  size_t n = 0;
  while (n < (size_t)max && s[n] != '\0') ++n;
  return n;
}

/* Pads a field: [spaces] prefix [zeros] body [tail_zeros] suffix [spaces]. */
static void emit_field(out_t *o, int flags, int width, const char *prefix, size_t plen,
                       size_t lead_zeros, const char *body, size_t blen, size_t tail_zeros,
                       const char *suffix, size_t slen) {
  size_t len = plen + lead_zeros + blen + tail_zeros + slen;
  size_t pad = width > 0 && (size_t)width > len ? (size_t)width - len : 0;
  if (!(flags & F_MINUS) && !(flags & F_ZERO)) emit_repeat(o, ' ', pad);
  emit(o, prefix, plen);
  if (!(flags & F_MINUS) && (flags & F_ZERO)) emit_repeat(o, '0', pad);
  emit_repeat(o, '0', lead_zeros);
  emit(o, body, blen);
  emit_repeat(o, '0', tail_zeros);
  emit(o, suffix, slen);
  if (flags & F_MINUS) emit_repeat(o, ' ', pad);
}

/* base: 8 for o, 10 for d i u, 16 for x X p (the callers know it; deriving
 * it here from conv made clang test conv against a bit mask with `bt` on a
 * register, which valgrind, as bench/instructions.sh runs capvm, executes
 * through memory below the stack pointer, a guest address under capvm). */
static void format_int(out_t *o, uintmax_t v, int negative, char conv, unsigned base, int flags,
                       int width, int prec) {
  char digits[72];
  size_t n = 0;
  const char *xd = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  uintmax_t t = v;
  if (base == 10) { /* a constant divisor: a multiplication, not a division */
    while (t != 0) {
      digits[sizeof(digits) - 1 - n++] = (char)('0' + t % 10);
      t /= 10;
    }
  } else {
    while (t != 0) {
      digits[sizeof(digits) - 1 - n++] = xd[t % base];
      t /= base;
    }
  }
  char prefix[3];
  size_t plen = 0;
  if (negative) prefix[plen++] = '-';
  else if ((conv == 'd' || conv == 'i') && (flags & F_PLUS)) prefix[plen++] = '+';
  else if ((conv == 'd' || conv == 'i') && (flags & F_SPACE)) prefix[plen++] = ' ';
  if (conv == 'p' || ((flags & F_ALT) && (conv == 'x' || conv == 'X') && v != 0)) {
    prefix[plen++] = '0';
    prefix[plen++] = conv == 'X' ? 'X' : 'x';
  }
  size_t min_digits = prec < 0 ? 1 : (size_t)prec;
  if ((flags & F_ALT) && conv == 'o' && min_digits <= n) min_digits = n + 1;
  if (v == 0 && prec == 0 && !((flags & F_ALT) && conv == 'o')) min_digits = 0;
  size_t lead = min_digits > n ? min_digits - n : 0;
  if (prec >= 0) flags &= ~F_ZERO;
  emit_field(o, flags, width, prefix, plen, lead, digits + sizeof(digits) - n, n, 0, "", 0);
}

static void format_double(out_t *o, double v, char conv, int flags, int width, int prec) {
  char prefix[1];
  size_t plen = 0;
  if (__builtin_signbit(v)) prefix[plen++] = '-';
  else if (flags & F_PLUS) prefix[plen++] = '+';
  else if (flags & F_SPACE) prefix[plen++] = ' ';
  int upper = conv >= 'A' && conv <= 'Z';
  if (v != v || v - v != 0) { /* nan or inf: never zero-padded */
    const char *s = v != v ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
    emit_field(o, flags & ~F_ZERO, width, prefix, plen, 0, s, 3, 0, "", 0);
    return;
  }
  char body[CAPVM_FLOAT_MAIN];
  char suffix[8];
  size_t zeros, slen;
  int blen = capvm_format_float(v, conv, prec, (flags & F_ALT) != 0, body, &zeros, suffix, &slen);
  emit_field(o, flags, width, prefix, plen, 0, body, (size_t)blen, zeros, suffix, slen);
}

static int format_to(out_t *o, const char *fmt, va_list ap) {
  while (*fmt != '\0') {
    if (*fmt != '%') {
      const char *start = fmt;
      fmt = capvm_find2(fmt, '%', 0); /* a word at a time (word.h) */
      emit(o, start, (size_t)(fmt - start));
      continue;
    }
    const char *spec = fmt++;
    int flags = 0;
    for (;; ++fmt) {
      if (*fmt == '-') flags |= F_MINUS;
      else if (*fmt == '+') flags |= F_PLUS;
      else if (*fmt == ' ') flags |= F_SPACE;
      else if (*fmt == '#') flags |= F_ALT;
      else if (*fmt == '0') flags |= F_ZERO;
      else break;
    }
    int width = 0;
    if (*fmt == '*') {
      width = va_arg(ap, int);
      if (width < 0) {
        flags |= F_MINUS;
        width = width == INT32_MIN ? 0 : -width;
      }
      ++fmt;
    } else {
      while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    }
    int prec = -1;
    if (*fmt == '.') {
      ++fmt;
      if (*fmt == '*') {
        prec = va_arg(ap, int);
        if (prec < 0) prec = -1;
        ++fmt;
      } else {
        prec = 0;
        while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0');
      }
    }
    if (flags & F_MINUS) flags &= ~F_ZERO;
    if (flags & F_PLUS) flags &= ~F_SPACE;
    /* Length modifier: size in bytes of the integer argument (0 = int). */
    int size = 0, is_long_double = 0;
    if (fmt[0] == 'h' && fmt[1] == 'h') { size = 1; fmt += 2; }
    else if (fmt[0] == 'h') { size = 2; ++fmt; }
    else if (fmt[0] == 'l' && fmt[1] == 'l') { size = 8; fmt += 2; }
    else if (fmt[0] == 'l' || fmt[0] == 'z' || fmt[0] == 'j' || fmt[0] == 't') { size = 8; ++fmt; }
    else if (fmt[0] == 'L') { is_long_double = 1; ++fmt; }
    char conv = *fmt;
    if (conv == '\0') {
      emit(o, spec, (size_t)(fmt - spec));
      break;
    }
    ++fmt;
    switch (conv) {
      case 'd':
      case 'i': {
        intmax_t v = size == 8 ? va_arg(ap, long long) : va_arg(ap, int);
        if (size == 1) v = (signed char)v;
        else if (size == 2) v = (short)v;
        uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
        format_int(o, mag, v < 0, 'd', 10, flags, width, prec);
        break;
      }
      case 'u':
      case 'o':
      case 'x':
      case 'X': {
        uintmax_t v = size == 8 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
        if (size == 1) v = (unsigned char)v;
        else if (size == 2) v = (unsigned short)v;
        format_int(o, v, 0, conv, conv == 'o' ? 8 : conv == 'u' ? 10 : 16, flags, width, prec);
        break;
      }
      case 'p': {
        void *p = va_arg(ap, void *);
        if (p == NULL) emit_field(o, flags & ~F_ZERO, width, "", 0, 0, "(nil)", 5, 0, "", 0);
        else format_int(o, (uintptr_t)p, 0, 'p', 16, flags & ~F_ALT, width, prec);
        break;
      }
      case 'c': {
        char c = (char)va_arg(ap, int);
        emit_field(o, flags & ~F_ZERO, width, "", 0, 0, &c, 1, 0, "", 0);
        break;
      }
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (s == NULL) s = prec < 0 || prec >= 6 ? "(null)" : "";
        emit_field(o, flags & ~F_ZERO, width, "", 0, 0, s, cstrlen(s, prec), 0, "", 0);
        break;
      }
      case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
        double v;
#if defined(__x86_64__)
        v = is_long_double ? (double)va_arg(ap, long double) : va_arg(ap, double);
#else
        if (is_long_double) { /* not supported where long double is 128-bit */
          (void)va_arg(ap, long double);
          v = 0.0 / 0.0;
        } else {
          v = va_arg(ap, double);
        }
#endif
        format_double(o, v, conv, flags, width, prec);
        break;
      }
      case 'n': {
        int *p = va_arg(ap, int *);
        *p = (int)o->total;
        break;
      }
      case '%':
        emit(o, "%", 1);
        break;
      default: /* unknown: printed as written */
        emit(o, spec, (size_t)(fmt - spec));
        break;
    }
  }
  return o->total > INT32_MAX ? -1 : (int)o->total;
}

int capvm_vformat(capvm_sink_fn *sink, void *ctx, const char *fmt, va_list ap) {
  out_t o = {sink, ctx, NULL, 0, 0};
  return format_to(&o, fmt, ap);
}

int capvm_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap) {
  /* Keeps what fits below n - 1 (room for the NUL); counts everything. */
  out_t o = {NULL, NULL, buf, n > 0 ? n - 1 : 0, 0};
  int r = format_to(&o, fmt, ap);
  if (n > 0) buf[o.total < n ? o.total : n - 1] = '\0';
  return r;
}

int capvm_snprintf(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = capvm_vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  return r;
}
