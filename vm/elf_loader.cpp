// load_elf(): maps a validated CloudABI executable into the sandbox.
// The image is position independent (spec/README.md: ET_DYN, relocates
// itself from AT_BASE), so the loader picks the base.
#include <algorithm>
#include <string>

#include "vm/elf_loader.h"
#include "vm/elf_types.h"

namespace capvm::vm {
namespace {

bool fail(std::string* error, std::string reason) {
  if (error) *error = std::move(reason);
  return false;
}

uint64_t page_down(uint64_t v) { return v & ~(kGuestPageSize - 1); }
uint64_t page_up(uint64_t v) { return page_down(v + kGuestPageSize - 1); }

std::string errno_text(abi::Errno e) { return "guest errno " + std::to_string(e); }

}  // namespace

bool load_elf(const uint8_t* data, size_t size, GuestMemory& mem,
              LoadedImage* out, std::string* error) {
  ElfInfo info;
  if (!validate_elf(data, size, &info, error, mem.size())) return false;

  const uint64_t align = std::max(info.max_align, kGuestPageSize);
  const uint64_t span_len = info.span_end - info.span_start;
  // Reserve enough that an aligned placement fits inside, then give back the
  // slack. The holes between segments stay reserved (PROT_NONE) so a later
  // mem_map cannot land inside the image.
  const uint64_t reserve_len = span_len + (align - kGuestPageSize);
  if (reserve_len < span_len || reserve_len > mem.size())
    return fail(error, "image is too large for the sandbox");
  GuestAddr reserved = std::max<uint64_t>(kNullGuardSize, info.span_start);
  reserved = (reserved + align - 1) & ~(align - 1);
  if (abi::Errno e = mem.map(&reserved, reserve_len, kProtNone, /*fixed=*/false);
      e != abi::E_SUCCESS)
    return fail(error, "cannot reserve " + std::to_string(reserve_len) +
                           " bytes for the image (" + errno_text(e) + ")");
  // The lowest address >= reserved congruent to span_start modulo align:
  // then base = image_start - span_start is a multiple of align, and every
  // segment keeps the congruence its p_align asks for.
  const GuestAddr image_start = reserved + ((info.span_start - reserved) & (align - 1));
  const GuestAddr image_end = image_start + span_len;
  if (image_start < info.span_start || image_start < kNullGuardSize) {
    mem.unmap(reserved, reserve_len);
    return fail(error, "cannot place the image above the null guard");
  }
  if (image_start > reserved) mem.unmap(reserved, image_start - reserved);
  if (reserved + reserve_len > image_end) mem.unmap(image_end, reserved + reserve_len - image_end);
  const GuestAddr base = image_start - info.span_start;

  auto undo = [&] { mem.unmap(image_start, span_len); };
  for (size_t i = 0; i < info.loads.size(); ++i) {
    const ElfSegment& s = info.loads[i];
    if (s.memsz == 0) continue;
    GuestAddr lo = base + page_down(s.vaddr);
    const uint64_t len = page_up(s.vaddr + s.memsz) - page_down(s.vaddr);
    // Anonymous memory is zero, which provides the bss (memsz > filesz).
    const GuestMemory::Fill fill{s.vaddr - page_down(s.vaddr), data + s.offset, s.filesz};
    if (abi::Errno e = mem.map_filled(&lo, len, s.prot, /*fixed=*/true, fill);
        e != abi::E_SUCCESS) {
      undo();
      return fail(error, "cannot map load segment " + std::to_string(i) + " (" +
                             errno_text(e) + ")");
    }
  }

  LoadedImage img;
  img.base = base;
  img.entry = base + info.entry;
  img.phnum = info.phnum;
  img.phentsize = info.phentsize;
  img.arch = info.arch;
  img.image_start = image_start;
  img.image_end = image_end;
  if (info.phdr_in_image) {
    img.phdr = base + info.phdr_vaddr;
  } else {
    // The program needs AT_PHDR to relocate itself: give it a read-only copy
    // of the table next to the image.
    const uint64_t table_len = uint64_t{info.phnum} * info.phentsize;
    GuestAddr at = image_end;
    const GuestMemory::Fill fill{0, data + info.phoff, table_len};
    if (abi::Errno e = mem.map_filled(&at, page_up(table_len), kProtRead, /*fixed=*/false, fill);
        e != abi::E_SUCCESS) {
      undo();
      return fail(error, "cannot map the program headers (" + errno_text(e) + ")");
    }
    img.phdr = at;
  }
  if (info.has_tls) {
    img.has_tls = true;
    img.tls_image = base + info.tls.vaddr;
    img.tls_filesz = info.tls.filesz;
    img.tls_memsz = info.tls.memsz;
    img.tls_align = info.tls.align;
  }
  if (out) *out = img;
  return true;
}

}  // namespace capvm::vm
