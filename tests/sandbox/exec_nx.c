/* Control transfers into memory that is not executable guest code: a data
 * array, the stack, an unmapped hole, the null guard, the top of the space
 * and a 64-bit target outside it. Each target holds (or would hold) a `ret`,
 * so executing it would print "survived". SIGSEGV, reported at the target.
 * One case per run. */
#include "sandbox.h"

#if defined(__x86_64__)
static const uint8_t kRet[] = {0xc3, 0xc3, 0xc3, 0xc3};
#else
static const uint8_t kRet[] = {0xc0, 0x03, 0x5f, 0xd6};  /* ret */
#endif
static uint8_t data_ret[64];

typedef int (*fn_t)(void);

static void call(uintptr_t target) {
  fn_t f = (fn_t)target;
  __asm__ volatile("" : "+r"(f));
  f();
}

int main(void) {
  say("start");
  memcpy(data_ret, kRet, sizeof kRet);
  if (is_case("jump_data")) {
    expect_pc(data_ret);
    say("call data");
    call((uintptr_t)data_ret);
  } else if (is_case("jump_rodata")) {
    expect_pc(kRet);
    say("call rodata");
    call((uintptr_t)kRet);
  } else if (is_case("jump_stack")) {
    uint8_t stack_ret[16];
    memcpy(stack_ret, kRet, sizeof kRet);
    __asm__ volatile("" : : "r"(stack_ret) : "memory");
    expect_pc(stack_ret);
    say("call stack");
    call((uintptr_t)stack_ret);
  } else if (is_case("jump_unmapped")) {
    void *p = NULL;
    if (cloudabi_sys_mem_map(NULL, 4096, CLOUDABI_PROT_READ | CLOUDABI_PROT_WRITE,
                             CLOUDABI_MAP_ANON | CLOUDABI_MAP_PRIVATE, CLOUDABI_MAP_ANON_FD, 0,
                             &p) != 0 ||
        cloudabi_sys_mem_unmap(p, 4096) != 0) {
      say("mem_map/unmap failed");
      return 2;
    }
    expect_pc(p);
    say("call hole");
    call((uintptr_t)p);
  } else if (is_case("jump_null")) {
    expect_pc(0);
    say("call null");
    call(0);
  } else if (is_case("jump_far")) {
    /* 0xdeadbeefcafebabe: a 64-bit target; whatever the VM reports, it must
     * not execute anything. */
    say("call 0xdeadbeefcafebabe");
    call(0xdeadbeefcafebabeull);
  } else {
    say("unknown case");
    return 2;
  }
  say("survived");
  return 1;
}
