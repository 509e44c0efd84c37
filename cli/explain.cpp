#include "cli/explain.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "abi/types.h"
#include "cli/argdata_encoder.h"
#include "rights/rights.h"

namespace capvm::cli {
namespace {

using Span = std::pair<const uint8_t*, size_t>;

std::string quoted(const uint8_t* p, size_t n) {
  std::string s = "\"";
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = p[i];
    switch (c) {
      case '"': s += "\\\""; break;
      case '\\': s += "\\\\"; break;
      case '\n': s += "\\n"; break;
      case '\t': s += "\\t"; break;
      case '\r': s += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          s += buf;
        } else {
          s += static_cast<char>(c);  // UTF-8 passes through
        }
    }
  }
  return s + "\"";
}

// Two's-complement big-endian bytes as decimal.
std::string decimal(const uint8_t* p, size_t n) {
  if (n == 0) return "0";
  const bool negative = p[0] & 0x80;
  std::vector<uint8_t> mag(p, p + n);
  if (negative) {  // magnitude = ~v + 1
    for (auto& b : mag) b = static_cast<uint8_t>(~b);
    for (size_t i = mag.size(); i-- > 0;)
      if (++mag[i] != 0) break;
  }
  std::string digits;
  while (true) {
    bool zero = true;
    unsigned rem = 0;
    for (auto& b : mag) {
      unsigned cur = rem * 256 + b;
      b = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
      if (b) zero = false;
    }
    digits.insert(digits.begin(), static_cast<char>('0' + rem));
    if (zero) break;
  }
  return (negative ? "-" : "") + digits;
}

bool read_subfield(const uint8_t*& p, const uint8_t* end, Span* out) {
  uint64_t len = 0;
  while (true) {
    if (p == end) return false;
    const uint8_t b = *p++;
    if (len > (UINT64_MAX >> 7)) return false;
    len = (len << 7) | (b & 0x7f);
    if (b & 0x80) break;
  }
  if (len > static_cast<uint64_t>(end - p)) return false;
  *out = {p, static_cast<size_t>(len)};
  p += len;
  return true;
}

std::string timestamp_text(const uint8_t* p, size_t n) {
  std::string ns = decimal(p, n);
  if (n > 8) return ns + " ns since 1970";
  int64_t v = 0;
  if (n > 0 && (p[0] & 0x80)) v = -1;
  for (size_t i = 0; i < n; ++i) v = static_cast<int64_t>((static_cast<uint64_t>(v) << 8) | p[i]);
  int64_t secs = v / 1'000'000'000, frac = v % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return ns + " ns since 1970";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRId64 "Z",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                frac);
  return buf;
}

// One line for scalars; for maps and sequences the header and nested lines.
std::string scalar_text(Span v, bool* nested) {
  *nested = false;
  const uint8_t* p = v.first;
  size_t n = v.second;
  if (n == 0) return "null";
  const uint8_t tag = p[0];
  ++p, --n;
  char buf[64];
  switch (tag) {
    case argdata::kBinary: {
      std::string s = "binary (" + std::to_string(n) + " bytes)";
      if (n) s += " ";
      for (size_t i = 0; i < n && i < 32; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", p[i]);
        s += buf;
      }
      if (n > 32) s += "...";
      return s;
    }
    case argdata::kBool:
      if (n == 0) return "bool false";
      if (n == 1 && p[0] == 1) return "bool true";
      return "<malformed bool>";
    case argdata::kFd: {
      if (n != 4) return "<malformed fd>";
      uint32_t fd = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
      return "fd " + std::to_string(fd);
    }
    case argdata::kFloat: {
      if (n != 8) return "<malformed float>";
      uint64_t bits = 0;
      for (size_t i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
      double d;
      std::memcpy(&d, &bits, sizeof d);
      std::snprintf(buf, sizeof buf, "float %.17g", d);
      return buf;
    }
    case argdata::kInt:
      return "int " + decimal(p, n);
    case argdata::kString:
      if (n == 0 || p[n - 1] != 0) return "<malformed string>";
      return "string " + quoted(p, n - 1);
    case argdata::kTimestamp:
      return "timestamp " + timestamp_text(p, n);
    case argdata::kMap:
    case argdata::kSeq:
      *nested = true;
      return tag == argdata::kMap ? "map" : "seq";
    default:
      std::snprintf(buf, sizeof buf, "<malformed: unknown tag 0x%02x>", tag);
      return buf;
  }
}

void format_children(Span v, unsigned indent, std::string& out, unsigned depth) {
  const bool is_map = v.first[0] == argdata::kMap;
  const uint8_t* p = v.first + 1;
  const uint8_t* end = v.first + v.second;
  const std::string pad(indent, ' ');
  if (p == end) {
    out.pop_back();
    out += is_map ? " {}\n" : " []\n";
    return;
  }
  while (p != end) {
    Span key, value;
    if (!read_subfield(p, end, &key) || (is_map && !read_subfield(p, end, &value))) {
      out += pad + "<malformed: subfield length past the end>\n";
      return;
    }
    if (!is_map) {
      value = key;
      bool nested;
      std::string head = scalar_text(value, &nested);
      out += pad + "- " + head + "\n";
      if (nested) format_children(value, indent + 2, out, depth + 1);
      continue;
    }
    bool key_nested, nested;
    std::string k = scalar_text(key, &key_nested);
    // String keys are shown bare-quoted ("out": ...), others with type.
    if (!key_nested && key.second > 1 && key.first[0] == argdata::kString) k = k.substr(7);
    if (key_nested) k = "<" + k + " key>";
    std::string head = scalar_text(value, &nested);
    out += pad + k + ": " + head + "\n";
    if (nested) format_children(value, indent + 2, out, depth + 1);
  }
}

}  // namespace

std::string format_argdata(const std::vector<uint8_t>& argdata) {
  std::string out;
  bool nested;
  Span all{argdata.data(), argdata.size()};
  out += scalar_text(all, &nested) + "\n";
  if (nested) format_children(all, 2, out, 0);
  return out;
}

std::string explain(const std::vector<uint8_t>& argdata, const std::vector<FdInfo>& fds) {
  std::string out = "argdata (" + std::to_string(argdata.size()) + " bytes):\n";
  std::string tree = format_argdata(argdata);
  for (size_t start = 0; start < tree.size();) {
    size_t nl = tree.find('\n', start);
    out += "  " + tree.substr(start, nl - start + 1);
    start = nl + 1;
  }
  if (fds.empty()) {
    out += "descriptors: none\n";
    return out;
  }
  out += "descriptors:\n";
  for (const FdInfo& f : fds) {
    const char* type = abi::filetype_name(f.filetype);
    out += "  fd " + std::to_string(f.guest_fd) + ": " + (type ? type : "unknown") + ", " +
           f.origin + "\n";
    out += "    base:       " + rights::format(f.rights_base) + "\n";
    out += "    inheriting: " + rights::format(f.rights_inheriting) + "\n";
  }
  return out;
}

}  // namespace capvm::cli
