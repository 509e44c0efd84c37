// DecodeMemo: the persistent memo of aarch64 decodings (decode_memo.h).
#include "translator/aarch64/decode_memo.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <string_view>

namespace capvm::aarch64 {
namespace {

constexpr char kMagic[8] = {'c', 'a', 'p', 'v', 'm', 'A', '6', '4'};
// 2: the records' checksum is DecodeMemo::checksum (word-wise; format 1
// used byte-wise FNV-1a, ~0.1 ms for a hello world's memo on this VM).
constexpr uint32_t kFormat = 2;
constexpr uint64_t kChecksumSeed = 0x6361707666d656d6ull;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8 + 8 + 8;

template <typename T>
void put(std::string* s, T v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
T get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The register a record may name: kinds and numbers the decoder produces
// (a64_decoder_llvm.cpp, reg_from_llvm_name).
bool valid_reg(const Reg& r) {
  switch (r.kind) {
    case RegKind::kX: case RegKind::kW:
      return r.index <= 30 && r.count == 1;
    case RegKind::kSP: case RegKind::kWSP: case RegKind::kXZR: case RegKind::kWZR:
      return r.index == 31 && r.count == 1;
    case RegKind::kB: case RegKind::kH: case RegKind::kS: case RegKind::kD: case RegKind::kQ:
      return r.index <= 31 && r.count == 1;
    case RegKind::kDList: case RegKind::kQList:
      return r.index <= 31 && r.count >= 1 && r.count <= 4;
    case RegKind::kXPair: case RegKind::kWPair:
      return r.index <= 30 && r.count == 2;
    case RegKind::kNone:
      return false;
  }
  return false;
}

// Decodes and checks the record at p (at most `avail` bytes); *used is its
// length. false for anything the decoder could not have produced.
bool read_record(const uint8_t* p, size_t avail, uint32_t* raw, Insn* out, DecodeStatus* status,
                 size_t* used) {
  if (avail < 8) return false;
  *raw = get<uint32_t>(p);
  const uint8_t st = p[4];
  const uint8_t num_ops = p[5];
  const uint16_t op = get<uint16_t>(p + 6);
  if (st > static_cast<uint8_t>(DecodeStatus::kUnsupported) || num_ops > kMaxOperands) return false;
  *status = static_cast<DecodeStatus>(st);
  *out = Insn{};
  out->raw = *raw;
  size_t at = 8;
  if (*status != DecodeStatus::kOk) {
    if (num_ops != 0 || op != 0) return false;
    *used = at;
    return true;
  }
  if (op == static_cast<uint16_t>(Op::kInvalid) || op >= kOpCount) return false;
  out->op = static_cast<Op>(op);
  out->num_ops = num_ops;
  for (unsigned i = 0; i < num_ops; ++i) {
    if (avail - at < 4) return false;
    Operand& o = out->ops[i];
    const uint8_t kind = p[at];
    if (kind == static_cast<uint8_t>(Operand::Kind::kReg)) {
      o.kind = Operand::Kind::kReg;
      if (p[at + 1] > static_cast<uint8_t>(RegKind::kWPair)) return false;
      o.reg.kind = static_cast<RegKind>(p[at + 1]);
      o.reg.index = p[at + 2];
      o.reg.count = p[at + 3];
      if (!valid_reg(o.reg)) return false;
      at += 4;
    } else if (kind == static_cast<uint8_t>(Operand::Kind::kImm)) {
      if (p[at + 1] != 0 || p[at + 2] != 0 || p[at + 3] != 0 || avail - at < 12) return false;
      o.kind = Operand::Kind::kImm;
      o.imm = get<int64_t>(p + at + 4);
      at += 12;
    } else {
      return false;
    }
  }
  *used = at;
  return true;
}

// A directory or file nobody but this user can have written.
bool private_to_user(const struct stat& st) {
  return st.st_uid == geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// mkdir -p with mode 0700 for what it creates; the last directory must end
// up owned by the user and closed to others.
bool make_private_dir(const std::string& dir, std::string* error) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    const std::string part = dir.substr(0, i);
    if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      *error = part + ": " + std::strerror(errno);
      return false;
    }
  }
  struct stat st;  // (a symbolic link to such a directory is as good)
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !private_to_user(st)) {
    *error = dir + ": not a directory of this user's that only it can write";
    return false;
  }
  return true;
}

constexpr char kFilePrefix[] = "a64-";
constexpr char kFileSuffix[] = ".memo";

bool is_memo_name(const std::string& name) {
  const size_t p = sizeof kFilePrefix - 1, s = sizeof kFileSuffix - 1;
  return name.size() == p + 16 + s && name.compare(0, p, kFilePrefix) == 0 &&
         name.compare(name.size() - s, s, kFileSuffix) == 0;
}

// Leaves the kMaxFiles most recently written memos in `dir`.
void prune(const std::string& dir, size_t keep) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::pair<int64_t, std::string>> memos;  // (mtime ns, name)
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    struct stat st;
    if (!is_memo_name(name) || fstatat(dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    memos.emplace_back(int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec, name);
  }
  if (memos.size() > keep) {
    std::sort(memos.begin(), memos.end());
    for (size_t i = 0; i + keep < memos.size(); ++i) unlinkat(dirfd(d), memos[i].second.c_str(), 0);
  }
  closedir(d);
}

}  // namespace

uint64_t DecodeMemo::hash(const void* data, size_t len, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ull);
  auto mix = [&h](uint64_t w) {
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  };
  size_t i = 0;
  for (; i + 8 <= len; i += 8) mix(get<uint64_t>(p + i));
  uint64_t tail = 0;
  if (len > i) std::memcpy(&tail, p + i, len - i);
  mix(tail);
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 29);
}

uint64_t DecodeMemo::checksum(const void* data, size_t len) { return hash(data, len, kChecksumSeed); }

std::string DecodeMemo::file_for(const std::string& dir, uint64_t key) {
  char name[64];
  std::snprintf(name, sizeof name, "%s%016" PRIx64 "%s", kFilePrefix, key, kFileSuffix);
  return dir + "/" + name;
}

std::string DecodeMemo::encode(uint32_t raw, DecodeStatus status, const Insn& in) {
  std::string r;
  const bool ok = status == DecodeStatus::kOk;
  put<uint32_t>(&r, raw);
  put<uint8_t>(&r, static_cast<uint8_t>(status));
  put<uint8_t>(&r, ok ? in.num_ops : 0);
  put<uint16_t>(&r, ok ? static_cast<uint16_t>(in.op) : 0);
  if (!ok) return r;
  for (unsigned i = 0; i < in.num_ops; ++i) {
    const Operand& o = in.ops[i];
    put<uint8_t>(&r, static_cast<uint8_t>(o.kind));
    if (o.is_reg()) {
      put<uint8_t>(&r, static_cast<uint8_t>(o.reg.kind));
      put<uint8_t>(&r, o.reg.index);
      put<uint8_t>(&r, o.reg.count);
    } else {
      put<uint8_t>(&r, 0);
      put<uint16_t>(&r, 0);
      put<int64_t>(&r, o.imm);
    }
  }
  return r;
}

std::string DecodeMemo::serialize(uint64_t key, const std::map<uint32_t, std::string>& records) {
  std::string body;
  for (const auto& [raw, rec] : records) body += rec;
  std::string out(kMagic, sizeof kMagic);
  put<uint32_t>(&out, kFormat);
  put<uint32_t>(&out, 0);
  put<uint64_t>(&out, key);
  put<uint64_t>(&out, records.size());
  put<uint64_t>(&out, checksum(body.data(), body.size()));
  return out + body;
}

bool DecodeMemo::parse(std::string bytes, std::string* why) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() < kHeaderBytes || std::memcmp(p, kMagic, sizeof kMagic) != 0 ||
      get<uint32_t>(p + 8) != kFormat) {
    *why = "not a decode memo of this format";
    return false;
  }
  if (get<uint64_t>(p + 16) != key_) {
    *why = "made by another capvm or decoder plugin";
    return false;
  }
  const uint64_t count = get<uint64_t>(p + 24);
  const size_t body = bytes.size() - kHeaderBytes;
  if (count > kMaxRecords || count > body / 8 ||
      checksum(p + kHeaderBytes, body) != get<uint64_t>(p + 32)) {
    *why = "damaged (count or checksum)";
    return false;
  }
  std::vector<std::pair<uint32_t, uint32_t>> index;
  index.reserve(count);
  size_t at = kHeaderBytes;
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t raw;
    Insn in;
    DecodeStatus st;
    size_t used = 0;
    if (!read_record(p + at, bytes.size() - at, &raw, &in, &st, &used) ||
        (!index.empty() && raw <= index.back().first)) {
      *why = "damaged (record " + std::to_string(i) + ")";
      return false;
    }
    index.emplace_back(raw, static_cast<uint32_t>(at));
    at += used;
  }
  if (at != bytes.size()) {
    *why = "damaged (bytes after the last record)";
    return false;
  }
  bytes_ = std::move(bytes);
  index_ = std::move(index);
  return true;
}

std::unique_ptr<DecodeMemo> DecodeMemo::open(const std::string& path, uint64_t key,
                                             std::string* why) {
  std::unique_ptr<DecodeMemo> memo(new DecodeMemo(path, key));
  std::string reason;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  struct stat st, dir;
  if (fd < 0) {
    reason = errno == ENOENT ? "no memo yet" : std::strerror(errno);
  } else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !private_to_user(st) ||
             stat(parent_of(path).c_str(), &dir) != 0 || !S_ISDIR(dir.st_mode) ||
             !private_to_user(dir)) {
    reason = "refused: file and directory must be the user's own and closed to others";
  } else if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    reason = "refused: larger than " + std::to_string(kMaxFileBytes) + " bytes";
  } else {
    std::string bytes(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t n = read(fd, bytes.data() + got, bytes.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got != bytes.size()) reason = "short read";
    else memo->parse(std::move(bytes), &reason);
  }
  if (fd >= 0) close(fd);
  if (why) *why = reason;
  return memo;
}

bool DecodeMemo::find(uint32_t raw, Insn* out, DecodeStatus* status) const {
  // The record: in the file as read, else among this run's additions.
  std::string_view rec;
  const auto it = std::lower_bound(index_.begin(), index_.end(), std::make_pair(raw, uint32_t{0}));
  if (it != index_.end() && it->first == raw) {
    rec = std::string_view(bytes_).substr(it->second);
  } else if (const auto a = added_.find(raw); a != added_.end()) {
    rec = a->second;
  } else {
    return false;
  }
  uint32_t word;
  size_t used;
  return read_record(reinterpret_cast<const uint8_t*>(rec.data()), rec.size(), &word, out, status,
                     &used);
}

void DecodeMemo::add(uint32_t raw, DecodeStatus status, const Insn& in) {
  if (index_.size() + added_.size() >= kMaxRecords * 2) return;  // a runaway guest: stop growing
  added_.emplace(raw, encode(raw, status, in));
}

bool DecodeMemo::save(std::string* error) const {
  if (added_.empty()) return true;
  std::map<uint32_t, std::string> all;
  if (index_.size() + added_.size() <= kMaxRecords) {
    for (size_t i = 0; i < index_.size(); ++i) {
      const uint32_t from = index_[i].second;
      const uint32_t to = i + 1 < index_.size() ? index_[i + 1].second
                                                : static_cast<uint32_t>(bytes_.size());
      all.emplace(index_[i].first, bytes_.substr(from, to - from));
    }
  }
  for (const auto& [raw, rec] : added_) {
    if (all.size() >= kMaxRecords) break;
    all.emplace(raw, rec);
  }
  const std::string data = serialize(key_, all);

  const std::string dir = parent_of(path_);
  if (!make_private_dir(dir, error)) return false;
  std::random_device rd;
  const std::string tmp = path_ + ".tmp." + std::to_string(getpid()) + "." + std::to_string(rd());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool written = done == data.size();
  const int e = written ? 0 : (errno != 0 ? errno : EIO);
  if (close(fd) != 0 || !written || rename(tmp.c_str(), path_.c_str()) != 0) {
    *error = path_ + ": " + std::strerror(e != 0 ? e : errno);
    unlink(tmp.c_str());
    return false;
  }
  prune(dir, kMaxFiles);
  return true;
}

}  // namespace capvm::aarch64
