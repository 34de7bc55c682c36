/*
 * rt_log: one line per event, key=value fields, to stderr or syslog.
 *
 * Callers write the event and its fields ("event=auth_reject realm=%s
 * reason=%s"); the logger prefixes time, level and program, and adds the
 * calling function only at debug level. log_crypto() is the one place that
 * drains the OpenSSL error queue: it appends the queued reasons as
 * openssl="..." so no caller loops over ERR_get_error() itself.
 *
 * Never pass a password, HA1, private key, nonce secret or TOTP seed.
 * Values that come from outside are escaped by rt_log_value() before they
 * reach the line, so a hostile string cannot forge a second log line.
 */
#ifndef RT_LOG_H
#define RT_LOG_H

#include <stddef.h>

enum rt_log_level {
	RT_LOG_NONE = 0,	/* as a threshold: log nothing */
	RT_LOG_ERR = 3,
	RT_LOG_WARN = 4,
	RT_LOG_INFO = 6,
	RT_LOG_DEBUG = 7
};

enum rt_log_dest {
	RT_LOG_STDERR,
	RT_LOG_SYSLOG
};

/* Sets the program name, destination and threshold. Safe to call again. */
void rt_log_init(const char *prog, enum rt_log_dest dest, enum rt_log_level level);
void rt_log_set_level(enum rt_log_level level);
/* Parses "err", "warn", "info", "debug". Returns 0 or RT_ERR_BAD_INPUT. */
int rt_log_level_parse(const char *s, enum rt_log_level *levelp);
int rt_log_enabled(enum rt_log_level level);

void rt_log_write(enum rt_log_level level, const char *func, int crypto,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Makes s safe as one key=value value: quotes it when it holds spaces,
 * quotes or '=', escapes control bytes and quotes, truncates at cap-1.
 * Returns out.
 */
const char *rt_log_value(const char *s, char *out, size_t cap);

#define log_err(...) rt_log_write(RT_LOG_ERR, __func__, 0, __VA_ARGS__)
#define log_warn(...) rt_log_write(RT_LOG_WARN, __func__, 0, __VA_ARGS__)
#define log_info(...) rt_log_write(RT_LOG_INFO, __func__, 0, __VA_ARGS__)
#define log_debug(...) rt_log_write(RT_LOG_DEBUG, __func__, 0, __VA_ARGS__)
/* Logs at level and appends (and clears) the OpenSSL error queue. */
#define log_crypto(level, ...) rt_log_write(level, __func__, 1, __VA_ARGS__)

#endif
