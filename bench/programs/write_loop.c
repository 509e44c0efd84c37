/* write_loop: 300000 one-byte writes to standard output (run with it on
 * /dev/null): a system call that enters the host kernel, natively and
 * through capvm's whole path (trap, exit, hostio, fd lookup and rights,
 * iovec checks, the host write, re-entry). bench/syscall.sh times it. */
#include <stdio.h>

#define CALLS 300000

#ifdef __CloudABI__
#include <cloudabi_syscalls.h>
static int put1(int fd, const char *c) {
  cloudabi_ciovec_t iov = {c, 1};
  size_t n = 0;
  return cloudabi_sys_fd_write((cloudabi_fd_t)fd, &iov, 1, &n) == 0 && n == 1;
}
#else
#include <unistd.h>
static int put1(int fd, const char *c) { return write(fd, c, 1) == 1; }
#endif

int main(void) {
  const int fd = fileno(stdout);
  const char c = 'x';
  for (int i = 0; i < CALLS; ++i)
    if (!put1(fd, &c)) return 1;
  return 0;
}
