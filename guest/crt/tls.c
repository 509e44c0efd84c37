/* Thread-local storage set-up for the initial thread (spec/README.md: "Thread-
 * local storage"; cloudabi.txt: struct tcb).
 *
 * x86_64 (variant II): the TLS block lies just below the thread pointer TP,
 * which is the TCB address; %fs:0 holds TP and compiled code reads %fs:0 and
 * uses negative offsets. aarch64 (variant I): tpidr_el0 = TP, a 16-byte
 * TCB area at TP, the TLS block at TP + align_up(16, p_align).
 * The TCB's `parent` word is copied from the runtime-provided TCB. */
#include <cloudabi_syscalls.h>
#include <string.h>
#include "crt.h"

static uintptr_t align_up(uintptr_t v, uintptr_t a) { return (v + a - 1) & ~(a - 1); }

static cloudabi_tcb_t *current_tcb(void) {
  cloudabi_tcb_t *tcb;
#if defined(__x86_64__)
  __asm__ volatile("movq %%fs:0, %0" : "=r"(tcb));
#else
  __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tcb));
#endif
  return tcb;
}

static void install_tcb(cloudabi_tcb_t *tcb) {
#if defined(__x86_64__)
  __asm__ volatile("movq %0, %%fs:0" : : "r"(tcb) : "memory");
#else
  __asm__ volatile("msr tpidr_el0, %0" : : "r"(tcb) : "memory");
#endif
}

void __capvm_tls_setup(const void *image, size_t filesz, size_t memsz, size_t align) {
  /* The linker computes TP offsets with the segment's own p_align; the TP
   * itself is kept 16-aligned as well. */
  if (align == 0) align = 1;
  if ((align & (align - 1)) != 0) return; /* malformed PT_TLS: keep runtime TCB */
  size_t tls_align = align;
  if (align < 16) align = 16;
  const size_t tcb_area = 16;
#if defined(__x86_64__)
  size_t block = align_up(memsz, tls_align);
  size_t total = align + block + tcb_area;
#else
  size_t block_off = align_up(tcb_area, tls_align);
  size_t total = align + block_off + memsz;
#endif
  total = align_up(total, 4096);
  void *mem = NULL;
  if (cloudabi_sys_mem_map(NULL, total, CLOUDABI_PROT_READ | CLOUDABI_PROT_WRITE,
                           CLOUDABI_MAP_ANON | CLOUDABI_MAP_PRIVATE, CLOUDABI_MAP_ANON_FD, 0,
                           &mem) != 0)
    return;
#if defined(__x86_64__)
  uintptr_t tp = align_up((uintptr_t)mem + block, align);
  unsigned char *data = (unsigned char *)(tp - block);
#else
  uintptr_t tp = align_up((uintptr_t)mem, align);
  unsigned char *data = (unsigned char *)(tp + block_off);
#endif
  if (filesz > memsz) filesz = memsz;
  memcpy(data, image, filesz);
  memset(data + filesz, 0, memsz - filesz);
  cloudabi_tcb_t *old = current_tcb();
  cloudabi_tcb_t *tcb = (cloudabi_tcb_t *)tp;
  tcb->parent = old != NULL ? old->parent : NULL;
  install_tcb(tcb);
}
