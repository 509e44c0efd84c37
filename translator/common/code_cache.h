// The host code cache both translators install blocks in: W^X through two
// views of the same pages (written through the read+write view, run from the
// read+execute view; no page is ever writable and executable at once).
//
// The pages are shared anonymous memory and the second view is made with
// mremap(old_size 0), so /proc/PID/maps shows the executable view as
// "/dev/zero (deleted)": perf treats that as anonymous memory and names its
// samples from /tmp/perf-PID.map (--perf-map). AsmJit's dual mapping uses a
// memfd ("/memfd:..."), which perf 6.1 does not look up in the map; capvm
// falls back to one only where mremap(old_size 0) is refused (valgrind).
// Blocks are never freed one by one (a translator owns every block it ever
// made); the views are unmapped with the cache.
#pragma once

#include <asmjit/core.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace capvm::translator {

class CodeCache {
 public:
  CodeCache() = default;
  // Views of a memfd from the first chunk on (the fallback; for its test).
  struct MemfdViews {};
  explicit CodeCache(MemfdViews) : memfd_only_(true) {}
  ~CodeCache();
  CodeCache(const CodeCache&) = delete;
  CodeCache& operator=(const CodeCache&) = delete;

  // `size` bytes (64-byte aligned): *rx the executable view, *rw the
  // writable view of the same bytes. kErrorOutOfMemory when the host
  // refuses a new chunk. (AsmJit's JitAllocator::alloc signature.)
  asmjit::Error alloc(void** rx, void** rw, size_t size);

  // Bytes mapped for each new chunk (more for a larger block).
  static constexpr size_t kChunkBytes = 4 * 1024 * 1024;
  static constexpr size_t kAlign = 64;
  // Pages are populated this many bytes at a time, ahead of the blocks.
  static constexpr size_t kPopulateWindow = 64 * 1024;

 private:
  struct Chunk {
    uint8_t* rx;
    uint8_t* rw;
    size_t size;
  };
  bool add_chunk(size_t at_least);
  bool add_memfd_chunk(size_t size);  // add_chunk's fallback
  void start_chunk(void* rx, void* rw, size_t size);  // allocation goes on in it

  std::mutex mutex_;
  bool memfd_only_ = false;
  std::vector<Chunk> chunks_;
  size_t used_ = 0;  // bytes handed out of chunks_.back()
  size_t populated_ = 0;  // bytes of chunks_.back() already populated
};

}  // namespace capvm::translator
