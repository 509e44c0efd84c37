// One Catch2 test per instruction template: N random cases, each run under
// Unicorn and under capvm with default blocks and with one-instruction
// blocks (STYLE.md: "Run the tests with one-instruction blocks and with
// large blocks"). CAPVM_DIFF_CASES sets N (default 500).
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

#include "tests/translator/diff_harness.h"
#include "tests/translator/insn_table.h"

namespace capvm::difftest {
namespace {

unsigned cases_per_template() {
  if (const char* s = std::getenv("CAPVM_DIFF_CASES"); s != nullptr && std::atoi(s) > 0)
    return static_cast<unsigned>(std::atoi(s));
  return 500;
}

struct Engines {
  UnicornRunner unicorn;
  CapvmRunner big{64};
  CapvmRunner single{1};
  CapvmRunner long_stubs{64, false};  // the long direct-exit stubs only
};

Engines& engines() {
  static Engines e;
  return e;
}

uint64_t seed_of(const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: a fixed seed per template
  for (char ch : name) h = (h ^ static_cast<uint8_t>(ch)) * 1099511628211ull;
  return h;
}

void run_template() {
  const std::string test = Catch::getResultCapture().getCurrentTestName();
  const std::string name = test.substr(std::string("diff ").size());
  const InsnTemplate* t = nullptr;
  for (const InsnTemplate& x : instruction_table())
    if (name == x.name) t = &x;
  REQUIRE(t != nullptr);
  if (t->cpu_feature != nullptr && !host_has(t->cpu_feature)) {
    WARN("host CPU lacks " << t->cpu_feature << ": template skipped");
    return;
  }
  Engines& e = engines();
  std::string err;
  REQUIRE(e.unicorn.ready(&err));
  REQUIRE(e.big.ready(&err));
  REQUIRE(e.single.ready(&err));
  REQUIRE(e.long_stubs.ready(&err));

  std::mt19937_64 rng(seed_of(name));
  const unsigned n = cases_per_template();
  // CAPVM_DIFF_ONLY=<i>: run just case i (same random stream) to bisect.
  const int only = std::getenv("CAPVM_DIFF_ONLY") ? std::atoi(std::getenv("CAPVM_DIFF_ONLY")) : -1;
  unsigned failures = 0, unicorn_errors = 0;
  std::string first_reports;
  for (unsigned i = 0; i < n; ++i) {
    Case c;
    REQUIRE(generate_case(*t, rng, &c, &err));
    if (only >= 0 && static_cast<int>(i) != only) continue;
    const RunResult ref = e.unicorn.run(c);
    if (!ref.ok) {
      // The oracle cannot run it: a generator problem, not a capvm bug.
      if (unicorn_errors++ < 2)
        first_reports += "unicorn could not run case " + std::to_string(i) + ": " + ref.error +
                         "\n  bytes: " + hex_bytes(c.code) + "\n";
      continue;
    }
    for (CapvmRunner* cr : {&e.big, &e.single, &e.long_stubs}) {
      const RunResult got = cr->run(c);
      const std::string diff = got.ok ? compare_states(c, ref.final_state, got.final_state, true) : "";
      if (got.ok && diff.empty()) continue;
      if (failures++ < 3) {
        const char* mode = cr == &e.big      ? "capvm (64-insn blocks)"
                           : cr == &e.single ? "capvm (1-insn blocks)"
                                             : "capvm (64-insn blocks, long exit stubs)";
        first_reports += "case " + std::to_string(i) + ": " +
                         describe_mismatch(c, "unicorn", ref, mode, got, diff) + "\n";
      }
    }
  }
  if (!first_reports.empty()) std::fprintf(stderr, "%s", first_reports.c_str());
  INFO(first_reports);
  CHECK(unicorn_errors == 0);
  CHECK(failures == 0);
}

// Registers one test per template, named "diff <template>".
struct Registrar {
  std::deque<std::string> names;
  Registrar() {
    for (const InsnTemplate& t : instruction_table()) {
      names.push_back(std::string("diff ") + t.name);
      Catch::AutoReg(Catch::makeTestInvoker(&run_template), CATCH_INTERNAL_LINEINFO,
                     Catch::StringRef(), Catch::NameAndTags{names.back(), "[diff]"});
    }
  }
};
const Registrar registrar;

TEST_CASE("skip list names a reason for every excluded instruction", "[diff]") {
  for (const SkippedInsn& s : skipped_instructions()) {
    INFO(s.name);
    CHECK(std::string(s.why).size() > 10);
  }
}

}  // namespace
}  // namespace capvm::difftest
