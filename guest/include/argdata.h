/* Reading argdata, the binary encoding of a program's arguments
 * (spec/argdata.md, "Binary encoding"). A value is a view of a buffer
 * (nothing is copied or allocated). Every accessor checks every length:
 * malformed input yields EINVAL, a well-formed value of another type EINVAL,
 * an integer that does not fit ERANGE. Accessors return 0 on success. */
#ifndef ARGDATA_H
#define ARGDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* spec/argdata.md: type tags. Null has no tag (the empty buffer). */
typedef enum {
  ARGDATA_TYPE_NULL = 0,
  ARGDATA_TYPE_BINARY = 1,
  ARGDATA_TYPE_BOOL = 2,
  ARGDATA_TYPE_FD = 3,
  ARGDATA_TYPE_FLOAT = 4,
  ARGDATA_TYPE_INT = 5,
  ARGDATA_TYPE_MAP = 6,
  ARGDATA_TYPE_SEQ = 7,
  ARGDATA_TYPE_STR = 8,
  ARGDATA_TYPE_TIMESTAMP = 9,
} argdata_type_t;

typedef struct argdata {
  const uint8_t *buf; /* tag byte first; NULL/len 0 for null */
  size_t len;
} argdata_t;

/* Iteration over a map (key, value pairs) or a seq. */
typedef struct {
  const uint8_t *pos, *end;
  int error; /* EINVAL once a malformed subfield was met */
} argdata_iter_t;

/* A value viewing buf[0..len). */
argdata_t argdata_from_buffer(const void *buf, size_t len);

/* The program's argdata (cloudabi.txt: auxtype argdata/argdatalen). */
const argdata_t *capvm_argdata(void);

/* The type, or EINVAL for an unknown tag. */
int argdata_get_type(const argdata_t *ad, argdata_type_t *type);

int argdata_get_binary(const argdata_t *ad, const void **data, size_t *len);
int argdata_get_bool(const argdata_t *ad, bool *value);
int argdata_get_fd(const argdata_t *ad, int *fd);
int argdata_get_float(const argdata_t *ad, double *value);
int argdata_get_int(const argdata_t *ad, intmax_t *value);
int argdata_get_uint(const argdata_t *ad, uintmax_t *value);
/* A string: *str is NUL-terminated at (*str)[*len]; embedded NULs and
 * invalid UTF-8 are EINVAL. */
int argdata_get_str(const argdata_t *ad, const char **str, size_t *len);
/* Nanoseconds since 1970-01-01T00:00:00Z. */
int argdata_get_timestamp(const argdata_t *ad, intmax_t *nsec);

/* Start iterating: EINVAL if ad is not a map / seq. */
int argdata_map_iterate(const argdata_t *ad, argdata_iter_t *it);
int argdata_seq_iterate(const argdata_t *ad, argdata_iter_t *it);
/* 1 and the next element, or 0 at the end or on malformed data (then
 * it->error is EINVAL). */
int argdata_map_next(argdata_iter_t *it, argdata_t *key, argdata_t *value);
int argdata_seq_next(argdata_iter_t *it, argdata_t *value);

/* Look a string key up in a map: 0 and *value, ENOENT if absent, EINVAL if
 * ad is not a well-formed map. */
int argdata_map_get(const argdata_t *ad, const char *key, argdata_t *value);

#ifdef __cplusplus
}
#endif
#endif
