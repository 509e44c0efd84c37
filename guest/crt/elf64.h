/* Private: the few ELF64 structures start-up needs (ELF gABI). */
#ifndef CAPVM_GUEST_ELF64_H
#define CAPVM_GUEST_ELF64_H

#include <stdint.h>

typedef struct {
  unsigned char e_ident[16];
  uint16_t e_type, e_machine;
  uint32_t e_version;
  uint64_t e_entry, e_phoff, e_shoff;
  uint32_t e_flags;
  uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} elf64_ehdr;

typedef struct {
  uint32_t p_type, p_flags;
  uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} elf64_phdr;

typedef struct {
  int64_t d_tag;
  uint64_t d_val;
} elf64_dyn;

typedef struct {
  uint32_t st_name;
  unsigned char st_info, st_other;
  uint16_t st_shndx;
  uint64_t st_value, st_size;
} elf64_sym;

typedef struct { uint64_t r_offset, r_info; int64_t r_addend; } elf64_rela;
typedef struct { uint64_t r_offset, r_info; } elf64_rel;

#define ELF_PT_LOAD 1
#define ELF_PT_DYNAMIC 2
#define ELF_PT_PHDR 6
#define ELF_PT_TLS 7
#define ELF_DT_NULL 0
#define ELF_DT_HASH 4
#define ELF_DT_STRTAB 5
#define ELF_DT_SYMTAB 6
#define ELF_DT_RELA 7
#define ELF_DT_RELASZ 8
#define ELF_DT_RELAENT 9
#define ELF_DT_REL 17
#define ELF_DT_RELSZ 18
#define ELF_DT_RELENT 19
#define ELF_STT_FUNC 2
#define ELF_STB_GLOBAL 1
#define ELF_STB_WEAK 2
#define ELF_R_X86_64_RELATIVE 8
#define ELF_R_AARCH64_RELATIVE 1027

#endif
