/* format: formatted output, the call-heavy kind of code servers and loggers
 * run: snprintf of log lines and HTTP-style headers (strings, padded and
 * plain integers, hex, a fixed-point double) into a buffer, hashing every
 * result. The printf engine calls its output sink, the sink calls memcpy,
 * fields call their padding helpers: many short calls and returns, which a
 * translator handles very differently from the tight loops of the other
 * programs (each guest `ret` is an indirect branch it has to look up).
 *
 * Every build runs the same printf engine: the guest SDK's (guest/libc/
 * stdio/format.c), which the native and aarch64 Linux builds compile in
 * (capvm_add_native SDK_LIBC) and call as capvm_snprintf, so the ratio
 * measures the translator, not glibc's printf. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench_common.h"

#ifndef __CloudABI__
#include "../../guest/libc/stdio/format.h"
#define snprintf capvm_snprintf
#endif

#define LINES 1200000

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT"};
static const char *const paths[] = {"index.html", "style.css", "app.js",
                                    "images/logo.png", "api/v1/items", "favicon.ico"};
static const char *const types[] = {"text/html; charset=utf-8", "text/css", "application/javascript",
                                    "image/png", "application/json", "image/x-icon"};

/* Eight bytes at a time: the checksum should cost little next to the
 * formatting it checks. */
static uint64_t hash_bytes(uint64_t h, const char *s, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = bench_mix(h, w);
  }
  for (; i < n; ++i) h = bench_mix(h, (unsigned char)s[i]);
  return h;
}

int main(void) {
  uint64_t rng = 0x1234567887654321ULL, h = 0xCBF29CE484222325ULL, bytes = 0;
  char buf[512];
  for (int i = 0; i < LINES; ++i) {
    const uint64_t r = bench_rand(&rng);
    const unsigned m = (unsigned)(r & 3), p = (unsigned)((r >> 2) % 6);
    const unsigned status = (r >> 8) % 7 == 0 ? 404 : 200;
    const unsigned long long size = (r >> 16) % 100000;
    int n;
    if (i & 1) {
      n = snprintf(buf, sizeof buf,
                   "HTTP/1.1 %u %s\r\nServer: capvm-bench\r\nContent-Type: %s\r\n"
                   "Content-Length: %llu\r\nETag: \"%08llx\"\r\n\r\n",
                   status, status == 200 ? "OK" : "Not Found", types[p], size,
                   (unsigned long long)(r >> 20));
    } else {
      const double ms = (double)((r >> 24) % 100000) / 1000.0;
      n = snprintf(buf, sizeof buf, "%-5s /%-16s %3u %8llu %7.3f ms conn=%d id=%x\n", methods[m],
                   paths[p], status, size, ms, i % 32, (unsigned)(r >> 40));
    }
    if (n < 0 || (size_t)n >= sizeof buf) {
      printf("format: line %d did not fit (%d)\n", i, n);
      return 1;
    }
    bytes += (uint64_t)n;
    h = hash_bytes(h, buf, (size_t)n);
  }
  printf("format %d lines: bytes=%llu hash=%016llx\n", LINES, (unsigned long long)bytes,
         (unsigned long long)h);
  return 0;
}
