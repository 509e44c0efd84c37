// Issue 5 configuration: !!timestamp, rights from `mode:` and `rights:`,
// !socket, !flower_switchboard_handle, `capvm explain` formatting.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "abi/types.h"
#include "cli/argdata_encoder.h"
#include "cli/explain.h"
#include "cli/yaml_config.h"
#include "rights/rights.h"

namespace ad = capvm::cli::argdata;
using Bytes = ad::Bytes;
using namespace capvm;

namespace {

const std::string kTag = "%TAG ! tag:nuxi.nl,2015:cloudabi/\n---\n";

struct Loaded {
  bool ok = false;
  cli::Config config;
  cli::ConfigError error;
  ~Loaded() {
    for (const auto& g : config.fds) close(g.host_fd);
    cli::close_acceptors(&config.acceptors);
  }
};

void load(const std::string& yaml, Loaded* r, const std::string& program = "/bin/true") {
  cli::ConfigContext ctx;
  ctx.program_path = program;
  r->ok = cli::load_config(yaml, ctx, &r->config, &r->error);
}

Bytes value_of(const std::string& yaml) {
  Loaded r;
  load(yaml, &r);
  INFO(yaml << ": " << r.error.describe());
  REQUIRE(r.ok);
  return r.config.argdata;
}

std::string error_of(const std::string& yaml) {
  Loaded r;
  load(yaml, &r);
  REQUIRE_FALSE(r.ok);
  REQUIRE(r.config.fds.empty());
  return r.error.describe();
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/capvm-cfg-XXXXXX";
    REQUIRE(mkdtemp(t) != nullptr);
    path = t;
  }
  ~TempDir() {
    if (std::system(("rm -rf '" + path + "'").c_str()) != 0) {
      // a leftover temporary directory; nothing to do about it here
    }
  }
};

abi::Rights R(const char* names) {
  abi::Rights r = 0;
  REQUIRE(rights::parse(names, &r));
  return r;
}

}  // namespace

TEST_CASE("timestamps: !!timestamp to nanoseconds since 1970, hand-computed") {
  CHECK(value_of("!!timestamp 1970-01-01") == Bytes{0x09});
  // 10^9 = 0x3B9ACA00.
  CHECK(value_of("!!timestamp 1970-01-01T00:00:01Z") == Bytes{0x09, 0x3B, 0x9A, 0xCA, 0x00});
  CHECK(value_of("!!timestamp 1969-12-31T23:59:59.999999999Z") == Bytes{0x09, 0xFF});
  CHECK(value_of("!!timestamp 1970-01-01 00:00:00.000001") == Bytes{0x09, 0x03, 0xE8});
  // yaml.org/type/timestamp examples: 2001-12-15T02:59:43.1Z in all forms.
  const Bytes canonical{0x09, 0x0D, 0xFE, 0x80, 0xFB, 0x3B, 0x71, 0x57, 0x00};
  CHECK(value_of("!!timestamp 2001-12-15T02:59:43.1Z") == canonical);
  CHECK(value_of("!!timestamp 2001-12-14t21:59:43.10-05:00") == canonical);
  CHECK(value_of("!!timestamp 2001-12-14 21:59:43.10 -5") == canonical);
  CHECK(value_of("!!timestamp 2001-12-15 2:59:43.10") == canonical);
  CHECK(value_of("!!timestamp 2001-12-14") ==
        (Bytes{0x09, 0x0D, 0xFE, 0x28, 0x98, 0x07, 0x4A, 0x00, 0x00}));
  // Past int64 nanoseconds (2262-04-12) and before 1970.
  CHECK(value_of("!!timestamp 2262-04-12") ==
        (Bytes{0x09, 0x00, 0x80, 0x00, 0x00, 0xB1, 0xAF, 0x00, 0x00, 0x00}));
  CHECK(value_of("!!timestamp 1900-01-01") ==
        (Bytes{0x09, 0xE1, 0x58, 0x18, 0x63, 0xDF, 0x2F, 0x00, 0x00}));
  CHECK(value_of("!!timestamp 2000-02-29") .size() > 1);  // leap year
  // YAML 1.2 core schema: an untagged date is a string.
  CHECK(value_of("2001-12-14") == ad::string("2001-12-14"));
  for (const char* bad : {"2001-02-29", "2001-13-01", "2001-12-14T25:00:00", "2001-12-14X",
                          "01-12-14", "2001-12-14T21:59", "2001-12-14T21:59:60", "yesterday"})
    CHECK_THAT(error_of(std::string("!!timestamp ") + bad + "\n"),
               Catch::Contains("not a valid timestamp"));
}

TEST_CASE("rights: a directory without mode: rw is read and traverse only") {
  TempDir d;
  Loaded r;
  load(kTag + "- !file {path: " + d.path + "}\n- !file {path: " + d.path + ", mode: rw}\n", &r);
  INFO(r.error.describe());
  REQUIRE(r.ok);
  REQUIRE(r.config.fds.size() == 2);
  const auto& ro = r.config.fds[0];
  CHECK(ro.has_rights);
  CHECK(ro.rights_base == R("file_open|file_readdir|file_readlink|file_stat_fget|file_stat_get|"
                            "fd_stat_put_flags"));
  // Nothing that creates, writes, renames or removes, in base or inheriting.
  const abi::Rights writes = R("fd_write|fd_datasync|fd_sync|file_allocate|file_create_directory|"
                               "file_create_file|file_link_source|file_link_target|"
                               "file_rename_source|file_rename_target|file_stat_fput_size|"
                               "file_stat_fput_times|file_stat_put_times|file_symlink|file_unlink");
  CHECK((ro.rights_base & writes) == 0);
  CHECK((ro.rights_inheriting & writes) == 0);
  // Files opened beneath can be read, seeked, mapped.
  CHECK(rights::satisfies(ro.rights_inheriting, R("fd_read|fd_seek|file_open|file_readdir|mem_map")));
  const auto& rw = r.config.fds[1];
  CHECK(rw.rights_base == rights::max_base(abi::FILETYPE_DIRECTORY));
  CHECK(rw.rights_inheriting == rights::max_inheriting(abi::FILETYPE_DIRECTORY));
  CHECK(r.config.fd_info[0].origin == "!file " + d.path + " (ro)");
  CHECK(r.config.fd_info[1].filetype == abi::FILETYPE_DIRECTORY);
}

TEST_CASE("rights: files by mode, opened with the matching access mode") {
  TempDir d;
  const std::string f = d.path + "/f.txt";
  close(open(f.c_str(), O_CREAT | O_WRONLY, 0644));
  Loaded r;
  load(kTag + "- !file {path: " + f + "}\n- !file {path: " + f + ", mode: rw}\n", &r);
  REQUIRE(r.ok);
  CHECK((fcntl(r.config.fds[0].host_fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
  CHECK((fcntl(r.config.fds[1].host_fd, F_GETFL) & O_ACCMODE) == O_RDWR);
  CHECK(r.config.fds[0].rights_base ==
        R("fd_read|fd_seek|fd_stat_put_flags|fd_tell|file_advise|file_stat_fget|mem_map|"
          "mem_map_exec|poll_fd_readwrite|proc_exec"));
  CHECK(r.config.fds[0].rights_inheriting == 0);
  CHECK(r.config.fds[1].rights_base == rights::max_base(abi::FILETYPE_REGULAR_FILE));
}

TEST_CASE("rights: explicit lists and maps") {
  TempDir d;
  Loaded r;
  // A list: base and inheriting alike, each trimmed to what the type holds.
  load(kTag + "- !file {path: " + d.path + ", rights: [file_open, fd_read, file_readdir]}\n" +
           "- !file {path: " + d.path +
           ", mode: rw, rights: {base: [file_open, file_create_file], inheriting: [fd_write]}}\n" +
           "- !file {path: " + d.path + ", rights: {base: [all]}}\n",
       &r);
  INFO(r.error.describe());
  REQUIRE(r.ok);
  CHECK(r.config.fds[0].rights_base == R("file_open|file_readdir"));
  CHECK(r.config.fds[0].rights_inheriting == R("file_open|fd_read|file_readdir"));
  CHECK(r.config.fds[1].rights_base == R("file_open|file_create_file"));
  CHECK(r.config.fds[1].rights_inheriting == R("fd_write"));
  CHECK(r.config.fds[2].rights_base ==
        (rights::max_base(abi::FILETYPE_DIRECTORY) & R("file_open|file_readdir|file_readlink|"
                                                       "file_stat_fget|file_stat_get|"
                                                       "fd_stat_put_flags")));
  CHECK(r.config.fds[2].rights_inheriting == 0);
  CHECK_THAT(r.config.fd_info[0].origin, Catch::Contains("explicit rights"));
}

TEST_CASE("rights: errors name the right, the line and the column") {
  TempDir d;
  const std::string f = d.path + "/f";
  close(open(f.c_str(), O_CREAT | O_WRONLY, 0644));
  std::string e = error_of(kTag + "a: !file {path: " + f + ", rights: [fd_read, fd_raed]}\n");
  CHECK_THAT(e, Catch::StartsWith("line 3, column "));
  CHECK_THAT(e, Catch::Contains("unknown right 'fd_raed'"));
  CHECK_THAT(error_of(kTag + "- !file {path: " + f + ", rights: [fd_write]}\n"),
             Catch::Contains("right fd_write needs mode: rw"));
  CHECK_THAT(error_of(kTag + "- !file {path: " + d.path + ", rights: {base: [fd_read]}}\n"),
             Catch::Contains("right fd_read does not apply to a directory"));
  CHECK_THAT(error_of(kTag + "- !file {path: " + f + ", rights: {inheriting: [fd_read]}}\n"),
             Catch::Contains("does not apply to the inheriting rights of a regular_file"));
  CHECK_THAT(error_of(kTag + "- !file {path: " + f + ", rights: {baes: [fd_read]}}\n"),
             Catch::Contains("unknown rights attribute 'baes'"));
  CHECK_THAT(error_of(kTag + "- !file {path: " + f + ", rights: fd_read}\n"),
             Catch::Contains("rights takes a list"));
  CHECK_THAT(error_of(kTag + "- !file {path: " + f + ", rights: [[fd_read]]}\n"),
             Catch::Contains("scalar"));
}

TEST_CASE("!fd: rights follow the host descriptor's access mode") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  Loaded r;
  load(kTag + "[!fd " + std::to_string(p[0]) + ", !fd " + std::to_string(p[1]) + "]\n", &r);
  REQUIRE(r.ok);
  CHECK(r.config.fd_info[0].filetype == abi::FILETYPE_SOCKET_STREAM);
  CHECK(rights::satisfies(r.config.fds[0].rights_base, abi::RIGHT_FD_READ));
  CHECK_FALSE(rights::satisfies(r.config.fds[0].rights_base, abi::RIGHT_FD_WRITE));
  CHECK(rights::satisfies(r.config.fds[1].rights_base, abi::RIGHT_FD_WRITE));
  CHECK_FALSE(rights::satisfies(r.config.fds[1].rights_base, abi::RIGHT_FD_READ));
  close(p[0]);
  close(p[1]);
}

TEST_CASE("!socket: bind and connect, TCP, UDP and UNIX") {
  TempDir d;
  const std::string path = d.path + "/s.sock";
  Loaded r;
  load(kTag + "listen: !socket {bind: \"127.0.0.1:0\"}\n"
              "udp: !socket {bind: \"127.0.0.1:0\", type: dgram, mode: ro}\n"
              "unix: !socket {bind: " + path + "}\n"
              "useq: !socket {bind: " + path + "2, type: seqpacket}\n",
       &r);
  INFO(r.error.describe());
  REQUIRE(r.ok);
  REQUIRE(r.config.fds.size() == 4);
  REQUIRE(r.config.acceptors.size() == 3);
  // A listener is a connection source: the guest gets a stream socket.
  CHECK(r.config.fd_info[0].filetype == abi::FILETYPE_SOCKET_STREAM);
  CHECK_THAT(r.config.fd_info[0].origin, Catch::Contains("connection source"));
  CHECK(r.config.fds[0].rights_base == R("fd_read|fd_stat_put_flags|file_stat_fget|"
                                         "poll_fd_readwrite|sock_shutdown"));
  CHECK(r.config.fd_info[1].filetype == abi::FILETYPE_SOCKET_DGRAM);
  CHECK_FALSE(rights::satisfies(r.config.fds[1].rights_base, abi::RIGHT_FD_WRITE));
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));

  // A client connects to the listener (still held in the acceptor list).
  const std::string bound = r.config.acceptors[0].address;
  REQUIRE_THAT(bound, Catch::StartsWith("127.0.0.1:"));
  Loaded c;
  load(kTag + "- !socket {connect: \"" + bound + "\", rights: [fd_read, fd_write]}\n"
              "- !socket {connect: " + path + "}\n", &c);
  INFO(c.error.describe());
  REQUIRE(c.ok);
  CHECK(c.config.fds[0].rights_base == R("fd_read|fd_write"));
  CHECK(c.config.fds[1].rights_base == rights::max_base(abi::FILETYPE_SOCKET_STREAM));
  CHECK_THAT(c.config.fd_info[0].origin, Catch::Contains("connect " + bound + " stream"));
}

TEST_CASE("!socket: IPv6 listener") {
  int probe = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool v6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (probe >= 0) close(probe);
  if (!v6) {
    WARN("no IPv6 loopback: skipped");
    return;
  }
  Loaded r;
  load(kTag + "!socket {bind: \"[::1]:0\"}\n", &r);
  INFO(r.error.describe());
  REQUIRE(r.ok);
  CHECK_THAT(r.config.acceptors[0].address, Catch::StartsWith("[::1]:"));
}

TEST_CASE("!socket: errors") {
  CHECK_THAT(error_of(kTag + "!socket {}\n"), Catch::Contains("exactly one of bind"));
  CHECK_THAT(error_of(kTag + "!socket {bind: \"127.0.0.1:0\", connect: \"127.0.0.1:1\"}\n"),
             Catch::Contains("exactly one of bind"));
  CHECK_THAT(error_of(kTag + "!socket {bind: \"127.0.0.1:0\", type: raw}\n"),
             Catch::Contains("stream, dgram or seqpacket"));
  CHECK_THAT(error_of(kTag + "!socket {bind: \"127.0.0.1:0\", backlog: 5}\n"),
             Catch::Contains("unknown !socket attribute 'backlog'"));
  CHECK_THAT(error_of(kTag + "!socket {bind: \"127.0.0.1:0\", rights: [fd_read]}\n"),
             Catch::Contains("rights do not apply to a listening socket"));
  CHECK_THAT(error_of(kTag + "!socket {bind: localhost}\n"), Catch::Contains("host:port"));
  CHECK_THAT(error_of(kTag + "!socket {bind: \"127.0.0.1:99999\"}\n"), Catch::Contains("bad port"));
  CHECK_THAT(error_of(kTag + "!socket {bind: \"::1:80\"}\n"), Catch::Contains("brackets"));
  CHECK_THAT(error_of(kTag + "!socket {connect: /nonexistent/capvm.sock}\n"),
             Catch::Contains("cannot connect to /nonexistent/capvm.sock"));
  CHECK_THAT(error_of(kTag + "!socket {bind: \"127.0.0.1:0\", type: seqpacket}\n"),
             Catch::Contains("UNIX socket path"));
  std::string e = error_of(kTag + "a: 1\nb: !socket {connect: \"127.0.0.1:1\", rights: [fd_reed]}\n");
  CHECK_THAT(e, Catch::StartsWith("line 4, column "));
}

TEST_CASE("!socket: a failed configuration closes its listeners") {
  // Bind a port, then fail later in the same document: the port is free again.
  Loaded r;
  load(kTag + "- !socket {bind: \"127.0.0.1:0\"}\n", &r);
  REQUIRE(r.ok);
  const std::string addr = r.config.acceptors[0].address;
  cli::close_acceptors(&r.config.acceptors);
  CHECK_THAT(error_of(kTag + "- !socket {bind: \"" + addr + "\"}\n- !nope 1\n"),
             Catch::Contains("unknown tag !nope"));
  Loaded again;
  load(kTag + "- !socket {bind: \"" + addr + "\"}\n", &again);
  CHECK(again.ok);
}

TEST_CASE("!flower_switchboard_handle is refused with a way forward") {
  std::string e = error_of(kTag +
                           "!flower_switchboard_handle\n  switchboard_path: /tmp/switchboard\n");
  CHECK_THAT(e, Catch::StartsWith("line 3, column 1:"));
  CHECK_THAT(e, Catch::Contains("!socket {bind: ADDR}"));
}

TEST_CASE("!executable needs the program") {
  Loaded r;
  load(kTag + "- !executable\n", &r, "");
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error.describe(), Catch::Contains("capvm explain CONFIG PROGRAM"));
  Loaded ok;
  load(kTag + "- !executable\n", &ok, "/bin/true");
  REQUIRE(ok.ok);
  CHECK(rights::satisfies(ok.config.fds[0].rights_base,
                          R("fd_read|mem_map|mem_map_exec|proc_exec")));
  CHECK_FALSE(rights::satisfies(ok.config.fds[0].rights_base, abi::RIGHT_FD_WRITE));
}

TEST_CASE("explain: the argdata tree") {
  CHECK(cli::format_argdata(ad::null()) == "null\n");
  CHECK(cli::format_argdata(
            ad::map({{ad::string("out"), ad::fd(0)},
                     {ad::string("n"), ad::seq({ad::integer(-1000), ad::boolean(false),
                                                ad::float64(1.5), ad::timestamp(1000)})},
                     {ad::integer(7), ad::string("a\"b\n")},
                     {ad::string("e"), ad::seq({})}})) ==
        "map\n"
        "  \"out\": fd 0\n"
        "  \"n\": seq\n"
        "    - int -1000\n"
        "    - bool false\n"
        "    - float 1.5\n"
        "    - timestamp 1970-01-01T00:00:00.000001000Z\n"
        "  int 7: string \"a\\\"b\\n\"\n"
        "  \"e\": seq []\n");
  Bytes big = value_of("-18446744073709551616");
  CHECK(cli::format_argdata(big) == "int -18446744073709551616\n");
  const uint8_t raw[] = {0xde, 0xad};
  CHECK(cli::format_argdata(ad::binary(raw, 2)) == "binary (2 bytes) dead\n");
  CHECK(cli::format_argdata(Bytes{0x07, 0x85, 0x05}) ==
        "seq\n  <malformed: subfield length past the end>\n");
}

TEST_CASE("explain: descriptors with type and rights by name") {
  Loaded r;
  load(kTag + "out: !fd stdout\n", &r);
  REQUIRE(r.ok);
  std::string text = cli::explain(r.config.argdata, r.config.fd_info);
  CHECK_THAT(text, Catch::StartsWith("argdata (13 bytes):\n  map\n    \"out\": fd 0\ndescriptors:\n"
                                     "  fd 0: "));
  CHECK_THAT(text, Catch::Contains("!fd stdout (host fd 1)\n    base:       "));
  CHECK_THAT(text, Catch::Contains("fd_write"));
  // Inheriting rights depend on what stdout is here (a pipe may pass
  // rights on, a terminal may not): the line must be there, by name.
  CHECK_THAT(text, Catch::Contains("\n    inheriting: "));
  CHECK(cli::explain(ad::null(), {}) == "argdata (0 bytes):\n  null\ndescriptors: none\n");
}
