// Translation throughput on a real guest's code. The guest ELF is loaded
// with vm::load_elf; every function symbol's code is swept linearly with
// Zydis to find block starts (the function entry, the instruction after each
// branch/call/return/syscall, and every direct branch target inside the
// function); each iteration then translates all of them with a fresh
// Translator. Guest bytes are counted the way the translator forms blocks:
// from the start up to the first control-flow instruction, at most 64
// instructions.
//   BM_TranslateGuest/intmix   bench/programs/intmix.c (+ SDK libc)
//   BM_TranslateGuest/hello    examples/hello (+ SDK libc, printf engine)
#include <Zydis/Zydis.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <set>

#include "micro_common.h"
#include "vm/elf_loader.h"
#include "vm/elf_symbols.h"

namespace capvm::bench {
namespace {

struct GuestCode {
  std::unique_ptr<vm::GuestMemory> mem;
  std::vector<uint64_t> starts;  // block start pcs (guest addresses)
  uint64_t guest_bytes = 0;      // sum of the blocks' guest byte lengths
  uint64_t functions = 0;
};

bool ends_block(const ZydisDecodedInstruction& in) {
  switch (in.meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_INTERRUPT:
      return true;
    default:
      return in.mnemonic == ZYDIS_MNEMONIC_HLT || in.mnemonic == ZYDIS_MNEMONIC_UD2;
  }
}

GuestCode load_guest(const char* path) {
  GuestCode g;
  const std::vector<uint8_t> elf = read_file(path);
  g.mem = make_memory();
  vm::LoadedImage image;
  std::string error;
  if (!vm::load_elf(elf.data(), elf.size(), *g.mem, &image, &error)) die(std::string(path) + ": " + error);
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  std::set<uint64_t> starts;
  vm::GuestSymbols symbols;
  symbols.load(elf.data(), elf.size(), image.base);
  for (const vm::GuestSymbols::Sym& f : symbols.functions()) {
    if (f.size == 0) continue;
    const uint64_t begin = f.start, end = begin + f.size;
    std::vector<uint8_t> code(f.size);
    if (g.mem->fetch_code(begin, code.data(), code.size()) != abi::E_SUCCESS) continue;
    ++g.functions;
    starts.insert(begin);
    uint64_t off = 0;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    while (off < f.size &&
           ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code.data() + off, f.size - off, &in, ops))) {
      const uint64_t pc = begin + off;
      off += in.length;
      if (!ends_block(in)) continue;
      if (off < f.size) starts.insert(begin + off);
      if (in.operand_count_visible > 0 && ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
          ops[0].imm.is_relative) {
        ZyanU64 target = 0;
        if (ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], pc, &target)) && target >= begin &&
            target < end)
          starts.insert(target);
      }
    }
  }
  g.starts.assign(starts.begin(), starts.end());
  // Block lengths as the translator forms them.
  for (uint64_t pc : g.starts) {
    uint8_t buf[16];
    for (unsigned n = 0; n < 64; ++n) {
      size_t avail = sizeof buf;
      while (avail > 0 && g.mem->fetch_code(pc, buf, avail) != abi::E_SUCCESS) --avail;
      ZydisDecodedInstruction in;
      ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
      if (avail == 0 || !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, avail, &in, ops))) break;
      pc += in.length;
      g.guest_bytes += in.length;
      if (ends_block(in)) break;
    }
  }
  return g;
}

void BM_TranslateGuest(benchmark::State& state, const char* path) {
  GuestCode g = load_guest(path);
  if (g.starts.empty()) {
    state.SkipWithError("no function symbols in the guest");
    return;
  }
  uint64_t blocks = 0;
  for (auto _ : state) {
    x86_64::Translator tr(*g.mem, x86_64::TranslateOptions{});
    for (uint64_t pc : g.starts) {
      const x86_64::LookupResult lr = tr.lookup(pc);
      benchmark::DoNotOptimize(lr.block);
    }
    blocks += tr.blocks_translated();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g.guest_bytes));
  state.counters["blocks/s"] = benchmark::Counter(static_cast<double>(blocks), benchmark::Counter::kIsRate);
  state.counters["blocks"] = static_cast<double>(g.starts.size());
  state.counters["functions"] = static_cast<double>(g.functions);
  state.counters["guest_bytes"] = static_cast<double>(g.guest_bytes);
}
BENCHMARK_CAPTURE(BM_TranslateGuest, intmix, CAPVM_BENCH_SAMPLE_GUEST)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_TranslateGuest, hello, CAPVM_BENCH_HELLO_GUEST)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace capvm::bench

BENCHMARK_MAIN();
