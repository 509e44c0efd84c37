// The syscall tracer (vm/trace.h).
#include "vm/trace.h"

#include <cinttypes>
#include <initializer_list>

#include "abi/syscalls.h"
#include "abi/types.h"
#include "rights/rights.h"

namespace capvm::vm {

namespace {

enum class ArgKind { kFd, kLookup, kDec, kSDec, kHex, kPtr, kPath, kBuffer, kIovecs, kFdList, kClock, kSignal };

struct ArgSpec {
  ArgKind kind;
  const char* name;
};
struct SyscallSpec {
  const char* name;
  std::initializer_list<ArgSpec> args;
};

const SyscallSpec kSpecs[] = {
#include "vm/trace_table.inc"
};
static_assert(sizeof(kSpecs) / sizeof(kSpecs[0]) == abi::kSyscallCount);

const char* clock_name(uint64_t id) {
  switch (id) {
    case 1: return "monotonic";
    case 2: return "process_cputime_id";
    case 3: return "realtime";
    case 4: return "thread_cputime_id";
    default: return nullptr;
  }
}

void append(std::string* s, const char* fmt, uint64_t v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  *s += buf;
}

// A guest string, quoted and escaped, at most 128 bytes shown.
void append_path(std::string* s, const GuestMemory& mem, uint64_t ptr, uint64_t len) {
  const uint64_t shown = len < 128 ? len : 128;
  std::string bytes(shown, '\0');
  if (shown > 0 && mem.read(ptr, bytes.data(), shown) != abi::E_SUCCESS) {
    append(s, "0x%" PRIx64 " (unreadable)", ptr);
    return;
  }
  *s += '"';
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      *s += '\\';
      *s += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      *s += static_cast<char>(c);
    } else {
      append(s, "\\x%02" PRIx64, c);
    }
  }
  *s += '"';
  if (shown < len) *s += "...";
}

}  // namespace

std::string SyscallTracer::format(uint32_t tid, const hostio::SyscallRequest& req,
                                  const hostio::SyscallOutcome& res, const GuestMemory& mem,
                                  const hostio::FdTable& fds) {
  std::string line;
  append(&line, "[%" PRIu64 "] ", tid);
  if (req.number >= abi::kSyscallCount) {
    append(&line, "syscall_%" PRIu64 "(...)", req.number);
  } else {
    const SyscallSpec& spec = kSpecs[req.number];
    line += spec.name;
    line += '(';
    unsigned i = 0;
    bool first = true;
    for (const ArgSpec& a : spec.args) {
      if (!first) line += ", ";
      first = false;
      const uint64_t v = req.args[i++];
      switch (a.kind) {
        case ArgKind::kFd: append(&line, "%" PRIu64, v & 0xFFFFFFFFu); break;
        case ArgKind::kLookup:
          append(&line, "%" PRIu64, v & 0xFFFFFFFFu);
          if ((v >> 32) != 0) append(&line, "|follow:0x%" PRIx64, v >> 32);
          break;
        case ArgKind::kDec: append(&line, "%" PRIu64, v); break;
        case ArgKind::kSDec: append(&line, "%" PRId64, v); break;
        case ArgKind::kHex: append(&line, "0x%" PRIx64, v); break;
        case ArgKind::kPtr: append(&line, "0x%" PRIx64, v); break;
        case ArgKind::kClock:
          if (const char* n = clock_name(v)) line += n;
          else append(&line, "%" PRIu64, v);
          break;
        case ArgKind::kSignal:
          if (const char* n = abi::signal_name(static_cast<uint8_t>(v))) line += n;
          else append(&line, "%" PRIu64, v);
          break;
        case ArgKind::kPath: {
          const uint64_t len = req.args[i++];
          append_path(&line, mem, v, len);
          break;
        }
        case ArgKind::kBuffer:
        case ArgKind::kIovecs:
        case ArgKind::kFdList: {
          const uint64_t len = req.args[i++];
          append(&line, "0x%" PRIx64, v);
          append(&line, a.kind == ArgKind::kBuffer ? "[%" PRIu64 " bytes]" : "[%" PRIu64 "]", len);
          break;
        }
      }
    }
    line += ')';
  }
  if (res.after == hostio::After::kExitProcess) {
    append(&line, " = exit %" PRIu64, res.exit_code);
    return line;
  }
  if (res.after == hostio::After::kExitThread) return line + " = thread exit";
  if (res.after == hostio::After::kSignal) {
    const char* n = abi::signal_name(res.signal);
    return line + " = killed by " + (n ? n : "a signal");
  }
  if (res.error == abi::E_SUCCESS) {
    const abi::SyscallShape* shape = abi::syscall_shape(req.number);
    line += " = 0";
    if (shape != nullptr)
      for (unsigned k = 0; k < shape->outputs; ++k) append(&line, k == 0 ? " (%" PRIu64 : ", %" PRIu64, res.out[k]);
    if (shape != nullptr && shape->outputs > 0) line += ')';
    return line;
  }
  line += " = ";
  line += abi::errno_name(res.error);
  // A denial: name the rights the descriptor (the first fd argument) lacks.
  if (res.error == abi::E_NOTCAPABLE && req.number < abi::kSyscallCount) {
    const auto sys = static_cast<abi::Sys>(req.number);
    const SyscallSpec& spec = kSpecs[req.number];
    if (spec.args.size() > 0 &&
        (spec.args.begin()->kind == ArgKind::kFd || spec.args.begin()->kind == ArgKind::kLookup)) {
      hostio::FdEntryPtr e;
      if (fds.lookup(static_cast<abi::Fd>(req.args[0] & 0xFFFFFFFFu), 0, &e) == abi::E_SUCCESS) {
        const abi::Rights missing = rights::required(sys) & ~rights::implied(e->rights_base);
        line += missing != 0 ? " (missing right " + rights::format(missing) + ")"
                             : " (missing a right this variant of the call needs)";
      }
    }
  }
  return line;
}

void SyscallTracer::trace(uint32_t tid, const hostio::SyscallRequest& req,
                          const hostio::SyscallOutcome& res, const GuestMemory& mem,
                          const hostio::FdTable& fds) const {
  const char* name = abi::syscall_name(req.number);
  if (!filter_.matches(name ? name : "", res.error == abi::E_NOTCAPABLE)) return;
  std::string line = format(tid, req, res, mem, fds);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace capvm::vm
