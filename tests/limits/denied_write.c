/* Writes to a read-only descriptor (stdin, /dev/null opened read-only):
 * the trace must show the denial and the missing right. */
#include <stdio.h>

#include "limits_common.h"

int main(void) {
  const char msg[] = "x";
  cloudabi_ciovec_t iov = {msg, 1};
  size_t n;
  cloudabi_errno_t e = cloudabi_sys_fd_write(0, &iov, 1, &n);
  printf("write to stdin: errno %d\n", e);
  return 0;
}
