/* System call arguments that point outside the guest's memory, wrap, or name
 * descriptors without the right: each call fails with its errno, nothing is
 * written, and the guest keeps running. Case "pointers": fd_write/fd_read
 * with bad iovec arrays and buffers (EFAULT). Case "fds": fd 0xffffffff
 * (EBADF), writing to read-only descriptors (ENOTCAPABLE). Case "raw": the
 * same through the raw trap convention, and unknown syscall numbers (ENOSYS).
 * Case "vdso_stack" (x86_64): a vDSO stub entered by a jump with the stack
 * pointer on an unmapped page: the call is served, then the stub's ret (which
 * capvm performs itself after a stub's call) cannot pop, and the guest is
 * killed at the stub with the stack address named. */
#include <capvm_raw.h>

#include "sandbox.h"

#define RW (CLOUDABI_PROT_READ | CLOUDABI_PROT_WRITE)
#define ANON (CLOUDABI_MAP_ANON | CLOUDABI_MAP_PRIVATE)

static char msg[] = "SHOULD NOT APPEAR\n";

static int wr(int fd, const cloudabi_ciovec_t *iov, size_t n, size_t *written) {
  *written = 12345;
  return cloudabi_sys_fd_write(fd, iov, n, written);
}

#define CHECK_WRITE(label, fd, iov, n)                                    \
  do {                                                                    \
    size_t nw;                                                            \
    int e = wr(fd, iov, n, &nw);                                          \
    say("%s: errno %d%s", label, e, e != 0 && nw != 12345 ? " (result written)" : ""); \
  } while (0)

static int pointers(void) {
  int out = probe_fd("stdout");
  uint8_t *page = NULL;
  if (cloudabi_sys_mem_map(NULL, 8192, RW, ANON, CLOUDABI_MAP_ANON_FD, 0, (void **)&page) != 0) {
    say("mem_map failed");
    return 2;
  }
  /* Second page made unmapped: a hole right after a valid page. */
  cloudabi_sys_mem_unmap(page + 4096, 4096);

  cloudabi_ciovec_t good = {msg, sizeof msg - 1};
  cloudabi_ciovec_t iov;

  CHECK_WRITE("iovs null", out, (const cloudabi_ciovec_t *)0, 1);
  CHECK_WRITE("iovs 0xffffffff00000000", out, (const cloudabi_ciovec_t *)0xffffffff00000000ull, 1);
  CHECK_WRITE("iovs 0x100000000", out, (const cloudabi_ciovec_t *)0x100000000ull, 1);
  CHECK_WRITE("iovs 0xfffffff8", out, (const cloudabi_ciovec_t *)0xfffffff8ull, 1);
  CHECK_WRITE("iovs in hole", out, (const cloudabi_ciovec_t *)(page + 4096), 1);
  /* The array starts on a valid page and runs into the hole. */
  memcpy(page + 4096 - sizeof good, &good, sizeof good);
  CHECK_WRITE("iovs straddle hole", out, (const cloudabi_ciovec_t *)(page + 4096 - sizeof good), 2);
  CHECK_WRITE("iovs_len 2^40", out, &good, (size_t)1 << 40);
  /* 16 * n wraps to 32: two valid-looking iovecs if the size overflowed. */
  {
    cloudabi_ciovec_t two[2] = {good, good};
    CHECK_WRITE("iovs_len wraps size", out, two, ((size_t)1 << 60) + 2);
  }
  CHECK_WRITE("iovs_len SIZE_MAX", out, &good, SIZE_MAX);

  iov.buf = (const void *)0x100000000ull; iov.buf_len = 1;
  CHECK_WRITE("buf 0x100000000", out, &iov, 1);
  iov.buf = (const void *)0xdeadbeefcafebabeull; iov.buf_len = 4;
  CHECK_WRITE("buf 0xdeadbeefcafebabe", out, &iov, 1);
  iov.buf = NULL; iov.buf_len = 1;
  CHECK_WRITE("buf null", out, &iov, 1);
  iov.buf = (const void *)0xfffffff0ull; iov.buf_len = 0x20;
  CHECK_WRITE("buf 0xfffffff0 len 0x20", out, &iov, 1);
  iov.buf = (const void *)0xfffffffffffffff0ull; iov.buf_len = 0x20;
  CHECK_WRITE("buf+len wraps 2^64", out, &iov, 1);
  iov.buf = msg; iov.buf_len = SIZE_MAX;
  CHECK_WRITE("len SIZE_MAX", out, &iov, 1);
  iov.buf = msg; iov.buf_len = ((size_t)1 << 32) + 4;
  CHECK_WRITE("len 2^32+4", out, &iov, 1);
  iov.buf = page + 4096 - 4; iov.buf_len = 8;
  memcpy(page + 4096 - 4, "SHOU", 4);
  CHECK_WRITE("buf straddles hole", out, &iov, 1);
  {
    cloudabi_ciovec_t mixed[2] = {good, {(const void *)0x100000000ull, 1}};
    CHECK_WRITE("second iovec bad", out, mixed, 2);
  }

  /* fd_read into a read-only page, from a readable file. */
  int exe = probe_fd("exe");
  uint8_t *ro = NULL;
  if (cloudabi_sys_mem_map(NULL, 4096, RW, ANON, CLOUDABI_MAP_ANON_FD, 0, (void **)&ro) != 0) {
    say("mem_map failed");
    return 2;
  }
  ro[0] = 0x11;
  say("protect r: %d", cloudabi_sys_mem_protect(ro, 4096, CLOUDABI_PROT_READ));
  {
    cloudabi_iovec_t riov = {ro, 16};
    size_t nr = 12345;
    int e = cloudabi_sys_fd_read(exe, &riov, 1, &nr);
    say("fd_read into read-only page: errno %d, page unchanged: %d", e, ro[0] == 0x11);
    riov.buf = (void *)0x100000000ull;
    say("fd_read into 0x100000000: errno %d", cloudabi_sys_fd_read(exe, &riov, 1, &nr));
    riov.buf = page + 4096 - 8;
    say("fd_read straddling hole: errno %d", cloudabi_sys_fd_read(exe, &riov, 1, &nr));
    riov.buf = (void *)msg;
    say("fd_read zero iovecs: errno %d", cloudabi_sys_fd_read(exe, &riov, 0, &nr));
  }
  /* Results written through bad pointers (the vDSO convention's outputs):
   * EFAULT, nothing written. 8 bytes (a timestamp) and 4 (an fd). */
  say("clock_time_get into read-only page: errno %d, page unchanged: %d",
      cloudabi_sys_clock_time_get(CLOUDABI_CLOCK_MONOTONIC, 0, (cloudabi_timestamp_t *)ro),
      ro[0] == 0x11);
  say("clock_time_get into 0x100000000: errno %d",
      cloudabi_sys_clock_time_get(CLOUDABI_CLOCK_MONOTONIC, 0,
                                  (cloudabi_timestamp_t *)0x100000000ull));
  say("clock_time_get straddling hole: errno %d",
      cloudabi_sys_clock_time_get(CLOUDABI_CLOCK_MONOTONIC, 0,
                                  (cloudabi_timestamp_t *)(page + 4096 - 4)));
  say("fd_dup into read-only page: errno %d, page unchanged: %d",
      cloudabi_sys_fd_dup(out, (cloudabi_fd_t *)ro), ro[0] == 0x11);
  say("fd_dup into null: errno %d", cloudabi_sys_fd_dup(out, (cloudabi_fd_t *)0));
  say("still running");
  return 0;
}

static int fds(void) {
  cloudabi_ciovec_t good = {msg, sizeof msg - 1};
  CHECK_WRITE("fd 0xffffffff", 0xffffffff, &good, 1);
  CHECK_WRITE("fd 0x7fffffff", 0x7fffffff, &good, 1);
  CHECK_WRITE("fd stdin (read-only)", probe_fd("stdin"), &good, 1);
  CHECK_WRITE("fd executable (read-only file)", probe_fd("exe"), &good, 1);
  say("still running");
  return 0;
}

static int raw(void) {
  int out = probe_fd("stdout");
  size_t n = 0;
  capvm_raw_ciovec_t good = {msg, sizeof msg - 1};
  capvm_raw_ciovec_t bad = {(const void *)0x100000000ull, 4};
  say("raw iovs null: errno %d", capvm_raw_fd_write(out, NULL, 1, &n));
  say("raw iovs 0xffffffff00000000: errno %d",
      capvm_raw_fd_write(out, (const capvm_raw_ciovec_t *)0xffffffff00000000ull, 1, &n));
  say("raw buf 0x100000000: errno %d", capvm_raw_fd_write(out, &bad, 1, &n));
  say("raw iovs_len 2^40: errno %d", capvm_raw_fd_write(out, &good, (size_t)1 << 40, &n));
  say("raw fd 0xffffffff: errno %d", capvm_raw_fd_write(0xffffffffu, &good, 1, &n));
  say("raw mem_map w|x: errno %d",
      capvm_raw_mem_map(NULL, 4096, CLOUDABI_PROT_WRITE | CLOUDABI_PROT_EXEC, ANON,
                        CLOUDABI_MAP_ANON_FD, 0, NULL));
  say("raw syscall 57: errno %d", capvm_raw_syscall(57, 0, 0, 0, 0, 0, 0, NULL, NULL));
  say("raw syscall 1000: errno %d", capvm_raw_syscall(1000, 0, 0, 0, 0, 0, 0, NULL, NULL));
  say("raw syscall 0xffffffff: errno %d",
      capvm_raw_syscall(0xffffffffu, 0, 0, 0, 0, 0, 0, NULL, NULL));
  say("still running");
  return 0;
}

#if defined(__x86_64__)
extern void *__capvm_vdso[] __attribute__((visibility("hidden")));

static int vdso_stack(void) {
  static cloudabi_timestamp_t now;
  void *stub = __capvm_vdso[1]; /* clock_time_get */
  /* clock_time_get(monotonic, 0, &now) with rsp = 0x10 (the null guard). */
  __asm__ volatile("mov $0x10, %%rsp\n\tjmp *%0"
                   :
                   : "r"(stub), "D"(1), "S"(0), "d"(&now)
                   : "memory");
  say("not reached");
  return 1;
}

/* A vDSO call served in place (the light vDSO syscall stub): the vector
 * registers, dead across a C call, come back zeroed (no host value reaches
 * the guest); MXCSR, rbx and r12-r15 come back as they were; a direction
 * flag left set by the guest does not reach capvm's own copies (poll's six
 * subscriptions, 336 bytes, are copied in with a string instruction). Then
 * once more after an AVX instruction, when the thread keeps its full vector
 * state and every register survives. */
/* Globals, named in the asm below (every general register is taken). */
unsigned char vr_xmm_in[16 * 16], vr_xmm_out[16 * 16];
uint64_t vr_kept[5];
uint32_t vr_mxcsr_in = 0x1f80u | (2u << 13); /* round up, all masked */
uint32_t vr_mxcsr_out, vr_mxcsr_default = 0x1f80u;
void *vr_stub;
uint8_t vr_df;

static int vdso_call_regs(void *stub, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                          int direction_flag) {
  uint64_t ret;
  vr_stub = stub;
  vr_df = (uint8_t)direction_flag;
#define VR_X(n, off) "movdqu vr_xmm_in+" #off "(%%rip), %%xmm" #n "\n\t"
#define VR_Y(n, off) "movdqu %%xmm" #n ", vr_xmm_out+" #off "(%%rip)\n\t"
/* VR_EACH(M): M(n, offset) for XMM0-15, one 16-byte slot each. */
#define VR_EACH(M)                                                                         \
  M(0, 0) M(1, 16) M(2, 32) M(3, 48) M(4, 64) M(5, 80) M(6, 96) M(7, 112) M(8, 128) M(9, 144) \
  M(10, 160) M(11, 176) M(12, 192) M(13, 208) M(14, 224) M(15, 240)
  __asm__ volatile(
      "ldmxcsr vr_mxcsr_in(%%rip)\n\t"
      VR_EACH(VR_X)
      "mov $0x1111111111111111, %%rbx\n\t mov $0x1212121212121212, %%r12\n\t"
      "mov $0x1313131313131313, %%r13\n\t mov $0x1414141414141414, %%r14\n\t"
      "mov $0x1515151515151515, %%r15\n\t"
      "cmpb $0, vr_df(%%rip)\n\t jz 1f\n\t std\n"
      "1:\n\t sub $128, %%rsp\n\t call *vr_stub(%%rip)\n\t add $128, %%rsp\n\t cld\n\t"
      VR_EACH(VR_Y)
      "stmxcsr vr_mxcsr_out(%%rip)\n\t"
      "mov %%rbx, vr_kept(%%rip)\n\t mov %%r12, vr_kept+8(%%rip)\n\t"
      "mov %%r13, vr_kept+16(%%rip)\n\t mov %%r14, vr_kept+24(%%rip)\n\t"
      "mov %%r15, vr_kept+32(%%rip)\n\t"
      "ldmxcsr vr_mxcsr_default(%%rip)"
      : "=a"(ret), "+D"(a0), "+S"(a1), "+d"(a2), "+c"(a3)
      :
      : "rbx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "xmm0", "xmm1", "xmm2",
        "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "memory", "cc");
#undef VR_X
#undef VR_Y
#undef VR_EACH
  return (int)ret;
}

static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return 0;
  return 1;
}

static int callee_saved_kept(void) {
  return vr_kept[0] == 0x1111111111111111ull && vr_kept[1] == 0x1212121212121212ull &&
         vr_kept[2] == 0x1313131313131313ull && vr_kept[3] == 0x1414141414141414ull &&
         vr_kept[4] == 0x1515151515151515ull;
}

static int vdso_regs(void) {
  for (size_t i = 0; i < sizeof vr_xmm_in; ++i) vr_xmm_in[i] = (unsigned char)(i * 7 + 1);
  static cloudabi_timestamp_t now;
  /* clock_time_get(monotonic, 0, &now) */
  int e = vdso_call_regs(__capvm_vdso[1], CLOUDABI_CLOCK_MONOTONIC, 0, (uint64_t)(uintptr_t)&now,
                         0, 0);
  say("light: errno %d, time read %d, xmm zeroed %d, mxcsr kept %d, callee-saved kept %d", e,
      now != 0, all_zero(vr_xmm_out, sizeof vr_xmm_out), vr_mxcsr_out == vr_mxcsr_in,
      callee_saved_kept());
  /* poll(six clock subscriptions, timeout 0) with the direction flag set. */
  static cloudabi_subscription_t subs[6];
  static cloudabi_event_t events[6];
  static size_t nevents;
  for (int i = 0; i < 6; ++i) {
    memset(&subs[i], 0, sizeof subs[i]);
    subs[i].userdata = 0x5000 + (uint64_t)i;
    subs[i].type = CLOUDABI_EVENTTYPE_CLOCK;
    subs[i].clock.clock_id = CLOUDABI_CLOCK_MONOTONIC;
  }
  e = vdso_call_regs(__capvm_vdso[37], (uint64_t)(uintptr_t)subs, (uint64_t)(uintptr_t)events, 6,
                     (uint64_t)(uintptr_t)&nevents, 1);
  int userdata_ok = nevents == 6;
  for (size_t i = 0; i < nevents && i < 6; ++i)
    if (events[i].userdata != 0x5000 + i || events[i].error != 0) userdata_ok = 0;
  say("light, direction flag set: errno %d, events %d, in order %d", e, (int)nevents, userdata_ok);
  /* An AVX instruction puts this thread in the full vector mode for good. */
  unsigned r[4];
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(1), "c"(0));
  const int avx = (r[2] >> 28) & 1;
  if (avx) __asm__ volatile("vpxor %%xmm0, %%xmm0, %%xmm0" ::: "xmm0");
  now = 0;
  e = vdso_call_regs(__capvm_vdso[1], CLOUDABI_CLOCK_MONOTONIC, 0, (uint64_t)(uintptr_t)&now, 0,
                     0);
  say("full: errno %d, time read %d, xmm kept %d, mxcsr kept %d, callee-saved kept %d", e,
      now != 0, !avx || memcmp(vr_xmm_in, vr_xmm_out, sizeof vr_xmm_in) == 0,
      vr_mxcsr_out == vr_mxcsr_in, callee_saved_kept());
  return 0;
}
#else
static int vdso_stack(void) { return 2; }
static int vdso_regs(void) { return 2; }
#endif

int main(void) {
  say("start");
  if (is_case("vdso_stack")) return vdso_stack();
  if (is_case("vdso_regs")) return vdso_regs();
  if (is_case("pointers")) return pointers();
  if (is_case("fds")) return fds();
  if (is_case("raw")) return raw();
  say("unknown case");
  return 2;
}
