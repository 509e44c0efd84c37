/* 64-bit and 32-bit integer arithmetic: multiply, divide, modulo (signed and
 * unsigned), wrap-around, shifts, bit-counting builtins. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t state = 88172645463325252ull;
static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

/* Keeps the compiler from folding the operations at compile time. */
static volatile uint64_t sink_u;

int main(void) {
  uint64_t acc = 0;
  for (int i = 0; i < 2000; ++i) {
    uint64_t a = next(), b = next() | 1;
    int64_t sa = (int64_t)a, sb = (int64_t)b;
    if (sb == -1) sb = 3;
    uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b | 1;
    int32_t s32 = (int32_t)a32, t32 = (int32_t)b32 == -1 ? 7 : (int32_t)b32;
    acc = acc * 31 + a * b;
    acc = acc * 31 + a / b + a % b;
    acc = acc * 31 + (uint64_t)(sa / sb) + (uint64_t)(sa % sb);
    acc = acc * 31 + (a32 * b32) + a32 / b32 + a32 % b32;
    acc = acc * 31 + (uint32_t)(s32 / t32) + (uint32_t)(s32 % t32);
    acc = acc * 31 + (a << (b & 63)) + (a >> (b & 63)) + (uint64_t)(sa >> (b & 63));
    acc = acc * 31 + (uint64_t)__builtin_popcountll(a) + (uint64_t)__builtin_clzll(b) +
          (uint64_t)__builtin_ctzll(b | (1ull << 63));
    acc = acc * 31 + (uint64_t)__builtin_popcount(a32) + (uint64_t)__builtin_clz(b32) +
          (uint64_t)__builtin_ctz(a32 | 0x80000000u);
    if (i < 5)
      printf("a=%" PRIu64 " b=%" PRIu64 " a*b=%" PRIu64 " a/b=%" PRIu64 " sa/sb=%" PRId64
             " sa%%sb=%" PRId64 " s32/t32=%d s32%%t32=%d\n",
             a, b, a * b, a / b, sa / sb, sa % sb, s32 / t32, s32 % t32);
  }
  printf("checksum %016" PRIx64 "\n", acc);

  /* Edge cases. */
  volatile int64_t min64 = INT64_MIN, neg1 = -1, seven = 7;
  volatile uint64_t max64 = UINT64_MAX;
  printf("INT64_MIN/7=%" PRId64 " INT64_MIN%%7=%" PRId64 "\n", min64 / seven, min64 % seven);
  printf("-7/2=%" PRId64 " -7%%2=%" PRId64 "\n", (int64_t)-7 / 2, (int64_t)-7 % 2);
  printf("neg1*neg1=%" PRId64 " max64+1=%" PRIu64 " max64*max64=%" PRIu64 "\n",
         neg1 * neg1, max64 + 1, max64 * max64);
  printf("(uint32)0xffffffff+1=%u (uint8)255+1=%u\n", (uint32_t)(0xffffffffu + (uint32_t)sink_u + 1),
         (unsigned)(uint8_t)(255 + (uint8_t)sink_u + 1));
  printf("shifts: %" PRIx64 " %" PRIx64 " %" PRId64 "\n", (uint64_t)1 << 63,
         max64 >> 1, min64 >> 63);
  printf("popcount(max)=%d clz(1)=%d ctz(1<<40)=%d\n", __builtin_popcountll(max64),
         __builtin_clzll(1), __builtin_ctzll(1ull << 40));
  uint64_t hi = 0x123456789abcdefull, lo = 0xfedcba9876543210ull;
  unsigned __int128 wide = (unsigned __int128)hi * lo;
  printf("128-bit product hi=%016" PRIx64 " lo=%016" PRIx64 "\n", (uint64_t)(wide >> 64),
         (uint64_t)wide);
  return 0;
}
