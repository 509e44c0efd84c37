/* Prints what the guest can observe of time and randomness: clock values
 * modulo the expected precision, clock resolutions, rdtsc (x86_64), and
 * random bytes. Under --deterministic two runs print the same; under
 * --clock-precision=1s every value is a whole second. */
#include <stdint.h>
#include <stdio.h>

#include "limits_common.h"

static uint64_t counter(void) {
#if defined(__x86_64__)
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
#else
  return 0;
#endif
}

int main(void) {
  for (int i = 0; i < 3; ++i) {
    cloudabi_timestamp_t mono = 0, real = 0, res = 0;
    cloudabi_sys_clock_time_get(CLOUDABI_CLOCK_MONOTONIC, 1, &mono);
    cloudabi_sys_clock_time_get(3 /* realtime */, 1, &real);
    cloudabi_sys_clock_res_get(CLOUDABI_CLOCK_MONOTONIC, &res);
    printf("mono %llu real %llu res %llu mono%%1s %llu real%%1s %llu\n", (unsigned long long)mono,
           (unsigned long long)real, (unsigned long long)res,
           (unsigned long long)(mono % 1000000000ull), (unsigned long long)(real % 1000000000ull));
    printf("counter %llu counter%%1s %llu\n", (unsigned long long)counter(),
           (unsigned long long)(counter() % 1000000000ull));
  }
  unsigned char r[16];
  cloudabi_sys_random_get(r, sizeof r);
  printf("random");
  for (unsigned i = 0; i < sizeof r; ++i) printf(" %02x", r[i]);
  printf("\n");
  return 0;
}
