// a64_dump: prints each table entry's sample as the decoder normalizes it
// ("ADDXri X0 X1 #1 #0"), or decodes the hex words given as arguments. A
// development aid for writing lowerings against LLVM's operand order.
#include <cstdio>
#include <cstdlib>

#include "translator/aarch64/a64_decoder.h"

using namespace capvm::aarch64;

int main(int argc, char** argv) {
  const Decoder& d = Decoder::get();
  auto show = [&](uint32_t raw) {
    Insn in;
    const DecodeStatus st = d.decode(raw, 0x10000, &in);
    if (st == DecodeStatus::kOk) {
      std::printf("%08x  %s\n", raw, Decoder::format(in).c_str());
    } else {
      std::printf("%08x  %s (%s)\n", raw, st == DecodeStatus::kUndefined ? "undefined" : "unsupported",
                  d.llvm_name(raw).c_str());
    }
  };
  if (argc > 1) {
    for (int i = 1; i < argc; ++i) show(static_cast<uint32_t>(std::strtoul(argv[i], nullptr, 16)));
    return 0;
  }
  std::printf("registers mapped: %u, table ops unknown to LLVM: %u\n", d.mapped_registers(), d.unknown_table_ops());
  for (unsigned i = 0; i < kOpCount; ++i) show(op_info(static_cast<Op>(i)).sample);
  return 0;
}
