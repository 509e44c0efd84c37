/* sha256: SHA-256 (FIPS 180-4) over a large generated buffer, several passes,
 * each pass's digest seeding the next buffer's first bytes. Prints the final
 * digest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define BUF_SIZE (8u << 20)  /* 8 MiB */
#define PASSES 10

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

struct sha256 {
  uint32_t h[8];
  uint64_t total;
  uint8_t block[64];
  size_t used;
};

static inline uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           p[4 * i + 3];
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; ++i) {
    const uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    const uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha256_init(struct sha256 *s) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, iv, sizeof iv);
  s->total = 0;
  s->used = 0;
}

static void sha256_update(struct sha256 *s, const uint8_t *p, size_t n) {
  s->total += n;
  if (s->used) {
    while (n && s->used < 64) { s->block[s->used++] = *p++; --n; }
    if (s->used < 64) return;
    compress(s->h, s->block);
    s->used = 0;
  }
  while (n >= 64) { compress(s->h, p); p += 64; n -= 64; }
  memcpy(s->block, p, n);
  s->used = n;
}

static void sha256_final(struct sha256 *s, uint8_t out[32]) {
  const uint64_t bits = s->total * 8;
  uint8_t pad = 0x80;
  sha256_update(s, &pad, 1);
  pad = 0;
  while (s->used != 56) sha256_update(s, &pad, 1);
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(s, len, 8);
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = (uint8_t)(s->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)s->h[i];
  }
}

int main(void) {
  /* Known-answer check first: SHA-256("abc"). */
  static const uint8_t abc_digest[32] = {
      0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
      0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  struct sha256 s;
  uint8_t digest[32];
  sha256_init(&s);
  sha256_update(&s, (const uint8_t *)"abc", 3);
  sha256_final(&s, digest);
  if (memcmp(digest, abc_digest, 32) != 0) {
    printf("sha256: known-answer test FAILED\n");
    return 1;
  }

  uint8_t *buf = malloc(BUF_SIZE);
  if (!buf) return 1;
  uint64_t rng = 0x0DDC0FFEEBADF00DULL;
  for (size_t i = 0; i < BUF_SIZE; i += 8) {
    const uint64_t v = bench_rand(&rng);
    memcpy(buf + i, &v, 8);
  }
  for (int pass = 0; pass < PASSES; ++pass) {
    memcpy(buf + (size_t)pass * 4096, digest, 32);
    sha256_init(&s);
    /* odd-sized updates exercise the buffering path */
    size_t off = 0, step = 1000003;
    while (off < BUF_SIZE) {
      const size_t n = BUF_SIZE - off < step ? BUF_SIZE - off : step;
      sha256_update(&s, buf + off, n);
      off += n;
    }
    sha256_final(&s, digest);
  }
  printf("sha256 %u MiB x %d: ", BUF_SIZE >> 20, PASSES);
  for (int i = 0; i < 32; ++i) printf("%02x", digest[i]);
  printf("\n");
  return 0;
}
