/* Binding the vDSO's entry points (spec/README.md: "How a guest enters a
 * syscall"; cloudabi.txt: auxtype sysinfo_ehdr). The image is walked through
 * its dynamic section: DT_HASH (nchain = symbol count), DT_SYMTAB, DT_STRTAB.
 * All addresses inside the image are relative to its ELF header. */
#include <stdint.h>
#include "vdso.h"
#include "../crt/elf64.h"

void *__capvm_vdso[CLOUDABI_SYSCALL_COUNT];

/* spec/syscalls.txt, in number order. */
static const char *const syscall_names[CLOUDABI_SYSCALL_COUNT] = {
  "clock_res_get", "clock_time_get", "condvar_signal", "fd_close",
  "fd_create1", "fd_create2", "fd_datasync", "fd_dup", "fd_pread",
  "fd_pwrite", "fd_read", "fd_replace", "fd_seek", "fd_stat_get",
  "fd_stat_put", "fd_sync", "fd_write", "file_advise", "file_allocate",
  "file_create", "file_link", "file_open", "file_readdir", "file_readlink",
  "file_rename", "file_stat_fget", "file_stat_fput", "file_stat_get",
  "file_stat_put", "file_symlink", "file_unlink", "lock_unlock",
  "mem_advise", "mem_map", "mem_protect", "mem_sync", "mem_unmap", "poll",
  "proc_exec", "proc_exit", "proc_fork", "proc_raise", "random_get",
  "sock_recv", "sock_send", "sock_shutdown", "thread_create", "thread_exit",
  "thread_yield",
};

static int name_eq(const char *a, const char *b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

void __capvm_vdso_bind(const void *ehdr_ptr) {
  if (ehdr_ptr == NULL) return;
  const uint8_t *image = ehdr_ptr;
  const elf64_ehdr *eh = ehdr_ptr;
  if (eh->e_ident[0] != 0x7f || eh->e_ident[1] != 'E' || eh->e_ident[2] != 'L' ||
      eh->e_ident[3] != 'F')
    return;
  const elf64_phdr *ph = (const elf64_phdr *)(image + eh->e_phoff);
  const elf64_dyn *dyn = NULL;
  for (unsigned i = 0; i < eh->e_phnum; ++i)
    if (ph[i].p_type == ELF_PT_DYNAMIC) dyn = (const elf64_dyn *)(image + ph[i].p_vaddr);
  if (dyn == NULL) return;

  const uint32_t *hash = NULL;
  const elf64_sym *symtab = NULL;
  const char *strtab = NULL;
  for (; dyn->d_tag != ELF_DT_NULL; ++dyn) {
    if (dyn->d_tag == ELF_DT_HASH) hash = (const uint32_t *)(image + dyn->d_val);
    else if (dyn->d_tag == ELF_DT_SYMTAB) symtab = (const elf64_sym *)(image + dyn->d_val);
    else if (dyn->d_tag == ELF_DT_STRTAB) strtab = (const char *)(image + dyn->d_val);
  }
  if (hash == NULL || symtab == NULL || strtab == NULL) return;

  uint32_t nsyms = hash[1]; /* nchain */
  for (uint32_t s = 0; s < nsyms; ++s) {
    const elf64_sym *sym = &symtab[s];
    unsigned bind = sym->st_info >> 4, type = sym->st_info & 0xf;
    if (type != ELF_STT_FUNC || (bind != ELF_STB_GLOBAL && bind != ELF_STB_WEAK) ||
        sym->st_shndx == 0)
      continue;
    const char *name = strtab + sym->st_name;
    const char *prefix = "cloudabi_sys_";
    while (*prefix != '\0' && *name == *prefix) {
      ++prefix;
      ++name;
    }
    if (*prefix != '\0') continue;
    for (int n = 0; n < CLOUDABI_SYSCALL_COUNT; ++n) {
      if (name_eq(name, syscall_names[n])) {
        __capvm_vdso[n] = (void *)(image + sym->st_value);
        break;
      }
    }
  }
}

int capvm_vdso_bound_count(void) {
  int n = 0;
  for (int i = 0; i < CLOUDABI_SYSCALL_COUNT; ++i) n += __capvm_vdso[i] != NULL;
  return n;
}
