/* The hello.c of cloudabi-run.1 (EXAMPLES), for the guest SDK: writes
 * "Hello, world" to every descriptor in the top-level sequence. The SDK's
 * entry is main() with capvm_argdata() instead of program_main(ad), and
 * there is no dprintf, so the write goes through fd_write. */
#include <argdata.h>
#include <cloudabi_syscalls.h>

int main(void) {
  argdata_iter_t it;
  argdata_t value;
  if (argdata_seq_iterate(capvm_argdata(), &it) != 0) return 1;
  while (argdata_seq_next(&it, &value)) {
    int fd;
    if (argdata_get_fd(&value, &fd) == 0) {
      static const char msg[] = "Hello, world\n";
      cloudabi_ciovec_t iov = {msg, sizeof msg - 1};
      size_t written;
      cloudabi_sys_fd_write((cloudabi_fd_t)fd, &iov, 1, &written);
    }
  }
  return 0;
}
