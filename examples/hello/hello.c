/* The smallest capvm guest: prints a greeting on the stdout fd that its
 * argdata names (hello.yaml: `stdout: !fd stdout`), and any other string
 * arguments it was given. */
#include <stdio.h>
#include <string.h>

#ifdef __CloudABI__
#include <argdata.h>

/* Prints the top-level map's other string-valued entries, e.g. a
 * `name: capvm` line in the YAML. */
static void print_string_args(void) {
  argdata_iter_t it;
  argdata_t key, value;
  if (argdata_map_iterate(capvm_argdata(), &it) != 0) return;
  while (argdata_map_next(&it, &key, &value)) {
    const char *k, *v;
    size_t klen, vlen;
    if (argdata_get_str(&key, &k, &klen) == 0 && argdata_get_str(&value, &v, &vlen) == 0)
      printf("argument %s: %s\n", k, v);
  }
}
#endif

int main(void) {
  printf("Hello, world!\n");
#ifdef __CloudABI__
  print_string_args();
#endif
  return 0;
}
