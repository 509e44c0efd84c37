/* Indirect calls: function-pointer tables (relocated at start-up), callbacks
 * and a small vtable-style dispatch. */
#include <stdint.h>
#include <stdio.h>

typedef int64_t (*binop)(int64_t, int64_t);

static int64_t op_add(int64_t a, int64_t b) { return a + b; }
static int64_t op_sub(int64_t a, int64_t b) { return a - b; }
static int64_t op_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static int64_t op_div(int64_t a, int64_t b) { return b != 0 ? a / b : 0; }
static int64_t op_mod(int64_t a, int64_t b) { return b != 0 ? a % b : 0; }
static int64_t op_min(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t op_max(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t op_xor(int64_t a, int64_t b) { return a ^ b; }

static const struct { const char *name; binop fn; } table[] = {
    {"add", op_add}, {"sub", op_sub}, {"mul", op_mul}, {"div", op_div},
    {"mod", op_mod}, {"min", op_min}, {"max", op_max}, {"xor", op_xor},
};

struct shape;
struct shape_ops {
  const char *kind;
  long (*area)(const struct shape *);
  long (*perimeter)(const struct shape *);
};
struct shape { const struct shape_ops *ops; long a, b; };

static long rect_area(const struct shape *s) { return s->a * s->b; }
static long rect_perim(const struct shape *s) { return 2 * (s->a + s->b); }
static long square_area(const struct shape *s) { return s->a * s->a; }
static long square_perim(const struct shape *s) { return 4 * s->a; }
static long tri_area(const struct shape *s) { return s->a * s->b / 2; }
static long tri_perim(const struct shape *s) { return s->a + s->b + s->a; }

static const struct shape_ops rect_ops = {"rect", rect_area, rect_perim};
static const struct shape_ops square_ops = {"square", square_area, square_perim};
static const struct shape_ops tri_ops = {"triangle", tri_area, tri_perim};

static int64_t fold(const int64_t *v, int n, binop f, int64_t init) {
  for (int i = 0; i < n; ++i) init = f(init, v[i]);
  return init;
}

int main(void) {
  const int64_t values[] = {17, -5, 1000003, 42, -99999, 7, 3, 123456789};
  const int n = sizeof(values) / sizeof(values[0]);
  for (unsigned t = 0; t < sizeof(table) / sizeof(table[0]); ++t) {
    printf("%s:", table[t].name);
    for (int i = 0; i + 1 < n; ++i) printf(" %lld", (long long)table[t].fn(values[i], values[i + 1]));
    printf(" | fold %lld\n", (long long)fold(values, n, table[t].fn, 1));
  }
  struct shape shapes[] = {{&rect_ops, 3, 4}, {&square_ops, 5, 0}, {&tri_ops, 6, 8},
                           {&rect_ops, 10, 20}};
  long total = 0;
  for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); ++i) {
    const struct shape *s = &shapes[i];
    printf("%s area %ld perimeter %ld\n", s->ops->kind, s->ops->area(s), s->ops->perimeter(s));
    total += s->ops->area(s);
  }
  /* Computed index into the table, many times. */
  int64_t acc = 1;
  for (int i = 0; i < 100000; ++i) acc = table[(acc ^ i) & 7].fn(acc, i + 1) & 0xffffffff;
  printf("total area %ld acc %lld\n", total, (long long)acc);
  return 0;
}
