// libcapvm-a64-llvm.so on its own: its four entry points, the checks that
// keep a plugin from another build out, and nothing else visible.
#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "translator/aarch64/a64_decoder.h"
#include "translator/aarch64/a64_decoder_abi.h"

using namespace capvm::aarch64;

namespace {
struct Plugin {
  void* h = dlopen(CAPVM_A64_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  ~Plugin() {
    if (h != nullptr) dlclose(h);
  }
  template <typename Fn>
  Fn fn(const char* name) const {
    return reinterpret_cast<Fn>(dlsym(h, name));
  }
};

std::vector<const char*> table_names() {
  std::vector<const char*> names(kOpCount);
  for (unsigned i = 0; i < kOpCount; ++i) names[i] = op_info(static_cast<Op>(i)).name;
  return names;
}
}  // namespace

TEST_CASE("the plugin exports its four functions and hides LLVM and its C++ runtime", "[a64plugin]") {
  Plugin p;
  REQUIRE(p.h != nullptr);
  for (const char* name : {"capvm_a64_llvm_open", "capvm_a64_llvm_decode", "capvm_a64_llvm_name",
                           "capvm_a64_llvm_stats"}) {
    INFO(name);
    CHECK(dlsym(p.h, name) != nullptr);
  }
  for (const char* name : {"LLVMInitializeAArch64Disassembler", "LLVMInitializeAArch64TargetMC",
                           "_ZNSt6localeC1Ev", "_Znwm"}) {
    INFO(name);
    CHECK(dlsym(p.h, name) == nullptr);
  }
}

TEST_CASE("a plugin from another build is refused with a reason", "[a64plugin]") {
  Plugin p;
  REQUIRE(p.h != nullptr);
  auto open = p.fn<capvm_a64_llvm_open_fn>("capvm_a64_llvm_open");
  REQUIRE(open != nullptr);
  const std::vector<const char*> names = table_names();
  char err[256];
  std::strcpy(err, "unset");
  CHECK(open(kDecoderAbiVersion + 1, sizeof(Insn), names.data(), kOpCount, err, sizeof err) == nullptr);
  CHECK(std::string(err).find("another capvm") != std::string::npos);
  std::strcpy(err, "unset");
  CHECK(open(kDecoderAbiVersion, sizeof(Insn) + 8, names.data(), kOpCount, err, sizeof err) == nullptr);
  CHECK(std::string(err).find("another capvm") != std::string::npos);
  std::strcpy(err, "unset");
  CHECK(open(kDecoderAbiVersion, sizeof(Insn), names.data(), kOpCount - 1, err, sizeof err) == nullptr);
  CHECK(std::string(err).find("another capvm") != std::string::npos);
  // A message longer than the buffer is cut, NUL-terminated.
  char small[8];
  CHECK(open(0, 0, names.data(), 0, small, sizeof small) == nullptr);
  CHECK(std::strlen(small) == sizeof small - 1);
}

TEST_CASE("the plugin decodes into our Insn with our op numbers", "[a64plugin]") {
  Plugin p;
  REQUIRE(p.h != nullptr);
  auto open = p.fn<capvm_a64_llvm_open_fn>("capvm_a64_llvm_open");
  auto decode = p.fn<capvm_a64_llvm_decode_fn>("capvm_a64_llvm_decode");
  auto name = p.fn<capvm_a64_llvm_name_fn>("capvm_a64_llvm_name");
  auto stats = p.fn<capvm_a64_llvm_stats_fn>("capvm_a64_llvm_stats");
  REQUIRE((open && decode && name && stats));
  const std::vector<const char*> names = table_names();
  char err[256] = "";
  void* d = open(kDecoderAbiVersion, sizeof(Insn), names.data(), kOpCount, err, sizeof err);
  REQUIRE(d != nullptr);
  Insn in;
  REQUIRE(decode(d, 0x91000420 /* add x0, x1, #1 */, 0x1000, &in) == static_cast<int>(DecodeStatus::kOk));
  CHECK(in.op == Op::ADDXri);
  CHECK(in.pc == 0x1000);
  CHECK(in.num_ops == 4);
  CHECK(in.ops[0].reg == Reg{RegKind::kX, 0});
  CHECK(in.ops[1].reg == Reg{RegKind::kX, 1});
  CHECK(in.ops[2].imm == 1);
  CHECK(decode(d, 0xFFFFFFFF, 0, &in) == static_cast<int>(DecodeStatus::kUndefined));
  CHECK(decode(d, 0x00000000 /* udf #0: valid, not in the table */, 0, &in) ==
        static_cast<int>(DecodeStatus::kUnsupported));
  char buf[64];
  CHECK(name(d, 0x91000420, buf, sizeof buf) == std::strlen("ADDXri"));
  CHECK(std::string(buf) == "ADDXri");
  CHECK(name(d, 0xFFFFFFFF, buf, sizeof buf) == 0);
  CHECK(std::string(buf).empty());
  uint32_t regs = 0, unknown = 99;
  stats(d, &regs, &unknown);
  CHECK(regs > 200);  // X, W, B/H/S/D/Q, lists and pairs
  CHECK(unknown == 0);
}
