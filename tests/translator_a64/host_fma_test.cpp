// host_fma (translator/aarch64/host_fma.h): the FMA3 path and the libm path
// give the same bits and the same MXCSR exception flags, in every rounding
// mode, on random and special operands; and the fused result differs from
// the unfused one where it must.
#include <catch2/catch.hpp>
#include <xmmintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "translator/aarch64/host_fma.h"

namespace capvm::aarch64 {
namespace {

constexpr unsigned kFlags = 0x3F;         // MXCSR IE DE ZE OE UE PE
constexpr unsigned kDefaultMxcsr = 0x1F80;  // all masked, round to nearest

template <class F, class Fn> std::pair<F, unsigned> run(Fn fn, unsigned rounding, F a, F b, F c) {
  _mm_setcsr(kDefaultMxcsr | (rounding << 13));
  const F r = fn(a, b, c);
  const unsigned flags = _mm_getcsr() & kFlags;
  _mm_setcsr(kDefaultMxcsr);
  return {r, flags};
}

template <class F> bool same_bits(F x, F y) {
  if (std::isnan(x) && std::isnan(y)) return true;  // payload: both paths follow the CPU
  return std::memcmp(&x, &y, sizeof x) == 0;
}

template <class F> std::vector<F> specials() {
  using L = std::numeric_limits<F>;
  return {F(0), -F(0), F(1), F(-1), F(0.1), F(3), L::min(), -L::min(), L::denorm_min(),
          L::max(), -L::max(), L::infinity(), -L::infinity(), L::quiet_NaN(), L::epsilon()};
}

template <class F> void compare_paths(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<F> values = specials<F>();
  for (int i = 0; i < 40; ++i) {
    // Random bit patterns: every exponent, denormals and NaNs included.
    using U = std::conditional_t<sizeof(F) == 8, uint64_t, uint32_t>;
    U u = static_cast<U>(rng());
    F f;
    std::memcpy(&f, &u, sizeof f);
    values.push_back(f);
  }
  auto fma3 = [](F a, F b, F c) { return detail::fma3(a, b, c); };
  auto libm = [](F a, F b, F c) { return detail::libm_fma(a, b, c); };
  auto host = [](F a, F b, F c) { return host_fma(a, b, c); };
  unsigned checked = 0;
  for (unsigned rounding = 0; rounding < 4; ++rounding)
    for (F a : values)
      for (F b : values)
        for (F c : values) {
          const auto want = run<F>(libm, rounding, a, b, c);
          const auto got = run<F>(host, rounding, a, b, c);
          if (!same_bits(want.first, got.first) || want.second != got.second) {
            INFO("rounding " << rounding << " a " << a << " b " << b << " c " << c);
            CHECK(got.first == want.first);
            CHECK(got.second == want.second);
          }
          if (detail::host_has_fma3()) {
            const auto direct = run<F>(fma3, rounding, a, b, c);
            REQUIRE(same_bits(direct.first, want.first));
            REQUIRE(direct.second == want.second);
          }
          ++checked;
        }
  CHECK(checked == 4 * values.size() * values.size() * values.size());
}

TEST_CASE("host_fma matches libm's fma bit for bit, flags included", "[host_fma]") {
  compare_paths<double>(1);
}

TEST_CASE("host_fma matches libm's fmaf bit for bit, flags included", "[host_fma]") {
  compare_paths<float>(2);
}

TEST_CASE("host_fma rounds once", "[host_fma]") {
  // 0.1 * 10 - 1: unfused it is exactly 0 (0.1 * 10 rounds to 1); fused it
  // is the representation error of 0.1 times 10.
  volatile double a = 0.1, b = 10.0, c = -1.0;
  CHECK(host_fma(a, b, c) == 5.551115123125783e-17);
  CHECK(a * b + c == 0.0);
  volatile float fa = 0.1f, fb = 10.0f, fc = -1.0f;
  CHECK(host_fma(fa, fb, fc) == 1.4901161e-08f);
  // Rounding mode is the running MXCSR's: (1 + 2^-52) * (1 + 2^-52) - 1
  // = 2^-51 + 2^-104, whose low part only rounding upwards keeps.
  const double e = std::ldexp(1.0, -52);
  CHECK(run<double>([](double x, double y, double z) { return host_fma(x, y, z); }, 2, 1 + e, 1 + e, -1.0).first >
        std::ldexp(1.0, -51));
  CHECK(run<double>([](double x, double y, double z) { return host_fma(x, y, z); }, 0, 1 + e, 1 + e, -1.0).first ==
        std::ldexp(1.0, -51));
}

}  // namespace
}  // namespace capvm::aarch64
