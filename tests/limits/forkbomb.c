/* Forks until the VM refuses; children wait, then exit. With
 * --max-processes=N the parent must see exactly N-1 successful forks and
 * then EAGAIN. */
#include "limits_common.h"

int main(void) { return fork_until_refused(""); }
