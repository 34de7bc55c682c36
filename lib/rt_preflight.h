/*
 * rt_preflight: `roamtrust-broker check` and `roamtrust-agent check` say
 * whether a configuration would start, without starting anything.
 *
 * A daemon's start-up steps (load the realm identity, the CA, the TLS
 * configuration) report what they refuse as a struct rt_fault: the
 * configuration key at fault, its file, the error and, when the error
 * alone says too little, a phrase. `run` logs it and stops; `check` runs
 * the same steps and reports every fault as one line on its report:
 *
 *   FILE: [SECTION] KEY: PATH: reason
 *   warning: FILE: [SECTION] KEY: PATH: reason
 *
 * and last "ok: FILE" (exit 0) or "N problems" (exit 1). Warnings are what
 * `run` accepts but an operator should hear of. The helpers below check
 * folders, database files and nng URLs the way the daemon will use them,
 * creating nothing and opening no socket.
 */
#ifndef RT_PREFLIGHT_H
#define RT_PREFLIGHT_H

#include <stdio.h>

#include "rt_err.h"

/* What a start-up step refused. */
struct rt_fault {
	const char *key;	/* the configuration key at fault */
	const char *path;	/* its value: a file, a folder, a URL */
	int err;		/* RT_ERR_* */
	char detail[320];	/* a phrase, or "" (rt_strerror(err) says it) */
};

/* Fills f (NULL: does nothing) with key, path and err, detail empty. A
 * step that can fault clears f (key NULL) on entry. */
void rt_fault_set(struct rt_fault *f, const char *key, const char *path, int err);
/* Sets f's phrase (NULL: does nothing). */
void rt_fault_detail(struct rt_fault *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* `run`'s log line of f: event=EVENT key= path= reason= detail=. */
void rt_fault_log(const struct rt_fault *f, const char *event);

struct rt_preflight {
	FILE *out;
	const char *config;	/* the configuration file checked */
	int problems;
	int warnings;
};

void rt_preflight_init(struct rt_preflight *pf, const char *config, FILE *out);
/* A line naming what cannot work; counted as a problem. */
void rt_preflight_problem(struct rt_preflight *pf, const char *section,
    const char *key, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A line naming what works, but not as it should. */
void rt_preflight_warn(struct rt_preflight *pf, const char *section,
    const char *key, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A line of information: "FILE: text". */
void rt_preflight_note(struct rt_preflight *pf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* f as a problem of section. */
void rt_preflight_fault(struct rt_preflight *pf, const char *section,
    const struct rt_fault *f);
/*
 * A folder the daemon writes in: a problem unless it is one we may write,
 * or (with create) one the daemon would make at start (rt_dir_ensure).
 */
void rt_preflight_dir(struct rt_preflight *pf, const char *section,
    const char *key, const char *dir, int create);
/*
 * A database file (SQLite: its folder also takes the journal): the file,
 * when it exists, must be a regular file we may read and write, and its
 * folder one we may write in. A file in made_dir (the state folder the
 * daemon makes, checked on its own) leaves the folder to that check.
 */
void rt_preflight_db(struct rt_preflight *pf, const char *section,
    const char *key, const char *path, const char *made_dir);
/*
 * An nng URL (rt_net_url_check flags). A listener's ipc:// path needs a
 * folder we may write in (left to made_dir's check when it is there).
 */
void rt_preflight_url(struct rt_preflight *pf, const char *section,
    const char *key, const char *url, int flags, const char *made_dir);
/* Prints "ok: FILE" and returns 0, or "N problems" and returns 1. */
int rt_preflight_finish(struct rt_preflight *pf);

#endif
