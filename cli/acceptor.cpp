#include "cli/acceptor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace capvm::cli {
namespace {

bool send_fd(int channel, int fd) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  while (true) {
    if (sendmsg(channel, &msg, MSG_NOSIGNAL) == 1) return true;
    if (errno != EINTR) return false;
  }
}

[[noreturn]] void serve(int listen_fd, int channel) {
  // Nothing of capvm's stays open here: stdio to /dev/null (a test reading
  // capvm's output to its end must not wait for us), the rest closed.
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  // Move our two descriptors to 3 and 4, then close everything above.
  int l = fcntl(listen_fd, F_DUPFD, 10), c = fcntl(channel, F_DUPFD, 10);
  if (l < 0 || c < 0 || dup2(l, 3) < 0 || dup2(c, 4) < 0) _exit(1);
  close_range(5, ~0u, 0);
  listen_fd = 3;
  channel = 4;
  fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
  prctl(PR_SET_NAME, "capvm-accept");

  while (true) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {channel, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    if (p[1].revents & (POLLHUP | POLLERR | POLLNVAL)) _exit(0);  // the guest let go
    if (p[1].revents & POLLIN) {
      char discard[256];
      if (recv(channel, discard, sizeof discard, MSG_DONTWAIT) == 0) _exit(0);
    }
    if (!(p[0].revents & POLLIN)) continue;
    int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        usleep(10000);  // no busy loop while the host is short of descriptors
      continue;
    }
    bool sent = send_fd(channel, conn);
    close(conn);
    if (!sent) _exit(0);
  }
}

}  // namespace

void close_acceptors(std::vector<Acceptor>* acceptors) {
  for (Acceptor& a : *acceptors) {
    if (a.listen_fd >= 0) close(a.listen_fd);
    if (a.host_end >= 0) close(a.host_end);
    a.listen_fd = a.host_end = -1;
  }
  acceptors->clear();
}

bool start_acceptors(std::vector<Acceptor>* acceptors, std::string* error) {
  for (Acceptor& a : *acceptors) {
    pid_t mid = fork();
    if (mid < 0) {
      *error = std::string("cannot start the acceptor for ") + a.address + ": " +
               std::strerror(errno);
      close_acceptors(acceptors);
      return false;
    }
    if (mid == 0) {
      // Double fork: the helper is re-parented and never capvm's child.
      setsid();
      pid_t helper = fork();
      if (helper == 0) serve(a.listen_fd, a.host_end);
      _exit(helper < 0 ? 1 : 0);
    }
    int status = 0;
    while (waitpid(mid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      *error = "cannot start the acceptor for " + a.address;
      close_acceptors(acceptors);
      return false;
    }
    close(a.listen_fd);
    close(a.host_end);
    a.listen_fd = a.host_end = -1;
  }
  acceptors->clear();
  return true;
}

}  // namespace capvm::cli
