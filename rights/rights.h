// The rights model: which CloudABI rights each syscall (and each flag
// variant) needs, the most a descriptor of each file type can ever hold, and
// how rights are derived when a descriptor is created from another. Pure
// functions over bitmasks: no vm/, translator/ or hostio/ includes
// (ARCHITECTURE.md, "Never").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "abi/errno.h"
#include "abi/syscalls.h"
#include "abi/types.h"

namespace capvm::rights {

using abi::Rights;

// True when `r` has no bits outside the rights cloudabi.txt defines.
inline constexpr bool known(Rights r) { return (r & ~abi::kRightsAll) == 0; }

// The implications cloudabi.txt states between rights: fd_seek implies
// fd_tell; fd_sync covers what fd_datasync allows (a full sync is a
// superset of a data sync).
inline constexpr Rights implied(Rights have) {
  if (have & abi::RIGHT_FD_SEEK) have |= abi::RIGHT_FD_TELL;
  if (have & abi::RIGHT_FD_SYNC) have |= abi::RIGHT_FD_DATASYNC;
  return have;
}
// True when `have` (with its implications) covers every bit of `need`.
inline constexpr bool satisfies(Rights have, Rights need) {
  return (implied(have) & need) == need;
}

// --- What each syscall needs --------------------------------------------------
// Rights the plain form of syscall `s` needs on its fd argument number
// `which` (0: the first fd argument, 1: the second, for file_link,
// file_rename; fd_replace needs none on either). For syscalls with flag
// variants this is the minimum (no flags); the variant functions below give
// the full set. 0 for syscalls without fd arguments.
Rights required(abi::Sys s, unsigned which = 0);
// Whether syscall `s` takes an fd (or lookup) argument that is checked
// against the fd table (mem_map only for file mappings).
bool takes_fd(abi::Sys s);

// fd_seek: fd_tell suffices to read the offset (whence cur, offset 0);
// anything else needs fd_seek (cloudabi.txt: rights.fd_tell).
Rights for_fd_seek(int64_t offset, uint8_t whence);

// file_open: rights needed on the directory descriptor (cloudabi.txt:
// file_create_file for oflags.creat, file_stat_fput_size for oflags.trunc,
// fd_datasync for fdflags.dsync, fd_sync for rsync/sync).
Rights for_file_open(uint16_t oflags, uint16_t fdflags);

// fdflags dsync/rsync/sync need the matching sync right; fd_pread-like
// flags none. Used by file_open and fd_stat_put.
Rights for_fdflags(uint16_t fdflags);

// fd_stat_put: fdsflags.flags needs fd_stat_put_flags, plus the sync right
// of every sync flag newly set, plus fd_seek to clear append (an append-only
// descriptor must not gain positioned writes). fdsflags.rights needs no
// right: rights only shrink (see shrink()).
Rights for_fd_stat_put(uint16_t fdsflags, uint16_t old_fdflags, uint16_t new_fdflags);

// file_stat_fput / file_stat_put by fsflags (cloudabi.txt: rights
// file_stat_fput_size, file_stat_fput_times, file_stat_put_times).
Rights for_file_stat_fput(uint16_t fsflags);
Rights for_file_stat_put(uint16_t fsflags);

// file_create by type: only directories can be created (cloudabi.txt).
Rights for_file_create(uint8_t filetype);

// mem_map of a file: mem_map, plus fd_read for mprot.read, fd_write for a
// shared writable mapping (a private one never reaches the file), and
// mem_map_exec for mprot.exec (cloudabi.txt: rights.mem_map, fd_read,
// fd_write, mem_map_exec).
Rights for_mem_map(uint8_t mprot, uint8_t mflags);

// poll subscription on an fd by event type (cloudabi.txt:
// poll_fd_readwrite with fd_read or fd_write; poll_proc_terminate).
Rights for_poll(uint8_t eventtype);

// --- Most a descriptor can hold -----------------------------------------------
// The maximum base / inheriting rights of a descriptor of CloudABI file type
// `filetype`: rights that make no sense for the type are never held. An
// unknown type gets none.
Rights max_base(uint8_t filetype);
Rights max_inheriting(uint8_t filetype);

// --- Host access modes ---------------------------------------------------------
// Rights that only make sense on a descriptor open for reading / writing.
// A host file opened read-only (O_RDONLY) can never honour the write-side
// rights, nor a write-only one the read-side rights: holding them would turn
// ENOTCAPABLE into a host EBADF after the checks passed. Directory rights
// are path-based and are not affected (a directory is always O_RDONLY).
Rights read_side(uint8_t filetype);
Rights write_side(uint8_t filetype);
// The rights a descriptor of `filetype` can keep when the host descriptor is
// readable / writable (the complement of the sides it lacks).
Rights limit_by_access(uint8_t filetype, bool readable, bool writable);
// file_open: whether the host file must be opened for reading / writing to
// serve `base` (for a non-directory).
bool needs_read(Rights base);
bool needs_write(Rights base);

// --- Derivation -----------------------------------------------------------------
struct RightsPair {
  Rights base = 0;
  Rights inheriting = 0;
};

// file_open: the new descriptor's rights. EINVAL for undefined bits in the
// request, ENOTCAPABLE when it asks for more than the directory's
// inheriting rights; otherwise the request trimmed to what the opened
// file's type can hold (result = requested ∩ dir inheriting ∩ type max).
abi::Errno derive_open(Rights dir_inheriting, const RightsPair& requested,
                       uint8_t filetype, RightsPair* out);

// fd_stat_put with fdsflags.rights: rights only shrink. ENOTCAPABLE when
// `requested` has any bit (defined or not) that `current` lacks.
abi::Errno shrink(const RightsPair& current, const RightsPair& requested, RightsPair* out);

// Rights given to a descriptor the launcher hands over: the type maximum
// when `explicit_rights` is null, else the explicit rights, which must be
// defined bits within the type maximum (EINVAL for undefined bits,
// ENOTCAPABLE beyond the type).
abi::Errno grant(uint8_t filetype, const RightsPair* explicit_rights, RightsPair* out);

// --- Names ----------------------------------------------------------------------
// "fd_read|fd_write" (lowest bit first); "0" for none; undefined bits as
// one hex value at the end ("fd_read|0x800").
std::string format(Rights r);
// Parses one right name ("fd_read") or "|"/","-separated names; also
// "all" (every defined right) and "none". False on an unknown name.
bool parse(std::string_view text, Rights* out);

}  // namespace capvm::rights
