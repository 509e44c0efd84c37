/* String handling and sorting: strlen/strcmp/strncmp/strcpy/strncpy/strchr/
 * strrchr/strstr/strdup, qsort of strings and integers, bsearch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int main(void) {
  const char *words[] = {"pear", "apple", "fig", "banana", "kiwi", "cherry", "date", "grape",
                         "lemon", "mango", "apricot", "blueberry", "lime", "plum", "quince"};
  enum { NW = sizeof(words) / sizeof(words[0]) };
  char *copies[NW];
  size_t total_len = 0;
  for (int i = 0; i < NW; ++i) {
    copies[i] = strdup(words[i]);
    total_len += strlen(copies[i]);
  }
  qsort(copies, NW, sizeof(copies[0]), cmp_str);
  printf("sorted:");
  for (int i = 0; i < NW; ++i) printf(" %s", copies[i]);
  printf("\ntotal length %zu\n", total_len);
  const char *key = "kiwi";
  char **found = bsearch(&key, copies, NW, sizeof(copies[0]), cmp_str);
  printf("bsearch kiwi -> index %d\n", found != NULL ? (int)(found - copies) : -1);
  for (int i = 0; i < NW; ++i) free(copies[i]);

  char buf[128];
  strcpy(buf, "the quick brown fox jumps over the lazy dog");
  printf("strchr q: %s\n", strchr(buf, 'q'));
  printf("strrchr o: %s\n", strrchr(buf, 'o'));
  printf("strstr lazy: %s\n", strstr(buf, "lazy"));
  printf("strstr none: %p\n", (void *)strstr(buf, "cat"));
  printf("strncmp: %d %d\n", strncmp(buf, "the quack", 6) > 0, strncmp(buf, "the quack", 5) == 0);
  char small[8];
  strncpy(small, "abcdefghij", sizeof(small) - 1);
  small[7] = '\0';
  printf("strncpy: %s (%zu)\n", small, strlen(small));
  int words_count = 0;
  for (char *p = buf; *p != '\0'; ++p)
    if (*p != ' ' && (p == buf || p[-1] == ' ')) ++words_count;
  printf("words %d\n", words_count);

  enum { NI = 5000 };
  static int ints[NI];
  unsigned s = 12345;
  for (int i = 0; i < NI; ++i) {
    s = s * 1103515245u + 12345u;
    ints[i] = (int)(s >> 8) % 100000 - 50000;
  }
  qsort(ints, NI, sizeof(int), cmp_int);
  int ok = 1;
  long long sum = 0;
  for (int i = 0; i < NI; ++i) {
    if (i > 0 && ints[i - 1] > ints[i]) ok = 0;
    sum += ints[i];
  }
  printf("ints sorted %d min %d median %d max %d sum %lld\n", ok, ints[0], ints[NI / 2],
         ints[NI - 1], sum);
  int probe = ints[1234];
  int *hit = bsearch(&probe, ints, NI, sizeof(int), cmp_int);
  printf("bsearch int found %d value %d\n", hit != NULL, hit != NULL ? *hit : 0);
  printf("atoi %d strtol hex %ld strtoul %lu strtoll %lld\n", atoi("  -1234abc"),
         strtol("0x7fff", NULL, 16), strtoul("4294967295", NULL, 10), strtoll("-9000000000", NULL, 0));
  return 0;
}
