/*
 * rt_log: what reaches stderr (captured by pointing fd 2 at a temporary
 * file): the key=value line shape, the level threshold, the function name
 * at debug, one line per call whatever the values hold, rt_log_value's
 * quoting and escaping at every output size, and the drain of the OpenSSL
 * error queue by log_crypto, whether or not the line is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_err.h"
#include "rt_log.h"

#define CAPTURE_MAX 65536

static FILE *capture_file;
static int saved_stderr = -1;
static char captured[CAPTURE_MAX];

/* Sends what the logger writes to stderr into a temporary file. */
static void
capture_begin(void)
{
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	capture_file = tmpfile();
	assert_non_null(capture_file);
	assert_true(dup2(fileno(capture_file), STDERR_FILENO) >= 0);
}

/* Restores stderr and returns what was written meanwhile (NUL-terminated). */
static const char *
capture_end(void)
{
	size_t n;

	fflush(stderr);
	assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
	close(saved_stderr);
	saved_stderr = -1;
	rewind(capture_file);
	n = fread(captured, 1, sizeof(captured) - 1, capture_file);
	captured[n] = '\0';
	fclose(capture_file);
	capture_file = NULL;
	return captured;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* Text is whole lines, each free of control bytes. */
static void
assert_clean_lines(const char *text, size_t want)
{
	assert_int_equal(count_lines(text), want);
	assert_true(want == 0 || text[strlen(text) - 1] == '\n');
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		if (*p != '\n' && (*p < 0x20 || *p == 0x7f))
			fail_msg("control byte 0x%02x in %s", *p, text);
}

/*
 * Reads one value as rt_log_value writes it: bare (no space, quote or '='),
 * or in quotes with \" \\ \xHH escapes and nothing after the closing quote.
 * Writes the decoded bytes to out. Returns 0, or -1 when it is not one value.
 */
static int
value_decode(const char *v, char *out)
{
	int quoted = v[0] == '"';
	size_t i = quoted ? 1 : 0, o = 0;

	for (;; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\0') {
			if (quoted)
				return -1;	/* the value never closed */
			break;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (quoted && c == '"') {
			if (v[i + 1] != '\0')
				return -1;
			break;
		}
		if (!quoted && (c == ' ' || c == '"' || c == '='))
			return -1;
		if (c == '\\') {
			c = (unsigned char)v[++i];
			if (c == 'x') {
				char hex[3] = {v[i + 1], v[i + 1] != '\0' ? v[i + 2] : 0, 0};

				if (!isxdigit((unsigned char)hex[0]) ||
				    !isxdigit((unsigned char)hex[1]))
					return -1;
				c = (unsigned char)strtoul(hex, NULL, 16);
				i += 2;
			} else if (c != '"' && c != '\\')
				return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* ---- the line ---- */

/* "ts=YYYY-MM-DDTHH:MM:SS.mmmZ prog=P level=L " and then the caller's text. */
static void
test_line_shape(void **state)
{
	static const char ts_shape[] = "ts=dddd-dd-ddTdd:dd:dd.dddZ ";
	const char *out;

	(void)state;
	rt_log_init("test_log", RT_LOG_STDERR, RT_LOG_INFO);
	capture_begin();
	log_info("event=unit_test realm=%s n=%d", "home.example", 7);
	out = capture_end();
	assert_clean_lines(out, 1);
	assert_true(strlen(out) > sizeof(ts_shape));
	for (size_t i = 0; i < sizeof(ts_shape) - 1; i++)
		if (ts_shape[i] == 'd' ? out[i] < '0' || out[i] > '9' : out[i] != ts_shape[i])
			fail_msg("byte %zu of %s", i, out);
	assert_string_equal(out + sizeof(ts_shape) - 1,
	    "prog=test_log level=info event=unit_test realm=home.example n=7\n");
	/* warn and err name their level; no function name below debug */
	capture_begin();
	log_warn("event=w");
	log_err("event=e");
	out = capture_end();
	assert_clean_lines(out, 2);
	assert_non_null(strstr(out, " level=warn event=w\n"));
	assert_non_null(strstr(out, " level=err event=e\n"));
	assert_null(strstr(out, "func="));
}

static void
test_level_filter(void **state)
{
	static const enum rt_log_level levels[] = {
		RT_LOG_ERR, RT_LOG_WARN, RT_LOG_INFO, RT_LOG_DEBUG,
	};
	static const enum rt_log_level thresholds[] = {
		RT_LOG_NONE, RT_LOG_ERR, RT_LOG_WARN, RT_LOG_INFO, RT_LOG_DEBUG,
	};

	(void)state;
	for (size_t t = 0; t < sizeof(thresholds) / sizeof(thresholds[0]); t++) {
		size_t want = 0;
		const char *out;

		rt_log_init("test_log", RT_LOG_STDERR, RT_LOG_DEBUG);
		rt_log_set_level(thresholds[t]);
		capture_begin();
		for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
			int on = levels[l] <= thresholds[t];

			assert_int_equal(rt_log_enabled(levels[l]) != 0, on);
			rt_log_write(levels[l], __func__, 0, "event=lvl%d", (int)levels[l]);
			want += (size_t)on;
		}
		out = capture_end();
		assert_clean_lines(out, want);
		for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
			char event[32];

			snprintf(event, sizeof(event), "event=lvl%d", (int)levels[l]);
			if ((strstr(out, event) != NULL) != (levels[l] <= thresholds[t]))
				fail_msg("threshold %d, level %d: %s", (int)thresholds[t],
				    (int)levels[l], out);
		}
	}
}

/* At the debug threshold every line ends with the calling function. */
static void
test_debug_adds_func(void **state)
{
	const char *out;

	(void)state;
	rt_log_init("test_log", RT_LOG_STDERR, RT_LOG_DEBUG);
	capture_begin();
	log_debug("event=d");
	log_err("event=e");
	rt_log_write(RT_LOG_INFO, NULL, 0, "event=no_func");
	out = capture_end();
	assert_clean_lines(out, 3);
	assert_non_null(strstr(out, " level=debug event=d func=test_debug_adds_func\n"));
	assert_non_null(strstr(out, " level=err event=e func=test_debug_adds_func\n"));
	assert_non_null(strstr(out, " level=info event=no_func\n"));
}

static void
test_level_parse(void **state)
{
	static const struct {
		const char *name;
		enum rt_log_level level;
	} good[] = {
		{"err", RT_LOG_ERR}, {"error", RT_LOG_ERR}, {"warn", RT_LOG_WARN},
		{"warning", RT_LOG_WARN}, {"info", RT_LOG_INFO}, {"debug", RT_LOG_DEBUG},
		{"DEBUG", RT_LOG_DEBUG}, {"Info", RT_LOG_INFO},
	};
	static const char *const bad[] = {
		"", "none", "inf", "infos", "debug ", " debug", "7", "trace", "err\n",
	};
	enum rt_log_level level;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		level = RT_LOG_NONE;
		assert_int_equal(rt_log_level_parse(good[i].name, &level), 0);
		assert_int_equal(level, good[i].level);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		level = RT_LOG_WARN;
		assert_int_equal(rt_log_level_parse(bad[i], &level), RT_ERR_BAD_INPUT);
		assert_int_equal(level, RT_LOG_WARN);
	}
}

/* ---- values ---- */

static void
test_value_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"home.example", "home.example"},
		{"sip:alice@home.example;tag=", "\"sip:alice@home.example;tag=\""},
		{"", "\"\""},
		{"two words", "\"two words\""},
		{"say \"hi\"", "\"say \\\"hi\\\"\""},
		{"\"", "\"\\\"\""},
		{"a=b", "\"a=b\""},
		{"back\\slash", "back\\\\slash"},
		{"line\nbreak", "\"line\\x0abreak\""},
		{"cr\r", "\"cr\\x0d\""},
		{"\t", "\"\\x09\""},
		{"\x1b[31mred", "\"\\x1b[31mred\""},
		{"del\x7f", "del\\x7f"},
		{"\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"},
		{"x\n ts=2026-01-01T00:00:00.000Z level=err event=forged",
		    "\"x\\x0a ts=2026-01-01T00:00:00.000Z level=err event=forged\""},
	};
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_ptr_equal(rt_log_value(cases[i].in, out, sizeof(out)), out);
		assert_string_equal(out, cases[i].out);
	}
	assert_string_equal(rt_log_value(NULL, out, sizeof(out)), "\"\"");
	/* no room at all: nothing is written */
	out[0] = 'k';
	assert_ptr_equal(rt_log_value("abc", out, 0), out);
	assert_int_equal(out[0], 'k');
}

/*
 * Cut to every size, a value is still one well-formed value (balanced
 * quotes, whole escapes, no raw control byte) whose meaning is a prefix of
 * the input, and it fits: strlen(out) < cap.
 */
static void
test_value_truncation(void **state)
{
	static const char *const inputs[] = {
		"plain", "two words", "\"\"\"\"", "\\\\\\", "\n\n\n\n", "a=b c=d",
		"x\n level=err event=forged", "\x01\x02\x7f\x1f end", "=",
	};
	char out[96], decoded[96];

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t inlen = strlen(inputs[i]);

		for (size_t cap = 1; cap <= sizeof(out); cap++) {
			memset(out, 'Z', sizeof(out));
			rt_log_value(inputs[i], out, cap);
			if (memchr(out, '\0', cap) == NULL)
				fail_msg("input %zu, cap %zu: not terminated", i, cap);
			if (value_decode(out, decoded) != 0)
				fail_msg("input %zu, cap %zu: '%s' is not one value", i, cap, out);
			if (strncmp(decoded, inputs[i], strlen(decoded)) != 0)
				fail_msg("input %zu, cap %zu: '%s' is no prefix", i, cap, out);
			if (cap == sizeof(out))
				assert_int_equal(strlen(decoded), inlen);
		}
	}
}

/* Whatever a value holds, one call writes one line. */
static void
test_one_line_per_call(void **state)
{
	static const char forged[] = "bob\nts=2026-01-01T00:00:00.000Z prog=broker "
	    "level=err event=forged\r\nmore";
	char value[256], *big;
	const char *out;

	(void)state;
	rt_log_init("test_log", RT_LOG_STDERR, RT_LOG_INFO);
	big = malloc(5001);
	assert_non_null(big);
	memset(big, 'v', 5000);
	big[5000] = '\0';
	capture_begin();
	log_info("event=login user=%s", rt_log_value(forged, value, sizeof(value)));
	/* a caller that forgot rt_log_value still cannot start a new line */
	log_info("event=raw user=%s", forged);
	log_info("event=big value=%s", big);
	log_info("event=after");
	out = capture_end();
	free(big);
	assert_clean_lines(out, 4);
	assert_non_null(strstr(out, " event=login user=\"bob\\x0ats="));
	assert_non_null(strstr(out, "event=forged\\x0d\\x0amore\"\n"));
	/* the long line is cut, not wrapped onto the next */
	assert_non_null(strstr(out, " event=big value=vvvv"));
	for (const char *line = out; *line != '\0'; line = strchr(line, '\n') + 1)
		assert_true(strchr(line, '\n') - line < 2048);
	assert_non_null(strstr(out, " level=info event=after\n"));
}

/* ---- the OpenSSL error queue ---- */

static void
queue_errors(int n)
{
	EVP_MD *md;

	/* a real failure, with OpenSSL's own reason text */
	md = EVP_MD_fetch(NULL, "NO-SUCH-DIGEST", NULL);
	assert_null(md);
	for (int i = 1; i < n; i++)
		ERR_raise(ERR_LIB_EVP, EVP_R_UNSUPPORTED_ALGORITHM);
	assert_int_not_equal(ERR_peek_error(), 0);
}

/* Queues n errors (none if n is 0), logs them with log_crypto at level
 * and returns what was written; the queue is empty afterwards whether or
 * not anything was. */
static const char *
log_crypto_captured(int n, enum rt_log_level level, const char *event)
{
	const char *out;

	if (n > 0)
		queue_errors(n);
	capture_begin();
	log_crypto(level, "event=%s", event);
	out = capture_end();
	assert_int_equal(ERR_peek_error(), 0);
	return out;
}

/* The openssl= field ending the one captured line is one well-formed
 * value; decoded into out. */
static void
decode_openssl_field(char *out)
{
	char *field = strstr(captured, " openssl=");

	assert_non_null(field);
	captured[strlen(captured) - 1] = '\0';	/* the newline */
	assert_int_equal(value_decode(field + strlen(" openssl="), out), 0);
}

static void
test_crypto_drain(void **state)
{
	const char *out;
	char decoded[1024];

	(void)state;
	rt_log_init("test_log", RT_LOG_STDERR, RT_LOG_INFO);
	out = log_crypto_captured(3, RT_LOG_ERR, "sign_failed realm=home.example");
	assert_clean_lines(out, 1);
	assert_non_null(strstr(out, " level=err event=sign_failed realm=home.example "
	    "openssl=\""));
	decode_openssl_field(decoded);
	assert_non_null(strstr(decoded, "; "));	/* one reason per queued error */

	/* an empty queue adds no field */
	out = log_crypto_captured(0, RT_LOG_WARN, "nothing_queued");
	assert_clean_lines(out, 1);
	assert_null(strstr(out, "openssl="));

	/* a full queue still makes one line with a closed value */
	out = log_crypto_captured(40, RT_LOG_ERR, "many");
	assert_clean_lines(out, 1);
	decode_openssl_field(decoded);
}

/* Below the threshold nothing is written, but the queue is cleared all the
 * same: a stale error must not show up on an unrelated later line. */
static void
test_crypto_drain_when_filtered(void **state)
{
	const char *out;

	(void)state;
	rt_log_init("test_log", RT_LOG_STDERR, RT_LOG_WARN);
	assert_string_equal(log_crypto_captured(2, RT_LOG_DEBUG, "quiet"), "");
	rt_log_set_level(RT_LOG_NONE);
	assert_string_equal(log_crypto_captured(2, RT_LOG_ERR, "silent"), "");

	/* the plain macros leave the queue to log_crypto */
	rt_log_set_level(RT_LOG_INFO);
	queue_errors(1);
	capture_begin();
	log_err("event=plain");
	out = capture_end();
	assert_null(strstr(out, "openssl="));
	assert_int_not_equal(ERR_peek_error(), 0);
	ERR_clear_error();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_shape),
		cmocka_unit_test(test_level_filter),
		cmocka_unit_test(test_debug_adds_func),
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_value_escape),
		cmocka_unit_test(test_value_truncation),
		cmocka_unit_test(test_one_line_per_call),
		cmocka_unit_test(test_crypto_drain),
		cmocka_unit_test(test_crypto_drain_when_filtered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
