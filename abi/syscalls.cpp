// Shapes of CloudABI system calls, indexed by number (read off spec/syscalls.txt).
#include "abi/syscalls.h"

namespace capvm::abi {

const SyscallShape kSyscallShapes[kSyscallCount] = {
    {"clock_res_get", 1, 1, {8, 0}, false},
    {"clock_time_get", 2, 1, {8, 0}, false},
    {"condvar_signal", 3, 0, {0, 0}, false},
    {"fd_close", 1, 0, {0, 0}, false},
    {"fd_create1", 1, 1, {4, 0}, false},
    {"fd_create2", 1, 2, {4, 4}, false},
    {"fd_datasync", 1, 0, {0, 0}, false},
    {"fd_dup", 1, 1, {4, 0}, false},
    {"fd_pread", 4, 1, {8, 0}, false},
    {"fd_pwrite", 4, 1, {8, 0}, false},
    {"fd_read", 3, 1, {8, 0}, false},
    {"fd_replace", 2, 0, {0, 0}, false},
    {"fd_seek", 3, 1, {8, 0}, false},
    {"fd_stat_get", 2, 0, {0, 0}, false},
    {"fd_stat_put", 3, 0, {0, 0}, false},
    {"fd_sync", 1, 0, {0, 0}, false},
    {"fd_write", 3, 1, {8, 0}, false},
    {"file_advise", 4, 0, {0, 0}, false},
    {"file_allocate", 3, 0, {0, 0}, false},
    {"file_create", 4, 0, {0, 0}, false},
    {"file_link", 6, 0, {0, 0}, false},
    {"file_open", 5, 1, {4, 0}, false},
    {"file_readdir", 4, 1, {8, 0}, false},
    {"file_readlink", 5, 1, {8, 0}, false},
    {"file_rename", 6, 0, {0, 0}, false},
    {"file_stat_fget", 2, 0, {0, 0}, false},
    {"file_stat_fput", 3, 0, {0, 0}, false},
    {"file_stat_get", 4, 0, {0, 0}, false},
    {"file_stat_put", 5, 0, {0, 0}, false},
    {"file_symlink", 5, 0, {0, 0}, false},
    {"file_unlink", 4, 0, {0, 0}, false},
    {"lock_unlock", 2, 0, {0, 0}, false},
    {"mem_advise", 3, 0, {0, 0}, false},
    {"mem_map", 6, 1, {8, 0}, false},
    {"mem_protect", 3, 0, {0, 0}, false},
    {"mem_sync", 3, 0, {0, 0}, false},
    {"mem_unmap", 2, 0, {0, 0}, false},
    {"poll", 3, 1, {8, 0}, false},
    {"proc_exec", 5, 0, {0, 0}, false},
    {"proc_exit", 1, 0, {0, 0}, true},
    {"proc_fork", 0, 2, {4, 4}, false},
    {"proc_raise", 1, 0, {0, 0}, false},
    {"random_get", 2, 0, {0, 0}, false},
    {"sock_recv", 3, 0, {0, 0}, false},
    {"sock_send", 3, 0, {0, 0}, false},
    {"sock_shutdown", 2, 0, {0, 0}, false},
    {"thread_create", 1, 1, {4, 0}, false},
    {"thread_exit", 2, 0, {0, 0}, true},
    {"thread_yield", 0, 0, {0, 0}, false},
};

const char* syscall_name(uint32_t number) {
  return number < kSyscallCount ? kSyscallShapes[number].name : nullptr;
}

}  // namespace capvm::abi
