/* double and float arithmetic, conversions, sqrt and rounding functions,
 * printed with %f %e %g %.17g. */
#include <math.h>
#include <stdio.h>

static volatile double vd = 0.1;
static volatile float vf = 0.1f;

int main(void) {
  double x = vd, sum = 0, prod = 1;
  for (int i = 1; i <= 100; ++i) {
    sum += x * i;
    prod *= 1.0 + x / i;
  }
  printf("sum=%.17g prod=%.17g\n", sum, prod);
  printf("%f %e %g %.17g\n", sum, sum, sum, sum);
  float fs = 0, fx = vf;
  for (int i = 1; i <= 100; ++i) fs += fx * (float)i;
  printf("float sum=%.9g %f %e\n", (double)fs, (double)fs, (double)fs);

  const double values[] = {0.0, -0.0, 1.0, -1.5, 2.5, 3.5, 1e-7, 123456789.125, 1e300,
                           -2.75e-300, 0.1, 1.0 / 3.0, 6.02214076e23, 9007199254740993.0};
  for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); ++i) {
    double v = values[i] + vd - vd;
    printf("v=%.17g f=%f e=%.3e g=%g | sqrt=%.17g floor=%g ceil=%g trunc=%g round=%g fabs=%g\n",
           v, v, v, v, sqrt(fabs(v)), floor(v), ceil(v), trunc(v), round(v), fabs(v));
  }
  /* Conversions. */
  double big = 4611686018427387904.0 + vd - vd; /* 2^62 */
  printf("(long)2^62=%ld (int)-3.99=%d (unsigned)3.99=%u (float)1/3=%.9g\n", (long)big,
         (int)(-3.99 + vd - vd), (unsigned)(3.99 + vd - vd), (double)(float)(1.0 / 3.0));
  long long ll = 9007199254740993LL + (long long)(vd - vd);
  printf("(double)2^53+1=%.17g (float)16777217=%.9g\n", (double)ll, (double)(float)16777217);
  printf("fmin=%g fmax=%g fma=%.17g\n", fmin(vd, -vd), fmax(vd, -vd), fma(vd, 10.0, -1.0));
  printf("division: %.17g %.17g %.17g\n", 1.0 / (vd * 3), 2.0 / 7.0 + vd - vd, -1e308 / 1e-10 + vd);
  printf("inf/nan: %f %e %g %F %5.1f\n", 1.0 / (vd - vd), -1.0 / (vd - vd), (double)NAN, -HUGE_VAL, (double)INFINITY);
  float f1 = 1.1f + vf, f2 = 2.2f * vf;
  printf("float ops: %.9g %.9g %.9g %.9g sqrtf=%.9g\n", (double)(f1 + f2), (double)(f1 * f2),
         (double)(f1 / f2), (double)(f1 - f2), (double)sqrtf(f1));
  return 0;
}
