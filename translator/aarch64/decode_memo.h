// A persistent memo of aarch64 decodings (32-bit word -> Insn), so that a
// warm start of an aarch64 guest does not load LLVM at all.
//
// Loading libcapvm-a64-llvm.so and creating LLVM's disassembler costs more
// than a whole x86-64 hello world on the measured VM (bench/README.md,
// start-up): its 1.2 MiB of pointer tables are relocated page by page. A
// decoding depends on the word alone (the disassembler keeps no state between
// words, and branch and adr offsets stay relative; Insn::pc is the caller's),
// so `capvm run` keeps the decodings a run needed, and the next run of the
// same program with the same capvm and plugin finds them there
// (Decoder::load_with_memo). One file per program (a64-KEY.memo, KEY a hash
// of capvm's and the plugin's identity and of the program's bytes): a start
// reads only its own program's words, however many programs the user runs;
// the directory keeps the kMaxFiles most recently written.
//
// Trust: the memo steers translation as the plugin does, so it is held to the
// plugin's standard: a regular file owned by the user, in a directory owned
// by the user that nobody else can write (capvm creates both, 0700 and 0600);
// otherwise it is neither read nor written. It is still parsed as untrusted
// input: the header's key and checksum must match, and every record is
// checked against the op table and the operand model (operand kinds, register
// kinds and numbers) before use. Any fault and the whole file is ignored, to
// be rewritten at exit.
//
// Format (host byte order; the file never leaves the machine): a header
//   "capvmA64" | u32 format | u32 0 | u64 key | u64 count | u64 FNV-1a of records
// then `count` records in increasing word order:
//   u32 word | u8 status | u8 num_ops | u16 op | num_ops operands
// an operand being u8 kind | u8 reg kind | u8 reg index | u8 reg count, and
// for an immediate an i64 after it. A record whose status is not kOk has no
// operands and op 0: the translator uses nothing of such an Insn but its word.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "translator/aarch64/a64_decoder.h"

namespace capvm::aarch64 {

class DecodeMemo {
 public:
  // At most this many records are kept; a save beyond it starts afresh from
  // the run's own decodings.
  static constexpr size_t kMaxRecords = 1u << 18;
  static constexpr uint64_t kMaxFileBytes = 64ull << 20;
  // Memo files kept in a directory; a save beyond it removes the oldest.
  static constexpr size_t kMaxFiles = 64;

  // A 64-bit hash of `len` bytes, seeded (for keys: fast on large programs).
  static uint64_t hash(const void* data, size_t len, uint64_t seed);
  // The file's check over its records (hash with a fixed seed): catches a
  // damaged or truncated file, not an adversary (the file and its
  // directory must be the user's own and closed to others).
  static uint64_t checksum(const void* data, size_t len);
  // The memo file for `key` in `dir`: DIR/a64-<16 hex digits>.memo.
  static std::string file_for(const std::string& dir, uint64_t key);

  // The memo kept at `path` for `key` (capvm's and the plugin's identity).
  // Always a usable memo: empty when the file is missing, made for another
  // key, refused or malformed, with the reason in *why when asked.
  static std::unique_ptr<DecodeMemo> open(const std::string& path, uint64_t key,
                                          std::string* why = nullptr);

  // The decoding of `raw`, if known: *status, and *out (pc 0) when kOk.
  bool find(uint32_t raw, Insn* out, DecodeStatus* status) const;
  // Records a decoding the plugin made.
  void add(uint32_t raw, DecodeStatus status, const Insn& in);

  size_t loaded() const { return index_.size(); }
  size_t added() const { return added_.size(); }

  // When decodings were added: writes every known one to a temporary file
  // beside `path` and renames it over (so a reader never sees half a file),
  // creating the directory (0700) first, then removes the oldest memo files
  // beyond kMaxFiles. false with a reason otherwise.
  bool save(std::string* error) const;

  // The whole file for these records (word -> encoded record); for save and tests.
  static std::string serialize(uint64_t key, const std::map<uint32_t, std::string>& records);
  // One record's bytes.
  static std::string encode(uint32_t raw, DecodeStatus status, const Insn& in);

 private:
  DecodeMemo(std::string path, uint64_t key) : path_(std::move(path)), key_(key) {}
  bool parse(std::string bytes, std::string* why);

  std::string path_;
  uint64_t key_;
  std::string bytes_;                                  // the file as read
  std::vector<std::pair<uint32_t, uint32_t>> index_;   // word -> record offset, sorted
  std::map<uint32_t, std::string> added_;              // this run's new records
};

}  // namespace capvm::aarch64
