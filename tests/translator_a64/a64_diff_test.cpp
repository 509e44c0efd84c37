// Differential tests generated from the instruction table: for every
// supported opcode, random encodings (the sample's operand bits varied, kept
// when LLVM still decodes the same opcode) and random register states run
// under capvm and under Unicorn; then random sequences as large blocks. Each
// runs with one-instruction blocks and with large blocks.
//
// CAPVM_A64_DIFF_SCALE=N multiplies the case counts (the longer mode);
// CAPVM_A64_DIFF_SEED picks the seed; CAPVM_DIFF_DUMP prints every block.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>

#include "tests/translator_a64/a64_diff.h"
#include "translator/aarch64/a64_decoder.h"

using namespace capvm;
using namespace capvm::a64diff;
using aarch64::Decoder;
using aarch64::DecodeStatus;
using aarch64::GenHint;
using aarch64::Insn;
using aarch64::InsnClass;
using aarch64::Op;
using aarch64::RegKind;

namespace {

constexpr uint32_t kClrex = 0xD503305F;  // resets Unicorn's exclusive monitor per case

// Instructions in the table that the generator leaves out, and why.
const std::map<std::string, std::string>& skip_list() {
  static const std::map<std::string, std::string> m = {
      {"SVC", "exits to the dispatcher: TranslatorA64 API tests"},
      {"BRK", "exits with SIGTRAP: TranslatorA64 API tests"},
      {"HINT", "no architectural effect"},
      {"MRS", "system registers: directed tests (tpidr_el0, nzcv); counters are virtual"},
      {"MSR", "system registers: directed tests"},
      {"DMB", "no single-thread effect"},
      {"DSB", "no single-thread effect"},
      {"ISB", "no single-thread effect"},
      {"CLREX", "every case starts with it"},
      {"SYSxt", "random op1/CRn/CRm/op2 are other SYS operations: DC ZVA and cache maintenance in a64_directed_test"},
  };
  return m;
}

unsigned scale() {
  const char* s = std::getenv("CAPVM_A64_DIFF_SCALE");
  return s ? std::max(1, std::atoi(s)) : 1;
}

uint64_t seed() {
  const char* s = std::getenv("CAPVM_A64_DIFF_SEED");
  return s ? std::strtoull(s, nullptr, 0) : 0xA64D1FFull;
}

// Bits of the sample that may change while the opcode stays the same.
uint32_t variable_mask(Op op) {
  const Decoder& d = Decoder::get();
  const uint32_t sample = aarch64::op_info(op).sample;
  uint32_t mask = 0;
  for (int b = 0; b < 32; ++b) {
    Insn in;
    if (d.decode(sample ^ (1u << b), 0, &in) == DecodeStatus::kOk && in.op == op) mask |= 1u << b;
  }
  return mask;
}

class Gen {
 public:
  explicit Gen(uint64_t s) : rng_(s) {}
  uint64_t u64() { return rng_(); }
  unsigned below(unsigned n) { return static_cast<unsigned>(rng_() % n); }
  uint64_t value() {
    static const uint64_t kSpecial[] = {0, 1, 2, ~uint64_t{0}, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull,
                                        0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000ull, 63, 64, 31, 32};
    switch (below(6)) {
      case 0: return kSpecial[below(sizeof kSpecial / 8)];
      case 1: return u64() & 0xFF;
      case 2: return static_cast<uint32_t>(u64());
      default: return u64();
    }
  }
  uint64_t fp_bits(bool dbl) {
    static const uint64_t kD[] = {0, 0x8000000000000000ull, 0x3FF0000000000000ull, 0xBFF8000000000000ull,
                                  0x7FF0000000000000ull, 0xFFF0000000000000ull, 0x7FF8000000000000ull,
                                  0x7FF4000000000001ull, 0xFFF8000000000123ull, 0x0000000000000001ull,
                                  0x43E0000000000000ull, 0xC3E0000000000000ull, 0x41E0000000000000ull,
                                  0x4330000000000001ull, 0x3FE0000000000000ull, 0x4004000000000000ull};
    static const uint32_t kS[] = {0, 0x80000000u, 0x3F800000u, 0xBFC00000u, 0x7F800000u, 0xFF800000u,
                                  0x7FC00000u, 0x7FA00001u, 0xFFC00123u, 1, 0x5F000000u, 0xDF000000u,
                                  0x4F000000u, 0x3F000000u, 0x40200000u, 0x4B000001u};
    const unsigned k = below(4);
    if (k == 0) return dbl ? kD[below(16)] : kS[below(16)];
    if (k == 1) {  // a modest number
      const double v = (static_cast<double>(u64() % 2000001) - 1000000.0) / (1 + below(1000));
      if (dbl) {
        uint64_t u;
        std::memcpy(&u, &v, 8);
        return u;
      }
      const float f = static_cast<float>(v);
      uint32_t u;
      std::memcpy(&u, &f, 4);
      return u;
    }
    return dbl ? u64() : static_cast<uint32_t>(u64());
  }
  State state() {
    State s;
    for (auto& x : s.x) x = value();
    s.sp = kDataCenter + 16 * below(64);
    s.nzcv = static_cast<uint32_t>(below(16)) << 28;
    s.tpidr = u64();
    for (auto& v : s.v) {
      const bool dbl = below(2);
      for (int half = 0; half < 2; ++half) {
        uint64_t lo = fp_bits(dbl), hi = dbl ? 0 : fp_bits(false);
        const uint64_t w = dbl ? lo : (lo | hi << 32);
        std::memcpy(v + 8 * half, &w, 8);
      }
    }
    s.data.resize(kDataSize);
    for (size_t i = 0; i < kDataSize; i += 8) {
      const uint64_t w = below(4) == 0 ? fp_bits(true) : u64();
      std::memcpy(s.data.data() + i, &w, 8);
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

struct OpGen {
  Op op;
  uint32_t mask;
};

std::vector<OpGen> generated_ops() {
  std::vector<OpGen> ops;
  for (unsigned i = 0; i < aarch64::kOpCount; ++i) {
    const Op op = static_cast<Op>(i);
    const auto& info = aarch64::op_info(op);
    if (info.gen == GenHint::kNone || skip_list().count(info.name)) continue;
    ops.push_back({op, variable_mask(op)});
  }
  return ops;
}

bool is_mem(GenHint g) { return g == GenHint::kMem || g == GenHint::kExcl; }

// A random encoding of `g.op` and the state adjustments it needs. False when
// this draw is unusable (unpredictable register overlap).
bool instance(Gen& gen, const OpGen& g, bool in_sequence, uint32_t* raw, State* s) {
  const Decoder& d = Decoder::get();
  const auto& info = aarch64::op_info(g.op);
  uint32_t w = info.sample ^ (static_cast<uint32_t>(gen.u64()) & g.mask);
  if (info.gen == GenHint::kLit) w = (w & ~(0x7FFFFu << 5)) | ((16 + gen.below(200)) << 5);
  if (in_sequence && is_mem(info.gen)) w = w | (31u << 5);  // SP-based: SP is kept in the data area
  Insn in;
  if (d.decode(w, kCodeAddr + 4, &in) != DecodeStatus::kOk || in.op != g.op) return false;
  const unsigned rt = w & 31, rn = w >> 5 & 31, rt2 = w >> 10 & 31, rs = w >> 16 & 31;
  bool writes_sp = false, reg_offset = false, writeback = false;
  for (unsigned i = 0; i < in.num_ops; ++i)
    if (in.ops[i].is_reg() && (in.ops[i].reg.kind == RegKind::kSP || in.ops[i].reg.kind == RegKind::kWSP))
      writes_sp = true;
  const std::string name = info.name;
  // Post-indexed AdvSIMD structures add Xm (bits 20:16; 31 is the immediate form).
  reg_offset = name.find("roX") != std::string::npos || name.find("roW") != std::string::npos ||
               name.find("_POST") != std::string::npos;
  writeback = name.find("pre") != std::string::npos || name.find("post") != std::string::npos;
  if (is_mem(info.gen)) {
    const bool pair = info.cls == InsnClass::kLoadStorePair;
    // Unpredictable overlaps (ARM ARM: LDP with Rt == Rt2, writeback with
    // Rt == Rn, STXR with Rs == Rt or Rn).
    if (writeback && rn != 31 && (rt == rn || (pair && rt2 == rn))) return false;
    if (pair && name[0] == 'L' && rt == rt2) return false;
    if (info.gen == GenHint::kExcl && name.find("STXR") != std::string::npos && (rs == rt || rs == rn)) return false;
    if (info.gen == GenHint::kExcl && name.find("STLXR") != std::string::npos && (rs == rt || rs == rn)) return false;
    // STXP/STLXP: Ws must differ from Rt, Rt2 and Rn; LDXP/LDAXP: Rt != Rt2.
    if (info.gen == GenHint::kExcl && (name.find("STXP") != std::string::npos || name.find("STLXP") != std::string::npos) &&
        (rs == rt || rs == rt2 || rs == rn))
      return false;
    if (info.gen == GenHint::kExcl && (name.find("LDXP") != std::string::npos || name.find("LDAXP") != std::string::npos) &&
        rt == rt2)
      return false;
    if (in_sequence && reg_offset) return false;
    if (!in_sequence) {
      const uint64_t base = kDataCenter + 16 * gen.below(256);
      if (rn == 31) s->sp = base; else s->x[rn] = base;
      if (reg_offset) {
        if (rs == rn) return false;
        if (rs != 31) s->x[rs] = gen.below(0x400);
      }
    }
    // Unicorn 2.0.1 gets LD{S,U}{MAX,MIN}{B,H,W} wrong: it compares the
    // whole 64-bit Rs with the zero-extended memory value. So Rs is kept
    // zero-extended from the access size, and for the signed forms given
    // the sign of the memory operand (same-sign values compare alike
    // signed and unsigned); mixed signs stay untested against it.
    if (info.cls == InsnClass::kAtomic && !in_sequence && name.size() > 4 &&
        (name.compare(0, 4, "LDSM") == 0 || name.compare(0, 4, "LDUM") == 0) && name.back() != 'X') {
      const unsigned bytes = name.back() == 'W' ? 4 : name.back() == 'H' ? 2 : 1;
      const uint64_t sign = uint64_t{1} << (8 * bytes - 1);
      const uint64_t base = rn == 31 ? s->sp : s->x[rn];
      const bool mem_negative = s->data[base - kDataAddr + bytes - 1] & 0x80;
      if (rs == 31) {
        if (name[2] == 'S' && mem_negative) return false;  // zr is non-negative
      } else {
        uint64_t v = s->x[rs] & (2 * sign - 1);
        if (name[2] == 'S') v = mem_negative ? (v | sign) : (v & ~sign);
        s->x[rs] = v;
      }
    }
  } else if (in_sequence && writes_sp) {
    return false;
  }
  // Branch targets inside the (mapped) code page, past the snippet: both
  // engines stop there, and the next pc is compared.
  const uint32_t words = 8 + gen.below(200);
  switch (info.cls) {
    case InsnClass::kBranchImm: w = (w & ~0x3FFFFFFu) | words; break;
    case InsnClass::kBranchCond:
    case InsnClass::kCompareBranch: w = (w & ~(0x7FFFFu << 5)) | (words << 5); break;
    case InsnClass::kTestBranch: w = (w & ~(0x3FFFu << 5)) | (words << 5); break;
    case InsnClass::kBranchReg:
      // BR/BLR/RET through XZR (rn 31) jump to 0: no register to set (and
      // x[31] would be past the array; UBSan found it).
      if (rn < 31) s->x[rn] = kCodeAddr + 4 * words;
      break;
    default: break;
  }
  if (d.decode(w, kCodeAddr + 4, &in) != DecodeStatus::kOk || in.op != g.op) return false;
  *raw = w;
  return true;
}

Case make_case(const std::string& name, const std::vector<uint32_t>& body, const State& st, Gen& gen) {
  Case c;
  c.name = name;
  c.code.push_back(kClrex);
  c.code.insert(c.code.end(), body.begin(), body.end());
  c.code_page.resize(kCodeSize);
  for (size_t i = 0; i < kCodeSize; i += 8) {
    const uint64_t w = gen.u64();
    std::memcpy(c.code_page.data() + i, &w, 8);
  }
  std::memcpy(c.code_page.data(), c.code.data(), 4 * c.code.size());
  // svc #0 ends a large block right after the snippet (the runners stop there).
  const uint32_t svc = 0xD4000001;
  std::memcpy(c.code_page.data() + 4 * c.code.size(), &svc, 4);
  c.init = st;
  return c;
}

struct Tally {
  unsigned cases = 0, failures = 0, no_oracle = 0;
  std::map<std::string, unsigned> failing_ops;
  std::string first_report;
};

void check(const Case& c, UnicornRunner& uc, CapvmRunner& cap, Tally* t, const std::string& op_name) {
  ++t->cases;
  const Result a = uc.run(c);
  if (!a.ok) {  // Unicorn rejects it (e.g. an access it faults on): no oracle
    ++t->no_oracle;
    if (t->no_oracle <= 3) std::printf("no oracle: %s\n", describe(c, a, a, "").c_str());
    return;
  }
  const Result b = cap.run(c);
  const std::string diff = b.ok ? compare(a.final_state, b.final_state, c.flush_to_zero) : "";
  if (!b.ok || !diff.empty()) {
    ++t->failures;
    if (t->failing_ops[op_name]++ == 0 && t->failing_ops.size() <= 12) t->first_report += describe(c, a, b, diff) + "\n";
  }
}

void report(const Tally& t, const char* what) {
  std::string ops;
  for (const auto& [k, v] : t.failing_ops) ops += " " + k + "(" + std::to_string(v) + ")";
  UNSCOPED_INFO(what << ": " << t.cases << " cases, " << t.failures << " failures;" << ops << "\n" << t.first_report);
  std::printf("%s: %u cases, %u failures, %u without an oracle\n", what, t.cases, t.failures, t.no_oracle);
}

void run_singles(unsigned max_block_insns, unsigned per_op, uint64_t s) {
  UnicornRunner uc;
  UnicornRunner uc_lse(UnicornRunner::Cpu::kMax);
  CapvmRunner cap(max_block_insns);
  std::string err;
  REQUIRE(uc.ready(&err));
  REQUIRE(cap.ready(&err));
  Gen gen(s);
  Tally t;
  for (const OpGen& g : generated_ops()) {
    const auto& info = aarch64::op_info(g.op);
    unsigned made = 0;
    for (unsigned tries = 0; made < per_op && tries < per_op * 20; ++tries) {
      State st = gen.state();
      uint32_t raw;
      if (!instance(gen, g, false, &raw, &st)) continue;
      ++made;
      check(make_case(info.name, {raw}, st, gen), info.cls == InsnClass::kAtomic ? uc_lse : uc, cap, &t, info.name);
    }
  }
  report(t, max_block_insns == 1 ? "single instructions, one-instruction blocks" : "single instructions, large blocks");
  CHECK(t.failures == 0);
  CHECK(t.no_oracle * 100 <= t.cases);  // the generator must give Unicorn runnable cases
}

void run_sequences(unsigned max_block_insns, unsigned count, uint64_t s, bool compact_exits = true) {
  UnicornRunner uc;
  CapvmRunner cap(max_block_insns, compact_exits);
  std::string err;
  REQUIRE(uc.ready(&err));
  REQUIRE(cap.ready(&err));
  Gen gen(s);
  std::vector<OpGen> pool;
  for (const OpGen& g : generated_ops()) {
    const GenHint h = aarch64::op_info(g.op).gen;
    if (h == GenHint::kAny || h == GenHint::kMem) pool.push_back(g);
  }
  Tally t;
  for (unsigned n = 0; n < count; ++n) {
    State st = gen.state();
    std::vector<uint32_t> body;
    std::string names;
    const unsigned len = 8 + gen.below(24);
    while (body.size() < len) {
      // Now and then a forward conditional branch inside the snippet (a
      // side exit of a superblock): b.cond, cbz/cbnz, tbz/tbnz, skipping
      // one to three instructions (at most to the end of the snippet).
      if (body.size() + 2 < len && gen.below(6) == 0) {
        const uint32_t skip = 2 + gen.below(std::min<uint32_t>(3, len - 1 - body.size()));  // in insns, from the branch
        const uint32_t rt = gen.below(32);
        switch (gen.below(3)) {
          case 0: body.push_back(0x54000000u | skip << 5 | gen.below(14)); break;  // b.cond
          case 1: body.push_back((gen.below(2) << 31) | 0x34000000u | (gen.below(2) << 24) | skip << 5 | rt); break;
          default: {
            const uint32_t bit = gen.below(64);
            body.push_back(((bit >> 5) << 31) | 0x36000000u | (gen.below(2) << 24) | (bit & 31) << 19 | skip << 5 | rt);
          }
        }
        continue;
      }
      const OpGen& g = pool[gen.below(pool.size())];
      uint32_t raw;
      if (!instance(gen, g, true, &raw, &st)) continue;
      body.push_back(raw);
      names = aarch64::op_info(g.op).name;
    }
    check(make_case("sequence " + std::to_string(n), body, st, gen), uc, cap, &t, "sequence");
  }
  report(t, max_block_insns == 1 ? "sequences, one-instruction blocks"
            : compact_exits      ? "sequences, large blocks"
                                 : "sequences, large blocks, long exit stubs");
  CHECK(t.failures == 0);
}

// Every FP instruction under random FPCR settings: RMode (all four),
// FZ and DN, set by `msr fpcr` in front of it and read back after it.
void run_fpcr(unsigned max_block_insns, unsigned per_op, uint64_t s) {
  UnicornRunner uc;
  CapvmRunner cap(max_block_insns);
  std::string err;
  REQUIRE(uc.ready(&err));
  REQUIRE(cap.ready(&err));
  Gen gen(s);
  Tally t;
  constexpr uint32_t kMsrFpcrX28 = 0xD51B441C, kMrsX27Fpcr = 0xD53B441B;
  for (const OpGen& g : generated_ops()) {
    const auto& info = aarch64::op_info(g.op);
    const std::string name = info.name;
    const bool fp_scalar = info.cls >= InsnClass::kFpMove && info.cls <= InsnClass::kFpConvert;
    const bool fp_vector = info.cls == InsnClass::kNeon && name.size() > 1 && name[0] == 'F';
    const bool int_to_fp = name.find("CVTF") != std::string::npos;
    if (!fp_scalar && !fp_vector && !int_to_fp) continue;
    unsigned made = 0;
    for (unsigned tries = 0; made < per_op && tries < per_op * 20; ++tries) {
      State st = gen.state();
      uint32_t raw;
      if (!instance(gen, g, false, &raw, &st)) continue;
      const unsigned rd = raw & 31, rn = raw >> 5 & 31, rm = raw >> 16 & 31;
      if (rd >= 27 || rn >= 27 || rm >= 27) continue;  // x27/x28 carry FPCR
      ++made;
      st.x[28] = (gen.below(4) << 22) | (gen.below(2) ? aarch64::kFpcrFz : 0) |
                 (gen.below(2) ? aarch64::kFpcrDn : 0);
      // Denormal operands often, so flush-to-zero is exercised.
      for (auto& v : st.v)
        if (gen.below(3) == 0) {
          const uint64_t w = gen.below(2) ? (gen.u64() & 0x800FFFFFFFFFFFFFull) : (gen.u64() & 0x807FFFFF807FFFFFull);
          std::memcpy(v, &w, 8);
        }
      Case cs = make_case(name + " under FPCR", {kMsrFpcrX28, raw, kMrsX27Fpcr}, st, gen);
      cs.flush_to_zero = (st.x[28] & aarch64::kFpcrFz) != 0;
      check(cs, uc, cap, &t, name);
    }
  }
  report(t, max_block_insns == 1 ? "FPCR modes, one-instruction blocks" : "FPCR modes, large blocks");
  CHECK(t.failures == 0);
  CHECK(t.no_oracle * 100 <= t.cases);
}

}  // namespace

TEST_CASE("every table instruction has a decodable sample and a generator or a skip reason", "[a64diff]") {
  const Decoder& d = Decoder::get();
  CHECK(d.unknown_table_ops() == 0);
  for (unsigned i = 0; i < aarch64::kOpCount; ++i) {
    const auto& info = aarch64::op_info(static_cast<Op>(i));
    Insn in;
    INFO(info.name);
    CHECK(d.decode(info.sample, 0, &in) == DecodeStatus::kOk);
    CHECK(in.op == static_cast<Op>(i));
    CHECK((info.gen != GenHint::kNone || skip_list().count(info.name) == 1));
  }
}

TEST_CASE("single instructions against Unicorn with one-instruction blocks", "[a64diff]") {
  run_singles(1, 30 * scale(), seed());
}

TEST_CASE("single instructions against Unicorn with large blocks", "[a64diff]") {
  run_singles(64, 30 * scale(), seed() + 1);
}

TEST_CASE("random sequences against Unicorn with large blocks", "[a64diff]") {
  run_sequences(64, 3000 * scale(), seed() + 2);
}

// The long direct-exit stubs, which compact ones fall back to (a block over
// 2 GiB from the shared stub): the snippets' side exits and their ends.
TEST_CASE("random sequences against Unicorn with large blocks and long exit stubs", "[a64diff]") {
  run_sequences(64, 1000 * scale(), seed() + 7, false);
}

TEST_CASE("random sequences against Unicorn with one-instruction blocks", "[a64diff]") {
  run_sequences(1, 1500 * scale(), seed() + 3);
}

TEST_CASE("FP instructions against Unicorn under every FPCR rounding mode, FZ and DN", "[a64diff]") {
  run_fpcr(1, 40 * scale(), seed() + 4);
  run_fpcr(64, 40 * scale(), seed() + 5);
}
