/* `check` reports and their helpers: see rt_preflight.h. */
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_file.h"
#include "rt_log.h"
#include "rt_net.h"
#include "rt_preflight.h"

void
rt_fault_set(struct rt_fault *f, const char *key, const char *path, int err)
{
	if (f == NULL)
		return;
	f->key = key;
	f->path = path;
	f->err = err;
	f->detail[0] = '\0';
}

void
rt_fault_detail(struct rt_fault *f, const char *fmt, ...)
{
	va_list ap;

	if (f == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

void
rt_fault_log(const struct rt_fault *f, const char *event)
{
	char path[600], detail[sizeof(f->detail) + 8];

	log_err("event=%s key=%s path=%s reason=%s%s%s", event,
	    f->key != NULL ? f->key : "-",
	    rt_log_value(f->path, path, sizeof(path)), rt_errname(f->err),
	    f->detail[0] != '\0' ? " detail=" : "",
	    f->detail[0] != '\0' ? rt_log_value(f->detail, detail, sizeof(detail)) : "");
}

void
rt_preflight_init(struct rt_preflight *pf, const char *config, FILE *out)
{
	memset(pf, 0, sizeof(*pf));
	pf->config = config;
	pf->out = out;
}

static void report(struct rt_preflight *pf, const char *prefix, const char *section,
    const char *key, const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

static void
report(struct rt_preflight *pf, const char *prefix, const char *section,
    const char *key, const char *path, const char *fmt, va_list ap)
{
	fprintf(pf->out, "%s%s: [%s] %s: %s: ", prefix, pf->config, section, key,
	    path != NULL && *path != '\0' ? path : "(empty)");
	vfprintf(pf->out, fmt, ap);
	fputc('\n', pf->out);
}

void
rt_preflight_problem(struct rt_preflight *pf, const char *section, const char *key,
    const char *path, const char *fmt, ...)
{
	va_list ap;

	pf->problems++;
	va_start(ap, fmt);
	report(pf, "", section, key, path, fmt, ap);
	va_end(ap);
}

void
rt_preflight_warn(struct rt_preflight *pf, const char *section, const char *key,
    const char *path, const char *fmt, ...)
{
	va_list ap;

	pf->warnings++;
	va_start(ap, fmt);
	report(pf, "warning: ", section, key, path, fmt, ap);
	va_end(ap);
}

void
rt_preflight_note(struct rt_preflight *pf, const char *fmt, ...)
{
	va_list ap;

	fprintf(pf->out, "%s: ", pf->config);
	va_start(ap, fmt);
	vfprintf(pf->out, fmt, ap);
	va_end(ap);
	fputc('\n', pf->out);
}

void
rt_preflight_fault(struct rt_preflight *pf, const char *section,
    const struct rt_fault *f)
{
	struct stat st;

	if (f->key == NULL)	/* a step that failed without saying where */
		rt_preflight_problem(pf, section, "-", f->path, "%s",
		    rt_strerror(f->err));
	else if (f->detail[0] != '\0')
		rt_preflight_problem(pf, section, f->key, f->path, "%s", f->detail);
	else if (f->err == RT_ERR_NOT_FOUND)
		rt_preflight_problem(pf, section, f->key, f->path, "no such file");
	else if (f->err == RT_ERR_PERM && stat(f->path, &st) == 0 &&
	    (st.st_mode & 077) != 0)
		rt_preflight_problem(pf, section, f->key, f->path, "%s: mode %04o, "
		    "group or others may use it (chmod 600)", rt_strerror(f->err),
		    (unsigned)(st.st_mode & 07777));
	else if (f->err == RT_ERR_PERM)
		rt_preflight_problem(pf, section, f->key, f->path, "permission denied");
	else
		rt_preflight_problem(pf, section, f->key, f->path, "%s",
		    rt_strerror(f->err));
}

static const char *
dir_reason(int err)
{
	switch (err) {
	case RT_ERR_NOT_FOUND:
		return "missing";
	case RT_ERR_IO:
		return "not a folder";
	case RT_ERR_PERM:
		return "not writable (permission denied)";
	case RT_ERR_READONLY:
		return "on a read-only file system";
	default:
		return rt_strerror(err);
	}
}

void
rt_preflight_dir(struct rt_preflight *pf, const char *section, const char *key,
    const char *dir, int create)
{
	int r = rt_dir_check_writable(dir, create);

	if (r == 0)
		return;
	if (create && !rt_file_exists(dir) && r != RT_ERR_TOO_BIG)
		rt_preflight_problem(pf, section, key, dir, "missing, and cannot be "
		    "made: its parent is %s", dir_reason(r));
	else
		rt_preflight_problem(pf, section, key, dir, "%s", dir_reason(r));
}

/* The folder dir that will hold path (a database, a socket). */
static void
holder_dir(struct rt_preflight *pf, const char *section, const char *key,
    const char *path, const char *dir)
{
	int r = rt_dir_check_writable(dir, 0);

	if (r != 0)
		rt_preflight_problem(pf, section, key, path, "its folder %s is %s", dir,
		    dir_reason(r));
}

/* Whether a and b name the same folder, trailing slashes aside. */
static int
same_dir(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

/* The folder of path into out (PATH_MAX bytes); "" when too long. */
static const char *
dir_of(const char *path, char *out)
{
	size_t len = strlen(path);

	if (len >= PATH_MAX) {
		out[0] = '\0';
		return out;
	}
	memcpy(out, path, len + 1);
	return dirname(out);
}

void
rt_preflight_db(struct rt_preflight *pf, const char *section, const char *key,
    const char *path, const char *made_dir)
{
	char buf[PATH_MAX];
	const char *dir = dir_of(path, buf);
	struct stat st;

	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			rt_preflight_problem(pf, section, key, path,
			    "not a regular file");
		else if (access(path, R_OK | W_OK) != 0)
			rt_preflight_problem(pf, section, key, path, "cannot be read and "
			    "written (permission denied)");
	}
	if (made_dir == NULL || !same_dir(dir, made_dir))
		holder_dir(pf, section, key, path, dir);
}

void
rt_preflight_url(struct rt_preflight *pf, const char *section, const char *key,
    const char *url, int flags, const char *made_dir)
{
	char why[256], buf[PATH_MAX];
	const char *dir;

	if (rt_net_url_check(url, flags, why, sizeof(why)) != 0) {
		rt_preflight_problem(pf, section, key, url, "%s", why);
		return;
	}
	if (!(flags & RT_URL_LISTEN) || strncmp(url, "ipc://", 6) != 0)
		return;
	dir = dir_of(url + 6, buf);
	if (made_dir == NULL || !same_dir(dir, made_dir))
		holder_dir(pf, section, key, url, dir);
}

int
rt_preflight_finish(struct rt_preflight *pf)
{
	if (pf->problems == 0) {
		fprintf(pf->out, "ok: %s\n", pf->config);
		return 0;
	}
	fprintf(pf->out, "%d problem%s\n", pf->problems, pf->problems == 1 ? "" : "s");
	return 1;
}
