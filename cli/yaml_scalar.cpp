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

namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (H. Hinnant, "days_from_civil").
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

}  // namespace

std::optional<argdata::Bytes> core_timestamp(std::string_view t, std::string* error) {
  size_t i = 0;
  // Reads between min and max digits; -1 when there are none.
  auto digits = [&](size_t min, size_t max) -> long {
    size_t start = i;
    long v = 0;
    while (i < t.size() && i - start < max && t[i] >= '0' && t[i] <= '9') v = v * 10 + (t[i++] - '0');
    return i - start < min ? -1 : v;
  };
  auto expect = [&](char c) {
    if (i < t.size() && t[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  auto bad = [&]() -> std::optional<argdata::Bytes> {
    *error = "'" + std::string(t) + "' is not a valid timestamp (yyyy-mm-dd, optionally "
             "followed by Thh:mm:ss[.fraction][Z|+hh:mm])";
    return std::nullopt;
  };
  const long year = digits(4, 4);
  if (year < 0 || !expect('-')) return bad();
  const bool ymd_only = t.size() == 10;
  const long month = digits(ymd_only ? 2 : 1, 2);
  if (month < 1 || month > 12 || !expect('-')) return bad();
  const long day = digits(ymd_only ? 2 : 1, 2);
  if (day < 1 || day > static_cast<long>(days_in_month(year, static_cast<unsigned>(month))))
    return bad();
  long hour = 0, minute = 0, second = 0, zone_minutes = 0;
  int64_t nanos = 0;
  if (i != t.size()) {
    if (i < t.size() && (t[i] == 'T' || t[i] == 't')) {
      ++i;
    } else {
      size_t ws = i;
      while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
      if (i == ws) return bad();
    }
    hour = digits(1, 2);
    if (hour < 0 || hour > 23 || !expect(':')) return bad();
    minute = digits(2, 2);
    if (minute < 0 || minute > 59 || !expect(':')) return bad();
    second = digits(2, 2);
    if (second < 0 || second > 59) return bad();
    if (expect('.')) {
      int64_t scale = 100'000'000;
      while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
        nanos += (t[i++] - '0') * scale;
        scale /= 10;
      }
    }
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
    if (expect('Z')) {
    } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
      const bool minus = t[i++] == '-';
      const long zh = digits(1, 2);
      long zm = 0;
      if (zh < 0 || zh > 23) return bad();
      if (expect(':')) {
        zm = digits(2, 2);
        if (zm < 0 || zm > 59) return bad();
      }
      zone_minutes = (minus ? -1 : 1) * (zh * 60 + zm);
    }
    if (i != t.size()) return bad();
  }
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - zone_minutes * 60;
  // Years 0000-9999 in nanoseconds fit in 64 bits only up to 2262: the
  // product is taken in 128 bits and encoded at whatever size it needs.
  const __int128 ns = static_cast<__int128>(seconds) * 1'000'000'000 + nanos;
  const bool negative = ns < 0;
  unsigned __int128 mag = negative ? -static_cast<unsigned __int128>(ns) : static_cast<unsigned __int128>(ns);
  std::vector<uint8_t> magnitude(16);
  for (int k = 15; k >= 0; --k, mag >>= 8) magnitude[static_cast<size_t>(k)] = static_cast<uint8_t>(mag);
  return argdata::big_timestamp(negative, magnitude);
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
