/* errno lives in thread-local storage (errno.h). */
#include <errno.h>

__thread int __capvm_errno;
