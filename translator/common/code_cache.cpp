// The W^X code cache (see code_cache.h).
#include "translator/common/code_cache.h"

#include <sys/mman.h>
#include <unistd.h>

#include "vm/prefault.h"

namespace capvm::translator {

CodeCache::~CodeCache() {
  for (const Chunk& c : chunks_) {
    munmap(c.rx, c.size);
    munmap(c.rw, c.size);
  }
}

bool CodeCache::add_chunk(size_t at_least) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t size = at_least > kChunkBytes ? at_least : kChunkBytes;
  size = (size + page - 1) & ~(page - 1);
  if (memfd_only_) return add_memfd_chunk(size);
  // Shared anonymous pages (shmem): mremap with old_size 0 maps the same
  // pages a second time (mremap(2)), which private memory cannot do.
  void* rw = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (rw == MAP_FAILED) return false;
  void* rx = mremap(rw, 0, size, MREMAP_MAYMOVE);
  if (rx == MAP_FAILED) {
    // Where that is refused (valgrind does not emulate it, which
    // bench/instructions.sh needs), two views of a memfd instead; perf then
    // sees a file, not anonymous memory, and ignores --perf-map for it.
    munmap(rw, size);
    return add_memfd_chunk(size);
  }
  // The second view starts read+write like the first; it becomes
  // read+execute before any code is handed out, and is never writable again.
  if (mprotect(rx, size, PROT_READ | PROT_EXEC) != 0) {
    munmap(rx, size);
    munmap(rw, size);
    return false;
  }
  start_chunk(rx, rw, size);
  return true;
}

void CodeCache::start_chunk(void* rx, void* rw, size_t size) {
  chunks_.push_back({static_cast<uint8_t*>(rx), static_cast<uint8_t*>(rw), size});
  used_ = 0;
  populated_ = 0;
}

bool CodeCache::add_memfd_chunk(size_t size) {
  const int fd = memfd_create("capvm-code", MFD_CLOEXEC);
  if (fd < 0) return false;
  void* rw = MAP_FAILED;
  void* rx = MAP_FAILED;
  if (ftruncate(fd, static_cast<off_t>(size)) == 0) {
    rw = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    // Never writable: the executable view is mapped read+execute at once.
    rx = mmap(nullptr, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  }
  close(fd);  // the mappings keep the memory
  if (rw == MAP_FAILED || rx == MAP_FAILED) {
    if (rw != MAP_FAILED) munmap(rw, size);
    if (rx != MAP_FAILED) munmap(rx, size);
    return false;
  }
  start_chunk(rx, rw, size);
  return true;
}

asmjit::Error CodeCache::alloc(void** rx, void** rw, size_t size) {
  if (size == 0 || size > (size_t{1} << 30)) return asmjit::kErrorInvalidArgument;
  size = (size + kAlign - 1) & ~(kAlign - 1);
  std::lock_guard<std::mutex> lock(mutex_);
  if (chunks_.empty() || chunks_.back().size - used_ < size) {
    if (!add_chunk(size)) return asmjit::kErrorOutOfMemory;
  }
  const Chunk& c = chunks_.back();
  *rx = c.rx + used_;
  *rw = c.rw + used_;
  used_ += size;
  if (used_ > populated_) {
    // The next window of both views at once, rather than two faults a page
    // as blocks are written and then run (vm/prefault.h).
    size_t end = (used_ + kPopulateWindow - 1) / kPopulateWindow * kPopulateWindow;
    if (end > c.size) end = c.size;
    vm::prefault_write(c.rw + populated_, end - populated_);
    vm::prefault_read(c.rx + populated_, end - populated_);
    populated_ = end;
  }
  return asmjit::kErrorOk;
}

}  // namespace capvm::translator
