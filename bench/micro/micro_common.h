// Shared set-up for the capvm micro benchmarks: a guest sandbox with a
// hand-assembled code page, a Translator prepared for the calling thread,
// and a run loop that mirrors vm/dispatch.cpp (lookup, link, run, handle
// the exit) but stops at the guest's next `syscall` instead of serving it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "translator/x86_64/guest_context.h"
#include "translator/x86_64/translator.h"
#include "vm/guest_memory.h"
#include "vm/signals.h"

namespace capvm::bench {

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "capvm_micro_bench: %s\n", what.c_str());
  std::exit(1);
}

inline std::vector<uint8_t> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die(std::string("cannot read ") + path + " (build the guest targets first)");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline std::unique_ptr<vm::GuestMemory> make_memory() {
  std::string error;
  auto mem = vm::GuestMemory::create(vm::kMaxSandboxSize, &error);
  if (!mem) die("GuestMemory::create: " + error);
  return mem;
}

inline std::unique_ptr<x86_64::Translator> make_translator(vm::GuestMemory& mem) {
  x86_64::TranslateOptions opt;
  auto tr = std::make_unique<x86_64::Translator>(mem, opt);
  std::string error;
  if (!vm::install_fault_handlers(&error) || !vm::install_thread_altstack(&error) ||
      !tr->prepare_thread(&error))
    die("prepare_thread: " + error);
  return tr;
}

// A sandbox with one executable code page (at kCodeAddr) and a stack.
struct CodeSandbox {
  static constexpr uint64_t kCodeAddr = 0x10000000;
  static constexpr uint64_t kStackAddr = 0x20000000;
  static constexpr uint64_t kStackSize = 64 * 1024;

  std::unique_ptr<vm::GuestMemory> mem;
  std::unique_ptr<x86_64::Translator> tr;
  uint64_t pending_link = 0;

  explicit CodeSandbox(const std::vector<uint8_t>& code) {
    mem = make_memory();
    vm::GuestAddr at = kCodeAddr;
    if (mem->map(&at, vm::kGuestPageSize, vm::kProtRead | vm::kProtExec, true) != abi::E_SUCCESS ||
        mem->poke(kCodeAddr, code.data(), code.size()) != abi::E_SUCCESS)
      die("cannot map the code page");
    at = kStackAddr;
    if (mem->map(&at, kStackSize, vm::kProtRead | vm::kProtWrite, true) != abi::E_SUCCESS)
      die("cannot map the stack");
    tr = make_translator(*mem);
    x86_64::GuestContext& ctx = x86_64::this_thread_context();
    std::memset(ctx.gpr, 0, sizeof ctx.gpr);
    ctx.gpr[x86_64::kRsp] = kStackAddr + kStackSize - 64;
    ctx.rflags = 0x202;
    ctx.rip = kCodeAddr;
  }

  struct Exits {
    uint64_t branch = 0;         // kBranch (unlinked direct branch)
    uint64_t indirect_miss = 0;  // kIndirectMiss
  };

  // Runs guest code from ctx.rip until it executes `syscall`; ctx.rip is
  // then just past it. The same steps as vm::run_guest_thread.
  void run_to_syscall(Exits* exits) {
    x86_64::GuestContext& ctx = x86_64::this_thread_context();
    for (;;) {
      const x86_64::LookupResult lr = tr->lookup(ctx.rip);
      if (lr.block == nullptr) die("no code at the guest pc");
      if (pending_link != 0) {
        tr->link(pending_link, lr.block);
        pending_link = 0;
      }
      switch (tr->run(lr.block)) {
        case x86_64::ExitReason::kBranch:
          ++exits->branch;
          pending_link = ctx.link_site;
          break;
        case x86_64::ExitReason::kIndirectMiss:
          ++exits->indirect_miss;
          ctx.rip = ctx.branch_target;
          break;
        case x86_64::ExitReason::kSyscall:
          return;
        default:
          die("unexpected exit reason " + std::to_string(ctx.exit_reason));
      }
    }
  }
};

}  // namespace capvm::bench
