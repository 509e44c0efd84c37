/* Deep and branching recursion: fib, Ackermann, a recursive tree sum and a
 * deep linear recursion. */
#include <stdio.h>

__attribute__((noinline)) static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noinline)) static unsigned long ack(unsigned long m, unsigned long n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

__attribute__((noinline)) static unsigned long depth(unsigned long n, volatile char *prev) {
  volatile char frame[64];
  frame[0] = (char)n;
  if (n == 0) return (unsigned long)(unsigned char)prev[0];
  return depth(n - 1, frame) + (unsigned long)(unsigned char)frame[0];
}

static int hanoi_moves;
static void hanoi(int n, int from, int to, int via) {
  if (n == 0) return;
  hanoi(n - 1, from, via, to);
  ++hanoi_moves;
  hanoi(n - 1, via, to, from);
}

int main(void) {
  for (int i = 0; i <= 27; i += 3) printf("fib(%d) = %ld\n", i, fib(i));
  for (unsigned long m = 0; m <= 3; ++m)
    for (unsigned long n = 0; n <= 4; ++n) printf("ack(%lu,%lu) = %lu\n", m, n, ack(m, n));
  char seed = 7;
  printf("depth(20000) = %lu\n", depth(20000, &seed));
  hanoi(18, 1, 3, 2);
  printf("hanoi(18) moves = %d\n", hanoi_moves);
  return 0;
}
