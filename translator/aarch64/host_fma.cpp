#include "translator/aarch64/host_fma.h"

#include <dlfcn.h>
#include <immintrin.h>
#include <sys/platform/x86.h>
#include <unistd.h>

#include <cstdio>

namespace capvm::aarch64 {
namespace detail {

bool host_has_fma3() {
  // glibc's record of what the CPU and the OS support (FMA needs the OS to
  // save AVX state too), read at start-up by the dynamic loader: no cpuid
  // here, which leaves the virtual machine on many hosts (about 13 us each
  // on the machine of bench/README.md), and no libgcc __builtin_cpu_init,
  // whose constructor would probe every feature at every capvm start.
  static const bool has = CPU_FEATURE_ACTIVE(FMA);
  return has;
}

__attribute__((target("fma"))) double fma3(double a, double b, double c) {
  return _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(a), _mm_set_sd(b), _mm_set_sd(c)));
}

__attribute__((target("fma"))) float fma3(float a, float b, float c) {
  return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}

namespace {
struct Libm {
  double (*fma)(double, double, double) = nullptr;
  float (*fmaf)(float, float, float) = nullptr;
};

const Libm& libm() {
  static const Libm fns = [] {
    Libm l;
    if (void* h = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL)) {
      l.fma = reinterpret_cast<double (*)(double, double, double)>(dlsym(h, "fma"));
      l.fmaf = reinterpret_cast<float (*)(float, float, float)>(dlsym(h, "fmaf"));
    }
    if (l.fma == nullptr || l.fmaf == nullptr) {
      // Without FMA3 and without libm there is no fused multiply-add to run
      // the guest's FMADD with: stop rather than compute it wrongly.
      std::fputs("capvm: the CPU has no FMA3 and libm.so.6 (fma, fmaf) cannot be loaded\n", stderr);
      _exit(127);
    }
    return l;
  }();
  return fns;
}
}  // namespace

double libm_fma(double a, double b, double c) { return libm().fma(a, b, c); }
float libm_fma(float a, float b, float c) { return libm().fmaf(a, b, c); }

}  // namespace detail

double host_fma(double a, double b, double c) {
  return detail::host_has_fma3() ? detail::fma3(a, b, c) : detail::libm_fma(a, b, c);
}

float host_fma(float a, float b, float c) {
  return detail::host_has_fma3() ? detail::fma3(a, b, c) : detail::libm_fma(a, b, c);
}

}  // namespace capvm::aarch64
