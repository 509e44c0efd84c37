/* Private: word-at-a-time byte search for the string functions and the
 * printf engine (plain C, no libc; also built natively by the tests).
 *
 * A search loads the aligned 8-byte word (x86-64: 16-byte SSE2 block)
 * holding its first byte and goes on block by block. An aligned word never crosses a page, so it reads no page
 * the string does not touch, but it does read bytes before the start and
 * after the end: those bytes are masked off (start) or ignored (end), and
 * AddressSanitizer, which would report them, is told not to look.
 * Both guest architectures are little-endian: the lowest-addressed byte is
 * the least significant, so the first match is the lowest set bit. */
#ifndef CAPVM_GUEST_WORD_H
#define CAPVM_GUEST_WORD_H

#include <stddef.h>
#include <stdint.h>

#if defined(__SANITIZE_ADDRESS__)
#define CAPVM_WORD_SCAN __attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAPVM_WORD_SCAN __attribute__((no_sanitize_address))
#endif
#endif
#ifndef CAPVM_WORD_SCAN
#define CAPVM_WORD_SCAN
#endif

typedef uint64_t __attribute__((may_alias)) capvm_word;

#define CAPVM_ONES ((uint64_t)0x0101010101010101ull)
#define CAPVM_LOW7 ((uint64_t)0x7F7F7F7F7F7F7F7Full)

/* Bit 7 of each byte of the result is set iff that byte of w is zero; every
 * other bit is clear. Exact for every byte (the shorter (w - ONES) & ~w
 * trick flags a 0x01 above a zero byte too, which matters once bytes below
 * are masked off). */
static inline uint64_t capvm_zero_bytes(uint64_t w) {
  return ~(((w & CAPVM_LOW7) + CAPVM_LOW7) | w | CAPVM_LOW7);
}

/* The byte index (0-7) of the lowest flagged byte of a nonzero mask. */
static inline unsigned capvm_first_byte(uint64_t mask) { return (unsigned)__builtin_ctzll(mask) >> 3; }
/* The byte index of the highest flagged byte of a nonzero mask. */
static inline unsigned capvm_last_byte(uint64_t mask) { return (63u - (unsigned)__builtin_clzll(mask)) >> 3; }

/* The aligned word holding p, and a mask keeping only the bytes from p on. */
static inline const capvm_word *capvm_word_of(const void *p) {
  return (const capvm_word *)((uintptr_t)p & ~(uintptr_t)7);
}
static inline uint64_t capvm_from_byte(const void *p) { return ~(uint64_t)0 << (((uintptr_t)p & 7) * 8); }

/* Blocks for the forward searches (capvm_find2, memchr): 16 bytes with SSE2
 * (every x86-64 has it; an aligned 16-byte load never crosses a page either),
 * else the 8-byte word above. capvm_eq gives a mask of the block's bytes
 * equal to c (it reads the whole block, so it too is CAPVM_WORD_SCAN: a
 * compiler does not inline a checked function into an unchecked one),
 * capvm_index the offset of a mask's lowest flagged byte, and capvm_from the
 * mask of the bytes from p on in p's block. */
#if defined(__SSE2__) && !defined(CAPVM_WORD_ONLY) /* the tests build both */
#define CAPVM_BLOCK 16
typedef char capvm_rep __attribute__((vector_size(16), may_alias));
typedef unsigned capvm_mask;
static inline capvm_rep capvm_splat(unsigned char c) {
  const char x = (char)c;
  return (capvm_rep){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x};
}
CAPVM_WORD_SCAN static inline capvm_mask capvm_eq(const void *block, capvm_rep rep) {
  return (capvm_mask)__builtin_ia32_pmovmskb128((capvm_rep)(*(const capvm_rep *)block == rep));
}
static inline unsigned capvm_index(capvm_mask m) { return (unsigned)__builtin_ctz(m); }
static inline capvm_mask capvm_from(const void *p) { return ~0u << ((uintptr_t)p & 15); }
#else
#define CAPVM_BLOCK 8
typedef uint64_t capvm_rep; /* the byte repeated in a word */
typedef uint64_t capvm_mask;
static inline capvm_rep capvm_splat(unsigned char c) { return CAPVM_ONES * c; }
CAPVM_WORD_SCAN static inline capvm_mask capvm_eq(const void *block, capvm_rep rep) {
  return capvm_zero_bytes(*(const capvm_word *)block ^ rep);
}
static inline unsigned capvm_index(capvm_mask m) { return capvm_first_byte(m); }
static inline capvm_mask capvm_from(const void *p) { return capvm_from_byte(p); }
#endif

/* The aligned block holding p. */
static inline const char *capvm_block_of(const void *p) {
  return (const char *)((uintptr_t)p & ~(uintptr_t)(CAPVM_BLOCK - 1));
}

/* The first byte at or after s equal to c or to stop (which may equal c). */
CAPVM_WORD_SCAN static inline const char *capvm_find2(const char *s, unsigned char c,
                                                      unsigned char stop) {
  const char *b = capvm_block_of(s);
  const capvm_rep rc = capvm_splat(c), rs = capvm_splat(stop);
  capvm_mask m = (capvm_eq(b, rc) | capvm_eq(b, rs)) & capvm_from(s);
  while (m == 0) {
    b += CAPVM_BLOCK;
    m = capvm_eq(b, rc) | capvm_eq(b, rs);
  }
  return b + capvm_index(m);
}

#endif
