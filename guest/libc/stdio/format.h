/* Private: the printf engine. Plain C with no libc dependencies, so that it
 * also builds natively for tests/e2e/format_vs_glibc.c. */
#ifndef CAPVM_GUEST_FORMAT_H
#define CAPVM_GUEST_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void capvm_sink_fn(void *ctx, const char *s, size_t n);

/* Formats like vfprintf, handing the output to sink in pieces; returns the
 * number of bytes produced (or -1 if that exceeds INT_MAX). */
int capvm_vformat(capvm_sink_fn *sink, void *ctx, const char *fmt, va_list ap);
int capvm_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int capvm_snprintf(char *buf, size_t n, const char *fmt, ...);

/* The exact decimal expansion of a finite, non-zero |v|:
 * value = 0.d[0] d[1] ... d[n-1] x 10^dp, d[0] != '0', no trailing zeros. */
#define CAPVM_DECIMAL_MAX 800
typedef struct {
  char d[CAPVM_DECIMAL_MAX];
  int n;
  int dp;
} capvm_decimal;

void capvm_decimal_from_double(capvm_decimal *dec, double v);
/* Rounds to the first `keep` digits (keep may be <= 0), half to even as glibc
 * does in the default rounding mode; may leave n == 0 (the value zero). */
void capvm_decimal_round(capvm_decimal *dec, int keep);

/* Formats a finite double's magnitude for conversion conv (f F e E g G) into
 * main (at least CAPVM_FLOAT_MAIN bytes), then `*zeros` '0's, then suffix
 * (at least 8 bytes). Returns the length of main; *suffix_len is set. */
#define CAPVM_FLOAT_MAIN 1800
int capvm_format_float(double v, char conv, int prec, int alt, char *main, size_t *zeros,
                       char *suffix, size_t *suffix_len);

#endif
