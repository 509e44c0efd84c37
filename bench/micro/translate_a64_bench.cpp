// Translation throughput of the aarch64-guest translator on a real guest's
// code, the counterpart of translate_bench.cpp. Block starts come from the
// ELF's function symbols: each function's entry, the instruction after each
// branch, call, return or svc, and each direct branch target inside the
// function (found from the raw encodings, so the benchmark needs no decoder
// of its own). Each iteration translates all of them with a fresh
// Translator; the decode memo is not used, LLVM decodes every instruction.
//   BM_TranslateGuestA64/hello    examples/hello (+ SDK libc, printf engine)
//   BM_TranslateGuestA64/intmix   bench/programs/intmix.c (+ SDK libc)
#include <benchmark/benchmark.h>

#include <set>

#include "micro_common.h"
#include "translator/aarch64/a64_decoder.h"
#include "translator/aarch64/translator.h"
#include "vm/elf_loader.h"
#include "vm/elf_symbols.h"

namespace capvm::bench {
namespace {

int64_t sext(uint64_t v, unsigned bits) {
  const uint64_t m = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

// A64 branch classes by encoding (Arm ARM C4.1.65): whether `raw` ends a
// block, and its pc-relative target if it has one.
bool ends_block(uint32_t raw, uint64_t pc, uint64_t* target) {
  *target = 0;
  if ((raw & 0x7C000000u) == 0x14000000u) {  // B, BL
    *target = pc + static_cast<uint64_t>(sext(raw & 0x03FFFFFFu, 26) * 4);
    return true;
  }
  if ((raw & 0xFF000010u) == 0x54000000u ||  // B.cond
      (raw & 0x7E000000u) == 0x34000000u) {  // CBZ, CBNZ
    *target = pc + static_cast<uint64_t>(sext((raw >> 5) & 0x7FFFFu, 19) * 4);
    return true;
  }
  if ((raw & 0x7E000000u) == 0x36000000u) {  // TBZ, TBNZ
    *target = pc + static_cast<uint64_t>(sext((raw >> 5) & 0x3FFFu, 14) * 4);
    return true;
  }
  if ((raw & 0xFE000000u) == 0xD6000000u) return true;  // BR, BLR, RET
  return (raw & 0xFFE0001Fu) == 0xD4000001u;             // SVC
}

struct A64Code {
  std::unique_ptr<vm::GuestMemory> mem;
  std::vector<uint64_t> starts;
  uint64_t functions = 0;
};

A64Code load_a64(const char* path) {
  A64Code g;
  const std::vector<uint8_t> elf = read_file(path);
  g.mem = make_memory();
  vm::LoadedImage image;
  std::string error;
  if (!vm::load_elf(elf.data(), elf.size(), *g.mem, &image, &error)) die(std::string(path) + ": " + error);
  std::set<uint64_t> starts;
  vm::GuestSymbols symbols;
  symbols.load(elf.data(), elf.size(), image.base);
  for (const vm::GuestSymbols::Sym& f : symbols.functions()) {
    if (f.size == 0) continue;
    const uint64_t begin = f.start, end = begin + (f.size & ~uint64_t{3});
    std::vector<uint32_t> code(f.size / 4);
    if (code.empty() || g.mem->fetch_code(begin, code.data(), code.size() * 4) != abi::E_SUCCESS) continue;
    ++g.functions;
    starts.insert(begin);
    for (size_t k = 0; k < code.size(); ++k) {
      const uint64_t pc = begin + 4 * k;
      uint64_t target = 0;
      if (!ends_block(code[k], pc, &target)) continue;
      if (pc + 4 < end) starts.insert(pc + 4);
      if (target >= begin && target < end) starts.insert(target);
    }
  }
  g.starts.assign(starts.begin(), starts.end());
  return g;
}

void BM_TranslateGuestA64(benchmark::State& state, const char* path) {
  std::string error;
  if (!aarch64::Decoder::load(&error)) {
    state.SkipWithError(("the aarch64 decoder: " + error).c_str());
    return;
  }
  A64Code g = load_a64(path);
  if (g.starts.empty()) {
    state.SkipWithError("no function symbols in the guest");
    return;
  }
  uint64_t blocks = 0;
  for (auto _ : state) {
    aarch64::Translator tr(*g.mem, aarch64::TranslateOptions{});
    for (uint64_t pc : g.starts) {
      const aarch64::LookupResult lr = tr.lookup(pc, false);
      benchmark::DoNotOptimize(lr.block);
    }
    blocks += tr.blocks_translated();
  }
  state.counters["blocks/s"] = benchmark::Counter(static_cast<double>(blocks), benchmark::Counter::kIsRate);
  state.counters["blocks"] = static_cast<double>(g.starts.size());
  state.counters["functions"] = static_cast<double>(g.functions);
}
BENCHMARK_CAPTURE(BM_TranslateGuestA64, intmix, CAPVM_BENCH_SAMPLE_GUEST_A64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_TranslateGuestA64, hello, CAPVM_BENCH_HELLO_GUEST_A64)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace capvm::bench
