/* CloudABI types used by the capvm guest SDK, written from cloudabi.txt;
 * layouts checked against spec/layouts-64.txt. */
#ifndef CLOUDABI_TYPES_H
#define CLOUDABI_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* cloudabi.txt: enum uint8 advice */
typedef uint8_t cloudabi_advice_t;
/* cloudabi.txt: enum uint32 auxtype */
typedef uint32_t cloudabi_auxtype_t;
#define CLOUDABI_AT_NULL 0
#define CLOUDABI_AT_PHDR 3
#define CLOUDABI_AT_PHNUM 4
#define CLOUDABI_AT_PAGESZ 6
#define CLOUDABI_AT_BASE 7
#define CLOUDABI_AT_ARGDATA 256
#define CLOUDABI_AT_ARGDATALEN 257
#define CLOUDABI_AT_CANARY 258
#define CLOUDABI_AT_CANARYLEN 259
#define CLOUDABI_AT_NCPUS 260
#define CLOUDABI_AT_TID 261
#define CLOUDABI_AT_SYSINFO_EHDR 262
#define CLOUDABI_AT_PID 263

/* cloudabi.txt: enum uint32 clockid */
typedef uint32_t cloudabi_clockid_t;
#define CLOUDABI_CLOCK_MONOTONIC 1
#define CLOUDABI_CLOCK_PROCESS_CPUTIME_ID 2
#define CLOUDABI_CLOCK_REALTIME 3
#define CLOUDABI_CLOCK_THREAD_CPUTIME_ID 4

typedef uint32_t cloudabi_condvar_t;  /* cloudabi.txt: opaque uint32 condvar */
typedef uint64_t cloudabi_device_t;
typedef uint64_t cloudabi_dircookie_t;
typedef uint16_t cloudabi_errno_t;    /* values: errno.h (same numbers) */
typedef uint16_t cloudabi_eventrwflags_t;
/* cloudabi.txt: enum uint8 eventtype */
typedef uint8_t cloudabi_eventtype_t;
#define CLOUDABI_EVENTTYPE_CLOCK 1
#define CLOUDABI_EVENTTYPE_CONDVAR 2
#define CLOUDABI_EVENTTYPE_FD_READ 3
#define CLOUDABI_EVENTTYPE_FD_WRITE 4
#define CLOUDABI_EVENTTYPE_LOCK_RDLOCK 5
#define CLOUDABI_EVENTTYPE_LOCK_WRLOCK 6
#define CLOUDABI_EVENTTYPE_PROC_TERMINATE 7
typedef uint32_t cloudabi_exitcode_t;
typedef uint32_t cloudabi_fd_t;
#define CLOUDABI_PROCESS_CHILD 0xffffffffu
#define CLOUDABI_MAP_ANON_FD 0xffffffffu
typedef uint16_t cloudabi_fdflags_t;
typedef uint16_t cloudabi_fdsflags_t;
typedef int64_t cloudabi_filedelta_t;
typedef uint64_t cloudabi_filesize_t;
typedef uint16_t cloudabi_fsflags_t;
/* cloudabi.txt: enum uint8 filetype */
typedef uint8_t cloudabi_filetype_t;
#define CLOUDABI_FILETYPE_UNKNOWN 0x00
#define CLOUDABI_FILETYPE_DIRECTORY 0x20
#define CLOUDABI_FILETYPE_REGULAR_FILE 0x60
#define CLOUDABI_FILETYPE_SHARED_MEMORY 0x70
#define CLOUDABI_FILETYPE_SOCKET_DGRAM 0x80
#define CLOUDABI_FILETYPE_SOCKET_STREAM 0x82
typedef uint64_t cloudabi_inode_t;
typedef uint32_t cloudabi_linkcount_t;
typedef uint32_t cloudabi_lock_t;
typedef uint32_t cloudabi_lookupflags_t;
#define CLOUDABI_LOOKUP_SYMLINK_FOLLOW 1
/* cloudabi.txt: flags uint8 mflags / mprot */
typedef uint8_t cloudabi_mflags_t;
#define CLOUDABI_MAP_ANON 0x01
#define CLOUDABI_MAP_FIXED 0x02
#define CLOUDABI_MAP_PRIVATE 0x04
#define CLOUDABI_MAP_SHARED 0x08
typedef uint8_t cloudabi_scope_t;
#define CLOUDABI_SCOPE_PRIVATE 0x04
#define CLOUDABI_SCOPE_SHARED 0x08
typedef uint8_t cloudabi_mprot_t;
#define CLOUDABI_PROT_EXEC 0x01
#define CLOUDABI_PROT_WRITE 0x02
#define CLOUDABI_PROT_READ 0x04
typedef uint8_t cloudabi_msflags_t;
typedef uint32_t cloudabi_nthreads_t;
typedef uint16_t cloudabi_oflags_t;
typedef uint64_t cloudabi_rights_t;
typedef uint8_t cloudabi_sdflags_t;
typedef uint16_t cloudabi_siflags_t;
/* cloudabi.txt: enum uint8 signal */
typedef uint8_t cloudabi_signal_t;
#define CLOUDABI_SIGABRT 1
#define CLOUDABI_SIGFPE 6
#define CLOUDABI_SIGKILL 10
#define CLOUDABI_SIGSEGV 13
typedef uint16_t cloudabi_subclockflags_t;
typedef uint16_t cloudabi_subrwflags_t;
typedef uint16_t cloudabi_riflags_t;
typedef uint16_t cloudabi_roflags_t;
typedef uint32_t cloudabi_tid_t;
typedef uint64_t cloudabi_timestamp_t;
typedef uint8_t cloudabi_ulflags_t;
typedef uint64_t cloudabi_userdata_t;
/* cloudabi.txt: enum uint8 whence */
typedef uint8_t cloudabi_whence_t;
#define CLOUDABI_WHENCE_CUR 1
#define CLOUDABI_WHENCE_END 2
#define CLOUDABI_WHENCE_SET 3

/* cloudabi.txt: function threadentry / processentry */
typedef void cloudabi_threadentry_t(cloudabi_tid_t tid, void *aux);

/* cloudabi.txt: struct auxv */
typedef struct {
  cloudabi_auxtype_t a_type;
  union {
    size_t a_val;
    void *a_ptr;
  };
} cloudabi_auxv_t;

typedef struct { const void *buf; size_t buf_len; } cloudabi_ciovec_t;
typedef struct { void *buf; size_t buf_len; } cloudabi_iovec_t;

typedef struct {
  cloudabi_dircookie_t d_next;
  cloudabi_inode_t d_ino;
  uint32_t d_namlen;
  cloudabi_filetype_t d_type;
} cloudabi_dirent_t;

typedef struct {
  cloudabi_userdata_t userdata;
  cloudabi_errno_t error;
  cloudabi_eventtype_t type;
  union {
    struct {
      cloudabi_filesize_t nbytes;
      char unused[4];
      cloudabi_eventrwflags_t flags;
    } fd_readwrite;
    struct {
      char unused[4];
      cloudabi_signal_t signal;
      cloudabi_exitcode_t exitcode;
    } proc_terminate;
  };
} cloudabi_event_t;

typedef struct {
  cloudabi_filetype_t fs_filetype;
  cloudabi_fdflags_t fs_flags;
  cloudabi_rights_t fs_rights_base;
  cloudabi_rights_t fs_rights_inheriting;
} cloudabi_fdstat_t;

typedef struct {
  cloudabi_device_t st_dev;
  cloudabi_inode_t st_ino;
  cloudabi_filetype_t st_filetype;
  cloudabi_linkcount_t st_nlink;
  cloudabi_filesize_t st_size;
  cloudabi_timestamp_t st_atim, st_mtim, st_ctim;
} cloudabi_filestat_t;

typedef struct { cloudabi_fd_t fd; cloudabi_lookupflags_t flags; } cloudabi_lookup_t;

typedef struct {
  const cloudabi_iovec_t *ri_data;
  size_t ri_data_len;
  cloudabi_fd_t *ri_fds;
  size_t ri_fds_len;
  cloudabi_riflags_t ri_flags;
} cloudabi_recv_in_t;

typedef struct {
  const cloudabi_ciovec_t *si_data;
  size_t si_data_len;
  const cloudabi_fd_t *si_fds;
  size_t si_fds_len;
  cloudabi_siflags_t si_flags;
} cloudabi_send_in_t;

typedef struct { size_t so_datalen; } cloudabi_send_out_t;

typedef struct {
  size_t ro_datalen;
  size_t ro_fdslen;
  char ro_unused[40];
  cloudabi_roflags_t ro_flags;
} cloudabi_recv_out_t;

typedef struct {
  cloudabi_userdata_t userdata;
  uint16_t unused;
  cloudabi_eventtype_t type;
  union {
    struct {
      cloudabi_userdata_t identifier;
      cloudabi_clockid_t clock_id;
      cloudabi_timestamp_t timeout;
      cloudabi_timestamp_t precision;
      cloudabi_subclockflags_t flags;
    } clock;
    struct {
      _Atomic(cloudabi_condvar_t) *condvar;
      _Atomic(cloudabi_lock_t) *lock;
      cloudabi_scope_t condvar_scope;
      cloudabi_scope_t lock_scope;
    } condvar;
    struct { cloudabi_fd_t fd; cloudabi_subrwflags_t flags; } fd_readwrite;
    struct { _Atomic(cloudabi_lock_t) *lock; cloudabi_scope_t lock_scope; } lock;
    struct { cloudabi_fd_t fd; } proc_terminate;
  };
} cloudabi_subscription_t;

/* cloudabi.txt: struct tcb */
typedef struct { void *parent; } cloudabi_tcb_t;

typedef struct {
  cloudabi_threadentry_t *entry_point;
  void *stack;
  size_t stack_len;
  void *argument;
} cloudabi_threadattr_t;

/* spec/layouts-64.txt */
#define CLOUDABI_LAYOUT_(T, m, off) _Static_assert(offsetof(T, m) == off, #T "." #m)
CLOUDABI_LAYOUT_(cloudabi_dirent_t, d_type, 20);
_Static_assert(sizeof(cloudabi_dirent_t) == 24, "dirent");
CLOUDABI_LAYOUT_(cloudabi_event_t, type, 10);
CLOUDABI_LAYOUT_(cloudabi_event_t, fd_readwrite.flags, 28);
CLOUDABI_LAYOUT_(cloudabi_event_t, proc_terminate.signal, 20);
CLOUDABI_LAYOUT_(cloudabi_event_t, proc_terminate.exitcode, 24);
_Static_assert(sizeof(cloudabi_event_t) == 32, "event");
CLOUDABI_LAYOUT_(cloudabi_fdstat_t, fs_flags, 2);
CLOUDABI_LAYOUT_(cloudabi_fdstat_t, fs_rights_base, 8);
_Static_assert(sizeof(cloudabi_fdstat_t) == 24, "fdstat");
CLOUDABI_LAYOUT_(cloudabi_filestat_t, st_nlink, 20);
CLOUDABI_LAYOUT_(cloudabi_filestat_t, st_ctim, 48);
_Static_assert(sizeof(cloudabi_filestat_t) == 56, "filestat");
_Static_assert(sizeof(cloudabi_lookup_t) == 8, "lookup");
CLOUDABI_LAYOUT_(cloudabi_auxv_t, a_val, 8);
_Static_assert(sizeof(cloudabi_auxv_t) == 16, "auxv");
_Static_assert(sizeof(cloudabi_ciovec_t) == 16, "ciovec");
CLOUDABI_LAYOUT_(cloudabi_recv_in_t, ri_flags, 32);
_Static_assert(sizeof(cloudabi_recv_in_t) == 40, "recv_in");
CLOUDABI_LAYOUT_(cloudabi_send_in_t, si_flags, 32);
_Static_assert(sizeof(cloudabi_send_in_t) == 40, "send_in");
CLOUDABI_LAYOUT_(cloudabi_recv_out_t, ro_flags, 56);
_Static_assert(sizeof(cloudabi_recv_out_t) == 64, "recv_out");
CLOUDABI_LAYOUT_(cloudabi_subscription_t, type, 10);
CLOUDABI_LAYOUT_(cloudabi_subscription_t, clock.clock_id, 24);
CLOUDABI_LAYOUT_(cloudabi_subscription_t, clock.flags, 48);
CLOUDABI_LAYOUT_(cloudabi_subscription_t, condvar.lock_scope, 33);
CLOUDABI_LAYOUT_(cloudabi_subscription_t, fd_readwrite.flags, 20);
CLOUDABI_LAYOUT_(cloudabi_subscription_t, lock.lock_scope, 24);
_Static_assert(sizeof(cloudabi_subscription_t) == 56, "subscription");
_Static_assert(sizeof(cloudabi_tcb_t) == 8, "tcb");
CLOUDABI_LAYOUT_(cloudabi_threadattr_t, argument, 24);
_Static_assert(sizeof(cloudabi_threadattr_t) == 32, "threadattr");
#undef CLOUDABI_LAYOUT_

#endif
