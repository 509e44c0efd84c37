#include "cli/program_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vm/elf_loader.h"

namespace capvm::cli {

bool read_stream(int fd, uint64_t max_size, std::vector<uint8_t>* out, std::string* error) {
  std::vector<uint8_t> data;
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > max_size) {
      *error = "larger than " + std::to_string(max_size) + " bytes";
      return false;
    }
    data.insert(data.end(), buf, buf + n);
  }
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
    ok = read_stream(fd, max_size, out, error);
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
