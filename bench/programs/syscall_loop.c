/* syscall_loop (guest only): 200000 clock_time_get calls through the vDSO,
 * the full system-call path of capvm (trap, exit to the dispatcher, hostio,
 * re-entry). Used by capvm_micro_bench (BM_RunProgramSyscalls). Exits 0
 * when every call succeeded and the clock never went backwards. */
#include <cloudabi_syscalls.h>

#define CALLS 200000

int main(void) {
  cloudabi_timestamp_t prev = 0;
  for (int i = 0; i < CALLS; ++i) {
    cloudabi_timestamp_t now = 0;
    if (cloudabi_sys_clock_time_get(CLOUDABI_CLOCK_MONOTONIC, 1, &now) != 0) return 1;
    if (now < prev) return 2;
    prev = now;
  }
  return 0;
}
