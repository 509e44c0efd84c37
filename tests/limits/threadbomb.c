/* Creates threads until the VM refuses. With --max-threads=N exactly N-1
 * succeed (the main thread counts), then EAGAIN. */
#include <stdio.h>

#include "limits_common.h"

static void idle(cloudabi_tid_t tid, void *arg) {
  (void)tid;
  (void)arg;
  for (;;) sleep_ns(1000000000ull);
}

static unsigned char stacks[64][16384] __attribute__((aligned(16)));

int main(void) {
  int made = 0;
  for (int i = 0; i < 64; ++i) {
    cloudabi_threadattr_t attr;
    attr.entry_point = idle;
    attr.stack = stacks[i];
    attr.stack_len = sizeof stacks[i];
    attr.argument = 0;
    cloudabi_tid_t tid;
    cloudabi_errno_t e = cloudabi_sys_thread_create(&attr, &tid);
    if (e != 0) {
      printf("threads=%d then errno %d\n", made, e);
      fflush(stdout);
      cloudabi_sys_proc_exit(e == kEAGAIN ? 0 : 1);
    }
    ++made;
  }
  printf("never refused\n");
  return 1;
}
