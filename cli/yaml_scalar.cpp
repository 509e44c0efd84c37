// YAML 1.2 core schema (yaml.org/spec/1.2, "10.3 Core Schema", tag
// resolution table) applied to plain scalars.
#include "cli/yaml_scalar.h"

#include <cmath>
#include <cstdlib>
#include <limits>

namespace capvm::cli {
namespace {

bool is_digit(char c, int base) {
  if (base == 8) return c >= '0' && c <= '7';
  if (base == 10) return c >= '0' && c <= '9';
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool all_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c, base)) return false;
  return true;
}

// Big-endian base-256 magnitude of a digit string: multiply-add per digit.
std::vector<uint8_t> magnitude(std::string_view digits, int base) {
  std::vector<uint8_t> m;  // little-endian while building
  for (char c : digits) {
    unsigned carry = static_cast<unsigned>(digit_value(c));
    for (auto& b : m) {
      unsigned v = b * static_cast<unsigned>(base) + carry;
      b = static_cast<uint8_t>(v);
      carry = v >> 8;
    }
    while (carry) {
      m.push_back(static_cast<uint8_t>(carry));
      carry >>= 8;
    }
  }
  return std::vector<uint8_t>(m.rbegin(), m.rend());
}

}  // namespace

std::optional<argdata::Bytes> core_null(std::string_view t) {
  if (t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL") return argdata::null();
  return std::nullopt;
}

std::optional<argdata::Bytes> core_bool(std::string_view t) {
  if (t == "true" || t == "True" || t == "TRUE") return argdata::boolean(true);
  if (t == "false" || t == "False" || t == "FALSE") return argdata::boolean(false);
  return std::nullopt;
}

std::optional<argdata::Bytes> core_int(std::string_view t, std::string* error) {
  // [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
  bool negative = false;
  int base = 10;
  std::string_view digits = t;
  if (t.size() > 2 && t[0] == '0' && t[1] == 'o' && all_digits(t.substr(2), 8)) {
    base = 8;
    digits = t.substr(2);
  } else if (t.size() > 2 && t[0] == '0' && t[1] == 'x' && all_digits(t.substr(2), 16)) {
    base = 16;
    digits = t.substr(2);
  } else {
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (!all_digits(digits, 10)) return std::nullopt;
  }
  if (digits.size() > kMaxIntDigits) {
    *error = "integer has more than " + std::to_string(kMaxIntDigits) + " digits";
    return std::nullopt;
  }
  return argdata::big_integer(negative, magnitude(digits, base));
}

std::optional<argdata::Bytes> core_float(std::string_view t) {
  std::string_view s = t;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF")
    return argdata::float64(negative ? -std::numeric_limits<double>::infinity()
                                     : std::numeric_limits<double>::infinity());
  if (t == ".nan" || t == ".NaN" || t == ".NAN")
    return argdata::float64(std::numeric_limits<double>::quiet_NaN());
  // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  size_t i = 0;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && is_digit(s[i], 10)) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i], 10)) ++i, ++frac_digits;
    if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  } else if (int_digits == 0) {
    return std::nullopt;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && is_digit(s[i], 10)) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  // strtod accepts a superset of this syntax; out-of-range gives +-inf or 0.
  std::string copy(t);
  return argdata::float64(std::strtod(copy.c_str(), nullptr));
}

std::optional<argdata::Bytes> resolve_plain(std::string_view t, std::string* error) {
  if (auto v = core_null(t)) return v;
  if (auto v = core_bool(t)) return v;
  error->clear();
  if (auto v = core_int(t, error)) return v;
  if (!error->empty()) return std::nullopt;
  if (auto v = core_float(t)) return v;
  return utf8_string(t, error);
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

std::optional<argdata::Bytes> utf8_string(std::string_view t, std::string* error) {
  if (!valid_utf8(t)) {
    *error = "string is not valid UTF-8";
    return std::nullopt;
  }
  return argdata::string(t);
}

std::optional<argdata::Bytes> base64_binary(std::string_view t, std::string* error) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0, symbols = 0;
  for (char c : t) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    int v = value(c);
    if (v < 0 || padding != 0) {
      *error = "invalid base64 in !!binary";
      return std::nullopt;
    }
    ++symbols;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if (symbols % 4 != 0 || padding > 2) {
    *error = "invalid base64 in !!binary";
    return std::nullopt;
  }
  return argdata::binary(out.data(), out.size());
}

}  // namespace capvm::cli
