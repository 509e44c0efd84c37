/* cloudabi_sys_* wrappers: forward to the entry point bound from the vDSO
 * with the vDSO C calling convention (spec/README.md), ENOSYS when absent.
 * `lookup` is passed as one 64-bit value: fd | flags << 32. */
#include <capvm_raw.h>
#include "vdso.h"

#define ENOSYS_ 52 /* cloudabi.txt: errno nosys */

#define CALL(num, params, ...)                                   \
  do {                                                           \
    void *f_ = __capvm_vdso[num];                                \
    if (f_ == NULL) return ENOSYS_;                              \
    return ((cloudabi_errno_t(*) params)f_)(__VA_ARGS__);       \
  } while (0)

typedef cloudabi_fd_t fd_t;
typedef const char *cstr;
static inline uint64_t lk(cloudabi_lookup_t l) { return l.fd | (uint64_t)l.flags << 32; }

cloudabi_errno_t cloudabi_sys_clock_res_get(cloudabi_clockid_t a, cloudabi_timestamp_t *r) {
  CALL(0, (cloudabi_clockid_t, cloudabi_timestamp_t *), a, r);
}
cloudabi_errno_t cloudabi_sys_clock_time_get(cloudabi_clockid_t a, cloudabi_timestamp_t p, cloudabi_timestamp_t *t) {
  CALL(1, (cloudabi_clockid_t, cloudabi_timestamp_t, cloudabi_timestamp_t *), a, p, t);
}
cloudabi_errno_t cloudabi_sys_condvar_signal(_Atomic(cloudabi_condvar_t) *c, cloudabi_scope_t s, cloudabi_nthreads_t n) {
  CALL(2, (_Atomic(cloudabi_condvar_t) *, cloudabi_scope_t, cloudabi_nthreads_t), c, s, n);
}
cloudabi_errno_t cloudabi_sys_fd_close(fd_t fd) { CALL(3, (fd_t), fd); }
cloudabi_errno_t cloudabi_sys_fd_create1(cloudabi_filetype_t t, fd_t *fd) {
  CALL(4, (cloudabi_filetype_t, fd_t *), t, fd);
}
cloudabi_errno_t cloudabi_sys_fd_create2(cloudabi_filetype_t t, fd_t *a, fd_t *b) {
  CALL(5, (cloudabi_filetype_t, fd_t *, fd_t *), t, a, b);
}
cloudabi_errno_t cloudabi_sys_fd_datasync(fd_t fd) { CALL(6, (fd_t), fd); }
cloudabi_errno_t cloudabi_sys_fd_dup(fd_t from, fd_t *fd) { CALL(7, (fd_t, fd_t *), from, fd); }
cloudabi_errno_t cloudabi_sys_fd_pread(fd_t fd, const cloudabi_iovec_t *v, size_t n, cloudabi_filesize_t o, size_t *r) {
  CALL(8, (fd_t, const cloudabi_iovec_t *, size_t, cloudabi_filesize_t, size_t *), fd, v, n, o, r);
}
cloudabi_errno_t cloudabi_sys_fd_pwrite(fd_t fd, const cloudabi_ciovec_t *v, size_t n, cloudabi_filesize_t o, size_t *w) {
  CALL(9, (fd_t, const cloudabi_ciovec_t *, size_t, cloudabi_filesize_t, size_t *), fd, v, n, o, w);
}
cloudabi_errno_t cloudabi_sys_fd_read(fd_t fd, const cloudabi_iovec_t *v, size_t n, size_t *r) {
  CALL(10, (fd_t, const cloudabi_iovec_t *, size_t, size_t *), fd, v, n, r);
}
cloudabi_errno_t cloudabi_sys_fd_replace(fd_t from, fd_t to) { CALL(11, (fd_t, fd_t), from, to); }
cloudabi_errno_t cloudabi_sys_fd_seek(fd_t fd, cloudabi_filedelta_t o, cloudabi_whence_t w, cloudabi_filesize_t *n) {
  CALL(12, (fd_t, cloudabi_filedelta_t, cloudabi_whence_t, cloudabi_filesize_t *), fd, o, w, n);
}
cloudabi_errno_t cloudabi_sys_fd_stat_get(fd_t fd, cloudabi_fdstat_t *b) {
  CALL(13, (fd_t, cloudabi_fdstat_t *), fd, b);
}
cloudabi_errno_t cloudabi_sys_fd_stat_put(fd_t fd, const cloudabi_fdstat_t *b, cloudabi_fdsflags_t f) {
  CALL(14, (fd_t, const cloudabi_fdstat_t *, cloudabi_fdsflags_t), fd, b, f);
}
cloudabi_errno_t cloudabi_sys_fd_sync(fd_t fd) { CALL(15, (fd_t), fd); }
cloudabi_errno_t cloudabi_sys_fd_write(fd_t fd, const cloudabi_ciovec_t *v, size_t n, size_t *w) {
  CALL(16, (fd_t, const cloudabi_ciovec_t *, size_t, size_t *), fd, v, n, w);
}
cloudabi_errno_t cloudabi_sys_file_advise(fd_t fd, cloudabi_filesize_t o, cloudabi_filesize_t l, cloudabi_advice_t a) {
  CALL(17, (fd_t, cloudabi_filesize_t, cloudabi_filesize_t, cloudabi_advice_t), fd, o, l, a);
}
cloudabi_errno_t cloudabi_sys_file_allocate(fd_t fd, cloudabi_filesize_t o, cloudabi_filesize_t l) {
  CALL(18, (fd_t, cloudabi_filesize_t, cloudabi_filesize_t), fd, o, l);
}
cloudabi_errno_t cloudabi_sys_file_create(fd_t fd, cstr p, size_t pl, cloudabi_filetype_t t) {
  CALL(19, (fd_t, cstr, size_t, cloudabi_filetype_t), fd, p, pl, t);
}
cloudabi_errno_t cloudabi_sys_file_link(cloudabi_lookup_t a, cstr p1, size_t l1, fd_t b, cstr p2, size_t l2) {
  CALL(20, (uint64_t, cstr, size_t, fd_t, cstr, size_t), lk(a), p1, l1, b, p2, l2);
}
cloudabi_errno_t cloudabi_sys_file_open(cloudabi_lookup_t d, cstr p, size_t pl, cloudabi_oflags_t o, const cloudabi_fdstat_t *s, fd_t *fd) {
  CALL(21, (uint64_t, cstr, size_t, cloudabi_oflags_t, const cloudabi_fdstat_t *, fd_t *), lk(d), p, pl, o, s, fd);
}
cloudabi_errno_t cloudabi_sys_file_readdir(fd_t fd, void *b, size_t bl, cloudabi_dircookie_t c, size_t *u) {
  CALL(22, (fd_t, void *, size_t, cloudabi_dircookie_t, size_t *), fd, b, bl, c, u);
}
cloudabi_errno_t cloudabi_sys_file_readlink(fd_t fd, cstr p, size_t pl, char *b, size_t bl, size_t *u) {
  CALL(23, (fd_t, cstr, size_t, char *, size_t, size_t *), fd, p, pl, b, bl, u);
}
cloudabi_errno_t cloudabi_sys_file_rename(fd_t a, cstr p1, size_t l1, fd_t b, cstr p2, size_t l2) {
  CALL(24, (fd_t, cstr, size_t, fd_t, cstr, size_t), a, p1, l1, b, p2, l2);
}
cloudabi_errno_t cloudabi_sys_file_stat_fget(fd_t fd, cloudabi_filestat_t *b) {
  CALL(25, (fd_t, cloudabi_filestat_t *), fd, b);
}
cloudabi_errno_t cloudabi_sys_file_stat_fput(fd_t fd, const cloudabi_filestat_t *b, cloudabi_fsflags_t f) {
  CALL(26, (fd_t, const cloudabi_filestat_t *, cloudabi_fsflags_t), fd, b, f);
}
cloudabi_errno_t cloudabi_sys_file_stat_get(cloudabi_lookup_t fd, cstr p, size_t pl, cloudabi_filestat_t *b) {
  CALL(27, (uint64_t, cstr, size_t, cloudabi_filestat_t *), lk(fd), p, pl, b);
}
cloudabi_errno_t cloudabi_sys_file_stat_put(cloudabi_lookup_t fd, cstr p, size_t pl, const cloudabi_filestat_t *b, cloudabi_fsflags_t f) {
  CALL(28, (uint64_t, cstr, size_t, const cloudabi_filestat_t *, cloudabi_fsflags_t), lk(fd), p, pl, b, f);
}
cloudabi_errno_t cloudabi_sys_file_symlink(cstr p1, size_t l1, fd_t fd, cstr p2, size_t l2) {
  CALL(29, (cstr, size_t, fd_t, cstr, size_t), p1, l1, fd, p2, l2);
}
cloudabi_errno_t cloudabi_sys_file_unlink(fd_t fd, cstr p, size_t pl, cloudabi_ulflags_t f) {
  CALL(30, (fd_t, cstr, size_t, cloudabi_ulflags_t), fd, p, pl, f);
}
cloudabi_errno_t cloudabi_sys_lock_unlock(_Atomic(cloudabi_lock_t) *l, cloudabi_scope_t s) {
  CALL(31, (_Atomic(cloudabi_lock_t) *, cloudabi_scope_t), l, s);
}
cloudabi_errno_t cloudabi_sys_mem_advise(void *m, size_t ml, cloudabi_advice_t a) {
  CALL(32, (void *, size_t, cloudabi_advice_t), m, ml, a);
}
cloudabi_errno_t cloudabi_sys_mem_map(void *addr, size_t len, cloudabi_mprot_t p, cloudabi_mflags_t f, fd_t fd, cloudabi_filesize_t off, void **mem) {
  CALL(33, (void *, size_t, cloudabi_mprot_t, cloudabi_mflags_t, fd_t, cloudabi_filesize_t, void **), addr, len, p, f, fd, off, mem);
}
cloudabi_errno_t cloudabi_sys_mem_protect(void *m, size_t ml, cloudabi_mprot_t p) {
  CALL(34, (void *, size_t, cloudabi_mprot_t), m, ml, p);
}
cloudabi_errno_t cloudabi_sys_mem_sync(void *m, size_t ml, cloudabi_msflags_t f) {
  CALL(35, (void *, size_t, cloudabi_msflags_t), m, ml, f);
}
cloudabi_errno_t cloudabi_sys_mem_unmap(void *m, size_t ml) { CALL(36, (void *, size_t), m, ml); }
cloudabi_errno_t cloudabi_sys_poll(const cloudabi_subscription_t *in, cloudabi_event_t *out, size_t n, size_t *ne) {
  CALL(37, (const cloudabi_subscription_t *, cloudabi_event_t *, size_t, size_t *), in, out, n, ne);
}
cloudabi_errno_t cloudabi_sys_proc_exec(fd_t fd, const void *d, size_t dl, const fd_t *fds, size_t fl) {
  CALL(38, (fd_t, const void *, size_t, const fd_t *, size_t), fd, d, dl, fds, fl);
}
_Noreturn void cloudabi_sys_proc_exit(cloudabi_exitcode_t rval) {
  void *f = __capvm_vdso[39];
  if (f != NULL) ((void (*)(cloudabi_exitcode_t))f)(rval);
  /* No vDSO entry (or it returned): try the raw trap, then crash. */
  capvm_raw_proc_exit(rval);
  for (;;) __builtin_trap();
}
cloudabi_errno_t cloudabi_sys_proc_fork(fd_t *fd, cloudabi_tid_t *tid) {
  CALL(40, (fd_t *, cloudabi_tid_t *), fd, tid);
}
cloudabi_errno_t cloudabi_sys_proc_raise(cloudabi_signal_t s) { CALL(41, (cloudabi_signal_t), s); }
cloudabi_errno_t cloudabi_sys_random_get(void *b, size_t bl) { CALL(42, (void *, size_t), b, bl); }
cloudabi_errno_t cloudabi_sys_sock_recv(fd_t s, const cloudabi_recv_in_t *in, cloudabi_recv_out_t *out) {
  CALL(43, (fd_t, const cloudabi_recv_in_t *, cloudabi_recv_out_t *), s, in, out);
}
cloudabi_errno_t cloudabi_sys_sock_send(fd_t s, const cloudabi_send_in_t *in, cloudabi_send_out_t *out) {
  CALL(44, (fd_t, const cloudabi_send_in_t *, cloudabi_send_out_t *), s, in, out);
}
cloudabi_errno_t cloudabi_sys_sock_shutdown(fd_t s, cloudabi_sdflags_t h) {
  CALL(45, (fd_t, cloudabi_sdflags_t), s, h);
}
cloudabi_errno_t cloudabi_sys_thread_create(cloudabi_threadattr_t *a, cloudabi_tid_t *t) {
  CALL(46, (cloudabi_threadattr_t *, cloudabi_tid_t *), a, t);
}
_Noreturn void cloudabi_sys_thread_exit(_Atomic(cloudabi_lock_t) *l, cloudabi_scope_t s) {
  void *f = __capvm_vdso[47];
  if (f != NULL) ((void (*)(_Atomic(cloudabi_lock_t) *, cloudabi_scope_t))f)(l, s);
  capvm_raw_syscall(47, (uintptr_t)l, s, 0, 0, 0, 0, NULL, NULL);
  for (;;) __builtin_trap();
}
cloudabi_errno_t cloudabi_sys_thread_yield(void) { CALL(48, (void)); }
