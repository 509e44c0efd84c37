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
