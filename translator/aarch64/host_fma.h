// A fused multiply-add on the host, without linking libm: a * b + c rounded
// once in the running MXCSR rounding mode, raising its exception flags there
// (what glibc's fma/fmaf do). With FMA3 (every x86-64 CPU since 2013) it is
// one vfmadd instruction; otherwise libm.so.6 is loaded on first use and its
// fma/fmaf are called. capvm itself then starts without loading libm, which
// costs about 0.3 ms per start (bench/README.md, start-up).
#pragma once

namespace capvm::aarch64 {

double host_fma(double a, double b, double c);
float host_fma(float a, float b, float c);

namespace detail {
// The two paths on their own, for tests: the FMA3 instruction (only where
// the CPU has it) and libm's functions.
bool host_has_fma3();
double fma3(double a, double b, double c);
float fma3(float a, float b, float c);
double libm_fma(double a, double b, double c);
float libm_fma(float a, float b, float c);
}  // namespace detail

}  // namespace capvm::aarch64
