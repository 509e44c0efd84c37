/* abs/div family and rand/srand (a 64-bit LCG: deterministic, not glibc's
 * sequence). */
#include <stdint.h>
#include <stdlib.h>

int abs(int v) { return v < 0 ? -v : v; }
long labs(long v) { return v < 0 ? -v : v; }
long long llabs(long long v) { return v < 0 ? -v : v; }
div_t div(int a, int b) { return (div_t){a / b, a % b}; }
ldiv_t ldiv(long a, long b) { return (ldiv_t){a / b, a % b}; }
lldiv_t lldiv(long long a, long long b) { return (lldiv_t){a / b, a % b}; }

static uint64_t rand_state = 1;

void srand(unsigned seed) { rand_state = seed; }

int rand(void) {
  rand_state = rand_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
  return (int)(rand_state >> 33);
}
