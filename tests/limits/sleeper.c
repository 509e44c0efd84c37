/* Blocks in a syscall (poll on a clock, 60 s): --timeout must still stop it. */
#include <stdio.h>

#include "limits_common.h"

int main(void) {
  printf("sleeping\n");
  fflush(stdout);
  sleep_ns(60ull * 1000000000ull);
  printf("woke up\n");
  return 0;
}
