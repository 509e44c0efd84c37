// Scalars to argdata: YAML 1.2 core schema resolution for untagged plain
// scalars (null, bool, int, float, else string), and the explicit
// `!!null` `!!bool` `!!int` `!!float` `!!str` `!!binary` conversions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cli/argdata_encoder.h"

namespace capvm::cli {

// Longest integer literal accepted; past this an int is refused rather than
// converted in quadratic time (SECURITY.md, "huge numbers").
inline constexpr size_t kMaxIntDigits = 4096;

// Each returns nullopt when `text` is not of that type; *error is set only
// when the text has the type's shape but cannot be converted.
std::optional<argdata::Bytes> core_null(std::string_view text);
std::optional<argdata::Bytes> core_bool(std::string_view text);
std::optional<argdata::Bytes> core_int(std::string_view text, std::string* error);
std::optional<argdata::Bytes> core_float(std::string_view text);

// An untagged plain scalar: the first of null, bool, int, float that
// matches, else a string. Empty optional with *error set on failure.
std::optional<argdata::Bytes> resolve_plain(std::string_view text, std::string* error);

// A string value: refuses invalid UTF-8 (argdata strings are UTF-8).
std::optional<argdata::Bytes> utf8_string(std::string_view text, std::string* error);

// `!!binary`: base64 with whitespace ignored.
std::optional<argdata::Bytes> base64_binary(std::string_view text, std::string* error);

// `!!timestamp` (yaml.org/type/timestamp.html): "2001-12-14",
// "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
// "2001-12-15 2:59:43.10"; no zone is UTC. Becomes argdata's timestamp:
// nanoseconds since 1970-01-01T00:00:00Z (digits past the nanosecond are
// truncated). Years 0000-9999, leap years checked, no leap second.
std::optional<argdata::Bytes> core_timestamp(std::string_view text, std::string* error);

bool valid_utf8(std::string_view text);

}  // namespace capvm::cli
