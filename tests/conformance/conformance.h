/* Shared by the guest conformance programs: a CHECK macro that prints each
 * failure and counts them, and the cloudabi.txt constants the SDK header
 * does not spell out (values from spec/cloudabi.txt). The program exits 0
 * when every check passed. */
#pragma once
#include <cloudabi_syscalls.h>
#include <stdio.h>
#include <string.h>

static int conf_failures = 0;
static int conf_checks = 0;
#define CHECK_EQ(expr, want)                                                       \
  do {                                                                             \
    long long got_ = (long long)(expr), want_ = (long long)(want);                 \
    ++conf_checks;                                                                 \
    if (got_ != want_) {                                                           \
      ++conf_failures;                                                             \
      printf("FAIL %s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #expr, got_, \
             want_);                                                               \
    }                                                                              \
  } while (0)
#define CONF_DONE(name)                                                        \
  do {                                                                         \
    printf("%s: %d checks, %d failures\n", name, conf_checks, conf_failures); \
    return conf_failures == 0 ? 0 : 1;                                         \
  } while (0)

/* cloudabi.txt: errno */
enum { C_EBADF = 8, C_EFAULT = 21, C_EINVAL = 28, C_ELOOP = 32, C_ENOENT = 44,
       C_ENOTCAPABLE = 76, C_EEXIST = 20, C_EPERM = 63 };
/* cloudabi.txt: rights */
#define C_RIGHT_FD_READ 0x2ull
#define C_RIGHT_FD_SEEK 0x4ull
#define C_RIGHT_FD_STAT_PUT_FLAGS 0x8ull
#define C_RIGHT_FD_SYNC 0x10ull
#define C_RIGHT_FD_TELL 0x20ull
#define C_RIGHT_FD_WRITE 0x40ull
#define C_RIGHT_FILE_OPEN 0x4000ull
#define C_RIGHT_FILE_READDIR 0x8000ull
#define C_RIGHT_FILE_CREATE_FILE 0x400ull
#define C_RIGHT_FILE_CREATE_DIRECTORY 0x200ull
#define C_RIGHT_FILE_UNLINK 0x2000000ull
#define C_RIGHT_MEM_MAP 0x4000000ull
#define C_RIGHT_POLL_FD_READWRITE 0x10000000ull
#define C_RIGHT_SOCK_SHUTDOWN 0x8000000000ull
/* cloudabi.txt: lock, eventtype, scope, fdsflags, fdflags, oflags */
#define C_LOCK_WRLOCKED 0x40000000u
#define C_LOCK_KERNEL_MANAGED 0x80000000u
#define C_EVENTTYPE_CLOCK 1
#define C_EVENTTYPE_CONDVAR 2
#define C_EVENTTYPE_FD_READ 3
#define C_EVENTTYPE_FD_WRITE 4
#define C_EVENTTYPE_LOCK_WRLOCK 6
#define C_SCOPE_PRIVATE 4
#define C_FDSTAT_FLAGS 1
#define C_FDSTAT_RIGHTS 2
#define C_FDFLAG_APPEND 1
#define C_FDFLAG_SYNC 0x10
#define C_OFLAG_CREAT 1
#define C_OFLAG_DIRECTORY 2
#define C_OFLAG_EXCL 4
#define C_FILETYPE_DIRECTORY 0x20
#define C_FILETYPE_REGULAR_FILE 0x60
#define C_FILETYPE_SHARED_MEMORY 0x70
#define C_FILETYPE_SOCKET_DGRAM 0x80
#define C_FILETYPE_SOCKET_STREAM 0x82
#define C_BAD_FD 0xffffffffu
/* Guest addresses that are not guest memory or not mapped. */
#define C_OUTSIDE ((void *)0x100000000ull)
#define C_NULL ((void *)0)
