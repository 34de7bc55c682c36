/*
 * rt_file: the file operations roamtrust trusts itself to get right once.
 *
 * Reads are bounded (a file over max is RT_ERR_TOO_BIG, not a partial
 * read). Writes are atomic: a temporary file in the same folder, written,
 * fsync'ed, renamed over the target, then the folder fsync'ed, so a crash
 * leaves the old file or the new one, never half of either. Files holding
 * private keys are created 0600 and refused on load when group or others
 * can read them.
 */
#ifndef RT_FILE_H
#define RT_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "rt_buf.h"
#include "rt_err.h"

/* Appends the whole file to out (out's cap also applies); max bytes. */
int rt_file_read(const char *path, size_t max, struct rt_buf *out) RT_WUR;
/*
 * Atomically replaces path with data, created with mode. With excl the
 * call fails with RT_ERR_EXISTS when path already exists.
 */
int rt_file_write(const char *path, const void *data, size_t len, mode_t mode,
    int excl) RT_WUR;
/* RT_ERR_PERM when path is readable or writable by group or others. */
int rt_file_check_private(const char *path) RT_WUR;
int rt_file_exists(const char *path);
/* Creates dir (one level) with mode if missing. */
int rt_dir_ensure(const char *dir, mode_t mode) RT_WUR;
/*
 * Whether files can be made in dir, making none: 0 when it is a folder we
 * may write in, or, with create, when it is missing and rt_dir_ensure
 * could make it (its parent is such a folder). Otherwise RT_ERR_NOT_FOUND
 * (missing; with create, the parent is), RT_ERR_IO (not a folder),
 * RT_ERR_PERM (no write permission) or RT_ERR_READONLY (read-only file
 * system).
 */
int rt_dir_check_writable(const char *dir, int create) RT_WUR;
/*
 * Takes an exclusive advisory lock on path (created if missing), waiting
 * for it. Returns a descriptor for rt_file_unlock or RT_ERR_*.
 */
int rt_file_lock(const char *path) RT_WUR;
void rt_file_unlock(int fd);
/*
 * Read leases: the kernel's word that a file does not change while we read
 * it. rt_file_lease takes a read lease on fd (opened read-only): 0 when it
 * is held, or RT_ERR_* with errno saying why not (EAGAIN: someone has the
 * file open for writing; EACCES: not our file and no CAP_LEASE; EINVAL,
 * ENOLCK: no leases there; EOPNOTSUPP: a filesystem whose bytes can change
 * without an open on this kernel, such as NFS, FUSE or overlayfs, is never
 * leased; EBUSY: SIGURG has a handler, see below).
 * While it is held, any open of the file for writing or any truncate, by
 * any process, breaks it: the opener waits until we release it, or for
 * /proc/sys/fs/lease-break-time seconds, and rt_file_lease_held returns 0
 * from then on. The kernel signals a break; here that signal is SIGURG,
 * which is ignored by default (SIGIO would kill the process), and nothing
 * relies on it: ask rt_file_lease_held. rt_file_lease_release drops the
 * lease (closing fd does too); a writer waiting on it proceeds.
 */
int rt_file_lease(int fd) RT_WUR;
/* 1 while the lease taken by rt_file_lease is held and unbroken, else 0. */
int rt_file_lease_held(int fd) RT_WUR;
void rt_file_lease_release(int fd);

#endif
