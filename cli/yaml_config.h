// The launcher's configuration: YAML (cloudabi-run.1, "YAML TAGS") turned
// into encoded argdata plus the descriptors granted to the guest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/acceptor.h"
#include "cli/fd_table.h"
#include "vm/process.h"

namespace capvm::cli {

struct ConfigLimits {
  // Alias bombs: yaml-cpp shares aliased nodes, the encoder would expand
  // them; both the number of nodes visited and the output size are capped.
  size_t max_nodes = 1'000'000;
  size_t max_bytes = size_t{64} << 20;
  unsigned max_depth = 512;
};

struct ConfigContext {
  // False when the YAML itself arrives on stdin, so `!fd stdin` cannot be
  // handed to the guest.
  bool stdin_available = false;
  // The program path, for `!executable`; empty: !executable is an error.
  std::string program_path;
  ConfigLimits limits;
};

struct ConfigError {
  std::string message;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  // "line L, column C: message", or the message alone.
  std::string describe() const;
};

struct Config {
  std::vector<uint8_t> argdata;
  std::vector<vm::FdGrant> fds;  // the caller owns these host descriptors
  std::vector<FdInfo> fd_info;   // one per grant, same order: for `explain`
  // `!socket {bind:}` listeners (stream, seqpacket) still to be served:
  // start_acceptors() or close_acceptors(); the caller owns them.
  std::vector<Acceptor> acceptors;
};

// Parses the YAML text and opens every resource it names. On failure no
// descriptor stays open and *error says why.
bool load_config(std::string_view yaml, const ConfigContext& context, Config* out,
                 ConfigError* error);

}  // namespace capvm::cli
