/* exit, atexit, abort, assertion failures (cloudabi.txt: syscalls proc_exit,
 * proc_raise). */
#include <assert.h>
#include <cloudabi_syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include "../stdio/stdio_impl.h"

#define MAX_ATEXIT 32
static void (*atexit_fns[MAX_ATEXIT])(void);
static int atexit_count;

typedef void (*fini_fn)(void);
extern fini_fn __fini_array_start[] __attribute__((weak, visibility("hidden")));
extern fini_fn __fini_array_end[] __attribute__((weak, visibility("hidden")));

int atexit(void (*fn)(void)) {
  if (atexit_count == MAX_ATEXIT) return -1;
  atexit_fns[atexit_count++] = fn;
  return 0;
}

_Noreturn void exit(int status) {
  while (atexit_count > 0) atexit_fns[--atexit_count]();
  if (__fini_array_start != NULL)
    for (fini_fn *f = __fini_array_end; f > __fini_array_start;) (*--f)();
  __capvm_stdio_flush_all();
  cloudabi_sys_proc_exit((cloudabi_exitcode_t)status);
}

_Noreturn void _Exit(int status) { cloudabi_sys_proc_exit((cloudabi_exitcode_t)status); }

_Noreturn void abort(void) {
  fflush(stderr);
  cloudabi_sys_proc_raise(CLOUDABI_SIGABRT);
  cloudabi_sys_proc_exit(128 + 6); /* in case the signal did not end us */
}

_Noreturn void __capvm_assert_fail(const char *expr, const char *file, int line,
                                   const char *func) {
  fprintf(stderr, "%s:%d: %s: Assertion `%s' failed.\n", file, line, func, expr);
  abort();
}
