// The per-thread guest context and its fs-relative displacement.
#include "translator/x86_64/guest_context.h"

namespace capvm::x86_64 {

// initial-exec: the context sits in the executable's static TLS block, at a
// fixed offset from the thread pointer, so generated code can address it as
// fs:[offset] in every thread.
__attribute__((tls_model("initial-exec"))) constinit thread_local GuestContext t_context;

int32_t context_fs_offset() {
  uintptr_t tp;
  // glibc keeps the thread pointer itself at fs:0 (the TCB self pointer).
  asm volatile("mov %%fs:0, %0" : "=r"(tp));
  return static_cast<int32_t>(reinterpret_cast<uintptr_t>(&t_context) - tp);
}

}  // namespace capvm::x86_64
