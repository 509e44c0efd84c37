/* Addressing forms that the translator must rewrite, each compared with the
 * buffer contents the instruction's definition gives: fs-relative (TLS),
 * push/pop of memory operands, rep movsb/stosb with the direction flag
 * clear and set, lock cmpxchg, cmpxchg16b, xchg with memory, rip-relative,
 * base+index*scale+disp32 with a negative index, enter/leave. One group of
 * checks per case (tls, push_pop, rep_string, atomics, addressing), so an
 * unsupported instruction in one group does not hide the others. */
#include "sandbox.h"

__thread uint32_t tls_word = 0x1234;  /* named from inline asm */
uint64_t rip_slot = 0x1122334455667788ull;

#define CHECK(label, cond) say("%s: %s", label, (cond) ? "ok" : "WRONG")

static void fill(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = (uint8_t)i;
}

int main(void) {
  say("start");
#if defined(__x86_64__)
  if (is_case("tls")) {
    /* CloudABI x86_64 TLS: %fs:0 is a slot holding the thread pointer (the
     * SDK installs its TCB by storing to %fs:0, not by moving the fs base);
     * compiled code loads %fs:0 and uses negative offsets from it. */
    uint64_t tp;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(tp));
    uintptr_t tv = (uintptr_t)&tls_word;
    CHECK("fs:0 is the thread pointer", tp != 0 && tv < tp && tp - tv < 4096);
    uint32_t v;
    __asm__ volatile("movq %%fs:0, %%rax\n\t movl tls_word@tpoff(%%rax), %0" : "=r"(v) : : "rax");
    CHECK("TLS load via fs:0 (negative disp)", v == 0x1234);
    __asm__ volatile("movq %%fs:0, %%rax\n\t movl $0xabcd, tls_word@tpoff(%%rax)" ::: "rax", "memory");
    CHECK("TLS store via fs:0", tls_word == 0xabcd);
    {
      uint64_t zero = 0, via_reg, back;
      __asm__ volatile("movq %%fs:(%1), %0" : "=r"(via_reg) : "r"(zero));
      CHECK("fs-relative load via register", via_reg == tp);
      /* Store to the slot and read it back, then restore it. */
      __asm__ volatile("movq $0x5555, %%fs:0\n\t movq %%fs:0, %0\n\t movq %1, %%fs:0"
                       : "=&r"(back) : "r"(tp) : "memory");
      CHECK("fs-relative store", back == 0x5555);
      __asm__ volatile("movq %%fs:0, %0" : "=r"(back));
      CHECK("fs slot restored", back == tp && tls_word == 0xabcd);
    }
  }

  if (is_case("push_pop")) {
    /* push/pop with memory operands. */
    {
      uint64_t slots[4] = {0x1111, 0x2222, 0, 0};
      uint64_t popped;
      __asm__ volatile("pushq 8(%1)\n\t popq %0" : "=r"(popped) : "r"(slots) : "memory");
      CHECK("push memory", popped == 0x2222);
      __asm__ volatile("pushq (%0)\n\t pushq 8(%0)\n\t popq 16(%0)\n\t popq 24(%0)"
                       : : "r"(slots) : "memory");
      CHECK("push/pop memory", slots[2] == 0x2222 && slots[3] == 0x1111);
      /* pop into an rsp-relative slot: the address uses rsp after the pop. */
      uint64_t got;
      __asm__ volatile("pushq $0x77\n\t subq $8, %%rsp\n\t pushq $0x99\n\t popq (%%rsp)\n\t"
                       "popq %0\n\t addq $8, %%rsp"
                       : "=r"(got) : : "memory");
      CHECK("pop to (rsp)", got == 0x99);
    }
  }

  if (is_case("rep_string")) {
    /* rep movsb / rep stosb, direction flag clear and set. */
    {
      uint8_t src[64], dst[64], want[64];
      fill(src, 64);
      memset(dst, 0xee, 64);
      void *s = src + 8, *d = dst + 4;
      size_t n = 40;
      __asm__ volatile("cld\n\t rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
      memset(want, 0xee, 64);
      for (int i = 0; i < 40; ++i) want[4 + i] = (uint8_t)(8 + i);
      CHECK("rep movsb df=0", memcmp(dst, want, 64) == 0 && n == 0 &&
                                  s == src + 48 && d == dst + 44);
      memset(dst, 0xee, 64);
      s = src + 47; d = dst + 43; n = 40;  /* backwards from the last byte */
      __asm__ volatile("std\n\t rep movsb\n\t cld" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
      CHECK("rep movsb df=1", memcmp(dst, want, 64) == 0 && n == 0 &&
                                  s == src + 7 && d == dst + 3);
      memset(dst, 0xee, 64);
      d = dst + 10; n = 20;
      __asm__ volatile("cld\n\t rep stosb" : "+D"(d), "+c"(n) : "a"(0x41) : "memory");
      memset(want, 0xee, 64);
      memset(want + 10, 0x41, 20);
      CHECK("rep stosb df=0", memcmp(dst, want, 64) == 0 && d == dst + 30);
      memset(dst, 0xee, 64);
      d = dst + 29; n = 20;
      __asm__ volatile("std\n\t rep stosb\n\t cld" : "+D"(d), "+c"(n) : "a"(0x41) : "memory");
      CHECK("rep stosb df=1", memcmp(dst, want, 64) == 0 && d == dst + 9);
      /* rep movsq backwards, overlapping (memmove-style). */
      uint64_t q[8] = {1, 2, 3, 4, 5, 6, 7, 8};
      s = &q[4]; d = &q[6]; n = 5;
      __asm__ volatile("std\n\t rep movsq\n\t cld" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
      uint64_t wq[8] = {1, 2, 1, 2, 3, 4, 5, 8};
      CHECK("rep movsq df=1 overlapping", memcmp(q, wq, sizeof q) == 0);
      /* rep with rcx = 0 touches nothing, even with a wild rdi. */
      d = (void *)0xdeadbeefcafebabeull; n = 0;
      __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
      CHECK("rep stosb rcx=0", d == (void *)0xdeadbeefcafebabeull);
    }
  }

  if (is_case("atomics")) {
    /* lock cmpxchg: success and failure. */
    {
      uint64_t slot = 5, expected = 5;
      uint8_t ok;
      __asm__ volatile("lock cmpxchgq %3, %1\n\t sete %2"
                       : "+a"(expected), "+m"(slot), "=q"(ok) : "r"((uint64_t)9) : "memory", "cc");
      CHECK("lock cmpxchg success", ok && slot == 9 && expected == 5);
      expected = 5;
      __asm__ volatile("lock cmpxchgq %3, %1\n\t sete %2"
                       : "+a"(expected), "+m"(slot), "=q"(ok) : "r"((uint64_t)11) : "memory", "cc");
      CHECK("lock cmpxchg failure", !ok && slot == 9 && expected == 9);
      uint32_t c = 40, old = 2;
      __asm__ volatile("lock xaddl %0, %1" : "+r"(old), "+m"(c) : : "memory");
      CHECK("lock xadd", old == 40 && c == 42);
      __asm__ volatile("lock incl %0\n\t lock orl $0x100, %0" : "+m"(c) : : "memory");
      CHECK("lock inc/or", c == 0x12b);
    }
  }

  if (is_case("atomics")) {
    /* cmpxchg16b on an aligned slot. */
    {
      _Alignas(16) uint64_t pair[2] = {1, 2};
      uint64_t lo = 1, hi = 2;
      uint8_t ok;
      __asm__ volatile("lock cmpxchg16b %1\n\t sete %2"
                       : "+a"(lo), "+m"(pair), "=q"(ok), "+d"(hi)
                       : "b"((uint64_t)3), "c"((uint64_t)4) : "memory", "cc");
      CHECK("cmpxchg16b success", ok && pair[0] == 3 && pair[1] == 4);
      lo = 1; hi = 2;
      __asm__ volatile("lock cmpxchg16b %1\n\t sete %2"
                       : "+a"(lo), "+m"(pair), "=q"(ok), "+d"(hi)
                       : "b"((uint64_t)5), "c"((uint64_t)6) : "memory", "cc");
      CHECK("cmpxchg16b failure", !ok && pair[0] == 3 && pair[1] == 4 && lo == 3 && hi == 4);
    }
  }

  if (is_case("atomics")) {
    /* xchg with memory (implicitly locked). */
    {
      uint64_t slot = 0xaaaa, r = 0xbbbb;
      __asm__ volatile("xchgq %0, %1" : "+r"(r), "+m"(slot) : : "memory");
      CHECK("xchg memory", slot == 0xbbbb && r == 0xaaaa);
    }
  }

  if (is_case("addressing")) {
    /* rip-relative. */
    {
      uint64_t got;
      __asm__ volatile("movq rip_slot(%%rip), %0" : "=r"(got));
      CHECK("rip-relative load", got == 0x1122334455667788ull);
      __asm__ volatile("incq rip_slot(%%rip)" ::: "memory");
      CHECK("rip-relative rmw", rip_slot == 0x1122334455667789ull);
    }
  }

  if (is_case("addressing")) {
    /* base + index*scale + disp32 with a negative index. */
    {
      uint64_t arr[16];
      for (int i = 0; i < 16; ++i) arr[i] = (uint64_t)i * 3;
      uint64_t got;
      int64_t idx = -4;
      __asm__ volatile("movq 0x40(%1,%2,8), %0" : "=r"(got) : "r"(&arr[8]), "r"(idx));
      CHECK("base+index*8+disp, negative index", got == 36);  /* arr[8-4+8] */
      int64_t big = -(int64_t)0x10000000;                     /* -2^28 * 8 = -2^31 */
      __asm__ volatile("movq 0(%1,%2,8), %0" : "=r"(got) : "r"((uintptr_t)&arr[3] + 0x80000000ull),
                       "r"(big));
      CHECK("index*8 = -2^31", got == 9);
    }
  }

  if (is_case("addressing")) {
    /* enter / leave. */
    {
      uint64_t rsp_before, rsp_after, slot_val;
      __asm__ volatile("movq %%rsp, %0\n\t"
                       "enter $32, $0\n\t"
                       "movq $0x66, -8(%%rbp)\n\t"
                       "movq -8(%%rbp), %1\n\t"
                       "leave\n\t"
                       "movq %%rsp, %2"
                       : "=&r"(rsp_before), "=&r"(slot_val), "=&r"(rsp_after) : : "memory");
      CHECK("enter/leave", rsp_before == rsp_after && slot_val == 0x66);
    }
  }
#else
  fill((uint8_t *)&rip_slot, 0);
  say("x86_64 only: %u", (unsigned)tls_word);
#endif
  say("done");
  return 0;
}
