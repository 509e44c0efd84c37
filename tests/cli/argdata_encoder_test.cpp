// The encoder against bytes worked out by hand from spec/argdata.md
// ("Binary encoding": the type table, "N-bit signed integers", "Subfields").
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "cli/argdata_encoder.h"

namespace ad = capvm::cli::argdata;
using Bytes = ad::Bytes;

TEST_CASE("argdata: null is zero bytes") { CHECK(ad::null().empty()); }

TEST_CASE("argdata: integers use the fewest two's-complement bytes") {
  // argdata.md, table of examples.
  CHECK(ad::integer(0) == Bytes{0x05});
  CHECK(ad::integer(1) == Bytes{0x05, 0x01});
  CHECK(ad::integer(127) == Bytes{0x05, 0x7F});
  CHECK(ad::integer(-128) == Bytes{0x05, 0x80});
  CHECK(ad::integer(-1) == Bytes{0x05, 0xFF});
  CHECK(ad::integer(255) == Bytes{0x05, 0x00, 0xFF});
  CHECK(ad::integer(1000) == Bytes{0x05, 0x03, 0xE8});
  CHECK(ad::integer(-1000) == Bytes{0x05, 0xFC, 0x18});
  CHECK(ad::integer(4294967295) == Bytes{0x05, 0x00, 0xFF, 0xFF, 0xFF, 0xFF});
  // Around the byte boundaries.
  CHECK(ad::integer(128) == Bytes{0x05, 0x00, 0x80});
  CHECK(ad::integer(-129) == Bytes{0x05, 0xFF, 0x7F});
  CHECK(ad::integer(-256) == Bytes{0x05, 0xFF, 0x00});
  CHECK(ad::integer(32767) == Bytes{0x05, 0x7F, 0xFF});
  CHECK(ad::integer(std::numeric_limits<int64_t>::max()) ==
        Bytes{0x05, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  CHECK(ad::integer(std::numeric_limits<int64_t>::min()) ==
        Bytes{0x05, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
}

TEST_CASE("argdata: integers beyond 64 bits") {
  // 2^64 = magnitude 01 00..00 (8 zero bytes): needs a 00 sign byte? No:
  // 01 already has the sign bit clear.
  CHECK(ad::big_integer(false, {0x01, 0, 0, 0, 0, 0, 0, 0, 0}) ==
        Bytes{0x05, 0x01, 0, 0, 0, 0, 0, 0, 0, 0});
  // 2^64 - 1 needs a leading 00.
  CHECK(ad::big_integer(false, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}) ==
        Bytes{0x05, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  // -2^64: two's complement FF 00 .. 00 (8 zero bytes).
  CHECK(ad::big_integer(true, {0x01, 0, 0, 0, 0, 0, 0, 0, 0}) ==
        Bytes{0x05, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0});
  // Leading zero bytes in the magnitude change nothing; -0 is 0.
  CHECK(ad::big_integer(false, {0, 0, 0, 5}) == Bytes{0x05, 0x05});
  CHECK(ad::big_integer(true, {0, 0}) == Bytes{0x05});
  CHECK(ad::big_integer(false, {}) == Bytes{0x05});
}

TEST_CASE("argdata: strings are null-terminated") {
  CHECK(ad::string("123") == Bytes{0x08, 0x31, 0x32, 0x33, 0x00});  // argdata.md example
  CHECK(ad::string("") == Bytes{0x08, 0x00});
  CHECK(ad::string("\xC3\xA9") == Bytes{0x08, 0xC3, 0xA9, 0x00});
}

TEST_CASE("argdata: binary, bool, fd, float, timestamp") {
  const uint8_t raw[] = {0x00, 0xFF, 0x10};
  CHECK(ad::binary(raw, 3) == Bytes{0x01, 0x00, 0xFF, 0x10});
  CHECK(ad::binary(nullptr, 0) == Bytes{0x01});
  CHECK(ad::boolean(false) == Bytes{0x02});
  CHECK(ad::boolean(true) == Bytes{0x02, 0x01});
  CHECK(ad::fd(2) == Bytes{0x03, 0x00, 0x00, 0x00, 0x02});  // argdata.md example
  CHECK(ad::fd(0) == Bytes{0x03, 0x00, 0x00, 0x00, 0x00});
  CHECK(ad::fd(0x01020304) == Bytes{0x03, 0x01, 0x02, 0x03, 0x04});
  CHECK(ad::float64(1.0) == Bytes{0x04, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0});
  CHECK(ad::float64(-2.5) == Bytes{0x04, 0xC0, 0x04, 0, 0, 0, 0, 0, 0});
  CHECK(ad::float64(0.0) == Bytes{0x04, 0, 0, 0, 0, 0, 0, 0, 0});
  CHECK(ad::float64(std::numeric_limits<double>::infinity()) ==
        Bytes{0x04, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0});
  CHECK(ad::timestamp(0) == Bytes{0x09});
  CHECK(ad::timestamp(1000) == Bytes{0x09, 0x03, 0xE8});
  CHECK(ad::timestamp(-1) == Bytes{0x09, 0xFF});
}

TEST_CASE("argdata: subfield lengths are base-128, high bit on the last byte") {
  Bytes out;
  ad::append_subfield(out, Bytes(6, 0xAA));
  CHECK(out.size() == 7);
  CHECK(out[0] == 0x86);  // argdata.md: length 6 is 86
  out.clear();
  ad::append_subfield(out, Bytes(128, 0));
  CHECK(out[0] == 0x01);  // argdata.md: length 128 is 01 80
  CHECK(out[1] == 0x80);
  CHECK(out.size() == 130);
  out.clear();
  ad::append_subfield(out, Bytes(127, 0));
  CHECK(out[0] == 0xFF);
  out.clear();
  ad::append_subfield(out, Bytes(16384, 0));  // 2^14: 01 00 80
  CHECK(out[0] == 0x01);
  CHECK(out[1] == 0x00);
  CHECK(out[2] == 0x80);
  out.clear();
  ad::append_subfield(out, Bytes{});
  CHECK(out == Bytes{0x80});
}

TEST_CASE("argdata: sequences and maps") {
  // argdata.md: the sequence 0, true, "A".
  CHECK(ad::seq({ad::integer(0), ad::boolean(true), ad::string("A")}) ==
        Bytes{0x07, 0x81, 0x05, 0x82, 0x02, 0x01, 0x83, 0x08, 0x41, 0x00});
  CHECK(ad::seq({}) == Bytes{0x07});
  // A null element is an empty subfield.
  CHECK(ad::seq({ad::null()}) == Bytes{0x07, 0x80});
  // {"a": fd 1}
  CHECK(ad::map({{ad::string("a"), ad::fd(1)}}) ==
        Bytes{0x06, 0x83, 0x08, 0x61, 0x00, 0x85, 0x03, 0x00, 0x00, 0x00, 0x01});
  // Nesting: [[1]]
  CHECK(ad::seq({ad::seq({ad::integer(1)})}) == Bytes{0x07, 0x84, 0x07, 0x82, 0x05, 0x01});
}

TEST_CASE("argdata: timestamps are N-bit integers of nanoseconds") {
  namespace ad = capvm::cli::argdata;
  using Bytes = ad::Bytes;
  CHECK(ad::timestamp(0) == Bytes{0x09});
  CHECK(ad::timestamp(1000) == Bytes{0x09, 0x03, 0xE8});
  CHECK(ad::timestamp(-1) == Bytes{0x09, 0xFF});
  // 2^64 ns: past int64.
  CHECK(ad::big_timestamp(false, {0x01, 0, 0, 0, 0, 0, 0, 0, 0}) ==
        Bytes{0x09, 0x01, 0, 0, 0, 0, 0, 0, 0, 0});
}
