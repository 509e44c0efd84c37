/* Writes through the raw trap convention (capvm_raw.h: `syscall` / `svc #0`)
 * next to ordinary vDSO-based stdio; natively the same text is printed with
 * stdio, so the outputs compare equal. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#ifdef __CloudABI__
#include <argdata.h>
#include <capvm_raw.h>

static void raw_write(const char *s) {
  const argdata_t *ad = capvm_argdata();
  argdata_t v;
  int fd;
  if (argdata_map_get(ad, "stdout", &v) != 0 || argdata_get_fd(&v, &fd) != 0) return;
  fflush(stdout);
  capvm_raw_ciovec_t iov = {s, strlen(s)};
  size_t n = 0;
  unsigned short e = capvm_raw_fd_write((unsigned)fd, &iov, 1, &n);
  if (e != 0 || n != iov.buf_len) printf("raw fd_write failed: errno %u wrote %zu\n", e, n);
}

static int raw_clock_ok(void) {
  uint64_t t1 = 0, t2 = 0;
  if (capvm_raw_clock_time_get(1, 0, &t1) != 0 || capvm_raw_clock_time_get(1, 0, &t2) != 0)
    return 0;
  return t2 >= t1 && t1 != 0;
}

static int raw_mem_ok(void) {
  void *p = NULL;
  if (capvm_raw_mem_map(NULL, 65536, 0x04 | 0x02, 0x01 | 0x04, 0xffffffffu, 0, &p) != 0) return 0;
  memset(p, 0x5a, 65536);
  int ok = ((unsigned char *)p)[65535] == 0x5a;
  return ok && capvm_raw_mem_unmap(p, 65536) == 0;
}

static int raw_bad_fd(void) {
  capvm_raw_ciovec_t iov = {"x", 1};
  size_t n;
  return capvm_raw_fd_write(9999, &iov, 1, &n) == 8; /* EBADF */
}
#else
static void raw_write(const char *s) { fputs(s, stdout); }
static int raw_clock_ok(void) { return 1; }
static int raw_mem_ok(void) { return 1; }
static int raw_bad_fd(void) { return 1; }
#endif

int main(void) {
  printf("before raw write\n");
  raw_write("written by a raw trap\n");
  printf("after raw write\n");
  printf("raw clock_time_get ok: %d\n", raw_clock_ok());
  printf("raw mem_map/unmap ok: %d\n", raw_mem_ok());
  printf("raw fd_write to a bad fd gives EBADF: %d\n", raw_bad_fd());
  return 0;
}
