// The capvm executable: a drop-in for cloudabi-run (spec/cloudabi-run.1).
// Every failure of capvm itself is one line on stderr and exit status 127.
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>

#include "cli/options.h"
#include "cli/run_command.h"
#include "vm/exec_state.h"
#include "vm/prefault.h"
#include "vm/process.h"

namespace {

// capvm's heap grows by brk as the YAML is parsed, the program read and blocks
// translated; each new page would be one fault (vm/prefault.h). Make the heap
// grow in large steps and populate them before use.
void prefault_heap() {
  constexpr size_t kStep = 256 * 1024;
  mallopt(M_TOP_PAD, kStep);
  mallopt(M_TRIM_THRESHOLD, 4 * kStep);
  // One brk step now: more than the initial heap has left, less than
  // malloc's mmap threshold (128 KiB). volatile: a malloc/free pair the
  // compiler can see is otherwise removed.
  void* volatile grow = malloc(96 * 1024);
  free(grow);
  const struct mallinfo2 info = mallinfo2();
  char* end = static_cast<char*>(sbrk(0));
  capvm::vm::prefault_write(end - info.arena, info.arena);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace capvm;
  prefault_heap();
  try {
    // A capvm re-executed by a guest's proc_exec (vm/exec_state.h).
    if (argc == 3 && std::string(argv[1]) == vm::kExecStateOption) return vm::run_exec_state(argv[2]);
    cli::Options options;
    std::string error;
    if (!cli::parse_options(argc, argv, &options, &error)) {
      std::fprintf(stderr, "capvm: %s\n", error.c_str());
      return vm::kExitCapvmError;
    }
    switch (options.command) {
      case cli::Command::kHelp:
        std::fputs(cli::usage_text(), stdout);
        return 0;
      case cli::Command::kVersion:
        std::fputs(cli::version_text().c_str(), stdout);
        return 0;
      case cli::Command::kExplain:
        return cli::explain_command(options);
      case cli::Command::kRun:
        return cli::run_command(options);
    }
  } catch (const std::bad_alloc&) {
    std::fputs("capvm: out of memory\n", stderr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "capvm: internal error: %s\n", e.what());
  } catch (...) {
    std::fputs("capvm: internal error\n", stderr);
  }
  return vm::kExitCapvmError;
}
