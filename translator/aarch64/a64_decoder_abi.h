// The C interface between capvm and libcapvm-a64-llvm.so, the shared object
// that holds LLVM's AArch64 disassembler. LLVM's tables are some 50,000
// pointers that the dynamic loader must relocate and its static constructors
// register hundreds of options; loading them only when an aarch64 guest runs
// keeps x86-64 guests' start-up free of both (bench/README.md, start-up).
//
// Only plain data crosses: our Insn (a64_decoder.h), written by the plugin,
// and strings into caller buffers. The plugin gets our instruction table's
// names from capvm itself, so a plugin from another build cannot map opcodes
// to the wrong Op; the ABI version and sizeof(Insn) catch layout changes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace capvm::aarch64 {
// Bumped whenever Insn, Operand, Reg or a function below changes meaning.
inline constexpr uint32_t kDecoderAbiVersion = 1;
inline constexpr const char* kDecoderPluginName = "libcapvm-a64-llvm.so";
}  // namespace capvm::aarch64

extern "C" {
// Creates the decoder: LLVM's AArch64 target, our op table mapped from
// `op_names` (index = Op value) and registers mapped by name. nullptr with a
// message in `err` when the ABI does not match or LLVM fails.
typedef void* (*capvm_a64_llvm_open_fn)(uint32_t abi_version, uint32_t insn_size,
                                        const char* const* op_names, uint32_t op_count,
                                        char* err, size_t err_len);
// Decodes `raw` at `pc` into the Insn at `out`; returns a DecodeStatus.
typedef int (*capvm_a64_llvm_decode_fn)(const void* decoder, uint32_t raw, uint64_t pc, void* out);
// LLVM's opcode name of `raw` into buf (NUL-terminated; "" when undefined);
// returns the name's full length.
typedef size_t (*capvm_a64_llvm_name_fn)(const void* decoder, uint32_t raw, char* buf, size_t len);
// Registers mapped by name, and table ops LLVM does not know.
typedef void (*capvm_a64_llvm_stats_fn)(const void* decoder, uint32_t* mapped_registers,
                                        uint32_t* unknown_table_ops);
}
