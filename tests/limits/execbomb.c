/* A fork bomb that execs itself: --max-processes must count a process that
 * called proc_exec as the same process, so the limit holds across exec.
 * Stage 1 (argdata has "self", an !executable) forks one child that execs
 * this program with {stdout: fd 0, stage: "2"}, then waits for it. Stage 2
 * forks until refused and prints how many forks succeeded. With
 * --max-processes=5: the stage-1 parent and the exec'ed child count, so
 * stage 2 gets exactly 3 forks, then EAGAIN. */
#include <argdata.h>

#include "limits_common.h"

enum { kEventProcTerminate = 7 };

int main(void) {
  const argdata_t *ad = capvm_argdata();
  argdata_t v;
  if (argdata_map_get(ad, "stage", &v) == 0) return fork_until_refused("stage 2: ");
  int self_fd = -1, out_fd = -1;
  if (argdata_map_get(ad, "self", &v) != 0 || argdata_get_fd(&v, &self_fd) != 0 ||
      argdata_map_get(ad, "stdout", &v) != 0 || argdata_get_fd(&v, &out_fd) != 0) {
    printf("stage 1: needs self and stdout\n");
    return 1;
  }
  cloudabi_fd_t pfd;
  cloudabi_tid_t tid;
  if (cloudabi_sys_proc_fork(&pfd, &tid) != 0) return 1;
  if (pfd == CLOUDABI_PROCESS_CHILD) {
    /* map { "stdout": fd 0, "stage": "2" } (spec/argdata.md). */
    static const unsigned char data[] = {
        0x06,
        0x88, 0x08, 's', 't', 'd', 'o', 'u', 't', 0x00,
        0x85, 0x03, 0x00, 0x00, 0x00, 0x00,
        0x87, 0x08, 's', 't', 'a', 'g', 'e', 0x00,
        0x83, 0x08, '2', 0x00,
    };
    cloudabi_fd_t fds[1] = {(cloudabi_fd_t)out_fd};
    cloudabi_errno_t e = cloudabi_sys_proc_exec((cloudabi_fd_t)self_fd, data, sizeof data, fds, 1);
    printf("stage 1: proc_exec returned %d\n", e);
    cloudabi_sys_proc_exit(1);
  }
  cloudabi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  sub.type = kEventProcTerminate;
  sub.proc_terminate.fd = pfd;
  cloudabi_event_t ev;
  size_t n = 0;
  if (cloudabi_sys_poll(&sub, &ev, 1, &n) != 0 || n != 1) return 1;
  return ev.proc_terminate.signal == 0 ? ev.proc_terminate.exitcode : 1;
}
