// YAML configuration to argdata and descriptors (cloudabi-run.1, "YAML
// TAGS"; spec/argdata.md for the expected bytes).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "cli/argdata_encoder.h"
#include "cli/yaml_config.h"

namespace ad = capvm::cli::argdata;
using Bytes = ad::Bytes;
using capvm::cli::Config;
using capvm::cli::ConfigContext;
using capvm::cli::ConfigError;
using capvm::cli::load_config;

namespace {

const std::string kTag = "%TAG ! tag:nuxi.nl,2015:cloudabi/\n---\n";

struct Result {
  bool ok = false;
  Bytes argdata;
  std::vector<capvm::vm::FdGrant> fds;
  ConfigError error;
};

Result load(const std::string& yaml, bool stdin_available = false,
            capvm::cli::ConfigLimits limits = {}) {
  ConfigContext ctx;
  ctx.stdin_available = stdin_available;
  ctx.program_path = "/bin/true";
  ctx.limits = limits;
  Config config;
  Result r;
  r.ok = load_config(yaml, ctx, &config, &r.error);
  r.argdata = config.argdata;
  r.fds = config.fds;
  return r;
}

void close_all(const Result& r) {
  for (const auto& g : r.fds) close(g.host_fd);
}

Bytes value_of(const std::string& scalar) {
  Result r = load(scalar + "\n");
  INFO(scalar << ": " << r.error.describe());
  REQUIRE(r.ok);
  return r.argdata;
}

std::string error_of(const std::string& yaml, bool stdin_available = false) {
  Result r = load(yaml, stdin_available);
  close_all(r);
  REQUIRE_FALSE(r.ok);
  REQUIRE(r.fds.empty());
  REQUIRE(r.error.describe().find('\n') == std::string::npos);
  return r.error.describe();
}

int open_fd_count() {
  int n = 0;
  for (int fd = 0; fd < 1024; ++fd)
    if (fcntl(fd, F_GETFD) >= 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("yaml: core schema null and bool") {
  CHECK(value_of("null").empty());
  CHECK(value_of("~").empty());
  CHECK(value_of("Null").empty());
  CHECK(load("").argdata.empty());
  CHECK(value_of("true") == ad::boolean(true));
  CHECK(value_of("False") == ad::boolean(false));
  CHECK(value_of("TRUE") == ad::boolean(true));
  CHECK(value_of("yes") == ad::string("yes"));  // YAML 1.1 only
}

TEST_CASE("yaml: core schema integers of any size") {
  CHECK(value_of("0") == Bytes{0x05});
  CHECK(value_of("1000") == Bytes{0x05, 0x03, 0xE8});
  CHECK(value_of("-1000") == Bytes{0x05, 0xFC, 0x18});
  CHECK(value_of("+5") == Bytes{0x05, 0x05});
  CHECK(value_of("0x1F") == Bytes{0x05, 0x1F});
  CHECK(value_of("0o17") == Bytes{0x05, 0x0F});
  CHECK(value_of("007") == Bytes{0x05, 0x07});
  CHECK(value_of("4294967295") == Bytes{0x05, 0x00, 0xFF, 0xFF, 0xFF, 0xFF});
  // 2^64 and -(2^64), past any C integer type.
  CHECK(value_of("18446744073709551616") == Bytes{0x05, 0x01, 0, 0, 0, 0, 0, 0, 0, 0});
  CHECK(value_of("-18446744073709551616") == Bytes{0x05, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0});
  CHECK(value_of("0xFFFFFFFFFFFFFFFFFF") ==
        Bytes{0x05, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  // Not integers: strings.
  CHECK(value_of("0x") == ad::string("0x"));
  CHECK(value_of("12abc") == ad::string("12abc"));
  CHECK(value_of("0o8") == ad::string("0o8"));
}

TEST_CASE("yaml: huge integers are refused, not computed") {
  std::string digits(5000, '9');
  CHECK_THAT(error_of(digits + "\n"), Catch::Contains("digits"));
  std::string ok(4000, '9');
  CHECK(value_of(ok).size() > 1600);
}

TEST_CASE("yaml: core schema floats") {
  CHECK(value_of("1.5") == ad::float64(1.5));
  CHECK(value_of("-2.5") == ad::float64(-2.5));
  CHECK(value_of(".5") == ad::float64(0.5));
  CHECK(value_of("1e3") == ad::float64(1000.0));
  CHECK(value_of("1.") == ad::float64(1.0));
  CHECK(value_of("-1.5E-1") == ad::float64(-0.15));
  CHECK(value_of(".inf") == ad::float64(std::numeric_limits<double>::infinity()));
  CHECK(value_of("-.Inf") == ad::float64(-std::numeric_limits<double>::infinity()));
  Bytes nan = value_of(".nan");
  REQUIRE(nan.size() == 9);
  CHECK(nan[0] == 0x04);
  CHECK(value_of("1e") == ad::string("1e"));
  CHECK(value_of(".") == ad::string("."));
  CHECK(value_of("1.2.3") == ad::string("1.2.3"));
}

TEST_CASE("yaml: strings, quoted scalars and explicit tags") {
  CHECK(value_of("hello") == ad::string("hello"));
  CHECK(value_of("\"12\"") == ad::string("12"));
  CHECK(value_of("'true'") == ad::string("true"));
  CHECK(value_of("\"\"") == ad::string(""));
  CHECK(value_of("!!str 12") == ad::string("12"));
  CHECK(value_of("!!int \"12\"") == Bytes{0x05, 0x0C});
  CHECK(value_of("!!float 3") == ad::float64(3.0));
  CHECK(value_of("!!bool true") == ad::boolean(true));
  CHECK(value_of("!!null null").empty());
  CHECK(value_of("!!binary aGVsbG8=") == Bytes{0x01, 'h', 'e', 'l', 'l', 'o'});
  CHECK(value_of("|\n  two\n  lines\n") == ad::string("two\nlines\n"));
  CHECK(value_of("\"caf\\u00e9\"") == ad::string("caf\xC3\xA9"));
  CHECK_THAT(error_of("!!int abc\n"), Catch::Contains("not a valid int"));
  CHECK_THAT(error_of("!!bool maybe\n"), Catch::Contains("not a valid bool"));
  CHECK_THAT(error_of("!!binary a$==\n"), Catch::Contains("base64"));
  CHECK_THAT(error_of("!!str [1]\n"), Catch::Contains("scalars only"));
}

TEST_CASE("yaml: invalid UTF-8 is refused") {
  CHECK_THAT(error_of("a: x\xFFy\n"), Catch::Contains("UTF-8"));
  CHECK_THAT(error_of("a: b\xC0\xAF\n"), Catch::Contains("UTF-8"));     // overlong '/'
  CHECK_THAT(error_of("- \xED\xA0\x80\n"), Catch::Contains("UTF-8"));  // surrogate
  CHECK_THAT(error_of("- \"\xE2\x82\"\n"), Catch::Contains("UTF-8"));   // truncated
  CHECK(value_of("\xF0\x9F\x98\x80") == ad::string("\xF0\x9F\x98\x80"));
}

TEST_CASE("yaml: sequences and maps nest") {
  CHECK(value_of("[0, true, A]") ==
        Bytes{0x07, 0x81, 0x05, 0x82, 0x02, 0x01, 0x83, 0x08, 0x41, 0x00});
  CHECK(value_of("[]") == Bytes{0x07});
  CHECK(value_of("{}") == Bytes{0x06});
  CHECK(value_of("a: 1\nb: [x]\n") ==
        ad::map({{ad::string("a"), ad::integer(1)},
                 {ad::string("b"), ad::seq({ad::string("x")})}}));
  CHECK(value_of("a:\n") == ad::map({{ad::string("a"), ad::null()}}));
  CHECK(value_of("1: one") == ad::map({{ad::integer(1), ad::string("one")}}));
  CHECK(value_of("!!seq [1]") == ad::seq({ad::integer(1)}));
}

TEST_CASE("yaml: !fd stdout and stderr get guest numbers in document order") {
  Result r = load(kTag + "- !fd stderr\n- !fd stdout\n- !fd stderr\n");
  REQUIRE(r.ok);
  CHECK(r.argdata == ad::seq({ad::fd(0), ad::fd(1), ad::fd(0)}));
  REQUIRE(r.fds.size() == 2);
  CHECK(r.fds[0].guest_fd == 0);
  CHECK(r.fds[1].guest_fd == 1);
  // Duplicates, not capvm's own descriptors.
  CHECK(r.fds[0].host_fd > 2);
  CHECK(r.fds[1].host_fd > 2);
  struct stat a, b;
  REQUIRE(fstat(r.fds[1].host_fd, &a) == 0);
  REQUIRE(fstat(STDOUT_FILENO, &b) == 0);
  CHECK(a.st_ino == b.st_ino);
  CHECK(fcntl(r.fds[0].host_fd, F_GETFD) & FD_CLOEXEC);
  close_all(r);
}

TEST_CASE("yaml: !fd stdin only when the YAML did not come on stdin") {
  CHECK_THAT(error_of(kTag + "!fd stdin\n"), Catch::Contains("--config"));
  CHECK_THAT(error_of(kTag + "!fd 0\n"), Catch::Contains("stdin"));
  Result r = load(kTag + "!fd stdin\n", /*stdin_available=*/true);
  REQUIRE(r.ok);
  CHECK(r.argdata == ad::fd(0));
  CHECK(r.fds.size() == 1);
  close_all(r);
}

TEST_CASE("yaml: !fd N names an inherited open descriptor") {
  int fd = open("/dev/null", O_RDONLY);
  REQUIRE(fd > 2);
  Result r = load(kTag + "[!fd " + std::to_string(fd) + ", !fd stdout]\n");
  REQUIRE(r.ok);
  CHECK(r.argdata == ad::seq({ad::fd(0), ad::fd(1)}));
  REQUIRE(r.fds.size() == 2);
  CHECK(r.fds[0].host_fd != fd);
  close_all(r);
  close(fd);
  CHECK_THAT(error_of(kTag + "!fd " + std::to_string(fd) + "\n"), Catch::Contains("not open"));
  CHECK_THAT(error_of(kTag + "!fd 999999999\n"), Catch::Contains("not open"));
  CHECK_THAT(error_of(kTag + "!fd -1\n"), Catch::Contains("descriptor number"));
  CHECK_THAT(error_of(kTag + "!fd 12345678901\n"), Catch::Contains("descriptor number"));
  CHECK_THAT(error_of(kTag + "!fd stdio\n"), Catch::Contains("stdio"));
  CHECK_THAT(error_of(kTag + "!fd [1]\n"), Catch::Contains("scalar"));
  // (yaml-cpp 0.7 drops the tag of a document that is only a tag, so the
  // empty !fd sits in a sequence.)
  CHECK_THAT(error_of(kTag + "- !fd\n"), Catch::Contains("descriptor number"));
}

TEST_CASE("yaml: !file opens files and directories read-only") {
  char dir[] = "/tmp/capvm-cli-test-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string file = std::string(dir) + "/data.txt";
  int w = open(file.c_str(), O_WRONLY | O_CREAT, 0644);
  REQUIRE(w >= 0);
  REQUIRE(write(w, "hi", 2) == 2);
  close(w);

  Result r = load(kTag + "in: !file {path: " + file + "}\nroot: !file\n  path: " + dir +
                  "\nout: !fd stdout\n");
  INFO(r.error.describe());
  REQUIRE(r.ok);
  CHECK(r.argdata == ad::map({{ad::string("in"), ad::fd(0)},
                              {ad::string("root"), ad::fd(1)},
                              {ad::string("out"), ad::fd(2)}}));
  REQUIRE(r.fds.size() == 3);
  int flags = fcntl(r.fds[0].host_fd, F_GETFL);
  CHECK((flags & O_ACCMODE) == O_RDONLY);
  CHECK(fcntl(r.fds[0].host_fd, F_GETFD) & FD_CLOEXEC);
  struct stat st;
  REQUIRE(fstat(r.fds[1].host_fd, &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  close_all(r);

  // An alias of one !file node is one descriptor.
  r = load(kTag + "- &f !file {path: " + file + "}\n- *f\n");
  REQUIRE(r.ok);
  CHECK(r.argdata == ad::seq({ad::fd(0), ad::fd(0)}));
  CHECK(r.fds.size() == 1);
  close_all(r);

  unlink(file.c_str());
  rmdir(dir);
}

TEST_CASE("yaml: !file errors") {
  CHECK_THAT(error_of(kTag + "!file {path: /nonexistent/capvm}\n"),
             Catch::Contains("/nonexistent/capvm"));
  CHECK_THAT(error_of(kTag + "!file {path: /tmp, colour: red}\n"),
             Catch::Contains("unknown !file attribute 'colour'"));
  CHECK_THAT(error_of(kTag + "!file {path: /tmp, mode: wo}\n"), Catch::Contains("ro or rw"));
  CHECK_THAT(error_of(kTag + "!file {path: /tmp, path: /}\n"), Catch::Contains("twice"));
  CHECK_THAT(error_of(kTag + "!file {}\n"), Catch::Contains("no path"));
  CHECK_THAT(error_of(kTag + "!file /tmp\n"), Catch::Contains("map"));
  CHECK_THAT(error_of(kTag + "!file {path: [a]}\n"), Catch::Contains("scalar"));
}

TEST_CASE("yaml: !executable opens the program") {
  Result r = load(kTag + "exe: !executable\n");
  REQUIRE(r.ok);
  CHECK(r.argdata == ad::map({{ad::string("exe"), ad::fd(0)}}));
  CHECK(r.fds.size() == 1);
  close_all(r);
}

TEST_CASE("yaml: unknown tags name the tag and the position") {
  std::string e = error_of(kTag + "a: 1\nb: !sock {}\n");
  CHECK_THAT(e, Catch::Contains("unknown tag !sock"));
  CHECK_THAT(e, Catch::StartsWith("line 4, column 4:"));  // counting the %TAG and --- lines
  // Without the %TAG directive `!fd` is a local tag nobody knows.
  CHECK_THAT(error_of("!fd stdout\n"), Catch::Contains("%TAG"));
  CHECK_THAT(error_of("!<tag:example.com,2000:x> 1\n"), Catch::Contains("tag:example.com"));
}

TEST_CASE("yaml: syntax errors carry line and column") {
  std::string e = error_of("a: [1, 2\nb: c\n");
  CHECK_THAT(e, Catch::StartsWith("line "));
  CHECK_THAT(error_of("a: *nope\n"), Catch::Contains("line 1"));
  CHECK_THAT(error_of("a\n---\nb\n"), Catch::Contains("more than one YAML document"));
}

TEST_CASE("yaml: errors leave no descriptor open") {
  int before = open_fd_count();
  error_of(kTag + "- !file {path: /tmp}\n- !fd stdout\n- !nope 1\n");
  error_of(kTag + "- !file {path: /tmp}\n- !fd stdin\n");
  CHECK(open_fd_count() == before);
}

TEST_CASE("yaml: alias bombs are capped") {
  // Ten levels of ten-fold aliases: 10^10 nodes if expanded.
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 10; ++i) {
    std::string p = "*a" + std::to_string(i - 1);
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p + ", " + p + ", " +
            p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + "]\n";
  }
  CHECK_THAT(error_of(yaml), Catch::Contains("nodes"));

  // Few nodes but a large string repeated: the byte cap.
  capvm::cli::ConfigLimits limits;
  limits.max_bytes = 1 << 20;
  std::string big = "s: &s " + std::string(100000, 'y') + "\nl: [*s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s]\n";
  Result r = load(big, false, limits);
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error.describe(), Catch::Contains("bytes"));
}

TEST_CASE("yaml: deep nesting is refused, not a stack overflow") {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  Result r = load(deep);
  CHECK_FALSE(r.ok);
}
