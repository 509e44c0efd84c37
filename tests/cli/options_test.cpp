// capvm's command line.
#include <catch2/catch.hpp>

#include <vector>

#include "cli/options.h"

using capvm::cli::Command;
using capvm::cli::Options;
using capvm::cli::parse_options;

namespace {

bool parse(std::vector<const char*> args, Options* o, std::string* error) {
  args.insert(args.begin(), "capvm");
  return parse_options(static_cast<int>(args.size()), args.data(), o, error);
}

}  // namespace

TEST_CASE("options: run with defaults reads YAML from stdin") {
  Options o;
  std::string e;
  REQUIRE(parse({"run", "prog"}, &o, &e));
  CHECK(o.command == Command::kRun);
  CHECK(o.program == "prog");
  CHECK(o.config_from_stdin());
  CHECK(o.sandbox_size == capvm::vm::kMaxSandboxSize);
  CHECK_FALSE(o.dump_blocks);
  CHECK(o.max_block_insns == 0);
}

TEST_CASE("options: every flag, both spellings") {
  Options o;
  std::string e;
  REQUIRE(parse({"run", "--config", "c.yaml", "--dump=blocks", "--max-block-insns=1",
                 "--sandbox-size=256M", "prog"},
                &o, &e));
  CHECK(o.config_path == "c.yaml");
  CHECK_FALSE(o.config_from_stdin());
  CHECK(o.dump_blocks);
  CHECK(o.max_block_insns == 1);
  CHECK(o.sandbox_size == (uint64_t{256} << 20));
  REQUIRE(parse({"run", "--config=-", "--sandbox-size", "0x100000", "--", "-prog"}, &o, &e));
  CHECK(o.config_from_stdin());
  CHECK(o.sandbox_size == 0x100000);
  CHECK(o.program == "-prog");
  REQUIRE(parse({"run", "--sandbox-size=4G", "p"}, &o, &e));
  CHECK(o.sandbox_size == (uint64_t{1} << 32));
}

TEST_CASE("options: help and version") {
  Options o;
  std::string e;
  REQUIRE(parse({"--help"}, &o, &e));
  CHECK(o.command == Command::kHelp);
  REQUIRE(parse({"--version"}, &o, &e));
  CHECK(o.command == Command::kVersion);
  REQUIRE(parse({"run", "--help"}, &o, &e));
  CHECK(o.command == Command::kHelp);
  CHECK(std::string(capvm::cli::usage_text()).find("--config") != std::string::npos);
  CHECK(std::string(capvm::cli::version()).size() > 0);
}

TEST_CASE("options: errors") {
  Options o;
  std::string e;
  CHECK_FALSE(parse({}, &o, &e));
  CHECK_FALSE(parse({"walk", "p"}, &o, &e));
  CHECK_THAT(e, Catch::Contains("walk"));
  CHECK_FALSE(parse({"run"}, &o, &e));
  CHECK_THAT(e, Catch::Contains("no program"));
  CHECK_FALSE(parse({"run", "p", "extra"}, &o, &e));
  CHECK_FALSE(parse({"run", "--frobnicate", "p"}, &o, &e));
  CHECK_THAT(e, Catch::Contains("--frobnicate"));
  CHECK_FALSE(parse({"run", "--config"}, &o, &e));
  CHECK_FALSE(parse({"run", "--dump=everything", "p"}, &o, &e));
  CHECK_FALSE(parse({"run", "--max-block-insns=-1", "p"}, &o, &e));
  CHECK_FALSE(parse({"run", "--max-block-insns=abc", "p"}, &o, &e));
  CHECK_FALSE(parse({"run", "--sandbox-size=5G", "p"}, &o, &e));
  CHECK_FALSE(parse({"run", "--sandbox-size=1000", "p"}, &o, &e));
  CHECK_FALSE(parse({"run", "--sandbox-size=1048577", "p"}, &o, &e));
  CHECK_FALSE(parse({"run", "--sandbox-size=99999999999999999999G", "p"}, &o, &e));
  for (const auto& err : {e}) CHECK(err.find('\n') == std::string::npos);
}

// ---- issue 5 options ----------------------------------------------------------

#include <map>

#include "vm/strace_filter.h"

namespace {

bool parse_env(std::vector<const char*> args, const std::map<std::string, std::string>& env,
               Options* o, std::string* error) {
  args.insert(args.begin(), "capvm");
  capvm::cli::EnvLookup lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  return parse_options(static_cast<int>(args.size()), args.data(), o, error, lookup);
}

}  // namespace

TEST_CASE("options: durations") {
  using capvm::cli::parse_duration;
  uint64_t ns = 1;
  CHECK(parse_duration("0", &ns));
  CHECK(ns == 0);
  CHECK(parse_duration("10ms", &ns));
  CHECK(ns == 10'000'000);
  CHECK(parse_duration("2s", &ns));
  CHECK(ns == 2'000'000'000);
  CHECK(parse_duration("1m", &ns));
  CHECK(ns == 60'000'000'000);
  CHECK(parse_duration("1.5s", &ns));
  CHECK(ns == 1'500'000'000);
  CHECK(parse_duration("250us", &ns));
  CHECK(ns == 250'000);
  CHECK(parse_duration("7ns", &ns));
  CHECK(ns == 7);
  CHECK(parse_duration("2h", &ns));
  CHECK(ns == 7'200'000'000'000);
  CHECK(parse_duration(".5ms", &ns));
  CHECK(ns == 500'000);
  for (const char* bad : {"", "10", "ms", "1.2.3s", "-1s", "1 s", "1sec", "1e3s", "99999999999999h"})
    CHECK_FALSE(parse_duration(bad, &ns));
}

TEST_CASE("options: sizes") {
  using capvm::cli::parse_size;
  uint64_t n = 0;
  CHECK(parse_size("512M", &n));
  CHECK(n == (uint64_t{512} << 20));
  CHECK(parse_size("4G", &n));
  CHECK(n == (uint64_t{4} << 30));
  CHECK(parse_size("4GiB", &n));
  CHECK(n == (uint64_t{4} << 30));
  CHECK(parse_size("64KB", &n));
  CHECK(n == (uint64_t{64} << 10));
  CHECK(parse_size("1T", &n));
  CHECK(n == (uint64_t{1} << 40));
  CHECK(parse_size("0x1000", &n));
  CHECK(n == 0x1000);
  for (const char* bad : {"", "M", "-1M", "1.5G", "12Q", "99999999999999999999"})
    CHECK_FALSE(parse_size(bad, &n));
}

TEST_CASE("options: tracing, limits and clocks") {
  Options o;
  std::string e;
  REQUIRE(parse_env({"run", "--strace", "--log-file=/tmp/log", "--perf-map", "--max-memory=512M",
                     "--max-threads=8", "--max-processes", "4", "--max-fds=64", "--timeout=10s",
                     "--clock-precision=1ms", "--deterministic=42", "p"},
                    {}, &o, &e));
  CHECK(o.strace);
  CHECK(o.strace_filter.empty());
  CHECK(o.log_file == "/tmp/log");
  CHECK(o.perf_map);
  CHECK(o.max_memory == (uint64_t{512} << 20));
  CHECK(o.max_threads == 8);
  CHECK(o.max_processes == 4);
  CHECK(o.max_fds == 64);
  CHECK(o.timeout_ns == 10'000'000'000);
  CHECK(o.clock_precision_ns == 1'000'000);
  CHECK(o.deterministic);
  CHECK(o.seed == 42);
  REQUIRE(parse_env({"run", "--strace=file_*,denied,!file_stat_*", "--deterministic", "p"}, {}, &o, &e));
  CHECK(o.strace_filter == "file_*,denied,!file_stat_*");
  CHECK(o.deterministic);
  CHECK(o.seed == 0);
  Options d;
  REQUIRE(parse_env({"run", "p"}, {}, &d, &e));
  CHECK_FALSE(d.strace);
  CHECK(d.max_memory == 0);
  CHECK(d.timeout_ns == 0);
  CHECK_FALSE(d.deterministic);
}

TEST_CASE("options: bad values say what is expected") {
  Options o;
  std::string e;
  auto fails = [&](std::vector<const char*> args, const char* expect) {
    INFO(expect);
    CHECK_FALSE(parse_env(args, {}, &o, &e));
    CHECK_THAT(e, Catch::Contains(expect));
    CHECK(e.find('\n') == std::string::npos);
  };
  fails({"run", "--timeout=10", "p"}, "--timeout takes a duration");
  fails({"run", "--timeout=fast", "p"}, "500ms");
  fails({"run", "--clock-precision=1parsec", "p"}, "--clock-precision");
  fails({"run", "--max-memory=lots", "p"}, "--max-memory takes a size such as 512M");
  fails({"run", "--max-threads=-1", "p"}, "--max-threads takes a number");
  fails({"run", "--max-fds=100000", "p"}, "65536");
  fails({"run", "--max-processes=x", "p"}, "--max-processes");
  fails({"run", "--deterministic=seed", "p"}, "--deterministic takes a seed");
  fails({"run", "--strace=fd_reed", "p"}, "'fd_reed' is not a syscall");
  fails({"run", "--strace=sock_x*", "p"}, "matches no syscall");
  fails({"run", "--strace=", "p"}, "needs a filter");
  fails({"run", "--perf-map=yes", "p"}, "takes no value");
  fails({"run", "--log-file=", "p"}, "--log-file needs a path");
  fails({"run", "--timeout"}, "needs a value");
}

TEST_CASE("options: CAPVM_* environment variables, flags win") {
  Options o;
  std::string e;
  REQUIRE(parse_env({"run", "p"},
                    {{"CAPVM_STRACE", "1"}, {"CAPVM_TIMEOUT", "5s"}, {"CAPVM_MAX_MEMORY", "1G"},
                     {"CAPVM_MAX_THREADS", "3"}, {"CAPVM_PERF_MAP", "yes"},
                     {"CAPVM_LOG_FILE", "/tmp/x"}, {"CAPVM_DETERMINISTIC", "7"},
                     {"CAPVM_CLOCK_PRECISION", "1s"}, {"CAPVM_DUMP", "blocks"},
                     {"CAPVM_MAX_BLOCK_INSNS", "1"}, {"CAPVM_SANDBOX_SIZE", "1G"},
                     {"CAPVM_MAX_FDS", "10"}, {"CAPVM_MAX_PROCESSES", "2"},
                     {"CAPVM_CONFIG", "c.yaml"}},
                    &o, &e));
  CHECK(o.strace);
  CHECK(o.strace_filter.empty());
  CHECK(o.timeout_ns == 5'000'000'000);
  CHECK(o.max_memory == (uint64_t{1} << 30));
  CHECK(o.max_threads == 3);
  CHECK(o.perf_map);
  CHECK(o.log_file == "/tmp/x");
  CHECK(o.deterministic);
  CHECK(o.seed == 7);
  CHECK(o.clock_precision_ns == 1'000'000'000);
  CHECK(o.dump_blocks);
  CHECK(o.max_block_insns == 1);
  CHECK(o.sandbox_size == (uint64_t{1} << 30));
  CHECK(o.max_fds == 10);
  CHECK(o.max_processes == 2);
  CHECK(o.config_path == "c.yaml");

  // Flags win over the environment.
  REQUIRE(parse_env({"run", "--timeout=1m", "--strace=fd_read", "p"},
                    {{"CAPVM_TIMEOUT", "5s"}, {"CAPVM_STRACE", "1"}}, &o, &e));
  CHECK(o.timeout_ns == 60'000'000'000);
  CHECK(o.strace_filter == "fd_read");
  // A variable a flag replaces is not read at all, so a bad one is harmless.
  REQUIRE(parse_env({"run", "--timeout", "2s", "p"}, {{"CAPVM_TIMEOUT", "bogus"}}, &o, &e));
  CHECK(o.timeout_ns == 2'000'000'000);
  // A filter in the variable; 0/false/empty turn a flag off.
  REQUIRE(parse_env({"run", "p"}, {{"CAPVM_STRACE", "file_open,denied"}, {"CAPVM_PERF_MAP", "0"},
                                   {"CAPVM_DETERMINISTIC", "false"}, {"CAPVM_TIMEOUT", ""}},
                    &o, &e));
  CHECK(o.strace);
  CHECK(o.strace_filter == "file_open,denied");
  CHECK_FALSE(o.perf_map);
  CHECK_FALSE(o.deterministic);
  CHECK(o.timeout_ns == 0);
  // A bad variable names itself.
  CHECK_FALSE(parse_env({"run", "p"}, {{"CAPVM_TIMEOUT", "soon"}}, &o, &e));
  CHECK_THAT(e, Catch::StartsWith("environment variable CAPVM_TIMEOUT: --timeout takes"));
  CHECK_FALSE(parse_env({"run", "p"}, {{"CAPVM_PERF_MAP", "maybe"}}, &o, &e));
  CHECK_THAT(e, Catch::Contains("CAPVM_PERF_MAP"));
}

TEST_CASE("options: explain") {
  Options o;
  std::string e;
  REQUIRE(parse_env({"explain", "cfg.yaml"}, {}, &o, &e));
  CHECK(o.command == Command::kExplain);
  CHECK(o.config_path == "cfg.yaml");
  CHECK(o.program.empty());
  REQUIRE(parse_env({"explain", "cfg.yaml", "prog"}, {}, &o, &e));
  CHECK(o.program == "prog");
  REQUIRE(parse_env({"explain", "--config", "c.yaml", "prog"}, {}, &o, &e));
  CHECK(o.config_path == "c.yaml");
  CHECK(o.program == "prog");
  REQUIRE(parse_env({"explain"}, {}, &o, &e));
  CHECK(o.config_from_stdin());
  CHECK_FALSE(parse_env({"explain", "a", "b", "c"}, {}, &o, &e));
  CHECK_FALSE(parse_env({"explain", "--strace", "a"}, {}, &o, &e));
  CHECK_THAT(e, Catch::Contains("not capvm explain"));
  // The environment does not change what explain shows.
  REQUIRE(parse_env({"explain", "a"}, {{"CAPVM_TIMEOUT", "bogus"}}, &o, &e));
}

TEST_CASE("options: --help groups every option, --version names the ABI") {
  const std::string help = capvm::cli::usage_text();
  for (const char* s : {"Configuration:", "Tracing:", "Limits", "Clocks:", "Debugging:",
                        "--strace[=FILTER]", "--log-file=PATH", "--dump=blocks", "--perf-map",
                        "--max-memory=BYTES", "--max-threads=N", "--max-processes=N",
                        "--max-fds=N", "--timeout=DURATION", "--clock-precision=DURATION",
                        "--deterministic[=SEED]", "--max-block-insns=N", "--sandbox-size=BYTES",
                        "CAPVM_", "124", "125", "127", "capvm explain"})
    CHECK_THAT(help, Catch::Contains(s));
  const std::string v = capvm::cli::version_text();
  CHECK_THAT(v, Catch::StartsWith(std::string("capvm ") + capvm::cli::version()));
  CHECK_THAT(v, Catch::Contains("CloudABI"));
  CHECK_THAT(v, Catch::Contains("49 syscalls"));
}

TEST_CASE("strace filter: names, prefixes, denied, exclusions") {
  using capvm::vm::StraceFilter;
  StraceFilter all;
  CHECK(all.matches("fd_read", false));
  StraceFilter f("file_*,fd_read");
  CHECK(f.matches("file_open", false));
  CHECK(f.matches("fd_read", false));
  CHECK_FALSE(f.matches("fd_write", false));
  StraceFilter d("denied");
  CHECK(d.matches("fd_write", true));
  CHECK_FALSE(d.matches("fd_write", false));
  StraceFilter x("!clock_*");
  CHECK(x.matches("fd_read", false));
  CHECK_FALSE(x.matches("clock_time_get", false));
  StraceFilter mix("file_*,denied,!file_stat_*");
  CHECK(mix.matches("file_open", false));
  CHECK(mix.matches("fd_read", true));
  CHECK_FALSE(mix.matches("file_stat_get", true));
  std::string e;
  CHECK(capvm::cli::validate_strace_filter("file_*,denied,!file_stat_*,*", &e));
  CHECK_FALSE(capvm::cli::validate_strace_filter("file_*,bogus", &e));
}

TEST_CASE("options: --decode-cache takes a directory or off") {
  Options o;
  std::string e;
  REQUIRE(parse({"run", "p"}, &o, &e));
  CHECK(o.decode_cache_dir.empty());  // the default directory
  CHECK_FALSE(o.decode_cache_off);
  REQUIRE(parse({"run", "--decode-cache=/var/cache/me", "p"}, &o, &e));
  CHECK(o.decode_cache_dir == "/var/cache/me");
  CHECK_FALSE(o.decode_cache_off);
  Options off;
  REQUIRE(parse({"run", "--decode-cache", "off", "p"}, &off, &e));
  CHECK(off.decode_cache_off);
  CHECK(off.decode_cache_dir.empty());
  Options bad;
  CHECK_FALSE(parse({"run", "--decode-cache=", "p"}, &bad, &e));
  CHECK(e.find("--decode-cache") != std::string::npos);
}
