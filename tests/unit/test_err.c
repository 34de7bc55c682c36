/*
 * rt_err: every RT_ERR_* code has a phrase and a log token, the tokens are
 * distinct and safe as a bare key=value value, and a code outside the
 * table still gets a name, one that does not read as success.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <string.h>

#include "rt_err.h"

static void
test_every_code_named(void **state)
{
	(void)state;
	for (int code = RT_OK; code > RT_ERR_LAST; code--) {
		const char *name = rt_errname(code), *text = rt_strerror(code);

		assert_non_null(name);
		assert_non_null(text);
		if (name[0] == '\0' || text[0] == '\0')
			fail_msg("code %d: empty name or phrase", code);
		/* a token for logs: lowercase letters and '_', nothing to quote */
		if (strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name))
			fail_msg("code %d: name '%s' is not a token", code, name);
		for (const char *p = text; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == '"')
				fail_msg("code %d: phrase '%s'", code, text);
	}
}

/* No two codes share a token or a phrase: a log line or a CLI message
 * names the one failure. */
static void
test_names_distinct(void **state)
{
	(void)state;
	for (int a = RT_OK; a > RT_ERR_LAST; a--) {
		for (int b = a - 1; b > RT_ERR_LAST; b--) {
			if (strcmp(rt_errname(a), rt_errname(b)) == 0)
				fail_msg("codes %d and %d are both '%s'", a, b, rt_errname(a));
			if (strcmp(rt_strerror(a), rt_strerror(b)) == 0)
				fail_msg("codes %d and %d both say '%s'", a, b, rt_strerror(a));
		}
	}
}

/* The tokens tests and log readers rely on. */
static void
test_known_names(void **state)
{
	(void)state;
	assert_string_equal(rt_errname(RT_OK), "ok");
	assert_string_equal(rt_errname(RT_ERR_INTERNAL), "internal");
	assert_string_equal(rt_errname(RT_ERR_BAD_INPUT), "bad_input");
	assert_string_equal(rt_errname(RT_ERR_TOO_BIG), "too_big");
	assert_string_equal(rt_errname(RT_ERR_CERT_REVOKED), "cert_revoked");
	assert_string_equal(rt_strerror(RT_ERR_CERT_REVOKED), "certificate revoked");
	assert_string_equal(rt_errname(RT_ERR_REPLAY), "replay");
	assert_string_equal(rt_errname(RT_ERR_LAST + 1), "chain_broken");
}

/* Codes outside the table: still a name, and never "ok". */
static void
test_unknown_codes(void **state)
{
	static const int codes[] = {1, 42, INT_MAX, RT_ERR_LAST, RT_ERR_LAST - 1, INT_MIN};

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_non_null(rt_errname(codes[i]));
		assert_non_null(rt_strerror(codes[i]));
		assert_true(rt_errname(codes[i])[0] != '\0');
		assert_string_not_equal(rt_errname(codes[i]), "ok");
		assert_string_not_equal(rt_strerror(codes[i]), rt_strerror(RT_OK));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_named),
		cmocka_unit_test(test_names_distinct),
		cmocka_unit_test(test_known_names),
		cmocka_unit_test(test_unknown_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
