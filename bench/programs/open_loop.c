/* open_loop: 50000 rounds of what the web server (examples/webserver) does
 * for each request, minus the network: open a file beneath a directory
 * descriptor, stat it through the new descriptor, read it, close it. Four
 * system calls a round, each through capvm's whole path and heavier in the
 * host-IO layer than a write (path copy and resolution, a new descriptor
 * with its rights, a filestat conversion). bench/syscall.sh times it.
 *
 * Guest: its YAML gives `root: !file {path: DIR}` (and stdout). Natively:
 * open_loop DIR. DIR must hold index.html (examples/webserver/www does).
 * Prints the number of bytes read in total, so runs can be compared. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 50000
#define FILE_NAME "index.html"

static char buf[65536];

#ifdef __CloudABI__
#include <argdata.h>
#include <cloudabi_syscalls.h>

/* Rights bits (cloudabi.txt, cloudabi_rights_t). */
#define RIGHT_FD_READ 0x0000000000000002ull
#define RIGHT_FILE_STAT_FGET 0x0000000000080000ull

static int g_root = -1;

static int setup(int argc, char **argv) {
  (void)argc;
  (void)argv;
  argdata_t v;
  return argdata_map_get(capvm_argdata(), "root", &v) == 0 && argdata_get_fd(&v, &g_root) == 0 ? 0 : -1;
}

/* Bytes of FILE_NAME (read to the end), or -1. */
static long round_trip(void) {
  cloudabi_lookup_t dir = {(cloudabi_fd_t)g_root, CLOUDABI_LOOKUP_SYMLINK_FOLLOW};
  cloudabi_fdstat_t want;
  memset(&want, 0, sizeof want);
  want.fs_rights_base = RIGHT_FD_READ | RIGHT_FILE_STAT_FGET;
  cloudabi_fd_t f;
  if (cloudabi_sys_file_open(dir, FILE_NAME, strlen(FILE_NAME), 0, &want, &f) != 0) return -1;
  cloudabi_filestat_t st;
  long total = -1;
  if (cloudabi_sys_file_stat_fget(f, &st) == 0) {
    cloudabi_iovec_t iov = {buf, sizeof buf < st.st_size + 1 ? sizeof buf : (size_t)st.st_size + 1};
    size_t got = 0;
    if (cloudabi_sys_fd_read(f, &iov, 1, &got) == 0) total = (long)got;
  }
  cloudabi_sys_fd_close(f);
  return total;
}
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/openat2.h>
#endif

static int g_root = -1;

static int setup(int argc, char **argv) {
  if (argc != 2) return -1;
  g_root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return g_root >= 0 ? 0 : -1;
}

/* Opened the way the native web server opens its files (and capvm opens a
 * guest's): confined beneath the directory by the kernel when it can. */
static int open_beneath(const char *path) {
#if defined(__linux__) && defined(SYS_openat2)
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const int f = (int)syscall(SYS_openat2, g_root, path, &how, sizeof how);
  if (f >= 0 || errno != ENOSYS) return f;
#endif
  return openat(g_root, path, O_RDONLY | O_CLOEXEC);
}

static long round_trip(void) {
  int f = open_beneath(FILE_NAME);
  if (f < 0) return -1;
  struct stat st;
  long total = -1;
  if (fstat(f, &st) == 0) {
    size_t want = sizeof buf < (size_t)st.st_size + 1 ? sizeof buf : (size_t)st.st_size + 1;
    total = (long)read(f, buf, want);
  }
  close(f);
  return total;
}
#endif

int main(int argc, char **argv) {
  if (setup(argc, argv) != 0) {
    fprintf(stderr, "open_loop: needs a directory (natively: open_loop DIR; as a guest: root: !file {path: DIR})\n");
    return 2;
  }
  long long bytes = 0;
  for (int i = 0; i < ROUNDS; ++i) {
    const long n = round_trip();
    if (n < 0) {
      fprintf(stderr, "open_loop: round %d failed\n", i);
      return 1;
    }
    bytes += n;
  }
  printf("%d rounds, %lld bytes\n", ROUNDS, bytes);
  return 0;
}
