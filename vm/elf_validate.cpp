// validate_elf(): every check on an untrusted executable before anything is
// mapped (SECURITY.md, "Malformed input": class/machine/OSABI, phnum, headers
// past the end, offset+size overflow, filesz > memsz, overlapping or W+X
// segments, addresses outside the sandbox, entry outside code, truncation).
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "vm/elf_loader.h"
#include "vm/elf_types.h"

namespace capvm::vm {
namespace {

using elf::Elf64Ehdr;
using elf::Elf64Phdr;

bool fail(std::string* error, std::string reason) {
  if (error) *error = std::move(reason);
  return false;
}

std::string seg_name(size_t index) { return "segment " + std::to_string(index); }

// a + b without wrapping; false on overflow.
bool add_ok(uint64_t a, uint64_t b, uint64_t* sum) {
  return !__builtin_add_overflow(a, b, sum);
}

uint64_t page_down(uint64_t v) { return v & ~(kGuestPageSize - 1); }

bool page_up(uint64_t v, uint64_t* out) {
  uint64_t t;
  if (!add_ok(v, kGuestPageSize - 1, &t)) return false;
  *out = page_down(t);
  return true;
}

unsigned prot_of(uint32_t flags) {
  unsigned prot = kProtNone;
  if (flags & PF_R) prot |= kProtRead;
  if (flags & PF_W) prot |= kProtWrite;
  if (flags & PF_X) prot |= kProtExec;
  return prot;
}

// A non-load segment (PT_TLS, PT_DYNAMIC, PT_PHDR) must describe memory
// that some PT_LOAD provides, and its file bytes must exist.
bool inside_some_load(const ElfInfo& info, uint64_t vaddr, uint64_t memsz) {
  uint64_t end;
  if (!add_ok(vaddr, memsz, &end)) return false;
  for (const ElfSegment& s : info.loads) {
    if (vaddr >= s.vaddr && end <= s.vaddr + s.memsz) return true;
  }
  return false;
}

bool check_file_range(const Elf64Phdr& ph, size_t size, size_t index,
                      std::string* error) {
  if (ph.p_filesz > ph.p_memsz)
    return fail(error, seg_name(index) + " has a file size larger than its memory size");
  uint64_t file_end;
  if (!add_ok(ph.p_offset, ph.p_filesz, &file_end) || file_end > size)
    return fail(error, seg_name(index) + " extends past the end of the file (truncated?)");
  return true;
}

}  // namespace

const char* guest_arch_name(GuestArch arch) {
  return arch == GuestArch::kAarch64 ? "aarch64" : "x86_64";
}

bool validate_elf(const uint8_t* data, size_t size, ElfInfo* out,
                  std::string* error, uint64_t sandbox_size) {
  ElfInfo info;
  if (data == nullptr || size == 0) return fail(error, "empty file, not an ELF executable");
  if (size < 4 || std::memcmp(data, ELFMAG, SELFMAG) != 0)
    return fail(error, "not an ELF file (bad magic)");
  if (size < sizeof(Elf64Ehdr)) return fail(error, "file too short for an ELF header (truncated?)");

  Elf64Ehdr eh;
  std::memcpy(&eh, data, sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return fail(error, "not a 64-bit ELF file");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return fail(error, "not a little-endian ELF file");
  if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
    return fail(error, "unsupported ELF version");
  if (eh.e_ident[EI_OSABI] != elf::kOsAbiCloudAbi)
    return fail(error, "not a CloudABI executable (EI_OSABI is " +
                           std::to_string(eh.e_ident[EI_OSABI]) + ", expected 17)");
  if (eh.e_type != ET_DYN)
    return fail(error, "not a position-independent executable (e_type is " +
                           std::to_string(eh.e_type) + ", expected ET_DYN)");
  if (eh.e_machine == EM_X86_64) {
    info.arch = GuestArch::kX86_64;
  } else if (eh.e_machine == EM_AARCH64) {
    info.arch = GuestArch::kAarch64;
  } else {
    return fail(error, "unsupported machine " + std::to_string(eh.e_machine) +
                           " (expected x86_64 or aarch64)");
  }
  if (eh.e_phentsize != sizeof(Elf64Phdr))
    return fail(error, "bad program header entry size " + std::to_string(eh.e_phentsize));
  if (eh.e_phnum == 0) return fail(error, "no program headers");
  if (eh.e_phnum > kMaxProgramHeaders)
    return fail(error, "too many program headers (" + std::to_string(eh.e_phnum) + ")");
  uint64_t table_end;
  if (!add_ok(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64Phdr), &table_end) ||
      table_end > size)
    return fail(error, "program header table extends past the end of the file (truncated?)");

  info.entry = eh.e_entry;
  info.phoff = eh.e_phoff;
  info.phnum = eh.e_phnum;
  info.phentsize = eh.e_phentsize;

  std::vector<Elf64Phdr> phdrs(eh.e_phnum);
  std::memcpy(phdrs.data(), data + eh.e_phoff, phdrs.size() * sizeof(Elf64Phdr));

  // Pass 1: the PT_LOAD segments, which define the image.
  std::vector<std::pair<uint64_t, uint64_t>> pages;  // page-granular [lo, hi)
  std::vector<size_t> page_owner;
  for (size_t i = 0; i < phdrs.size(); ++i) {
    const Elf64Phdr& ph = phdrs[i];
    if (ph.p_type == PT_INTERP)
      return fail(error, "has an interpreter (PT_INTERP); CloudABI executables are static");
    if (ph.p_type != PT_LOAD) continue;
    if (ph.p_align < kGuestPageSize || (ph.p_align & (ph.p_align - 1)) != 0)
      return fail(error, seg_name(i) + " has alignment " + std::to_string(ph.p_align) +
                             ", not a power of two of at least 4096");
    if (ph.p_offset % ph.p_align != ph.p_vaddr % ph.p_align)
      return fail(error, seg_name(i) + " has file offset and address not congruent modulo its alignment");
    if (!check_file_range(ph, size, i, error)) return false;
    uint64_t mem_end;
    if (!add_ok(ph.p_vaddr, ph.p_memsz, &mem_end) || mem_end > sandbox_size)
      return fail(error, seg_name(i) + " lies outside the sandbox address space");
    if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
      return fail(error, seg_name(i) + " is both writable and executable");
    ElfSegment seg;
    seg.vaddr = ph.p_vaddr;
    seg.memsz = ph.p_memsz;
    seg.offset = ph.p_offset;
    seg.filesz = ph.p_filesz;
    seg.align = ph.p_align;
    seg.prot = prot_of(ph.p_flags);
    info.loads.push_back(seg);
    if (ph.p_memsz == 0) continue;  // occupies no memory
    uint64_t hi;
    if (!page_up(mem_end, &hi) || hi > sandbox_size)
      return fail(error, seg_name(i) + " lies outside the sandbox address space");
    pages.emplace_back(page_down(ph.p_vaddr), hi);
    page_owner.push_back(i);
    info.max_align = std::max(info.max_align, ph.p_align);
  }
  if (pages.empty()) return fail(error, "no loadable segment");

  // Overlap at page granularity: two segments sharing a page could not both
  // get their own protection.
  std::vector<size_t> order(pages.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return pages[a].first < pages[b].first; });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& prev = pages[order[k - 1]];
    const auto& cur = pages[order[k]];
    if (cur.first < prev.second)
      return fail(error, seg_name(page_owner[order[k]]) + " overlaps " +
                             seg_name(page_owner[order[k - 1]]));
  }
  info.span_start = pages[order.front()].first;
  info.span_end = 0;
  for (const auto& p : pages) info.span_end = std::max(info.span_end, p.second);
  // Keep room for the null guard below the image: it is placed at a base
  // address of at least kNullGuardSize.
  if (info.span_end - info.span_start > sandbox_size - std::min(sandbox_size, kNullGuardSize))
    return fail(error, "image is too large for the sandbox");

  // The entry point must be in executable code.
  bool entry_ok = false;
  for (const ElfSegment& s : info.loads) {
    if ((s.prot & kProtExec) && info.entry >= s.vaddr && info.entry - s.vaddr < s.memsz) {
      entry_ok = true;
      break;
    }
  }
  if (!entry_ok) return fail(error, "entry point is not inside an executable segment");

  // Pass 2: the segments that point into the image.
  for (size_t i = 0; i < phdrs.size(); ++i) {
    const Elf64Phdr& ph = phdrs[i];
    switch (ph.p_type) {
      case PT_TLS:
        if (!check_file_range(ph, size, i, error)) return false;
        // Only the initialization image (p_filesz bytes) lives in the
        // loaded image; the rest is zero-filled per thread, and a .tbss-only
        // segment (filesz 0, as lld emits) may point past every PT_LOAD.
        if (uint64_t end; !add_ok(ph.p_vaddr, ph.p_memsz, &end))
          return fail(error, "TLS " + seg_name(i) + " size overflows");
        if (ph.p_filesz != 0 && !inside_some_load(info, ph.p_vaddr, ph.p_filesz))
          return fail(error, "TLS " + seg_name(i) + " is not inside a loadable segment");
        if (ph.p_align != 0 && (ph.p_align & (ph.p_align - 1)) != 0)
          return fail(error, "TLS " + seg_name(i) + " alignment is not a power of two");
        if (info.has_tls) return fail(error, "more than one TLS segment");
        info.has_tls = true;
        info.tls.vaddr = ph.p_vaddr;
        info.tls.memsz = ph.p_memsz;
        info.tls.offset = ph.p_offset;
        info.tls.filesz = ph.p_filesz;
        info.tls.align = ph.p_align == 0 ? 1 : ph.p_align;
        info.tls.prot = prot_of(ph.p_flags);
        break;
      case PT_DYNAMIC:
        if (!check_file_range(ph, size, i, error)) return false;
        if (!inside_some_load(info, ph.p_vaddr, ph.p_memsz))
          return fail(error, "dynamic " + seg_name(i) + " is not inside a loadable segment");
        info.has_dynamic = true;
        info.dynamic_vaddr = ph.p_vaddr;
        break;
      case PT_PHDR:
        if (!inside_some_load(info, ph.p_vaddr, ph.p_memsz))
          return fail(error, "program header " + seg_name(i) + " is not inside a loadable segment");
        info.phdr_in_image = true;
        info.phdr_vaddr = ph.p_vaddr;
        break;
      default:
        break;
    }
  }
  // Without PT_PHDR, find the table through a PT_LOAD whose file bytes hold it.
  if (!info.phdr_in_image) {
    for (const ElfSegment& s : info.loads) {
      if (info.phoff >= s.offset && table_end <= s.offset + s.filesz) {
        info.phdr_in_image = true;
        info.phdr_vaddr = s.vaddr + (info.phoff - s.offset);
        break;
      }
    }
  }
  if (out) *out = std::move(info);
  return true;
}

}  // namespace capvm::vm
