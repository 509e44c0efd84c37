/* strerror: messages for the CloudABI errno values (cloudabi.txt: errno). */
#include <errno.h>
#include <string.h>

char *strerror(int errnum) {
  switch (errnum) {
    case 0: return "Success";
    case EBADF: return "Bad file descriptor";
    case EINVAL: return "Invalid argument";
    case ENOMEM: return "Out of memory";
    case ENOENT: return "No such file or directory";
    case ERANGE: return "Result out of range";
    case EDOM: return "Mathematics argument out of domain";
    case ENOSYS: return "Function not implemented";
    case ENOTCAPABLE: return "Capabilities insufficient";
    default: return "Unknown error";
  }
}
