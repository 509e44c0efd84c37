// Reading whole files the launcher is given: the program and the YAML.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace capvm::cli {

// Largest program or configuration file read (the sandbox is 4 GiB at most).
inline constexpr uint64_t kMaxProgramSize = uint64_t{1} << 30;
inline constexpr uint64_t kMaxConfigSize = uint64_t{16} << 20;

// Reads the regular file at `path`. Directories, devices, FIFOs, missing or
// unreadable files fail with a one-line *error (no file name in it).
bool read_regular_file(const std::string& path, uint64_t max_size, std::vector<uint8_t>* out,
                       std::string* error);

// Reads an already open descriptor (stdin) to its end. `size_hint`: the
// expected size (a regular file's), so the data is read in place, once.
bool read_stream(int fd, uint64_t max_size, std::vector<uint8_t>* out, std::string* error,
                 uint64_t size_hint = 0);

// Reads the program and checks it is a CloudABI executable that fits a
// sandbox of `sandbox_size` bytes: "ELF: <reason>" on failure.
bool read_program(const std::string& path, uint64_t sandbox_size, std::vector<uint8_t>* out,
                  std::string* error);

}  // namespace capvm::cli
