/* Shared helpers of the limit test guests. */
#ifndef LIMITS_COMMON_H
#define LIMITS_COMMON_H
#include <cloudabi_syscalls.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* cloudabi.txt: errno again = 6, nomem = 48; eventtype clock = 1. */
enum { kEAGAIN = 6, kENOMEM = 48, kEventClock = 1 };

/* Sleeps for `ns` with a relative clock subscription (cloudabi.txt: poll). */
static inline void sleep_ns(uint64_t ns) {
  cloudabi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  sub.type = kEventClock;
  sub.clock.clock_id = CLOUDABI_CLOCK_MONOTONIC;
  sub.clock.timeout = ns;
  cloudabi_event_t ev;
  size_t n;
  cloudabi_sys_poll(&sub, &ev, 1, &n);
}
/* Forks until the VM refuses; each child sleeps 2 s (outliving the loop),
 * then exits. Prints "<label>forks=N then errno E"; 0 when the refusal was
 * EAGAIN. */
static inline int fork_until_refused(const char *label) {
  int forks = 0;
  for (int i = 0; i < 1000; ++i) {
    cloudabi_fd_t fd;
    cloudabi_tid_t tid;
    cloudabi_errno_t e = cloudabi_sys_proc_fork(&fd, &tid);
    if (e != 0) {
      printf("%sforks=%d then errno %d\n", label, forks, e);
      fflush(stdout);
      return e == kEAGAIN ? 0 : 1;
    }
    if (fd == CLOUDABI_PROCESS_CHILD) {
      sleep_ns(2ull * 1000000000ull);
      cloudabi_sys_proc_exit(0);
    }
    ++forks;
  }
  printf("%snever refused\n", label);
  return 1;
}
#endif
