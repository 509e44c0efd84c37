/* printf family on top of the engine in format.c. */
#include <errno.h>
#include <stdint.h>
#include "format.h"
#include "stdio_impl.h"

typedef struct {
  FILE *f;
  int failed;
} file_sink;

static void to_file(void *ctx, const char *s, size_t n) {
  file_sink *fs = ctx;
  if (!fs->failed && fwrite(s, 1, n, fs->f) != n) fs->failed = 1;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap) {
  file_sink fs = {f, 0};
  int r = capvm_vformat(to_file, &fs, fmt, ap);
  return fs.failed ? -1 : r;
}

int vprintf(const char *restrict fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

int vsnprintf(char *restrict buf, size_t n, const char *restrict fmt, va_list ap) {
  int r = capvm_vsnprintf(buf, n, fmt, ap);
  if (r < 0) errno = EOVERFLOW;
  return r;
}

int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap) {
  return vsnprintf(buf, SIZE_MAX, fmt, ap);
}

int printf(const char *restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vfprintf(stdout, fmt, ap);
  va_end(ap);
  return r;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vfprintf(f, fmt, ap);
  va_end(ap);
  return r;
}

int sprintf(char *restrict buf, const char *restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf(buf, SIZE_MAX, fmt, ap);
  va_end(ap);
  return r;
}

int snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  return r;
}
