// The instruction table as data, and name lookup.
#include "translator/aarch64/a64_table.h"

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

const OpInfo* build_info() {
  auto* info = new OpInfo[kOpCount + 1];  // process lifetime
  const char* name = kNames;
  for (unsigned i = 0; i <= kOpCount; ++i) {
    info[i] = {name, kRecords[i].cls, kRecords[i].gen, kRecords[i].sample};
    name += std::char_traits<char>::length(name) + 1;
  }
  return info;
}

const OpInfo* info_table() {
  static const OpInfo* const table = build_info();
  return table;
}
}  // namespace

const OpInfo& op_info(Op op) { return info_table()[static_cast<unsigned>(op)]; }

Op op_by_name(std::string_view name) {
  static const auto* map = [] {
    // Keys view the table's static names: no allocation per lookup.
    auto* m = new std::unordered_map<std::string_view, Op>();
    m->reserve(kOpCount);
    for (unsigned i = 0; i < kOpCount; ++i) m->emplace(info_table()[i].name, static_cast<Op>(i));
    return m;
  }();
  auto it = map->find(name);
  return it == map->end() ? Op::kInvalid : it->second;
}

}  // namespace capvm::aarch64
