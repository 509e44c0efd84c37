// The instruction table as data, and name lookup.
#include "translator/aarch64/a64_table.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace capvm::aarch64 {

namespace {
using enum InsnClass;
constexpr GenHint kGenAny = GenHint::kAny, kGenMem = GenHint::kMem, kGenLit = GenHint::kLit,
                  kGenBranch = GenHint::kBranch, kGenExcl = GenHint::kExcl,
                  kGenNone = GenHint::kNone;

// The table is stored without pointers: names in one NUL-separated pool, the
// rest in plain records. A table of 1,533 `const char*` would need as many
// load-time relocations in a position-independent capvm, paid at every start
// even by x86-64 guests; the OpInfo array is built from these on first use.
constexpr char kNames[] =
#define A64_OP(name, cls, gen, sample) #name "\0"
#include "translator/aarch64/a64_table.inc"
#undef A64_OP
    "<invalid>";

struct Record {
  InsnClass cls;
  GenHint gen;
  uint32_t sample;
};
constexpr Record kRecords[kOpCount + 1] = {
#define A64_OP(name, cls, gen, sample) {cls, gen, sample},
#include "translator/aarch64/a64_table.inc"
#undef A64_OP
    {kSystem, kGenNone, 0},
};

// Where each name starts in kNames, worked out by the compiler: op_info
// builds nothing at run time (it used to fill a 37 KB table on first use,
// at every aarch64 start).
static_assert(sizeof kNames <= 65535, "name offsets are 16-bit");
constexpr std::array<uint16_t, kOpCount + 1> kNameAt = [] {
  std::array<uint16_t, kOpCount + 1> at{};
  unsigned pos = 0;
  for (unsigned i = 0; i <= kOpCount; ++i) {
    at[i] = static_cast<uint16_t>(pos);
    while (kNames[pos] != '\0') ++pos;
    ++pos;
  }
  return at;
}();
}  // namespace

OpInfo op_info(Op op) {
  const auto i = static_cast<unsigned>(op);
  return {kNames + kNameAt[i], kRecords[i].cls, kRecords[i].gen, kRecords[i].sample};
}

Op op_by_name(std::string_view name) {
  static const auto* map = [] {
    // Keys view the table's static names: no allocation per lookup.
    auto* m = new std::unordered_map<std::string_view, Op>();
    m->reserve(kOpCount);
    for (unsigned i = 0; i < kOpCount; ++i) m->emplace(op_info(static_cast<Op>(i)).name, static_cast<Op>(i));
    return m;
  }();
  auto it = map->find(name);
  return it == map->end() ? Op::kInvalid : it->second;
}

}  // namespace capvm::aarch64
