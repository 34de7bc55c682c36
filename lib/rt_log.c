#include "rt_log.h"

#include <openssl/err.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "rt_err.h"

#define LOG_LINE_MAX 2048

static char log_prog[64] = "roamtrust";
static enum rt_log_dest log_dest = RT_LOG_STDERR;
static enum rt_log_level log_level = RT_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
rt_log_init(const char *prog, enum rt_log_dest dest, enum rt_log_level level)
{
	pthread_mutex_lock(&log_lock);
	if (prog != NULL)
		snprintf(log_prog, sizeof(log_prog), "%s", prog);
	if (log_dest == RT_LOG_SYSLOG && dest != RT_LOG_SYSLOG)
		closelog();
	log_dest = dest;
	log_level = level;
	if (dest == RT_LOG_SYSLOG)
		openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	pthread_mutex_unlock(&log_lock);
}

void
rt_log_set_level(enum rt_log_level level)
{
	log_level = level;
}

int
rt_log_enabled(enum rt_log_level level)
{
	return level <= log_level;
}

int
rt_log_level_parse(const char *s, enum rt_log_level *levelp)
{
	static const struct {
		const char *name;
		enum rt_log_level level;
	} names[] = {
		{"err", RT_LOG_ERR}, {"error", RT_LOG_ERR},
		{"warn", RT_LOG_WARN}, {"warning", RT_LOG_WARN},
		{"info", RT_LOG_INFO}, {"debug", RT_LOG_DEBUG},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*levelp = names[i].level;
			return 0;
		}
	}
	return RT_ERR_BAD_INPUT;
}

static const char *
level_name(enum rt_log_level level)
{
	switch (level) {
	case RT_LOG_NONE:
	case RT_LOG_ERR:
		return "err";
	case RT_LOG_WARN:
		return "warn";
	case RT_LOG_INFO:
		return "info";
	case RT_LOG_DEBUG:
		return "debug";
	}
	return "info";
}

const char *
rt_log_value(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	int quote = 0;

	if (cap == 0)
		return out;
	if (s == NULL)
		s = "";
	if (*s == '\0')
		quote = 1;
	for (const char *p = s; *p != '\0'; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20)
			quote = 1;
	if (quote && cap < 3) {
		/* no room for both quotes: a lone '"' would swallow the next field */
		out[0] = '\0';
		return out;
	}
	if (quote && o + 1 < cap)
		out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		char esc[5];
		size_t n;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			n = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			n = 4;
		} else {
			esc[0] = (char)*p;
			n = 1;
		}
		if (o + n + (quote ? 1 : 0) >= cap)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	if (quote && o + 1 < cap)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}

/* Appends the OpenSSL error queue to line as openssl="a; b" and clears it. */
static void
append_crypto_errors(char *line, size_t cap)
{
	char reasons[512] = "";
	size_t used = 0;
	unsigned long e;

	while ((e = ERR_get_error()) != 0) {
		char one[256];

		ERR_error_string_n(e, one, sizeof(one));
		if (used < sizeof(reasons) - 1) {
			int n = snprintf(reasons + used, sizeof(reasons) - used,
			    "%s%s", used ? "; " : "", one);
			if (n > 0)
				used += (size_t)n;
			if (used >= sizeof(reasons))
				used = sizeof(reasons) - 1;
		}
	}
	if (used > 0) {
		char esc[600];
		size_t len = strlen(line);

		rt_log_value(reasons, esc, sizeof(esc));
		snprintf(line + len, cap - len, " openssl=%s", esc);
	}
}

void
rt_log_write(enum rt_log_level level, const char *func, int crypto,
    const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	size_t len = 0;
	va_list ap;

	if (!rt_log_enabled(level)) {
		if (crypto)
			ERR_clear_error();
		return;
	}
	if (log_dest == RT_LOG_STDERR) {
		struct timespec ts;
		struct tm tm;
		int n;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line),
		    "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ prog=%s level=%s ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_prog,
		    level_name(level));
		if (n > 0)
			len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	} else {
		int n = snprintf(line, sizeof(line), "level=%s ", level_name(level));
		if (n > 0)
			len = (size_t)n;
	}
	va_start(ap, fmt);
	vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (crypto)
		append_crypto_errors(line, sizeof(line));
	if (log_level >= RT_LOG_DEBUG && func != NULL) {
		len = strlen(line);
		snprintf(line + len, sizeof(line) - len, " func=%s", func);
	}
	/* A message must stay one line whatever the caller passed in. */
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_dest == RT_LOG_SYSLOG) {
		syslog((int)level, "%s", line);
		return;
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}
