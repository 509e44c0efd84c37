/* Test helper for the native libc tests: a readable, writable page followed
 * by an unmapped one, so that a read past the end of a string placed at the
 * end of the first page faults. */
#ifndef CAPVM_TESTS_GUARD_PAGE_H
#define CAPVM_TESTS_GUARD_PAGE_H

#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

/* The end of the accessible page (the first byte that faults), or NULL. */
static inline char *guard_page_end(void) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (two == MAP_FAILED) return NULL;
  if (mprotect(two + page, page, PROT_NONE) != 0) {
    munmap(two, 2 * page);
    return NULL;
  }
  return two + page;
}

/* Unmaps what guard_page_end mapped. */
static inline void guard_page_free(char *end) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  munmap(end - page, 2 * page);
}

#endif
