/* Private: the table of entry points bound from the vDSO (spec/README.md). */
#ifndef CAPVM_GUEST_VDSO_H
#define CAPVM_GUEST_VDSO_H

#include <cloudabi_syscalls.h>

/* Indexed by syscall number (spec/syscalls.txt); NULL when not provided. */
extern void *__capvm_vdso[CLOUDABI_SYSCALL_COUNT] __attribute__((visibility("hidden")));

/* Binds every cloudabi_sys_<name> function of the vDSO whose ELF header is
 * at ehdr. Must run after self-relocation (it uses a table of strings). */
void __capvm_vdso_bind(const void *ehdr) __attribute__((visibility("hidden")));

#endif
