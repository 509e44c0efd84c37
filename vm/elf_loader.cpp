// load_elf(): maps a validated CloudABI executable into the sandbox.
// The image is position independent (spec/README.md: ET_DYN, relocates
// itself from AT_BASE), so the loader picks the base.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

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

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
  return b;
}

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
  // Segments in address order, grouped into runs of adjacent pages that
  // share a host protection (read-only and read+exec are both read-only on
  // the host): each run is one mapping, filled and protected once, and its
  // read+exec pages then only change in the guest's page table (changing
  // host protection is the costly part on virtualised paging). Validation
  // guarantees that no two segments share a page.
  std::vector<const ElfSegment*> order;
  for (const ElfSegment& s : info.loads)
    if (s.memsz != 0) order.push_back(&s);
  std::sort(order.begin(), order.end(),
            [](const ElfSegment* a, const ElfSegment* b) { return a->vaddr < b->vaddr; });
  auto writable = [](const ElfSegment* s) { return (s->prot & kProtWrite) != 0; };
  std::vector<GuestMemory::Fill> fills;
  for (size_t first = 0; first < order.size();) {
    size_t last = first;
    while (last + 1 < order.size() && writable(order[last + 1]) == writable(order[first]) &&
           page_down(order[last + 1]->vaddr) == page_up(order[last]->vaddr + order[last]->memsz))
      ++last;
    const uint64_t run_lo = page_down(order[first]->vaddr);
    const uint64_t run_hi = page_up(order[last]->vaddr + order[last]->memsz);
    fills.clear();
    // Anonymous memory is zero, which provides the bss (memsz > filesz).
    for (size_t k = first; k <= last; ++k)
      fills.push_back({order[k]->vaddr - run_lo, data + order[k]->offset, order[k]->filesz});
    GuestAddr lo = base + run_lo;
    abi::Errno e = mem.map_filled(&lo, run_hi - run_lo, order[first]->prot, /*fixed=*/true,
                                  fills.data(), fills.size());
    for (size_t k = first + 1; k <= last && e == abi::E_SUCCESS; ++k)
      if (order[k]->prot != order[first]->prot)
        e = mem.protect(base + page_down(order[k]->vaddr),
                        page_up(order[k]->vaddr + order[k]->memsz) - page_down(order[k]->vaddr),
                        order[k]->prot);
    if (e != abi::E_SUCCESS) {
      undo();
      return fail(error, "cannot map the load segments at 0x" + hex(order[first]->vaddr) + " (" +
                             errno_text(e) + ")");
    }
    first = last + 1;
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
