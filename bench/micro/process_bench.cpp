// Whole-process paths through vm::run_program (what `capvm run` does after
// parsing its configuration), each run in a forked child because
// run_program ends the process when the guest exits (the fork, ~0.1 ms, is
// included in the time):
//   BM_RunProgramHello     start-up to exit of examples/hello (no stdout fd:
//                          its writes fail with EBADF, nothing is printed)
//   BM_RunProgramSyscalls  bench/programs/syscall_loop.c: 200000
//                          clock_time_get calls; items/s is system calls per
//                          second including the process start-up
#include <benchmark/benchmark.h>

#include <sys/wait.h>
#include <unistd.h>

#include "micro_common.h"
#include "vm/process.h"

namespace capvm::bench {
namespace {

void run_guest(benchmark::State& state, const char* path, uint64_t items_per_run) {
  vm::RunOptions opt;
  opt.program_path = path;
  opt.program = read_file(path);
  for (auto _ : state) {
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) _exit(vm::run_program(opt));
    int wstatus = 0;
    if (pid < 0 || waitpid(pid, &wstatus, 0) != pid) {
      state.SkipWithError("fork/waitpid failed");
      break;
    }
    const int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    if (status != 0) {
      state.SkipWithError(("guest exited with status " + std::to_string(status)).c_str());
      break;
    }
  }
  if (items_per_run != 0) state.SetItemsProcessed(state.iterations() * items_per_run);
}

void BM_RunProgramHello(benchmark::State& state) { run_guest(state, CAPVM_BENCH_HELLO_GUEST, 0); }
BENCHMARK(BM_RunProgramHello)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_RunProgramSyscalls(benchmark::State& state) {
  run_guest(state, CAPVM_BENCH_SYSCALL_GUEST, 200000);
}
BENCHMARK(BM_RunProgramSyscalls)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace capvm::bench
