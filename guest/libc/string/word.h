/* Private: word-at-a-time byte search for the string functions and the
 * printf engine (plain C, no libc; also built natively by the tests).
 *
 * A search loads the aligned 8-byte word holding its first byte and goes on
 * word by word. An aligned word never crosses a page, so it reads no page
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

/* The first byte at or after s equal to c or to stop (which may equal c). */
CAPVM_WORD_SCAN static inline const char *capvm_find2(const char *s, unsigned char c,
                                                      unsigned char stop) {
  const capvm_word *w = capvm_word_of(s);
  const uint64_t rc = CAPVM_ONES * c, rs = CAPVM_ONES * stop;
  uint64_t m = (capvm_zero_bytes(*w ^ rc) | capvm_zero_bytes(*w ^ rs)) & capvm_from_byte(s);
  while (m == 0) {
    ++w;
    m = capvm_zero_bytes(*w ^ rc) | capvm_zero_bytes(*w ^ rs);
  }
  return (const char *)w + capvm_first_byte(m);
}

#endif
