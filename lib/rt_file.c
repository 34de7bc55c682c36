#include "rt_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "rt_log.h"

static int
errno_to_rt(int e)
{
	switch (e) {
	case ENOENT:
		return RT_ERR_NOT_FOUND;
	case EEXIST:
		return RT_ERR_EXISTS;
	case EACCES:
	case EPERM:
		return RT_ERR_PERM;
	case ENOMEM:
		return RT_ERR_NOMEM;
	default:
		return RT_ERR_IO;
	}
}

int
rt_file_read(const char *path, size_t max, struct rt_buf *out)
{
	struct stat st;
	size_t start = out->len;
	int fd, r = RT_ERR_IO;

	if (max == 0)
		return RT_ERR_BAD_INPUT;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno_to_rt(errno);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = RT_ERR_IO;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	for (;;) {
		size_t chunk = max - (out->len - start);
		ssize_t n;

		if (out->len - start >= max) {
			char probe;

			/* The file grew while we read it: still over the cap? */
			if (read(fd, &probe, 1) > 0) {
				r = RT_ERR_TOO_BIG;
				goto out;
			}
			break;
		}
		/* never ask for room past max: a buffer capped at max must do */
		if (chunk > 4096)
			chunk = 4096;
		if ((r = rt_buf_reserve(out, chunk)) != 0)
			goto out;
		n = read(fd, out->data + out->len, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno_to_rt(errno);
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len - start > max) {
			r = RT_ERR_TOO_BIG;
			goto out;
		}
	}
	out->data[out->len] = '\0';
	r = 0;
 out:
	if (r != 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	close(fd);
	return r;
}

static int
fsync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	int fd, r = 0;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return RT_ERR_TOO_BIG;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno_to_rt(errno);
	if (fsync(fd) != 0)
		r = RT_ERR_IO;
	close(fd);
	return r;
}

static atomic_ulong write_seq;

int
rt_file_write(const char *path, const void *data, size_t len, mode_t mode,
    int excl)
{
	char tmp[PATH_MAX];
	const uint8_t *p = data;
	int fd = -1, r = RT_ERR_IO;

	if (excl && access(path, F_OK) == 0)
		return RT_ERR_EXISTS;
	/* unique per call: threads of one process may write the same path */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%lu", path, (long)getpid(),
	    (unsigned long)atomic_fetch_add(&write_seq, 1)) >= (int)sizeof(tmp))
		return RT_ERR_TOO_BIG;
	/* O_EXCL on the temp name: never write through a planted link */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) {
		r = errno_to_rt(errno);
		log_err("event=file_create_failed path=%s error=\"%s\"", tmp,
		    strerror(errno));
		return r;
	}
	if (fchmod(fd, mode) != 0)
		goto out;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (excl) {
		/* link() fails if the target appeared meanwhile */
		if (link(tmp, path) != 0) {
			r = errno_to_rt(errno);
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0)
		goto out;
	r = fsync_dir_of(path);
	return r;
 out:
	if (r == RT_ERR_IO)
		log_err("event=file_write_failed path=%s error=\"%s\"", path,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

int
rt_file_check_private(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno_to_rt(errno);
	if ((st.st_mode & 077) != 0)
		return RT_ERR_PERM;
	return 0;
}

int
rt_file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int
rt_dir_ensure(const char *dir, mode_t mode)
{
	struct stat st;

	if (mkdir(dir, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return errno_to_rt(errno);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return RT_ERR_IO;
	return 0;
}

int
rt_dir_check_writable(const char *dir, int create)
{
	char copy[PATH_MAX];
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return RT_ERR_IO;
		if (access(dir, W_OK | X_OK) == 0)
			return 0;
		return errno == EROFS ? RT_ERR_READONLY : errno_to_rt(errno);
	}
	if (errno == ENOTDIR)
		return RT_ERR_IO;	/* a parent is a file */
	if (errno != ENOENT || !create)
		return errno_to_rt(errno);
	if (strlen(dir) >= sizeof(copy))
		return RT_ERR_TOO_BIG;
	/* dirname may write into its argument */
	memcpy(copy, dir, strlen(dir) + 1);
	return rt_dir_check_writable(dirname(copy), 0);
}

int
rt_file_lock(const char *path)
{
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return errno_to_rt(errno);
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return RT_ERR_IO;
		}
	}
	return fd;
}

void
rt_file_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * Filesystems where every change to a file's bytes goes through an open on
 * this kernel, so that a lease covers them all. Elsewhere (NFS, FUSE, CIFS,
 * overlayfs whose lower layer can be written directly) the bytes could
 * change under a lease that is never broken.
 */
static int
lease_fs_local(int fd)
{
	static const unsigned long magic[] = {
		0xEF53,		/* ext2, ext3, ext4 */
		0x58465342,	/* xfs */
		0x9123683E,	/* btrfs */
		0xF2F52010,	/* f2fs */
		0x01021994,	/* tmpfs */
	};
	struct statfs st;

	if (fstatfs(fd, &st) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++) {
		if ((unsigned long)st.f_type == magic[i])
			return 1;
	}
	return 0;
}

int
rt_file_lease(int fd)
{
#if defined(F_SETLEASE) && defined(F_SETSIG)
	struct sigaction sa;

	if (!lease_fs_local(fd)) {
		errno = EOPNOTSUPP;
		return RT_ERR_IO;
	}
	/* the break must not kill us: SIGURG, ignored unless someone cares */
	if (sigaction(SIGURG, NULL, &sa) != 0 || (sa.sa_flags & SA_SIGINFO) ||
	    (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)) {
		errno = EBUSY;
		return RT_ERR_IO;
	}
	if (fcntl(fd, F_SETSIG, SIGURG) != 0 || fcntl(fd, F_SETLEASE, F_RDLCK) != 0)
		return errno_to_rt(errno);
	return 0;
#else
	(void)fd;
	errno = ENOSYS;
	return RT_ERR_IO;
#endif
}

int
rt_file_lease_held(int fd)
{
#ifdef F_GETLEASE
	/* a break in progress already reads F_UNLCK */
	return fcntl(fd, F_GETLEASE) == F_RDLCK;
#else
	(void)fd;
	return 0;
#endif
}

void
rt_file_lease_release(int fd)
{
#ifdef F_SETLEASE
	if (fd >= 0)
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
#else
	(void)fd;
#endif
}
