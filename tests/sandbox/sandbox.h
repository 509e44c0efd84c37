/* Shared helpers for the sandbox probes (tests/sandbox/): the case name from
 * the argdata, unbuffered output, and the "expect-*" lines run_case.sh checks
 * against capvm's kill report on stderr. Every line is flushed before the
 * next step, so the last line on stdout shows how far the guest got. */
#ifndef SANDBOX_PROBE_H
#define SANDBOX_PROBE_H

#include <argdata.h>
#include <cloudabi_syscalls.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline const char *probe_case(void) {
  const argdata_t *ad = capvm_argdata();
  argdata_t v;
  const char *s = NULL;
  size_t len = 0;
  if (argdata_map_get(ad, "case", &v) != 0 || argdata_get_str(&v, &s, &len) != 0) return "";
  return s;
}

/* Host descriptor number of argument `key` (an !fd / !file), or -1. */
static inline int probe_fd(const char *key) {
  const argdata_t *ad = capvm_argdata();
  argdata_t v;
  int fd;
  if (argdata_map_get(ad, key, &v) != 0 || argdata_get_fd(&v, &fd) != 0) return -1;
  return fd;
}

#define say(...)          \
  do {                    \
    printf(__VA_ARGS__);  \
    printf("\n");         \
    fflush(stdout);       \
  } while (0)

/* run_case.sh: the guest must be killed at this pc / guest address. */
#define expect_pc(p) say("expect-pc 0x%llx", (unsigned long long)(uintptr_t)(p))
#define expect_addr(a) say("expect-addr 0x%llx", (unsigned long long)(a))

#define is_case(name) (strcmp(probe_case(), name) == 0)

#endif
