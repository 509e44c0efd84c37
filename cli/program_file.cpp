#include "cli/program_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "vm/elf_loader.h"

namespace capvm::cli {

bool read_stream(int fd, uint64_t max_size, std::vector<uint8_t>* out, std::string* error,
                 uint64_t size_hint) {
  // Straight into the vector, which grows geometrically: no bounce buffer,
  // and no more memory touched than the data needs (start-up time is mostly
  // first touches of pages). One byte beyond the hint lets the read that
  // sees end of file land without growing.
  const uint64_t limit = max_size < UINT64_MAX ? max_size + 1 : max_size;
  std::vector<uint8_t> data(std::min<uint64_t>(std::max<uint64_t>(size_hint + 1, 4096), limit));
  size_t used = 0;
  for (;;) {
    if (used == data.size()) {
      if (data.size() >= limit) {
        *error = "larger than " + std::to_string(max_size) + " bytes";
        return false;
      }
      data.resize(std::min<uint64_t>(uint64_t{data.size()} * 2, limit));
    }
    const ssize_t n = read(fd, data.data() + used, data.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
    if (used > max_size) {
      *error = "larger than " + std::to_string(max_size) + " bytes";
      return false;
    }
  }
  data.resize(used);
  *out = std::move(data);
  return true;
}

bool read_regular_file(const std::string& path, uint64_t max_size, std::vector<uint8_t>* out,
                       std::string* error) {
  // O_NONBLOCK: opening a FIFO must not hang before it is refused below.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct stat st;
  bool ok = false;
  if (fstat(fd, &st) != 0) {
    *error = std::strerror(errno);
  } else if (S_ISDIR(st.st_mode)) {
    *error = "is a directory";
  } else if (!S_ISREG(st.st_mode)) {
    *error = "not a regular file";
  } else if (static_cast<uint64_t>(st.st_size) > max_size) {
    *error = "larger than " + std::to_string(max_size) + " bytes";
  } else {
    ok = read_stream(fd, max_size, out, error, static_cast<uint64_t>(st.st_size));
  }
  close(fd);
  return ok;
}

bool read_program(const std::string& path, uint64_t sandbox_size, std::vector<uint8_t>* out,
                  std::string* error) {
  std::vector<uint8_t> data;
  if (!read_regular_file(path, kMaxProgramSize, &data, error)) return false;
  std::string reason;
  if (!vm::validate_elf(data.data(), data.size(), nullptr, &reason, sandbox_size)) {
    *error = "ELF: " + reason;
    return false;
  }
  *out = std::move(data);
  return true;
}

}  // namespace capvm::cli
