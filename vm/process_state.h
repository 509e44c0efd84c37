// The state of one running guest process, shared by process start-up and
// the dispatcher. Internal to vm/.
#pragma once

#include <memory>
#include <string>

#include "hostio/fd_table.h"
#include "hostio/syscall.h"
#include "translator/x86_64/translator.h"
#include "vm/elf_loader.h"
#include "vm/guest_memory.h"
#include "vm/process.h"

namespace capvm::vm {

struct Process : hostio::ProcessHooks {
  const RunOptions* options = nullptr;
  std::unique_ptr<GuestMemory> memory;
  hostio::FdTable fds;
  std::unique_ptr<x86_64::Translator> translator;
  LoadedImage image;
  GuestAddr vdso_base = 0;
  uint64_t vdso_size = 0;
  uint8_t uuid[16] = {};
  uint32_t main_tid = 0;

  const uint8_t* process_uuid() const override { return uuid; }
};

// Runs the calling thread's guest context (this_thread_context()) until the
// process ends; returns the process exit status (see vm/process.h).
int run_guest_thread(Process& process);

// Serves the syscall whose trap left translated code (ctx.rip is past the
// `syscall`). Returns true to continue the guest; false when the process
// ends, with *exit_status set.
bool serve_syscall(Process& process, int* exit_status);

// One line on stderr: "capvm: PROGRAM: MESSAGE".
void report(const Process& process, const std::string& message);

}  // namespace capvm::vm
