// `capvm explain`: the argdata tree a program would receive and, for each
// descriptor in it, where it comes from, its CloudABI file type and its base
// and inheriting rights by name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/fd_table.h"

namespace capvm::cli {

// The encoded argdata as an indented tree, one value per line:
//   map
//     "out": fd 0
//     "n": int 1000
// Malformed input is shown as "<malformed: ...>" rather than refused.
std::string format_argdata(const std::vector<uint8_t>& argdata);

// The whole explanation: tree, then one block per descriptor.
std::string explain(const std::vector<uint8_t>& argdata, const std::vector<FdInfo>& fds);

}  // namespace capvm::cli
