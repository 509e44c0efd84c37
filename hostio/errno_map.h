// Host (Linux) errno -> CloudABI errno (cloudabi.txt: enum uint16 errno).
#pragma once

#include "abi/errno.h"

namespace capvm::hostio {

// The CloudABI errno for host errno `host_errno`; EIO for anything without
// a counterpart (never E_SUCCESS, so a failed host call never reads as
// success).
abi::Errno from_host_errno(int host_errno);

}  // namespace capvm::hostio
