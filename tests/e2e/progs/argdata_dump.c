/* Dumps the program's whole argdata tree (guest only: compared with a
 * checked-in expected output, argdata_dump.expected). */
#include <argdata.h>
#include <inttypes.h>
#include <stdio.h>

static void indent(int depth) {
  for (int i = 0; i < depth; ++i) fputs("  ", stdout);
}

static void dump(const argdata_t *ad, int depth) {
  argdata_type_t type;
  if (argdata_get_type(ad, &type) != 0) {
    printf("<invalid tag>\n");
    return;
  }
  switch (type) {
    case ARGDATA_TYPE_NULL: printf("null\n"); break;
    case ARGDATA_TYPE_BINARY: {
      const void *data;
      size_t len;
      argdata_get_binary(ad, &data, &len);
      printf("binary[%zu]\n", len);
      break;
    }
    case ARGDATA_TYPE_BOOL: {
      bool b;
      int e = argdata_get_bool(ad, &b);
      printf(e == 0 ? "bool %s\n" : "bool <error>\n", b ? "true" : "false");
      break;
    }
    case ARGDATA_TYPE_FD: {
      int fd;
      printf(argdata_get_fd(ad, &fd) == 0 ? "fd\n" : "fd <error>\n");
      break;
    }
    case ARGDATA_TYPE_FLOAT: {
      double v;
      if (argdata_get_float(ad, &v) == 0) printf("float %.17g\n", v);
      else printf("float <error>\n");
      break;
    }
    case ARGDATA_TYPE_INT: {
      intmax_t v;
      uintmax_t u;
      if (argdata_get_int(ad, &v) == 0) printf("int %" PRIdMAX "\n", v);
      else if (argdata_get_uint(ad, &u) == 0) printf("uint %" PRIuMAX "\n", u);
      else printf("int <out of range>\n");
      break;
    }
    case ARGDATA_TYPE_STR: {
      const char *s;
      size_t len;
      if (argdata_get_str(ad, &s, &len) == 0) printf("str \"%s\" (%zu bytes)\n", s, len);
      else printf("str <error>\n");
      break;
    }
    case ARGDATA_TYPE_TIMESTAMP: {
      intmax_t ns;
      if (argdata_get_timestamp(ad, &ns) == 0) printf("timestamp %" PRIdMAX "\n", ns);
      else printf("timestamp <error>\n");
      break;
    }
    case ARGDATA_TYPE_MAP: {
      argdata_iter_t it;
      argdata_t k, v;
      printf("map\n");
      argdata_map_iterate(ad, &it);
      while (argdata_map_next(&it, &k, &v)) {
        indent(depth + 1);
        printf("key: ");
        dump(&k, depth + 1);
        indent(depth + 1);
        printf("value: ");
        dump(&v, depth + 2);
      }
      if (it.error != 0) printf("<malformed map>\n");
      break;
    }
    case ARGDATA_TYPE_SEQ: {
      argdata_iter_t it;
      argdata_t v;
      printf("seq\n");
      argdata_seq_iterate(ad, &it);
      while (argdata_seq_next(&it, &v)) {
        indent(depth + 1);
        printf("- ");
        dump(&v, depth + 1);
      }
      if (it.error != 0) printf("<malformed seq>\n");
      break;
    }
  }
}

int main(void) {
  const argdata_t *ad = capvm_argdata();
  dump(ad, 0);
  argdata_t v;
  printf("lookup answer: %d\n", argdata_map_get(ad, "answer", &v) == 0);
  printf("lookup missing: %d\n", argdata_map_get(ad, "missing", &v) == 0);
  return 0;
}
