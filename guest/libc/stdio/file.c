/* The standard streams: buffered writes through fd_write. stdout is flushed
 * when its buffer fills and at exit; stderr also at each newline. Their fds
 * come from the argdata (crt/args.c). */
#include <cloudabi_syscalls.h>
#include <errno.h>
#include <string.h>
#include "stdio_impl.h"

static struct capvm_file stdin_file = {.fd = -1};
static struct capvm_file stdout_file = {.fd = -1};
static struct capvm_file stderr_file = {.fd = -1, .line_buffered = 1};
FILE *const stdin = &stdin_file;
FILE *const stdout = &stdout_file;
FILE *const stderr = &stderr_file;

/* Writes all of data to f's fd; 0 or -1 (errno set, error flag). */
static int write_all(FILE *f, const unsigned char *data, size_t n) {
  if (f->fd < 0) {
    f->error = 1;
    errno = EBADF;
    return -1;
  }
  while (n > 0) {
    cloudabi_ciovec_t iov = {data, n};
    size_t written = 0;
    cloudabi_errno_t e = cloudabi_sys_fd_write((cloudabi_fd_t)f->fd, &iov, 1, &written);
    if (e != 0 || written == 0 || written > n) {
      f->error = 1;
      errno = e != 0 ? e : EIO;
      return -1;
    }
    data += written;
    n -= written;
  }
  return 0;
}

int fflush(FILE *f) {
  if (f == NULL) {
    int r = fflush(stdout);
    return fflush(stderr) | r;
  }
  size_t n = f->len;
  f->len = 0;
  return n > 0 ? write_all(f, f->buf, n) : 0;
}

void __capvm_stdio_flush_all(void) {
  fflush(stdout);
  fflush(stderr);
}

size_t fwrite(const void *restrict p, size_t size, size_t count, FILE *restrict f) {
  if (size == 0 || count == 0) return 0;
  size_t n = size * count;
  if (n / size != count) {
    errno = EOVERFLOW;
    return 0;
  }
  if (f->fd < 0) {
    f->error = 1;
    errno = EBADF;
    return 0;
  }
  const unsigned char *s = p;
  if (n >= sizeof(f->buf)) { /* large write: flush, then write directly */
    if (fflush(f) != 0 || write_all(f, s, n) != 0) return 0;
    return count;
  }
  if (f->len + n > sizeof(f->buf) && fflush(f) != 0) return 0;
  memcpy(f->buf + f->len, s, n);
  f->len += n;
  if (f->line_buffered && memchr(s, '\n', n) != NULL && fflush(f) != 0) return 0;
  return count;
}

int fputc(int c, FILE *f) {
  unsigned char ch = (unsigned char)c;
  return fwrite(&ch, 1, 1, f) == 1 ? ch : EOF;
}

int putc(int c, FILE *f) { return fputc(c, f); }
int putchar(int c) { return fputc(c, stdout); }

int fputs(const char *restrict s, FILE *restrict f) {
  size_t n = strlen(s);
  return n == 0 || fwrite(s, 1, n, f) == n ? 0 : EOF;
}

int puts(const char *s) {
  if (fputs(s, stdout) == EOF) return EOF;
  return fputc('\n', stdout) == EOF ? EOF : 0;
}

int ferror(FILE *f) { return f->error; }
void clearerr(FILE *f) { f->error = 0; }
int fileno(FILE *f) {
  if (f->fd < 0) errno = EBADF;
  return f->fd;
}
