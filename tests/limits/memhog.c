/* Maps 1 MiB chunks until the VM refuses. With --max-memory=64M the refusal
 * is ENOMEM after at least 40 chunks (the image, stack and heap use the
 * rest) and before 64. */
#include <stdio.h>

#include "limits_common.h"

int main(void) {
  int chunks = 0;
  for (;;) {
    void *p;
    cloudabi_errno_t e = cloudabi_sys_mem_map(NULL, 1 << 20, CLOUDABI_PROT_READ | CLOUDABI_PROT_WRITE,
                                              CLOUDABI_MAP_ANON | CLOUDABI_MAP_PRIVATE,
                                              CLOUDABI_MAP_ANON_FD, 0, &p);
    if (e != 0) {
      printf("refused with errno %d in range: %s\n", e, chunks >= 40 && chunks < 64 ? "yes" : "no");
      return e == kENOMEM ? 0 : 1;
    }
    memset(p, 1, 4096);
    if (++chunks > 100000) {
      printf("never refused\n");
      return 1;
    }
  }
}
