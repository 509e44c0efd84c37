/* Forks until the VM refuses; children wait, then exit. With
 * --max-processes=N the parent must see exactly N-1 successful forks and
 * then EAGAIN. */
#include <stdio.h>

#include "limits_common.h"

int main(void) {
  int forks = 0;
  for (int i = 0; i < 1000; ++i) {
    cloudabi_fd_t fd;
    cloudabi_tid_t tid;
    cloudabi_errno_t e = cloudabi_sys_proc_fork(&fd, &tid);
    if (e != 0) {
      printf("forks=%d then errno %d\n", forks, e);
      fflush(stdout);
      return e == kEAGAIN ? 0 : 1;
    }
    if (fd == CLOUDABI_PROCESS_CHILD) {
      sleep_ns(2ull * 1000000000ull);  /* outlives the parent's loop */
      cloudabi_sys_proc_exit(0);
    }
    ++forks;
  }
  printf("never refused\n");
  return 1;
}
