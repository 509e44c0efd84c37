/* Process entry point (cloudabi.txt: function processentry; spec/README.md:
 * a CloudABI program starts at _start(auxv) like a C function and never
 * returns). Order: read auxv -> self-relocate -> bind vDSO -> TLS ->
 * constructors -> argdata/stdio -> main -> exit.
 *
 * Until relocation is done nothing here may load an address stored in data
 * (no global pointers, string tables or function pointer tables): the
 * self-relocation code works on locals and arguments only. */
#include <argdata.h>
#include <cloudabi_syscalls.h>
#include <stdlib.h>
#include "../syscalls/vdso.h"
#include "crt.h"
#include "elf64.h"

int main(void);

typedef void (*ctor_fn)(void);
extern ctor_fn __preinit_array_start[] __attribute__((weak, visibility("hidden")));
extern ctor_fn __preinit_array_end[] __attribute__((weak, visibility("hidden")));
extern ctor_fn __init_array_start[] __attribute__((weak, visibility("hidden")));
extern ctor_fn __init_array_end[] __attribute__((weak, visibility("hidden")));

struct startup_info {
  uintptr_t base, phdr, phnum, sysinfo_ehdr, argdata, argdatalen, pagesz;
};

/* cloudabi.txt: struct auxv, terminated by AT_NULL. Locals only. */
static void read_auxv(const cloudabi_auxv_t *auxv, struct startup_info *si) {
  for (; auxv->a_type != CLOUDABI_AT_NULL; ++auxv) {
    uintptr_t v = auxv->a_val;
    uint32_t t = auxv->a_type;
    if (t == CLOUDABI_AT_BASE) si->base = v;
    else if (t == CLOUDABI_AT_PHDR) si->phdr = v;
    else if (t == CLOUDABI_AT_PHNUM) si->phnum = v;
    else if (t == CLOUDABI_AT_SYSINFO_EHDR) si->sysinfo_ehdr = v;
    else if (t == CLOUDABI_AT_ARGDATA) si->argdata = v;
    else if (t == CLOUDABI_AT_ARGDATALEN) si->argdatalen = v;
    else if (t == CLOUDABI_AT_PAGESZ) si->pagesz = v;
  }
}

/* Applies R_X86_64_RELATIVE / R_AARCH64_RELATIVE from the executable's own
 * PT_DYNAMIC (spec/README.md: executables relocate themselves from AT_BASE,
 * AT_PHDR and AT_PHNUM). */
static void self_relocate(struct startup_info *si) {
  const elf64_phdr *ph = (const elf64_phdr *)si->phdr;
  if (ph == NULL) return;
  uintptr_t base = si->base;
  if (base == 0) {
    for (uintptr_t i = 0; i < si->phnum; ++i)
      if (ph[i].p_type == ELF_PT_PHDR) base = si->phdr - ph[i].p_vaddr;
    si->base = base;
  }
  const elf64_dyn *dyn = NULL;
  for (uintptr_t i = 0; i < si->phnum; ++i)
    if (ph[i].p_type == ELF_PT_DYNAMIC) dyn = (const elf64_dyn *)(base + ph[i].p_vaddr);
  if (dyn == NULL) return;
  uintptr_t rela = 0, relasz = 0, relaent = sizeof(elf64_rela);
  uintptr_t rel = 0, relsz = 0, relent = sizeof(elf64_rel);
  for (; dyn->d_tag != ELF_DT_NULL; ++dyn) {
    int64_t tag = dyn->d_tag;
    if (tag == ELF_DT_RELA) rela = base + dyn->d_val;
    else if (tag == ELF_DT_RELASZ) relasz = dyn->d_val;
    else if (tag == ELF_DT_RELAENT) relaent = dyn->d_val;
    else if (tag == ELF_DT_REL) rel = base + dyn->d_val;
    else if (tag == ELF_DT_RELSZ) relsz = dyn->d_val;
    else if (tag == ELF_DT_RELENT) relent = dyn->d_val;
  }
  if (rela != 0 && relaent != 0) {
    for (uintptr_t off = 0; off + relaent <= relasz; off += relaent) {
      const elf64_rela *r = (const elf64_rela *)(rela + off);
      uint32_t type = (uint32_t)r->r_info;
      if (type == CAPVM_R_RELATIVE)
        *(volatile uint64_t *)(base + r->r_offset) = base + (uint64_t)r->r_addend;
    }
  }
  if (rel != 0 && relent != 0) {
    for (uintptr_t off = 0; off + relent <= relsz; off += relent) {
      const elf64_rel *r = (const elf64_rel *)(rel + off);
      if ((uint32_t)r->r_info == CAPVM_R_RELATIVE)
        *(volatile uint64_t *)(base + r->r_offset) += base;
    }
  }
}

static const elf64_phdr *find_tls(const struct startup_info *si) {
  const elf64_phdr *ph = (const elf64_phdr *)si->phdr;
  for (uintptr_t i = 0; ph != NULL && i < si->phnum; ++i)
    if (ph[i].p_type == ELF_PT_TLS) return &ph[i];
  return NULL;
}

static void run_constructors(void) {
  if (__preinit_array_start != NULL)
    for (ctor_fn *f = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
  if (__init_array_start != NULL)
    for (ctor_fn *f = __init_array_start; f < __init_array_end; ++f) (*f)();
}

_Noreturn void _start(const cloudabi_auxv_t *auxv) {
  struct startup_info si = {0};
  read_auxv(auxv, &si);
  self_relocate(&si);
  /* Relocated: globals, tables and string literals are usable from here. */
  __capvm_vdso_bind((const void *)si.sysinfo_ehdr);
  const elf64_phdr *tls = find_tls(&si);
  if (tls != NULL)
    __capvm_tls_setup((const void *)(si.base + tls->p_vaddr), tls->p_filesz, tls->p_memsz,
                      tls->p_align);
  __capvm_args_init((const void *)si.argdata, si.argdatalen);
  run_constructors();
  exit(main());
}
