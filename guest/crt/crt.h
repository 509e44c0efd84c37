/* Private interfaces between start-up pieces. */
#ifndef CAPVM_GUEST_CRT_H
#define CAPVM_GUEST_CRT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#define CAPVM_R_RELATIVE 8 /* R_X86_64_RELATIVE */
#elif defined(__aarch64__)
#define CAPVM_R_RELATIVE 1027 /* R_AARCH64_RELATIVE */
#endif

#define CAPVM_HIDDEN __attribute__((visibility("hidden")))

/* tls.c: allocates this thread's TLS area from the PT_TLS image and installs
 * it, keeping the runtime's tcb.parent. */
CAPVM_HIDDEN void __capvm_tls_setup(const void *image, size_t filesz, size_t memsz, size_t align);

/* args.c: keeps the argdata and picks stdin/stdout/stderr fds from it. */
CAPVM_HIDDEN void __capvm_args_init(const void *buf, size_t len);

#endif
