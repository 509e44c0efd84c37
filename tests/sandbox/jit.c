/* A guest JIT and W^X. Case "jit": code written into an RW mapping, made
 * R|X and called; rewritten (RW, write, R|X) and called again: the new code
 * must run (a stale translation would return the old value). Also rewriting
 * through unmap + MAP_FIXED remap, and through mem_map(MAP_FIXED) over live
 * code. Case "wx": mem_map/mem_protect with write+exec give ENOTSUP and the
 * guest keeps running. Case "write_rx": a store into an R|X page: SIGSEGV.
 * Case "call_after_noexec": code made R only, then called: SIGSEGV. */
#include "sandbox.h"

typedef int (*fn_t)(void);

#define RW (CLOUDABI_PROT_READ | CLOUDABI_PROT_WRITE)
#define RX (CLOUDABI_PROT_READ | CLOUDABI_PROT_EXEC)
#define WX (CLOUDABI_PROT_WRITE | CLOUDABI_PROT_EXEC)
#define ANON (CLOUDABI_MAP_ANON | CLOUDABI_MAP_PRIVATE)

/* Code returning `v`. */
static size_t emit_return(uint8_t *p, uint32_t v) {
#if defined(__x86_64__)
  p[0] = 0xb8;  /* mov eax, imm32 */
  memcpy(p + 1, &v, 4);
  p[5] = 0xc3;  /* ret */
  return 6;
#else
  uint32_t insn[3] = {0x52800000u | ((v & 0xffff) << 5),           /* movz w0 */
                      0x72a00000u | (((v >> 16) & 0xffff) << 5),   /* movk w0, lsl 16 */
                      0xd65f03c0u};                                /* ret */
  memcpy(p, insn, sizeof insn);
  return sizeof insn;
#endif
}

static int call(void *code) {
  fn_t f = (fn_t)(uintptr_t)code;
  __asm__ volatile("" : "+r"(f) : : "memory");
  return f();
}

static void *map(size_t len, int prot) {
  void *p = NULL;
  cloudabi_errno_t e = cloudabi_sys_mem_map(NULL, len, prot, ANON, CLOUDABI_MAP_ANON_FD, 0, &p);
  if (e != 0) {
    say("mem_map failed: %d", e);
    return NULL;
  }
  return p;
}

void probe_store8(uintptr_t p);
#if defined(__x86_64__)
__asm__(".text\n.globl probe_store8\nprobe_store8:\n movb $0x5a, (%rdi)\n ret\n");
#else
__asm__(".text\n.globl probe_store8\nprobe_store8:\n mov w1, #0x5a\n strb w1, [x0]\n ret\n");
#endif

static int jit(void) {
  uint8_t *code = map(8192, RW);
  if (code == NULL) return 2;
  emit_return(code, 42);
  say("protect rx: %d", cloudabi_sys_mem_protect(code, 8192, RX));
  say("first call: %d", call(code));
  say("second call: %d", call(code));
  say("protect rw: %d", cloudabi_sys_mem_protect(code, 8192, RW));
  emit_return(code, 7);
  say("protect rx: %d", cloudabi_sys_mem_protect(code, 8192, RX));
  say("after rewrite: %d", call(code));
  /* Code on the second page, entered in the middle of the first page's
   * translation range. */
  say("protect rw: %d", cloudabi_sys_mem_protect(code, 8192, RW));
  emit_return(code + 4096 - 3, 1234);  /* straddles the page boundary */
  say("protect rx: %d", cloudabi_sys_mem_protect(code, 8192, RX));
  say("straddling code: %d", call(code + 4096 - 3));
  /* Only the second page loses exec: the straddling block must go too. */
  say("protect page 1 rw: %d", cloudabi_sys_mem_protect(code + 4096, 4096, RW));
  say("protect rw: %d", cloudabi_sys_mem_protect(code, 8192, RW));
  emit_return(code + 4096 - 3, 5678);
  say("protect rx: %d", cloudabi_sys_mem_protect(code, 8192, RX));
  say("straddling code rewritten: %d", call(code + 4096 - 3));

  /* Unmap and map again at the same address with new code. */
  say("unmap: %d", cloudabi_sys_mem_unmap(code, 8192));
  void *again = code;
  cloudabi_errno_t e = cloudabi_sys_mem_map(again, 8192, RW, ANON | CLOUDABI_MAP_FIXED,
                                            CLOUDABI_MAP_ANON_FD, 0, &again);
  say("remap fixed: %d same address: %d", e, again == (void *)code);
  emit_return(code, 11);
  say("protect rx: %d", cloudabi_sys_mem_protect(code, 8192, RX));
  say("after remap: %d", call(code));

  /* MAP_FIXED straight over live code (no unmap). */
  again = code;
  e = cloudabi_sys_mem_map(again, 8192, RW, ANON | CLOUDABI_MAP_FIXED, CLOUDABI_MAP_ANON_FD, 0,
                           &again);
  say("map fixed over code: %d", e);
  emit_return(code, 12);
  say("protect rx: %d", cloudabi_sys_mem_protect(code, 8192, RX));
  say("after map over code: %d", call(code));
  say("done");
  return 0;
}

static int wx(void) {
  void *p = NULL;
  say("mem_map w|x: %d", cloudabi_sys_mem_map(NULL, 4096, WX, ANON, CLOUDABI_MAP_ANON_FD, 0, &p));
  say("mem_map r|w|x: %d", cloudabi_sys_mem_map(NULL, 4096, WX | CLOUDABI_PROT_READ, ANON,
                                                CLOUDABI_MAP_ANON_FD, 0, &p));
  uint8_t *code = map(4096, RW);
  if (code == NULL) return 2;
  emit_return(code, 3);
  say("mem_protect rw page to w|x: %d", cloudabi_sys_mem_protect(code, 4096, WX));
  say("mem_protect rw page to r|w|x: %d",
      cloudabi_sys_mem_protect(code, 4096, WX | CLOUDABI_PROT_READ));
  say("mem_protect to rx: %d", cloudabi_sys_mem_protect(code, 4096, RX));
  say("mem_protect rx page to w|x: %d", cloudabi_sys_mem_protect(code, 4096, WX));
  say("call: %d", call(code));
  say("done");
  return 0;
}

int main(void) {
  say("start");
  if (is_case("jit")) return jit();
  if (is_case("wx")) return wx();
  if (is_case("write_rx")) {
    uint8_t *code = map(4096, RW);
    if (code == NULL) return 2;
    emit_return(code, 3);
    say("protect rx: %d", cloudabi_sys_mem_protect(code, 4096, RX));
    say("call: %d", call(code));
    expect_pc(probe_store8);
    expect_addr((uintptr_t)code + 1);
    say("store into rx page");
    probe_store8((uintptr_t)code + 1);
    say("survived");
    return 1;
  }
  if (is_case("call_after_noexec")) {
    uint8_t *code = map(4096, RW);
    if (code == NULL) return 2;
    emit_return(code, 3);
    say("protect rx: %d", cloudabi_sys_mem_protect(code, 4096, RX));
    say("call: %d", call(code));
    say("protect r: %d", cloudabi_sys_mem_protect(code, 4096, CLOUDABI_PROT_READ));
    expect_pc(code);
    say("call non-exec code");
    call(code);
    say("survived");
    return 1;
  }
  say("unknown case");
  return 2;
}
