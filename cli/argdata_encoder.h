// Byte-exact argdata encoder (spec/argdata.md, "Binary encoding"). Every
// function returns the complete encoding of one value, tag byte first;
// maps and sequences wrap already-encoded values in subfields.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace capvm::cli::argdata {

using Bytes = std::vector<uint8_t>;

// Type tags (spec/argdata.md, table "Type / Tag / Value bytes").
enum Tag : uint8_t {
  kBinary = 0x01,
  kBool = 0x02,
  kFd = 0x03,
  kFloat = 0x04,
  kInt = 0x05,
  kMap = 0x06,
  kSeq = 0x07,
  kString = 0x08,
  kTimestamp = 0x09,
};

// Null has no tag and no bytes at all.
Bytes null();
Bytes binary(const uint8_t* data, size_t len);
Bytes boolean(bool value);
// "32-bit big-endian integer", always four bytes.
Bytes fd(uint32_t number);
// "64-bit big-endian IEEE754 float".
Bytes float64(double value);
Bytes integer(int64_t value);
// An integer of any size: sign and big-endian magnitude (leading zero bytes
// allowed). Encoded in the fewest two's-complement bytes (argdata.md,
// "N-bit signed integers").
Bytes big_integer(bool negative, const std::vector<uint8_t>& magnitude);
// "null-terminated UTF-8" (the caller checks the UTF-8).
Bytes string(std::string_view value);
Bytes timestamp(int64_t nanoseconds);
// A timestamp of any size, like big_integer (argdata.md: "N-bit signed
// big-endian integer ... nanoseconds since 1970 (UTC)").
Bytes big_timestamp(bool negative, const std::vector<uint8_t>& magnitude);
Bytes seq(const std::vector<Bytes>& elements);
Bytes map(const std::vector<std::pair<Bytes, Bytes>>& entries);

// Appends one subfield: the length as a big-endian base-128 number whose
// last byte has the high bit set, then the value (argdata.md, "Subfields").
void append_subfield(Bytes& out, const Bytes& value);

// The minimal two's-complement big-endian bytes of an integer (no tag).
Bytes int_bytes(bool negative, const std::vector<uint8_t>& magnitude);

}  // namespace capvm::cli::argdata
