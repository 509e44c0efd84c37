/* The program's argdata (cloudabi.txt: auxtype argdata, argdatalen) and the
 * standard streams it names: a top-level map with "stdin"/"stdout"/"stderr"
 * keys holding fds (spec/cloudabi-run.1: `!fd stdout`). Without them the
 * streams stay closed and writes fail with EBADF. */
#include <argdata.h>
#include "../libc/stdio/stdio_impl.h"
#include "crt.h"

static argdata_t program_argdata;

const argdata_t *capvm_argdata(void) { return &program_argdata; }

static void pick_stream(const char *key, FILE *stream) {
  argdata_t value;
  int fd;
  if (argdata_map_get(&program_argdata, key, &value) == 0 && argdata_get_fd(&value, &fd) == 0)
    stream->fd = fd;
}

void __capvm_args_init(const void *buf, size_t len) {
  program_argdata = argdata_from_buffer(buf, len);
  pick_stream("stdin", stdin);
  pick_stream("stdout", stdout);
  pick_stream("stderr", stderr);
}
