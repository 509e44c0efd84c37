// vm/signals.h: a fault while a guest fault jump is armed becomes the
// guest's (the jump is taken); while a GuestFaultJumpPause holds it back
// (capvm's own code inside a run of translated code: a syscall served in
// place), the fault is capvm's own, reported as such, and the VM dies of it.
// Each case runs in a child process, since the second one ends it.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csetjmp>
#include <csignal>
#include <string>
#include <thread>

#include "vm/signals.h"

namespace capvm::vm {
namespace {

// Runs `fault_under` in a child with capvm's handlers and an armed jump;
// returns the child's wait status. Exit 0: the jump was taken.
template <class F>
int child_status(F fault_under) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::string error;
    if (!install_fault_handlers(&error) || !install_thread_altstack(&error)) _exit(3);
    // Catch2's own handlers were installed over the process's: capvm's
    // replace them above, for this child only.
    sigjmp_buf jb;
    HostFault fault;
    if (sigsetjmp(jb, 0) != 0) _exit(fault.signo == SIGSEGV ? 0 : 4);
    arm_guest_fault_jump(&jb, &fault);
    fault_under();
    _exit(5);  // the fault did not happen
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

TEST_CASE("an armed guest fault jump takes a fault", "[signals]") {
  const int status = child_status([] { raise(SIGSEGV); });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a fault in capvm's code while the jump is paused is capvm's", "[signals]") {
  const int status = child_status([] {
    GuestFaultJumpPause pause;
    raise(SIGSEGV);
  });
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
}

TEST_CASE("the jump is armed again when the pause ends", "[signals]") {
  const int status = child_status([] {
    { GuestFaultJumpPause pause; }
    raise(SIGSEGV);
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
TEST_CASE("a thread's alternate signal stack is taken down and can be set up again",
          "[signals]") {
  // In a thread of its own, as a guest thread does it.
  bool installed = false, removed = false, again = false;
  std::thread([&] {
    std::string error;
    stack_t now;
    installed = install_thread_altstack(&error) && sigaltstack(nullptr, &now) == 0 &&
                !(now.ss_flags & SS_DISABLE) && now.ss_size == 64 * 1024;
    remove_thread_altstack();
    removed = sigaltstack(nullptr, &now) == 0 && (now.ss_flags & SS_DISABLE);
    remove_thread_altstack();  // a second time: nothing left to do
    again = install_thread_altstack(&error) && sigaltstack(nullptr, &now) == 0 &&
            !(now.ss_flags & SS_DISABLE);
    remove_thread_altstack();
  }).join();
  CHECK(installed);
  CHECK(removed);
  CHECK(again);
}

}  // namespace capvm::vm
