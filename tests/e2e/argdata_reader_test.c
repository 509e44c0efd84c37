/* Native unit test of the guest SDK's argdata reader (guest/argdata/
 * reader.c): the examples of spec/argdata.md, and malformed or truncated
 * input, which must give EINVAL/ERANGE and never read out of bounds (each
 * case is copied into an exactly sized heap buffer, so ASan/valgrind would
 * catch an over-read). */
#include <argdata.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define EXPECT(cond)                                                  \
  do {                                                                \
    if (!(cond)) {                                                    \
      printf("%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);       \
      ++failures;                                                     \
    }                                                                 \
  } while (0)

static argdata_t view(const unsigned char *bytes, size_t n, unsigned char **owned) {
  *owned = malloc(n ? n : 1);
  memcpy(*owned, bytes, n);
  return argdata_from_buffer(*owned, n);
}

#define AD(name, ...)                                        \
  static const unsigned char name##_bytes[] = {__VA_ARGS__}; \
  unsigned char *name##_mem;                                 \
  argdata_t name = view(name##_bytes, sizeof(name##_bytes), &name##_mem)

static void test_ints(void) {
  intmax_t v;
  uintmax_t u;
  AD(zero, 0x05);
  EXPECT(argdata_get_int(&zero, &v) == 0 && v == 0);
  AD(one, 0x05, 0x01);
  EXPECT(argdata_get_int(&one, &v) == 0 && v == 1);
  AD(m128, 0x05, 0x80);
  EXPECT(argdata_get_int(&m128, &v) == 0 && v == -128);
  AD(i255, 0x05, 0x00, 0xff);
  EXPECT(argdata_get_int(&i255, &v) == 0 && v == 255);
  AD(m1000, 0x05, 0xfc, 0x18);
  EXPECT(argdata_get_int(&m1000, &v) == 0 && v == -1000);
  AD(u32max, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff);
  EXPECT(argdata_get_int(&u32max, &v) == 0 && v == 4294967295LL);
  AD(u64max, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  EXPECT(argdata_get_int(&u64max, &v) == ERANGE);
  EXPECT(argdata_get_uint(&u64max, &u) == 0 && u == UINTMAX_MAX);
  EXPECT(argdata_get_uint(&m128, &u) == ERANGE);
  AD(huge, 0x05, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  EXPECT(argdata_get_int(&huge, &v) == ERANGE);
  EXPECT(argdata_get_uint(&huge, &u) == ERANGE);
  AD(ts, 0x09, 0x03, 0xe8);
  EXPECT(argdata_get_timestamp(&ts, &v) == 0 && v == 1000);
  EXPECT(argdata_get_int(&ts, &v) == EINVAL);
  free(zero_mem); free(one_mem); free(m128_mem); free(i255_mem); free(m1000_mem);
  free(u32max_mem); free(u64max_mem); free(huge_mem); free(ts_mem);
}

static void test_scalars(void) {
  const char *s;
  size_t len;
  bool b;
  int fd;
  double d;
  AD(str, 0x08, '1', '2', '3', 0x00);
  EXPECT(argdata_get_str(&str, &s, &len) == 0 && len == 3 && strcmp(s, "123") == 0);
  AD(unterminated, 0x08, 'a', 'b');
  EXPECT(argdata_get_str(&unterminated, &s, &len) == EINVAL);
  AD(embedded_nul, 0x08, 'a', 0x00, 'b', 0x00);
  EXPECT(argdata_get_str(&embedded_nul, &s, &len) == EINVAL);
  AD(bad_utf8, 0x08, 0xc0, 0x80, 0x00);
  EXPECT(argdata_get_str(&bad_utf8, &s, &len) == EINVAL);
  AD(empty_str, 0x08);
  EXPECT(argdata_get_str(&empty_str, &s, &len) == EINVAL);
  AD(t, 0x02, 0x01);
  EXPECT(argdata_get_bool(&t, &b) == 0 && b);
  AD(f, 0x02);
  EXPECT(argdata_get_bool(&f, &b) == 0 && !b);
  AD(bad_bool, 0x02, 0x02);
  EXPECT(argdata_get_bool(&bad_bool, &b) == EINVAL);
  AD(fd2, 0x03, 0, 0, 0, 2);
  EXPECT(argdata_get_fd(&fd2, &fd) == 0 && fd == 2);
  AD(short_fd, 0x03, 0, 0, 2);
  EXPECT(argdata_get_fd(&short_fd, &fd) == EINVAL);
  AD(fl, 0x04, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18);
  EXPECT(argdata_get_float(&fl, &d) == 0 && d == 3.141592653589793);
  AD(short_fl, 0x04, 0x40, 0x09);
  EXPECT(argdata_get_float(&short_fl, &d) == EINVAL);
  EXPECT(argdata_get_int(&str, &(intmax_t){0}) == EINVAL);
  AD(bad_tag, 0x0a, 0x00);
  argdata_type_t type;
  EXPECT(argdata_get_type(&bad_tag, &type) == EINVAL);
  argdata_t null = argdata_from_buffer(NULL, 0);
  EXPECT(argdata_get_type(&null, &type) == 0 && type == ARGDATA_TYPE_NULL);
  EXPECT(argdata_get_str(&null, &s, &len) == EINVAL);
  free(str_mem); free(unterminated_mem); free(embedded_nul_mem); free(bad_utf8_mem);
  free(empty_str_mem); free(t_mem); free(f_mem); free(bad_bool_mem); free(fd2_mem);
  free(short_fd_mem); free(fl_mem); free(short_fl_mem); free(bad_tag_mem);
}

static void test_containers(void) {
  argdata_iter_t it;
  argdata_t k, v;
  intmax_t i;
  bool b;
  const char *s;
  size_t len;
  /* spec/argdata.md: seq of 0, true, "A". */
  AD(seq, 0x07, 0x81, 0x05, 0x82, 0x02, 0x01, 0x83, 0x08, 0x41, 0x00);
  EXPECT(argdata_seq_iterate(&seq, &it) == 0);
  EXPECT(argdata_seq_next(&it, &v) == 1 && argdata_get_int(&v, &i) == 0 && i == 0);
  EXPECT(argdata_seq_next(&it, &v) == 1 && argdata_get_bool(&v, &b) == 0 && b);
  EXPECT(argdata_seq_next(&it, &v) == 1 && argdata_get_str(&v, &s, &len) == 0 && s[0] == 'A');
  EXPECT(argdata_seq_next(&it, &v) == 0 && it.error == 0);
  EXPECT(argdata_map_iterate(&seq, &it) == EINVAL);
  /* Length running past the end. */
  AD(overrun, 0x07, 0x85, 0x05, 0x01);
  EXPECT(argdata_seq_iterate(&overrun, &it) == 0);
  EXPECT(argdata_seq_next(&it, &v) == 0 && it.error == EINVAL);
  /* Length varint never terminated. */
  AD(no_end, 0x07, 0x01, 0x01, 0x01);
  EXPECT(argdata_seq_iterate(&no_end, &it) == 0);
  EXPECT(argdata_seq_next(&it, &v) == 0 && it.error == EINVAL);
  /* Absurdly long varint (overflow). */
  AD(long_varint, 0x07, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0xff);
  EXPECT(argdata_seq_iterate(&long_varint, &it) == 0);
  EXPECT(argdata_seq_next(&it, &v) == 0 && it.error == EINVAL);
  /* Two-byte length: 128 = 01 80 (here truncated). */
  AD(len128, 0x07, 0x01, 0x80, 0x05);
  EXPECT(argdata_seq_iterate(&len128, &it) == 0);
  EXPECT(argdata_seq_next(&it, &v) == 0 && it.error == EINVAL);
  /* Map {"a": 1}, a map with a dangling key, lookups. */
  AD(map, 0x06, 0x83, 0x08, 'a', 0x00, 0x82, 0x05, 0x01);
  EXPECT(argdata_map_get(&map, "a", &v) == 0 && argdata_get_int(&v, &i) == 0 && i == 1);
  EXPECT(argdata_map_get(&map, "b", &v) == ENOENT);
  AD(dangling, 0x06, 0x83, 0x08, 'a', 0x00);
  EXPECT(argdata_map_iterate(&dangling, &it) == 0);
  EXPECT(argdata_map_next(&it, &k, &v) == 0 && it.error == EINVAL);
  EXPECT(argdata_map_get(&dangling, "a", &v) == EINVAL);
  free(seq_mem); free(overrun_mem); free(no_end_mem); free(long_varint_mem); free(len128_mem);
  free(map_mem); free(dangling_mem);
}

/* Every prefix of a valid nested document must be handled without
 * over-reading (checked by running under a memory checker / ASan build). */
static void test_truncations(void) {
  static const unsigned char doc[] = {0x06, 0x83, 0x08, 'k', 0x00, 0x8a, 0x07, 0x81, 0x05,
                                      0x82, 0x02, 0x01, 0x84, 0x03, 0, 0, 1};
  for (size_t n = 0; n <= sizeof(doc); ++n) {
    unsigned char *mem;
    argdata_t ad = view(doc, n, &mem);
    argdata_iter_t it, inner;
    argdata_t k, v, e;
    if (argdata_map_iterate(&ad, &it) == 0) {
      while (argdata_map_next(&it, &k, &v)) {
        if (argdata_seq_iterate(&v, &inner) == 0)
          while (argdata_seq_next(&inner, &e)) {
            int fd;
            (void)argdata_get_fd(&e, &fd);
          }
      }
    }
    free(mem);
  }
}

int main(void) {
  test_ints();
  test_scalars();
  test_containers();
  test_truncations();
  printf("argdata reader: %d failures\n", failures);
  return failures != 0;
}
