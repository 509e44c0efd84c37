/* malloc on mem_map (cloudabi.txt: syscall mem_map): power-of-two size
 * classes from 32 bytes to 64 KiB with one free list each, carved from
 * 1 MiB arenas; larger blocks are mappings of their own. Every block has a
 * 16-byte header. Not thread-safe yet: __capvm_malloc_lock/unlock are the
 * hooks a thread library overrides. */
#include <cloudabi_syscalls.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_SMALL = 0x5a11, KIND_LARGE = 0x1a29, KIND_ALIGNED = 0xa119 };
#define HDR 16
#define MIN_CLASS 5  /* 32 bytes */
#define MAX_CLASS 16 /* 64 KiB */
#define ARENA_SIZE (1u << 20)
#define PAGE 4096

typedef struct {
  size_t value; /* class, mapping length, or offset back to the real block */
  size_t kind;
} header;

typedef struct free_block {
  struct free_block *next;
} free_block;

static free_block *free_lists[MAX_CLASS + 1];
static unsigned char *arena_pos, *arena_end;

__attribute__((weak)) void __capvm_malloc_lock(void) {}
__attribute__((weak)) void __capvm_malloc_unlock(void) {}

static void *map_pages(size_t len) {
  void *mem = NULL;
  cloudabi_errno_t e = cloudabi_sys_mem_map(NULL, len, CLOUDABI_PROT_READ | CLOUDABI_PROT_WRITE,
                                            CLOUDABI_MAP_ANON | CLOUDABI_MAP_PRIVATE,
                                            CLOUDABI_MAP_ANON_FD, 0, &mem);
  return e == 0 ? mem : NULL;
}

static int class_for(size_t n) {
  int c = MIN_CLASS;
  while (((size_t)1 << c) - HDR < n) ++c;
  return c;
}

static void *alloc_small(int c) {
  size_t size = (size_t)1 << c;
  free_block *b = free_lists[c];
  if (b != NULL) {
    free_lists[c] = b->next;
  } else {
    if (arena_pos == NULL || (size_t)(arena_end - arena_pos) < size) {
      unsigned char *a = map_pages(ARENA_SIZE);
      if (a == NULL) return NULL;
      arena_pos = a;
      arena_end = a + ARENA_SIZE;
    }
    b = (free_block *)arena_pos;
    arena_pos += size;
  }
  header *h = (header *)b;
  h->value = (size_t)c;
  h->kind = KIND_SMALL;
  return (unsigned char *)h + HDR;
}

void *malloc(size_t n) {
  if (n > SIZE_MAX / 2) {
    errno = ENOMEM;
    return NULL;
  }
  void *p;
  if (n <= ((size_t)1 << MAX_CLASS) - HDR) {
    __capvm_malloc_lock();
    p = alloc_small(class_for(n));
    __capvm_malloc_unlock();
  } else {
    size_t len = (n + HDR + PAGE - 1) & ~(size_t)(PAGE - 1);
    header *h = map_pages(len);
    if (h != NULL) {
      h->value = len;
      h->kind = KIND_LARGE;
    }
    p = h != NULL ? (unsigned char *)h + HDR : NULL;
  }
  if (p == NULL) errno = ENOMEM;
  return p;
}

static header *header_of(void *p) { return (header *)((unsigned char *)p - HDR); }

/* The block that really owns p (skipping an aligned_alloc indirection). */
static void *owner(void *p, size_t *skip) {
  header *h = header_of(p);
  *skip = 0;
  if (h->kind == KIND_ALIGNED) {
    *skip = h->value;
    return (unsigned char *)p - h->value;
  }
  return p;
}

static size_t usable(void *p) {
  size_t skip;
  header *h = header_of(owner(p, &skip));
  size_t total = h->kind == KIND_SMALL ? (size_t)1 << h->value : h->value;
  return total - HDR - skip;
}

void free(void *p) {
  if (p == NULL) return;
  size_t skip;
  p = owner(p, &skip);
  header *h = header_of(p);
  if (h->kind == KIND_LARGE) {
    cloudabi_sys_mem_unmap(h, h->value);
  } else if (h->kind == KIND_SMALL && h->value >= MIN_CLASS && h->value <= MAX_CLASS) {
    __capvm_malloc_lock();
    free_block *b = (free_block *)h;
    int c = (int)h->value;
    h->kind = 0; /* catches double frees below */
    b->next = free_lists[c];
    free_lists[c] = b;
    __capvm_malloc_unlock();
  } else {
    abort(); /* not a block of ours, or freed twice */
  }
}

void *calloc(size_t count, size_t n) {
  if (n != 0 && count > SIZE_MAX / n) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = malloc(count * n);
  if (p != NULL) memset(p, 0, count * n);
  return p;
}

void *realloc(void *p, size_t n) {
  if (p == NULL) return malloc(n);
  size_t have = usable(p);
  if (n <= have) return p;
  void *q = malloc(n);
  if (q == NULL) return NULL;
  memcpy(q, p, have);
  free(p);
  return q;
}

void *aligned_alloc(size_t align, size_t n) {
  if (align == 0 || (align & (align - 1)) != 0) {
    errno = EINVAL;
    return NULL;
  }
  if (align <= HDR) return malloc(n);
  if (n > SIZE_MAX / 2 - align) {
    errno = ENOMEM;
    return NULL;
  }
  unsigned char *raw = malloc(n + align + HDR);
  if (raw == NULL) return NULL;
  uintptr_t aligned = ((uintptr_t)raw + HDR + align - 1) & ~(uintptr_t)(align - 1);
  header *h = header_of((void *)aligned);
  h->value = aligned - (uintptr_t)raw;
  h->kind = KIND_ALIGNED;
  return (void *)aligned;
}

int posix_memalign(void **out, size_t align, size_t n) {
  if (align < sizeof(void *)) align = sizeof(void *);
  void *p = aligned_alloc(align, n);
  if (p == NULL) return errno;
  *out = p;
  return 0;
}
