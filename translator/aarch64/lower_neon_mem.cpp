// AdvSIMD structure loads and stores (ARM ARM C3.2.x, C7.2 LD1..LD4,
// ST1..ST4, LD1R..LD4R, single-lane forms), inline through the sandbox
// segment: every byte is read or written as gs:[address32 + offset], so
// an access outside the guest's mapped memory is the guest's fault at this
// instruction, as for scalar loads and stores.
//
// The form comes from the LLVM opcode name, parsed once per instruction:
//   LD3Threev4s[_POST]   n-element structures, all lanes ("multiple")
//   LD1Twov16b[_POST]    LD1/ST1 of 1-4 whole registers (n = 1)
//   LD2Rv8h[_POST]       one structure replicated to all lanes
//   LD1i32[_POST]        one structure to/from one lane
// Operands (LLVM order): multiple/replicate: list, Xn; with _POST: Xn(wb),
// list, Xn, Xm. Lane loads: list(out), list(in), lane, Xn; with _POST:
// Xn(wb), list(out), list(in), lane, Xn, Xm. Lane stores: list, lane, Xn;
// with _POST: Xn(wb), list, lane, Xn, Xm. Xm = XZR is the immediate
// post-index form (by the total size).
#include <cstdlib>
#include <string_view>

#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

using namespace asmjit;

namespace {

enum class Shape { kMultiple, kReplicate, kLane };

struct Form {
  bool load = false;
  bool post = false;
  Shape shape = Shape::kMultiple;
  unsigned n = 1;       // elements per structure
  unsigned regs = 1;    // registers in the list
  unsigned esize = 1;   // element bytes
  unsigned rbytes = 16; // bytes of each register written (8: upper half zeroed)
};

bool parse(std::string_view name, Form* f) {
  if (name.size() < 5) return false;
  f->load = name[0] == 'L';
  f->n = static_cast<unsigned>(name[2] - '0');
  if (f->n < 1 || f->n > 4) return false;
  f->post = name.size() > 5 && name.substr(name.size() - 5) == "_POST";
  if (f->post) name.remove_suffix(5);
  std::string_view rest = name.substr(3);
  auto arrangement = [&](std::string_view a) {
    // "v16b": lanes then element type.
    if (a.empty() || a[0] != 'v') return false;
    const unsigned lanes = static_cast<unsigned>(std::atoi(std::string(a.substr(1, a.size() - 2)).c_str()));
    switch (a.back()) {
      case 'b': f->esize = 1; break;
      case 'h': f->esize = 2; break;
      case 's': f->esize = 4; break;
      case 'd': f->esize = 8; break;
      default: return false;
    }
    f->rbytes = lanes * f->esize;
    return f->rbytes == 8 || f->rbytes == 16;
  };
  if (rest[0] == 'i') {  // lane: i8, i16, i32, i64
    f->shape = Shape::kLane;
    f->esize = static_cast<unsigned>(std::atoi(std::string(rest.substr(1)).c_str())) / 8;
    f->regs = f->n;
    return f->esize == 1 || f->esize == 2 || f->esize == 4 || f->esize == 8;
  }
  if (rest[0] == 'R') {
    f->shape = Shape::kReplicate;
    f->regs = f->n;
    return arrangement(rest.substr(1));
  }
  static constexpr std::string_view kCount[] = {"One", "Two", "Three", "Four"};
  for (unsigned i = 0; i < 4; ++i) {
    if (rest.substr(0, kCount[i].size()) == kCount[i]) {
      f->shape = Shape::kMultiple;
      f->regs = i + 1;
      if (f->n != 1 && f->regs != f->n) return false;
      return arrangement(rest.substr(kCount[i].size()));
    }
  }
  return false;
}

x86::Gp gp_of(unsigned size) {
  switch (size) {
    case 8: return x86::rax;
    case 4: return x86::eax;
    case 2: return x86::ax;
    default: return x86::al;
  }
}

// One element between guest memory gs:[esi + off] and V[v] at byte `at`.
void load_elem(Emitter& e, unsigned size, int32_t off, unsigned v, unsigned at) {
  const x86::Mem m = Emitter::guest(x86::rsi, size, off);
  if (size <= 2) e.a.movzx(x86::eax, m); else e.a.mov(gp_of(size), m);
  e.a.mov(e.vmem(v, static_cast<int32_t>(at), size), gp_of(size));
}
void store_elem(Emitter& e, unsigned size, int32_t off, unsigned v, unsigned at) {
  e.a.mov(gp_of(size), e.vmem(v, static_cast<int32_t>(at), size));
  e.a.mov(Emitter::guest(x86::rsi, size, off), gp_of(size));
}

}  // namespace

bool lower_neon_structure(Emitter& e) {
  auto& a = e.a;
  Form f;
  if (!parse(op_info(e.in->op).name, &f)) return false;
  // Operand positions.
  unsigned list_op, xn_op, lane_op = 0;
  if (f.shape == Shape::kLane) {
    if (f.load) { list_op = f.post ? 1 : 0; lane_op = f.post ? 3 : 2; xn_op = f.post ? 4 : 3; }
    else { list_op = f.post ? 1 : 0; lane_op = f.post ? 2 : 1; xn_op = f.post ? 3 : 2; }
  } else {
    list_op = f.post ? 1 : 0;
    xn_op = f.post ? 2 : 1;
  }
  const Reg list = e.reg(list_op);
  const bool is_list = list.kind == RegKind::kQList || list.kind == RegKind::kDList;
  if ((is_list ? list.count : 1u) != f.regs) return false;
  auto vreg = [&](unsigned r) { return (list.index + r) % 32; };

  e.load_gp(x86::rsi, e.reg(xn_op));
  unsigned total = 0;  // bytes accessed: the immediate post-index amount
  switch (f.shape) {
    case Shape::kMultiple: {
      total = f.regs * f.rbytes;
      if (f.n == 1) {
        // Whole registers, contiguous.
        for (unsigned r = 0; r < f.regs; ++r) {
          const x86::Mem m = Emitter::guest(x86::rsi, f.rbytes, static_cast<int32_t>(r * f.rbytes));
          if (f.load) {
            if (f.rbytes == 16) a.movdqu(x86::xmm0, m); else a.movq(x86::xmm0, m);
            a.movdqu(e.vmem(vreg(r)), x86::xmm0);  // movq zeroed the upper half
          } else if (f.rbytes == 16) {
            a.movdqu(x86::xmm0, e.vmem(vreg(r)));
            a.movdqu(m, x86::xmm0);
          } else {
            a.mov(x86::rax, e.vmem(vreg(r), 0, 8));
            a.mov(m, x86::rax);
          }
        }
        break;
      }
      // Interleaved: element i of register r at (i * n + r) * esize.
      const unsigned lanes = f.rbytes / f.esize;
      for (unsigned i = 0; i < lanes; ++i)
        for (unsigned r = 0; r < f.n; ++r) {
          const int32_t off = static_cast<int32_t>((i * f.n + r) * f.esize);
          if (f.load) load_elem(e, f.esize, off, vreg(r), i * f.esize);
          else store_elem(e, f.esize, off, vreg(r), i * f.esize);
        }
      if (f.load && f.rbytes == 8)
        for (unsigned r = 0; r < f.n; ++r) a.mov(e.vmem(vreg(r), 8, 8), 0);
      break;
    }
    case Shape::kReplicate: {
      total = f.n * f.esize;
      const unsigned lanes = f.rbytes / f.esize;
      for (unsigned r = 0; r < f.n; ++r) {
        const x86::Mem m = Emitter::guest(x86::rsi, f.esize, static_cast<int32_t>(r * f.esize));
        if (f.esize <= 2) a.movzx(x86::eax, m); else a.mov(gp_of(f.esize), m);
        for (unsigned i = 0; i < lanes; ++i) a.mov(e.vmem(vreg(r), static_cast<int32_t>(i * f.esize), f.esize), gp_of(f.esize));
        if (f.rbytes == 8) a.mov(e.vmem(vreg(r), 8, 8), 0);
      }
      break;
    }
    case Shape::kLane: {
      total = f.n * f.esize;
      const unsigned lane = static_cast<unsigned>(e.opimm(lane_op));
      for (unsigned r = 0; r < f.n; ++r) {
        const int32_t off = static_cast<int32_t>(r * f.esize);
        if (f.load) load_elem(e, f.esize, off, vreg(r), lane * f.esize);
        else store_elem(e, f.esize, off, vreg(r), lane * f.esize);
      }
      break;
    }
  }
  if (f.post) {
    const Reg xm = e.in->ops[xn_op + 1].reg;
    if (xm.kind == RegKind::kXZR) {
      a.add(x86::rsi, total);
    } else {
      e.load_gp(x86::rax, xm);
      a.add(x86::rsi, x86::rax);
    }
    e.store_gp(e.reg(0), x86::rsi);
  }
  return true;
}

}  // namespace capvm::aarch64
