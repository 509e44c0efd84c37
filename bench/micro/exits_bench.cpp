// Round trips between translated code and the dispatcher, and control flow
// that stays inside translated code:
//   BM_SyscallExit        `syscall; jmp back`: one exit to C++ and one
//                         re-entry (lookup + run) per iteration; the cost a
//                         guest system call pays before it is served
//   BM_DirectBranchLoop   `dec ecx; jnz loop`: a block linked to itself
//   BM_IndirectCallRet    `call rbx; call f; ...` with f: `ret`: per iteration
//                         one indirect call and two returns through the
//                         indirect-branch lookup table
// The guest code is hand-assembled into a code page; the loop count is in
// ecx and every run ends at a `syscall`.
#include <benchmark/benchmark.h>

#include "micro_common.h"

namespace capvm::bench {
namespace {

using x86_64::kRbx;
using x86_64::kRcx;

void BM_SyscallExit(benchmark::State& state) {
  // 0: syscall          2: jmp 0
  CodeSandbox box({0x0F, 0x05, 0xEB, 0xFC});
  CodeSandbox::Exits exits;
  box.run_to_syscall(&exits);  // warm up: translate and link
  box.run_to_syscall(&exits);
  for (auto _ : state) box.run_to_syscall(&exits);
  state.SetItemsProcessed(state.iterations());
  state.counters["exits/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SyscallExit);

constexpr uint32_t kLoopCount = 1 << 16;

void BM_DirectBranchLoop(benchmark::State& state) {
  // 0: dec ecx    2: jnz 0    4: syscall    6: jmp 0
  CodeSandbox box({0xFF, 0xC9, 0x75, 0xFC, 0x0F, 0x05, 0xEB, 0xF8});
  x86_64::GuestContext& ctx = x86_64::this_thread_context();
  CodeSandbox::Exits exits;
  ctx.gpr[kRcx] = 4;
  box.run_to_syscall(&exits);  // warm up
  for (auto _ : state) {
    ctx.gpr[kRcx] = kLoopCount;
    box.run_to_syscall(&exits);
  }
  state.SetItemsProcessed(state.iterations() * kLoopCount);
  state.counters["exits/iter"] =
      static_cast<double>(exits.branch + exits.indirect_miss) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_DirectBranchLoop);

void BM_IndirectCallRet(benchmark::State& state) {
  // 0x00: call rbx            (rbx = 0x100: f)
  // 0x02: call 0x100          (direct call, indirect return)
  // 0x07: dec ecx
  // 0x09: jnz 0x00
  // 0x0b: syscall
  // 0x0d: jmp 0x00
  // 0x100: ret
  std::vector<uint8_t> code(0x101, 0xCC);
  const uint8_t loop[] = {0xFF, 0xD3, 0xE8, 0xF9, 0x00, 0x00, 0x00, 0xFF,
                          0xC9, 0x75, 0xF5, 0x0F, 0x05, 0xEB, 0xF1};
  std::memcpy(code.data(), loop, sizeof loop);
  code[0x100] = 0xC3;
  CodeSandbox box(code);
  x86_64::GuestContext& ctx = x86_64::this_thread_context();
  ctx.gpr[kRbx] = CodeSandbox::kCodeAddr + 0x100;
  CodeSandbox::Exits exits;
  for (int i = 0; i < 2; ++i) {  // warm up: translate, link, fill the table
    ctx.gpr[kRcx] = 4;
    box.run_to_syscall(&exits);
  }
  exits = {};
  for (auto _ : state) {
    ctx.gpr[kRcx] = kLoopCount;
    ctx.gpr[kRbx] = CodeSandbox::kCodeAddr + 0x100;
    box.run_to_syscall(&exits);
  }
  state.SetItemsProcessed(state.iterations() * kLoopCount);
  state.counters["lookups/s"] = benchmark::Counter(
      3.0 * static_cast<double>(state.iterations()) * kLoopCount, benchmark::Counter::kIsRate);
  state.counters["misses/iter"] =
      static_cast<double>(exits.indirect_miss) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_IndirectCallRet);

}  // namespace
}  // namespace capvm::bench
