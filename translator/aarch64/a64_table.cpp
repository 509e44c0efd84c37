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

const OpInfo kInfo[kOpCount + 1] = {
#define A64_OP(name, cls, gen, sample) {#name, cls, gen, sample},
#include "translator/aarch64/a64_table.inc"
#undef A64_OP
    {"<invalid>", kSystem, kGenNone, 0},
};
}  // namespace

const OpInfo& op_info(Op op) { return kInfo[static_cast<unsigned>(op)]; }

Op op_by_name(std::string_view name) {
  static const auto* map = [] {
    // Keys view the table's static names: no allocation per lookup (the
    // decoder looks up every one of LLVM's opcodes at start-up).
    auto* m = new std::unordered_map<std::string_view, Op>();
    m->reserve(kOpCount);
    for (unsigned i = 0; i < kOpCount; ++i) m->emplace(kInfo[i].name, static_cast<Op>(i));
    return m;
  }();
  auto it = map->find(name);
  return it == map->end() ? Op::kInvalid : it->second;
}

}  // namespace capvm::aarch64
