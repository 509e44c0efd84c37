// Host system calls made inline, in the function that needs them, instead
// of through libc's wrappers.
//
// Why: this host's kernel leaves the return stack buffer useless after each
// system call (a Spectre mitigation), so every `ret` from a frame entered
// before the call mispredicts, ~8 ns a level on the measured machine
// (bench/README.md, "A new machine, a call-heavy program"). A libc wrapper
// is one such frame on every call the guest makes; issued here, the call
// sits in its caller's own frame. Same results as the wrappers: the call's value, or
// -1 with errno set.
//
// x86-64 and aarch64 Linux (the hosts capvm builds for); anything else uses
// libc.
#pragma once

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace capvm::hostio::host {

#if defined(__x86_64__) || defined(__aarch64__)
namespace detail {
// Arguments go to the registers as they are (pointers too, with no cast).
template <class A, class B, class C, class D, class E, class F>
[[gnu::always_inline]] inline long syscall6(long nr, A a, B b, C c, D d, E e, F f) {
#if defined(__x86_64__)
  register D r10 asm("r10") = d;
  register E r8 asm("r8") = e;
  register F r9 asm("r9") = f;
  long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
#else
  register long x8 asm("x8") = nr;
  register A x0 asm("x0") = a;
  register B x1 asm("x1") = b;
  register C x2 asm("x2") = c;
  register D x3 asm("x3") = d;
  register E x4 asm("x4") = e;
  register F x5 asm("x5") = f;
  register long ret asm("x0");
  asm volatile("svc #0"
               : "=r"(ret)
               : "r"(x8), "r"(x0), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
               : "memory");
  return ret;
#endif
}
// The kernel's -errno as libc reports it.
[[gnu::always_inline]] inline long result(long r) {
  if (static_cast<unsigned long>(r) > static_cast<unsigned long>(-4096L)) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}
}  // namespace detail

[[gnu::always_inline]] inline ssize_t read(int fd, void* buf, size_t len) {
  return detail::result(detail::syscall6(SYS_read, long{fd}, buf, len, 0L, 0L, 0L));
}
[[gnu::always_inline]] inline ssize_t write(int fd, const void* buf, size_t len) {
  return detail::result(detail::syscall6(SYS_write, long{fd}, buf, len, 0L, 0L, 0L));
}
[[gnu::always_inline]] inline ssize_t recv(int fd, void* buf, size_t len, int flags) {
  return detail::result(detail::syscall6(SYS_recvfrom, long{fd}, buf, len, long{flags}, 0L, 0L));
}
[[gnu::always_inline]] inline ssize_t send(int fd, const void* buf, size_t len, int flags) {
  return detail::result(detail::syscall6(SYS_sendto, long{fd}, buf, len, long{flags}, 0L, 0L));
}
[[gnu::always_inline]] inline int close(int fd) {
  return static_cast<int>(
      detail::result(detail::syscall6(SYS_close, long{fd}, 0L, 0L, 0L, 0L, 0L)));
}
[[gnu::always_inline]] inline int fstat(int fd, struct stat* st) {
  return static_cast<int>(
      detail::result(detail::syscall6(SYS_fstat, long{fd}, st, 0L, 0L, 0L, 0L)));
}
#ifdef SYS_openat2
// openat2(2): how is a struct open_how of how_size bytes.
[[gnu::always_inline]] inline int openat2(int dirfd, const char* path, const void* how,
                                          size_t how_size) {
  return static_cast<int>(
      detail::result(detail::syscall6(SYS_openat2, long{dirfd}, path, how, how_size, 0L, 0L)));
}
#endif
#else
inline ssize_t read(int fd, void* buf, size_t len) { return ::read(fd, buf, len); }
inline ssize_t write(int fd, const void* buf, size_t len) { return ::write(fd, buf, len); }
inline ssize_t recv(int fd, void* buf, size_t len, int flags) {
  return ::recv(fd, buf, len, flags);
}
inline ssize_t send(int fd, const void* buf, size_t len, int flags) {
  return ::send(fd, buf, len, flags);
}
inline int close(int fd) { return ::close(fd); }
inline int fstat(int fd, struct stat* st) { return ::fstat(fd, st); }
#endif

}  // namespace capvm::hostio::host
