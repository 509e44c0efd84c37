/* proc_fork, proc_terminate events, proc_raise in a child, and proc_exec
 * (cloudabi.txt: proc_fork, proc_exec, poll proc_terminate). Stage 1 runs
 * the checks, then execs this same program (the "self" !executable) with a
 * new argdata {stdout: fd 0, stage: "2"} and only its stdout; stage 2
 * checks what it received and exits 0. */
#include <argdata.h>

#include "conformance.h"

enum { kFiletypeSocketStream = 0x82, kEventProcTerminate = 7, kSignalAbrt = 1 };

static int wait_child(cloudabi_fd_t pfd, cloudabi_event_t *ev) {
  cloudabi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  sub.type = kEventProcTerminate;
  sub.proc_terminate.fd = pfd;
  size_t n = 0;
  cloudabi_errno_t e = cloudabi_sys_poll(&sub, ev, 1, &n);
  return e == 0 && n == 1 ? 0 : -1;
}

static int stage2(const argdata_t *ad) {
  argdata_t v;
  const char *s;
  size_t len;
  CHECK_EQ(argdata_map_get(ad, "stage", &v), 0);
  CHECK_EQ(argdata_get_str(&v, &s, &len), 0);
  CHECK_EQ(len == 1 && s[0] == '2', 1);
  /* Only the listed fd came along: fd 1 (the old "self") is gone. */
  cloudabi_fdstat_t st;
  CHECK_EQ(cloudabi_sys_fd_stat_get(1, &st), C_EBADF);
  CHECK_EQ(cloudabi_sys_fd_stat_get(0, &st), 0);
  printf("exec stage 2 ok\n");
  CONF_DONE("proc(stage 2)");
}

int main(void) {
  const argdata_t *ad = capvm_argdata();
  argdata_t v;
  if (argdata_map_get(ad, "stage", &v) == 0) return stage2(ad);

  /* 1. A child writes to a socket the parent reads; its exit code arrives
   * as a proc_terminate event on the process fd. */
  cloudabi_fd_t s0, s1;
  CHECK_EQ(cloudabi_sys_fd_create2(kFiletypeSocketStream, &s0, &s1), 0);
  cloudabi_fd_t pfd;
  cloudabi_tid_t tid;
  CHECK_EQ(cloudabi_sys_proc_fork(&pfd, &tid), 0);
  if (pfd == CLOUDABI_PROCESS_CHILD) {
    /* The child's tid names its only thread (the parent's is undefined). */
    const char *msg = tid != 0 ? "hello from the child" : "child without a tid";
    cloudabi_ciovec_t iov = {msg, strlen(msg)};
    size_t n;
    cloudabi_sys_fd_write(s1, &iov, 1, &n);
    cloudabi_sys_proc_exit(7);
  }
  char buf[64] = {0};
  cloudabi_iovec_t iov = {buf, sizeof buf - 1};
  size_t got = 0;
  CHECK_EQ(cloudabi_sys_fd_read(s0, &iov, 1, &got), 0);
  CHECK_EQ(strcmp(buf, "hello from the child"), 0);
  cloudabi_event_t ev;
  CHECK_EQ(wait_child(pfd, &ev), 0);
  CHECK_EQ(ev.type, kEventProcTerminate);
  CHECK_EQ(ev.error, 0);
  CHECK_EQ(ev.proc_terminate.signal, 0);
  CHECK_EQ(ev.proc_terminate.exitcode, 7);
  CHECK_EQ(cloudabi_sys_fd_close(pfd), 0);

  /* 2. A child that raises SIGABRT is reported as killed by it. */
  CHECK_EQ(cloudabi_sys_proc_fork(&pfd, &tid), 0);
  if (pfd == CLOUDABI_PROCESS_CHILD) {
    cloudabi_sys_proc_raise(kSignalAbrt);
    cloudabi_sys_proc_exit(99);
  }
  CHECK_EQ(wait_child(pfd, &ev), 0);
  CHECK_EQ(ev.proc_terminate.signal, kSignalAbrt);
  CHECK_EQ(cloudabi_sys_fd_close(pfd), 0);

  /* 3. exec this program again, with a new argdata and only stdout. */
  argdata_t self;
  int self_fd = -1, out_fd = -1;
  CHECK_EQ(argdata_map_get(ad, "self", &self), 0);
  CHECK_EQ(argdata_get_fd(&self, &self_fd), 0);
  CHECK_EQ(argdata_map_get(ad, "stdout", &v), 0);
  CHECK_EQ(argdata_get_fd(&v, &out_fd), 0);
  if (conf_failures != 0) CONF_DONE("proc(stage 1)");
  printf("proc(stage 1): %d checks, 0 failures\n", conf_checks);
  fflush(stdout);
  /* map { "stdout": fd 0, "stage": "2" } per spec/argdata.md. */
  static const unsigned char data[] = {
      0x06,                                                        /* map */
      0x88, 0x08, 's', 't', 'd', 'o', 'u', 't', 0x00,              /* "stdout" */
      0x85, 0x03, 0x00, 0x00, 0x00, 0x00,                          /* fd 0 */
      0x87, 0x08, 's', 't', 'a', 'g', 'e', 0x00,                   /* "stage" */
      0x83, 0x08, '2', 0x00,                                       /* "2" */
  };
  cloudabi_fd_t fds[1] = {(cloudabi_fd_t)out_fd};
  cloudabi_errno_t e = cloudabi_sys_proc_exec((cloudabi_fd_t)self_fd, data, sizeof data, fds, 1);
  printf("FAIL: proc_exec returned %d\n", e);
  return 1;
}
