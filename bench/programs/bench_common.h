/* Shared helpers for the capvm compute benchmarks: a deterministic PRNG and
 * a checksum mixer. Plain C against the guest SDK's libc subset, so every
 * program builds both as a CloudABI guest and natively with glibc and
 * prints the same checksum in both. */
#ifndef CAPVM_BENCH_COMMON_H
#define CAPVM_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* xorshift64*: fast, deterministic, good enough for test data. */
static inline uint64_t bench_rand(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* Folds a value into a running checksum (order-sensitive). */
static inline uint64_t bench_mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  return h;
}

#endif
