/* intmix: CoreMark-style integer work (written for capvm, not CoreMark):
 * linked-list search/reverse/sort, small integer matrix algebra, a
 * character-classifying state machine and bitwise CRCs, repeated for a
 * fixed number of rounds. Prints a checksum of every round's results. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define ROUNDS 3000
#define LIST_NODES 600
#define MAT_N 40
#define SM_LEN 4096

/* ---- CRC ---------------------------------------------------------------- */

static uint16_t crc16_byte(uint8_t b, uint16_t crc) {
  crc ^= (uint16_t)b << 8;
  for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  return crc;
}

static uint16_t crc16_u32(uint32_t v, uint16_t crc) {
  crc = crc16_byte((uint8_t)v, crc);
  crc = crc16_byte((uint8_t)(v >> 8), crc);
  crc = crc16_byte((uint8_t)(v >> 16), crc);
  return crc16_byte((uint8_t)(v >> 24), crc);
}

static uint32_t crc32_buf(const uint8_t *p, size_t n, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/* ---- Linked list -------------------------------------------------------- */

struct node {
  struct node *next;
  int32_t key;
  int16_t data;
  int16_t pad;
};

static struct node *list_build(struct node *pool, int n, uint64_t *rng) {
  struct node *head = NULL;
  for (int i = 0; i < n; ++i) {
    pool[i].key = i;
    pool[i].data = (int16_t)(bench_rand(rng) & 0x7FFF);
    pool[i].next = head;
    head = &pool[i];
  }
  return head;
}

static struct node *list_reverse(struct node *l) {
  struct node *prev = NULL;
  while (l) {
    struct node *next = l->next;
    l->next = prev;
    prev = l;
    l = next;
  }
  return prev;
}

static struct node *list_find(struct node *l, int32_t key) {
  while (l && l->key != key) l = l->next;
  return l;
}

static int cmp_data(const struct node *a, const struct node *b) { return a->data - b->data; }
static int cmp_key(const struct node *a, const struct node *b) { return a->key - b->key; }

/* Bottom-up merge sort on a singly linked list. */
static struct node *list_sort(struct node *list, int (*cmp)(const struct node *, const struct node *)) {
  if (!list) return list;
  for (int insize = 1;; insize *= 2) {
    struct node *p = list, *tail = NULL;
    list = NULL;
    int merges = 0;
    while (p) {
      ++merges;
      struct node *q = p;
      int psize = 0;
      for (int i = 0; i < insize && q; ++i) {
        ++psize;
        q = q->next;
      }
      int qsize = insize;
      while (psize > 0 || (qsize > 0 && q)) {
        struct node *e;
        if (psize == 0) {
          e = q; q = q->next; --qsize;
        } else if (qsize == 0 || !q) {
          e = p; p = p->next; --psize;
        } else if (cmp(p, q) <= 0) {
          e = p; p = p->next; --psize;
        } else {
          e = q; q = q->next; --qsize;
        }
        if (tail) tail->next = e; else list = e;
        tail = e;
      }
      p = q;
    }
    tail->next = NULL;
    if (merges <= 1) return list;
  }
}

static uint16_t list_round(struct node *pool, int round, uint64_t *rng, uint16_t crc) {
  struct node *l = list_build(pool, LIST_NODES, rng);
  for (int i = 0; i < 16; ++i) {
    const int32_t key = (int32_t)((round * 37 + i * 101) % (LIST_NODES + 50));
    struct node *f = list_find(l, key);
    crc = crc16_u32(f ? (uint32_t)f->data : 0xFFFFu, crc);
  }
  l = list_reverse(l);
  l = list_sort(l, cmp_data);
  int32_t acc = 0;
  for (struct node *p = l; p; p = p->next) acc = acc * 31 + p->data;
  crc = crc16_u32((uint32_t)acc, crc);
  l = list_sort(l, cmp_key);
  crc = crc16_u32((uint32_t)l->key, crc);
  return crc;
}

/* ---- Matrix ------------------------------------------------------------- */

static uint16_t matrix_round(int16_t *a, int16_t *b, int32_t *c, int round, uint16_t crc) {
  const int16_t k = (int16_t)(round & 0xFF);
  for (int i = 0; i < MAT_N * MAT_N; ++i) a[i] = (int16_t)(a[i] + k);
  for (int i = 0; i < MAT_N; ++i)
    for (int j = 0; j < MAT_N; ++j) {
      int32_t s = 0;
      for (int x = 0; x < MAT_N; ++x) s += (int32_t)a[i * MAT_N + x] * b[x * MAT_N + j];
      c[i * MAT_N + j] = s;
    }
  int32_t acc = 0;
  for (int i = 0; i < MAT_N * MAT_N; ++i) {
    const int32_t v = c[i] * k;
    acc += (v > 1000000) ? (v >> 3) & 0xFF : v & 0x7F;
  }
  crc = crc16_u32((uint32_t)acc, crc);
  /* bit extraction across rows */
  int32_t bits = 0;
  for (int i = 0; i < MAT_N * MAT_N; ++i) bits += (c[i] >> ((i & 7) + 2)) & 0xF;
  crc = crc16_u32((uint32_t)bits, crc);
  for (int i = 0; i < MAT_N * MAT_N; ++i) a[i] = (int16_t)(a[i] - k);
  return crc;
}

/* ---- State machine ------------------------------------------------------ */

enum sm_state { S_START, S_INT, S_SIGN, S_FRAC, S_DOT, S_EXP, S_EXP_SIGN, S_EXP_INT, S_BAD, S_COUNT };

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static enum sm_state sm_step(enum sm_state s, char c) {
  switch (s) {
    case S_START:
      if (is_digit(c)) return S_INT;
      if (c == '+' || c == '-') return S_SIGN;
      if (c == '.') return S_DOT;
      return S_BAD;
    case S_SIGN:
      if (is_digit(c)) return S_INT;
      if (c == '.') return S_DOT;
      return S_BAD;
    case S_INT:
      if (is_digit(c)) return S_INT;
      if (c == '.') return S_FRAC;
      if (c == 'e' || c == 'E') return S_EXP;
      return S_BAD;
    case S_DOT:
      return is_digit(c) ? S_FRAC : S_BAD;
    case S_FRAC:
      if (is_digit(c)) return S_FRAC;
      if (c == 'e' || c == 'E') return S_EXP;
      return S_BAD;
    case S_EXP:
      if (is_digit(c)) return S_EXP_INT;
      if (c == '+' || c == '-') return S_EXP_SIGN;
      return S_BAD;
    case S_EXP_SIGN:
      return is_digit(c) ? S_EXP_INT : S_BAD;
    case S_EXP_INT:
      return is_digit(c) ? S_EXP_INT : S_BAD;
    default:
      return S_BAD;
  }
}

static void sm_fill(char *buf, size_t n, uint64_t *rng) {
  static const char alphabet[] = "0123456789012345678901234567890123456789+-.eE,,,,x";
  for (size_t i = 0; i < n; ++i) buf[i] = alphabet[bench_rand(rng) % (sizeof alphabet - 1)];
}

static uint16_t sm_round(char *buf, int round, uint16_t crc) {
  uint32_t final_count[S_COUNT] = {0};
  uint32_t transitions = 0;
  enum sm_state s = S_START;
  for (size_t i = 0; i < SM_LEN; ++i) {
    const char c = buf[i];
    if (c == ',') {
      final_count[s]++;
      s = S_START;
      continue;
    }
    const enum sm_state n = sm_step(s, c);
    transitions += (n != s);
    s = n;
  }
  for (int i = 0; i < S_COUNT; ++i) crc = crc16_u32(final_count[i], crc);
  crc = crc16_u32(transitions, crc);
  /* perturb the input so rounds differ */
  for (size_t i = (size_t)round % 7; i < SM_LEN; i += 97) buf[i] ^= 0x1;
  return crc;
}

int main(void) {
  uint64_t rng = 0x1234567887654321ULL;
  struct node *pool = malloc(sizeof(struct node) * LIST_NODES);
  int16_t *a = malloc(sizeof(int16_t) * MAT_N * MAT_N);
  int16_t *b = malloc(sizeof(int16_t) * MAT_N * MAT_N);
  int32_t *c = malloc(sizeof(int32_t) * MAT_N * MAT_N);
  char *sm = malloc(SM_LEN);
  if (!pool || !a || !b || !c || !sm) return 1;
  for (int i = 0; i < MAT_N * MAT_N; ++i) {
    a[i] = (int16_t)(bench_rand(&rng) % 2000) - 1000;
    b[i] = (int16_t)(bench_rand(&rng) % 2000) - 1000;
  }
  sm_fill(sm, SM_LEN, &rng);

  uint16_t crc_list = 0, crc_mat = 0, crc_sm = 0;
  uint32_t crc32 = 0;
  for (int r = 0; r < ROUNDS; ++r) {
    crc_list = list_round(pool, r, &rng, crc_list);
    crc_mat = matrix_round(a, b, c, r, crc_mat);
    crc_sm = sm_round(sm, r, crc_sm);
    crc32 = crc32_buf((const uint8_t *)c, sizeof(int32_t) * MAT_N * MAT_N / 4, crc32);
  }
  printf("intmix rounds=%d list=%04x matrix=%04x state=%04x crc32=%08x\n", ROUNDS,
         crc_list, crc_mat, crc_sm, crc32);
  return 0;
}
