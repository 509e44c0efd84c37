/* Thread-local storage: initialised (.tdata) and zeroed (.tbss) __thread
 * variables, a large aligned TLS array, and errno (thread-local in the SDK). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __thread int counter = 42;
static __thread uint64_t big_init = 0x0123456789abcdefull;
static __thread char name[16] = "tls-name";
static __thread int zeroed[100];
__thread _Alignas(64) double aligned_vals[8] = {1.5, 2.5, 3.5};
__thread long exported_tls = -7;

__attribute__((noinline)) static int *counter_addr(void) { return &counter; }
/* Through a volatile, so the compiler cannot assume the alignment. */
static uintptr_t aligned_addr(void) {
  volatile uintptr_t addr = (uintptr_t)&aligned_vals[0];
  return addr;
}

int main(void) {
  printf("initial: counter=%d big=%llx name=%s zeroed[99]=%d exported=%ld\n", counter,
         (unsigned long long)big_init, name, zeroed[99], exported_tls);
  aligned_vals[3] = counter + 0.25;
  printf("aligned: %g %g %g %g, 64-byte aligned: %d\n", aligned_vals[0], aligned_vals[1],
         aligned_vals[2], aligned_vals[3], (int)((aligned_addr() & 63) == 0));
  for (int i = 0; i < 100; ++i) zeroed[i] = i * i;
  int sum = 0;
  for (int i = 0; i < 100; ++i) sum += zeroed[i];
  *counter_addr() += 100;
  big_init ^= 0xffffffffffffffffull;
  strcpy(name, "changed");
  exported_tls *= 6;
  printf("after: counter=%d big=%llx name=%s sum=%d exported=%ld\n", counter,
         (unsigned long long)big_init, name, sum, exported_tls);

  errno = 0;
  char *end;
  long v = strtol("99999999999999999999999", &end, 10);
  printf("strtol overflow: %ld errno==ERANGE: %d\n", v, errno == ERANGE);
  errno = 0;
  v = strtol("12345xyz", &end, 10);
  printf("strtol: %ld rest=%s errno=%d\n", v, end, errno);
  errno = ERANGE;
  int *ep = &errno;
  *ep = 0;
  printf("errno via pointer: %d\n", errno);
  return 0;
}
