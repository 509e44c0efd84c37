// The aarch64 decode memo (translator/aarch64/decode_memo.h): what LLVM
// decoded comes back identical, and a file that is damaged, made for
// another capvm or plugin, or writable by others is not used.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "translator/aarch64/decode_memo.h"

using namespace capvm::aarch64;

namespace {

constexpr uint64_t kKey = 0x1234abcd5678ef00ull;

// A fresh private directory per test, removed afterwards.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/capvm-memo-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    if (std::system(("rm -rf '" + path + "'").c_str()) != 0) {
      // a leftover temporary directory; nothing to do about it here
    }
  }
  std::string file() const { return path + "/a64-decode.bin"; }
};

void write_file(const std::string& path, const std::string& bytes, mode_t mode = 0600) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  REQUIRE(chmod(path.c_str(), mode) == 0);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool same(const Insn& a, const Insn& b) {
  if (a.op != b.op || a.raw != b.raw || a.num_ops != b.num_ops) return false;
  for (unsigned i = 0; i < a.num_ops; ++i) {
    const Operand& x = a.ops[i];
    const Operand& y = b.ops[i];
    if (x.kind != y.kind) return false;
    if (x.is_reg() && !(x.reg == y.reg)) return false;
    if (x.is_imm() && x.imm != y.imm) return false;
  }
  return true;
}

Insn insn(Op op, std::initializer_list<Operand> ops) {
  Insn in;
  in.op = op;
  for (const Operand& o : ops) in.ops[in.num_ops++] = o;
  return in;
}
Operand reg(RegKind k, uint8_t index, uint8_t count = 1) {
  Operand o;
  o.kind = Operand::Kind::kReg;
  o.reg = {k, index, count};
  return o;
}
Operand imm(int64_t v) {
  Operand o;
  o.kind = Operand::Kind::kImm;
  o.imm = v;
  return o;
}

// Some op of the table.
Op some_op(unsigned n = 0) { return static_cast<Op>(n % kOpCount); }

}  // namespace

TEST_CASE("decode memo: records round-trip through the file", "[decode_memo]") {
  TempDir dir;
  std::map<uint32_t, std::string> records;
  Insn a = insn(some_op(0), {reg(RegKind::kX, 3), reg(RegKind::kSP, 31), imm(-4096)});
  a.raw = 0x91000000;
  Insn b = insn(some_op(1), {reg(RegKind::kQList, 30, 4), reg(RegKind::kXPair, 4, 2),
                             imm(INT64_MIN), reg(RegKind::kWZR, 31)});
  b.raw = 0x4c402000;
  records[a.raw] = DecodeMemo::encode(a.raw, DecodeStatus::kOk, a);
  records[b.raw] = DecodeMemo::encode(b.raw, DecodeStatus::kOk, b);
  records[0] = DecodeMemo::encode(0, DecodeStatus::kUndefined, Insn{});
  records[7] = DecodeMemo::encode(7, DecodeStatus::kUnsupported, a);  // operands dropped
  write_file(dir.file(), DecodeMemo::serialize(kKey, records));

  std::string why;
  auto memo = DecodeMemo::open(dir.file(), kKey, &why);
  INFO(why);
  REQUIRE(memo->loaded() == 4);
  Insn got;
  DecodeStatus st;
  REQUIRE(memo->find(a.raw, &got, &st));
  CHECK(st == DecodeStatus::kOk);
  CHECK(same(got, a));
  REQUIRE(memo->find(b.raw, &got, &st));
  CHECK(same(got, b));
  REQUIRE(memo->find(0, &got, &st));
  CHECK(st == DecodeStatus::kUndefined);
  REQUIRE(memo->find(7, &got, &st));
  CHECK(st == DecodeStatus::kUnsupported);
  CHECK(got.num_ops == 0);
  CHECK(got.raw == 7);
  CHECK_FALSE(memo->find(1, &got, &st));
}

TEST_CASE("decode memo: what LLVM decodes comes back the same", "[decode_memo]") {
  std::string error;
  REQUIRE(Decoder::load(&error));
  const Decoder& dec = Decoder::get();
  TempDir dir;
  auto memo = DecodeMemo::open(dir.file(), kKey);
  REQUIRE(memo->loaded() == 0);
  // Random words cover every class of the encoding space; half the words of
  // the main integer, load/store and SIMD groups on top.
  std::mt19937 rng(12345);
  std::map<uint32_t, std::pair<DecodeStatus, Insn>> want;
  unsigned ok = 0;
  for (int i = 0; i < 40000; ++i) {
    uint32_t raw = static_cast<uint32_t>(rng());
    if (i % 2) raw = (raw & 0x1fffffff) | (static_cast<uint32_t>((i / 2) % 8) << 29);
    Insn in;
    const DecodeStatus st = dec.decode(raw, 0x10000, &in);
    ok += st == DecodeStatus::kOk;
    want[raw] = {st, in};
    memo->add(raw, st, in);
  }
  CHECK(ok > 5000);  // a real mix, not just undefined words
  REQUIRE(memo->save(&error));
  auto again = DecodeMemo::open(dir.file(), kKey, &error);
  INFO(error);
  REQUIRE(again->loaded() == want.size());
  for (const auto& [raw, w] : want) {
    Insn got;
    DecodeStatus st;
    REQUIRE(again->find(raw, &got, &st));
    INFO(std::hex << raw << " " << Decoder::format(w.second));
    REQUIRE(st == w.first);
    if (st == DecodeStatus::kOk) REQUIRE(same(got, w.second));
  }
}

TEST_CASE("decode memo: save creates a private directory and merges", "[decode_memo]") {
  TempDir dir;
  const std::string file = dir.path + "/a/b/a64-decode.bin";
  auto memo = DecodeMemo::open(file, kKey);
  std::string error;
  REQUIRE(memo->save(&error));  // nothing added: nothing written
  CHECK(access(file.c_str(), F_OK) != 0);
  Insn x = insn(some_op(2), {reg(RegKind::kW, 1), imm(5)});
  memo->add(0x11111111, DecodeStatus::kOk, x);
  REQUIRE(memo->save(&error));
  struct stat st;
  REQUIRE(stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(stat((dir.path + "/a/b").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  auto second = DecodeMemo::open(file, kKey);
  CHECK(second->loaded() == 1);
  second->add(0x22222222, DecodeStatus::kUndefined, Insn{});
  REQUIRE(second->save(&error));
  auto third = DecodeMemo::open(file, kKey);
  CHECK(third->loaded() == 2);
  Insn got;
  DecodeStatus s;
  REQUIRE(third->find(0x11111111, &got, &s));
  CHECK(same(got, [&] { x.raw = 0x11111111; return x; }()));
  // No temporary file is left behind.
  CHECK(std::system(("test $(ls -A '" + dir.path + "/a/b' | wc -l) -eq 1").c_str()) == 0);
}

TEST_CASE("decode memo: a file for another key is not used", "[decode_memo]") {
  TempDir dir;
  std::map<uint32_t, std::string> records;
  records[5] = DecodeMemo::encode(5, DecodeStatus::kUndefined, Insn{});
  write_file(dir.file(), DecodeMemo::serialize(kKey, records));
  std::string why;
  CHECK(DecodeMemo::open(dir.file(), kKey + 1, &why)->loaded() == 0);
  CHECK(why.find("another capvm") != std::string::npos);
  CHECK(DecodeMemo::open(dir.file(), kKey)->loaded() == 1);
}

TEST_CASE("decode memo: damaged files are refused whole", "[decode_memo]") {
  TempDir dir;
  Insn a = insn(some_op(3), {reg(RegKind::kX, 1), reg(RegKind::kX, 2), imm(3)});
  std::map<uint32_t, std::string> good;
  good[10] = DecodeMemo::encode(10, DecodeStatus::kOk, a);
  good[20] = DecodeMemo::encode(20, DecodeStatus::kOk, a);
  const std::string file = DecodeMemo::serialize(kKey, good);
  auto refused = [&](const std::string& bytes) {
    write_file(dir.file(), bytes);
    std::string why;
    const bool r = DecodeMemo::open(dir.file(), kKey, &why)->loaded() == 0;
    INFO(why);
    CHECK(!why.empty());
    return r;
  };
  write_file(dir.file(), file);
  REQUIRE(DecodeMemo::open(dir.file(), kKey)->loaded() == 2);

  std::string flipped = file;
  flipped[flipped.size() - 1] ^= 1;  // an immediate's bit: only the checksum tells
  CHECK(refused(flipped));
  CHECK(refused(file.substr(0, file.size() - 1)));  // truncated
  CHECK(refused(file + "x"));                       // trailing byte
  CHECK(refused(""));
  CHECK(refused(std::string("capvmA64") + std::string(32, '\0')));
  std::string bad_magic = file;
  bad_magic[0] = 'C';
  CHECK(refused(bad_magic));

  // Records with a valid checksum but values the decoder never makes.
  auto with = [&](uint32_t raw, const std::string& rec) {
    std::map<uint32_t, std::string> r = good;
    r[raw] = rec;
    return DecodeMemo::serialize(kKey, r);
  };
  auto patched = [&](size_t at, uint8_t v) {
    std::string rec = DecodeMemo::encode(30, DecodeStatus::kOk, a);
    rec[at] = static_cast<char>(v);
    return with(30, rec);
  };
  CHECK(refused(patched(4, 3)));                      // status
  CHECK(refused(patched(5, kMaxOperands + 1)));       // operand count
  {
    std::string rec = DecodeMemo::encode(30, DecodeStatus::kOk, a);
    const uint16_t op = static_cast<uint16_t>(kOpCount);
    std::memcpy(&rec[6], &op, 2);
    CHECK(refused(with(30, rec)));                    // op beyond the table
    std::string failed = DecodeMemo::encode(30, DecodeStatus::kUndefined, Insn{});
    failed[6] = 1;
    CHECK(refused(with(30, failed)));                 // an op for an undecodable word
  }
  CHECK(refused(patched(8, 9)));                      // operand kind
  CHECK(refused(patched(9, 0)));                      // register kind kNone
  CHECK(refused(patched(9, 200)));                    // register kind beyond the enum
  CHECK(refused(patched(10, 31)));                    // X31
  CHECK(refused(patched(11, 2)));                     // count of a single register
  CHECK(refused(with(40, DecodeMemo::encode(40, DecodeStatus::kOk,
                                            insn(some_op(), {reg(RegKind::kQ, 32)})))));
  CHECK(refused(with(40, DecodeMemo::encode(40, DecodeStatus::kOk,
                                            insn(some_op(), {reg(RegKind::kQList, 3, 5)})))));
  CHECK(refused(with(40, DecodeMemo::encode(40, DecodeStatus::kOk,
                                            insn(some_op(), {reg(RegKind::kSP, 0)})))));
  {
    // Out of order: records must be sorted by word.
    const std::string body = file.substr(40);
    const std::string swapped = body.substr(good[10].size()) + body.substr(0, good[10].size());
    std::string head = file.substr(0, 40);
    const uint64_t h = DecodeMemo::checksum(swapped.data(), swapped.size());  // valid again
    std::memcpy(&head[32], &h, 8);
    CHECK(refused(head + swapped));
  }
}

TEST_CASE("decode memo: a file or directory others can write is not read", "[decode_memo]") {
  TempDir dir;
  std::map<uint32_t, std::string> records;
  records[5] = DecodeMemo::encode(5, DecodeStatus::kUndefined, Insn{});
  const std::string bytes = DecodeMemo::serialize(kKey, records);
  write_file(dir.file(), bytes, 0600);
  REQUIRE(DecodeMemo::open(dir.file(), kKey)->loaded() == 1);
  write_file(dir.file(), bytes, 0622);
  std::string why;
  CHECK(DecodeMemo::open(dir.file(), kKey, &why)->loaded() == 0);
  CHECK(why.find("refused") != std::string::npos);
  write_file(dir.file(), bytes, 0600);
  REQUIRE(chmod(dir.path.c_str(), 0777) == 0);
  CHECK(DecodeMemo::open(dir.file(), kKey)->loaded() == 0);
  // Nor is one written there.
  auto memo = DecodeMemo::open(dir.file(), kKey);
  memo->add(9, DecodeStatus::kUndefined, Insn{});
  std::string error;
  CHECK_FALSE(memo->save(&error));
  CHECK(read_file(dir.file()) == bytes);
  REQUIRE(chmod(dir.path.c_str(), 0700) == 0);
  // A symbolic link to the file is not followed; one to the directory (a
  // ~/.cache elsewhere) is, the directory behind it being checked.
  const std::string link = dir.path + "/link.bin";
  REQUIRE(symlink(dir.file().c_str(), link.c_str()) == 0);
  CHECK(DecodeMemo::open(link, kKey)->loaded() == 0);
  TempDir other;
  const std::string dir_link = other.path + "/cache";
  REQUIRE(symlink(dir.path.c_str(), dir_link.c_str()) == 0);
  CHECK(DecodeMemo::open(dir_link + "/a64-decode.bin", kKey)->loaded() == 1);
}

TEST_CASE("decode memo: one file per program key, the oldest pruned", "[decode_memo]") {
  const uint8_t a[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  uint8_t b[sizeof a];
  std::memcpy(b, a, sizeof a);
  b[8] ^= 1;  // the tail byte
  CHECK(DecodeMemo::hash(a, sizeof a, 1) == DecodeMemo::hash(a, sizeof a, 1));
  CHECK(DecodeMemo::hash(a, sizeof a, 1) != DecodeMemo::hash(b, sizeof b, 1));
  CHECK(DecodeMemo::hash(a, sizeof a, 1) != DecodeMemo::hash(a, sizeof a, 2));
  CHECK(DecodeMemo::hash(a, 8, 1) != DecodeMemo::hash(a, 9, 1));
  CHECK(DecodeMemo::file_for("/d", 0xabcull) == "/d/a64-0000000000000abc.memo");

  TempDir dir;
  // Other files in the directory are never touched.
  write_file(dir.path + "/notes.txt", "mine");
  for (uint64_t k = 1; k <= DecodeMemo::kMaxFiles + 6; ++k) {
    auto memo = DecodeMemo::open(DecodeMemo::file_for(dir.path, k), k);
    memo->add(static_cast<uint32_t>(k), DecodeStatus::kUndefined, Insn{});
    std::string error;
    REQUIRE(memo->save(&error));
    // Distinct modification times, oldest first.
    struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(1000000 + k), 0}};
    REQUIRE(utimensat(AT_FDCWD, DecodeMemo::file_for(dir.path, k).c_str(), times, 0) == 0);
  }
  auto memo = DecodeMemo::open(DecodeMemo::file_for(dir.path, 999), 999);
  memo->add(1, DecodeStatus::kUndefined, Insn{});
  std::string error;
  REQUIRE(memo->save(&error));  // prunes to kMaxFiles
  unsigned left = 0;
  for (uint64_t k = 1; k <= DecodeMemo::kMaxFiles + 6; ++k)
    left += access(DecodeMemo::file_for(dir.path, k).c_str(), F_OK) == 0;
  CHECK(left == DecodeMemo::kMaxFiles - 1);
  CHECK(access(DecodeMemo::file_for(dir.path, 1).c_str(), F_OK) != 0);   // the oldest: gone
  CHECK(access(DecodeMemo::file_for(dir.path, DecodeMemo::kMaxFiles + 6).c_str(), F_OK) == 0);
  CHECK(access(DecodeMemo::file_for(dir.path, 999).c_str(), F_OK) == 0);  // the newest: kept
  CHECK(read_file(dir.path + "/notes.txt") == "mine");
}
