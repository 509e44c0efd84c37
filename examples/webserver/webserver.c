/* A small static-file HTTP/1.1 server: GET and HEAD, keep-alive and
 * pipelining, many connections on one thread through poll. The same source
 * builds as a CloudABI guest (capvm run) and as a Linux program; only the
 * "OS layer" below differs.
 *
 * As a guest it owns no ambient authority: its YAML gives it
 *   socket: !socket {bind: ADDR}   connections arrive through sock_recv
 *   root:   !file {path: DIR}      read-only: it cannot modify the site
 * and optionally `log: !fd stderr` (one line per request) and
 * `connections: N` (exit after serving N connections; for tests).
 * CloudABI has no accept(): capvm hands a bound stream socket to the guest
 * as a connection source, a socket on which every sock_recv returns one
 * byte with one accepted connection attached (capvm(1), "!socket").
 *
 * Natively: webserver.native [--log] [--connections N] HOST:PORT DIR
 * (prints "listening on HOST:PORT" once it listens; port 0 picks one). */
#ifndef __CloudABI__
#define _GNU_SOURCE 1 /* accept4 */
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* OS layer interface                                                        */

/* Waits until some of fds[0..n) are readable; sets ready[i]. 0 or errno. */
static int os_poll(const int *fds, size_t n, bool *ready);
/* The next connection: a descriptor, -1 when none is waiting, -2 when the
 * source is gone (no more connections will ever come). */
static int os_accept(void);
static long os_read(int fd, void *buf, size_t n);        /* -1 on error */
static long os_write(int fd, const void *buf, size_t n); /* -1 on error */
static void os_close(int fd);
/* Opens `path` (relative, already checked: no "..", no leading '/') beneath
 * the site root. 0 or an errno value; *is_dir set for directories. */
static int os_open(const char *path, int *fd, uint64_t *size, bool *is_dir);
static void os_log(const char *line, size_t len);

#ifndef ENOTCAPABLE
#define ENOTCAPABLE (-1) /* CloudABI only */
#endif

static bool g_log;
static long g_max_connections; /* 0: serve forever */

/* ------------------------------------------------------------------------ */
/* HTTP                                                                      */

#define MAX_CONNS 256
#define REQ_MAX 8192
#define PATH_MAX_LEN 1024

struct conn {
  int fd;
  size_t len;
  char buf[REQ_MAX];
};

static struct conn *g_conns[MAX_CONNS];
static size_t g_nconns;
static char g_out[65536];

static bool write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    long w = os_write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

static const char *content_type(const char *path) {
  static const char *const kTypes[][2] = {
      {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
      {".css", "text/css"}, {".js", "text/javascript"}, {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"}, {".png", "image/png"}, {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"}, {".gif", "image/gif"}, {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"}, {".wasm", "application/wasm"}, {".pdf", "application/pdf"},
  };
  const char *dot = strrchr(path, '.');
  if (dot && !strchr(dot, '/'))
    for (size_t i = 0; i < sizeof kTypes / sizeof kTypes[0]; ++i)
      if (strcmp(dot, kTypes[i][0]) == 0) return kTypes[i][1];
  return "application/octet-stream";
}

static bool lower_equal(const char *a, size_t alen, const char *b) {
  size_t blen = strlen(b);
  if (alen != blen) return false;
  for (size_t i = 0; i < alen; ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

static void log_request(const char *method, size_t mlen, const char *path, int status,
                        uint64_t bytes) {
  if (!g_log) return;
  char line[PATH_MAX_LEN + 96];
  int n = snprintf(line, sizeof line, "%.*s /%s %d %llu\n", (int)mlen, method, path, status,
                   (unsigned long long)bytes);
  if (n > 0) os_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* A response without a file body; false when the connection broke. */
static bool send_simple(int fd, int status, const char *reason, bool keep_alive, bool head,
                        const char *extra) {
  char body[128];
  int blen = snprintf(body, sizeof body, "%d %s\n", status, reason);
  int n = snprintf(g_out, sizeof g_out,
                   "HTTP/1.1 %d %s\r\nServer: capvm-webserver\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n%s%s\r\n%s",
                   status, reason, blen, extra ? extra : "",
                   keep_alive ? "" : "Connection: close\r\n", head ? "" : body);
  return write_all(fd, g_out, (size_t)n);
}

/* Decodes the request target into `out` (no leading '/'); an HTTP status
 * on failure, 0 on success. Directories end with '/' or are found later. */
static int clean_path(const char *target, size_t len, char *out) {
  if (len == 0 || target[0] != '/') return 400;
  size_t o = 0;
  for (size_t i = 1; i < len; ++i) {
    char c = target[i];
    if (c == '?' || c == '#') break;
    if (c == '%') {
      if (i + 2 >= len) return 400;
      int v = 0;
      for (int k = 1; k <= 2; ++k) {
        char h = target[i + k];
        v <<= 4;
        if (h >= '0' && h <= '9') v |= h - '0';
        else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
        else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
        else return 400;
      }
      if (v == 0) return 400;
      c = (char)v;
      i += 2;
    }
    if (o + 1 >= PATH_MAX_LEN) return 414;
    out[o++] = c;
  }
  out[o] = '\0';
  /* Segment check: no "." or ".." anywhere, no empty segments but a
   * trailing slash. The sandbox would refuse escapes anyway (and natively
   * openat2 RESOLVE_BENEATH does); this keeps URLs canonical. */
  size_t start = 0;
  for (size_t i = 0; i <= o; ++i) {
    if (i == o || out[i] == '/') {
      size_t seg = i - start;
      if (seg == 0 && i != o) return 400;
      if ((seg == 1 && out[start] == '.') || (seg == 2 && out[start] == '.' && out[start + 1] == '.'))
        return 403;
      start = i + 1;
    }
  }
  if (o == 0 || out[o - 1] == '/') {
    const char index[] = "index.html";
    if (o + sizeof index >= PATH_MAX_LEN) return 414;
    memcpy(out + o, index, sizeof index);
  }
  return 0;
}

/* Serves one request of `hlen` header bytes; false: close the connection. */
static bool handle_request(struct conn *c, size_t hlen) {
  const char *req = c->buf;
  const char *line_end = memchr(req, '\n', hlen);
  if (!line_end) return false;
  size_t llen = (size_t)(line_end - req);
  if (llen > 0 && req[llen - 1] == '\r') --llen;
  /* METHOD SP TARGET SP HTTP/1.x */
  const char *sp1 = memchr(req, ' ', llen);
  const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', llen - (size_t)(sp1 + 1 - req)) : NULL;
  if (!sp1 || !sp2) {
    send_simple(c->fd, 400, "Bad Request", false, false, NULL);
    return false;
  }
  const char *method = req;
  size_t mlen = (size_t)(sp1 - req);
  const char *target = sp1 + 1;
  size_t tlen = (size_t)(sp2 - target);
  const char *version = sp2 + 1;
  size_t vlen = llen - (size_t)(version - req);
  bool http11;
  if (vlen == 8 && memcmp(version, "HTTP/1.1", 8) == 0) http11 = true;
  else if (vlen == 8 && memcmp(version, "HTTP/1.0", 8) == 0) http11 = false;
  else {
    send_simple(c->fd, 505, "HTTP Version Not Supported", false, false, NULL);
    return false;
  }

  /* Headers: Connection and a body we do not take. */
  bool keep_alive = http11;
  const char *p = line_end + 1;
  const char *end = req + hlen;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) break;
    size_t len = (size_t)(nl - p);
    if (len > 0 && p[len - 1] == '\r') --len;
    if (len == 0) break;
    const char *colon = memchr(p, ':', len);
    if (colon) {
      size_t nlen = (size_t)(colon - p);
      const char *v = colon + 1;
      size_t vl = len - nlen - 1;
      while (vl > 0 && (*v == ' ' || *v == '\t')) ++v, --vl;
      while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) --vl;
      if (lower_equal(p, nlen, "connection")) {
        if (lower_equal(v, vl, "close")) keep_alive = false;
        else if (lower_equal(v, vl, "keep-alive")) keep_alive = true;
      } else if ((lower_equal(p, nlen, "content-length") && !(vl == 1 && v[0] == '0')) ||
                 lower_equal(p, nlen, "transfer-encoding")) {
        send_simple(c->fd, 413, "Content Too Large", false, false, NULL);
        return false;
      }
    }
    p = nl + 1;
  }

  const bool head = mlen == 4 && memcmp(method, "HEAD", 4) == 0;
  if (!head && !(mlen == 3 && memcmp(method, "GET", 3) == 0)) {
    log_request(method, mlen, "", 405, 0);
    return send_simple(c->fd, 405, "Method Not Allowed", keep_alive, false,
                       "Allow: GET, HEAD\r\n") && keep_alive;
  }
  char path[PATH_MAX_LEN + 16];
  int status = clean_path(target, tlen, path);
  if (status != 0) {
    log_request(method, mlen, "", status, 0);
    const char *reason = status == 403 ? "Forbidden" : status == 414 ? "URI Too Long" : "Bad Request";
    return send_simple(c->fd, status, reason, keep_alive, head, NULL) && keep_alive;
  }

  int fd = -1;
  uint64_t size = 0;
  bool is_dir = false;
  int err = os_open(path, &fd, &size, &is_dir);
  if (err == 0 && is_dir) {
    /* "/dir" names a directory: redirect to "/dir/" like most servers. */
    os_close(fd);
    char location[PATH_MAX_LEN + 32];
    snprintf(location, sizeof location, "Location: /%s/\r\n", path);
    log_request(method, mlen, path, 301, 0);
    return send_simple(c->fd, 301, "Moved Permanently", keep_alive, head, location) && keep_alive;
  }
  if (err != 0) {
    int st = err == ENOENT || err == ENOTDIR ? 404 : err == EACCES || err == ENOTCAPABLE || err == EPERM || err == ELOOP ? 403 : 500;
    const char *reason = st == 404 ? "Not Found" : st == 403 ? "Forbidden" : "Internal Server Error";
    log_request(method, mlen, path, st, 0);
    return send_simple(c->fd, st, reason, keep_alive, head, NULL) && keep_alive;
  }

  int n = snprintf(g_out, sizeof g_out,
                   "HTTP/1.1 200 OK\r\nServer: capvm-webserver\r\nContent-Type: %s\r\n"
                   "Content-Length: %llu\r\n%s\r\n",
                   content_type(path), (unsigned long long)size,
                   keep_alive ? "" : "Connection: close\r\n");
  size_t used = (size_t)n;
  uint64_t left = head ? 0 : size;
  bool ok = true;
  /* Header and the start of the body in one write: small files take one
   * syscall. */
  while (ok) {
    while (left > 0 && used < sizeof g_out) {
      size_t want = sizeof g_out - used;
      if (want > left) want = (size_t)left;
      long r = os_read(fd, g_out + used, want);
      if (r <= 0) {  /* the file shrank or broke: the response cannot be completed */
        ok = false;
        break;
      }
      used += (size_t)r;
      left -= (uint64_t)r;
    }
    if (!ok || used == 0) break;
    ok = write_all(c->fd, g_out, used);
    used = 0;
    if (left == 0) break;
  }
  os_close(fd);
  log_request(method, mlen, path, 200, head ? 0 : size);
  return ok && keep_alive;
}

static void drop_conn(size_t i) {
  os_close(g_conns[i]->fd);
  free(g_conns[i]);
  g_conns[i] = g_conns[--g_nconns];
}

/* Reads what arrived and serves every complete request; false: drop. */
static bool on_readable(struct conn *c) {
  long r = os_read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
  if (r <= 0) return false;
  c->len += (size_t)r;
  while (true) {
    size_t hlen = 0;
    for (size_t i = 0; i + 1 < c->len; ++i) {
      if (c->buf[i] == '\n' && c->buf[i + 1] == '\n') { hlen = i + 2; break; }
      if (i + 3 < c->len && c->buf[i] == '\r' && memcmp(c->buf + i, "\r\n\r\n", 4) == 0) {
        hlen = i + 4;
        break;
      }
    }
    if (hlen == 0) {
      if (c->len == sizeof c->buf) {
        send_simple(c->fd, 431, "Request Header Fields Too Large", false, false, NULL);
        return false;
      }
      return true;
    }
    if (!handle_request(c, hlen)) return false;
    memmove(c->buf, c->buf + hlen, c->len - hlen);
    c->len -= hlen;
  }
}

static int serve(void) {
  long accepted = 0;
  bool source_open = true;
  static int fds[MAX_CONNS + 1];
  static bool ready[MAX_CONNS + 1];
  for (;;) {
    const bool accepting =
        source_open && (g_max_connections == 0 || accepted < g_max_connections) && g_nconns < MAX_CONNS;
    if (!accepting && g_nconns == 0) return 0;
    size_t n = 0;
    fds[n++] = accepting ? -1 : -2;  /* slot 0: the listener (when accepting) */
    for (size_t i = 0; i < g_nconns; ++i) fds[n++] = g_conns[i]->fd;
    int err = os_poll(fds, n, ready);
    if (err != 0 && err != EINTR) {
      fprintf(stderr, "webserver: poll: %s\n", strerror(err));
      return 1;
    }
    if (err != 0) continue;
    /* Connections first, from the end: drop_conn moves the last one. */
    for (size_t i = n; i-- > 1;)
      if (ready[i] && !on_readable(g_conns[i - 1])) drop_conn(i - 1);
    if (accepting && ready[0]) {
      int fd = os_accept();
      if (fd == -2) {
        source_open = false;
      } else if (fd >= 0) {
        struct conn *c = malloc(sizeof *c);
        if (!c) {
          os_close(fd);
        } else {
          c->fd = fd;
          c->len = 0;
          g_conns[g_nconns++] = c;
          ++accepted;
        }
      }
    }
  }
}

/* ------------------------------------------------------------------------ */
#ifdef __CloudABI__
/* OS layer: CloudABI through capvm. */
#include <argdata.h>
#include <cloudabi_syscalls.h>

#define RIGHT_FD_READ 0x0000000000000002ull
#define RIGHT_FILE_STAT_FGET 0x0000000000080000ull
#define EVENTTYPE_FD_READ 3

static int g_source = -1, g_root = -1, g_logfd = -1;

static int os_poll(const int *fds, size_t n, bool *ready) {
  static cloudabi_subscription_t subs[MAX_CONNS + 1];
  static cloudabi_event_t events[MAX_CONNS + 1];
  size_t ns = 0;
  for (size_t i = 0; i < n; ++i) {
    ready[i] = false;
    int fd = i == 0 ? (fds[0] == -1 ? g_source : -1) : fds[i];
    if (fd < 0) continue;
    memset(&subs[ns], 0, sizeof subs[ns]);
    subs[ns].userdata = i;
    subs[ns].type = EVENTTYPE_FD_READ;
    subs[ns].fd_readwrite.fd = (cloudabi_fd_t)fd;
    ++ns;
  }
  size_t nev = 0;
  cloudabi_errno_t e = cloudabi_sys_poll(subs, events, ns, &nev);
  if (e != 0) return e;
  for (size_t k = 0; k < nev; ++k)
    if (events[k].userdata < n) ready[events[k].userdata] = true;  /* errors too: read reports them */
  return 0;
}

static int os_accept(void) {
  char byte;
  cloudabi_iovec_t iov = {&byte, 1};
  cloudabi_fd_t fd = (cloudabi_fd_t)-1;
  cloudabi_recv_in_t in = {&iov, 1, &fd, 1, 0};
  cloudabi_recv_out_t out;
  memset(&out, 0, sizeof out);
  cloudabi_errno_t e = cloudabi_sys_sock_recv((cloudabi_fd_t)g_source, &in, &out);
  if (e == EINTR || e == EAGAIN) return -1;
  if (e != 0) {
    fprintf(stderr, "webserver: sock_recv on the connection source: %s\n", strerror(e));
    return -2;
  }
  if (out.ro_fdslen == 1) return (int)fd;
  return out.ro_datalen == 0 ? -2 : -1;  /* end of stream: the source is gone */
}

static long os_read(int fd, void *buf, size_t n) {
  cloudabi_iovec_t iov = {buf, n};
  size_t got;
  return cloudabi_sys_fd_read((cloudabi_fd_t)fd, &iov, 1, &got) == 0 ? (long)got : -1;
}

static long os_write(int fd, const void *buf, size_t n) {
  cloudabi_ciovec_t iov = {buf, n};
  size_t put;
  return cloudabi_sys_fd_write((cloudabi_fd_t)fd, &iov, 1, &put) == 0 ? (long)put : -1;
}

static void os_close(int fd) { cloudabi_sys_fd_close((cloudabi_fd_t)fd); }

static int os_open(const char *path, int *fd, uint64_t *size, bool *is_dir) {
  cloudabi_lookup_t dir = {(cloudabi_fd_t)g_root, CLOUDABI_LOOKUP_SYMLINK_FOLLOW};
  cloudabi_fdstat_t want;
  memset(&want, 0, sizeof want);
  want.fs_rights_base = RIGHT_FD_READ | RIGHT_FILE_STAT_FGET;
  cloudabi_fd_t f = 0;
  cloudabi_errno_t e = cloudabi_sys_file_open(dir, path, strlen(path), 0, &want, &f);
  if (e != 0) return e;
  cloudabi_filestat_t st;
  e = cloudabi_sys_file_stat_fget(f, &st);
  if (e != 0) {
    cloudabi_sys_fd_close(f);
    return e;
  }
  *fd = (int)f;
  *size = st.st_size;
  *is_dir = st.st_filetype == CLOUDABI_FILETYPE_DIRECTORY;
  return 0;
}

static void os_log(const char *line, size_t len) {
  if (g_logfd >= 0) os_write(g_logfd, line, len);
}

int main(void) {
  const argdata_t *ad = capvm_argdata();
  argdata_t v;
  if (argdata_map_get(ad, "socket", &v) != 0 || argdata_get_fd(&v, &g_source) != 0 ||
      argdata_map_get(ad, "root", &v) != 0 || argdata_get_fd(&v, &g_root) != 0) {
    fprintf(stderr, "webserver: the YAML needs socket: !socket {bind: ADDR} and root: !file {path: DIR}\n");
    return 2;
  }
  if (argdata_map_get(ad, "log", &v) == 0 && argdata_get_fd(&v, &g_logfd) == 0) g_log = true;
  intmax_t n;
  if (argdata_map_get(ad, "connections", &v) == 0 && argdata_get_int(&v, &n) == 0 && n > 0)
    g_max_connections = (long)n;
  return serve();
}

#else
/* OS layer: Linux. */
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/openat2.h>
#endif

static int g_listen = -1, g_root = -1;

static int os_poll(const int *fds, size_t n, bool *ready) {
  static struct pollfd p[MAX_CONNS + 1];
  for (size_t i = 0; i < n; ++i) {
    p[i].fd = i == 0 ? (fds[0] == -1 ? g_listen : -1) : fds[i];
    p[i].events = POLLIN;
    p[i].revents = 0;
  }
  if (poll(p, n, -1) < 0) return errno;
  for (size_t i = 0; i < n; ++i) ready[i] = p[i].revents != 0;
  return 0;
}

static int os_accept(void) {
  int fd = accept4(g_listen, NULL, NULL, SOCK_CLOEXEC);
  return fd >= 0 ? fd : -1;
}

static long os_read(int fd, void *buf, size_t n) {
  long r;
  do r = read(fd, buf, n);
  while (r < 0 && errno == EINTR);
  return r;
}

static long os_write(int fd, const void *buf, size_t n) {
  long r;
  do r = send(fd, buf, n, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno == ENOTSOCK) r = write(fd, buf, n);
  return r;
}

static void os_close(int fd) { close(fd); }

static int os_open(const char *path, int *fd, uint64_t *size, bool *is_dir) {
  int f = -1;
#if defined(__linux__) && defined(SYS_openat2)
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  f = (int)syscall(SYS_openat2, g_root, path, &how, sizeof how);
  if (f < 0 && errno != ENOSYS) return errno == EXDEV ? EACCES : errno;
#endif
  if (f < 0) f = openat(g_root, path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return errno;
  struct stat st;
  if (fstat(f, &st) != 0) {
    int e = errno;
    close(f);
    return e;
  }
  *fd = f;
  *size = (uint64_t)st.st_size;
  *is_dir = S_ISDIR(st.st_mode);
  return 0;
}

static void os_log(const char *line, size_t len) {
  if (write(2, line, len) < 0) { /* nowhere to report it */ }
}

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    if (strcmp(argv[i], "--log") == 0) g_log = true;
    else if (strcmp(argv[i], "--connections") == 0 && i + 1 < argc) g_max_connections = atol(argv[++i]);
    else break;
  }
  if (argc - i != 2) {
    fprintf(stderr, "usage: %s [--log] [--connections N] HOST:PORT DIR\n", argv[0]);
    return 2;
  }
  char host[256];
  const char *addr = argv[i], *colon = strrchr(addr, ':');
  if (!colon || (size_t)(colon - addr) >= sizeof host) {
    fprintf(stderr, "webserver: %s is not HOST:PORT\n", addr);
    return 2;
  }
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  char *h = host;
  if (h[0] == '[' && h[strlen(h) - 1] == ']') {
    h[strlen(h) - 1] = '\0';
    ++h;
  }
  struct addrinfo hints, *ai;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (getaddrinfo(h[0] ? h : NULL, colon + 1, &hints, &ai) != 0) {
    fprintf(stderr, "webserver: cannot resolve %s\n", addr);
    return 2;
  }
  g_listen = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(g_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (g_listen < 0 || bind(g_listen, ai->ai_addr, ai->ai_addrlen) != 0 || listen(g_listen, 512) != 0) {
    fprintf(stderr, "webserver: cannot listen on %s: %s\n", addr, strerror(errno));
    return 2;
  }
  freeaddrinfo(ai);
  fcntl(g_listen, F_SETFL, fcntl(g_listen, F_GETFL) | O_NONBLOCK);
  g_root = open(argv[i + 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g_root < 0) {
    fprintf(stderr, "webserver: cannot open %s: %s\n", argv[i + 1], strerror(errno));
    return 2;
  }
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char hbuf[128], pbuf[16];
  getsockname(g_listen, (struct sockaddr *)&ss, &len);
  getnameinfo((struct sockaddr *)&ss, len, hbuf, sizeof hbuf, pbuf, sizeof pbuf,
              NI_NUMERICHOST | NI_NUMERICSERV);
  printf(strchr(hbuf, ':') ? "listening on [%s]:%s\n" : "listening on %s:%s\n", hbuf, pbuf);
  fflush(stdout);
  return serve();
}
#endif
