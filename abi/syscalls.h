// CloudABI system call numbers: the order of the syscall entries in
// cloudabi.txt, from 0 (clock_res_get) to 48 (thread_yield); see spec/syscalls.txt.
#pragma once
#include <cstdint>

namespace capvm::abi {

enum class Sys : uint32_t {
  clock_res_get = 0,
  clock_time_get = 1,
  condvar_signal = 2,
  fd_close = 3,
  fd_create1 = 4,
  fd_create2 = 5,
  fd_datasync = 6,
  fd_dup = 7,
  fd_pread = 8,
  fd_pwrite = 9,
  fd_read = 10,
  fd_replace = 11,
  fd_seek = 12,
  fd_stat_get = 13,
  fd_stat_put = 14,
  fd_sync = 15,
  fd_write = 16,
  file_advise = 17,
  file_allocate = 18,
  file_create = 19,
  file_link = 20,
  file_open = 21,
  file_readdir = 22,
  file_readlink = 23,
  file_rename = 24,
  file_stat_fget = 25,
  file_stat_fput = 26,
  file_stat_get = 27,
  file_stat_put = 28,
  file_symlink = 29,
  file_unlink = 30,
  lock_unlock = 31,
  mem_advise = 32,
  mem_map = 33,
  mem_protect = 34,
  mem_sync = 35,
  mem_unmap = 36,
  poll = 37,
  proc_exec = 38,
  proc_exit = 39,
  proc_fork = 40,
  proc_raise = 41,
  random_get = 42,
  sock_recv = 43,
  sock_send = 44,
  sock_shutdown = 45,
  thread_create = 46,
  thread_exit = 47,
  thread_yield = 48,
};

inline constexpr uint32_t kSyscallCount = 49;

// How a syscall's arguments are laid out (spec/syscalls.txt): `inputs` is the
// number of integer arguments (a crange/range counts two: pointer, length;
// a lookup counts one), `output_sizes` the byte size of each output, which the
// vDSO convention returns through trailing pointer arguments.
struct SyscallShape {
  const char* name;
  uint8_t inputs;
  uint8_t outputs;
  uint8_t output_sizes[2];
  bool noreturn;
};

// The shapes, indexed by number (syscalls.cpp).
extern const SyscallShape kSyscallShapes[kSyscallCount];

// Shape of syscall `number`; nullptr for a number outside the table.
inline const SyscallShape* syscall_shape(uint32_t number) {
  return number < kSyscallCount ? &kSyscallShapes[number] : nullptr;
}
// "fd_read" for Sys::fd_read; nullptr for a number outside the table.
const char* syscall_name(uint32_t number);

}  // namespace capvm::abi
