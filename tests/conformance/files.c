/* conformance.files: file_* beneath the directory passed as "dir": create,
 * open (rights, creat/excl, nofollow), readdir, stat, unlink, and the
 * escapes (absolute, "..", symlinks out) that must all be ENOTCAPABLE. */
#include <argdata.h>

#include "conformance.h"

static cloudabi_lookup_t at(cloudabi_fd_t fd, int follow) {
  cloudabi_lookup_t l = {fd, follow ? 1u : 0u};
  return l;
}

static cloudabi_errno_t open_(cloudabi_fd_t dir, const char *p, int oflags, cloudabi_rights_t r,
                              cloudabi_fd_t *fd) {
  cloudabi_fdstat_t st;
  memset(&st, 0, sizeof st);
  st.fs_rights_base = r;
  return cloudabi_sys_file_open(at(dir, 1), p, strlen(p), oflags, &st, fd);
}

int main(void) {
  argdata_t v;
  int dirfd = -1;
  if (argdata_map_get(capvm_argdata(), "dir", &v) != 0 || argdata_get_fd(&v, &dirfd) != 0) {
    printf("no dir\n");
    return 2;
  }
  cloudabi_fd_t dir = (cloudabi_fd_t)dirfd, f;
  CHECK_EQ(cloudabi_sys_file_create(dir, "sub", 3, C_FILETYPE_DIRECTORY), 0);
  CHECK_EQ(cloudabi_sys_file_create(dir, "sub", 3, C_FILETYPE_DIRECTORY), C_EEXIST);
  CHECK_EQ(cloudabi_sys_file_create(dir, "sub2", 4, C_FILETYPE_REGULAR_FILE), C_EINVAL);
  CHECK_EQ(open_(dir, "sub/a", C_OFLAG_CREAT, C_RIGHT_FD_WRITE | C_RIGHT_FD_READ, &f), 0);
  cloudabi_ciovec_t cv = {"hello", 5};
  size_t n;
  CHECK_EQ(cloudabi_sys_fd_write(f, &cv, 1, &n), 0);
  CHECK_EQ(open_(dir, "sub/a", C_OFLAG_CREAT | C_OFLAG_EXCL, C_RIGHT_FD_READ, &f), C_EEXIST);
  CHECK_EQ(open_(dir, "sub/a", 0x10, C_RIGHT_FD_READ, &f), C_EINVAL);
  CHECK_EQ(open_(dir, "sub/a", 0, C_RIGHT_FD_READ | 0x800, &f), C_EINVAL);
  CHECK_EQ(open_(C_BAD_FD, "sub/a", 0, C_RIGHT_FD_READ, &f), C_EBADF);
  CHECK_EQ(cloudabi_sys_file_open(at(dir, 1), "sub/a", 5, 0, C_NULL, &f), C_EFAULT);
  CHECK_EQ(cloudabi_sys_file_open(at(dir, 1), C_OUTSIDE, 5, 0, C_NULL, &f), C_EFAULT);
  cloudabi_lookup_t badlookup = {dir, 0x2};
  cloudabi_fdstat_t st;
  memset(&st, 0, sizeof st);
  CHECK_EQ(cloudabi_sys_file_open(badlookup, "sub/a", 5, 0, &st, &f), C_EINVAL);
  /* Escapes. */
  const char *escapes[] = {"/etc/passwd", "//etc/passwd", "..", "./..", "sub/../..",
                           "../etc/passwd", "sub/../../../../../../../../../../../../../.."};
  for (unsigned i = 0; i < sizeof escapes / sizeof escapes[0]; ++i) {
    cloudabi_errno_t e = open_(dir, escapes[i], 0, C_RIGHT_FD_READ, &f);
    if (e != C_ENOTCAPABLE) printf("escape case %s: errno %d\n", escapes[i], e);
    CHECK_EQ(e, C_ENOTCAPABLE);
  }
  CHECK_EQ(cloudabi_sys_file_symlink("/etc", 4, dir, "lnk", 3), 0);
  CHECK_EQ(open_(dir, "lnk/passwd", 0, C_RIGHT_FD_READ, &f), C_ENOTCAPABLE);
  CHECK_EQ(cloudabi_sys_file_symlink("..", 2, dir, "up", 2), 0);
  CHECK_EQ(open_(dir, "up", C_OFLAG_DIRECTORY, C_RIGHT_FD_READ, &f), C_ENOTCAPABLE);
  CHECK_EQ(cloudabi_sys_file_symlink("self", 4, dir, "self", 4), 0);
  CHECK_EQ(open_(dir, "self", 0, C_RIGHT_FD_READ, &f), C_ELOOP);
  cloudabi_filestat_t fs;
  CHECK_EQ(cloudabi_sys_file_stat_get(at(dir, 0), "lnk", 3, &fs), 0);
  CHECK_EQ(cloudabi_sys_file_stat_get(at(dir, 1), "lnk", 3, &fs), C_ENOTCAPABLE);
  /* A sub-directory fd without file_create_file cannot create. */
  cloudabi_fd_t sub;
  cloudabi_fdstat_t ds;
  memset(&ds, 0, sizeof ds);
  ds.fs_rights_base = C_RIGHT_FILE_OPEN | C_RIGHT_FILE_READDIR;
  ds.fs_rights_inheriting = C_RIGHT_FD_READ;
  CHECK_EQ(cloudabi_sys_file_open(at(dir, 1), "sub", 3, C_OFLAG_DIRECTORY, &ds, &sub), 0);
  CHECK_EQ(open_(sub, "b", C_OFLAG_CREAT, C_RIGHT_FD_READ, &f), C_ENOTCAPABLE);
  CHECK_EQ(open_(sub, "a", 0, C_RIGHT_FD_WRITE, &f), C_ENOTCAPABLE);
  CHECK_EQ(open_(sub, "a", 0, C_RIGHT_FD_READ, &f), 0);
  char buf[16];
  cloudabi_iovec_t iv = {buf, sizeof buf};
  CHECK_EQ(cloudabi_sys_fd_read(f, &iv, 1, &n), 0);
  CHECK_EQ(n, 5);
  /* readdir: ".", "..", "a". */
  char dbuf[512];
  size_t used = 0;
  CHECK_EQ(cloudabi_sys_file_readdir(sub, dbuf, sizeof dbuf, 0, &used), 0);
  int entries = 0;
  for (size_t pos = 0; pos + sizeof(cloudabi_dirent_t) <= used;) {
    cloudabi_dirent_t de;
    memcpy(&de, dbuf + pos, sizeof de);
    pos += sizeof de + de.d_namlen;
    ++entries;
  }
  CHECK_EQ(entries, 3);
  CHECK_EQ(cloudabi_sys_file_readdir(sub, C_OUTSIDE, 64, 0, &used), C_EFAULT);
  CHECK_EQ(cloudabi_sys_file_unlink(sub, "a", 1, 0), C_ENOTCAPABLE);
  CHECK_EQ(cloudabi_sys_file_unlink(dir, "sub/a", 5, 0x2), C_EINVAL);
  CHECK_EQ(cloudabi_sys_file_unlink(dir, "sub/a", 5, 0), 0);
  CHECK_EQ(cloudabi_sys_file_unlink(dir, "sub", 3, 1), 0);
  CHECK_EQ(cloudabi_sys_file_unlink(dir, "..", 2, 1), C_ENOTCAPABLE);
  CONF_DONE("conformance.files");
}
