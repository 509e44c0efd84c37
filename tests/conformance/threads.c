/* conformance.threads: guest threads contending on a mutex and a condition
 * variable built on the CloudABI lock protocol (cloudabi.txt lock, condvar,
 * poll lock_wrlock/condvar, lock_unlock, condvar_signal, thread_create,
 * thread_exit). Thread bodies use no TLS and no libc (the SDK sets up none
 * for new threads): only syscalls and atomics. The counts are exact. */
#include <stdatomic.h>

#include "conformance.h"

#define NTHREADS 8
#define ITERS 2000
#define NITEMS 400

typedef _Atomic(cloudabi_lock_t) lock_t;

static void mutex_lock(lock_t *l, cloudabi_tid_t tid) {
  cloudabi_lock_t unlocked = 0;
  if (atomic_compare_exchange_strong(l, &unlocked, tid | C_LOCK_WRLOCKED)) return;
  cloudabi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.type = C_EVENTTYPE_LOCK_WRLOCK;
  s.lock.lock = l;
  s.lock.lock_scope = C_SCOPE_PRIVATE;
  cloudabi_event_t ev;
  size_t n;
  cloudabi_sys_poll(&s, &ev, 1, &n);
}

static void mutex_unlock(lock_t *l, cloudabi_tid_t tid) {
  cloudabi_lock_t mine = tid | C_LOCK_WRLOCKED;
  if (atomic_compare_exchange_strong(l, &mine, 0)) return;
  cloudabi_sys_lock_unlock(l, C_SCOPE_PRIVATE);  /* kernel-managed: wake waiters */
}

static void cond_wait(_Atomic(cloudabi_condvar_t) *cv, lock_t *l) {
  cloudabi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.type = C_EVENTTYPE_CONDVAR;
  s.condvar.condvar = cv;
  s.condvar.lock = l;
  s.condvar.condvar_scope = C_SCOPE_PRIVATE;
  s.condvar.lock_scope = C_SCOPE_PRIVATE;
  cloudabi_event_t ev;
  size_t n;
  cloudabi_sys_poll(&s, &ev, 1, &n);
}

static void cond_signal(_Atomic(cloudabi_condvar_t) *cv, unsigned n) {
  if (atomic_load(cv) != 0) cloudabi_sys_condvar_signal(cv, C_SCOPE_PRIVATE, n);
}

static lock_t mutex;
static long counter;
static _Atomic(cloudabi_condvar_t) cv;
static long items, consumed, produced;
static int finished;
static atomic_int exited;
static lock_t exit_locks[NTHREADS + 2];
static char stacks[NTHREADS + 2][65536] __attribute__((aligned(16)));

static _Noreturn void finish(cloudabi_tid_t tid, int idx) {
  atomic_store(&exit_locks[idx], tid | C_LOCK_WRLOCKED);
  atomic_fetch_add(&exited, 1);
  cloudabi_sys_thread_exit(&exit_locks[idx], C_SCOPE_PRIVATE);
}

static void adder(cloudabi_tid_t tid, void *arg) {
  for (int i = 0; i < ITERS; ++i) {
    mutex_lock(&mutex, tid);
    long v = counter;
    if ((i & 63) == 0) cloudabi_sys_thread_yield();
    counter = v + 1;
    mutex_unlock(&mutex, tid);
  }
  finish(tid, (int)(long)arg);
}

static void consumer(cloudabi_tid_t tid, void *arg) {
  for (;;) {
    mutex_lock(&mutex, tid);
    while (items == 0 && !finished) cond_wait(&cv, &mutex);
    if (items == 0 && finished) {
      mutex_unlock(&mutex, tid);
      break;
    }
    --items;
    ++consumed;
    mutex_unlock(&mutex, tid);
  }
  finish(tid, (int)(long)arg);
}

static void producer(cloudabi_tid_t tid, void *arg) {
  for (int i = 0; i < NITEMS; ++i) {
    mutex_lock(&mutex, tid);
    ++items;
    ++produced;
    cond_signal(&cv, 1);
    mutex_unlock(&mutex, tid);
    if ((i & 15) == 0) cloudabi_sys_thread_yield();
  }
  mutex_lock(&mutex, tid);
  finished = 1;
  cond_signal(&cv, 0xffffffffu);
  mutex_unlock(&mutex, tid);
  finish(tid, (int)(long)arg);
}

static cloudabi_errno_t spawn(cloudabi_threadentry_t *fn, int idx) {
  cloudabi_threadattr_t at = {fn, stacks[idx], sizeof stacks[idx], (void *)(long)idx};
  cloudabi_tid_t tid;
  return cloudabi_sys_thread_create(&at, &tid);
}

static void wait_exited(int n) {
  while (atomic_load(&exited) < n) cloudabi_sys_thread_yield();
}

int main(void) {
  /* Bad input first. */
  cloudabi_tid_t tid;
  CHECK_EQ(cloudabi_sys_thread_create(C_NULL, &tid), C_EFAULT);
  cloudabi_threadattr_t bad = {adder, C_OUTSIDE, 4096, 0};
  CHECK_EQ(cloudabi_sys_thread_create(&bad, &tid), C_EFAULT);
  bad.stack = stacks[0];
  bad.stack_len = 0;
  CHECK_EQ(cloudabi_sys_thread_create(&bad, &tid), C_EINVAL);
  CHECK_EQ(cloudabi_sys_lock_unlock(&mutex, 0x77), C_EINVAL);
  CHECK_EQ(cloudabi_sys_lock_unlock(C_NULL, C_SCOPE_PRIVATE), C_EFAULT);
  CHECK_EQ(cloudabi_sys_lock_unlock(&mutex, C_SCOPE_PRIVATE), C_EPERM); /* not held */
  CHECK_EQ(cloudabi_sys_condvar_signal(&cv, 0x77, 1), C_EINVAL);
  CHECK_EQ(cloudabi_sys_condvar_signal(C_OUTSIDE, C_SCOPE_PRIVATE, 1), C_EFAULT);

  /* Mutex contention: exact count. */
  for (int i = 0; i < NTHREADS; ++i) CHECK_EQ(spawn(adder, i), 0);
  wait_exited(NTHREADS);
  CHECK_EQ(counter, (long)NTHREADS * ITERS);
  CHECK_EQ(atomic_load(&mutex), 0);

  /* Condition variable: one producer, several consumers, every item once. */
  atomic_store(&exited, 0);
  for (int i = 0; i < 4; ++i) CHECK_EQ(spawn(consumer, i), 0);
  CHECK_EQ(spawn(producer, 4), 0);
  wait_exited(5);
  CHECK_EQ(produced, NITEMS);
  CHECK_EQ(consumed, NITEMS);
  CHECK_EQ(items, 0);
  CHECK_EQ(atomic_load(&cv), 0); /* has_no_waiters once everyone is gone */
  CONF_DONE("conformance.threads");
}
