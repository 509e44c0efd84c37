// Unit tests of guest code fetching for the x86-64 translator: a block's
// CodeWindow gives exactly what a fetch of each instruction alone gives
// (same bytes, same faults at the edges of executable memory).
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "translator/x86_64/insn_rewrite.h"
#include "vm/guest_memory.h"

namespace capvm::x86_64 {
namespace {

constexpr uint64_t kPage = vm::kGuestPageSize;

std::unique_ptr<vm::GuestMemory> memory() {
  std::string error;
  auto mem = vm::GuestMemory::create(uint64_t{1} << 24, &error);
  REQUIRE(mem);
  return mem;
}

// Maps [addr, addr + len) readable+writable, fills it with `fill`, then gives
// it protection `prot`.
void map_code(vm::GuestMemory& mem, uint64_t addr, uint64_t len, uint8_t fill, unsigned prot) {
  vm::GuestAddr at = addr;
  REQUIRE(mem.map(&at, len, vm::kProtRead | vm::kProtWrite, true) == abi::E_SUCCESS);
  std::vector<uint8_t> bytes(len, fill);
  REQUIRE(mem.write(addr, bytes.data(), bytes.size()) == abi::E_SUCCESS);
  REQUIRE(mem.protect(addr, len, prot) == abi::E_SUCCESS);
}

void put(vm::GuestMemory& mem, uint64_t addr, const std::vector<uint8_t>& bytes) {
  REQUIRE(mem.poke(addr, bytes.data(), bytes.size()) == abi::E_SUCCESS);
}

// Both fetch paths agree on status, length and bytes at pc.
FetchStatus both(vm::GuestMemory& mem, CodeWindow& window, uint64_t pc, DecodedInsn* out) {
  DecodedInsn alone;
  const FetchStatus a = fetch_and_decode(mem, pc, &alone);
  const FetchStatus w = fetch_and_decode(window, pc, out);
  REQUIRE(a == w);
  if (a == FetchStatus::kOk) {
    REQUIRE(alone.insn.length == out->insn.length);
    REQUIRE(std::memcmp(alone.bytes, out->bytes, alone.insn.length) == 0);
    REQUIRE(alone.branch_target == out->branch_target);
  }
  return w;
}

constexpr unsigned kRX = vm::kProtRead | vm::kProtExec;
constexpr unsigned kR = vm::kProtRead;

TEST_CASE("a window decodes a run of nops and a branch like single fetches", "[fetch]") {
  auto mem = memory();
  map_code(*mem, 0x10000, kPage, 0x90, kRX);
  put(*mem, 0x10100, {0xE9, 0x10, 0x00, 0x00, 0x00});  // jmp +0x10
  CodeWindow window(*mem);
  DecodedInsn d;
  for (uint64_t pc = 0x10000; pc < 0x10100; ++pc) REQUIRE(both(*mem, window, pc, &d) == FetchStatus::kOk);
  REQUIRE(both(*mem, window, 0x10100, &d) == FetchStatus::kOk);
  CHECK(d.insn.length == 5);
  CHECK(d.branch_target == 0x10115);
}

TEST_CASE("an instruction running into a non-executable page is a fetch fault", "[fetch]") {
  auto mem = memory();
  map_code(*mem, 0x10000, kPage, 0x90, kRX);
  map_code(*mem, 0x11000, kPage, 0x00, kR);
  // mov rax, imm64 (10 bytes) starting 3 bytes before the page end.
  put(*mem, 0x10FFD, {0x48, 0xB8, 0x11});
  CodeWindow window(*mem);
  DecodedInsn d;
  REQUIRE(both(*mem, window, 0x10FF0, &d) == FetchStatus::kOk);  // window filled first
  CHECK(both(*mem, window, 0x10FFD, &d) == FetchStatus::kNoCode);
  // The last nop before it still decodes, and so does a one-byte insn at the end.
  put(*mem, 0x10FFF, {0xC3});  // ret
  CodeWindow fresh(*mem);
  REQUIRE(both(*mem, fresh, 0x10FFF, &d) == FetchStatus::kOk);
  CHECK(d.insn.length == 1);
  CHECK(both(*mem, fresh, 0x11000, &d) == FetchStatus::kNoCode);
}

TEST_CASE("an instruction may run on into the next executable page", "[fetch]") {
  auto mem = memory();
  map_code(*mem, 0x10000, 2 * kPage, 0x90, kRX);
  put(*mem, 0x10FFD, {0x48, 0xB8, 1, 2, 3, 4, 5, 6, 7, 8});  // mov rax, imm64 across the boundary
  for (uint64_t start : {uint64_t{0x10000}, uint64_t{0x10C00}, uint64_t{0x10FF8}, uint64_t{0x10FFD}}) {
    CodeWindow window(*mem);
    DecodedInsn d;
    for (uint64_t pc = start; pc < 0x10FFD; ++pc) REQUIRE(both(*mem, window, pc, &d) == FetchStatus::kOk);
    REQUIRE(both(*mem, window, 0x10FFD, &d) == FetchStatus::kOk);
    CHECK(d.insn.length == 10);
    CHECK(d.bytes[9] == 8);
  }
}

TEST_CASE("every pc across several pages and window refills agrees with single fetches", "[fetch]") {
  auto mem = memory();
  map_code(*mem, 0x20000, 3 * kPage, 0x90, kRX);
  map_code(*mem, 0x23000, kPage, 0x90, kR);
  // Long instructions everywhere: 10-byte movs, so many straddle the window's
  // 1 KiB and page edges.
  std::vector<uint8_t> code;
  while (code.size() < 3 * kPage) {
    const std::vector<uint8_t> mov = {0x48, 0xB8, 1, 2, 3, 4, 5, 6, 7, 8};
    code.insert(code.end(), mov.begin(), mov.end());
  }
  code.resize(3 * kPage);
  put(*mem, 0x20000, code);
  CodeWindow window(*mem);
  DecodedInsn d;
  unsigned faults = 0;
  for (uint64_t pc = 0x20000; pc < 0x23000 + 16; ++pc)
    if (both(*mem, window, pc, &d) == FetchStatus::kNoCode) ++faults;
  // The last few starts before 0x23000 run into the non-executable page, and
  // nothing past it is code.
  CHECK(faults > 16);
}

TEST_CASE("nothing is fetched from an unmapped or non-executable pc", "[fetch]") {
  auto mem = memory();
  map_code(*mem, 0x10000, kPage, 0x90, kR);
  CodeWindow window(*mem);
  DecodedInsn d;
  CHECK(both(*mem, window, 0x10000, &d) == FetchStatus::kNoCode);
  CHECK(both(*mem, window, 0x30000, &d) == FetchStatus::kNoCode);
  CHECK(both(*mem, window, (uint64_t{1} << 24) - 1, &d) == FetchStatus::kNoCode);
  CHECK(both(*mem, window, ~uint64_t{0}, &d) == FetchStatus::kNoCode);
}

TEST_CASE("code at the very end of the sandbox decodes up to its edge", "[fetch]") {
  auto mem = memory();
  const uint64_t last = (uint64_t{1} << 24) - kPage;
  map_code(*mem, last, kPage, 0x90, kRX);
  put(*mem, last + kPage - 2, {0x48, 0xB8});  // a mov cut off by the end of memory
  CodeWindow window(*mem);
  DecodedInsn d;
  REQUIRE(both(*mem, window, last + kPage - 3, &d) == FetchStatus::kOk);
  CHECK(both(*mem, window, last + kPage - 2, &d) == FetchStatus::kNoCode);
}

TEST_CASE("a window refetches after its pages change protection", "[fetch]") {
  // A window lives for one block; a new block sees the current pages.
  auto mem = memory();
  map_code(*mem, 0x10000, kPage, 0x90, kRX);
  {
    CodeWindow window(*mem);
    DecodedInsn d;
    REQUIRE(both(*mem, window, 0x10000, &d) == FetchStatus::kOk);
  }
  REQUIRE(mem->protect(0x10000, kPage, kR) == abi::E_SUCCESS);
  CodeWindow window(*mem);
  DecodedInsn d;
  CHECK(both(*mem, window, 0x10000, &d) == FetchStatus::kNoCode);
}

}  // namespace
}  // namespace capvm::x86_64
