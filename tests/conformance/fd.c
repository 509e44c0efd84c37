/* conformance.fd: fd_create1/2, dup, replace, seek, stat_get/put, sock_*
 * with fd passing, and a poll-based server/client over socket pairs. */
#include "conformance.h"

static size_t wr(cloudabi_fd_t fd, const char *s, cloudabi_errno_t *e) {
  cloudabi_ciovec_t v = {s, strlen(s)};
  size_t n = 0;
  *e = cloudabi_sys_fd_write(fd, &v, 1, &n);
  return n;
}

static cloudabi_errno_t send_fd(cloudabi_fd_t sock, const char *msg, cloudabi_fd_t fd) {
  cloudabi_ciovec_t v = {msg, strlen(msg)};
  cloudabi_send_in_t in = {&v, 1, &fd, 1, 0};
  cloudabi_send_out_t out;
  return cloudabi_sys_sock_send(sock, &in, &out);
}

static cloudabi_errno_t recv_fd(cloudabi_fd_t sock, char *buf, size_t len, cloudabi_fd_t *fd,
                                size_t *nfds) {
  cloudabi_iovec_t v = {buf, len};
  cloudabi_recv_in_t in = {&v, 1, fd, 1, 0};
  cloudabi_recv_out_t out;
  cloudabi_errno_t e = cloudabi_sys_sock_recv(sock, &in, &out);
  *nfds = out.ro_fdslen;
  if (e == 0) buf[out.ro_datalen < len ? out.ro_datalen : len - 1] = 0;
  return e;
}

int main(void) {
  cloudabi_errno_t e;
  cloudabi_fd_t a, b, c, d;
  cloudabi_fdstat_t st;
  /* fd_create2 and bad types. */
  CHECK_EQ(cloudabi_sys_fd_create2(C_FILETYPE_SOCKET_STREAM, &a, &b), 0);
  CHECK_EQ(cloudabi_sys_fd_create2(C_FILETYPE_REGULAR_FILE, &c, &d), C_EINVAL);
  CHECK_EQ(cloudabi_sys_fd_create2(0xff, &c, &d), C_EINVAL);
  CHECK_EQ(cloudabi_sys_fd_create2(C_FILETYPE_SOCKET_DGRAM, &c, &d), 0);
  /* fd_create1: shared memory. */
  cloudabi_fd_t shm;
  CHECK_EQ(cloudabi_sys_fd_create1(C_FILETYPE_SHARED_MEMORY, &shm), 0);
  CHECK_EQ(cloudabi_sys_fd_create1(C_FILETYPE_SOCKET_STREAM, &shm), C_EINVAL);
  CHECK_EQ(cloudabi_sys_fd_stat_get(shm, &st), 0);
  CHECK_EQ(st.fs_filetype, C_FILETYPE_SHARED_MEMORY);
  /* Bad fds and pointers. */
  CHECK_EQ(cloudabi_sys_fd_stat_get(C_BAD_FD, &st), C_EBADF);
  CHECK_EQ(cloudabi_sys_fd_stat_get(a, C_NULL), C_EFAULT);
  CHECK_EQ(cloudabi_sys_fd_stat_get(a, C_OUTSIDE), C_EFAULT);
  CHECK_EQ(cloudabi_sys_fd_close(C_BAD_FD), C_EBADF);
  CHECK_EQ(cloudabi_sys_fd_replace(C_BAD_FD, C_BAD_FD), C_EBADF);
  /* fd_replace(x, x) and fd_dup keep the fd and its rights. */
  CHECK_EQ(cloudabi_sys_fd_replace(a, a), 0);
  wr(a, "x", &e);
  CHECK_EQ(e, 0);
  cloudabi_fd_t dup;
  CHECK_EQ(cloudabi_sys_fd_dup(a, &dup), 0);
  cloudabi_fdstat_t st2;
  cloudabi_sys_fd_stat_get(a, &st);
  cloudabi_sys_fd_stat_get(dup, &st2);
  CHECK_EQ(st.fs_rights_base, st2.fs_rights_base);
  /* Rights shrink, never grow; undefined bits refused. */
  st2.fs_rights_base = C_RIGHT_FD_READ | C_RIGHT_POLL_FD_READWRITE;
  CHECK_EQ(cloudabi_sys_fd_stat_put(dup, &st2, C_FDSTAT_RIGHTS), 0);
  st2.fs_rights_base |= C_RIGHT_FD_WRITE;
  CHECK_EQ(cloudabi_sys_fd_stat_put(dup, &st2, C_FDSTAT_RIGHTS), C_ENOTCAPABLE);
  st2.fs_rights_base = C_RIGHT_FD_READ | 0x800;
  CHECK_EQ(cloudabi_sys_fd_stat_put(dup, &st2, C_FDSTAT_RIGHTS), C_ENOTCAPABLE);
  CHECK_EQ(cloudabi_sys_fd_stat_put(dup, &st2, 0x4), C_EINVAL);
  CHECK_EQ(cloudabi_sys_fd_stat_put(dup, C_NULL, C_FDSTAT_RIGHTS), C_EFAULT);
  wr(dup, "y", &e);
  CHECK_EQ(e, C_ENOTCAPABLE);
  /* sync flag without fd_sync (SECURITY.md). */
  st.fs_flags = C_FDFLAG_SYNC;
  CHECK_EQ(cloudabi_sys_fd_stat_put(a, &st, C_FDSTAT_FLAGS), C_ENOTCAPABLE);
  /* Seek on a socket: no fd_seek right for sockets. */
  cloudabi_filesize_t off;
  CHECK_EQ(cloudabi_sys_fd_seek(a, 0, 3, &off), C_ENOTCAPABLE);
  CHECK_EQ(cloudabi_sys_fd_seek(a, 0, 9, &off), C_EINVAL);
  /* Zero-length and huge iovec counts. */
  size_t n;
  CHECK_EQ(cloudabi_sys_fd_write(a, C_NULL, 0, &n), 0);
  cloudabi_ciovec_t big = {"z", 1};
  CHECK_EQ(cloudabi_sys_fd_write(a, &big, (size_t)1 << 40, &n), C_EINVAL);
  cloudabi_ciovec_t outside = {C_OUTSIDE, 16};
  CHECK_EQ(cloudabi_sys_fd_write(a, &outside, 1, &n), C_EFAULT);

  /* Fd passing: send the read-only dup over the socket pair, to oneself. */
  CHECK_EQ(send_fd(c, "take this", dup), 0);
  char buf[64];
  cloudabi_fd_t got = C_BAD_FD;
  size_t nfds = 0;
  CHECK_EQ(recv_fd(d, buf, sizeof buf, &got, &nfds), 0);
  CHECK_EQ(nfds, 1);
  CHECK_EQ(strcmp(buf, "take this"), 0);
  cloudabi_fdstat_t gs;
  CHECK_EQ(cloudabi_sys_fd_stat_get(got, &gs), 0);
  CHECK_EQ(gs.fs_rights_base, C_RIGHT_FD_READ | C_RIGHT_POLL_FD_READWRITE); /* not widened */
  wr(got, "no", &e);
  CHECK_EQ(e, C_ENOTCAPABLE);
  cloudabi_fd_t badlist = C_BAD_FD;
  cloudabi_ciovec_t v = {"m", 1};
  cloudabi_send_in_t in = {&v, 1, &badlist, 1, 0};
  cloudabi_send_out_t so;
  CHECK_EQ(cloudabi_sys_sock_send(c, &in, &so), C_EBADF);
  in.si_fds_len = 0;
  in.si_flags = 0x1;
  CHECK_EQ(cloudabi_sys_sock_send(c, &in, &so), C_EINVAL);

  /* Poll-based server/client: the client end writes requests, the server
   * polls both its socket and a clock and answers each request. */
  int served = 0;
  for (int round = 0; round < 5; ++round) {
    char req[16];
    snprintf(req, sizeof req, "req%d", round);
    wr(a, req, &e);
    CHECK_EQ(e, 0);
    cloudabi_subscription_t subs[2];
    memset(subs, 0, sizeof subs);
    subs[0].userdata = 1;
    subs[0].type = C_EVENTTYPE_FD_READ;
    subs[0].fd_readwrite.fd = b;
    subs[1].userdata = 2;
    subs[1].type = C_EVENTTYPE_CLOCK;
    subs[1].clock.clock_id = CLOUDABI_CLOCK_MONOTONIC;
    subs[1].clock.timeout = 1000000000ull;
    cloudabi_event_t ev[2];
    size_t nev = 0;
    CHECK_EQ(cloudabi_sys_poll(subs, ev, 2, &nev), 0);
    CHECK_EQ(nev, 1);
    CHECK_EQ(ev[0].userdata, 1);
    cloudabi_iovec_t rv = {buf, sizeof buf - 1};
    size_t nr = 0;
    CHECK_EQ(cloudabi_sys_fd_read(b, &rv, 1, &nr), 0);
    buf[nr] = 0;
    if (strstr(buf, req) != NULL) ++served; /* the first read also holds an earlier "x" */
  }
  CHECK_EQ(served, 5);
  /* poll: overflowing nsubscriptions, null out. */
  cloudabi_subscription_t s1;
  cloudabi_event_t e1;
  size_t nev;
  CHECK_EQ(cloudabi_sys_poll(&s1, &e1, ~(size_t)0, &nev), C_EINVAL);
  CHECK_EQ(cloudabi_sys_poll(&s1, &e1, (~(size_t)0) / sizeof s1 + 1, &nev), C_EINVAL);
  CHECK_EQ(cloudabi_sys_poll(C_NULL, &e1, 1, &nev), C_EFAULT);
  /* sock_shutdown */
  CHECK_EQ(cloudabi_sys_sock_shutdown(a, 0), C_EINVAL);
  CHECK_EQ(cloudabi_sys_sock_shutdown(a, 4), C_EINVAL);
  CHECK_EQ(cloudabi_sys_sock_shutdown(a, 2), 0);
  CHECK_EQ(cloudabi_sys_fd_close(a), 0);
  CHECK_EQ(cloudabi_sys_fd_close(a), C_EBADF);
  CONF_DONE("conformance.fd");
}
