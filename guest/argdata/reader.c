/* Argdata reader (spec/argdata.md, "Binary encoding"). Plain C; no reads
 * outside [buf, buf + len) whatever the input. */
#include <argdata.h>
#include <errno.h>
#include <string.h>

argdata_t argdata_from_buffer(const void *buf, size_t len) {
  argdata_t ad = {buf, buf != NULL ? len : 0};
  return ad;
}

int argdata_get_type(const argdata_t *ad, argdata_type_t *type) {
  if (ad->len == 0) {
    *type = ARGDATA_TYPE_NULL;
    return 0;
  }
  uint8_t tag = ad->buf[0];
  if (tag < ARGDATA_TYPE_BINARY || tag > ARGDATA_TYPE_TIMESTAMP) return EINVAL;
  *type = (argdata_type_t)tag;
  return 0;
}

/* Payload of a value with the given tag. */
static int payload(const argdata_t *ad, uint8_t tag, const uint8_t **p, size_t *n) {
  if (ad->len == 0 || ad->buf[0] != tag) return EINVAL;
  *p = ad->buf + 1;
  *n = ad->len - 1;
  return 0;
}

int argdata_get_binary(const argdata_t *ad, const void **data, size_t *len) {
  const uint8_t *p;
  size_t n;
  if (payload(ad, ARGDATA_TYPE_BINARY, &p, &n) != 0) return EINVAL;
  *data = p;
  *len = n;
  return 0;
}

int argdata_get_bool(const argdata_t *ad, bool *value) {
  const uint8_t *p;
  size_t n;
  if (payload(ad, ARGDATA_TYPE_BOOL, &p, &n) != 0) return EINVAL;
  if (n == 0) *value = false;
  else if (n == 1 && p[0] == 1) *value = true;
  else return EINVAL;
  return 0;
}

int argdata_get_fd(const argdata_t *ad, int *fd) {
  const uint8_t *p;
  size_t n;
  if (payload(ad, ARGDATA_TYPE_FD, &p, &n) != 0 || n != 4) return EINVAL;
  uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  if (v > 0x7fffffffu) return EINVAL;
  *fd = (int)v;
  return 0;
}

int argdata_get_float(const argdata_t *ad, double *value) {
  const uint8_t *p;
  size_t n;
  if (payload(ad, ARGDATA_TYPE_FLOAT, &p, &n) != 0 || n != 8) return EINVAL;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = bits << 8 | p[i];
  memcpy(value, &bits, sizeof(*value));
  return 0;
}

/* N-bit signed big-endian integer -> sign and 64-bit magnitude bits. */
static int decode_int(const uint8_t *p, size_t n, bool *negative, uint64_t *bits) {
  *negative = n > 0 && (p[0] & 0x80) != 0;
  /* Strip redundant sign-extension bytes so over-long encodings still decode. */
  while (n > 1 && p[0] == (*negative ? 0xff : 0x00) && ((p[1] & 0x80) != 0) == *negative) {
    ++p;
    --n;
  }
  if (n > 9 || (n == 9 && p[0] != (*negative ? 0xff : 0x00))) return ERANGE;
  uint64_t v = *negative ? UINT64_MAX : 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | p[i];
  *bits = v;
  return 0;
}

static int get_signed(const argdata_t *ad, uint8_t tag, intmax_t *value) {
  const uint8_t *p;
  size_t n;
  bool neg;
  uint64_t bits;
  if (payload(ad, tag, &p, &n) != 0) return EINVAL;
  int e = decode_int(p, n, &neg, &bits);
  if (e != 0) return e;
  if (neg != ((bits >> 63) != 0)) return ERANGE; /* 9-byte values beyond int64 */
  *value = (intmax_t)bits;
  return 0;
}

int argdata_get_int(const argdata_t *ad, intmax_t *value) {
  return get_signed(ad, ARGDATA_TYPE_INT, value);
}

int argdata_get_timestamp(const argdata_t *ad, intmax_t *nsec) {
  return get_signed(ad, ARGDATA_TYPE_TIMESTAMP, nsec);
}

int argdata_get_uint(const argdata_t *ad, uintmax_t *value) {
  const uint8_t *p;
  size_t n;
  bool neg;
  uint64_t bits;
  if (payload(ad, ARGDATA_TYPE_INT, &p, &n) != 0) return EINVAL;
  int e = decode_int(p, n, &neg, &bits);
  if (e != 0) return e;
  if (neg) return ERANGE;
  *value = bits;
  return 0;
}

/* UTF-8 well-formedness (no overlongs, surrogates or values > U+10FFFF). */
static bool valid_utf8(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    size_t extra;
    uint32_t cp, min;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) { extra = 1; cp = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { extra = 2; cp = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { extra = 3; cp = c & 0x07; min = 0x10000; }
    else return false;
    if (n - i - 1 < extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

int argdata_get_str(const argdata_t *ad, const char **str, size_t *len) {
  const uint8_t *p;
  size_t n;
  if (payload(ad, ARGDATA_TYPE_STR, &p, &n) != 0 || n == 0 || p[n - 1] != 0) return EINVAL;
  if (memchr(p, 0, n - 1) != NULL || !valid_utf8(p, n - 1)) return EINVAL;
  *str = (const char *)p;
  *len = n - 1;
  return 0;
}

static int iterate(const argdata_t *ad, uint8_t tag, argdata_iter_t *it) {
  const uint8_t *p;
  size_t n;
  if (payload(ad, tag, &p, &n) != 0) return EINVAL;
  it->pos = p;
  it->end = p + n;
  it->error = 0;
  return 0;
}

int argdata_map_iterate(const argdata_t *ad, argdata_iter_t *it) {
  return iterate(ad, ARGDATA_TYPE_MAP, it);
}

int argdata_seq_iterate(const argdata_t *ad, argdata_iter_t *it) {
  return iterate(ad, ARGDATA_TYPE_SEQ, it);
}

/* spec/argdata.md "Subfields": a big-endian base-128 length whose last byte
 * has the high bit set, then that many bytes. */
static int next_subfield(argdata_iter_t *it, argdata_t *out) {
  size_t avail = (size_t)(it->end - it->pos);
  size_t i = 0, len = 0;
  for (;;) {
    if (i >= avail) goto bad;
    uint8_t b = it->pos[i++];
    if (len > (SIZE_MAX >> 7)) goto bad;
    len = len << 7 | (b & 0x7f);
    if (b & 0x80) break;
  }
  if (len > avail - i) goto bad;
  out->buf = it->pos + i;
  out->len = len;
  it->pos += i + len;
  return 1;
bad:
  it->error = EINVAL;
  it->pos = it->end;
  return 0;
}

int argdata_map_next(argdata_iter_t *it, argdata_t *key, argdata_t *value) {
  if (it->error != 0 || it->pos >= it->end) return 0;
  if (!next_subfield(it, key)) return 0;
  if (it->pos >= it->end) { /* a key without a value */
    it->error = EINVAL;
    return 0;
  }
  return next_subfield(it, value);
}

int argdata_seq_next(argdata_iter_t *it, argdata_t *value) {
  if (it->error != 0 || it->pos >= it->end) return 0;
  return next_subfield(it, value);
}

int argdata_map_get(const argdata_t *ad, const char *key, argdata_t *value) {
  argdata_iter_t it;
  argdata_t k, v;
  if (argdata_map_iterate(ad, &it) != 0) return EINVAL;
  while (argdata_map_next(&it, &k, &v)) {
    const char *s;
    size_t n;
    if (argdata_get_str(&k, &s, &n) == 0 && strcmp(s, key) == 0) {
      *value = v;
      return 0;
    }
  }
  return it.error != 0 ? EINVAL : ENOENT;
}
