// Instructions the dispatcher emulates instead of translated code: the
// string instructions (their implicit rsi/rdi operands cannot be confined by
// a segment override on the destination) and the time-stamp counters, which
// a guest must never read raw from the host (SECURITY.md, "Time").
#include <csignal>
#include <cstring>
#include <ctime>

#include "translator/x86_64/insn_rewrite.h"
#include "translator/x86_64/translator.h"

namespace capvm::x86_64 {

namespace {

constexpr uint64_t kCF = 1u << 0, kPF = 1u << 2, kAF = 1u << 4, kZF = 1u << 6, kSF = 1u << 7,
                   kDF = 1u << 10, kOF = 1u << 11;

// A virtual counter: nanoseconds of the host's monotonic clock. Monotonic
// like a TSC, but carries no host-specific frequency or boot offset.
uint64_t virtual_tsc() {
  static const uint64_t origin = [] {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
  }();
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec) - origin;
}

uint64_t mask_of(unsigned size) { return size == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1; }

// Flags of `a - b` at operand width `size`, as cmp/sub set them.
uint64_t sub_flags(uint64_t flags, uint64_t a, uint64_t b, unsigned size) {
  const uint64_t m = mask_of(size);
  a &= m;
  b &= m;
  const uint64_t r = (a - b) & m;
  const uint64_t sign = uint64_t{1} << (8 * size - 1);
  flags &= ~(kCF | kPF | kAF | kZF | kSF | kOF);
  if (a < b) flags |= kCF;
  if (r == 0) flags |= kZF;
  if (r & sign) flags |= kSF;
  if (((a ^ b) & (a ^ r)) & sign) flags |= kOF;
  if (((a ^ b ^ r) & 0x10) != 0) flags |= kAF;
  if ((__builtin_popcount(static_cast<unsigned>(r & 0xFF)) & 1) == 0) flags |= kPF;
  return flags;
}

void set_partial(uint64_t* reg, uint64_t value, unsigned size) {
  if (size == 4) {
    *reg = value & 0xFFFFFFFFu;  // 32-bit writes zero-extend
  } else if (size == 8) {
    *reg = value;
  } else {
    *reg = (*reg & ~mask_of(size)) | (value & mask_of(size));
  }
}

}  // namespace

int Translator::run_helper(GuestContext& ctx) {
  DecodedInsn d;
  const FetchStatus st = fetch_and_decode(impl_->mem, ctx.rip, &d);
  if (st == FetchStatus::kNoCode) return SIGSEGV;
  if (st == FetchStatus::kInvalid) return SIGILL;
  const ZydisDecodedInstruction& in = d.insn;
  uint64_t* r = ctx.gpr;
  switch (in.mnemonic) {
    case ZYDIS_MNEMONIC_RDTSC:
    case ZYDIS_MNEMONIC_RDTSCP: {
      const uint64_t t = impl_->options.guest_counter ? impl_->options.guest_counter() : virtual_tsc();
      r[kRax] = t & 0xFFFFFFFFu;
      r[kRdx] = t >> 32;
      if (in.mnemonic == ZYDIS_MNEMONIC_RDTSCP) r[kRcx] = 0;  // IA32_TSC_AUX
      ctx.rip += in.length;
      return 0;
    }
    case ZYDIS_MNEMONIC_RDPMC:
      return SIGSEGV;  // user-mode rdpmc is disabled: #GP
    default:
      break;
  }
  if (in.meta.category != ZYDIS_CATEGORY_STRINGOP) return SIGILL;

  vm::GuestMemory& mem = impl_->mem;
  const unsigned size = in.operand_width / 8;
  if (size != 1 && size != 2 && size != 4 && size != 8) return SIGILL;
  const bool addr32 = (in.attributes & ZYDIS_ATTRIB_HAS_ADDRESSSIZE) != 0;
  const bool rep = (in.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
                                     ZYDIS_ATTRIB_HAS_REPNE)) != 0;
  const bool repne = (in.attributes & ZYDIS_ATTRIB_HAS_REPNE) != 0;
  const int64_t step = (ctx.rflags & kDF) ? -int64_t(size) : int64_t(size);
  const uint64_t src_base = (in.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS) ? ctx.fs_base : 0;
  if (in.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS) return SIGILL;
  const uint64_t amask = addr32 ? 0xFFFFFFFFu : ~uint64_t{0};
  uint64_t count = rep ? (r[kRcx] & amask) : 1;
  // Guest addresses are 32-bit offsets into the sandbox, as everywhere.
  auto src = [&] { return static_cast<uint32_t>(src_base + r[kRsi]); };
  auto dst = [&] { return static_cast<uint32_t>(r[kRdi]); };
  auto advance = [&](uint64_t* reg, uint64_t n) {
    const uint64_t v = *reg + static_cast<uint64_t>(step) * n;
    *reg = addr32 ? (v & 0xFFFFFFFFu) : v;
  };
  auto consume = [&](uint64_t n) {
    if (rep) r[kRcx] = addr32 ? ((r[kRcx] - n) & 0xFFFFFFFFu) : r[kRcx] - n;
  };

  switch (in.mnemonic) {
    case ZYDIS_MNEMONIC_MOVSB:
    case ZYDIS_MNEMONIC_MOVSW:
    case ZYDIS_MNEMONIC_MOVSD:
    case ZYDIS_MNEMONIC_MOVSQ:
    case ZYDIS_MNEMONIC_STOSB:
    case ZYDIS_MNEMONIC_STOSW:
    case ZYDIS_MNEMONIC_STOSD:
    case ZYDIS_MNEMONIC_STOSQ: {
      const bool stos = in.mnemonic == ZYDIS_MNEMONIC_STOSB || in.mnemonic == ZYDIS_MNEMONIC_STOSW ||
                        in.mnemonic == ZYDIS_MNEMONIC_STOSD || in.mnemonic == ZYDIS_MNEMONIC_STOSQ;
      uint8_t chunk[4096];
      while (count > 0) {
        // Ascending, non-overlapping runs go in chunks; anything else one
        // element at a time, which is exactly the architectural order.
        uint64_t n = 1;
        if (step > 0) {
          n = count < sizeof chunk / size ? count : sizeof chunk / size;
          const uint64_t bytes = n * size;
          if (dst() + bytes > (uint64_t{1} << 32)) n = 1;
          if (!stos && (src() + bytes > (uint64_t{1} << 32) ||
                        (dst() > src() && dst() < uint64_t{src()} + bytes)))
            n = 1;
        }
        const size_t bytes = n * size;
        if (stos) {
          for (uint64_t i = 0; i < n; ++i) std::memcpy(chunk + i * size, &r[kRax], size);
        } else if (mem.read(src(), chunk, bytes) != abi::E_SUCCESS) {
          return SIGSEGV;
        }
        if (mem.write(dst(), chunk, bytes) != abi::E_SUCCESS) return SIGSEGV;
        if (!stos) advance(&r[kRsi], n);
        advance(&r[kRdi], n);
        consume(n);
        count -= n;
      }
      break;
    }
    case ZYDIS_MNEMONIC_LODSB:
    case ZYDIS_MNEMONIC_LODSW:
    case ZYDIS_MNEMONIC_LODSD:
    case ZYDIS_MNEMONIC_LODSQ:
      while (count > 0) {
        uint64_t v = 0;
        if (mem.read(src(), &v, size) != abi::E_SUCCESS) return SIGSEGV;
        set_partial(&r[kRax], v, size);
        advance(&r[kRsi], 1);
        consume(1);
        --count;
      }
      break;
    case ZYDIS_MNEMONIC_CMPSB:
    case ZYDIS_MNEMONIC_CMPSW:
    case ZYDIS_MNEMONIC_CMPSD:
    case ZYDIS_MNEMONIC_CMPSQ:
    case ZYDIS_MNEMONIC_SCASB:
    case ZYDIS_MNEMONIC_SCASW:
    case ZYDIS_MNEMONIC_SCASD:
    case ZYDIS_MNEMONIC_SCASQ: {
      const bool scas = in.mnemonic == ZYDIS_MNEMONIC_SCASB || in.mnemonic == ZYDIS_MNEMONIC_SCASW ||
                        in.mnemonic == ZYDIS_MNEMONIC_SCASD || in.mnemonic == ZYDIS_MNEMONIC_SCASQ;
      while (count > 0) {
        uint64_t a = 0, b = 0;
        if (scas) {
          a = r[kRax];
          if (mem.read(dst(), &b, size) != abi::E_SUCCESS) return SIGSEGV;
        } else {
          if (mem.read(src(), &a, size) != abi::E_SUCCESS) return SIGSEGV;
          if (mem.read(dst(), &b, size) != abi::E_SUCCESS) return SIGSEGV;
          advance(&r[kRsi], 1);
        }
        advance(&r[kRdi], 1);
        ctx.rflags = sub_flags(ctx.rflags, a, b, size);
        consume(1);
        --count;
        if (rep) {
          const bool zf = (ctx.rflags & kZF) != 0;
          if (repne ? zf : !zf) break;
        }
      }
      break;
    }
    default:
      return SIGILL;
  }
  ctx.rip += in.length;
  return 0;
}

}  // namespace capvm::x86_64
