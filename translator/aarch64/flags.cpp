// Which instructions read and write NZCV, for the per-block flag liveness
// pass: a flag-setting instruction whose result no later instruction of the
// block reads before the next writer skips its flag capture.
#include "translator/aarch64/translator_impl.h"

namespace capvm::aarch64 {

bool reads_flags(const Insn& in) {
  switch (in.info().cls) {
    case InsnClass::kAddSubCarry:
    case InsnClass::kCondSel:
    case InsnClass::kCondCmp:
    case InsnClass::kBranchCond:
    case InsnClass::kFpSelect:
      return true;
    case InsnClass::kFpCompare:
      return in.op == Op::FCCMPDrr || in.op == Op::FCCMPSrr;
    case InsnClass::kSystem:
      // MRS may read NZCV; at SVC and BRK the dispatcher (and a debugger or
      // test looking at the state) sees the context.
      return in.op == Op::MRS || in.op == Op::SVC || in.op == Op::BRK;
    default:
      return false;
  }
}

bool writes_flags(const Insn& in) {
  switch (in.op) {
    case Op::ADDSXri: case Op::ADDSWri: case Op::SUBSXri: case Op::SUBSWri:
    case Op::ADDSXrs: case Op::ADDSWrs: case Op::SUBSXrs: case Op::SUBSWrs:
    case Op::ADDSXrx: case Op::ADDSXrx64: case Op::ADDSWrx: case Op::SUBSXrx:
    case Op::SUBSXrx64: case Op::SUBSWrx: case Op::ADCSXr: case Op::ADCSWr:
    case Op::SBCSXr: case Op::SBCSWr: case Op::ANDSXri: case Op::ANDSWri:
    case Op::ANDSXrs: case Op::ANDSWrs: case Op::BICSXrs: case Op::BICSWrs:
      return true;
    default:
      break;
  }
  // FP compares write NZCV through fp_exec; CCMP writes on both paths.
  // MSR NZCV is left out (treated as not killing): conservative.
  return in.info().cls == InsnClass::kCondCmp || in.info().cls == InsnClass::kFpCompare;
}

}  // namespace capvm::aarch64
