/* Raw trap system calls, below the vDSO (spec/README.md: "raw trap
 * convention"): x86_64 `syscall` (number in eax, arguments rdi rsi rdx r10 r8
 * r9, carry flag = error), aarch64 `svc #0` (number in w8, arguments x0..x5,
 * C flag = error). Numbers: spec/syscalls.txt. For tests of the runtime's
 * trap path; ordinary code uses cloudabi_syscalls.h. */
#ifndef CAPVM_RAW_H
#define CAPVM_RAW_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0 and stores the results in *r0 / *r1 (either may be NULL), or
 * returns the errno value. */
static inline uint16_t capvm_raw_syscall(unsigned nr, uintptr_t a0, uintptr_t a1, uintptr_t a2,
                                         uintptr_t a3, uintptr_t a4, uintptr_t a5,
                                         uintptr_t *r0, uintptr_t *r1) {
#if defined(__x86_64__)
  register uintptr_t rdi __asm__("rdi") = a0;
  register uintptr_t rsi __asm__("rsi") = a1;
  register uintptr_t rdx __asm__("rdx") = a2;
  register uintptr_t r10 __asm__("r10") = a3;
  register uintptr_t r8 __asm__("r8") = a4;
  register uintptr_t r9 __asm__("r9") = a5;
  uintptr_t rax = nr;
  unsigned char failed;
  __asm__ volatile("syscall\n\tsetc %[f]"
                   : "+a"(rax), "+r"(rdx), [f] "=r"(failed), "+r"(rdi), "+r"(rsi),
                     "+r"(r10), "+r"(r8), "+r"(r9)
                   :
                   : "rcx", "r11", "memory", "cc");
  if (failed) return (uint16_t)rax;
  if (r0 != NULL) *r0 = rax;
  if (r1 != NULL) *r1 = rdx;
  return 0;
#elif defined(__aarch64__)
  register uintptr_t x0 __asm__("x0") = a0;
  register uintptr_t x1 __asm__("x1") = a1;
  register uintptr_t x2 __asm__("x2") = a2;
  register uintptr_t x3 __asm__("x3") = a3;
  register uintptr_t x4 __asm__("x4") = a4;
  register uintptr_t x5 __asm__("x5") = a5;
  register uintptr_t x8 __asm__("x8") = nr;
  uintptr_t failed;
  __asm__ volatile("svc #0\n\tcset %[f], cs"
                   : "+r"(x0), "+r"(x1), [f] "=r"(failed), "+r"(x2), "+r"(x3), "+r"(x4),
                     "+r"(x5), "+r"(x8)
                   :
                   : "memory", "cc");
  if (failed) return (uint16_t)x0;
  if (r0 != NULL) *r0 = x0;
  if (r1 != NULL) *r1 = x1;
  return 0;
#else
#error "capvm_raw.h: unsupported architecture"
#endif
}

/* A few typed helpers (argument order as spec/syscalls.txt). */
typedef struct { const void *buf; size_t buf_len; } capvm_raw_ciovec_t;

static inline uint16_t capvm_raw_fd_write(uint32_t fd, const capvm_raw_ciovec_t *iovs,
                                          size_t iovs_len, size_t *nwritten) {
  uintptr_t n = 0;
  uint16_t e = capvm_raw_syscall(16, fd, (uintptr_t)iovs, iovs_len, 0, 0, 0, &n, NULL);
  if (e == 0 && nwritten != NULL) *nwritten = n;
  return e;
}

static inline uint16_t capvm_raw_clock_time_get(uint32_t clock_id, uint64_t precision,
                                                uint64_t *time) {
  uintptr_t t = 0;
  uint16_t e = capvm_raw_syscall(1, clock_id, precision, 0, 0, 0, 0, &t, NULL);
  if (e == 0 && time != NULL) *time = t;
  return e;
}

static inline uint16_t capvm_raw_mem_map(void *addr, size_t len, uint8_t prot, uint8_t flags,
                                         uint32_t fd, uint64_t off, void **mem) {
  uintptr_t m = 0;
  uint16_t e = capvm_raw_syscall(33, (uintptr_t)addr, len, prot, flags, fd, off, &m, NULL);
  if (e == 0 && mem != NULL) *mem = (void *)m;
  return e;
}

static inline uint16_t capvm_raw_mem_unmap(void *addr, size_t len) {
  return capvm_raw_syscall(36, (uintptr_t)addr, len, 0, 0, 0, 0, NULL, NULL);
}

static inline void capvm_raw_proc_exit(uint32_t rval) {
  capvm_raw_syscall(39, rval, 0, 0, 0, 0, 0, NULL, NULL);
}

#endif
