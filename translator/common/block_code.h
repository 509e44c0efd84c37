// Pieces both translators share: installing assembled code in the W^X code
// cache (written through the writable view, run from the executable one),
// and mapping a host pc inside a block back to its guest instruction.
#pragma once

#include <asmjit/core.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "translator/common/code_cache.h"

namespace capvm::translator {

// Host offset of each guest instruction's first host byte, in order.
using PcMap = std::vector<std::pair<uint32_t, uint64_t>>;

struct InstalledCode {
  uint8_t* rx = nullptr;  // executable view
  uint8_t* rw = nullptr;  // writable view of the same memory
  size_t size = 0;
};

// Lays out `code`, allocates it in `jit` and copies it in; false when the
// cache cannot hold it.
inline bool install_code(CodeCache& jit, asmjit::CodeHolder& code, InstalledCode* out) {
  code.flatten();
  code.resolveUnresolvedLinks();
  const size_t size = code.codeSize();
  void* rx = nullptr;
  void* rw = nullptr;
  if (jit.alloc(&rx, &rw, size) != asmjit::kErrorOk) return false;
  code.relocateToBase(reinterpret_cast<uint64_t>(rx));
  code.copyFlattenedData(rw, size, asmjit::CopySectionFlags::kPadSectionBuffer);
  out->rx = static_cast<uint8_t*>(rx);
  out->rw = static_cast<uint8_t*>(rw);
  out->size = size;
  return true;
}

// A compact direct-exit stub's 32-bit immediate (docs/design.md, "Control"):
// the distance of the block's link site, at label `site` plus `site_bias`
// bytes, from the translator's shared branch-exit stub, stored at byte
// `imm_offset` of the block. Known only once the block has its address.
struct LinkRelPatch {
  size_t imm_offset;
  asmjit::Label site;
  int32_t site_bias;
};

// Writes every patch of a block just installed (through its writable view,
// before anything can run it). False if a distance does not fit in 32 bits:
// the block must then be translated again with long stubs.
inline bool patch_link_rels(const asmjit::CodeHolder& code, const std::vector<LinkRelPatch>& patches,
                            const uint8_t* rx, uint8_t* rw, uint64_t branch_exit_stub) {
  for (const LinkRelPatch& p : patches) {
    const uint64_t site = reinterpret_cast<uint64_t>(rx) + code.labelOffsetFromBase(p.site) +
                          static_cast<int64_t>(p.site_bias);
    const int64_t rel = static_cast<int64_t>(site - branch_exit_stub);
    if (rel != static_cast<int32_t>(rel)) return false;
    const int32_t v = static_cast<int32_t>(rel);
    std::memcpy(rw + p.imm_offset, &v, sizeof v);
  }
  return true;
}

// The guest pc of the instruction whose host code holds `host_pc`, looking
// the block up in `by_host` (host start -> block with rx, size, pc_map).
template <class Block>
bool guest_pc_for_host_pc(const std::map<uintptr_t, Block*>& by_host, uintptr_t host_pc,
                          uint64_t* guest_pc) {
  auto it = by_host.upper_bound(host_pc);
  if (it == by_host.begin()) return false;
  --it;
  const Block* b = it->second;
  const uintptr_t start = reinterpret_cast<uintptr_t>(b->rx);
  if (host_pc >= start + b->size || b->pc_map.empty()) return false;
  const uint32_t off = static_cast<uint32_t>(host_pc - start);
  uint64_t pc = b->pc_map.front().second;
  for (const auto& [host_off, gpc] : b->pc_map) {
    if (host_off > off) break;
    pc = gpc;
  }
  *guest_pc = pc;
  return true;
}

}  // namespace capvm::translator
