// cli/program_file: reading the YAML and the program, whole and bounded.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "cli/program_file.h"

using capvm::cli::read_regular_file;
using capvm::cli::read_stream;

namespace {
std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 131 + 7);
  return v;
}

// Writes `data` into a pipe from another thread (it may exceed the pipe's
// buffer) and reads it back through read_stream.
bool through_pipe(const std::vector<uint8_t>& data, uint64_t max, uint64_t hint,
                  std::vector<uint8_t>* out, std::string* error) {
  int p[2];
  REQUIRE(pipe(p) == 0);
  std::thread writer([&] {
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = write(p[1], data.data() + off, data.size() - off);
      if (n <= 0) break;  // the reader gave up (EPIPE is ignored by the test runner)
      off += static_cast<size_t>(n);
    }
    close(p[1]);
  });
  const bool ok = read_stream(p[0], max, out, error, hint);
  close(p[0]);
  writer.join();
  return ok;
}
}  // namespace

TEST_CASE("read_stream returns exactly what was written, whatever the size hint", "[cli]") {
  std::signal(SIGPIPE, SIG_IGN);
  for (size_t n : {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}, size_t{65536},
                   size_t{200001}}) {
    for (uint64_t hint : {uint64_t{0}, uint64_t{n}, uint64_t{n / 2}, uint64_t{n * 3 + 10}}) {
      INFO("size " << n << " hint " << hint);
      std::vector<uint8_t> out{1, 2, 3};
      std::string error;
      REQUIRE(through_pipe(pattern(n), 1 << 20, hint, &out, &error));
      CHECK(out == pattern(n));
    }
  }
}

TEST_CASE("read_stream refuses more than the limit, at and past the boundary", "[cli]") {
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<uint8_t> out;
  std::string error;
  CHECK(through_pipe(pattern(5000), 5000, 0, &out, &error));
  CHECK(out.size() == 5000);
  out = {9};
  CHECK_FALSE(through_pipe(pattern(5001), 5000, 0, &out, &error));
  CHECK(error == "larger than 5000 bytes");
  CHECK(out == std::vector<uint8_t>{9});  // untouched on failure
  error.clear();
  CHECK_FALSE(through_pipe(pattern(100000), 5000, 5000, &out, &error));
  CHECK(error == "larger than 5000 bytes");
}

TEST_CASE("read_regular_file reads files and refuses what is not one", "[cli]") {
  char path[] = "/tmp/capvm-program-file-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  const std::vector<uint8_t> data = pattern(12345);
  REQUIRE(write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  close(fd);
  std::vector<uint8_t> out;
  std::string error;
  CHECK(read_regular_file(path, 1 << 20, &out, &error));
  CHECK(out == data);
  CHECK_FALSE(read_regular_file(path, 12344, &out, &error));
  CHECK(error == "larger than 12344 bytes");
  unlink(path);
  CHECK_FALSE(read_regular_file(path, 1 << 20, &out, &error));
  CHECK(error == "No such file or directory");
  CHECK_FALSE(read_regular_file("/tmp", 1 << 20, &out, &error));
  CHECK(error == "is a directory");
  CHECK_FALSE(read_regular_file("/dev/null", 1 << 20, &out, &error));
  CHECK(error == "not a regular file");
}
