// Directed cases for the inline indirect-branch lookup (block_builder.cpp,
// lookup_rax): the target loaded straight into rax while rax, rcx and rdx
// are spilled, so each of those three as the branch's register, and as the
// base or index of its memory operand, must still give the guest's value;
// a hit enters the block through its indirect entry, which reloads rdx;
// flags pass through untouched; and a target matching the table's sentinel
// (guest pc 1) is a miss like any other. Each case runs under Unicorn and
// under capvm with large and with one-instruction blocks.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <functional>
#include <string>

#include "tests/translator/diff_harness.h"

namespace capvm::difftest {
namespace {

using namespace asmjit;

struct Engines {
  UnicornRunner unicorn;
  CapvmRunner big{64};
  CapvmRunner single{1};
};

Engines& engines() {
  static Engines e;
  return e;
}

const x86::Gp kQ[16] = {x86::rax, x86::rcx, x86::rdx, x86::rbx, x86::rsp, x86::rbp, x86::rsi, x86::rdi,
                        x86::r8,  x86::r9,  x86::r10, x86::r11, x86::r12, x86::r13, x86::r14, x86::r15};

// Assembles `body` at kCodeAddr into a case whose registers other than rsp
// hold distinct values.
Case make_case(const std::string& name, const std::function<void(x86::Assembler&)>& body) {
  CodeHolder code;
  code.init(Environment(Arch::kX64), kCodeAddr);
  x86::Assembler a(&code);
  body(a);
  Case c = unit_case(name, {}, 23);
  REQUIRE(code.flatten() == kErrorOk);
  REQUIRE(code.resolveUnresolvedLinks() == kErrorOk);
  REQUIRE(code.relocateToBase(kCodeAddr) == kErrorOk);
  c.code.resize(code.codeSize());
  code.copyFlattenedData(c.code.data(), c.code.size(), CopySectionFlags::kPadSectionBuffer);
  for (unsigned i = 0; i < 16; ++i)
    if (i != 4) c.init.gpr[i] = 0x0101010101010101ull * (i + 3);
  return c;
}

void check_same(const Case& c) {
  Engines& e = engines();
  std::string err;
  REQUIRE(e.unicorn.ready(&err));
  REQUIRE(e.big.ready(&err));
  REQUIRE(e.single.ready(&err));
  const RunResult ref = e.unicorn.run(c);
  REQUIRE(ref.ok);
  for (CapvmRunner* r : {&e.big, &e.single}) {
    const RunResult got = r->run(c);
    INFO(c.name << (r == &e.single ? " (one-instruction blocks)" : " (large blocks)"));
    REQUIRE(got.ok);
    const std::string diff = compare_states(c, ref.final_state, got.final_state, true);
    INFO(describe_mismatch(c, "unicorn", ref, "capvm", got, diff));
    CHECK(diff.empty());
  }
}

// The target runs with flags the branch carried (stc before, setc after)
// and reads the scratch registers, which must be the guest's again.
void after_target(x86::Assembler& a) {
  a.setc(x86::bl);
  a.add(x86::rsi, x86::rax);
  a.add(x86::rsi, x86::rcx);
  a.add(x86::rsi, x86::rdx);
}

}  // namespace

TEST_CASE("indirect jmp and call through each scratch register", "[indirect]") {
  for (unsigned r : {0u, 1u, 2u, 3u, 11u}) {
    for (bool call : {false, true}) {
      const Case c = make_case(std::string(call ? "call " : "jmp ") + std::to_string(r), [&](x86::Assembler& a) {
        Label target = a.newLabel();
        a.lea(kQ[r], x86::ptr(target));
        a.stc();
        if (call) a.call(kQ[r]); else a.jmp(kQ[r]);
        a.ud2();
        a.bind(target);
        after_target(a);
        if (call) a.pop(x86::rdi);  // the return address
      });
      check_same(c);
    }
  }
}

TEST_CASE("indirect jmp and call through memory addressed by the scratch registers", "[indirect]") {
  // [base + index*8 + 8] with each of rax, rcx, rdx as base or index: a
  // jump table.
  const unsigned pairs[][2] = {{0, 1}, {1, 2}, {2, 0}, {7, 0}, {0, 7}};
  for (const auto& p : pairs) {
    for (bool call : {false, true}) {
      const unsigned base = p[0], index = p[1];
      const Case c = make_case(std::string(call ? "call" : "jmp") + " [" + std::to_string(base) + "+" +
                                   std::to_string(index) + "*8]",
                               [&](x86::Assembler& a) {
                                 Label target = a.newLabel();
                                 a.mov(kQ[base], imm(kDataAddr));
                                 a.mov(kQ[index], imm(3));
                                 a.lea(x86::r8, x86::ptr(target));
                                 a.mov(x86::ptr(kQ[base], kQ[index], 3, 8), x86::r8);
                                 a.stc();
                                 if (call) a.call(x86::ptr(kQ[base], kQ[index], 3, 8));
                                 else a.jmp(x86::ptr(kQ[base], kQ[index], 3, 8));
                                 a.ud2();
                                 a.bind(target);
                                 after_target(a);
                               });
      check_same(c);
    }
  }
}

TEST_CASE("call [rsp] reads its target before pushing; ret returns with the flags", "[indirect]") {
  const Case c = make_case("call [rsp+8]; ret", [](x86::Assembler& a) {
    Label fn = a.newLabel(), done = a.newLabel();
    a.lea(x86::rax, x86::ptr(fn));
    a.push(x86::rax);
    a.push(x86::rbx);
    a.call(x86::qword_ptr(x86::rsp, 8));
    a.setz(x86::cl);
    a.setc(x86::dl);
    a.add(x86::rsp, 16);
    a.jmp(done);
    a.bind(fn);
    a.mov(x86::rdi, x86::qword_ptr(x86::rsp));  // the return address
    a.xor_(x86::eax, x86::eax);  // ZF
    a.stc();
    a.ret();
    a.bind(done);
  });
  check_same(c);
}

TEST_CASE("a branch to the lookup table's sentinel pc is a miss", "[indirect]") {
  // Guest pc 1 lies in the never-mapped null guard: the lookup must not
  // take the sentinel block for a translation of it, and the run loop then
  // finds no code there.
  Engines& e = engines();
  std::string err;
  REQUIRE(e.big.ready(&err));
  for (bool call : {false, true}) {
    const Case c = make_case(call ? "call 1" : "jmp 1", [&](x86::Assembler& a) {
      a.mov(x86::eax, 1);
      if (call) a.call(x86::rax); else a.jmp(x86::rax);
    });
    const RunResult got = e.big.run(c);
    CHECK_FALSE(got.ok);
    CHECK(got.error.find("lookup failed at") != std::string::npos);
    CHECK(got.error.find("signal 11") != std::string::npos);
    CHECK(x86_64::this_thread_context().rip == 1);
    CHECK(x86_64::this_thread_context().gpr[x86_64::kRdx] == c.init.gpr[x86_64::kRdx]);
  }
}

}  // namespace capvm::difftest
