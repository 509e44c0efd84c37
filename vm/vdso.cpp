// Builds the vDSO image (see vdso.h). The layout, in file order, with file
// offset == virtual address:
//   ELF header | program headers (PT_LOAD, PT_DYNAMIC) | .hash | .dynsym |
//   .dynstr | .dynamic | .text (stubs) | .shstrtab | section headers
// padded to a page multiple. Section headers are not needed by a guest
// (it only walks PT_DYNAMIC) but make the image readable by readelf/objdump.
#include "vm/vdso.h"

#include <elf.h>

#include <cstring>
#include <string>

#include "abi/syscalls.h"

namespace capvm::vm {

namespace {

constexpr uint64_t kPage = 4096;
constexpr unsigned char kOsabiCloudabi = 17;  // spec/README.md: EI_OSABI 17
constexpr uint32_t kNumSyms = abi::kSyscallCount + 1;  // + the null symbol
constexpr uint32_t kNumBuckets = 17;
constexpr uint32_t kNumDyn = 6;
constexpr uint16_t kNumSections = 7;
enum : uint16_t { kShNull, kShHash, kShDynsym, kShDynstr, kShDynamic, kShText, kShShstrtab };

constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

// The SysV ELF hash (System V ABI, "Hash Table").
uint32_t elf_hash(const char* name) {
  uint32_t h = 0;
  for (const unsigned char* p = reinterpret_cast<const unsigned char*>(name); *p; ++p) {
    h = (h << 4) + *p;
    const uint32_t g = h & 0xf0000000u;
    if (g) h ^= g >> 24;
    h &= ~g;
  }
  return h;
}

struct Layout {
  uint64_t phdr, hash, dynsym, dynstr, dynstr_size, dynamic, text, shstrtab, shstrtab_size,
      shdr, total;
  std::string dynstr_data;
  std::string shstrtab_data;
  uint32_t name_off[abi::kSyscallCount];
  uint32_t sh_name[kNumSections];
};

Layout compute_layout() {
  Layout l{};
  l.dynstr_data.push_back('\0');
  for (uint32_t i = 0; i < abi::kSyscallCount; ++i) {
    l.name_off[i] = static_cast<uint32_t>(l.dynstr_data.size());
    l.dynstr_data += "cloudabi_sys_";
    l.dynstr_data += abi::syscall_name(i);
    l.dynstr_data.push_back('\0');
  }
  const char* const kSectionNames[kNumSections] = {"",        ".hash",    ".dynsym",  ".dynstr",
                                                   ".dynamic", ".text", ".shstrtab"};
  l.shstrtab_data.push_back('\0');
  for (uint16_t i = 1; i < kNumSections; ++i) {
    l.sh_name[i] = static_cast<uint32_t>(l.shstrtab_data.size());
    l.shstrtab_data += kSectionNames[i];
    l.shstrtab_data.push_back('\0');
  }
  l.phdr = sizeof(Elf64_Ehdr);
  l.hash = align_up(l.phdr + 2 * sizeof(Elf64_Phdr), 8);
  l.dynsym = align_up(l.hash + 4 * (2 + kNumBuckets + kNumSyms), 8);
  l.dynstr = l.dynsym + kNumSyms * sizeof(Elf64_Sym);
  l.dynstr_size = l.dynstr_data.size();
  l.dynamic = align_up(l.dynstr + l.dynstr_size, 8);
  l.text = align_up(l.dynamic + kNumDyn * sizeof(Elf64_Dyn), kVdsoStubStride);
  l.shstrtab = l.text + abi::kSyscallCount * kVdsoStubStride;
  l.shstrtab_size = l.shstrtab_data.size();
  l.shdr = align_up(l.shstrtab + l.shstrtab_size, 8);
  l.total = align_up(l.shdr + kNumSections * sizeof(Elf64_Shdr), kPage);
  return l;
}

const Layout& layout() {
  static const Layout l = compute_layout();
  return l;
}

template <class T>
void put(std::vector<uint8_t>& img, uint64_t off, const T& v) {
  std::memcpy(img.data() + off, &v, sizeof(T));
}

void put32(std::vector<uint8_t>& img, uint64_t off, uint32_t v) { put(img, off, v); }

// Where each stub's trap instruction sits in it (x86-64: mov eax, imm32;
// syscall; ret. aarch64: movz; movk; svc #0; ret).
constexpr uint64_t kX86TrapOffset = 5;
constexpr uint64_t kA64TrapOffset = 8;

// One stub; returns its code length (without padding).
uint64_t emit_stub(std::vector<uint8_t>& img, uint64_t off, VdsoArch arch, uint32_t n) {
  const uint32_t number = n | kVdsoConventionBit;
  if (arch == VdsoArch::kX86_64) {
    std::memset(img.data() + off, 0xcc, kVdsoStubStride);  // int3 padding
    img[off] = 0xb8;                                       // mov eax, imm32
    put32(img, off + 1, number);
    static_assert(kX86TrapOffset == 5);
    img[off + 5] = 0x0f;  // syscall
    img[off + 6] = 0x05;
    img[off + 7] = 0xc3;  // ret (performed by the run loop after the call)
    return 8;
  }
  // Arm ARM C6.2: MOVZ (32-bit, hw 0), MOVK (32-bit, hw 1), SVC, RET.
  put32(img, off + 0, 0x52800000u | ((number & 0xffff) << 5) | 8);
  put32(img, off + 4, 0x72a00000u | ((number >> 16) << 5) | 8);
  static_assert(kA64TrapOffset == 8);
  put32(img, off + 8, 0xd4000001u);   // svc #0
  put32(img, off + 12, 0xd65f03c0u);  // ret (performed by the run loop after the call)
  return 16;
}

}  // namespace

VdsoLayout vdso_layout(VdsoArch) {
  const Layout& l = layout();
  VdsoLayout v;
  v.code_offset = l.text;
  v.code_size = abi::kSyscallCount * kVdsoStubStride;
  v.image_size = l.total;
  return v;
}

uint64_t vdso_stub_offset(VdsoArch, uint32_t number) {
  return layout().text + uint64_t{number} * kVdsoStubStride;
}

bool vdso_stub_trap_at(VdsoArch arch, uint64_t offset) {
  const Layout& l = layout();
  if (offset < l.text) return false;
  const uint64_t rel = offset - l.text;
  return rel / kVdsoStubStride < abi::kSyscallCount &&
         rel % kVdsoStubStride == (arch == VdsoArch::kX86_64 ? kX86TrapOffset : kA64TrapOffset);
}

int vdso_stub_at(VdsoArch, uint64_t offset) {
  const Layout& l = layout();
  if (offset < l.text) return -1;
  const uint64_t rel = offset - l.text;
  if (rel % kVdsoStubStride != 0 || rel / kVdsoStubStride >= abi::kSyscallCount) return -1;
  return static_cast<int>(rel / kVdsoStubStride);
}

std::vector<uint8_t> build_vdso(VdsoArch arch) {
  const Layout& l = layout();
  std::vector<uint8_t> img(l.total, 0);

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = kOsabiCloudabi;
  eh.e_type = ET_DYN;
  eh.e_machine = arch == VdsoArch::kX86_64 ? EM_X86_64 : EM_AARCH64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = 0;
  eh.e_phoff = l.phdr;
  eh.e_shoff = l.shdr;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = kNumSections;
  eh.e_shstrndx = kShShstrtab;
  put(img, 0, eh);

  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_flags = PF_R | PF_X;
  load.p_offset = 0;
  load.p_vaddr = load.p_paddr = 0;
  load.p_filesz = load.p_memsz = l.total;
  load.p_align = kPage;
  put(img, l.phdr, load);
  Elf64_Phdr dyn{};
  dyn.p_type = PT_DYNAMIC;
  dyn.p_flags = PF_R;
  dyn.p_offset = dyn.p_vaddr = dyn.p_paddr = l.dynamic;
  dyn.p_filesz = dyn.p_memsz = kNumDyn * sizeof(Elf64_Dyn);
  dyn.p_align = 8;
  put(img, l.phdr + sizeof(Elf64_Phdr), dyn);

  // Symbols: index 0 is the null symbol, index n+1 is syscall n.
  for (uint32_t n = 0; n < abi::kSyscallCount; ++n) {
    const uint64_t stub = vdso_stub_offset(arch, n);
    Elf64_Sym s{};
    s.st_name = l.name_off[n];
    s.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
    s.st_other = STV_DEFAULT;
    s.st_shndx = kShText;
    s.st_value = stub;
    s.st_size = emit_stub(img, stub, arch, n);
    put(img, l.dynsym + (n + 1) * sizeof(Elf64_Sym), s);
  }
  std::memcpy(img.data() + l.dynstr, l.dynstr_data.data(), l.dynstr_size);

  // .hash: nbucket, nchain (== symbol count), buckets, chains.
  put32(img, l.hash, kNumBuckets);
  put32(img, l.hash + 4, kNumSyms);
  const uint64_t buckets = l.hash + 8;
  const uint64_t chains = buckets + 4 * kNumBuckets;
  for (uint32_t n = 0; n < abi::kSyscallCount; ++n) {
    const uint32_t sym = n + 1;
    const uint32_t b = elf_hash(l.dynstr_data.c_str() + l.name_off[n]) % kNumBuckets;
    // Prepend to the bucket's chain.
    uint32_t head;
    std::memcpy(&head, img.data() + buckets + 4 * b, 4);
    put32(img, chains + 4 * sym, head);
    put32(img, buckets + 4 * b, sym);
  }

  const Elf64_Dyn dyns[kNumDyn] = {
      {DT_HASH, {l.hash}},
      {DT_STRTAB, {l.dynstr}},
      {DT_SYMTAB, {l.dynsym}},
      {DT_STRSZ, {l.dynstr_size}},
      {DT_SYMENT, {sizeof(Elf64_Sym)}},
      {DT_NULL, {0}},
  };
  std::memcpy(img.data() + l.dynamic, dyns, sizeof(dyns));

  std::memcpy(img.data() + l.shstrtab, l.shstrtab_data.data(), l.shstrtab_size);
  Elf64_Shdr sh[kNumSections]{};
  auto section = [&](uint16_t i, uint32_t type, uint64_t flags, uint64_t off, uint64_t size,
                     uint32_t link, uint32_t info, uint64_t align, uint64_t entsize) {
    sh[i].sh_name = l.sh_name[i];
    sh[i].sh_type = type;
    sh[i].sh_flags = flags;
    sh[i].sh_addr = (flags & SHF_ALLOC) ? off : 0;
    sh[i].sh_offset = off;
    sh[i].sh_size = size;
    sh[i].sh_link = link;
    sh[i].sh_info = info;
    sh[i].sh_addralign = align;
    sh[i].sh_entsize = entsize;
  };
  section(kShHash, SHT_HASH, SHF_ALLOC, l.hash, 4 * (2 + kNumBuckets + kNumSyms), kShDynsym, 0,
          8, 4);
  section(kShDynsym, SHT_DYNSYM, SHF_ALLOC, l.dynsym, kNumSyms * sizeof(Elf64_Sym), kShDynstr,
          1, 8, sizeof(Elf64_Sym));
  section(kShDynstr, SHT_STRTAB, SHF_ALLOC, l.dynstr, l.dynstr_size, 0, 0, 1, 0);
  section(kShDynamic, SHT_DYNAMIC, SHF_ALLOC, l.dynamic, kNumDyn * sizeof(Elf64_Dyn), kShDynstr,
          0, 8, sizeof(Elf64_Dyn));
  section(kShText, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, l.text,
          abi::kSyscallCount * kVdsoStubStride, 0, 0, kVdsoStubStride, 0);
  section(kShShstrtab, SHT_STRTAB, 0, l.shstrtab, l.shstrtab_size, 0, 0, 1, 0);
  std::memcpy(img.data() + l.shdr, sh, sizeof(sh));
  return img;
}

}  // namespace capvm::vm
