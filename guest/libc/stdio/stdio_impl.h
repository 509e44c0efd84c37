/* Private: the FILE structure of the three standard streams. */
#ifndef CAPVM_GUEST_STDIO_IMPL_H
#define CAPVM_GUEST_STDIO_IMPL_H

#include <stdio.h>

struct capvm_file {
  int fd;            /* -1: not provided by the argdata (writes fail: EBADF) */
  int error;
  int line_buffered; /* stderr: flushed at each newline */
  size_t len;
  unsigned char buf[BUFSIZ];
};

/* Flushes stdout and stderr (exit). */
void __capvm_stdio_flush_all(void) __attribute__((visibility("hidden")));

#endif
