/* Shared helpers of the limit test guests. */
#ifndef LIMITS_COMMON_H
#define LIMITS_COMMON_H
#include <cloudabi_syscalls.h>
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
#endif
