/* The exit status of main reaches the host, after buffered output is
 * flushed (and atexit handlers ran). */
#include <stdio.h>
#include <stdlib.h>

static void bye(void) { printf("atexit handler ran\n"); }

int main(void) {
  atexit(bye);
  printf("exiting with status 3");
  return 3;
}
