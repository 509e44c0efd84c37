// spec/argdata.md, "Binary encoding".
#include "cli/argdata_encoder.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace capvm::cli::argdata {

Bytes null() { return {}; }

Bytes binary(const uint8_t* data, size_t len) {
  Bytes out;
  out.reserve(len + 1);
  out.push_back(kBinary);
  if (len) out.insert(out.end(), data, data + len);
  return out;
}

// argdata.md: bool false has no value bytes, true is one byte 01.
Bytes boolean(bool value) { return value ? Bytes{kBool, 0x01} : Bytes{kBool}; }

Bytes fd(uint32_t n) {
  return {kFd, uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
}

Bytes float64(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  Bytes out{kFloat};
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(uint8_t(bits >> shift));
  return out;
}

Bytes int_bytes(bool negative, const std::vector<uint8_t>& magnitude) {
  // Two's complement of the magnitude, one extra byte for the sign; then
  // drop redundant leading 00 / FF bytes (argdata.md: "as few bytes as
  // needed"; 0 is the empty sequence).
  Bytes v(magnitude.size() + 1, 0);
  std::copy(magnitude.begin(), magnitude.end(), v.begin() + 1);
  if (negative) {
    for (auto& b : v) b = uint8_t(~b);
    for (size_t i = v.size(); i-- > 0;) {
      if (++v[i] != 0) break;
    }
  }
  size_t start = 0;
  while (start < v.size()) {
    const uint8_t fill = (v[start] & 0x80) ? 0xFF : 0x00;
    if (v[start] != fill) break;
    // A leading fill byte is redundant when the next byte has the same sign.
    if (start + 1 < v.size() && ((v[start + 1] & 0x80) ? 0xFF : 0x00) == fill) {
      ++start;
      continue;
    }
    // Last byte, or the next byte's sign differs: 00 with nothing after is
    // zero (empty); FF alone is -1 (kept).
    if (start + 1 == v.size() && fill == 0x00) start = v.size();
    break;
  }
  return Bytes(v.begin() + static_cast<std::ptrdiff_t>(start), v.end());
}

Bytes big_integer(bool negative, const std::vector<uint8_t>& magnitude) {
  Bytes out{kInt};
  Bytes v = int_bytes(negative, magnitude);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

namespace {
std::vector<uint8_t> magnitude_of(int64_t value, bool* negative) {
  *negative = value < 0;
  // -(INT64_MIN) does not fit; compute the magnitude unsigned.
  uint64_t m = *negative ? uint64_t(0) - uint64_t(value) : uint64_t(value);
  std::vector<uint8_t> bytes(8);
  for (int i = 7; i >= 0; --i, m >>= 8) bytes[size_t(i)] = uint8_t(m);
  return bytes;
}
}  // namespace

Bytes integer(int64_t value) {
  bool negative;
  auto m = magnitude_of(value, &negative);
  return big_integer(negative, m);
}

Bytes timestamp(int64_t nanoseconds) {
  bool negative;
  auto m = magnitude_of(nanoseconds, &negative);
  Bytes out{kTimestamp};
  Bytes v = int_bytes(negative, m);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

Bytes big_timestamp(bool negative, const std::vector<uint8_t>& magnitude) {
  Bytes out{kTimestamp};
  Bytes v = int_bytes(negative, magnitude);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

Bytes string(std::string_view value) {
  Bytes out;
  out.reserve(value.size() + 2);
  out.push_back(kString);
  out.insert(out.end(), value.begin(), value.end());
  out.push_back(0);
  return out;
}

void append_subfield(Bytes& out, const Bytes& value) {
  // Base-128 digits, most significant first; the high bit marks the last.
  uint8_t digits[10];
  int n = 0;
  uint64_t len = value.size();
  do {
    digits[n++] = uint8_t(len & 0x7F);
    len >>= 7;
  } while (len != 0);
  digits[0] |= 0x80;
  while (n-- > 0) out.push_back(digits[n]);
  out.insert(out.end(), value.begin(), value.end());
}

Bytes seq(const std::vector<Bytes>& elements) {
  Bytes out{kSeq};
  for (const Bytes& e : elements) append_subfield(out, e);
  return out;
}

Bytes map(const std::vector<std::pair<Bytes, Bytes>>& entries) {
  Bytes out{kMap};
  for (const auto& [key, value] : entries) {
    append_subfield(out, key);
    append_subfield(out, value);
  }
  return out;
}

}  // namespace capvm::cli::argdata
