/* strings: string handling over a large generated text: strlen per line,
 * strchr/strrchr scans, memcmp/strncmp word matching, strspn/strcspn
 * tokenizing with a word-frequency hash table, memchr line splitting,
 * strstr searches. Uses the C library's string functions (glibc natively,
 * the SDK's libc as a guest). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define TEXT_SIZE (6u << 20)
#define PASSES 8
#define HASH_SIZE 4096

static const char *const words[] = {
    "capability", "sandbox", "translator", "block",  "syscall",  "descriptor", "guest",
    "host",       "memory",  "page",       "cache",  "lookup",   "branch",     "return",
    "the",        "a",       "of",         "and",    "to",       "in",         "is",
    "it",         "that",    "for",        "on",     "with",     "as",         "was",
    "cloudabi",   "argdata", "vdso",       "thread", "process",  "signal",     "fault",
    "x",          "yy",      "zzz",        "quick",  "brown",    "fox",        "jumps"};
#define NWORDS (sizeof words / sizeof words[0])

struct entry {
  const char *word;
  size_t len;
  uint32_t count;
};

static uint32_t hash_word(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

static char *make_text(uint64_t *rng) {
  char *t = malloc(TEXT_SIZE + 1);
  if (!t) return NULL;
  size_t pos = 0, line = 0;
  while (pos + 32 < TEXT_SIZE) {
    const uint64_t r = bench_rand(rng);
    const char *w = words[r % NWORDS];
    const size_t n = strlen(w);
    memcpy(t + pos, w, n);
    pos += n;
    line += n;
    const unsigned sep = (unsigned)(r >> 40) & 15;
    if (line > 60 + (sep & 7) * 4) {
      t[pos++] = (sep & 8) ? '.' : ',';
      t[pos++] = '\n';
      line = 0;
    } else {
      t[pos++] = sep == 0 ? '\t' : ' ';
      if (sep == 1) t[pos++] = ' ';
    }
  }
  while (pos < TEXT_SIZE) t[pos++] = '\n';
  t[TEXT_SIZE] = 0;
  return t;
}

int main(void) {
  uint64_t rng = 0xC0DEC0DEC0DEC0DEULL;
  char *text = make_text(&rng);
  char *copy = malloc(TEXT_SIZE + 1);
  struct entry *table = calloc(HASH_SIZE, sizeof *table);
  if (!text || !copy || !table) return 1;

  uint64_t h = 0;
  for (int pass = 0; pass < PASSES; ++pass) {
    memcpy(copy, text, TEXT_SIZE + 1);
    h = bench_mix(h, strlen(copy));

    /* Split lines with memchr, measure each with strlen after terminating it. */
    uint64_t lines = 0, line_chars = 0, commas = 0, last_dots = 0;
    char *p = copy, *end = copy + TEXT_SIZE;
    while (p < end) {
      char *nl = memchr(p, '\n', (size_t)(end - p));
      if (!nl) break;
      *nl = 0;
      const size_t n = strlen(p);
      line_chars += n;
      ++lines;
      if (strchr(p, ',')) ++commas;
      const char *dot = strrchr(p, '.');
      if (dot) last_dots += (uint64_t)(dot - p);
      p = nl + 1;
    }
    h = bench_mix(h, lines);
    h = bench_mix(h, line_chars);
    h = bench_mix(h, commas);
    h = bench_mix(h, last_dots);

    /* Tokenize the (now NUL-separated) lines with strspn/strcspn and count
     * words in an open-addressing table keyed by memcmp. */
    static const char delims[] = " \t,.";
    uint64_t tokens = 0, matches = 0;
    for (char *q = copy; q < end;) {
      const size_t linelen = strlen(q);
      char *s = q;
      for (;;) {
        s += strspn(s, delims);
        if (*s == 0) break;
        const size_t n = strcspn(s, delims);
        ++tokens;
        uint32_t slot = hash_word(s, n) & (HASH_SIZE - 1);
        for (;;) {
          struct entry *e = &table[slot];
          if (e->word == NULL) {
            e->word = s - copy + text; /* points into the pristine text */
            e->len = n;
            e->count = 1;
            break;
          }
          if (e->len == n && memcmp(e->word, s, n) == 0) {
            e->count++;
            break;
          }
          slot = (slot + 1) & (HASH_SIZE - 1);
        }
        if (n >= 5 && strncmp(s, "trans", 5) == 0) ++matches;
        s += n;
      }
      q += linelen + 1;
    }
    h = bench_mix(h, tokens);
    h = bench_mix(h, matches);

    /* strstr over the pristine text in chunks. */
    uint64_t found = 0;
    const char *needle = pass == 1 ? "fox jumps" : "sandbox translator";
    for (const char *s = text; (s = strstr(s, needle)) != NULL; s += 1) ++found;
    h = bench_mix(h, found);
  }
  uint64_t distinct = 0, total = 0;
  for (int i = 0; i < HASH_SIZE; ++i)
    if (table[i].word) {
      ++distinct;
      total += table[i].count;
      h = bench_mix(h, (uint64_t)table[i].count * 131 + table[i].len);
    }
  printf("strings %u MiB x %d: distinct=%llu total=%llu hash=%016llx\n", TEXT_SIZE >> 20, PASSES,
         (unsigned long long)distinct, (unsigned long long)total, (unsigned long long)h);
  return 0;
}
